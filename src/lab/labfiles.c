/* ccidlab — the files of a lab (see labfiles.h). */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "lab/labfiles.h"

gboolean lab_copy_file(const char *from, const char *to, GError **error)
{
	g_autoptr(GFile) src = g_file_new_for_path(from);
	g_autoptr(GFile) dst = g_file_new_for_path(to);
	return g_file_copy(src, dst, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, error);
}

/* pcscd's reader.conf lexer (src/configfile.l) takes a key, then a quoted
 * string ("..." or '...', to the closing quote on the same line) or a token
 * of [A-Za-z0-9/-._@:\], plus '=' from pcsc-lite 1.8.24 on (upstream
 * 0167707); the same in every version from 1.8.16 to 2.5.  Anything else
 * makes pcscd refuse the whole directory (1.9.9 exits).  Say which line,
 * before pcscd says less. */
#define LAB_TOKEN_CHARS "/-._@:\\"

gboolean lab_version_parse(const char *v, guint out[3])
{
	out[0] = out[1] = out[2] = 0;
	if (v == NULL)
		return FALSE;
	g_auto(GStrv) parts = g_strsplit(v, ".", 4);
	for (guint i = 0; i < 3 && parts[i] != NULL; i++) {
		guint64 n;
		/* "2.5.3-1" (a Debian version): the upstream part only. */
		g_autofree char *digits = g_strndup(parts[i], strspn(parts[i], "0123456789"));
		if (!g_ascii_string_to_unsigned(digits, 10, 0, 9999, &n, NULL))
			return i > 0;
		out[i] = (guint)n;
	}
	return TRUE;
}

/* '=' outside quotes: from 1.8.24 on, and when the version is unknown
 * (taken as a current one). */
static gboolean takes_bare_equals(const char *version)
{
	guint v[3];
	if (!lab_version_parse(version, v))
		return TRUE;
	return v[0] > 1 || (v[0] == 1 && (v[1] > 8 || (v[1] == 8 && v[2] >= 24)));
}

static gboolean token_char(char c, gboolean equals)
{
	return g_ascii_isalnum(c) || strchr(LAB_TOKEN_CHARS, c) != NULL || (equals && c == '=');
}

gboolean lab_conf_value_ok(const char *v, const char *version, char **why)
{
	*why = NULL;
	if (v[0] == '"' || v[0] == '\'') {
		const char *end = strchr(v + 1, v[0]);
		if (end != NULL && end[1] == '\0')
			return TRUE;
		*why = g_strdup("does not end with its closing quote");
		return FALSE;
	}
	gboolean equals = takes_bare_equals(version);
	for (const char *p = v; *p != '\0'; p++) {
		if (token_char(*p, equals))
			continue;
		if (*p == '=')
			*why = g_strdup_printf("has '=' outside quotes, which pcscd %s takes only "
					       "quoted ('=' joined the bare token in 1.8.24): write "
					       "\"%s\"", version, v);
		else
			*why = g_strdup_printf("is neither a quoted string nor a token of "
					       "[A-Za-z0-9%s%s]", equals ? "=" : "", LAB_TOKEN_CHARS);
		return FALSE;
	}
	return TRUE;
}

char *lab_conf_value(const char *v)
{
	for (const char *p = v; *p != '\0'; p++)
		if (!token_char(*p, FALSE))
			return g_strdup_printf("\"%s\"", v);
	return g_strdup(v);
}

static gboolean check_conf_text(const char *path, const char *text, const char *version,
				GError **error)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_autofree char *line = g_strstrip(g_strdup(lines[i]));
		if (line[0] == '\0' || line[0] == '#')
			continue;
		char *sp = line + strcspn(line, " \t");
		const char *value = sp + strspn(sp, " \t");
		*sp = '\0';
		g_autofree char *why = NULL;
		if (value[0] != '\0' && !lab_conf_value_ok(value, version, &why)) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
				    "%s:%u: %s value '%s' %s; pcscd%s%s would refuse the whole "
				    "directory",
				    path, i + 1, line, value, why, version ? " " : "",
				    version ? version : "");
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean copy_conf_file(const char *path, const char *dir, const char *version,
			       gsize *total, GError **error)
{
	GStatBuf st;
	if (g_stat(path, &st) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	*total += (gsize)st.st_size;
	if (*total > LAB_CONF_MAX_BYTES) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "the configuration is over %d bytes", LAB_CONF_MAX_BYTES);
		return FALSE;
	}
	g_autofree char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, error) ||
	    !check_conf_text(path, text, version, error))
		return FALSE;
	g_autofree char *base = g_path_get_basename(path);
	g_autofree char *to = g_build_filename(dir, base, NULL);
	return lab_copy_file(path, to, error);
}

gboolean lab_copy_conf(const char *conf, const char *dir, const char *version, GError **error)
{
	gsize total = 0;

	if (!g_file_test(conf, G_FILE_TEST_IS_DIR)) {
		if (!g_file_test(conf, G_FILE_TEST_IS_REGULAR)) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
				    "no such file or directory");
			return FALSE;
		}
		return copy_conf_file(conf, dir, version, &total, error);
	}
	g_autoptr(GDir) d = g_dir_open(conf, 0, error);
	if (d == NULL)
		return FALSE;
	int n = 0;
	const char *name;
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(conf, name, NULL);
		/* pcscd skips dot files and anything not regular: so do we. */
		if (name[0] == '.' || !g_file_test(path, G_FILE_TEST_IS_REGULAR))
			continue;
		if (++n > LAB_CONF_MAX_FILES) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
				    "more than %d files", LAB_CONF_MAX_FILES);
			return FALSE;
		}
		if (!copy_conf_file(path, dir, version, &total, error))
			return FALSE;
	}
	return TRUE;
}

gboolean lab_stage_bundle(const char *driver, const char *dir, GError **error)
{
	if (!g_file_test(driver, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
			    "no driver there (build it, install ccidlab, or pass --driver)");
		return FALSE;
	}
	g_autofree char *linux_dir =
		g_build_filename(dir, "ifd-ccidlab.bundle", "Contents", "Linux", NULL);
	if (g_mkdir_with_parents(linux_dir, 0755) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s",
			    linux_dir, g_strerror(errno));
		return FALSE;
	}
	g_autofree char *so = g_build_filename(linux_dir, "libccidlab.so", NULL);
	if (!lab_copy_file(driver, so, error))
		return FALSE;
	/* Without an Info.plist pcscd ignores the bundle for USB; reader.conf.d
	 * entries still load the library by its path. */
	g_autofree char *drv_dir = g_path_get_dirname(driver);
	g_autofree char *plist = g_build_filename(drv_dir, "..", "Info.plist", NULL);
	if (!g_file_test(plist, G_FILE_TEST_IS_REGULAR))
		return TRUE;
	g_autofree char *to =
		g_build_filename(dir, "ifd-ccidlab.bundle", "Contents", "Info.plist", NULL);
	return lab_copy_file(plist, to, error);
}

char *lab_build_catalogue(const char *driver)
{
	g_autofree char *linux_dir = g_path_get_dirname(driver);
	g_autofree char *tsv = g_build_filename(linux_dir, "..", "..", "..", "readers.tsv", NULL);
	g_autofree char *plist = g_build_filename(linux_dir, "..", "Info.plist", NULL);
	if (!g_file_test(tsv, G_FILE_TEST_IS_REGULAR) || !g_file_test(plist, G_FILE_TEST_IS_REGULAR))
		return NULL;
	return g_canonicalize_filename(tsv, NULL);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (remove(path) != 0 && errno != ENOENT)
		fprintf(stderr, "ccidlab lab: cannot remove %s: %s\n", path, strerror(errno));
	return 0;
}

void lab_remove_tree(const char *dir)
{
	/* FTW_PHYS: never follow a link out of the lab; FTW_MOUNT: never
	 * cross into a mount, should one be left by a crashed namespace. */
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}
