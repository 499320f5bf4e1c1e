/* ccidlab — `ccidlab vm`: runs a command as root inside a Linux guest
 * with a real USB stack (Debian's stock kernel under QEMU) and QEMU's
 * usb-ccid readers; inside the guest, the same subcommand talks to the
 * host (plug, unplug, insert, eject, pcscd).  See doc/vm.md. */
#ifndef CCIDLAB_VM_VM_H
#define CCIDLAB_VM_VM_H

int vm_main(int argc, char **argv);

#endif
