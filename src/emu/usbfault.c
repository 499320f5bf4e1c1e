/* ccidlab — USB transfer faults: the kind table and the string form
 * (usbfault.h).  The shim that applies them is src/usbsim/usbfault.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/error.h"
#include "emu/fault.h"
#include "emu/usbfault.h"

#define IN_PIPES (1u << EMU_USB_PIPE_BULK_IN | 1u << EMU_USB_PIPE_INTERRUPT)
#define ALL_PIPES (IN_PIPES | 1u << EMU_USB_PIPE_BULK_OUT | 1u << EMU_USB_PIPE_CONTROL)

typedef struct kind_info {
	const char *name;
	uint32_t def;		/* arg when none is given */
	uint32_t max;		/* largest arg; 0: takes none */
	unsigned pipes;		/* bit per emu_usb_pipe */
} kind_info;

/* Indexed by emu_usb_fault_kind; the meanings are in usbfault.h. */
static const kind_info kinds[EMU_USB_FAULT_KIND_COUNT] = {
	[EMU_USB_FAULT_STALL] = { "stall", 0, 0, ALL_PIPES },
	[EMU_USB_FAULT_NAK] = { "nak", 0, 0, ALL_PIPES },
	[EMU_USB_FAULT_SHORT] = { "short", 5, 65535, IN_PIPES },
	[EMU_USB_FAULT_ZLP] = { "zlp", 0, 0, IN_PIPES },
	[EMU_USB_FAULT_BABBLE] = { "babble", 0, 0, IN_PIPES },
	[EMU_USB_FAULT_DISCONNECT] = { "disconnect", 100, 600000, ALL_PIPES },
};

static const char *const pipes[EMU_USB_PIPE_COUNT] = {
	[EMU_USB_PIPE_BULK_IN] = "bulk-in",
	[EMU_USB_PIPE_BULK_OUT] = "bulk-out",
	[EMU_USB_PIPE_INTERRUPT] = "interrupt",
	[EMU_USB_PIPE_CONTROL] = "control",
};

const char *emu_usb_fault_kind_name(emu_usb_fault_kind k)
{
	return (unsigned)k < EMU_USB_FAULT_KIND_COUNT ? kinds[k].name : "unknown";
}

bool emu_usb_fault_kind_from_name(const char *name, emu_usb_fault_kind *out)
{
	for (unsigned k = 0; k < EMU_USB_FAULT_KIND_COUNT; k++)
		if (strcmp(kinds[k].name, name) == 0) {
			*out = (emu_usb_fault_kind)k;
			return true;
		}
	return false;
}

const char *emu_usb_pipe_name(emu_usb_pipe p)
{
	return (unsigned)p < EMU_USB_PIPE_COUNT ? pipes[p] : "unknown";
}

const char *emu_usb_fault_kind_names(void)
{
	return "stall, nak, short, zlp, babble, disconnect";
}

bool emu_usb_fault_applies(emu_usb_fault_kind k, emu_usb_pipe p)
{
	return (unsigned)k < EMU_USB_FAULT_KIND_COUNT && (unsigned)p < EMU_USB_PIPE_COUNT &&
	       (kinds[k].pipes & 1u << p) != 0;
}

uint32_t emu_usb_fault_arg(const emu_usb_fault *f)
{
	if (f->has_arg || (unsigned)f->kind >= EMU_USB_FAULT_KIND_COUNT)
		return f->arg;
	return kinds[f->kind].def;
}

size_t emu_fault_kind_len(const char *s)
{
	return strcspn(s, "/:=@");
}

/* A whole decimal or 0x-hex number 0..max. */
static bool parse_pipe(const char *s, emu_usb_pipe *out)
{
	for (unsigned p = 0; p < EMU_USB_PIPE_COUNT; p++)
		if (strcmp(pipes[p], s) == 0) {
			*out = (emu_usb_pipe)p;
			return true;
		}
	return false;
}

bool emu_usb_fault_parse(const char *s, emu_usb_fault *out, GError **error)
{
	g_return_val_if_fail(s != NULL && out != NULL, FALSE);
	if (strlen(s) > 64) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "fault \"%.16s...\": too long", s);
		return false;
	}
	g_autofree char *copy = g_strdup(s);
	emu_usb_fault f = { .pipe = EMU_USB_PIPE_BULK_IN };

	char *at = strchr(copy, '@');
	if (at != NULL) {
		*at++ = '\0';
		if (!emu_fault_parse_count(s, at, &f.count, error))
			return false;
	}
	char *colon = strpbrk(copy, ":=");
	if (colon != NULL)
		*colon++ = '\0';
	char *slash = strchr(copy, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (!emu_usb_fault_kind_from_name(copy, &f.kind)) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
			    "fault \"%s\": unknown USB fault kind \"%s\" (one of: %s)", s, copy,
			    emu_usb_fault_kind_names());
		return false;
	}
	const kind_info *ki = &kinds[f.kind];
	if (slash != NULL && !parse_pipe(slash, &f.pipe)) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
			    "fault \"%s\": unknown pipe \"%s\" (bulk-in, bulk-out, interrupt, control)",
			    s, slash);
		return false;
	}
	if (!emu_usb_fault_applies(f.kind, f.pipe)) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
			    "fault \"%s\": %s does not apply to the %s pipe (%s)", s, ki->name,
			    pipes[f.pipe], ki->pipes == IN_PIPES ? "IN pipes only: bulk-in, interrupt"
								 : "bulk-in, bulk-out, interrupt, control");
		return false;
	}
	if (colon != NULL) {
		if (!emu_fault_parse_arg(s, ki->name, ki->max, colon, &f.arg, error))
			return false;
		f.has_arg = true;
	}
	*out = f;
	return true;
}

int emu_usb_fault_format(const emu_usb_fault *f, char *buf, size_t cap)
{
	char arg[16] = "", count[16] = "";

	if ((unsigned)f->kind < EMU_USB_FAULT_KIND_COUNT && kinds[f->kind].max != 0)
		snprintf(arg, sizeof arg, ":%u", emu_usb_fault_arg(f));
	if (f->count != 0)
		snprintf(count, sizeof count, "@%u", f->count);
	return snprintf(buf, cap, "%s/%s%s%s", emu_usb_fault_kind_name(f->kind),
			emu_usb_pipe_name(f->pipe), arg, count);
}
