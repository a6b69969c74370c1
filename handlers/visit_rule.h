/* handlers/visit_rule.h - the rules about a registered child that the
 * reminders (jobs_visits.c, jobs_checkins.c), the directors' questions
 * (query.c) and the coverage report (coverage.c) share, one copy each:
 * whether a child is on the high visit cadence, when its visit falls due,
 * and when it ages out of scope.
 *
 * Days are day numbers (core/calendar.h): days since 1970-01-01 of a local
 * calendar date. Pure functions (apart from the process time zone, for
 * visit_due_for); any thread may call them.
 */
#ifndef H_VISIT_RULE_H
#define H_VISIT_RULE_H

#include <stdint.h>

#include "../core/calendar.h"

struct gw_policy;

/* 1 when a child is visited on the high cadence: it has a flag
 * (parent_disabled, child_disabled, psych: flags not empty) or was raised
 * to it (its stored high_cadence, set by an XL visit). flags NULL = none. */
int visit_high_cadence(const char *flags, int raised);

/* The visit-due rule. A child falls due `cadence` days after its last
 * counting visit (result 1, 2 or 3; a phone or video contact does not
 * count), where cadence is pol->visit_days_high on the high cadence and
 * pol->visit_days otherwise. With no counting visit yet (last_visit_day
 * CAL_NO_DAY), the first visit falls due on the pol->first_visit_days-th
 * working day (pol->work_days: bit 0 Monday ... bit 6 Sunday; an empty mask
 * makes every day one) after the day of registration, or cadence days after
 * it when first_visit_days is 0. CAL_NO_DAY when neither day is known. pol
 * NULL, or a cadence of 0: gw_policy_defaults(). */
int64_t visit_due_day(const struct gw_policy *pol, int high, int64_t last_visit_day, int64_t registered_day);

/* The same rule over a stored child row: last_visit is its newest counting
 * visit date "YYYY-MM-DD" ("" or NULL when none), created_at its
 * registration (unix seconds; its local day counts). CAL_NO_DAY when the
 * child has no due day (a last visit that is not a date included). */
int64_t visit_due_for(const struct gw_policy *pol, int high, const char *last_visit, int64_t created_at);

/* The age-out rule: the day a child leaves scope, its birthday at the age
 * of its categories (pol->age_left_behind for left_behind,
 * pol->age_difficulty for difficulty, orphan, unsupported, single_parent
 * or none known; a child in several: the later). The day is the birthday itself: a
 * left-behind child born 2010-03-02 is out of scope from 2026-03-02; one
 * born on 29 February leaves on 1 March of a common year. pol NULL or its
 * ages 0: gw_policy_defaults() (16 and 18). INT64_MAX when the birth date is
 * not a date (never aged out: better a reminder too many than a child
 * lost). */
int64_t child_scope_end(const struct gw_policy *pol, const char *birth_date, const char *categories);

#endif
