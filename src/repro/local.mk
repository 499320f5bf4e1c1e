# src/repro: `ccidlab repro`.  repro.c is not compiled here: it is the
# program the command writes out, kept in ccidlab as a GResource (the
# generated source registers it when ccidlab starts).
src_tools_ccidlab_SOURCES += src/repro/repro.h src/repro/repro_cmd.c
nodist_src_tools_ccidlab_SOURCES = src/repro/repro_resources.c
CLEANFILES += src/repro/repro_resources.c
EXTRA_DIST += src/repro/repro.c src/repro/repro.gresource.xml
src/repro/repro_resources.c: $(srcdir)/src/repro/repro.gresource.xml $(srcdir)/src/repro/repro.c
	$(AM_V_GEN)$(MKDIR_P) src/repro && $(GLIB_COMPILE_RESOURCES) --target=$@ \
		--sourcedir=$(srcdir)/src/repro --generate-source --c-name repro $<
