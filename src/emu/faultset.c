/* ccidlab — the fault set of an emulated reader (device.h "faults"):
 * the faults in effect per slot and per reader, how each use counts them
 * down, and the one-shot kinds that act when set.  Their kinds and string
 * form are fault.c's.
 */
#include "config.h"

#include "emu/device_priv.h"

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

/* The fault of that kind in effect for slot (slot's own first, then the
 * reader's), or NULL. */
static emu_fault_entry *emu_fault_find_locked(emu_device *dev, unsigned slot,
					      emu_fault_kind kind)
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

/* One use of a fault: counts it down, drops it at zero. */
static void emu_fault_consume_locked(emu_device *dev, emu_fault_entry *e)
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
