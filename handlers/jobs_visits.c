/* handlers/jobs_visits.c - visit cadence: the directors' due and overdue
 * reminders and the supervisors' daily digest (DESIGN §7; reference/
 * domain.md R4.2, R4.3).
 *
 * Every registered child is in scope. A child's visit falls due on the
 * date of its last counting visit (result 1, 2 or 3; a phone or video
 * contact, 4, does not reset the clock) plus visit_days, or visit_days_high
 * when the child is flagged or was moved to the high cadence by an XL
 * visit. With no counting visit yet, the first visit falls due
 * first_visit_days working days after registration (work_days; 0 turns the
 * rule off and the cadence runs from the registration date).
 *
 * On the due date the village's directors get visit_due, once; from
 * overdue_days after it, visit_overdue, once. A child the job first finds
 * already that late (the process was down) gets only the overdue reminder:
 * the two would say the same thing at the same time. A period is a due
 * date, so a new counting visit starts a new one. Dedupe keys:
 * "visit_due:<code>:<YYYY-MM-DD due>:<director phone>" and
 * "visit_overdue:<code>:<due>:<director phone>". Reminders wait for working
 * hours.
 *
 * Once a day, at or after the digest time, every supervisor
 * gets the number of children in their town or county more than
 * overdue_days overdue, with the codes of the three most overdue; nothing
 * when there are none. Dedupe key "digest:<phone>:<YYYY-MM-DD>". Digests
 * go out at once: the digest time is when they are wanted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../gateway/util.h"
#include "intents.h"
#include "jobs_int.h"

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
    int64_t not_before;      /* for the reminders of this run */
    int digest;              /* 1: today's digests are being built */
    struct supervisor *sups; /* owned */
    size_t nsups, cap;
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

/* The child's due date as a day number, or JOBS_NO_DAY when it has none. */
static int64_t due_day(const struct gw_policy *pol, const struct db_job_child *c)
{
    int cadence = c->high ? pol->visit_days_high : pol->visit_days;
    int64_t day;
    if (c->last_visit[0]) return jobs_day_parse(c->last_visit, &day) == 0 ? day + cadence : JOBS_NO_DAY;
    day = jobs_day_of(c->created_at);
    if (day == JOBS_NO_DAY) return JOBS_NO_DAY;
    if (pol->first_visit_days <= 0) return day + cadence;
    return jobs_add_work_days(day, pol->first_visit_days, pol->work_days);
}

static int child_row(void *arg, const struct db_job_child *c)
{
    struct visits_ctx *x = arg;
    struct jobs_run *run = x->run;
    const struct gw_policy *pol = run->env->pol;
    int64_t due = due_day(pol, c);
    if (due == JOBS_NO_DAY || run->today < due) return 0;
    int64_t late = run->today - due;
    if (x->digest && late > pol->overdue_days) count_for_digest(x, c, late);

    int overdue = late >= pol->overdue_days;
    const char *tmpl = overdue ? "visit_overdue" : "visit_due";
    char due_iso[11], due_zh[32];
    jobs_day_iso(due, due_iso, sizeof due_iso);
    if (strcmp(overdue ? c->overdue_sent : c->due_sent, due_iso) == 0) return 0; /* already reminded */
    jobs_day_zh(due, due_zh, sizeof due_zh);
    const char *p = c->directors;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char phone[24];
        if (len > 0 && len < sizeof phone) {
            memcpy(phone, p, len);
            phone[len] = '\0';
            struct h_reply *r = h_replies_add(run->out, tmpl, phone, H_REMINDER);
            r->not_before = x->not_before;
            snprintf(r->dedupe, sizeof r->dedupe, "%s:%s:%s:%s", tmpl, c->code, due_iso, phone);
            h_var_set(r, "code", "%s", c->code);
            h_var_set(r, "date", "%s", due_zh);
            if (overdue) h_var_set(r, "days", "%d", pol->overdue_days);
        }
        p += len;
        if (*p == ',') p++;
    }
    return 0;
}

static void send_digests(struct visits_ctx *x)
{
    struct jobs_run *run = x->run;
    for (size_t i = 0; i < x->nsups; i++) {
        struct supervisor *s = &x->sups[i];
        if (s->count == 0) continue;
        char codes[DIGEST_CODES][8], list[96];
        for (int k = 0; k < s->ntop; k++) memcpy(codes[k], s->top[k].code, sizeof codes[k]);
        jobs_codes_list(codes, s->ntop, s->count, 0, list, sizeof list);
        struct h_reply *r = h_replies_add(run->out, "supervisor_digest", s->phone, H_NOTICE);
        snprintf(r->dedupe, sizeof r->dedupe, "digest:%.23s:%s", s->phone, run->today_iso);
        h_var_set(r, "count", "%d", s->count);
        h_var_set(r, "days", "%d", run->env->pol->overdue_days);
        h_var_set(r, "list", "%s", list);
    }
}

int jobs_visits(struct jobs_run *run)
{
    const struct gw_policy *pol = run->env->pol;
    struct visits_ctx x = {.run = run, .not_before = jobs_staff_time(pol, run->now), .digest = jobs_digest_time(run)};
    int rc = 0;
    if (x.digest && db_jobs_staff(run->env->st, "supervisor", add_supervisor, &x) != 0) {
        rc = jobs_fail(run, "supervisors");
        goto end;
    }
    /* SQL bounds: a visit on or before these dates has made the child due;
     * a first visit cannot fall due sooner than this many days after
     * registration (working days are at least as long as calendar days). */
    char last_before[11], last_before_high[11];
    jobs_day_iso(run->today - pol->visit_days, last_before, sizeof last_before);
    jobs_day_iso(run->today - pol->visit_days_high, last_before_high, sizeof last_before_high);
    int first = pol->first_visit_days > 0                ? pol->first_visit_days
                : pol->visit_days < pol->visit_days_high ? pol->visit_days
                                                         : pol->visit_days_high;
    int64_t created_before = jobs_day_start(run->today - first + 1);
    if (db_jobs_children_due(run->env->st, last_before, last_before_high, created_before, child_row, &x) != 0) {
        rc = jobs_fail(run, "children due");
        goto end;
    }
    if (x.digest) send_digests(&x);
end:
    free(x.sups);
    return rc;
}
