# src/bisect: pcsc-lite at any commit.  `ccidlab mkroot --pcsc-lite REF`
# runs commit-root.sh, kept beside ccidlab-mkroot (which it calls for the
# build base), in the build tree (src/lab) and installed alike.
pkglibexec_SCRIPTS += src/lab/ccidlab-commit-root
src/lab/ccidlab-commit-root: src/bisect/commit-root.sh
	$(AM_V_GEN)$(MKDIR_P) src/lab && cp $(srcdir)/src/bisect/commit-root.sh $@ && chmod +x $@
CLEANFILES += src/lab/ccidlab-commit-root
EXTRA_DIST += src/bisect/commit-root.sh

# `ccidlab bisect`: it builds each commit (mkroot --pcsc-lite) and runs
# its check as a matrix cell (libcheck).
noinst_LTLIBRARIES += src/bisect/libbisect.la
src_bisect_libbisect_la_SOURCES = \
	src/bisect/bisect.h src/bisect/bisect.c src/bisect/bisect_stats.c \
	src/bisect/bisect_git.c src/bisect/bisect_runs.c src/bisect/bisect_report.c \
	src/bisect/bisect_html.c src/bisect/bisect_replay.c
src_bisect_libbisect_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_CFLAGS) $(PCSC_CFLAGS)
src_bisect_libbisect_la_LIBADD = -lm

# Its statistics (pure).
check_PROGRAMS += tests/unit/test_bisect_stats
tests_unit_test_bisect_stats_SOURCES = tests/unit/test_bisect_stats.c src/bisect/bisect_stats.c
tests_unit_test_bisect_stats_CFLAGS = $(UNIT_CFLAGS) $(JSON_CFLAGS)
tests_unit_test_bisect_stats_LDADD = $(GLIB_LIBS) -lm
TESTS += tests/unit/test_bisect_stats
