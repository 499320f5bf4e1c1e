/* ccidlab — the files application: a minimal ISO/IEC 7816-4 file system.
 *
 * Loaded from a GKeyFile description, one group per file:
 *
 *     [MF]                       # the root; made up when absent (FID 3F00)
 *     [PKCS15]
 *     type=DF
 *     fid=5015
 *     aid=A000000063504B43532D3135
 *     [cert]
 *     type=EF                    # transparent; also "linear-fixed", "DF"
 *     fid=4401
 *     parent=PKCS15              # group name; default MF
 *     sfi=1                      # short EF identifier, optional
 *     content-file=cert.der      # relative to the description, or
 *     # content=3082...          # hex
 *     [rec]
 *     type=linear-fixed
 *     fid=2F03
 *     records=0102;A0B0C0        # hex, one per record
 *     [getdata]                  # GET DATA objects: P1P2 tag = hex value
 *     9F7F=0102030405
 *
 * Commands (interindustry class only, else 6E00):
 *   SELECT A4: P1 00 (FID; 3F00 or no data: MF), 01 (child DF), 02 (EF
 *     under the current DF), 03 (parent), 04 (DF name, prefix match), 08
 *     (path from the MF), 09 (path from the current DF); P2 b4b3 00 FCI
 *     (6F), 04 FCP (62), 08 FMD (64), 0C nothing.  A FID is searched in
 *     the current DF's children, the current DF, its parent (7816-4
 *     §7.1.1).  The template goes back only when Le is there (case 4;
 *     on T=0 always, through GET RESPONSE).
 *   READ BINARY B0 / UPDATE BINARY D6: offset in P1P2 (15 bits), or SFI
 *     in P1 (b8 = 1) and offset in P2.
 *   READ RECORD B2: P1 record number, P2 b3b2b1 = 100, SFI in b8..b4.
 *   GET DATA CA: the object of tag P1P2.
 * Status words: 6A82 file not found, 6986 no current EF, 6981 command
 * incompatible with the file structure, 6B00 offset beyond the end, 6282
 * end reached before Ne bytes (not for Le 00 / 0000, "all that is
 * there"), 6Cxx / 6700 data longer than Ne, 6A83 record not found, 6A84
 * update past the end, 6A86 P1-P2 not supported, 6A88 no such object.
 * Updates stay in memory.
 *
 * Past 600 lines, whole on purpose: one application, its description
 * loader and its commands over one in-memory tree; the loader's checks and
 * the commands' status words read together (what a file may be, what a
 * command may do to it).
 */
#include "emu/app.h"
#include "emu/file.h"

#include <errno.h>
#include <stdlib.h>

#include "emu/profile.h"

#define FID_MF 0x3F00

typedef enum ftype { F_DF, F_EF, F_LINEAR } ftype;

typedef struct file {
	char *name;
	uint16_t fid;
	ftype type;
	int parent;             /* index, -1 for the MF */
	uint8_t sfi;            /* 0: none */
	GByteArray *aid;        /* DF name, or NULL */
	GByteArray *content;    /* transparent EF */
	GPtrArray *records;     /* GByteArray *, linear-fixed EF */
} file;

typedef struct getdata_obj {
	uint16_t tag;
	GByteArray *value;
} getdata_obj;

typedef struct files {
	emu_app base;
	GPtrArray *files;       /* file *, [0] is the MF */
	GArray *getdata;        /* getdata_obj */
	int cur_df;
	int cur_ef;             /* -1: none */
} files;

static void file_free(gpointer p)
{
	file *f = p;
	if (f == NULL)
		return;
	g_free(f->name);
	if (f->aid)
		g_byte_array_unref(f->aid);
	if (f->content)
		g_byte_array_unref(f->content);
	if (f->records)
		g_ptr_array_unref(f->records);
	g_free(f);
}

static file *fs_file(const files *fs, int i)
{
	return g_ptr_array_index(fs->files, (guint)i);
}

/* ---- answers ----------------------------------------------------------- */

/* Data for a read: n bytes against Ne (7816-4 §5.1, §5.6). */
static void answer_read(const emu_apdu *a, const uint8_t *p, size_t n, emu_app_rsp *rsp)
{
	if (!a->has_le && !a->le_open) {
		rsp->sw = EMU_SW_WRONG_LENGTH;
		return;
	}
	size_t ne = a->le_open ? EMU_APDU_MAX_NE : a->ne;
	if (n > ne) {
		rsp->sw = (!a->extended && n <= 256) ? (uint16_t)(0x6C00 | (n & 0xFF))
						      : EMU_SW_WRONG_LENGTH;
		return;
	}
	if (!emu_app_rsp_put(rsp, p, n))
		return;
	rsp->sw = (n < ne && !a->ne_max && !a->le_open) ? EMU_SW_EOF_BEFORE_NE : EMU_SW_OK;
}

/* ---- SELECT ------------------------------------------------------------- */

static int child(const files *fs, int df, uint16_t fid, int want /* -1 any, F_DF, F_EF */)
{
	for (guint i = 1; i < fs->files->len; i++) {
		const file *f = fs_file(fs, (int)i);
		if (f->parent != df || f->fid != fid)
			continue;
		if (want == F_DF && f->type != F_DF)
			continue;
		if (want == F_EF && f->type == F_DF)
			continue;
		return (int)i;
	}
	return -1;
}

static int find_fid(const files *fs, uint16_t fid)
{
	if (fid == FID_MF)
		return 0;
	int i = child(fs, fs->cur_df, fid, -1);
	if (i >= 0)
		return i;
	const file *cur = fs_file(fs, fs->cur_df);
	if (cur->fid == fid)
		return fs->cur_df;
	if (cur->parent >= 0 && fs_file(fs, cur->parent)->fid == fid)
		return cur->parent;
	return -1;
}

static int find_aid(const files *fs, const uint8_t *name, size_t n)
{
	for (guint i = 0; i < fs->files->len; i++) {
		const file *f = fs_file(fs, (int)i);
		if (f->type == F_DF && f->aid && f->aid->len >= n && memcmp(f->aid->data, name, n) == 0)
			return (int)i;
	}
	return -1;
}

static int walk_path(const files *fs, int from, const uint8_t *p, size_t n)
{
	if (n == 0 || n % 2)
		return -2;
	int at = from;
	for (size_t i = 0; i < n; i += 2) {
		uint16_t fid = (uint16_t)(p[i] << 8 | p[i + 1]);
		if (i == 0 && from == 0 && fid == FID_MF)
			continue;
		if (fs_file(fs, at)->type != F_DF)
			return -1;
		at = child(fs, at, fid, -1);
		if (at < 0)
			return -1;
	}
	return at;
}

static size_t ef_size(const file *f)
{
	if (f->type == F_EF)
		return f->content->len;
	size_t n = 0;
	for (guint i = 0; f->records && i < f->records->len; i++)
		n += ((GByteArray *)g_ptr_array_index(f->records, i))->len;
	return n;
}

/* FCP (7816-4 §7.4.3): 82 descriptor, 83 FID, 80 size or 84 DF name. */
static size_t build_template(const file *f, uint8_t tag, uint8_t *out)
{
	size_t n = 2;
	out[n++] = 0x82;
	out[n++] = 1;
	out[n++] = f->type == F_DF ? 0x38 : f->type == F_EF ? 0x01 : 0x02;
	out[n++] = 0x83;
	out[n++] = 2;
	out[n++] = (uint8_t)(f->fid >> 8);
	out[n++] = (uint8_t)f->fid;
	if (f->type != F_DF) {
		size_t sz = ef_size(f);
		out[n++] = 0x80;
		out[n++] = 2;
		out[n++] = (uint8_t)(sz >> 8);
		out[n++] = (uint8_t)sz;
	} else if (f->aid) {
		out[n++] = 0x84;
		out[n++] = (uint8_t)f->aid->len;
		memcpy(out + n, f->aid->data, f->aid->len);
		n += f->aid->len;
	}
	out[0] = tag;
	out[1] = (uint8_t)(n - 2);
	return n;
}

static int select_target(files *fs, const emu_apdu *a, uint16_t *sw)
{
	uint16_t fid = a->nc == 2 ? (uint16_t)(a->data[0] << 8 | a->data[1]) : 0;
	int i = -1;
	*sw = EMU_SW_FILE_NOT_FOUND;
	switch (a->p1) {
	case 0x00:
		if (a->nc != 0 && a->nc != 2)
			return (*sw = EMU_SW_WRONG_LENGTH), -1;
		return a->nc == 0 ? 0 : find_fid(fs, fid);
	case 0x01:
	case 0x02:
		if (a->nc != 2)
			return (*sw = EMU_SW_WRONG_LENGTH), -1;
		return child(fs, fs->cur_df, fid, a->p1 == 0x01 ? F_DF : F_EF);
	case 0x03:
		if (a->nc != 0)
			return (*sw = EMU_SW_WRONG_LENGTH), -1;
		i = fs_file(fs, fs->cur_df)->parent;
		return i;
	case 0x04:
		if (a->nc < 1 || a->nc > 16)
			return (*sw = EMU_SW_WRONG_LENGTH), -1;
		return find_aid(fs, a->data, a->nc);
	case 0x08:
	case 0x09:
		i = walk_path(fs, a->p1 == 0x08 ? 0 : fs->cur_df, a->data, a->nc);
		if (i == -2)
			*sw = EMU_SW_WRONG_LENGTH;
		return i < 0 ? -1 : i;
	default:
		*sw = EMU_SW_WRONG_P1P2_6A86;
		return -1;
	}
}

static void do_select(files *fs, const emu_apdu *a, emu_app_rsp *rsp)
{
	uint16_t sw;
	int i = select_target(fs, a, &sw);
	if (i < 0) {
		rsp->sw = sw;
		return;
	}
	const file *f = fs_file(fs, i);
	if (f->type == F_DF) {
		fs->cur_df = i;
		fs->cur_ef = -1;
	} else {
		fs->cur_df = f->parent;
		fs->cur_ef = i;
	}
	uint8_t what = a->p2 & 0x0C;
	if (what == 0x0C || (!a->has_le && !a->le_open)) {
		rsp->sw = EMU_SW_OK;
		return;
	}
	uint8_t t[2 + 3 + 4 + 18];
	size_t n = build_template(f, what == 0x04 ? 0x62 : what == 0x08 ? 0x64 : 0x6F, t);
	size_t ne = a->le_open ? EMU_APDU_MAX_NE : a->ne;
	if (n > ne) {
		rsp->sw = (uint16_t)(0x6C00 | n);
		return;
	}
	if (emu_app_rsp_put(rsp, t, n))
		rsp->sw = EMU_SW_OK;
}

/* ---- reading and writing -------------------------------------------------- */

/* The EF a command names: by SFI (b5..b1 of `sfi`), or the current EF. */
static int target_ef(files *fs, unsigned sfi, uint16_t *sw)
{
	if (sfi == 0) {
		if (fs->cur_ef < 0)
			*sw = EMU_SW_NO_CURRENT_EF;
		return fs->cur_ef;
	}
	for (guint i = 1; i < fs->files->len; i++) {
		const file *f = fs_file(fs, (int)i);
		if (f->type != F_DF && f->parent == fs->cur_df && f->sfi == sfi) {
			fs->cur_ef = (int)i;
			return (int)i;
		}
	}
	*sw = EMU_SW_FILE_NOT_FOUND;
	return -1;
}

static file *binary_target(files *fs, const emu_apdu *a, size_t *offset, uint16_t *sw)
{
	unsigned sfi = 0;
	if (a->p1 & 0x80) {
		/* 7816-4 §11.2.3: b8 = 1: SFI in b5..b1 (b7 b6 = 00), offset P2. */
		if (a->p1 & 0x60) {
			*sw = EMU_SW_WRONG_P1P2_6A86;
			return NULL;
		}
		sfi = a->p1 & 0x1F;
		*offset = a->p2;
	} else {
		*offset = ((size_t)a->p1 << 8) | a->p2;
	}
	int i = target_ef(fs, sfi, sw);
	if (i < 0)
		return NULL;
	file *f = fs_file(fs, i);
	if (f->type != F_EF) {
		*sw = EMU_SW_INCOMPATIBLE_FILE;
		return NULL;
	}
	return f;
}

static void do_read_binary(files *fs, const emu_apdu *a, emu_app_rsp *rsp)
{
	size_t off = 0;
	uint16_t sw = 0;
	file *f = binary_target(fs, a, &off, &sw);
	if (f == NULL) {
		rsp->sw = sw;
		return;
	}
	if (off > f->content->len) {
		rsp->sw = EMU_SW_WRONG_P1P2;
		return;
	}
	size_t avail = f->content->len - off;
	size_t ne = a->has_le ? a->ne : 0;
	answer_read(a, f->content->data + off, avail < ne ? avail : ne, rsp);
	if (rsp->sw == EMU_SW_OK && avail == 0 && !a->ne_max)
		rsp->sw = EMU_SW_EOF_BEFORE_NE;
}

static void do_update_binary(files *fs, const emu_apdu *a, emu_app_rsp *rsp)
{
	size_t off = 0;
	uint16_t sw = 0;
	file *f = binary_target(fs, a, &off, &sw);
	if (f == NULL) {
		rsp->sw = sw;
		return;
	}
	if (a->nc == 0) {
		rsp->sw = EMU_SW_WRONG_LENGTH;
		return;
	}
	if (off > f->content->len) {
		rsp->sw = EMU_SW_WRONG_P1P2;
		return;
	}
	if (a->nc > f->content->len - off) {
		rsp->sw = EMU_SW_NO_SPACE;
		return;
	}
	memcpy(f->content->data + off, a->data, a->nc);
	rsp->sw = EMU_SW_OK;
}

static void do_read_record(files *fs, const emu_apdu *a, emu_app_rsp *rsp)
{
	/* 7816-4 §11.3.3: P2 b3b2b1 = 100, record number in P1. */
	if ((a->p2 & 0x07) != 0x04) {
		rsp->sw = EMU_SW_WRONG_P1P2_6A86;
		return;
	}
	uint16_t sw = 0;
	int i = target_ef(fs, a->p2 >> 3, &sw);
	if (i < 0) {
		rsp->sw = sw;
		return;
	}
	const file *f = fs_file(fs, i);
	if (f->type != F_LINEAR) {
		rsp->sw = EMU_SW_INCOMPATIBLE_FILE;
		return;
	}
	if (a->p1 == 0 || a->p1 > f->records->len) {
		rsp->sw = EMU_SW_RECORD_NOT_FOUND;
		return;
	}
	const GByteArray *r = g_ptr_array_index(f->records, a->p1 - 1u);
	answer_read(a, r->data, r->len, rsp);
}

static void do_get_data(files *fs, const emu_apdu *a, emu_app_rsp *rsp)
{
	uint16_t tag = (uint16_t)(a->p1 << 8 | a->p2);
	for (guint i = 0; i < fs->getdata->len; i++) {
		const getdata_obj *o = &g_array_index(fs->getdata, getdata_obj, i);
		if (o->tag == tag) {
			answer_read(a, o->value->data, o->value->len, rsp);
			return;
		}
	}
	rsp->sw = EMU_SW_DATA_NOT_FOUND;
}

static void files_process(emu_app *app, const emu_apdu *a, emu_app_rsp *rsp)
{
	files *fs = (files *)app;
	if (a->cla & 0x80) {
		rsp->sw = EMU_SW_CLA_NOT_SUPPORTED;
		return;
	}
	switch (a->ins) {
	case 0xA4: do_select(fs, a, rsp); break;
	case 0xB0: do_read_binary(fs, a, rsp); break;
	case 0xD6: do_update_binary(fs, a, rsp); break;
	case 0xB2: do_read_record(fs, a, rsp); break;
	case 0xCA: do_get_data(fs, a, rsp); break;
	default: rsp->sw = EMU_SW_INS_NOT_SUPPORTED; break;
	}
}

static void files_reset(emu_app *app)
{
	files *fs = (files *)app;
	fs->cur_df = 0;
	fs->cur_ef = -1;
}

static void files_free(emu_app *app)
{
	files *fs = (files *)app;
	if (fs->files)
		g_ptr_array_unref(fs->files);
	if (fs->getdata) {
		for (guint i = 0; i < fs->getdata->len; i++)
			g_byte_array_unref(g_array_index(fs->getdata, getdata_obj, i).value);
		g_array_unref(fs->getdata);
	}
	g_free(fs);
}

static const emu_app_ops files_ops = {
	.name = "files",
	.process = files_process,
	.reset = files_reset,
	.free = files_free,
};

/* ---- loading ------------------------------------------------------------------ */

typedef struct loader {
	const char *path;
	char *dir;		/* of the description; NULL: no content-file= */
	GKeyFile *kf;
	GError **error;
} loader;

static bool fail(loader *l, const char *group, const char *key, const char *why)
{
	g_set_error(l->error, EMU_ERROR, EMU_ERROR_PARSE, "%s: [%s]%s%s: %s", l->path, group,
		    key ? " " : "", key ? key : "", why);
	return false;
}

static GByteArray *hex_bytes(const char *s, size_t max)
{
	GByteArray *b = g_byte_array_new();
	for (const char *p = s; *p;) {
		if (g_ascii_isspace(*p)) {
			p++;
			continue;
		}
		int hi = g_ascii_xdigit_value(p[0]);
		int lo = hi < 0 ? -1 : g_ascii_xdigit_value(p[1]);
		if (lo < 0 || b->len >= max) {
			g_byte_array_unref(b);
			return NULL;
		}
		uint8_t v = (uint8_t)(hi << 4 | lo);
		g_byte_array_append(b, &v, 1);
		p += 2;
	}
	return b;
}

/* KEY's value in group G, NULL when the key is absent; false when it is
 * there but no string GLib can give (a bad escape, invalid UTF-8): taken
 * as absent, a [getdata] object had no value and GET DATA read NULL. */
static bool key_string(loader *l, const char *g, const char *key, char **out)
{
	g_autoptr(GError) err = NULL;
	*out = g_key_file_get_string(l->kf, g, key, &err);
	if (*out != NULL || g_error_matches(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) ||
	    g_error_matches(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
		return true;
	return fail(l, g, key, "the value is not readable text");
}

static bool hex_key(loader *l, const char *g, const char *key, size_t max, GByteArray **out)
{
	g_autofree char *v = NULL;
	if (!key_string(l, g, key, &v))
		return false;
	if (v == NULL)
		return true;
	*out = hex_bytes(v, max);
	return *out != NULL || fail(l, g, key, "hex bytes expected (or too many)");
}

static bool number_key(loader *l, const char *g, const char *key, unsigned long max,
		       unsigned long *out, bool *present)
{
	g_autofree char *v = NULL;
	if (!key_string(l, g, key, &v))
		return false;
	*present = v != NULL;
	if (v == NULL)
		return true;
	char *end = NULL;
	errno = 0;
	unsigned long n = strtoul(v, &end, 16);
	if (errno || *v == '\0' || *end != '\0' || n > max)
		return fail(l, g, key, "hex number out of range");
	*out = n;
	return true;
}

static bool load_content_file(loader *l, const char *g, file *f)
{
	g_autofree char *name = NULL;
	if (!key_string(l, g, "content-file", &name))
		return false;
	if (name == NULL)
		return true;
	/* A description that came as text (the control socket's) names no
	 * file: the server never opens a path for a client (issue 20). */
	if (l->dir == NULL)
		return fail(l, g, "content-file", "not in a description sent as text: give content=");
	g_autofree char *full = g_path_is_absolute(name) ? g_strdup(name)
							  : g_build_filename(l->dir, name, NULL);
	g_autoptr(GError) err = NULL;
	g_autoptr(GBytes) b = emu_file_read(full, EMU_FILES_MAX_SIZE, &err);
	if (b == NULL)
		return fail(l, g, "content-file", err->message);
	size_t n = 0;
	const guint8 *data = g_bytes_get_data(b, &n);
	if (f->content)
		g_byte_array_unref(f->content);
	f->content = g_byte_array_sized_new((guint)n);
	g_byte_array_append(f->content, data, (guint)n);
	return true;
}

static bool load_records(loader *l, const char *g, file *f)
{
	gsize n = 0;
	g_autoptr(GError) err = NULL;
	g_auto(GStrv) recs = g_key_file_get_string_list(l->kf, g, "records", &n, &err);
	f->records = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
	if (recs == NULL && !g_error_matches(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND))
		return fail(l, g, "records", "the value is not readable text");
	if (n > EMU_FILES_MAX_RECORDS)
		return fail(l, g, "records", "too many records");
	for (gsize i = 0; i < n; i++) {
		GByteArray *r = hex_bytes(recs[i], 255);
		if (r == NULL || r->len == 0) {
			if (r)
				g_byte_array_unref(r);
			return fail(l, g, "records", "each record is 1..255 hex bytes");
		}
		g_ptr_array_add(f->records, r);
	}
	return true;
}

static bool load_type(loader *l, const char *g, file *f)
{
	g_autofree char *t = NULL;
	if (!key_string(l, g, "type", &t))
		return false;
	if (t == NULL)
		f->type = strcmp(g, "MF") == 0 ? F_DF : F_EF;
	else if (g_ascii_strcasecmp(t, "DF") == 0)
		f->type = F_DF;
	else if (g_ascii_strcasecmp(t, "EF") == 0 || g_ascii_strcasecmp(t, "transparent") == 0)
		f->type = F_EF;
	else if (g_ascii_strcasecmp(t, "linear-fixed") == 0)
		f->type = F_LINEAR;
	else
		return fail(l, g, "type", "DF, EF (transparent) or linear-fixed");
	return true;
}

static bool load_file(loader *l, const char *g, file *f)
{
	unsigned long v = 0;
	bool has = false;
	f->name = g_strdup(g);
	if (!load_type(l, g, f) || !number_key(l, g, "fid", 0xFFFF, &v, &has))
		return false;
	if (!has && strcmp(g, "MF") != 0)
		return fail(l, g, "fid", "missing");
	f->fid = has ? (uint16_t)v : FID_MF;
	if (!number_key(l, g, "sfi", 30, &v, &has))
		return false;
	f->sfi = has ? (uint8_t)v : 0;
	if (!hex_key(l, g, "aid", 16, &f->aid))
		return false;
	if (f->type == F_EF) {
		if (!hex_key(l, g, "content", EMU_FILES_MAX_SIZE, &f->content) ||
		    !load_content_file(l, g, f))
			return false;
		if (f->content == NULL)
			f->content = g_byte_array_new();
	} else if (f->type == F_LINEAR && !load_records(l, g, f)) {
		return false;
	}
	if (f->type == F_DF && f->sfi)
		return fail(l, g, "sfi", "a DF has no SFI");
	return true;
}

static int index_of(const files *fs, const char *name)
{
	for (guint i = 0; i < fs->files->len; i++)
		if (strcmp(fs_file(fs, (int)i)->name, name) == 0)
			return (int)i;
	return -1;
}

/* Parents by group name; every chain must end at the MF. */
static bool link_parents(loader *l, files *fs)
{
	for (guint i = 1; i < fs->files->len; i++) {
		file *f = fs_file(fs, (int)i);
		g_autofree char *p = NULL;
		if (!key_string(l, f->name, "parent", &p))
			return false;
		int pi = index_of(fs, p ? p : "MF");
		if (pi < 0 || fs_file(fs, pi)->type != F_DF || pi == (int)i)
			return fail(l, f->name, "parent", "names no other DF group");
		f->parent = pi;
	}
	for (guint i = 1; i < fs->files->len; i++) {
		int at = (int)i;
		for (guint steps = 0; at > 0; steps++) {
			if (steps > fs->files->len)
				return fail(l, fs_file(fs, (int)i)->name, "parent", "parent loop");
			at = fs_file(fs, at)->parent;
		}
	}
	return true;
}

static bool load_getdata(loader *l, files *fs)
{
	gsize n = 0;
	g_auto(GStrv) keys = g_key_file_get_keys(l->kf, "getdata", &n, NULL);
	for (gsize i = 0; i < n && keys; i++) {
		char *end = NULL;
		unsigned long tag = strtoul(keys[i], &end, 16);
		GByteArray *v = NULL;
		if (*keys[i] == '\0' || *end != '\0' || tag > 0xFFFF)
			return fail(l, "getdata", keys[i], "the key is a P1P2 tag in hex");
		if (!hex_key(l, "getdata", keys[i], EMU_FILES_MAX_SIZE, &v))
			return false;
		getdata_obj o = { (uint16_t)tag, v };
		g_array_append_val(fs->getdata, o);
	}
	return true;
}

static bool load_all(loader *l, files *fs)
{
	gsize n = 0;
	g_auto(GStrv) groups = g_key_file_get_groups(l->kf, &n);
	if (n > EMU_FILES_MAX_FILES)
		return fail(l, "", NULL, "too many files");
	file *mf = g_new0(file, 1);
	g_ptr_array_add(fs->files, mf);
	mf->parent = -1;
	if (!g_key_file_has_group(l->kf, "MF")) {
		mf->name = g_strdup("MF");
		mf->fid = FID_MF;
		mf->type = F_DF;
	} else if (!load_file(l, "MF", mf)) {
		return false;
	} else if (mf->type != F_DF || mf->fid != FID_MF) {
		return fail(l, "MF", NULL, "the MF is a DF with FID 3F00");
	}
	for (gsize i = 0; i < n; i++) {
		if (strcmp(groups[i], "MF") == 0 || strcmp(groups[i], "getdata") == 0)
			continue;
		file *f = g_new0(file, 1);
		g_ptr_array_add(fs->files, f);
		if (!load_file(l, groups[i], f))
			return false;
	}
	return link_parents(l, fs) && load_getdata(l, fs);
}

/* The description's text: name for messages, dir for content-file=
 * (NULL: refused). */
static emu_app *files_from_text(const char *text, size_t len, const char *name, char *dir,
				GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) local = NULL;
	if (len > EMU_SCRIPT_MAX_BYTES) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "%s: over %u bytes", name,
			    EMU_SCRIPT_MAX_BYTES);
		return NULL;
	}
	if (!g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &local)) {
		g_set_error(error, EMU_ERROR, EMU_ERROR_PARSE, "%s: %s", name, local->message);
		return NULL;
	}
	files *fs = g_new0(files, 1);
	fs->base.ops = &files_ops;
	fs->files = g_ptr_array_new_with_free_func(file_free);
	fs->getdata = g_array_new(FALSE, TRUE, sizeof(getdata_obj));
	loader l = { .path = name, .dir = dir, .kf = kf, .error = error };
	if (!load_all(&l, fs)) {
		files_free(&fs->base);
		return NULL;
	}
	files_reset(&fs->base);
	return &fs->base;
}

emu_app *emu_app_files_new(const char *path, GError **error)
{
	g_autoptr(GError) local = NULL;
	/* A regular file within the bound, read before parsing (emu/file.h). */
	g_autoptr(GBytes) b = emu_file_read(path, EMU_SCRIPT_MAX_BYTES, &local);
	if (b == NULL) {
		g_set_error(error, EMU_ERROR, local->code, "files: %s", local->message);
		return NULL;
	}
	size_t len = 0;
	const char *text = g_bytes_get_data(b, &len);
	g_autofree char *dir = g_path_get_dirname(path);
	return files_from_text(text ? text : "", len, path, dir, error);
}

emu_app *emu_app_files_new_from_text(const char *text, size_t len, const char *name,
				     GError **error)
{
	return files_from_text(text, len, name, NULL, error);
}
