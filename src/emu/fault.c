/* ccidlab — faults: the kind table and the "kind[:arg][@count]" form
 * (fault.h).  Device-free: the control protocol parses and formats faults
 * with it, without the device model (faultset.c applies them).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/errmap.h"
#include "emu/error.h"
#include "emu/fault.h"

typedef struct kind_info {
	const char *name;
	uint32_t def;		/* arg when none is given */
	uint32_t max;		/* largest arg accepted */
	bool one_shot;		/* acts when set, never kept */
} kind_info;

/* Indexed by emu_fault_kind; the meanings are in fault.h. */
static const kind_info kinds[EMU_FAULT_KIND_COUNT] = {
	[EMU_FAULT_MUTE_AT_POWER_ON] = { "mute-power-on", 0, 0, false },
	[EMU_FAULT_BAD_ATR] = { "bad-atr", 0, 0, false },
	[EMU_FAULT_SLOW] = { "slow", 1000, 600000, false },
	[EMU_FAULT_FAIL] = { "fail", CCID_ERR_HW_ERROR, 0xFF, false },
	[EMU_FAULT_WRONG_SEQ] = { "wrong-seq", 0x80, 0xFF, false },
	[EMU_FAULT_WRONG_SLOT] = { "wrong-slot", 1, 0xFF, false },
	[EMU_FAULT_TRUNCATE] = { "truncate", 1, 65536, false },
	[EMU_FAULT_LONG_LENGTH] = { "long-length", 1, 0x7FFFFFFF, false },
	[EMU_FAULT_GARBAGE] = { "garbage", 16, 65536, false },
	[EMU_FAULT_TIMEOUT] = { "timeout", 0, 600000, false },
	[EMU_FAULT_DEVICE_GONE] = { "device-gone", 0, 0, false },
	[EMU_FAULT_REMOVE_IN_XFR] = { "remove-in-xfr", 0, 0, false },
	[EMU_FAULT_SPURIOUS_NOTIFY] = { "spurious-notify", 0, 0, true },
	[EMU_FAULT_DROP_NOTIFY] = { "drop-notify", 0, 0, false },
	[EMU_FAULT_HW_ERROR] = { "hw-error", 1, 0xFF, true },
	[EMU_FAULT_GHOST_ANSWER] = { "ghost-answer", 0, 0, false },
};

const char *emu_fault_kind_name(emu_fault_kind k)
{
	if ((unsigned)k >= EMU_FAULT_KIND_COUNT)
		return "unknown";
	return kinds[k].name;
}

bool emu_fault_kind_from_name(const char *name, emu_fault_kind *out)
{
	for (unsigned k = 0; k < EMU_FAULT_KIND_COUNT; k++) {
		if (strcmp(kinds[k].name, name) == 0) {
			*out = (emu_fault_kind)k;
			return true;
		}
	}
	return false;
}

uint32_t emu_fault_arg(const emu_fault *f)
{
	if (f->has_arg || (unsigned)f->kind >= EMU_FAULT_KIND_COUNT)
		return f->arg;
	return kinds[f->kind].def;
}

/* A whole decimal or 0x-hex number up to max. */
static bool parse_number(const char *s, uint64_t max, uint64_t *out)
{
	if (*s == '\0' || *s == '-' || *s == '+' || g_ascii_isspace(*s))
		return false;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

bool emu_fault_parse_count(const char *s, const char *count, unsigned *out, GError **error)
{
	uint64_t n;

	if (!parse_number(count, 1000000000u, &n) || n == 0) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
			    "fault \"%s\": count \"%s\" is not a number 1..1000000000", s, count);
		return false;
	}
	*out = (unsigned)n;
	return true;
}

bool emu_fault_parse_arg(const char *s, const char *kind, unsigned max, const char *arg,
			 uint32_t *out, GError **error)
{
	uint64_t v;

	if (max == 0) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "fault \"%s\": %s takes no argument",
			    s, kind);
		return false;
	}
	if (!parse_number(arg, max, &v)) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
			    "fault \"%s\": argument \"%s\" is not a number 0..%u", s, arg, max);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

bool emu_fault_parse(const char *s, emu_fault *out, GError **error)
{
	g_return_val_if_fail(s != NULL && out != NULL, FALSE);

	/* Limit: a fault string is a word, not a document. */
	if (strlen(s) > 64) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "fault \"%.16s...\": too long", s);
		return false;
	}
	g_autofree char *copy = g_strdup(s);
	emu_fault f = { 0 };

	char *at = strchr(copy, '@');
	if (at != NULL) {
		*at++ = '\0';
		if (!emu_fault_parse_count(s, at, &f.count, error))
			return false;
	}
	char *colon = strchr(copy, ':');
	if (colon != NULL)
		*colon++ = '\0';
	if (!emu_fault_kind_from_name(copy, &f.kind)) {
		g_autoptr(GString) names = g_string_new(NULL);
		for (unsigned k = 0; k < EMU_FAULT_KIND_COUNT; k++)
			g_string_append_printf(names, "%s%s", k ? ", " : "", kinds[k].name);
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE,
			    "fault \"%s\": unknown kind \"%s\" (one of: %s)", s, copy, names->str);
		return false;
	}
	if (colon != NULL) {
		const kind_info *ki = &kinds[f.kind];
		if (!emu_fault_parse_arg(s, ki->name, ki->max, colon, &f.arg, error))
			return false;
		f.has_arg = true;
	}
	*out = f;
	return true;
}

int emu_fault_format(const emu_fault *f, char *buf, size_t cap)
{
	const char *name = emu_fault_kind_name(f->kind);
	bool with_arg = (unsigned)f->kind < EMU_FAULT_KIND_COUNT && kinds[f->kind].max != 0;
	char arg[16] = "";
	char count[16] = "";

	if (with_arg)
		snprintf(arg, sizeof arg, ":%u", emu_fault_arg(f));
	if (f->count != EMU_FAULT_FOREVER)
		snprintf(count, sizeof count, "@%u", f->count);
	return snprintf(buf, cap, "%s%s%s", name, arg, count);
}
