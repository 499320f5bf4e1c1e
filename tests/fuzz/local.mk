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
	src/usbsim/config_parse.c \
	$(FUZZ_DEVICE_SOURCES) $(FUZZ_MAIN)
tests_fuzz_fuzz_usb_CFLAGS = $(FUZZ_HOST_CFLAGS) $(LIBUSB_CFLAGS)
tests_fuzz_fuzz_usb_LDADD = src/usb/libusbtransport.la $(FUZZ_HOST_LDADD)
tests_fuzz_fuzz_usb_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS) $(VCLOCK_WRAP)
FUZZ_TARGETS += fuzz_usb

# Names, files and requests from outside.
FUZZ_IFD_LDADD = $(IFD_LIBS) $(JSON_LIBS) $(LIBUSB_LIBS) $(GLIB_LIBS)
check_PROGRAMS += tests/fuzz/fuzz_devname
tests_fuzz_fuzz_devname_SOURCES = tests/fuzz/fuzz_devname.c $(FUZZ_MAIN)
tests_fuzz_fuzz_devname_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_fuzz_fuzz_devname_LDADD = $(FUZZ_IFD_LDADD)
tests_fuzz_fuzz_devname_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_devname

check_PROGRAMS += tests/fuzz/fuzz_conf
tests_fuzz_fuzz_conf_SOURCES = tests/fuzz/fuzz_conf.c $(FUZZ_MAIN)
tests_fuzz_fuzz_conf_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_fuzz_fuzz_conf_LDADD = $(FUZZ_IFD_LDADD)
tests_fuzz_fuzz_conf_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_conf

check_PROGRAMS += tests/fuzz/fuzz_ifd_control
tests_fuzz_fuzz_ifd_control_SOURCES = tests/fuzz/fuzz_ifd_control.c $(FUZZ_MAIN)
tests_fuzz_fuzz_ifd_control_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(PCSC_CFLAGS)
tests_fuzz_fuzz_ifd_control_LDADD = $(FUZZ_IFD_LDADD)
tests_fuzz_fuzz_ifd_control_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_ifd_control

check_PROGRAMS += tests/fuzz/fuzz_scenario
tests_fuzz_fuzz_scenario_SOURCES = tests/fuzz/fuzz_scenario.c $(FUZZ_MAIN)
tests_fuzz_fuzz_scenario_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_fuzz_fuzz_scenario_LDADD = $(EMU_UNIT_LDADD)
tests_fuzz_fuzz_scenario_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_scenario

check_PROGRAMS += tests/fuzz/fuzz_readers_tsv
tests_fuzz_fuzz_readers_tsv_SOURCES = tests/fuzz/fuzz_readers_tsv.c $(FUZZ_MAIN)
tests_fuzz_fuzz_readers_tsv_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_fuzz_fuzz_readers_tsv_LDADD = $(EMU_UNIT_LDADD)
tests_fuzz_fuzz_readers_tsv_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_readers_tsv

check_PROGRAMS += tests/fuzz/fuzz_emu_apps
tests_fuzz_fuzz_emu_apps_SOURCES = tests/fuzz/fuzz_emu_apps.c $(FUZZ_MAIN)
tests_fuzz_fuzz_emu_apps_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_fuzz_fuzz_emu_apps_LDADD = $(EMU_UNIT_LDADD)
tests_fuzz_fuzz_emu_apps_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_emu_apps

check_PROGRAMS += tests/fuzz/fuzz_pinmask
tests_fuzz_fuzz_pinmask_SOURCES = tests/fuzz/fuzz_pinmask.c $(FUZZ_MAIN)
tests_fuzz_fuzz_pinmask_LDADD = $(FUZZ_CORE_LIBS)
tests_fuzz_fuzz_pinmask_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_pinmask

EXTRA_DIST += tests/fuzz/local.mk tests/fuzz/mkseeds.py
