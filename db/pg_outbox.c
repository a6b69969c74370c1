/* db/pg_outbox.c - PostgreSQL implementation of the outbound queue's life
 * (store_outbox.h). Runs on the sender's own connection; every call is
 * inside the caller's transaction when it has one.
 *
 * Several gateway processes may send from the same queue. The due reads
 * lock the rows they answer (FOR UPDATE SKIP LOCKED) until the caller's
 * transaction ends, passing over rows another process holds, so two
 * processes never claim the same row; a claim still changes only a row
 * that is queued when it runs.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "pg_int.h"

/* The text at (row, col) as a new string, NULL when it is NULL. */
static char *col_dup(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : gw_strdup(PQgetvalue(r, row, col));
}

/* Puts rows left "sending" by a connection that is gone (its claimant lock
 * is free: its process died) back in the queue; *n (may be NULL) gets how
 * many. Rows claimed before claims were marked (claimed_by NULL) count as
 * gone. Nothing while this connection is newly re-established. 0 or -1. */
int pg_store_outbox_recover(struct store *st, int64_t *n)
{
    if (n) *n = 0;
    if (!pg_may_recover(st)) return 0;
    PGresult *r =
        pg_run(st,
               "UPDATE outbox SET status = 'queued', next_attempt_at = 0, claimed_by = NULL "
               "WHERE status = 'sending' AND (claimed_by IS NULL OR claimed_by NOT IN (" PG_LIVE_CLAIMANTS "))",
               NULL);
    if (!r) return -1;
    if (n) *n = atoll(PQcmdTuples(r));
    PQclear(r);
    return 0;
}

/* One row of the due queries' columns (id, channel, recipient, template,
 * vars, body, kind, priority, attempts, created_at). */
static void send_from_row(const PGresult *res, int row, struct store_send *r)
{
    r->id = pg_int(res, row, 0);
    r->channel = col_dup(res, row, 1);
    r->recipient = col_dup(res, row, 2);
    r->tmpl = col_dup(res, row, 3);
    r->vars_json = col_dup(res, row, 4);
    r->body = col_dup(res, row, 5);
    r->kind = col_dup(res, row, 6);
    r->priority = (int)pg_int(res, row, 7);
    r->attempts = (int)pg_int(res, row, 8);
    r->created_at = pg_int(res, row, 9);
}

/* Every row of res as a new array into *rows, *n. */
static void sends_from(const PGresult *res, struct store_send **rows, size_t *n)
{
    int count = PQntuples(res);
    *rows = count ? gw_calloc((size_t)count, sizeof **rows) : NULL;
    for (int i = 0; i < count; i++) send_from_row(res, i, &(*rows)[i]);
    *n = (size_t)count;
}

/* ids[0..n) as a PostgreSQL array literal ("{1,2}") into out. */
static void array_ids(struct gw_buf *out, const int64_t *ids, size_t n)
{
    gw_buf_putc(out, '{');
    for (size_t i = 0; i < n; i++) gw_buf_printf(out, i ? ",%lld" : "%lld", (long long)ids[i]);
    gw_buf_putc(out, '}');
}

/* names[0..n) as a PostgreSQL array literal of quoted strings into out. */
static void array_names(struct gw_buf *out, const char *const *names, size_t n)
{
    gw_buf_putc(out, '{');
    for (size_t i = 0; i < n; i++) {
        gw_buf_puts(out, i ? ",\"" : "\"");
        for (const char *c = names[i]; *c; c++) {
            if (*c == '"' || *c == '\\') gw_buf_putc(out, '\\');
            gw_buf_putc(out, *c);
        }
        gw_buf_putc(out, '"');
    }
    gw_buf_putc(out, '}');
}

/* Rows queued and due at now, most urgent first, at most limit, leaving
 * out the ids in skip[0..nskip) and rows another process holds; the rows
 * answered stay locked until the caller's transaction ends. 0 or -1. */
int pg_store_outbox_due(struct store *st, int64_t now, int limit, const int64_t *skip, size_t nskip,
                        struct store_send **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    struct gw_buf ids = {0};
    array_ids(&ids, skip, nskip);
    struct pg_args a = {0};
    pg_arg_int(&a, now);
    pg_arg_int(&a, limit);
    pg_arg_text(&a, gw_buf_cstr(&ids));
    PGresult *r = pg_run(st,
                         "SELECT id, channel, recipient, template, vars, body, kind, priority, attempts, created_at "
                         "FROM outbox WHERE status = 'queued' AND next_attempt_at <= $1 "
                         "AND id <> ALL ($3::bigint[]) ORDER BY priority, id LIMIT $2 FOR UPDATE SKIP LOCKED",
                         &a);
    gw_buf_free(&ids);
    if (!r) return -1;
    sends_from(r, rows, n);
    PQclear(r);
    return 0;
}

/* As pg_store_outbox_due without skip, leaving out the rows on a busy
 * channel and the broadcast rows on a channel in bulk (both travel as
 * arrays of names); rows without a channel are always read. */
int pg_store_outbox_due_open(struct store *st, int64_t now, int limit, const char *const *busy, size_t nbusy,
                             const char *const *bulk, size_t nbulk, struct store_send **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    struct gw_buf names = {0}, bulk_names = {0};
    array_names(&names, busy, nbusy);
    array_names(&bulk_names, bulk, nbulk);
    struct pg_args a = {0};
    pg_arg_int(&a, now);
    pg_arg_int(&a, limit);
    pg_arg_text(&a, gw_buf_cstr(&names));
    pg_arg_text(&a, gw_buf_cstr(&bulk_names));
    PGresult *r = pg_run(st,
                         "SELECT id, channel, recipient, template, vars, body, kind, priority, attempts, created_at "
                         "FROM outbox WHERE status = 'queued' AND next_attempt_at <= $1 AND (channel IS NULL OR "
                         "(channel <> ALL ($3::text[]) AND (kind <> 'broadcast' OR channel <> ALL ($4::text[])))) "
                         "ORDER BY priority, id LIMIT $2 FOR UPDATE SKIP LOCKED",
                         &a);
    gw_buf_free(&names);
    gw_buf_free(&bulk_names);
    if (!r) return -1;
    sends_from(r, rows, n);
    PQclear(r);
    return 0;
}

/* Records channel as the one queued row id goes out on. 0 or -1. */
int pg_store_outbox_assign(struct store *st, int64_t id, const char *channel)
{
    struct pg_args a = {0};
    pg_arg_text(&a, channel);
    pg_arg_int(&a, id);
    return pg_run_done(st, "UPDATE outbox SET channel = $1 WHERE id = $2 AND status = 'queued'", &a);
}

/* Earliest next_attempt_at of a queued row into *at: 0, 1 when there is
 * none, -1 on error. */
int pg_store_outbox_next_due(struct store *st, int64_t *at)
{
    PGresult *r = pg_run(st, "SELECT min(next_attempt_at) FROM outbox WHERE status = 'queued'", NULL);
    if (!r) return -1;
    int rc = PQntuples(r) != 1 ? -1 : pg_null(r, 0, 0) ? 1 : 0;
    if (rc == 0) *at = pg_int(r, 0, 0);
    PQclear(r);
    return rc;
}

/* Marks row id in flight on channel, claimed by this connection. 0, 1 when
 * it is no longer queued (a row another process claimed first: its claim is
 * waited for), -1. */
int pg_store_outbox_claim(struct store *st, int64_t id, const char *channel, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_text(&a, channel);
    pg_arg_int(&a, now);
    pg_arg_int(&a, id);
    pg_arg_int(&a, pg_of(st)->claimant);
    PGresult *r = pg_run(st,
                         "UPDATE outbox SET status = 'sending', channel = $1, attempts = attempts + 1, "
                         "updated_at = $2, claimed_by = $4 WHERE id = $3 AND status = 'queued'",
                         &a);
    if (!r) return -1;
    int changed = atoi(PQcmdTuples(r));
    PQclear(r);
    return changed == 1 ? 0 : 1;
}

/* Applies a receipt to row id unless the row is final. A receipt never
 * puts a row back in the queue: "queued" at the provider means it has it. */
static int apply_status(struct store *st, int64_t id, const char *status, const char *error, int64_t now)
{
    if (!strcmp(status, "queued")) status = "sent";
    struct pg_args a = {0};
    pg_arg_text(&a, status);
    pg_arg_text(&a, error);
    pg_arg_int(&a, now);
    pg_arg_int(&a, id);
    return pg_run_done(
        st,
        "UPDATE outbox SET status = $1::text, last_error = coalesce($2::text, last_error), "
        "updated_at = $3::bigint, done_at = CASE WHEN $1::text IN ('delivered','failed') THEN $3::bigint "
        "ELSE done_at END WHERE id = $4 AND status NOT IN ('delivered','failed','suppressed')",
        &a);
}

/* Receipts held back for provider_msg_id on row id's channel, applied to
 * row id and dropped (at most 8 a call, as the SQLite backend). */
static int apply_held(struct store *st, int64_t id, const char *provider_msg_id, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_int(&a, id);
    pg_arg_text(&a, provider_msg_id);
    PGresult *r = pg_run(st,
                         "SELECT p.id, p.status, p.error FROM receipt_pending p JOIN outbox o ON o.id = $1 "
                         "WHERE p.channel = o.channel AND p.provider_msg_id = $2 ORDER BY p.id",
                         &a);
    if (!r) return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && i < 8 && rc == 0; i++) {
        char status[16], error[128];
        pg_text(r, i, 1, status, sizeof status);
        pg_text(r, i, 2, error, sizeof error);
        struct pg_args d = {0};
        pg_arg_int(&d, pg_int(r, i, 0));
        if (apply_status(st, id, status, error[0] ? error : NULL, now) != 0 ||
            pg_run_done(st, "DELETE FROM receipt_pending WHERE id = $1", &d) != 0)
            rc = -1;
    }
    PQclear(r);
    return rc;
}

/* Records the end of an attempt on row id; a receipt that already made
 * the row final is kept, and receipts held back for provider_msg_id are
 * applied. 0 or -1. */
int pg_store_outbox_finish(struct store *st, int64_t id, const char *status, const char *provider_msg_id,
                           const char *error, int64_t next_attempt_at, int64_t now)
{
    /* A receipt may already have made the row final while the request was
     * on the wire: then only the provider id is recorded. */
    struct pg_args a = {0};
    pg_arg_text(&a, status);
    pg_arg_text(&a, provider_msg_id);
    pg_arg_text(&a, error);
    pg_arg_int(&a, next_attempt_at);
    pg_arg_int(&a, now);
    pg_arg_int(&a, id);
    if (pg_run_done(st,
                    "UPDATE outbox SET provider_msg_id = coalesce($2::text, provider_msg_id), last_error = $3::text, "
                    "updated_at = $5::bigint, status = CASE WHEN status IN ('delivered','failed','suppressed') "
                    "THEN status WHEN status = 'sent' AND $1::text = 'queued' THEN status ELSE $1::text END, "
                    "next_attempt_at = CASE WHEN $1::text = 'queued' AND status = 'sending' THEN $4::bigint "
                    "ELSE next_attempt_at END, "
                    "sent_at = CASE WHEN $1::text = 'sent' THEN $5::bigint ELSE sent_at END, "
                    "done_at = CASE WHEN status IN ('delivered','failed','suppressed') THEN done_at "
                    "WHEN $1::text IN ('failed','suppressed') THEN $5::bigint ELSE done_at END WHERE id = $6",
                    &a) != 0)
        return -1;
    if (!provider_msg_id) return 0;
    /* Receipts that came before the answer. */
    return apply_held(st, id, provider_msg_id, now);
}

/* Appends the attempt log (http 0: no answer, stored as NULL). 0 or -1. */
int pg_store_send_attempt(struct store *st, int64_t outbox_id, int attempt, const char *channel, long http,
                          const char *result, const char *provider_msg_id, const char *error, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_int(&a, outbox_id);
    pg_arg_int(&a, attempt);
    pg_arg_int(&a, now);
    pg_arg_text(&a, channel);
    pg_arg_int_or_null(&a, http);
    pg_arg_text(&a, result);
    pg_arg_text(&a, provider_msg_id);
    pg_arg_text(&a, error);
    return pg_run_done(st,
                       "INSERT INTO send_attempt(outbox_id, attempt, at, channel, http_status, result, "
                       "provider_msg_id, error) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
                       &a);
}

/* The row a receipt names on channel: by the provider's id (by_ref 0) or
 * by our reference (by_ref 1). Fills *id (0 when none), its status,
 * provider id and recipient. 0 or -1. */
static int receipt_row(struct store *st, const char *channel, const char *provider_msg_id, int64_t ref, int by_ref,
                       int64_t *id, char *status, size_t slen, char *pid, size_t plen, char *to, size_t tlen)
{
    struct pg_args a = {0};
    pg_arg_text(&a, channel);
    if (by_ref)
        pg_arg_int(&a, ref);
    else
        pg_arg_text(&a, provider_msg_id);
    PGresult *r = pg_run(st,
                         by_ref ? "SELECT id, status, coalesce(provider_msg_id, ''), recipient FROM outbox "
                                  "WHERE id = $2 AND channel = $1"
                                : "SELECT id, status, coalesce(provider_msg_id, ''), recipient FROM outbox "
                                  "WHERE channel = $1 AND provider_msg_id = $2 ORDER BY id DESC LIMIT 1",
                         &a);
    if (!r) return -1;
    if (PQntuples(r) > 0) {
        *id = pg_int(r, 0, 0);
        pg_text(r, 0, 1, status, slen);
        pg_text(r, 0, 2, pid, plen);
        pg_text(r, 0, 3, to, tlen);
    }
    PQclear(r);
    return 0;
}

/* Holds a receipt for provider_msg_id while a send on channel is in
 * flight: 1 held, 2 when nothing is in flight (ignored), -1. */
static int hold_receipt(struct store *st, const char *channel, const char *provider_msg_id, const char *status,
                        const char *raw_status, const char *error, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_text(&a, channel);
    PGresult *r = pg_run(st, "SELECT 1 FROM outbox WHERE status = 'sending' AND channel = $1 LIMIT 1", &a);
    if (!r) return -1;
    int in_flight = PQntuples(r) > 0;
    PQclear(r);
    if (!in_flight) return 2;
    struct pg_args h = {0};
    pg_arg_text(&h, channel);
    pg_arg_text(&h, provider_msg_id);
    pg_arg_text(&h, status);
    pg_arg_text(&h, raw_status);
    pg_arg_text(&h, error);
    pg_arg_int(&h, now);
    if (pg_run_done(st,
                    "INSERT INTO receipt_pending(channel, provider_msg_id, status, raw_status, error, received_at) "
                    "VALUES ($1,$2,$3,$4,$5,$6)",
                    &h) != 0)
        return -1;
    return 1;
}

/* Applies a delivery receipt from channel's status hook, only to a row
 * handed to that same channel (store_outbox.h): 0 applied, 1 held, 2
 * ignored, -1 on error. *recipient (size 32, may be NULL) gets the row's
 * number only when 0. */
int pg_store_outbox_receipt(struct store *st, const char *channel, const char *provider_msg_id, int64_t ref,
                            const char *status, const char *raw_status, const char *error, int64_t now, char *recipient)
{
    /* A receipt touches only a row handed to its own channel: outbox ids
     * are sequential and provider ids can be guessed, so a row still
     * queued, or one on another channel, is never reachable from a status
     * hook. Looked up by the provider's id first, else by our reference. */
    int64_t id = 0;
    char row_status[16] = "", row_pid[160] = "", to[32] = "";
    int has_pid = provider_msg_id && *provider_msg_id;
    if (!channel || !*channel) return 2;
    for (int by_ref = 0; by_ref < 2 && !id; by_ref++) {
        if (!by_ref && !has_pid) continue;
        if (by_ref && ref <= 0) break;
        if (receipt_row(st, channel, provider_msg_id, ref, by_ref, &id, row_status, sizeof row_status, row_pid,
                        sizeof row_pid, to, sizeof to) != 0)
            return -1;
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
    return hold_receipt(st, channel, provider_msg_id, status, raw_status, error, now);
}

/* Drops held-back receipts received before `before`. 0 or -1. */
int pg_store_receipts_expire(struct store *st, int64_t before)
{
    struct pg_args a = {0};
    pg_arg_int(&a, before);
    return pg_run_done(st, "DELETE FROM receipt_pending WHERE received_at < $1", &a);
}
