/* ccidlab — the driver loaded directly, without pcscd, and called the way
 * pcscd (and pcsc-lite's handler test) calls it: create the channel by
 * name, ask the capabilities, power the card, set the protocol, sweep the
 * readertest applet's APDU cases and lengths, check presence, wait for
 * card edges with the driver's own polling function, close.  Prints TAP.
 *
 *   handler_direct DRIVER DEVICENAME CTL_SOCKET CTL_NAME [ext]
 *
 * CTL_SOCKET/CTL_NAME say where the card is removed and inserted: the
 * usbsim shim's control socket and device name for a usb: DEVICENAME,
 * the driver's own socket (CCIDLAB_CTL_LISTEN) and name= for an emu: one;
 * $HANDLER_TEST_CCIDLAB is the ccidlab command.  "ext": the reader takes
 * extended APDUs, so the sweep goes on to 65535 bytes.
 *
 * Built twice (tests/direct/local.mk): handler_direct_log exports
 * log_msg and log_xxd with pcsc-lite's signatures, as pcscd does, and
 * counts the driver's lines; handler_direct has none, and the driver must
 * load and run all the same (its lines then go to stderr).
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <debuglog.h>
#include <ifdhandler.h>
#include <reader.h>

#define LUN 0
#define RSP_CAP (65536 + 2)

static int n_tests, failed;

static void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++n_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		failed = 1;
}

/* The protocol the card runs (0 or 1: what pcscd hands the handler). */
static int card_t = 1;

#ifdef HANDLER_PROVIDES_LOG
/* pcscd's log functions, as the driver finds them in its host program. */
static int log_lines, log_ccidlab_lines, log_limit_lines;

void log_msg(const int priority, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	__atomic_add_fetch(&log_lines, 1, __ATOMIC_RELAXED);
	if (strncmp(line, "ccidlab: ", 9) == 0)
		__atomic_add_fetch(&log_ccidlab_lines, 1, __ATOMIC_RELAXED);
	if (strstr(line, "over the reader's message size") != NULL)
		__atomic_add_fetch(&log_limit_lines, 1, __ATOMIC_RELAXED);
	(void)priority;
}

void log_xxd(const int priority, const char *msg, const unsigned char *buffer, const int size)
{
	(void)priority;
	(void)msg;
	(void)buffer;
	(void)size;
	__atomic_add_fetch(&log_lines, 1, __ATOMIC_RELAXED);
}
#endif

typedef struct driver {
	__typeof__(&IFDHCreateChannelByName) create;
	__typeof__(&IFDHCloseChannel) close;
	__typeof__(&IFDHGetCapabilities) get_caps;
	__typeof__(&IFDHSetProtocolParameters) set_proto;
	__typeof__(&IFDHPowerICC) power;
	__typeof__(&IFDHTransmitToICC) transmit;
	__typeof__(&IFDHICCPresence) presence;
} driver;

/* pcscd's types for the two functions TAG_IFD_POLLING_THREAD_WITH_TIMEOUT
 * and TAG_IFD_STOP_POLLING_THREAD hand over. */
typedef RESPONSECODE (*wait_fn)(DWORD lun, int timeout_ms);
typedef RESPONSECODE (*stop_fn)(DWORD lun);

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int load(const char *path, driver *d)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	ok(h != NULL, "dlopen(RTLD_NOW) of %s%s%s", path, h ? "" : ": ", h ? "" : dlerror());
	if (h == NULL)
		return 0;
	*(void **)&d->create = dlsym(h, "IFDHCreateChannelByName");
	*(void **)&d->close = dlsym(h, "IFDHCloseChannel");
	*(void **)&d->get_caps = dlsym(h, "IFDHGetCapabilities");
	*(void **)&d->set_proto = dlsym(h, "IFDHSetProtocolParameters");
	*(void **)&d->power = dlsym(h, "IFDHPowerICC");
	*(void **)&d->transmit = dlsym(h, "IFDHTransmitToICC");
	*(void **)&d->presence = dlsym(h, "IFDHICCPresence");
	int all = d->create && d->close && d->get_caps && d->set_proto && d->power && d->transmit &&
		  d->presence;
	ok(all, "the IFDH v3 entry points resolve");
	return all;
}

/* One APDU; returns the response length, or -1 when the driver failed. */
static long xmit(const driver *d, const unsigned char *cmd, size_t len, unsigned char *rsp)
{
	/* pcscd hands the IFD handler 1 for T=1 (0 for T=0), not the
	 * SCARD_PROTOCOL_* bit. */
	SCARD_IO_HEADER send = { (DWORD)card_t, 0 }, recv = { 0, 0 };
	DWORD got = RSP_CAP;

	if (d->transmit(LUN, send, (PUCHAR)cmd, (DWORD)len, rsp, &got, &recv) != IFD_SUCCESS)
		return -1;
	return (long)got;
}

static int sw_ok(const unsigned char *rsp, long got, long want)
{
	return got == want && rsp[got - 2] == 0x90 && rsp[got - 1] == 0x00;
}

/* 80 INS P1P2 [Lc data] [Le]: n data bytes in (INS 32, 36) and/or out
 * (34, 36), short or extended encoding. */
static size_t build(unsigned char *c, unsigned char ins, size_t n, int in, int out, int ext)
{
	size_t k = 0;

	c[k++] = 0x80;
	c[k++] = ins;
	c[k++] = (unsigned char)(n >> 8);
	c[k++] = (unsigned char)n;
	if (in) {
		if (ext) {
			c[k++] = 0x00;
			c[k++] = (unsigned char)(n >> 8);
		}
		c[k++] = (unsigned char)n;
		for (size_t i = 0; i < n; i++)
			c[k++] = (unsigned char)i;
	}
	if (out) {
		if (ext) {
			if (!in)
				c[k++] = 0x00;
			c[k++] = (unsigned char)(n >> 8);
		}
		c[k++] = (unsigned char)n;	/* short 256: Le 00 */
	}
	return k;
}

/* Case 2 (out), 3 (in), 4 (both) for each length; the count of wrong
 * answers, the first one named on stderr. */
static int sweep(const driver *d, const size_t *lens, size_t n_lens, int ext, unsigned char *cmd,
		 unsigned char *rsp)
{
	static const struct { unsigned char ins; int in, out; } cases[] = {
		{ 0x34, 0, 1 }, { 0x32, 1, 0 }, { 0x36, 1, 1 },
	};
	int bad = 0;

	for (size_t k = 0; k < n_lens; k++)
		for (size_t c = 0; c < 3; c++) {
			size_t n = lens[k];
			if (cases[c].in && !ext && n > 255)
				continue;	/* short Lc stops at 255 */
			size_t len = build(cmd, cases[c].ins, n, cases[c].in, cases[c].out, ext);
			long got = xmit(d, cmd, len, rsp);
			long want = cases[c].out ? (long)n + 2 : 2;
			int good = sw_ok(rsp, got, want);
			for (long i = 0; good && cases[c].out && i < (long)n; i++)
				good = rsp[i] == (unsigned char)i;
			if (!good && bad++ == 0)
				fprintf(stderr, "INS %02X, %zu bytes: %ld bytes back\n", cases[c].ins, n,
					got);
		}
	return bad;
}

/* Issue 17, a T=0 card behind a TPDU reader of 64-byte messages (54 of
 * data): what fits goes, a command TPDU that does not is refused with
 * IFD_COMMUNICATION_ERROR (never IFD_ERROR_INSUFFICIENT_BUFFER, the
 * caller's buffer) and a log line that says why, and a case 4's long
 * answer comes by GET RESPONSE in pieces. */
static void small_reader(const driver *d)
{
	unsigned char *cmd = malloc(RSP_CAP + 16), *rsp = malloc(RSP_CAP);
	SCARD_IO_HEADER send = { 0, 0 }, recv = { 0, 0 };
	static const unsigned char select[] = { 0x00, 0xA4, 0x04, 0x00, 0x06,
						0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF };

	if (cmd == NULL || rsp == NULL)
		goto out;
	ok(sw_ok(rsp, xmit(d, select, sizeof select, rsp), 2), "SELECT readertest: 90 00");
	size_t len = build(cmd, 0x32, 49, 1, 0, 0);
	ok(sw_ok(rsp, xmit(d, cmd, len, rsp), 2), "case 3 Lc 49 (a 54-byte TPDU): 90 00");
	len = build(cmd, 0x32, 50, 1, 0, 0);
	DWORD got = RSP_CAP;
	RESPONSECODE rc = d->transmit(LUN, send, cmd, (DWORD)len, rsp, &got, &recv);
	ok(rc == IFD_COMMUNICATION_ERROR && got == 0,
	   "case 3 Lc 50 (a 55-byte TPDU): IFD_COMMUNICATION_ERROR, nothing back (was %ld)",
	   (long)rc);
#ifdef HANDLER_PROVIDES_LOG
	ok(__atomic_load_n(&log_limit_lines, __ATOMIC_RELAXED) == 1,
	   "one log line says the APDU is over the reader's message size");
#endif
	/* Case 4: 16 bytes in, 200 out, the answer in GET RESPONSE pieces. */
	len = build(cmd, 0x36, 16, 1, 0, 0);
	cmd[2] = 0x00, cmd[3] = 200;
	cmd[len++] = 200;
	long n = xmit(d, cmd, len, rsp);
	int good = sw_ok(rsp, n, 202);
	for (long i = 0; good && i < 200; i++)
		good = rsp[i] == (unsigned char)i;
	ok(good, "case 4 Lc 16 Ne 200: 200 bytes through 54-byte messages, 90 00 (%ld)", n);
out:
	free(cmd);
	free(rsp);
}

static void apdus(const driver *d, int ext)
{
	static const unsigned char select[] = { 0x00, 0xA4, 0x04, 0x00, 0x06,
						0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF };
	static const unsigned char case1[] = { 0x80, 0x30, 0x00, 0x00 };
	unsigned char *cmd = malloc(RSP_CAP + 16), *rsp = malloc(RSP_CAP);

	if (cmd == NULL || rsp == NULL)
		goto out;
	ok(sw_ok(rsp, xmit(d, select, sizeof select, rsp), 2), "SELECT readertest: 90 00");
	ok(sw_ok(rsp, xmit(d, case1, sizeof case1, rsp), 2), "case 1 (80 30 00 00): 90 00");
	size_t shorts[256];
	for (size_t i = 0; i < 256; i++)
		shorts[i] = i + 1;
	ok(sweep(d, shorts, 256, 0, cmd, rsp) == 0,
	   "short cases 2, 3, 4 at every length 1..255 (case 2 to 256): right data and 90 00");
	if (ext) {
		static const size_t longs[] = { 256, 257, 1000, 4096, 32768, 65535 };
		ok(sweep(d, longs, sizeof longs / sizeof longs[0], 1, cmd, rsp) == 0,
		   "extended cases 2, 3, 4 at 256..65535 bytes: right data and 90 00");
	}
out:
	free(cmd);
	free(rsp);
}

static void capabilities(const driver *d, wait_fn *wait, stop_fn *stop)
{
	UCHAR v[256];
	DWORD len = sizeof v;

	RESPONSECODE rc = d->get_caps(LUN, TAG_IFD_SLOTS_NUMBER, &len, v);
	ok(rc == IFD_SUCCESS && len == 1 && v[0] >= 1, "TAG_IFD_SLOTS_NUMBER: %u", len == 1 ? v[0] : 0);
	len = sizeof v;
	rc = d->get_caps(LUN, TAG_IFD_SLOT_THREAD_SAFE, &len, v);
	ok(rc == IFD_SUCCESS && len == 1, "TAG_IFD_SLOT_THREAD_SAFE answered");
	len = sizeof v;
	rc = d->get_caps(LUN, TAG_IFD_POLLING_THREAD_WITH_TIMEOUT, &len, v);
	if (rc == IFD_SUCCESS && len == sizeof(void *))
		memcpy(wait, v, sizeof(void *));
	ok(*wait != NULL, "TAG_IFD_POLLING_THREAD_WITH_TIMEOUT: a function (event mode)");
	len = sizeof v;
	rc = d->get_caps(LUN, TAG_IFD_STOP_POLLING_THREAD, &len, v);
	if (rc == IFD_SUCCESS && len == sizeof(void *))
		memcpy(stop, v, sizeof(void *));
	ok(*stop != NULL, "TAG_IFD_STOP_POLLING_THREAD: a function");
	len = sizeof v;
	rc = d->get_caps(LUN, SCARD_ATTR_VENDOR_NAME, &len, v);
	ok(rc == IFD_SUCCESS && len >= 1, "SCARD_ATTR_VENDOR_NAME: %.*s", (int)len, (char *)v);
	len = sizeof v;
	rc = d->get_caps(LUN, SCARD_ATTR_VENDOR_IFD_VERSION, &len, v);
	ok(rc == IFD_SUCCESS && len == 4, "SCARD_ATTR_VENDOR_IFD_VERSION: 4 bytes");
	len = sizeof v;
	rc = d->get_caps(LUN, SCARD_ATTR_MAXINPUT, &len, v);
	ok(rc == IFD_SUCCESS && len == 4 && (v[0] | v[1] | v[2] | v[3]) != 0,
	   "SCARD_ATTR_MAXINPUT: a length");
	len = sizeof v;
	rc = d->get_caps(LUN, 0x7FFF0000, &len, v);
	ok(rc != IFD_SUCCESS, "an unknown tag is refused");
}

static void power(const driver *d)
{
	UCHAR atr[MAX_ATR_SIZE], attr[MAX_ATR_SIZE];
	DWORD atr_len = sizeof atr, attr_len = sizeof attr;

	RESPONSECODE rc = d->power(LUN, IFD_POWER_UP, atr, &atr_len);
	ok(rc == IFD_SUCCESS && atr_len >= 2 && (atr[0] == 0x3B || atr[0] == 0x3F),
	   "IFDHPowerICC(IFD_POWER_UP): an ATR of %lu bytes", (unsigned long)atr_len);
	rc = d->get_caps(LUN, SCARD_ATTR_ATR_STRING, &attr_len, attr);
	ok(rc == IFD_SUCCESS && attr_len == atr_len && memcmp(atr, attr, atr_len) == 0,
	   "SCARD_ATTR_ATR_STRING is the power-up ATR");
	DWORD want = card_t ? SCARD_PROTOCOL_T1 : SCARD_PROTOCOL_T0;
	rc = d->set_proto(LUN, want, 0, 0, 0, 0);
	ok(rc == IFD_SUCCESS, "IFDHSetProtocolParameters(T=%d)", card_t);
	UCHAR proto[4];
	DWORD plen = sizeof proto;
	rc = d->get_caps(LUN, SCARD_ATTR_CURRENT_PROTOCOL_TYPE, &plen, proto);
	ok(rc == IFD_SUCCESS && plen == 4 && proto[0] == want,
	   "SCARD_ATTR_CURRENT_PROTOCOL_TYPE: T=%d", card_t);
}

/* `ccidlab ACTION --socket SOCK NAME [ARGS]`, or the stop function, from
 * a helper thread while the test's thread waits (pcscd's event thread
 * is the one that both waits and looks). */
typedef struct action {
	const char *what;	/* NULL: the stop function */
	const char *sock, *name, *args;
	stop_fn stop;
	int rc;
} action;

static void *action_main(void *data)
{
	action *a = data;
	char cmd[2048];
	const char *tool = getenv("HANDLER_TEST_CCIDLAB");

	usleep(100 * 1000);
	if (a->what == NULL) {
		a->rc = (int)a->stop(LUN);
		return NULL;
	}
	if (tool == NULL) {
		a->rc = -1;
		return NULL;
	}
	snprintf(cmd, sizeof cmd, "'%s' %s --socket='%s' '%s' %s >&2", tool, a->what, a->sock,
		 a->name, a->args);
	a->rc = system(cmd);
	return NULL;
}

/* Runs action a in a thread 100 ms into a wait of timeout_ms here; the
 * wait's time in ms, or -1 when the wait or the action failed.  *after
 * is IFDHICCPresence's answer the moment the wait returned, while the
 * action may still be finishing: a wait that ends on the edge finds it
 * there. */
static double wait_around(const driver *d, wait_fn wait, int timeout_ms, action *a,
			  RESPONSECODE *after)
{
	pthread_t t;

	if (pthread_create(&t, NULL, action_main, a) != 0)
		return -1;
	double t0 = now_ms();
	RESPONSECODE rc = wait(LUN, timeout_ms);
	double took = now_ms() - t0;
	*after = d->presence(LUN);
	pthread_join(t, NULL);
	return rc == IFD_SUCCESS && a->rc == 0 ? took : -1;
}

/* pcscd's event thread: look (IFDHICCPresence), wait, look again. */
static void events(const driver *d, wait_fn wait, stop_fn stop, const char *sock, const char *name)
{
	/* What the open and the power-up left queued is taken first, as
	 * pcscd's first looks and waits take it. */
	for (int i = 0; i < 10; i++) {
		d->presence(LUN);
		double t0 = now_ms();
		wait(LUN, 50);
		if (now_ms() - t0 >= 40)
			break;
	}
	ok(d->presence(LUN) == IFD_ICC_PRESENT, "IFDHICCPresence: present");
	double t0 = now_ms();
	RESPONSECODE rc = wait(LUN, 300);
	double took = now_ms() - t0;
	ok(rc == IFD_SUCCESS && took >= 250 && took < 2000,
	   "no edge: the wait returns at its timeout (300 ms: %.0f ms)", took);

	/* The edges come from a ccidlab command (a process of its own: it
	 * took over 4.8 s to start and answer with both cores busy), so the
	 * waits are long (30 s) and an edge's wait must end before its
	 * timeout with the new state already there; a wait that ended on a
	 * timer would find the old one (or end at 30 s). */
	RESPONSECODE after = IFD_COMMUNICATION_ERROR;
	action rm = { "remove", sock, name, "", NULL, 0 };
	took = wait_around(d, wait, 30000, &rm, &after);
	ok(took >= 0 && took < 25000 && after == IFD_ICC_NOT_PRESENT,
	   "a removal through the control socket ends a 30 s wait, the slot empty then "
	   "(after %.0f ms)", took);
	ok(d->presence(LUN) == IFD_ICC_NOT_PRESENT, "IFDHICCPresence: absent");
	action in = { "insert", sock, name, "--card readertest,t1", NULL, 0 };
	took = wait_around(d, wait, 30000, &in, &after);
	ok(took >= 50 && took < 25000 && after == IFD_ICC_PRESENT,
	   "an insertion ends a 30 s wait, the card there then (after %.0f ms)", took);
	ok(d->presence(LUN) == IFD_ICC_PRESENT, "IFDHICCPresence: present again");
	action st = { NULL, NULL, NULL, NULL, stop, 0 };
	took = wait_around(d, wait, 5000, &st, &after);
	ok(took >= 50 && took < 2000, "the stop function ends a 5 s wait (after %.0f ms)", took);
}

int main(int argc, char **argv)
{
	driver d;
	wait_fn wait = NULL;
	stop_fn stop = NULL;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: %s DRIVER DEVICENAME CTL_SOCKET CTL_NAME [ext|t0-small]\n",
			argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	int ext = argc == 6 && strcmp(argv[5], "ext") == 0;
	int small = argc == 6 && strcmp(argv[5], "t0-small") == 0;
	if (small)
		card_t = 0;
	if (!load(argv[1], &d))
		goto done;
	if (strncmp(argv[2], "usb:", 4) == 0)
		ok(d.create(LUN, "usb:ffff/fff0") == IFD_NO_SUCH_DEVICE,
		   "a usb: name that matches no device: IFD_NO_SUCH_DEVICE");
	RESPONSECODE rc = d.create(LUN, argv[2]);
	ok(rc == IFD_SUCCESS, "IFDHCreateChannelByName(%s)", argv[2]);
	if (rc != IFD_SUCCESS)
		goto done;
	/* pcscd's "Initial Check", then a while as pcscd's start takes:
	 * the card the reader had at the open is there, and stays there
	 * (no phantom edge from the reader's plug-time NotifySlotChange). */
	ok(d.presence(LUN) == IFD_ICC_PRESENT, "first IFDHICCPresence after the open: present");
	usleep(100 * 1000);
	ok(d.presence(LUN) == IFD_ICC_PRESENT, "100 ms later: still present, no phantom edge");
	capabilities(&d, &wait, &stop);
	power(&d);
	if (small)
		small_reader(&d);
	else
		apdus(&d, ext);
	if (wait != NULL && stop != NULL)
		events(&d, wait, stop, argv[3], argv[4]);
	UCHAR atr[MAX_ATR_SIZE];
	DWORD atr_len = sizeof atr;
	ok(d.power(LUN, IFD_POWER_DOWN, atr, &atr_len) == IFD_SUCCESS, "IFDHPowerICC(IFD_POWER_DOWN)");
	ok(d.close(LUN) == IFD_SUCCESS, "IFDHCloseChannel");
#ifdef HANDLER_PROVIDES_LOG
	ok(__atomic_load_n(&log_ccidlab_lines, __ATOMIC_RELAXED) > 0,
	   "the driver's lines went to the host's log_msg (%d lines)",
	   __atomic_load_n(&log_lines, __ATOMIC_RELAXED));
#endif
done:
	printf("1..%d\n", n_tests);
	return failed;
}
