/* ccidlab — check-events: the edge stream into the ground truth (the
 * truth's thread feeds it live, a replay from a recorded run), decoded by
 * the protocol's one decoder (ctl/stream.h). */
#include "config.h"

#include "check/check_events.h"

static int slot_index_of(const check_truth *t, unsigned reader, unsigned slot)
{
	for (unsigned i = 0; i < t->n_slots; i++)
		if (t->slots[i].reader == reader && t->slots[i].slot == slot)
			return (int)i;
	return -1;
}

static void take_edge(check_truth *t, const ctl_edge *ev)
{
	if (!ev->has_reader)
		return;
	check_edge e = {
		.seq = ev->seq,
		.ts_ns = ev->ts_ns,
		.slot_index = slot_index_of(t, ev->reader, ev->slot),
		.present = ctl_edge_present(ev),
		.source = ev->source == CTL_EDGE_SRC_OBSERVED ? CHECK_SRC_OBSERVED
							      : CHECK_SRC_STIMULUS,
	};
	/* The listing's states already hold edges up to its last_seq. */
	if (e.slot_index < 0 || e.seq <= t->list_seq)
		return;
	g_mutex_lock(&t->lock);
	g_array_append_val(t->edges, e);
	g_mutex_unlock(&t->lock);
}

void check_truth_feed(check_truth *t, const ctl_stream_rec *rec)
{
	if (rec->kind == CTL_STREAM_EDGE) {
		take_edge(t, &rec->edge);
	} else if (rec->kind == CTL_STREAM_LOST) {
		g_mutex_lock(&t->lock);
		t->lost += rec->lost.count;
		g_mutex_unlock(&t->lock);
	}
}

GArray *check_truth_snapshot(check_truth *t)
{
	g_mutex_lock(&t->lock);
	GArray *a = g_array_sized_new(FALSE, FALSE, sizeof(check_edge), t->edges->len);
	g_array_append_vals(a, t->edges->data, t->edges->len);
	g_mutex_unlock(&t->lock);
	return a;
}

gint64 check_truth_last_stimulus_ns(check_truth *t)
{
	gint64 last = 0;
	g_mutex_lock(&t->lock);
	for (guint i = t->edges->len; i-- > 0;) {
		const check_edge *e = &g_array_index(t->edges, check_edge, i);
		if (e->source == CHECK_SRC_STIMULUS) {
			last = e->ts_ns;
			break;
		}
	}
	g_mutex_unlock(&t->lock);
	return last;
}
