/* db/sqlite_media.c - SQLite implementation of the recordings' queue
 * (store_media.h). Runs on the fetcher's own connection, except
 * store_media_add (the store writer's, inside a voice step's transaction);
 * every call is inside the caller's transaction when it has one. */
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "store_int.h"

static char *col_dup(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? gw_strdup((const char *)t) : NULL;
}

int sqlite_store_media_add(struct store *st, const char *channel, int64_t case_id, int64_t call_row_id, const char *url,
                           long duration, int64_t now, int64_t *id)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO media(channel, case_id, call_row_id, url, duration, created_at, "
                                     "updated_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT(channel, url) DO NOTHING");
    if (!s) return -1;
    store_bind_text(s, 1, channel);
    if (case_id) sqlite3_bind_int64(s, 2, case_id);
    if (call_row_id) sqlite3_bind_int64(s, 3, call_row_id);
    store_bind_text(s, 4, url);
    if (duration >= 0) sqlite3_bind_int64(s, 5, duration);
    sqlite3_bind_int64(s, 6, now);
    sqlite3_bind_int64(s, 7, now);
    if (sqlite3_step(s) != SQLITE_DONE) return -1;
    if (sqlite3_changes(store_db(st)) == 1) {
        if (id) *id = sqlite3_last_insert_rowid(store_db(st));
        return 0;
    }
    s = store_stmt(st, "SELECT id FROM media WHERE channel = ? AND url = ?");
    if (!s) return -1;
    store_bind_text(s, 1, channel);
    store_bind_text(s, 2, url);
    if (sqlite3_step(s) != SQLITE_ROW) return -1;
    if (id) *id = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return 1;
}

int sqlite_store_media_recover(struct store *st, int64_t *n)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE media SET status = 'queued', next_attempt_at = 0 "
                                     "WHERE status = 'fetching'");
    if (!s || sqlite3_step(s) != SQLITE_DONE) return -1;
    if (n) *n = sqlite3_changes(store_db(st));
    return 0;
}

int sqlite_store_media_due(struct store *st, int64_t now, int limit, struct store_media **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *s = store_stmt(st, "SELECT m.id, m.channel, m.url, coalesce(m.case_id, 0), c.number, m.attempts, "
                                     "m.created_at FROM media m LEFT JOIN cases c ON c.id = m.case_id "
                                     "WHERE m.status = 'queued' AND m.next_attempt_at <= ? ORDER BY m.id LIMIT ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int(s, 2, limit);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *rows = gw_realloc(*rows, cap * sizeof **rows);
        }
        struct store_media *r = &(*rows)[(*n)++];
        r->id = sqlite3_column_int64(s, 0);
        r->channel = col_dup(s, 1);
        r->url = col_dup(s, 2);
        r->case_id = sqlite3_column_int64(s, 3);
        r->case_number = col_dup(s, 4);
        r->attempts = sqlite3_column_int(s, 5);
        r->created_at = sqlite3_column_int64(s, 6);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        store_media_rows_free(*rows, *n);
        *rows = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

int sqlite_store_media_claim(struct store *st, int64_t id, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE media SET status = 'fetching', attempts = attempts + 1, updated_at = ? "
                                     "WHERE id = ? AND status = 'queued'");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, id);
    if (sqlite3_step(s) != SQLITE_DONE) return -1;
    return sqlite3_changes(store_db(st)) == 1 ? 0 : 1;
}

int sqlite_store_media_fetched(struct store *st, int64_t id, const char *path, const char *sha256, int64_t bytes,
                               const char *content_type, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE media SET status = 'fetched', path = ?, sha256 = ?, bytes = ?, "
                                     "content_type = ?, last_error = NULL, updated_at = ? "
                                     "WHERE id = ? AND status = 'fetching'");
    if (!s) return -1;
    store_bind_text(s, 1, path);
    store_bind_text(s, 2, sha256);
    sqlite3_bind_int64(s, 3, bytes);
    store_bind_text(s, 4, content_type);
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_int64(s, 6, id);
    if (sqlite3_step(s) != SQLITE_DONE) return -1;
    return sqlite3_changes(store_db(st)) == 1 ? 0 : 1;
}

int sqlite_store_media_failed(struct store *st, int64_t id, int retry, const char *error, int64_t next_attempt_at,
                              int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE media SET status = ?, last_error = ?, next_attempt_at = ?, "
                                     "updated_at = ? WHERE id = ? AND status = 'fetching'");
    if (!s) return -1;
    store_bind_text(s, 1, retry ? "queued" : "failed");
    store_bind_text(s, 2, error);
    sqlite3_bind_int64(s, 3, retry ? next_attempt_at : 0);
    sqlite3_bind_int64(s, 4, now);
    sqlite3_bind_int64(s, 5, id);
    return sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_media_release(struct store *st, int64_t id, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE media SET status = 'queued', next_attempt_at = 0, "
                                     "attempts = max(attempts - 1, 0), updated_at = ? "
                                     "WHERE id = ? AND status = 'fetching'");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, id);
    return sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_media_case_recipients(struct store *st, int64_t case_id, struct store_media_recipient *out, int max)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT recipient, max(CASE WHEN status = 'queued' THEN next_attempt_at "
                                     "ELSE 0 END) FROM outbox WHERE case_id = ? AND template = 'case_alert' "
                                     "GROUP BY recipient ORDER BY min(id)");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, case_id);
    int n = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n < max) {
            store_col_text(s, 0, out[n].phone, sizeof out[n].phone);
            out[n].not_before = sqlite3_column_int64(s, 1);
        }
        n++;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? n : -1;
}
