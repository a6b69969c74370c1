/* handlers/jobs_checkins.c - parent contact: reminders to silent migrant
 * parents and the director's notice when they stay silent (DESIGN §7;
 * Minor Protection Law Art. 23: contact at least weekly).
 *
 * A guardian linked to a child as away (a migrant parent) is silent since
 * the local day of their last check-in, for any child and with any status,
 * or since their registration when they never checked in. Once
 * checkin_days whole days have passed without a check-in (the day of the
 * last one not counted) they get checkin_reminder, once per silence; once
 * checkin_escalate_days have, the directors of the villages of the
 * children they are away from get checkin_silent_director, naming those
 * children's codes, once per silence. A check-in ends the
 * silence; the next one is a new period. Dedupe keys:
 * "checkin_remind:<guardian id>:<YYYY-MM-DD the silence began>" and
 * "checkin_silent:<guardian id>:<YYYY-MM-DD>:<director phone>".
 *
 * The reminder row is written even for a number that opted out: the sender
 * suppresses reminders to opted-out numbers (status "suppressed"), which
 * keeps the record that one was due. Reminders go out in the daytime on
 * any day; the directors' notices in working hours.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../gateway/util.h"
#include "intents.h"
#include "jobs_int.h"

#define NOTICE_CODES 2 /* codes a notice names; the rest are counted */

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

struct pair {
    char director[24];
    char code[8];
};

struct pair_list {
    struct pair *v; /* owned */
    size_t n, cap;
};

static int collect_pair(void *arg, const char *director, const char *code)
{
    struct pair_list *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = gw_realloc(l->v, l->cap * sizeof *l->v);
    }
    gw_strlcpy(l->v[l->n].director, director, sizeof l->v[l->n].director);
    gw_strlcpy(l->v[l->n].code, code, sizeof l->v[l->n].code);
    l->n++;
    return 0;
}

/* One notice per director of the silent guardian's children's villages. */
static int tell_directors(struct jobs_run *run, const struct db_job_guardian *g, const char *since, int64_t silent)
{
    struct pair_list l = {0};
    if (db_jobs_guardian_directors(run->env->st, g->id, collect_pair, &l) != 0) {
        free(l.v);
        return jobs_fail(run, "directors of a silent parent");
    }
    int64_t not_before = jobs_staff_time(run->env->pol, run->now);
    /* Rows come by director, then code. */
    for (size_t i = 0; i < l.n;) {
        size_t j = i;
        char codes[NOTICE_CODES][8], list[64];
        int n = 0;
        for (; j < l.n && strcmp(l.v[j].director, l.v[i].director) == 0; j++)
            if (n < NOTICE_CODES) memcpy(codes[n++], l.v[j].code, sizeof codes[0]);
        jobs_codes_list(codes, n, (int)(j - i), 1, list, sizeof list);
        struct h_reply *r = h_replies_add(run->out, "checkin_silent_director", l.v[i].director, H_NOTICE);
        r->not_before = not_before;
        snprintf(r->dedupe, sizeof r->dedupe, "checkin_silent:%lld:%s:%.23s", (long long)g->id, since, l.v[i].director);
        h_var_set(r, "codes", "%s", list);
        h_var_set(r, "days", "%lld", (long long)silent);
        i = j;
    }
    free(l.v);
    return 0;
}

static int check_guardian(struct jobs_run *run, const struct db_job_guardian *g)
{
    const struct gw_policy *pol = run->env->pol;
    int64_t began = jobs_day_of(g->last_contact);
    if (began == JOBS_NO_DAY) return 0;
    int64_t silent = run->today - began;
    char since[11];
    jobs_day_iso(began, since, sizeof since);
    if (silent > pol->checkin_days && strcmp(g->remind_sent, since) != 0) {
        struct h_reply *r = h_replies_add(run->out, "checkin_reminder", g->phone, H_REMINDER);
        r->not_before = jobs_daytime(pol, run->now);
        snprintf(r->dedupe, sizeof r->dedupe, "checkin_remind:%lld:%s", (long long)g->id, since);
        h_var_set(r, "days", "%lld", (long long)silent);
    }
    if (silent > pol->checkin_escalate_days && strcmp(g->silent_sent, since) != 0)
        return tell_directors(run, g, since, silent);
    return 0;
}

int jobs_checkins(struct jobs_run *run)
{
    const struct gw_policy *pol = run->env->pol;
    struct guardian_list l = {0};
    /* checkin_days whole days without a check-in: the last contact was
     * before the start of the day checkin_days ago. */
    int64_t before = jobs_day_start(run->today - pol->checkin_days);
    int rc = db_jobs_silent_guardians(run->env->st, before, collect_guardian, &l);
    if (rc != 0) rc = jobs_fail(run, "silent parents");
    for (size_t i = 0; rc == 0 && i < l.n; i++) rc = check_guardian(run, &l.v[i]);
    free(l.v);
    return rc;
}
