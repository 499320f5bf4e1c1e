/* ccidlab — `ccidlab repro CLASS --emit DIR`: writes a standalone
 * reproducer of one anomaly class for an upstream report: repro.c (built
 * into ccidlab as a GResource, its defaults filled in), a Makefile, the
 * reader.conf.d it needs, and a README that says what it shows, how to
 * run it and what ccidlab measured with it. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "cli/kit/cli_opts.h"
#include "repro/repro.h"
#include "lab/labfiles.h"

typedef struct repro_kind {
	const char *klass;
	const char *variant;	/* NULL: the class's default */
	const char *mode;	/* repro.c's -m */
	unsigned threads, edges;
	bool mute;
	const char *error;	/* "0x80100009" for an error class, else "0" */
	const char *what;	/* what the reproducer does, for the README */
	const char *measured;	/* what ccidlab measured with it */
} repro_kind;

static const repro_kind kinds[] = {
	{ "lost", NULL, "toggle", 16, 6, true, "0",
	  "16 threads of one process, each with its own context, wait in\n"
	  "SCardGetStatusChange(INFINITE) on three readers, one of which holds a card\n"
	  "that is present but gives no ATR.  A card is inserted or removed in another\n"
	  "reader every few seconds; every thread must report it within 5 s.",
	  "Debian sid's pcsc-lite 2.5.3: FAIL on the first edge (6 of 16 threads\n"
	  "reported it 5 to 11 s late, each spending the 5 s in a futex wait inside\n"
	  "SCardGetStatusChange).  pcsc-lite 1.9.9 (Debian 12): PASS, 6 edges x 16\n"
	  "threads, every edge reported within about 0.5 s.  libpcsclite sleeps\n"
	  "PCSCLITE_STATUS_POLL_RATE (400 ms) for each present card without ATR while\n"
	  "it compares the states; since 2.0.1 it holds readerStatesMutex, one lock for\n"
	  "every thread of the process, across that sleep, so N threads that watch\n"
	  "such a reader need N x 400 ms to get through one edge." },
	{ "lost", "race2018", "pairs", 1, 6, true, "0",
	  "One thread waits in SCardGetStatusChange(INFINITE) on three readers, one of\n"
	  "which holds a card that is present but gives no ATR (libpcsclite sleeps\n"
	  "400 ms for it between fetching the states and registering for events).\n"
	  "A card moves in one reader, then 600 ms later in another: the second edge\n"
	  "lands in the window between the fetch and the registration of the next call.",
	  "pcsc-lite 1.8.23 (built by ccidlab mkroot --pcsc-lite 1.8.23): FAIL, the\n"
	  "second edge of the first pair reported only when the next pair's first edge\n"
	  "woke the thread.  pcsc-lite 1.8.24: PASS (984f84d made the fetch and the\n"
	  "registration one message, CMD_WAIT_READER_STATE_CHANGE)." },
	{ "state UNKNOWN", NULL, "burst", 16, 20, false, "0",
	  "16 threads of one process, each with its own context, wait in\n"
	  "SCardGetStatusChange(INFINITE) on three readers while cards move in two of\n"
	  "them in bursts, each move 0 to 3 ms after the last (as a card at the edge\n"
	  "of a contactless field, or on a worn contact, comes and goes); every\n"
	  "successful return must describe the live readers as present or empty.",
	  "Debian sid's pcsc-lite 2.5.3: FAIL in 20 runs of 20, within 2 to 88 card\n"
	  "moves (3.2 to 4.5 s after the start), also with two busy loops per core\n"
	  "beside it (load 20 to 25 on 2 cores) and with the reproducer and pcscd\n"
	  "at real-time priority, as on an idle machine: a return describes every\n"
	  "reader as UNKNOWN|UNAVAILABLE with event counter 0.  Its earlier storm,\n"
	  "moves 10 to 60 ms apart, failed in 10 runs of 10 at that load (4.9 to\n"
	  "18.9 s) but in 3 of 10 at real-time priority (and saw none in 3 runs of\n"
	  "44 s in a CI run).  pcsc-lite 1.9.9: PASS in 10 runs of 10 (8 of them\n"
	  "show \"counter backwards\", a race of 1.9.9's own: see that class);\n"
	  "2.3.3: not run with the bursts.  Since 2.5.0 libpcsclite fetches\n"
	  "the reader states as three messages: CMD_WAIT_READER_STATE_CHANGE\n"
	  "(pcscd registers the thread for the next event signal and answers\n"
	  "nothing), then CMD_GET_READERS_STATE_SIZE and CMD_GET_READERS_STATE_ARRAY,\n"
	  "each answered.  pcscd's event thread writes its 8-byte signal to every\n"
	  "registered thread whenever a card moves; one written between the size\n"
	  "and the array is read as the array's first 8 bytes, so no reader name\n"
	  "matches (winscard_clnt.c, getReaderStates and SCardGetStatusChange).\n"
	  "Up to 2.3.3, EHRegisterClientForEvent registered the thread and sent the\n"
	  "states under the lock EHSignalEventToClients takes, so no signal could\n"
	  "come between.  The threads fetch one at a time after each move (one lock\n"
	  "for the process), a few ms for 16 of them: the next move must come\n"
	  "within them." },
	{ "counter backwards", NULL, "storm", 16, 20, false, "0",
	  "16 threads of one process wait in SCardGetStatusChange(INFINITE) on three\n"
	  "readers while cards move in two of them every 10 to 60 ms; a reader's event\n"
	  "counter (dwEventState >> 16) must never go down.",
	  "Debian sid's pcsc-lite 2.5.3: FAIL within seconds.  1.9.9 and 2.3.3: PASS.\n"
	  "(The bursts of \"state UNKNOWN\", moves 0 to 3 ms apart, would make 2.5.3\n"
	  "fail sooner, but they also make 1.9.9's counters go back, by a race of its\n"
	  "own: its threads fetch the states into one array without a lock, so an\n"
	  "older fetch can land over a newer one; 2.0.1 added the lock.)" },
	{ "error SCARD_E_UNKNOWN_READER", NULL, "burst", 16, 20, false, "0x80100009",
	  "As for \"state UNKNOWN\": bursts of card moves 0 to 3 ms apart under 16\n"
	  "waiting threads; SCardGetStatusChange must not say SCARD_E_UNKNOWN_READER\n"
	  "for readers that are all there.",
	  "Debian sid's pcsc-lite 2.5.3: FAIL in 5 runs of 5, 3.5 to 4.8 s after the\n"
	  "start (its earlier storm, moves 10 to 60 ms apart: 5 of 5, 5.7 to 10.5 s),\n"
	  "at load 20 to 27 on 2 cores: the fetch at the start of a call garbled as\n"
	  "in \"state UNKNOWN\".  pcsc-lite 1.9.9: no error in 10 runs of the same\n"
	  "bursts.  2.3.3: not run with the bursts." },
	/* pcsc-lite's SCARD_E_UNSUPPORTED_FEATURE is 0x8010001F (Windows'
	 * 0x80100022 is not what it returns: pcsclite.h). */
	{ "error SCARD_E_UNSUPPORTED_FEATURE", NULL, "burst", 16, 20, false, "0x8010001F",
	  "As for \"state UNKNOWN\": bursts of card moves 0 to 3 ms apart under 16\n"
	  "waiting threads; SCardGetStatusChange must not say\n"
	  "SCARD_E_UNSUPPORTED_FEATURE (0x8010001F in pcsc-lite).",
	  "Debian sid's pcsc-lite 2.5.3: FAIL in 5 runs of 5, 5.2 to 38.4 s after\n"
	  "the start, at load 20 to 27 on 2 cores (its earlier storm, moves 10 to\n"
	  "60 ms apart: 2 of 5, 16.2 and 34.0 s).  An event signal\n"
	  "written between the registration and the size reply is read as the size\n"
	  "(0), which does not match the array libpcsclite holds.  pcsc-lite 1.9.9:\n"
	  "no error in 10 runs of the same bursts.  2.3.3: not run with the bursts." },
};

static const repro_kind *find_kind(const char *klass, const char *variant)
{
	for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
		if (strcmp(kinds[i].klass, klass) == 0 &&
		    g_strcmp0(kinds[i].variant, variant) == 0)
			return &kinds[i];
	return NULL;
}

static void list_kinds(FILE *out)
{
	for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
		fprintf(out, "  \"%s\"%s%s\n", kinds[i].klass, kinds[i].variant ? " --variant " : "",
			kinds[i].variant ? kinds[i].variant : "");
}

/* Defined by the source glib-compile-resources generates (src/repro/local.mk);
 * looked up through it, not the global registry, so that the linker keeps
 * that object of the static library. */
GResource *repro_get_resource(void);

static char *source_for(const repro_kind *k, unsigned threads, unsigned edges, GError **error)
{
	g_autoptr(GBytes) b = g_resource_lookup_data(repro_get_resource(), "/ccidlab/repro/repro.c",
						     G_RESOURCE_LOOKUP_FLAGS_NONE, error);
	if (b == NULL)
		return NULL;
	gsize len = 0;
	const char *text = g_bytes_get_data(b, &len);
	g_autofree char *src = g_strndup(text, len);
	g_autofree char *t = g_strdup_printf("%u", threads);
	g_autofree char *e = g_strdup_printf("%u", edges);
	const char *subst[][2] = { { "@CLASS@", k->klass }, { "@MODE@", k->mode },
				   { "@THREADS@", t },	     { "@EDGES@", e },
				   { "@MUTE@", k->mute ? "1" : "0" }, { "@ERROR@", k->error } };
	for (size_t i = 0; i < G_N_ELEMENTS(subst); i++) {
		g_auto(GStrv) parts = g_strsplit(src, subst[i][0], -1);
		g_free(src);
		src = g_strjoinv(subst[i][1], parts);
	}
	return g_steal_pointer(&src);
}

static char *readme_for(const repro_kind *k, const char *libpath)
{
	GString *s = g_string_new(NULL);
	g_string_append_printf(s, "Reproducer: pcsc-lite SCardGetStatusChange, class \"%s\"%s%s\n\n",
			       k->klass, k->variant ? ", " : "", k->variant ? k->variant : "");
	g_string_append_printf(s, "What it does\n------------\n%s\n\n", k->what);
	g_string_append(s,
		"Every return is checked: \"lost\" (an edge a thread had not reported 5 s\n"
		"later), \"state UNKNOWN\" (a live reader reported UNKNOWN or UNAVAILABLE),\n"
		"\"counter backwards\" (dwEventState >> 16 went down), and every return code\n"
		"other than SCARD_S_SUCCESS.  For each lost edge it prints the thread's own\n"
		"calls and returns around it, and where the thread spent the 5 s, sampled\n"
		"from /proc/self/task/TID/syscall every 2 ms: waiting for a lock (futex),\n"
		"sleeping (nanosleep), waiting for pcscd (poll/read) or running; then which\n"
		"it was: returned with a stale state, blocked in a call that never reported\n"
		"the edge, or kept from going on by a lock another thread of the process\n"
		"held.  It stops at the first edge that shows the class: a verdict within a\n"
		"minute either way.\n\n");
	g_string_append_printf(s, "What ccidlab measured\n---------------------\n%s\n\n", k->measured);
	g_string_append_printf(
		s,
		"Build and run\n-------------\n"
		"It needs pcsc-lite's client library and headers (Debian: libpcsclite-dev)\n"
		"and ccidlab's driver, whose emulated readers (reader.conf.d/) it moves\n"
		"through ccidlab's control socket (ccidlab-ctl(7)):\n\n"
		"    make                      # or: cc -O2 -Wall -o repro repro.c \\\n"
		"                              #     $(pkg-config --cflags --libs libpcsclite) -pthread\n"
		"    ccidlab lab --conf reader.conf.d -- ./repro\n\n"
		"`ccidlab lab` runs a private pcscd with these readers and sets\n"
		"CCIDLAB_CTL_SOCKET.  Against another pcsc-lite, in a root that holds it\n"
		"(`ccidlab mkroot --pcsc-lite REF` builds any commit), copy repro there and:\n\n"
		"    ccidlab lab --root ROOT --conf reader.conf.d -- /path/in/root/repro\n\n"
		"With a system pcscd instead: copy reader.conf.d/* to /etc/reader.conf.d/\n"
		"(LIBPATH %s), restart pcscd, and run ./repro as pcscd's user\n"
		"(the control socket, /run/pcscd/ccidlab.sock, takes only that user).\n\n"
		"Exit status 0 and \"verdict: PASS\" when the class did not occur, 1 and\n"
		"\"verdict: FAIL\" when it did, 2 when it could not run.  Options: -t THREADS,\n"
		"-e EDGES, -m toggle|pairs|storm|burst, -M (a mute card in rpm) or -n (a\n"
		"working one), -c CLASS, -S SOCKET.\n\n"
		"Written by ccidlab %s (`ccidlab repro \"%s\"%s%s --emit DIR`).\n",
		libpath, PACKAGE_VERSION, k->klass, k->variant ? " --variant " : "",
		k->variant ? k->variant : "");
	return g_string_free(s, FALSE);
}

static bool write_file(const char *dir, const char *name, const char *text, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	return g_file_set_contents(path, text, -1, error);
}

static bool write_conf(const char *dir, const char *libpath, GError **error)
{
	g_autofree char *conf = g_build_filename(dir, "reader.conf.d", NULL);
	if (g_mkdir_with_parents(conf, 0755) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", conf,
			    g_strerror(errno));
		return false;
	}
	const char *readers[] = { "rpa", "rpb", "rpm" };
	for (size_t i = 0; i < G_N_ELEMENTS(readers); i++) {
		g_autofree char *dn =
			g_strdup_printf("emu:generic-apdu-irq:name=%s:card=none", readers[i]);
		/* Quoted: every pcscd from 1.8.16 on reads it. */
		g_autofree char *value = lab_conf_value(dn);
		g_autofree char *text =
			g_strdup_printf("# %s: an emulated reader of ccidlab's driver (ccidlab-devicename(5))\n"
					"FRIENDLYNAME \"%s\"\nDEVICENAME   %s\nLIBPATH      %s\n",
					readers[i], readers[i], value, libpath);
		if (!write_file(conf, readers[i], text, error))
			return false;
	}
	return true;
}

static bool emit(const repro_kind *k, const char *dir, unsigned threads, unsigned edges,
		 GError **error)
{
	g_autofree char *src = source_for(k, threads, edges, error);
	if (src == NULL)
		return false;
	g_autofree char *libpath = g_build_filename(USBDROPDIR, "ifd-ccidlab.bundle", "Contents",
						    "Linux", "libccidlab.so", NULL);
	g_autofree char *readme = readme_for(k, libpath);
	const char *makefile = "repro: repro.c\n"
			       "\t$(CC) -O2 -Wall -o $@ repro.c $$(pkg-config --cflags --libs "
			       "libpcsclite) -pthread\n";
	if (g_mkdir_with_parents(dir, 0755) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", dir,
			    g_strerror(errno));
		return false;
	}
	return write_file(dir, "repro.c", src, error) && write_file(dir, "README", readme, error) &&
	       write_file(dir, "Makefile", makefile, error) && write_conf(dir, libpath, error);
}

int repro_main(int argc, char **argv)
{
	g_autofree char *dir = NULL, *variant = NULL;
	int threads = 0, edges = 0;
	gboolean force = FALSE, list = FALSE;
	const GOptionEntry entries[] = {
		{ "emit", 'o', 0, G_OPTION_ARG_FILENAME, &dir, "write the reproducer into DIR", "DIR" },
		{ "variant", 0, 0, G_OPTION_ARG_STRING, &variant,
		  "another stimulus for the class (lost: race2018)", "NAME" },
		{ "threads", 0, 0, G_OPTION_ARG_INT, &threads, "its default watcher threads", "N" },
		{ "edges", 0, 0, G_OPTION_ARG_INT, &edges, "its default number of edges", "N" },
		{ "force", 0, 0, G_OPTION_ARG_NONE, &force, "write into a DIR that is not empty", NULL },
		{ "list", 'l', 0, G_OPTION_ARG_NONE, &list, "list the classes it can reproduce", NULL },
		{ NULL },
	};
	const cli_grammar g = {
		"repro", "CLASS --emit DIR",
		"Writes a standalone C program against libpcsclite, with its reader.conf.d,\n"
		"a Makefile and a README, that reproduces one anomaly class within a minute\n"
		"and prints a verdict: made to attach to an upstream report.  See ccidlab(1).",
		NULL,
	};
	int rc = cli_options_parse(&g, entries, NULL, &argc, &argv);
	if (rc >= 0)
		return rc;
	if (list) {
		printf("classes ccidlab repro writes a reproducer for:\n");
		list_kinds(stdout);
		return 0;
	}
	const repro_kind *k = argc == 2 ? find_kind(argv[1], variant) : NULL;
	if (argc != 2 || dir == NULL || threads < 0 || threads > 64 || edges < 0 || edges > 1000)
		return cli_usage("repro", "usage: ccidlab repro CLASS --emit DIR [--variant NAME] "
					  "[--threads 1..64] [--edges N]");
	if (k == NULL) {
		fprintf(stderr, "ccidlab repro: no reproducer for \"%s\"%s%s; there are:\n", argv[1],
			variant ? " --variant " : "", variant ? variant : "");
		list_kinds(stderr);
		return 2;
	}
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	g_autoptr(GError) e = NULL;
	if (d != NULL && g_dir_read_name(d) != NULL && !force) {
		fprintf(stderr, "ccidlab repro: %s is not empty (--force writes into it)\n", dir);
		return 1;
	}
	if (!emit(k, dir, threads ? (unsigned)threads : k->threads,
		  edges ? (unsigned)edges : k->edges, &e)) {
		fprintf(stderr, "ccidlab repro: %s\n", e->message);
		return 1;
	}
	printf("wrote %s/{repro.c,Makefile,README,reader.conf.d/}: make && ccidlab lab --conf "
	       "reader.conf.d -- ./repro\n", dir);
	return 0;
}
