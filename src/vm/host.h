/* ccidlab — the supervisor's state for one `ccidlab vm` run, shared by
 * run.c (the loop, QEMU's life) and hostctl.c (the guest's requests). */
#ifndef CCIDLAB_VM_HOST_H
#define CCIDLAB_VM_HOST_H

#include <stdbool.h>
#include <sys/types.h>

#include <glib.h>

#include "vm/vm_priv.h"
#include "vscard/server.h"

typedef struct vm_stream {
	int listen_fd;
	int fd;			/* QEMU's connection, -1 before and after */
	guint watch;
	int out_fd;		/* where the bytes go (ours: 1, 2), or -1: the control lines */
} vm_stream;

typedef struct vm_host {
	vm_opts *o;
	vm_plan plan;
	GMainLoop *loop;
	pid_t qemu;		/* 0 once reaped */
	int qemu_status;
	vm_qmp *qmp;
	guint qmp_timer;
	vscard_server *vscard;
	vm_stream ctl, out, err;
	GString *ctl_in;
	gint64 t_start, t_hello, t_exit, t_end;
	bool hello;
	bool have_status;
	int status;		/* CMD's, as the guest reported it */
	char *failure;		/* the first thing that went wrong, for the user */
	int signal;		/* SIGINT, SIGTERM or SIGHUP received */
	bool timed_out;
	guint boot_timer, total_timer, stop_timer, off_timer;
	int stop_phase;		/* 0 running, 1 quit asked, 2 SIGTERM, 3 SIGKILL */
	unsigned plugs, unplugs;
} vm_host;

/* Notes the first failure (later ones go to stderr only). */
void vm_host_fail(vm_host *h, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Begins stopping QEMU: quit, then SIGTERM, then SIGKILL, each after a
 * grace; the loop ends when QEMU is reaped. */
void vm_host_stop(vm_host *h);
/* One line from the guest's control port. */
void vm_host_ctl_line(vm_host *h, const char *line);

#endif
