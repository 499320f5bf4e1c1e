# src/ccid: message area (sources, unit tests and fuzz targets).
src_ccid_libccidcore_la_SOURCES += \
	src/ccid/message.h src/ccid/message.c \
	src/ccid/errmap.h src/ccid/errmap.c \
	src/ccid/exchange.h src/ccid/exchange.c \
	src/ccid/pinmask.h src/ccid/pinmask.c

check_PROGRAMS += tests/unit/test_message
tests_unit_test_message_SOURCES = tests/unit/test_message.c tests/unit/wiredata.h
tests_unit_test_message_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_message_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_message

check_PROGRAMS += tests/unit/test_pinmask
tests_unit_test_pinmask_SOURCES = tests/unit/test_pinmask.c
tests_unit_test_pinmask_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_pinmask_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_pinmask

check_PROGRAMS += tests/unit/test_errmap
tests_unit_test_errmap_SOURCES = tests/unit/test_errmap.c
tests_unit_test_errmap_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_errmap_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_errmap

check_PROGRAMS += tests/unit/test_exchange
tests_unit_test_exchange_SOURCES = tests/unit/test_exchange.c tests/unit/wiredata.h
tests_unit_test_exchange_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_exchange_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_exchange

check_PROGRAMS += tests/fuzz/fuzz_message
tests_fuzz_fuzz_message_SOURCES = tests/fuzz/fuzz_message.c $(FUZZ_MAIN)
tests_fuzz_fuzz_message_LDADD = $(FUZZ_CORE_LIBS)
tests_fuzz_fuzz_message_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_message

check_PROGRAMS += tests/fuzz/fuzz_ext_apdu
tests_fuzz_fuzz_ext_apdu_SOURCES = tests/fuzz/fuzz_ext_apdu.c $(FUZZ_MAIN)
tests_fuzz_fuzz_ext_apdu_LDADD = $(FUZZ_CORE_LIBS)
tests_fuzz_fuzz_ext_apdu_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_ext_apdu
