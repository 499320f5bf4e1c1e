/* ccidlab — the files of a lab: its private reader.conf.d, its bundle,
 * its log, and its removal. */
#ifndef CCIDLAB_LAB_LABFILES_H
#define CCIDLAB_LAB_LABFILES_H

#include <glib.h>

#define LAB_CONF_MAX_FILES 256
#define LAB_CONF_MAX_BYTES (1 << 20)

gboolean lab_copy_file(const char *from, const char *to, GError **error);

/* Copies a reader.conf.d directory (its regular files not starting with
 * '.', as pcscd reads them) or a single file into dir, after checking each
 * value against the reader.conf lexer of pcsc-lite `version` ("1.8.23";
 * NULL: unknown, checked as a current one). */
gboolean lab_copy_conf(const char *conf, const char *dir, const char *version, GError **error);

/* Whether pcscd `version` (NULL: unknown) takes v as one reader.conf value;
 * else *why says why (g_free it). */
gboolean lab_conf_value_ok(const char *v, const char *version, char **why);

/* v as every pcscd from 1.8.16 on reads it: quoted when it holds a
 * character a bare token of pcsc-lite before 1.8.24 does not take ('='
 * in a DEVICENAME's keys); ccidlab's driver removes the quotes
 * (ccidlab-devicename(5)).  Free with g_free. */
char *lab_conf_value(const char *v);

/* "1.8.23" or "2.5.3-1" -> {1, 8, 23}; FALSE when it is no version. */
gboolean lab_version_parse(const char *v, guint out[3]);

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
