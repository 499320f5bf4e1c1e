/* ccidlab — `ccidlab mkroot`: a Debian root for `ccidlab lab --root`. */
#ifndef CCIDLAB_LAB_MKROOT_H
#define CCIDLAB_LAB_MKROOT_H

int mkroot_main(int argc, char **argv);

#endif
