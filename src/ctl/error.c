/* ccidlab — the control protocol's error space (protocol.h): one enum,
 * one table of wire names. */
#include "config.h"

#include "ctl/protocol.h"

#include <string.h>

G_DEFINE_QUARK(ctl-error-quark, ctl_error)

static const char *const error_names[CTL_ERROR_COUNT] = {
	[CTL_ERROR_FAILED] = "failed",
	[CTL_ERROR_BAD_JSON] = "bad-json",
	[CTL_ERROR_BAD_REQUEST] = "bad-request",
	[CTL_ERROR_UNKNOWN_REQUEST] = "unknown-request",
	[CTL_ERROR_BAD_VERSION] = "bad-version",
	[CTL_ERROR_LINE_TOO_LONG] = "line-too-long",
	[CTL_ERROR_NOT_FOUND] = "not-found",
	[CTL_ERROR_NOT_EMULATED] = "not-emulated",
	[CTL_ERROR_BAD_STATE] = "bad-state",
	[CTL_ERROR_LIMIT] = "limit",
	[CTL_ERROR_PERMISSION] = "permission-denied",
	[CTL_ERROR_IO] = "io",
	[CTL_ERROR_TIMEOUT] = "timeout",
	[CTL_ERROR_PROTOCOL] = "protocol",
};

const char *ctl_error_name(ctl_error e)
{
	if ((unsigned)e >= CTL_ERROR_COUNT)
		return NULL;
	return error_names[e];
}

ctl_error ctl_error_from_name(const char *name)
{
	for (unsigned i = 0; name != NULL && i < CTL_ERROR_COUNT; i++)
		if (error_names[i] != NULL && strcmp(error_names[i], name) == 0)
			return (ctl_error)i;
	return CTL_ERROR_FAILED;
}
