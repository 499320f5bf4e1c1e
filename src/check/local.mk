# src/check: `ccidlab check-events` (the event delivery checker) and
# `ccidlab matrix` (its storm suite on each pcsc-lite at hand).
#
# libcheckcore is the checker's judgement, pure (no pcscd, no socket): the
# timeline helpers, the stream's feed into the truth, the oracle, the
# verdict (check_judge, which bench wakeup takes too), the anomaly
# classes, the report and recorded runs.  The unit tests link it.
noinst_LTLIBRARIES += src/check/libcheckcore.la
src_check_libcheckcore_la_SOURCES = \
	src/check/check_events.h src/check/check_timeline.c src/check/check_stream.c \
	src/check/check_oracle.c src/check/check_judge.c src/check/check_report.c \
	src/check/check_classes.c src/check/check_classes_report.c src/check/check_record.c \
	src/check/check_attrib.c src/check/check_sampler.c src/check/check_figure.c \
	src/check/check_html.c
src_check_libcheckcore_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) $(PCSC_CFLAGS)
# What links libcheckcore links these after it (the pages of --html,
# pcsc_stringify_error, the stream decoder).
CHECK_CORE_LIBS = src/check/libcheckcore.la $(REPORT_LIBS) $(CTL_PROTO_LIBS)

# libcheck runs a check: the truth's thread on the control socket, the
# monitors' threads in SCardGetStatusChange, the legacy client, the
# stimuli, the settling; check-events and matrix.
noinst_LTLIBRARIES += src/check/libcheck.la
src_check_libcheck_la_SOURCES = \
	src/check/check_events.c src/check/check_truth.c src/check/check_monitor.c \
	src/check/check_legacy.c src/check/check_stimuli.c src/check/check_settle.c \
	src/check/check_agent.c \
	src/check/matrix.h src/check/matrix.c src/check/matrix_cell.c src/check/matrix_report.c \
	src/check/matrix_html.c
src_check_libcheck_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) $(PCSC_CFLAGS)
# libcheck, then what it needs, in link order.
CHECK_LIBS = src/check/libcheck.la src/pcsclegacy/libpcsclegacy.la src/cli/kit/libclikit.la \
	$(CHECK_CORE_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_check_record
tests_fuzz_fuzz_check_record_SOURCES = tests/fuzz/fuzz_check_record.c $(FUZZ_MAIN)
tests_fuzz_fuzz_check_record_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) $(PCSC_CFLAGS)
tests_fuzz_fuzz_check_record_LDADD = $(CHECK_CORE_LIBS) $(JSON_LIBS) $(PCSC_LIBS) $(GLIB_LIBS)
tests_fuzz_fuzz_check_record_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_check_record
