/* ccidlab — the one table from ccid_result to pcscd's IFD_* codes. */
#ifndef CCIDLAB_IFD_RESULT_H
#define CCIDLAB_IFD_RESULT_H

/* IFD_SUCCESS for CCID_OK; the IFD_* that pcscd acts on for the rest. */
long ifd_result(int ccid_rc);

#endif
