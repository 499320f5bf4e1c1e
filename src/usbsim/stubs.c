/* ccidlab — usbsim: the rest of libusb-1.0's exported calls (libusb
 * 1.0.26, Debian 12), which usbsim does not emulate.  Each one says so on
 * stderr, naming itself, and fails: LIBUSB_ERROR_NOT_SUPPORTED, or NULL
 * for those that return a pointer.  Without them the real libusb (still
 * loaded: the driver links it) would answer, about real devices, behind
 * the emulation's back.
 *
 * This file does not include <libusb-1.0/libusb.h> on purpose: the stubs
 * take no arguments (the x86-64 and aarch64 calling conventions let a
 * caller pass arguments a callee ignores) and return int or void *.
 */
#include "config.h"

#include <stddef.h>

void usbsim_unsupported(const char *call);

#define USBSIM_NOT_SUPPORTED (-12)	/* LIBUSB_ERROR_NOT_SUPPORTED */

#define STUB_INT(name) \
	int name(void); \
	int name(void) \
	{ \
		usbsim_unsupported(#name); \
		return USBSIM_NOT_SUPPORTED; \
	}
#define STUB_PTR(name) \
	void *name(void); \
	void *name(void) \
	{ \
		usbsim_unsupported(#name); \
		return NULL; \
	}

STUB_INT(libusb_alloc_streams)
STUB_INT(libusb_attach_kernel_driver)
STUB_PTR(libusb_dev_mem_alloc)
STUB_INT(libusb_dev_mem_free)
STUB_INT(libusb_event_handler_active)
STUB_INT(libusb_event_handling_ok)
STUB_INT(libusb_free_bos_descriptor)
STUB_INT(libusb_free_container_id_descriptor)
STUB_INT(libusb_free_pollfds)
STUB_INT(libusb_free_ss_endpoint_companion_descriptor)
STUB_INT(libusb_free_ss_usb_device_capability_descriptor)
STUB_INT(libusb_free_streams)
STUB_INT(libusb_free_usb_2_0_extension_descriptor)
STUB_INT(libusb_get_bos_descriptor)
STUB_INT(libusb_get_container_id_descriptor)
STUB_INT(libusb_get_max_iso_packet_size)
STUB_INT(libusb_get_max_packet_size)
STUB_INT(libusb_get_next_timeout)
STUB_PTR(libusb_get_parent)
STUB_PTR(libusb_get_pollfds)
STUB_INT(libusb_get_port_path)
STUB_INT(libusb_get_ss_endpoint_companion_descriptor)
STUB_INT(libusb_get_ss_usb_device_capability_descriptor)
STUB_INT(libusb_get_usb_2_0_extension_descriptor)
STUB_INT(libusb_handle_events_locked)
STUB_PTR(libusb_hotplug_get_user_data)
STUB_INT(libusb_interrupt_event_handler)
STUB_INT(libusb_lock_event_waiters)
STUB_INT(libusb_lock_events)
STUB_INT(libusb_pollfds_handle_timeouts)
STUB_INT(libusb_set_interface_alt_setting)
STUB_INT(libusb_set_pollfd_notifiers)
STUB_INT(libusb_setlocale)
STUB_INT(libusb_transfer_get_stream_id)
STUB_INT(libusb_transfer_set_stream_id)
STUB_INT(libusb_try_lock_events)
STUB_INT(libusb_unlock_event_waiters)
STUB_INT(libusb_unlock_events)
STUB_INT(libusb_wait_for_event)
STUB_INT(libusb_wrap_sys_device)
