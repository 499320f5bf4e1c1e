/* ccidlab — check-events: the monitors.  Each is a thread that calls
 * SCardGetStatusChange (through a function pointer: libpcsclite, or the
 * legacy 4:4 client) the way applications do, and records every return
 * with its CLOCK_MONOTONIC time and the states it showed. */
#include "config.h"

#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check/check_events.h"

static LONG pcsclite_gsc(SCARDCONTEXT ctx, DWORD timeout_ms, SCARD_READERSTATE *states, DWORD n)
{
	return SCardGetStatusChange(ctx, timeout_ms, states, n);
}

/* libpcsclite, in this process or in an agent of its own. */
static bool is_pcsclite(const check_monitor *m)
{
	return m->kind.backend != CHECK_BACKEND_LEGACY;
}

static LONG do_connect(check_monitor *m, SCARDHANDLE *h)
{
	DWORD proto = 0;
	if (m->agent != NULL)
		return check_agent_connect(m->agent, 0);
	return SCardConnect(m->ctx, m->names[0], SCARD_SHARE_SHARED,
			    SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, h, &proto);
}

static LONG do_disconnect(check_monitor *m, SCARDHANDLE h)
{
	if (m->agent != NULL)
		return check_agent_connect(m->agent, -1);
	return SCardDisconnect(h, SCARD_LEAVE_CARD);
}

static void count(GHashTable *h, LONG rv)
{
	gpointer key = GINT_TO_POINTER((gint)rv);
	g_hash_table_insert(h, key, GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(h, key)) + 1));
}

/* A connected monitor toggles its shared connection at each return while
 * its card is present, so that pcscd's sharing state keeps changing and
 * every waiting client gets those signals too.  Connect failures race
 * with the storm (card gone, mute card) and are tallied, not judged. */
static void toggle_connection(check_monitor *m, SCARD_READERSTATE *rs, SCARDHANDLE *h, bool *connected)
{
	bool present = (rs[0].dwEventState & SCARD_STATE_PRESENT) != 0 &&
		       (rs[0].dwEventState & SCARD_STATE_MUTE) == 0;
	LONG rv;
	if (*connected) {
		rv = do_disconnect(m, *h);
		*connected = false;
	} else if (present) {
		rv = do_connect(m, h);
		*connected = rv == SCARD_S_SUCCESS;
	} else
		return;
	g_mutex_lock(&m->lock);
	if (rv == SCARD_S_SUCCESS)
		m->connects++;
	else
		count(m->connect_errors, rv);
	g_mutex_unlock(&m->lock);
}

/* Lists the readers on the monitor's own context, as an application does
 * after a PnP change: a reply read out of turn on that socket would show
 * here as a wrong list (pcscd-driver-facts §1.4). */
static void list_readers(check_monitor *m)
{
	check_listing l = { .call_ns = check_now_ns() };
	DWORD len = 0;
	if (m->agent != NULL) {
		l.rv = check_agent_list(m->agent, &l.names);
		l.ts_ns = check_now_ns();
		g_mutex_lock(&m->lock);
		g_array_append_val(m->listings, l);
		g_mutex_unlock(&m->lock);
		return;
	}
	l.rv = SCardListReaders(m->ctx, NULL, NULL, &len);
	if (l.rv == SCARD_S_SUCCESS && (len == 0 || len > 1024 * 1024))
		l.rv = SCARD_E_INSUFFICIENT_BUFFER; /* not a length to trust */
	if (l.rv == SCARD_S_SUCCESS) {
		g_autofree char *buf = g_malloc0(len + 1);
		l.rv = SCardListReaders(m->ctx, NULL, buf, &len);
		GPtrArray *names = g_ptr_array_new();
		for (char *p = buf; l.rv == SCARD_S_SUCCESS && *p != '\0' && p < buf + len;
		     p += strlen(p) + 1)
			g_ptr_array_add(names, g_strdup(p));
		g_ptr_array_add(names, NULL);
		l.names = (char **)g_ptr_array_free(names, FALSE);
		if (l.rv != SCARD_S_SUCCESS)
			g_clear_pointer(&l.names, g_strfreev);
	}
	l.ts_ns = check_now_ns();
	g_mutex_lock(&m->lock);
	g_array_append_val(m->listings, l);
	g_mutex_unlock(&m->lock);
}

/* After a return: list when the PnP entry changed, and every 16th time. */
static void maybe_list(check_monitor *m, const SCARD_READERSTATE *rs, LONG rv, guint calls)
{
	if (!m->kind.pnp || !is_pcsclite(m))
		return;
	bool changed = rv == SCARD_S_SUCCESS && (rs[m->n - 1].dwEventState & SCARD_STATE_CHANGED);
	if (changed || calls % 16 == 0)
		list_readers(m);
}

static gpointer monitor_thread(gpointer data)
{
	check_monitor *m = data;
	SCARD_READERSTATE rs[CHECK_MAX_SLOTS + 1];
	memset(rs, 0, sizeof rs);
	for (unsigned i = 0; i < m->n; i++) {
		rs[i].szReader = m->names[i];
		rs[i].dwCurrentState = SCARD_STATE_UNAWARE;
	}
	SCARDHANDLE h = 0;
	bool connected = false;
	guint calls = 0;
	/* The sampler's task: this thread, or the agent that makes the calls. */
	g_atomic_int_set(&m->tid, m->agent != NULL ? check_agent_pid(m->agent)
						   : (gint)syscall(SYS_gettid));
	if (m->kind.pnp && is_pcsclite(m))
		list_readers(m);
	while (!g_atomic_int_get(&m->stop)) {
		gint64 call = check_now_ns();
		g_atomic_int_set(&m->inside, 1);
		LONG rv = m->gsc(m->ctx, m->kind.timeout_ms, rs, m->n);
		g_atomic_int_set(&m->inside, 0);
		gint64 ret = check_now_ns();
		/* An agent's own readings, without the pipes' round trip. */
		if (m->agent != NULL && rv != SCARD_F_COMM_ERROR)
			check_agent_times(m->agent, &call, &ret);
		if (g_atomic_int_get(&m->stop) &&
		    (rv == SCARD_E_CANCELLED || (m->agent != NULL && m->stuck)))
			break;
		g_mutex_lock(&m->lock);
		check_wakeup w = { .call_ns = call, .ts_ns = ret, .rv = rv, .first = m->states->len };
		g_array_append_val(m->wakeups, w);
		for (unsigned i = 0; i < m->n; i++)
			g_array_append_val(m->states, rs[i].dwEventState);
		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
			count(m->errors, rv);
		g_mutex_unlock(&m->lock);
		if (rv == SCARD_S_SUCCESS) {
			for (unsigned i = 0; i < m->n; i++) {
				DWORD cur = rs[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
				/* The PnP entry's high word is pcscd's reader
				 * count, not an event counter: always kept. */
				if (!m->kind.counter && m->slot_of[i] >= 0)
					cur &= 0xFFFF;
				rs[i].dwCurrentState = cur;
			}
		} else if (rv != SCARD_E_TIMEOUT) {
			/* Do not spin on a persistent error. */
			g_usleep(20 * 1000);
		}
		maybe_list(m, rs, rv, ++calls);
		if (m->kind.connect && is_pcsclite(m))
			toggle_connection(m, rs, &h, &connected);
	}
	if (connected)
		do_disconnect(m, h);
	g_atomic_int_set(&m->done, 1);
	return NULL;
}

check_monitor *check_monitor_start(unsigned id, const check_kind *kind, const check_truth *t,
				   unsigned single_slot, const char *legacy_socket, GError **error)
{
	check_monitor *m = check_monitor_new(id, kind);
	if (kind->all) {
		for (unsigned i = 0; i < t->n_slots; i++) {
			m->slot_of[m->n] = (int)i;
			m->names[m->n++] = g_strdup(t->slots[i].pcsc_name);
		}
		if (kind->pnp) {
			m->slot_of[m->n] = -1;
			m->names[m->n++] = g_strdup(CHECK_PNP_NAME);
		}
	} else {
		g_return_val_if_fail(single_slot < t->n_slots, NULL);
		m->slot_of[0] = (int)single_slot;
		m->names[0] = g_strdup(t->slots[single_slot].pcsc_name);
		m->n = 1;
		/* One reader and the PnP entry, as a single-reader application
		 * that also wants to hear of new readers. */
		if (kind->pnp) {
			m->slot_of[m->n] = -1;
			m->names[m->n++] = g_strdup(CHECK_PNP_NAME);
		}
	}
	for (unsigned i = 0; i < m->n; i++)
		if (m->slot_of[i] >= 0 && t->slots[m->slot_of[i]].widened)
			m->watches_widened = true;
	if (kind->backend == CHECK_BACKEND_LEGACY) {
		m->legacy = check_legacy_open(legacy_socket, error);
		if (m->legacy == NULL) {
			check_monitor_free(m);
			return NULL;
		}
		m->ctx = (SCARDCONTEXT)(uintptr_t)m->legacy;
		m->gsc = check_legacy_gsc;
	} else if (kind->backend == CHECK_BACKEND_PROCESS) {
		m->agent = check_agent_start(m->names, m->n, error);
		if (m->agent == NULL) {
			check_monitor_free(m);
			return NULL;
		}
		m->ctx = (SCARDCONTEXT)(uintptr_t)m->agent;
		m->gsc = check_agent_gsc;
	} else {
		LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &m->ctx);
		if (rv != SCARD_S_SUCCESS) {
			g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED,
				    "monitor %u: SCardEstablishContext: %s (0x%08lX)", id,
				    pcsc_stringify_error(rv), (unsigned long)rv);
			check_monitor_free(m);
			return NULL;
		}
		m->gsc = pcsclite_gsc;
	}
	g_autofree char *tname = g_strdup_printf("check-mon-%u", id);
	m->thread = g_thread_new(tname, monitor_thread, m);
	return m;
}

/* Repeats cancel() every 20 ms until the monitor's thread is out of its
 * loop or budget_ms ran out; whether it is out. */
static bool cancel_until_done(check_monitor *m, void (*cancel)(check_monitor *),
			      unsigned budget_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)budget_ms * 1000;
	while (!g_atomic_int_get(&m->done) && g_get_monotonic_time() < deadline) {
		cancel(m);
		g_usleep(20 * 1000);
	}
	return g_atomic_int_get(&m->done);
}

static void cancel_pcsclite(check_monitor *m)
{
	SCardCancel(m->ctx);
}

static void cancel_agent(check_monitor *m)
{
	check_agent_cancel(m->agent);
}

bool check_monitor_stop(check_monitor *m, unsigned budget_ms)
{
	if (m == NULL || m->thread == NULL)
		return m == NULL || !m->stuck;
	if (m->stuck)
		return false;	/* already given up on */
	g_atomic_int_set(&m->stop, 1);
	if (m->kind.backend == CHECK_BACKEND_LEGACY) {
		check_legacy_cancel(m->legacy);
	} else if (m->agent != NULL) {
		/* A call SCardCancel did not end is "cancel ignored"; killing
		 * the agent ends it here, so that the thread can be joined. */
		if (!cancel_until_done(m, cancel_agent, budget_ms)) {
			m->stuck = true;
			check_agent_kill(m->agent);
		}
	} else if (!cancel_until_done(m, cancel_pcsclite, budget_ms)) {
		/* SCardCancel reaches a call only while it blocks in its wait
		 * (pcscd-driver-facts §2.5), not in its comparison loop: it was
		 * repeated until the thread was out, within the budget.  A call
		 * that outlived them all may never end: its thread is left. */
		m->stuck = true;
		return false;
	}
	g_thread_join(m->thread);
	m->thread = NULL;
	return true;
}

void check_monitor_free(check_monitor *m)
{
	if (m == NULL)
		return;
	/* A stuck thread still uses the monitor: it is left as it is (an
	 * agent's is not: killing the agent freed it). */
	if (m->thread != NULL && !check_monitor_stop(m, 3000))
		return;
	if (m->legacy != NULL)
		check_legacy_close(m->legacy);
	else if (m->agent != NULL)
		check_agent_close(m->agent);
	else if (m->ctx != 0)
		SCardReleaseContext(m->ctx);
	check_monitor_release(m);
}

void check_monitor_known(check_monitor *m, int known[CHECK_MAX_SLOTS])
{
	for (unsigned i = 0; i < CHECK_MAX_SLOTS; i++)
		known[i] = -1;
	g_mutex_lock(&m->lock);
	for (guint w = m->wakeups->len; w-- > 0;) {
		const check_wakeup *wk = &g_array_index(m->wakeups, check_wakeup, w);
		if (wk->rv != SCARD_S_SUCCESS)
			continue;
		for (unsigned i = 0; i < m->n; i++)
			if (m->slot_of[i] >= 0) {
				DWORD st = g_array_index(m->states, DWORD, wk->first + i);
				known[m->slot_of[i]] = (st & SCARD_STATE_PRESENT) != 0;
			}
		break;
	}
	g_mutex_unlock(&m->lock);
}

bool check_read_counters(const check_truth *t, guint16 counters[CHECK_MAX_SLOTS])
{
	SCARDCONTEXT ctx;
	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
		return false;
	SCARD_READERSTATE rs[CHECK_MAX_SLOTS];
	memset(rs, 0, sizeof rs);
	for (unsigned i = 0; i < t->n_slots; i++) {
		rs[i].szReader = t->slots[i].pcsc_name;
		rs[i].dwCurrentState = SCARD_STATE_UNAWARE;
	}
	LONG rv = SCardGetStatusChange(ctx, 0, rs, t->n_slots);
	SCardReleaseContext(ctx);
	if (rv != SCARD_S_SUCCESS)
		return false;
	for (unsigned i = 0; i < t->n_slots; i++)
		counters[i] = (guint16)(rs[i].dwEventState >> 16);
	return true;
}
