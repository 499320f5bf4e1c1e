/* ccidlab — `ccidlab vm` on the host: one run, from the cache to QEMU's
 * end.
 *
 * One GLib loop holds everything: QEMU's pid (a child watch), SIGINT,
 * SIGTERM and SIGHUP, the control port, the command's stdout and stderr,
 * QMP, the VSCard server, and three deadlines: the boot (the guest's
 * "hello"), the whole run, and QEMU's power-off after the command ended.
 * Every way out goes through vm_host_stop(): QMP quit, then SIGTERM, then
 * SIGKILL to QEMU's pid, each after a grace, and the loop ends only once
 * that pid is reaped.  QEMU also gets PR_SET_PDEATHSIG: a `ccidlab vm`
 * killed with SIGKILL takes it along.
 *
 * Exit status: the command's; 124 when the run timed out; 125 when the
 * guest failed (no boot, no status: a panic, a crash); 128+N on signal N.
 * On every failure the guest's console is kept (console.log in the
 * results, or --console FILE) and its end printed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "vm/host.h"

#define QUIT_GRACE_MS 3000
#define TERM_GRACE_MS 3000
#define CONSOLE_TAIL 40

void vm_host_fail(vm_host *h, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "ccidlab vm: %s\n", msg);
	if (h->failure == NULL)
		h->failure = g_steal_pointer(&msg);
}

static void note(vm_host *h, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void note(vm_host *h, const char *fmt, ...)
{
	if (h->o->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "ccidlab vm: %s\n", msg);
}

/* ---- stopping QEMU ---- */

static gboolean stop_next(gpointer data)
{
	vm_host *h = data;
	h->stop_timer = 0;
	vm_host_stop(h);
	return G_SOURCE_REMOVE;
}

void vm_host_stop(vm_host *h)
{
	if (h->qemu == 0 || h->stop_timer != 0)
		return;
	h->stop_phase++;
	if (h->stop_phase == 1 && h->qmp != NULL && vm_qmp_ready(h->qmp)) {
		vm_qmp_quit(h->qmp);
		h->stop_timer = g_timeout_add(QUIT_GRACE_MS, stop_next, h);
		return;
	}
	if (h->stop_phase <= 2) {
		h->stop_phase = 2;
		kill(h->qemu, SIGTERM);
		h->stop_timer = g_timeout_add(TERM_GRACE_MS, stop_next, h);
		return;
	}
	kill(h->qemu, SIGKILL);
}

static void on_qemu_exit(GPid pid, gint status, gpointer data)
{
	vm_host *h = data;
	(void)pid;
	h->qemu = 0;
	h->qemu_status = status;
	h->t_end = g_get_monotonic_time();
	g_spawn_close_pid(pid);
	g_main_loop_quit(h->loop);
}

static gboolean on_signal(gpointer data)
{
	vm_host *h = data;
	/* g_unix_signal_add gives no number: ask which is pending. */
	if (h->signal == 0)
		h->signal = SIGINT;
	vm_host_fail(h, "interrupted (signal %d): stopping the guest", h->signal);
	vm_host_stop(h);
	return G_SOURCE_CONTINUE;
}

static gboolean on_sigint(gpointer data)
{
	((vm_host *)data)->signal = ((vm_host *)data)->signal ?: SIGINT;
	return on_signal(data);
}

static gboolean on_sigterm(gpointer data)
{
	((vm_host *)data)->signal = ((vm_host *)data)->signal ?: SIGTERM;
	return on_signal(data);
}

static gboolean on_sighup(gpointer data)
{
	((vm_host *)data)->signal = ((vm_host *)data)->signal ?: SIGHUP;
	return on_signal(data);
}

static gboolean on_boot_timeout(gpointer data)
{
	vm_host *h = data;
	h->boot_timer = 0;
	vm_host_fail(h, "the guest did not come up within %d s", h->o->boot_timeout_s);
	vm_host_stop(h);
	return G_SOURCE_REMOVE;
}

static gboolean on_total_timeout(gpointer data)
{
	vm_host *h = data;
	h->total_timer = 0;
	h->timed_out = true;
	vm_host_fail(h, "the run took longer than %d s: stopping the guest", h->o->timeout_s);
	vm_host_stop(h);
	return G_SOURCE_REMOVE;
}

/* ---- the three ports: QEMU connects to our sockets ---- */

static int listen_unix(const char *path, GError **error)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG, "%s: path too long", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1) != 0) {
		vm_errno(error, path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void write_out(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;	/* our own output is gone: nothing to tell */
		buf += n;
		len -= (size_t)n;
	}
}

typedef struct stream_ref {
	vm_host *h;
	vm_stream *s;
} stream_ref;

static void ctl_input(vm_host *h, const char *buf, size_t len)
{
	g_string_append_len(h->ctl_in, buf, (gssize)len);
	char *nl;
	while ((nl = memchr(h->ctl_in->str, '\n', h->ctl_in->len)) != NULL) {
		g_autofree char *line = g_strndup(h->ctl_in->str, (gsize)(nl - h->ctl_in->str));
		g_string_erase(h->ctl_in, 0, nl - h->ctl_in->str + 1);
		vm_host_ctl_line(h, line);
	}
	if (h->ctl_in->len > VM_CTL_LINE_MAX)
		g_string_truncate(h->ctl_in, 0);	/* no line: junk */
}

/* Reads what is there; false at the end of the stream. */
static bool stream_read(vm_host *h, vm_stream *s)
{
	char buf[16384];
	for (;;) {
		ssize_t n = recv(s->fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		if (s->out_fd >= 0)
			write_out(s->out_fd, buf, (size_t)n);
		else
			ctl_input(h, buf, (size_t)n);
	}
}

static gboolean on_stream(gint fd, GIOCondition cond, gpointer data)
{
	stream_ref *r = data;
	(void)fd;
	(void)cond;
	if (stream_read(r->h, r->s))
		return G_SOURCE_CONTINUE;
	close(r->s->fd);
	r->s->fd = -1;
	r->s->watch = 0;
	return G_SOURCE_REMOVE;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
	stream_ref *r = data;
	(void)cond;
	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c < 0)
		return G_SOURCE_CONTINUE;
	if (r->s->fd >= 0) {
		close(c);	/* one connection: QEMU's */
		return G_SOURCE_CONTINUE;
	}
	r->s->fd = c;
	r->s->watch = g_unix_fd_add_full(G_PRIORITY_DEFAULT, c, G_IO_IN | G_IO_HUP | G_IO_ERR,
					 on_stream, r, NULL);
	return G_SOURCE_CONTINUE;
}

static stream_ref refs[3];

static bool stream_open(vm_host *h, vm_stream *s, const char *path, int out_fd, int i,
			GError **error)
{
	s->fd = -1;
	s->out_fd = out_fd;
	s->listen_fd = listen_unix(path, error);
	if (s->listen_fd < 0)
		return false;
	refs[i].h = h;
	refs[i].s = s;
	g_unix_fd_add(s->listen_fd, G_IO_IN, on_accept, &refs[i]);
	return true;
}

static void stream_drain_close(vm_host *h, vm_stream *s)
{
	if (s->fd >= 0) {
		/* QEMU is gone: what it wrote is all there, up to EOF. */
		fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) & ~O_NONBLOCK);
		char buf[16384];
		ssize_t n;
		while ((n = read(s->fd, buf, sizeof buf)) > 0)
			if (s->out_fd >= 0)
				write_out(s->out_fd, buf, (size_t)n);
		if (s->watch != 0)
			g_source_remove(s->watch);
		close(s->fd);
		s->fd = -1;
	}
	(void)h;
}

/* ---- QMP: QEMU makes its socket as it starts ---- */

static gboolean qmp_try(gpointer data)
{
	vm_host *h = data;
	if (h->qemu == 0 || vm_qmp_connect(h->qmp)) {
		h->qmp_timer = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* ---- QEMU ---- */

static bool spawn_qemu(vm_host *h, GPtrArray *argv, const char *log, GError **error)
{
	int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (logfd < 0) {
		vm_errno(error, log);
		return false;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(logfd);
		g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FORK, "fork: %s", g_strerror(errno));
		return false;
	}
	if (pid == 0) {
		/* Its own process group: a terminal's ^C reaches ccidlab
		 * alone, which stops QEMU in order. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(g_ptr_array_index(argv, 0), (char **)argv->pdata);
		dprintf(2, "cannot run %s: %s\n", (char *)g_ptr_array_index(argv, 0),
			g_strerror(errno));
		_exit(127);
	}
	close(logfd);
	h->qemu = pid;
	/* For whoever checks that it is gone afterwards (tests do). */
	g_autofree char *pidfile = g_build_filename(h->plan.results, "vm-qemu.pid", NULL);
	g_autofree char *text = g_strdup_printf("%d\n", (int)pid);
	g_file_set_contents(pidfile, text, -1, NULL);
	g_child_watch_add(pid, on_qemu_exit, h);
	return true;
}

/* ---- the run ---- */

static bool make_results(vm_opts *o, vm_plan *p, GError **error)
{
	if (o->results == NULL) {
		p->results = g_build_filename(g_get_tmp_dir(), "ccidlab-vm-results.XXXXXX", NULL);
		if (g_mkdtemp(p->results) == NULL) {
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s",
				    p->results, g_strerror(errno));
			return false;
		}
		p->results_ours = true;
		return true;
	}
	if (g_mkdir_with_parents(o->results, 0755) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "--results %s: %s",
			    o->results, g_strerror(errno));
		return false;
	}
	/* The guest mounts it at the same absolute path. */
	p->results = realpath(o->results, NULL);
	if (p->results == NULL || strcmp(p->results, "/") == 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "--results %s: not a directory of its own", o->results);
		return false;
	}
	return true;
}

static bool prepare(vm_host *h, vm_kernel *k, char **initramfs, GError **error)
{
	g_autofree char *cache = vm_cache_dir(h->o);
	int lock = vm_cache_lock(cache, error);
	if (lock < 0)
		return false;
	bool ok = vm_kernel_get(h->o, cache, k, error) &&
		  (*initramfs = vm_initramfs_get(k, cache, error)) != NULL;
	close(lock);
	return ok;
}

static void vscard_log(void *data, const char *line)
{
	vm_host *h = data;
	if (!h->o->quiet && g_getenv("CCIDLAB_VM_DEBUG") != NULL)
		fprintf(stderr, "ccidlab vm: vscard %s\n", line);
}

static bool start_vscard(vm_host *h, GError **error)
{
	if (h->plan.vscard->len == 0)
		return true;
	h->vscard = vscard_server_new(vscard_log, h);
	for (guint i = 0; i < h->plan.vscard->len; i++) {
		g_auto(GStrv) f = g_strsplit(g_ptr_array_index(h->plan.vscard, i), "\t", 3);
		if (!vscard_server_add(h->vscard, f[0], f[1], f[2], false, error))
			return false;
	}
	return true;
}

static void print_tail(const char *path)
{
	g_autofree char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return;
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	guint n = g_strv_length(lines);
	guint from = n > CONSOLE_TAIL ? n - CONSOLE_TAIL : 0;
	fprintf(stderr, "ccidlab vm: the guest's console ends:\n");
	for (guint i = from; i < n; i++)
		fprintf(stderr, "  | %s\n", lines[i]);
}

static bool copy_file(const char *from, const char *to)
{
	g_autofree char *data = NULL;
	gsize len = 0;
	return g_file_get_contents(from, &data, &len, NULL) &&
	       g_file_set_contents(to, data, (gssize)len, NULL);
}

static int outcome(vm_host *h)
{
	if (h->signal != 0)
		return 128 + h->signal;
	if (h->timed_out)
		return VM_EXIT_TIMEOUT;
	if (!h->have_status) {
		if (h->failure == NULL) {
			if (!h->hello)
				vm_host_fail(h, "QEMU ended before the guest came up");
			else
				vm_host_fail(h, "the guest ended without its command's status "
						"(a panic, or its init died)");
		}
		return VM_EXIT_FAILED;
	}
	return h->status;
}

static void keep_console(vm_host *h, int rc)
{
	bool failed = h->failure != NULL;
	if (h->o->console != NULL && !copy_file(h->plan.console, h->o->console))
		fprintf(stderr, "ccidlab vm: cannot keep the console in %s\n", h->o->console);
	if (!failed)
		return;
	g_autofree char *kept = g_build_filename(h->plan.results, "console.log", NULL);
	g_autofree char *qlog = g_build_filename(h->plan.work, "qemu.log", NULL);
	g_autofree char *qkept = g_build_filename(h->plan.results, "qemu.log", NULL);
	copy_file(qlog, qkept);
	if (copy_file(h->plan.console, kept))
		fprintf(stderr, "ccidlab vm: the guest's console is kept in %s (exit %d)\n", kept, rc);
	print_tail(h->plan.console);
}

static void report_times(vm_host *h)
{
	double boot = h->hello ? (double)(h->t_hello - h->t_start) / 1e6 : -1;
	double cmd = h->have_status ? (double)(h->t_exit - h->t_hello) / 1e6 : -1;
	double total = (double)(h->t_end - h->t_start) / 1e6;
	if (h->hello)
		note(h, "guest up in %.1f s (%s), command %.1f s, total %.1f s; %u unplugged, "
			"%u plugged", boot, vm_qemu_accel(h->o), cmd, total, h->unplugs, h->plugs);
	/* For scripts and tests: the same, machine-readable. */
	g_autofree char *path = g_build_filename(h->plan.results, "vm-times", NULL);
	g_autofree char *text = g_strdup_printf("boot_s=%.2f\ncommand_s=%.2f\ntotal_s=%.2f\n"
						"accel=%s\nunplugs=%u\nplugs=%u\n",
						boot, cmd, total, vm_qemu_accel(h->o), h->unplugs,
						h->plugs);
	g_file_set_contents(path, text, -1, NULL);
}

static void clear_plan(vm_plan *p)
{
	for (guint i = 0; p->devices != NULL && i < p->devices->len; i++) {
		vm_device *d = g_ptr_array_index(p->devices, i);
		g_free(d->id);
		g_free(d->spec);
		g_free(d);
	}
	if (p->devices)
		g_ptr_array_unref(p->devices);
	if (p->vscard)
		g_ptr_array_unref(p->vscard);
	g_free(p->work);
	g_free(p->plan_dir);
	free(p->results);
	g_free(p->console);
	g_free(p->qmp_path);
	g_free(p->ctl_path);
	g_free(p->out_path);
	g_free(p->err_path);
	g_free(p->nss_dir);
}

static bool setup(vm_host *h, const vm_kernel *k, const char *initramfs, GError **error)
{
	vm_plan *p = &h->plan;
	p->work = g_build_filename(g_get_tmp_dir(), "ccidlab-vm.XXXXXX", NULL);
	if (g_mkdtemp(p->work) == NULL) {
		vm_errno(error, p->work);
		g_clear_pointer(&p->work, g_free);
		return false;
	}
	p->plan_dir = g_build_filename(p->work, "plan", NULL);
	p->console = g_build_filename(p->work, "console.log", NULL);
	p->qmp_path = g_build_filename(p->work, "qmp.sock", NULL);
	p->ctl_path = g_build_filename(p->work, "ctl.sock", NULL);
	p->out_path = g_build_filename(p->work, "out.sock", NULL);
	p->err_path = g_build_filename(p->work, "err.sock", NULL);
	if (!make_results(h->o, p, error) || !vm_plan_write(h->o, p, error) ||
	    !stream_open(h, &h->ctl, p->ctl_path, -1, 0, error) ||
	    !stream_open(h, &h->out, p->out_path, 1, 1, error) ||
	    !stream_open(h, &h->err, p->err_path, 2, 2, error) || !start_vscard(h, error))
		return false;
	g_autoptr(GPtrArray) argv = vm_qemu_argv(h->o, p, k, initramfs);
	if (g_getenv("CCIDLAB_VM_DEBUG") != NULL) {
		g_autofree char *line = g_strjoinv(" ", (char **)argv->pdata);
		fprintf(stderr, "ccidlab vm: %s\n", line);
	}
	g_autofree char *qlog = g_build_filename(p->work, "qemu.log", NULL);
	h->qmp = vm_qmp_new(p->qmp_path);
	h->t_start = g_get_monotonic_time();
	return spawn_qemu(h, argv, qlog, error);
}

static void teardown(vm_host *h)
{
	vm_stream *s[] = { &h->ctl, &h->out, &h->err };
	for (size_t i = 0; i < G_N_ELEMENTS(s); i++) {
		stream_drain_close(h, s[i]);
		if (s[i]->listen_fd > 0)
			close(s[i]->listen_fd);
	}
	guint *timers[] = { &h->boot_timer, &h->total_timer, &h->stop_timer, &h->off_timer,
			    &h->qmp_timer };
	for (size_t i = 0; i < G_N_ELEMENTS(timers); i++)
		if (*timers[i] != 0) {
			g_source_remove(*timers[i]);
			*timers[i] = 0;
		}
	vm_qmp_free(h->qmp);
	vscard_server_free(h->vscard);
}

int vm_run(vm_opts *o)
{
	vm_host host = { .o = o };
	vm_host *h = &host;
	vm_kernel k;
	g_autofree char *initramfs = NULL;
	g_autoptr(GError) err = NULL;
	int rc;

	if (!prepare(h, &k, &initramfs, &err)) {
		fprintf(stderr, "ccidlab vm: %s\n", err->message);
		return VM_EXIT_FAILED;
	}
	if (o->fetch) {
		printf("kernel %s\ninitramfs %s\n", k.vmlinuz, initramfs);
		vm_kernel_clear(&k);
		return 0;
	}
	/* Signals first: from here on a SIGINT stops QEMU, never orphans it. */
	h->loop = g_main_loop_new(NULL, FALSE);
	guint sig[] = { g_unix_signal_add(SIGINT, on_sigint, h),
			g_unix_signal_add(SIGTERM, on_sigterm, h),
			g_unix_signal_add(SIGHUP, on_sighup, h) };
	h->ctl_in = g_string_new(NULL);
	if (!setup(h, &k, initramfs, &err)) {
		fprintf(stderr, "ccidlab vm: %s\n", err->message);
		rc = VM_EXIT_FAILED;
	} else {
		note(h, "guest starting (%s, %u reader%s, boot bound %d s), results in %s",
		     vm_qemu_accel(o), o->n_rd, o->n_rd == 1 ? "" : "s", o->boot_timeout_s,
		     h->plan.results);
		h->qmp_timer = g_timeout_add(50, qmp_try, h);
		h->boot_timer = g_timeout_add_seconds((guint)o->boot_timeout_s, on_boot_timeout, h);
		h->total_timer = g_timeout_add_seconds((guint)o->timeout_s, on_total_timeout, h);
		g_main_loop_run(h->loop);
		rc = outcome(h);
		report_times(h);
		keep_console(h, rc);
	}
	teardown(h);
	for (size_t i = 0; i < G_N_ELEMENTS(sig); i++)
		g_source_remove(sig[i]);
	if (h->plan.results_ours && h->failure == NULL && rc == 0)
		vm_remove_tree(h->plan.results);
	else if (h->plan.results_ours)
		fprintf(stderr, "ccidlab vm: results kept in %s\n", h->plan.results);
	if (h->plan.work != NULL)
		vm_remove_tree(h->plan.work);
	clear_plan(&h->plan);
	g_string_free(h->ctl_in, TRUE);
	g_main_loop_unref(h->loop);
	g_free(h->failure);
	vm_kernel_clear(&k);
	return rc;
}
