/* ccidlab — fuzz target: the T=1 state machines (ISO/IEC 7816-3 §11.6).
 *
 * Input: a 4-byte header, then a series of messages, each a 16-bit
 * big-endian length and that many bytes (lengths 0xFFFF, 0xFFFE and
 * 0xFFFD stand for a lost block, a parity error and a transport failure).
 *
 *   header[0] flags: b0 CRC (else LRC), b1 negotiate IFSD first,
 *             b2 fix each message's EDC (so the fuzzer reaches the
 *             protocol rules rather than the checksum), b3 the card asks
 *             for time on each APDU, b4 NAD 0x12 (host) / 0x12 (card),
 *             b5 the host's blocks cross a character-level reader
 *             (t1_char.c: the messages are the characters the reader
 *             hands back, cut to what each exchange asks for), b6 the
 *             reader's messages are small (xfer max_payload 4 + IFSD % 64:
 *             chunks under it, or CCID_E_READER_LIMIT) (issue 17)
 *   header[1] IFSC, header[2] IFSD (0 reads as 1, 255 as 254)
 *   header[3] APDU length: n < 200 is n bytes, else (n - 200) * 1200
 *
 * Host pass: a host is set up once per input, and APDUs go through it
 * while messages remain; the xfer hands out the messages in order as the
 * card's blocks (after them, every exchange times out).  A dead host is
 * reset.  Card pass: the same messages go, one by one, into a card, which
 * answers each APDU.
 */
#include <stdlib.h>
#include <string.h>

#include "ccid/ccid.h"
#include "ccid/t1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	F_CRC = 0x01, F_NEGOTIATE = 0x02, F_FIX_EDC = 0x04, F_WTX = 0x08, F_NAD = 0x10,
	F_CHARS = 0x20, F_SMALL = 0x40,
};

#define MSG_LOST 0xFFFF
#define MSG_PARITY 0xFFFE
#define MSG_FAIL 0xFFFD

typedef struct feed {
	const uint8_t *p;
	size_t left;
	uint8_t flags;
	ccid_t1_edc edc;
} feed;

static uint8_t apdu_buf[CCID_T1_MAX_APDU];
static uint8_t rsp_buf[CCID_T1_MAX_RESPONSE];
static uint8_t card_apdu[CCID_T1_MAX_APDU];
static uint8_t card_rsp[CCID_T1_MAX_RESPONSE];

/* The next message: its length code, and its bytes in an exact-size heap
 * copy (EDC fixed if asked).  False when the input is used up. */
static bool next_msg(feed *f, unsigned *code, uint8_t **msg, size_t *len)
{
	if (f->left < 2)
		return false;
	unsigned n = (unsigned)f->p[0] << 8 | f->p[1];
	f->p += 2;
	f->left -= 2;
	*code = n;
	*msg = NULL;
	*len = 0;
	if (n >= MSG_FAIL)
		return true;
	if (n > f->left)
		n = (unsigned)f->left;
	*msg = malloc(n ? n : 1);
	if (*msg == NULL)
		return false;
	memcpy(*msg, f->p, n);
	f->p += n;
	f->left -= n;
	*len = n;
	size_t k = ccid_edc_size(f->edc);
	if ((f->flags & F_FIX_EDC) && n >= 3 + k)
		ccid_edc_put(f->edc, *msg, n - k, *msg + n - k);
	return true;
}

static int feed_exchange(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint,
			 uint8_t *rx, size_t cap, size_t *rx_len)
{
	feed *f = ctx;
	(void)tx, (void)tx_len, (void)hint;
	unsigned code;
	uint8_t *msg;
	size_t len;
	if (!next_msg(f, &code, &msg, &len))
		return CCID_E_TIMEOUT;
	int rc = CCID_OK;
	if (code == MSG_LOST)
		rc = CCID_E_TIMEOUT;
	else if (code == MSG_PARITY)
		rc = CCID_R_PARITY;
	else if (code == MSG_FAIL)
		rc = CCID_E_TRANSPORT;
	else if (len > cap)
		rc = CCID_E_BUFFER;
	else {
		memcpy(rx, msg, len);
		*rx_len = len;
	}
	free(msg);
	return rc;
}

/* Character level: each message is what one exchange hands back, cut to
 * the count asked for (hint). */
static int feed_chars(void *ctx, const uint8_t *tx, size_t tx_len, uint32_t hint, uint8_t *rx,
		      size_t cap, size_t *rx_len)
{
	int rc = feed_exchange(ctx, tx, tx_len, hint, rx, cap, rx_len);
	if (rc == CCID_OK && *rx_len > hint)
		*rx_len = hint;
	return rc;
}

static unsigned wtx_total;

static void feed_wtx(void *ctx, unsigned multiplier)
{
	(void)ctx;
	if (multiplier < 1 || multiplier > 255)
		abort();
	wtx_total += multiplier;
}

static unsigned clamp_ifs(uint8_t v)
{
	return v == 0 ? 1 : v == 255 ? 254 : v;
}

static void host_pass(const uint8_t *hdr, const uint8_t *body, size_t left)
{
	feed f = { body, left, hdr[0], (hdr[0] & F_CRC) ? CCID_T1_EDC_CRC : CCID_T1_EDC_LRC };
	ccid_xfer direct = { feed_exchange, feed_wtx, &f, 0 };
	size_t small = (hdr[0] & F_SMALL) ? 4 + (size_t)hdr[2] % 64 : 0;
	ccid_xfer chars = { feed_chars, feed_wtx, &f, small };
	ccid_t1_char tc;
	ccid_xfer x = (hdr[0] & F_CHARS) ? ccid_t1_char_xfer(&tc, &chars, f.edc) : direct;
	if (!(hdr[0] & F_CHARS))
		x.max_payload = small;
	ccid_t1_host h;
	if (ccid_t1_host_init(&h, clamp_ifs(hdr[1]), CCID_T1_DEFAULT_IFS, f.edc) != CCID_OK)
		abort();
	if (hdr[0] & F_NAD)
		ccid_t1_host_set_nad(&h, 0x12);
	size_t len = hdr[3] < 200 ? hdr[3] : (size_t)(hdr[3] - 200) * 1200;
	if (len > CCID_T1_MAX_APDU)
		len = CCID_T1_MAX_APDU;
	for (size_t i = 0; i < len; i++)
		apdu_buf[i] = (uint8_t)i;
	if (hdr[0] & F_NEGOTIATE)
		ccid_t1_host_negotiate_ifsd(&h, &x, clamp_ifs(hdr[2]));
	while (f.left >= 2) {
		size_t got = 0;
		int rc = ccid_t1_host_transceive(&h, &x, apdu_buf, len, rsp_buf, sizeof rsp_buf, &got);
		if (rc == CCID_OK && got > sizeof rsp_buf)
			abort();
		if (rc == CCID_E_READER_LIMIT && ccid_t1_max_inf(x.max_payload, f.edc) != 0)
			abort();
		if (rc == CCID_E_READER_LIMIT)
			break;	/* nothing can be sent: no input is used */
		if (rc == CCID_E_DEAD)
			ccid_t1_host_reset(&h);
		if (h.ns > 1 || h.nr > 1 || h.ifsc < 1 || h.ifsc > 254 || h.ifsd < 1 || h.ifsd > 254)
			abort();
	}
}

static void card_answer(ccid_t1_card *c, ccid_t1_card_event ev, bool wtx, uint8_t *out, size_t *out_len)
{
	if (ev == CCID_T1_CARD_EV_APDU && wtx) {
		if (ccid_t1_card_request_wtx(c, 2, out, CCID_T1_MAX_BLOCK, out_len) != CCID_OK)
			abort();
		return;
	}
	if (ev != CCID_T1_CARD_EV_APDU && ev != CCID_T1_CARD_EV_APDU_TOO_LONG &&
	    ev != CCID_T1_CARD_EV_WTX_GRANTED)
		return;
	size_t n = 0;
	const uint8_t *apdu = ccid_t1_card_apdu(c, &n);
	if (apdu == NULL && ev != CCID_T1_CARD_EV_APDU_TOO_LONG && n != 0)
		abort();
	size_t rsp = (n * 3 + 2) % 700;
	for (size_t i = 0; i < rsp; i++)
		card_rsp[i] = (uint8_t)(i ^ n);
	if (ccid_t1_card_respond(c, card_rsp, rsp, out, CCID_T1_MAX_BLOCK, out_len) != CCID_OK)
		abort();
}

static void card_pass(const uint8_t *hdr, const uint8_t *body, size_t left)
{
	feed f = { body, left, hdr[0], (hdr[0] & F_CRC) ? CCID_T1_EDC_CRC : CCID_T1_EDC_LRC };
	static ccid_t1_card c;
	/* A small APDU buffer too, so that chains overflow it. */
	size_t apdu_cap = (hdr[3] & 1) ? 300 : sizeof card_apdu;
	if (ccid_t1_card_init(&c, clamp_ifs(hdr[1]), clamp_ifs(hdr[2]), f.edc, card_apdu, apdu_cap,
			      card_rsp, sizeof card_rsp) != CCID_OK)
		abort();
	if (hdr[0] & F_NAD)
		ccid_t1_card_set_nad(&c, 0x12);
	unsigned code;
	uint8_t *msg;
	size_t len;
	while (next_msg(&f, &code, &msg, &len)) {
		uint8_t out[CCID_T1_MAX_BLOCK];
		size_t out_len = 0;
		ccid_t1_card_event ev = CCID_T1_CARD_EV_NONE;
		if (code < MSG_FAIL) {
			int rc = ccid_t1_card_input(&c, msg, len, out, sizeof out, &out_len, &ev);
			if (rc == CCID_OK)
				card_answer(&c, ev, (hdr[0] & F_WTX) != 0, out, &out_len);
			else if (rc != CCID_E_PROTOCOL)
				abort();
			if (out_len > sizeof out)
				abort();
			if (out_len) {
				ccid_t1_block b;
				if (ccid_t1_block_decode(out, out_len, f.edc, &b) != CCID_OK)
					abort();
			}
		} else if (code == MSG_FAIL) {
			ccid_t1_card_reset(&c);
		}
		free(msg);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	host_pass(data, data + 4, size - 4);
	card_pass(data, data + 4, size - 4);
	return 0;
}
