/* db/sqlite_ussd.c - SQLite implementation of store_ussd.h: USSD session
 * rows and the details a USSD report adds to its case after opening it.
 *
 * Runs on the thread that owns the store, inside the caller's transaction
 * (the store writer's, one step per savepoint). Statements are static
 * strings prepared once through store_stmt; values travel only through
 * bind calls. A session is keyed by (channel, session_id), the provider's
 * session id being unique only within one provider account.
 */
#include <string.h>

#include "../core/util.h"
#include "store_int.h"

static void bind_id_or_null(sqlite3_stmt *s, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(s, i, v);
    else
        sqlite3_bind_null(s, i);
}

int sqlite_db_ussd_get(struct store *st, const char *channel, const char *session_id, struct db_ussd_session *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = store_stmt(st, "SELECT id, phone, state, last_text, last_screen, last_end, case_id, "
                                     "created_at, updated_at FROM ussd_session WHERE channel = ? AND session_id = ?");
    if (!s) return -1;
    store_bind_text(s, 1, channel);
    store_bind_text(s, 2, session_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(s, 0);
        store_col_text(s, 1, out->phone, sizeof out->phone);
        store_col_text(s, 2, out->state, sizeof out->state);
        out->has_last = sqlite3_column_type(s, 3) != SQLITE_NULL;
        store_col_text(s, 3, out->last_text, sizeof out->last_text);
        store_col_text(s, 4, out->last_screen, sizeof out->last_screen);
        out->last_end = sqlite3_column_int(s, 5) != 0;
        out->case_id = sqlite3_column_int64(s, 6); /* 0 for NULL */
        out->created_at = sqlite3_column_int64(s, 7);
        out->updated_at = sqlite3_column_int64(s, 8);
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? 1 : -1;
    }
    sqlite3_reset(s);
    return rc;
}

int sqlite_db_ussd_put(struct store *st, const char *channel, const char *session_id, const char *service_code,
                       const struct db_ussd_session *u, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO ussd_session(channel, session_id, phone, service_code, state, "
                                     "last_text, last_screen, last_end, case_id, created_at, updated_at) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10) "
                                     "ON CONFLICT(channel, session_id) DO UPDATE SET phone = excluded.phone, "
                                     "service_code = excluded.service_code, state = excluded.state, "
                                     "last_text = excluded.last_text, last_screen = excluded.last_screen, "
                                     "last_end = excluded.last_end, case_id = excluded.case_id, "
                                     "updated_at = excluded.updated_at");
    if (!s) return -1;
    store_bind_text(s, 1, channel);
    store_bind_text(s, 2, session_id);
    store_bind_text(s, 3, u->phone);
    store_bind_text(s, 4, service_code);
    store_bind_text(s, 5, u->state);
    store_bind_text(s, 6, u->has_last ? u->last_text : NULL);
    store_bind_text(s, 7, u->last_screen);
    sqlite3_bind_int(s, 8, u->last_end ? 1 : 0);
    bind_id_or_null(s, 9, u->case_id);
    sqlite3_bind_int64(s, 10, now);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Steps an UPDATE: 0 when it changed a row, 1 when none, -1. */
static int step_changed(struct store *st, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return -1;
    return sqlite3_changes(store_db(st)) > 0 ? 0 : 1;
}

int sqlite_db_case_attach_child(struct store *st, int64_t case_id, const struct db_child *child)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE cases SET child_id = ?1, "
                                     "region_id = CASE WHEN county_id IS NULL OR county_id = ?2 THEN ?3 "
                                     "ELSE region_id END, "
                                     "county_id = coalesce(county_id, ?2) "
                                     "WHERE id = ?4 AND child_id IS NULL");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, child->id);
    bind_id_or_null(s, 2, child->region.county_id);
    bind_id_or_null(s, 3, child->region.id);
    sqlite3_bind_int64(s, 4, case_id);
    return step_changed(st, s);
}

int sqlite_db_case_attach_description(struct store *st, int64_t case_id, const char *desc)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE cases SET description = ?1 WHERE id = ?2 AND description IS NULL");
    if (!s) return -1;
    store_bind_text(s, 1, desc);
    sqlite3_bind_int64(s, 2, case_id);
    return step_changed(st, s);
}
