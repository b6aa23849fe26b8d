/*
 * vec_wycheproof.h: what the Wycheproof runners share: format detection by
 * the top-level "algorithm" and "schema" fields, the walk over
 * testGroups[].tests[], and the "result" field.
 *
 * Wycheproof's results: "valid" must be accepted with the expected output,
 * "invalid" must be rejected, and "acceptable" is an input a careful library
 * may take or refuse; each runner states, in a comment, what echover does
 * with it and checks exactly that.
 */
#ifndef ECHOVER_VEC_WYCHEPROOF_H
#define ECHOVER_VEC_WYCHEPROOF_H

#include <string.h>

#include "vec.h"

typedef enum wp_result { WP_BAD = -1, WP_VALID, WP_INVALID, WP_ACCEPTABLE } wp_result;

static inline bool wp_detect(json_t *root, const char *algorithm, const char *schema)
{
	const char *a = json_string_value(json_object_get(root, "algorithm"));
	const char *s = json_string_value(json_object_get(root, "schema"));
	return a && s && !strcmp(a, algorithm) && !strcmp(s, schema) &&
	       json_is_array(json_object_get(root, "testGroups"));
}

static inline wp_result wp_result_of(json_t *test)
{
	const char *r = json_string_value(json_object_get(test, "result"));
	if (!r)
		return WP_BAD;
	if (!strcmp(r, "valid"))
		return WP_VALID;
	if (!strcmp(r, "invalid"))
		return WP_INVALID;
	if (!strcmp(r, "acceptable"))
		return WP_ACCEPTABLE;
	return WP_BAD;
}

static inline long long wp_id(json_t *test)
{
	return (long long)json_integer_value(json_object_get(test, "tcId"));
}

static inline int wp_group_int(json_t *group, const char *field)
{
	json_t *v = json_object_get(group, field);
	return json_is_integer(v) ? (int)json_integer_value(v) : -1;
}

/* Calls fn on every test of every group, in file order. */
static inline void wp_each(json_t *root, void (*fn)(json_t *group, json_t *test))
{
	json_t *groups = json_object_get(root, "testGroups");
	for (size_t g = 0; g < json_array_size(groups); g++) {
		json_t *group = json_array_get(groups, g);
		json_t *tests = json_object_get(group, "tests");
		for (size_t i = 0; i < json_array_size(tests); i++)
			fn(group, json_array_get(tests, i));
	}
}

#endif
