/* ccidlab — a reader over a transport: opening it from its descriptors,
 * its settings and counters.  The command/response loop is command.c. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ccid/errmap.h"
#include "ccid/quirks.h"
#include "ccid/rates.h"
#include "host/reader_priv.h"

#define CONFIG_DESC_MAX 4096

static int read_descriptors(host_reader *r, char *why, size_t why_len)
{
	uint8_t buf[CONFIG_DESC_MAX];
	size_t len = 0;
	ccid_interface ifaces[8];
	size_t n = 0;

	int rc = r->t.ops->config_descriptor(r->t.dev, buf, sizeof buf, &len);
	if (rc != CCID_OK) {
		snprintf(why, why_len, "cannot read the configuration descriptor: %s",
			 ccid_result_name(rc));
		return rc;
	}
	rc = ccid_descriptor_parse_config(buf, len, ifaces, G_N_ELEMENTS(ifaces), &n);
	if (rc != CCID_OK || n == 0) {
		snprintf(why, why_len, "no CCID interface in the configuration descriptor: %s",
			 rc != CCID_OK ? ccid_result_name(rc) : "none found");
		return rc != CCID_OK ? rc : CCID_E_MALFORMED;
	}
	/* The transport's own interface (a composite device has others, a
	 * multi-interface reader other CCID ones); else the first CCID one. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			if (ifaces[i].kind != CCID_KIND_CCID || ifaces[i].bAlternateSetting != 0)
				continue;
			if (pass == 0 && ifaces[i].bInterfaceNumber != r->info.bInterfaceNumber)
				continue;
			r->iface = ifaces[i];
			return CCID_OK;
		}
	snprintf(why, why_len, "only ICCD interfaces (control-pipe protocol) are offered");
	return CCID_E_UNSUPPORTED;
}

/* GET_DATA_RATES / GET_CLOCK_FREQUENCIES: a stall or junk only loses the
 * list; the descriptor's dwMaxDataRate still bounds the choice. */
static void read_list(host_reader *r, uint8_t bRequest, unsigned declared, uint32_t *out,
		      size_t *n_out)
{
	uint8_t reply[4 * 256];
	size_t len = 0;
	unsigned flags = 0;

	*n_out = 0;
	if (r->t.ops->control(r->t.dev, bRequest, 0, reply, sizeof reply, &len,
			      r->timeout_ms) != CCID_OK)
		return;
	ccid_rates_decode(reply, len, declared, out, HOST_MAX_RATES, n_out, &flags);
}

host_reader *host_reader_open(transport t, char *why, size_t why_len)
{
	if (transport_check(t.ops) != CCID_OK) {
		snprintf(why, why_len, "transport %s lacks a mandatory member",
			 t.ops && t.ops->name ? t.ops->name : "(null)");
		return NULL;
	}
	host_reader *r = g_new0(host_reader, 1);
	r->t = t;
	r->timeout_ms = HOST_DEFAULT_TIMEOUT_MS;
	r->cap_ms = HOST_DEFAULT_CAP_MS;
	r->pin_cap_ms = HOST_DEFAULT_PIN_CAP_MS;
	g_mutex_init(&r->lock);
	g_mutex_init(&r->out_lock);
	g_cond_init(&r->cond);
	g_queue_init(&r->place_queue);
	if (t.ops->info(t.dev, &r->info) != CCID_OK)
		memset(&r->info, 0, sizeof r->info);
	if (read_descriptors(r, why, why_len) != CCID_OK) {
		host_reader_close(r);
		return NULL;
	}
	const ccid_class_desc *d = &r->iface.desc;
	if (r->iface.facts.max_block_payload == 0) {
		snprintf(why, why_len, "dwMaxCCIDMessageLength %u leaves no room for data",
			 d->dwMaxCCIDMessageLength);
		host_reader_close(r);
		return NULL;
	}
	/* Firmware that runs another exchange level than its descriptor
	 * says, or needs other care (CCID quirk table, keyed by VID/PID and
	 * bcdDevice). */
	const ccid_quirk *q = ccid_quirks_find(r->info.idVendor, r->info.idProduct,
					       r->info.bcdDevice);
	r->iface.facts.level = ccid_quirks_level(q, r->iface.facts.level);
	r->quirk_flags = q != NULL ? q->flags : 0;
	r->msg_max = ccid_quirks_message_length(q, d->dwMaxCCIDMessageLength);
	r->limits.dwMaxCCIDMessageLength = r->msg_max;
	r->limits.bMaxSlotIndex = d->bMaxSlotIndex;
	read_list(r, CCID_REQ_GET_DATA_RATES, d->bNumDataRatesSupported, r->rates, &r->n_rates);
	read_list(r, CCID_REQ_GET_CLOCK_FREQUENCIES, d->bNumClockSupported, r->clocks,
		  &r->n_clocks);
	r->slots = g_new0(host_slot, r->iface.facts.slot_count);
	for (unsigned i = 0; i < r->iface.facts.slot_count; i++)
		r->slots[i].protocol = -1;
	r->removals = g_new0(unsigned, r->iface.facts.slot_count);
	r->scratch_cap = r->msg_max;
	r->scratch = g_malloc(r->scratch_cap);
	r->max_busy = MAX(1u, d->bMaxCCIDBusySlots);
	host_command_init(r);
	return r;
}

void host_reader_close(host_reader *r)
{
	if (r == NULL)
		return;
	if (r->t.ops != NULL && r->t.ops->close != NULL)
		r->t.ops->close(r->t.dev);
	host_command_clear(r);
	g_mutex_clear(&r->lock);
	g_mutex_clear(&r->out_lock);
	g_cond_clear(&r->cond);
	g_free(r->slots);
	g_free(r->removals);
	g_free(r->scratch);
	g_free(r);
}

uint32_t host_reader_message_length(const host_reader *r)
{
	return r->msg_max;
}

size_t host_payload_max(const host_reader *r)
{
	return r->msg_max > CCID_HEADER_SIZE ? r->msg_max - CCID_HEADER_SIZE : 0;
}

const ccid_interface *host_reader_interface(const host_reader *r)
{
	return &r->iface;
}

const transport_info *host_reader_info(const host_reader *r)
{
	return &r->info;
}

unsigned host_reader_slots(const host_reader *r)
{
	return r->iface.facts.slot_count;
}

bool host_reader_has_interrupt(const host_reader *r)
{
	return r->iface.has_interrupt_in && r->t.ops->interrupt_in != NULL;
}

const uint32_t *host_reader_rates(const host_reader *r, size_t *n)
{
	*n = r->n_rates;
	return r->rates;
}

const uint32_t *host_reader_clocks(const host_reader *r, size_t *n)
{
	*n = r->n_clocks;
	return r->clocks;
}

void host_reader_set_timeout(host_reader *r, unsigned ms)
{
	g_mutex_lock(&r->lock);
	r->timeout_ms = ms ? ms : HOST_DEFAULT_TIMEOUT_MS;
	g_mutex_unlock(&r->lock);
}

static unsigned cap_value(unsigned ms, unsigned dflt)
{
	return ms == 0 ? dflt : MIN(ms, HOST_MAX_CAP_MS);
}

void host_reader_set_timeout_cap(host_reader *r, unsigned ms)
{
	g_mutex_lock(&r->lock);
	r->cap_ms = cap_value(ms, HOST_DEFAULT_CAP_MS);
	g_mutex_unlock(&r->lock);
}

void host_reader_set_pin_timeout_cap(host_reader *r, unsigned ms)
{
	g_mutex_lock(&r->lock);
	r->pin_cap_ms = cap_value(ms, HOST_DEFAULT_PIN_CAP_MS);
	g_mutex_unlock(&r->lock);
}

unsigned host_reader_timeout_cap(const host_reader *r)
{
	g_mutex_lock((GMutex *)&r->lock);
	unsigned ms = r->cap_ms;
	g_mutex_unlock((GMutex *)&r->lock);
	return ms;
}

unsigned host_reader_pin_timeout_cap(const host_reader *r)
{
	g_mutex_lock((GMutex *)&r->lock);
	unsigned ms = r->pin_cap_ms;
	g_mutex_unlock((GMutex *)&r->lock);
	return ms;
}

unsigned host_reader_max_busy(const host_reader *r)
{
	return r->max_busy;
}

void host_reader_set_trace(host_reader *r, host_trace_fn cb, void *data)
{
	g_mutex_lock(&r->lock);
	r->trace = cb;
	r->trace_data = data;
	g_mutex_unlock(&r->lock);
}

void host_reader_stats(const host_reader *r, host_stats *out)
{
	g_mutex_lock((GMutex *)&r->lock);
	*out = r->stats;
	g_mutex_unlock((GMutex *)&r->lock);
}
