/* db/sqlite_session.c - SQLite implementation of store_session.h: staff
 * sign-in codes (table login_code) and sessions (table session), stored
 * as hashes.
 *
 * Runs on the thread that owns the store (the writer), inside the caller's
 * transaction. Statements are static strings prepared once through
 * store_stmt; values travel only through bind calls.
 */
#include <string.h>

#include "../core/util.h"
#include "store_int.h"

/* ---- login codes ----------------------------------------------------------------- */

int sqlite_store_login_code_insert(struct store *st, const struct store_login_code_row *r, int64_t *id)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO login_code(phone, hash, client, created_at, expires_at) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!s) return -1;
    store_bind_text(s, 1, r->phone);
    store_bind_text(s, 2, r->hash);
    store_bind_text(s, 3, r->client);
    sqlite3_bind_int64(s, 4, r->created_at);
    sqlite3_bind_int64(s, 5, r->expires_at);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return -1;
    if (id) *id = sqlite3_last_insert_rowid(store_db(st));
    return 0;
}

/* Counts the rows of a (key, since) statement: *n and the oldest time. 0 or -1. */
static int count_since(sqlite3_stmt *s, const char *key, int64_t since, int *n, int64_t *oldest)
{
    store_bind_text(s, 1, key);
    sqlite3_bind_int64(s, 2, since);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *n = sqlite3_column_int(s, 0);
        *oldest = sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : -1;
}

int sqlite_store_login_code_counts(struct store *st, const char *phone, const char *client, int64_t since,
                                   struct store_login_counts *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *p = store_stmt(st, "SELECT count(*), coalesce(min(created_at), 0) FROM login_code "
                                     "WHERE phone = ?1 AND created_at >= ?2");
    if (!p || count_since(p, phone, since, &out->phone, &out->phone_oldest) != 0) return -1;
    sqlite3_stmt *c = store_stmt(st, "SELECT count(*), coalesce(min(created_at), 0) FROM login_code "
                                     "WHERE client = ?1 AND created_at >= ?2");
    if (!c || count_since(c, client, since, &out->client, &out->client_oldest) != 0) return -1;
    return 0;
}

int sqlite_store_login_code_last(struct store *st, const char *phone, struct store_login_code_row *out)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT id, phone, hash, client, created_at, expires_at, tries, "
                                     "coalesce(used_at, 0) FROM login_code WHERE phone = ?1 AND hash <> '' "
                                     "ORDER BY created_at DESC, id DESC LIMIT 1");
    if (!s) return -1;
    memset(out, 0, sizeof *out);
    store_bind_text(s, 1, phone);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(s, 0);
        store_col_text(s, 1, out->phone, sizeof out->phone);
        store_col_text(s, 2, out->hash, sizeof out->hash);
        store_col_text(s, 3, out->client, sizeof out->client);
        out->created_at = sqlite3_column_int64(s, 4);
        out->expires_at = sqlite3_column_int64(s, 5);
        out->tries = sqlite3_column_int(s, 6);
        out->used_at = sqlite3_column_int64(s, 7);
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int sqlite_store_login_code_try(struct store *st, int64_t id)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE login_code SET tries = tries + 1 WHERE id = ?1");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, id);
    return store_step_changed(st, s);
}

int sqlite_store_login_code_use(struct store *st, int64_t id, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE login_code SET used_at = coalesce(used_at, ?1) WHERE id = ?2");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, id);
    return store_step_changed(st, s);
}

/* ---- sessions ---------------------------------------------------------------------- */

int sqlite_store_session_insert(struct store *st, const struct store_session_row *r, int64_t *id)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO session(hash, staff_id, csrf_hash, client, created_at, "
                                     "last_seen_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!s) return -1;
    store_bind_text(s, 1, r->hash);
    sqlite3_bind_int64(s, 2, r->staff_id);
    store_bind_text(s, 3, r->csrf_hash);
    store_bind_text(s, 4, r->client);
    sqlite3_bind_int64(s, 5, r->created_at);
    sqlite3_bind_int64(s, 6, r->last_seen_at);
    sqlite3_bind_int64(s, 7, r->expires_at);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) {
        if (id) *id = sqlite3_last_insert_rowid(store_db(st));
        return 0;
    }
    return sqlite3_extended_errcode(store_db(st)) == SQLITE_CONSTRAINT_UNIQUE ? 1 : -1;
}

int sqlite_store_session_by_hash(struct store *st, const char *hash, struct store_session_row *out)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT s.id, s.hash, s.staff_id, s.csrf_hash, s.client, s.created_at, "
                                     "s.last_seen_at, s.expires_at, f.role, coalesce(f.department, ''), "
                                     "r.id, r.level, r.path, f.name FROM session s JOIN staff f ON f.id = s.staff_id "
                                     "JOIN region r ON r.id = f.region_id WHERE s.hash = ?1 AND s.ended_at IS NULL");
    if (!s) return -1;
    memset(out, 0, sizeof *out);
    store_bind_text(s, 1, hash);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(s, 0);
        store_col_text(s, 1, out->hash, sizeof out->hash);
        out->staff_id = sqlite3_column_int64(s, 2);
        store_col_text(s, 3, out->csrf_hash, sizeof out->csrf_hash);
        store_col_text(s, 4, out->client, sizeof out->client);
        out->created_at = sqlite3_column_int64(s, 5);
        out->last_seen_at = sqlite3_column_int64(s, 6);
        out->expires_at = sqlite3_column_int64(s, 7);
        store_col_text(s, 8, out->role, sizeof out->role);
        store_col_text(s, 9, out->department, sizeof out->department);
        out->region_id = sqlite3_column_int64(s, 10);
        out->region_level = sqlite3_column_int(s, 11);
        store_col_text(s, 12, out->region, sizeof out->region);
        store_col_text(s, 13, out->name, sizeof out->name);
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int sqlite_store_session_touch(struct store *st, int64_t id, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE session SET last_seen_at = ?1 WHERE id = ?2");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, id);
    return store_step_changed(st, s);
}

int sqlite_store_session_end(struct store *st, const char *hash, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE session SET ended_at = coalesce(ended_at, ?1) WHERE hash = ?2");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, now);
    store_bind_text(s, 2, hash);
    return store_step_changed(st, s);
}

int sqlite_store_sign_in_purge(struct store *st, int64_t codes_before, int64_t sessions_before)
{
    sqlite3_stmt *s = store_stmt(st, "DELETE FROM login_code WHERE created_at < ?1");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, codes_before);
    if (store_step_done(s) != 0) return -1;
    int n = sqlite3_changes(store_db(st));
    s = store_stmt(st, "DELETE FROM session WHERE ended_at < ?1 OR expires_at < ?1");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, sessions_before);
    if (store_step_done(s) != 0) return -1;
    return n + sqlite3_changes(store_db(st));
}
