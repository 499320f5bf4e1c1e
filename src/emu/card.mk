# src/emu: card area (virtual cards, their T=0/T=1 sides and applications).
src_emu_libemu_la_SOURCES += \
	src/emu/card_private.h src/emu/card.c src/emu/card_t0.c src/emu/card_t1.c \
	src/emu/apdu.h src/emu/apdu.c \
	src/emu/app.h src/emu/app.c \
	src/emu/app_readertest.c src/emu/app_echo.c src/emu/app_script.c \
	src/emu/app_files.c

check_PROGRAMS += tests/unit/test_emu_card
tests_unit_test_emu_card_SOURCES = tests/unit/test_emu_card.c
tests_unit_test_emu_card_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_emu_card_LDADD = $(EMU_UNIT_LDADD)
TESTS += tests/unit/test_emu_card

check_PROGRAMS += tests/unit/test_emu_apps
tests_unit_test_emu_apps_SOURCES = tests/unit/test_emu_apps.c
tests_unit_test_emu_apps_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_emu_apps_LDADD = $(EMU_UNIT_LDADD)
TESTS += tests/unit/test_emu_apps

EXTRA_DIST += tests/data/emu/card-basic.script tests/data/emu/card-pkcs15.files \
	tests/data/emu/card-cert.der tests/data/emu/card-bad.script
