# src/host: the CCID host engine (one reader over one transport), shared by
# the driver (src/ifd/) and the emulator's in-process tests.
noinst_LTLIBRARIES += src/host/libhost.la
src_host_libhost_la_SOURCES = \
	src/host/transport.h src/host/transport.c \
	src/host/host.h src/host/reader_priv.h \
	src/host/reader.c src/host/command.c src/host/slot.c src/host/xfr.c
src_host_libhost_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
# Each layer logs in its own GLib domain; inside pcscd the driver sends
# them all to pcscd's log (src/ifd/log.c).
src_host_libhost_la_CPPFLAGS = $(AM_CPPFLAGS) -DG_LOG_DOMAIN='"ccidlab-host"'


# The host engine against the emulator, in process (issue 4's matrix,
# profile and fault tests).
HOST_EMU_LDADD = src/host/libhost.la $(EMU_LIBS) src/ccid/libccidcore.la $(GLIB_LIBS)
check_PROGRAMS += tests/unit/test_host_matrix
tests_unit_test_host_matrix_SOURCES = tests/unit/test_host_matrix.c tests/unit/host_emu_fixture.h
tests_unit_test_host_matrix_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_host_matrix_LDADD = $(HOST_EMU_LDADD)
TESTS += tests/unit/test_host_matrix

check_PROGRAMS += tests/unit/test_host_profiles
tests_unit_test_host_profiles_SOURCES = tests/unit/test_host_profiles.c tests/unit/host_emu_fixture.h
tests_unit_test_host_profiles_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_host_profiles_LDADD = $(HOST_EMU_LDADD)
TESTS += tests/unit/test_host_profiles

check_PROGRAMS += tests/unit/test_host_faults
tests_unit_test_host_faults_SOURCES = tests/unit/test_host_faults.c tests/unit/host_emu_fixture.h
tests_unit_test_host_faults_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_host_faults_LDADD = $(HOST_EMU_LDADD)
TESTS += tests/unit/test_host_faults

# Several slots at once (bMaxCCIDBusySlots 2), and the caps and abort.
check_PROGRAMS += tests/unit/test_host_multi
tests_unit_test_host_multi_SOURCES = tests/unit/test_host_multi.c tests/unit/host_emu_fixture.h
tests_unit_test_host_multi_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_host_multi_LDADD = $(HOST_EMU_LDADD)
TESTS += tests/unit/test_host_multi

check_PROGRAMS += tests/unit/test_host_abort
tests_unit_test_host_abort_SOURCES = tests/unit/test_host_abort.c tests/unit/host_emu_fixture.h
tests_unit_test_host_abort_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_host_abort_LDADD = $(HOST_EMU_LDADD)
TESTS += tests/unit/test_host_abort

# Issue 17: the whole catalogue, every slot, protocol, case and length
# (two threads); its table is doc/catalogue.md's (`make catalogue-doc`).
check_PROGRAMS += tests/unit/test_host_sweep
tests_unit_test_host_sweep_SOURCES = tests/unit/test_host_sweep.c tests/unit/host_emu_fixture.h
tests_unit_test_host_sweep_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_host_sweep_LDADD = $(HOST_EMU_LDADD)
TESTS += tests/unit/test_host_sweep

# Issue 17: a card removed before or during its command, at every level,
# in both modes, from a reader that fails it and one that answers anyway.
check_PROGRAMS += tests/unit/test_host_removal
tests_unit_test_host_removal_SOURCES = tests/unit/test_host_removal.c tests/unit/host_emu_fixture.h
tests_unit_test_host_removal_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_host_removal_LDADD = $(HOST_EMU_LDADD)
TESTS += tests/unit/test_host_removal
