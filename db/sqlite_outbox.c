/* db/sqlite_outbox.c - SQLite implementation of the outbound queue's life
 * (store_outbox.h). Runs on the sender's own connection; every call is
 * inside the caller's transaction when it has one. */
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "store_int.h"

static char *col_dup(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? gw_strdup((const char *)t) : NULL;
}

int sqlite_store_outbox_recover(struct store *st, int64_t *n)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE outbox SET status = 'queued', next_attempt_at = 0 "
                                     "WHERE status = 'sending'");
    if (!s || sqlite3_step(s) != SQLITE_DONE) return -1;
    if (n) *n = sqlite3_changes(store_db(st));
    return 0;
}

/* One row of the due queries' columns (id, channel, recipient, template,
 * vars, body, kind, priority, attempts, created_at). */
static void send_from_row(sqlite3_stmt *s, struct store_send *r)
{
    r->id = sqlite3_column_int64(s, 0);
    r->channel = col_dup(s, 1);
    r->recipient = col_dup(s, 2);
    r->tmpl = col_dup(s, 3);
    r->vars_json = col_dup(s, 4);
    r->body = col_dup(s, 5);
    r->kind = col_dup(s, 6);
    r->priority = sqlite3_column_int(s, 7);
    r->attempts = sqlite3_column_int(s, 8);
    r->created_at = sqlite3_column_int64(s, 9);
}

int sqlite_store_outbox_due(struct store *st, int64_t now, int limit, const int64_t *skip, size_t nskip,
                            struct store_send **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *s = store_stmt(st, "SELECT id, channel, recipient, template, vars, body, kind, priority, "
                                     "attempts, created_at FROM outbox WHERE status = 'queued' AND "
                                     "next_attempt_at <= ? ORDER BY priority, id LIMIT ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int(s, 2, limit + (int)nskip);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(s, 0);
        int skipped = 0;
        for (size_t k = 0; k < nskip && !skipped; k++) skipped = skip[k] == id;
        if (skipped) continue;
        if (*n == (size_t)limit) break;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *rows = gw_realloc(*rows, cap * sizeof **rows);
        }
        send_from_row(s, &(*rows)[(*n)++]);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        store_sends_free(*rows, *n);
        *rows = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

/* 1 when name is one of names[0..n). */
static int named(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(name, names[i])) return 1;
    return 0;
}

/* Appends to *rows (*n of *cap) the due rows of one channel (NULL: the
 * rows without one), most urgent first, at most limit, leaving out the
 * broadcast rows when no_bulk. Each read walks the queue index of that
 * channel alone and stops at limit, however long another channel's
 * backlog is. 0 or -1. */
static int due_of_channel(struct store *st, const char *channel, int no_bulk, int64_t now, int limit,
                          struct store_send **rows, size_t *n, size_t *cap)
{
    sqlite3_stmt *s =
        !channel  ? store_stmt(st, "SELECT id, channel, recipient, template, vars, body, kind, priority, attempts, "
                                    "created_at FROM outbox WHERE status = 'queued' AND channel IS NULL AND "
                                    "next_attempt_at <= ?1 ORDER BY priority, id LIMIT ?2")
        : no_bulk ? store_stmt(st, "SELECT id, channel, recipient, template, vars, body, kind, priority, attempts, "
                                   "created_at FROM outbox WHERE status = 'queued' AND channel = ?3 AND "
                                   "next_attempt_at <= ?1 AND kind <> 'broadcast' ORDER BY priority, id LIMIT ?2")
                  : store_stmt(st, "SELECT id, channel, recipient, template, vars, body, kind, priority, attempts, "
                                   "created_at FROM outbox WHERE status = 'queued' AND channel = ?3 AND "
                                   "next_attempt_at <= ?1 ORDER BY priority, id LIMIT ?2");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int(s, 2, limit);
    if (channel) sqlite3_bind_text(s, 3, channel, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 16;
            *rows = gw_realloc(*rows, *cap * sizeof **rows);
        }
        send_from_row(s, &(*rows)[(*n)++]);
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Most urgent first (priority, then age): the order of the queue. */
static int by_urgency(const void *a, const void *b)
{
    const struct store_send *x = a, *y = b;
    if (x->priority != y->priority) return x->priority < y->priority ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

int sqlite_store_outbox_due_open(struct store *st, int64_t now, int limit, const char *const *busy, size_t nbusy,
                                 const char *const *bulk, size_t nbulk, struct store_send **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    size_t cap = 0;
    /* The channels queued rows name, one index seek each, then each open
     * channel's first rows; the merge keeps the queue's order. */
    int rc = due_of_channel(st, NULL, 0, now, limit, rows, n, &cap);
    sqlite3_stmt *next = store_stmt(st, "SELECT min(channel) FROM outbox WHERE status = 'queued' AND channel > ?1");
    char channel[128] = "";
    while (rc == 0 && next) {
        sqlite3_bind_text(next, 1, channel, -1, SQLITE_TRANSIENT);
        int step = sqlite3_step(next);
        const char *name = step == SQLITE_ROW ? store_col(next, 0) : NULL;
        if (step != SQLITE_ROW) rc = -1;
        if (!name) break;
        size_t len = strlen(name);
        gw_strlcpy(channel, name, sizeof channel);
        sqlite3_reset(next);              /* name is gone from here on */
        if (len >= sizeof channel) break; /* no configured channel has such a name */
        if (!named(channel, busy, nbusy))
            rc = due_of_channel(st, channel, named(channel, bulk, nbulk), now, limit, rows, n, &cap);
    }
    if (next) sqlite3_reset(next);
    if (!next || rc != 0) {
        store_sends_free(*rows, *n);
        *rows = NULL;
        *n = 0;
        return -1;
    }
    if (*n > 1) qsort(*rows, *n, sizeof **rows, by_urgency);
    while (*n > (size_t)limit) store_send_clear(&(*rows)[--(*n)]);
    return 0;
}

int sqlite_store_outbox_assign(struct store *st, int64_t id, const char *channel)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE outbox SET channel = ? WHERE id = ? AND status = 'queued'");
    if (!s) return -1;
    store_bind_text(s, 1, channel);
    sqlite3_bind_int64(s, 2, id);
    return sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_outbox_next_due(struct store *st, int64_t *at)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT min(next_attempt_at) FROM outbox WHERE status = 'queued'");
    if (!s || sqlite3_step(s) != SQLITE_ROW) return -1;
    if (sqlite3_column_type(s, 0) == SQLITE_NULL) return 1;
    *at = sqlite3_column_int64(s, 0);
    return 0;
}

int sqlite_store_outbox_claim(struct store *st, int64_t id, const char *channel, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE outbox SET status = 'sending', channel = ?, attempts = attempts + 1, "
                                     "updated_at = ? WHERE id = ? AND status = 'queued'");
    if (!s) return -1;
    store_bind_text(s, 1, channel);
    sqlite3_bind_int64(s, 2, now);
    sqlite3_bind_int64(s, 3, id);
    if (sqlite3_step(s) != SQLITE_DONE) return -1;
    return sqlite3_changes(store_db(st)) == 1 ? 0 : 1;
}

/* Applies a receipt to row id unless the row is final. A receipt never
 * puts a row back in the queue: "queued" at the provider means it has it. */
static int apply_status(struct store *st, int64_t id, const char *status, const char *error, int64_t now)
{
    if (!strcmp(status, "queued")) status = "sent";
    sqlite3_stmt *s =
        store_stmt(st, "UPDATE outbox SET status = ?1, last_error = coalesce(?2, last_error), "
                       "updated_at = ?3, done_at = CASE WHEN ?1 IN ('delivered','failed') THEN ?3 "
                       "ELSE done_at END WHERE id = ?4 AND status NOT IN ('delivered','failed','suppressed')");
    if (!s) return -1;
    store_bind_text(s, 1, status);
    store_bind_text(s, 2, error);
    sqlite3_bind_int64(s, 3, now);
    sqlite3_bind_int64(s, 4, id);
    return sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_outbox_finish(struct store *st, int64_t id, const char *status, const char *provider_msg_id,
                               const char *error, int64_t next_attempt_at, int64_t now)
{
    /* A receipt may already have made the row final while the request was
     * on the wire: then only the provider id is recorded. */
    sqlite3_stmt *s = store_stmt(
        st, "UPDATE outbox SET provider_msg_id = coalesce(?2, provider_msg_id), last_error = ?3, updated_at = ?5, "
            "status = CASE WHEN status IN ('delivered','failed','suppressed') THEN status "
            "WHEN status = 'sent' AND ?1 = 'queued' THEN status ELSE ?1 END, "
            "next_attempt_at = CASE WHEN ?1 = 'queued' AND status = 'sending' THEN ?4 ELSE next_attempt_at END, "
            "sent_at = CASE WHEN ?1 = 'sent' THEN ?5 ELSE sent_at END, "
            "done_at = CASE WHEN status IN ('delivered','failed','suppressed') THEN done_at "
            "WHEN ?1 IN ('failed','suppressed') THEN ?5 ELSE done_at END WHERE id = ?6");
    if (!s) return -1;
    store_bind_text(s, 1, status);
    store_bind_text(s, 2, provider_msg_id);
    store_bind_text(s, 3, error);
    sqlite3_bind_int64(s, 4, next_attempt_at);
    sqlite3_bind_int64(s, 5, now);
    sqlite3_bind_int64(s, 6, id);
    if (sqlite3_step(s) != SQLITE_DONE) return -1;
    if (!provider_msg_id) return 0;
    /* Receipts that came before the answer. */
    s = store_stmt(st, "SELECT p.id, p.status, p.error FROM receipt_pending p JOIN outbox o ON o.id = ? "
                       "WHERE p.channel = o.channel AND p.provider_msg_id = ? ORDER BY p.id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, id);
    store_bind_text(s, 2, provider_msg_id);
    int64_t pids[8];
    char statuses[8][16], errors[8][128];
    int np = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && np < 8) {
        pids[np] = sqlite3_column_int64(s, 0);
        store_col_text(s, 1, statuses[np], sizeof statuses[np]);
        store_col_text(s, 2, errors[np], sizeof errors[np]);
        np++;
    }
    sqlite3_reset(s);
    for (int i = 0; i < np; i++) {
        if (apply_status(st, id, statuses[i], errors[i][0] ? errors[i] : NULL, now) != 0) return -1;
        s = store_stmt(st, "DELETE FROM receipt_pending WHERE id = ?");
        if (!s) return -1;
        sqlite3_bind_int64(s, 1, pids[i]);
        if (sqlite3_step(s) != SQLITE_DONE) return -1;
    }
    return 0;
}

int sqlite_store_send_attempt(struct store *st, int64_t outbox_id, int attempt, const char *channel, long http,
                              const char *result, const char *provider_msg_id, const char *error, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO send_attempt(outbox_id, attempt, at, channel, http_status, "
                                     "result, provider_msg_id, error) VALUES (?,?,?,?,?,?,?,?)");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, outbox_id);
    sqlite3_bind_int(s, 2, attempt);
    sqlite3_bind_int64(s, 3, now);
    store_bind_text(s, 4, channel);
    if (http) sqlite3_bind_int64(s, 5, http);
    store_bind_text(s, 6, result);
    store_bind_text(s, 7, provider_msg_id);
    store_bind_text(s, 8, error);
    return sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_outbox_receipt(struct store *st, const char *channel, const char *provider_msg_id, int64_t ref,
                                const char *status, const char *raw_status, const char *error, int64_t now,
                                char *recipient)
{
    /* A receipt touches only a row handed to its own channel: outbox ids
     * are sequential and provider ids can be guessed, so a row still
     * queued, or one on another channel, is never reachable from a status
     * hook. Looked up by the provider's id first, else by our reference. */
    sqlite3_stmt *s;
    int64_t id = 0;
    char row_status[16] = "", row_pid[160] = "", to[32] = "";
    int has_pid = provider_msg_id && *provider_msg_id, rc;
    if (!channel || !*channel) return 2;
    for (int by_ref = 0; by_ref < 2 && !id; by_ref++) {
        if (!by_ref && !has_pid) continue;
        if (by_ref && ref <= 0) break;
        s = store_stmt(st, by_ref ? "SELECT id, status, coalesce(provider_msg_id, ''), recipient FROM outbox "
                                    "WHERE id = ?2 AND channel = ?1"
                                  : "SELECT id, status, coalesce(provider_msg_id, ''), recipient FROM outbox "
                                    "WHERE channel = ?1 AND provider_msg_id = ?3 ORDER BY id DESC LIMIT 1");
        if (!s) return -1;
        store_bind_text(s, 1, channel);
        if (by_ref)
            sqlite3_bind_int64(s, 2, ref);
        else
            store_bind_text(s, 3, provider_msg_id);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            id = sqlite3_column_int64(s, 0);
            store_col_text(s, 1, row_status, sizeof row_status);
            store_col_text(s, 2, row_pid, sizeof row_pid);
            store_col_text(s, 3, to, sizeof to);
        }
        sqlite3_reset(s);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return -1;
        /* Found by reference while the receipt's provider id matched
         * nothing: only a row whose send has not answered yet fits. */
        if (id && by_ref && has_pid && row_pid[0]) return 2;
    }
    if (id) {
        if (ref > 0 && ref != id) return 2; /* the provider's id and our reference disagree */
        if (!strcmp(row_status, "queued") || !strcmp(row_status, "suppressed")) return 2; /* never handed over */
        if (recipient) gw_strlcpy(recipient, to, 32);
        return apply_status(st, id, status, error, now);
    }
    /* No row. A reference that names none on this channel is not ours. A
     * provider id may belong to a send whose answer has not come back: it
     * is held, only while a send on this channel is in flight, and applied
     * only to the row whose answer carries that id (store_outbox_finish). */
    if (ref > 0 || !has_pid) return 2;
    s = store_stmt(st, "SELECT 1 FROM outbox WHERE status = 'sending' AND channel = ? LIMIT 1");
    if (!s) return -1;
    store_bind_text(s, 1, channel);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_DONE) return 2;
    if (rc != SQLITE_ROW) return -1;
    s = store_stmt(st, "INSERT INTO receipt_pending(channel, provider_msg_id, status, raw_status, error, received_at) "
                       "VALUES (?,?,?,?,?,?)");
    if (!s) return -1;
    store_bind_text(s, 1, channel);
    store_bind_text(s, 2, provider_msg_id);
    store_bind_text(s, 3, status);
    store_bind_text(s, 4, raw_status);
    store_bind_text(s, 5, error);
    sqlite3_bind_int64(s, 6, now);
    return sqlite3_step(s) == SQLITE_DONE ? 1 : -1;
}

int sqlite_store_receipts_expire(struct store *st, int64_t before)
{
    sqlite3_stmt *s = store_stmt(st, "DELETE FROM receipt_pending WHERE received_at < ?");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, before);
    return sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
}
