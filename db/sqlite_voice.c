/* db/sqlite_voice.c - SQLite implementation of the voice line's call
 * records (store_voice.h).
 *
 * Runs on the store writer's connection inside a voice step's
 * transaction. Statements are static strings prepared once through
 * store_stmt; values travel only through bind calls.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "store_int.h"

int sqlite_db_call_get(struct store *st, const char *channel, const char *call_id, struct db_call *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = store_stmt(st, "SELECT id, path, state, last_step, last_key, last_doc, case_id, ended_at "
                                     "FROM call WHERE channel = ? AND call_id = ?");
    if (!s) return -1;
    store_bind_text(s, 1, channel);
    store_bind_text(s, 2, call_id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return 1;
    if (rc != SQLITE_ROW) return -1;
    out->id = sqlite3_column_int64(s, 0);
    store_col_text(s, 1, out->path, sizeof out->path);
    store_col_text(s, 2, out->state, sizeof out->state);
    store_col_text(s, 3, out->last_step, sizeof out->last_step);
    store_col_text(s, 4, out->last_key, sizeof out->last_key);
    const unsigned char *doc = sqlite3_column_text(s, 5);
    out->last_doc = doc ? gw_strdup((const char *)doc) : NULL;
    out->case_id = sqlite3_column_int64(s, 6);
    out->ended_at = sqlite3_column_int64(s, 7);
    sqlite3_reset(s);
    return 0;
}

int sqlite_db_call_start(struct store *st, const char *channel, const char *call_id, const char *caller,
                         const char *callee, int64_t now, int64_t *id)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO call(channel, call_id, caller, callee, started_at, updated_at) "
                                     "VALUES (?,?,?,?,?,?)");
    if (!s) return -1;
    store_bind_text(s, 1, channel);
    store_bind_text(s, 2, call_id);
    store_bind_text(s, 3, caller ? caller : "");
    store_bind_text(s, 4, callee && *callee ? callee : NULL);
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_int64(s, 6, now);
    if (sqlite3_step(s) != SQLITE_DONE) return -1;
    *id = sqlite3_last_insert_rowid(store_db(st));
    return 0;
}

int sqlite_db_call_save(struct store *st, const struct db_call *c, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE call SET path = ?, state = ?, last_step = ?, last_key = ?, "
                                     "last_doc = ?, case_id = ?, updated_at = ? WHERE id = ?");
    if (!s) return -1;
    store_bind_text(s, 1, c->path);
    store_bind_text(s, 2, c->state);
    store_bind_text(s, 3, c->last_step[0] ? c->last_step : NULL);
    store_bind_text(s, 4, c->last_key[0] ? c->last_key : NULL);
    store_bind_text(s, 5, c->last_doc);
    if (c->case_id)
        sqlite3_bind_int64(s, 6, c->case_id);
    else
        sqlite3_bind_null(s, 6);
    sqlite3_bind_int64(s, 7, now);
    sqlite3_bind_int64(s, 8, c->id);
    if (sqlite3_step(s) != SQLITE_DONE) return -1;
    return sqlite3_changes(store_db(st)) == 1 ? 0 : 1;
}

int sqlite_db_call_end(struct store *st, int64_t id, const char *status, long duration, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE call SET ended_at = ?, final_status = ?, "
                                     "duration = coalesce(?, duration), updated_at = ? WHERE id = ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, now);
    store_bind_text(s, 2, status);
    if (duration >= 0)
        sqlite3_bind_int64(s, 3, duration);
    else
        sqlite3_bind_null(s, 3);
    sqlite3_bind_int64(s, 4, now);
    sqlite3_bind_int64(s, 5, id);
    if (sqlite3_step(s) != SQLITE_DONE) return -1;
    return sqlite3_changes(store_db(st)) == 1 ? 0 : 1;
}
