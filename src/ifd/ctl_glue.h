/* ccidlab — the control server's life in the driver (ctl_glue.c). */
#ifndef CCIDLAB_IFD_CTL_GLUE_H
#define CCIDLAB_IFD_CTL_GLUE_H

#include "ifd/reader.h"

/* The control server (ctl_glue.c): started by the first open reader,
 * stopped when the last one closes. */
void ifd_ctl_reader_opened(ifd_reader *r);
void ifd_ctl_reader_closing(ifd_reader *r);

#endif
