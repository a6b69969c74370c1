/* handlers/report_period.c - a report over a period computed from the
 * period's records (report_period.h).
 *
 * The store is read once per kind of row: the regions (the nodes of the
 * tree), the children as they were at the period's end, the period's
 * visits, check-ins, away links, cases and directors. Each count is added
 * to the region it belongs to and to its ancestors. Whether a child is in
 * scope is visit_rule.h's rule; the 30-children rule is coverage.h's.
 */
#include "report_period.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/calendar.h"
#include "../core/store.h"
#include "../core/util.h"
#include "coverage.h"
#include "visit_rule.h"

#define MAX_DEPTH 8 /* parent steps followed at most (the tree has 3 levels) */

const char *const report_category_names[REPORT_CATEGORIES] = {"left_behind", "difficulty", "orphan", "unsupported",
                                                              "single_parent"};
const char *const report_flag_names[REPORT_FLAGS] = {"parent_disabled", "child_disabled", "psych"};
const char *const report_problem_codes[REPORT_PROBLEMS] = {"JH", "XL", "XX", "JK", "SH", "AQ", "QG"};

/* ---- the period ------------------------------------------------------------------ */

/* Calendar month number (year * 12 + month - 1) of a day. */
static int month_of(int64_t day)
{
    int y, m, d;
    cal_civil_from_day(day, &y, &m, &d);
    return y * 12 + m - 1;
}

static int resolve_year(const char *year, int64_t today, struct report_period *p, char *err, size_t errlen)
{
    long y;
    if (strlen(year) != 4 || gw_parse_long(year, 1970, 9999, &y) != 0) {
        gw_err(err, errlen, "--year '%s' is not a year written YYYY", year);
        return -1;
    }
    p->from_day = cal_civil_day((int)y, 1, 1);
    p->to_day = cal_civil_day((int)y, 12, 31);
    if (p->from_day > today) {
        gw_err(err, errlen, "the year %ld has not begun", y);
        return -1;
    }
    return 0;
}

static int resolve_dates(const char *from, const char *to, int64_t today, struct report_period *p, char *err,
                         size_t errlen)
{
    if (cal_date_parse(from, &p->from_day) != 0) {
        gw_err(err, errlen, "--from '%s' is not a date written YYYY-MM-DD", from);
        return -1;
    }
    if (cal_date_parse(to, &p->to_day) != 0) {
        gw_err(err, errlen, "--to '%s' is not a date written YYYY-MM-DD", to);
        return -1;
    }
    if (p->from_day > p->to_day) {
        gw_err(err, errlen, "--from %s is after --to %s", from, to);
        return -1;
    }
    if (p->from_day > today) {
        gw_err(err, errlen, "the period begins after today (--from %s)", from);
        return -1;
    }
    return 0;
}

int report_period_resolve(const char *year, const char *from, const char *to, int64_t today, struct report_period *p,
                          char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (year && (from || to)) {
        gw_err(err, errlen, "give --year or --from and --to, not both");
        return -1;
    }
    if (!year && (!from || !to)) {
        gw_err(err, errlen, "give --year YYYY, or --from YYYY-MM-DD and --to YYYY-MM-DD");
        return -1;
    }
    if ((year ? resolve_year(year, today, p, err, errlen) : resolve_dates(from, to, today, p, err, errlen)) != 0)
        return -1;
    p->complete = p->to_day <= today;
    if (!p->complete) p->to_day = today;
    if (month_of(p->to_day) - month_of(p->from_day) + 1 > REPORT_MAX_MONTHS) {
        gw_err(err, errlen, "the period is longer than %d months", REPORT_MAX_MONTHS);
        return -1;
    }
    return 0;
}

/* ---- the region tree --------------------------------------------------------------- */

/* A growing list of int64 (seconds to an acknowledgement or a closing,
 * guardian ids). */
struct vec {
    int64_t *v; /* owned */
    size_t n, cap;
};

static void vec_push(struct vec *l, int64_t x)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = gw_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = x;
}

struct node {
    int64_t id;
    int parent;          /* index of the parent, -1 for a county (or an unknown parent) */
    struct report_row r; /* the counts; r.path owned until handed to the result */
    struct vec acks, closes;
};

/* A child counted: its node and the months it was visited in. */
struct kid {
    int64_t id;
    int node;
    int first;          /* month index (from the period's first month) from which it counts for visited_monthly */
    uint64_t months[2]; /* bit i: visited in month index i */
};

/* An away guardian seen from a region. */
struct seen {
    int node;
    int64_t guardian;
};

struct run {
    struct node *v; /* sorted by id (the store lists regions by id) */
    size_t n, cap;
    int64_t *parents; /* while loading: each node's parent id, 0 none */
    const struct gw_policy *pol;
    struct report_period p;
    int64_t from, until; /* the period in unix seconds, [from, until) */
    int month0;          /* the period's first calendar month */
    struct kid *kids;    /* sorted by id */
    size_t nkids, capkids;
    struct vec checked; /* guardians with a check-in in the period, ascending */
    struct seen *seen;
    size_t nseen, capseen;
};

static void run_free(struct run *x)
{
    for (size_t i = 0; i < x->n; i++) {
        free(x->v[i].r.path);
        free(x->v[i].acks.v);
        free(x->v[i].closes.v);
    }
    free(x->v);
    free(x->parents);
    free(x->kids);
    free(x->checked.v);
    free(x->seen);
}

/* Index of region id, or -1. */
static int find(const struct run *x, int64_t id)
{
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->v[mid].id == id) return (int)mid;
        if (x->v[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int on_region(void *arg, const struct store_region_rec *rec)
{
    struct run *x = arg;
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 64;
        x->v = gw_realloc(x->v, x->cap * sizeof *x->v);
        x->parents = gw_realloc(x->parents, x->cap * sizeof *x->parents);
    }
    struct node *nd = &x->v[x->n];
    memset(nd, 0, sizeof *nd);
    nd->id = rec->id;
    nd->r.path = gw_strdup(rec->path);
    nd->r.level = rec->level;
    x->parents[x->n++] = rec->parent_id;
    return 0;
}

static int load_regions(struct store *st, struct run *x)
{
    if (store_regions_each(st, on_region, x) != 0) return -1;
    for (size_t i = 0; i < x->n; i++) x->v[i].parent = x->parents[i] ? find(x, x->parents[i]) : -1;
    return 0;
}

/* Adds to a counter of region i and of every ancestor; the counter is
 * chosen by its offset in struct report_row. */
static void add_up(struct run *x, int i, size_t field, long by)
{
    for (int steps = 0; i >= 0 && steps < MAX_DEPTH; steps++, i = x->v[i].parent)
        *(long *)((char *)&x->v[i].r + field) += by;
}

#define F(name)     offsetof(struct report_row, name)
#define FI(name, i) (offsetof(struct report_row, name) + (size_t)(i) * sizeof(long))

/* 1 when the '|' list has the item name. */
static int has_item(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *s = list; s && *s;) {
        const char *e = strchr(s, '|');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == n && memcmp(s, name, n) == 0) return 1;
        s = e ? e + 1 : NULL;
    }
    return 0;
}

/* ---- the children ------------------------------------------------------------------ */

static int on_child(void *arg, const struct store_report_child *c)
{
    struct run *x = arg;
    int i = find(x, c->region_id);
    if (i < 0) return 0;
    if (child_scope_end(x->pol, c->birth_date, c->categories) <= x->p.to_day) return 0; /* aged out by the end */
    add_up(x, i, F(children), 1);
    for (int k = 0; k < REPORT_CATEGORIES; k++)
        if (has_item(c->categories, report_category_names[k])) add_up(x, i, FI(category, k), 1);
    for (int k = 0; k < REPORT_FLAGS; k++)
        if (has_item(c->flags, report_flag_names[k])) add_up(x, i, FI(flag, k), 1);
    if (x->nkids == x->capkids) {
        x->capkids = x->capkids ? x->capkids * 2 : 256;
        x->kids = gw_realloc(x->kids, x->capkids * sizeof *x->kids);
    }
    int first = month_of(cal_local_day(c->created_at)) - x->month0;
    x->kids[x->nkids++] = (struct kid){.id = c->id, .node = i, .first = first > 0 ? first : 0};
    return 0;
}

static struct kid *kid_find(struct run *x, int64_t id)
{
    size_t lo = 0, hi = x->nkids;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->kids[mid].id == id) return &x->kids[mid];
        if (x->kids[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- visits ------------------------------------------------------------------------ */

static int on_visit(void *arg, const struct store_report_visit *v)
{
    struct run *x = arg;
    struct kid *k = kid_find(x, v->child_id);
    int64_t day;
    if (!k || cal_date_parse(v->visit_date, &day) != 0) return 0;
    add_up(x, k->node, F(visits), 1);
    if (v->result >= 1 && v->result <= 4) add_up(x, k->node, FI(result, v->result - 1), 1);
    for (int p = 0; p < REPORT_PROBLEMS; p++)
        if (has_item(v->problems, report_problem_codes[p])) add_up(x, k->node, FI(problem, p), 1);
    int m = month_of(day) - x->month0;
    if (m >= 0 && m < REPORT_MAX_MONTHS) k->months[m / 64] |= (uint64_t)1 << (m % 64);
    return 0;
}

/* Counts visited and visited_monthly once every visit is in. */
static void count_visited(struct run *x, int months)
{
    for (size_t i = 0; i < x->nkids; i++) {
        const struct kid *k = &x->kids[i];
        if (!k->months[0] && !k->months[1]) continue;
        add_up(x, k->node, F(visited), 1);
        int every = 1;
        for (int m = k->first; m < months && every; m++) every = (k->months[m / 64] >> (m % 64)) & 1;
        if (every) add_up(x, k->node, F(visited_monthly), 1);
    }
}

/* ---- check-ins and away parents ------------------------------------------------------ */

static int on_checkin(void *arg, int64_t guardian_id, int64_t child_id)
{
    struct run *x = arg;
    if (!x->checked.n || x->checked.v[x->checked.n - 1] != guardian_id) vec_push(&x->checked, guardian_id);
    struct kid *k = kid_find(x, child_id);
    if (k) add_up(x, k->node, F(checkins), 1);
    return 0;
}

static int on_away(void *arg, int64_t guardian_id, int64_t child_id)
{
    struct run *x = arg;
    struct kid *k = kid_find(x, child_id);
    if (!k) return 0;
    for (int i = k->node, steps = 0; i >= 0 && steps < MAX_DEPTH; steps++, i = x->v[i].parent) {
        if (x->nseen == x->capseen) {
            x->capseen = x->capseen ? x->capseen * 2 : 64;
            x->seen = gw_realloc(x->seen, x->capseen * sizeof *x->seen);
        }
        x->seen[x->nseen++] = (struct seen){.node = i, .guardian = guardian_id};
    }
    return 0;
}

static int cmp_seen(const void *a, const void *b)
{
    const struct seen *p = a, *q = b;
    if (p->node != q->node) return p->node - q->node;
    return (p->guardian > q->guardian) - (p->guardian < q->guardian);
}

static int checked_in(const struct run *x, int64_t guardian)
{
    size_t lo = 0, hi = x->checked.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->checked.v[mid] == guardian) return 1;
        if (x->checked.v[mid] < guardian)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Counts each away guardian once per region (the pairs already carry the
 * ancestors). */
static void count_away(struct run *x)
{
    if (x->nseen > 1) qsort(x->seen, x->nseen, sizeof *x->seen, cmp_seen); /* seen is NULL when none is away */
    for (size_t i = 0; i < x->nseen; i++) {
        if (i && !cmp_seen(&x->seen[i], &x->seen[i - 1])) continue;
        struct report_row *r = &x->v[x->seen[i].node].r;
        r->away++;
        if (checked_in(x, x->seen[i].guardian))
            r->checked_in++;
        else
            r->silent++;
    }
}

/* ---- cases and directors ------------------------------------------------------------- */

static void add_time(struct run *x, int i, int closes, int64_t secs)
{
    for (int steps = 0; i >= 0 && steps < MAX_DEPTH; steps++, i = x->v[i].parent)
        vec_push(closes ? &x->v[i].closes : &x->v[i].acks, secs > 0 ? secs : 0);
}

static int on_case(void *arg, const struct store_report_case *c)
{
    struct run *x = arg;
    int i = find(x, c->region_id);
    if (i < 0) return 0;
    add_up(x, i, F(cases), 1);
    if (c->category >= 1 && c->category <= REPORT_CASE_CATEGORIES) add_up(x, i, FI(case_category, c->category - 1), 1);
    if (c->priority >= 0 && c->priority <= 3) add_up(x, i, FI(priority, c->priority), 1);
    if (c->acked_at && c->acked_at < x->until) add_time(x, i, 0, c->acked_at - c->opened_at);
    if (!c->closed_at || c->closed_at >= x->until) return 0;
    add_time(x, i, 1, c->closed_at - c->opened_at);
    add_up(x, i, F(closed), 1);
    if (c->outcome >= 1 && c->outcome <= 4) add_up(x, i, FI(outcome, c->outcome - 1), 1);
    if (!c->has_reporter) return 0;
    add_up(x, i, F(closed_reporter), 1);
    if (c->told_at && c->told_at < x->until) add_up(x, i, F(reporter_told), 1);
    return 0;
}

static int on_directors(void *arg, int64_t region_id, long n)
{
    struct run *x = arg;
    int i = find(x, region_id);
    if (i >= 0) add_up(x, i, F(directors), n);
    return 0;
}

/* The 30-children rule, once a village's children and directors are in. */
static void count_villages_over(struct run *x)
{
    for (size_t i = 0; i < x->n; i++) {
        const struct report_row *r = &x->v[i].r;
        if (r->level == 3 && r->children > COVERAGE_VILLAGE_BIG && r->children > COVERAGE_VILLAGE_BIG * r->directors)
            add_up(x, (int)i, F(villages_over), 1);
    }
}

/* ---- the result ---------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t p = *(const int64_t *)a, q = *(const int64_t *)b;
    return (p > q) - (p < q);
}

/* The median of l in minutes (l sorted here); 0 when empty. */
static double median_minutes(struct vec *l)
{
    if (!l->n) return 0;
    qsort(l->v, l->n, sizeof *l->v, cmp_i64);
    size_t m = l->n / 2;
    double secs = l->n % 2 ? (double)l->v[m] : ((double)l->v[m - 1] + (double)l->v[m]) / 2;
    return secs / 60;
}

/* Paths in tree order: a region right before its sub-regions ('/' sorts
 * first), siblings by their bytes. */
static int cmp_path(const void *a, const void *b)
{
    const unsigned char *p = (const unsigned char *)(*(const struct node *const *)a)->r.path;
    const unsigned char *q = (const unsigned char *)(*(const struct node *const *)b)->r.path;
    for (; *p && *p == *q; p++, q++) {
    }
    int u = *p == '/' ? 1 : *p, w = *q == '/' ? 1 : *q;
    return u - w;
}

/* 1 when path is root or under it (root NULL: everything). */
static int within(const char *path, const char *root)
{
    if (!root) return 1;
    size_t n = strlen(root);
    return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Moves the rows within root into out, in tree order, with their medians. */
static void hand_over(struct run *x, const char *root, struct report *out)
{
    struct node **order = gw_malloc((x->n ? x->n : 1) * sizeof *order);
    size_t n = 0;
    for (size_t i = 0; i < x->n; i++)
        if (within(x->v[i].r.path, root)) order[n++] = &x->v[i];
    qsort(order, n, sizeof *order, cmp_path);
    out->rows = gw_calloc(n ? n : 1, sizeof *out->rows);
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        struct node *nd = order[i];
        nd->r.acks = (long)nd->acks.n;
        nd->r.median_ack_minutes = median_minutes(&nd->acks);
        nd->r.median_close_minutes = median_minutes(&nd->closes);
        out->rows[i] = nd->r;
        nd->r.path = NULL;
    }
    free(order);
}

/* Every read, in order: each step needs the ones before it. */
static int read_all(struct store *st, struct run *x)
{
    char from[11], to[11];
    cal_date_iso(x->p.from_day, from, sizeof from);
    cal_date_iso(x->p.to_day, to, sizeof to);
    if (load_regions(st, x) != 0 || store_report_children_each(st, x->until, on_child, x) != 0) return -1;
    if (store_report_visits_each(st, from, to, on_visit, x) != 0) return -1;
    count_visited(x, month_of(x->p.to_day) - x->month0 + 1);
    if (store_report_checkins_each(st, x->from, x->until, on_checkin, x) != 0) return -1;
    if (store_report_away_each(st, x->until, on_away, x) != 0) return -1;
    count_away(x);
    if (store_report_cases_each(st, x->from, x->until, on_case, x) != 0) return -1;
    if (store_report_directors_each(st, x->until, on_directors, x) != 0) return -1;
    count_villages_over(x);
    return 0;
}

int report_compute(struct store *st, const struct gw_policy *pol, const struct report_period *p, const char *region,
                   struct report *out)
{
    memset(out, 0, sizeof *out);
    if (region && !region[0]) region = NULL;
    if (region) {
        int64_t id;
        int rc = store_region_find(st, region, &id, NULL);
        if (rc != 0) return rc;
    }
    struct run x = {.pol = pol, .p = *p};
    x.from = cal_local_midnight(p->from_day);
    x.until = cal_local_midnight(p->to_day + 1);
    x.month0 = month_of(p->from_day);
    int began = store_read_begin(st);
    int ok = began >= 0 && read_all(st, &x) == 0;
    if (began > 0 && store_read_end(st, began) != 0) ok = 0;
    if (ok) {
        out->period = *p;
        out->months = month_of(p->to_day) - x.month0 + 1;
        hand_over(&x, region, out);
    }
    run_free(&x);
    return ok ? 0 : -1;
}

void report_free(struct report *r)
{
    for (size_t i = 0; r && i < r->n; i++) free(r->rows[i].path);
    if (r) {
        free(r->rows);
        r->rows = NULL;
        r->n = 0;
    }
}
