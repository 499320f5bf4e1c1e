/* ccidlab — scenario files (device.h "timeline"): a GKeyFile of
 * "[step N]" groups, checked whole at load time with an EMU_ERROR_PARSE
 * that names the group and the key, then run on a thread against devices
 * a resolver finds by reader name.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu/device_priv.h"
#include "emu/file.h"

struct emu_timeline {
	GArray *steps;		/* emu_timeline_step, in run order */
};

static void step_clear(emu_timeline_step *s)
{
	g_clear_pointer(&s->reader, g_free);
	g_clear_pointer(&s->card, g_free);
}

void emu_timeline_free(emu_timeline *t)
{
	if (t == NULL)
		return;
	if (t->steps != NULL)
		g_array_unref(t->steps);
	g_free(t);
}

size_t emu_timeline_size(const emu_timeline *t)
{
	return t->steps->len;
}

const emu_timeline_step *emu_timeline_get(const emu_timeline *t, size_t i)
{
	if (i >= t->steps->len)
		return NULL;
	return &g_array_index(t->steps, emu_timeline_step, i);
}

static const struct {
	const char *name;
	emu_timeline_action action;
} actions[] = {
	{ "insert", EMU_TL_INSERT }, { "remove", EMU_TL_REMOVE },
	{ "swap", EMU_TL_SWAP },     { "mute", EMU_TL_MUTE },
	{ "unmute", EMU_TL_UNMUTE }, { "fault", EMU_TL_FAULT },
	{ "clear-faults", EMU_TL_CLEAR_FAULTS },
};

static const char *const known_keys[] = { "at_ms", "reader", "slot", "action", "card", "fault",
					  NULL };

/* A whole decimal integer in [lo, hi]. */
static bool parse_int(const char *s, long lo, long hi, long *out)
{
	char *end = NULL;

	if (s == NULL || *s == '\0')
		return false;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

#define PARSE_FAIL(...)                                                           \
	do {                                                                      \
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, __VA_ARGS__);      \
		return false;                                                     \
	} while (0)

/* Reads one key as a trimmed string; NULL (no error) when absent. */
static char *get(GKeyFile *kf, const char *group, const char *key)
{
	char *v = g_key_file_get_string(kf, group, key, NULL);

	return v != NULL ? g_strstrip(v) : NULL;
}

/* `sent`: the scenario came as text from a control client, whose cards
 * name no file (the server would read it as root for the client; issue
 * 20).  A file root named may name them. */
static bool parse_step(GKeyFile *kf, const char *group, bool sent, emu_timeline_step *st,
		       GError **error)
{
	long v;

	if (!g_str_has_prefix(group, "step ") || !parse_int(group + 5, 0, G_MAXINT, &v))
		PARSE_FAIL("[%s]: groups must be named \"step N\"", group);
	st->n = (unsigned)v;

	g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
	for (size_t i = 0; keys != NULL && keys[i] != NULL; i++) {
		if (!g_strv_contains(known_keys, keys[i]))
			PARSE_FAIL("[%s]: unknown key \"%s\" (at_ms, reader, slot, action, card, "
				   "fault)",
				   group, keys[i]);
	}

	g_autofree char *at = get(kf, group, "at_ms");
	if (!parse_int(at, 0, EMU_TIMELINE_MAX_AT_MS, &v))
		PARSE_FAIL("[%s] at_ms: \"%s\" is not a number 0..%u", group, at ? at : "",
			   EMU_TIMELINE_MAX_AT_MS);
	st->at_ms = (unsigned)v;

	st->reader = get(kf, group, "reader");
	if (st->reader == NULL || *st->reader == '\0')
		PARSE_FAIL("[%s] reader: missing", group);

	g_autofree char *action = get(kf, group, "action");
	size_t a;
	for (a = 0; a < G_N_ELEMENTS(actions); a++) {
		if (action != NULL && strcmp(action, actions[a].name) == 0)
			break;
	}
	if (a == G_N_ELEMENTS(actions))
		PARSE_FAIL("[%s] action: \"%s\" is not one of insert, remove, swap, mute, "
			   "unmute, fault, clear-faults",
			   group, action ? action : "");
	st->action = actions[a].action;

	bool reader_wide = st->action == EMU_TL_FAULT || st->action == EMU_TL_CLEAR_FAULTS;
	g_autofree char *slot = get(kf, group, "slot");
	if (!parse_int(slot, reader_wide ? -1 : 0, 255, &v))
		PARSE_FAIL("[%s] slot: \"%s\" is not a number %s..255", group, slot ? slot : "",
			   reader_wide ? "-1" : "0");
	st->slot = (int)v;

	g_autofree char *card = get(kf, group, "card");
	if (st->action == EMU_TL_INSERT || st->action == EMU_TL_SWAP) {
		if (card == NULL || *card == '\0')
			PARSE_FAIL("[%s] card: missing (action %s needs a card spec)", group, action);
		if (sent && emu_card_spec_reads_file(card))
			PARSE_FAIL("[%s] card: a scenario sent as text names no file: no script: "
				   "or files: cards (insert them with ccidlab insert --app, which "
				   "sends their text)",
				   group);
		g_autoptr(GError) cerr = NULL;
		emu_card *probe = emu_card_new_from_spec(card, &cerr);
		if (probe == NULL)
			PARSE_FAIL("[%s] card: %s", group, cerr != NULL ? cerr->message : "invalid");
		emu_card_free(probe);
		st->card = g_steal_pointer(&card);
	} else if (card != NULL) {
		PARSE_FAIL("[%s] card: not used by action %s", group, action);
	}

	g_autofree char *fault = get(kf, group, "fault");
	if (st->action == EMU_TL_FAULT) {
		g_autoptr(GError) ferr = NULL;
		if (fault == NULL || !emu_fault_parse(fault, &st->fault, &ferr))
			PARSE_FAIL("[%s] fault: %s", group,
				   ferr != NULL ? ferr->message : "missing (kind[:arg][@count])");
	} else if (fault != NULL) {
		PARSE_FAIL("[%s] fault: not used by action %s", group, action);
	}
	return true;
}

static gint step_cmp(gconstpointer a, gconstpointer b)
{
	const emu_timeline_step *x = a, *y = b;

	if (x->at_ms != y->at_ms)
		return x->at_ms < y->at_ms ? -1 : 1;
	return x->n < y->n ? -1 : x->n > y->n;
}

static emu_timeline *load(const char *data, size_t len, bool sent, GError **error)
{
	g_return_val_if_fail(data != NULL || len == 0, NULL);

	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) kerr = NULL;
	if (!g_key_file_load_from_data(kf, data != NULL ? data : "", len, G_KEY_FILE_NONE, &kerr)) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "scenario: %s", kerr->message);
		return NULL;
	}
	gsize ngroups = 0;
	g_auto(GStrv) groups = g_key_file_get_groups(kf, &ngroups);
	if (ngroups > EMU_TIMELINE_MAX_STEPS) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "scenario: more than %u steps",
			    EMU_TIMELINE_MAX_STEPS);
		return NULL;
	}

	emu_timeline *t = g_new0(emu_timeline, 1);
	t->steps = g_array_sized_new(FALSE, TRUE, sizeof(emu_timeline_step), (guint)ngroups);
	g_array_set_clear_func(t->steps, (GDestroyNotify)step_clear);
	for (gsize i = 0; i < ngroups; i++) {
		emu_timeline_step st;
		memset(&st, 0, sizeof st);
		if (!parse_step(kf, groups[i], sent, &st, error)) {
			step_clear(&st);
			emu_timeline_free(t);
			return NULL;
		}
		g_array_append_val(t->steps, st);
	}
	g_array_sort(t->steps, step_cmp);
	return t;
}

emu_timeline *emu_timeline_load_data(const char *data, size_t len, GError **error)
{
	return load(data, len, true, error);
}

emu_timeline *emu_timeline_load_file(const char *path, GError **error)
{
	g_return_val_if_fail(path != NULL, NULL);

	/* A regular file within the limit, before anything is read (a FIFO
	 * blocked the open, /dev/zero was read to the end: issue 20).  A
	 * scenario is a few thousand lines, not a dump. */
	g_autoptr(GBytes) b = emu_file_read(path, EMU_TIMELINE_MAX_BYTES, error);
	if (b == NULL)
		return NULL;
	gsize len = 0;
	const char *contents = g_bytes_get_data(b, &len);
	g_autoptr(GError) perr = NULL;
	emu_timeline *t = load(contents ? contents : "", len, false, &perr);
	if (t == NULL)
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "%s: %s", path, perr->message);
	return t;
}

/* ---- running ---- */

struct emu_timeline_run {
	GThread *thread;
	GMutex lock;
	GCond cond;
	bool stop, done;
	unsigned applied, failed;
	GArray *failures;	/* emu_timeline_failure, the first ..._KEPT */
	GArray *steps;		/* a deep copy: the run outlives nothing */
	emu_timeline_resolver resolver;
	void *data;
};

static bool apply(const emu_timeline_step *st, emu_device *dev, GError **error)
{
	emu_card *card = NULL;

	switch (st->action) {
	case EMU_TL_INSERT:
	case EMU_TL_SWAP:
		card = emu_card_new_from_spec(st->card, error);
		if (card == NULL)
			return false;
		if (st->action == EMU_TL_INSERT)
			return emu_device_insert(dev, (unsigned)st->slot, card, EMU_EVENT_SRC_TIMELINE,
						 error);
		return emu_device_swap(dev, (unsigned)st->slot, card, EMU_EVENT_SRC_TIMELINE, error);
	case EMU_TL_REMOVE:
		return emu_device_remove(dev, (unsigned)st->slot, EMU_EVENT_SRC_TIMELINE, error);
	case EMU_TL_MUTE:
		return emu_device_mute(dev, (unsigned)st->slot, EMU_EVENT_SRC_TIMELINE, error);
	case EMU_TL_UNMUTE:
		return emu_device_unmute(dev, (unsigned)st->slot, EMU_EVENT_SRC_TIMELINE, error);
	case EMU_TL_FAULT:
		return emu_device_fault_set(dev, st->slot, &st->fault, error);
	case EMU_TL_CLEAR_FAULTS:
		emu_device_fault_clear(dev, st->slot, -1);
		return true;
	}
	g_set_error(error, EMU_ERROR, EMU_ERROR_FAILED, "unknown action %d", (int)st->action);
	return false;
}

static const char *action_name(emu_timeline_action a)
{
	for (size_t i = 0; i < G_N_ELEMENTS(actions); i++)
		if (actions[i].action == a)
			return actions[i].name;
	return "?";
}

/* Runs one step; on failure, why (the reader's own message, or that no
 * reader has that name). */
static bool run_step(emu_timeline_run *r, const emu_timeline_step *st, char **reason)
{
	g_autoptr(GError) e = NULL;
	emu_device *dev = r->resolver(st->reader, r->data);
	bool ok = dev != NULL && apply(st, dev, &e);
	emu_device_unref(dev);
	if (!ok)
		*reason = g_strdup_printf("%s on reader \"%s\" slot %d: %s", action_name(st->action),
					  st->reader, st->slot,
					  dev == NULL ? "no reader has that name"
						      : e != NULL ? e->message : "failed");
	return ok;
}

static void failure_clear(emu_timeline_failure *f)
{
	g_clear_pointer(&f->reason, g_free);
}

static gpointer run_thread(gpointer data)
{
	emu_timeline_run *r = data;
	int64_t start = g_get_monotonic_time();

	for (guint i = 0; i < r->steps->len; i++) {
		const emu_timeline_step *st = &g_array_index(r->steps, emu_timeline_step, i);
		int64_t at = start + (int64_t)st->at_ms * 1000;

		g_mutex_lock(&r->lock);
		while (!r->stop && g_get_monotonic_time() < at)
			g_cond_wait_until(&r->cond, &r->lock, at);
		bool stop = r->stop;
		g_mutex_unlock(&r->lock);
		if (stop)
			break;

		char *reason = NULL;
		bool ok = run_step(r, st, &reason);
		if (!ok)
			g_debug("%s: step %u: %s", __func__, st->n, reason);
		g_mutex_lock(&r->lock);
		if (ok) {
			r->applied++;
		} else if (r->failed++ < EMU_TIMELINE_FAILURES_KEPT) {
			emu_timeline_failure f = { st->n, g_steal_pointer(&reason) };
			g_array_append_val(r->failures, f);
		}
		g_mutex_unlock(&r->lock);
		g_free(reason);
	}
	g_mutex_lock(&r->lock);
	r->done = true;
	g_cond_broadcast(&r->cond);
	g_mutex_unlock(&r->lock);
	return NULL;
}

emu_timeline_run *emu_timeline_start(const emu_timeline *t, emu_timeline_resolver resolver,
				     void *data, GError **error)
{
	g_return_val_if_fail(t != NULL && resolver != NULL, NULL);

	emu_timeline_run *r = g_new0(emu_timeline_run, 1);
	g_mutex_init(&r->lock);
	g_cond_init(&r->cond);
	r->resolver = resolver;
	r->data = data;
	r->failures = g_array_new(FALSE, TRUE, sizeof(emu_timeline_failure));
	g_array_set_clear_func(r->failures, (GDestroyNotify)failure_clear);
	r->steps = g_array_sized_new(FALSE, TRUE, sizeof(emu_timeline_step), t->steps->len);
	g_array_set_clear_func(r->steps, (GDestroyNotify)step_clear);
	for (guint i = 0; i < t->steps->len; i++) {
		emu_timeline_step st = g_array_index(t->steps, emu_timeline_step, i);
		st.reader = g_strdup(st.reader);
		st.card = g_strdup(st.card);
		g_array_append_val(r->steps, st);
	}
	r->thread = g_thread_try_new("emu-timeline", run_thread, r, error);
	if (r->thread == NULL) {
		emu_timeline_run_free(r);
		return NULL;
	}
	return r;
}

bool emu_timeline_run_wait(emu_timeline_run *r, unsigned timeout_ms)
{
	g_return_val_if_fail(r != NULL, FALSE);

	int64_t deadline = g_get_monotonic_time() + (int64_t)timeout_ms * 1000;
	g_mutex_lock(&r->lock);
	while (!r->done && g_get_monotonic_time() < deadline)
		g_cond_wait_until(&r->cond, &r->lock, deadline);
	bool done = r->done;
	g_mutex_unlock(&r->lock);
	return done;
}

void emu_timeline_run_stop(emu_timeline_run *r)
{
	if (r == NULL)
		return;
	g_mutex_lock(&r->lock);
	r->stop = true;
	g_cond_broadcast(&r->cond);
	g_mutex_unlock(&r->lock);
	if (r->thread != NULL)
		g_thread_join(g_steal_pointer(&r->thread));
}

void emu_timeline_run_counts(emu_timeline_run *r, unsigned *applied, unsigned *failed)
{
	g_return_if_fail(r != NULL);

	g_mutex_lock(&r->lock);
	if (applied != NULL)
		*applied = r->applied;
	if (failed != NULL)
		*failed = r->failed;
	g_mutex_unlock(&r->lock);
}

GArray *emu_timeline_run_failures(emu_timeline_run *r)
{
	g_return_val_if_fail(r != NULL, NULL);

	GArray *copy = g_array_new(FALSE, TRUE, sizeof(emu_timeline_failure));
	g_array_set_clear_func(copy, (GDestroyNotify)failure_clear);
	g_mutex_lock(&r->lock);
	for (guint i = 0; i < r->failures->len; i++) {
		const emu_timeline_failure *f = &g_array_index(r->failures, emu_timeline_failure, i);
		emu_timeline_failure c = { f->step, g_strdup(f->reason) };
		g_array_append_val(copy, c);
	}
	g_mutex_unlock(&r->lock);
	return copy;
}

void emu_timeline_run_free(emu_timeline_run *r)
{
	if (r == NULL)
		return;
	emu_timeline_run_stop(r);
	g_array_unref(r->failures);
	g_array_unref(r->steps);
	g_mutex_clear(&r->lock);
	g_cond_clear(&r->cond);
	g_free(r);
}
