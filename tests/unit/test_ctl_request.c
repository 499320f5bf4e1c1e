/* ccidlab — unit tests of the control protocol codec (src/ctl/protocol.h,
 * stream.h): request parsing with its types and bounds, the reply lines,
 * and the stream records both ways.  This program links the protocol
 * library alone (src/ctl/local.mk): neither the device model nor the CCID
 * core. */
#include "config.h"

#include <string.h>

#include "ctl/protocol.h"
#include "ctl/stream.h"

static ctl_request *parse_ok(const char *line)
{
	g_autoptr(GError) err = NULL;
	ctl_request *r = ctl_request_parse(line, strlen(line), NULL, &err);
	g_assert_no_error(err);
	g_assert_nonnull(r);
	return r;
}

/* Parses a line that must fail with `code`; returns the message. */
static char *parse_fails(const char *line, size_t len, ctl_error code, int64_t *id)
{
	GError *err = NULL;
	ctl_request *r = ctl_request_parse(line, len, id, &err);
	g_assert_null(r);
	g_assert_error(err, CTL_ERROR, (gint)code);
	char *msg = g_strdup(err->message);
	g_error_free(err);
	return msg;
}

static void test_every_error_has_a_name(void)
{
	for (int e = 0; e < CTL_ERROR_COUNT; e++) {
		const char *name = ctl_error_name((ctl_error)e);
		g_assert_nonnull(name);
		g_assert_cmpint(ctl_error_from_name(name), ==, e);
	}
	g_assert_null(ctl_error_name(CTL_ERROR_COUNT));
	g_assert_cmpint(ctl_error_from_name("from-a-newer-server"), ==, CTL_ERROR_FAILED);
	for (int k = 0; k < CTL_REQ_COUNT; k++)
		g_assert_nonnull(ctl_req_name((ctl_req_kind)k));
}

static void test_every_request_name_parses(void)
{
	for (int k = 0; k < CTL_REQ_COUNT; k++) {
		/* The required members of each, with valid values. */
		static const char *const extra[CTL_REQ_COUNT] = {
			[CTL_REQ_INSERT] = ",\"reader\":0,\"card\":\"readertest\"",
			[CTL_REQ_REMOVE] = ",\"reader\":0",
			[CTL_REQ_SWAP] = ",\"reader\":0,\"card\":\"echo\"",
			[CTL_REQ_MUTE] = ",\"reader\":0",
			[CTL_REQ_UNMUTE] = ",\"reader\":0",
			[CTL_REQ_FAULT_SET] = ",\"reader\":0,\"fault\":\"slow:500@3\"",
			[CTL_REQ_FAULT_CLEAR] = ",\"reader\":0",
			[CTL_REQ_SCENARIO_LOAD] = ",\"data\":\"[step 1]\\nat_ms=0\\n\"",
			[CTL_REQ_SCENARIO_START] = ",\"scenario\":1",
			[CTL_REQ_STORM] = ",\"rate\":10,\"duration_ms\":1000",
			[CTL_REQ_DEVICE_ADD] = ",\"spec\":\"generic-apdu-irq:card=none\"",
			[CTL_REQ_DEVICE_REMOVE] = ",\"reader\":\"1-1\"",
		};
		g_autofree char *line =
			g_strdup_printf("{\"v\":1,\"id\":%d,\"req\":\"%s\"%s}", k,
					ctl_req_name((ctl_req_kind)k), extra[k] ? extra[k] : "");
		g_autoptr(ctl_request) r = parse_ok(line);
		g_assert_cmpint(r->kind, ==, k);
		g_assert_true(r->has_id);
		g_assert_cmpint(r->id, ==, k);
	}
}

static void test_insert_takes_reader_slot_and_card(void)
{
	g_autoptr(ctl_request) r =
		parse_ok("{\"v\":1,\"id\":7,\"req\":\"insert\",\"reader\":3,\"slot\":1,"
			 "\"card\":\"readertest,t1\"}");
	g_assert_cmpint(r->kind, ==, CTL_REQ_INSERT);
	g_assert_true(r->reader.set);
	g_assert_false(r->reader.by_name);
	g_assert_cmpuint(r->reader.number, ==, 3);
	g_assert_cmpint(r->slot, ==, 1);
	g_assert_cmpstr(r->card, ==, "readertest,t1");

	g_autoptr(ctl_request) byname =
		parse_ok("{\"v\":1,\"req\":\"remove\",\"reader\":\"lab-0\"}");
	g_assert_false(byname->has_id);
	g_assert_true(byname->reader.by_name);
	g_assert_cmpstr(byname->reader.name, ==, "lab-0");
	g_assert_cmpint(byname->slot, ==, 0);
}

static void test_fault_requests_default_to_the_reader(void)
{
	g_autoptr(ctl_request) set =
		parse_ok("{\"v\":1,\"req\":\"fault-set\",\"reader\":0,\"fault\":\"fail:0xFB@1\"}");
	g_assert_cmpint(set->slot, ==, -1);
	g_assert_cmpint(set->fault.kind, ==, EMU_FAULT_FAIL);
	g_assert_cmpuint(set->fault.arg, ==, 0xFB);
	g_assert_cmpuint(set->fault.count, ==, 1);

	g_autoptr(ctl_request) clear =
		parse_ok("{\"v\":1,\"req\":\"fault-clear\",\"reader\":0,\"slot\":-1,\"kind\":\"slow\"}");
	g_assert_true(clear->has_slot);
	g_assert_cmpint(clear->slot, ==, -1);
	g_assert_true(clear->has_kind);
	g_assert_cmpint(clear->kind_filter, ==, EMU_FAULT_SLOW);

	/* A USB transfer fault (usbsim devices) by its kind word. */
	g_autoptr(ctl_request) usb = parse_ok(
		"{\"v\":1,\"req\":\"fault-set\",\"reader\":0,\"fault\":\"short/interrupt:3@2\"}");
	g_assert_true(usb->is_usb_fault);
	g_assert_cmpint(usb->usb_fault.kind, ==, EMU_USB_FAULT_SHORT);
	g_assert_cmpint(usb->usb_fault.pipe, ==, EMU_USB_PIPE_INTERRUPT);
	g_assert_cmpuint(emu_usb_fault_arg(&usb->usb_fault), ==, 3);
	g_assert_cmpuint(usb->usb_fault.count, ==, 2);
	g_autoptr(ctl_request) usbclear =
		parse_ok("{\"v\":1,\"req\":\"fault-clear\",\"reader\":0,\"kind\":\"stall\"}");
	g_assert_true(usbclear->has_usb_kind && !usbclear->has_kind);
	g_assert_cmpint(usbclear->usb_kind_filter, ==, EMU_USB_FAULT_STALL);
	const char *zlp_out = "{\"v\":1,\"req\":\"fault-set\",\"reader\":0,\"fault\":\"zlp/bulk-out\"}";
	g_autofree char *z = parse_fails(zlp_out, strlen(zlp_out), CTL_ERROR_BAD_REQUEST, NULL);
	g_assert_nonnull(strstr(z, "does not apply to the bulk-out pipe"));

	const char *melt = "{\"v\":1,\"req\":\"fault-set\",\"reader\":0,\"fault\":\"melt\"}";
	g_autofree char *m = parse_fails(melt, strlen(melt), CTL_ERROR_BAD_REQUEST, NULL);
	g_assert_nonnull(strstr(m, "kind[:arg][@count]"));
	g_assert_nonnull(strstr(m, "stall, nak, short, zlp, babble, disconnect"));
	const char *neg = "{\"v\":1,\"req\":\"insert\",\"reader\":0,\"slot\":-1,\"card\":\"echo\"}";
	g_autofree char *m2 = parse_fails(neg, strlen(neg), CTL_ERROR_BAD_REQUEST, NULL);
	g_assert_nonnull(strstr(m2, "\"slot\""));
}

static void test_storm_takes_targets_and_bounds(void)
{
	g_autoptr(ctl_request) r = parse_ok(
		"{\"v\":1,\"req\":\"storm\",\"rate\":250.5,\"duration_ms\":2000,\"seed\":42,"
		"\"min_hold_ms\":5,\"burst\":2,\"burst_gap_us\":100,"
		"\"targets\":[{\"reader\":0},{\"reader\":1,\"slot\":1}],\"card\":\"echo\"}");
	g_assert_cmpfloat(r->rate, ==, 250.5);
	g_assert_cmpuint(r->duration_ms, ==, 2000);
	g_assert_true(r->has_seed);
	g_assert_cmpuint(r->seed, ==, 42);
	g_assert_cmpuint(r->n_targets, ==, 2);
	g_assert_cmpint(r->targets[0].slot, ==, -1);
	g_assert_cmpuint(r->targets[1].reader.number, ==, 1);
	g_assert_cmpint(r->targets[1].slot, ==, 1);

	static const char *const bad[] = {
		"{\"v\":1,\"req\":\"storm\",\"rate\":0,\"duration_ms\":10}",
		"{\"v\":1,\"req\":\"storm\",\"rate\":-1,\"duration_ms\":10}",
		"{\"v\":1,\"req\":\"storm\",\"rate\":\"fast\",\"duration_ms\":10}",
		"{\"v\":1,\"req\":\"storm\",\"rate\":10,\"duration_ms\":0}",
		"{\"v\":1,\"req\":\"storm\",\"rate\":100000,\"duration_ms\":86400000}",
		"{\"v\":1,\"req\":\"storm\",\"rate\":10,\"duration_ms\":10,\"targets\":[]}",
		"{\"v\":1,\"req\":\"storm\",\"rate\":10,\"duration_ms\":10,\"targets\":[1]}",
		"{\"v\":1,\"req\":\"storm\",\"rate\":10,\"duration_ms\":10,\"targets\":[{}]}",
		"{\"v\":1,\"req\":\"storm\",\"rate\":10,\"duration_ms\":10,\"targets\":[{\"reader\":0,\"x\":1}]}",
		"{\"v\":1,\"req\":\"storm\",\"rate\":10,\"duration_ms\":10,\"seed\":4294967296}",
		"{\"v\":1,\"req\":\"storm\",\"rate\":10}",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *m = parse_fails(bad[i], strlen(bad[i]), CTL_ERROR_BAD_REQUEST, NULL);
		g_test_message("%s -> %s", bad[i], m);
	}
	/* Over CTL_MAX_TARGETS targets. */
	GString *s = g_string_new("{\"v\":1,\"req\":\"storm\",\"rate\":10,\"duration_ms\":10,\"targets\":[");
	for (unsigned i = 0; i <= CTL_MAX_TARGETS; i++)
		g_string_append_printf(s, "%s{\"reader\":1}", i ? "," : "");
	g_string_append(s, "]}");
	g_assert_cmpuint(s->len, <, CTL_LINE_MAX);
	g_autofree char *m = parse_fails(s->str, s->len, CTL_ERROR_BAD_REQUEST, NULL);
	g_assert_nonnull(strstr(m, "targets"));
	g_string_free(s, TRUE);
}

static void test_unknown_member_names_the_right_ones(void)
{
	const char *line = "{\"v\":1,\"id\":4,\"req\":\"remove\",\"reader\":0,\"slto\":1}";
	int64_t id = -1;
	g_autofree char *m = parse_fails(line, strlen(line), CTL_ERROR_BAD_REQUEST, &id);
	g_assert_cmpint(id, ==, 4);
	g_assert_nonnull(strstr(m, "\"slto\""));
	g_assert_nonnull(strstr(m, "reader, slot"));
}

static void test_wrong_types_are_refused(void)
{
	static const char *const bad[] = {
		"{\"v\":1,\"req\":\"remove\",\"reader\":true}",
		"{\"v\":1,\"req\":\"remove\",\"reader\":1.5}",
		"{\"v\":1,\"req\":\"remove\",\"reader\":-1}",
		"{\"v\":1,\"req\":\"remove\",\"reader\":0,\"slot\":\"0\"}",
		"{\"v\":1,\"req\":\"remove\",\"reader\":0,\"slot\":256}",
		"{\"v\":1,\"req\":\"insert\",\"reader\":0,\"card\":\"\"}",
		"{\"v\":1,\"req\":\"insert\",\"reader\":0,\"card\":[\"echo\"]}",
		"{\"v\":1,\"req\":\"insert\",\"reader\":0}",
		"{\"v\":1,\"req\":\"subscribe\",\"since\":-5}",
		"{\"v\":1,\"req\":42}",
		"{\"v\":1}",
		"{\"v\":1,\"id\":-3,\"req\":\"hello\"}",
		"{\"v\":1,\"id\":\"x\",\"req\":\"hello\"}",
		"{\"v\":1,\"req\":\"scenario-load\"}",
		"{\"v\":1,\"req\":\"scenario-load\",\"data\":\"x\",\"path\":\"/y\"}",
		"{\"v\":1,\"req\":\"scenario-start\",\"scenario\":-1}",
		"{\"v\":1,\"req\":\"fault-clear\",\"reader\":0,\"kind\":\"melt\"}",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *m = parse_fails(bad[i], strlen(bad[i]), CTL_ERROR_BAD_REQUEST, NULL);
		g_test_message("%s -> %s", bad[i], m);
	}
}

static void test_version_and_request_are_checked(void)
{
	int64_t id = -1;
	const char *v2 = "{\"v\":2,\"id\":9,\"req\":\"hello\"}";
	g_autofree char *m = parse_fails(v2, strlen(v2), CTL_ERROR_BAD_VERSION, &id);
	g_assert_cmpint(id, ==, 9);
	g_assert_nonnull(strstr(m, "\"v\":1"));
	const char *nov = "{\"req\":\"hello\"}";
	g_free(parse_fails(nov, strlen(nov), CTL_ERROR_BAD_VERSION, NULL));
	const char *unk = "{\"v\":1,\"req\":\"explode\"}";
	g_autofree char *m3 = parse_fails(unk, strlen(unk), CTL_ERROR_UNKNOWN_REQUEST, NULL);
	g_assert_nonnull(strstr(m3, "storm-stop"));
}

static void test_malformed_lines_are_refused(void)
{
	static const struct {
		const char *line;
		size_t len;
		ctl_error code;
	} bad[] = {
		{ "", 0, CTL_ERROR_BAD_JSON },
		{ "   ", 3, CTL_ERROR_BAD_JSON },
		{ "{", 1, CTL_ERROR_BAD_JSON },
		{ "[1,2]", 5, CTL_ERROR_BAD_JSON },
		{ "42", 2, CTL_ERROR_BAD_JSON },
		{ "\"hello\"", 7, CTL_ERROR_BAD_JSON },
		{ "{\"v\":1,\"req\":\"hello\"}x", 22, CTL_ERROR_BAD_JSON },
		/* A second value: json-glib 1.6 leaked the one it was building
		 * (LSan, fuzz_ctl_request's bad_trailing with G_SLICE=always-malloc). */
		{ "{\"v\":1,\"req\":\"hello\"} {\"v\":1}", 29, CTL_ERROR_BAD_JSON },
		{ "\"a\" {\"v\":1,\"req\":\"hello\"}", 26, CTL_ERROR_BAD_JSON },
		{ "{\"v\":1,\0\"req\":\"hello\"}", 22, CTL_ERROR_BAD_JSON },
		{ "{\"v\":1,\"req\":\"h\xff\"}", 19, CTL_ERROR_BAD_JSON },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree char *m = parse_fails(bad[i].line, bad[i].len, bad[i].code, NULL);
		g_test_message("%zu -> %s", i, m);
	}
	/* Blanks around the one object are no second value. */
	g_autoptr(ctl_request) r = parse_ok(" {\"v\":1,\"req\":\"hello\"} \r");
	g_assert_nonnull(r);
}

static void test_deep_nesting_is_refused_before_json_glib(void)
{
	/* 60,000 levels would recurse json-glib's parser that deep. */
	size_t n = 60000;
	char *line = g_malloc(n);
	memset(line, '[', n);
	g_autofree char *m = parse_fails(line, n, CTL_ERROR_BAD_REQUEST, NULL);
	g_assert_nonnull(strstr(m, "nested"));
	g_free(line);

	/* Brackets inside strings do not count. */
	g_autoptr(ctl_request) r = parse_ok(
		"{\"v\":1,\"req\":\"insert\",\"reader\":\"[[[[[[[[[[[[\\\"{{{{{{{{{{\",\"card\":\"echo\"}");
	g_assert_cmpstr(r->reader.name, ==, "[[[[[[[[[[[[\"{{{{{{{{{{");
}

static void test_oversized_line_is_refused(void)
{
	size_t n = CTL_LINE_MAX;
	char *line = g_malloc(n);
	memset(line, ' ', n);
	g_free(parse_fails(line, n, CTL_ERROR_LINE_TOO_LONG, NULL));
	g_free(line);
	g_autofree char *big = g_strnfill(CTL_MAX_STRING + 1, 'a');
	g_autofree char *req =
		g_strdup_printf("{\"v\":1,\"req\":\"insert\",\"reader\":0,\"card\":\"%s\"}", big);
	g_autofree char *m2 = parse_fails(req, strlen(req), CTL_ERROR_BAD_REQUEST, NULL);
	g_assert_nonnull(strstr(m2, "\"card\""));
}

static void test_error_reply_is_one_json_line(void)
{
	g_autofree char *line =
		ctl_reply_error(true, 12, CTL_ERROR_NOT_FOUND, "no reader 7\n(with \"quotes\")");
	size_t len = strlen(line);
	g_assert_cmpint(line[len - 1], ==, '\n');
	g_assert_null(memchr(line, '\n', len - 1));
	g_autoptr(JsonParser) p = json_parser_new();
	g_assert_true(json_parser_load_from_data(p, line, -1, NULL));
	JsonObject *o = json_node_get_object(json_parser_get_root(p));
	g_assert_cmpint(json_object_get_int_member(o, "v"), ==, 1);
	g_assert_cmpint(json_object_get_int_member(o, "id"), ==, 12);
	g_assert_false(json_object_get_boolean_member(o, "ok"));
	JsonObject *e = json_object_get_object_member(o, "error");
	g_assert_cmpstr(json_object_get_string_member(e, "code"), ==, "not-found");
	g_assert_cmpstr(json_object_get_string_member(e, "message"), ==,
			"no reader 7\n(with \"quotes\")");

	g_autofree char *noid = ctl_reply_error(false, 0, CTL_ERROR_LINE_TOO_LONG, "x");
	g_assert_null(strstr(noid, "\"id\""));
}

static void test_ok_reply_and_hex(void)
{
	JsonBuilder *b = ctl_reply_begin(true, 3);
	json_builder_set_member_name(b, "n");
	json_builder_add_int_value(b, 5);
	size_t len = 0;
	g_autofree char *line = ctl_line_finish(b, &len);
	g_assert_cmpstr(line, ==, "{\"v\":1,\"id\":3,\"ok\":true,\"n\":5}\n");
	g_assert_cmpuint(len, ==, strlen(line));
	static const uint8_t bytes[] = { 0x6F, 0x00, 0xAB };
	g_autofree char *hex = ctl_hex(bytes, sizeof bytes);
	g_assert_cmpstr(hex, ==, "6F00AB");
	g_autofree char *none = ctl_hex(bytes, 0);
	g_assert_cmpstr(none, ==, "");
}

/* ---- stream records (stream.h) ---- */

static JsonObject *line_object(const char *line)
{
	g_autoptr(JsonParser) p = json_parser_new_immutable();
	g_autoptr(GError) err = NULL;
	g_assert_true(json_parser_load_from_data(p, line, -1, &err));
	g_assert_no_error(err);
	return json_object_ref(json_node_get_object(json_parser_get_root(p)));
}

static bool decode_line(const char *line, ctl_stream_rec *out, GError **error)
{
	g_autoptr(JsonObject) o = line_object(line);
	return ctl_stream_decode(o, out, error);
}

static void test_edge_record_round_trips(void)
{
	ctl_edge e = { .seq = 41, .ts_ns = 123456789012, .has_reader = true, .reader = 3,
		       .device_id = 7, .slot = 1, .state = CTL_EDGE_MUTE,
		       .source = CTL_EDGE_SRC_OBSERVED };
	g_strlcpy(e.device, "bench-ev03", sizeof e.device);
	size_t len = 0;
	g_autofree char *line = ctl_edge_line(&e, &len);
	g_assert_cmpuint(len, ==, strlen(line));
	g_assert_true(line[len - 1] == '\n');
	ctl_stream_rec rec;
	g_autoptr(GError) err = NULL;
	g_assert_true(decode_line(line, &rec, &err));
	g_assert_no_error(err);
	g_assert_cmpint(rec.kind, ==, CTL_STREAM_EDGE);
	g_assert_cmpmem(&rec.edge, sizeof rec.edge, &e, sizeof e);
	/* A mute card is a present one to pcscd. */
	g_assert_true(ctl_edge_present(&rec.edge));

	e.has_reader = false;
	e.reader = 0;
	e.state = CTL_EDGE_ABSENT;
	g_autofree char *unlisted = ctl_edge_line(&e, NULL);
	g_assert_nonnull(strstr(unlisted, "\"reader\":null"));
	g_assert_true(decode_line(unlisted, &rec, &err));
	g_assert_false(rec.edge.has_reader);
	g_assert_false(ctl_edge_present(&rec.edge));
}

static void test_lost_and_frame_records_round_trip(void)
{
	static const uint8_t frame[] = { 0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 };
	g_autofree char *lost = ctl_lost_line("edges", 12, NULL);
	g_autofree char *fr = ctl_frame_line(2, CTL_TRACE_IN, 99, frame, sizeof frame, 0, 0, NULL);
	ctl_stream_rec rec;
	g_autoptr(GError) err = NULL;
	g_assert_true(decode_line(lost, &rec, &err));
	g_assert_cmpint(rec.kind, ==, CTL_STREAM_LOST);
	g_assert_cmpstr(rec.lost.what, ==, "edges");
	g_assert_cmpuint(rec.lost.count, ==, 12);
	g_autoptr(JsonObject) o = line_object(fr);
	g_assert_true(ctl_stream_decode(o, &rec, &err));
	g_assert_cmpint(rec.kind, ==, CTL_STREAM_FRAME);
	g_assert_cmpuint(rec.frame.reader, ==, 2);
	g_assert_cmpint(rec.frame.dir, ==, CTL_TRACE_IN);
	g_assert_cmpint(rec.frame.ts_us, ==, 99);
	g_assert_cmpuint(rec.frame.len, ==, sizeof frame);
	g_assert_cmpstr(rec.frame.hex, ==, "65000000000001");
	/* A newer server's event is passed over, not refused. */
	g_assert_true(decode_line("{\"v\":1,\"event\":\"weather\",\"sky\":\"grey\"}", &rec, &err));
	g_assert_no_error(err);
	g_assert_cmpint(rec.kind, ==, CTL_STREAM_OTHER);
}

/* A checker that read a missing seq as 0 or an unknown state as present
 * would judge edges that never were: a known record that is not whole
 * is an error naming its member. */
static void test_malformed_records_are_refused(void)
{
	static const struct { const char *line; const char *member; } bad[] = {
		{ "{\"v\":1,\"event\":\"edge\",\"ts_ns\":1,\"reader\":0,\"device\":\"d\","
		  "\"device_id\":1,\"slot\":0,\"state\":\"present\",\"source\":\"storm\"}", "seq" },
		{ "{\"v\":1,\"event\":\"edge\",\"seq\":1,\"ts_ns\":1,\"reader\":0,\"device\":\"d\","
		  "\"device_id\":1,\"slot\":0,\"state\":\"ajar\",\"source\":\"storm\"}", "state" },
		{ "{\"v\":1,\"event\":\"edge\",\"seq\":1,\"ts_ns\":1,\"reader\":0,\"device\":\"d\","
		  "\"device_id\":1,\"slot\":0,\"state\":\"absent\",\"source\":\"gremlin\"}", "source" },
		{ "{\"v\":1,\"event\":\"edge\",\"seq\":1,\"ts_ns\":1,\"device\":\"d\","
		  "\"device_id\":1,\"slot\":0,\"state\":\"absent\",\"source\":\"api\"}", "reader" },
		{ "{\"v\":1,\"event\":\"edge\",\"seq\":1,\"ts_ns\":1,\"reader\":0,\"device\":\"d\","
		  "\"device_id\":1,\"slot\":256,\"state\":\"absent\",\"source\":\"api\"}", "slot" },
		{ "{\"v\":1,\"event\":\"lost\",\"what\":\"edges\",\"count\":\"many\"}", "count" },
		{ "{\"v\":1,\"event\":\"frame\",\"reader\":0,\"dir\":\"up\",\"ts_us\":1,\"len\":0,"
		  "\"hex\":\"\"}", "dir" },
		{ "{\"v\":1,\"event\":7}", "event" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		ctl_stream_rec rec = { .kind = CTL_STREAM_OTHER };
		GError *err = NULL;
		g_assert_false(decode_line(bad[i].line, &rec, &err));
		g_assert_error(err, CTL_ERROR, CTL_ERROR_PROTOCOL);
		g_autofree char *quoted = g_strdup_printf("\"%s\"", bad[i].member);
		g_assert_nonnull(strstr(err->message, quoted));
		g_assert_cmpint(rec.kind, ==, CTL_STREAM_OTHER); /* untouched */
		g_error_free(err);
	}
	for (int k = 0; k < CTL_EDGE_STATE_COUNT; k++)
		g_assert_nonnull(ctl_edge_state_name((ctl_edge_state)k));
	for (int k = 0; k < CTL_EDGE_SRC_COUNT; k++)
		g_assert_nonnull(ctl_edge_source_name((ctl_edge_source)k));
	g_assert_null(ctl_edge_state_name(CTL_EDGE_STATE_COUNT));
	g_assert_null(ctl_edge_source_name(CTL_EDGE_SRC_COUNT));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ctl/error/every-value-has-a-name", test_every_error_has_a_name);
	g_test_add_func("/ctl/request/every-request-name-parses", test_every_request_name_parses);
	g_test_add_func("/ctl/request/insert-takes-reader-slot-and-card",
			test_insert_takes_reader_slot_and_card);
	g_test_add_func("/ctl/request/fault-requests-default-to-the-reader",
			test_fault_requests_default_to_the_reader);
	g_test_add_func("/ctl/request/storm-takes-targets-and-bounds",
			test_storm_takes_targets_and_bounds);
	g_test_add_func("/ctl/request/unknown-member-names-the-right-ones",
			test_unknown_member_names_the_right_ones);
	g_test_add_func("/ctl/request/wrong-types-are-refused", test_wrong_types_are_refused);
	g_test_add_func("/ctl/request/version-and-request-are-checked",
			test_version_and_request_are_checked);
	g_test_add_func("/ctl/request/malformed-lines-are-refused", test_malformed_lines_are_refused);
	g_test_add_func("/ctl/request/deep-nesting-is-refused-before-json-glib",
			test_deep_nesting_is_refused_before_json_glib);
	g_test_add_func("/ctl/request/oversized-line-is-refused", test_oversized_line_is_refused);
	g_test_add_func("/ctl/reply/error-reply-is-one-json-line", test_error_reply_is_one_json_line);
	g_test_add_func("/ctl/reply/ok-reply-and-hex", test_ok_reply_and_hex);
	g_test_add_func("/ctl/stream/edge-record-round-trips", test_edge_record_round_trips);
	g_test_add_func("/ctl/stream/lost-and-frame-records-round-trip",
			test_lost_and_frame_records_round_trip);
	g_test_add_func("/ctl/stream/malformed-records-are-refused-naming-the-member",
			test_malformed_records_are_refused);
	return g_test_run();
}
