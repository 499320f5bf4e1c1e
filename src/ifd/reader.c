/* ccidlab — the table of readers, keyed by pcscd's reader number. */
#include "config.h"

#include <string.h>

#include <ifdhandler.h>

#include "ifd/ctl_glue.h"
#include "ifd/devname.h"
#include "ifd/emuspec.h"
#include "ifd/events.h"
#include "ifd/log.h"
#include "ifd/reader.h"
#include "ifd/usbopen.h"

#define LUN_READER(lun) ((unsigned)((lun) >> 16))
#define LUN_SLOT(lun) ((unsigned)((lun) & 0xFFFF))

/* pcscd calls the entry points of different readers from different
 * threads: the table has its own lock, taken only to find, add or drop a
 * reader, never across a command. */
static GMutex table_lock;
static ifd_reader *table[IFD_MAX_READERS];

ifd_reader *ifd_reader_get(unsigned long lun)
{
	unsigned n = LUN_READER(lun);
	ifd_reader *r = NULL;

	if (n >= IFD_MAX_READERS)
		return NULL;
	g_mutex_lock(&table_lock);
	r = table[n];
	g_mutex_unlock(&table_lock);
	if (r != NULL && LUN_SLOT(lun) >= r->n_slots)
		return NULL;
	return r;
}

static void reader_free(ifd_reader *r)
{
	if (r == NULL)
		return;
	if (r->timeline_run != NULL) {
		emu_timeline_run_stop(r->timeline_run);
		emu_timeline_run_free(r->timeline_run);
	}
	emu_timeline_free(r->timeline);
	g_free(r->scenario);
	ifd_events_stop(r);
	host_reader_close(r->host);
	if (r->emu != NULL)
		emu_device_unref(r->emu);
	for (unsigned i = 0; r->slots != NULL && i < r->n_slots; i++)
		g_queue_clear(&r->slots[i].reports);
	g_free(r->slots);
	g_free(r->polled_present);
	g_mutex_clear(&r->ev_lock);
	g_cond_clear(&r->ev_cond);
	g_free(r->devname);
	g_free(r->name);
	g_free(r);
}

static long reader_new(unsigned n, const char *devname, ifd_reader **out)
{
	ifd_devname dn;
	char why[256];

	if (ifd_devname_parse(devname, &dn, why, sizeof why) != 0) {
		ifd_error("reader %u: DEVICENAME '%s' refused: %s", n, devname ? devname : "(null)",
			  why);
		return IFD_COMMUNICATION_ERROR;
	}
	ifd_reader *r = g_new0(ifd_reader, 1);
	r->number = n;
	r->devname = g_strdup(devname);
	g_mutex_init(&r->ev_lock);
	g_cond_init(&r->ev_cond);
	/* The emulator parses the DEVICENAME again, quotes and all: what only
	 * quoting allows (a space in a path, a '+' in a catalogue name) would
	 * be refused in the unquoted text. */
	long rc = dn.scheme == IFD_DEVNAME_USB ? ifd_usb_open(r, dn.text) : ifd_emu_open(r, devname);
	if (rc != IFD_SUCCESS) {
		reader_free(r);
		return rc;
	}
	r->n_slots = r->null_reader ? r->n_slots_null : host_reader_slots(r->host);
	r->slots = g_new0(ifd_slot, r->n_slots);
	for (unsigned i = 0; i < r->n_slots; i++)
		g_queue_init(&r->slots[i].reports);
	if (r->null_reader)
		r->slots[0].reported_present = true;	/* its card never leaves */
	if (r->mode == IFD_MODE_POLL && r->emu == NULL && !r->null_reader)
		r->polled_present = g_new0(bool, r->n_slots);
	if (r->mode == IFD_MODE_EVENT)
		ifd_events_start(r);
	*out = r;
	return IFD_SUCCESS;
}

long ifd_reader_open(unsigned long lun, const char *devname)
{
	unsigned n = LUN_READER(lun), slot = LUN_SLOT(lun);
	ifd_reader *fresh = NULL;

	if (n >= IFD_MAX_READERS) {
		ifd_error("Lun 0x%lX: reader number %u is over %d", lun, n, IFD_MAX_READERS - 1);
		return IFD_COMMUNICATION_ERROR;
	}
	g_mutex_lock(&table_lock);
	ifd_reader *r = table[n];
	g_mutex_unlock(&table_lock);
	if (r == NULL) {
		/* Made outside the table lock: opening talks to the device. */
		long rc = reader_new(n, devname, &fresh);
		if (rc != IFD_SUCCESS)
			return rc;
		g_mutex_lock(&table_lock);
		if (table[n] == NULL)
			table[n] = fresh;
		r = table[n];
		g_mutex_unlock(&table_lock);
		if (r != fresh) {
			reader_free(fresh);
			fresh = NULL;
		}
	} else if (g_strcmp0(r->devname, devname) != 0) {
		ifd_error("Lun 0x%lX: reader %u is already '%s', not '%s'", lun, n, r->devname,
			  devname ? devname : "(null)");
		return IFD_COMMUNICATION_ERROR;
	}
	if (slot >= r->n_slots) {
		ifd_error("Lun 0x%lX: slot %u of '%s' does not exist (%u slots)", lun, slot,
			  r->devname, r->n_slots);
		return IFD_NO_SUCH_DEVICE;
	}
	g_mutex_lock(&r->ev_lock);
	if (!r->slots[slot].open) {
		r->slots[slot].open = true;
		r->open_slots++;
	}
	g_mutex_unlock(&r->ev_lock);
	if (fresh != NULL) {
		ifd_info("reader %u: '%s' open: %s, %u slot(s), %s mode", n, r->devname, r->name,
			 r->n_slots, r->mode == IFD_MODE_EVENT ? "event" : "polling-only");
		ifd_ctl_reader_opened(r);
		ifd_emu_start_scenario(r);
	}
	return IFD_SUCCESS;
}

long ifd_reader_close(unsigned long lun)
{
	unsigned n = LUN_READER(lun), slot = LUN_SLOT(lun);
	ifd_reader *r = ifd_reader_get(lun);

	if (r == NULL)
		return IFD_COMMUNICATION_ERROR;
	/* pcscd closes a channel after its polling thread is gone. */
	if (!r->removed && !r->null_reader)
		host_slot_power_off(r->host, slot);
	g_mutex_lock(&r->ev_lock);
	if (r->slots[slot].open) {
		r->slots[slot].open = false;
		r->open_slots--;
	}
	bool last = r->open_slots == 0;
	g_mutex_unlock(&r->ev_lock);
	if (!last)
		return IFD_SUCCESS;
	g_mutex_lock(&table_lock);
	table[n] = NULL;
	g_mutex_unlock(&table_lock);
	/* The interrupt thread traces frames: it ends before the server does. */
	ifd_events_stop(r);
	ifd_ctl_reader_closing(r);
	if (r->host != NULL) {
		/* What the reader went through, for bug reports and tests. */
		host_stats st;
		host_reader_stats(r->host, &st);
		ifd_info("reader %u: '%s' closed: %u commands, %u time extensions, %u WTX, "
			 "%u stale answers dropped, %u timeouts, %u aborts, %u answers handed "
			 "over, at most %u commands in flight", n, r->devname, st.commands,
			 st.time_extensions, st.wtx, st.stale_dropped, st.timeouts, st.aborts,
			 st.handed_over, st.max_in_flight);
	} else {
		ifd_info("reader %u: '%s' closed", n, r->devname);
	}
	reader_free(r);
	return IFD_SUCCESS;
}

emu_device *ifd_reader_find_emu(const char *name)
{
	emu_device *dev = NULL;

	g_mutex_lock(&table_lock);
	for (unsigned i = 0; i < IFD_MAX_READERS && dev == NULL; i++)
		if (table[i] != NULL && table[i]->emu != NULL && g_strcmp0(table[i]->name, name) == 0)
			dev = emu_device_ref(table[i]->emu);
	g_mutex_unlock(&table_lock);
	return dev;
}

size_t ifd_reader_foreach_info(void (*fill)(const ifd_reader *r, ctl_reader_info *out),
			       ctl_reader_info *out, size_t cap)
{
	size_t n = 0;

	g_mutex_lock(&table_lock);
	for (unsigned i = 0; i < IFD_MAX_READERS; i++) {
		if (table[i] == NULL)
			continue;
		if (n < cap)
			fill(table[i], &out[n]);
		n++;
	}
	g_mutex_unlock(&table_lock);
	return n;
}
