/* handlers/jobs_checkins.c - parent contact: reminders to silent migrant
 * parents and the directors' daily digest of parents who stay silent
 * (Minor Protection Law Art. 23: contact at least weekly).
 *
 * A guardian linked to a child as away (a migrant parent) is silent since
 * the local day of their last check-in, for any child and with any status,
 * or since their registration when they never checked in. Only children
 * still in scope count (child_scope_end): a parent whose children have
 * all aged out is reminded of nothing. Once checkin_days whole days have
 * passed without a check-in (the day of the last one not counted) they get
 * checkin_reminder, once per silence (dedupe key
 * "checkin_remind:<guardian id>:<YYYY-MM-DD the silence began>"). Once
 * checkin_escalate_days have, each director of the villages of the
 * children they are away from is told, once per silence: in a digest, one
 * SMS a working day at or after the digest time (checkin_silent_digest),
 * listing the children whose parents went silent (three codes and how
 * many in all), each covered as the digest item
 * "checkin_silent:<guardian id>:<YYYY-MM-DD>:<director phone>". A check-in
 * ends the silence; the next one is a new period. Dedupe key of the digest
 * "silent_digest:<phone>:<YYYY-MM-DD>". What a recipient's daily cap holds
 * back comes in the next digest (or, for a parent's reminder, the next
 * day).
 *
 * The reminder row is written even for a number that opted out: the sender
 * suppresses reminders to opted-out numbers (status "suppressed"), which
 * keeps the record that one was due. Reminders go out in the daytime on
 * any day; the directors' digests in working hours.
 */
#include "../core/calendar.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "intents.h"
#include "jobs_int.h"
#include "visit_rule.h"

struct guardian_list {
    struct db_job_guardian *v; /* owned */
    size_t n, cap;
};

static int collect_guardian(void *arg, const struct db_job_guardian *g)
{
    struct guardian_list *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = gw_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = *g;
    return 0;
}

struct ward_list {
    struct db_job_ward *v; /* owned */
    size_t n, cap;
};

static int collect_ward(void *arg, const struct db_job_ward *w)
{
    struct ward_list *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = gw_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = *w;
    return 0;
}

/* The items of a silent guardian's notice: one per in-scope child and director. */
static void add_items(struct jobs_items *items, const struct db_job_guardian *g, const char *since, int64_t silent,
                      const struct db_job_ward *w)
{
    const char *p = w->directors;
    while (*p) {
        size_t len = strcspn(p, ",");
        if (len > 0 && len < sizeof items->v[0].phone) {
            struct jobs_item *it = jobs_items_add(items);
            memcpy(it->phone, p, len);
            it->phone[len] = '\0';
            gw_strlcpy(it->code, w->code, sizeof it->code);
            it->rank = (int)(silent < 100000 ? silent : 100000);
            snprintf(it->key, sizeof it->key, "checkin_silent:%lld:%s:%s", (long long)g->id, since, it->phone);
        }
        p += len;
        if (*p == ',') p++;
    }
}

static int check_guardian(struct jobs_run *run, const struct db_job_guardian *g, struct jobs_items *items)
{
    const struct gw_policy *pol = run->env->pol;
    int64_t began = cal_local_day(g->last_contact);
    if (began == CAL_NO_DAY) return 0;
    int64_t silent = run->today - began;
    char since[11];
    cal_date_iso(began, since, sizeof since);
    int remind = silent > pol->checkin_days && strcmp(g->remind_sent, since) != 0;
    int notice = run->staff_digests && silent > pol->checkin_escalate_days && strcmp(g->silent_done, since) < 0;
    if (!remind && !notice) return 0;

    struct ward_list w = {0};
    if (db_jobs_guardian_wards(run->env->st, g->id, collect_ward, &w) != 0) {
        free(w.v);
        return jobs_fail(run, "children of a silent parent");
    }
    int in_scope = 0, rc = 0;
    for (size_t i = 0; i < w.n; i++) {
        if (run->today >= child_scope_end(pol, w.v[i].birth_date, w.v[i].categories)) continue;
        in_scope++;
        if (notice) add_items(items, g, since, silent, &w.v[i]);
    }
    free(w.v);
    if (remind && in_scope) {
        char dedupe[sizeof run->out->v[0].dedupe];
        snprintf(dedupe, sizeof dedupe, "checkin_remind:%lld:%s", (long long)g->id, since);
        struct h_reply *r;
        rc = jobs_add_capped(run, "checkin_reminder", g->phone, H_REMINDER, dedupe, &r);
        if (rc == JOBS_ADDED) {
            r->not_before = jobs_daytime(pol, run->now);
            h_var_set(r, "days", "%lld", (long long)silent);
        }
    }
    return rc < 0 ? -1 : 0;
}

/* One director's digest. */
static int make_digest(void *arg, struct jobs_run *run, const struct jobs_digest *d, const char *dedupe)
{
    (void)arg;
    struct h_reply *r;
    int rc = jobs_add_capped(run, "checkin_silent_digest", d->phone, H_NOTICE, dedupe, &r);
    if (rc != JOBS_ADDED) return rc;
    char codes[3][8], list[96];
    for (int k = 0; k < d->ncodes; k++) memcpy(codes[k], d->codes[k], sizeof codes[k]);
    jobs_codes_list(codes, d->ncodes, d->count, 0, list, sizeof list);
    r->not_before = jobs_staff_time(run->env->pol, run->now);
    h_var_set(r, "count", "%d", d->count);
    h_var_set(r, "days", "%d", run->env->pol->checkin_escalate_days);
    h_var_set(r, "list", "%s", list);
    return JOBS_ADDED;
}

int jobs_checkins(struct jobs_run *run)
{
    const struct gw_policy *pol = run->env->pol;
    struct guardian_list l = {0};
    struct jobs_items items = {0};
    /* checkin_days whole days without a check-in: the last contact was
     * before the start of the day checkin_days ago. */
    int64_t before = cal_local_midnight(run->today - pol->checkin_days);
    int rc = db_jobs_silent_guardians(run->env->st, before, collect_guardian, &l);
    if (rc != 0) rc = jobs_fail(run, "silent parents");
    for (size_t i = 0; rc == 0 && i < l.n; i++) rc = check_guardian(run, &l.v[i], &items);
    if (rc == 0 && run->staff_digests && jobs_digests(run, &items, "silent_digest", make_digest, NULL) < 0) rc = -1;
    jobs_items_free(&items);
    free(l.v);
    return rc;
}
