/* ccidlab — the DEVICENAME grammar (ccidlab-devicename(5)).
 *
 *   emu:PROFILE[:key=value]...     an emulated reader
 *   emu:conf=FILE:reader=NAME      an emulated reader from a lab file
 *   usb:VVVV/PPPP[:...]            a real USB reader, as pcscd names it
 *
 * Unquoted, only pcscd's token characters are allowed ([A-Za-z0-9=/-._@:\]);
 * one enclosing pair of quotes (" or ') is removed, and inside it any
 * printable character but that quote is allowed: pcscd before 1.8.24 takes
 * '=' only in a quoted token, and hands DEVICENAME over with its quotes.
 * In fields, "\:" is a literal ':' and "\\" a literal '\'; the documented
 * card=script:FILE and card=files:FILE are read as one value.
 * A reader.conf.d DEVICENAME must contain ':' so that pcscd does not stat()
 * it as a file.  Parsing only checks the form; what a profile or key
 * means is the reader layer's business.
 */
#ifndef CCIDLAB_IFD_DEVNAME_H
#define CCIDLAB_IFD_DEVNAME_H

#include <stddef.h>

#define IFD_DEVNAME_MAX 256	/* longer than any sane reader.conf line */
#define IFD_DEVNAME_MAX_PARAMS 32

typedef enum ifd_devname_scheme {
	IFD_DEVNAME_EMU,
	IFD_DEVNAME_USB,
} ifd_devname_scheme;

typedef struct ifd_devname_param {
	const char *key;
	const char *value;
} ifd_devname_param;

typedef struct ifd_devname {
	ifd_devname_scheme scheme;
	const char *profile;	/* emu: the first field, unless it is key=value */
	size_t n_params;
	ifd_devname_param params[IFD_DEVNAME_MAX_PARAMS];
	char text[IFD_DEVNAME_MAX + 1];	/* the name without its enclosing quotes */
	char buf[IFD_DEVNAME_MAX + 1];	/* the fields point in here */
} ifd_devname;

/* Parses `name` into *out.  On failure returns -1 and writes one line to
 * why[0..why_len) that names the bad token, the reason and the valid
 * choices; *out is then unspecified. */
int ifd_devname_parse(const char *name, ifd_devname *out, char *why, size_t why_len);

/* The value of `key`, or NULL. */
const char *ifd_devname_get(const ifd_devname *dn, const char *key);

#endif
