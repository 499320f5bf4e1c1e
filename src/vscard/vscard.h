/* ccidlab — `ccidlab vscard`: ccidlab's virtual cards in QEMU's
 * ccid-card-passthru readers (server.h). */
#ifndef CCIDLAB_VSCARD_VSCARD_H
#define CCIDLAB_VSCARD_VSCARD_H

int vscard_main(int argc, char **argv);

#endif
