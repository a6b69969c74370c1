/* tests/e2e/test_channel_isolation.c - one channel's trouble does not delay
 * another's messages, through the real binary with a stand-in send API per
 * channel: Twilio's accepts connections and never answers (or answers
 * slowly under a rate of one a second) with many messages queued for it
 * ahead of everything else, both pinned to it and routed to it by number;
 * a reply on the healthy generic channel, and a notice routed to it, still
 * reach their stand-in within a couple of seconds, and the hanging channel
 * never has more than its share of sends on the wire. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../core/store.h"
#include "../common/harness.h"
#include "../common/seed.h"
#include "../common/standin.h"

#define QUEUED_FOR_A 60 /* messages waiting for the troubled channel, ahead of the rest */
#define WITHIN_MS    2000

static struct gw_proc G;
static struct standin *A, *B; /* A: Twilio's send API (troubled); B: the generic channel's (healthy) */
static char director[32], child[16];

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Starts both stand-ins and a gateway whose Twilio channel (extra: lines
 * for [channel twilio], then other sections) sends to A, generic to B. */
static int start(const char *extra)
{
    if (standin_start(&A) != 0 || standin_start(&B) != 0) return -1;
    char a[64], b[64];
    snprintf(a, sizeof a, "http://127.0.0.1:%d", standin_port(A));
    snprintf(b, sizeof b, "http://127.0.0.1:%d", standin_port(B));
    if (gwp_init_send(&G, extra, 1, b, a) != 0 || gwp_start(&G) != 0) return -1;
    char *v = db_text(G.db, "SELECT s.phone || '|' || c.code FROM staff s JOIN child c ON c.region_id = s.region_id "
                            "WHERE s.role = 'director' ORDER BY c.code LIMIT 1");
    if (!v) return -1;
    sscanf(v, "%31[^|]|%15s", director, child);
    free(v);
    return 0;
}

static int hanging_setup(void **state)
{
    if (start("tps = 1000\nroute = +1\n[sender]\ntimeout = 60\nmax_in_flight = 16\n") != 0) return -1;
    standin_hang(A, 1);
    return 0;
}

static int slow_setup(void **state)
{
    return start("tps = 1\nroute = +1\n[sender]\ntimeout = 60\n");
}

static int teardown(void **state)
{
    if (A) standin_release(A);
    /* Released, the hanging sends end at once: a graceful stop is quick. */
    if (G.pid) assert_int_equal(gwp_stop(&G, SIGTERM), 0);
    gwp_cleanup(&G);
    standin_stop(A);
    standin_stop(B);
    A = B = NULL;
    return 0;
}

/* Queues n alerts (most urgent, so ahead of any reply) for the troubled
 * channel: half name it, half carry no channel and reach it by its route.
 * Written through the store port beside the running gateway, in one
 * transaction, as the domain queues them. */
static void queue_for_a(int n)
{
    struct store *st = seed_open(G.db);
    assert_int_equal(store_begin(st), 0);
    for (int i = 0; i < n; i++) {
        char to[32];
        snprintf(to, sizeof to, "+1202555%04d", i);
        struct store_outbox_row r = {.channel = i % 2 ? "twilio" : NULL,
                                     .recipient = to,
                                     .tmpl = "help_guardian",
                                     .body = "x",
                                     .kind = "alert",
                                     .priority = 0};
        int64_t id = 0;
        assert_int_equal(store_outbox_insert(st, &r, time(NULL), &id), 0);
    }
    assert_int_equal(store_commit(st), 0);
    store_close(st);
}

/* Queues one notice without a channel to a +86 number: the default
 * (generic) channel takes it. */
static void queue_notice_for_b(void)
{
    struct store *st = seed_open(G.db);
    struct store_outbox_row r = {
        .recipient = "+8613900000777", .tmpl = "help_guardian", .body = "n", .kind = "notice", .priority = 2};
    int64_t id = 0;
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_outbox_insert(st, &r, time(NULL), &id), 0);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
}

/* A visit on the generic channel; returns ms until B got its reply. */
static double reply_latency_ms(const char *id)
{
    size_t before = standin_count(B);
    char text[64];
    snprintf(text, sizeof text, "ZF %s 1", child);
    double t0 = now_ms();
    struct http_resp r;
    assert_int_equal(post_generic(G.port, id, director, text, &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
    size_t got = standin_wait(B, before + 1, 5000);
    double ms = now_ms() - t0;
    if (got < before + 1) fail_msg("the healthy channel's reply was not sent within 5 s");
    return ms;
}

static void hanging_provider_does_not_starve_the_others(void **state)
{
    queue_for_a(QUEUED_FOR_A);
    /* [sender] max_in_flight 16, two channels: a quarter stays for the other, 12 at most for one. */
    assert_true(standin_wait(A, 12, 5000) >= 12);

    for (int i = 0; i < 3; i++) {
        char id[16];
        snprintf(id, sizeof id, "iso-1%c", 'a' + i);
        double ms = reply_latency_ms(id);
        fprintf(stderr, "healthy channel: reply sent %.0f ms after its SMS while the other channel hangs\n", ms);
        if (ms > WITHIN_MS) fail_msg("reply took %.0f ms, expected under %d", ms, WITHIN_MS);
    }
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox o JOIN inbox i ON i.id = o.inbox_id WHERE "
                                  "i.provider_id = 'iso-1a' AND o.channel = 'generic' AND o.status IN ('sending', "
                                  "'sent')"),
                     1);

    /* A message routed by number to the healthy channel goes too. */
    size_t before = standin_count(B);
    double t0 = now_ms();
    queue_notice_for_b();
    assert_true(standin_wait(B, before + 1, 5000) >= before + 1);
    fprintf(stderr, "healthy channel: routed notice sent %.0f ms after it was queued\n", now_ms() - t0);
    assert_true(now_ms() - t0 < WITHIN_MS + 250); /* found by the sender's periodic look */

    /* The hanging channel never took more than its share. */
    assert_int_equal(standin_count(A), 12);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE status = 'sending' AND channel = 'twilio'"), 12);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE recipient LIKE '+1202555%%' AND status = "
                                  "'queued'"),
                     QUEUED_FOR_A - 12);
}

static void slow_rate_channel_does_not_hold_the_queue(void **state)
{
    /* One send a second for Twilio, and more of its messages ahead than
     * [sender] max_in_flight (64) rows a read takes. */
    queue_for_a(200);
    assert_true(standin_wait(A, 1, 5000) >= 1);
    double ms = reply_latency_ms("iso-2");
    fprintf(stderr, "healthy channel: reply sent %.0f ms after its SMS behind a rate-limited queue\n", ms);
    if (ms > WITHIN_MS) fail_msg("reply took %.0f ms, expected under %d", ms, WITHIN_MS);
    assert_true(standin_count(A) < 10); /* still held to its rate */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(hanging_provider_does_not_starve_the_others, hanging_setup, teardown),
        cmocka_unit_test_setup_teardown(slow_rate_channel_does_not_hold_the_queue, slow_setup, teardown),
    };
    return cmocka_run_group_tests_name("e2e channel isolation", tests, NULL, NULL);
}
