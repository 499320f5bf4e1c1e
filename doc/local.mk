# doc: man pages.
dist_man_MANS = doc/ccidlab.1 doc/ccidlab-devicename.5 doc/ccidlab.conf.5 doc/ccidlab-ctl.7 \
	doc/ccidlab-usbip.1

# The sample settings file for real readers: every line commented out.
ccidlabconfdir = $(sysconfdir)/ccidlab
dist_ccidlabconf_DATA = doc/ccidlab.conf
