/* handlers/jobs_visits.c - visit cadence: the directors' daily digest of
 * visits due and the supervisors' daily digest.
 *
 * Every registered child is in scope until it ages out (child_scope_end:
 * 16 for a left-behind child, 18 for a child in difficulty, the later for
 * both; configurable); a child past it is in no reminder and no digest.
 * When a visit falls due is visit_due_for's rule (visit_rule.h), the one the
 * coverage export and CX 待访 apply: the last counting visit (result 1, 2 or 3; a phone or
 * video contact, 4, does not reset the clock) plus visit_days, or
 * visit_days_high for a flagged child or after an XL visit; a child never
 * visited is due first_visit_days working days after registration.
 *
 * A child's period is its due date, and it is reminded twice in it: once
 * due (on the due date), once overdue (from overdue_days after it). A
 * child the job first finds already that late gets only the overdue
 * reminder: the two would say the same thing at the same time. Reminders
 * are digests: on a working day, at or after the digest time, each
 * director gets at most one SMS (visit_digest, or visit_digest_more when
 * more than three children are in it: their number and how to list them,
 * CX 待访) covering every child of their village whose reminder is due and
 * not yet given, overdue ones first; each child it covers is a digest item
 * "visit_due:<code>:<YYYY-MM-DD due>:<director phone>" (or
 * "visit_overdue:..."), so a child is in one digest per reminder and
 * period. A child whose reminder falls on a weekend, or whose director
 * has had their daily cap, is in the next working day's digest. Dedupe
 * key of the digest "visit_digest:<phone>:<YYYY-MM-DD>". Digests wait for
 * working hours.
 *
 * Once a day, at or after the digest time, every supervisor gets the
 * number of children in their town or county more than overdue_days
 * overdue, with the codes of the three most overdue; nothing when there
 * are none. Dedupe key "digest:<phone>:<YYYY-MM-DD>". These go out at
 * once, every day: the digest time is when they are wanted.
 */
#include "../core/calendar.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "intents.h"
#include "jobs_int.h"
#include "visit_rule.h"

#define DIGEST_CODES 3 /* codes a digest names; the rest are counted */

struct supervisor {
    char phone[24];
    char path[DB_PATH_MAX]; /* the town or county they cover */
    int count;              /* children in their area past the digest threshold */
    int ntop;
    struct {
        char code[8];
        int64_t late;    /* days past due */
    } top[DIGEST_CODES]; /* the most overdue, most overdue first, then by code */
};

struct visits_ctx {
    struct jobs_run *run;
    int digest;              /* 1: today's supervisors' digests are being built */
    struct supervisor *sups; /* owned */
    size_t nsups, cap;
    struct jobs_items items; /* the directors' digest items of this run */
};

static int add_supervisor(void *arg, const char *phone, const char *path)
{
    struct visits_ctx *x = arg;
    if (x->nsups == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 16;
        x->sups = gw_realloc(x->sups, x->cap * sizeof *x->sups);
    }
    struct supervisor *s = &x->sups[x->nsups++];
    memset(s, 0, sizeof *s);
    gw_strlcpy(s->phone, phone, sizeof s->phone);
    gw_strlcpy(s->path, path, sizeof s->path);
    return 0;
}

/* Counts a late child into the digest of every supervisor above its village. */
static void count_for_digest(struct visits_ctx *x, const struct db_job_child *c, int64_t late)
{
    for (size_t i = 0; i < x->nsups; i++) {
        struct supervisor *s = &x->sups[i];
        if (!db_path_under(c->village, s->path)) continue;
        s->count++;
        int at = s->ntop;
        while (at > 0 && s->top[at - 1].late < late) at--;
        if (at >= DIGEST_CODES) continue;
        int last = s->ntop < DIGEST_CODES ? s->ntop : DIGEST_CODES - 1;
        memmove(&s->top[at + 1], &s->top[at], (size_t)(last - at) * sizeof s->top[0]);
        gw_strlcpy(s->top[at].code, c->code, sizeof s->top[at].code);
        s->top[at].late = late;
        if (s->ntop < DIGEST_CODES) s->ntop++;
    }
}

static int child_row(void *arg, const struct db_job_child *c)
{
    struct visits_ctx *x = arg;
    struct jobs_run *run = x->run;
    const struct gw_policy *pol = run->env->pol;
    if (run->today >= child_scope_end(pol, c->birth_date, c->categories)) return 0; /* aged out */
    int64_t due = visit_due_for(pol, visit_high_cadence(c->flags, c->high_cadence), c->last_visit, c->created_at);
    if (due == CAL_NO_DAY || run->today < due) return 0;
    int64_t late = run->today - due;
    if (x->digest && late > pol->overdue_days) count_for_digest(x, c, late);
    if (!run->staff_digests) return 0;

    int overdue = late >= pol->overdue_days;
    const char *kind = overdue ? "visit_overdue" : "visit_due";
    char due_iso[11];
    cal_date_iso(due, due_iso, sizeof due_iso);
    if (strcmp(overdue ? c->overdue_done : c->due_done, due_iso) >= 0) return 0; /* every director reminded */
    const char *p = c->directors;
    while (*p) {
        size_t len = strcspn(p, ",");
        if (len > 0 && len < sizeof x->items.v[0].phone) {
            struct jobs_item *it = jobs_items_add(&x->items);
            memcpy(it->phone, p, len);
            it->phone[len] = '\0';
            gw_strlcpy(it->code, c->code, sizeof it->code);
            it->rank = (int)(late < 100000 ? late : 100000);
            it->flag = overdue;
            snprintf(it->key, sizeof it->key, "%s:%s:%s:%s", kind, c->code, due_iso, it->phone);
        }
        p += len;
        if (*p == ',') p++;
    }
    return 0;
}

/* One director's digest. */
static int make_digest(void *arg, struct jobs_run *run, const struct jobs_digest *d, const char *dedupe)
{
    (void)arg;
    int more = d->count > DIGEST_CODES;
    struct h_reply *r;
    int rc = jobs_add_capped(run, more ? "visit_digest_more" : "visit_digest", d->phone, H_REMINDER, dedupe, &r);
    if (rc != JOBS_ADDED) return rc;
    char codes[DIGEST_CODES][8], list[96];
    for (int k = 0; k < d->ncodes; k++) memcpy(codes[k], d->codes[k], sizeof codes[k]);
    jobs_codes_list(codes, d->ncodes, d->ncodes, 0, list, sizeof list);
    r->not_before = jobs_staff_time(run->env->pol, run->now);
    h_var_set(r, "count", "%d", d->count);
    h_var_set(r, "late", "%d", d->flagged);
    h_var_set(r, "list", "%s", list);
    return JOBS_ADDED;
}

static int send_digests(struct visits_ctx *x)
{
    struct jobs_run *run = x->run;
    for (size_t i = 0; i < x->nsups; i++) {
        struct supervisor *s = &x->sups[i];
        if (s->count == 0) continue;
        char dedupe[sizeof run->out->v[0].dedupe];
        snprintf(dedupe, sizeof dedupe, "digest:%.23s:%s", s->phone, run->today_iso);
        struct h_reply *r;
        int rc = jobs_add_capped(run, "supervisor_digest", s->phone, H_NOTICE, dedupe, &r);
        if (rc < 0) return -1;
        if (rc != JOBS_ADDED) continue;
        char codes[DIGEST_CODES][8], list[96];
        for (int k = 0; k < s->ntop; k++) memcpy(codes[k], s->top[k].code, sizeof codes[k]);
        jobs_codes_list(codes, s->ntop, s->count, 0, list, sizeof list);
        h_var_set(r, "count", "%d", s->count);
        h_var_set(r, "days", "%d", run->env->pol->overdue_days);
        h_var_set(r, "list", "%s", list);
    }
    return 0;
}

int jobs_visits(struct jobs_run *run)
{
    const struct gw_policy *pol = run->env->pol;
    struct visits_ctx x = {.run = run, .digest = jobs_digest_time(run)};
    int rc = 0;
    if (x.digest && db_jobs_staff(run->env->st, "supervisor", add_supervisor, &x) != 0) {
        rc = jobs_fail(run, "supervisors");
        goto end;
    }
    /* SQL bounds: a visit on or before these dates has made the child due;
     * a first visit cannot fall due sooner than this many days after
     * registration (working days are at least as long as calendar days). */
    char last_before[11], last_before_high[11];
    cal_date_iso(run->today - pol->visit_days, last_before, sizeof last_before);
    cal_date_iso(run->today - pol->visit_days_high, last_before_high, sizeof last_before_high);
    int first = pol->first_visit_days > 0                ? pol->first_visit_days
                : pol->visit_days < pol->visit_days_high ? pol->visit_days
                                                         : pol->visit_days_high;
    int64_t created_before = cal_local_midnight(run->today - first + 1);
    if (db_jobs_children_due(run->env->st, last_before, last_before_high, created_before, child_row, &x) != 0) {
        rc = jobs_fail(run, "children due");
        goto end;
    }
    if (x.digest && send_digests(&x) != 0) {
        rc = -1;
        goto end;
    }
    if (run->staff_digests && jobs_digests(run, &x.items, "visit_digest", make_digest, NULL) < 0) rc = -1;
end:
    jobs_items_free(&x.items);
    free(x.sups);
    return rc;
}
