# src/report: the self-contained HTML page of --html (check-events, matrix,
# bisect): inline CSS and SVG drawn from JSON, pure (no I/O but the
# strings it returns).
noinst_LTLIBRARIES += src/report/libreport.la
src_report_libreport_la_SOURCES = \
	src/report/html.h src/report/json_member.h src/report/html.c src/report/html_svg.c src/report/html_json.c
src_report_libreport_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS)
src_report_libreport_la_LIBADD = -lm
REPORT_LIBS = src/report/libreport.la

check_PROGRAMS += tests/fuzz/fuzz_html_timeline
tests_fuzz_fuzz_html_timeline_SOURCES = tests/fuzz/fuzz_html_timeline.c $(FUZZ_MAIN)
tests_fuzz_fuzz_html_timeline_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS)
tests_fuzz_fuzz_html_timeline_LDADD = $(REPORT_LIBS) $(JSON_LIBS) $(GLIB_LIBS)
tests_fuzz_fuzz_html_timeline_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_html_timeline
