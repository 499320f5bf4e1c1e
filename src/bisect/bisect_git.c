/* ccidlab — bisect: the commits between the two ends, from git.
 *
 * The first-parent line: pcsc-lite's history is nearly linear, and a
 * merge on that line stands for its branch (the answer names it, with its
 * subject, and the branch is then bisected by giving its commits). */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "bisect/bisect.h"

#define GIT_MAX_OUTPUT (16 * 1024 * 1024)

/* Runs git --git-dir=DIR ARGS... and returns its stdout, or NULL. */
static char *git(const char *gitdir, GError **error, ...)
{
	g_autoptr(GPtrArray) a = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(a, g_strdup("git"));
	g_ptr_array_add(a, g_strdup_printf("--git-dir=%s", gitdir));
	va_list ap;
	va_start(ap, error);
	for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
		g_ptr_array_add(a, g_strdup(s));
	va_end(ap);
	g_ptr_array_add(a, NULL);
	g_autoptr(GSubprocess) p = g_subprocess_newv((const char *const *)a->pdata,
						     G_SUBPROCESS_FLAGS_STDOUT_PIPE |
							     G_SUBPROCESS_FLAGS_STDERR_PIPE,
						     error);
	if (p == NULL)
		return NULL;
	g_autofree char *out = NULL, *err = NULL;
	if (!g_subprocess_communicate_utf8(p, NULL, NULL, &out, &err, error))
		return NULL;
	if (!g_subprocess_get_successful(p) || out == NULL || strlen(out) > GIT_MAX_OUTPUT) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "git %s: %s",
			    (char *)g_ptr_array_index(a, 2), err ? g_strstrip(err) : "failed");
		return NULL;
	}
	return g_steal_pointer(&out);
}

bool bisect_is_ancestor(const char *gitdir, const char *a, const char *b)
{
	g_autoptr(GError) e = NULL;
	g_autofree char *out = git(gitdir, &e, "merge-base", "--is-ancestor", a, b, NULL);
	return out != NULL;
}

static bisect_commit *commit_info(const char *gitdir, const char *id, GError **error)
{
	/* id, subject; describe apart (it may fail on a commit without tags). */
	g_autofree char *out = git(gitdir, error, "log", "-1", "--format=%H%n%s", id, NULL);
	if (out == NULL)
		return NULL;
	g_auto(GStrv) lines = g_strsplit(out, "\n", 3);
	if (lines[0] == NULL || lines[1] == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "git log %s: no commit", id);
		return NULL;
	}
	bisect_commit *c = g_new0(bisect_commit, 1);
	c->id = g_strdup(lines[0]);
	c->subject = g_strdup(lines[1]);
	g_autoptr(GError) ignored = NULL;
	g_autofree char *d = git(gitdir, &ignored, "describe", "--tags", "--always", id, NULL);
	c->describe = d != NULL ? g_strdup(g_strstrip(d)) : g_strndup(c->id, 12);
	return c;
}

GPtrArray *bisect_commits(const char *gitdir, const char *from, const char *to, GError **error)
{
	if (!bisect_is_ancestor(gitdir, from, to)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "%.12s is not an ancestor of %.12s", from, to);
		return NULL;
	}
	g_autofree char *range = g_strdup_printf("%s..%s", from, to);
	g_autofree char *out =
		git(gitdir, error, "rev-list", "--first-parent", "--reverse", range, NULL);
	if (out == NULL)
		return NULL;
	GPtrArray *v = g_ptr_array_new_with_free_func((GDestroyNotify)bisect_commit_free);
	g_auto(GStrv) ids = g_strsplit(g_strstrip(out), "\n", -1);
	bisect_commit *c = commit_info(gitdir, from, error);
	for (guint i = 0; c != NULL; i++) {
		g_ptr_array_add(v, c);
		if (ids[i] == NULL || ids[i][0] == '\0')
			return v;
		c = commit_info(gitdir, ids[i], error);
	}
	g_ptr_array_unref(v);
	return NULL;
}

void bisect_commit_free(bisect_commit *c)
{
	if (c == NULL)
		return;
	g_free(c->id);
	g_free(c->describe);
	g_free(c->subject);
	g_free(c);
}
