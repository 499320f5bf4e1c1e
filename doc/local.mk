# doc: man pages.
dist_man_MANS = doc/ccidlab.1 doc/ccidlab-devicename.5 doc/ccidlab-ctl.7 \
	doc/ccidlab-cards.7 doc/ccidlab-usbip.1
# ccidlab.conf(5) names the file this build's driver reads: $(sysconfdir)
# as configured (/etc with --prefix=/usr, /usr/local/etc by default).
man_MANS += doc/ccidlab.conf.5
doc/ccidlab.conf.5: doc/ccidlab.conf.5.in Makefile
	$(AM_V_GEN)$(MKDIR_P) doc && $(SED) -e 's|@ccidlabconfdir[@]|$(ccidlabconfdir)|g' \
		$(srcdir)/doc/ccidlab.conf.5.in > $@.tmp && mv $@.tmp $@
CLEANFILES += doc/ccidlab.conf.5
EXTRA_DIST += doc/ccidlab.conf.5.in
EXTRA_DIST += doc/ARCHITECTURE.md

# The sample settings file for real readers: every line commented out.
ccidlabconfdir = $(sysconfdir)/ccidlab
dist_ccidlabconf_DATA = doc/ccidlab.conf

# doc/catalogue.md's table is what the catalogue sweep gives
# (tests/unit/test_host_sweep.c, which `make check` compares with it):
# `make catalogue-doc` writes it there again after a change.
EXTRA_DIST += doc/catalogue.md
catalogue-doc: tests/unit/test_host_sweep$(EXEEXT)
	$(AM_V_GEN)top_srcdir='$(abs_top_srcdir)' \
	CCIDLAB_READERS_TSV='$(abs_top_srcdir)/tests/data/readers.tsv' \
	CCIDLAB_SWEEP_WRITE='$(abs_top_builddir)/catalogue-table.md' \
	  tests/unit/test_host_sweep$(EXEEXT) && \
	awk -v table='$(abs_top_builddir)/catalogue-table.md' \
	  'BEGIN { skip = 0 } \
	   /^<!-- sweep table: / { while ((getline l < table) > 0) print l; skip = 1; next } \
	   /^<!-- end of sweep table -->/ { skip = 0; next } \
	   !skip { print }' '$(abs_top_srcdir)/doc/catalogue.md' > catalogue.md.tmp && \
	mv catalogue.md.tmp '$(abs_top_srcdir)/doc/catalogue.md' && rm -f catalogue-table.md
.PHONY: catalogue-doc
