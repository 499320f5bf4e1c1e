/* ccidlab — fuzz target: the USB capture writer (src/cli/pcap_usb.c),
 * which turns the frames of a trace stream into pcap records.
 *
 * The input is a sequence of frames, each: a reader number (2 bytes), a
 * direction byte (bit 0: in), a time (3 bytes), a length (2 bytes) and
 * that many bytes (cut at the input's end).  The output must walk as whole
 * records (tests/unit/pcap_walk.h, an independent reader) that end
 * exactly at the buffer's end, and every frame's bytes must appear, in
 * order, as the data of a record of its reader's device.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/pcap_usb.h"
#include "../unit/pcap_walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct frame {
	unsigned reader;
	const uint8_t *buf;
	size_t len;
} frame;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GByteArray *out = g_byte_array_new();
	pcap_usb *p = pcap_usb_new(out);
	GArray *frames = g_array_new(FALSE, FALSE, sizeof(frame));
	size_t i = 0;
	while (size - i >= 8 && frames->len < 256) {
		const uint8_t *h = data + i;
		frame f = { .reader = (unsigned)(h[0] | h[1] << 8), .buf = h + 8,
			    .len = MIN((size_t)(h[6] | h[7] << 8), size - i - 8) };
		int64_t ts = (int64_t)(h[3] | h[4] << 8 | h[5] << 16) * 997;
		pcap_usb_frame(p, f.reader, (h[2] & 1) != 0, ts, f.buf, f.len);
		g_array_append_val(frames, f);
		i += 8 + f.len;
	}
	if (!pcap_walk_header(out->data, out->len))
		abort();
	size_t off = 24;
	guint next = 0;
	pcap_rec r;
	while (off < out->len) {
		if (!pcap_walk_next(out->data, out->len, &off, &r) || r.xfer < 1 || r.xfer > 3)
			abort();
		if (r.xfer == 2 || r.len_cap == 0)
			continue;
		/* A data record: the next frame with bytes, on its own device. */
		while (next < frames->len && g_array_index(frames, frame, next).len == 0)
			next++;
		if (next == frames->len)
			abort();
		const frame *f = &g_array_index(frames, frame, next++);
		if (r.len_cap != f->len || memcmp(r.data, f->buf, f->len) != 0 ||
		    r.devnum != f->reader % 127 + 1 || r.busnum != f->reader / 127 + 1)
			abort();
	}
	while (next < frames->len && g_array_index(frames, frame, next).len == 0)
		next++;
	if (off != out->len || next != frames->len)
		abort();
	g_array_unref(frames);
	pcap_usb_free(p);
	g_byte_array_unref(out);
	return 0;
}
