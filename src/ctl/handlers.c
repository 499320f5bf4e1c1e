/* ccidlab — what each control request does (server_priv.h), on the
 * server thread.  Readers come from the driver's directory on every
 * request; the emulator does the work; the reply says what happened.
 */
#include "config.h"

#include "ctl/server_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* The directory hands out at most this many readers (pcscd itself stops
 * at 16). */
#define MAX_READERS 4096u

typedef struct readers {
	ctl_reader_info *v;
	size_t n;
} readers;

static void readers_clear(readers *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		ctl_reader_info_clear(&rs->v[i]);
	g_clear_pointer(&rs->v, g_free);
	rs->n = 0;
}

static void readers_fetch(const ctl_directory *dir, readers *rs)
{
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
		readers_clear(rs);
		cap = MIN(n + 8, (size_t)MAX_READERS);
	}
}

static ctl_reader_info *readers_find(readers *rs, const ctl_reader_ref *ref)
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

/* The reader of a request, which must exist (and be emulated when
 * need_emu); slot, when >= 0, must be one of its slots. */
static ctl_reader_info *resolve(readers *rs, const ctl_reader_ref *ref, int slot, bool need_emu,
				GError **error)
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

/* emu errors are the client's mistakes about state (occupied slot,
 * nothing to remove): "bad-state". */
static void from_emu(GError *emu_err, GError **error)
{
	g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_STATE, "%s", emu_err->message);
}

/* ---- edges counters, device → reader ---- */

ctl_edge_count ctl_server_edge_count(ctl_server *s, unsigned reader_id, unsigned slot)
{
	ctl_edge_count out = { 0, 0 };
	guint key = reader_id << 8 | (slot & 0xFF);
	g_mutex_lock(&s->count_lock);
	ctl_edge_count *c = g_hash_table_lookup(s->counts, GUINT_TO_POINTER(key));
	if (c != NULL)
		out = *c;
	g_mutex_unlock(&s->count_lock);
	return out;
}

static void refresh_map(ctl_server *s, readers *rs)
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
		readers rs = { 0 };
		readers_fetch(&s->dir, &rs);
		refresh_map(s, &rs);
		readers_clear(&rs);
		*refreshed = true;
		v = g_hash_table_lookup(s->dev_to_reader, GUINT_TO_POINTER(dev_id));
	}
	return v == NULL ? -1 : (int)GPOINTER_TO_UINT(v) - 1;
}

/* ---- hello, list ---- */

static bool do_hello(ctl_server *s, const ctl_request *r, JsonBuilder *b, GError **error)
{
	json_builder_set_member_name(b, "protocol");
	json_builder_add_int_value(b, CTL_PROTOCOL_VERSION);
	json_builder_set_member_name(b, "driver");
	json_builder_add_string_value(b, s->driver_version);
	json_builder_set_member_name(b, "pid");
	json_builder_add_int_value(b, getpid());
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
	for (size_t i = 0; i < G_N_ELEMENTS(c); i++) {
		json_builder_set_member_name(b, c[i].name);
		json_builder_add_int_value(b, c[i].v);
	}
	json_builder_end_object(b);
}

/* A real reader's slot: what its driver last saw, and the edges it
 * observed (it has no emulator to count the others). */
static void add_real_slot(ctl_server *s, JsonBuilder *b, const ctl_reader_info *ri, unsigned i)
{
	unsigned char st = i < CTL_MAX_SLOTS ? ri->slot_state[i] : CTL_SLOT_UNKNOWN;

	json_builder_set_member_name(b, "state");
	json_builder_add_string_value(b, st == CTL_SLOT_PRESENT ? "present"
					 : st == CTL_SLOT_ABSENT ? "absent" : "unknown");
	if (ri->edge_id == 0)
		return;
	ctl_edge_count ec = ctl_server_edge_count(s, ri->edge_id, i);
	json_builder_set_member_name(b, "edges");
	json_builder_add_int_value(b, (gint64)ec.edges);
	json_builder_set_member_name(b, "observed");
	json_builder_add_int_value(b, (gint64)ec.observed);
}

/* The front's own counters (usbip: URBs by kind). */
static void add_counters(JsonBuilder *b, const ctl_reader_info *ri)
{
	json_builder_set_member_name(b, "counters");
	json_builder_begin_object(b);
	for (size_t i = 0; i < ri->n_counters && i < CTL_COUNTERS_MAX; i++) {
		json_builder_set_member_name(b, ri->counters[i].name);
		json_builder_add_int_value(b, (gint64)ri->counters[i].value);
	}
	json_builder_end_object(b);
}

static void add_reader(ctl_server *s, JsonBuilder *b, ctl_reader_info *ri)
{
	emu_fault_entry fe[EMU_DEVICE_MAX_FAULTS];
	size_t nf = 0;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "reader");
	json_builder_add_int_value(b, ri->number);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, ri->name);
	json_builder_set_member_name(b, "devname");
	json_builder_add_string_value(b, ri->devname);
	json_builder_set_member_name(b, "profile");
	json_builder_add_string_value(b, ri->profile);
	json_builder_set_member_name(b, "mode");
	json_builder_add_string_value(b, ri->mode);
	json_builder_set_member_name(b, "emulated");
	json_builder_add_boolean_value(b, ri->emu != NULL);
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
		json_builder_set_member_name(b, "slot");
		json_builder_add_int_value(b, i);
		json_builder_set_member_name(b, "lun");
		json_builder_add_int_value(b, (gint64)ri->number << 16 | i);
		emu_slot_info si;
		if (ri->emu != NULL && emu_device_slot_info(ri->emu, i, &si)) {
			json_builder_set_member_name(b, "state");
			json_builder_add_string_value(b, !si.present ? "absent"
							 : si.mute  ? "mute"
								    : "present");
			json_builder_set_member_name(b, "card");
			json_builder_add_string_value(b, si.card_spec);
			json_builder_set_member_name(b, "powered");
			json_builder_add_boolean_value(b, si.powered);
			json_builder_set_member_name(b, "protocol");
			json_builder_add_int_value(b, si.protocol);
			json_builder_set_member_name(b, "busy");
			json_builder_add_boolean_value(b, si.busy);
			ctl_edge_count ec = ctl_server_edge_count(s, emu_device_id(ri->emu), i);
			json_builder_set_member_name(b, "edges");
			json_builder_add_int_value(b, (gint64)ec.edges);
			json_builder_set_member_name(b, "observed");
			json_builder_add_int_value(b, (gint64)ec.observed);
			add_faults(b, fe, nf, (int)i);
		} else {
			add_real_slot(s, b, ri, i);
		}
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
}

static bool do_list(ctl_server *s, const ctl_request *r, JsonBuilder *b, GError **error)
{
	readers rs = { 0 };
	readers_fetch(&s->dir, &rs);
	refresh_map(s, &rs);
	json_builder_set_member_name(b, "last_seq");
	json_builder_add_int_value(b, (gint64)emu_events_last_seq());
	json_builder_set_member_name(b, "readers");
	json_builder_begin_array(b);
	for (size_t i = 0; i < rs.n; i++)
		add_reader(s, b, &rs.v[i]);
	json_builder_end_array(b);
	readers_clear(&rs);
	return true;
}

/* ---- slots, faults ---- */

static bool do_slot(ctl_server *s, const ctl_request *r, JsonBuilder *b, GError **error)
{
	readers rs = { 0 };
	g_autoptr(GError) err = NULL;
	bool ok = false;
	readers_fetch(&s->dir, &rs);
	ctl_reader_info *ri = resolve(&rs, &r->reader, r->slot, true, error);
	if (ri == NULL)
		goto out;
	unsigned slot = (unsigned)r->slot;
	emu_card *card = NULL;
	if (r->kind == CTL_REQ_INSERT || r->kind == CTL_REQ_SWAP) {
		card = emu_card_new_from_spec(r->card, &err);
		if (card == NULL) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
				    "\"card\": %s (e.g. \"readertest,t1\", \"echo\", "
				    "\"readertest,atr=3B...\")",
				    err->message);
			goto out;
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
		from_emu(err, error);
		goto out;
	}
	json_builder_set_member_name(b, "reader");
	json_builder_add_int_value(b, ri->number);
	json_builder_set_member_name(b, "slot");
	json_builder_add_int_value(b, slot);
out:
	readers_clear(&rs);
	return ok;
}

/* A USB transfer fault: on the whole device (a pipe, not a slot), and
 * only where the directory shows readers as USB devices. */
static bool set_usb_fault(ctl_server *s, ctl_reader_info *ri, const ctl_request *r,
			  GError **error)
{
	g_autoptr(GError) err = NULL;
	char text[64];

	emu_usb_fault_format(&r->usb_fault, text, sizeof text);
	if (s->dir.usb_fault_set == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_NOT_EMULATED,
			    "reader %u: %s is a USB transfer fault: only usbsim devices (the "
			    "libusb shim) have USB pipes; this driver's emulated readers take "
			    "the CCID-level kinds",
			    ri->number, text);
		return false;
	}
	if (r->slot >= 0) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
			    "%s: USB transfer faults act on the device's pipes, not a slot: "
			    "give the reader without /SLOT", text);
		return false;
	}
	if (!s->dir.usb_fault_set(s->dir.data, ri->emu, &r->usb_fault, &err)) {
		from_emu(err, error);
		return false;
	}
	return true;
}

static bool do_fault_set(ctl_server *s, const ctl_request *r, JsonBuilder *b, GError **error)
{
	readers rs = { 0 };
	g_autoptr(GError) err = NULL;
	bool ok = false;
	readers_fetch(&s->dir, &rs);
	ctl_reader_info *ri = resolve(&rs, &r->reader, r->slot, true, error);
	if (ri == NULL)
		goto out;
	char text[64];
	if (r->is_usb_fault) {
		if (!set_usb_fault(s, ri, r, error))
			goto out;
		emu_usb_fault_format(&r->usb_fault, text, sizeof text);
	} else {
		if (!emu_device_fault_set(ri->emu, r->slot, &r->fault, &err)) {
			from_emu(err, error);
			goto out;
		}
		emu_fault_format(&r->fault, text, sizeof text);
	}
	json_builder_set_member_name(b, "fault");
	json_builder_add_string_value(b, text);
	ok = true;
out:
	readers_clear(&rs);
	return ok;
}

static bool do_fault_clear(ctl_server *s, const ctl_request *r, JsonBuilder *b, GError **error)
{
	readers rs = { 0 };
	readers_fetch(&s->dir, &rs);
	int slot = r->has_slot ? r->slot : EMU_DEVICE_ALL_SLOTS;
	ctl_reader_info *ri = resolve(&rs, &r->reader, r->has_slot ? r->slot : -1, true, error);
	if (ri != NULL) {
		unsigned n = 0;
		/* A USB kind clears only USB faults, an emulator kind only the
		 * emulator's; no kind (and no slot) clears both. */
		if (!r->has_usb_kind)
			n = emu_device_fault_clear(ri->emu, slot,
						   r->has_kind ? (int)r->kind_filter : -1);
		if (!r->has_kind && (!r->has_slot || r->slot < 0) && s->dir.usb_fault_clear != NULL)
			n += s->dir.usb_fault_clear(s->dir.data, ri->emu,
						    r->has_usb_kind ? (int)r->usb_kind_filter : -1);
		json_builder_set_member_name(b, "cleared");
		json_builder_add_int_value(b, n);
	}
	readers_clear(&rs);
	return ri != NULL;
}

/* ---- scenarios ---- */

static void scenario_free(ctl_scenario_rec *sc)
{
	if (sc->run != NULL)
		emu_timeline_run_free(sc->run);
	emu_timeline_free(sc->timeline);
	g_free(sc);
}

/* On the run's thread: a step's reader by driver name, device name or
 * reader number. */
static emu_device *resolve_step_reader(const char *name, void *data)
{
	ctl_server *s = data;
	readers rs = { 0 };
	emu_device *dev = NULL;
	char *end = NULL;
	unsigned long number = strtoul(name, &end, 10);
	bool numeric = name[0] != '\0' && end != NULL && *end == '\0';
	readers_fetch(&s->dir, &rs);
	for (size_t i = 0; i < rs.n && dev == NULL; i++) {
		ctl_reader_info *ri = &rs.v[i];
		char devname[EMU_EVENT_NAME_MAX];
		if (ri->emu == NULL)
			continue;
		emu_device_name(ri->emu, devname, sizeof devname);
		if (strcmp(ri->name, name) == 0 || strcmp(devname, name) == 0 ||
		    (numeric && ri->number == number))
			dev = emu_device_ref(ri->emu);
	}
	readers_clear(&rs);
	return dev;
}

static ctl_scenario_rec *scenario_find(ctl_server *s, unsigned id, GError **error)
{
	for (guint i = 0; i < s->scenarios->len; i++) {
		ctl_scenario_rec *sc = g_ptr_array_index(s->scenarios, i);
		if (sc->id == id)
			return sc;
	}
	g_set_error(error, CTL_ERROR, CTL_ERROR_NOT_FOUND,
		    "no scenario %u: load one with scenario-load (see scenario-status)", id);
	return NULL;
}

static bool scenario_running(ctl_scenario_rec *sc)
{
	return sc->run != NULL && !sc->stopped && !emu_timeline_run_wait(sc->run, 0);
}

static bool do_scenario_load(ctl_server *s, const ctl_request *r, JsonBuilder *b, GError **error)
{
	g_autoptr(GError) err = NULL;
	if (s->scenarios->len >= CTL_SERVER_MAX_SCENARIOS) {
		/* Make room: forget the oldest scenario that is not running. */
		for (guint i = 0; i < s->scenarios->len; i++) {
			ctl_scenario_rec *sc = g_ptr_array_index(s->scenarios, i);
			if (!scenario_running(sc)) {
				g_ptr_array_remove_index(s->scenarios, i);
				scenario_free(sc);
				break;
			}
		}
	}
	if (s->scenarios->len >= CTL_SERVER_MAX_SCENARIOS) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_LIMIT,
			    "%u scenarios are running: stop one first (scenario-stop)",
			    CTL_SERVER_MAX_SCENARIOS);
		return false;
	}
	emu_timeline *t = r->data != NULL ? emu_timeline_load_data(r->data, strlen(r->data), &err)
					   : emu_timeline_load_file(r->path, &err);
	if (t == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST, "scenario: %s", err->message);
		return false;
	}
	ctl_scenario_rec *sc = g_new0(ctl_scenario_rec, 1);
	sc->id = ++s->next_scenario;
	sc->timeline = t;
	g_ptr_array_add(s->scenarios, sc);
	json_builder_set_member_name(b, "scenario");
	json_builder_add_int_value(b, sc->id);
	json_builder_set_member_name(b, "steps");
	json_builder_add_int_value(b, (gint64)emu_timeline_size(t));
	return true;
}

static bool do_scenario_start(ctl_server *s, const ctl_request *r, JsonBuilder *b, GError **error)
{
	g_autoptr(GError) err = NULL;
	ctl_scenario_rec *sc = scenario_find(s, r->handle, error);
	if (sc == NULL)
		return false;
	if (scenario_running(sc)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_STATE,
			    "scenario %u is already running: stop it first, or wait", sc->id);
		return false;
	}
	g_clear_pointer(&sc->run, emu_timeline_run_free);
	sc->stopped = false;
	sc->run = emu_timeline_start(sc->timeline, resolve_step_reader, s, &err);
	if (sc->run == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "scenario %u: %s", sc->id,
			    err->message);
		return false;
	}
	json_builder_set_member_name(b, "scenario");
	json_builder_add_int_value(b, sc->id);
	return true;
}

static bool do_scenario_stop(ctl_server *s, const ctl_request *r, JsonBuilder *b, GError **error)
{
	unsigned n = 0;
	if (r->has_handle && scenario_find(s, r->handle, error) == NULL)
		return false;
	for (guint i = 0; i < s->scenarios->len; i++) {
		ctl_scenario_rec *sc = g_ptr_array_index(s->scenarios, i);
		if ((r->has_handle && sc->id != r->handle) || !scenario_running(sc))
			continue;
		emu_timeline_run_stop(sc->run);
		sc->stopped = true;
		n++;
	}
	json_builder_set_member_name(b, "stopped");
	json_builder_add_int_value(b, n);
	return true;
}

static bool do_scenario_status(ctl_server *s, const ctl_request *r, JsonBuilder *b, GError **error)
{
	if (r->has_handle && scenario_find(s, r->handle, error) == NULL)
		return false;
	json_builder_set_member_name(b, "scenarios");
	json_builder_begin_array(b);
	for (guint i = 0; i < s->scenarios->len; i++) {
		ctl_scenario_rec *sc = g_ptr_array_index(s->scenarios, i);
		unsigned applied = 0, failed = 0;
		if (r->has_handle && sc->id != r->handle)
			continue;
		if (sc->run != NULL)
			emu_timeline_run_counts(sc->run, &applied, &failed);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "scenario");
		json_builder_add_int_value(b, sc->id);
		json_builder_set_member_name(b, "steps");
		json_builder_add_int_value(b, (gint64)emu_timeline_size(sc->timeline));
		json_builder_set_member_name(b, "state");
		json_builder_add_string_value(b, sc->run == NULL      ? "loaded"
						 : sc->stopped	      ? "stopped"
						 : scenario_running(sc) ? "running"
									: "done");
		json_builder_set_member_name(b, "applied");
		json_builder_add_int_value(b, applied);
		json_builder_set_member_name(b, "failed");
		json_builder_add_int_value(b, failed);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	return true;
}

/* ---- storms ---- */

static bool storm_running(ctl_storm_rec *st)
{
	return !st->stopped && !emu_storm_wait(st->storm, 0);
}

static void storm_rec_free(ctl_storm_rec *st)
{
	emu_storm_free(st->storm);
	g_free(st);
}

static ctl_storm_rec *storm_find(ctl_server *s, unsigned id, GError **error)
{
	for (guint i = 0; i < s->storms->len; i++) {
		ctl_storm_rec *st = g_ptr_array_index(s->storms, i);
		if (st->id == id)
			return st;
	}
	g_set_error(error, CTL_ERROR, CTL_ERROR_NOT_FOUND,
		    "no storm %u: see storm-status for the storms the server keeps", id);
	return NULL;
}

static bool storm_targets(ctl_server *s, const ctl_request *r, readers *rs, GArray *out,
			  GError **error)
{
	if (r->n_targets == 0) {
		for (size_t i = 0; i < rs->n; i++)
			for (unsigned k = 0; rs->v[i].emu != NULL && k < rs->v[i].n_slots; k++) {
				emu_storm_target t = { rs->v[i].emu, k };
				g_array_append_val(out, t);
			}
		if (out->len == 0) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_NOT_FOUND,
				    "no emulated reader to storm: declare one in reader.conf.d");
			return false;
		}
		return true;
	}
	for (size_t i = 0; i < r->n_targets; i++) {
		const ctl_target *t = &r->targets[i];
		ctl_reader_info *ri = resolve(rs, &t->reader, t->slot, true, error);
		if (ri == NULL)
			return false;
		for (unsigned k = 0; k < ri->n_slots; k++) {
			if (t->slot >= 0 && (unsigned)t->slot != k)
				continue;
			bool dup = false;
			for (guint j = 0; j < out->len && !dup; j++) {
				emu_storm_target *o = &g_array_index(out, emu_storm_target, j);
				dup = o->dev == ri->emu && o->slot == k;
			}
			if (dup)
				continue;
			if (out->len >= EMU_STORM_MAX_TARGETS) {
				g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
					    "over %u storm targets", EMU_STORM_MAX_TARGETS);
				return false;
			}
			emu_storm_target nt = { ri->emu, k };
			g_array_append_val(out, nt);
		}
	}
	return true;
}

static bool do_storm(ctl_server *s, const ctl_request *r, JsonBuilder *b, GError **error)
{
	readers rs = { 0 };
	g_autoptr(GArray) targets = g_array_new(FALSE, FALSE, sizeof(emu_storm_target));
	g_autoptr(GError) err = NULL;
	bool ok = false;

	/* Forget finished storms, oldest first, to make room. */
	for (guint i = 0; i < s->storms->len && s->storms->len >= CTL_SERVER_MAX_STORMS;) {
		ctl_storm_rec *st = g_ptr_array_index(s->storms, i);
		if (storm_running(st)) {
			i++;
			continue;
		}
		g_ptr_array_remove_index(s->storms, i);
		storm_rec_free(st);
	}
	if (s->storms->len >= CTL_SERVER_MAX_STORMS) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_LIMIT,
			    "%u storms are running: stop one first (storm-stop)",
			    CTL_SERVER_MAX_STORMS);
		return false;
	}
	if (r->card != NULL) {
		g_autoptr(emu_card) probe = emu_card_new_from_spec(r->card, &err);
		if (probe == NULL) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST, "\"card\": %s",
				    err->message);
			return false;
		}
	}
	readers_fetch(&s->dir, &rs);
	if (!storm_targets(s, r, &rs, targets, error))
		goto out;
	emu_storm_params p = {
		.seed = r->has_seed ? r->seed : g_random_int(),
		.rate = r->rate,
		.duration_ms = r->duration_ms,
		.min_hold_ms = r->min_hold_ms,
		.burst = r->burst,
		.burst_gap_us = r->burst_gap_us,
		.targets = (const emu_storm_target *)(void *)targets->data,
		.n_targets = targets->len,
		.card_spec = r->card,
	};
	if (p.burst > p.n_targets) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
			    "\"burst\" is %u but the storm has %zu targets: a burst hits distinct "
			    "targets, so it can be at most %zu",
			    p.burst, p.n_targets, p.n_targets);
		goto out;
	}
	emu_storm *storm = emu_storm_start(&p, &err);
	if (storm == NULL) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST, "storm: %s", err->message);
		goto out;
	}
	ctl_storm_rec *st = g_new0(ctl_storm_rec, 1);
	st->id = ++s->next_storm;
	st->storm = storm;
	st->started_us = g_get_monotonic_time();
	st->duration_ms = p.duration_ms;
	st->rate = p.rate;
	st->seed = p.seed;
	st->n_targets = p.n_targets;
	g_ptr_array_add(s->storms, st);
	json_builder_set_member_name(b, "storm");
	json_builder_add_int_value(b, st->id);
	json_builder_set_member_name(b, "targets");
	json_builder_add_int_value(b, (gint64)st->n_targets);
	json_builder_set_member_name(b, "seed");
	json_builder_add_int_value(b, st->seed);
	ok = true;
out:
	readers_clear(&rs);
	return ok;
}

static bool do_storm_stop(ctl_server *s, const ctl_request *r, JsonBuilder *b, GError **error)
{
	unsigned n = 0;
	if (r->has_handle && storm_find(s, r->handle, error) == NULL)
		return false;
	for (guint i = 0; i < s->storms->len; i++) {
		ctl_storm_rec *st = g_ptr_array_index(s->storms, i);
		if ((r->has_handle && st->id != r->handle) || !storm_running(st))
			continue;
		emu_storm_stop(st->storm);
		st->stopped = true;
		n++;
	}
	json_builder_set_member_name(b, "stopped");
	json_builder_add_int_value(b, n);
	return true;
}

static bool do_storm_status(ctl_server *s, const ctl_request *r, JsonBuilder *b, GError **error)
{
	if (r->has_handle && storm_find(s, r->handle, error) == NULL)
		return false;
	gint64 now = g_get_monotonic_time();
	json_builder_set_member_name(b, "storms");
	json_builder_begin_array(b);
	for (guint i = 0; i < s->storms->len; i++) {
		ctl_storm_rec *st = g_ptr_array_index(s->storms, i);
		if (r->has_handle && st->id != r->handle)
			continue;
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "storm");
		json_builder_add_int_value(b, st->id);
		json_builder_set_member_name(b, "state");
		json_builder_add_string_value(b, st->stopped ? "stopped"
						 : storm_running(st) ? "running"
								     : "done");
		json_builder_set_member_name(b, "applied");
		json_builder_add_int_value(b, (gint64)emu_storm_applied(st->storm));
		json_builder_set_member_name(b, "elapsed_ms");
		json_builder_add_int_value(b, (now - st->started_us) / 1000);
		json_builder_set_member_name(b, "duration_ms");
		json_builder_add_int_value(b, st->duration_ms);
		json_builder_set_member_name(b, "rate");
		json_builder_add_double_value(b, st->rate);
		json_builder_set_member_name(b, "seed");
		json_builder_add_int_value(b, st->seed);
		json_builder_set_member_name(b, "targets");
		json_builder_add_int_value(b, (gint64)st->n_targets);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	return true;
}

/* ---- subscribe, trace ---- */

static bool do_subscribe(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
			 GError **error)
{
	if (!c->subscribed) {
		c->subscribed = true;
		g_atomic_int_add(&s->subscribers, 1);
	}
	c->cursor = r->has_since ? r->since : emu_events_last_seq();
	json_builder_set_member_name(b, "seq");
	json_builder_add_int_value(b, (gint64)c->cursor);
	return true;
}

static bool do_unsubscribe(ctl_server *s, ctl_conn *c, JsonBuilder *b)
{
	if (c->subscribed) {
		c->subscribed = false;
		g_atomic_int_add(&s->subscribers, -1);
	}
	return true;
}

static bool trace_reader(ctl_server *s, const ctl_request *r, unsigned *number, GError **error)
{
	readers rs = { 0 };
	readers_fetch(&s->dir, &rs);
	ctl_reader_info *ri = resolve(&rs, &r->reader, -1, false, error);
	if (ri != NULL)
		*number = ri->number;
	readers_clear(&rs);
	return ri != NULL;
}

static bool do_trace_on(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
			GError **error)
{
	unsigned number = 0;
	if (r->reader.set && !trace_reader(s, r, &number, error))
		return false;
	if (r->path != NULL) {
		if (!g_path_is_absolute(r->path)) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST,
				    "\"file\" is \"%s\": give an absolute path (the server's working "
				    "directory is not yours)",
				    r->path);
			return false;
		}
		if (s->trace_files->len >= 16) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_LIMIT,
				    "16 trace files are open: turn one off first (trace-off)");
			return false;
		}
		int fd = open(r->path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_IO, "cannot open %s: %s", r->path,
				    g_strerror(errno));
			return false;
		}
		ctl_trace_file *tf = g_new0(ctl_trace_file, 1);
		tf->fd = fd;
		tf->all = !r->reader.set;
		tf->reader = number;
		tf->path = g_strdup(r->path);
		g_ptr_array_add(s->trace_files, tf);
		ctl_server_tracers_add(s, 1);
		json_builder_set_member_name(b, "file");
		json_builder_add_string_value(b, r->path);
	} else {
		if (!c->tracing)
			ctl_server_tracers_add(s, 1);
		c->tracing = true;
		c->trace_all = !r->reader.set;
		c->trace_reader = number;
	}
	return true;
}

/* Turns off this client's trace and the trace files (of the reader, when
 * one is named). */
static bool do_trace_off(ctl_server *s, ctl_conn *c, const ctl_request *r, JsonBuilder *b,
			 GError **error)
{
	unsigned number = 0, n = 0;
	if (r->reader.set && !trace_reader(s, r, &number, error))
		return false;
	if (c->tracing && (!r->reader.set || c->trace_all || c->trace_reader == number)) {
		c->tracing = false;
		ctl_server_tracers_add(s, -1);
		n++;
	}
	for (guint i = s->trace_files->len; i-- > 0;) {
		ctl_trace_file *tf = g_ptr_array_index(s->trace_files, i);
		if (r->reader.set && !tf->all && tf->reader != number)
			continue;
		g_ptr_array_remove_index(s->trace_files, i);
		ctl_server_tracers_add(s, -1);
		n++;
	}
	json_builder_set_member_name(b, "stopped");
	json_builder_add_int_value(b, n);
	return true;
}

/* ---- dispatch ---- */

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

static bool do_device_add(ctl_server *s, const ctl_request *r, JsonBuilder *b, GError **error)
{
	g_autoptr(GError) err = NULL;
	unsigned number;

	if (no_hotplug(s, r, error))
		return false;
	if (!s->dir.device_add(s->dir.data, r->spec, &number, &err)) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_BAD_REQUEST, "\"spec\": %s", err->message);
		return false;
	}
	readers rs = { 0 };
	readers_fetch(&s->dir, &rs);
	ctl_reader_ref ref = { .set = true, .number = number };
	ctl_reader_info *ri = readers_find(&rs, &ref);
	json_builder_set_member_name(b, "device");
	if (ri != NULL)
		add_reader(s, b, ri);
	else
		json_builder_add_null_value(b);
	readers_clear(&rs);
	return true;
}

static bool do_device_remove(ctl_server *s, const ctl_request *r, JsonBuilder *b,
			     GError **error)
{
	g_autoptr(GError) err = NULL;
	readers rs = { 0 };
	bool ok = false;

	if (no_hotplug(s, r, error))
		return false;
	readers_fetch(&s->dir, &rs);
	ctl_reader_info *ri = resolve(&rs, &r->reader, -1, true, error);
	if (ri != NULL && !s->dir.device_remove(s->dir.data, ri->emu, &err)) {
		from_emu(err, error);
		ri = NULL;
	}
	if (ri != NULL) {
		json_builder_set_member_name(b, "removed");
		json_builder_add_string_value(b, ri->name);
		ok = true;
	}
	readers_clear(&rs);
	return ok;
}

char *ctl_handle_request(ctl_server *s, ctl_conn *c, const ctl_request *r, size_t *len)
{
	g_autoptr(GError) err = NULL;
	JsonBuilder *b = ctl_reply_begin(r->has_id, r->id);
	bool ok = false;

	switch (r->kind) {
	case CTL_REQ_HELLO:
		ok = do_hello(s, r, b, &err);
		break;
	case CTL_REQ_LIST:
		ok = do_list(s, r, b, &err);
		break;
	case CTL_REQ_INSERT:
	case CTL_REQ_REMOVE:
	case CTL_REQ_SWAP:
	case CTL_REQ_MUTE:
	case CTL_REQ_UNMUTE:
		ok = do_slot(s, r, b, &err);
		break;
	case CTL_REQ_FAULT_SET:
		ok = do_fault_set(s, r, b, &err);
		break;
	case CTL_REQ_FAULT_CLEAR:
		ok = do_fault_clear(s, r, b, &err);
		break;
	case CTL_REQ_SCENARIO_LOAD:
		ok = do_scenario_load(s, r, b, &err);
		break;
	case CTL_REQ_SCENARIO_START:
		ok = do_scenario_start(s, r, b, &err);
		break;
	case CTL_REQ_SCENARIO_STOP:
		ok = do_scenario_stop(s, r, b, &err);
		break;
	case CTL_REQ_SCENARIO_STATUS:
		ok = do_scenario_status(s, r, b, &err);
		break;
	case CTL_REQ_STORM:
		ok = do_storm(s, r, b, &err);
		break;
	case CTL_REQ_STORM_STOP:
		ok = do_storm_stop(s, r, b, &err);
		break;
	case CTL_REQ_STORM_STATUS:
		ok = do_storm_status(s, r, b, &err);
		break;
	case CTL_REQ_SUBSCRIBE:
		ok = do_subscribe(s, c, r, b, &err);
		break;
	case CTL_REQ_UNSUBSCRIBE:
		ok = do_unsubscribe(s, c, b);
		break;
	case CTL_REQ_TRACE_ON:
		ok = do_trace_on(s, c, r, b, &err);
		break;
	case CTL_REQ_TRACE_OFF:
		ok = do_trace_off(s, c, r, b, &err);
		break;
	case CTL_REQ_DEVICE_ADD:
		ok = do_device_add(s, r, b, &err);
		break;
	case CTL_REQ_DEVICE_REMOVE:
		ok = do_device_remove(s, r, b, &err);
		break;
	case CTL_REQ_COUNT:
		break;
	}
	if (!ok) {
		g_object_unref(b);
		if (err == NULL)
			err = g_error_new(CTL_ERROR, CTL_ERROR_FAILED, "request failed");
		char *line = ctl_reply_error(r->has_id, r->id,
					     err->domain == CTL_ERROR ? (ctl_error)err->code
								      : CTL_ERROR_FAILED,
					     err->message);
		*len = strlen(line);
		return line;
	}
	return ctl_line_finish(b, len);
}

void ctl_handlers_shutdown(ctl_server *s)
{
	if (s->storms != NULL) {
		for (guint i = 0; i < s->storms->len; i++)
			storm_rec_free(g_ptr_array_index(s->storms, i));
		g_clear_pointer(&s->storms, g_ptr_array_unref);
	}
	if (s->scenarios != NULL) {
		for (guint i = 0; i < s->scenarios->len; i++)
			scenario_free(g_ptr_array_index(s->scenarios, i));
		g_clear_pointer(&s->scenarios, g_ptr_array_unref);
	}
}
