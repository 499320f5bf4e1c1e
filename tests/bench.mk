# make bench: the benchmark figures of issue 7 (ccidlab bench), each a
# ratio to a baseline measured in the same run.  Programs that print
# figures, not tests: never part of make check.
#
# pcscd takes 16 reader contexts, so the suites run in three labs: the
# APDU readers (with the in-process reader-open suite), 16 event-mode
# readers (edge to wakeup, then scale), 16 polling-only readers.
# BENCH_ARGS passes options to every run (ccidlab bench --help).
BENCH_CCIDLAB = $(abs_top_builddir)/src/tools/ccidlab
BENCH_DRIVER = $(abs_top_builddir)/bundle/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so
BENCH_DIR = $(abs_top_builddir)/bench-work
BENCH_LABS = "apdu open" "wakeup-event scale" "wakeup-poll"
BENCH_ARGS =

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
	echo; echo "pcscd logs: $(BENCH_DIR)/pcscd-*.log"; \
	exit $$status
.PHONY: bench

clean-local: clean-bench
clean-bench:
	rm -rf '$(BENCH_DIR)'
.PHONY: clean-bench
