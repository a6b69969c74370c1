/* handlers/jobs_cases.c - the case jobs: acknowledgement deadlines and the
 * civil-affairs triage digest.
 *
 * Deadlines. A P0/P1 case still 'open' (nobody acknowledged it, nobody
 * closed it) at since + ack_minutes_pN has missed its first deadline
 * (since: its opening, or the last time triage classified it, which
 * starts its deadlines afresh): the alert (case_alert, the same text the
 * responders got) is sent again to the responders it went to, chosen as
 * the first alert chooses them (h_alert_recipients over the case's stored
 * departments), and to the county duty contact. At since + 2 x
 * ack_minutes it has missed the second: the same people get it once more
 * and the city contact, when the county has one, is added. An
 * unclassified case alerted to triage (h_triage_alert) has the P1
 * deadlines: its re-alerts are triage_alert, to the county's civil-affairs
 * triage (h_triage_recipients) and the same contacts. Each level is a
 * 'realerted' case event, and the number of those events since `since` is
 * what the job reads back, so a level is acted on once however often the
 * job runs. A run that finds a case past both deadlines at once (the
 * process was down) sends the second level only, to everybody it covers,
 * and records both events. Dedupe keys: "realert:<case number>:<level>:
 * <phone>", and "realert:<case number>#<k>:<level>:<phone>" after the k-th
 * classification.
 *
 * Held runs. Cases that one number's flood of reports put on hold
 * (handlers/report.c) were never alerted one by one, and must not each
 * page the responders at their deadline: a run is escalated in aggregate,
 * through the held case that carried the run's summary to those
 * recipients (it has an 'alerted' event, and only such held cases are
 * listed by db_jobs_unacked_cases). Acknowledging that case stops the
 * run's re-alerts; every held case can still be acknowledged or closed on
 * its own, and stays open in the dashboard and exports until it is.
 *
 * Triage digest. Once a day, at or after the digest time, each civil-
 * affairs responder registered at a county gets the number of that
 * county's open cases that are unclassified or P3; nothing when there are
 * none. It counts against the daily cap. Dedupe key
 * "triage:<phone>:<YYYY-MM-DD>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "deadline.h"
#include "intents.h"
#include "jobs_int.h"
#include "routing.h"

#define MAX_RECIPIENTS 64 /* phones one re-alert reaches at most */

struct case_list {
    struct db_job_case *v; /* owned */
    size_t n, cap;
};

static int collect_case(void *arg, const struct db_job_case *c)
{
    struct case_list *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = gw_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = *c;
    return 0;
}

/* What alerts call the place: the village's name, else the county's. */
static void case_place(const struct db_job_case *c, char *out, size_t outlen)
{
    const char *slash = strrchr(c->place, '/');
    if (c->place_level == 3)
        gw_strlcpy(out, slash ? slash + 1 : c->place, outlen);
    else
        gw_strlcpy(out, c->county[0] ? c->county : "未定", outlen);
}

/* Appends phone to phones[*n] unless it is NULL, empty or already there. */
static void add_phone(char (*phones)[DB_PHONE_LEN], int *n, const char *phone)
{
    if (!phone || !*phone || *n >= MAX_RECIPIENTS) return;
    for (int i = 0; i < *n; i++)
        if (strcmp(phones[i], phone) == 0) return;
    gw_strlcpy(phones[(*n)++], phone, DB_PHONE_LEN);
}

/* The county's contact for a deadline level: 1 the duty contact, 2 the
 * city contact; NULL when the county has none configured. */
static const char *county_contact(const struct gw_policy *pol, const char *county, int level)
{
    const struct gw_county *c = routing_county(pol, county);
    if (!c) return NULL;
    return level >= 2 ? c->city_contact : c->duty_contact;
}

/* Everyone the level-`level` re-alert of c goes to; returns how many, or -1. */
static int realert_recipients(struct jobs_run *run, const struct db_job_case *c, int level,
                              char (*phones)[DB_PHONE_LEN])
{
    char depts[ROUTING_MAX_DEPTS][24];
    int nd = db_case_depts(run->env->st, c->id, depts, ROUTING_MAX_DEPTS);
    if (nd < 0) return -1;
    struct routing_rule rule = {.category = c->category, .priority = c->priority};
    for (int i = 0; i < nd && i < ROUTING_MAX_DEPTS; i++) {
        const char *code = routing_dept_code(depts[i]);
        if (code) rule.depts[rule.ndepts++] = code;
    }
    char found[MAX_RECIPIENTS][DB_PHONE_LEN];
    int nf = 0;
    if (c->triage) {
        nf = h_triage_recipients(run->env, c->county_id, c->county, found, MAX_RECIPIENTS);
        if (nf < 0) return -1;
        if (nf > MAX_RECIPIENTS) nf = MAX_RECIPIENTS;
    } else if (rule.ndepts > 0) {
        nf = h_alert_recipients(run->env, c->county_id, c->county, &rule, found, MAX_RECIPIENTS);
        if (nf < 0) return -1;
        if (nf > MAX_RECIPIENTS) nf = MAX_RECIPIENTS;
    }
    int n = 0;
    for (int i = 0; i < nf; i++) add_phone(phones, &n, found[i]);
    for (int l = 1; l <= level; l++) add_phone(phones, &n, county_contact(run->env->pol, c->county, l));
    return n;
}

static int realert_case(struct jobs_run *run, const struct db_job_case *c)
{
    const struct gw_policy *pol = run->env->pol;
    int64_t ack = case_ack_window(pol, c->priority, c->triage);
    if (run->now < c->since + ack) return 0;
    int level = run->now >= c->since + 2 * ack ? 2 : 1;
    if (level <= c->realerts) return 0;

    char phones[MAX_RECIPIENTS][DB_PHONE_LEN], place[DB_PATH_MAX], number[24];
    int n = realert_recipients(run, c, level, phones);
    if (n < 0) return jobs_fail(run, "re-alert recipients");
    case_place(c, place, sizeof place);
    if (c->phase > 0)
        snprintf(number, sizeof number, "%.12s#%d", c->number, c->phase);
    else
        snprintf(number, sizeof number, "%.12s", c->number);
    for (int i = 0; i < n; i++) {
        struct h_reply *r = h_replies_add(run->out, c->triage ? "triage_alert" : "case_alert", phones[i], H_ALERT);
        r->case_id = c->id;
        snprintf(r->dedupe, sizeof r->dedupe, "realert:%s:%d:%.23s", number, level, phones[i]);
        h_var_set(r, "case", "%s", c->number);
        h_var_set(r, "place", "%s", place);
        if (c->triage) continue;
        h_var_set(r, "priority", "P%d", c->priority);
        h_var_set(r, "cat", "%d", c->category);
    }
    for (int l = c->realerts + 1; l <= level; l++) {
        char detail[48];
        snprintf(detail, sizeof detail, "level=%d to=%d", l, n);
        if (db_case_event(run->env->st, c->id, "realerted", 0, detail, run->now) != 0)
            return jobs_fail(run, "re-alert event");
    }
    return 0;
}

int jobs_realert(struct jobs_run *run)
{
    const struct gw_policy *pol = run->env->pol;
    struct case_list l = {0};
    int rc = db_jobs_unacked_cases(run->env->st, run->now - (int64_t)pol->ack_minutes_p0 * 60,
                                   run->now - (int64_t)pol->ack_minutes_p1 * 60, collect_case, &l);
    if (rc != 0) rc = jobs_fail(run, "unacknowledged cases");
    /* The listing is finished before any event is written. */
    for (size_t i = 0; rc == 0 && i < l.n; i++) rc = realert_case(run, &l.v[i]);
    free(l.v);
    return rc;
}

/* ---- triage digest ------------------------------------------------------------ */

struct triage_count {
    char phone[24];
    int count;
};

struct triage_list {
    struct triage_count *v; /* owned */
    size_t n, cap;
};

static int triage_row(void *arg, const char *phone, int count)
{
    struct triage_list *l = arg;
    if (count <= 0) return 0;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = gw_realloc(l->v, l->cap * sizeof *l->v);
    }
    gw_strlcpy(l->v[l->n].phone, phone, sizeof l->v[l->n].phone);
    l->v[l->n++].count = count;
    return 0;
}

int jobs_triage(struct jobs_run *run)
{
    if (!jobs_digest_time(run)) return 0;
    struct triage_list l = {0};
    int rc = db_jobs_triage_counts(run->env->st, triage_row, &l) != 0 ? jobs_fail(run, "triage counts") : 0;
    /* The listing is finished before the cap is read. */
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        char dedupe[sizeof run->out->v[0].dedupe];
        snprintf(dedupe, sizeof dedupe, "triage:%.23s:%s", l.v[i].phone, run->today_iso);
        struct h_reply *r;
        int added = jobs_add_capped(run, "triage_digest", l.v[i].phone, H_NOTICE, dedupe, &r);
        if (added < 0) rc = -1;
        if (added == JOBS_ADDED) h_var_set(r, "count", "%d", l.v[i].count);
    }
    free(l.v);
    return rc;
}
