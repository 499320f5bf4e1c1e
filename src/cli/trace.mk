# src/cli: `ccidlab trace --pcap`, the CCID frames as a USB capture
# (pcap_usb.h), with its unit test and fuzz target.
src_cli_ccidlab_SOURCES += src/cli/pcap_usb.h src/cli/pcap_usb.c \
	src/cli/trace_pcap.h src/cli/trace_pcap.c

check_PROGRAMS += tests/unit/test_pcap_usb
tests_unit_test_pcap_usb_SOURCES = tests/unit/test_pcap_usb.c src/cli/pcap_usb.c
tests_unit_test_pcap_usb_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_unit_test_pcap_usb_LDADD = $(GLIB_LIBS)
TESTS += tests/unit/test_pcap_usb

check_PROGRAMS += tests/fuzz/fuzz_pcap_usb
tests_fuzz_fuzz_pcap_usb_SOURCES = tests/fuzz/fuzz_pcap_usb.c src/cli/pcap_usb.c $(FUZZ_MAIN)
tests_fuzz_fuzz_pcap_usb_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_fuzz_fuzz_pcap_usb_LDADD = $(GLIB_LIBS)
tests_fuzz_fuzz_pcap_usb_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_TARGETS += fuzz_pcap_usb

# Wireshark's own dissector (Debian's tshark) on a trace of a known APDU.
TESTS += tests/integration/trace-pcap.sh
EXTRA_DIST += tests/integration/trace-pcap.sh
