/* ccidlab — the command.  main only picks the subcommand from the table
 * below (one line each); each one lives in its own file, or its own
 * folder (src/lab, src/check, src/bench...). */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "bisect/bisect.h"
#include "check/check_events.h"
#include "check/matrix.h"
#include "cli/ctl_cmds.h"
#include "cli/helper.h"
#include "cli/usb_ids.h"
#include "lab/lab.h"
#include "lab/mkroot.h"
#include "repro/repro.h"
#include "usbip/usbip.h"
#include "vm/vm.h"
#include "vscard/vscard.h"

typedef struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} subcommand;

static int version_main(int argc, char **argv)
{
	/* The paths this build reads, for a reader of ccidlab.conf(5) and
	 * README: configure's, which differ with --prefix. */
	printf("ccidlab %s\n", PACKAGE_VERSION);
	printf("settings: %s/ccidlab/ccidlab.conf\n", SYSCONFDIR);
	printf("catalogue: %s/readers.tsv\n", PKGDATADIR);
	printf("driver: %s/ifd-ccidlab.bundle\n", USBDROPDIR);
	return 0;
}

static int help_main(int argc, char **argv);

static const subcommand subcommands[] = {
	{ "lab", lab_main, "run a command against a private pcscd with ccidlab's driver" },
	{ "mkroot", mkroot_main, "make a Debian root with another pcsc-lite for lab --root" },
	{ "list", cli_list_main, "list the driver's readers, slots, cards and faults" },
	{ "insert", cli_insert_main, "insert a card into an emulated slot" },
	{ "remove", cli_remove_main, "remove the card of an emulated slot" },
	{ "swap", cli_swap_main, "replace the card of an emulated slot" },
	{ "mute", cli_mute_main, "make a slot's card give no ATR" },
	{ "unmute", cli_unmute_main, "make a mute card answer again" },
	{ "fault", cli_fault_main, "set or clear an emulated reader's faults" },
	{ "scenario", cli_scenario_main, "run, stop or show timeline files" },
	{ "storm", cli_storm_main, "random card edges at a rate; storm stop|status" },
	{ "events", cli_events_main, "follow the timestamped edge stream" },
	{ "trace", cli_trace_main, "trace a reader's CCID frames; trace off" },
	{ "legacy-wait", legacy_wait_main, "watch readers like pre-1.8.24 libpcsclite" },
	{ "check-events", check_events_main, "check when SCardGetStatusChange callers learn of each edge" },
	{ "matrix", matrix_main, "run the checker's storm suite on each pcsc-lite at hand, side by side" },
	{ "bisect", bisect_main, "find the pcsc-lite commit that brought an anomaly class in or out" },
	{ "repro", repro_main, "write a standalone reproducer of an anomaly class" },
	{ "bench", cli_bench_main, "print benchmark figures, each a ratio to a same-run baseline" },
	{ "profiles", cli_profiles_main, "search the emulated reader profiles" },
	{ "vm", vm_main, "run a command in a Linux guest with QEMU's usb-ccid readers" },
	{ "vscard", vscard_main, "put ccidlab's virtual cards into QEMU's ccid-card-passthru readers" },
	{ "usb-ids", usb_ids_main, "choose the USB readers pcscd gives to ccidlab (Info.plist)" },
	{ "usbip", usbip_main, "export emulated readers as USB devices over USB/IP (usbip attach)" },
	{ "version", version_main, "print the version" },
	{ "help", help_main, "list the subcommands; help SUBCOMMAND describes one" },
};

static const subcommand *find(const char *name)
{
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(name, subcommands[i].name) == 0)
			return &subcommands[i];
	return NULL;
}

/* Each subcommand's own --help (GLib's, under "ccidlab SUBCOMMAND"). */
static int run(const subcommand *sc, int argc, char **argv)
{
	g_autofree char *prgname = g_strdup_printf("ccidlab %s", sc->name);
	g_set_prgname(prgname);
	return sc->run(argc, argv);
}

static int help_main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "help") != 0) {
		const subcommand *sc = find(argv[1]);
		if (sc == NULL) {
			fprintf(stderr, "ccidlab help: unknown subcommand '%s' (try ccidlab help)\n",
				argv[1]);
			return 2;
		}
		char *args[] = { argv[1], "--help", NULL };
		return run(sc, 2, args);
	}
	int width = 0;
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		width = MAX(width, (int)strlen(subcommands[i].name));
	printf("Usage:\n  ccidlab SUBCOMMAND [OPTION...] [ARGS...]\n\nSubcommands:\n");
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		printf("  %-*s  %s\n", width, subcommands[i].name, subcommands[i].summary);
	printf("\nccidlab help SUBCOMMAND (or ccidlab SUBCOMMAND --help) describes each one; "
	       "see ccidlab(1).\n");
	return 0;
}

int main(int argc, char **argv)
{
	/* Messages and help in the user's language (GLib's own strings);
	 * numbers stay in the C locale: reports and JSON are read by scripts. */
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
	if (argc < 2) {
		help_main(argc, argv);
		return 2;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
		return help_main(1, argv);
	if (strcmp(name, "--version") == 0)
		return version_main(argc, argv);
	const subcommand *sc = find(name);
	if (sc != NULL)
		return sc == find("help") ? help_main(argc - 1, argv + 1) : run(sc, argc - 1, argv + 1);
	fprintf(stderr, "ccidlab: unknown subcommand '%s' (try ccidlab help)\n", name);
	return 2;
}
