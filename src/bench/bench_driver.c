/* ccidlab — `ccidlab bench driver`: ccidlab's driver against Debian's
 * libccid with no pcscd between the client and the driver.
 *
 * Both drivers are loaded in this process, as pcscd loads them, and
 * called as pcscd calls them, on usbsim devices of the same profiles:
 * the libusb-1.0 shim is preloaded (make bench does it) and
 * $CCIDLAB_USBSIM lists, in this order, an APDU-level and a T=1 TPDU
 * device for each driver (`ccidlab bench --write-conf DIR driver` writes
 * that list into DIR.usbsim).  libccid opens only the ids its Info.plist
 * lists: $PCSCLITE_HP_DROPDIR names the drop dir of a bundle copy that
 * lists the shim's id (tests/libccid-bundle.sh), where libccid 1.5 looks
 * for its Info.plist.  libccid calls pcscd's log_msg and log_xxd: this
 * program exports both (bench_log.c), so each driver's lines go to the
 * same place.
 *
 * Figures, every one as the ratio ccidlab / libccid from the same rounds
 * (the drivers take turns, in alternating order, so that a drift of the
 * machine falls on both alike):
 *   reader open: IFDHCreateChannelByName + the first IFDHICCPresence;
 *   APDU: IFDHTransmitToICC, case 1 and case 4 with 255 bytes, per profile.
 */
#include "config.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <ifdhandler.h>

#include "bench/bench.h"
#include "bench/bench_floor.h"

#define BATCH 50
#define WARMUP 50
#define LIBCCID_SO "ifd-ccid.bundle/Contents/Linux/libccid.so"
#define LIBCCID_PATH "/usr/lib/pcsc/drivers/" LIBCCID_SO
/* The floor's devices (bus 1): the last two of --write-conf's list. */
#define FLOOR_APDU 6
#define FLOOR_T1 7

typedef struct drv {
	const char *label;
	__typeof__(&IFDHCreateChannelByName) create;
	__typeof__(&IFDHICCPresence) presence;
	__typeof__(&IFDHCloseChannel) close;
	__typeof__(&IFDHPowerICC) power;
	__typeof__(&IFDHSetProtocolParameters) set_proto;
	__typeof__(&IFDHTransmitToICC) transmit;
	__typeof__(&IFDHGetCapabilities) get_caps;
} drv;

/* pcscd's types for the functions of TAG_IFD_POLLING_THREAD_WITH_TIMEOUT
 * and TAG_IFD_STOP_POLLING_THREAD. */
typedef RESPONSECODE (*wait_fn)(DWORD lun, int timeout_ms);
typedef RESPONSECODE (*stop_fn)(DWORD lun);

/* One open channel: a driver, a Lun, a usbsim device. */
typedef struct chan {
	const char *label;
	const drv *d;		/* NULL: the floor, no driver */
	bench_floor *floor;
	DWORD lun;
	char *devname;
	bool ok;
	unsigned errors;
	GArray *us;
	/* pcscd's event thread for this reader: both drivers keep their
	 * interrupt pipe read in flight while APDUs run, as under pcscd. */
	GThread *events;
	wait_fn wait;
	stop_fn stop;
	gint quit;
} chan;

static bool load(const char *path, const char *label, drv *d)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		fprintf(stderr, "ccidlab bench driver: %s\n", dlerror());
		return false;
	}
	/* Never dlclose'd: both keep threads and libusb state. */
	d->label = label;
	*(void **)&d->create = dlsym(h, "IFDHCreateChannelByName");
	*(void **)&d->presence = dlsym(h, "IFDHICCPresence");
	*(void **)&d->close = dlsym(h, "IFDHCloseChannel");
	*(void **)&d->power = dlsym(h, "IFDHPowerICC");
	*(void **)&d->set_proto = dlsym(h, "IFDHSetProtocolParameters");
	*(void **)&d->transmit = dlsym(h, "IFDHTransmitToICC");
	*(void **)&d->get_caps = dlsym(h, "IFDHGetCapabilities");
	if (!d->create || !d->presence || !d->close || !d->power || !d->set_proto || !d->transmit ||
	    !d->get_caps) {
		fprintf(stderr, "ccidlab bench driver: %s lacks an IFDH entry point\n", path);
		return false;
	}
	return true;
}

/* A usbsim device of the shim: bus 1, addresses 2, 3... in list order. */
static char *usb_name(unsigned address)
{
	return g_strdup_printf("usb:1209/0002:libusb-1.0:1:%u:0", address);
}

/* ---- reader open ---- */

static void time_opens(const drv *const *ds, size_t nd, char *const *names, int rounds,
		       GArray **us, unsigned *failed)
{
	for (int round = 0; round < rounds; round++)
		for (size_t j = 0; j < nd; j++) {
			size_t i = round % 2 ? nd - 1 - j : j;
			uint64_t t0 = bench_now_ns();
			RESPONSECODE rc = ds[i]->create(0, names[i]);
			if (rc != IFD_SUCCESS) {
				failed[i]++;
				continue;
			}
			RESPONSECODE pr = ds[i]->presence(0);
			double dt = (double)(bench_now_ns() - t0) / 1000.0;
			ds[i]->close(0);
			if (pr == IFD_ICC_PRESENT) {
				g_array_append_val(us[i], dt);
			} else {
				failed[i]++;
				fprintf(stderr, "ccidlab bench driver: %s, round %d: first "
					"IFDHICCPresence 0x%lX\n", ds[i]->label, round, (unsigned long)pr);
			}
		}
}

/* Returns the failed opens. */
static unsigned opens(const drv *cl, const drv *lc, int rounds)
{
	const drv *ds[2] = { cl, lc };
	/* The APDU-level devices, before the APDU figures open them. */
	char *names[2] = { usb_name(2), usb_name(3) };
	GArray *us[2] = { g_array_new(FALSE, FALSE, sizeof(double)),
			  g_array_new(FALSE, FALSE, sizeof(double)) };
	unsigned failed[2] = { 0, 0 };
	double med[2] = { 0, 0 };

	printf("  reader open (IFDHCreateChannelByName + first IFDHICCPresence, generic-apdu-irq, "
	       "%d rounds each, alternating)\n", rounds);
	time_opens(ds, 2, names, rounds, us, failed);
	for (size_t i = 0; i < 2; i++) {
		double *v = (double *)(void *)us[i]->data;
		bench_sort(v, us[i]->len);
		med[i] = bench_quantile(v, us[i]->len, 0.5);
		printf("    %-10s median %9.1f µs  p90 %9.1f  max %9.1f  (n=%u, %u failed)\n",
		       ds[i]->label, med[i], bench_quantile(v, us[i]->len, 0.9),
		       us[i]->len ? v[us[i]->len - 1] : 0.0, us[i]->len, failed[i]);
		g_array_unref(us[i]);
		g_free(names[i]);
	}
	if (med[0] > 0 && med[1] > 0)
		printf("    ccidlab / libccid: %.3fx   target <= 0.50x: %s\n", med[0] / med[1],
		       bench_verdict(med[0] / med[1] <= 0.5));
	return failed[0] + failed[1];
}

/* ---- APDUs ---- */

static long transmit(chan *c, const uint8_t *cmd, size_t len, uint8_t *rsp, DWORD cap)
{
	/* pcscd hands the IFD handler 1 for T=1, not the SCARD_PROTOCOL_* bit. */
	SCARD_IO_HEADER send = { 1, 0 }, recv = { 0, 0 };
	DWORD got = cap;

	if (c->d->transmit(c->lun, send, (PUCHAR)cmd, (DWORD)len, rsp, &got, &recv) != IFD_SUCCESS)
		return -1;
	return (long)got;
}

static bool good(chan *c, const uint8_t *cmd, size_t len, size_t want, uint8_t *rsp, DWORD cap)
{
	if (c->d == NULL) {
		/* The floor sends the APDU bench_floor_set gave it. */
		if (bench_floor_apdu(c->floor))
			return true;
		if (c->errors++ == 0)
			fprintf(stderr, "ccidlab bench driver: %s: a wrong answer\n", c->label);
		return false;
	}
	long got = transmit(c, cmd, len, rsp, cap);

	if (got != (long)want || rsp[got - 2] != 0x90 || rsp[got - 1] != 0x00) {
		if (c->errors++ == 0)
			fprintf(stderr, "ccidlab bench driver: %s: %ld bytes back\n", c->label, got);
		return false;
	}
	return true;
}

/* pcscd's event thread: the reader's wait (10 min, pcscd's
 * PCSCLITE_STATUS_EVENT_TIMEOUT) and a look after each return. */
static gpointer events_main(gpointer data)
{
	chan *c = data;

	while (!g_atomic_int_get(&c->quit)) {
		c->wait(c->lun, 10 * 60 * 1000);
		if (!g_atomic_int_get(&c->quit))
			c->d->presence(c->lun);
	}
	return NULL;
}

static void events_start(chan *c)
{
	UCHAR v[sizeof(void *)];
	DWORD len = sizeof v;

	if (c->d->get_caps(c->lun, TAG_IFD_POLLING_THREAD_WITH_TIMEOUT, &len, v) != IFD_SUCCESS ||
	    len != sizeof(void *))
		return;
	memcpy(&c->wait, v, sizeof(void *));
	len = sizeof v;
	if (c->d->get_caps(c->lun, TAG_IFD_STOP_POLLING_THREAD, &len, v) != IFD_SUCCESS ||
	    len != sizeof(void *))
		return;
	memcpy(&c->stop, v, sizeof(void *));
	if (c->wait != NULL && c->stop != NULL)
		c->events = g_thread_new("bench-events", events_main, c);
}

static void events_stop(chan *c)
{
	if (c->events == NULL)
		return;
	g_atomic_int_set(&c->quit, 1);
	c->stop(c->lun);
	g_thread_join(c->events);
	c->events = NULL;
}

/* Open, power up, T=1, SELECT readertest: pcscd's and a client's steps. */
static void chan_open(chan *c)
{
	static const uint8_t select[] = { 0x00, 0xA4, 0x04, 0x00, 0x06,
					  0xA0, 0x00, 0x00, 0x00, 0x18, 0xFF };
	UCHAR atr[MAX_ATR_SIZE];
	DWORD atr_len = sizeof atr;
	uint8_t rsp[258];

	if (c->d == NULL) {
		char why[128];
		c->floor = bench_floor_open(1, c->lun, c->lun == FLOOR_T1, why, sizeof why);
		c->ok = c->floor != NULL;
		if (!c->ok)
			fprintf(stderr, "ccidlab bench driver: %s: %s\n", c->label, why);
		return;
	}
	if (c->d->create(c->lun, c->devname) != IFD_SUCCESS) {
		fprintf(stderr, "ccidlab bench driver: %s: cannot open %s\n", c->label, c->devname);
		return;
	}
	const char *why = NULL;
	if (c->d->presence(c->lun) != IFD_ICC_PRESENT)
		why = "IFDHICCPresence: no card";
	else if (c->d->power(c->lun, IFD_POWER_UP, atr, &atr_len) != IFD_SUCCESS)
		why = "IFDHPowerICC failed";
	else if (c->d->set_proto(c->lun, SCARD_PROTOCOL_T1, 0, 0, 0, 0) != IFD_SUCCESS)
		why = "IFDHSetProtocolParameters(T=1) failed";
	if (why != NULL) {
		fprintf(stderr, "ccidlab bench driver: %s: %s\n", c->label, why);
		c->d->close(c->lun);
		return;
	}
	c->ok = good(c, select, sizeof select, 2, rsp, sizeof rsp);
	if (!c->ok)
		c->d->close(c->lun);
	else
		events_start(c);
}

static void time_apdu(chan *cs, size_t n, const uint8_t *cmd, size_t len, size_t want,
		      int iterations, uint8_t *rsp, DWORD cap)
{
	int rounds = (iterations + BATCH - 1) / BATCH;

	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < WARMUP && cs[i].ok; k++)
			good(&cs[i], cmd, len, want, rsp, cap);
	for (int round = 0; round < rounds; round++)
		for (size_t j = 0; j < n; j++) {
			size_t i = round % 2 ? n - 1 - j : j;
			if (!cs[i].ok)
				continue;
			for (int k = 0; k < BATCH; k++) {
				uint64_t t0 = bench_now_ns();
				bool g = good(&cs[i], cmd, len, want, rsp, cap);
				double dt = (double)(bench_now_ns() - t0) / 1000.0;
				if (g)
					g_array_append_val(cs[i].us, dt);
			}
		}
}

/* The sorted samples' q-quantile. */
static double quantile_of(chan *c, double q)
{
	double *v = (double *)(void *)c->us->data;

	bench_sort(v, c->us->len);
	return bench_quantile(v, c->us->len, q);
}

/* cs holds (floor, ccidlab, libccid) per profile.  Besides each total,
 * the driver's own share: its time minus the floor's.  That share is
 * taken at p25: under the shim a reader whose interrupt transfer is in
 * flight (pcscd's event thread) pays, on a share of its APDUs that
 * varies from run to run, for waking the shim's transfer thread (the
 * p90 column), which moves a median between two modes; the floor's
 * device has no such thread.  p25 is the driver's path without it. */
static void print_triples(chan *cs, size_t n, const char *what, double target)
{
	printf("  %s\n", what);
	for (size_t i = 0; i + 2 < n; i += 3) {
		double med[3], low[3];
		for (size_t k = 0; k < 3; k++) {
			chan *c = &cs[i + k];
			med[k] = quantile_of(c, 0.5);
			low[k] = quantile_of(c, 0.25);
			if (c->us->len == 0) {
				printf("    %-28s (no figure)\n", c->label);
				continue;
			}
			printf("    %-28s median %6.2f µs/APDU  (p25 %6.2f, p90 %6.2f, n=%u)\n",
			       c->label, med[k], low[k], quantile_of(c, 0.9), c->us->len);
		}
		if (med[1] <= 0 || med[2] <= 0)
			continue;
		printf("      ccidlab / libccid, whole call: median %.3fx, p25 %.3fx\n", med[1] / med[2],
		       low[1] / low[2]);
		if (cs[i].us->len == 0)
			continue;
		double own[2] = { low[1] - low[0], low[2] - low[0] };
		printf("      the drivers' own share (p25 - floor's p25): ccidlab %.3f µs, libccid %.3f µs",
		       own[0], own[1]);
		if (own[1] > 0) {
			printf(": %.3fx", own[0] / own[1]);
			if (target > 0)
				printf("   target <= %.2fx: %s", target,
				       bench_verdict(own[0] / own[1] <= target));
		}
		printf("\n");
	}
}

/* Returns the wrong answers and channels that did not open. */
static unsigned apdus(const drv *cl, const drv *lc, int iterations)
{
	static const uint8_t case1[] = { 0x80, 0x30, 0x00, 0x00 };
	/* A floor's lun is its device address. */
	chan cs[] = {
		{ "floor (no driver) APDU-level", NULL, NULL, FLOOR_APDU, NULL },
		{ "ccidlab APDU-level", cl, NULL, 0, usb_name(2) },
		{ "libccid APDU-level", lc, NULL, 0, usb_name(3) },
		{ "floor (no driver) T=1 TPDU", NULL, NULL, FLOOR_T1, NULL },
		{ "ccidlab T=1 TPDU", cl, NULL, 1 << 16, usb_name(4) },
		{ "libccid T=1 TPDU", lc, NULL, 1 << 16, usb_name(5) },
	};
	const size_t n = G_N_ELEMENTS(cs);
	uint8_t case4[4 + 1 + 255 + 1] = { 0x80, 0x36, 0x00, 0xFF, 0xFF };
	DWORD cap = 258;
	uint8_t rsp[258];

	for (size_t i = 0; i < 255; i++)
		case4[5 + i] = (uint8_t)i;
	case4[sizeof case4 - 1] = 0xFF;
	unsigned unopened = 0;
	for (size_t i = 0; i < n; i++) {
		chan_open(&cs[i]);
		unopened += !cs[i].ok;
	}
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < n; i++)
			cs[i].us = g_array_new(FALSE, FALSE, sizeof(double));
		const uint8_t *cmd = k == 0 ? case1 : case4;
		size_t len = k == 0 ? sizeof case1 : sizeof case4;
		for (size_t i = 0; i < n; i++)
			/* T=1's floor sends one block: no case 4 of 255 bytes. */
			if (cs[i].floor != NULL)
				cs[i].ok = (k == 0 || cs[i].lun != FLOOR_T1) &&
					   bench_floor_set(cs[i].floor, cmd, len);
		time_apdu(cs, n, cmd, len, k == 0 ? 2 : 257, iterations, rsp, cap);
		print_triples(cs, n, k == 0 ? "IFDHTransmitToICC, case 1 (80 30 00 00)"
					    : "IFDHTransmitToICC, case 4, 255 bytes each way", k == 0 ? 0.85 : 0.0);
		for (size_t i = 0; i < n; i++)
			g_array_unref(cs[i].us);
	}
	unsigned errors = 0;
	unsigned threads = 0;
	for (size_t i = 0; i < n; i++) {
		threads += cs[i].events != NULL;
		events_stop(&cs[i]);
		errors += cs[i].errors;
		if (cs[i].floor != NULL) {
			bench_floor_close(cs[i].floor);
		} else if (cs[i].ok) {
			UCHAR atr[MAX_ATR_SIZE];
			DWORD atr_len = sizeof atr;
			cs[i].d->power(cs[i].lun, IFD_POWER_DOWN, atr, &atr_len);
			cs[i].d->close(cs[i].lun);
		}
		g_free(cs[i].devname);
	}
	printf("  wrong answers or errors: %u (each is left out of the figures); %u of %zu readers "
	       "had pcscd's event thread in their wait\n", errors, threads, n - 2);
	return errors + unopened;
}

int bench_driver_run(const bench_opts *o)
{
	drv cl, lc;
	const char *dropdir = g_getenv("PCSCLITE_HP_DROPDIR");
	g_autofree char *lc_path = dropdir ? g_build_filename(dropdir, LIBCCID_SO, NULL)
					   : g_strdup(LIBCCID_PATH);
	g_autoptr(GError) err = NULL;

	printf("\n== ccidlab vs libccid without pcscd: both drivers in this process on usbsim "
	       "devices of the same profiles\n");
	if (g_getenv("CCIDLAB_USBSIM") == NULL || o->driver == NULL) {
		fprintf(stderr, "ccidlab bench driver: run with the usbsim shim preloaded, "
			"CCIDLAB_USBSIM from --write-conf DIR driver (DIR.usbsim) and --driver\n");
		return 1;
	}
	g_autofree char *dir = g_dir_make_tmp("ccidlab-bench-XXXXXX", &err);
	if (dir == NULL) {
		fprintf(stderr, "ccidlab bench driver: %s\n", err->message);
		return 1;
	}
	/* ccidlab's control server gets a private socket, never pcscd's. */
	g_autofree char *sock = g_build_filename(dir, "ctl.sock", NULL);
	g_autofree char *log = g_build_filename(dir, "drivers.log", NULL);
	g_setenv("CCIDLAB_CTL_LISTEN", sock, TRUE);
	printf("  ccidlab: %s\n  libccid: %s (Info.plist from %s)\n", o->driver, lc_path,
	       dropdir ? dropdir : "its installed bundle");
	if (!load(o->driver, "ccidlab", &cl) || !load(lc_path, "libccid", &lc))
		return 1;
	int saved = bench_divert_stderr(log);
	unsigned trouble = opens(&cl, &lc, o->open_rounds * 5);
	trouble += apdus(&cl, &lc, o->apdu_iterations);
	bench_restore_stderr(saved);
	g_unlink(sock);
	if (trouble > 0) {
		printf("  the drivers' log: %s\n", log);
	} else {
		g_unlink(log);
		g_rmdir(dir);
	}
	return 0;
}
