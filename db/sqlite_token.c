/* db/sqlite_token.c - SQLite implementation of store_token.h: the bearer
 * tokens of integrations (table api_token), stored as SHA-256 hashes.
 *
 * Runs on the thread that owns the store (the writer, or a CLI command),
 * inside the caller's transaction when there is one. Statements are
 * static strings prepared once through store_stmt; values travel only
 * through bind calls.
 */
#include <string.h>

#include "../core/util.h"
#include "store_int.h"

/* The columns every read selects, in the order read_row reads them. */
#define TOKEN_COLS                                                                                                     \
    "t.id, t.name, t.role, coalesce(t.region_id, 0), coalesce(r.path, ''), coalesce(t.department, ''), t.hash, "       \
    "t.created_at, coalesce(t.revoked_at, 0), coalesce(t.last_used_at, 0) "                                            \
    "FROM api_token t LEFT JOIN region r ON r.id = t.region_id "

/* Copies the current row of a TOKEN_COLS statement into out. */
static void read_row(sqlite3_stmt *s, struct store_token_row *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(s, 0);
    store_col_text(s, 1, out->name, sizeof out->name);
    store_col_text(s, 2, out->role, sizeof out->role);
    out->region_id = sqlite3_column_int64(s, 3);
    store_col_text(s, 4, out->region, sizeof out->region);
    store_col_text(s, 5, out->department, sizeof out->department);
    store_col_text(s, 6, out->hash, sizeof out->hash);
    out->created_at = sqlite3_column_int64(s, 7);
    out->revoked_at = sqlite3_column_int64(s, 8);
    out->last_used_at = sqlite3_column_int64(s, 9);
}

int sqlite_store_token_insert(struct store *st, const struct store_token_row *r, int64_t now, int64_t *id)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO api_token(name, role, region_id, department, hash, created_at) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!s) return -1;
    store_bind_text(s, 1, r->name);
    store_bind_text(s, 2, r->role);
    if (r->region_id)
        sqlite3_bind_int64(s, 3, r->region_id);
    else
        sqlite3_bind_null(s, 3);
    store_bind_text(s, 4, r->department[0] ? r->department : NULL);
    store_bind_text(s, 5, r->hash);
    sqlite3_bind_int64(s, 6, now);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) {
        if (id) *id = sqlite3_last_insert_rowid(store_db(st));
        return 0;
    }
    return sqlite3_extended_errcode(store_db(st)) == SQLITE_CONSTRAINT_UNIQUE ? 1 : -1;
}

int sqlite_store_token_by_hash(struct store *st, const char *hash, struct store_token_row *out)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT " TOKEN_COLS "WHERE t.hash = ? AND t.revoked_at IS NULL");
    if (!s) return -1;
    store_bind_text(s, 1, hash);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        read_row(s, out);
        rc = 0;
    } else {
        memset(out, 0, sizeof *out);
        rc = rc == SQLITE_DONE ? 1 : -1;
    }
    sqlite3_reset(s);
    return rc;
}

int sqlite_store_token_revoke(struct store *st, const char *name, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE api_token SET revoked_at = coalesce(revoked_at, ?1) WHERE name = ?2");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, now);
    store_bind_text(s, 2, name);
    return store_step_changed(st, s);
}

int sqlite_store_token_touch(struct store *st, int64_t id, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE api_token SET last_used_at = ?1 WHERE id = ?2");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, id);
    return store_step_changed(st, s);
}

int sqlite_store_tokens_each(struct store *st, int (*fn)(void *arg, const struct store_token_row *r), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT " TOKEN_COLS "ORDER BY t.name");
    if (!s) return -1;
    int rc, stop = 0;
    struct store_token_row row;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        read_row(s, &row);
        stop = fn(arg, &row);
    }
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? 0 : -1;
}
