/* handlers/jobs.c - what the timed jobs share (jobs_int.h): when
 * non-urgent messages go out, the daily cap, and digests. jobs_run.c runs
 * the jobs (jobs_cases.c, jobs_visits.c, jobs_checkins.c); all of them
 * call down to this file, which calls none of them.
 *
 * Nothing here remembers anything between runs: every decision is made
 * from the store at `now`. A message's period is in its dedupe key (the
 * case and its deadline level, the parent and the day the silence began,
 * the recipient and the digest's date), and each child a digest covers is
 * a digest item under its period's key (the child and its due date), so a
 * second run, a restart, or one run after days of downtime writes each
 * message once; a catch-up sends what is due now, not every tick it missed.
 *
 * The daily cap. Every reminder and notice the jobs write counts against
 * its recipient's [policy] daily_cap for the local day (alerts never do,
 * and are never held): once a recipient has had that many, what the jobs
 * would still tell them waits, and a digest's children go into the next
 * day's digest. The count is the store's (today's digest keys and parent
 * reminders) plus this run's own (a small hash by phone).
 */
#include "jobs.h"
#include "../core/calendar.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/util.h"
#include "intents.h"
#include "jobs_int.h"
#include "routing.h"

/* Capped messages this run wrote, by recipient: open addressing, grown at half full. */
struct jobs_tally {
    struct {
        char phone[24]; /* "" = free slot */
        int n;
    } * v;         /* owned */
    size_t n, cap; /* used slots, slots (a power of two) */
};

static size_t phone_hash(const char *p)
{
    size_t h = 2166136261u;
    for (; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    return h;
}

/* The slot of phone (a free one when absent; the table has room). */
static size_t tally_slot(const struct jobs_tally *t, const char *phone)
{
    size_t i = phone_hash(phone) & (t->cap - 1);
    while (t->v[i].phone[0] && strcmp(t->v[i].phone, phone) != 0) i = (i + 1) & (t->cap - 1);
    return i;
}

static int *tally_at(struct jobs_tally *t, const char *phone)
{
    if (2 * (t->n + 1) > t->cap) {
        struct jobs_tally g = {.v = NULL, .n = 0, .cap = t->cap ? t->cap * 2 : 64};
        g.v = gw_calloc(g.cap, sizeof *g.v);
        for (size_t i = 0; i < t->cap; i++)
            if (t->v[i].phone[0]) {
                g.v[tally_slot(&g, t->v[i].phone)] = t->v[i];
                g.n++;
            }
        free(t->v);
        *t = g;
    }
    size_t i = tally_slot(t, phone);
    if (!t->v[i].phone[0]) {
        gw_strlcpy(t->v[i].phone, phone, sizeof t->v[i].phone);
        t->n++;
    }
    return &t->v[i].n;
}

struct jobs_tally *jobs_tally_new(void) { return gw_calloc(1, sizeof(struct jobs_tally)); }

void jobs_tally_free(struct jobs_tally *t)
{
    if (!t) return;
    free(t->v);
    free(t);
}

int jobs_fail(struct jobs_run *run, const char *what)
{
    gw_err(run->err, run->errlen, "%s: %s", what, store_errmsg(run->env->st));
    return -1;
}

/* ---- calendar days -------------------------------------------------------- */

void jobs_day_zh(int64_t day, char *out, size_t outlen)
{
    int y, m, d;
    cal_civil_from_day(day, &y, &m, &d);
    h_fmt_date(y, m, d, out, outlen);
}

/* ---- when non-urgent messages go out ---------------------------------------- */

int64_t jobs_staff_time(const struct gw_policy *pol, int64_t now) { return h_next_work_time(pol, now); }

int64_t jobs_daytime(const struct gw_policy *pol, int64_t now)
{
    if (!pol || pol->work_start < 0 || pol->work_start >= pol->work_end) return 0;
    int minute = cal_local_minute(now);
    if (minute < 0) return 0;
    if (minute >= pol->work_start && minute < pol->work_end) return 0;
    return cal_local_at(cal_local_day(now) + (minute >= pol->work_end ? 1 : 0), pol->work_start);
}

int jobs_digest_time(const struct jobs_run *run) { return run->minute >= run->env->pol->digest_minute; }

int jobs_staff_digest_time(const struct jobs_run *run)
{
    const struct gw_policy *pol = run->env->pol;
    if (!jobs_digest_time(run) || !cal_is_work_day(pol->work_days, run->today)) return 0;
    int hours = pol->work_start >= 0 && pol->work_start < pol->work_end;
    return !hours || run->minute < pol->work_end || pol->digest_minute >= pol->work_end;
}

void jobs_codes_list(char (*codes)[8], int n, int total, int with_total, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        int w = snprintf(out + used, outlen - used, "%s%s", i ? "、" : "", codes[i]);
        if (w < 0 || (size_t)w >= outlen - used) return;
        used += (size_t)w;
    }
    if (total <= n) return;
    if (with_total)
        snprintf(out + used, outlen - used, "等%d名", total);
    else
        snprintf(out + used, outlen - used, "等");
}

/* ---- the daily cap ------------------------------------------------------------- */

int jobs_add_capped(struct jobs_run *run, const char *tmpl, const char *phone, enum h_kind kind, const char *dedupe,
                    struct h_reply **r)
{
    struct store *st = run->env->st;
    *r = NULL;
    int queued = db_message_queued(st, dedupe);
    if (queued < 0) return jobs_fail(run, "message queued");
    if (queued) return JOBS_QUEUED;
    int *mine = tally_at(run->tally, phone);
    int cap = run->env->pol->daily_cap;
    if (cap > 0) {
        if (*mine >= cap) return JOBS_CAPPED;
        int sent = db_jobs_capped_today(st, phone, run->today_iso, run->day_start, run->day_end);
        if (sent < 0) return jobs_fail(run, "messages today");
        if (sent + *mine >= cap) return JOBS_CAPPED;
    }
    (*mine)++;
    *r = h_replies_add(run->out, tmpl, phone, kind);
    gw_strlcpy((*r)->dedupe, dedupe, sizeof(*r)->dedupe);
    return JOBS_ADDED;
}

/* ---- digests -------------------------------------------------------------------- */

struct jobs_item *jobs_items_add(struct jobs_items *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = gw_realloc(l->v, l->cap * sizeof *l->v);
    }
    struct jobs_item *it = &l->v[l->n++];
    memset(it, 0, sizeof *it);
    return it;
}

void jobs_items_free(struct jobs_items *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* By recipient, then rank (highest first), then code. */
static int item_cmp(const void *a, const void *b)
{
    const struct jobs_item *x = a, *y = b;
    int c = strcmp(x->phone, y->phone);
    if (c) return c;
    if (x->rank != y->rank) return x->rank > y->rank ? -1 : 1;
    return strcmp(x->code, y->code);
}

int jobs_digests(struct jobs_run *run, struct jobs_items *items, const char *prefix,
                 int (*make)(void *arg, struct jobs_run *run, const struct jobs_digest *d, const char *dedupe),
                 void *arg)
{
    struct store *st = run->env->st;
    size_t keep = 0;
    for (size_t i = 0; i < items->n; i++) {
        int done = db_digest_item_exists(st, items->v[i].key);
        if (done < 0) return jobs_fail(run, "digest items");
        if (!done) items->v[keep++] = items->v[i];
    }
    items->n = keep;
    if (items->n > 1) qsort(items->v, items->n, sizeof *items->v, item_cmp);
    int added = 0;
    for (size_t i = 0; i < items->n;) {
        size_t j = i;
        while (j < items->n && strcmp(items->v[j].phone, items->v[i].phone) == 0) j++;
        struct jobs_digest d = {.phone = items->v[i].phone};
        /* A child covered twice (two silent parents) is one child. */
        for (size_t k = i; k < j; k++) {
            int seen = 0;
            for (size_t q = i; q < k && !seen; q++) seen = strcmp(items->v[q].code, items->v[k].code) == 0;
            if (seen) continue;
            d.count++;
            if (items->v[k].flag) d.flagged++;
            if (d.ncodes < 3) memcpy(d.codes[d.ncodes++], items->v[k].code, sizeof d.codes[0]);
        }
        char dedupe[sizeof run->out->v[0].dedupe];
        snprintf(dedupe, sizeof dedupe, "%s:%.23s:%s", prefix, d.phone, run->today_iso);
        int rc = make(arg, run, &d, dedupe);
        if (rc < 0) return -1;
        if (rc == JOBS_ADDED) {
            added++;
            for (size_t k = i; k < j; k++)
                if (db_digest_item_add(st, items->v[k].key, d.phone, dedupe, run->now) != 0)
                    return jobs_fail(run, "digest item");
        }
        i = j;
    }
    return added;
}
