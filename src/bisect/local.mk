# src/bisect: pcsc-lite at any commit.  `ccidlab mkroot --pcsc-lite REF`
# runs commit-root.sh, kept beside ccidlab-mkroot (which it calls for the
# build base), in the build tree and installed alike.
pkglibexec_SCRIPTS += src/tools/ccidlab-commit-root
src/tools/ccidlab-commit-root: src/bisect/commit-root.sh
	$(AM_V_GEN)$(MKDIR_P) src/tools && cp $(srcdir)/src/bisect/commit-root.sh $@ && chmod +x $@
CLEANFILES += src/tools/ccidlab-commit-root
EXTRA_DIST += src/bisect/commit-root.sh

# `ccidlab bisect` (its files; it runs each commit's check as a matrix cell).
src_tools_ccidlab_SOURCES += \
	src/bisect/bisect.h src/bisect/bisect.c src/bisect/bisect_stats.c \
	src/bisect/bisect_git.c src/bisect/bisect_runs.c src/bisect/bisect_report.c \
	src/bisect/bisect_html.c src/bisect/bisect_replay.c
