# src/check: `ccidlab check-events` (the event delivery checker) and
# `ccidlab matrix` (its storm suite on each pcsc-lite at hand).
noinst_LTLIBRARIES += src/check/libcheck.la
src_check_libcheck_la_SOURCES = \
	src/check/check_events.h src/check/check_events.c src/check/check_truth.c \
	src/check/check_monitor.c src/check/check_legacy.c src/check/check_stimuli.c \
	src/check/check_oracle.c src/check/check_report.c \
	src/check/check_classes.c src/check/check_classes_report.c src/check/check_timeline.c \
	src/check/matrix.h src/check/matrix.c src/check/matrix_cell.c src/check/matrix_report.c
src_check_libcheck_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) $(PCSC_CFLAGS)
