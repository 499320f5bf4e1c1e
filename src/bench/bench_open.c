/* ccidlab — `ccidlab bench open`: IFDHCreateChannelByName to ready.
 *
 * The driver is loaded in this process, as pcscd loads it, and called as
 * pcscd calls it at start-up: IFDHCreateChannelByName(Lun, DEVICENAME),
 * then the first IFDHICCPresence (pcscd's "Initial Check").  N readers
 * are opened side by side (Lun = i << 16) and then closed, round after
 * round.  The baseline is the null reader's open, which builds no device
 * model and no host engine: what is left of it is the driver's table and
 * the control server.
 *
 * The driver's control server starts with the first open reader: it gets
 * a private socket here (CCIDLAB_CTL_LISTEN), never pcscd's, and the
 * driver's log lines (stderr without pcscd) go to a file.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <ifdhandler.h>

#include "bench/bench.h"

typedef struct driver_api {
	__typeof__(&IFDHCreateChannelByName) create;
	__typeof__(&IFDHICCPresence) presence;
	__typeof__(&IFDHCloseChannel) close;
} driver_api;

typedef struct open_profile {
	const char *label;
	const char *devname;	/* without name=: the index is added */
	RESPONSECODE want;	/* the first presence answer */
} open_profile;

static const open_profile profiles[] = {
	{ "emu:null (baseline)", "emu:null", IFD_ICC_PRESENT },
	{ "generic-apdu-irq, card", "emu:generic-apdu-irq:card=readertest@t1",
	  IFD_ICC_PRESENT },
	{ "generic-apdu-irq, empty", "emu:generic-apdu-irq:card=none",
	  IFD_ICC_NOT_PRESENT },
	{ "generic-t1-irq, card", "emu:generic-t1-irq:card=readertest@t1",
	  IFD_ICC_PRESENT },
	{ "generic-short-poll, card", "emu:generic-short-poll:card=readertest@t1",
	  IFD_ICC_PRESENT },
	{ "generic-ext-multi, 4 slots", "emu:generic-ext-multi:card=readertest@t1",
	  IFD_ICC_PRESENT },
};

static bool load(const char *path, driver_api *api)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		fprintf(stderr, "ccidlab bench open: %s\n", dlerror());
		return false;
	}
	/* Never dlclose'd: GLib keeps types and threads of the driver. */
	*(void **)&api->create = dlsym(h, "IFDHCreateChannelByName");
	*(void **)&api->presence = dlsym(h, "IFDHICCPresence");
	*(void **)&api->close = dlsym(h, "IFDHCloseChannel");
	if (api->create == NULL || api->presence == NULL || api->close == NULL) {
		fprintf(stderr, "ccidlab bench open: %s lacks an IFDH entry point\n", path);
		return false;
	}
	return true;
}

typedef struct open_result {
	GArray *per_reader;	/* µs: create + first presence */
	double batch_us;	/* sum of the rounds' wall time */
	unsigned failed;	/* create failed */
	unsigned unready;	/* first presence not the expected answer */
} open_result;

static void run_profile(const driver_api *api, const open_profile *p, const bench_opts *o,
			open_result *res)
{
	int n = o->open_readers;
	g_autofree bool *opened = g_new0(bool, (size_t)n);

	res->per_reader = g_array_new(FALSE, FALSE, sizeof(double));
	for (int round = 0; round < o->open_rounds; round++) {
		uint64_t b0 = bench_now_ns();
		for (int i = 0; i < n; i++) {
			g_autofree char *dev = g_strdup_printf("%s:name=open%d", p->devname, i);
			DWORD lun = (DWORD)i << 16;
			uint64_t t0 = bench_now_ns();
			RESPONSECODE rc = api->create(lun, dev);
			if (rc != IFD_SUCCESS) {
				res->failed++;
				opened[i] = false;
				continue;
			}
			RESPONSECODE pr = api->presence(lun);
			double dt = (double)(bench_now_ns() - t0) / 1000.0;
			opened[i] = true;
			if (pr != p->want)
				res->unready++;
			g_array_append_val(res->per_reader, dt);
		}
		res->batch_us += (double)(bench_now_ns() - b0) / 1000.0;
		for (int i = 0; i < n; i++)
			if (opened[i])
				api->close((DWORD)i << 16);
	}
}

int bench_open_run(const bench_opts *o)
{
	driver_api api;
	g_autoptr(GError) err = NULL;

	printf("\n== Reader open: IFDHCreateChannelByName + first IFDHICCPresence, driver in-process "
	       "(%d readers at once x %d rounds per profile; baseline: emu:null)\n",
	       o->open_readers, o->open_rounds);
	if (o->driver == NULL) {
		fprintf(stderr, "ccidlab bench open: no driver: give --driver or $CCIDLAB_DRIVER\n");
		return 1;
	}
	g_autofree char *dir = g_dir_make_tmp("ccidlab-bench-XXXXXX", &err);
	if (dir == NULL) {
		fprintf(stderr, "ccidlab bench open: %s\n", err->message);
		return 1;
	}
	g_autofree char *sock = g_build_filename(dir, "ctl.sock", NULL);
	g_autofree char *log = g_build_filename(dir, "driver.log", NULL);
	g_setenv("CCIDLAB_CTL_LISTEN", sock, TRUE);
	printf("  driver: %s\n", o->driver);
	if (!load(o->driver, &api))
		return 1;

	open_result res[G_N_ELEMENTS(profiles)];
	memset(res, 0, sizeof res);
	int saved = bench_divert_stderr(log);
	for (size_t k = 0; k < G_N_ELEMENTS(profiles); k++)
		run_profile(&api, &profiles[k], o, &res[k]);
	bench_restore_stderr(saved);

	double base = 0.0;
	bool trouble = false;
	for (size_t k = 0; k < G_N_ELEMENTS(profiles); k++) {
		double *v = (double *)(void *)res[k].per_reader->data;
		size_t m = res[k].per_reader->len;
		bench_sort(v, m);
		double med = bench_quantile(v, m, 0.5), p99 = bench_quantile(v, m, 0.99);
		double mean = m ? res[k].batch_us / (double)m : 0.0;
		if (k == 0)
			base = med;
		printf("    %-28s median %7.1f µs/reader, p99 %7.1f, max %7.1f, mean %7.1f  %6.2fx baseline",
		       profiles[k].label, med, p99, m ? v[m - 1] : 0.0, mean,
		       base > 0.0 ? med / base : 0.0);
		if (k > 0)
			printf("   target <= 1 ms/reader (p99): %s", bench_verdict(m > 0 && p99 <= 1000.0));
		printf("\n");
		if (res[k].failed || res[k].unready) {
			printf("      %u opens failed, %u first presence answers not as expected\n",
			       res[k].failed, res[k].unready);
			trouble = true;
		}
		g_array_unref(res[k].per_reader);
	}
	if (trouble)
		printf("  the driver's log: %s\n", log);
	else {
		g_unlink(log);
		g_unlink(sock);	/* the server may leave it behind */
		g_rmdir(dir);
	}
	return 0;
}
