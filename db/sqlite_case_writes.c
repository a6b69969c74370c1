/* db/sqlite_case_writes.c - SQLite implementation of store_case_writes.h:
 * a case's departments set by a person (table case_dept).
 *
 * Runs on the thread that owns the store, inside the caller's transaction.
 * Statements are static strings prepared once through store_stmt; values
 * travel only through bind calls.
 */
#include "store_int.h"

int sqlite_db_case_assign(struct store *st, int64_t case_id, const char *const *depts, int ndepts, int64_t staff_id,
                          const char *detail, int64_t now)
{
    if (ndepts < 1 || ndepts > DB_CASE_MAX_DEPTS) return -1;
    sqlite3_stmt *s = store_stmt(st, "SELECT 1 FROM cases WHERE id = ? AND status <> 'closed'");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, case_id);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return 1;
    if (rc != SQLITE_ROW) return -1;
    s = store_stmt(st, "DELETE FROM case_dept WHERE case_id = ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, case_id);
    if (store_step_done(s) != 0) return -1;
    for (int i = 0; i < ndepts; i++) {
        s = store_stmt(st, "INSERT OR IGNORE INTO case_dept(case_id, department) VALUES (?, ?)");
        if (!s) return -1;
        sqlite3_bind_int64(s, 1, case_id);
        store_bind_text(s, 2, depts[i]);
        if (store_step_done(s) != 0) return -1;
    }
    return db_case_event(st, case_id, "assigned", staff_id, detail, now);
}
