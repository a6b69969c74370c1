/* core/store_report.h - the rows behind a report over a period
 * (handlers/report_period.h): the children as they were at the period's
 * end, and the visits, check-ins, away links, cases and directors of the
 * period. Each operation calls fn once per row (rows are borrowed for the
 * call), stops when fn returns non-zero and returns that value, else 0, or
 * -1 on a database error. The counting is the domain's; these only read.
 *
 * Times are unix seconds; a period is [from, until) on them, and the same
 * period as calendar dates is [from_date, to_date], both included
 * ("YYYY-MM-DD", local). Read them inside one store_read_begin.
 */
#ifndef STORE_REPORT_H
#define STORE_REPORT_H

#include <stdint.h>

struct store;

struct store_report_child {
    int64_t id;
    int64_t region_id;      /* the child's region at `until` */
    const char *birth_date; /* YYYY-MM-DD as stored */
    const char *categories; /* '|' list at `until` */
    const char *flags;      /* '|' list at `until`, "" for none */
    int64_t created_at;     /* registration */
};

/* Every child registered before until, by id, as it was at until: for its
 * categories, flags and region, the value stored now unless the change log
 * (child_change, any source) has a change of that field at or after until,
 * in which case the old value of the first such change (a region by id or
 * by path; one that names no region keeps the current one). */
int store_report_children_each(struct store *st, int64_t until,
                               int (*fn)(void *arg, const struct store_report_child *c), void *arg);

struct store_report_visit {
    int64_t child_id;
    const char *visit_date; /* YYYY-MM-DD */
    int result;             /* 1-4 */
    const char *problems;   /* "JH|XL", "" for none */
};

/* Every visit dated from from_date to to_date (both included), by child
 * and date. */
int store_report_visits_each(struct store *st, const char *from_date, const char *to_date,
                             int (*fn)(void *arg, const struct store_report_visit *v), void *arg);

/* Every check-in recorded in [from, until), by guardian: its guardian and
 * child. */
int store_report_checkins_each(struct store *st, int64_t from, int64_t until,
                               int (*fn)(void *arg, int64_t guardian_id, int64_t child_id), void *arg);

/* Every guardian-child link marked away whose guardian was registered
 * before until, by guardian. (Links keep no history: a link's away mark is
 * today's.) */
int store_report_away_each(struct store *st, int64_t until, int (*fn)(void *arg, int64_t guardian_id, int64_t child_id),
                           void *arg);

struct store_report_case {
    int64_t region_id; /* the most precise region known: region_id, else county_id */
    int category;      /* 1-9 */
    int priority;      /* 0-3 */
    int64_t opened_at;
    int64_t acked_at;  /* 0 when never acknowledged */
    int64_t closed_at; /* 0 when not closed */
    int outcome;       /* 1-4, 0 when none */
    int has_reporter;  /* 1 when someone who can be told reported it (a contact purged since counts) */
    int64_t told_at;   /* the first 'reporter_told' event, 0 when none */
};

/* Every case opened in [from, until) with a region or a county, by id. */
int store_report_cases_each(struct store *st, int64_t from, int64_t until,
                            int (*fn)(void *arg, const struct store_report_case *c), void *arg);

/* The number of directors registered before until in each region that had
 * one. */
int store_report_directors_each(struct store *st, int64_t until,
                                int (*fn)(void *arg, int64_t region_id, long directors), void *arg);

#endif
