/* ccidlab — fuzz target: recorded check runs (src/check/check_record.c),
 * a file a user hands to the checker's replay.
 *
 * The input is the file's text.  A refusal must be a G_IO_ERROR naming
 * the file; a run that reads must then go through the whole judgement
 * (the oracle, the counter check, the verdict, the anomaly classes)
 * without a fault, whatever its times and states say.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check/check_events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_replay r;
	GError *err = NULL;
	if (!check_record_parse((const char *)data, size, "fuzz.jsonl", &r, &err)) {
		if (err == NULL || err->domain != G_IO_ERROR || strstr(err->message, "fuzz.jsonl") == NULL)
			abort();
		g_error_free(err);
		check_replay_clear(&r);
		return 0;
	}
	if (err != NULL)
		abort();
	check_judge_params p = check_judge_params_for(CHECK_BOUND_EVENT_MS, CHECK_BOUND_POLL_MS,
						      r.cp.t1_ns, false, false, false);
	p.oracle.keep_catches = true;
	check_result res = { 0 };
	check_verdict v = { 0 };
	check_classes c = { 0 };
	check_judge(&r.truth, r.edges, r.mons, r.n_mons, &p, &r.cp, &res, &v);
	check_classes_run(&r.truth, r.edges, r.mons, r.n_mons, &res, r.cp.t0_ns, r.cp.t1_ns, &c);
	if (v.pass != (v.reasons->len == 0))
		abort();
	check_classes_clear(&c);
	check_verdict_clear(&v);
	check_result_clear(&res);
	check_replay_clear(&r);
	return 0;
}
