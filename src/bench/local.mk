# src/bench: `ccidlab bench`, figures as ratios to same-run baselines.
#
# Its own program, ccidlab-bench in $(pkglibexecdir), which `ccidlab
# bench` runs: it alone loads drivers in its process (the open and driver
# suites), so it alone needs -ldl, the usbsim shim's libusb API and the
# dynamic list that exports pcscd's log_msg and log_xxd to them; the
# ccidlab command exports nothing of pcscd's.
#
# The suites are a library (the unit tests link bench wakeup's verdict);
# main and the log functions, which nothing in the program calls, are the
# program's own sources so that the linker keeps them.
noinst_LTLIBRARIES += src/bench/libbench.la
src_bench_libbench_la_SOURCES = \
	src/bench/bench.h src/bench/bench_stats.c src/bench/bench_apdu.c \
	src/bench/bench_wakeup.c src/bench/bench_judge.c src/bench/bench_open.c \
	src/bench/bench_slots.c src/bench/bench_driver.c \
	src/bench/bench_floor.h src/bench/bench_floor.c
# LIBUSB_CFLAGS: bench_floor.c calls the preloaded shim's libusb API
# (resolved at run time: the program does not link libusb).
src_bench_libbench_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) $(PCSC_CFLAGS) \
	$(LIBUSB_CFLAGS)
src_bench_libbench_la_CPPFLAGS = $(AM_CPPFLAGS) -DUSBDROPDIR='"$(usbdropdir)"'

pkglibexec_PROGRAMS += src/bench/ccidlab-bench
src_bench_ccidlab_bench_SOURCES = src/bench/bench_main.c src/bench/bench_log.c
src_bench_ccidlab_bench_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) $(PCSC_CFLAGS)
src_bench_ccidlab_bench_CPPFLAGS = $(AM_CPPFLAGS) -DUSBDROPDIR='"$(usbdropdir)"'
# liblab: the reader.conf values it writes, quoted for every pcscd
# (lab_conf_value).
# The slots suite: the host engine over the emulator (HOST_EMU_LDADD).
src_bench_ccidlab_bench_LDADD = src/bench/libbench.la src/lab/liblab.la $(CHECK_LIBS) \
	$(HOST_EMU_LDADD) src/ccid/libccidcore.la $(JSON_LIBS) $(PCSC_LIBS) $(GLIB_LIBS) -ldl
# pcscd's log_msg and log_xxd, for the drivers it loads.
src_bench_ccidlab_bench_LDFLAGS = $(AM_LDFLAGS) -Wl,--dynamic-list=$(srcdir)/src/bench/bench.sym
EXTRA_src_bench_ccidlab_bench_DEPENDENCIES = $(srcdir)/src/bench/bench.sym
EXTRA_DIST += src/bench/bench.sym

# One oracle: bench wakeup's verdict and check-events' on the same
# recorded runs (tests/data/check/), as recorded and with faults written
# in.
check_PROGRAMS += tests/unit/test_one_oracle
tests_unit_test_one_oracle_SOURCES = tests/unit/test_one_oracle.c
tests_unit_test_one_oracle_CFLAGS = $(UNIT_CFLAGS) $(JSON_CFLAGS) $(PCSC_CFLAGS)
tests_unit_test_one_oracle_LDADD = src/bench/libbench.la $(CHECK_CORE_LIBS) $(JSON_LIBS) \
	$(PCSC_LIBS) $(GLIB_LIBS)
TESTS += tests/unit/test_one_oracle
EXTRA_DIST += tests/data/check
