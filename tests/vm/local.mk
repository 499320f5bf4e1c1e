# tests/vm: QEMU's usb-ccid readers through a real Linux kernel
# (`ccidlab vm`), with ccidlab's driver and libccid side by side.  They
# run after every other test, one after another: each is a TCG guest that
# takes a core.
VM_TESTS = \
	tests/vm/vm-basics.sh \
	tests/vm/vm-cleanup.sh \
	tests/vm/vm-readers.sh \
	tests/vm/vm-hotplug.sh \
	tests/vm/vm-usbip.sh
TESTS += $(VM_TESTS)
EXTRA_DIST += $(VM_TESTS) tests/vm/lib.sh tests/vm/drivers.sh tests/vm/clients \
	tests/vm/usbip-readers.txt

VM_1 = tests/vm/vm-basics.log
VM_2 = tests/vm/vm-cleanup.log
VM_3 = tests/vm/vm-readers.log
VM_4 = tests/vm/vm-hotplug.log
VM_5 = tests/vm/vm-usbip.log
# Ordered only among the tests this run runs (TESTS='tests/vm/...' runs
# them alone); kept out of the first serial test's prerequisites.
SERIAL_LOGS += $(VM_1) $(VM_2) $(VM_3) $(VM_4) $(VM_5)
$(VM_1): $(filter $(SERIAL_8),$(TEST_LOGS))
$(VM_2): $(filter $(VM_1),$(TEST_LOGS))
$(VM_3): $(filter $(VM_2),$(TEST_LOGS))
$(VM_4): $(filter $(VM_3),$(TEST_LOGS))
$(VM_5): $(filter $(VM_4),$(TEST_LOGS))

# The guest's kernel and initramfs, fetched and made once (ccidlab vm
# --fetch); make check does it on first use too.
vm-kernel: all
	$(abs_top_builddir)/src/cli/ccidlab vm --fetch
.PHONY: vm-kernel

# The VM suite alone: make check-vm.
check-vm: all $(check_PROGRAMS) $(check_LTLIBRARIES)
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(VM_TESTS)'
.PHONY: check-vm

# ccidlab usbip through the guest's kernel, the full set: 20 readers,
# every length, every fault kind, 16 readers at once (tests/vm/vm-usbip.sh).
check-vm-usbip: all $(check_PROGRAMS) $(check_LTLIBRARIES)
	VM_USBIP=full $(MAKE) $(AM_MAKEFLAGS) check TESTS='tests/vm/vm-usbip.sh'
.PHONY: check-vm-usbip
