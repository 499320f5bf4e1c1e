# src/repro: `ccidlab repro`.  repro.c is not compiled here: it is the
# program the command writes out, kept in ccidlab as a GResource that
# repro_cmd.c reads through repro_get_resource() (a reference, so that
# the linker keeps the generated object of this static library).
noinst_LTLIBRARIES += src/repro/librepro.la
src_repro_librepro_la_SOURCES = src/repro/repro.h src/repro/repro_cmd.c
nodist_src_repro_librepro_la_SOURCES = src/repro/repro_resources.c
src_repro_librepro_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
# The LIBPATH its reader.conf.d names: the installed driver.
src_repro_librepro_la_CPPFLAGS = $(AM_CPPFLAGS) -DUSBDROPDIR='"$(usbdropdir)"'
CLEANFILES += src/repro/repro_resources.c
EXTRA_DIST += src/repro/repro.c src/repro/repro.gresource.xml
src/repro/repro_resources.c: $(srcdir)/src/repro/repro.gresource.xml $(srcdir)/src/repro/repro.c
	$(AM_V_GEN)$(MKDIR_P) src/repro && $(GLIB_COMPILE_RESOURCES) --target=$@ \
		--sourcedir=$(srcdir)/src/repro --generate-source --c-name repro $<
