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

# The lab's reader.conf rules per pcsc-lite version (labfiles.c): unit
# tests, and the value check fuzzed (issue 16).
check_PROGRAMS += tests/unit/test_labfiles tests/fuzz/fuzz_conf_value
tests_unit_test_labfiles_SOURCES = tests/unit/test_labfiles.c
tests_unit_test_labfiles_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_labfiles_LDADD = src/lab/liblab.la $(GLIB_LIBS)
TESTS += tests/unit/test_labfiles
tests_fuzz_fuzz_conf_value_SOURCES = tests/fuzz/fuzz_conf_value.c $(FUZZ_MAIN)
tests_fuzz_fuzz_conf_value_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_fuzz_fuzz_conf_value_LDADD = src/lab/liblab.la $(GLIB_LIBS)
tests_fuzz_fuzz_conf_value_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_conf_value
