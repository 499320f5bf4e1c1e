/* ccidlab — fuzz target: the VSCard stream as QEMU would send it, into
 * the wire parser and into a card session (src/vscard).
 *
 * The first byte picks the card (T=0 or T=1 readertest) and the chunk
 * size the stream is fed in; the rest is the stream.  The wire parser
 * walks an exact-size copy first, so every over-read shows.  The session
 * gets the same bytes in chunks, as reads from a socket would cut them:
 * its answers must all be whole messages that parse again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "vscard/session.h"
#include "vscard/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static void walk(const uint8_t *buf, size_t len)
{
	size_t at = 0;
	for (;;) {
		vscard_msg m;
		size_t used = 0;
		int r = vscard_wire_next(buf + at, len - at, &m, &used);
		if (r != VSCARD_OK)
			break;
		CHECK(used >= VSCARD_HEADER_SIZE && used <= len - at);
		CHECK(m.length == used - VSCARD_HEADER_SIZE);
		uint32_t v;
		if (m.type == VSCARD_INIT)
			(void)vscard_wire_parse_init(&m, &v);
		if (m.type == VSCARD_ERROR)
			(void)vscard_wire_parse_error(&m, &v);
		CHECK(vscard_type_name(m.type) != NULL);
		at += used;
	}
}

static void on_send(void *data, const uint8_t *buf, size_t len)
{
	size_t *sent = data;
	*sent += len;
	/* Every answer is one whole message. */
	g_autofree uint8_t *copy = g_memdup2(buf, len);
	vscard_msg m;
	size_t used = 0;
	CHECK(vscard_wire_next(copy, len, &m, &used) == VSCARD_OK && used == len);
}

static const vscard_session_ops ops = { .send = on_send };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t n = size - 1;
	g_autofree uint8_t *stream = g_memdup2(data + 1, n);
	walk(stream, n);

	const char *spec = (data[0] & 1) ? "readertest,t1" : "readertest,t0";
	size_t chunk = 1 + (data[0] >> 1);
	size_t sent = 0;
	g_autoptr(vscard_session) s = vscard_session_new(spec, &ops, &sent, NULL);
	CHECK(s != NULL);
	vscard_session_start(s);
	for (size_t at = 0; at < n; at += chunk) {
		if (!vscard_session_feed(s, stream + at, MIN(chunk, n - at)))
			break;
	}
	return 0;
}
