/* db/sqlite_coverage.c - SQLite implementation of the rows behind the
 * coverage report (store_roster.h): the regions, one row per child with its
 * last counting and last remote visit (two index look-ups per child on
 * visit(child_id, visit_date)), directors per region, the away links with
 * their recent check-ins, and the cases that count. The counting itself is
 * the domain's (handlers/coverage.c).
 *
 * Runs on the thread that owns the store.
 */
#include <stdint.h>

#include "store_int.h"

int sqlite_store_read_begin(struct store *st)
{
    if (!sqlite3_get_autocommit(store_db(st))) return 0;
    return store_exec(st, "BEGIN") == 0 ? 1 : -1;
}

int sqlite_store_read_end(struct store *st, int began)
{
    if (began != 1) return 0;
    return store_exec(st, "COMMIT");
}

int sqlite_store_regions_each(struct store *st, int (*fn)(void *arg, const struct store_region_rec *r), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT id, parent_id, path, level FROM region ORDER BY id");
    if (!s) return -1;
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *p = sqlite3_column_text(s, 2);
        struct store_region_rec r = {
            .id = sqlite3_column_int64(s, 0),
            .parent_id = sqlite3_column_type(s, 1) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 1),
            .path = p ? (const char *)p : "",
            .level = sqlite3_column_int(s, 3),
        };
        if ((stop = fn(arg, &r)) != 0) break;
    }
    sqlite3_reset(s);
    return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_children_each(struct store *st, const char *today,
                               int (*fn)(void *arg, const struct store_child_rec *r), void *arg)
{
    /* Visits dated after today are not yet visible. */
    sqlite3_stmt *s = store_stmt(st, "SELECT c.id, c.region_id, c.flags, c.high_cadence, c.created_at, "
                                     "(SELECT max(v.visit_date) FROM visit v WHERE v.child_id = c.id "
                                     "AND v.visit_date <= ?1 AND v.result IN (1, 2, 3)), "
                                     "(SELECT max(v.visit_date) FROM visit v WHERE v.child_id = c.id "
                                     "AND v.visit_date <= ?1 AND v.result = 4), "
                                     "c.birth_date, c.categories "
                                     "FROM child c ORDER BY c.id");
    if (!s) return -1;
    store_bind_text(s, 1, today);
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *flags = (const char *)sqlite3_column_text(s, 2);
        struct store_child_rec r = {
            .id = sqlite3_column_int64(s, 0),
            .region_id = sqlite3_column_int64(s, 1),
            .flags = flags ? flags : "",
            .high_cadence = sqlite3_column_int(s, 3),
            .created_at = sqlite3_column_int64(s, 4),
            .last_visit = (const char *)sqlite3_column_text(s, 5),
            .last_remote = (const char *)sqlite3_column_text(s, 6),
            .birth_date = (const char *)sqlite3_column_text(s, 7),
            .categories = (const char *)sqlite3_column_text(s, 8),
        };
        if ((stop = fn(arg, &r)) != 0) break;
    }
    sqlite3_reset(s);
    return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_directors_each(struct store *st, int (*fn)(void *arg, int64_t region_id, long directors), void *arg)
{
    sqlite3_stmt *s =
        store_stmt(st, "SELECT region_id, count(*) FROM staff WHERE role = 'director' GROUP BY region_id");
    if (!s) return -1;
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if ((stop = fn(arg, sqlite3_column_int64(s, 0), (long)sqlite3_column_int64(s, 1))) != 0) break;
    sqlite3_reset(s);
    return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_away_links_each(struct store *st, int64_t from, int64_t until,
                                 int (*fn)(void *arg, const struct store_away_rec *r), void *arg)
{
    sqlite3_stmt *s =
        store_stmt(st, "SELECT gc.guardian_id, gc.child_id, c.region_id, EXISTS (SELECT 1 FROM checkin k "
                       "WHERE k.guardian_id = gc.guardian_id AND k.created_at > ?1 AND k.created_at <= ?2) "
                       "FROM guardian_child gc JOIN child c ON c.id = gc.child_id WHERE gc.away = 1 "
                       "ORDER BY gc.guardian_id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, from);
    sqlite3_bind_int64(s, 2, until);
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_away_rec r = {
            .guardian_id = sqlite3_column_int64(s, 0),
            .child_id = sqlite3_column_int64(s, 1),
            .region_id = sqlite3_column_int64(s, 2),
            .contacted = sqlite3_column_int(s, 3),
        };
        if ((stop = fn(arg, &r)) != 0) break;
    }
    sqlite3_reset(s);
    return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_cases_brief_each(struct store *st, int64_t from, int64_t until,
                                  int (*fn)(void *arg, const struct store_case_brief *r), void *arg)
{
    /* A case belongs to the most precise region known: its village or
     * town, else its county. One with neither is in no row. */
    sqlite3_stmt *s = store_stmt(st, "SELECT coalesce(region_id, county_id), priority, status <> 'closed', "
                                     "opened_at, acked_at FROM cases "
                                     "WHERE coalesce(region_id, county_id) IS NOT NULL AND (status <> 'closed' "
                                     "OR (acked_at IS NOT NULL AND opened_at >= ?1 AND opened_at < ?2))");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, from);
    sqlite3_bind_int64(s, 2, until);
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_case_brief r = {
            .region_id = sqlite3_column_int64(s, 0),
            .priority = sqlite3_column_int(s, 1),
            .open = sqlite3_column_int(s, 2),
            .opened_at = sqlite3_column_int64(s, 3),
            .acked_at = sqlite3_column_type(s, 4) == SQLITE_NULL ? STORE_NULL : sqlite3_column_int64(s, 4),
        };
        if ((stop = fn(arg, &r)) != 0) break;
    }
    sqlite3_reset(s);
    return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}
