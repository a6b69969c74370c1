/* db/sqlite_retention.c - SQLite implementation of retention
 * (core/store_retention.h): the purge's counts and its updates, each one
 * statement over the rows past their period. Phones are masked by the SQL
 * function gw_mask_phone (core/log.h's masking), registered on the
 * connection before use.
 *
 * Runs on the thread that owns the store.
 */
#include <stdint.h>

#include "../core/log.h"
#include "store_int.h"

/* A closed case past reporter_before (?1, 0: none) whose reporter is not yet purged. */
#define CASE_DUE                                                                                                       \
    "c.status = 'closed' AND c.closed_at < ?1 AND c.reporter_id IS NOT NULL AND c.reporter_purged_at IS NULL"
/* An inbox row past message_before (?2, 0: none) not yet purged. */
#define INBOX_DUE "i.received_at < ?2 AND i.purged_at IS NULL"
/* An outbox row past message_before (?2) not yet purged and no longer waiting to be sent. */
#define OUTBOX_DUE "o.created_at < ?2 AND o.purged_at IS NULL AND o.status NOT IN ('queued', 'sending')"

/* gw_mask_phone(x): x masked as in the logs; NULL stays NULL. */
static void sql_mask_phone(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const unsigned char *v = sqlite3_value_text(argv[0]);
    if (argc != 1 || !v) {
        sqlite3_result_null(ctx);
        return;
    }
    char out[GW_MASK_LEN];
    gw_mask_phone((const char *)v, out);
    sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

/* Registers gw_mask_phone on st's connection: 0 or -1. */
static int register_mask(struct store *st)
{
    return sqlite3_create_function(store_db(st), "gw_mask_phone", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                   sql_mask_phone, NULL, NULL) == SQLITE_OK
               ? 0
               : -1;
}

/* Steps a "SELECT count(*), min(t)" statement bound with the two limits into n and oldest: 0 or -1. */
static int count_min(struct store *st, const char *sql, int64_t reporter_before, int64_t message_before, long *n,
                     int64_t *oldest)
{
    sqlite3_stmt *s = store_stmt(st, sql);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, reporter_before);
    sqlite3_bind_int64(s, 2, message_before);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *n = (long)sqlite3_column_int64(s, 0);
        *oldest = sqlite3_column_int64(s, 1);
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? 0 : -1;
}

int sqlite_store_retention_count(struct store *st, int64_t reporter_before, int64_t message_before,
                                 struct store_purge_counts *out)
{
    *out = (struct store_purge_counts){0};
    if (count_min(st, "SELECT count(*), min(c.closed_at) FROM cases c WHERE " CASE_DUE, reporter_before, message_before,
                  &out->cases, &out->oldest_case) != 0)
        return -1;
    if (count_min(st, "SELECT count(*), min(i.received_at) FROM inbox i WHERE " INBOX_DUE, reporter_before,
                  message_before, &out->inbox, &out->oldest_inbox) != 0)
        return -1;
    return count_min(st, "SELECT count(*), min(o.created_at) FROM outbox o WHERE " OUTBOX_DUE, reporter_before,
                     message_before, &out->outbox, &out->oldest_outbox);
}

/* Runs one purge statement bound with (reporter_before, message_before, now); its changed rows into *changed
 * (may be NULL). 0 or -1. */
static int purge_step(struct store *st, const char *sql, int64_t reporter_before, int64_t message_before, int64_t now,
                      long *changed)
{
    sqlite3_stmt *s = store_stmt(st, sql);
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, reporter_before);
    sqlite3_bind_int64(s, 2, message_before);
    sqlite3_bind_int64(s, 3, now);
    if (store_step_done(s) != 0) return -1;
    if (changed) *changed = (long)sqlite3_changes(store_db(st));
    return 0;
}

/* The reporters' side, in order: the phone on the SMS sent to the
 * reporter about the case and on the case's own inbound message, the
 * reporters whose cases these are (kept aside), the cases' links, then
 * the reporter rows no case uses any more. */
static const char *const reporter_steps[] = {
    "CREATE TEMP TABLE IF NOT EXISTS retention_reporter (id INTEGER PRIMARY KEY)",
    "DELETE FROM temp.retention_reporter",
    "UPDATE outbox SET recipient = gw_mask_phone(recipient) WHERE status NOT IN ('queued', 'sending') AND "
    "id IN (SELECT o.id FROM cases c JOIN reporter r ON r.id = c.reporter_id JOIN outbox o ON o.case_id = c.id "
    "AND o.recipient = r.phone WHERE " CASE_DUE ")",
    "UPDATE inbox SET sender = gw_mask_phone(sender) WHERE id IN (SELECT c.inbox_id FROM cases c "
    "JOIN reporter r ON r.id = c.reporter_id JOIN inbox i ON i.id = c.inbox_id AND i.sender = r.phone WHERE " CASE_DUE
    ")",
    "INSERT OR IGNORE INTO temp.retention_reporter (id) SELECT c.reporter_id FROM cases c WHERE " CASE_DUE,
    "UPDATE cases AS c SET reporter_id = NULL, reporter_purged_at = ?3 WHERE " CASE_DUE,
    "DELETE FROM reporter WHERE id IN (SELECT id FROM temp.retention_reporter) AND "
    "NOT EXISTS (SELECT 1 FROM cases c WHERE c.reporter_id = reporter.id)",
};

int sqlite_store_retention_purge(struct store *st, int64_t reporter_before, int64_t message_before, int64_t now,
                                 struct store_purge_counts *out)
{
    /* What is overwritten or deleted is zeroed in its page, whatever the
     * library's built-in default. */
    if (store_exec(st, "PRAGMA secure_delete=ON") != 0) return -1;
    if (register_mask(st) != 0 || store_retention_count(st, reporter_before, message_before, out) != 0) return -1;
    size_t n = sizeof reporter_steps / sizeof reporter_steps[0];
    for (size_t i = 0; i < n; i++)
        if (purge_step(st, reporter_steps[i], reporter_before, message_before, now,
                       i == n - 1 ? &out->reporters : NULL) != 0)
            return -1;
    if (purge_step(st,
                   "UPDATE sms_part SET text = '', sender = gw_mask_phone(sender) WHERE inbox_id IN (SELECT i.id "
                   "FROM inbox i WHERE " INBOX_DUE ")",
                   reporter_before, message_before, now, NULL) != 0)
        return -1;
    if (purge_step(st,
                   "UPDATE inbox AS i SET raw_text = '', norm_text = '', sender = gw_mask_phone(sender), "
                   "purged_at = ?3 WHERE " INBOX_DUE,
                   reporter_before, message_before, now, NULL) != 0)
        return -1;
    return purge_step(st,
                      "UPDATE outbox AS o SET body = '', vars = '{}', recipient = gw_mask_phone(recipient), "
                      "purged_at = ?3 WHERE " OUTBOX_DUE,
                      reporter_before, message_before, now, NULL);
}

int sqlite_store_retention_scrub(struct store *st)
{
    int rc = sqlite3_wal_checkpoint_v2(store_db(st), NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    return rc == SQLITE_OK ? 0 : rc == SQLITE_BUSY ? 1 : -1;
}
