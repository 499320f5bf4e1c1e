# src/bench: `ccidlab bench`, figures as ratios to same-run baselines.
noinst_LTLIBRARIES += src/bench/libbench.la
src_bench_libbench_la_SOURCES = \
	src/bench/bench.h src/bench/bench_main.c src/bench/bench_stats.c src/bench/bench_apdu.c \
	src/bench/bench_wakeup.c src/bench/bench_open.c src/bench/bench_driver.c \
	src/bench/bench_log.c src/bench/bench_floor.h src/bench/bench_floor.c
# LIBUSB_CFLAGS: bench_floor.c calls the preloaded shim's libusb API
# (resolved at run time: the command does not link libusb).
src_bench_libbench_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) $(PCSC_CFLAGS) \
	$(LIBUSB_CFLAGS)
src_bench_libbench_la_CPPFLAGS = $(AM_CPPFLAGS) -DUSBDROPDIR='"$(usbdropdir)"'
EXTRA_DIST += src/bench/bench.sym
