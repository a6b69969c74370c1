/* core/store_jobs.h - the reads behind the policy engine's timed jobs
 * (handlers/jobs.c): unacknowledged P0/P1 and triage cases, children whose
 * visit is due, silent migrant parents and their children, supervisors,
 * the civil-affairs triage counts, what each digest already covered, and
 * how many reminders and notices a recipient got today. The rules applied
 * to these rows (when a visit falls due, when a child ages out) are the
 * domain's (handlers/visit_rule.h). Included by store.h; same conventions.
 *
 * Each listing is one statement over the whole table, not one per child:
 * the jobs run every few minutes over every child of the deployment. The
 * statements pre-filter in SQL with bounds the caller computes (dates and
 * times in the process time zone), so only rows that may be due come back;
 * the caller decides exactly. They also return how far the digests have
 * already covered the row (the period date inside the newest digest item
 * of every recipient), so a caller can skip rows whose current period is
 * done without a look-up per row.
 *
 * Listings call fn once per row, in a stable order, with a row that is
 * valid only during the call. fn must not call store functions (the
 * statement is still running); it returns 0 to go on, non-zero to stop
 * (the listing then returns that value). Listings return 0, or -1 on a
 * database error (store_errmsg tells).
 *
 * Digest items. Reminders are digests (one SMS per recipient and day
 * listing children), but the promise stays "one reminder per child per
 * period": every child (or silent parent) a digest covers is a digest_item
 * row whose key is that period's key, e.g. "visit_due:<code>:<due date>:
 * <director phone>". A child whose key exists was reminded; one left out
 * (the recipient's daily cap was reached) has none and goes into the next
 * digest.
 */
#ifndef STORE_JOBS_H
#define STORE_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "store_domain.h"

struct store;

#define DB_JOB_DATE   11  /* "YYYY-MM-DD" and its NUL */
#define DB_JOB_PHONES 256 /* comma-separated E.164 phones, truncated at a whole phone */
#define DB_JOB_CATS   64  /* a child's categories, "left_behind|difficulty" */

/* ---- acknowledgement deadlines ---------------------------------------------- */

struct db_job_case {
    int64_t id;
    char number[DB_CASE_NO_MAX + 1];
    int category; /* 1-9 */
    int priority; /* 0-3 (2 and 3 only for triage cases) */
    int triage;   /* 1: unclassified and alerted to civil-affairs triage (a 'triage' alert), not yet classified */
    int phase;    /* 'classified' events so far: 0 as opened, k after the k-th classification by triage */
    int64_t opened_at;
    int64_t since;            /* the deadlines' start: the last 'classified' event, else opened_at */
    int64_t county_id;        /* 0 = no county */
    char county[DB_PATH_MAX]; /* the county's path, "" when none */
    char place[DB_PATH_MAX];  /* path of the case's most precise region, "" when none */
    int place_level;          /* that region's level (3 village), 0 when none */
    int realerts;             /* 'realerted' events since `since`: the last deadline already acted on (0-2) */
};

/* Cases still 'open' (never acknowledged, not closed) whose deadlines
 * started (`since`) at or before p0_since for priority 0, or at or before
 * p1_since for priority 1 and for triage cases (an unclassified case has
 * the P1 deadline), with fewer than two 'realerted' events since; by id.
 * A case the flood rule held (cases.flood_of set) is listed only when it
 * was alerted itself (an 'alerted' event: it carried its run's summary),
 * so a run of held cases escalates as one. */
int db_jobs_unacked_cases(struct store *st, int64_t p0_since, int64_t p1_since,
                          int (*fn)(void *arg, const struct db_job_case *c), void *arg);

/* ---- visit cadence ------------------------------------------------------------ */

struct db_job_child {
    int64_t id;
    char code[8];                   /* 7 digits */
    char flags[DB_JOB_CATS];        /* parent_disabled|child_disabled|psych, "" when none */
    int high_cadence;               /* 1: moved to the high cadence (after XL) */
    int64_t created_at;             /* registration */
    char birth_date[DB_JOB_DATE];   /* YYYY-MM-DD */
    char categories[DB_JOB_CATS];   /* left_behind|difficulty|orphan|unsupported */
    char last_visit[DB_JOB_DATE];   /* newest visit date with result 1-3, "" when none */
    char village[DB_PATH_MAX];      /* the child's region path */
    char directors[DB_JOB_PHONES];  /* the village's directors, "+86...,+86...", "" when none */
    char due_done[DB_JOB_DATE];     /* the oldest, over the village's directors, of the due date in their
                                       newest "visit_due:<code>:" item; "" when one has none */
    char overdue_done[DB_JOB_DATE]; /* the same for "visit_overdue:<code>:" */
};

/* Children that may be due: with a counting visit (result 1-3) dated on or
 * before last_before (the bound for the normal cadence) or last_before_high
 * (for the high cadence), whichever is later, or with none and registered
 * before created_before; by code. Which cadence a child is on, when it is
 * due exactly and whether it has aged out are the caller's rules
 * (handlers/visit_rule.h): this is a superset. */
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
    char remind_sent[DB_JOB_DATE]; /* date in the newest "checkin_remind:<id>:" outbox key, "" none */
    char silent_done[DB_JOB_DATE]; /* the oldest, over the directors of the villages of the children the
                                      guardian is away from, of the date in their newest
                                      "checkin_silent:<id>:" item; "" when one has none */
};

/* Guardians linked to at least one child as away (migrant parent) whose
 * last contact is before `before`; by id. */
int db_jobs_silent_guardians(struct store *st, int64_t before, int (*fn)(void *arg, const struct db_job_guardian *g),
                             void *arg);

/* A child a guardian is linked to as away, with what the jobs need. */
struct db_job_ward {
    char code[8];
    char birth_date[DB_JOB_DATE];
    char categories[DB_JOB_CATS];
    char directors[DB_JOB_PHONES]; /* the child's village's directors, "+86...,+86...", "" when none */
};

/* The children a guardian is linked to as away; by code. */
int db_jobs_guardian_wards(struct store *st, int64_t guardian_id, int (*fn)(void *arg, const struct db_job_ward *w),
                           void *arg);

/* ---- digests and the daily cap ------------------------------------------------- */

/* 1 when the digest item key exists (its child or parent was in a digest
 * to that recipient for that period), 0 when not, -1. */
int db_digest_item_exists(struct store *st, const char *key);
/* Records that the digest whose outbox dedupe key is `digest` covered the
 * item key for recipient (a second call with the same key changes
 * nothing). 0, -1. */
int db_digest_item_add(struct store *st, const char *key, const char *recipient, const char *digest, int64_t now);

/* How many of the reminders and notices the timed jobs cap (the daily
 * digests "visit_digest:", "silent_digest:", "digest:" and "triage:"
 * <phone>:<day>, and a parent's "checkin_remind:" reminder written within
 * [day_start, day_end)) phone has been sent on the local day day_iso
 * (YYYY-MM-DD). Alerts, replies and case notices are never counted. The
 * count, or -1. */
int db_jobs_capped_today(struct store *st, const char *phone, const char *day_iso, int64_t day_start, int64_t day_end);

/* ---- triage ---------------------------------------------------------------- */

/* For every civil-affairs responder registered at a county, the number of
 * that county's cases still 'open' that are unclassified or P3 (only
 * responders with at least one); by phone. */
int db_jobs_triage_counts(struct store *st, int (*fn)(void *arg, const char *phone, int count), void *arg);

#endif
