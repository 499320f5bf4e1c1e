/* ccidlab — host operations and their invariants (fuzz_hostops.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/message.h"
#include "ccid/pinmask.h"
#include "ccid/result.h"
#include "fuzz_hostops.h"
#include "vclock.h"

/* FUZZ_HOSTOPS_DEBUG=1: each operation's result on stderr, for writing
 * seeds (mkseeds.py). */
static void debug(const char *what, unsigned slot, int rc, size_t len)
{
	static int on = -1;
	if (on < 0)
		on = getenv("FUZZ_HOSTOPS_DEBUG") != NULL;
	if (on)
		fprintf(stderr, "hostops: %s slot %u: %s, %zu bytes\n", what, slot,
			ccid_result_name(rc), len);
}

/* A read's timeout is rounded up to the next ms, a command has a few
 * reads: what the clock may run past a deadline. */
#define SLACK_MS 100

/* One command at most: the cap, then the abort after a timeout (CCID
 * 1.1 §5.3.1: HOST_ABORT_WAIT_MS at most, never past one read). */
static gint64 command_bound_us(host_reader *r, unsigned cap_ms)
{
	return ((gint64)cap_ms + HOST_ABORT_WAIT_MS + SLACK_MS) * 1000;
}

/* A broken invariant: said on stderr, then the target dies. */
#define FAIL(...) do { fprintf(stderr, "hostops: " __VA_ARGS__); fputc('\n', stderr); \
		       abort(); } while (0)

bool hostops_check_caps = true;

static void check_within_at(gint64 start, gint64 bound_us, const char *what)
{
	gint64 took = vclock_now() - start;
	if (!hostops_check_caps)
		return;
	if (took > bound_us)
		FAIL("%s took %" G_GINT64_FORMAT " ms, over its bound of %" G_GINT64_FORMAT " ms",
		     what, took / 1000, bound_us / 1000);
}
#define check_within(start, bound) check_within_at((start), (bound), __func__)

/* The trace hook: every outgoing frame through the PIN finder (the
 * driver's trace path), read as each level would; a range must lie
 * inside the frame's abData. */
#define N_READINGS 5
static ccid_pinmask trace_state[N_READINGS];

static void trace_cb(void *data, int dir, const uint8_t *buf, size_t len)
{
	static const ccid_exchange_level levels[N_READINGS] = {
		CCID_LEVEL_CHARACTER, CCID_LEVEL_TPDU, CCID_LEVEL_TPDU, CCID_LEVEL_SHORT_APDU,
		CCID_LEVEL_EXTENDED_APDU,
	};
	ccid_pinmask *st = data;

	if (dir != HOST_TRACE_OUT)
		return;
	for (unsigned i = 0; i < N_READINGS; i++) {
		size_t off = 0, n = 0;
		ccid_pinmask_find(&st[i], levels[i], i == 2, buf, len, &off, &n);
		if (n > 0 && (off < CCID_HEADER_SIZE || off + n > len))
			FAIL("a PIN range %zu+%zu outside a %zu-byte frame", off, n, len);
	}
}

void hostops_setup(host_reader *r, const fdev *d)
{
	host_reader_set_timeout(r, fdev_timeout_ms(d));
	host_reader_set_timeout_cap(r, fdev_cap_ms(d));
	host_reader_set_pin_timeout_cap(r, fdev_cap_ms(d) * 2);
}

static uint8_t *buffer(size_t cap)
{
	return malloc(cap ? cap : 1);
}

static void power(host_reader *r, const fdev_op *op)
{
	unsigned cap = host_reader_timeout_cap(r);
	gint64 t0 = vclock_now();

	if (op->flags & 0x10u) {
		host_slot_power_off(r, op->slot);
		check_within(t0, command_bound_us(r, cap));
		return;
	}
	uint8_t *atr = buffer(CCID_ATR_MAX);
	size_t len = 0;
	int rc = host_slot_power_on(r, op->slot, atr, CCID_ATR_MAX, &len);
	debug("power on", op->slot, rc, len);
	/* Up to three voltages, a PowerOff between two tries. */
	check_within(t0, 5 * command_bound_us(r, cap));
	if (rc == CCID_OK && len > CCID_ATR_MAX)
		FAIL("an ATR of %zu bytes", len);
	size_t kept = 0;
	host_slot_atr(r, op->slot, &kept);
	if (kept > CCID_ATR_MAX)
		FAIL("an ATR of %zu bytes kept", kept);
	free(atr);
}

static void transmit(host_reader *r, const fdev_op *op)
{
	unsigned cap = host_reader_timeout_cap(r);
	uint8_t *rsp = buffer(op->arg);
	size_t len = 0;
	gint64 t0 = vclock_now();
	int rc = host_slot_transmit(r, op->slot, op->data, op->len, rsp, op->arg, &len);
	debug("transmit", op->slot, rc, len);
	/* A protocol chosen first (PPS, SetParameters, S(IFS)), then the
	 * APDU within its cap and the abort of its last command. */
	check_within(t0, 16 * command_bound_us(r, cap));
	if (rc == CCID_OK && len > op->arg)
		FAIL("a response of %zu bytes for a buffer of %u", len, op->arg);
	free(rsp);
}

static void data_command(host_reader *r, const fdev_op *op)
{
	bool secure = op->kind == FDEV_OP_SECURE;
	unsigned cap = secure ? host_reader_pin_timeout_cap(r) : host_reader_timeout_cap(r);
	uint8_t *out = buffer(op->arg);
	size_t len = 0;
	gint64 t0 = vclock_now();
	int rc = secure ? host_secure(r, op->slot, op->data, op->len, out, op->arg, &len)
			: host_escape(r, op->slot, op->data, op->len, out, op->arg, &len);
	debug(secure ? "secure" : "escape", op->slot, rc, len);
	check_within(t0, command_bound_us(r, cap));
	if (rc == CCID_OK && len > op->arg)
		FAIL("%zu bytes for a buffer of %u", len, op->arg);
	free(out);
}

static void slot_status(host_reader *r, const fdev_op *op)
{
	ccid_icc_status icc = CCID_ICC_ABSENT;
	gint64 t0 = vclock_now();

	if (op->flags & 0x10u) {
		/* The driver's open and close bound: everything by the end. */
		gint64 end = t0 + (gint64)(op->flags >> 5) * 250 * 1000 + 1000;
		host_slot_status_by(r, op->slot, end, &icc);
		check_within(t0, end - t0 + SLACK_MS * 1000);
		return;
	}
	if (host_slot_status(r, op->slot, &icc) == CCID_OK && icc > CCID_ICC_ABSENT)
		FAIL("slot status %d", icc);
	check_within(t0, command_bound_us(r, host_reader_timeout_cap(r)));
}

static void interrupt_wait(host_reader *r, const fdev_op *op)
{
	ccid_interrupt in;
	gint64 t0 = vclock_now();
	unsigned ms = op->arg * 10u;

	int rc = host_interrupt_wait(r, ms, &in);
	debug("interrupt", 0, rc, rc == CCID_OK ? in.bMessageType : 0);
	check_within(t0, ((gint64)ms + SLACK_MS) * 1000);
	if (rc == CCID_OK && in.bMessageType == CCID_RDR_TO_PC_NOTIFY_SLOT_CHANGE &&
	    in.u.notify.nslots > host_reader_slots(r))
		FAIL("a NotifySlotChange of %u slots", in.u.notify.nslots);
}

void hostops_run(host_reader *r, const fdev_op *op)
{
	switch (op->kind) {
	case FDEV_OP_POWER:
		power(r, op);
		break;
	case FDEV_OP_SET_PROTOCOL: {
		gint64 t0 = vclock_now();
		debug("set protocol", op->slot, host_slot_set_protocol(r, op->slot, op->arg & 1u), 0);
		check_within(t0, 16 * command_bound_us(r, host_reader_timeout_cap(r)));
		break;
	}
	case FDEV_OP_TRANSMIT:
		transmit(r, op);
		break;
	case FDEV_OP_ESCAPE:
	case FDEV_OP_SECURE:
		data_command(r, op);
		break;
	case FDEV_OP_SLOT_STATUS:
		slot_status(r, op);
		break;
	case FDEV_OP_INTERRUPT_WAIT:
		interrupt_wait(r, op);
		break;
	case FDEV_OP_TRACE:
		memset(trace_state, 0, sizeof trace_state);
		host_reader_set_trace(r, (op->flags & 0x10u) ? trace_cb : NULL, trace_state);
		break;
	}
}

void hostops_run_all(host_reader *r, fdev *d)
{
	fdev_op op;

	while (fdev_next_op(d, &op))
		hostops_run(r, &op);
}
