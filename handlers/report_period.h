/* handlers/report_period.h - a report over a period (the yearly progress
 * report among them): per county, town and village, the children by
 * category and flag, the visits, the away parents' check-ins, the cases
 * and the directors, all as the period's records have them. Figures for a
 * past period never read today's state: a child counts with its record as
 * it was at the period's end (the change log), visits by their date,
 * check-ins and cases by when they were recorded or opened, an
 * acknowledgement, a closing or a reporter told only when it came before
 * the period's end. Writing it as CSV or HTML is the process's
 * (gateway/report_cmd.h).
 */
#ifndef H_REPORT_PERIOD_H
#define H_REPORT_PERIOD_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct gw_policy;

#define REPORT_CATEGORIES      5   /* left_behind difficulty orphan unsupported single_parent */
#define REPORT_FLAGS           3   /* parent_disabled child_disabled psych */
#define REPORT_PROBLEMS        7   /* JH XL XX JK SH AQ QG */
#define REPORT_CASE_CATEGORIES 9   /* report categories 1-9 */
#define REPORT_MAX_MONTHS      120 /* the longest period: ten years */

/* The names, in the order of the counters below. */
extern const char *const report_category_names[REPORT_CATEGORIES];
extern const char *const report_flag_names[REPORT_FLAGS];
extern const char *const report_problem_codes[REPORT_PROBLEMS];

/* A period: local calendar days (core/calendar.h day numbers), both
 * included. complete is 0 when the period was cut at today because it is
 * not over (a year not yet ended, or --to after today). */
struct report_period {
    int64_t from_day, to_day;
    int complete;
};

/* The period of `gateway report`: year "YYYY" (1 January to 31 December, or
 * to today when that year is not over), or from and to (YYYY-MM-DD, to cut
 * at today). Exactly one of year and from/to (both) must be given; today
 * is a day number. Returns 0 with *p, or -1 with the reason in err: not a
 * year or a date, from after to, a year or a period that begins after
 * today, more than REPORT_MAX_MONTHS calendar months. */
int report_period_resolve(const char *year, const char *from, const char *to, int64_t today, struct report_period *p,
                          char *err, size_t errlen);

/* One region's row; a town or county counts everything in its villages and
 * whatever is attached to it directly. Definitions:
 *  - children: registered before the period's end and in scope on its last
 *    day (not aged out: child_scope_end after it), with the categories,
 *    flags and region they had at the period's end. Every figure about
 *    children below is about these.
 *  - category[i], flag[i]: children with that category or flag.
 *  - visits: visits dated in the period; result[r-1] by result 1-4;
 *    problem[i] visits that named problem code i. visited: children with a
 *    visit; visited_monthly: children with a visit in every calendar month
 *    of the period from the month they were registered in (or the period's
 *    first month, when later).
 *  - checkins: check-ins recorded in the period. away: distinct guardians
 *    linked as away to a child counted (once per region), registered
 *    before the period's end; checked_in: of them, those with a check-in
 *    recorded in the period; silent: the others.
 *  - cases opened in the period, by the most precise region known (region,
 *    else county): case_category[c-1] by category, priority[p] by
 *    priority; acks and median_ack_minutes over those acknowledged before
 *    the end; closed, outcome[o-1] and median_close_minutes over those
 *    closed before the end (minutes from opening); closed_reporter: closed
 *    ones someone reported who can be told, reporter_told: of them, those
 *    whose reporter was told the outcome (the case's 'reporter_told'
 *    event) before the end.
 *  - directors: registered before the period's end. villages_over: villages
 *    with more than COVERAGE_VILLAGE_BIG (30) children per director (more
 *    than 30 children and more than 30 times their directors: one director
 *    with 31 children, two with 61, none with 31); for a village 1 or 0. */
struct report_row {
    int level;  /* 1 county, 2 town, 3 village */
    char *path; /* owned */
    long children, category[REPORT_CATEGORIES], flag[REPORT_FLAGS];
    long visits, visited, visited_monthly, result[4], problem[REPORT_PROBLEMS];
    long checkins, away, checked_in, silent;
    long cases, case_category[REPORT_CASE_CATEGORIES], priority[4];
    long acks, closed, outcome[4], closed_reporter, reporter_told;
    double median_ack_minutes, median_close_minutes; /* valid when acks, closed > 0 */
    long directors, villages_over;
};

struct report {
    struct report_period period;
    int months;              /* calendar months the period touches */
    struct report_row *rows; /* owned; tree order: a region, then each sub-region followed by its own */
    size_t n;
};

/* Computes the report over p for region (a path; NULL or "": every region)
 * and everything under it, in one read transaction of its own (or the
 * caller's). pol NULL, or its ages 0: the defaults. Returns 0 with *out
 * (free it with report_free), 1 when there is no region with that path, -1
 * on a database error (store_errmsg tells). */
int report_compute(struct store *st, const struct gw_policy *pol, const struct report_period *p, const char *region,
                   struct report *out);
void report_free(struct report *r);

#endif
