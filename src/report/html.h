/* ccidlab — one self-contained HTML page for a report (--html FILE on
 * check-events, matrix and bisect): inline CSS and SVG, no script, no
 * network, so that it opens anywhere and can be attached to a bug.
 *
 * html.c builds the page (headings, text, tables), html_svg.c draws the
 * figures: a histogram, and a timeline of lanes (the edges, and each
 * client's calls as bars from call to return with the state each return
 * reported) on one time axis. */
#ifndef CCIDLAB_REPORT_HTML_H
#define CCIDLAB_REPORT_HTML_H

#include <stdbool.h>

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct html_page html_page;

html_page *html_page_new(const char *title);
void html_page_free(html_page *p);
/* Writes the page, complete, to path (a temporary file, then a rename). */
bool html_page_write(html_page *p, const char *path, GError **error);
/* The page so far (for tests). */
const char *html_page_text(const html_page *p);

/* id: an anchor (letters, digits, '-'), or NULL. */
void html_h2(html_page *p, const char *id, const char *text);
void html_h3(html_page *p, const char *id, const char *text);
void html_p(html_page *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Preformatted text, escaped. */
void html_pre(html_page *p, const char *text);

/* A table: headers, then rows of n cells (escaped text); row_class
 * ("bad", "good", "warn" or NULL) colours the row. */
void html_table_begin(html_page *p, const char *const *headers, guint n);
void html_table_row(html_page *p, const char *const *cells, guint n, const char *row_class);
void html_table_end(html_page *p);

/* For the figures' code: the page's body, and escaping. */
GString *html_page_body(html_page *p);
void html_put_escaped(GString *out, const char *s);

/* ---- figures (html_svg.c) ---- */

/* A bar per bucket: labels[i] under it, counts[i] its height. */
void html_histogram(html_page *p, const char *title, const char *const *labels,
		    const guint64 *counts, guint n);

typedef enum html_kind {
	HTML_EDGE = 0,		/* a card edge: a vertical line across the lanes */
	HTML_CALL,		/* a call in progress: a bar */
	HTML_RETURN,		/* a return: a tick with the state it reported */
	HTML_ANOMALY,		/* the anomaly: a red marker */
	HTML_WAIT_LOCK,		/* inside a call, waiting for a lock */
	HTML_WAIT_SLEEP,	/* inside a call, sleeping */
} html_kind;

typedef struct html_item {
	double t0, t1;		/* seconds; marks use t0 only */
	html_kind kind;
	char *label;		/* shown beside it (escaped), may be NULL */
	char *tip;		/* shown on hover; NULL: the label */
} html_item;

typedef struct html_lane {
	char *name;
	GArray *items;		/* html_item */
} html_lane;

typedef struct html_timeline {
	char *title;
	double t0, t1;		/* the axis */
	const char *unit;	/* after each tick's number: " s" (the default) */
	bool legend;		/* the legend of a checker's timeline under it */
	GPtrArray *lanes;	/* html_lane*; the first is the truth's */
} html_timeline;

html_timeline *html_timeline_new(const char *title, double t0, double t1);
html_lane *html_timeline_lane(html_timeline *tl, const char *name);
void html_lane_add(html_lane *l, html_kind kind, double t0, double t1, const char *label);
/* The same with a longer text on hover. */
void html_lane_add_tip(html_lane *l, html_kind kind, double t0, double t1, const char *label,
		       const char *tip);
void html_timeline_free(html_timeline *tl);
void html_timeline_draw(html_page *p, const html_timeline *tl);

/* A timeline as JSON and back (html_json.c), for figures carried in a
 * report; NULL when o holds none. */
void html_timeline_to_json(JsonBuilder *b, const html_timeline *tl);
html_timeline *html_timeline_from_json(JsonObject *o);

/* A member that is an object (an array), or NULL when o is NULL or has no
 * such member: reports read back may lack any of them. */
JsonObject *html_json_object(JsonObject *o, const char *name);
JsonArray *html_json_array(JsonObject *o, const char *name);

#endif
