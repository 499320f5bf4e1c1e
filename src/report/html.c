/* ccidlab — the HTML page of a report (see html.h). */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "report/html.h"

struct html_page {
	GString *body;
	char *title;
};

/* Light and dark alike, no web fonts: the page stays one file. */
static const char style[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;color:#222;"
	"background:#fff;padding:0 1em}"
	"h1{font-size:1.5em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ccc}"
	"h3{font-size:1.05em}"
	"table{border-collapse:collapse;margin:.6em 0}"
	"th,td{border:1px solid #ccc;padding:.2em .55em;text-align:left;vertical-align:top}"
	"th{background:#eef}td.n{text-align:right}"
	"tr.bad td{background:#fdd}tr.good td{background:#dfd}tr.warn td{background:#ffd}"
	"pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:12px}"
	"svg{display:block;margin:.4em 0;max-width:100%;height:auto}"
	"svg text{font:11px sans-serif;fill:#222}";

html_page *html_page_new(const char *title)
{
	html_page *p = g_new0(html_page, 1);
	p->title = g_strdup(title);
	p->body = g_string_new(NULL);
	return p;
}

void html_page_free(html_page *p)
{
	if (p == NULL)
		return;
	g_string_free(p->body, TRUE);
	g_free(p->title);
	g_free(p);
}

/* Escapes text for element content and attribute values alike. */
static void put_escaped(GString *out, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&': g_string_append(out, "&amp;"); break;
		case '<': g_string_append(out, "&lt;"); break;
		case '>': g_string_append(out, "&gt;"); break;
		case '"': g_string_append(out, "&quot;"); break;
		case '\'': g_string_append(out, "&#39;"); break;
		default:
			/* Control bytes (from a device name, say) have no place in
			 * the page. */
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				g_string_append_c(out, '?');
			else
				g_string_append_c(out, *s);
		}
	}
}

void html_put_escaped(GString *out, const char *s)
{
	put_escaped(out, s);
}

GString *html_page_body(html_page *p)
{
	return p->body;
}

static void put_id(GString *out, const char *id)
{
	if (id == NULL)
		return;
	g_string_append(out, " id=\"");
	for (const char *c = id; *c != '\0'; c++)
		g_string_append_c(out, g_ascii_isalnum(*c) ? *c : '-');
	g_string_append_c(out, '"');
}

static void heading(html_page *p, const char *tag, const char *id, const char *text)
{
	g_string_append_printf(p->body, "<%s", tag);
	put_id(p->body, id);
	g_string_append_c(p->body, '>');
	put_escaped(p->body, text);
	g_string_append_printf(p->body, "</%s>\n", tag);
}

void html_h2(html_page *p, const char *id, const char *text)
{
	heading(p, "h2", id, text);
}

void html_h3(html_page *p, const char *id, const char *text)
{
	heading(p, "h3", id, text);
}

void html_p(html_page *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_string_append(p->body, "<p>");
	put_escaped(p->body, text);
	g_string_append(p->body, "</p>\n");
}

void html_pre(html_page *p, const char *text)
{
	g_string_append(p->body, "<pre>");
	put_escaped(p->body, text);
	g_string_append(p->body, "</pre>\n");
}

void html_table_begin(html_page *p, const char *const *headers, guint n)
{
	g_string_append(p->body, "<table><tr>");
	for (guint i = 0; i < n; i++) {
		g_string_append(p->body, "<th>");
		put_escaped(p->body, headers[i]);
		g_string_append(p->body, "</th>");
	}
	g_string_append(p->body, "</tr>\n");
}

/* A cell that is a number (digits, signs, '.', ',', 'e', '%', spaces)
 * aligns right. */
static bool numeric(const char *s)
{
	if (s == NULL || *s == '\0' || !(g_ascii_isdigit(*s) || *s == '-' || *s == '+'))
		return false;
	for (; *s != '\0'; s++)
		if (!g_ascii_isdigit(*s) && strchr(".,-+e% ()/", *s) == NULL)
			return false;
	return true;
}

void html_table_row(html_page *p, const char *const *cells, guint n, const char *row_class)
{
	if (row_class != NULL)
		g_string_append_printf(p->body, "<tr class=\"%s\">", row_class);
	else
		g_string_append(p->body, "<tr>");
	for (guint i = 0; i < n; i++) {
		g_string_append(p->body, numeric(cells[i]) ? "<td class=\"n\">" : "<td>");
		put_escaped(p->body, cells[i]);
		g_string_append(p->body, "</td>");
	}
	g_string_append(p->body, "</tr>\n");
}

void html_table_end(html_page *p)
{
	g_string_append(p->body, "</table>\n");
}

const char *html_page_text(const html_page *p)
{
	return p->body->str;
}

bool html_page_write(html_page *p, const char *path, GError **error)
{
	g_autoptr(GString) doc = g_string_new("<!DOCTYPE html>\n<html lang=\"en\"><head>"
					      "<meta charset=\"utf-8\"><title>");
	put_escaped(doc, p->title);
	g_string_append_printf(doc, "</title><style>%s</style></head><body>\n<h1>", style);
	put_escaped(doc, p->title);
	g_string_append(doc, "</h1>\n");
	g_string_append(doc, p->body->str);
	g_string_append_printf(doc, "<p><small>Written by ccidlab %s.</small></p>\n</body></html>\n",
			       PACKAGE_VERSION);
	return g_file_set_contents(path, doc->str, (gssize)doc->len, error);
}
