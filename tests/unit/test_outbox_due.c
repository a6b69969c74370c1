/* tests/unit/test_outbox_due.c - the sender's read of the queue
 * (store_outbox_due_open) on either backend (GATEWAY_TEST_PG: PostgreSQL):
 * rows of several channels and rows without one come most urgent first,
 * oldest first, across channels; a busy channel's rows are left out, and a
 * channel's broadcast rows while it takes none; rows not due yet, and rows
 * not queued, are never read; the limit holds across channels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../core/store.h"
#include "../common/seed.h"

#define NOW 1700000000

static char where[SEED_PATH_MAX];
static struct store *st;
static int64_t ids[16];

/* Queues one row: channel (NULL: none), kind, priority, due at not_before. */
static int64_t queue(const char *channel, const char *kind, int priority, int64_t not_before)
{
    struct store_outbox_row r = {.channel = channel,
                                 .recipient = "+8613800000002",
                                 .tmpl = "t",
                                 .body = "body",
                                 .kind = kind,
                                 .priority = priority,
                                 .not_before = not_before};
    int64_t id = 0;
    assert_int_equal(store_outbox_insert(st, &r, NOW, &id), 0);
    return id;
}

static int setup(void **state)
{
    (void)state;
    st = seed_store_new("gw-due", where);
    if (!st || store_begin(st) != 0) return -1;
    /* In id order: */
    ids[0] = queue("a", "reply", 1, 0);
    ids[1] = queue("b", "reply", 1, 0);
    ids[2] = queue(NULL, "reply", 1, 0);
    ids[3] = queue("a", "alert", 0, 0);
    ids[4] = queue("b", "broadcast", 4, 0);
    ids[5] = queue("b", "reply", 0, 0);
    ids[6] = queue("a", "reply", 1, NOW + 600); /* not due yet */
    ids[7] = queue("c", "reply", 2, 0);
    ids[8] = queue("a", "reply", 1, 0);
    return store_commit(st) == 0 && store_outbox_claim(st, ids[8], "a", NOW) == 0 ? 0 : -1; /* on the wire */
}

static int teardown(void **state)
{
    (void)state;
    seed_store_free(st, where);
    return 0;
}

/* Reads with busy and bulk and checks the ids, in order, against want
 * (indexes into ids, -1 terminated). */
static void expect(int limit, const char *const *busy, size_t nbusy, const char *const *bulk, size_t nbulk,
                   const int *want)
{
    struct store_send *rows = NULL;
    size_t n = 0;
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_outbox_due_open(st, NOW, limit, busy, nbusy, bulk, nbulk, &rows, &n), 0);
    assert_int_equal(store_commit(st), 0);
    size_t k = 0;
    while (want[k] >= 0) k++;
    if (n != k) fail_msg("%zu rows read, %zu expected", n, k);
    for (size_t i = 0; i < n; i++)
        if (rows[i].id != ids[want[i]]) fail_msg("row %zu: id %lld, expected %lld", i, (long long)rows[i].id,
                                                 (long long)ids[want[i]]);
    store_sends_free(rows, n);
}

static void every_channel_in_the_queue_order(void **state)
{
    (void)state;
    static const int want[] = {3, 5, 0, 1, 2, 7, 4, -1};
    expect(100, NULL, 0, NULL, 0, want);
}

static void the_limit_holds_across_channels(void **state)
{
    (void)state;
    static const int want[] = {3, 5, 0, -1};
    expect(3, NULL, 0, NULL, 0, want);
}

static void a_busy_channel_is_left_out(void **state)
{
    (void)state;
    static const char *const busy[] = {"a"};
    static const int want[] = {5, 1, 2, 7, 4, -1};
    expect(100, busy, 1, NULL, 0, want);
    static const char *const both[] = {"b", "a", "c"};
    static const int none_but_unnamed[] = {2, -1};
    expect(100, both, 3, NULL, 0, none_but_unnamed);
}

static void broadcasts_wait_while_their_channel_takes_none(void **state)
{
    (void)state;
    static const char *const bulk[] = {"b"};
    static const int want[] = {3, 5, 0, 1, 2, 7, -1};
    expect(100, NULL, 0, bulk, 1, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_channel_in_the_queue_order),
        cmocka_unit_test(the_limit_holds_across_channels),
        cmocka_unit_test(a_busy_channel_is_left_out),
        cmocka_unit_test(broadcasts_wait_while_their_channel_takes_none),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
