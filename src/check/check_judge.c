/* ccidlab — check-events: the verdict of a recorded run (check_judge in
 * check_events.h), the one path from a run to PASS or FAIL that
 * check-events and bench wakeup both take. */
#include "config.h"

#include "check/check_events.h"

check_judge_params check_judge_params_for(double bound_event_ms, double bound_poll_ms,
					  gint64 end_ns, bool have_legacy, bool legacy_must_pass,
					  bool expect_legacy_loss)
{
	return (check_judge_params){
		.oracle = { .bound_ns = { (gint64)(bound_event_ms * 1e6),
					  (gint64)(bound_poll_ms * 1e6) },
			    .end_ns = end_ns,
			    .worst = 20 },
		.legacy_must_pass = legacy_must_pass,
		.expect_legacy_loss = expect_legacy_loss,
		.have_legacy = have_legacy,
	};
}

void check_judge(const check_truth *t, GArray *edges, check_monitor **mons, unsigned n_mons,
		 const check_judge_params *p, const check_checkpoints *cp, check_result *result,
		 check_verdict *verdict)
{
	check_oracle_run(t, edges, mons, n_mons, &p->oracle, result);
	/* A stream that dropped edges, or broke, leaves no ground truth. */
	result->truth_lost = t->lost + (t->stream_error != NULL);
	if (cp->counters_read)
		check_oracle_counters(t, edges, cp->t0_ns, cp->t1_ns, cp->c0, cp->c1, cp->f0, cp->f1,
				      result);
	check_verdict_compute(result, p->legacy_must_pass, p->expect_legacy_loss, p->have_legacy,
			      verdict);
}

void check_verdict_clear(check_verdict *v)
{
	g_clear_pointer(&v->reasons, g_ptr_array_unref);
}
