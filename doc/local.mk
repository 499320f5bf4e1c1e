# doc: man pages.
dist_man_MANS = doc/ccidlab.1 doc/ccidlab-devicename.5 doc/ccidlab-ctl.7
