/* gateway/json_fields.h - small helpers for the office API's JSON objects:
 * nullable strings and times written both as ISO 8601 and as unix seconds. */
#ifndef GW_JSON_FIELDS_H
#define GW_JSON_FIELDS_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "../core/calendar.h"

/* Sets key of o to the ISO local time of t (cal_time_iso) and key_unix to t; both null when t is 0. */
static inline void json_set_time(json_t *o, const char *key, int64_t t)
{
    char iso[CAL_TIME_ISO_LEN], unix_key[48];
    snprintf(unix_key, sizeof unix_key, "%s_unix", key);
    json_object_set_new(o, key, t ? json_string(cal_time_iso(t, iso)) : json_null());
    json_object_set_new(o, unix_key, t ? json_integer(t) : json_null());
}

/* A JSON string, or null for NULL. */
static inline json_t *json_str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

#endif
