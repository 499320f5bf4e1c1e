/* ccidlab — a control directory of fake readers for the programs that
 * run a control server without pcscd (ctl_fake_server, fuzz_ctl_server):
 * 0 "lab-0" (generic-apdu-irq), 1 "lab-multi" (generic-ext-multi), both
 * emulated, and 3 "real-reader" (no emulation). */
#ifndef CCIDLAB_TESTS_CTL_FAKE_DIR_H
#define CCIDLAB_TESTS_CTL_FAKE_DIR_H

#include "ctl/server.h"

/* Makes the emulated devices (again, after ctl_fake_dir_close). */
ctl_directory ctl_fake_dir_open(void);
void ctl_fake_dir_close(void);

#endif
