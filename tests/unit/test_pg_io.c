/* tests/unit/test_pg_io.c - the PostgreSQL backend's inbox, outbox queue
 * and SMS parts operations on a real server (GATEWAY_TEST_PG; make test
 * STORE=postgres starts one).
 *
 * One scenario runs through the store port on a new SQLite store and on a
 * new PostgreSQL database, writing every answer (and each row's status as
 * the database holds it) to a transcript: both transcripts must be the
 * same. Then what only several processes sharing PostgreSQL can show: two
 * connections reading the due rows never get the same row, an inbound
 * retry met by another connection is stored once (the duplicate is
 * answered while the transaction goes on, also when the first insert was
 * not committed yet), and the dedupe keys of the outbox and of the parts
 * do not abort a transaction either. Without a server it checks that none
 * is configured.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../core/store.h"
#include "../../core/util.h"
#include "../../db/pg_int.h"
#include "../common/pgtest.h"
#include "../common/seed.h"

#define NOW 1700000000

/* Opens the test database with the backend's table (only the core's and
 * this file's operations are used) and migrates it. */
static struct store *open_pg(void)
{
    return pgtest_open(pgtest_url, 1);
}

/* ---- reading rows back, whatever the backend ----------------------------- */

/* The database under a scenario: the store, and for SQLite its file, read
 * through a connection of its own. */
struct db {
    struct store *st;
    int pg;
    sqlite3 *lite;
};

/* The text the query sql (no parameters; one row, one column) answers into
 * out, "NULL" for NULL, "-" for no row. */
static void query(struct db *d, const char *sql, char *out, size_t len)
{
    if (d->pg) {
        /* Not pg_run: it caches statements by the address of their text,
         * and sql may be a buffer reused for other text. */
        PGresult *r = PQexec(pg_of(d->st)->conn, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) fail_msg("%s: %s", sql, PQresultErrorMessage(r));
        if (PQntuples(r) == 0)
            gw_strlcpy(out, "-", len);
        else if (pg_null(r, 0, 0))
            gw_strlcpy(out, "NULL", len);
        else
            pg_text(r, 0, 0, out, len);
        PQclear(r);
        return;
    }
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(d->lite, sql, -1, &s, NULL) != SQLITE_OK) fail_msg("%s: %s", sql, sqlite3_errmsg(d->lite));
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_NULL)
        gw_strlcpy(out, "NULL", len);
    else if (rc == SQLITE_ROW)
        gw_strlcpy(out, (const char *)sqlite3_column_text(s, 0), len);
    else
        gw_strlcpy(out, "-", len);
    sqlite3_finalize(s);
}

/* Appends to the transcript what the query answers. */
static void note_query(struct db *d, struct gw_buf *log, const char *label, const char *sql)
{
    char v[256];
    query(d, sql, v, sizeof v);
    gw_buf_printf(log, "%s=%s\n", label, v);
}

/* ---- the scenario ---------------------------------------------------------- */

static void msg(struct gw_msg *m, const char *channel, const char *pid, const char *text, int64_t at)
{
    memset(m, 0, sizeof *m);
    m->channel = (char *)channel;
    m->provider_id = (char *)pid;
    m->from = "+8613800000001";
    m->to = "10690000";
    m->text = (char *)text;
    m->received_at = at;
}

static void part(struct gw_msg *m, const char *pid, const char *ref, int total, int n, const char *text, int64_t at)
{
    msg(m, "vonage", pid, text, at);
    m->concat_ref = (char *)ref;
    m->concat_total = total;
    m->concat_part = n;
}

static struct store_outbox_row out_row(const char *channel, const char *kind, int priority, const char *key)
{
    struct store_outbox_row r = {.channel = channel,
                                 .recipient = "+8613800000002",
                                 .tmpl = "t",
                                 .body = "body",
                                 .kind = kind,
                                 .priority = priority,
                                 .dedupe_key = key};
    return r;
}

struct walk {
    struct gw_buf *log;
    int stop_after; /* 0: every row */
    int seen;
};

static int on_outbox(void *arg, const char *recipient, const char *body)
{
    struct walk *w = arg;
    gw_buf_printf(w->log, "  row %s %s\n", recipient, body);
    return w->stop_after && ++w->seen >= w->stop_after;
}

static void on_stale(void *arg, const char *channel, const char *sender, const char *ref, int total)
{
    gw_buf_printf(arg, "  stale %s %s %s %d\n", channel, sender, ref, total);
}

static void note_sends(struct gw_buf *log, const char *label, int rc, struct store_send *rows, size_t n)
{
    gw_buf_printf(log, "%s rc=%d n=%zu:", label, rc, n);
    for (size_t i = 0; i < n; i++)
        gw_buf_printf(log, " %lld/%s/%s/p%d/a%d", (long long)rows[i].id, rows[i].channel ? rows[i].channel : "-",
                      rows[i].kind, rows[i].priority, rows[i].attempts);
    gw_buf_puts(log, "\n");
    store_sends_free(rows, n);
}

static void note_status(struct db *d, struct gw_buf *log, int64_t id)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT status || ' ' || attempts || ' ' || coalesce(channel, '-') || ' ' || coalesce(provider_msg_id, "
             "'-') || ' ' || coalesce(last_error, '-') || ' ' || next_attempt_at || ' ' || coalesce(sent_at, 0) || "
             "' ' || coalesce(done_at, 0) FROM outbox WHERE id = %lld",
             (long long)id);
    char label[32];
    snprintf(label, sizeof label, "outbox %lld", (long long)id);
    note_query(d, log, label, sql);
}

/* The inbox and the queueing of replies. */
static void scenario_inbox(struct db *d, struct gw_buf *log, int64_t *in1)
{
    struct store *st = d->st;
    struct gw_msg m;
    int64_t id = 0, id2 = 0;
    assert_int_equal(store_begin(st), 0);
    msg(&m, "sim", "p1", "HELLO", NOW - 5);
    gw_buf_printf(log, "inbox p1 rc=%d", store_inbox_insert(st, &m, "hello", NOW, &id));
    gw_buf_printf(log, " id=%lld\n", (long long)id);
    *in1 = id;
    msg(&m, "sim", "p2", NULL, NOW - 4);
    m.to = NULL;
    gw_buf_printf(log, "inbox p2 rc=%d", store_inbox_insert(st, &m, NULL, NOW, &id2));
    gw_buf_printf(log, " id=%lld\n", (long long)id2);
    msg(&m, "other", "p1", "same id, other channel", NOW - 3);
    gw_buf_printf(log, "inbox other/p1 rc=%d\n", store_inbox_insert(st, &m, "x", NOW, &id2));
    /* The provider's retry, in the same transaction: the duplicate, and
     * the transaction goes on. (Last: PostgreSQL spends an id on it.) */
    msg(&m, "sim", "p1", "HELLO", NOW - 5);
    gw_buf_printf(log, "inbox p1 again rc=%d", store_inbox_insert(st, &m, "hello", NOW + 1, &id));
    gw_buf_printf(log, " id=%lld\n", (long long)id);
    gw_buf_printf(log, "set_result rc=%d\n", store_inbox_set_result(st, *in1, "report", "ok", ""));
    gw_buf_printf(log, "set_result rc=%d\n", store_inbox_set_result(st, id2, "unknown", "help", "why"));
    assert_int_equal(store_commit(st), 0);
    gw_buf_printf(log, "inbox count=%lld\n", (long long)store_inbox_count(st));
    note_query(d, log, "inbox 1",
               "SELECT intent || ' ' || result || ' ' || coalesce(detail, 'NULL') || ' ' || raw_text || ' ' || "
               "norm_text || ' ' || received_at || ' ' || stored_at FROM inbox WHERE id = 1");
    note_query(d, log, "inbox 2",
               "SELECT coalesce(recipient, 'NULL') || ' [' || raw_text || '] [' || norm_text || ']' FROM inbox "
               "WHERE id = 2");
    note_query(d, log, "inbox 3", "SELECT intent || ' ' || result || ' ' || detail FROM inbox WHERE id = 3");
}

/* Queueing: dedupe keys, the rows of one inbound message. */
static void scenario_queue(struct db *d, struct gw_buf *log, int64_t in1)
{
    struct store *st = d->st;
    int64_t id = 0;
    assert_int_equal(store_begin(st), 0);
    struct store_outbox_row r = out_row(NULL, "reply", 0, "d1");
    r.inbox_id = in1;
    gw_buf_printf(log, "out reply rc=%d", store_outbox_insert(st, &r, NOW, &id));
    gw_buf_printf(log, " id=%lld\n", (long long)id);
    r = out_row("sim", "alert", 1, "d2");
    r.inbox_id = in1;
    r.body = "alert body";
    gw_buf_printf(log, "out alert rc=%d", store_outbox_insert(st, &r, NOW, &id));
    gw_buf_printf(log, " id=%lld\n", (long long)id);
    r = out_row("bulkch", "broadcast", 2, NULL);
    r.vars_json = "{\"a\":1}";
    gw_buf_printf(log, "out broadcast rc=%d", store_outbox_insert(st, &r, NOW, &id));
    gw_buf_printf(log, " id=%lld\n", (long long)id);
    r = out_row("sim", "reminder", 0, "d4");
    r.not_before = NOW + 100;
    gw_buf_printf(log, "out later rc=%d", store_outbox_insert(st, &r, NOW, &id));
    gw_buf_printf(log, " id=%lld\n", (long long)id);
    r = out_row("busych", "reply", 1, "d6");
    gw_buf_printf(log, "out busy rc=%d", store_outbox_insert(st, &r, NOW, &id));
    gw_buf_printf(log, " id=%lld\n", (long long)id);
    r = out_row("we\"ird\\ch", "notice", 1, "d7");
    gw_buf_printf(log, "out weird rc=%d", store_outbox_insert(st, &r, NOW, &id));
    gw_buf_printf(log, " id=%lld\n", (long long)id);
    /* Last: PostgreSQL spends an id on each. */
    r = out_row("sim", "reply", 0, "d1");
    id = 0;
    gw_buf_printf(log, "out d1 again rc=%d", store_outbox_insert(st, &r, NOW, &id));
    gw_buf_printf(log, " id=%lld\n", (long long)id);
    gw_buf_printf(log, "out d1 again, no id rc=%d\n", store_outbox_insert(st, &r, NOW, NULL));
    assert_int_equal(store_commit(st), 0);
    note_query(d, log, "outbox 1", "SELECT coalesce(channel, 'NULL') || ' ' || vars || ' ' || inbox_id || ' ' || "
                                   "coalesce(case_id, 0) || ' ' || created_at || ' ' || updated_at FROM outbox "
                                   "WHERE id = 1");
    note_query(d, log, "outbox 3 vars", "SELECT vars || ' ' || coalesce(dedupe_key, 'NULL') FROM outbox WHERE id = 3");
    note_query(d, log, "outbox 4 next", "SELECT next_attempt_at FROM outbox WHERE id = 4");
    struct walk w = {.log = log};
    gw_buf_printf(log, "for_inbox rc=%d\n", store_outbox_for_inbox(st, in1, 0, on_outbox, &w));
    gw_buf_printf(log, "for_inbox after 1 rc=%d\n", store_outbox_for_inbox(st, in1, 1, on_outbox, &w));
    gw_buf_printf(log, "last id=%lld\n", (long long)store_outbox_last_id(st));
    w.stop_after = 1;
    gw_buf_printf(log, "for_inbox first rc=%d\n", store_outbox_for_inbox(st, in1, 0, on_outbox, &w));
    gw_buf_printf(log, "for_inbox none rc=%d\n", store_outbox_for_inbox(st, 999, 0, on_outbox, &w));
}

/* The due reads, assignment, claims. */
static void scenario_due(struct db *d, struct gw_buf *log)
{
    struct store *st = d->st;
    struct store_send *rows = NULL;
    size_t n = 0;
    int64_t at = -1;
    int rc = store_outbox_next_due(st, &at);
    gw_buf_printf(log, "next_due rc=%d at=%lld\n", rc, (long long)at);
    int64_t skip[] = {2, 5};
    rc = store_outbox_due(st, NOW, 10, NULL, 0, &rows, &n);
    note_sends(log, "due all", rc, rows, n);
    rc = store_outbox_due(st, NOW, 10, skip, 2, &rows, &n);
    note_sends(log, "due skip 2,5", rc, rows, n);
    rc = store_outbox_due(st, NOW, 2, skip, 1, &rows, &n);
    note_sends(log, "due skip 2 limit 2", rc, rows, n);
    rc = store_outbox_due(st, NOW + 100, 10, NULL, 0, &rows, &n);
    note_sends(log, "due later", rc, rows, n);
    rc = store_outbox_due(st, NOW, 10, NULL, 0, &rows, &n);
    assert_int_equal(rc, 0);
    /* The row with each field as queued. */
    for (size_t i = 0; i < n; i++)
        if (rows[i].id == 3)
            gw_buf_printf(log, "row 3: %s %s %s %s %s %lld\n", rows[i].recipient, rows[i].tmpl, rows[i].vars_json,
                          rows[i].body, rows[i].kind, (long long)rows[i].created_at);
    store_sends_free(rows, n);

    const char *busy[] = {"busych", "we\"ird\\ch"}, *bulk[] = {"bulkch"}, *sim[] = {"sim"};
    rc = store_outbox_due_open(st, NOW, 10, NULL, 0, NULL, 0, &rows, &n);
    note_sends(log, "open none busy", rc, rows, n);
    rc = store_outbox_due_open(st, NOW, 10, busy, 2, bulk, 1, &rows, &n);
    note_sends(log, "open busy+bulk", rc, rows, n);
    rc = store_outbox_due_open(st, NOW, 10, busy, 1, NULL, 0, &rows, &n);
    note_sends(log, "open busy 1", rc, rows, n);
    rc = store_outbox_due_open(st, NOW, 1, NULL, 0, bulk, 1, &rows, &n);
    note_sends(log, "open bulk limit 1", rc, rows, n);
    gw_buf_printf(log, "assign 1 rc=%d\n", store_outbox_assign(st, 1, "sim"));
    rc = store_outbox_due_open(st, NOW, 10, sim, 1, NULL, 0, &rows, &n);
    note_sends(log, "open sim busy", rc, rows, n);

    assert_int_equal(store_begin(st), 0);
    gw_buf_printf(log, "claim 1 rc=%d\n", store_outbox_claim(st, 1, "sim", NOW));
    gw_buf_printf(log, "claim 1 again rc=%d\n", store_outbox_claim(st, 1, "sim", NOW));
    gw_buf_printf(log, "claim 2 rc=%d\n", store_outbox_claim(st, 2, "sim", NOW));
    gw_buf_printf(log, "claim 5 rc=%d\n", store_outbox_claim(st, 5, "busych", NOW));
    gw_buf_printf(log, "assign 5 (sending) rc=%d\n", store_outbox_assign(st, 5, "elsewhere"));
    assert_int_equal(store_commit(st), 0);
    note_status(d, log, 1);
    note_status(d, log, 5);
    rc = store_outbox_due_open(st, NOW, 10, NULL, 0, NULL, 0, &rows, &n);
    note_sends(log, "open after claims", rc, rows, n);
}

/* Results, attempts, receipts held back and applied, recovery. */
static void scenario_results(struct db *d, struct gw_buf *log)
{
    struct store *st = d->st;
    char to[32];
    assert_int_equal(store_begin(st), 0);
    gw_buf_printf(log, "finish 1 sent rc=%d\n", store_outbox_finish(st, 1, "sent", "PM1", NULL, 0, NOW + 1));
    gw_buf_printf(log, "attempt rc=%d\n",
                  store_send_attempt(st, 1, 1, "sim", 200, "ok", "PM1", NULL, NOW + 1));
    gw_buf_printf(log, "attempt no answer rc=%d\n",
                  store_send_attempt(st, 5, 1, "busych", 0, "retry", NULL, "timeout", NOW + 1));
    /* A receipt for a send whose answer has not come back: held. */
    gw_buf_printf(log, "receipt PM2 early rc=%d\n",
                  store_outbox_receipt(st, "sim", "PM2", 0, "delivered", "DELIVRD", NULL, NOW + 2, NULL));
    gw_buf_printf(log, "receipt PMX other channel rc=%d\n",
                  store_outbox_receipt(st, "nowhere", "PMX", 0, "delivered", "DELIVRD", NULL, NOW + 2, NULL));
    gw_buf_printf(log, "finish 2 sent rc=%d\n", store_outbox_finish(st, 2, "sent", "PM2", NULL, 0, NOW + 3));
    to[0] = '\0';
    int rc = store_outbox_receipt(st, "sim", "PM1", 0, "delivered", "DELIVRD", NULL, NOW + 4, to);
    gw_buf_printf(log, "receipt PM1 rc=%d to=%s\n", rc, to);
    rc = store_outbox_receipt(st, "sim", "PM1", 0, "failed", "UNDELIV", "late", NOW + 5, to);
    gw_buf_printf(log, "receipt PM1 final rc=%d\n", rc);
    rc = store_outbox_receipt(st, "other", "PM1", 0, "failed", "UNDELIV", NULL, NOW + 5, NULL);
    gw_buf_printf(log, "receipt PM1 wrong channel rc=%d\n", rc);
    rc = store_outbox_receipt(st, "sim", NULL, 4, "delivered", NULL, NULL, NOW + 5, NULL);
    gw_buf_printf(log, "receipt ref 4 (queued) rc=%d\n", rc);
    rc = store_outbox_receipt(st, "busych", NULL, 5, "queued", NULL, NULL, NOW + 5, to);
    gw_buf_printf(log, "receipt ref 5 rc=%d to=%s\n", rc, to);
    rc = store_outbox_receipt(st, "sim", "PM1", 2, "failed", NULL, NULL, NOW + 5, NULL);
    gw_buf_printf(log, "receipt PM1 ref 2 rc=%d\n", rc);
    rc = store_outbox_receipt(st, "sim", "PMZ", 1, "failed", NULL, NULL, NOW + 5, NULL);
    gw_buf_printf(log, "receipt PMZ ref 1 (has id) rc=%d\n", rc);
    rc = store_outbox_receipt(st, "", "PM1", 0, "failed", NULL, NULL, NOW + 5, NULL);
    gw_buf_printf(log, "receipt no channel rc=%d\n", rc);
    rc = store_outbox_receipt(st, "sim", "PMQ", 0, "failed", NULL, NULL, NOW + 5, NULL);
    gw_buf_printf(log, "receipt nothing in flight rc=%d\n", rc);
    /* A retry: back in the queue until next_attempt_at. */
    gw_buf_printf(log, "finish 5 retry (sent) rc=%d\n",
                  store_outbox_finish(st, 5, "queued", NULL, "busy", NOW + 60, NOW + 6));
    gw_buf_printf(log, "finish 6 retry (queued) rc=%d\n",
                  store_outbox_finish(st, 6, "queued", NULL, "busy", NOW + 50, NOW + 6));
    gw_buf_printf(log, "claim 6 rc=%d\n", store_outbox_claim(st, 6, "sim", NOW + 6));
    gw_buf_printf(log, "finish 6 retry rc=%d\n", store_outbox_finish(st, 6, "queued", NULL, "busy", NOW + 60, NOW + 6));
    gw_buf_printf(log, "finish 3 failed rc=%d\n", store_outbox_finish(st, 3, "failed", NULL, "no route", 0, NOW + 6));
    gw_buf_printf(log, "finish 4 suppressed rc=%d\n",
                  store_outbox_finish(st, 4, "suppressed", NULL, "opted out", 0, NOW + 6));
    rc = store_outbox_finish(st, 2, "queued", NULL, "x", NOW + 9, NOW + 7);
    gw_buf_printf(log, "finish 2 late retry rc=%d\n", rc);
    assert_int_equal(store_commit(st), 0);
    for (int64_t id = 1; id <= 6; id++) note_status(d, log, id);
    note_query(d, log, "attempts",
               "SELECT count(*) || ' ' || sum(coalesce(http_status, 0)) || ' ' || max(error) FROM send_attempt");
    note_query(d, log, "pending", "SELECT count(*) FROM receipt_pending");

    /* A held receipt left over, expired. */
    assert_int_equal(store_begin(st), 0);
    gw_buf_printf(log, "claim 5 (sent) rc=%d\n", store_outbox_claim(st, 5, "sim", NOW + 10));
    gw_buf_printf(log, "claim 6 rc=%d\n", store_outbox_claim(st, 6, "sim", NOW + 10));
    rc = store_outbox_receipt(st, "sim", "PM9", 0, "sent", NULL, NULL, NOW + 10, NULL);
    gw_buf_printf(log, "receipt PM9 rc=%d\n", rc);
    assert_int_equal(store_commit(st), 0);
    note_query(d, log, "pending", "SELECT count(*) || ' ' || count(raw_status) FROM receipt_pending");
    gw_buf_printf(log, "expire before rc=%d\n", store_receipts_expire(st, NOW + 10));
    note_query(d, log, "pending", "SELECT count(*) FROM receipt_pending");
    gw_buf_printf(log, "expire rc=%d\n", store_receipts_expire(st, NOW + 11));
    note_query(d, log, "pending", "SELECT count(*) FROM receipt_pending");

    int64_t n = -1, at = -1;
    /* Recovery puts back the sends of a process that died: on SQLite (one
     * process per file) every send in flight, on PostgreSQL those whose
     * claimant holds no lock. Here the claimant is made one that died. */
    if (d->pg) assert_int_equal(pg_exec(st, "UPDATE outbox SET claimed_by = 0 WHERE status = 'sending'"), 0);
    gw_buf_printf(log, "recover rc=%d", store_outbox_recover(st, &n));
    gw_buf_printf(log, " n=%lld\n", (long long)n);
    gw_buf_printf(log, "recover again rc=%d", store_outbox_recover(st, &n));
    gw_buf_printf(log, " n=%lld\n", (long long)n);
    gw_buf_printf(log, "recover NULL rc=%d\n", store_outbox_recover(st, NULL));
    note_status(d, log, 6);
    rc = store_outbox_next_due(st, &at);
    gw_buf_printf(log, "next_due rc=%d at=%lld\n", rc, (long long)at);
}

/* Parts of concatenated SMS. */
static void scenario_parts(struct db *d, struct gw_buf *log)
{
    struct store *st = d->st;
    struct gw_msg m, whole;
    assert_int_equal(store_begin(st), 0);
    part(&m, "v2", "R1", 3, 2, "world ", NOW - 2);
    gw_buf_printf(log, "part 2 rc=%d\n", store_part_insert(st, &m, NOW));
    part(&m, "v1", "R1", 3, 1, "hello ", NOW - 3);
    gw_buf_printf(log, "part 1 rc=%d\n", store_part_insert(st, &m, NOW));
    gw_buf_printf(log, "part 1 again rc=%d\n", store_part_insert(st, &m, NOW));
    gw_buf_printf(log, "assemble R1 rc=%d\n", store_part_assemble(st, "vonage", m.from, "R1", 3, NOW - 100, &whole));
    part(&m, "v3", "R1", 3, 3, "again", 0);
    m.to = NULL;
    gw_buf_printf(log, "part 3 rc=%d\n", store_part_insert(st, &m, NOW));
    int rc = store_part_assemble(st, "vonage", m.from, "R1", 3, NOW - 100, &whole);
    gw_buf_printf(log, "assemble R1 rc=%d", rc);
    if (rc == 0) {
        gw_buf_printf(log, " %s %s %s %s [%s] %lld", whole.channel, whole.from, whole.to ? whole.to : "NULL",
                      whole.provider_id, whole.text, (long long)whole.received_at);
        gw_msg_clear(&whole);
    }
    gw_buf_puts(log, "\n");
    gw_buf_printf(log, "done R1 rc=%d\n", store_part_done(st, "vonage", m.from, "R1", 1));
    gw_buf_printf(log, "assemble R1 after rc=%d\n", store_part_assemble(st, "vonage", m.from, "R1", 3, NOW, &whole));
    /* Two groups that never complete. */
    part(&m, "w1", "R2", 2, 2, "tail", NOW - 500);
    gw_buf_printf(log, "R2 part rc=%d\n", store_part_insert(st, &m, NOW));
    part(&m, "z1", "R0", 3, 1, "head", NOW - 400);
    m.from = "+8613800000009";
    gw_buf_printf(log, "R0 part rc=%d\n", store_part_insert(st, &m, NOW));
    part(&m, "y1", "R3", 2, 1, "fresh", NOW);
    gw_buf_printf(log, "R3 part rc=%d\n", store_part_insert(st, &m, NOW));
    assert_int_equal(store_commit(st), 0);
    gw_buf_printf(log, "stale rc=%d\n", store_part_stale(st, NOW - 100, on_stale, log));
    gw_buf_printf(log, "stale none rc=%d\n", store_part_stale(st, NOW - 1000, on_stale, log));
    rc = store_part_assemble(st, "vonage", "+8613800000001", "R2", 2, NOW - 100, &whole);
    gw_buf_printf(log, "assemble R2 stale rc=%d", rc);
    if (rc == 0) {
        gw_buf_printf(log, " %s [%s] %lld", whole.provider_id, whole.text, (long long)whole.received_at);
        gw_msg_clear(&whole);
    }
    gw_buf_puts(log, "\n");
    gw_buf_printf(log, "assemble R3 fresh rc=%d\n",
                  store_part_assemble(st, "vonage", "+8613800000001", "R3", 2, NOW - 100, &whole));
    note_query(d, log, "parts", "SELECT count(*) || ' ' || count(inbox_id) FROM sms_part");
}

static void scenario(struct db *d, struct gw_buf *log)
{
    int64_t in1 = 0;
    scenario_inbox(d, log, &in1);
    scenario_queue(d, log, in1);
    scenario_due(d, log);
    scenario_results(d, log);
    scenario_parts(d, log);
}

static void same_answers_as_sqlite(void **state)
{
    (void)state;
    if (!pgtest_base_url()) {
        assert_null(pgtest_base_url());
        return;
    }
    char path[SEED_PATH_MAX];
    struct db lite = {.st = seed_store_new("test_pg_io", path)};
    if (sqlite3_open_v2(path, &lite.lite, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) fail_msg("open %s", path);
    struct gw_buf want = {0}, got = {0};
    scenario(&lite, &want);
    sqlite3_close(lite.lite);
    seed_store_free(lite.st, path);

    struct db pg = {.st = open_pg(), .pg = 1};
    scenario(&pg, &got);
    store_close(pg.st);
    if (strcmp(gw_buf_cstr(&want), gw_buf_cstr(&got)) != 0)
        fprintf(stderr, "--- SQLite\n%s--- PostgreSQL\n%s", gw_buf_cstr(&want), gw_buf_cstr(&got));
    assert_string_equal(gw_buf_cstr(&got), gw_buf_cstr(&want));
    /* The transcript holds what the scenario set out to see. */
    assert_non_null(strstr(gw_buf_cstr(&got), "inbox p1 again rc=1 id=1\n"));
    assert_non_null(strstr(gw_buf_cstr(&got), "receipt PM2 early rc=1\n"));
    assert_non_null(strstr(gw_buf_cstr(&got), "outbox 2=delivered 1 sim PM2"));
    assert_non_null(strstr(gw_buf_cstr(&got), "[hello world again]"));
    assert_non_null(strstr(gw_buf_cstr(&got), "[[…]tail]"));
    gw_buf_free(&want);
    gw_buf_free(&got);
}

/* ---- several processes --------------------------------------------------- */

static void queue_rows(struct store *st, int n)
{
    assert_int_equal(store_begin(st), 0);
    for (int i = 0; i < n; i++) {
        struct store_outbox_row r = out_row(NULL, "reply", i % 3, NULL);
        int64_t id;
        assert_int_equal(store_outbox_insert(st, &r, NOW, &id), 0);
    }
    assert_int_equal(store_commit(st), 0);
}

static void due_reads_never_share_a_row(void **state)
{
    (void)state;
    if (!pgtest_base_url()) {
        assert_null(pgtest_base_url());
        return;
    }
    struct store *a = open_pg(), *b = open_pg();
    assert_int_equal(pg_exec(a, "TRUNCATE outbox, send_attempt, receipt_pending, sms_part, inbox RESTART IDENTITY "
                                "CASCADE"),
                     0);
    queue_rows(a, 10);
    struct store_send *ra = NULL, *rb = NULL, *rc = NULL;
    size_t na = 0, nb = 0, nc = 0;
    /* A reads four rows and holds them; B, meanwhile, gets the others. */
    assert_int_equal(store_begin(a), 0);
    assert_int_equal(store_outbox_due_open(a, NOW, 4, NULL, 0, NULL, 0, &ra, &na), 0);
    assert_int_equal(na, 4);
    assert_int_equal(store_begin(b), 0);
    assert_int_equal(store_outbox_due(b, NOW, 100, NULL, 0, &rb, &nb), 0);
    assert_int_equal(nb, 6);
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++) assert_true(ra[i].id != rb[j].id);
    for (size_t j = 0; j < nb; j++) assert_int_equal(store_outbox_claim(b, rb[j].id, "sim", NOW), 0);
    /* Nothing is left for a third reader while both hold their rows. */
    struct store *c = open_pg();
    assert_int_equal(store_outbox_due_open(c, NOW, 100, NULL, 0, NULL, 0, &rc, &nc), 0);
    assert_int_equal(nc, 0);
    store_sends_free(rc, nc);
    for (size_t i = 0; i < na; i++) assert_int_equal(store_outbox_claim(a, ra[i].id, "sim", NOW), 0);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(store_commit(a), 0);
    /* Claimed once each; the queue is empty. */
    assert_int_equal(pgtest_int(a, "SELECT count(*) FROM outbox WHERE status = 'sending' AND attempts = 1"), 10);
    assert_int_equal(store_outbox_due_open(c, NOW, 100, NULL, 0, NULL, 0, &rc, &nc), 0);
    assert_int_equal(nc, 0);
    store_sends_free(ra, na);
    store_sends_free(rb, nb);
    store_sends_free(rc, nc);

    /* A reader that rolls back lets the rows go to the next. */
    queue_rows(a, 3);
    assert_int_equal(store_begin(a), 0);
    assert_int_equal(store_outbox_due(a, NOW, 100, NULL, 0, &ra, &na), 0);
    assert_int_equal(na, 3);
    assert_int_equal(store_outbox_due(b, NOW, 100, NULL, 0, &rb, &nb), 0);
    assert_int_equal(nb, 0);
    store_sends_free(rb, nb);
    assert_int_equal(store_rollback(a), 0);
    assert_int_equal(store_outbox_due(b, NOW, 100, NULL, 0, &rb, &nb), 0);
    assert_int_equal(nb, 3);
    store_sends_free(ra, na);
    store_sends_free(rb, nb);
    store_close(c);
    store_close(b);
    store_close(a);
}

struct racer {
    struct store *st;
    int rc, rc_after, commit;
    int64_t id;
};

/* B's side of the race: the same message as A's, which is not committed
 * yet (the insert waits for A), then another message, then commit. */
static void *race(void *arg)
{
    struct racer *r = arg;
    struct gw_msg m;
    int64_t other;
    msg(&m, "sim", "race", "retry", NOW);
    r->rc = store_inbox_insert(r->st, &m, "retry", NOW, &r->id);
    msg(&m, "sim", "after-race", "next", NOW);
    r->rc_after = store_inbox_insert(r->st, &m, "next", NOW, &other);
    r->commit = store_commit(r->st);
    return NULL;
}

/* 1 once some connection waits on a lock (seen from watch, a connection
 * outside any transaction: within one, the statistics do not change),
 * 0 when none does within 5 seconds. */
static int waits_on_a_lock(struct store *watch)
{
    for (int i = 0; i < 250; i++) {
        if (pgtest_int(watch, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") > 0) return 1;
        usleep(20000);
    }
    return 0;
}

static void a_retry_is_stored_once(void **state)
{
    (void)state;
    if (!pgtest_base_url()) {
        assert_null(pgtest_base_url());
        return;
    }
    struct store *a = open_pg(), *b = open_pg(), *watch = open_pg();
    assert_int_equal(pg_exec(a, "TRUNCATE outbox, send_attempt, receipt_pending, sms_part, inbox RESTART IDENTITY "
                                "CASCADE"),
                     0);
    struct gw_msg m;
    int64_t ida = 0, idb = 0;

    /* Committed by A; met by B inside its transaction, which goes on. */
    msg(&m, "sim", "dup", "text", NOW);
    assert_int_equal(store_begin(a), 0);
    assert_int_equal(store_inbox_insert(a, &m, "text", NOW, &ida), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(store_begin(b), 0);
    assert_int_equal(store_inbox_insert(b, &m, "text", NOW, &idb), 1);
    assert_int_equal(idb, ida);
    struct store_outbox_row r = out_row(NULL, "reply", 0, "k1");
    int64_t o1 = 0, o2 = 0;
    assert_int_equal(store_outbox_insert(b, &r, NOW, &o1), 0);
    assert_int_equal(store_outbox_insert(b, &r, NOW, &o2), 1);
    assert_int_equal(o2, o1);
    part(&m, "pp", "RR", 2, 1, "x", NOW);
    assert_int_equal(store_part_insert(b, &m, NOW), 0);
    assert_int_equal(store_part_insert(b, &m, NOW), 1);
    msg(&m, "sim", "dup2", "text", NOW);
    assert_int_equal(store_inbox_insert(b, &m, "text", NOW, &idb), 0);
    assert_int_equal(store_commit(b), 0);
    assert_int_equal(pgtest_int(a, "SELECT count(*) FROM inbox"), 2);
    assert_int_equal(pgtest_int(a, "SELECT count(*) FROM outbox WHERE dedupe_key = 'k1'"), 1);

    /* Not yet committed by A: B's insert waits for A's commit, then
     * answers the duplicate with A's row, and B's transaction goes on. */
    msg(&m, "sim", "race", "first", NOW);
    assert_int_equal(store_begin(a), 0);
    assert_int_equal(store_inbox_insert(a, &m, "first", NOW, &ida), 0);
    struct racer rb = {.st = b, .rc = -9};
    assert_int_equal(store_begin(b), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, race, &rb), 0);
    /* B is waiting on A's row lock. */
    assert_true(waits_on_a_lock(watch));
    assert_int_equal(store_commit(a), 0);
    pthread_join(t, NULL);
    assert_int_equal(rb.rc, 1);
    assert_int_equal(rb.id, ida);
    assert_int_equal(rb.rc_after, 0);
    assert_int_equal(rb.commit, 0);
    assert_int_equal(pgtest_int(a, "SELECT count(*) FROM inbox WHERE provider_id = 'race'"), 1);
    assert_int_equal(pgtest_int(a, "SELECT count(*) FROM inbox WHERE provider_id = 'after-race'"), 1);

    /* A rolls back instead: B's copy is the one stored. */
    assert_int_equal(pg_exec(a, "DELETE FROM inbox WHERE provider_id IN ('race', 'after-race')"), 0);
    msg(&m, "sim", "race", "first", NOW);
    assert_int_equal(store_begin(a), 0);
    assert_int_equal(store_inbox_insert(a, &m, "first", NOW, &ida), 0);
    rb = (struct racer){.st = b, .rc = -9};
    assert_int_equal(store_begin(b), 0);
    assert_int_equal(pthread_create(&t, NULL, race, &rb), 0);
    assert_true(waits_on_a_lock(watch));
    assert_int_equal(store_rollback(a), 0);
    pthread_join(t, NULL);
    assert_int_equal(rb.rc, 0);
    assert_true(rb.id != ida);
    assert_int_equal(rb.commit, 0);
    assert_int_equal(pgtest_int(a, "SELECT count(*) FROM inbox WHERE provider_id = 'race' AND raw_text = 'retry'"), 1);
    store_close(watch);
    store_close(b);
    store_close(a);
}

int main(void)
{
    seed_force_sqlite(1); /* seed_store_new is the SQLite side of the comparison */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_answers_as_sqlite),
        cmocka_unit_test(due_reads_never_share_a_row),
        cmocka_unit_test(a_retry_is_stored_once),
    };
    return cmocka_run_group_tests(tests, pgtest_group_setup, pgtest_group_teardown);
}
