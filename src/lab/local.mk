# src/lab: `ccidlab lab` (a private pcscd for one command) and `ccidlab
# mkroot` (the Debian roots of lab --root).
noinst_LTLIBRARIES += src/lab/liblab.la
src_lab_liblab_la_SOURCES = \
	src/lab/lab.h src/lab/lab.c \
	src/lab/lab_ns.c src/lab/lab_root.h src/lab/lab_root.c src/lab/lab_root_exec.c \
	src/lab/mkroot.h src/lab/mkroot.c \
	src/lab/labfiles.h src/lab/labfiles.c \
	src/lab/lab_refused.h src/lab/lab_refused.c
src_lab_liblab_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
src_lab_liblab_la_CPPFLAGS = $(AM_CPPFLAGS) -DUSBDROPDIR='"$(usbdropdir)"' \
	-DPKGLIBDIR='"$(pkglibdir)"' -DPKGLIBEXECDIR='"$(pkglibexecdir)"'

# `ccidlab mkroot` runs this script (debootstrap and apt-get are commands,
# not libraries): the build tree keeps a copy in src/lab, where a
# build-tree ccidlab finds it.
pkglibexec_SCRIPTS = src/lab/ccidlab-mkroot
src/lab/ccidlab-mkroot: src/lab/mkroot.sh
	$(AM_V_GEN)$(MKDIR_P) src/lab && cp $(srcdir)/src/lab/mkroot.sh $@ && chmod +x $@
CLEANFILES += src/lab/ccidlab-mkroot
EXTRA_DIST += src/lab/mkroot.sh

# `make mkroot`: the Debian sid root of `ccidlab lab --root` (and of
# tests/integration/lab-root.sh), made once then reused.
ROOT_CACHE = $${CCIDLAB_ROOT_CACHE:-/var/cache/ccidlab/roots}
mkroot: all
	$(abs_top_builddir)/src/cli/ccidlab mkroot $(ROOT_CACHE)/sid $(MKROOT_FLAGS)
.PHONY: mkroot
