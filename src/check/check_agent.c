/* ccidlab — check-events: a libpcsclite monitor in a process of its own
 * (--processes).
 *
 * Why: libpcsclite before 1.8.24 keeps one reader-state buffer per
 * process (winscard_clnt.c's readerStates), filled by every context's
 * fetch.  A thread in its comparison window (the seed's race: fetched,
 * not yet registered) then reads states that another thread of the same
 * process fetched after the edge, and does not lose it.  Monitors as
 * threads of one checker hide the 2018 race; an application with one
 * monitoring thread loses wakeups.  So a monitor can run as an agent: this
 * same program re-executed (`check-events --agent`), one context, one
 * calling thread, serving the monitor's calls over pipes.  The monitor's
 * loop, judging and reporting stay in the checker.
 *
 * Wire: requests and replies are a header {op, len} and len bytes
 * (at most AGENT_MAX_PAYLOAD) on the agent's stdin and stdout; a byte on
 * fd 3 makes it call SCardCancel from its second thread (the only call
 * pcsc-lite lets another thread make on a context in use). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check/check_events.h"

#define AGENT_MAX_PAYLOAD (64 * 1024)
#define AGENT_CANCEL_FD 3
#define AGENT_START_MS 10000	/* the agent's first answer */
#define AGENT_EXIT_MS 2000	/* after its pipes close, then SIGKILL */

enum { AGENT_INIT = 1, AGENT_GSC, AGENT_LIST, AGENT_CONNECT, AGENT_DISCONNECT };

typedef struct agent_hdr {
	guint32 op, len;
} agent_hdr;

/* Return codes travel as 32 bits (LONG is 64 on LP64; the codes fit). */
typedef guint32 agent_rv;

typedef struct agent_gsc_reply {
	gint64 call_ns, ret_ns;
	agent_rv rv;
	guint32 n;
} agent_gsc_reply;

struct check_agent {
	pid_t pid;
	int to, from, cancel;
	gint64 call_ns, ret_ns;	/* the agent's own times of its last call */
	bool broken;		/* a pipe failed: every later call fails */
};

/* The whole of len bytes, or false (the other side is gone). */
static bool io_all(int fd, void *buf, size_t len, bool out)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = out ? write(fd, p, len) : read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static bool write_all(int fd, const void *buf, size_t len)
{
	return io_all(fd, (void *)buf, len, true);
}

static bool read_all(int fd, void *buf, size_t len)
{
	return io_all(fd, buf, len, false);
}

static bool send_msg(int fd, guint32 op, const void *payload, guint32 len)
{
	agent_hdr h = { op, len };
	return write_all(fd, &h, sizeof h) && (len == 0 || write_all(fd, payload, len));
}

/* Reads one message; *payload is g_malloc'ed (NUL-terminated). */
static bool recv_msg(int fd, guint32 *op, char **payload, guint32 *len)
{
	agent_hdr h;
	if (!read_all(fd, &h, sizeof h) || h.len > AGENT_MAX_PAYLOAD)
		return false;
	char *p = g_malloc0(h.len + 1);
	if (!read_all(fd, p, h.len)) {
		g_free(p);
		return false;
	}
	*op = h.op;
	*payload = p;
	*len = h.len;
	return true;
}

/* ---- the agent (the child) ---- */

typedef struct agent_state {
	SCARDCONTEXT ctx;
	char *names[CHECK_MAX_SLOTS + 1];
	guint n;
	SCARDHANDLE card;
	bool connected;
} agent_state;

static gpointer cancel_thread(gpointer data)
{
	agent_state *a = data;
	char b;
	while (read_all(AGENT_CANCEL_FD, &b, 1))
		SCardCancel(a->ctx);
	return NULL;
}

static bool serve_gsc(agent_state *a, const char *p, guint32 len, int out)
{
	guint32 head[2];
	if (len < sizeof head)
		return false;
	memcpy(head, p, sizeof head);
	guint32 n = head[1];
	if (n > a->n || len != sizeof head + n * sizeof(guint32))
		return false;
	SCARD_READERSTATE rs[CHECK_MAX_SLOTS + 1];
	memset(rs, 0, sizeof rs);
	for (guint32 i = 0; i < n; i++) {
		guint32 cur;
		memcpy(&cur, p + sizeof head + i * sizeof cur, sizeof cur);
		rs[i].szReader = a->names[i];
		rs[i].dwCurrentState = cur;
	}
	agent_gsc_reply r = { .call_ns = check_now_ns(), .n = n };
	r.rv = (agent_rv)SCardGetStatusChange(a->ctx, head[0], rs, n);
	r.ret_ns = check_now_ns();
	g_autofree guint32 *ev = g_new0(guint32, n + 1);
	for (guint32 i = 0; i < n; i++)
		ev[i] = (guint32)rs[i].dwEventState;
	g_autofree char *buf = g_malloc(sizeof r + n * sizeof(guint32));
	memcpy(buf, &r, sizeof r);
	memcpy(buf + sizeof r, ev, n * sizeof(guint32));
	return send_msg(out, AGENT_GSC, buf, (guint32)(sizeof r + n * sizeof(guint32)));
}

static bool serve_list(agent_state *a, int out)
{
	DWORD len = 0;
	agent_rv rv = (agent_rv)SCardListReaders(a->ctx, NULL, NULL, &len);
	g_autofree char *buf = NULL;
	if (rv == SCARD_S_SUCCESS && (len == 0 || len > AGENT_MAX_PAYLOAD - sizeof rv))
		rv = SCARD_E_INSUFFICIENT_BUFFER;
	if (rv == SCARD_S_SUCCESS) {
		buf = g_malloc0(sizeof rv + len + 1);
		rv = (agent_rv)SCardListReaders(a->ctx, NULL, buf + sizeof rv, &len);
	}
	if (rv != SCARD_S_SUCCESS) {
		len = 0;
		g_free(buf);
		buf = g_malloc0(sizeof rv);
	}
	memcpy(buf, &rv, sizeof rv);
	return send_msg(out, AGENT_LIST, buf, (guint32)(sizeof rv + len));
}

static bool serve_connect(agent_state *a, guint32 op, const char *p, guint32 len, int out)
{
	agent_rv rv;
	if (op == AGENT_DISCONNECT) {
		rv = a->connected ? (agent_rv)SCardDisconnect(a->card, SCARD_LEAVE_CARD)
				  : SCARD_E_INVALID_HANDLE;
		a->connected = false;
	} else {
		guint32 idx = 0;
		if (len != sizeof idx)
			return false;
		memcpy(&idx, p, sizeof idx);
		if (idx >= a->n || a->connected)
			return false;
		DWORD proto = 0;
		rv = (agent_rv)SCardConnect(a->ctx, a->names[idx], SCARD_SHARE_SHARED,
					  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &a->card, &proto);
		a->connected = rv == SCARD_S_SUCCESS;
	}
	return send_msg(out, op, &rv, sizeof rv);
}

static bool agent_init(agent_state *a, const char *p, guint32 len, int out)
{
	for (guint32 off = 0; off < len && a->n < CHECK_MAX_SLOTS + 1; off += strlen(p + off) + 1)
		a->names[a->n++] = g_strdup(p + off);
	agent_rv rv = (agent_rv)SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &a->ctx);
	return send_msg(out, AGENT_INIT, &rv, sizeof rv) && rv == SCARD_S_SUCCESS;
}

int check_agent_main(void)
{
	agent_state a = { 0 };
	int in = STDIN_FILENO, out = STDOUT_FILENO;
	guint32 op, len;
	char *p;
	/* The checker owns us: we end with it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (!recv_msg(in, &op, &p, &len))
		return 1;
	bool ok = op == AGENT_INIT && agent_init(&a, p, len, out);
	g_free(p);
	if (!ok)
		return 1;
	GThread *ct = g_thread_new("agent-cancel", cancel_thread, &a);
	while (ok && recv_msg(in, &op, &p, &len)) {
		if (op == AGENT_GSC)
			ok = serve_gsc(&a, p, len, out);
		else if (op == AGENT_LIST)
			ok = serve_list(&a, out);
		else if (op == AGENT_CONNECT || op == AGENT_DISCONNECT)
			ok = serve_connect(&a, op, p, len, out);
		else
			ok = false;
		g_free(p);
	}
	if (a.connected)
		SCardDisconnect(a.card, SCARD_LEAVE_CARD);
	SCardReleaseContext(a.ctx);
	/* The cancel thread ends when the checker closes fd 3; we do not wait
	 * for that. */
	g_thread_unref(ct);
	for (guint i = 0; i < a.n; i++)
		g_free(a.names[i]);
	return ok ? 0 : 1;
}

/* ---- the checker's side ---- */

static void agent_child(const char *exe, int in, int out, int cancel)
{
	/* Between fork and exec: async-signal-safe calls only. */
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(cancel, AGENT_CANCEL_FD) < 0)
		_exit(127);
	char *argv[] = { (char *)exe, "check-events", "--agent", NULL };
	execv(exe, argv);
	_exit(127);
}

static check_agent *start_failed(GError **error, const char *what)
{
	g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED, "agent: %s: %s", what, g_strerror(errno));
	return NULL;
}

static void close_pipe(int p[2])
{
	close(p[0]);
	close(p[1]);
}

static bool readable_within(int fd, unsigned ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
	for (gint64 left; (left = deadline - g_get_monotonic_time()) > 0;) {
		int n = poll(&p, 1, (int)(left / 1000) + 1);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return false;
	}
	return false;
}

/* Waits for the agent's exit within ms, then kills it. */
static void reap_agent(pid_t pid, unsigned ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
	int status;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (g_get_monotonic_time() > deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return;
		}
		g_usleep(5000);
	}
}

check_agent *check_agent_start(char *const *names, unsigned n, GError **error)
{
	g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
	int down[2], up[2], can[2];
	if (exe == NULL)
		return start_failed(error, "/proc/self/exe");
	if (pipe2(down, O_CLOEXEC) != 0)
		return start_failed(error, "pipe");
	if (pipe2(up, O_CLOEXEC) != 0) {
		close_pipe(down);
		return start_failed(error, "pipe");
	}
	if (pipe2(can, O_CLOEXEC) != 0) {
		close_pipe(down);
		close_pipe(up);
		return start_failed(error, "pipe");
	}
	pid_t pid = fork();
	if (pid == 0)
		agent_child(exe, down[0], up[1], can[0]);
	if (pid < 0) {
		close_pipe(down);
		close_pipe(up);
		close_pipe(can);
		return start_failed(error, "fork");
	}
	close(down[0]);
	close(up[1]);
	close(can[0]);
	check_agent *a = g_new0(check_agent, 1);
	a->pid = pid;
	a->to = down[1];
	a->from = up[0];
	a->cancel = can[1];
	/* A write to an agent that died must fail, not kill the checker. */
	signal(SIGPIPE, SIG_IGN);
	g_autoptr(GString) init = g_string_new(NULL);
	for (unsigned i = 0; i < n; i++)
		g_string_append_len(init, names[i], (gssize)strlen(names[i]) + 1);
	guint32 op = 0, len = 0;
	char *reply = NULL;
	agent_rv rv = SCARD_F_INTERNAL_ERROR;
	if (send_msg(a->to, AGENT_INIT, init->str, (guint32)init->len) &&
	    readable_within(a->from, AGENT_START_MS) && recv_msg(a->from, &op, &reply, &len) &&
	    op == AGENT_INIT && len == sizeof rv)
		memcpy(&rv, reply, sizeof rv);
	g_free(reply);
	if (rv != SCARD_S_SUCCESS) {
		g_set_error(error, CTL_ERROR, CTL_ERROR_FAILED,
			    "agent %d: SCardEstablishContext: %s (0x%08X)", (int)pid,
			    pcsc_stringify_error(rv), (unsigned)rv);
		check_agent_close(a);
		return NULL;
	}
	return a;
}

/* One request and its reply; false when the agent is gone. */
static bool call(check_agent *a, guint32 op, const void *req, guint32 req_len, char **reply,
		 guint32 *reply_len)
{
	guint32 got = 0;
	if (a->broken || !send_msg(a->to, op, req, req_len) ||
	    !recv_msg(a->from, &got, reply, reply_len) || got != op) {
		a->broken = true;
		return false;
	}
	return true;
}

LONG check_agent_gsc(SCARDCONTEXT ctx, DWORD timeout_ms, SCARD_READERSTATE *states, DWORD n)
{
	check_agent *a = (check_agent *)(uintptr_t)ctx;
	g_autofree guint32 *req = g_new0(guint32, n + 2);
	req[0] = (guint32)timeout_ms;
	req[1] = (guint32)n;
	for (DWORD i = 0; i < n; i++)
		req[i + 2] = (guint32)states[i].dwCurrentState;
	g_autofree char *reply = NULL;
	guint32 len = 0;
	agent_gsc_reply r;
	if (!call(a, AGENT_GSC, req, (guint32)((n + 2) * sizeof(guint32)), &reply, &len) ||
	    len != sizeof r + n * sizeof(guint32))
		return SCARD_F_COMM_ERROR;
	memcpy(&r, reply, sizeof r);
	if (r.n != n)
		return SCARD_F_COMM_ERROR;
	for (DWORD i = 0; i < n; i++) {
		guint32 ev;
		memcpy(&ev, reply + sizeof r + i * sizeof ev, sizeof ev);
		states[i].dwEventState = ev;
	}
	a->call_ns = r.call_ns;
	a->ret_ns = r.ret_ns;
	return (LONG)r.rv;
}

void check_agent_times(const check_agent *a, gint64 *call_ns, gint64 *ret_ns)
{
	*call_ns = a->call_ns;
	*ret_ns = a->ret_ns;
}

LONG check_agent_list(check_agent *a, char ***names)
{
	g_autofree char *reply = NULL;
	guint32 len = 0;
	agent_rv rv;
	*names = NULL;
	if (!call(a, AGENT_LIST, NULL, 0, &reply, &len) || len < sizeof rv)
		return SCARD_F_COMM_ERROR;
	memcpy(&rv, reply, sizeof rv);
	if (rv != SCARD_S_SUCCESS)
		return (LONG)rv;
	GPtrArray *v = g_ptr_array_new();
	for (guint32 off = sizeof rv; off < len && reply[off] != '\0'; off += strlen(reply + off) + 1)
		g_ptr_array_add(v, g_strdup(reply + off));
	g_ptr_array_add(v, NULL);
	*names = (char **)g_ptr_array_free(v, FALSE);
	return (LONG)rv;
}

LONG check_agent_connect(check_agent *a, int index)
{
	guint32 idx = (guint32)MAX(index, 0);
	g_autofree char *reply = NULL;
	guint32 len = 0;
	agent_rv rv;
	guint32 op = index < 0 ? AGENT_DISCONNECT : AGENT_CONNECT;
	if (!call(a, op, &idx, index < 0 ? 0 : sizeof idx, &reply, &len) || len != sizeof rv)
		return SCARD_F_COMM_ERROR;
	memcpy(&rv, reply, sizeof rv);
	return (LONG)rv;
}

void check_agent_cancel(check_agent *a)
{
	char b = 'c';
	if (!write_all(a->cancel, &b, 1))
		a->broken = true;
}

void check_agent_kill(check_agent *a)
{
	kill(a->pid, SIGKILL);
}

int check_agent_pid(const check_agent *a)
{
	return (int)a->pid;
}

void check_agent_close(check_agent *a)
{
	if (a == NULL)
		return;
	close(a->to);
	close(a->cancel);
	close(a->from);
	reap_agent(a->pid, AGENT_EXIT_MS);
	g_free(a);
}
