/* core/store_roster.h - the roster rows (regions, staff, children,
 * guardians) one at a time, the rows behind the CSV exports (visits,
 * check-ins, cases, outbox) and behind the coverage report, and children by
 * name. Included by store.h; same conventions.
 *
 * Row level only: reading and checking a roster file is the domain's
 * (handlers/roster_import.h), computing coverage too (handlers/coverage.h),
 * and writing CSV the process's (gateway/export.h). Nothing here reads the
 * clock or the policy: callers pass `now` and the bounds.
 *
 * Iterators call fn once per row, in the order stated, with a row that is
 * valid only during the call. fn must not call store functions (the
 * statement is still running); it returns 0 to go on, non-zero to stop
 * (the iterator then returns that value). Iterators return 0, or -1 on a
 * database error (store_errmsg tells). In rows, a text column that is NULL
 * is a NULL pointer and an integer or time column that is NULL is
 * STORE_NULL.
 */
#ifndef STORE_ROSTER_H
#define STORE_ROSTER_H

#include <stdint.h>

struct store;
struct db_child;

#define STORE_NULL INT64_MIN /* an integer or time column that is NULL */

/* ---- roster rows, inside the caller's transaction ---------------------------------- */

/* What an upsert did. */
enum store_upsert {
    STORE_INSERTED = 0,  /* a new row */
    STORE_UPDATED = 1,   /* the row was there and a value changed */
    STORE_UNCHANGED = 2, /* the row was there with the same values */
};

/* The region whose path ("县/镇/村", canonical) is path: 0 with *id and
 * *level (1 county, 2 town, 3 village; level may be NULL), 1 when there is
 * none, -1 on a database error. */
int store_region_find(struct store *st, const char *path, int64_t *id, int *level);

/* Adds one region (parent_id 0 for a county): 0 with *id, -1 on a database
 * error (a path already there included). */
int store_region_insert(struct store *st, int64_t parent_id, const char *name, const char *path, int level,
                        int64_t *id);

struct store_staff_row {
    const char *phone; /* E.164, the key */
    const char *name;
    const char *role; /* director|supervisor|responder|admin */
    int64_t region_id;
    const char *department; /* English code, or NULL */
};

/* Inserts the staff member, or updates the one with that phone (created_at
 * = now on insert). Returns an enum store_upsert, or -1. */
int store_staff_upsert(struct store *st, const struct store_staff_row *r, int64_t now);

/* The child rows (struct store_child_row, store_child_upsert): store_child.h. */

/* The id of the child with that code: 0 with *id, 1 none, -1. */
int store_child_id(struct store *st, const char *code, int64_t *id);

struct store_guardian_row {
    const char *phone; /* E.164, the key of the guardian */
    const char *name;
    const char *relation; /* to the child, free text */
    int64_t child_id;
    int away; /* 1: a migrant parent */
};

/* Inserts or renames the guardian with that phone (created_at = now on
 * insert) and inserts or updates its link to the child. The row is new when
 * the link is; updated when the name or the link changed. Returns an enum
 * store_upsert, or -1. */
int store_guardian_upsert(struct store *st, const struct store_guardian_row *r, int64_t now);

/* ---- rows behind the exports ----------------------------------------------------------
 * Oldest first. Nothing about a case's reporter, a report's free text or a
 * case's outcome note is ever read here. Phones are as stored (E.164):
 * the caller masks them. */

struct store_visit_rec {
    int64_t id;
    const char *visit_date; /* YYYY-MM-DD */
    const char *child_code;
    const char *region; /* the child's village path */
    int64_t result;     /* 1-4 */
    const char *problems;
    const char *note;
    const char *recorded_by; /* the phone of the staff member who recorded it */
    int64_t recorded_at;     /* unix seconds */
};

/* Visits with from_day <= visit_date <= to_day (YYYY-MM-DD; NULL for no
 * bound), by visit_date then id. */
int store_export_visits(struct store *st, const char *from_day, const char *to_day,
                        int (*fn)(void *arg, const struct store_visit_rec *r), void *arg);

struct store_checkin_rec {
    int64_t id;
    int64_t created_at; /* unix seconds */
    const char *child_code;
    const char *region; /* the child's village path */
    int64_t status;     /* 1-4 */
    const char *return_date;
    const char *note;
    const char *guardian; /* the phone of the guardian who checked in */
    const char *relation; /* that guardian's relation to the child */
};

/* Check-ins created in [from, until) (unix seconds), by created_at then id. */
int store_export_checkins(struct store *st, int64_t from, int64_t until,
                          int (*fn)(void *arg, const struct store_checkin_rec *r), void *arg);

struct store_case_rec {
    const char *number;
    int64_t opened_at;
    int64_t category;   /* 1-9 */
    int64_t classified; /* 0|1 */
    int priority;       /* 0-3 */
    const char *status;
    const char *departments; /* '|'-joined in routing order */
    const char *child_code;
    const char *region; /* the case's most precise region path */
    const char *county; /* the county's path */
    int64_t acked_at;
    int64_t closed_at;
    int64_t outcome; /* 1-4 */
};

/* Cases opened in [from, until), by opened_at then id. */
int store_export_cases(struct store *st, int64_t from, int64_t until,
                       int (*fn)(void *arg, const struct store_case_rec *r), void *arg);

struct store_outbox_rec {
    int64_t id;
    int64_t created_at;
    const char *kind;
    int64_t priority;
    const char *channel;
    const char *recipient; /* E.164 */
    const char *tmpl;
    const char *provider_msg_id;
    const char *status;
    int64_t attempts;
    const char *last_error;
    int64_t sent_at;
    int64_t done_at;
};

/* Outbox rows created in [from, until), by id. Never the text itself. */
int store_export_outbox(struct store *st, int64_t from, int64_t until,
                        int (*fn)(void *arg, const struct store_outbox_rec *r), void *arg);

/* ---- rows behind the coverage report ------------------------------------------------- */

/* One read transaction around several reads, so that they all see the same
 * moment: returns 1 when it began one, 0 when the caller already holds a
 * transaction (nothing to do), -1 on a database error. */
int store_read_begin(struct store *st);
/* Ends what store_read_begin began (began = its return value; 0 is a
 * no-op). Returns 0 or -1. */
int store_read_end(struct store *st, int began);

struct store_region_rec {
    int64_t id;
    int64_t parent_id; /* 0 for a county */
    const char *path;
    int level; /* 1 county, 2 town, 3 village */
};

/* Every region, by id. */
int store_regions_each(struct store *st, int (*fn)(void *arg, const struct store_region_rec *r), void *arg);

struct store_child_rec {
    int64_t id;
    int64_t region_id;
    const char *flags; /* '|' list, "" for none */
    int high_cadence;  /* raised by an XL visit */
    int64_t created_at;
    const char *last_visit;  /* newest counting visit (result 1-3) dated on or before `today`, NULL when none */
    const char *last_remote; /* newest result-4 visit dated on or before `today`, NULL when none */
    const char *birth_date;
    const char *categories;
};

/* Every child, by id; visits dated after today (YYYY-MM-DD) are not read. */
int store_children_each(struct store *st, const char *today, int (*fn)(void *arg, const struct store_child_rec *r),
                        void *arg);

/* The number of directors registered in each region that has one. */
int store_directors_each(struct store *st, int (*fn)(void *arg, int64_t region_id, long directors), void *arg);

struct store_away_rec {
    int64_t guardian_id;
    int64_t child_id;
    int64_t region_id; /* the child's */
    int contacted;     /* the guardian checked in within (from, until] */
};

/* Every guardian-child link with away = 1, grouped by guardian. */
int store_away_links_each(struct store *st, int64_t from, int64_t until,
                          int (*fn)(void *arg, const struct store_away_rec *r), void *arg);

struct store_case_brief {
    int64_t region_id; /* the most precise region known: region_id, else county_id */
    int priority;      /* 0-3 */
    int open;          /* 1 when not closed */
    int64_t opened_at;
    int64_t acked_at; /* STORE_NULL when never acknowledged */
};

/* Cases with a region or a county that are not closed, or were
 * acknowledged and opened in [from, until). */
int store_cases_brief_each(struct store *st, int64_t from, int64_t until,
                           int (*fn)(void *arg, const struct store_case_brief *r), void *arg);

/* ---- children by name ---------------------------------------------------------
 * A director may name a child instead of writing its code, and a reporter
 * may name a child in a report. A name identifies a child only when it is
 * unique where it is looked for; a name that is missing and a name that
 * several children share get different return values, but callers answer
 * both alike, so nobody learns who is registered. Both run inside the
 * caller's transaction. */

/* The one child named exactly `name` whose village is the region with path
 * `under` or lies below it (a village, town or county path). Returns 0 with
 * *out filled; 1 when there is none; 2 when several children have that
 * name there (*out untouched); -1 on a database error. */
int db_child_by_name(struct store *st, const char *name, const char *under, struct db_child *out);

/* For free text (a report's description): the one child under `under`
 * whose registered name (2 characters or more) occurs in text, when
 * exactly one child's name does. Several children named alike, or two
 * different names both in the text, are several (2), so a report is never
 * linked to the wrong one of them: it stays for triage. 0 with *out, 1
 * none, 2 several, -1 on a database error. */
int db_child_named_in(struct store *st, const char *text, const char *under, struct db_child *out);

#endif
