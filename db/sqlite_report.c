/* db/sqlite_report.c - SQLite implementation of the rows behind a report
 * over a period (core/store_report.h). A child's fields at the period's end
 * come from the change log: the old value of the first change at or after
 * the end, one index look-up per field on child_change(child_id, at).
 *
 * Runs on the thread that owns the store.
 */
#include <stdint.h>

#include "store_int.h"

/* Steps s, calling each(s) for every row; the store_report.h return
 * convention. */
static int each_row(sqlite3_stmt *s, int (*each)(sqlite3_stmt *s, void *ctx), void *ctx)
{
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if ((stop = each(s, ctx)) != 0) break;
    sqlite3_reset(s);
    return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}

/* A caller's callback and its argument, for each_row. */
struct cb {
    int (*child)(void *arg, const struct store_report_child *c);
    int (*visit)(void *arg, const struct store_report_visit *v);
    int (*pair)(void *arg, int64_t a, int64_t b);
    int (*kase)(void *arg, const struct store_report_case *c);
    void *arg;
};

static const char *text_or(sqlite3_stmt *s, int i, const char *dflt)
{
    const char *v = store_col(s, i);
    return v ? v : dflt;
}

static int child_row(sqlite3_stmt *s, void *ctx)
{
    struct cb *cb = ctx;
    struct store_report_child c = {
        .id = sqlite3_column_int64(s, 0),
        .region_id = sqlite3_column_int64(s, 1),
        .birth_date = text_or(s, 2, ""),
        .categories = text_or(s, 3, ""),
        .flags = text_or(s, 4, ""),
        .created_at = sqlite3_column_int64(s, 5),
    };
    return cb->child(cb->arg, &c);
}

/* The old value of a child's first change of field F at or after ?1. */
#define OLD_VALUE(F)                                                                                                   \
    "(SELECT h.old_value FROM child_change h WHERE h.child_id = c.id AND h.field = '" F "' AND h.at >= ?1 "            \
    "ORDER BY h.at, h.id LIMIT 1)"

/* clang-format off */
static const char children_sql[] =
    "SELECT id, coalesce((SELECT r.id FROM region r WHERE r.path = old_region "
    "OR (old_region GLOB '[0-9]*' AND r.id = CAST(old_region AS INTEGER)) LIMIT 1), region_id), "
    "birth_date, coalesce(old_categories, categories), coalesce(old_flags, flags), created_at "
    "FROM (SELECT c.id, c.region_id, c.birth_date, c.categories, c.flags, c.created_at, "
    OLD_VALUE("region_id") " AS old_region, "
    OLD_VALUE("categories") " AS old_categories, "
    OLD_VALUE("flags") " AS old_flags "
    "FROM child c WHERE c.created_at < ?1) ORDER BY id";
/* clang-format on */

int sqlite_store_report_children_each(struct store *st, int64_t until,
                                      int (*fn)(void *arg, const struct store_report_child *c), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, children_sql);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, until);
    struct cb cb = {.child = fn, .arg = arg};
    return each_row(s, child_row, &cb);
}

static int visit_row(sqlite3_stmt *s, void *ctx)
{
    struct cb *cb = ctx;
    struct store_report_visit v = {
        .child_id = sqlite3_column_int64(s, 0),
        .visit_date = text_or(s, 1, ""),
        .result = sqlite3_column_int(s, 2),
        .problems = text_or(s, 3, ""),
    };
    return cb->visit(cb->arg, &v);
}

int sqlite_store_report_visits_each(struct store *st, const char *from_date, const char *to_date,
                                    int (*fn)(void *arg, const struct store_report_visit *v), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT child_id, visit_date, result, problems FROM visit "
                                     "WHERE visit_date >= ?1 AND visit_date <= ?2 ORDER BY child_id, visit_date");
    if (!s) return -1;
    store_bind_text(s, 1, from_date);
    store_bind_text(s, 2, to_date);
    struct cb cb = {.visit = fn, .arg = arg};
    return each_row(s, visit_row, &cb);
}

static int pair_row(sqlite3_stmt *s, void *ctx)
{
    struct cb *cb = ctx;
    return cb->pair(cb->arg, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1));
}

int sqlite_store_report_checkins_each(struct store *st, int64_t from, int64_t until,
                                      int (*fn)(void *arg, int64_t guardian_id, int64_t child_id), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT guardian_id, child_id FROM checkin "
                                     "WHERE created_at >= ?1 AND created_at < ?2 ORDER BY guardian_id, created_at");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, from);
    sqlite3_bind_int64(s, 2, until);
    struct cb cb = {.pair = fn, .arg = arg};
    return each_row(s, pair_row, &cb);
}

int sqlite_store_report_away_each(struct store *st, int64_t until,
                                  int (*fn)(void *arg, int64_t guardian_id, int64_t child_id), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT gc.guardian_id, gc.child_id FROM guardian_child gc "
                                     "JOIN guardian g ON g.id = gc.guardian_id "
                                     "WHERE gc.away = 1 AND g.created_at < ?1 ORDER BY gc.guardian_id, gc.child_id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, until);
    struct cb cb = {.pair = fn, .arg = arg};
    return each_row(s, pair_row, &cb);
}

static int64_t int_or_zero(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, i);
}

static int case_row(sqlite3_stmt *s, void *ctx)
{
    struct cb *cb = ctx;
    struct store_report_case c = {
        .region_id = sqlite3_column_int64(s, 0),
        .category = sqlite3_column_int(s, 1),
        .priority = sqlite3_column_int(s, 2),
        .opened_at = sqlite3_column_int64(s, 3),
        .acked_at = int_or_zero(s, 4),
        .closed_at = int_or_zero(s, 5),
        .outcome = (int)int_or_zero(s, 6),
        .has_reporter = sqlite3_column_int(s, 7),
        .told_at = int_or_zero(s, 8),
    };
    return cb->kase(cb->arg, &c);
}

int sqlite_store_report_cases_each(struct store *st, int64_t from, int64_t until,
                                   int (*fn)(void *arg, const struct store_report_case *c), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT coalesce(c.region_id, c.county_id), c.category, c.priority, c.opened_at, "
                                     "c.acked_at, c.closed_at, c.outcome, "
                                     "c.reporter_id IS NOT NULL OR c.reporter_purged_at IS NOT NULL, "
                                     "(SELECT min(e.at) FROM case_event e WHERE e.case_id = c.id "
                                     "AND e.kind = 'reporter_told') "
                                     "FROM cases c WHERE c.opened_at >= ?1 AND c.opened_at < ?2 "
                                     "AND coalesce(c.region_id, c.county_id) IS NOT NULL ORDER BY c.id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, from);
    sqlite3_bind_int64(s, 2, until);
    struct cb cb = {.kase = fn, .arg = arg};
    return each_row(s, case_row, &cb);
}

int sqlite_store_report_directors_each(struct store *st, int64_t until,
                                       int (*fn)(void *arg, int64_t region_id, long directors), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT region_id, count(*) FROM staff WHERE role = 'director' "
                                     "AND created_at < ?1 GROUP BY region_id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, until);
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if ((stop = fn(arg, sqlite3_column_int64(s, 0), (long)sqlite3_column_int64(s, 1))) != 0) break;
    sqlite3_reset(s);
    return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}
