# src/emu: profile area (reader profiles, built-ins, the readers.tsv catalogue).
src_emu_libemu_la_SOURCES += \
	src/emu/file.h src/emu/file.c \
	src/emu/profile.c \
	src/emu/builtin.c \
	src/emu/catalogue.c

check_PROGRAMS += tests/unit/test_emu_file
tests_unit_test_emu_file_SOURCES = tests/unit/test_emu_file.c
tests_unit_test_emu_file_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_emu_file_LDADD = $(EMU_UNIT_LDADD)
TESTS += tests/unit/test_emu_file

check_PROGRAMS += tests/unit/test_emu_profile
tests_unit_test_emu_profile_SOURCES = tests/unit/test_emu_profile.c
tests_unit_test_emu_profile_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_emu_profile_LDADD = $(EMU_UNIT_LDADD)
TESTS += tests/unit/test_emu_profile

# The catalogue ships as $(pkgdatadir)/readers.tsv, where
# emu_catalogue_load(NULL) looks for it.  The source keeps it under
# tests/data (the descriptor tests read it there too), so it is installed
# under its own name by a hook: other fragments may hook install-data-local
# as well, and make merges prerequisite-only rules.
install-data-local: install-emu-catalogue
uninstall-local: uninstall-emu-catalogue
install-emu-catalogue:
	$(MKDIR_P) '$(DESTDIR)$(pkgdatadir)'
	$(INSTALL_DATA) '$(srcdir)/tests/data/readers.tsv' '$(DESTDIR)$(pkgdatadir)/readers.tsv'
uninstall-emu-catalogue:
	rm -f '$(DESTDIR)$(pkgdatadir)/readers.tsv'
.PHONY: install-emu-catalogue uninstall-emu-catalogue
