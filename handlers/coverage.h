/* handlers/coverage.h - the coverage report (issue "coverage export"):
 * per county, town and village, how many children are in scope and how
 * many have aged out, how many in scope were visited in their current
 * period (in person and remote apart) or are overdue, how many migrant
 * parents are in touch, how the villages are staffed, and the open cases
 * with their time to acknowledgement. Computed from the store's rows with
 * the rules the reminders apply (visit_rule.h), so the report and the
 * reminders agree by construction. Writing it as CSV is the process's
 * (gateway/export.h).
 */
#ifndef H_COVERAGE_H
#define H_COVERAGE_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct gw_policy;

#define COVERAGE_OVERDUE_LONG 30 /* the county's overdue list: days past due (overdue_30) */
#define COVERAGE_VILLAGE_BIG  30 /* more children than this with one director is flagged */
#define COVERAGE_CONTACT_DAYS 7  /* parents "in contact": a check-in within this many days */

/* One region's row. A town or county row counts everything in its villages
 * (and anything attached to it directly). Definitions, per child
 * registered in the region:
 *  - in scope: not aged out (child_scope_end); aged_out counts the others,
 *    which count nowhere else.
 *  - cadence: pol->visit_days_high on the high cadence (visit_high_cadence),
 *    else pol->visit_days. A counting visit has result 1, 2 or 3; result 4
 *    (phone or video) is remote. Visits dated after today are ignored. Due
 *    date: visit_due_day.
 *  - in_person: the last counting visit is less than cadence days before
 *    today; remote_only: not that, but a result-4 visit in the same window.
 *  - overdue: today is more than pol->overdue_days after the due date;
 *    overdue_long: more than COVERAGE_OVERDUE_LONG days after it.
 * away counts the distinct guardians linked with away = 1 to a child in
 * scope of the region (once per region); contacted those of them with a
 * check-in in (now - COVERAGE_CONTACT_DAYS days, now]. directors: directors
 * registered in the region's villages; big_one_director: villages with more
 * than COVERAGE_VILLAGE_BIG children in scope and exactly one director.
 * open[N]: cases of priority N not closed whose most precise known region
 * (region, else county) is the region or within it. acks and
 * median_ack_minutes: the region's cases opened in the window that have
 * been acknowledged, and the median of (acknowledged - opened) in minutes. */
struct coverage_row {
    int level;  /* 1 county, 2 town, 3 village */
    char *path; /* owned */
    long children, aged_out, in_person, remote_only, overdue, overdue_long;
    long away, contacted, directors, big_one_director;
    long open[4];
    long acks;                 /* 0: no median */
    double median_ack_minutes; /* valid when acks > 0 */
};

struct coverage {
    struct coverage_row *rows; /* owned; in tree order: a county, then each town followed by its villages */
    size_t n;
};

/* Computes the report seen from `now` (unix seconds; local days in the
 * process time zone), the median over cases opened in [from, until) (unix
 * seconds; INT64_MIN/INT64_MAX for no bound). pol NULL, or a setting 0:
 * gw_policy_defaults(). Reads in one read transaction of its own, or in
 * the caller's when one is open. Returns 0 with *out filled (free it with
 * coverage_free), or -1 on a database error (store_errmsg tells; *out
 * empty). */
int coverage_compute(struct store *st, const struct gw_policy *pol, int64_t now, int64_t from, int64_t until,
                     struct coverage *out);
void coverage_free(struct coverage *c);

#endif
