/* ccidlab — one member of a JSON object being built, its name and its
 * value in one call: what every report's --json writer (check-events,
 * matrix, bisect) says member by member. */
#ifndef CCIDLAB_REPORT_JSON_MEMBER_H
#define CCIDLAB_REPORT_JSON_MEMBER_H

#include <stdbool.h>

#include <glib.h>
#include <json-glib/json-glib.h>

static inline void report_json_str(JsonBuilder *b, const char *name, const char *v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, v);
}

static inline void report_json_int(JsonBuilder *b, const char *name, gint64 v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, v);
}

static inline void report_json_double(JsonBuilder *b, const char *name, double v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_double_value(b, v);
}

static inline void report_json_bool(JsonBuilder *b, const char *name, bool v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_boolean_value(b, v);
}

#endif
