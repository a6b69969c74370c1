/* db/pg_retention.c - PostgreSQL implementation of retention
 * (core/store_retention.h): the purge's counts and its updates over the
 * rows past their period. Phones are masked in C with core/log.h's
 * gw_mask_phone (the SQLite backend registers the same function in SQL):
 * the rows are selected, masked here and written back by id, a batch of
 * ids and masked values per statement (two arrays unnested).
 *
 * Runs on the thread that owns the store, inside the caller's transaction.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "../core/util.h"
#include "pg_int.h"

/* A closed case past reporter_before ($1, 0: none) whose reporter is not yet purged. */
#define CASE_DUE                                                                                                       \
    "c.status = 'closed' AND c.closed_at < $1 AND c.reporter_id IS NOT NULL AND c.reporter_purged_at IS NULL"
/* An inbox row past message_before ($1, 0: none) not yet purged. */
#define INBOX_DUE "i.received_at < $1 AND i.purged_at IS NULL"
/* An outbox row past message_before ($1) not yet purged and no longer waiting to be sent. */
#define OUTBOX_DUE "o.created_at < $1 AND o.purged_at IS NULL AND o.status NOT IN ('queued', 'sending')"

/* Rows written back per statement. */
#define MASK_BATCH 500

/* Runs a "SELECT count(*), min(t)" statement with the limit as $1 into n and oldest: 0 or -1. */
static int count_min(struct store *st, const char *sql, int64_t before, long *n, int64_t *oldest)
{
    struct pg_args a = {0};
    pg_arg_int(&a, before);
    PGresult *r = pg_run(st, sql, &a);
    if (!r) return -1;
    int ok = PQntuples(r) == 1;
    if (ok) {
        *n = (long)pg_int(r, 0, 0);
        *oldest = pg_int(r, 0, 1);
    }
    PQclear(r);
    return ok ? 0 : -1;
}

/* Counts what a purge would remove (store_retention.h): 0 or -1. */
int pg_store_retention_count(struct store *st, int64_t reporter_before, int64_t message_before,
                             struct store_purge_counts *out)
{
    *out = (struct store_purge_counts){0};
    if (count_min(st, "SELECT count(*), min(c.closed_at) FROM cases c WHERE " CASE_DUE, reporter_before, &out->cases,
                  &out->oldest_case) != 0)
        return -1;
    if (count_min(st, "SELECT count(*), min(i.received_at) FROM inbox i WHERE " INBOX_DUE, message_before, &out->inbox,
                  &out->oldest_inbox) != 0)
        return -1;
    return count_min(st, "SELECT count(*), min(o.created_at) FROM outbox o WHERE " OUTBOX_DUE, message_before,
                     &out->outbox, &out->oldest_outbox);
}

/* A growing text buffer for array literals. */
struct buf {
    char *s;
    size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        while (b->len + n + 1 > b->cap) b->cap = b->cap ? 2 * b->cap : 256;
        b->s = gw_realloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* Appends s to an array literal as one quoted element. */
static void buf_add_elem(struct buf *b, const char *s)
{
    buf_add(b, b->len > 1 ? ",\"" : "\"", b->len > 1 ? 2 : 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') buf_add(b, "\\", 1);
        buf_add(b, s, 1);
    }
    buf_add(b, "\"", 1);
}

/* 1 when s is valid UTF-8. */
static int utf8_valid(const unsigned char *s)
{
    while (*s) {
        int n = *s < 0x80 ? 0 : (*s & 0xE0) == 0xC0 ? 1 : (*s & 0xF0) == 0xE0 ? 2 : (*s & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0) return 0;
        s++;
        for (int i = 0; i < n; i++, s++)
            if ((*s & 0xC0) != 0x80) return 0;
    }
    return 1;
}

/* phone masked as in the logs (gw_mask_phone works on bytes). A mask that
 * cut a multi-byte character, which PostgreSQL would refuse to store, has
 * every non-ASCII byte masked too. */
static void mask(const char *phone, char out[GW_MASK_LEN])
{
    gw_mask_phone(phone, out);
    if (utf8_valid((const unsigned char *)out)) return;
    for (char *p = out; *p; p++)
        if ((unsigned char)*p >= 0x80) *p = '*';
}

/* Writes rows [from, to) of sel (id, phone) back through update_sql,
 * whose $1 is the ids (bigint[]), $2 the masked phones (text[]) and, when
 * with_now, $3 now. 0 or -1. */
static int mask_batch(struct store *st, const PGresult *sel, int from, int to, const char *update_sql, int with_now,
                      int64_t now)
{
    struct buf ids = {0}, vals = {0};
    buf_add(&ids, "{", 1);
    buf_add(&vals, "{", 1);
    for (int i = from; i < to; i++) {
        char masked[GW_MASK_LEN];
        mask(PQgetvalue(sel, i, 1), masked);
        buf_add_elem(&ids, PQgetvalue(sel, i, 0));
        buf_add_elem(&vals, masked);
    }
    buf_add(&ids, "}", 1);
    buf_add(&vals, "}", 1);
    struct pg_args a = {0};
    pg_arg_text(&a, ids.s);
    pg_arg_text(&a, vals.s);
    if (with_now) pg_arg_int(&a, now);
    int rc = pg_run_done(st, update_sql, &a);
    free(ids.s);
    free(vals.s);
    return rc;
}

/* Selects (id, phone) rows with select_sql (its $1 the limit `before`;
 * the rows locked, the phone column NOT NULL) and writes each phone back
 * masked with update_sql (see mask_batch). 0 or -1. */
static int mask_rows(struct store *st, const char *select_sql, int64_t before, const char *update_sql, int with_now,
                     int64_t now)
{
    struct pg_args a = {0};
    pg_arg_int(&a, before);
    PGresult *sel = pg_run(st, select_sql, &a);
    if (!sel) return -1;
    int n = PQntuples(sel), rc = 0;
    for (int i = 0; i < n && rc == 0; i += MASK_BATCH)
        rc = mask_batch(st, sel, i, i + MASK_BATCH < n ? i + MASK_BATCH : n, update_sql, with_now, now);
    PQclear(sel);
    return rc;
}

/* The reporters of the cases due ($1), as an array literal into *out
 * (owned): 0 or -1. */
static int due_reporters(struct store *st, int64_t reporter_before, char **out)
{
    struct pg_args a = {0};
    pg_arg_int(&a, reporter_before);
    PGresult *r = pg_run(st, "SELECT DISTINCT c.reporter_id FROM cases c WHERE " CASE_DUE, &a);
    if (!r) return -1;
    struct buf b = {0};
    buf_add(&b, "{", 1);
    for (int i = 0, n = PQntuples(r); i < n; i++) buf_add_elem(&b, PQgetvalue(r, i, 0));
    buf_add(&b, "}", 1);
    PQclear(r);
    *out = b.s;
    return 0;
}

/* The reporters' side, in order: the phone on the SMS sent to the
 * reporter about the case and on the case's own inbound message, the
 * reporters whose cases these are (kept aside), the cases' links, then
 * the reporter rows no case uses any more. Their count goes to *deleted. */
static int purge_reporters(struct store *st, int64_t reporter_before, int64_t now, long *deleted)
{
    if (mask_rows(st,
                  "SELECT o.id, o.recipient FROM cases c JOIN reporter r ON r.id = c.reporter_id "
                  "JOIN outbox o ON o.case_id = c.id AND o.recipient = r.phone WHERE " CASE_DUE
                  " AND o.status NOT IN ('queued', 'sending') ORDER BY o.id FOR UPDATE OF o",
                  reporter_before,
                  "UPDATE outbox SET recipient = m.v FROM unnest($1::bigint[], $2::text[]) AS m(id, v) "
                  "WHERE outbox.id = m.id",
                  0, now) != 0)
        return -1;
    if (mask_rows(st,
                  "SELECT i.id, i.sender FROM cases c JOIN reporter r ON r.id = c.reporter_id "
                  "JOIN inbox i ON i.id = c.inbox_id AND i.sender = r.phone WHERE " CASE_DUE
                  " ORDER BY i.id FOR UPDATE OF i",
                  reporter_before,
                  "UPDATE inbox SET sender = m.v FROM unnest($1::bigint[], $2::text[]) AS m(id, v) "
                  "WHERE inbox.id = m.id",
                  0, now) != 0)
        return -1;
    char *ids = NULL;
    if (due_reporters(st, reporter_before, &ids) != 0) return -1;
    struct pg_args a = {0};
    pg_arg_int(&a, reporter_before);
    pg_arg_int(&a, now);
    int rc = pg_run_done(st, "UPDATE cases AS c SET reporter_id = NULL, reporter_purged_at = $2 WHERE " CASE_DUE, &a);
    if (rc == 0) {
        struct pg_args d = {0};
        pg_arg_text(&d, ids);
        PGresult *r = pg_run(st,
                             "DELETE FROM reporter WHERE id = ANY($1::bigint[]) AND "
                             "NOT EXISTS (SELECT 1 FROM cases c WHERE c.reporter_id = reporter.id)",
                             &d);
        if (r) *deleted = atol(PQcmdTuples(r));
        rc = r ? 0 : -1;
        PQclear(r);
    }
    free(ids);
    return rc;
}

/* Purges what store_retention_count counts (store_retention.h), each row
 * marked purged at now: 0 or -1 (the caller rolls back). */
int pg_store_retention_purge(struct store *st, int64_t reporter_before, int64_t message_before, int64_t now,
                             struct store_purge_counts *out)
{
    if (pg_store_retention_count(st, reporter_before, message_before, out) != 0) return -1;
    if (purge_reporters(st, reporter_before, now, &out->reporters) != 0) return -1;
    if (mask_rows(st,
                  "SELECT p.id, p.sender FROM sms_part p WHERE p.inbox_id IN (SELECT i.id FROM inbox i WHERE " INBOX_DUE
                  ") ORDER BY p.id FOR UPDATE OF p",
                  message_before,
                  "UPDATE sms_part SET text = '', sender = m.v FROM unnest($1::bigint[], $2::text[]) AS m(id, v) "
                  "WHERE sms_part.id = m.id",
                  0, now) != 0)
        return -1;
    if (mask_rows(st, "SELECT i.id, i.sender FROM inbox i WHERE " INBOX_DUE " ORDER BY i.id FOR UPDATE", message_before,
                  "UPDATE inbox SET raw_text = '', norm_text = '', sender = m.v, purged_at = $3 "
                  "FROM unnest($1::bigint[], $2::text[]) AS m(id, v) WHERE inbox.id = m.id",
                  1, now) != 0)
        return -1;
    return mask_rows(st, "SELECT o.id, o.recipient FROM outbox o WHERE " OUTBOX_DUE " ORDER BY o.id FOR UPDATE",
                     message_before,
                     "UPDATE outbox SET body = '', vars = '{}', recipient = m.v, purged_at = $3 "
                     "FROM unnest($1::bigint[], $2::text[]) AS m(id, v) WHERE outbox.id = m.id",
                     1, now);
}

/* PostgreSQL keeps the old versions of rows in its own files until vacuum
 * reuses their space, out of the gateway's reach: nothing to do here. */
int pg_store_retention_scrub(struct store *st)
{
    (void)st;
    return 0;
}
