/* tests/unit/test_pg_claims.c - several gateway processes on one PostgreSQL
 * database (GATEWAY_TEST_PG; make test STORE=postgres starts a server): each
 * store a process opens stands for one process here.
 *
 * - The timed jobs' leader: the first store to ask leads, the others do not,
 *   and when the leader's connection ends another takes over.
 * - Recovery of claims: a send or a fetch claimed by a live connection is
 *   never put back in the queue by another; once that connection is gone
 *   (its process died), any other puts it back, once.
 * - After its own connection was re-established (a failover), a store does
 *   not judge other claims for a grace period: the others may still be
 *   reconnecting and taking their locks again.
 * Without a server it checks that a SQLite store always leads (one process
 * per file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../core/clock.h"
#include "../../core/store.h"
#include "../../db/pg_int.h"
#include "../../db/sqlite.h"
#include "../common/pgtest.h"

#define NOW 1700000000

/* A tenth of a second, between polls: a closed connection's locks go only
 * when its server process has ended, a moment after the close. */
static void pause_a_moment(void)
{
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
}

/* store_lead(st) once it answers 1, polling for up to 10 s; the last answer. */
static int leads_soon(struct store *st)
{
    int rc = 0;
    for (int i = 0; i < 100 && (rc = store_lead(st)) == 0; i++) pause_a_moment();
    return rc;
}

/* What recover (outbox or media) puts back once it puts back anything,
 * polling for up to 10 s. */
static int64_t recovered_soon(struct store *st, int (*recover)(struct store *, int64_t *))
{
    int64_t n = 0;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(recover(st, &n), 0);
        if (n) break;
        pause_a_moment();
    }
    return n;
}

/* Queues n outbox rows; the first id into *first. */
static void queue_sends(struct store *st, int n, int64_t *first)
{
    assert_int_equal(store_begin(st), 0);
    for (int i = 0; i < n; i++) {
        struct store_outbox_row r = {
            .recipient = "+8613800000002", .tmpl = "t", .body = "body", .kind = "reply", .priority = 1};
        int64_t id;
        assert_int_equal(store_outbox_insert(st, &r, NOW, &id), 0);
        if (i == 0) *first = id;
    }
    assert_int_equal(store_commit(st), 0);
}

static void sqlite_always_leads(void **state)
{
    (void)state;
    char path[] = "/tmp/gw-claims-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct store *st = NULL;
    char err[256];
    assert_int_equal(sqlite_store_open(path, 0, &st, err, sizeof err), 0);
    assert_int_equal(store_lead(st), 1);
    assert_int_equal(store_lead(st), 1);
    store_close(st);
    unlink(path);
}

static void one_leader_then_another(void **state)
{
    (void)state;
    if (!pgtest_base_url()) skip();
    struct store *a = pgtest_open(pgtest_url, 1), *b = pgtest_open(pgtest_url, 0);
    assert_int_equal(store_lead(a), 1);
    assert_int_equal(store_lead(b), 0);
    assert_int_equal(store_lead(a), 1); /* asking again keeps it */
    assert_int_equal(store_lead(b), 0);
    struct store *c = pgtest_open(pgtest_url, 0);
    assert_int_equal(store_lead(c), 0);
    store_close(a); /* the leader's process stops or dies */
    /* The first to ask next takes over; the other still does not lead. */
    assert_int_equal(leads_soon(b), 1);
    assert_int_equal(store_lead(c), 0);
    store_close(c);
    store_close(b);
}

static void a_live_claim_is_kept_a_dead_one_recovered(void **state)
{
    (void)state;
    if (!pgtest_base_url()) skip();
    struct store *a = pgtest_open(pgtest_url, 1), *b = pgtest_open(pgtest_url, 0);
    assert_int_equal(pg_exec(a, "TRUNCATE outbox, send_attempt, media RESTART IDENTITY CASCADE"), 0);
    int64_t first = 0;
    queue_sends(a, 3, &first);
    int64_t media = 0;
    assert_int_equal(store_media_add(a, "twilio", 0, 0, "https://media.example.com/r1", 10, NOW, &media), 0);

    /* A claims two sends and the recording; B claims the third send. */
    assert_int_equal(store_begin(a), 0);
    assert_int_equal(store_outbox_claim(a, first, "generic", NOW), 0);
    assert_int_equal(store_outbox_claim(a, first + 1, "generic", NOW), 0);
    assert_int_equal(store_media_claim(a, media, NOW), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(store_outbox_claim(b, first + 2, "generic", NOW), 0);
    assert_int_equal(pgtest_int(b, "SELECT count(DISTINCT claimed_by) FROM outbox WHERE status = 'sending'"), 2);

    /* Both alive: nobody's claims go back, not even at another's start-up. */
    int64_t n = -1;
    assert_int_equal(store_outbox_recover(b, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(store_media_recover(b, &n), 0);
    assert_int_equal(n, 0);
    struct store *c = pgtest_open(pgtest_url, 0);
    assert_int_equal(store_outbox_recover(c, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(pgtest_int(c, "SELECT count(*) FROM outbox WHERE status = 'sending'"), 3);

    /* A dies: its two sends and its fetch go back, B's send stays. */
    store_close(a);
    assert_int_equal(recovered_soon(c, store_outbox_recover), 2);
    assert_int_equal(recovered_soon(c, store_media_recover), 1);
    assert_int_equal(pgtest_int(c, "SELECT count(*) FROM outbox WHERE status = 'queued' AND claimed_by IS NULL"), 2);
    assert_int_equal(pgtest_int(c, "SELECT count(*) FROM outbox WHERE status = 'sending'"), 1);
    assert_int_equal(pgtest_int(c, "SELECT count(*) FROM media WHERE status = 'queued'"), 1);
    /* Once: a second look finds nothing more. */
    assert_int_equal(store_outbox_recover(b, &n), 0);
    assert_int_equal(n, 0);
    /* A claim made before claims were marked counts as gone. */
    assert_int_equal(pg_exec(c, "UPDATE outbox SET claimed_by = NULL WHERE status = 'sending'"), 0);
    assert_int_equal(store_outbox_recover(c, &n), 0);
    assert_int_equal(n, 1);
    store_close(c);
    store_close(b);
}

static void no_judgement_right_after_a_reconnect(void **state)
{
    (void)state;
    if (!pgtest_base_url()) skip();
    struct store *a = pgtest_open(pgtest_url, 1), *b = pgtest_open(pgtest_url, 0);
    assert_int_equal(pg_exec(a, "TRUNCATE outbox, send_attempt RESTART IDENTITY CASCADE"), 0);
    int64_t first = 0;
    queue_sends(a, 1, &first);
    assert_int_equal(store_outbox_claim(a, first, "generic", NOW), 0);
    store_close(a);
    int64_t claimant = pg_of(b)->claimant;
    /* B's connection is cut (as by a failover); its next call reconnects. */
    struct store *killer = pgtest_open(pgtest_url, 0);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", PQbackendPID(pg_of(b)->conn));
    assert_int_equal(pg_exec(killer, sql), 0);
    store_close(killer);
    /* The first statement after the cut fails (its caller answers 503). */
    int failed = 0;
    for (int i = 0; i < 100 && !failed; i++) {
        PGresult *r = pg_run(b, "SELECT 1", NULL);
        failed = !r;
        PQclear(r);
        if (!failed) pause_a_moment();
    }
    assert_true(failed);
    int64_t n = -1;
    assert_int_equal(store_outbox_recover(b, &n), 0);
    assert_int_equal(n, 0); /* A's row is not judged yet */
    /* The reconnected store holds its claimant number again. */
    assert_int_equal(pg_of(b)->claimant, claimant);
    struct pg_args key = {0};
    pg_arg_int(&key, PG_LOCK_CLAIMANT);
    pg_arg_int(&key, claimant);
    PGresult *r = pg_run(b,
                         "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::oid "
                         "AND objid = $2::oid AND pid = pg_backend_pid()",
                         &key);
    assert_non_null(r);
    assert_int_equal(pg_int(r, 0, 0), 1);
    PQclear(r);
    /* Once the grace is over, the dead claim goes back. */
    pg_of(b)->reconnected_at = gw_clock_mono() - PG_RECOVER_GRACE - 1;
    assert_int_equal(store_outbox_recover(b, &n), 0);
    assert_int_equal(n, 1);
    store_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sqlite_always_leads),
        cmocka_unit_test(one_leader_then_another),
        cmocka_unit_test(a_live_claim_is_kept_a_dead_one_recovered),
        cmocka_unit_test(no_judgement_right_after_a_reconnect),
    };
    return cmocka_run_group_tests(tests, pgtest_group_setup, pgtest_group_teardown);
}
