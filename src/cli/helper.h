/* ccidlab — the programs the command runs for a subcommand (ccidlab-bench):
 * found beside it in a build tree, in $(pkglibexecdir) once installed. */
#ifndef CCIDLAB_CLI_HELPER_H
#define CCIDLAB_CLI_HELPER_H

/* The path of helper `name` built in src/`subdir` of this build tree when
 * this ccidlab runs from one, else the installed one. */
char *cli_helper_path(const char *subdir, const char *name);

/* Runs the helper in place of this process with argv (argv[0] the
 * subcommand's name, which the helper prints in its "command:" line);
 * returns 125 with a message only when it cannot. */
int cli_helper_exec(const char *subdir, const char *name, int argc, char **argv);

/* `ccidlab bench`: ccidlab-bench (src/bench). */
int cli_bench_main(int argc, char **argv);

#endif
