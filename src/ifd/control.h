/* ccidlab — IFDHControl: PC/SC v2 part 10 features (control.c). */
#ifndef CCIDLAB_IFD_CONTROL_H
#define CCIDLAB_IFD_CONTROL_H

#include <ifdhandler.h>

long ifd_control(unsigned long lun, DWORD code, const UCHAR *tx, DWORD tx_len, PUCHAR rx,
		 DWORD rx_len, LPDWORD returned);

#endif
