/* ccidlab — pcscd client wire protocol 4:4: framing, bounded socket I/O and
 * the READER_STATE decoder (legacy_wire.h).  Written from the documented
 * layouts (pcscd-driver-facts.md Appendix A). */
#include "config.h"

#include "pcsclegacy/legacy_wire.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* The decoder's offsets must add up to the documented entry size; a
 * change here would silently shift every field after it. */
_Static_assert(LW_OFF_CARD_ATR + MAX_ATR_SIZE + 3u == LW_OFF_CARD_ATR_LENGTH,
	       "cardAtr[33] is followed by 3 padding bytes");
_Static_assert(LW_OFF_CARD_PROTOCOL + 4u == LW_READER_STATE_SIZE, "READER_STATE is 184 bytes");
_Static_assert(LW_STATES_SIZE == 2944u, "16 READER_STATE entries are 2944 bytes");

const char *lw_result_name(lw_result r)
{
	switch (r) {
	case LW_OK:
		return "ok";
	case LW_TIMEOUT:
		return "timeout";
	case LW_CLOSED:
		return "connection closed";
	case LW_CANCELLED:
		return "cancelled";
	case LW_IO:
		return "socket error";
	}
	return "?";
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t deadline)
{
	int64_t left = deadline - now_ms();
	return left <= 0 ? 0 : (int)(left > 86400000 ? 86400000 : left);
}

static bool closed_errno(int e)
{
	return e == EPIPE || e == ECONNRESET || e == ENOTCONN;
}

int lw_connect(const char *path, unsigned timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	int64_t deadline = now_ms() + timeout_ms;
	/* A full backlog answers EAGAIN on a Unix socket: retry until the
	 * deadline rather than block. */
	for (;;) {
		if (connect(fd, (const struct sockaddr *)&sa, sizeof sa) == 0)
			return fd;
		int e = errno;
		if ((e == EAGAIN || e == EINTR) && left_ms(deadline) > 0) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
			continue;
		}
		close(fd);
		errno = e;
		return -1;
	}
}

/* Waits until fd has `events` or cancel_fd is readable, up to the deadline. */
static lw_result wait_fd(int fd, short events, int64_t deadline, int cancel_fd)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = events },
				       { .fd = cancel_fd, .events = POLLIN } };
		int n = poll(p, cancel_fd >= 0 ? 2 : 1, left_ms(deadline));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return LW_IO;
		}
		/* Readable or hung up: either way the canceller has spoken. */
		if (cancel_fd >= 0 && p[1].revents != 0)
			return LW_CANCELLED;
		if (n == 0)
			return LW_TIMEOUT;
		if (p[0].revents & (events | POLLHUP | POLLERR))
			return LW_OK;	/* the read or write that follows tells which */
		if (p[0].revents & POLLNVAL)
			return LW_IO;
	}
}

static lw_result send_all(int fd, const uint8_t *buf, size_t len, int64_t deadline)
{
	size_t done = 0;
	while (done < len) {
		ssize_t w = send(fd, buf + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			lw_result r = wait_fd(fd, POLLOUT, deadline, -1);
			if (r != LW_OK)
				return r == LW_TIMEOUT && done > 0 ? LW_IO : r;
			continue;
		}
		return w < 0 && closed_errno(errno) ? LW_CLOSED : LW_IO;
	}
	return LW_OK;
}

lw_result lw_send(int fd, uint32_t command, const void *body, size_t body_len,
		  unsigned timeout_ms)
{
	/* One buffer, one send in the usual case: pcscd reads the header and
	 * the body with separate reads, but a single write keeps the message
	 * whole if we are interrupted. */
	uint8_t msg[8 + 64];
	if (body_len > sizeof msg - 8)
		return LW_IO;
	uint32_t size = (uint32_t)body_len;
	memcpy(msg, &size, 4);
	memcpy(msg + 4, &command, 4);
	if (body_len > 0)
		memcpy(msg + 8, body, body_len);
	return send_all(fd, msg, 8 + body_len, now_ms() + timeout_ms);
}

lw_result lw_recv(int fd, void *buf, size_t len, unsigned timeout_ms, int cancel_fd)
{
	int64_t deadline = now_ms() + timeout_ms;
	uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t r = recv(fd, p + done, len - done, MSG_DONTWAIT);
		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		if (r == 0)
			return LW_CLOSED;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return closed_errno(errno) ? LW_CLOSED : LW_IO;
		lw_result w = wait_fd(fd, POLLIN, deadline, cancel_fd);
		if (w == LW_TIMEOUT && done > 0)
			return LW_IO;	/* half a message: the stream is out of step */
		if (w != LW_OK)
			return w;
	}
	return LW_OK;
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);	/* host byte order, as pcscd writes its structs */
	return v;
}

void lw_decode_states(const uint8_t raw[LW_STATES_SIZE],
		      lw_reader_state out[PCSCLITE_MAX_READERS_CONTEXTS])
{
	for (unsigned i = 0; i < PCSCLITE_MAX_READERS_CONTEXTS; i++) {
		const uint8_t *e = raw + (size_t)i * LW_READER_STATE_SIZE;
		lw_reader_state *s = &out[i];
		memcpy(s->readerName, e + LW_OFF_NAME, MAX_READERNAME);
		s->readerName[MAX_READERNAME - 1] = '\0';
		s->eventCounter = get_u32(e + LW_OFF_EVENT_COUNTER);
		s->readerState = get_u32(e + LW_OFF_READER_STATE);
		s->readerSharing = (int32_t)get_u32(e + LW_OFF_READER_SHARING);
		memcpy(s->cardAtr, e + LW_OFF_CARD_ATR, MAX_ATR_SIZE);
		s->cardAtrLength = get_u32(e + LW_OFF_CARD_ATR_LENGTH);
		if (s->cardAtrLength > MAX_ATR_SIZE)
			s->cardAtrLength = MAX_ATR_SIZE;
		s->cardProtocol = get_u32(e + LW_OFF_CARD_PROTOCOL);
	}
}

void lw_encode_triple(uint8_t out[LW_TRIPLE_SIZE], uint32_t a, uint32_t b, uint32_t c)
{
	memcpy(out, &a, 4);
	memcpy(out + 4, &b, 4);
	memcpy(out + 8, &c, 4);
}

void lw_decode_triple(const uint8_t in[LW_TRIPLE_SIZE], uint32_t *a, uint32_t *b, uint32_t *c)
{
	*a = get_u32(in);
	*b = get_u32(in + 4);
	*c = get_u32(in + 8);
}
