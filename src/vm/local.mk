# src/vm: `ccidlab vm`, a Linux guest with a real USB stack (Debian's
# kernel under QEMU, QEMU's usb-ccid readers), host and guest sides.
noinst_LTLIBRARIES += src/vm/libvm.la
src_vm_libvm_la_SOURCES = \
	src/vm/vm.h src/vm/vm_priv.h src/vm/host.h src/vm/main.c src/vm/opts.c \
	src/vm/kernel.c src/vm/initramfs.c src/vm/qemu.c src/vm/plan.c src/vm/qmp.c \
	src/vm/hostctl.c src/vm/run.c \
	src/vm/guest_init.c src/vm/guest_ctl.c src/vm/guest_pcscd.c
src_vm_libvm_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS)
src_vm_libvm_la_CPPFLAGS = $(AM_CPPFLAGS) -DUSBDROPDIR='"$(usbdropdir)"' \
	-DPKGLIBEXECDIR='"$(pkglibexecdir)"'
src_vm_libvm_la_LIBADD =
VM_LIBS = src/vm/libvm.la

# The initramfs's /init, read by ccidlab vm where it runs: beside the
# build tree's command, or installed.
pkglibexec_SCRIPTS += src/vm/ccidlab-vm-init
src/vm/ccidlab-vm-init: src/vm/vm-init.sh
	$(AM_V_GEN)$(MKDIR_P) src/vm && cp $(srcdir)/src/vm/vm-init.sh $@ && chmod +x $@
CLEANFILES += src/vm/ccidlab-vm-init
EXTRA_DIST += src/vm/vm-init.sh

# Into the ccidlab command (src/cli/local.mk), then the libraries they use:
# vscard's cards are the emulator's.
src_cli_ccidlab_LDADD += $(VM_LIBS) $(VSCARD_LIBS) $(EMU_LIBS) src/ccid/libccidcore.la \
	$(JSON_LIBS) $(GLIB_LIBS)
