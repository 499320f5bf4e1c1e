/* ccidlab — the emulated reader as an object: creation from a profile,
 * references, the lock (with the delivery of the edges stamped under it),
 * and the options (name, latch, keypad, escape table).
 */
#include "config.h"

#include <string.h>

#include "ccid/result.h"
#include "ccid/quirks.h"
#include "emu/device_priv.h"

static gint next_id = 0;

void emu_device_lock(emu_device *dev)
{
	g_mutex_lock(&dev->lock);
}

void emu_device_unlock(emu_device *dev)
{
	GArray *out = NULL;

	if (dev->outbox->len > 0) {
		out = dev->outbox;
		dev->outbox = g_array_new(FALSE, FALSE, sizeof(emu_event));
	}
	g_mutex_unlock(&dev->lock);
	for (guint i = 0; out != NULL && i < out->len; i++)
		emu_events_deliver(&g_array_index(out, emu_event, i));
	if (out != NULL)
		g_array_unref(out);
}

static void escape_free(gpointer p)
{
	emu_escape *e = p;

	g_bytes_unref(e->req);
	g_bytes_unref(e->rsp);
	g_free(e);
}

emu_device *emu_device_new(const emu_profile *p, GError **error)
{
	g_return_val_if_fail(p != NULL, NULL);

	if (!p->emulatable) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_UNSUPPORTED, "%s: not emulatable: %s",
			    p->name != NULL ? p->name : "profile",
			    p->unsupported_reason != NULL ? p->unsupported_reason : "no reason given");
		return NULL;
	}
	ccid_class_desc desc;
	ccid_class_facts facts;
	int rc = ccid_descriptor_decode_class(p->class_desc, sizeof p->class_desc, &desc, &facts);
	if (rc != CCID_OK) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "%s: class descriptor: %s",
			    p->name != NULL ? p->name : "profile", ccid_result_name(rc));
		return NULL;
	}
	/* A reader must carry at least a header and a short answer. */
	if (desc.dwMaxCCIDMessageLength < CCID_HEADER_SIZE + 2) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_UNSUPPORTED,
			    "%s: dwMaxCCIDMessageLength %u is too small to answer anything",
			    p->name != NULL ? p->name : "profile", desc.dwMaxCCIDMessageLength);
		return NULL;
	}

	emu_device *dev = g_new0(emu_device, 1);
	dev->refcount = 1;
	dev->id = (unsigned)g_atomic_int_add(&next_id, 1) + 1;
	dev->profile = emu_profile_copy(p);
	g_strlcpy(dev->name, p->name != NULL ? p->name : "emu", sizeof dev->name);
	dev->desc = desc;
	/* The reader behaves as the real one does: where the quirk table
	 * knows its firmware runs another exchange level than its descriptor
	 * claims, so does the emulation (and the host engine, which reads the
	 * same table, agrees with it). */
	const ccid_quirk *q = ccid_quirks_find(p->idVendor, p->idProduct, p->bcdDevice);
	facts.level = ccid_quirks_level(q, facts.level);
	dev->facts = facts;
	dev->msg_max = ccid_quirks_message_length(q, desc.dwMaxCCIDMessageLength);
	g_mutex_init(&dev->lock);
	g_cond_init(&dev->cond);
	dev->nslots = facts.slot_count;
	dev->slots = g_new0(emu_slot, dev->nslots);
	for (unsigned i = 0; i < dev->nslots; i++)
		emu_slot_init(&dev->slots[i]);
	g_queue_init(&dev->pending);
	g_queue_init(&dev->irqs);
	dev->faults = g_array_new(FALSE, FALSE, sizeof(emu_fault_entry));
	dev->keypad = g_strsplit("1234", ",", -1);
	dev->escapes = g_ptr_array_new_with_free_func(escape_free);
	dev->garbage_state = 0x9E3779B9u ^ dev->id;
	dev->outbox = g_array_new(FALSE, FALSE, sizeof(emu_event));
	return dev;
}

emu_device *emu_device_ref(emu_device *dev)
{
	g_return_val_if_fail(dev != NULL, NULL);
	g_atomic_int_inc(&dev->refcount);
	return dev;
}

void emu_device_unref(emu_device *dev)
{
	if (dev == NULL || !g_atomic_int_dec_and_test(&dev->refcount))
		return;
	for (unsigned i = 0; i < dev->nslots; i++)
		emu_slot_clear(&dev->slots[i]);
	g_free(dev->slots);
	g_queue_clear_full(&dev->pending, (GDestroyNotify)emu_pending_free);
	g_queue_clear_full(&dev->irqs, g_free);
	g_array_unref(dev->faults);
	g_strfreev(dev->keypad);
	g_ptr_array_unref(dev->escapes);
	g_array_unref(dev->outbox);
	emu_profile_free(dev->profile);
	g_mutex_clear(&dev->lock);
	g_cond_clear(&dev->cond);
	g_free(dev);
}

unsigned emu_device_id(const emu_device *dev)
{
	return dev->id;
}

void emu_device_set_name(emu_device *dev, const char *name)
{
	g_return_if_fail(dev != NULL && name != NULL);
	emu_device_lock(dev);
	g_strlcpy(dev->name, name, sizeof dev->name);
	emu_device_unlock(dev);
}

void emu_device_name(emu_device *dev, char *buf, size_t cap)
{
	g_return_if_fail(dev != NULL && buf != NULL);
	emu_device_lock(dev);
	g_strlcpy(buf, dev->name, cap);
	emu_device_unlock(dev);
}

const emu_profile *emu_device_profile(const emu_device *dev)
{
	return dev->profile;
}

unsigned emu_device_slot_count(const emu_device *dev)
{
	return dev->nslots;
}

void emu_device_set_latch(emu_device *dev, bool latch)
{
	g_return_if_fail(dev != NULL);
	emu_device_lock(dev);
	dev->latch = latch;
	if (!latch) {
		for (unsigned i = 0; i < dev->nslots; i++)
			g_queue_clear_full(&dev->slots[i].latched, g_free);
	}
	emu_device_unlock(dev);
}

/* Limits on the keypad: entries and digits per entry. */
#define KEYPAD_MAX_ENTRIES 8
#define KEYPAD_MAX_DIGITS 32

bool emu_device_set_keypad(emu_device *dev, const char *sequence, GError **error)
{
	g_return_val_if_fail(dev != NULL && sequence != NULL, FALSE);

	g_auto(GStrv) entries = g_strsplit(sequence, ",", -1);
	guint n = g_strv_length(entries);
	if (n == 0 || n > KEYPAD_MAX_ENTRIES) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
			    "keypad \"%.32s\": 1 to %d entries separated by ','", sequence,
			    KEYPAD_MAX_ENTRIES);
		return false;
	}
	for (guint i = 0; i < n; i++) {
		const char *e = entries[i];
		if (strcmp(e, "cancel") == 0 || strcmp(e, "timeout") == 0)
			continue;
		size_t len = strlen(e);
		bool digits = len > 0 && len <= KEYPAD_MAX_DIGITS;
		for (size_t k = 0; digits && k < len; k++)
			digits = g_ascii_isdigit(e[k]);
		if (!digits) {
			g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
				    "keypad entry %u \"%.40s\": 1 to %d digits, \"cancel\" or "
				    "\"timeout\"",
				    i, e, KEYPAD_MAX_DIGITS);
			return false;
		}
	}
	emu_device_lock(dev);
	g_strfreev(dev->keypad);
	dev->keypad = g_steal_pointer(&entries);
	emu_device_unlock(dev);
	return true;
}

bool emu_device_escape_add(emu_device *dev, const uint8_t *req, size_t req_len,
			   const uint8_t *rsp, size_t rsp_len, GError **error)
{
	g_return_val_if_fail(dev != NULL, FALSE);
	g_return_val_if_fail((req != NULL || req_len == 0) && (rsp != NULL || rsp_len == 0), FALSE);

	if (req_len > EMU_DEVICE_MAX_ESCAPE_LEN || rsp_len > EMU_DEVICE_MAX_ESCAPE_LEN ||
	    rsp_len + CCID_HEADER_SIZE > dev->msg_max) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED,
			    "escape: request %zu / reply %zu bytes: over the limit", req_len,
			    rsp_len);
		return false;
	}
	GBytes *key = g_bytes_new(req, req_len);
	emu_device_lock(dev);
	bool ok = true;
	guint i;
	for (i = 0; i < dev->escapes->len; i++) {
		emu_escape *e = g_ptr_array_index(dev->escapes, i);
		if (g_bytes_equal(e->req, key))
			break;
	}
	if (i < dev->escapes->len) {
		emu_escape *e = g_ptr_array_index(dev->escapes, i);
		g_bytes_unref(e->rsp);
		e->rsp = g_bytes_new(rsp, rsp_len);
	} else if (dev->escapes->len >= EMU_DEVICE_MAX_ESCAPES) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "escape: more than %u entries",
			    EMU_DEVICE_MAX_ESCAPES);
		ok = false;
	} else {
		emu_escape *e = g_new(emu_escape, 1);
		e->req = g_bytes_ref(key);
		e->rsp = g_bytes_new(rsp, rsp_len);
		g_ptr_array_add(dev->escapes, e);
	}
	emu_device_unlock(dev);
	g_bytes_unref(key);
	return ok;
}

void emu_device_escape_clear(emu_device *dev)
{
	g_return_if_fail(dev != NULL);
	emu_device_lock(dev);
	g_ptr_array_set_size(dev->escapes, 0);
	emu_device_unlock(dev);
}
