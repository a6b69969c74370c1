/* handlers/routing.h - case routing: report category -> priority and the
 * departments the case goes to, per county; whether the child's village is
 * told; the county's duty contacts; the department names responders are
 * registered with; and working hours.
 *
 * The default table is built in. The configuration overrides it
 * ([routing] for every county, [routing COUNTY] for one, [county COUNTY]
 * for the contacts; see core/config.h): a county's own setting wins over
 * [routing], which wins over the default. Lookups are pure and read only
 * the frozen config, so any thread may call them.
 */
#ifndef ROUTING_H
#define ROUTING_H

#include <stdint.h>

#include "../core/config.h"

/* The default rule for a category; categories outside 1-9 get the rule of
 * 9 (other / unclassified). Never NULL. */
const struct routing_rule *routing_default(int category);

/* The rule for a category in a county (its path, e.g. "示例县"; NULL or ""
 * when the case has no county): the county's [routing COUNTY] line, else
 * the [routing] line, else the default. pol may be NULL (default only).
 * Categories outside 1-9 are 9. Never NULL; borrowed from pol or static. */
const struct routing_rule *routing_for(const struct gw_policy *pol, const char *county_path, int category);

/* 1 when the director(s) of the child's village are told about a case of
 * this category in this county, 0 when the village is excluded (by
 * default categories 1 and 2: the suspect may be in the household). */
int routing_village_told(const struct gw_policy *pol, const char *county_path, int category);

/* The [county COUNTY] settings (duty contacts) of a county, or NULL. */
const struct gw_county *routing_county(const struct gw_policy *pol, const char *county_path);

/* The county's duty phone for a department (E.164, from duty_<dept>), or
 * NULL when none is configured. dept is a canonical code. */
const char *routing_dept_duty(const struct gw_policy *pol, const char *county_path, const char *dept);

/* The canonical department code ("police", "civil_affairs", ...) for a code
 * or its Chinese name (公安, 民政, ...); NULL when unknown. The result is a
 * static string: equal codes are equal pointers. */
const char *routing_dept_code(const char *name);

/* The index (0..ROUTING_NDEPTS-1) of a canonical code or Chinese name, or
 * -1 when unknown; routing_dept_at is its inverse (NULL outside the range). */
int routing_dept_index(const char *name);
const char *routing_dept_at(int index);

/* Working hours: 0 when `now` (unix seconds) lies within the policy's
 * working hours (a day in work_days, local minute in [work_start,
 * work_end) in the process time zone), else the unix time of the next
 * start of working hours. Also 0 when pol is NULL or its hours are not set
 * (no work day, or work_start >= work_end): a message held for hours that
 * never come would never be sent. Public holidays are not known. */
int64_t h_next_work_time(const struct gw_policy *pol, int64_t now);

#endif
