/* ccidlab — the transport interface's one rule check (transport.h). */
#include "config.h"

#include "ccid/result.h"
#include "host/transport.h"

int transport_check(const transport_ops *ops)
{
	if (ops == NULL || ops->bulk_out == NULL || ops->bulk_in == NULL ||
	    ops->control == NULL || ops->config_descriptor == NULL || ops->info == NULL ||
	    ops->close == NULL)
		return CCID_E_INVALID_ARG;
	/* The interrupt pair comes together or not at all. */
	if ((ops->interrupt_in == NULL) != (ops->interrupt_stop == NULL))
		return CCID_E_INVALID_ARG;
	return CCID_OK;
}
