/* ccidlab — reader profiles: what an emulated reader is (contract between
 * the catalogue and the device model).
 *
 * A profile is either a row of the reader catalogue (readers.tsv: 773 real
 * CCID interfaces, installed as $(pkgdatadir)/readers.tsv) or one of the
 * built-in profiles.  Its class descriptor bytes decide the exchange
 * level, slots, busy slots, dwMaxCCIDMessageLength, protocols, IFSD,
 * voltages, PIN support; the interface facts decide whether it has an
 * interrupt pipe; its data-rate and clock replies answer the class
 * requests exactly as the real reader did.
 */
#ifndef CCIDLAB_EMU_PROFILE_H
#define CCIDLAB_EMU_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "emu/error.h"

#define EMU_PROFILE_CLASS_DESC_LEN 54

typedef struct emu_profile {
	char *name;		/* "generic-apdu-irq", or the catalogue key "ACR122U.txt:1" */
	char *description;	/* one line for listings */
	uint16_t idVendor, idProduct, bcdDevice;
	char *manufacturer;	/* "" when none */
	char *product;
	uint8_t bInterfaceNumber;
	uint8_t bInterfaceClass;	/* 0x0B, or 0xFF for vendor-class readers */
	uint8_t bInterfaceSubClass;
	uint8_t bInterfaceProtocol;	/* 0 CCID, 1 ICCD-A, 2 ICCD-B */
	bool has_interrupt_in;
	bool desc_after_endpoints;	/* class descriptor placed after the endpoints */
	uint8_t class_desc[EMU_PROFILE_CLASS_DESC_LEN];	/* raw, as on the wire */
	/* Class request replies.  *_supported false: the request stalls. */
	bool clocks_supported;
	GArray *clocks_khz;	/* guint32 */
	bool rates_supported;
	GArray *rates_bps;	/* guint32 */
	/* Profiles the emulator cannot serve (character level, ICCD) say why. */
	bool emulatable;
	char *unsupported_reason;	/* NULL when emulatable */
} emu_profile;

void emu_profile_free(emu_profile *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(emu_profile, emu_profile_free)
emu_profile *emu_profile_copy(const emu_profile *p);

/* The names of the built-in profiles, NULL-terminated. */
const char *const *emu_profile_builtin_names(void);
/* A built-in profile by name, or NULL. */
emu_profile *emu_profile_builtin(const char *name);

/* The USB configuration descriptor of the profile (configuration,
 * interface, class descriptor and endpoints, in the profile's order).
 * Returns its length, or 0 when cap is too small. */
size_t emu_profile_config_descriptor(const emu_profile *p, uint8_t *buf, size_t cap);

/* The reader catalogue (readers.tsv). */
typedef struct emu_catalogue emu_catalogue;

/* Loads a readers.tsv; NULL path: the installed one (or
 * $CCIDLAB_READERS_TSV).  EMU_ERROR on a missing file or a malformed row
 * (the error names the line and column). */
emu_catalogue *emu_catalogue_load(const char *path, GError **error);
void emu_catalogue_free(emu_catalogue *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(emu_catalogue, emu_catalogue_free)
size_t emu_catalogue_size(const emu_catalogue *c);
const emu_profile *emu_catalogue_get(const emu_catalogue *c, size_t i);
/* Finds a profile by built-in name, catalogue key "SOURCE[:ORDINAL]",
 * "VVVV:PPPP" or "VVVV:PPPP:IFACE" (hex).  Returns a copy, or NULL with
 * an EMU_ERROR that lists near matches. */
emu_profile *emu_catalogue_find(const emu_catalogue *c, const char *key, GError **error);


/* ---- Additions by the profile area (after the lead's contract above;
 * nothing above this line changed). ---- */

/* The largest configuration descriptor emu_profile_config_descriptor()
 * builds: configuration 9 + interface 9 + class 54 + 3 endpoints * 7. */
#define EMU_PROFILE_CONFIG_DESC_MAX 93u

/* A zeroed profile with empty (never NULL) clock and rate arrays.  Every
 * profile made by this area (built-in, catalogue, copy) has both arrays;
 * emu_profile_free() also accepts NULL ones. */
emu_profile *emu_profile_new(void);

/* Decides p->emulatable and p->unsupported_reason from the class
 * descriptor and the interface facts, in one place, so that the policy can
 * change without touching the catalogue.  has_bulk_pipes: the interface
 * has bulk-IN and bulk-OUT endpoints (catalogue: bNumEndpoints >= 2).
 * Returns p->emulatable. */
bool emu_profile_judge(emu_profile *p, bool has_bulk_pipes);

/* emu_catalogue_find() also accepts c == NULL: then only the built-in
 * names are searched.  Keys are matched case-insensitively; hex numbers
 * may carry a 0x prefix.  A SOURCE without ":ORDINAL" and a VID:PID
 * without ":IFACE" give the first matching row in file order. */

/* Bounds on what emu_catalogue_load() reads (STYLE.md rule 25). */
#define EMU_CATALOGUE_MAX_FILE (16u * 1024u * 1024u)
#define EMU_CATALOGUE_MAX_LINE (64u * 1024u)
#define EMU_CATALOGUE_MAX_REPLY_VALUES 1024u

#endif
