/* ccidlab — `ccidlab usb-ids`: the VID:PID pairs pcscd's USB hotplug gives
 * to ccidlab (its bundle's Info.plist). */
#ifndef CCIDLAB_CLI_USB_IDS_H
#define CCIDLAB_CLI_USB_IDS_H

int usb_ids_main(int argc, char **argv);

#endif
