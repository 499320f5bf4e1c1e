/* ccidlab — `ccidlab lab`: runs one command against a private pcscd.
 *
 * The lab starts Debian's real pcscd (-f -d -a) in a private mount
 * namespace with its own /run/pcscd, its own reader.conf.d and its own USB
 * drop dir (holding only the ccidlab bundle), waits until it answers, runs
 * the command with PCSCLITE_CSOCK_NAME pointing at it, and stops pcscd by
 * its own pid whatever happens to the command.  Two labs never see each
 * other, and none leaves a pcscd or a mount behind.
 *
 * With --root DIR both pcscd and the command run chrooted in a Debian root
 * (lab_root.h), in the same private mount namespace: the daemon and the
 * client library under test are the root's.
 *
 * Past 600 lines, whole on purpose: one lab's life in order (options,
 * the private tree, pcscd's start and readiness, the command, the stop
 * on every path), which reads best as one file; the namespace, the root
 * and the lab's files already live apart (lab_ns.c, lab_root*.c,
 * labfiles.c).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "lab/lab.h"
#include "lab/lab_refused.h"
#include "lab/lab_root.h"
#include "lab/labfiles.h"

#define LAB_STOP_GRACE_MS 5000	/* SIGTERM, then SIGKILL after this */
#define LAB_CMD_GRACE_MS 5000	/* the command's own grace on interrupt */
#define LAB_EXIT_FAILED 125	/* the lab itself failed (as env(1) and timeout(1) do) */

typedef struct lab_opts {
	char *conf;
	char *driver;
	char *keep_log;
	char *pcscd;
	char *preload;
	char *usbsim;		/* CCIDLAB_USBSIM for pcscd, with the shim preloaded */
	char *usbsim_lib;
	char **bundles;		/* more bundle dirs for the private drop dir */
	char *root;		/* --root: a Debian root to run in */
	int timeout_s;
	gboolean quiet;
	gboolean allow_refused;	/* run CMD even when pcscd refused an entry */
	char **cmd;
} lab_opts;

typedef struct lab {
	lab_opts o;
	char *dir;	/* the private tree: run/ conf/ drivers/ pcscd.log */
	char *run_dir, *conf_dir, *drivers_dir, *log_path, *socket_path;
	pid_t pcscd;	/* 0 once reaped */
	int pcscd_status;
	pid_t cmd;	/* 0 once reaped */
	int cmd_status;
	int sigfd;
	int interrupted;	/* SIGINT, SIGTERM, SIGHUP or SIGQUIT received */
	sigset_t old_mask;
	lab_root root;	/* what the root holds, with --root */
} lab;

static gint64 now_ms(void)
{
	return g_get_monotonic_time() / 1000;
}

static void note(const lab *l, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void note(const lab *l, const char *fmt, ...)
{
	if (l->o.quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "ccidlab lab: %s\n", msg);
}

/* Reaps whichever of our children have exited, without blocking. */
static void reap(lab *l)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == l->pcscd) {
			l->pcscd = 0;
			l->pcscd_status = status;
		} else if (pid == l->cmd) {
			l->cmd = 0;
			l->cmd_status = status;
		}
	}
}

/* Waits up to `ms` for a signal on the lab's signalfd; returns the signal
 * number, or 0 on timeout.  SIGCHLD also reaps. */
static int wait_signal(lab *l, int ms)
{
	struct pollfd p = { .fd = l->sigfd, .events = POLLIN };
	if (poll(&p, 1, ms) <= 0)
		return 0;
	struct signalfd_siginfo si;
	if (read(l->sigfd, &si, sizeof si) != (ssize_t)sizeof si)
		return 0;
	if (si.ssi_signo == SIGCHLD)
		reap(l);
	else if (l->interrupted == 0)
		l->interrupted = (int)si.ssi_signo;
	return (int)si.ssi_signo;
}

static char *log_tail(const lab *l, int lines)
{
	g_autofree char *text = NULL;
	if (!g_file_get_contents(l->log_path, &text, NULL, NULL))
		return g_strdup("(no log)");
	g_auto(GStrv) all = g_strsplit(text, "\n", -1);
	guint n = g_strv_length(all);
	guint from = n > (guint)lines ? n - (guint)lines : 0;
	return g_strjoinv("\n", all + from);
}

static gboolean socket_answers(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path)
		return FALSE;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return FALSE;
	gboolean ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

/* pcscd is ready once its socket accepts and it has logged that it is
 * (it reads reader.conf.d and opens every reader before that line). */
static gboolean pcscd_ready(const lab *l)
{
	if (!socket_answers(l->socket_path))
		return FALSE;
	g_autofree char *text = NULL;
	if (!g_file_get_contents(l->log_path, &text, NULL, NULL))
		return FALSE;
	return strstr(text, "daemon ready") != NULL;
}

/* The root lab's pcscd: the lab's conf as the root sees it, and no polkit
 * (pcsc-lite 2.x asks it otherwise, and a root has no polkit daemon). */
static void root_plan(lab *l, lab_ns_plan *plan, char **argv, char *conf)
{
	plan->root = l->root.dir;
	plan->lab_dir = l->dir;
	plan->ipc_dir = l->root.ipc_dir;
	plan->drop_dir = l->root.drop_dir;
	plan->preload = l->root.preload;
	argv[5] = conf;
	if (l->root.disable_polkit)
		argv[6] = "--disable-polkit";
}

/* Every reader.conf.d entry pcscd refused, with its reason, on stderr
 * (pcscd is ready: it has tried them all).  A refusal stops the lab
 * unless --allow-refused: a command run with readers missing fails in
 * ways that do not name the cause. */
static int report_refused(const lab *l)
{
	g_autofree char *text = NULL;
	if (!g_file_get_contents(l->log_path, &text, NULL, NULL))
		return 0;
	g_autoptr(GPtrArray) refused = lab_refused_entries(text);
	for (guint i = 0; i < refused->len; i++)
		fprintf(stderr, "ccidlab lab: pcscd refused reader %s\n",
			(const char *)g_ptr_array_index(refused, i));
	if (refused->len == 0 || l->o.allow_refused)
		return 0;
	fprintf(stderr, "ccidlab lab: %u reader.conf.d %s refused: not running %s "
		"(--allow-refused runs it anyway)\n", refused->len,
		refused->len == 1 ? "entry" : "entries", l->o.cmd[0]);
	return -1;
}

static int start_pcscd(lab *l)
{
	char *argv[] = { l->o.pcscd, "-f", "-d", "-a", "-c", l->conf_dir, NULL, NULL };
	g_autofree char *root_conf = g_build_filename(LAB_ROOT_LABDIR, "conf", NULL);
	lab_ns_plan plan = {
		.run_dir = l->run_dir,
		.drivers_dir = l->drivers_dir,
		.ipc_dir = PCSCD_IPCDIR,
		.drop_dir = PCSCD_USBDROPDIR,
		.log_path = l->log_path,
		.argv = argv,
		.preload = l->o.preload,
		.uid = getuid(),
		.gid = getgid(),
	};
	if (l->o.root != NULL)
		root_plan(l, &plan, argv, root_conf);

	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "ccidlab lab: fork: %s\n", g_strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &l->old_mask, NULL);
		if (l->o.usbsim != NULL) {
			/* The shim serves the control socket where the command's
			 * CCIDLAB_CTL_SOCKET points (libccid starts none). */
			g_autofree char *ctl = g_build_filename(
				l->o.root != NULL ? l->root.ipc_dir : l->run_dir, "ccidlab.sock", NULL);
			/* ccidlab's own driver on usbsim devices serves its socket
			 * (the edges it observes) beside it. */
			g_autofree char *drv = g_build_filename(
				l->o.root != NULL ? l->root.ipc_dir : l->run_dir, "ccidlab-driver.sock",
				NULL);
			setenv("CCIDLAB_USBSIM", l->o.usbsim, 1);
			setenv("CCIDLAB_USBSIM_CTL", ctl, 1);
			setenv("CCIDLAB_CTL_LISTEN", drv, 1);
		}
		if (l->o.root != NULL)
			lab_root_setenv(&l->root, FALSE);
		lab_ns_exec_pcscd(&plan);
		_exit(127);
	}
	l->pcscd = pid;

	gint64 deadline = now_ms() + (gint64)l->o.timeout_s * 1000;
	while (!pcscd_ready(l)) {
		reap(l);
		if (l->pcscd == 0) {
			g_autofree char *tail = log_tail(l, 15);
			fprintf(stderr, "ccidlab lab: pcscd exited (status %d) before it answered; "
				"its log ends:\n%s\n", l->pcscd_status, tail);
			return -1;
		}
		if (now_ms() >= deadline) {
			g_autofree char *tail = log_tail(l, 15);
			fprintf(stderr, "ccidlab lab: pcscd did not answer on %s within %d s; "
				"its log ends:\n%s\n", l->socket_path, l->o.timeout_s, tail);
			return -1;
		}
		wait_signal(l, 10);
		if (l->interrupted != 0) {
			note(l, "interrupted by signal %d while pcscd started", l->interrupted);
			return -1;
		}
	}
	if (l->o.root != NULL)
		lab_root_note_ns(&l->root, l->pcscd);
	note(l, "pcscd %d ready on %s", (int)l->pcscd, l->socket_path);
	return report_refused(l);
}

static int start_cmd(lab *l)
{
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "ccidlab lab: fork: %s\n", g_strerror(errno));
		return -1;
	}
	if (pid == 0) {
		char pidbuf[32];
		sigprocmask(SIG_SETMASK, &l->old_mask, NULL);
		/* Without its lab the command has no pcscd: it ends with it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		snprintf(pidbuf, sizeof pidbuf, "%d", (int)l->pcscd);
		setenv("PCSCLITE_CSOCK_NAME", l->socket_path, 1);
		setenv("CCIDLAB_LAB_DIR", l->dir, 1);
		{
			/* The control socket (ccidlab-ctl(7)) sits beside pcscd's own
			 * in the private IPC dir. */
			g_autofree char *ctl = g_build_filename(l->run_dir, "ccidlab.sock", NULL);
			setenv("CCIDLAB_CTL_SOCKET", ctl, 1);
			if (l->o.usbsim != NULL) {
				g_autofree char *drv =
					g_build_filename(l->run_dir, "ccidlab-driver.sock", NULL);
				setenv("CCIDLAB_DRIVER_SOCKET", drv, 1);
			}
		}
		setenv("CCIDLAB_PCSCD_PID", pidbuf, 1);
		setenv("CCIDLAB_PCSCD_LOG", l->log_path, 1);
		if (l->o.root != NULL)
			lab_root_enter(&l->root, l->pcscd, &l->o.cmd[0]);
		execvp(l->o.cmd[0], l->o.cmd);
		fprintf(stderr, "ccidlab lab: cannot run %s: %s\n", l->o.cmd[0], g_strerror(errno));
		_exit(127);
	}
	l->cmd = pid;
	return 0;
}

/* Sends `sig`, then SIGKILL if the child is still there after `grace_ms`. */
static void stop_child(lab *l, pid_t *which, int sig, int grace_ms)
{
	if (*which == 0)
		return;
	kill(*which, sig);
	gint64 deadline = now_ms() + grace_ms;
	while (*which != 0 && now_ms() < deadline) {
		reap(l);
		if (*which != 0)
			wait_signal(l, 20);
	}
	if (*which != 0) {
		kill(*which, SIGKILL);
		while (*which != 0) {
			reap(l);
			if (*which != 0)
				wait_signal(l, 20);
		}
	}
}

/* Runs the command to its end, or until the lab is interrupted.  Returns
 * the lab's exit status. */
static int supervise(lab *l)
{
	gboolean pcscd_died_noted = FALSE;

	while (l->cmd != 0) {
		int sig = wait_signal(l, 1000);
		if (l->interrupted != 0) {
			note(l, "interrupted by signal %d: stopping the command", l->interrupted);
			stop_child(l, &l->cmd, l->interrupted == SIGINT ? SIGINT : SIGTERM,
				   LAB_CMD_GRACE_MS);
			break;
		}
		if (sig == 0)
			reap(l);
		if (l->pcscd == 0 && !pcscd_died_noted) {
			pcscd_died_noted = TRUE;
			fprintf(stderr, "ccidlab lab: pcscd exited during the command (status %d)\n",
				l->pcscd_status);
		}
	}
	if (l->interrupted != 0)
		return 128 + l->interrupted;
	if (WIFEXITED(l->cmd_status))
		return WEXITSTATUS(l->cmd_status);
	if (WIFSIGNALED(l->cmd_status))
		return 128 + WTERMSIG(l->cmd_status);
	return 1;
}

static void finish(lab *l)
{
	if (l->pcscd != 0) {
		stop_child(l, &l->pcscd, SIGTERM, LAB_STOP_GRACE_MS);
		note(l, "pcscd stopped");
	}
	if (l->o.root != NULL)
		lab_root_kill_rest(&l->root);
	if (l->o.keep_log != NULL && l->log_path != NULL) {
		g_autoptr(GError) err = NULL;
		if (!lab_copy_file(l->log_path, l->o.keep_log, &err))
			fprintf(stderr, "ccidlab lab: cannot keep the log: %s\n", err->message);
	}
	if (l->dir != NULL)
		lab_remove_tree(l->dir);
}

/* --bundle: another driver's bundle (Contents/Info.plist,
 * Contents/Linux/DRIVER.so), copied whole into the private drop dir.  Regular
 * files and directories only, LAB_BUNDLE_MAX_DEPTH deep. */
#define LAB_BUNDLE_MAX_DEPTH 8
static gboolean copy_tree(const char *from, const char *to, int depth, GError **error)
{
	if (depth > LAB_BUNDLE_MAX_DEPTH) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_LOOP, "%s: too deep", from);
		return FALSE;
	}
	if (g_mkdir(to, 0755) != 0 && errno != EEXIST) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", to,
			    g_strerror(errno));
		return FALSE;
	}
	g_autoptr(GDir) dir = g_dir_open(from, 0, error);
	if (dir == NULL)
		return FALSE;
	for (const char *name; (name = g_dir_read_name(dir)) != NULL;) {
		g_autofree char *src = g_build_filename(from, name, NULL);
		g_autofree char *dst = g_build_filename(to, name, NULL);
		gboolean ok = TRUE;
		if (g_file_test(src, G_FILE_TEST_IS_DIR))
			ok = copy_tree(src, dst, depth + 1, error);
		else if (g_file_test(src, G_FILE_TEST_IS_REGULAR))
			ok = lab_copy_file(src, dst, error);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

static int prepare(lab *l)
{
	g_autoptr(GError) err = NULL;
	const char *tmp = g_get_tmp_dir();

	l->dir = g_build_filename(tmp, "ccidlab-lab.XXXXXX", NULL);
	if (g_mkdtemp(l->dir) == NULL) {
		fprintf(stderr, "ccidlab lab: cannot create %s: %s\n", l->dir, g_strerror(errno));
		g_clear_pointer(&l->dir, g_free);
		return -1;
	}
	l->run_dir = g_build_filename(l->dir, "run", NULL);
	l->conf_dir = g_build_filename(l->dir, "conf", NULL);
	l->drivers_dir = g_build_filename(l->dir, "drivers", NULL);
	l->log_path = g_build_filename(l->dir, "pcscd.log", NULL);
	l->socket_path = g_build_filename(l->run_dir, "pcscd.comm", NULL);
	/* pcscd runs as the caller (root or a mapped user), clients connect
	 * as the caller: the tree needs no wider permission than 0755. */
	if (g_mkdir(l->run_dir, 0755) != 0 || g_mkdir(l->conf_dir, 0755) != 0 ||
	    g_mkdir(l->drivers_dir, 0755) != 0 || g_chmod(l->dir, 0755) != 0) {
		fprintf(stderr, "ccidlab lab: cannot lay out %s: %s\n", l->dir, g_strerror(errno));
		return -1;
	}
	if (!lab_stage_bundle(l->o.driver, l->drivers_dir, &err)) {
		fprintf(stderr, "ccidlab lab: --driver %s: %s\n", l->o.driver, err->message);
		return -1;
	}
	for (size_t i = 0; l->o.bundles != NULL && l->o.bundles[i] != NULL; i++) {
		g_autofree char *base = g_path_get_basename(l->o.bundles[i]);
		g_autofree char *to = g_build_filename(l->drivers_dir, base, NULL);
		if (!g_file_test(l->o.bundles[i], G_FILE_TEST_IS_DIR) ||
		    !copy_tree(l->o.bundles[i], to, 0, &err)) {
			fprintf(stderr, "ccidlab lab: --bundle %s: %s\n", l->o.bundles[i],
				err ? err->message : "not a directory");
			return -1;
		}
	}
	if (l->o.root != NULL) {
		if (!lab_root_prepare(&l->root, l->o.root, l->dir, l->o.driver, l->o.pcscd,
				      l->o.preload, &err)) {
			fprintf(stderr, "ccidlab lab: --root %s: %s\n", l->o.root, err->message);
			return -1;
		}
		note(l, "root %s: pcsc-lite %s%s", l->root.dir,
		     l->root.version ? l->root.version : "(version unknown)",
		     l->root.libs ? ", with libraries it lacks copied in" : "");
	}
	/* The reader.conf check follows the lexer of the pcscd that runs. */
	g_autofree char *version = l->o.root != NULL ? g_strdup(l->root.version)
						     : lab_pcscd_version(l->o.pcscd);
	if (l->o.conf != NULL && !lab_copy_conf(l->o.conf, l->conf_dir, version, &err)) {
		fprintf(stderr, "ccidlab lab: --conf %s: %s\n", l->o.conf, err->message);
		return -1;
	}
	return 0;
}

static int block_signals(lab *l)
{
	sigset_t set;

	/* A shell starts background jobs with SIGINT and SIGQUIT ignored, and
	 * an ignored signal never reaches a signalfd: take them back, since the
	 * lab must stop pcscd on every one of them. */
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &set, &l->old_mask) != 0)
		return -1;
	l->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	return l->sigfd < 0 ? -1 : 0;
}

/* Run from a build tree (build/src/cli/ccidlab), the lab takes the bundle
 * staged beside it (build/bundle/...); installed, the installed one. */
static char *default_driver(void)
{
	g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
	if (exe != NULL) {
		g_autofree char *tools = g_path_get_dirname(exe);
		g_autofree char *staged = g_build_filename(tools, "..", "..", "bundle",
							   "ifd-ccidlab.bundle", "Contents", "Linux",
							   "libccidlab.so", NULL);
		if (g_file_test(staged, G_FILE_TEST_IS_REGULAR) &&
		    g_str_has_suffix(tools, "/src/cli"))
			return g_steal_pointer(&staged);
	}
	return g_build_filename(USBDROPDIR, "ifd-ccidlab.bundle", "Contents", "Linux",
				"libccidlab.so", NULL);
}

/* The usbsim shim: staged in the build tree beside this binary
 * (build/src/usbsim/.libs/), else installed in $(pkglibdir). */
static char *default_usbsim_lib(void)
{
	g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
	if (exe != NULL) {
		g_autofree char *tools = g_path_get_dirname(exe);
		g_autofree char *staged = g_build_filename(tools, "..", "usbsim", ".libs",
							   "libccidlab-usbsim.so", NULL);
		if (g_file_test(staged, G_FILE_TEST_IS_REGULAR) &&
		    g_str_has_suffix(tools, "/src/cli"))
			return g_steal_pointer(&staged);
	}
	return g_build_filename(PKGLIBDIR, "libccidlab-usbsim.so", NULL);
}

static gboolean parse_args(lab_opts *o, int argc, char **argv)
{
	g_autoptr(GError) err = NULL;
	GOptionEntry entries[] = {
		{ "conf", 0, 0, G_OPTION_ARG_FILENAME, &o->conf,
		  "reader.conf.d directory (or one file) for the private pcscd", "DIR" },
		{ "driver", 'D', 0, G_OPTION_ARG_FILENAME, &o->driver,
		  "libccidlab.so to load (default: $CCIDLAB_DRIVER, else the build tree's or the installed one)", "PATH" },
		{ "keep-log", 'k', 0, G_OPTION_ARG_FILENAME, &o->keep_log,
		  "copy pcscd's log to FILE when the lab ends", "FILE" },
		{ "pcscd", 0, 0, G_OPTION_ARG_FILENAME, &o->pcscd,
		  "pcscd binary (default: " PCSCD_PATH "; with --root, a path in the root)", "PATH" },
		{ "preload", 0, 0, G_OPTION_ARG_STRING, &o->preload,
		  "LD_PRELOAD for pcscd (default: $CCIDLAB_LAB_PRELOAD)", "LIBS" },
		{ "usbsim", 0, 0, G_OPTION_ARG_STRING, &o->usbsim,
		  "preload libccidlab-usbsim.so into pcscd with CCIDLAB_USBSIM=SPEC (emulated USB readers)",
		  "SPEC" },
		{ "usbsim-lib", 0, 0, G_OPTION_ARG_FILENAME, &o->usbsim_lib,
		  "the usbsim shim (default: $CCIDLAB_USBSIM_LIB, else the build tree's or the installed one)",
		  "PATH" },
		{ "bundle", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->bundles,
		  "copy another driver's bundle DIR into the private drop dir (repeatable)", "DIR" },
		{ "root", 0, 0, G_OPTION_ARG_FILENAME, &o->root,
		  "run pcscd and CMD chrooted in this Debian root (see ccidlab mkroot); needs root",
		  "DIR" },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &o->timeout_s,
		  "seconds to wait for pcscd to answer (default 15)", "S" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "say nothing unless something fails",
		  NULL },
		{ "allow-refused", 0, 0, G_OPTION_ARG_NONE, &o->allow_refused,
		  "run CMD even when pcscd refused a reader.conf.d entry (still named on stderr)",
		  NULL },
		{ G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->cmd, NULL, "-- CMD [ARGS...]" },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
	g_option_context_set_summary(ctx,
		"Runs CMD against a private pcscd that loads ccidlab's driver and the\n"
		"readers of --conf, in a private mount namespace.  Exits with CMD's status.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_strict_posix(ctx, TRUE);
	o->timeout_s = 15;
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "ccidlab lab: %s\n", err->message);
		return FALSE;
	}
	if (o->cmd == NULL || o->cmd[0] == NULL) {
		fprintf(stderr, "ccidlab lab: no command given (ccidlab lab [OPTIONS] -- CMD [ARGS...])\n");
		return FALSE;
	}
	if (o->timeout_s <= 0 || o->timeout_s > 600) {
		fprintf(stderr, "ccidlab lab: --timeout must be 1..600 seconds\n");
		return FALSE;
	}
	if (o->driver == NULL)
		o->driver = g_strdup(g_getenv("CCIDLAB_DRIVER"));
	if (o->driver == NULL)
		o->driver = default_driver();
	/* A build tree's driver reads the build tree's catalogue (pcscd and
	 * CMD inherit it); an installed one reads the installed catalogue. */
	g_autofree char *tsv = lab_build_catalogue(o->driver);
	if (tsv != NULL && o->root == NULL && g_getenv("CCIDLAB_READERS_TSV") == NULL)
		g_setenv("CCIDLAB_READERS_TSV", tsv, TRUE);
	if (o->pcscd == NULL)
		o->pcscd = g_strdup(PCSCD_PATH);
	if (o->preload == NULL)
		o->preload = g_strdup(g_getenv("CCIDLAB_LAB_PRELOAD"));
	if (o->usbsim != NULL) {
		if (o->usbsim_lib == NULL)
			o->usbsim_lib = g_strdup(g_getenv("CCIDLAB_USBSIM_LIB"));
		if (o->usbsim_lib == NULL)
			o->usbsim_lib = default_usbsim_lib();
		/* After the others (a sanitizer runtime must come first): any
		 * preloaded object still precedes the libusb the driver loads. */
		char *both = o->preload != NULL && o->preload[0] != '\0'
				     ? g_strdup_printf("%s %s", o->preload, o->usbsim_lib)
				     : g_strdup(o->usbsim_lib);
		g_free(o->preload);
		o->preload = both;
	}
	return TRUE;
}

static void lab_clear(lab *l)
{
	g_free(l->o.conf);
	g_free(l->o.driver);
	g_free(l->o.keep_log);
	g_free(l->o.pcscd);
	g_free(l->o.preload);
	g_free(l->o.usbsim);
	g_free(l->o.usbsim_lib);
	g_strfreev(l->o.bundles);
	g_free(l->o.root);
	lab_root_clear(&l->root);
	g_strfreev(l->o.cmd);
	g_free(l->dir);
	g_free(l->run_dir);
	g_free(l->conf_dir);
	g_free(l->drivers_dir);
	g_free(l->log_path);
	g_free(l->socket_path);
	if (l->sigfd >= 0)
		close(l->sigfd);
}

int lab_main(int argc, char **argv)
{
	lab l = { .sigfd = -1, .root.lock_fd = -1 };
	int status = LAB_EXIT_FAILED;

	if (!parse_args(&l.o, argc, argv)) {
		lab_clear(&l);
		return 2;
	}
	if (block_signals(&l) != 0) {
		fprintf(stderr, "ccidlab lab: cannot set up signals: %s\n", g_strerror(errno));
		lab_clear(&l);
		return LAB_EXIT_FAILED;
	}
	if (prepare(&l) == 0 && start_pcscd(&l) == 0 && start_cmd(&l) == 0)
		status = supervise(&l);
	else if (l.interrupted != 0)
		status = 128 + l.interrupted;
	finish(&l);
	lab_clear(&l);
	return status;
}
