/* ccidlab — the control requests about readers (server_priv.h): hello,
 * list, insert, remove, swap, mute and unmute, device-add and
 * device-remove (a USB/IP server's readers); and the driver's
 * readers as every handler sees them, fetched from the directory on each
 * request, found by number or name. */
#include "config.h"

#include <string.h>
#ifdef HAVE_MALLINFO2
#include <malloc.h>
#endif
#include <unistd.h>

#include "ctl/server_priv.h"

/* The directory hands out at most this many readers (pcscd itself stops
 * at 16). */
#define MAX_READERS 4096u

void ctl_readers_clear(ctl_readers *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		ctl_reader_info_clear(&rs->v[i]);
	g_clear_pointer(&rs->v, g_free);
	rs->n = 0;
}

void ctl_readers_fetch(ctl_server *s, ctl_readers *rs)
{
	const ctl_directory *dir = &s->dir;
	size_t cap = 32;
	for (;;) {
		rs->v = g_new0(ctl_reader_info, cap);
		size_t n = dir->list(dir->data, rs->v, cap);
		if (n <= cap || cap >= MAX_READERS) {
			rs->n = MIN(n, cap);
			return;
		}
		/* Grew between calls: drop the references taken and ask again. */
		rs->n = cap;
		ctl_readers_clear(rs);
		cap = MIN(n + 8, (size_t)MAX_READERS);
	}
}

static ctl_reader_info *readers_find(ctl_readers *rs, const ctl_reader_ref *ref)
{
	for (size_t i = 0; i < rs->n; i++) {
		ctl_reader_info *ri = &rs->v[i];
		if (!ref->by_name && ri->number == ref->number)
			return ri;
		if (ref->by_name && strcmp(ri->name, ref->name) == 0)
			return ri;
	}
	return NULL;
}

static void ref_text(const ctl_reader_ref *ref, char *buf, size_t cap)
{
	if (ref->by_name)
		g_snprintf(buf, cap, "\"%s\"", ref->name);
	else
		g_snprintf(buf, cap, "%u", ref->number);
}

ctl_reader_info *ctl_readers_resolve(ctl_readers *rs, const ctl_reader_ref *ref, int slot,
				     bool need_emu, GError **error)
{
	char name[96];
	ref_text(ref, name, sizeof name);
	ctl_reader_info *ri = readers_find(rs, ref);
	if (ri == NULL) {
		GString *have = g_string_new(NULL);
		for (size_t i = 0; i < rs->n && i < 16; i++)
			g_string_append_printf(have, "%s%u (%s)", i ? ", " : "", rs->v[i].number,
					       rs->v[i].name);
		g_set_error(error, CTL_ERROR, CTL_ERROR_NOT_FOUND,
			    "no reader %s: the readers are %s (see \"list\")", name,
			    have->len ? have->str : "none");
		g_string_free(have, TRUE);
		return NULL;
	}
	if (need_emu && ri->emu == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_NOT_EMULATED,
			    "reader %s (%s) is a real reader: only emulated readers take this request",
			    name, ri->name);
		return NULL;
	}
	if (slot >= 0 && (unsigned)slot >= ri->n_slots) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_NOT_FOUND,
			    "reader %s has no slot %d: its slots are 0 to %u", name, slot,
			    ri->n_slots - 1);
		return NULL;
	}
	return ri;
}

bool ctl_with_reader(ctl_server *s, const ctl_request *r, int slot, bool need_emu,
		     ctl_reader_fn fn, void *data, GError **error)
{
	ctl_readers rs = { 0 };
	ctl_readers_fetch(s, &rs);
	ctl_reader_info *ri = ctl_readers_resolve(&rs, &r->reader, slot, need_emu, error);
	bool ok = ri != NULL && fn(s, r, ri, data, error);
	ctl_readers_clear(&rs);
	return ok;
}

void ctl_error_from_emu(const GError *emu_err, GError **error)
{
	g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_STATE, "%s", emu_err->message);
}

/* ---- edges counters, device → reader ---- */

/* The edge counters of one slot (server.c counts them as they come). */
static ctl_edge_count edge_count(ctl_server *s, unsigned reader_id, unsigned slot)
{
	ctl_edge_count out = { 0, 0 };
	gint64 key = ctl_edge_key(reader_id, slot);
	g_mutex_lock(&s->count_lock);
	const ctl_edge_entry *e = g_hash_table_lookup(s->counts, &key);
	if (e != NULL)
		out = e->count;
	g_mutex_unlock(&s->count_lock);
	return out;
}

static void refresh_map(ctl_server *s, const ctl_readers *rs)
{
	g_hash_table_remove_all(s->dev_to_reader);
	for (size_t i = 0; i < rs->n; i++) {
		const ctl_reader_info *ri = &rs->v[i];
		unsigned id = ri->edge_id != 0 ? ri->edge_id
			      : ri->emu != NULL ? emu_device_id(ri->emu) : 0;
		if (id != 0)
			g_hash_table_insert(s->dev_to_reader, GUINT_TO_POINTER(id),
					    GUINT_TO_POINTER(ri->number + 1));
	}
}

int ctl_server_reader_of(ctl_server *s, unsigned dev_id, bool *refreshed)
{
	gpointer v = g_hash_table_lookup(s->dev_to_reader, GUINT_TO_POINTER(dev_id));
	if (v == NULL && !*refreshed) {
		ctl_readers rs = { 0 };
		ctl_readers_fetch(s, &rs);
		refresh_map(s, &rs);
		ctl_readers_clear(&rs);
		*refreshed = true;
		v = g_hash_table_lookup(s->dev_to_reader, GUINT_TO_POINTER(dev_id));
	}
	return v == NULL ? -1 : (int)GPOINTER_TO_UINT(v) - 1;
}

/* ---- hello, list ---- */

/* ASan's and LSan's allocators answer this (a weak reference: it is NULL in
 * a process without one).  VmRSS of such a process follows the sanitizer's
 * own bookkeeping (quarantine, per-thread caches, each size class's
 * high-water mark), so a soak judges the bytes the program holds. */
extern size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

/* The bytes the process holds from its allocator, and whose count it is.
 * Without a sanitizer, glibc's own count over every arena (mallinfo2:
 * chunks in use plus mmapped ones): a soak can then tell a leak (this
 * grows) from the arenas' fragmentation (VmRSS grows, this does not). */
static void add_heap(JsonBuilder *b)
{
	if (__sanitizer_get_current_allocated_bytes != NULL) {
		ctl_member_int(b, "heap_in_use",
			       (gint64)__sanitizer_get_current_allocated_bytes());
		ctl_member_string(b, "heap_counted_by", "sanitizer");
		return;
	}
#ifdef HAVE_MALLINFO2
	struct mallinfo2 mi = mallinfo2();
	ctl_member_int(b, "heap_in_use", (gint64)(mi.uordblks + mi.hblkhd));
	ctl_member_string(b, "heap_counted_by", "glibc");
#endif
}

bool ctl_do_hello(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		  GError **error)
{
	ctl_member_int(b, "protocol", CTL_PROTOCOL_VERSION);
	ctl_member_string(b, "driver", s->driver_version);
	ctl_member_int(b, "pid", getpid());
	add_heap(b);
	json_builder_set_member_name(b, "requests");
	json_builder_begin_array(b);
	for (unsigned k = 0; k < CTL_REQ_COUNT; k++)
		json_builder_add_string_value(b, ctl_req_name((ctl_req_kind)k));
	json_builder_end_array(b);
	return true;
}

static void add_faults(JsonBuilder *b, const emu_fault_entry *fe, size_t n, int slot)
{
	json_builder_set_member_name(b, "faults");
	json_builder_begin_array(b);
	for (size_t i = 0; i < n; i++) {
		char text[64];
		if (fe[i].slot != slot)
			continue;
		emu_fault_format(&fe[i].fault, text, sizeof text);
		json_builder_add_string_value(b, text);
	}
	json_builder_end_array(b);
}

/* USB transfer faults (usbsim devices only): "usb_faults". */
static void add_usb_faults(ctl_server *s, JsonBuilder *b, emu_device *emu)
{
	emu_usb_fault uf[CTL_USB_FAULTS_MAX];

	if (s->dir.usb_fault_list == NULL)
		return;
	size_t n = MIN(s->dir.usb_fault_list(s->dir.data, emu, uf, G_N_ELEMENTS(uf)),
		       G_N_ELEMENTS(uf));
	json_builder_set_member_name(b, "usb_faults");
	json_builder_begin_array(b);
	for (size_t i = 0; i < n; i++) {
		char text[64];
		emu_usb_fault_format(&uf[i], text, sizeof text);
		json_builder_add_string_value(b, text);
	}
	json_builder_end_array(b);
}

/* The host engine's counters: what the reader went through. */
static void add_stats(JsonBuilder *b, const ctl_reader_info *ri)
{
	const struct {
		const char *name;
		unsigned v;
	} c[] = {
		{ "commands", ri->stats.commands },
		{ "time_extensions", ri->stats.time_extensions },
		{ "wtx", ri->stats.wtx },
		{ "stale_dropped", ri->stats.stale_dropped },
		{ "timeouts", ri->stats.timeouts },
		{ "aborts", ri->stats.aborts },
		{ "handed_over", ri->stats.handed_over },
		{ "max_in_flight", ri->stats.max_in_flight },
	};
	json_builder_set_member_name(b, "stats");
	json_builder_begin_object(b);
	for (size_t i = 0; i < G_N_ELEMENTS(c); i++)
		ctl_member_int(b, c[i].name, c[i].v);
	json_builder_end_object(b);
}

static void add_edge_count(JsonBuilder *b, ctl_edge_count ec)
{
	ctl_member_int(b, "edges", (gint64)ec.edges);
	ctl_member_int(b, "observed", (gint64)ec.observed);
}

/* A real reader's slot: what its driver last saw, and the edges it
 * observed (it has no emulator to count the others). */
static void add_real_slot(ctl_server *s, JsonBuilder *b, const ctl_reader_info *ri, unsigned i)
{
	unsigned char st = i < CTL_MAX_SLOTS ? ri->slot_state[i] : CTL_SLOT_UNKNOWN;

	ctl_member_string(b, "state", st == CTL_SLOT_PRESENT  ? "present"
				      : st == CTL_SLOT_ABSENT ? "absent"
							      : "unknown");
	if (ri->edge_id != 0)
		add_edge_count(b, edge_count(s, ri->edge_id, i));
}

/* The front's own counters (usbip: URBs by kind). */
static void add_counters(JsonBuilder *b, const ctl_reader_info *ri)
{
	json_builder_set_member_name(b, "counters");
	json_builder_begin_object(b);
	for (size_t i = 0; i < ri->n_counters && i < CTL_COUNTERS_MAX; i++)
		ctl_member_int(b, ri->counters[i].name, (gint64)ri->counters[i].value);
	json_builder_end_object(b);
}

static void add_reader(ctl_server *s, JsonBuilder *b, ctl_reader_info *ri)
{
	emu_fault_entry fe[EMU_DEVICE_MAX_FAULTS];
	size_t nf = 0;

	json_builder_begin_object(b);
	ctl_member_int(b, "reader", ri->number);
	ctl_member_string(b, "name", ri->name);
	ctl_member_string(b, "devname", ri->devname);
	ctl_member_string(b, "profile", ri->profile);
	ctl_member_string(b, "mode", ri->mode);
	ctl_member_bool(b, "emulated", ri->emu != NULL);
	if (ri->has_stats)
		add_stats(b, ri);
	if (ri->n_counters > 0)
		add_counters(b, ri);
	if (ri->emu != NULL) {
		nf = emu_device_fault_list(ri->emu, fe, G_N_ELEMENTS(fe));
		nf = MIN(nf, G_N_ELEMENTS(fe));
		add_faults(b, fe, nf, -1);
		add_usb_faults(s, b, ri->emu);
	}
	json_builder_set_member_name(b, "slots");
	json_builder_begin_array(b);
	for (unsigned i = 0; i < ri->n_slots; i++) {
		json_builder_begin_object(b);
		ctl_member_int(b, "slot", i);
		ctl_member_int(b, "lun", (gint64)ri->number << 16 | i);
		emu_slot_info si;
		if (ri->emu != NULL && emu_device_slot_info(ri->emu, i, &si)) {
			ctl_member_string(b, "state", !si.present ? "absent"
						      : si.mute	  ? "mute"
								  : "present");
			ctl_member_string(b, "card", si.card_spec);
			ctl_member_bool(b, "powered", si.powered);
			ctl_member_int(b, "protocol", si.protocol);
			ctl_member_bool(b, "busy", si.busy);
			add_edge_count(b, edge_count(s, emu_device_id(ri->emu), i));
			add_faults(b, fe, nf, (int)i);
		} else {
			add_real_slot(s, b, ri, i);
		}
		if (ri->has_folded)
			ctl_member_int(b, "folded", (gint64)ri->folded[i]);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
}

bool ctl_do_list(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		 GError **error)
{
	ctl_readers rs = { 0 };
	ctl_readers_fetch(s, &rs);
	refresh_map(s, &rs);
	ctl_member_int(b, "last_seq", (gint64)emu_events_last_seq());
	json_builder_set_member_name(b, "readers");
	json_builder_begin_array(b);
	for (size_t i = 0; i < rs.n; i++)
		add_reader(s, b, &rs.v[i]);
	json_builder_end_array(b);
	ctl_readers_clear(&rs);
	return true;
}

/* ---- slots ---- */

/* The card of the request's slot: insert, swap, remove, mute, unmute. */
static bool slot_on(ctl_server *s, const ctl_request *r, ctl_reader_info *ri, void *data,
		    GError **error)
{
	JsonBuilder *b = data;
	g_autoptr(GError) err = NULL;
	bool ok = false;
	unsigned slot = (unsigned)r->slot;
	emu_card *card = NULL;
	if (r->kind == CTL_REQ_INSERT || r->kind == CTL_REQ_SWAP) {
		card = emu_card_new_from_peer(r->card, r->app_text,
					      r->app_text != NULL ? strlen(r->app_text) : 0, &err);
		if (card == NULL) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
				    "\"card\": %s (e.g. \"readertest,t1\", \"echo\", "
				    "\"readertest,atr=3B...\")",
				    err->message);
			return false;
		}
	}
	switch (r->kind) {
	case CTL_REQ_INSERT:
		ok = emu_device_insert(ri->emu, slot, card, EMU_EVENT_SRC_CONTROL, &err);
		break;
	case CTL_REQ_SWAP:
		ok = emu_device_swap(ri->emu, slot, card, EMU_EVENT_SRC_CONTROL, &err);
		break;
	case CTL_REQ_REMOVE:
		ok = emu_device_remove(ri->emu, slot, EMU_EVENT_SRC_CONTROL, &err);
		break;
	case CTL_REQ_MUTE:
		ok = emu_device_mute(ri->emu, slot, EMU_EVENT_SRC_CONTROL, &err);
		break;
	case CTL_REQ_UNMUTE:
		ok = emu_device_unmute(ri->emu, slot, EMU_EVENT_SRC_CONTROL, &err);
		break;
	default:
		g_assert_not_reached();
	}
	if (!ok) {
		ctl_error_from_emu(err, error);
		return false;
	}
	ctl_member_int(b, "reader", ri->number);
	ctl_member_int(b, "slot", slot);
	return true;
}

bool ctl_do_slot(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		 GError **error)
{
	return ctl_with_reader(s, r, r->slot, true, slot_on, b, error);
}

/* ---- readers added and removed (a USB/IP server's devices) ---- */

static bool no_hotplug(ctl_server *s, const ctl_request *r, GError **error)
{
	if (r->kind == CTL_REQ_DEVICE_ADD ? s->dir.device_add != NULL
					   : s->dir.device_remove != NULL)
		return false;
	g_set_error(error, CTL_ERROR, CTL_ERROR_NOT_EMULATED,
		    "%s: this server's readers are fixed (readers are added and removed "
		    "only on a USB/IP server, ccidlab usbip)",
		    ctl_req_name(r->kind));
	return true;
}

bool ctl_do_device_add(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
		       GError **error)
{
	g_autoptr(GError) err = NULL;
	unsigned number;

	(void)c;
	if (no_hotplug(s, r, error))
		return false;
	if (!s->dir.device_add(s->dir.data, r->spec, &number, &err)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST, "\"spec\": %s", err->message);
		return false;
	}
	ctl_readers rs = { 0 };
	ctl_readers_fetch(s, &rs);
	ctl_reader_ref ref = { .set = true, .number = number };
	ctl_reader_info *ri = readers_find(&rs, &ref);
	json_builder_set_member_name(b, "device");
	if (ri != NULL)
		add_reader(s, b, ri);
	else
		json_builder_add_null_value(b);
	ctl_readers_clear(&rs);
	return true;
}

static bool remove_device(ctl_server *s, const ctl_request *r, ctl_reader_info *ri, void *data,
			  GError **error)
{
	g_autoptr(GError) err = NULL;

	(void)r;
	if (!s->dir.device_remove(s->dir.data, ri->emu, &err)) {
		ctl_error_from_emu(err, error);
		return false;
	}
	ctl_member_string(data, "removed", ri->name);
	return true;
}

bool ctl_do_device_remove(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
			  GError **error)
{
	(void)c;
	if (no_hotplug(s, r, error))
		return false;
	return ctl_with_reader(s, r, -1, true, remove_device, b, error);
}
