/* ccidlab — the report's figures as inline SVG (see html.h): a histogram,
 * and a timeline of lanes on one time axis. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "report/html.h"

#define HIST_W 640
#define HIST_H 200
#define TL_W 1160
#define TL_LEFT 230	/* lane names */
#define TL_RIGHT 20
#define TL_TOP 34	/* the axis and the edges' labels */
#define TL_LANE 30

static void text(GString *o, double x, double y, const char *anchor, const char *s)
{
	g_string_append_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
	html_put_escaped(o, s);
	g_string_append(o, "</text>");
}

static void title(GString *o, const char *s)
{
	if (s == NULL)
		return;
	g_string_append(o, "<title>");
	html_put_escaped(o, s);
	g_string_append(o, "</title>");
}

void html_histogram(html_page *p, const char *caption, const char *const *labels,
		    const guint64 *counts, guint n)
{
	GString *o = html_page_body(p);
	guint64 max = 1;
	for (guint i = 0; i < n; i++)
		max = MAX(max, counts[i]);
	double left = 40, bottom = HIST_H - 46, top = 24;
	double bw = n ? (HIST_W - left - 10) / n : 0;
	g_string_append_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
				  "viewBox=\"0 0 %d %d\" role=\"img\">",
			       HIST_W, HIST_H, HIST_W, HIST_H);
	title(o, caption);
	text(o, HIST_W / 2.0, 14, "middle", caption);
	g_string_append_printf(o, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%d\" y2=\"%.0f\" stroke=\"#888\"/>",
			       left, bottom, HIST_W - 10, bottom);
	for (guint i = 0; i < n; i++) {
		/* Square-root heights: one late wakeup beside ten thousand on
		 * time still shows. */
		double h = counts[i] ? (bottom - top) * sqrt((double)counts[i] / (double)max) : 0;
		double x = left + i * bw;
		g_string_append_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
					  "fill=\"#4a7fc1\">",
				       x + 2, bottom - h, MAX(bw - 4, 1), h);
		g_autofree char *tip = g_strdup_printf("%s: %" G_GUINT64_FORMAT, labels[i], counts[i]);
		title(o, tip);
		g_string_append(o, "</rect>");
		g_autofree char *c = g_strdup_printf("%" G_GUINT64_FORMAT, counts[i]);
		text(o, x + bw / 2, bottom - h - 3, "middle", c);
		g_string_append_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
					  "transform=\"rotate(-35 %.1f %.1f)\">",
				       x + bw / 2, bottom + 12, x + bw / 2, bottom + 12);
		html_put_escaped(o, labels[i]);
		g_string_append(o, "</text>");
	}
	g_string_append(o, "</svg>\n");
}

/* ---- timelines ---- */

html_timeline *html_timeline_new(const char *caption, double t0, double t1)
{
	html_timeline *tl = g_new0(html_timeline, 1);
	tl->title = g_strdup(caption);
	/* An axis that can be drawn whatever a report read back says. */
	if (!isfinite(t0) || fabs(t0) > 1e12)
		t0 = 0;
	if (!isfinite(t1) || !(t1 - t0 > 1e-9) || t1 - t0 > 1e12)
		t1 = t0 + 1;
	tl->t0 = t0;
	tl->t1 = t1;
	tl->unit = " s";
	tl->legend = true;
	tl->lanes = g_ptr_array_new();
	return tl;
}

static void item_clear(gpointer data)
{
	html_item *it = data;
	g_free(it->label);
	g_free(it->tip);
}

html_lane *html_timeline_lane(html_timeline *tl, const char *name)
{
	for (guint i = 0; i < tl->lanes->len; i++) {
		html_lane *l = g_ptr_array_index(tl->lanes, i);
		if (strcmp(l->name, name) == 0)
			return l;
	}
	html_lane *l = g_new0(html_lane, 1);
	l->name = g_strdup(name);
	l->items = g_array_new(FALSE, FALSE, sizeof(html_item));
	g_array_set_clear_func(l->items, item_clear);
	g_ptr_array_add(tl->lanes, l);
	return l;
}

void html_lane_add_tip(html_lane *l, html_kind kind, double t0, double t1, const char *label,
		       const char *tip)
{
	html_item it = { t0, t1, kind, g_strdup(label), g_strdup(tip) };
	g_array_append_val(l->items, it);
}

void html_lane_add(html_lane *l, html_kind kind, double t0, double t1, const char *label)
{
	html_lane_add_tip(l, kind, t0, t1, label, NULL);
}

void html_timeline_free(html_timeline *tl)
{
	if (tl == NULL)
		return;
	for (guint i = 0; i < tl->lanes->len; i++) {
		html_lane *l = g_ptr_array_index(tl->lanes, i);
		g_array_unref(l->items);
		g_free(l->name);
		g_free(l);
	}
	g_ptr_array_unref(tl->lanes);
	g_free(tl->title);
	g_free(tl);
}

typedef struct axis {
	double t0, t1, x0, x1;
	const char *unit;
} axis;

static double xof(const axis *a, double t)
{
	double f = (t - a->t0) / (a->t1 - a->t0);
	return a->x0 + CLAMP(f, 0, 1) * (a->x1 - a->x0);
}

/* A tick step of 1, 2 or 5 times a power of ten, about 8 ticks. */
static double tick_step(double span)
{
	double raw = span / 8, p = pow(10, floor(log10(raw)));
	double step = raw / p < 2 ? p : raw / p < 5 ? 2 * p : 5 * p;
	return isfinite(step) && step > 0 ? step : span;
}

static void draw_axis(GString *o, const axis *a, double bottom)
{
	double step = tick_step(a->t1 - a->t0);
	g_string_append_printf(o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#888\"/>",
			       a->x0, TL_TOP - 14, a->x1, TL_TOP - 14);
	int ticks = 0;
	for (double t = ceil(a->t0 / step) * step; t <= a->t1 + 1e-9 && ticks < 40; t += step, ticks++) {
		double x = xof(a, t);
		g_string_append_printf(o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" "
					  "stroke=\"#eee\"/>",
				       x, TL_TOP - 14, x, bottom);
		g_autofree char *l =
			g_strdup_printf("%.*f%s", step < 0.01 ? 3 : step < 1 ? 2 : 0, t, a->unit);
		text(o, x, TL_TOP - 18, "middle", l);
	}
}

static const char *fill_of(html_kind k)
{
	switch (k) {
	case HTML_WAIT_LOCK: return "#e06666";
	case HTML_WAIT_SLEEP: return "#f6b26b";
	default: return "#c9d7ea";
	}
}

static void draw_item(GString *o, const axis *a, const html_item *it, double y, double bottom,
		      double *last_label_x)
{
	double x = xof(a, it->t0);
	const char *tip = it->tip ? it->tip : it->label;
	switch (it->kind) {
	case HTML_EDGE:
		g_string_append_printf(o, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" "
					  "stroke=\"#2a6fdb\" stroke-width=\"1.5\">",
				       x, TL_TOP - 10, x, bottom);
		title(o, tip);
		g_string_append(o, "</line>");
		break;
	case HTML_ANOMALY:
		g_string_append_printf(o, "<path d=\"M%.1f %.1f l-6 -9 h12 z\" fill=\"#d00\">", x, y + 4);
		title(o, tip);
		g_string_append(o, "</path>");
		break;
	case HTML_RETURN:
		g_string_append_printf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
					  "stroke=\"#111\" stroke-width=\"2\">",
				       x, y + 2, x, y + TL_LANE - 8);
		title(o, tip);
		g_string_append(o, "</line>");
		break;
	default: {
		double x1 = xof(a, it->t1);
		double h = it->kind == HTML_CALL ? 10 : 6;
		g_string_append_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
					  "fill=\"%s\">",
				       x, y + (it->kind == HTML_CALL ? 6 : 8), MAX(x1 - x, 1), h,
				       fill_of(it->kind));
		title(o, tip);
		g_string_append(o, "</rect>");
		return;
	}
	}
	/* Labels where they do not run into the previous one. */
	if (it->label != NULL && x - *last_label_x > 70) {
		text(o, x + 3, it->kind == HTML_EDGE ? TL_TOP - 2 : y + TL_LANE - 2, "start", it->label);
		*last_label_x = x;
	}
}

void html_timeline_draw(html_page *p, const html_timeline *tl)
{
	GString *o = html_page_body(p);
	double height = TL_TOP + tl->lanes->len * TL_LANE + 20;
	double bottom = height - 16;
	axis a = { tl->t0, tl->t1, TL_LEFT, TL_W - TL_RIGHT, tl->unit ? tl->unit : "" };
	g_string_append_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
				  "height=\"%.0f\" viewBox=\"0 0 %d %.0f\" role=\"img\">",
			       TL_W, height, TL_W, height);
	title(o, tl->title);
	draw_axis(o, &a, bottom);
	/* Calls first, then marks over them, the edges last over all. */
	for (int pass = 0; pass < 3; pass++)
		for (guint i = 0; i < tl->lanes->len; i++) {
			const html_lane *l = g_ptr_array_index(tl->lanes, i);
			double y = TL_TOP + i * TL_LANE;
			double last_label_x = -1e9;
			if (pass == 0) {
				g_string_append_printf(o, "<rect x=\"0\" y=\"%.1f\" width=\"%d\" "
							  "height=\"%d\" fill=\"%s\"/>",
						       y, TL_W, TL_LANE, i % 2 ? "#fafafa" : "#fff");
				text(o, 4, y + 18, "start", l->name);
			}
			for (guint k = 0; k < l->items->len; k++) {
				const html_item *it = &g_array_index(l->items, html_item, k);
				int want = it->kind == HTML_EDGE ? 2
					   : it->kind == HTML_RETURN || it->kind == HTML_ANOMALY ? 1
												   : 0;
				if (want == pass)
					draw_item(o, &a, it, y, bottom, &last_label_x);
			}
		}
	g_string_append(o, "</svg>\n");
	if (!tl->legend)
		return;
	g_string_append(o, "<p><small>Blue lines: card edges.  Bars: a call in progress (grey), "
			   "waiting for a lock (red), sleeping (orange).  Black ticks: returns, with "
			   "the state reported.  Red marks: the anomaly.  Hover for details.</small></p>\n");
}
