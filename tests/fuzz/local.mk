# tests/fuzz: the stateful targets (a malicious device against the host
# engine, issue 20) and the targets of the files, names and requests the
# driver takes from outside.  The parser targets of the CCID core are
# registered beside their sources (src/ccid/*.mk, src/ctl/local.mk).
#
# The stateful targets read the time on a virtual clock: g_get_monotonic_time,
# g_cond_wait_until and g_usleep are wrapped at link time (vclock.h).
VCLOCK_WRAP = -Wl,--wrap=g_get_monotonic_time -Wl,--wrap=g_cond_wait_until -Wl,--wrap=g_usleep
FUZZ_DEVICE_SOURCES = tests/fuzz/fuzz_device.h tests/fuzz/fuzz_device.c \
	tests/fuzz/fuzz_hostops.h tests/fuzz/fuzz_hostops.c tests/fuzz/vclock.h tests/fuzz/vclock.c
FUZZ_HOST_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) -I$(top_srcdir)/tests/fuzz
FUZZ_HOST_LDADD = src/host/libhost.la src/ccid/libccidcore.la $(GLIB_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_host
tests_fuzz_fuzz_host_SOURCES = tests/fuzz/fuzz_host.c $(FUZZ_DEVICE_SOURCES) $(FUZZ_MAIN)
tests_fuzz_fuzz_host_CFLAGS = $(FUZZ_HOST_CFLAGS)
tests_fuzz_fuzz_host_LDADD = $(FUZZ_HOST_LDADD)
tests_fuzz_fuzz_host_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS) $(VCLOCK_WRAP)
FUZZ_TARGETS += fuzz_host

check_PROGRAMS += tests/fuzz/fuzz_host_mt
tests_fuzz_fuzz_host_mt_SOURCES = tests/fuzz/fuzz_host_mt.c $(FUZZ_DEVICE_SOURCES) $(FUZZ_MAIN)
tests_fuzz_fuzz_host_mt_CFLAGS = $(FUZZ_HOST_CFLAGS)
tests_fuzz_fuzz_host_mt_LDADD = $(FUZZ_HOST_LDADD)
tests_fuzz_fuzz_host_mt_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS) $(VCLOCK_WRAP)
FUZZ_TARGETS += fuzz_host_mt

# The USB layer over a libusb of its own (fakeusb.c): no libusb-1.0 linked.
check_PROGRAMS += tests/fuzz/fuzz_usb
tests_fuzz_fuzz_usb_SOURCES = tests/fuzz/fuzz_usb.c tests/fuzz/fakeusb.h tests/fuzz/fakeusb.c \
	$(FUZZ_DEVICE_SOURCES) $(FUZZ_MAIN)
tests_fuzz_fuzz_usb_CFLAGS = $(FUZZ_HOST_CFLAGS) $(LIBUSB_CFLAGS)
tests_fuzz_fuzz_usb_LDADD = src/usb/libusbtransport.la $(FUZZ_HOST_LDADD)
tests_fuzz_fuzz_usb_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS) $(VCLOCK_WRAP)
FUZZ_TARGETS += fuzz_usb

EXTRA_DIST += tests/fuzz/local.mk tests/fuzz/mkseeds.py
