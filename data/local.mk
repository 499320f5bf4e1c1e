# data: the files other tools read: ccidlab.pc for pkg-config and the bash
# completion, and their test (an installed tree, a lab for reader names).
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = data/ccidlab.pc
DISTCLEANFILES += data/ccidlab.pc
EXTRA_DIST += data/ccidlab.pc.in

bashcompletion_DATA = data/ccidlab
data/ccidlab: $(srcdir)/data/ccidlab.bash
	$(AM_V_GEN)$(MKDIR_P) data && cp $(srcdir)/data/ccidlab.bash $@
CLEANFILES += data/ccidlab
EXTRA_DIST += data/ccidlab.bash

# The test installs into a scratch DESTDIR with this make.
AM_TESTS_ENVIRONMENT += MAKE='$(MAKE)'; export MAKE;
TESTS += tests/integration/devfiles.sh
EXTRA_DIST += tests/integration/devfiles.sh

# The Debian package (debian/): built from a copy of the source, checked
# with lintian, installed into a throwaway root where its autopkgtest
# runs the installed `ccidlab lab` (a few minutes: one more build).
TESTS += tests/integration/deb-package.sh
EXTRA_DIST += tests/integration/deb-package.sh debian
