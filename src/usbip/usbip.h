/* ccidlab — `ccidlab usbip` (issue 15): emulated readers exported as USB
 * devices over USB/IP.  The command's entry point, for the dispatcher.
 */
#ifndef CCIDLAB_USBIP_USBIP_H
#define CCIDLAB_USBIP_USBIP_H

/* ccidlab usbip [OPTIONS] [SPEC...] | add SPEC... | remove BUSID... */
int usbip_main(int argc, char **argv);
/* The control socket the server and its live commands use by default:
 * $CCIDLAB_CTL_SOCKET, else $XDG_RUNTIME_DIR/ccidlab-usbip.sock. */
char *usbip_default_socket(void);

#endif
