/* ccidlab — the USB capture writer (src/cli/pcap_usb.c): the records
 * Wireshark's USB and CCID dissectors key on, read back by an
 * independent walker (pcap_walk.h).  tests/integration/trace-pcap.sh runs
 * Debian's tshark on a real trace. */
#include "config.h"

#include <glib.h>

#include "cli/pcap_usb.h"
#include "pcap_walk.h"

/* Every record of the buffer, after its file header. */
static GArray *walk_all(GByteArray *b)
{
	g_assert_true(pcap_walk_header(b->data, b->len));
	GArray *v = g_array_new(FALSE, TRUE, sizeof(pcap_rec));
	size_t off = 24;
	pcap_rec r;
	while (off < b->len) {
		g_assert_true(pcap_walk_next(b->data, b->len, &off, &r));
		g_array_append_val(v, r);
	}
	g_assert_cmpuint(off, ==, b->len);
	return v;
}

static void test_file_header_is_usbmon_mmapped(void)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	g_autoptr(pcap_usb) p = pcap_usb_new(b);
	g_assert_cmpuint(b->len, ==, PCAP_USB_FILE_HEADER);
	g_assert_true(pcap_walk_header(b->data, b->len));
	g_assert_cmpuint(pw_le32(b->data + 16), ==, PCAP_USB_SNAPLEN);
}

static const uint8_t xfr_block[] = { 0x6F, 0x05, 0, 0, 0, 0x00, 0x07, 0, 0, 0,
				     0x00, 0x34, 0x00, 0x02, 0x02 };
static const uint8_t data_block[] = { 0x80, 0x04, 0, 0, 0, 0x00, 0x07, 0, 0, 0,
				      0x00, 0x01, 0x90, 0x00 };

/* First frame of a reader: GET_DESCRIPTOR DEVICE, then CONFIGURATION with
 * an interface of class 0x0B and its three endpoints, each a submit with
 * the setup packet and a completion with the descriptor. */
static void test_first_frame_of_a_reader_is_preceded_by_its_enumeration(void)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	g_autoptr(pcap_usb) p = pcap_usb_new(b);
	pcap_usb_frame(p, 0, false, 1700000000123456, xfr_block, sizeof xfr_block);
	g_autoptr(GArray) v = walk_all(b);
	g_assert_cmpuint(v->len, ==, 6);
	for (guint i = 0; i < 4; i += 2) {
		const pcap_rec *s = &g_array_index(v, pcap_rec, i);
		const pcap_rec *c = &g_array_index(v, pcap_rec, i + 1);
		g_assert_cmpint(s->type, ==, 'S');
		g_assert_cmpint(c->type, ==, 'C');
		g_assert_cmpuint(s->id, ==, c->id);
		g_assert_cmpuint(s->xfer, ==, 2);
		g_assert_cmphex(s->ep, ==, 0x80);
		g_assert_cmpuint(s->flag_setup, ==, 0);
		g_assert_cmpuint(c->flag_setup, ==, '-');
		g_assert_cmphex(s->setup[0], ==, 0x80);
		g_assert_cmpuint(s->setup[1], ==, 6);
		g_assert_cmpuint(s->setup[3], ==, i == 0 ? 1 : 2);
		g_assert_cmpuint(s->setup[6] | s->setup[7] << 8, ==, c->len_cap);
		g_assert_cmpuint(s->len_cap, ==, 0);
		g_assert_cmpuint(s->flag_data, ==, '<');
		g_assert_cmpint(s->status, ==, -115);
		g_assert_cmpint(c->status, ==, 0);
	}
	const pcap_rec *dev = &g_array_index(v, pcap_rec, 1);
	g_assert_cmpuint(dev->len_cap, ==, 18);
	g_assert_cmpuint(dev->data[0], ==, 18);
	g_assert_cmpuint(dev->data[1], ==, 1);
	const pcap_rec *cfg = &g_array_index(v, pcap_rec, 3);
	g_assert_cmpuint(cfg->data[1], ==, 2);
	g_assert_cmpuint(cfg->data[2] | cfg->data[3] << 8, ==, cfg->len_cap);
	/* The interface descriptor (USB 2.0 §9.6.5): 3 endpoints, class 0x0B. */
	g_assert_cmpuint(cfg->data[9 + 1], ==, 4);
	g_assert_cmpuint(cfg->data[9 + 4], ==, 3);
	g_assert_cmphex(cfg->data[9 + 5], ==, 0x0B);
	static const uint8_t eps[3][2] = { { 0x01, 2 }, { 0x82, 2 }, { 0x83, 3 } };
	for (guint e = 0; e < 3; e++) {
		const uint8_t *d = cfg->data + 18 + 7 * e;
		g_assert_cmpuint(d[1], ==, 5);
		g_assert_cmphex(d[2], ==, eps[e][0]);
		g_assert_cmpuint(d[3], ==, eps[e][1]);
	}
	const pcap_rec *r = &g_array_index(v, pcap_rec, 0);
	g_assert_cmpuint(r->sec, ==, 1700000000u);
	g_assert_cmpuint(r->usec, ==, 123456u);
	g_assert_cmpuint(r->devnum, ==, 1);
	g_assert_cmpuint(r->busnum, ==, 1);
}

/* PC_to_RDR travels in the bulk OUT submit, RDR_to_PC in the bulk IN
 * completion; the other half of each pair has no data. */
static void test_messages_ride_the_bulk_pipes_with_their_bytes(void)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	g_autoptr(pcap_usb) p = pcap_usb_new(b);
	pcap_usb_frame(p, 3, false, 10, xfr_block, sizeof xfr_block);
	pcap_usb_frame(p, 3, true, 20, data_block, sizeof data_block);
	g_autoptr(GArray) v = walk_all(b);
	g_assert_cmpuint(v->len, ==, 4 + 4);
	const pcap_rec *os = &g_array_index(v, pcap_rec, 4), *oc = &g_array_index(v, pcap_rec, 5);
	const pcap_rec *is = &g_array_index(v, pcap_rec, 6), *ic = &g_array_index(v, pcap_rec, 7);
	g_assert_cmpuint(os->xfer, ==, 3);
	g_assert_cmphex(os->ep, ==, PCAP_USB_EP_BULK_OUT);
	g_assert_cmpmem(os->data, os->len_cap, xfr_block, sizeof xfr_block);
	g_assert_cmpuint(oc->len_cap, ==, 0);
	g_assert_cmpuint(oc->flag_data, ==, '>');
	g_assert_cmpuint(oc->urb_len, ==, sizeof xfr_block);
	g_assert_cmphex(is->ep, ==, PCAP_USB_EP_BULK_IN);
	g_assert_cmpuint(is->len_cap, ==, 0);
	g_assert_cmpmem(ic->data, ic->len_cap, data_block, sizeof data_block);
	g_assert_cmpuint(os->devnum, ==, 4);
	g_assert_cmpuint(os->id + 1, ==, is->id);
}

/* CCID 1.1 §6.3: NotifySlotChange and HardwareError come on the
 * interrupt pipe. */
static void test_interrupt_messages_ride_the_interrupt_pipe(void)
{
	static const uint8_t notify[] = { 0x50, 0x03 };
	static const uint8_t hw_error[] = { 0x51, 0x00, 0x01, 0x02 };
	g_autoptr(GByteArray) b = g_byte_array_new();
	g_autoptr(pcap_usb) p = pcap_usb_new(b);
	pcap_usb_frame(p, 0, true, 1, notify, sizeof notify);
	pcap_usb_frame(p, 0, true, 2, hw_error, sizeof hw_error);
	g_autoptr(GArray) v = walk_all(b);
	g_assert_cmpuint(v->len, ==, 8);
	for (guint i = 4; i < 8; i++) {
		g_assert_cmpuint(g_array_index(v, pcap_rec, i).xfer, ==, 1);
		g_assert_cmphex(g_array_index(v, pcap_rec, i).ep, ==, PCAP_USB_EP_INTR_IN);
	}
	g_assert_cmpmem(g_array_index(v, pcap_rec, 5).data, 2, notify, sizeof notify);
}

/* Each reader is enumerated once, as a device of its own; reader 127 is
 * the first device of bus 2. */
static void test_each_reader_is_a_device_enumerated_once(void)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	g_autoptr(pcap_usb) p = pcap_usb_new(b);
	pcap_usb_frame(p, 0, false, 1, xfr_block, sizeof xfr_block);
	pcap_usb_frame(p, 1, false, 2, xfr_block, sizeof xfr_block);
	pcap_usb_frame(p, 0, true, 3, data_block, sizeof data_block);
	pcap_usb_frame(p, 127, false, 4, xfr_block, sizeof xfr_block);
	pcap_usb_frame(p, 0xFFFF, false, 5, NULL, 0);
	g_autoptr(GArray) v = walk_all(b);
	g_assert_cmpuint(v->len, ==, 6 + 6 + 2 + 6 + 6);
	guint controls = 0;
	for (guint i = 0; i < v->len; i++)
		controls += g_array_index(v, pcap_rec, i).xfer == 2;
	g_assert_cmpuint(controls, ==, 4 * 4);
	const pcap_rec *r127 = &g_array_index(v, pcap_rec, 14);
	g_assert_cmpuint(r127->busnum, ==, 2);
	g_assert_cmpuint(r127->devnum, ==, 1);
	const pcap_rec *last = &g_array_index(v, pcap_rec, v->len - 2);
	g_assert_cmpuint(last->busnum, ==, 0xFFFF / 127 + 1);
	g_assert_cmpuint(last->devnum, ==, 0xFFFF % 127 + 1);
	g_assert_cmpuint(last->len_cap, ==, 0);
	g_assert_cmpuint(last->flag_data, ==, '>');
}

/* A frame past the snap length is cut there, its URB length kept. */
static void test_long_frame_is_cut_at_the_snap_length(void)
{
	size_t n = PCAP_USB_SNAPLEN + 100;
	g_autofree uint8_t *big = g_malloc0(n);
	big[0] = 0x80;
	g_autoptr(GByteArray) b = g_byte_array_new();
	g_autoptr(pcap_usb) p = pcap_usb_new(b);
	pcap_usb_frame(p, 0, true, 1, big, n);
	g_autoptr(GArray) v = walk_all(b);
	const pcap_rec *c = &g_array_index(v, pcap_rec, 5);
	g_assert_cmpuint(c->len_cap, ==, PCAP_USB_SNAPLEN - PCAP_USB_HEADER);
	g_assert_cmpuint(c->urb_len, ==, n);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/pcap-usb/file-header-is-usbmon-mmapped", test_file_header_is_usbmon_mmapped);
	g_test_add_func("/pcap-usb/first-frame-of-a-reader-is-preceded-by-its-enumeration",
			test_first_frame_of_a_reader_is_preceded_by_its_enumeration);
	g_test_add_func("/pcap-usb/messages-ride-the-bulk-pipes-with-their-bytes",
			test_messages_ride_the_bulk_pipes_with_their_bytes);
	g_test_add_func("/pcap-usb/interrupt-messages-ride-the-interrupt-pipe",
			test_interrupt_messages_ride_the_interrupt_pipe);
	g_test_add_func("/pcap-usb/each-reader-is-a-device-enumerated-once",
			test_each_reader_is_a_device_enumerated_once);
	g_test_add_func("/pcap-usb/long-frame-is-cut-at-the-snap-length",
			test_long_frame_is_cut_at_the_snap_length);
	return g_test_run();
}
