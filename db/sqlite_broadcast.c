/* db/sqlite_broadcast.c - SQLite implementation of store_broadcast.h:
 * broadcasts (table broadcast), their audiences read from the roster, and
 * their outbox rows (outbox.broadcast_id).
 *
 * Runs on the thread that owns the store (a CLI command), inside the
 * caller's transaction. Statements are static strings prepared once
 * through store_stmt; values travel only through bind calls.
 */
#include <string.h>

#include "store_int.h"

/* The columns every read selects, in the order read_row reads them. */
#define BC_COLS                                                                                                        \
    "b.id, b.template, b.vars, b.audience, b.status, b.created_by, coalesce(c.name, ''), b.created_at, "               \
    "coalesce(b.approved_by, 0), coalesce(a.name, ''), coalesce(b.approved_at, 0), coalesce(b.cancelled_at, 0), "      \
    "coalesce(b.recipients, -1), coalesce(b.opted_out, -1) "                                                           \
    "FROM broadcast b LEFT JOIN staff c ON c.id = b.created_by LEFT JOIN staff a ON a.id = b.approved_by "

/* Copies the current row of a BC_COLS statement into out. */
static void read_row(sqlite3_stmt *s, struct store_broadcast *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(s, 0);
    store_col_text(s, 1, out->tmpl, sizeof out->tmpl);
    store_col_text(s, 2, out->vars_json, sizeof out->vars_json);
    store_col_text(s, 3, out->audience, sizeof out->audience);
    store_col_text(s, 4, out->status, sizeof out->status);
    out->created_by = sqlite3_column_int64(s, 5);
    store_col_text(s, 6, out->created_name, sizeof out->created_name);
    out->created_at = sqlite3_column_int64(s, 7);
    out->approved_by = sqlite3_column_int64(s, 8);
    store_col_text(s, 9, out->approved_name, sizeof out->approved_name);
    out->approved_at = sqlite3_column_int64(s, 10);
    out->cancelled_at = sqlite3_column_int64(s, 11);
    out->recipients = sqlite3_column_int64(s, 12);
    out->opted_out = sqlite3_column_int64(s, 13);
}

int sqlite_store_broadcast_insert(struct store *st, const char *tmpl, const char *vars_json, const char *audience,
                                  int64_t created_by, int64_t now, int64_t *id)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO broadcast(template, vars, audience, status, created_by, created_at) "
                                     "VALUES (?1, ?2, ?3, 'pending', ?4, ?5)");
    if (!s) return -1;
    store_bind_text(s, 1, tmpl);
    store_bind_text(s, 2, vars_json ? vars_json : "{}");
    store_bind_text(s, 3, audience);
    sqlite3_bind_int64(s, 4, created_by);
    sqlite3_bind_int64(s, 5, now);
    if (store_step_done(s) != 0) return -1;
    if (id) *id = sqlite3_last_insert_rowid(store_db(st));
    return 0;
}

int sqlite_store_broadcast_get(struct store *st, int64_t id, struct store_broadcast *out)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT " BC_COLS "WHERE b.id = ?1");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) read_row(s, out);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int sqlite_store_broadcasts_each(struct store *st, int (*fn)(void *arg, const struct store_broadcast *b), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT " BC_COLS "ORDER BY b.id DESC");
    if (!s) return -1;
    struct store_broadcast b;
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        read_row(s, &b);
        stop = fn(arg, &b);
    }
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_broadcast_approve(struct store *st, int64_t id, int64_t approved_by, int64_t recipients,
                                   int64_t opted_out, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE broadcast SET status = 'approved', approved_by = ?2, approved_at = ?3, "
                                     "recipients = ?4, opted_out = ?5 WHERE id = ?1 AND status = 'pending'");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, approved_by);
    sqlite3_bind_int64(s, 3, now);
    sqlite3_bind_int64(s, 4, recipients);
    sqlite3_bind_int64(s, 5, opted_out);
    return store_step_changed(st, s);
}

int sqlite_store_broadcast_cancel(struct store *st, int64_t id, int64_t now, int64_t *unsent)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE broadcast SET status = 'cancelled', cancelled_at = ?2 "
                                     "WHERE id = ?1 AND status IN ('pending','approved')");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, now);
    int rc = store_step_changed(st, s);
    if (rc != 0) return rc;
    s = store_stmt(st, "UPDATE outbox SET status = 'failed', last_error = 'broadcast cancelled', updated_at = ?2, "
                       "done_at = ?2 WHERE broadcast_id = ?1 AND status = 'queued'");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, now);
    if (store_step_done(s) != 0) return -1;
    if (unsent) *unsent = sqlite3_changes(store_db(st));
    return 0;
}

/* R lies at or under the region whose path is bound as ?1. */
#define UNDER_PATH " (R.path = ?1 OR substr(R.path, 1, length(?1) + 1) = ?1 || '/')"

int sqlite_store_audience_each(struct store *st, enum store_audience who, const char *category, const char *under,
                               int (*fn)(void *arg, const char *phone), void *arg)
{
    sqlite3_stmt *s;
    if (who == STORE_AUD_DIRECTORS)
        s = store_stmt(st, "SELECT DISTINCT S.phone FROM staff S JOIN region R ON R.id = S.region_id "
                           "WHERE S.role = 'director' AND" UNDER_PATH " ORDER BY S.phone");
    else if (who == STORE_AUD_AWAY)
        s = store_stmt(st, "SELECT DISTINCT G.phone FROM guardian G JOIN guardian_child L ON L.guardian_id = G.id "
                           "JOIN child K ON K.id = L.child_id JOIN region R ON R.id = K.region_id "
                           "WHERE L.away = 1 AND" UNDER_PATH " ORDER BY G.phone");
    else
        s = store_stmt(st, "SELECT DISTINCT G.phone FROM guardian G JOIN guardian_child L ON L.guardian_id = G.id "
                           "JOIN child K ON K.id = L.child_id JOIN region R ON R.id = K.region_id "
                           "WHERE instr('|' || K.categories || '|', '|' || ?2 || '|') > 0 AND" UNDER_PATH
                           " ORDER BY G.phone");
    if (!s) return -1;
    store_bind_text(s, 1, under);
    if (who == STORE_AUD_GUARDIANS) store_bind_text(s, 2, category ? category : "");
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *phone = store_col(s, 0);
        stop = fn(arg, phone ? phone : "");
    }
    sqlite3_reset(s);
    if (stop) return stop;
    return rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_broadcast_queue(struct store *st, const struct store_broadcast_msg *m, int64_t now, int64_t *id)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO outbox(recipient, template, vars, body, kind, priority, dedupe_key, "
                                     "broadcast_id, created_at, updated_at, next_attempt_at) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, 0) "
                                     "ON CONFLICT(dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING");
    if (!s) return -1;
    store_bind_text(s, 1, m->recipient);
    store_bind_text(s, 2, m->tmpl);
    store_bind_text(s, 3, m->vars_json ? m->vars_json : "{}");
    store_bind_text(s, 4, m->body);
    store_bind_text(s, 5, m->kind);
    sqlite3_bind_int(s, 6, m->priority);
    store_bind_text(s, 7, m->dedupe_key);
    sqlite3_bind_int64(s, 8, m->broadcast_id);
    sqlite3_bind_int64(s, 9, now);
    if (store_step_done(s) != 0) return -1;
    if (sqlite3_changes(store_db(st)) == 1) {
        if (id) *id = sqlite3_last_insert_rowid(store_db(st));
        return 0;
    }
    s = store_stmt(st, "SELECT id FROM outbox WHERE dedupe_key = ?1");
    if (!s) return -1;
    store_bind_text(s, 1, m->dedupe_key);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && id) *id = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 1 : -1;
}

int sqlite_store_broadcast_progress(struct store *st, int64_t id, struct store_broadcast_progress *out)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT coalesce(sum(status IN ('queued','sending')), 0), "
                                     "coalesce(sum(status = 'sent'), 0), coalesce(sum(status = 'delivered'), 0), "
                                     "coalesce(sum(status = 'failed'), 0), coalesce(sum(status = 'suppressed'), 0) "
                                     "FROM outbox WHERE broadcast_id = ?1");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        out->queued = sqlite3_column_int64(s, 0);
        out->sent = sqlite3_column_int64(s, 1);
        out->delivered = sqlite3_column_int64(s, 2);
        out->failed = sqlite3_column_int64(s, 3);
        out->suppressed = sqlite3_column_int64(s, 4);
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : -1;
}
