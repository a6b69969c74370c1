/* db/pg_report.c - PostgreSQL implementation of the rows behind a report
 * over a period (core/store_report.h). A child's fields at the period's end
 * come from the change log: the old value of the first change at or after
 * the end, one index look-up per field on child_change(child_id, at).
 *
 * Runs on the thread that owns the store.
 */
#include <stdint.h>

#include "pg_int.h"

/* Runs sql with a's parameters and calls each(r, i, ctx) for every row;
 * the store_report.h return convention. */
static int each_row(struct store *st, const char *sql, const struct pg_args *a,
                    int (*each)(const PGresult *r, int i, void *ctx), void *ctx)
{
    PGresult *r = pg_run(st, sql, a);
    if (!r) return -1;
    int stop = 0;
    for (int i = 0, n = PQntuples(r); i < n && !stop; i++) stop = each(r, i, ctx);
    PQclear(r);
    return stop;
}

/* A caller's callback and its argument, for each_row. */
struct cb {
    int (*child)(void *arg, const struct store_report_child *c);
    int (*visit)(void *arg, const struct store_report_visit *v);
    int (*pair)(void *arg, int64_t a, int64_t b);
    int (*kase)(void *arg, const struct store_report_case *c);
    int (*directors)(void *arg, int64_t region_id, long directors);
    void *arg;
};

/* The text at (i, c), dflt when NULL. */
static const char *text_or(const PGresult *r, int i, int c, const char *dflt)
{
    return PQgetisnull(r, i, c) ? dflt : PQgetvalue(r, i, c);
}

static int child_row(const PGresult *r, int i, void *ctx)
{
    struct cb *cb = ctx;
    struct store_report_child c = {
        .id = pg_int(r, i, 0),
        .region_id = pg_int(r, i, 1),
        .birth_date = text_or(r, i, 2, ""),
        .categories = text_or(r, i, 3, ""),
        .flags = text_or(r, i, 4, ""),
        .created_at = pg_int(r, i, 5),
    };
    return cb->child(cb->arg, &c);
}

/* The old value of a child's first change of field F at or after $1. */
#define OLD_VALUE(F)                                                                                                   \
    "(SELECT h.old_value FROM child_change h WHERE h.child_id = c.id AND h.field = '" F "' AND h.at >= $1 "            \
    "ORDER BY h.at, h.id LIMIT 1)"

/* The old region names one by path, or by id when it starts with digits
 * (SQLite's CAST of such text: its leading digits; too many of them name
 * no region). */
/* clang-format off */
static const char children_sql[] =
    "SELECT id, coalesce((SELECT r.id FROM region r WHERE r.path = old_region "
    "OR (old_region ~ '^[0-9]{1,18}([^0-9]|$)' "
    "AND r.id = CASE WHEN old_region ~ '^[0-9]{1,18}([^0-9]|$)' "
    "THEN substring(old_region FROM '^[0-9]+')::bigint END) LIMIT 1), region_id), "
    "birth_date, coalesce(old_categories, categories), coalesce(old_flags, flags), created_at "
    "FROM (SELECT c.id, c.region_id, c.birth_date, c.categories, c.flags, c.created_at, "
    OLD_VALUE("region_id") " AS old_region, "
    OLD_VALUE("categories") " AS old_categories, "
    OLD_VALUE("flags") " AS old_flags "
    "FROM child c WHERE c.created_at < $1) AS k ORDER BY id";
/* clang-format on */

/* Every child registered before until, as it was at until, by id. */
int pg_store_report_children_each(struct store *st, int64_t until,
                                  int (*fn)(void *arg, const struct store_report_child *c), void *arg)
{
    struct pg_args a = {0};
    pg_arg_int(&a, until);
    struct cb cb = {.child = fn, .arg = arg};
    return each_row(st, children_sql, &a, child_row, &cb);
}

static int visit_row(const PGresult *r, int i, void *ctx)
{
    struct cb *cb = ctx;
    struct store_report_visit v = {
        .child_id = pg_int(r, i, 0),
        .visit_date = text_or(r, i, 1, ""),
        .result = (int)pg_int(r, i, 2),
        .problems = text_or(r, i, 3, ""),
    };
    return cb->visit(cb->arg, &v);
}

/* The visits dated from_date to to_date (both included), by child and date. */
int pg_store_report_visits_each(struct store *st, const char *from_date, const char *to_date,
                                int (*fn)(void *arg, const struct store_report_visit *v), void *arg)
{
    struct pg_args a = {0};
    pg_arg_text(&a, from_date);
    pg_arg_text(&a, to_date);
    struct cb cb = {.visit = fn, .arg = arg};
    return each_row(st,
                    "SELECT child_id, visit_date, result, problems FROM visit "
                    "WHERE visit_date >= $1 COLLATE \"C\" AND visit_date <= $2 COLLATE \"C\" "
                    "ORDER BY child_id, visit_date COLLATE \"C\"",
                    &a, visit_row, &cb);
}

static int pair_row(const PGresult *r, int i, void *ctx)
{
    struct cb *cb = ctx;
    return cb->pair(cb->arg, pg_int(r, i, 0), pg_int(r, i, 1));
}

/* The check-ins made in [from, until) as (guardian, child), by guardian
 * and time. */
int pg_store_report_checkins_each(struct store *st, int64_t from, int64_t until,
                                  int (*fn)(void *arg, int64_t guardian_id, int64_t child_id), void *arg)
{
    struct pg_args a = {0};
    pg_arg_int(&a, from);
    pg_arg_int(&a, until);
    struct cb cb = {.pair = fn, .arg = arg};
    return each_row(st,
                    "SELECT guardian_id, child_id FROM checkin "
                    "WHERE created_at >= $1 AND created_at < $2 ORDER BY guardian_id, created_at",
                    &a, pair_row, &cb);
}

/* The away links of guardians registered before until, by guardian and
 * child. */
int pg_store_report_away_each(struct store *st, int64_t until,
                              int (*fn)(void *arg, int64_t guardian_id, int64_t child_id), void *arg)
{
    struct pg_args a = {0};
    pg_arg_int(&a, until);
    struct cb cb = {.pair = fn, .arg = arg};
    return each_row(st,
                    "SELECT gc.guardian_id, gc.child_id FROM guardian_child gc "
                    "JOIN guardian g ON g.id = gc.guardian_id "
                    "WHERE gc.away = 1 AND g.created_at < $1 ORDER BY gc.guardian_id, gc.child_id",
                    &a, pair_row, &cb);
}

static int case_row(const PGresult *r, int i, void *ctx)
{
    struct cb *cb = ctx;
    struct store_report_case c = {
        .region_id = pg_int(r, i, 0),
        .category = (int)pg_int(r, i, 1),
        .priority = (int)pg_int(r, i, 2),
        .opened_at = pg_int(r, i, 3),
        .acked_at = pg_int(r, i, 4),
        .closed_at = pg_int(r, i, 5),
        .outcome = (int)pg_int(r, i, 6),
        .has_reporter = (int)pg_int(r, i, 7),
        .told_at = pg_int(r, i, 8),
    };
    return cb->kase(cb->arg, &c);
}

/* The cases opened in [from, until) that have a region or county, by id. */
int pg_store_report_cases_each(struct store *st, int64_t from, int64_t until,
                               int (*fn)(void *arg, const struct store_report_case *c), void *arg)
{
    struct pg_args a = {0};
    pg_arg_int(&a, from);
    pg_arg_int(&a, until);
    struct cb cb = {.kase = fn, .arg = arg};
    return each_row(st,
                    "SELECT coalesce(c.region_id, c.county_id), c.category, c.priority, c.opened_at, "
                    "c.acked_at, c.closed_at, c.outcome, "
                    "CASE WHEN c.reporter_id IS NOT NULL OR c.reporter_purged_at IS NOT NULL THEN 1 ELSE 0 END, "
                    "(SELECT min(e.at) FROM case_event e WHERE e.case_id = c.id "
                    "AND e.kind = 'reporter_told') "
                    "FROM cases c WHERE c.opened_at >= $1 AND c.opened_at < $2 "
                    "AND coalesce(c.region_id, c.county_id) IS NOT NULL ORDER BY c.id",
                    &a, case_row, &cb);
}

static int directors_row(const PGresult *r, int i, void *ctx)
{
    struct cb *cb = ctx;
    return cb->directors(cb->arg, pg_int(r, i, 0), (long)pg_int(r, i, 1));
}

/* The number of directors registered before until per region, by region
 * id (the order SQLite's grouping gives). */
int pg_store_report_directors_each(struct store *st, int64_t until,
                                   int (*fn)(void *arg, int64_t region_id, long directors), void *arg)
{
    struct pg_args a = {0};
    pg_arg_int(&a, until);
    struct cb cb = {.directors = fn, .arg = arg};
    return each_row(st,
                    "SELECT region_id, count(*) FROM staff WHERE role = 'director' "
                    "AND created_at < $1 GROUP BY region_id ORDER BY region_id",
                    &a, directors_row, &cb);
}
