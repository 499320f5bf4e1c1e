/* ccidlab — `ccidlab repro CLASS --emit DIR`: a standalone reproducer of an
 * anomaly class (repro_cmd.c; the program itself is repro.c, built into
 * ccidlab as a GResource). */
#ifndef CCIDLAB_REPRO_REPRO_H
#define CCIDLAB_REPRO_REPRO_H

int repro_main(int argc, char **argv);

#endif
