/* db/store_jobs.h - the reads behind the policy engine's timed jobs
 * (handlers/jobs.c): unacknowledged P0/P1 cases, children whose visit is due, silent migrant parents, supervisors, and
 * the civil-affairs triage counts. Included by store.h; same conventions.
 *
 * Each listing is one statement over the whole table, not one per child:
 * the jobs run every few minutes over every child of the deployment. The
 * statements pre-filter in SQL with bounds the caller computes (dates and
 * times in the process time zone), so only rows that may be due come back;
 * the caller decides exactly. They also return the date inside the newest
 * dedupe key already written for the row, so a caller can skip rows whose
 * message for the current period exists without rendering it again (the
 * outbox's unique dedupe key remains the guarantee).
 *
 * Listings call fn once per row, in a stable order, with a row that is
 * valid only during the call. fn must not call store functions (the
 * statement is still running); it returns 0 to go on, non-zero to stop
 * (the listing then returns that value). Listings return 0, or -1 on a
 * database error (store_errmsg tells).
 */
#ifndef STORE_JOBS_H
#define STORE_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "store_domain.h"

struct store;

#define DB_JOB_DATE   11  /* "YYYY-MM-DD" and its NUL */
#define DB_JOB_PHONES 256 /* comma-separated E.164 phones, truncated at a whole phone */

/* ---- acknowledgement deadlines ---------------------------------------------- */

struct db_job_case {
    int64_t id;
    char number[DB_CASE_NO_MAX + 1];
    int category; /* 1-9 */
    int priority; /* 0 or 1 */
    int64_t opened_at;
    int64_t county_id;        /* 0 = no county */
    char county[DB_PATH_MAX]; /* the county's path, "" when none */
    char place[DB_PATH_MAX];  /* path of the case's most precise region, "" when none */
    int place_level;          /* that region's level (3 village), 0 when none */
    int realerts;             /* 'realerted' events so far: the last deadline already acted on (0-2) */
};

/* Cases still 'open' (never acknowledged, not closed) with priority 0
 * opened at or before p0_opened_before, or priority 1 opened at or before
 * p1_opened_before, that have fewer than two 'realerted' events; by id.
 * A case the flood rule held (cases.flood_of set) is listed only when it
 * was alerted itself (an 'alerted' event: it carried its run's summary),
 * so a run of held cases escalates as one. */
int db_jobs_unacked_cases(struct store *st, int64_t p0_opened_before, int64_t p1_opened_before,
                          int (*fn)(void *arg, const struct db_job_case *c), void *arg);

/* ---- visit cadence ------------------------------------------------------------ */

struct db_job_child {
    int64_t id;
    char code[8];                   /* 7 digits */
    int high;                       /* 1: flagged or moved to the high cadence (after XL) */
    int64_t created_at;             /* registration */
    char last_visit[DB_JOB_DATE];   /* newest visit date with result 1-3, "" when none */
    char village[DB_PATH_MAX];      /* the child's region path */
    char directors[DB_JOB_PHONES];  /* the village's directors, "+86...,+86...", "" when none */
    char due_sent[DB_JOB_DATE];     /* due date in the newest "visit_due:<code>:" key, "" none */
    char overdue_sent[DB_JOB_DATE]; /* due date in the newest "visit_overdue:<code>:" key, "" none */
};

/* Children that may be due: with a counting visit (result 1-3) dated on or
 * before last_before (normal cadence) or last_before_high (high cadence),
 * or with none and registered before created_before; by code. */
int db_jobs_children_due(struct store *st, const char *last_before, const char *last_before_high,
                         int64_t created_before, int (*fn)(void *arg, const struct db_job_child *c), void *arg);

/* Staff of a role (director|supervisor|responder|admin), with their
 * region's path; by phone. */
int db_jobs_staff(struct store *st, const char *role, int (*fn)(void *arg, const char *phone, const char *region_path),
                  void *arg);

/* ---- parent contact ---------------------------------------------------------- */

struct db_job_guardian {
    int64_t id;
    char phone[24];                /* E.164 */
    int64_t last_contact;          /* newest check-in, else the guardian's registration */
    char remind_sent[DB_JOB_DATE]; /* date in the newest "checkin_remind:<id>:" key, "" none */
    char silent_sent[DB_JOB_DATE]; /* date in the newest "checkin_silent:<id>:" key, "" none */
};

/* Guardians linked to at least one child as away (migrant parent) whose
 * last contact is before `before`; by id. */
int db_jobs_silent_guardians(struct store *st, int64_t before, int (*fn)(void *arg, const struct db_job_guardian *g),
                             void *arg);

/* The directors of the villages of the children a guardian is linked to as
 * away: one call per (director, child), by director phone then code. */
int db_jobs_guardian_directors(struct store *st, int64_t guardian_id,
                               int (*fn)(void *arg, const char *director, const char *code), void *arg);

/* ---- triage ---------------------------------------------------------------- */

/* For every civil-affairs responder registered at a county, the number of
 * that county's cases still 'open' that are unclassified or P3 (only
 * responders with at least one); by phone. */
int db_jobs_triage_counts(struct store *st, int (*fn)(void *arg, const char *phone, int count), void *arg);

#endif
