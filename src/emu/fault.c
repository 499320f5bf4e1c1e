/* ccidlab — faults: the kind table, the "kind[:arg][@count]" form, and
 * the per-device fault set (fault.h, device.h "faults").
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/device_priv.h"

typedef struct kind_info {
	const char *name;
	uint32_t def;		/* arg when none is given */
	uint32_t max;		/* largest arg accepted */
	bool one_shot;		/* acts when set, never kept */
} kind_info;

/* Indexed by emu_fault_kind; the meanings are in fault.h. */
static const kind_info kinds[EMU_FAULT_KIND_COUNT] = {
	[EMU_FAULT_MUTE_AT_POWER_ON] = { "mute-power-on", 0, 0, false },
	[EMU_FAULT_BAD_ATR] = { "bad-atr", 0, 0, false },
	[EMU_FAULT_SLOW] = { "slow", 1000, 600000, false },
	[EMU_FAULT_FAIL] = { "fail", CCID_ERR_HW_ERROR, 0xFF, false },
	[EMU_FAULT_WRONG_SEQ] = { "wrong-seq", 0x80, 0xFF, false },
	[EMU_FAULT_WRONG_SLOT] = { "wrong-slot", 1, 0xFF, false },
	[EMU_FAULT_TRUNCATE] = { "truncate", 1, 65536, false },
	[EMU_FAULT_LONG_LENGTH] = { "long-length", 1, 0x7FFFFFFF, false },
	[EMU_FAULT_GARBAGE] = { "garbage", 16, 65536, false },
	[EMU_FAULT_TIMEOUT] = { "timeout", 0, 600000, false },
	[EMU_FAULT_DEVICE_GONE] = { "device-gone", 0, 0, false },
	[EMU_FAULT_REMOVE_IN_XFR] = { "remove-in-xfr", 0, 0, false },
	[EMU_FAULT_SPURIOUS_NOTIFY] = { "spurious-notify", 0, 0, true },
	[EMU_FAULT_DROP_NOTIFY] = { "drop-notify", 0, 0, false },
	[EMU_FAULT_HW_ERROR] = { "hw-error", 1, 0xFF, true },
	[EMU_FAULT_GHOST_ANSWER] = { "ghost-answer", 0, 0, false },
};

const char *emu_fault_kind_name(emu_fault_kind k)
{
	if ((unsigned)k >= EMU_FAULT_KIND_COUNT)
		return "unknown";
	return kinds[k].name;
}

bool emu_fault_kind_from_name(const char *name, emu_fault_kind *out)
{
	for (unsigned k = 0; k < EMU_FAULT_KIND_COUNT; k++) {
		if (strcmp(kinds[k].name, name) == 0) {
			*out = (emu_fault_kind)k;
			return true;
		}
	}
	return false;
}

uint32_t emu_fault_arg(const emu_fault *f)
{
	if (f->has_arg || (unsigned)f->kind >= EMU_FAULT_KIND_COUNT)
		return f->arg;
	return kinds[f->kind].def;
}

/* A whole decimal or 0x-hex number up to max. */
static bool parse_number(const char *s, uint64_t max, uint64_t *out)
{
	if (*s == '\0' || *s == '-' || *s == '+' || g_ascii_isspace(*s))
		return false;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

bool emu_fault_parse_count(const char *s, const char *count, unsigned *out, GError **error)
{
	uint64_t n;

	if (!parse_number(count, 1000000000u, &n) || n == 0) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
			    "fault \"%s\": count \"%s\" is not a number 1..1000000000", s, count);
		return false;
	}
	*out = (unsigned)n;
	return true;
}

bool emu_fault_parse_arg(const char *s, const char *kind, unsigned max, const char *arg,
			 uint32_t *out, GError **error)
{
	uint64_t v;

	if (max == 0) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "fault \"%s\": %s takes no argument",
			    s, kind);
		return false;
	}
	if (!parse_number(arg, max, &v)) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
			    "fault \"%s\": argument \"%s\" is not a number 0..%u", s, arg, max);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

bool emu_fault_parse(const char *s, emu_fault *out, GError **error)
{
	g_return_val_if_fail(s != NULL && out != NULL, FALSE);

	/* Limit: a fault string is a word, not a document. */
	if (strlen(s) > 64) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "fault \"%.16s...\": too long", s);
		return false;
	}
	g_autofree char *copy = g_strdup(s);
	emu_fault f = { 0 };

	char *at = strchr(copy, '@');
	if (at != NULL) {
		*at++ = '\0';
		if (!emu_fault_parse_count(s, at, &f.count, error))
			return false;
	}
	char *colon = strchr(copy, ':');
	if (colon != NULL)
		*colon++ = '\0';
	if (!emu_fault_kind_from_name(copy, &f.kind)) {
		g_autoptr(GString) names = g_string_new(NULL);
		for (unsigned k = 0; k < EMU_FAULT_KIND_COUNT; k++)
			g_string_append_printf(names, "%s%s", k ? ", " : "", kinds[k].name);
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
			    "fault \"%s\": unknown kind \"%s\" (one of: %s)", s, copy, names->str);
		return false;
	}
	if (colon != NULL) {
		const kind_info *ki = &kinds[f.kind];
		if (!emu_fault_parse_arg(s, ki->name, ki->max, colon, &f.arg, error))
			return false;
		f.has_arg = true;
	}
	*out = f;
	return true;
}

int emu_fault_format(const emu_fault *f, char *buf, size_t cap)
{
	const char *name = emu_fault_kind_name(f->kind);
	bool with_arg = (unsigned)f->kind < EMU_FAULT_KIND_COUNT && kinds[f->kind].max != 0;
	char arg[16] = "";
	char count[16] = "";

	if (with_arg)
		snprintf(arg, sizeof arg, ":%u", emu_fault_arg(f));
	if (f->count != EMU_FAULT_FOREVER)
		snprintf(count, sizeof count, "@%u", f->count);
	return snprintf(buf, cap, "%s%s%s", name, arg, count);
}

/* ---- the device's fault set ---- */

bool emu_device_fault_set(emu_device *dev, int slot, const emu_fault *f, GError **error)
{
	g_return_val_if_fail(dev != NULL && f != NULL, FALSE);

	if ((unsigned)f->kind >= EMU_FAULT_KIND_COUNT) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "unknown fault kind %d", f->kind);
		return false;
	}
	emu_device_lock(dev);
	bool ok = true;
	if (slot < -1 || (slot >= 0 && (unsigned)slot >= dev->nslots)) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "%s: no slot %d (the reader has %u)",
			    dev->name, slot, dev->nslots);
		ok = false;
		goto out;
	}

	/* One-shot kinds act now (all slots for the reader-wide form). */
	if (f->kind == EMU_FAULT_SPURIOUS_NOTIFY || f->kind == EMU_FAULT_HW_ERROR) {
		unsigned from = slot < 0 ? 0 : (unsigned)slot;
		unsigned to = slot < 0 ? dev->nslots : (unsigned)slot + 1;
		for (unsigned i = from; i < to; i++) {
			if (f->kind == EMU_FAULT_SPURIOUS_NOTIFY)
				emu_slot_queue_notify_locked(dev, i, 0);
			else
				emu_slot_queue_hw_error_locked(dev, i, (uint8_t)emu_fault_arg(f));
		}
		goto out;
	}

	for (guint i = 0; i < dev->faults->len; i++) {
		emu_fault_entry *e = &g_array_index(dev->faults, emu_fault_entry, i);
		if (e->slot == slot && e->fault.kind == f->kind) {
			e->fault = *f;
			goto out;
		}
	}
	if (dev->faults->len >= EMU_DEVICE_MAX_FAULTS) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "%s: more than %u faults",
			    dev->name, EMU_DEVICE_MAX_FAULTS);
		ok = false;
		goto out;
	}
	emu_fault_entry e = { slot, *f };
	g_array_append_val(dev->faults, e);
out:
	/* Waiters re-check: a gone device ends every wait at once. */
	g_cond_broadcast(&dev->cond);
	emu_device_unlock(dev);
	return ok;
}

unsigned emu_device_fault_clear(emu_device *dev, int slot, int kind)
{
	g_return_val_if_fail(dev != NULL, 0);

	unsigned n = 0;
	emu_device_lock(dev);
	for (guint i = dev->faults->len; i-- > 0;) {
		emu_fault_entry *e = &g_array_index(dev->faults, emu_fault_entry, i);
		if ((slot == EMU_DEVICE_ALL_SLOTS || e->slot == slot) &&
		    (kind < 0 || (int)e->fault.kind == kind)) {
			g_array_remove_index(dev->faults, i);
			n++;
		}
	}
	g_cond_broadcast(&dev->cond);
	emu_device_unlock(dev);
	return n;
}

size_t emu_device_fault_list(emu_device *dev, emu_fault_entry *out, size_t cap)
{
	g_return_val_if_fail(dev != NULL, 0);

	emu_device_lock(dev);
	size_t n = dev->faults->len;
	for (size_t i = 0; i < n && i < cap; i++)
		out[i] = g_array_index(dev->faults, emu_fault_entry, i);
	emu_device_unlock(dev);
	return n;
}

emu_fault_entry *emu_fault_find_locked(emu_device *dev, unsigned slot, emu_fault_kind kind)
{
	emu_fault_entry *reader = NULL;

	for (guint i = 0; i < dev->faults->len; i++) {
		emu_fault_entry *e = &g_array_index(dev->faults, emu_fault_entry, i);
		if (e->fault.kind != kind)
			continue;
		if (e->slot >= 0 && (unsigned)e->slot == slot)
			return e;
		if (e->slot < 0 && reader == NULL)
			reader = e;
	}
	return reader;
}

void emu_fault_consume_locked(emu_device *dev, emu_fault_entry *e)
{
	if (e->fault.count == EMU_FAULT_FOREVER || e->fault.kind == EMU_FAULT_DEVICE_GONE)
		return;
	if (--e->fault.count > 0)
		return;
	guint i = (guint)(e - &g_array_index(dev->faults, emu_fault_entry, 0));
	g_array_remove_index(dev->faults, i);
}

bool emu_fault_take_locked(emu_device *dev, unsigned slot, emu_fault_kind kind, uint32_t *arg)
{
	emu_fault_entry *e = emu_fault_find_locked(dev, slot, kind);

	if (e == NULL)
		return false;
	*arg = emu_fault_arg(&e->fault);
	emu_fault_consume_locked(dev, e);
	return true;
}

bool emu_fault_device_gone_locked(emu_device *dev)
{
	for (guint i = 0; i < dev->faults->len; i++) {
		if (g_array_index(dev->faults, emu_fault_entry, i).fault.kind ==
		    EMU_FAULT_DEVICE_GONE)
			return true;
	}
	return false;
}
