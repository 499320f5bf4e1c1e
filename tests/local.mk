# tests: GTest unit tests (GLib prints TAP by default since 2.62), integration tests against a real private pcscd
# (through `ccidlab lab`), and fuzz corpus replays.  Everything speaks TAP.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TEST_EXTENSIONS = .sh
SH_LOG_DRIVER = $(LOG_DRIVER)
SH_LOG_COMPILER = $(SHELL)

# G_SLICE=always-malloc: GLib 2.74 (bookworm) still carves GList, GError,
# GHashTable... from its own slabs, which ASan cannot see; a use after free
# there reads garbage instead of being reported with its stacks.
# fast_unwind_on_fatal=1: a SEGV or BUS on a garbage pointer is unwound by
# frame pointers (bounded by the thread's stack), not by libgcc's unwinder,
# which crashed on one ("nested bug in the same thread": no stack at all).
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir; \
	top_builddir='$(abs_top_builddir)'; export top_builddir; \
	CCIDLAB_DATA='$(abs_top_srcdir)/tests/data'; export CCIDLAB_DATA; \
	CCIDLAB_READERS_TSV='$(abs_top_srcdir)/tests/data/readers.tsv'; export CCIDLAB_READERS_TSV; \
	CCIDLAB_LAB_PRELOAD='$(LAB_PRELOAD)'; export CCIDLAB_LAB_PRELOAD; \
	FUZZ_TARGETS='$(FUZZ_TARGETS)'; export FUZZ_TARGETS; \
	PYTHON3='$(PYTHON3)'; export PYTHON3; \
	ASAN_OPTIONS='abort_on_error=0:detect_leaks=1:fast_unwind_on_fatal=1'; export ASAN_OPTIONS; \
	G_SLICE=always-malloc; export G_SLICE; \
	UBSAN_OPTIONS='print_stacktrace=1:halt_on_error=1'; export UBSAN_OPTIONS; \
	G_DEBUG=fatal-criticals; export G_DEBUG; \
	HEADER_CC='$(CC)'; export HEADER_CC; \
	HEADER_CFLAGS='$(WARN_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) $(PCSC_CFLAGS) $(LIBUSB_CFLAGS)'; \
	export HEADER_CFLAGS;

# Sanitizer builds preload ASan's runtime into pcscd (it is not
# instrumented) so that it can load the instrumented driver, and with it a
# gettext stand-in: see tests/lab/nogettext.c for the deadlock it avoids.
check_LTLIBRARIES += tests/lab/libnogettext.la
tests_lab_libnogettext_la_SOURCES = tests/lab/nogettext.c
tests_lab_libnogettext_la_CFLAGS = -std=gnu11 $(WARN_CFLAGS) -Wno-missing-prototypes
tests_lab_libnogettext_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
if ENABLE_SANITIZERS
LAB_PRELOAD = $(SAN_PRELOAD) $(abs_top_builddir)/tests/lab/.libs/libnogettext.so
else
if ENABLE_TSAN
LAB_PRELOAD = $(SAN_PRELOAD) $(abs_top_builddir)/tests/lab/.libs/libtsanglib.so \
	$(abs_top_builddir)/tests/lab/.libs/libnogettext.so
else
LAB_PRELOAD =
endif
endif
EXTRA_DIST += tests/lab/nogettext.c tests/lab/tsanglib.c
if ENABLE_TSAN
# GLib's locks shown to ThreadSanitizer (tests/lab/tsanglib.c).
check_LTLIBRARIES += tests/lab/libtsanglib.la
tests_lab_libtsanglib_la_SOURCES = tests/lab/tsanglib.c
tests_lab_libtsanglib_la_CFLAGS = -std=gnu11 $(WARN_CFLAGS) -Wno-missing-prototypes
tests_lab_libtsanglib_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_lab_libtsanglib_la_LIBADD = -ldl
endif

# Unit tests take the core as a convenience library and GLib's GTest.
UNIT_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
UNIT_LDADD = src/ccid/libccidcore.la $(GLIB_LIBS)

check_PROGRAMS += tests/unit/test_result
tests_unit_test_result_SOURCES = tests/unit/test_result.c
tests_unit_test_result_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_result_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_result

# The progress line of matrix, bench and check-events (src/cli/kit).
check_PROGRAMS += tests/unit/test_progress
tests_unit_test_progress_SOURCES = tests/unit/test_progress.c
tests_unit_test_progress_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_progress_LDADD = src/cli/kit/libclikit.la $(GLIB_LIBS)
TESTS += tests/unit/test_progress

# check-events' anomaly classes over synthetic timelines: the oracle and
# the classifier are pure, so they link here without pcscd.
check_PROGRAMS += tests/unit/test_check_classes
tests_unit_test_check_classes_SOURCES = tests/unit/test_check_classes.c
tests_unit_test_check_classes_CFLAGS = $(UNIT_CFLAGS) $(JSON_CFLAGS) $(PCSC_CFLAGS)
tests_unit_test_check_classes_LDADD = $(CHECK_CORE_LIBS) $(JSON_LIBS) $(PCSC_LIBS) $(GLIB_LIBS)
TESTS += tests/unit/test_check_classes
# The driver loaded without pcscd, as pcsc-lite's handler test loads it
# (tests/integration/handler-direct.sh runs them): one program exports
# pcscd's log_msg and log_xxd, the other has none.
check_PROGRAMS += tests/direct/handler_direct tests/direct/handler_direct_log
tests_direct_handler_direct_SOURCES = tests/direct/handler_direct.c
tests_direct_handler_direct_CFLAGS = $(AM_CFLAGS) $(PCSC_CFLAGS) -pthread
tests_direct_handler_direct_LDADD = -ldl
tests_direct_handler_direct_log_SOURCES = tests/direct/handler_direct.c
tests_direct_handler_direct_log_CFLAGS = $(AM_CFLAGS) $(PCSC_CFLAGS) -pthread -DHANDLER_PROVIDES_LOG
tests_direct_handler_direct_log_LDFLAGS = $(AM_LDFLAGS) -export-dynamic
tests_direct_handler_direct_log_LDADD = -ldl
# The open and close bounds on devices that do not answer (bounds.sh).
check_PROGRAMS += tests/direct/bounds
tests_direct_bounds_SOURCES = tests/direct/bounds.c
tests_direct_bounds_CFLAGS = $(AM_CFLAGS) $(PCSC_CFLAGS)
tests_direct_bounds_LDADD = -ldl
# pcscd's threads in the driver, for ThreadSanitizer (usb-races.sh).
check_PROGRAMS += tests/direct/races
tests_direct_races_SOURCES = tests/direct/races.c
tests_direct_races_CFLAGS = $(AM_CFLAGS) $(PCSC_CFLAGS) -pthread
tests_direct_races_LDADD = -ldl
# A composite device's readers closed one at a time (usb-composite-uaf.sh).
check_PROGRAMS += tests/direct/composite_unplug
tests_direct_composite_unplug_SOURCES = tests/direct/composite_unplug.c
tests_direct_composite_unplug_CFLAGS = $(AM_CFLAGS) $(PCSC_CFLAGS)
tests_direct_composite_unplug_LDADD = -ldl

# Fuzz targets: with --enable-fuzzing they link libFuzzer; without it a
# small replay main runs the same files once each.  `make check` replays
# every target's corpus (tests/fuzz/corpus/<target>/) in both builds.
if ENABLE_FUZZING
FUZZ_MAIN =
else
FUZZ_MAIN = tests/fuzz/replay_main.c
endif
FUZZ_CORE_LIBS = src/ccid/libccidcore.la
EXTRA_DIST += tests/fuzz/replay_main.c tests/fuzz/corpus tests/fuzz/README
TESTS += tests/fuzz/replay.sh
EXTRA_DIST += tests/fuzz/replay.sh

# Every header compiles alone.
TESTS += tests/headers.sh
EXTRA_DIST += tests/headers.sh

# Integration tests: a real pcscd in a private namespace, per test.
INTEGRATION_TESTS = \
	tests/integration/lab-basics.sh \
	tests/integration/lab-refused.sh \
	tests/integration/readme.sh \
	tests/integration/exit-codes.sh \
	tests/integration/cards-doc.sh \
	tests/integration/lab-isolation.sh \
	tests/integration/lab-root.sh \
	tests/integration/driver-load.sh \
	tests/integration/emu-listing.sh \
	tests/integration/emu-readertest.sh \
	tests/integration/catalogue-pcscd.sh \
	tests/integration/emu-removal.sh \
	tests/integration/emu-devicename-cards.sh \
	tests/integration/emu-attrs.sh \
	tests/integration/emu-shutdown.sh \
	tests/integration/emu-badinput.sh \
	tests/integration/emu-events.sh \
	tests/integration/emu-logging.sh \
	tests/integration/ctl-requests.sh \
	tests/integration/ctl-robust.sh \
	tests/integration/ctl-storm.sh \
	tests/integration/check-events.sh \
	tests/integration/check-control.sh \
	tests/integration/matrix-quick.sh \
	tests/integration/race-2018.sh \
	tests/integration/repro-lost.sh \
	tests/integration/html-report.sh \
	tests/integration/legacy-client.sh \
	tests/integration/usbsim-api.sh \
	tests/integration/usbsim-faults-api.sh \
	tests/integration/usbsim-libccid.sh \
	tests/integration/usbsim-libccid-events.sh \
	tests/integration/usbsim-libccid-catalogue.sh \
	tests/integration/usbsim-libccid-ctl.sh \
	tests/integration/usbsim-libccid-attrs.sh \
	tests/integration/usbsim-libccid-faults.sh \
	tests/integration/usbsim-libccid-composite.sh \
	tests/integration/usb-timeout-cap.sh \
	tests/integration/usb-readertest.sh \
	tests/integration/usb-names.sh \
	tests/integration/usb-events.sh \
	tests/integration/usb-multislot.sh \
	tests/integration/usb-xfer-faults.sh \
	tests/integration/usb-composite.sh \
	tests/integration/usb-faults.sh \
	tests/integration/usb-unplug.sh \
	tests/integration/usb-attrs.sh \
	tests/integration/usb-notify-flood.sh \
	tests/integration/usb-hostile-strings.sh \
	tests/integration/open-close-bounds.sh \
	tests/integration/usb-composite-uaf.sh \
	tests/integration/usb-pin-trace.sh \
	tests/integration/usb-races.sh \
	tests/integration/soak-short.sh \
	tests/integration/handler-direct.sh
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS) tests/integration/lib.sh tests/integration/reaper.py tests/data \
	tests/integration/clients

# Timing-bound tests run at the end, one after another, alone: `make -j
# check` would otherwise share the two cores between them and whatever
# else runs, and a loaded machine delays wakeups past their bounds (the
# checker's late and lost classes, libccid's 20 ms event counts) for
# reasons that are not the code's.  matrix-quick.sh (storms on both
# cores for minutes) comes next, then race-2018.sh (two pcsc-lite builds
# the first time, then the 2018 race's pairs, whose window is timed) and
# repro-lost.sh (reproducers judged at 5 s).
SERIAL_LOGS = $(SERIAL_1) $(SERIAL_2) $(SERIAL_3) $(SERIAL_4) $(SERIAL_5) $(SERIAL_6) \
	$(SERIAL_7) $(SERIAL_8) $(SERIAL_9) $(SERIAL_10)
ALL_TEST_LOGS = $(patsubst %.sh,%.log,$(filter %.sh,$(TESTS))) \
	$(patsubst %,%.log,$(filter-out %.sh,$(TESTS)))
# The targets go through variables: automake drops its own recipe for a
# test log that Makefile.am names literally as a target.
SERIAL_1 = tests/unit/test_host_multi.log
SERIAL_2 = tests/integration/check-events.log
SERIAL_3 = tests/integration/check-control.log
SERIAL_4 = tests/integration/legacy-client.log
SERIAL_5 = tests/integration/usbsim-libccid-events.log
SERIAL_6 = tests/integration/usbsim-libccid-ctl.log
SERIAL_7 = tests/integration/usb-events.log
SERIAL_8 = tests/integration/matrix-quick.log
SERIAL_9 = tests/integration/race-2018.log
SERIAL_10 = tests/integration/repro-lost.log
# Each waits for the parallel tests and the earlier serial ones of this
# run, and only those: `make check TESTS=tests/integration/race-2018.sh`
# runs race-2018.sh alone instead of the whole chain before it.
SERIAL_PARALLEL = $(filter-out $(SERIAL_LOGS),$(ALL_TEST_LOGS))
SERIAL_BEFORE_2 = $(SERIAL_1)
SERIAL_BEFORE_3 = $(SERIAL_BEFORE_2) $(SERIAL_2)
SERIAL_BEFORE_4 = $(SERIAL_BEFORE_3) $(SERIAL_3)
SERIAL_BEFORE_5 = $(SERIAL_BEFORE_4) $(SERIAL_4)
SERIAL_BEFORE_6 = $(SERIAL_BEFORE_5) $(SERIAL_5)
SERIAL_BEFORE_7 = $(SERIAL_BEFORE_6) $(SERIAL_6)
SERIAL_BEFORE_8 = $(SERIAL_BEFORE_7) $(SERIAL_7)
SERIAL_BEFORE_9 = $(SERIAL_BEFORE_8) $(SERIAL_8)
SERIAL_BEFORE_10 = $(SERIAL_BEFORE_9) $(SERIAL_9)
$(SERIAL_1): $(SERIAL_PARALLEL)
$(SERIAL_2): $(SERIAL_PARALLEL) $(filter $(SERIAL_BEFORE_2),$(ALL_TEST_LOGS))
$(SERIAL_3): $(SERIAL_PARALLEL) $(filter $(SERIAL_BEFORE_3),$(ALL_TEST_LOGS))
$(SERIAL_4): $(SERIAL_PARALLEL) $(filter $(SERIAL_BEFORE_4),$(ALL_TEST_LOGS))
$(SERIAL_5): $(SERIAL_PARALLEL) $(filter $(SERIAL_BEFORE_5),$(ALL_TEST_LOGS))
$(SERIAL_6): $(SERIAL_PARALLEL) $(filter $(SERIAL_BEFORE_6),$(ALL_TEST_LOGS))
$(SERIAL_7): $(SERIAL_PARALLEL) $(filter $(SERIAL_BEFORE_7),$(ALL_TEST_LOGS))
$(SERIAL_8): $(SERIAL_PARALLEL) $(filter $(SERIAL_BEFORE_8),$(ALL_TEST_LOGS))
$(SERIAL_9): $(SERIAL_PARALLEL) $(filter $(SERIAL_BEFORE_9),$(ALL_TEST_LOGS))
$(SERIAL_10): $(SERIAL_PARALLEL) $(filter $(SERIAL_BEFORE_10),$(ALL_TEST_LOGS))

# The whole suite under load (issue 20): make -j2 check-loaded runs `make
# check` while tests/lab/cpuhog keeps a busy loop on every core, and stops
# the loops when the suite ends, passed, failed or interrupted.  A test
# that fails only here bounds by time what it should bound by events.
# The 1-minute load average is sampled into check-loaded.load.
check-loaded:
	@$(SHELL) $(srcdir)/tests/lab/cpuhog -l check-loaded.load -- $(MAKE) $(AM_MAKEFLAGS) check
.PHONY: check-loaded
EXTRA_DIST += tests/lab/cpuhog
CLEANFILES += check-loaded.load

# The pcsc-lite version matrix on request (ccidlab matrix, ccidlab(1)):
# make matrix MATRIX_ARGS='--root /srv/sid' (repeatable; --full for the
# whole product of the axes).  Not part of make check, which runs the
# quick suite against the host's pcscd only (matrix-quick.sh).
MATRIX_ARGS = --quick
MATRIX_DIR = $(abs_top_builddir)/matrix-work
matrix: all $(check_LTLIBRARIES)
	@rm -rf '$(MATRIX_DIR)' && mkdir -p '$(MATRIX_DIR)' || exit 1; \
	CCIDLAB_LAB_PRELOAD='$(LAB_PRELOAD)' '$(abs_top_builddir)/src/cli/ccidlab' matrix \
		--driver '$(abs_top_builddir)/bundle/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so' \
		--work-dir '$(MATRIX_DIR)' $(MATRIX_ARGS)
.PHONY: matrix

# The soak on request (issue 20): make soak [SOAK_SECONDS=7200 SOAK_INTERVAL=60];
# make check runs five minutes of it (tests/integration/soak-short.sh).
# SOAK_CSV (the samples) and SOAK_LOG (the TAP) may be moved out of the
# build tree, for a long run that the tree's next build must not touch.
SOAK_SECONDS = 7200
SOAK_INTERVAL = 60
SOAK_CSV = $(abs_top_builddir)/tests/soak/soak.csv
SOAK_LOG = soak.log
soak: all $(check_LTLIBRARIES)
	@$(AM_TESTS_ENVIRONMENT) SOAK_CSV='$(SOAK_CSV)'; export SOAK_CSV; \
		$(SHELL) $(srcdir)/tests/soak/soak.sh $(SOAK_SECONDS) $(SOAK_INTERVAL) | \
		tee '$(SOAK_LOG)'; ! grep -q '^not ok' '$(SOAK_LOG)'
.PHONY: soak
EXTRA_DIST += tests/soak/soak.sh tests/soak/soak.py

# Fuzz campaign on request: make fuzz FUZZ_SECONDS=600 (needs --enable-fuzzing).
FUZZ_SECONDS = 60
fuzz: $(check_PROGRAMS)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p fuzz-work/$$t; \
		echo "== $$t ($(FUZZ_SECONDS) s)"; \
		tests/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			fuzz-work/$$t $(srcdir)/tests/fuzz/corpus/$$t || exit 1; \
	done
.PHONY: fuzz
clean-local: clean-fuzz
clean-fuzz:
	rm -rf fuzz-work matrix-work tests/integration/*.pcscd.log
.PHONY: clean-fuzz

# Every unit test under valgrind (a build without --enable-sanitizers):
# make check-valgrind.  Leaks that are "definitely lost" fail the run.
VALGRIND = valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite --track-origins=yes -q
check-valgrind: $(check_PROGRAMS)
	@fail=0; for t in $(filter tests/unit/%,$(TESTS)); do \
		if ( $(AM_TESTS_ENVIRONMENT) G_SLICE=always-malloc G_DEBUG=gc-friendly \
			$(VALGRIND) ./$$t ) > $$t.valgrind.log 2>&1; then \
			echo "PASS: valgrind $$t"; \
		else echo "FAIL: valgrind $$t (see $$t.valgrind.log)"; fail=1; fi; \
	done; exit $$fail
.PHONY: check-valgrind

include tests/bench.mk
