/* ccidlab — the command.  main only picks the subcommand; each one lives
 * in its own file. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tools/lab.h"

typedef struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} subcommand;

static int version_main(int argc, char **argv)
{
	printf("ccidlab %s\n", PACKAGE_VERSION);
	return 0;
}

static int help_main(int argc, char **argv);

static const subcommand subcommands[] = {
	{ "lab", lab_main, "run a command against a private pcscd with ccidlab's driver" },
	{ "version", version_main, "print the version" },
	{ "help", help_main, "list the subcommands" },
};

static int help_main(int argc, char **argv)
{
	printf("usage: ccidlab SUBCOMMAND [OPTIONS] [ARGS...]\n\nSubcommands:\n");
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		printf("  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
	printf("\nccidlab SUBCOMMAND --help describes each one; see ccidlab(1).\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		help_main(argc, argv);
		return 2;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
		return help_main(argc, argv);
	if (strcmp(name, "--version") == 0)
		return version_main(argc, argv);
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(name, subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "ccidlab: unknown subcommand '%s' (try ccidlab help)\n", name);
	return 2;
}
