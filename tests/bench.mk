# make bench: the benchmark figures of issue 7 (ccidlab bench), each a
# ratio to a baseline measured in the same run.  Programs that print
# figures, not tests: never part of make check.
#
# pcscd takes 16 reader contexts, so the suites run in three labs: the
# APDU readers (with the in-process reader-open suite), 16 event-mode
# readers (edge to wakeup, then scale), 16 polling-only readers.
# BENCH_ARGS passes options to every run (ccidlab bench --help).
BENCH_CCIDLAB = $(abs_top_builddir)/src/cli/ccidlab
BENCH_DRIVER = $(abs_top_builddir)/bundle/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so
BENCH_DIR = $(abs_top_builddir)/bench-work
BENCH_LABS = "apdu open slots" "wakeup-event scale" "wakeup-poll"
BENCH_ARGS =
# Debian's libccid on usbsim as a peer (issues 8, 9): its own labs, pcscd
# with the shim preloaded and a copy of libccid's bundle that lists the
# usbsim id.  apdu-libccid puts ccidlab's null floor, its emu: readers and
# its usb: readers on usbsim beside libccid's on the same profiles;
# wakeup-libccid storms 16 libccid readers through the shim's control
# socket; wakeup-usb storms 8 ccidlab usb: readers and 8 libccid readers
# in turns.  Reader open times come from each lab's pcscd log
# (tests/bench-open-log.awk says how).  pcscd runs with -d in a lab, where
# libccid's default ifdLogLevel would log one line per APDU that a
# production pcscd drops: LIBCCID_ifdLogLevel=1 keeps its errors only
# (ccidlab's default logs nothing per APDU either).  Then the driver suite
# loads both drivers in one process, no pcscd (bench_driver.c).  Last,
# `ccidlab usbip` through the kernel of a `ccidlab vm` guest: both drivers
# on the same exported readers, per-APDU time (the ratio), URBs per APDU,
# usbip attach to listed (tests/vm/vm-usbip.sh with VM_USBIP=bench).
BENCH_LIBCCID_LABS = apdu-libccid wakeup-libccid wakeup-usb
BENCH_USBSIM_LIB = $(abs_top_builddir)/src/usbsim/.libs/libccidlab-usbsim.so
EXTRA_DIST += tests/libccid-bundle.sh tests/bench-open-log.awk

bench: all $(check_LTLIBRARIES)
	@rm -rf '$(BENCH_DIR)' && mkdir -p '$(BENCH_DIR)' || exit 1; \
	status=0; \
	for suites in $(BENCH_LABS); do \
		tag=$$(echo $$suites | tr ' ' '+'); \
		conf='$(BENCH_DIR)'/conf-$$tag; \
		'$(BENCH_CCIDLAB)' bench --write-conf "$$conf" $$suites || exit 1; \
		echo; \
		echo "\$$ ccidlab lab --conf $$conf -- ccidlab bench $(BENCH_ARGS) $$suites"; \
		CCIDLAB_LAB_PRELOAD='$(LAB_PRELOAD)' '$(BENCH_CCIDLAB)' lab --quiet \
			--driver '$(BENCH_DRIVER)' --keep-log '$(BENCH_DIR)'/pcscd-$$tag.log \
			--conf "$$conf" -- '$(BENCH_CCIDLAB)' bench --driver '$(BENCH_DRIVER)' \
			$(BENCH_ARGS) $$suites || status=1; \
	done; \
	sh '$(abs_top_srcdir)/tests/libccid-bundle.sh' '$(BENCH_DIR)'; rc=$$?; \
	if [ $$rc -eq 77 ]; then \
		echo; echo "libccid is not installed: no libccid figures"; \
	elif [ $$rc -ne 0 ]; then \
		status=1; \
	else for suite in $(BENCH_LIBCCID_LABS); do \
		conf='$(BENCH_DIR)'/conf-$$suite; \
		'$(BENCH_CCIDLAB)' bench --write-conf "$$conf" $$suite || exit 1; \
		echo; \
		echo "\$$ ccidlab lab --conf $$conf --bundle $(BENCH_DIR)/ifd-ccid.bundle" \
			"--usbsim '$$(cat "$$conf.usbsim")' -- ccidlab bench $(BENCH_ARGS) $$suite"; \
		LIBCCID_ifdLogLevel=1 \
		CCIDLAB_LAB_PRELOAD='$(LAB_PRELOAD)' '$(BENCH_CCIDLAB)' lab --quiet \
			--driver '$(BENCH_DRIVER)' --bundle '$(BENCH_DIR)'/ifd-ccid.bundle \
			--usbsim "$$(cat "$$conf.usbsim")" --usbsim-lib '$(BENCH_USBSIM_LIB)' \
			--keep-log '$(BENCH_DIR)'/pcscd-$$suite.log \
			--conf "$$conf" -- '$(BENCH_CCIDLAB)' bench --driver '$(BENCH_DRIVER)' \
			$(BENCH_ARGS) $$suite || status=1; \
		echo; \
		echo "== Reader open, pcscd log of this lab (RFInitializeReader to the reader's thread; µs)"; \
		awk -f '$(abs_top_srcdir)/tests/bench-open-log.awk' '$(BENCH_DIR)'/pcscd-$$suite.log; \
	done; \
	conf='$(BENCH_DIR)'/conf-driver; \
	'$(BENCH_CCIDLAB)' bench --write-conf "$$conf" driver || exit 1; \
	echo; \
	echo "\$$ LD_PRELOAD=libccidlab-usbsim.so CCIDLAB_USBSIM='$$(cat "$$conf.usbsim")'" \
		"PCSCLITE_HP_DROPDIR=$(BENCH_DIR) ccidlab bench $(BENCH_ARGS) driver"; \
	LD_PRELOAD='$(LAB_PRELOAD) $(BENCH_USBSIM_LIB)' CCIDLAB_USBSIM="$$(cat "$$conf.usbsim")" \
		PCSCLITE_HP_DROPDIR='$(BENCH_DIR)' '$(BENCH_CCIDLAB)' bench \
		--driver '$(BENCH_DRIVER)' $(BENCH_ARGS) driver || status=1; \
	fi; \
	echo; echo "pcscd logs: $(BENCH_DIR)/pcscd-*.log"; \
	rm -f '$(abs_top_builddir)'/tests/vm/vm-usbip.figures; \
	if command -v qemu-system-x86_64 > /dev/null && command -v usbip > /dev/null; then \
		echo; \
		echo "\$$ VM_USBIP=bench tests/vm/vm-usbip.sh   # ccidlab usbip through ccidlab vm's kernel"; \
		top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
		CCIDLAB_READERS_TSV='$(abs_top_srcdir)/tests/data/readers.tsv' \
		CCIDLAB_LAB_PRELOAD='$(LAB_PRELOAD)' PYTHON3='$(PYTHON3)' VM_USBIP=bench \
			sh '$(abs_top_srcdir)/tests/vm/vm-usbip.sh' > '$(BENCH_DIR)'/vm-usbip.tap 2>&1 || status=1; \
		grep -q '^not ok' '$(BENCH_DIR)'/vm-usbip.tap && grep '^not ok' '$(BENCH_DIR)'/vm-usbip.tap; \
		cat '$(abs_top_builddir)'/tests/vm/vm-usbip.figures; \
	else echo; echo "no QEMU or no usbip: no figures through a kernel (ccidlab usbip)"; fi; \
	exit $$status
.PHONY: bench

clean-local: clean-bench
clean-bench:
	rm -rf '$(BENCH_DIR)'
.PHONY: clean-bench
