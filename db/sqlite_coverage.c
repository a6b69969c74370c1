/* db/sqlite_coverage.c - the coverage export (store_export_coverage in
 * store_roster.h): per county, town and village, how many children are in
 * scope and how many have aged out, how many in scope were visited in their
 * current period (in person and remote apart), overdue, how many migrant
 * parents are in touch, how the villages are staffed, and the open cases
 * with their time to acknowledgement.
 *
 * The work is a handful of queries, each read once:
 *
 *   1. every region (id, parent, path, level): the nodes of the tree;
 *   2. one row per child with its cadence, birth date, categories, import
 *      time and its last counting and last remote visit dates (two index
 *      look-ups per child on visit(child_id, visit_date));
 *   3. directors per region;
 *   4. every away link (guardian, child, the child's region) with whether
 *      the guardian checked in during the last 7 days;
 *   5. the cases still open or acknowledged, and the acknowledged ones
 *      opened in the window, for the median.
 *
 * Everything else is added to the region it belongs to and to its
 * ancestors (at most two steps up) in C. Whether a child is in scope and
 * when its visit is due are the rules the reminders apply, called from
 * the store (db_child_scope_end, store_visit_due_day): there is one copy
 * of each. A guardian with children in two villages of one town counts
 * once for the town: its regions are collected and deduplicated in C.
 *
 * Local days are in the process time zone (the CLI sets TZ from
 * [policy] timezone). Runs on the thread that owns the store.
 */
#include <csv.h>
#include "../core/calendar.h"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/config.h"
#include "../core/util.h"
#include "store_int.h"

#define OVERDUE_LONG_DAYS 30          /* the county's overdue list (domain R4.3) */
#define VILLAGE_BIG       30          /* more children than this with one director is flagged (R4.5) */
#define CONTACT_WINDOW    (7 * 86400) /* parents "in contact": a check-in within this many seconds */
#define MAX_DEPTH         8           /* parent steps followed at most (the tree has 3 levels) */

/* Built-in policy when the caller passes none; the same as the config's defaults. */
static const struct gw_policy default_policy = {
    .visit_days = 30,
    .visit_days_high = 14,
    .first_visit_days = 5,
    .overdue_days = 7,
    .work_days = 0x1F,
    .age_left_behind = 16,
    .age_difficulty = 18,
};

/* One region and what has been counted for it, its sub-regions included. */
struct node {
    int64_t id;
    int parent;            /* index into nodes[] of the parent, -1 for a county (or an unknown parent) */
    int level;             /* 1 county, 2 town, 3 village */
    char *path;            /* owned */
    long children;         /* children in scope */
    long aged_out;         /* children registered but past their categories' age (db_child_scope_end) */
    long in_person;        /* last counting visit within the current period */
    long remote_only;      /* no counting visit in it, but a phone/video one */
    long overdue;          /* more than overdue_days past due */
    long overdue_long;     /* more than OVERDUE_LONG_DAYS past due */
    long away;             /* distinct away guardians of the region's children */
    long contacted;        /* ... of whom checked in within CONTACT_WINDOW */
    long directors;        /* directors registered in the region's villages */
    long big_one_director; /* villages with > VILLAGE_BIG children and exactly one director */
    long open[4];          /* open or acknowledged cases by priority */
    int64_t *acks;         /* owned: seconds from opening to acknowledgement, one per case */
    size_t nacks, capacks;
};

struct tree {
    struct node *v; /* owned, sorted by id */
    size_t n;
};

/* ---- calendar ---------------------------------------------------------------- */

/* Local midnight at the start of day YYYY-MM-DD (+ add days), unix seconds. */
static int64_t local_midnight(const char *s, int add)
{
    struct tm tm = {0};
    tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') - 1900;
    tm.tm_mon = (s[5] - '0') * 10 + (s[6] - '0') - 1;
    tm.tm_mday = (s[8] - '0') * 10 + (s[9] - '0') + add;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm);
}

/* ---- the region tree --------------------------------------------------------- */

static void tree_free(struct tree *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].path);
        free(t->v[i].acks);
    }
    free(t->v);
    t->v = NULL;
    t->n = 0;
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

static int load_regions(struct store *st, struct tree *t)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT id, parent_id, path, level FROM region ORDER BY id");
    if (!s) return -1;
    size_t cap = 0;
    int64_t *parents = NULL;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (t->n == cap) {
            cap = cap ? cap * 2 : 64;
            t->v = gw_realloc(t->v, cap * sizeof *t->v);
            parents = gw_realloc(parents, cap * sizeof *parents);
        }
        struct node *nd = &t->v[t->n];
        memset(nd, 0, sizeof *nd);
        nd->id = sqlite3_column_int64(s, 0);
        parents[t->n] = sqlite3_column_type(s, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 1);
        const unsigned char *p = sqlite3_column_text(s, 2);
        nd->path = gw_strdup(p ? (const char *)p : "");
        nd->level = sqlite3_column_int(s, 3);
        t->n++;
    }
    sqlite3_reset(s);
    for (size_t i = 0; i < t->n; i++) t->v[i].parent = parents[i] < 0 ? -1 : find(t, parents[i]);
    free(parents);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Adds a count to region i and every ancestor. A field is chosen by its
 * offset in struct node, so one walk serves every counter. */
static void add_up(struct tree *t, int i, size_t field, long by)
{
    for (int steps = 0; i >= 0 && steps < MAX_DEPTH; steps++, i = t->v[i].parent)
        *(long *)((char *)&t->v[i] + field) += by;
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

struct when {
    int64_t now;      /* unix seconds */
    int64_t today;    /* local day number of now */
    char today_s[11]; /* the same, YYYY-MM-DD */
    int64_t lo, hi;   /* the median's window on opened_at, [lo, hi) */
};

/* Child ids in scope, ascending (count_children fills it for count_parents). */
struct ids {
    int64_t *v; /* owned */
    size_t n, cap;
};

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

static int count_children(struct store *st, const struct gw_policy *pol, const struct when *w, struct tree *t,
                          struct ids *in_scope)
{
    /* Visits dated after today are not yet visible from now. */
    sqlite3_stmt *s = store_stmt(st, "SELECT c.region_id, c.flags <> '' OR c.high_cadence <> 0, c.created_at, "
                                     "(SELECT max(v.visit_date) FROM visit v WHERE v.child_id = c.id "
                                     "AND v.visit_date <= ?1 AND v.result IN (1, 2, 3)), "
                                     "(SELECT max(v.visit_date) FROM visit v WHERE v.child_id = c.id "
                                     "AND v.visit_date <= ?1 AND v.result = 4), "
                                     "c.birth_date, c.categories, c.id "
                                     "FROM child c ORDER BY c.id");
    if (!s) return -1;
    store_bind_text(s, 1, w->today_s);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int i = find(t, sqlite3_column_int64(s, 0));
        if (i < 0) continue; /* no such region: the schema's foreign key forbids it */
        if (w->today >=
            db_child_scope_end(pol, (const char *)sqlite3_column_text(s, 5), (const char *)sqlite3_column_text(s, 6))) {
            add_up(t, i, offsetof(struct node, aged_out), 1);
            continue;
        }
        if (in_scope->n == in_scope->cap) {
            in_scope->cap = in_scope->cap ? in_scope->cap * 2 : 256;
            in_scope->v = gw_realloc(in_scope->v, in_scope->cap * sizeof *in_scope->v);
        }
        in_scope->v[in_scope->n++] = sqlite3_column_int64(s, 7);
        int64_t cadence = sqlite3_column_int(s, 1) ? pol->visit_days_high : pol->visit_days;
        int64_t last = STORE_NO_DAY, remote;
        int seen = cal_date_parse((const char *)sqlite3_column_text(s, 3), &last) == 0;
        int phoned = cal_date_parse((const char *)sqlite3_column_text(s, 4), &remote) == 0;
        if (!seen) last = STORE_NO_DAY;
        int64_t due =
            store_visit_due_day(pol, sqlite3_column_int(s, 1), last, cal_local_day(sqlite3_column_int64(s, 2)));
        int in_person = seen && w->today - last < cadence;
        add_up(t, i, offsetof(struct node, children), 1);
        if (in_person)
            add_up(t, i, offsetof(struct node, in_person), 1);
        else if (phoned && w->today - remote < cadence)
            add_up(t, i, offsetof(struct node, remote_only), 1);
        if (w->today - due > pol->overdue_days) add_up(t, i, offsetof(struct node, overdue), 1);
        if (w->today - due > OVERDUE_LONG_DAYS) add_up(t, i, offsetof(struct node, overdue_long), 1);
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int count_directors(struct store *st, struct tree *t)
{
    sqlite3_stmt *s =
        store_stmt(st, "SELECT region_id, count(*) FROM staff WHERE role = 'director' GROUP BY region_id");
    if (!s) return -1;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int i = find(t, sqlite3_column_int64(s, 0));
        if (i >= 0) add_up(t, i, offsetof(struct node, directors), sqlite3_column_int(s, 1));
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return -1;
    /* Only now are a village's children and directors complete. */
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].level == 3 && t->v[i].children > VILLAGE_BIG && t->v[i].directors == 1)
            add_up(t, (int)i, offsetof(struct node, big_one_director), 1);
    return 0;
}

/* Adds one guardian's distinct regions (regs[0..n), each with its
 * ancestors) to parents_away, and to parents_contacted when contacted. */
static void add_guardian(struct tree *t, const int *regs, size_t n, int contacted)
{
    int seen[64];
    size_t nseen = 0;
    for (size_t k = 0; k < n; k++)
        for (int i = regs[k], steps = 0; i >= 0 && steps < MAX_DEPTH; steps++, i = t->v[i].parent) {
            int dup = 0;
            for (size_t q = 0; q < nseen && !dup; q++) dup = seen[q] == i;
            if (dup) continue;
            if (nseen < sizeof seen / sizeof seen[0]) seen[nseen++] = i;
            t->v[i].away++;
            if (contacted) t->v[i].contacted++;
        }
}

static int count_parents(struct store *st, const struct when *w, struct tree *t, const struct ids *in_scope)
{
    /* Every away link, by guardian: only children in scope count, and a
     * guardian once per region that holds one of them. */
    sqlite3_stmt *s =
        store_stmt(st, "SELECT gc.guardian_id, gc.child_id, c.region_id, EXISTS (SELECT 1 FROM checkin k "
                       "WHERE k.guardian_id = gc.guardian_id AND k.created_at > ?1 AND k.created_at <= ?2) "
                       "FROM guardian_child gc JOIN child c ON c.id = gc.child_id WHERE gc.away = 1 "
                       "ORDER BY gc.guardian_id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, w->now - CONTACT_WINDOW);
    sqlite3_bind_int64(s, 2, w->now);
    int regs[16];
    size_t nregs = 0;
    int64_t guardian = 0;
    int contacted = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t g = sqlite3_column_int64(s, 0);
        if (g != guardian) {
            add_guardian(t, regs, nregs, contacted);
            guardian = g;
            nregs = 0;
        }
        contacted = sqlite3_column_int(s, 3);
        int i = find(t, sqlite3_column_int64(s, 2));
        if (i < 0 || !has_id(in_scope, sqlite3_column_int64(s, 1))) continue;
        int dup = 0;
        for (size_t k = 0; k < nregs && !dup; k++) dup = regs[k] == i;
        if (!dup && nregs < sizeof regs / sizeof regs[0]) regs[nregs++] = i;
    }
    add_guardian(t, regs, nregs, contacted);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int count_cases(struct store *st, const struct when *w, struct tree *t)
{
    /* A case belongs to the most precise region known: its village or
     * town, else its county. One with neither is in no row. */
    sqlite3_stmt *s = store_stmt(st, "SELECT coalesce(region_id, county_id), priority, status <> 'closed', "
                                     "opened_at, acked_at FROM cases "
                                     "WHERE coalesce(region_id, county_id) IS NOT NULL AND (status <> 'closed' "
                                     "OR (acked_at IS NOT NULL AND opened_at >= ?1 AND opened_at < ?2))");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, w->lo);
    sqlite3_bind_int64(s, 2, w->hi);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int i = find(t, sqlite3_column_int64(s, 0));
        if (i < 0) continue;
        int pr = sqlite3_column_int(s, 1);
        int64_t opened = sqlite3_column_int64(s, 3);
        if (sqlite3_column_int(s, 2) && pr >= 0 && pr <= 3)
            add_up(t, i, offsetof(struct node, open) + (size_t)pr * sizeof(long), 1);
        if (sqlite3_column_type(s, 4) != SQLITE_NULL && opened >= w->lo && opened < w->hi) {
            int64_t d = sqlite3_column_int64(s, 4) - opened;
            add_ack(t, i, d > 0 ? d : 0);
        }
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- output -------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Paths in tree order: a region right before its sub-regions ('/' sorts
 * first), siblings by their bytes. */
static int cmp_path(const void *a, const void *b)
{
    const unsigned char *p = (const unsigned char *)(*(const struct node *const *)a)->path;
    const unsigned char *q = (const unsigned char *)(*(const struct node *const *)b)->path;
    for (; *p && *p == *q; p++, q++) {
    }
    int x = *p == '/' ? 1 : *p, y = *q == '/' ? 1 : *q;
    return x - y;
}

/* One field, quoted only when it must be. */
static void put(FILE *f, const char *s, int first)
{
    if (!first) fputc(',', f);
    size_t n = strlen(s);
    if (strpbrk(s, ",\"\r\n") || (n && (s[0] == ' ' || s[n - 1] == ' ')))
        csv_fwrite(f, s, n);
    else
        fputs(s, f);
}

#define HEADER                                                                                                         \
    "level,region,children_in_scope,aged_out,visited_in_person,visited_remote_only,overdue_7,overdue_30,"              \
    "parents_contacted_7d,parents_away,directors,villages_over_30_one_director,open_p0,open_p1,open_p2,open_p3,"       \
    "median_minutes_to_ack"

static void write_row(FILE *f, struct node *nd)
{
    static const char *const levels[] = {"?", "county", "town", "village"};
    put(f, levels[nd->level >= 1 && nd->level <= 3 ? nd->level : 0], 1);
    put(f, nd->path, 0);
    fprintf(f, ",%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,%ld,", nd->children, nd->aged_out, nd->in_person,
            nd->remote_only, nd->overdue, nd->overdue_long, nd->contacted, nd->away, nd->directors,
            nd->big_one_director, nd->open[0], nd->open[1], nd->open[2], nd->open[3]);
    if (nd->nacks) {
        qsort(nd->acks, nd->nacks, sizeof *nd->acks, cmp_i64);
        size_t m = nd->nacks / 2;
        double secs = nd->nacks % 2 ? (double)nd->acks[m] : ((double)nd->acks[m - 1] + (double)nd->acks[m]) / 2;
        fprintf(f, "%.1f", secs / 60);
    }
    fputc('\n', f);
}

int store_export_coverage(struct store *st, const struct gw_policy *pol, int64_t now, const char *from, const char *to,
                          FILE *out, long *rows, char *err, size_t errlen)
{
    struct tree t = {0};
    struct ids in_scope = {0};
    struct node **order = NULL;
    struct gw_policy p;
    struct when w;
    int rc = -1;

    if (from && cal_date_valid(from) != 0) {
        gw_err(err, errlen, "--from '%s' is not a date written YYYY-MM-DD", from);
        return -1;
    }
    if (to && cal_date_valid(to) != 0) {
        gw_err(err, errlen, "--to '%s' is not a date written YYYY-MM-DD", to);
        return -1;
    }
    if (from && to && strcmp(from, to) > 0) {
        gw_err(err, errlen, "--from %s is after --to %s", from, to);
        return -1;
    }
    p = pol ? *pol : default_policy;
    if (p.visit_days <= 0) p.visit_days = default_policy.visit_days;
    if (p.visit_days_high <= 0) p.visit_days_high = default_policy.visit_days_high;
    if (p.overdue_days <= 0) p.overdue_days = default_policy.overdue_days;
    if (p.first_visit_days < 0) p.first_visit_days = 0;
    if (p.age_left_behind <= 0) p.age_left_behind = default_policy.age_left_behind;
    if (p.age_difficulty <= 0) p.age_difficulty = default_policy.age_difficulty;

    w.now = now;
    w.today = cal_local_day(now);
    {
        time_t tt = (time_t)now;
        struct tm tm;
        char b[48];
        localtime_r(&tt, &tm);
        snprintf(b, sizeof b, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        gw_strlcpy(w.today_s, b, sizeof w.today_s);
    }
    w.lo = from ? local_midnight(from, 0) : INT64_MIN;
    w.hi = to ? local_midnight(to, 1) : INT64_MAX;

    /* One read transaction (unless the caller holds one), so every count
     * sees the same moment. */
    int own_tx = sqlite3_get_autocommit(st->db);
    if (own_tx && store_exec(st, "BEGIN") != 0) goto dbfail;
    int ok = load_regions(st, &t) == 0 && count_children(st, &p, &w, &t, &in_scope) == 0 &&
             count_directors(st, &t) == 0 && count_parents(st, &w, &t, &in_scope) == 0 && count_cases(st, &w, &t) == 0;
    if (!ok) {
        gw_err(err, errlen, "database: %s", store_errmsg(st));
        if (own_tx) store_exec(st, "ROLLBACK");
        goto end;
    }
    if (own_tx && store_exec(st, "COMMIT") != 0) goto dbfail;

    order = gw_malloc((t.n ? t.n : 1) * sizeof *order);
    for (size_t i = 0; i < t.n; i++) order[i] = &t.v[i];
    qsort(order, t.n, sizeof *order, cmp_path);
    fputs(HEADER "\n", out);
    for (size_t i = 0; i < t.n; i++) write_row(out, order[i]);
    if (fflush(out) != 0 || ferror(out)) {
        gw_err(err, errlen, "write error");
        goto end;
    }
    if (rows) *rows = (long)t.n;
    rc = 0;
    goto end;
dbfail:
    gw_err(err, errlen, "database: %s", store_errmsg(st));
end:
    free(order);
    free(in_scope.v);
    tree_free(&t);
    return rc;
}
