# src/ccid: t1 area (sources, unit tests and fuzz targets).
# T=1 (ISO/IEC 7816-3 §11): EDC, block codec, host role, card role.
src_ccid_libccidcore_la_SOURCES += \
	src/ccid/t1.h src/ccid/edc.c src/ccid/t1_block.c \
	src/ccid/t1_host.c src/ccid/t1_card.c src/ccid/t1_char.c

check_PROGRAMS += tests/unit/test_t1
tests_unit_test_t1_SOURCES = tests/unit/test_t1.c
tests_unit_test_t1_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_t1_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_t1

check_PROGRAMS += tests/unit/test_t1_roundtrip
tests_unit_test_t1_roundtrip_SOURCES = tests/unit/test_t1_roundtrip.c
tests_unit_test_t1_roundtrip_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_t1_roundtrip_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_t1_roundtrip

check_PROGRAMS += tests/fuzz/fuzz_t1_block
tests_fuzz_fuzz_t1_block_SOURCES = tests/fuzz/fuzz_t1_block.c $(FUZZ_MAIN)
tests_fuzz_fuzz_t1_block_LDADD = $(FUZZ_CORE_LIBS)
tests_fuzz_fuzz_t1_block_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_t1_block

check_PROGRAMS += tests/fuzz/fuzz_t1_state
tests_fuzz_fuzz_t1_state_SOURCES = tests/fuzz/fuzz_t1_state.c $(FUZZ_MAIN)
tests_fuzz_fuzz_t1_state_LDADD = $(FUZZ_CORE_LIBS)
tests_fuzz_fuzz_t1_state_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_t1_state
