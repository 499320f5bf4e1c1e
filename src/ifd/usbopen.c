/* ccidlab — real USB readers: a DEVICENAME of pcscd's hotplug (or a
 * reader.conf.d entry) to an open reader over src/usb's transport. */
#include "config.h"

#include <string.h>

#include <ifdhandler.h>

#include "ifd/log.h"
#include "ifd/reader.h"
#include "ifd/usbconf.h"
#include "ifd/usbopen.h"
#include "usb/usb.h"

static const char *mode_name(usbconf_mode m)
{
	return m == USBCONF_MODE_POLL ? "poll" : m == USBCONF_MODE_EVENT ? "event" : "auto";
}

static bool settings(ifd_reader *r, const usb_name *n, const transport_info *info,
		     usbconf *conf)
{
	const char *keys[USB_NAME_MAX_OPTS], *values[USB_NAME_MAX_OPTS];
	char why[512];

	for (size_t i = 0; i < n->n_opts; i++) {
		keys[i] = n->opts[i].key;
		values[i] = n->opts[i].value;
	}
	if (!usbconf_resolve(info->idVendor, info->idProduct, info->serial, keys, values,
			     (unsigned)n->n_opts, conf, why, sizeof why)) {
		ifd_error("reader %u: '%s' refused: %s", r->number, r->devname, why);
		return false;
	}
	return true;
}

static bool mode_possible(ifd_reader *r, const usbconf *conf)
{
	if (conf->mode == USBCONF_MODE_EVENT && !host_reader_has_interrupt(r->host)) {
		ifd_error("reader %u: '%s' refused: mode=event, but the reader has no interrupt "
			  "pipe (use mode=poll or auto)", r->number, r->devname);
		return false;
	}
	return true;
}

static void apply(ifd_reader *r, const usbconf *conf)
{
	const transport_info *info = host_reader_info(r->host);

	if (conf->log >= 0)
		ifd_log_set_mask((unsigned)conf->log);
	r->mode = host_reader_has_interrupt(r->host) && conf->mode != USBCONF_MODE_POLL
			  ? IFD_MODE_EVENT : IFD_MODE_POLL;
	r->escape_allowed = conf->escape;
	host_reader_set_timeout_cap(r->host, conf->timeout_cap_s * 1000u);
	if (conf->name[0] != '\0')
		r->name = g_strdup(conf->name);
	else
		r->name = g_strdup_printf("%s#%u", info->product[0] ? info->product : "usb",
					  r->number);
	ifd_info("reader %u: %04X/%04X '%s' serial '%s' interface %u, mode %s (asked: %s), "
		 "escape %s, timeout cap %u s%s%s", r->number, info->idVendor, info->idProduct,
		 info->product, info->serial, info->bInterfaceNumber,
		 r->mode == IFD_MODE_EVENT ? "event" : "polling-only", mode_name(conf->mode),
		 conf->escape ? "allowed" : "refused", conf->timeout_cap_s,
		 conf->origin[0] ? ", from " : "", conf->origin);
}

long ifd_usb_open(ifd_reader *r, const char *devname)
{
	usb_name n;
	transport t;
	transport_info info;
	char why[1024];
	usbconf conf;

	if (usb_name_parse(devname, &n, why, sizeof why) != 0) {
		ifd_error("reader %u: DEVICENAME '%s' refused: %s", r->number, devname, why);
		return IFD_COMMUNICATION_ERROR;
	}
	int rc = usb_transport_open(&n.match, &t, why, sizeof why);
	if (rc != CCID_OK) {
		ifd_error("reader %u: '%s': %s", r->number, devname, why);
		return rc == CCID_E_NO_DEVICE ? IFD_NO_SUCH_DEVICE : IFD_COMMUNICATION_ERROR;
	}
	/* The settings before any command: a reader left to another driver
	 * sees nothing of ccidlab but the claim, released here. */
	if (t.ops->info(t.dev, &info) != CCID_OK || !settings(r, &n, &info, &conf)) {
		t.ops->close(t.dev);
		return IFD_COMMUNICATION_ERROR;
	}
	if (!conf.claim) {
		/* pcscd then starts the device with the class driver (README,
		 * "How pcscd picks the driver"). */
		ifd_info("reader %u: %04X/%04X serial '%s' left to another driver (driver=other, "
			 "from %s)", r->number, info.idVendor, info.idProduct, info.serial,
			 conf.origin);
		t.ops->close(t.dev);
		return IFD_COMMUNICATION_ERROR;
	}
	r->usb_location = usb_transport_location(&t);
	r->host = host_reader_open(t, why, sizeof why);
	if (r->host == NULL) {
		ifd_error("reader %u: '%s' does not open: %s", r->number, devname, why);
		return IFD_COMMUNICATION_ERROR;
	}
	if (!mode_possible(r, &conf))
		return IFD_COMMUNICATION_ERROR;
	apply(r, &conf);
	return IFD_SUCCESS;
}
