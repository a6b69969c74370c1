/* handlers/jobs_int.h - what the timed jobs (jobs.c, jobs_cases.c,
 * jobs_visits.c, jobs_checkins.c) share: the run's context, calendar days
 * in the process time zone, when a non-urgent message may go out, the
 * daily cap, and building digests. Not for use outside handlers/ (tests
 * excepted).
 *
 * Calendar days are day numbers: days since 1970-01-01 of the local
 * calendar date, so "due + 7" and "today - last" are plain integer
 * arithmetic with no DST or mktime normalisation in between. Only the
 * conversions from and to unix time (cal_local_day, cal_local_midnight in
 * core/calendar.h) consult the time zone.
 */
#ifndef JOBS_INT_H
#define JOBS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "../core/calendar.h"
#include "handler.h"

struct jobs_tally; /* capped messages written in this run, by recipient (jobs.c) */

/* One run of jobs_run at `now`. */
struct jobs_run {
    const struct h_env *env;
    int64_t now;              /* unix seconds */
    int64_t today;            /* local day number of now */
    int64_t day_start;        /* unix time of today's local midnight */
    int64_t day_end;          /* ... and of tomorrow's */
    int minute;               /* local minute of the day of now, 0-1439 */
    char today_iso[11];       /* today as YYYY-MM-DD */
    int staff_digests;        /* 1: the directors' digests are built at this run (jobs_staff_digest_time) */
    struct h_replies *out;    /* where messages go */
    struct jobs_tally *tally; /* owned by jobs_run */
    char *err;                /* caller's error buffer */
    size_t errlen;
};

/* The jobs; each returns 0, or -1 with run->err set. */
int jobs_realert(struct jobs_run *run);  /* jobs_cases.c: acknowledgement deadlines */
int jobs_triage(struct jobs_run *run);   /* jobs_cases.c: civil-affairs triage digest */
int jobs_visits(struct jobs_run *run);   /* jobs_visits.c: due/overdue reminders, supervisors' digest */
int jobs_checkins(struct jobs_run *run); /* jobs_checkins.c: silent parents */

/* The run's count of capped messages by recipient: jobs_run makes one per
 * run and frees it (NULL is a no-op). */
struct jobs_tally *jobs_tally_new(void);
void jobs_tally_free(struct jobs_tally *t);

/* Sets run->err from the store's last error with a prefix; returns -1. */
int jobs_fail(struct jobs_run *run, const char *what);

/* ---- calendar days -------------------------------------------------------- */

/* Day numbers, local days and working days: core/calendar.h. */
/* "2024年3月15日" of a day number (at least 24 bytes). */
void jobs_day_zh(int64_t day, char *out, size_t outlen);

/* ---- when non-urgent messages go out ---------------------------------------- */

/* not_before for a message to staff: 0 inside working hours, else the next
 * start of working hours (h_next_work_time). */
int64_t jobs_staff_time(const struct gw_policy *pol, int64_t now);
/* not_before for a message to a parent: 0 between work_start and work_end
 * local time on any day, else the next work_start: parents are not office
 * workers, but nobody is woken at night. */
int64_t jobs_daytime(const struct gw_policy *pol, int64_t now);
/* 1 when today's daily digests are due at this run: at or after the local
 * digest_minute (every day; a run that first gets there late, after a
 * stop, still sends the day's digest, and the next day's covers what
 * follows). */
int jobs_digest_time(const struct jobs_run *run);

/* 1 when the directors' daily digests (visits due, silent parents) are
 * built at this run: a working day, at or after the digest time and before
 * the end of working hours, so that a digest goes out the day it is
 * built; what falls due on other days waits for the next such run. */
int jobs_staff_digest_time(const struct jobs_run *run);

/* The n codes joined with "、"; when there are more in all (total > n),
 * followed by "等<total>名" (with_total) or "等". */
void jobs_codes_list(char (*codes)[8], int n, int total, int with_total, char *out, size_t outlen);

/* ---- the daily cap ------------------------------------------------------------- */

enum jobs_add { JOBS_ADDED = 0, JOBS_QUEUED = 1, JOBS_CAPPED = 2 };

/* Adds a reminder or notice of the timed jobs (every one of them: digests
 * and parents' reminders; alerts are never capped) to run->out, unless the
 * message with this dedupe key was queued already (JOBS_QUEUED) or phone
 * has had [policy] daily_cap of them on this local day, this run's
 * included (JOBS_CAPPED: the caller leaves what it would have said for the
 * next day's digest). JOBS_ADDED with *r set; -1 with run->err on a store
 * error. */
int jobs_add_capped(struct jobs_run *run, const char *tmpl, const char *phone, enum h_kind kind, const char *dedupe,
                    struct h_reply **r);

/* ---- digests -------------------------------------------------------------------- */

/* One child (or silent parent) a digest would cover for one recipient:
 * key is its period's digest item key (store_jobs.h). */
struct jobs_item {
    char phone[24]; /* recipient */
    char code[8];   /* child code */
    int rank;       /* orders a digest's codes: higher first (e.g. days overdue) */
    int flag;       /* counted apart in the digest (e.g. overdue) */
    char key[96];   /* digest item key */
};

struct jobs_items {
    struct jobs_item *v; /* owned */
    size_t n, cap;
};

/* Appends an item; never NULL. */
struct jobs_item *jobs_items_add(struct jobs_items *l);
void jobs_items_free(struct jobs_items *l);

/* What one recipient's digest says, for the caller to fill its template. */
struct jobs_digest {
    const char *phone;
    int count;        /* distinct children */
    int flagged;      /* of which flagged */
    char codes[3][8]; /* the first codes by rank, then code */
    int ncodes;
};

/* Builds one digest per recipient from items: drops the items whose key
 * exists already (covered by an earlier digest), groups the rest by
 * recipient, and for each calls make(arg, run, digest, dedupe) with the
 * digest's dedupe key "<prefix>:<phone>:<today>"; make adds the message
 * (jobs_add_capped) and returns JOBS_ADDED, JOBS_QUEUED, JOBS_CAPPED or -1.
 * The items of an added digest are recorded as covered; the others stay
 * for the next one. Returns the number of digests added, or -1. */
int jobs_digests(struct jobs_run *run, struct jobs_items *items, const char *prefix,
                 int (*make)(void *arg, struct jobs_run *run, const struct jobs_digest *d, const char *dedupe),
                 void *arg);

#endif
