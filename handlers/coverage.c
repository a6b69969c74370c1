/* handlers/coverage.c - the coverage report computed from the store's rows
 * (coverage.h).
 *
 * The store is read once per kind of row: the regions (the nodes of the
 * tree), one row per child, directors per region, the away links and the
 * cases that count. Each count is added to the region it belongs to and to
 * its ancestors (at most two steps up). Whether a child is in scope, on the
 * high cadence, and when its visit is due are visit_rule.h's, the rules the
 * reminders apply. A guardian with children in two villages of one town
 * counts once for the town: its regions are collected and deduplicated.
 */
#include "coverage.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../core/calendar.h"
#include "../core/config.h"
#include "../core/store.h"
#include "../core/util.h"
#include "visit_rule.h"

#define MAX_DEPTH 8 /* parent steps followed at most (the tree has 3 levels) */

/* One region and what has been counted for it, its sub-regions included. */
struct node {
    int64_t id;
    int parent;            /* index into the tree of the parent, -1 for a county (or an unknown parent) */
    struct coverage_row r; /* the counts; r.path owned until handed to the result */
    int64_t *acks;         /* owned: seconds from opening to acknowledgement, one per case */
    size_t nacks, capacks;
};

struct tree {
    struct node *v; /* owned, sorted by id (the store lists regions by id) */
    size_t n, cap;
    int64_t *parents; /* owned while loading: each node's parent id, 0 none */
};

/* Child ids in scope, ascending (the children come by id). */
struct ids {
    int64_t *v; /* owned */
    size_t n, cap;
};

struct run {
    struct tree t;
    struct ids in_scope;
    struct gw_policy pol; /* every setting filled */
    int64_t now, today;   /* unix seconds, and its local day number */
    int64_t lo, hi;       /* the median's window on opened_at, [lo, hi) */
    int regs[16];         /* the current guardian's distinct regions */
    size_t nregs;
    int64_t guardian; /* the current guardian, 0 before the first */
    int contacted;    /* ... checked in within the window */
};

/* ---- the region tree --------------------------------------------------------- */

static void tree_free(struct tree *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].r.path);
        free(t->v[i].acks);
    }
    free(t->v);
    free(t->parents);
    memset(t, 0, sizeof *t);
}

/* Index of region id, or -1. */
static int find(const struct tree *t, int64_t id)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->v[mid].id == id) return (int)mid;
        if (t->v[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int on_region(void *arg, const struct store_region_rec *rec)
{
    struct tree *t = arg;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->v = gw_realloc(t->v, t->cap * sizeof *t->v);
        t->parents = gw_realloc(t->parents, t->cap * sizeof *t->parents);
    }
    struct node *nd = &t->v[t->n];
    memset(nd, 0, sizeof *nd);
    nd->id = rec->id;
    nd->r.path = gw_strdup(rec->path);
    nd->r.level = rec->level;
    t->parents[t->n++] = rec->parent_id;
    return 0;
}

static int load_regions(struct store *st, struct tree *t)
{
    if (store_regions_each(st, on_region, t) != 0) return -1;
    for (size_t i = 0; i < t->n; i++) t->v[i].parent = t->parents[i] ? find(t, t->parents[i]) : -1;
    return 0;
}

/* Adds a count to region i and every ancestor. A field is chosen by its
 * offset in struct coverage_row, so one walk serves every counter. */
static void add_up(struct tree *t, int i, size_t field, long by)
{
    for (int steps = 0; i >= 0 && steps < MAX_DEPTH; steps++, i = t->v[i].parent)
        *(long *)((char *)&t->v[i].r + field) += by;
}

static void add_ack(struct tree *t, int i, int64_t secs)
{
    for (int steps = 0; i >= 0 && steps < MAX_DEPTH; steps++, i = t->v[i].parent) {
        struct node *nd = &t->v[i];
        if (nd->nacks == nd->capacks) {
            nd->capacks = nd->capacks ? nd->capacks * 2 : 8;
            nd->acks = gw_realloc(nd->acks, nd->capacks * sizeof *nd->acks);
        }
        nd->acks[nd->nacks++] = secs;
    }
}

/* ---- the counts ---------------------------------------------------------------- */

static int has_id(const struct ids *l, int64_t id)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->v[mid] == id) return 1;
        if (l->v[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

#define F(name) offsetof(struct coverage_row, name)

static int on_child(void *arg, const struct store_child_rec *c)
{
    struct run *x = arg;
    struct tree *t = &x->t;
    const struct gw_policy *pol = &x->pol;
    int i = find(t, c->region_id);
    if (i < 0) return 0; /* no such region: the schema's foreign key forbids it */
    if (x->today >= child_scope_end(pol, c->birth_date, c->categories)) {
        add_up(t, i, F(aged_out), 1);
        return 0;
    }
    struct ids *l = &x->in_scope;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = gw_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = c->id;
    int high = visit_high_cadence(c->flags, c->high_cadence);
    int64_t cadence = high ? pol->visit_days_high : pol->visit_days;
    int64_t last = CAL_NO_DAY, remote;
    int seen = cal_date_parse(c->last_visit, &last) == 0;
    int phoned = cal_date_parse(c->last_remote, &remote) == 0;
    int64_t due = visit_due_for(pol, high, seen ? c->last_visit : NULL, c->created_at);
    int in_person = seen && x->today - last < cadence;
    add_up(t, i, F(children), 1);
    if (in_person)
        add_up(t, i, F(in_person), 1);
    else if (phoned && x->today - remote < cadence)
        add_up(t, i, F(remote_only), 1);
    if (due != CAL_NO_DAY && x->today - due > pol->overdue_days) add_up(t, i, F(overdue), 1);
    if (due != CAL_NO_DAY && x->today - due > COVERAGE_OVERDUE_LONG) add_up(t, i, F(overdue_long), 1);
    return 0;
}

static int on_directors(void *arg, int64_t region_id, long n)
{
    struct tree *t = arg;
    int i = find(t, region_id);
    if (i >= 0) add_up(t, i, F(directors), n);
    return 0;
}

static int count_directors(struct store *st, struct tree *t)
{
    if (store_directors_each(st, on_directors, t) != 0) return -1;
    /* Only now are a village's children and directors complete. */
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].r.level == 3 && t->v[i].r.children > COVERAGE_VILLAGE_BIG && t->v[i].r.directors == 1)
            add_up(t, (int)i, F(big_one_director), 1);
    return 0;
}

/* Adds the current guardian's distinct regions (each with its ancestors)
 * to away, and to contacted when contacted. */
static void add_guardian(struct run *x)
{
    struct tree *t = &x->t;
    int seen[64];
    size_t nseen = 0;
    for (size_t k = 0; k < x->nregs; k++)
        for (int i = x->regs[k], steps = 0; i >= 0 && steps < MAX_DEPTH; steps++, i = t->v[i].parent) {
            int dup = 0;
            for (size_t q = 0; q < nseen && !dup; q++) dup = seen[q] == i;
            if (dup) continue;
            if (nseen < sizeof seen / sizeof seen[0]) seen[nseen++] = i;
            t->v[i].r.away++;
            if (x->contacted) t->v[i].r.contacted++;
        }
    x->nregs = 0;
}

/* Every away link, by guardian: only children in scope count, and a
 * guardian once per region that holds one of them. */
static int on_away(void *arg, const struct store_away_rec *a)
{
    struct run *x = arg;
    if (a->guardian_id != x->guardian) {
        add_guardian(x);
        x->guardian = a->guardian_id;
    }
    x->contacted = a->contacted;
    int i = find(&x->t, a->region_id);
    if (i < 0 || !has_id(&x->in_scope, a->child_id)) return 0;
    int dup = 0;
    for (size_t k = 0; k < x->nregs && !dup; k++) dup = x->regs[k] == i;
    if (!dup && x->nregs < sizeof x->regs / sizeof x->regs[0]) x->regs[x->nregs++] = i;
    return 0;
}

static int on_case(void *arg, const struct store_case_brief *c)
{
    struct run *x = arg;
    int i = find(&x->t, c->region_id);
    if (i < 0) return 0;
    if (c->open && c->priority >= 0 && c->priority <= 3)
        add_up(&x->t, i, F(open) + (size_t)c->priority * sizeof(long), 1);
    if (c->acked_at != STORE_NULL && c->opened_at >= x->lo && c->opened_at < x->hi) {
        int64_t d = c->acked_at - c->opened_at;
        add_ack(&x->t, i, d > 0 ? d : 0);
    }
    return 0;
}

/* ---- the result -------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Paths in tree order: a region right before its sub-regions ('/' sorts
 * first), siblings by their bytes. */
static int cmp_path(const void *a, const void *b)
{
    const unsigned char *p = (const unsigned char *)(*(const struct node *const *)a)->r.path;
    const unsigned char *q = (const unsigned char *)(*(const struct node *const *)b)->r.path;
    for (; *p && *p == *q; p++, q++) {
    }
    int x = *p == '/' ? 1 : *p, y = *q == '/' ? 1 : *q;
    return x - y;
}

/* Moves the tree's rows into out, in tree order, with their medians. */
static void hand_over(struct tree *t, struct coverage *out)
{
    struct node **order = gw_malloc((t->n ? t->n : 1) * sizeof *order);
    for (size_t i = 0; i < t->n; i++) order[i] = &t->v[i];
    qsort(order, t->n, sizeof *order, cmp_path);
    out->rows = gw_calloc(t->n ? t->n : 1, sizeof *out->rows);
    out->n = t->n;
    for (size_t i = 0; i < t->n; i++) {
        struct node *nd = order[i];
        if (nd->nacks) {
            qsort(nd->acks, nd->nacks, sizeof *nd->acks, cmp_i64);
            size_t m = nd->nacks / 2;
            double secs = nd->nacks % 2 ? (double)nd->acks[m] : ((double)nd->acks[m - 1] + (double)nd->acks[m]) / 2;
            nd->r.acks = (long)nd->nacks;
            nd->r.median_ack_minutes = secs / 60;
        }
        out->rows[i] = nd->r;
        nd->r.path = NULL;
    }
    free(order);
}

/* The policy with every setting the report needs filled. */
static struct gw_policy filled(const struct gw_policy *pol)
{
    const struct gw_policy def = gw_policy_defaults();
    struct gw_policy p = pol ? *pol : def;
    if (p.visit_days <= 0) p.visit_days = def.visit_days;
    if (p.visit_days_high <= 0) p.visit_days_high = def.visit_days_high;
    if (p.overdue_days <= 0) p.overdue_days = def.overdue_days;
    if (p.first_visit_days < 0) p.first_visit_days = 0;
    if (p.age_left_behind <= 0) p.age_left_behind = def.age_left_behind;
    if (p.age_difficulty <= 0) p.age_difficulty = def.age_difficulty;
    return p;
}

int coverage_compute(struct store *st, const struct gw_policy *pol, int64_t now, int64_t from, int64_t until,
                     struct coverage *out)
{
    struct run *x = gw_calloc(1, sizeof *x);
    char today[11];
    x->pol = filled(pol);
    x->now = now;
    x->today = cal_local_day(now);
    x->lo = from;
    x->hi = until;
    cal_date_iso(x->today, today, sizeof today);
    memset(out, 0, sizeof *out);

    /* One read transaction (unless the caller holds one), so every count
     * sees the same moment. */
    int began = store_read_begin(st);
    int ok = began >= 0 && load_regions(st, &x->t) == 0 && store_children_each(st, today, on_child, x) == 0 &&
             count_directors(st, &x->t) == 0 &&
             store_away_links_each(st, now - COVERAGE_CONTACT_DAYS * 86400, now, on_away, x) == 0;
    if (ok) add_guardian(x);
    ok = ok && store_cases_brief_each(st, from, until, on_case, x) == 0;
    if (began > 0 && store_read_end(st, began) != 0) ok = 0;
    if (ok) hand_over(&x->t, out);
    tree_free(&x->t);
    free(x->in_scope.v);
    free(x);
    return ok ? 0 : -1;
}

void coverage_free(struct coverage *c)
{
    for (size_t i = 0; c && i < c->n; i++) free(c->rows[i].path);
    if (c) {
        free(c->rows);
        c->rows = NULL;
        c->n = 0;
    }
}
