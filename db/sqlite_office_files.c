/* db/sqlite_office_files.c - SQLite implementation of the office API's reads
 * of children's files (core/store_office_files.h): the scoped child list
 * (keyset on the unique code), one child by code within a scope, and the
 * parts of a child's file by the child's indexes (visit_child,
 * checkin_child, cases_child, guardian_child_child).
 *
 * Runs on the thread that owns the store.
 */
#include <stdint.h>

#include "store_int.h"

/* A file's child columns, in the order read_child reads them; CH is the
 * child, R its village. ?1 is today (YYYY-MM-DD). */
#define CHILD_COLS                                                                                                     \
    STORE_CHILD_HEAD_COLS ", CH.high_cadence, CH.created_at, "                                                         \
                          "(SELECT max(v.visit_date) FROM visit v WHERE v.child_id = CH.id AND v.visit_date <= ?1), "  \
                          "(SELECT max(v.visit_date) FROM visit v WHERE v.child_id = CH.id AND v.visit_date <= ?1 "    \
                          "AND v.result IN (1, 2, 3))"
#define CHILD_FROM " FROM child CH JOIN region R ON R.id = CH.region_id"
/* R lies at or under the region whose path is bound as ?2; "" is everywhere. */
#define IN_SCOPE " (?2 = '' OR R.path = ?2 OR substr(R.path, 1, length(?2) + 1) = ?2 || '/')"

/* The child row at the statement's cursor. */
static struct store_file_child read_child(sqlite3_stmt *s)
{
    return (struct store_file_child){
        STORE_CHILD_HEAD(s),
        .high_cadence = sqlite3_column_int(s, 8),
        .created_at = sqlite3_column_int64(s, 9),
        .last_visit = store_col(s, 10),
        .last_count = store_col(s, 11),
    };
}

int sqlite_store_files_children_each(struct store *st, const char *under, const char *q, const char *after, int limit,
                                     const char *today, int (*fn)(void *arg, const struct store_file_child *r),
                                     void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT " CHILD_COLS CHILD_FROM " WHERE" IN_SCOPE
                                     " AND (?3 = '' OR substr(CH.code, 1, length(?3)) = ?3 OR instr(CH.name, ?3) > 0)"
                                     " AND CH.code > ?4 ORDER BY CH.code LIMIT ?5");
    if (!s) return -1;
    store_bind_text(s, 1, today ? today : "9999-12-31");
    store_bind_text(s, 2, under ? under : "");
    store_bind_text(s, 3, q ? q : "");
    store_bind_text(s, 4, after ? after : "");
    sqlite3_bind_int(s, 5, limit > 0 ? limit : -1);
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_file_child r = read_child(s);
        if ((stop = fn(arg, &r)) != 0) break;
    }
    sqlite3_reset(s);
    return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_files_child(struct store *st, const char *code, const char *under, const char *today,
                             int (*fn)(void *arg, const struct store_file_child *r), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT " CHILD_COLS CHILD_FROM " WHERE CH.code = ?3 AND" IN_SCOPE);
    if (!s) return -1;
    store_bind_text(s, 1, today ? today : "9999-12-31");
    store_bind_text(s, 2, under ? under : "");
    store_bind_text(s, 3, code ? code : "");
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        struct store_file_child r = read_child(s);
        fn(arg, &r);
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int sqlite_store_files_guardians_each(struct store *st, int64_t child_id,
                                      int (*fn)(void *arg, const struct store_file_guardian *r), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT g.name, gc.relation, gc.away, g.phone FROM guardian_child gc "
                                     "JOIN guardian g ON g.id = gc.guardian_id WHERE gc.child_id = ?1 ORDER BY g.id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, child_id);
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_file_guardian r = {.name = store_col(s, 0),
                                        .relation = store_col(s, 1),
                                        .away = sqlite3_column_int(s, 2),
                                        .phone = store_col(s, 3)};
        if ((stop = fn(arg, &r)) != 0) break;
    }
    sqlite3_reset(s);
    return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_files_visits_each(struct store *st, int64_t child_id,
                                   int (*fn)(void *arg, const struct store_file_visit *r), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT v.id, v.visit_date, v.result, v.problems, v.note, s.name, v.created_at "
                                     "FROM visit v LEFT JOIN staff s ON s.id = v.staff_id WHERE v.child_id = ?1 "
                                     "ORDER BY v.visit_date, v.id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, child_id);
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *problems = store_col(s, 3);
        struct store_file_visit r = {.id = sqlite3_column_int64(s, 0),
                                     .visit_date = store_col(s, 1),
                                     .result = sqlite3_column_int(s, 2),
                                     .problems = problems ? problems : "",
                                     .note = store_col(s, 4),
                                     .staff = store_col(s, 5),
                                     .created_at = sqlite3_column_int64(s, 6)};
        if ((stop = fn(arg, &r)) != 0) break;
    }
    sqlite3_reset(s);
    return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_files_checkins_each(struct store *st, int64_t child_id,
                                     int (*fn)(void *arg, const struct store_file_checkin *r), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT k.id, k.created_at, k.status, k.return_date, k.note, gc.relation "
                                     "FROM checkin k LEFT JOIN guardian_child gc ON gc.guardian_id = k.guardian_id "
                                     "AND gc.child_id = k.child_id WHERE k.child_id = ?1 ORDER BY k.created_at, k.id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, child_id);
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_file_checkin r = {.id = sqlite3_column_int64(s, 0),
                                       .created_at = sqlite3_column_int64(s, 1),
                                       .status = sqlite3_column_int(s, 2),
                                       .return_date = store_col(s, 3),
                                       .note = store_col(s, 4),
                                       .relation = store_col(s, 5)};
        if ((stop = fn(arg, &r)) != 0) break;
    }
    sqlite3_reset(s);
    return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_files_cases_each(struct store *st, int64_t child_id,
                                  int (*fn)(void *arg, const struct store_file_case *r), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT number, category, priority, status, opened_at, acked_at, closed_at "
                                     "FROM cases WHERE child_id = ?1 ORDER BY opened_at, id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, child_id);
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_file_case r = {.number = store_col(s, 0),
                                    .category = sqlite3_column_int(s, 1),
                                    .priority = sqlite3_column_int(s, 2),
                                    .status = store_col(s, 3),
                                    .opened_at = sqlite3_column_int64(s, 4),
                                    .acked_at = sqlite3_column_int64(s, 5),
                                    .closed_at = sqlite3_column_int64(s, 6)};
        if ((stop = fn(arg, &r)) != 0) break;
    }
    sqlite3_reset(s);
    return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_files_messages_each(struct store *st, int64_t child_id,
                                     int (*fn)(void *arg, const struct store_file_message *r), void *arg)
{
    /* A message that caused several of the child's rows is listed once, with the first kind. */
    sqlite3_stmt *s =
        store_stmt(st, "SELECT i.id, i.received_at, i.channel, min(l.kind), i.intent, i.raw_text "
                       "FROM (SELECT inbox_id, 'checkin' AS kind FROM checkin WHERE child_id = ?1 "
                       "AND inbox_id IS NOT NULL UNION ALL SELECT inbox_id, 'visit' FROM visit "
                       "WHERE child_id = ?1 AND inbox_id IS NOT NULL) l JOIN inbox i ON i.id = l.inbox_id "
                       "GROUP BY i.id ORDER BY i.received_at, i.id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, child_id);
    int rc, stop = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_file_message r = {.id = sqlite3_column_int64(s, 0),
                                       .received_at = sqlite3_column_int64(s, 1),
                                       .channel = store_col(s, 2),
                                       .kind = store_col(s, 3),
                                       .intent = store_col(s, 4),
                                       .text = store_col(s, 5)};
        if ((stop = fn(arg, &r)) != 0) break;
    }
    sqlite3_reset(s);
    return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}
