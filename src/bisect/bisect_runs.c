/* ccidlab — bisect: builds (ccidlab mkroot --pcsc-lite) and runs (one
 * matrix cell each, matrix_cell.c), and the run cache that makes a bisect
 * resumable: CACHE/bisect/SUITE-KEY/COMMIT.json holds every run of that
 * suite at that commit with the count of every class, written after each
 * run, so that an interrupted bisect, or a bisect of another class over
 * the same commits, starts from what was measured. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "bisect/bisect.h"
#include "report/html.h"

#define MKROOT_MAX_OUTPUT (64 * 1024)

/* Runs `ccidlab mkroot --pcsc-lite REF ...ARGS` and returns its stdout;
 * *status its exit status (-1: could not run). */
static char *mkroot(const bisect_env *e, const char *ref, int *status, char **err_out,
		    const char *arg)
{
	g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(a, g_strdup(e->self));
	g_ptr_array_add(a, g_strdup("mkroot"));
	g_ptr_array_add(a, g_strdup_printf("--pcsc-lite=%s", ref));
	if (e->gitdir != NULL || e->src != NULL)
		g_ptr_array_add(a, g_strdup_printf("--src=%s", e->gitdir ? e->gitdir : e->src));
	if (e->build_timeout_s > 0)
		g_ptr_array_add(a, g_strdup_printf("--timeout=%u", e->build_timeout_s));
	if (arg != NULL)
		g_ptr_array_add(a, g_strdup(arg));
	g_ptr_array_add(a, NULL);
	*status = -1;
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) p = g_subprocess_newv((const char *const *)a->pdata,
						     G_SUBPROCESS_FLAGS_STDOUT_PIPE |
							     G_SUBPROCESS_FLAGS_STDERR_PIPE,
						     &error);
	char *out = NULL, *err = NULL;
	if (p == NULL || !g_subprocess_communicate_utf8(p, NULL, NULL, &out, &err, &error)) {
		*err_out = g_strdup(error->message);
		g_free(out);
		g_free(err);
		return NULL;
	}
	*status = g_subprocess_get_exit_status(p);
	*err_out = err;
	if (out != NULL && strlen(out) > MKROOT_MAX_OUTPUT)
		out[MKROOT_MAX_OUTPUT] = '\0';
	return out;
}

/* The value of the line "KEY VALUE" in text, or NULL. */
static char *line_value(const char *text, const char *key)
{
	g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
	size_t kl = strlen(key);
	for (guint i = 0; lines[i] != NULL; i++)
		if (strncmp(lines[i], key, kl) == 0 && lines[i][kl] == ' ')
			return g_strdup(lines[i] + kl + 1);
	return NULL;
}

bool bisect_resolve(bisect_env *e, const char *ref, char **commit, GError **error)
{
	int status;
	g_autofree char *err = NULL;
	g_autofree char *out = mkroot(e, ref, &status, &err, "--print-src");
	g_autofree char *src = line_value(out, "src");
	*commit = line_value(out, "commit");
	if (status != 0 || src == NULL || *commit == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", ref,
			    err && *err ? g_strstrip(err) : "ccidlab mkroot --print-src failed");
		g_clear_pointer(commit, g_free);
		return false;
	}
	if (e->gitdir == NULL)
		e->gitdir = g_steal_pointer(&src);
	return true;
}

bool bisect_build(const bisect_env *e, bisect_point *p)
{
	if (p->root != NULL || p->build_failed)
		return p->root != NULL;
	int status;
	g_autofree char *err = NULL;
	g_autofree char *out = mkroot(e, p->commit->id, &status, &err, NULL);
	p->root = line_value(out, "root");
	if (status == 0 && p->root != NULL)
		return true;
	g_clear_pointer(&p->root, g_free);
	/* Exit 3: the commit does not build (its log kept in the cache);
	 * anything else is this machine's trouble, also skipped, said apart. */
	p->build_failed = true;
	p->build_log = g_strdup_printf("%s%s", status == 3 ? "" : "mkroot failed: ",
				       err ? g_strstrip(err) : "");
	return false;
}

static char *cache_file(const bisect_env *e, const bisect_point *p)
{
	return g_strdup_printf("%s/%s.json", e->cache, p->commit->id);
}

static void run_free(gpointer data)
{
	bisect_run *r = data;
	g_free(r->outcome);
	g_hash_table_unref(r->counts);
	g_free(r);
}

bisect_run *bisect_run_new(const char *outcome, double wall_s)
{
	bisect_run *r = g_new0(bisect_run, 1);
	r->outcome = g_strdup(outcome);
	r->wall_s = wall_s;
	r->counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return r;
}

static void ensure_runs(bisect_point *p)
{
	if (p->runs == NULL)
		p->runs = g_ptr_array_new_with_free_func(run_free);
}

void bisect_point_take_run(bisect_point *p, bisect_run *r)
{
	ensure_runs(p);
	g_ptr_array_add(p->runs, r);
}

void bisect_load_runs(const bisect_env *e, bisect_point *p)
{
	ensure_runs(p);
	g_autofree char *path = cache_file(e, p);
	g_autoptr(JsonParser) parser = json_parser_new();
	if (!json_parser_load_from_file(parser, path, NULL))
		return;
	JsonNode *root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return;
	JsonArray *runs = html_json_array(json_node_get_object(root), "runs");
	for (guint i = 0; runs != NULL && i < json_array_get_length(runs); i++) {
		JsonObject *o = json_array_get_object_element(runs, i);
		if (o == NULL)
			continue;
		bisect_run *r = bisect_run_new(json_object_get_string_member_with_default(o, "outcome", "?"),
					json_object_get_double_member_with_default(o, "wall_s", 0));
		JsonObject *c = html_json_object(o, "classes");
		g_autoptr(GList) names = c ? json_object_get_members(c) : NULL;
		for (GList *l = names; l != NULL; l = l->next) {
			gint64 n = json_object_get_int_member_with_default(c, l->data, 0);
			g_hash_table_insert(r->counts, g_strdup(l->data),
					    GSIZE_TO_POINTER((gsize)MAX(n, 0)));
		}
		g_ptr_array_add(p->runs, r);
	}
}

/* Rewrites the point's cache file whole (a temporary file, then a rename:
 * an interruption leaves the old one or the new one). */
static void save_runs(const bisect_env *e, const bisect_point *p)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	json_builder_begin_object(b);
	report_json_str(b, "commit", p->commit->id);
	report_json_str(b, "suite", e->spec_label);
	json_builder_set_member_name(b, "runs");
	json_builder_begin_array(b);
	for (guint i = 0; i < p->runs->len; i++) {
		const bisect_run *r = g_ptr_array_index(p->runs, i);
		json_builder_begin_object(b);
		report_json_str(b, "outcome", r->outcome);
		report_json_double(b, "wall_s", r->wall_s);
		json_builder_set_member_name(b, "classes");
		json_builder_begin_object(b);
		GHashTableIter it;
		gpointer k, v;
		g_hash_table_iter_init(&it, r->counts);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			report_json_int(b, k, (gint64)GPOINTER_TO_SIZE(v));
		}
		json_builder_end_object(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	g_autoptr(JsonGenerator) g = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	json_generator_set_root(g, root);
	g_autofree char *text = json_generator_to_data(g, NULL);
	g_autofree char *path = cache_file(e, p);
	g_autoptr(GError) err = NULL;
	if (g_mkdir_with_parents(e->cache, 0755) != 0 || !g_file_set_contents(path, text, -1, &err))
		fprintf(stderr, "ccidlab bisect: cannot keep the run in %s: %s\n", path,
			err ? err->message : g_strerror(errno));
}

bisect_run *bisect_run_once(const bisect_env *e, bisect_point *p)
{
	ensure_runs(p);
	g_autofree char *dir = g_strdup_printf("%s/%.12s-%u", e->work_dir, p->commit->id,
					       p->runs->len);
	g_mkdir_with_parents(dir, 0755);
	matrix_version *v = matrix_version_new(p->root, dir);
	matrix_run run = { .self = e->self, .driver = e->driver, .duration_s = e->duration_s,
			   .seed = e->seed + p->runs->len, .quiet = true };
	g_autoptr(GError) err = NULL;
	gint64 t0 = g_get_monotonic_time();
	if (!matrix_probe(&run, v, &err))
		matrix_note_crash(v, "probe", err->message);
	else
		matrix_cell_run(&run, v, &e->spec, p->runs->len);
	const char *outcome = "crash";
	if (v->cells->len > 0)
		outcome = json_object_get_string_member_with_default(
			g_ptr_array_index(v->cells, v->cells->len - 1), "outcome", "crash");
	bisect_run *r = bisect_run_new(outcome, (g_get_monotonic_time() - t0) / 1e6);
	for (guint i = 0; i < v->rows->len; i++) {
		const matrix_row *row = g_ptr_array_index(v->rows, i);
		g_hash_table_insert(r->counts, g_strdup(row->name), GSIZE_TO_POINTER(row->count));
	}
	matrix_version_free(v);
	g_ptr_array_add(p->runs, r);
	save_runs(e, p);
	return r;
}

guint64 bisect_run_count(const bisect_run *r, const char *klass)
{
	return GPOINTER_TO_SIZE(g_hash_table_lookup(r->counts, klass));
}

bool bisect_run_judges(const bisect_run *r, const char *klass)
{
	if (strcmp(klass, "crash") == 0 || strcmp(klass, MATRIX_ROW_UNANSWERED) == 0)
		return true;
	return strcmp(r->outcome, "ran") == 0 && g_hash_table_contains(r->counts, klass);
}

void bisect_point_free(bisect_point *p)
{
	if (p == NULL)
		return;
	g_free(p->root);
	g_free(p->build_log);
	if (p->runs != NULL)
		g_ptr_array_unref(p->runs);
	g_free(p);
}
