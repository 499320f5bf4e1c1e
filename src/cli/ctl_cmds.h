/* ccidlab — the control subcommands, one file per family:
 * ctl_readers.c (list, insert, remove, swap, mute, unmute), ctl_fault.c,
 * ctl_scenario.c, ctl_storm.c, ctl_events.c (events, trace) and
 * profiles.c, and legacy-wait (legacy_cmd.c).  Each takes argv with
 * argv[0] the subcommand. */
#ifndef CCIDLAB_CLI_CTL_CMDS_H
#define CCIDLAB_CLI_CTL_CMDS_H

int cli_list_main(int argc, char **argv);
int cli_insert_main(int argc, char **argv);
int cli_swap_main(int argc, char **argv);
int cli_remove_main(int argc, char **argv);
int cli_mute_main(int argc, char **argv);
int cli_unmute_main(int argc, char **argv);
int cli_fault_main(int argc, char **argv);
int cli_scenario_main(int argc, char **argv);
int cli_storm_main(int argc, char **argv);
int cli_events_main(int argc, char **argv);
int cli_trace_main(int argc, char **argv);
int cli_profiles_main(int argc, char **argv);
/* legacy_cmd.c: ccidlab legacy-wait READER... (src/pcsclegacy's client). */
int legacy_wait_main(int argc, char **argv);

#endif
