/* ccidlab — ccidlab-bench, the program `ccidlab bench` runs: arguments,
 * the reader.conf.d of each suite, and the suites in order (see bench.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "bench/bench.h"
#include "cli/kit/progress.h"
#include "lab/labfiles.h"

/* pcscd allows 16 reader contexts (PCSCLITE_MAX_READERS_CONTEXTS, slots
 * included): one lab holds the readers of a few suites only. */
#define MAX_CONF_READERS 16
#define WAKEUP_READERS 16

/* Who drives a usbsim device. */
typedef enum usb_driver {
	USB_LIBCCID,	/* a reader.conf.d entry on libccid */
	USB_CCIDLAB,	/* a reader.conf.d entry on ccidlab's driver (usb: name) */
	USB_IN_PROCESS,	/* no entry: the driver suite opens it itself */
} usb_driver;

typedef struct conf_reader {
	char *friendly;
	char *devname;
	char *usbsim;	/* the usbsim device of a USB reader, else NULL */
	usb_driver driver;
} conf_reader;

/* libccid as Debian installs it; the lab's --bundle copy (with the
 * usbsim test id in its Info.plist) lands at the same path. */
#define LIBCCID_PATH "/usr/lib/pcsc/drivers/ifd-ccid.bundle/Contents/Linux/libccid.so"

static const char *const suite_names[] = { "apdu", "open", "slots", "wakeup-event",
					    "wakeup-poll", "scale", "apdu-libccid", "wakeup-libccid", "wakeup-usb", "driver" };

static bool known_suite(const char *s)
{
	for (size_t i = 0; i < G_N_ELEMENTS(suite_names); i++)
		if (strcmp(s, suite_names[i]) == 0)
			return true;
	return false;
}

static void add_reader(GArray *a, const char *friendly, const char *devname)
{
	for (guint i = 0; i < a->len; i++)
		if (strcmp(g_array_index(a, conf_reader, i).friendly, friendly) == 0)
			return;
	conf_reader r = { g_strdup(friendly), g_strdup(devname), NULL, USB_LIBCCID };
	g_array_append_val(a, r);
}

/* A reader on usbsim device SPEC (name=FRIENDLY added), driven by
 * driver.  The shim gives bus 1, addresses 2, 3... in the order of its
 * list, which is the order of the usbsim readers here: the DEVICENAME is
 * written later. */
static void add_usbsim_reader(GArray *a, const char *friendly, const char *spec, usb_driver driver)
{
	for (guint i = 0; i < a->len; i++)
		if (strcmp(g_array_index(a, conf_reader, i).friendly, friendly) == 0)
			return;
	conf_reader r = { g_strdup(friendly), NULL, g_strdup_printf("%s:name=%s", spec, friendly),
			  driver };
	g_array_append_val(a, r);
}

static void conf_reader_clear(gpointer p)
{
	conf_reader *r = p;
	g_free(r->friendly);
	g_free(r->devname);
	g_free(r->usbsim);
}

/* The readers each suite finds by FRIENDLYNAME (and by name= in the
 * driver's edge stream). */
static void suite_readers(const char *suite, GArray *a)
{
	if (strcmp(suite, "apdu") == 0) {
		add_reader(a, "bench-null", "emu:null:name=bench-null");
		add_reader(a, "bench-apdu", "emu:generic-apdu-irq:name=bench-apdu:card=readertest@t1");
		add_reader(a, "bench-t1", "emu:generic-t1-irq:name=bench-t1:card=readertest@t1");
		add_reader(a, "bench-t0", "emu:generic-t1-irq:name=bench-t0:card=readertest@t0");
		add_reader(a, "bench-ext",
			   "emu:generic-ext-multi:slots=1:name=bench-ext:card=readertest@t1");
	} else if (strcmp(suite, "wakeup-event") == 0 || strcmp(suite, "scale") == 0) {
		for (int i = 0; i < WAKEUP_READERS; i++) {
			g_autofree char *f = g_strdup_printf("bench-ev%02d", i);
			g_autofree char *d = g_strdup_printf("emu:generic-apdu-irq:name=%s:card=none", f);
			add_reader(a, f, d);
		}
	} else if (strcmp(suite, "apdu-libccid") == 0) {
		add_reader(a, "bench-null", "emu:null:name=bench-null");
		add_reader(a, "bench-apdu", "emu:generic-apdu-irq:name=bench-apdu:card=readertest@t1");
		add_reader(a, "bench-t1", "emu:generic-t1-irq:name=bench-t1:card=readertest@t1");
		add_usbsim_reader(a, "bench-cu-apdu", "generic-apdu-irq:card=readertest,t1", USB_CCIDLAB);
		add_usbsim_reader(a, "bench-lc-apdu", "generic-apdu-irq:card=readertest,t1", USB_LIBCCID);
		add_usbsim_reader(a, "bench-cu-t1", "generic-t1-irq:card=readertest,t1", USB_CCIDLAB);
		add_usbsim_reader(a, "bench-lc-t1", "generic-t1-irq:card=readertest,t1", USB_LIBCCID);
	} else if (strcmp(suite, "wakeup-libccid") == 0) {
		for (int i = 0; i < WAKEUP_READERS; i++) {
			g_autofree char *f = g_strdup_printf("bench-lc-ev%02d", i);
			add_usbsim_reader(a, f, "generic-apdu-irq:card=none", USB_LIBCCID);
		}
	} else if (strcmp(suite, "wakeup-usb") == 0) {
		/* Both drivers in one pcscd, 8 readers each: 16 contexts. */
		for (int i = 0; i < WAKEUP_READERS / 2; i++) {
			g_autofree char *c = g_strdup_printf("bench-cu-ev%02d", i);
			g_autofree char *l = g_strdup_printf("bench-lu-ev%02d", i);
			add_usbsim_reader(a, c, "generic-apdu-irq:card=none", USB_CCIDLAB);
			add_usbsim_reader(a, l, "generic-apdu-irq:card=none", USB_LIBCCID);
		}
	} else if (strcmp(suite, "driver") == 0) {
		/* bench_driver.c's order: APDU-level, then T=1, each for
		 * ccidlab (addresses 2, 4) then libccid (3, 5). */
		add_usbsim_reader(a, "drv-cl-apdu", "generic-apdu-irq:card=readertest,t1", USB_IN_PROCESS);
		add_usbsim_reader(a, "drv-lc-apdu", "generic-apdu-irq:card=readertest,t1", USB_IN_PROCESS);
		add_usbsim_reader(a, "drv-cl-t1", "generic-t1-irq:card=readertest,t1", USB_IN_PROCESS);
		add_usbsim_reader(a, "drv-lc-t1", "generic-t1-irq:card=readertest,t1", USB_IN_PROCESS);
		/* The floor's (bench_floor.c), addresses 6 and 7. */
		add_usbsim_reader(a, "drv-floor-apdu", "generic-apdu-irq:card=readertest,t1",
				  USB_IN_PROCESS);
		add_usbsim_reader(a, "drv-floor-t1", "generic-t1-irq:card=readertest,t1", USB_IN_PROCESS);
	} else if (strcmp(suite, "wakeup-poll") == 0) {
		for (int i = 0; i < WAKEUP_READERS; i++) {
			g_autofree char *f = g_strdup_printf("bench-pl%02d", i);
			g_autofree char *d = g_strdup_printf("emu:generic-short-poll:name=%s:card=none", f);
			add_reader(a, f, d);
		}
	}
}

static int write_conf(const char *dir, char **suites)
{
	g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(conf_reader));
	g_array_set_clear_func(a, conf_reader_clear);
	for (char **s = suites; *s != NULL; s++)
		suite_readers(*s, a);
	if (a->len > MAX_CONF_READERS) {
		fprintf(stderr, "ccidlab bench: these suites need %u readers; pcscd takes %d: "
			"run them in separate labs\n", a->len, MAX_CONF_READERS);
		return 2;
	}
	if (g_mkdir_with_parents(dir, 0755) != 0) {
		fprintf(stderr, "ccidlab bench: %s: %s\n", dir, g_strerror(errno));
		return 1;
	}
	g_autofree char *libpath = g_build_filename(USBDROPDIR, "ifd-ccidlab.bundle", "Contents",
						    "Linux", "libccidlab.so", NULL);
	g_autoptr(GString) usbsim = g_string_new(NULL);
	unsigned address = 2;
	for (guint i = 0; i < a->len; i++) {
		const conf_reader *r = &g_array_index(a, conf_reader, i);
		g_autofree char *path = g_build_filename(dir, r->friendly, NULL);
		g_autofree char *devname = NULL;
		if (r->usbsim != NULL) {
			devname = g_strdup_printf("usb:1209/0002:libusb-1.0:1:%u:0", address++);
			g_string_append_printf(usbsim, "%s%s", usbsim->len ? ";" : "", r->usbsim);
			if (r->driver == USB_IN_PROCESS)
				continue;
		}
		bool lc = r->usbsim != NULL && r->driver == USB_LIBCCID;
		/* ccidlab's own DEVICENAMEs quoted where pcscd before 1.8.24
		 * needs it (libccid's have no '='). */
		g_autofree char *value = lab_conf_value(devname ? devname : r->devname);
		g_autofree char *text = g_strdup_printf("FRIENDLYNAME \"%s\"\nDEVICENAME   %s\n"
							"LIBPATH      %s\n", r->friendly, value,
							lc ? LIBCCID_PATH : libpath);
		g_autoptr(GError) err = NULL;
		if (!g_file_set_contents(path, text, -1, &err)) {
			fprintf(stderr, "ccidlab bench: %s\n", err->message);
			return 1;
		}
	}
	/* The CCIDLAB_USBSIM spec for `ccidlab lab --usbsim`, beside DIR
	 * (pcscd would read a file inside it as a reader). */
	if (usbsim->len > 0) {
		g_autofree char *path = g_strconcat(dir, ".usbsim", NULL);
		g_autoptr(GError) err = NULL;
		g_string_append_c(usbsim, '\n');
		if (!g_file_set_contents(path, usbsim->str, -1, &err)) {
			fprintf(stderr, "ccidlab bench: %s\n", err->message);
			return 1;
		}
	}
	return 0;
}

static void print_command(int argc, char **argv)
{
	printf("command: ccidlab");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
}

/* argv[0] is "bench" when `ccidlab bench` runs this program
 * (src/cli/helper.c): the "command:" line reads as the user's. */
int main(int argc, char **argv)
{
	bench_opts o = {
		.apdu_iterations = 10000, .ext_iterations = 60, .open_readers = 16,
		.open_rounds = 20, .wakeup_seconds = 5, .poll_seconds = 15,
		.scale_edges = 10000, .clients = 8, .seed = 2018,
	};
	g_autofree char *conf = NULL;
	g_autofree char *record = NULL;
	gint64 seed = o.seed;
	GOptionEntry entries[] = {
		{ "write-conf", 0, 0, G_OPTION_ARG_FILENAME, &conf,
		  "write the reader.conf.d the suites need into DIR, then exit", "DIR" },
		{ "driver", 'D', 0, G_OPTION_ARG_FILENAME, &o.driver,
		  "libccidlab.so for the open suite (default: $CCIDLAB_DRIVER, else the installed one)", "PATH" },
		{ "iterations", 0, 0, G_OPTION_ARG_INT, &o.apdu_iterations,
		  "timed APDUs per reader and case (default 10000)", "N" },
		{ "ext-iterations", 0, 0, G_OPTION_ARG_INT, &o.ext_iterations,
		  "timed 64 KiB APDUs per reader (default 60)", "N" },
		{ "open-readers", 0, 0, G_OPTION_ARG_INT, &o.open_readers,
		  "readers opened at once (default 16)", "N" },
		{ "open-rounds", 0, 0, G_OPTION_ARG_INT, &o.open_rounds,
		  "rounds of opens per profile (default 20)", "N" },
		{ "event-seconds", 0, 0, G_OPTION_ARG_INT, &o.wakeup_seconds,
		  "event-mode storm length (default 5)", "S" },
		{ "poll-seconds", 0, 0, G_OPTION_ARG_INT, &o.poll_seconds,
		  "polling-only storm length (default 15)", "S" },
		{ "scale-edges", 0, 0, G_OPTION_ARG_INT, &o.scale_edges,
		  "edges of the scale storm (default 10000)", "N" },
		{ "clients", 0, 0, G_OPTION_ARG_INT, &o.clients,
		  "client threads in SCardGetStatusChange (default 8)", "N" },
		{ "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "storm seed (default 2018)", "N" },
		{ "record", 0, 0, G_OPTION_ARG_FILENAME, &record,
		  "write the last edge-to-wakeup run (edge stream, clients' returns, checkpoints) "
		  "to FILE, JSON lines that the checker's tests replay", "FILE" },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("SUITE...");
	g_autoptr(GError) err = NULL;
	int full_argc = argc;
	char **full_argv = argv;

	g_option_context_set_summary(ctx,
		"Prints benchmark figures, each as a ratio to a baseline measured in the\n"
		"same run.  Suites: apdu (readers bench-null, -apdu, -t1, -t0, -ext),\n"
		"open (the driver in-process, no pcscd), slots (the host engine in-process,\n"
		"two slots of one reader at once), wakeup-event and scale (16\n"
		"readers bench-ev00..15), wakeup-poll (16 readers bench-pl00..15);\n"
		"Debian's libccid on usbsim (--write-conf also writes DIR.usbsim, the\n"
		"spec for `ccidlab lab --usbsim`): apdu-libccid (bench-null, -apdu,\n"
		"-t1, ccidlab's usb: readers bench-cu-apdu, -t1 and libccid's bench-lc-apdu,\n"
		"-t1), wakeup-libccid (bench-lc-ev00..15), wakeup-usb (ccidlab's\n"
		"bench-cu-ev00..07 and libccid's bench-lu-ev00..07, in turns), driver (both\n"
		"drivers in this process, no pcscd: run it with the shim preloaded,\n"
		"CCIDLAB_USBSIM from DIR.usbsim and PCSCLITE_HP_DROPDIR at libccid's bundle copy).\n"
		"Run the others inside `ccidlab lab --conf DIR`, with DIR from --write-conf.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	/* Keep argv for the "command:" line: parsing shifts the pointers of
	 * a copy (it frees none of the strings). */
	g_autofree char **view = g_new0(char *, (size_t)argc + 1);
	for (int i = 0; i < argc; i++)
		view[i] = argv[i];
	if (!g_option_context_parse(ctx, &argc, &view, &err)) {
		fprintf(stderr, "ccidlab bench: %s\n", err->message);
		g_free(o.driver);
		return 2;
	}
	o.seed = (unsigned)seed;
	o.record = record;
	if (argc < 2) {
		fprintf(stderr, "ccidlab bench: name at least one suite (apdu, open, slots, "
			"wakeup-event, wakeup-poll, scale, apdu-libccid, wakeup-libccid, wakeup-usb, "
			"driver)\n");
		g_free(o.driver);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (!known_suite(view[i])) {
			fprintf(stderr, "ccidlab bench: unknown suite '%s' (apdu, open, slots, "
				"wakeup-event, wakeup-poll, scale, apdu-libccid, wakeup-libccid, wakeup-usb, "
				"driver)\n", view[i]);
			g_free(o.driver);
			return 2;
		}
	/* Limits on what comes from outside: enough for stable figures, small
	 * enough that a run stays bounded. */
	if (o.apdu_iterations < 100 || o.apdu_iterations > 1000000 || o.ext_iterations < 5 ||
	    o.ext_iterations > 10000 || o.open_readers < 1 || o.open_readers > 256 ||
	    o.open_rounds < 1 || o.open_rounds > 10000 || o.wakeup_seconds < 1 ||
	    o.wakeup_seconds > 600 || o.poll_seconds < 3 || o.poll_seconds > 600 ||
	    o.scale_edges < 100 || o.scale_edges > 2000000 || o.clients < 1 || o.clients > 64 ||
	    seed < 0 || seed > G_MAXUINT32) {
		fprintf(stderr, "ccidlab bench: an option is out of range (see --help)\n");
		g_free(o.driver);
		return 2;
	}
	if (conf != NULL) {
		int rc = write_conf(conf, view + 1);
		g_free(o.driver);
		return rc;
	}
	if (o.driver == NULL)
		o.driver = g_strdup(g_getenv("CCIDLAB_DRIVER"));
	if (o.driver == NULL)
		/* The installed driver, as a lab would load it. */
		o.driver = g_build_filename(USBDROPDIR, "ifd-ccidlab.bundle", "Contents", "Linux",
					    "libccidlab.so", NULL);

	setvbuf(stdout, NULL, _IOLBF, 0);
	print_command(full_argc, full_argv);
	int status = 0;
	/* k/N over the suites named, on stderr (stdout holds the figures). */
	g_autoptr(cli_progress) p = cli_progress_stderr("bench", (unsigned)argc - 1, false);
	for (int i = 1; i < argc; i++) {
		const char *s = view[i];
		int rc;
		g_autofree char *what = g_strdup_printf("suite %s", s);
		cli_progress_step(p, (unsigned)i - 1, what);
		if (strcmp(s, "apdu") == 0)
			rc = bench_apdu_run(&o);
		else if (strcmp(s, "open") == 0)
			rc = bench_open_run(&o);
		else if (strcmp(s, "slots") == 0)
			rc = bench_slots_run(&o);
		else if (strcmp(s, "wakeup-event") == 0)
			rc = bench_wakeup_run(&o, false);
		else if (strcmp(s, "wakeup-poll") == 0)
			rc = bench_wakeup_run(&o, true);
		else if (strcmp(s, "apdu-libccid") == 0)
			rc = bench_apdu_libccid_run(&o);
		else if (strcmp(s, "wakeup-libccid") == 0)
			rc = bench_wakeup_libccid_run(&o);
		else if (strcmp(s, "wakeup-usb") == 0)
			rc = bench_wakeup_usb_run(&o);
		else if (strcmp(s, "driver") == 0)
			rc = bench_driver_run(&o);
		else
			rc = bench_scale_run(&o);
		if (rc != 0)
			status = 1;
		g_free(what);
		what = g_strdup_printf("suite %s %s", s, rc == 0 ? "done" : "failed");
		cli_progress_step(p, (unsigned)i, what);
	}
	g_free(o.driver);
	return status;
}
