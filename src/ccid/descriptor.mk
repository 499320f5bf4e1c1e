# src/ccid: descriptor area (sources, unit tests and fuzz targets).
src_ccid_libccidcore_la_SOURCES += \
	src/ccid/descriptor.h src/ccid/descriptor.c \
	src/ccid/rates.h src/ccid/rates.c \
	src/ccid/quirks.h src/ccid/quirks.c

check_PROGRAMS += tests/unit/test_descriptor
tests_unit_test_descriptor_SOURCES = tests/unit/test_descriptor.c
tests_unit_test_descriptor_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_descriptor_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_descriptor

check_PROGRAMS += tests/unit/test_rates
tests_unit_test_rates_SOURCES = tests/unit/test_rates.c
tests_unit_test_rates_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_rates_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_rates

check_PROGRAMS += tests/fuzz/fuzz_descriptor
tests_fuzz_fuzz_descriptor_SOURCES = tests/fuzz/fuzz_descriptor.c $(FUZZ_MAIN)
tests_fuzz_fuzz_descriptor_LDADD = $(FUZZ_CORE_LIBS)
tests_fuzz_fuzz_descriptor_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_descriptor
