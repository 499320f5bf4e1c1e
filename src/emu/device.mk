# src/emu: device area (device model, pipes, slots, faults, events,
# storms, timelines, the emulated transport).
src_emu_libemu_la_SOURCES += src/emu/device.h src/emu/device_priv.h \
	src/emu/device_object.c src/emu/device.c \
	src/emu/slot.c src/emu/pipe.c src/emu/replug.c src/emu/secure.c \
	src/emu/faultset.c src/emu/events.h src/emu/events.c \
	src/emu/storm.c src/emu/timeline.c src/emu/transport_emu.c
# storm.c draws exponential gaps (log1p).
src_emu_libemu_la_LIBADD += -lm

check_PROGRAMS += tests/unit/test_emu_device
tests_unit_test_emu_device_SOURCES = tests/unit/test_emu_device.c tests/unit/emu_device_helpers.h
tests_unit_test_emu_device_CFLAGS = $(UNIT_CFLAGS)
# transport_check (src/host/transport.c) judges the emulated transport.
tests_unit_test_emu_device_LDADD = src/host/libhost.la $(EMU_UNIT_LDADD)
TESTS += tests/unit/test_emu_device

check_PROGRAMS += tests/unit/test_emu_events
tests_unit_test_emu_events_SOURCES = tests/unit/test_emu_events.c tests/unit/emu_device_helpers.h
tests_unit_test_emu_events_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_emu_events_LDADD = $(EMU_UNIT_LDADD)
TESTS += tests/unit/test_emu_events

check_PROGRAMS += tests/unit/test_emu_faults
tests_unit_test_emu_faults_SOURCES = tests/unit/test_emu_faults.c tests/unit/emu_device_helpers.h
tests_unit_test_emu_faults_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_emu_faults_LDADD = $(EMU_UNIT_LDADD)
TESTS += tests/unit/test_emu_faults

check_PROGRAMS += tests/unit/test_usbfault
tests_unit_test_usbfault_SOURCES = tests/unit/test_usbfault.c
tests_unit_test_usbfault_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_usbfault_LDADD = $(EMU_UNIT_LDADD)
TESTS += tests/unit/test_usbfault

EXTRA_DIST += tests/data/emu/device-scenario.ini tests/data/emu/device-bad-scenario.ini
