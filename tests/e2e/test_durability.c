/* tests/e2e/test_durability.c - nothing acknowledged is lost: concurrent
 * signed webhooks, SIGKILL part-way, restart, and every message that got a
 * 2xx is stored exactly once (and a provider's retry of it stays once). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "../common/harness.h"

#define THREADS 16
#define PER_THREAD 150
#define KILL_AFTER 700 /* acknowledgements before the SIGKILL */

static struct gw_proc G;
static atomic_int acked_total;

struct sender {
    int idx;
    int acked[PER_THREAD]; /* 1 when message i got a 2xx */
    int sent;
};

static void msg_id(int t, int i, char *out, size_t len) { snprintf(out, len, "dur-%02d-%04d", t, i); }

static void *send_loop(void *arg)
{
    struct sender *s = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        char id[32], from[32], text[96];
        msg_id(s->idx, i, id, sizeof id);
        snprintf(from, sizeof from, "+86137%02d%06d", s->idx, i);
        /* A mix: reports that open cases, and free text. */
        if (i % 2) snprintf(text, sizeof text, "BG %d 第%d号测试报告", 1 + i % 9, i);
        else snprintf(text, sizeof text, "孩子一个人在家 %d", i);
        struct http_resp r;
        int rc = post_generic(G.port, id, from, text, &r);
        s->sent = i + 1;
        if (rc != 0) { /* the process is gone: stop */
            http_resp_free(&r);
            break;
        }
        if (r.status >= 200 && r.status < 300) {
            s->acked[i] = 1;
            atomic_fetch_add(&acked_total, 1);
        }
        http_resp_free(&r);
    }
    return NULL;
}

static int stored_count(const char *db, const char *id)
{
    return (int)db_int(db, "SELECT count(*) FROM inbox WHERE channel = 'generic' AND provider_id = %Q", id);
}

static void kill_mid_load_loses_nothing_acknowledged(void **state)
{
    assert_int_equal(gwp_init(&G, NULL, 1), 0);
    assert_int_equal(gwp_start(&G), 0);
    static struct sender senders[THREADS];
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) {
        senders[t].idx = t;
        pthread_create(&th[t], NULL, send_loop, &senders[t]);
    }
    /* Poll until enough acknowledgements, then kill without warning. */
    for (int i = 0; i < 20000 && atomic_load(&acked_total) < KILL_AFTER; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(gwp_stop(&G, SIGKILL), 128 + SIGKILL);
    for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
    int acked = atomic_load(&acked_total);
    assert_true(acked >= KILL_AFTER);
    int sent = 0;
    for (int t = 0; t < THREADS; t++) sent += senders[t].sent;
    print_message("sent %d, acknowledged %d before SIGKILL\n", sent, acked);
    assert_true(sent < THREADS * PER_THREAD); /* the kill really was mid-way */

    /* Restart on the same store: recovery must keep every acknowledged row. */
    assert_int_equal(gwp_start(&G), 0);
    int missing = 0;
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++) {
            if (!senders[t].acked[i]) continue;
            char id[32];
            msg_id(t, i, id, sizeof id);
            int n = stored_count(G.db, id);
            if (n != 1) {
                print_error("%s acknowledged but stored %d times\n", id, n);
                missing++;
            }
        }
    assert_int_equal(missing, 0);
    /* Each stored message's case was committed with it. */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM inbox i WHERE i.provider_id LIKE 'dur-%%' AND "
                                  "NOT EXISTS (SELECT 1 FROM cases c WHERE c.inbox_id = i.id)"),
                     0);

    /* The provider retries a few acknowledged ones: still once each. */
    for (int t = 0; t < THREADS; t += 5) {
        char id[32];
        msg_id(t, 0, id, sizeof id);
        if (!senders[t].acked[0]) continue;
        struct http_resp r;
        assert_int_equal(post_generic(G.port, id, "+8613900000000", "孩子一个人在家 0", &r), 0);
        assert_int_equal(r.status, 200);
        http_resp_free(&r);
        assert_int_equal(db_int(G.db, "SELECT count(*) FROM inbox WHERE provider_id = %Q", id), 1);
    }
    assert_int_equal(gwp_stop(&G, SIGTERM), 0);
    gwp_cleanup(&G);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kill_mid_load_loses_nothing_acknowledged),
    };
    return cmocka_run_group_tests_name("e2e durability", tests, NULL, NULL);
}
