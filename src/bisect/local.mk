# src/bisect: pcsc-lite at any commit.  `ccidlab mkroot --pcsc-lite REF`
# runs commit-root.sh, kept beside ccidlab-mkroot (which it calls for the
# build base), in the build tree and installed alike.
pkglibexec_SCRIPTS += src/tools/ccidlab-commit-root
src/tools/ccidlab-commit-root: src/bisect/commit-root.sh
	$(AM_V_GEN)$(MKDIR_P) src/tools && cp $(srcdir)/src/bisect/commit-root.sh $@ && chmod +x $@
CLEANFILES += src/tools/ccidlab-commit-root
EXTRA_DIST += src/bisect/commit-root.sh
