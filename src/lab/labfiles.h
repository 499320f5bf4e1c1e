/* ccidlab — the files of a lab: its private reader.conf.d, its bundle,
 * its log, and its removal. */
#ifndef CCIDLAB_LAB_LABFILES_H
#define CCIDLAB_LAB_LABFILES_H

#include <glib.h>

#define LAB_CONF_MAX_FILES 256
#define LAB_CONF_MAX_BYTES (1 << 20)

gboolean lab_copy_file(const char *from, const char *to, GError **error);

/* Copies a reader.conf.d directory (its regular files not starting with
 * '.', as pcscd reads them) or a single file into dir. */
gboolean lab_copy_conf(const char *conf, const char *dir, GError **error);

/* Lays out dir/ifd-ccidlab.bundle/Contents/Linux/libccidlab.so from
 * `driver`, with the Info.plist found beside it (../Info.plist) if any. */
gboolean lab_stage_bundle(const char *driver, const char *dir, GError **error);

/* The catalogue a build tree stages beside its bundle
 * (build/bundle/readers.tsv) when `driver` is that bundle's library, else
 * NULL (an installed driver reads the installed catalogue). */
char *lab_build_catalogue(const char *driver);

/* Removes a tree; lab trees hold no mount points of their own. */
void lab_remove_tree(const char *dir);

#endif
