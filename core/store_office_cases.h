/* core/store_office_cases.h - the office API's reads of cases: a caller's
 * cases in the order the office works them (with a keyset cursor), one case
 * by number, its events and its recordings. Included by store.h; same
 * conventions (0, 1 not found, -1 with store_errmsg).
 *
 * Scope is part of every query: a case outside the caller's scope is never
 * read, so it answers exactly as a missing one.
 *
 * The order: unclassified first, then inferred (category read from danger
 * words), then priority, then the acknowledgement deadline (soonest first,
 * cases without one last), then opened_at, then id. The deadline is the
 * rule of handlers/deadline.h computed in SQL from the windows the caller
 * passes: a case still 'open' and not held silent by the flood rule has
 * since + ack_p0 when P0 and classified, since + ack_p1 when P1 or alerted
 * to triage, none otherwise; since is its last classification, else its
 * opening.
 */
#ifndef GW_STORE_OFFICE_CASES_H
#define GW_STORE_OFFICE_CASES_H

#include <stddef.h>
#include <stdint.h>

#include "store_domain.h"

struct store;

/* Whose cases a query may read. */
enum db_case_scope_kind {
    DB_SCOPE_NONE = 0, /* nobody's: every query finds nothing */
    DB_SCOPE_ALL,      /* every case */
    DB_SCOPE_COUNTY,   /* cases.county_id = region_id */
    DB_SCOPE_UNDER,    /* the case's region is path or lies under it */
    DB_SCOPE_DEPT,     /* cases.county_id = region_id and department among the case's departments */
    DB_SCOPE_REGION,   /* cases.region_id = region_id */
};

struct db_case_scope {
    enum db_case_scope_kind kind;
    int64_t region_id;      /* COUNTY, DEPT, REGION */
    const char *path;       /* UNDER; borrowed */
    const char *department; /* DEPT: a canonical department code; borrowed */
};

#define DB_CASE_KEY_NONE INT64_MAX /* the deadline key of a case without a deadline: last */

/* A case's place in the order; the cursor of a page is its last row's key. */
struct db_case_key {
    int64_t classified; /* 0 first */
    int64_t plain;      /* 1 - inferred: inferred first */
    int64_t priority;
    int64_t deadline; /* DB_CASE_KEY_NONE when none */
    int64_t opened_at;
    int64_t id;
};

enum db_case_status_filter {
    DB_CASES_OPEN = 0, /* not closed: open or acknowledged */
    DB_CASES_CLOSED,
    DB_CASES_ALL,
};

struct db_case_query {
    struct db_case_scope scope;
    enum db_case_status_filter status;
    int priority;                    /* 0-3, -1 any */
    const char *region;              /* NULL or "": any; else the case's region is it or lies under it */
    int64_t ack_p0, ack_p1;          /* the acknowledgement windows in seconds */
    const struct db_case_key *after; /* NULL: from the first; else the rows after this key */
    int limit;                       /* rows at most, >= 1 */
};

#define DB_CASE_DEPTS_MAX 200 /* bytes of a case's departments, "police,civil_affairs", NUL included */

/* One case as the office sees it (no description, reporter or child). */
struct db_case_row {
    int64_t id;
    char number[DB_CASE_NO_MAX + 1];
    int category;
    int classified;
    int inferred;
    int priority;
    char status[16]; /* open|acknowledged|closed */
    int64_t opened_at;
    int64_t acked_at;              /* 0 = not yet */
    int64_t closed_at;             /* 0 = not yet */
    int64_t since;                 /* the deadlines' start: the last classification, else opened_at */
    int triage;                    /* unclassified and alerted to triage */
    int held;                      /* held by the flood rule and not alerted itself: no deadline of its own */
    char region[DB_PATH_MAX];      /* the case's most precise region's path, "" when none */
    char depts[DB_CASE_DEPTS_MAX]; /* its department codes as stored, comma-separated, "" when none */
    struct db_case_key key;        /* its place in the order (key.deadline as computed by the query) */
};

/* The cases of q in order, at most q->limit, each through fn (a non-zero
 * return stops the walk and is returned). Returns 0, or -1. */
int db_cases_list(struct store *st, const struct db_case_query *q, int (*fn)(void *arg, const struct db_case_row *c),
                  void *arg);

/* One case with what its detail adds. */
struct db_case_detail {
    struct db_case_row row;
    char *description;  /* as typed, or NULL; owned: free with db_case_detail_free */
    char child_code[8]; /* "" when no child */
    char child_name[DB_NAME_MAX];
    char reporter_phone[DB_PHONE_LEN]; /* E.164, "" when none */
};

/* The case numbered number if it is in scope (the deadline computed with
 * ack_p0 and ack_p1, in seconds). 0 with *out, 1 when there is none in
 * scope, -1. */
int db_case_get(struct store *st, const struct db_case_scope *scope, const char *number, int64_t ack_p0, int64_t ack_p1,
                struct db_case_detail *out);
/* Frees what db_case_get allocated in d (not d itself). */
void db_case_detail_free(struct db_case_detail *d);

/* One event of a case: detail borrowed for the callback only. */
struct db_case_event_row {
    int64_t id;
    int64_t at;
    const char *kind;
    const char *detail; /* NULL when none */
};
/* A case's events in order (at, id) through fn. 0, fn's non-zero return, or -1. */
int db_case_events_list(struct store *st, int64_t case_id, int (*fn)(void *arg, const struct db_case_event_row *e),
                        void *arg);

/* One recording of a case (never its URL or file path). */
struct db_case_media_row {
    int64_t id;
    const char *status;       /* queued|fetching|fetched|failed */
    int64_t bytes;            /* -1 when not known */
    const char *content_type; /* NULL when not known */
    int64_t created_at;
};
/* A case's recordings by id through fn. 0, fn's non-zero return, or -1. */
int db_case_media_list(struct store *st, int64_t case_id, int (*fn)(void *arg, const struct db_case_media_row *m),
                       void *arg);

#endif
