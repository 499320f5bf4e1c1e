# src/tools: the ccidlab command.
bin_PROGRAMS += src/tools/ccidlab
src_tools_ccidlab_SOURCES = \
	src/tools/ccidlab.c \
	src/tools/lab.h src/tools/lab.c \
	src/tools/lab_ns.c \
	src/tools/labfiles.h src/tools/labfiles.c
src_tools_ccidlab_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
src_tools_ccidlab_CPPFLAGS = $(AM_CPPFLAGS) -DUSBDROPDIR='"$(usbdropdir)"'
src_tools_ccidlab_LDADD = $(GLIB_LIBS)
