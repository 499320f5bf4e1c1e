# src/ccid: atr area (sources, unit tests and fuzz targets).
# ATR parsing, PPS, and T=0 (TPDU and character level).
src_ccid_libccidcore_la_SOURCES += \
	src/ccid/atr.h src/ccid/atr.c \
	src/ccid/pps.h src/ccid/pps.c \
	src/ccid/t0.h src/ccid/t0.c src/ccid/t0_char.c

check_PROGRAMS += tests/unit/test_atr
tests_unit_test_atr_SOURCES = tests/unit/test_atr.c
tests_unit_test_atr_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_atr_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_atr

check_PROGRAMS += tests/unit/test_pps
tests_unit_test_pps_SOURCES = tests/unit/test_pps.c
tests_unit_test_pps_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_pps_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_pps

check_PROGRAMS += tests/unit/test_t0
tests_unit_test_t0_SOURCES = tests/unit/test_t0.c
tests_unit_test_t0_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_t0_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_t0

check_PROGRAMS += tests/fuzz/fuzz_atr
tests_fuzz_fuzz_atr_SOURCES = tests/fuzz/fuzz_atr.c $(FUZZ_MAIN)
tests_fuzz_fuzz_atr_LDADD = $(FUZZ_CORE_LIBS)
tests_fuzz_fuzz_atr_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_atr

check_PROGRAMS += tests/fuzz/fuzz_t0
tests_fuzz_fuzz_t0_SOURCES = tests/fuzz/fuzz_t0.c $(FUZZ_MAIN)
tests_fuzz_fuzz_t0_LDADD = $(FUZZ_CORE_LIBS)
tests_fuzz_fuzz_t0_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_t0
