/* db/pg_coverage.c - PostgreSQL implementation of the rows behind the
 * coverage report (store_roster.h): the regions, one row per child with its
 * last counting and last remote visit (two index look-ups per child on
 * visit(child_id, visit_date)), directors per region, the away links with
 * their recent check-ins, and the cases that count. The counting itself is
 * the domain's (handlers/coverage.c).
 *
 * Runs on the thread that owns the store.
 */
#include <stdint.h>

#include "pg_int.h"

/* The text at (row, col), NULL for SQL NULL; valid until the result is cleared. */
static const char *col(const PGresult *r, int row, int i)
{
    return PQgetisnull(r, row, i) ? NULL : PQgetvalue(r, row, i);
}

int pg_store_read_begin(struct store *st)
{
    /* One snapshot for every statement until read_end: PostgreSQL's
     * default (READ COMMITTED) takes one per statement. */
    struct pg_store *pg = pg_of(st);
    if (pg->depth > 0 || PQtransactionStatus(pg->conn) != PQTRANS_IDLE) return 0;
    if (pg_exec(st, "BEGIN ISOLATION LEVEL REPEATABLE READ") != 0) return -1;
    pg->depth = 1;
    return 1;
}

int pg_store_read_end(struct store *st, int began)
{
    if (began != 1) return 0;
    return pg_store_commit(st);
}

int pg_store_regions_each(struct store *st, int (*fn)(void *arg, const struct store_region_rec *r), void *arg)
{
    PGresult *res = pg_run(st, "SELECT id, parent_id, path, level FROM region ORDER BY id", NULL);
    if (!res) return -1;
    int stop = 0, n = PQntuples(res);
    for (int i = 0; i < n && !stop; i++) {
        const char *p = col(res, i, 2);
        struct store_region_rec r = {
            .id = pg_int(res, i, 0),
            .parent_id = pg_int(res, i, 1), /* 0 when NULL */
            .path = p ? p : "",
            .level = (int)pg_int(res, i, 3),
        };
        stop = fn(arg, &r);
    }
    PQclear(res);
    return stop;
}

int pg_store_children_each(struct store *st, const char *today, int (*fn)(void *arg, const struct store_child_rec *r),
                           void *arg)
{
    /* Visits dated after today are not yet visible. */
    struct pg_args a = {0};
    pg_arg_text(&a, today);
    PGresult *res = pg_run(st,
                           "SELECT c.id, c.region_id, c.flags, c.high_cadence, c.created_at, "
                           "(SELECT max(v.visit_date) FROM visit v WHERE v.child_id = c.id "
                           "AND v.visit_date <= $1::text AND v.result IN (1, 2, 3)), "
                           "(SELECT max(v.visit_date) FROM visit v WHERE v.child_id = c.id "
                           "AND v.visit_date <= $1::text AND v.result = 4), "
                           "c.birth_date, c.categories "
                           "FROM child c ORDER BY c.id",
                           &a);
    if (!res) return -1;
    int stop = 0, n = PQntuples(res);
    for (int i = 0; i < n && !stop; i++) {
        const char *flags = col(res, i, 2);
        struct store_child_rec r = {
            .id = pg_int(res, i, 0),
            .region_id = pg_int(res, i, 1),
            .flags = flags ? flags : "",
            .high_cadence = (int)pg_int(res, i, 3),
            .created_at = pg_int(res, i, 4),
            .last_visit = col(res, i, 5),
            .last_remote = col(res, i, 6),
            .birth_date = col(res, i, 7),
            .categories = col(res, i, 8),
        };
        stop = fn(arg, &r);
    }
    PQclear(res);
    return stop;
}

int pg_store_directors_each(struct store *st, int (*fn)(void *arg, int64_t region_id, long directors), void *arg)
{
    PGresult *res =
        pg_run(st, "SELECT region_id, count(*) FROM staff WHERE role = 'director' GROUP BY region_id", NULL);
    if (!res) return -1;
    int stop = 0, n = PQntuples(res);
    for (int i = 0; i < n && !stop; i++) stop = fn(arg, pg_int(res, i, 0), (long)pg_int(res, i, 1));
    PQclear(res);
    return stop;
}

int pg_store_away_links_each(struct store *st, int64_t from, int64_t until,
                             int (*fn)(void *arg, const struct store_away_rec *r), void *arg)
{
    struct pg_args a = {0};
    pg_arg_int(&a, from);
    pg_arg_int(&a, until);
    PGresult *res = pg_run(st,
                           "SELECT gc.guardian_id, gc.child_id, c.region_id, EXISTS (SELECT 1 FROM checkin k "
                           "WHERE k.guardian_id = gc.guardian_id AND k.created_at > $1::bigint "
                           "AND k.created_at <= $2::bigint)::int "
                           "FROM guardian_child gc JOIN child c ON c.id = gc.child_id WHERE gc.away = 1 "
                           "ORDER BY gc.guardian_id",
                           &a);
    if (!res) return -1;
    int stop = 0, n = PQntuples(res);
    for (int i = 0; i < n && !stop; i++) {
        struct store_away_rec r = {
            .guardian_id = pg_int(res, i, 0),
            .child_id = pg_int(res, i, 1),
            .region_id = pg_int(res, i, 2),
            .contacted = (int)pg_int(res, i, 3),
        };
        stop = fn(arg, &r);
    }
    PQclear(res);
    return stop;
}

int pg_store_cases_brief_each(struct store *st, int64_t from, int64_t until,
                              int (*fn)(void *arg, const struct store_case_brief *r), void *arg)
{
    /* A case belongs to the most precise region known: its village or
     * town, else its county. One with neither is in no row. */
    struct pg_args a = {0};
    pg_arg_int(&a, from);
    pg_arg_int(&a, until);
    PGresult *res = pg_run(st,
                           "SELECT coalesce(region_id, county_id), priority, (status <> 'closed')::int, "
                           "opened_at, acked_at FROM cases "
                           "WHERE coalesce(region_id, county_id) IS NOT NULL AND (status <> 'closed' "
                           "OR (acked_at IS NOT NULL AND opened_at >= $1::bigint AND opened_at < $2::bigint)) "
                           "ORDER BY id",
                           &a);
    if (!res) return -1;
    int stop = 0, n = PQntuples(res);
    for (int i = 0; i < n && !stop; i++) {
        struct store_case_brief r = {
            .region_id = pg_int(res, i, 0),
            .priority = (int)pg_int(res, i, 1),
            .open = (int)pg_int(res, i, 2),
            .opened_at = pg_int(res, i, 3),
            .acked_at = pg_null(res, i, 4) ? STORE_NULL : pg_int(res, i, 4),
        };
        stop = fn(arg, &r);
    }
    PQclear(res);
    return stop;
}
