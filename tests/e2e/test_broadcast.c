/* tests/e2e/test_broadcast.c - a broadcast through the real binary: a
 * county officer creates it, approving it themselves is refused, the
 * admin approves it; an opted-out director gets nothing; `gateway serve`
 * sends every row to a local stand-in of the provider's send API, an
 * alert queued beside them first, the broadcast rows paced at
 * [broadcast] tps; `broadcast show` follows the rows to sent and
 * delivered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <time.h>

#include "../common/harness.h"
#include "../common/standin.h"

#define COUNTY    "13800003002" /* 王建华, county officer of 示例县 */
#define ADMIN     "13800003001" /* 张永福, admin */
#define OPTED_OUT "+8613800000002"

static struct gw_proc G;
static struct standin *S;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls the database until sql (one integer) equals want, up to ms. */
static int64_t wait_db(const char *sql, int64_t want, int ms)
{
    int64_t v = -1;
    for (int waited = 0; waited <= ms; waited += 20) {
        v = db_int(G.db, "%s", sql);
        if (v == want) return v;
        sleep_ms(20);
    }
    return v;
}

static int setup(void **state)
{
    if (standin_start(&S) != 0) return -1;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", standin_port(S));
    return gwp_init_send(&G, "[broadcast]\ntps = 4\n", 1, url, url);
}

static int teardown(void **state)
{
    gwp_cleanup(&G);
    standin_stop(S);
    return 0;
}

/* Runs `gateway broadcast -c CFG words...` (NULL-terminated); the exit
 * status, with stdout and stderr in *out and *err (owned). */
static int broadcast(char **out, char **err, ...)
{
    const char *args[24] = {"broadcast", "-c", G.cfg};
    int n = 3;
    va_list ap;
    va_start(ap, err);
    for (const char *w; n < 23 && (w = va_arg(ap, const char *));) args[n++] = w;
    va_end(ap);
    args[n] = NULL;
    return gwp_run(args, out, err);
}

/* `gateway sms --from from text`: a message as if it came in. */
static void sms(const char *from, const char *text)
{
    const char *args[] = {"sms", "-c", G.cfg, "--from", from, text, NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal(gwp_run(args, &out, &err), 0);
    free(out);
    free(err);
}

/* The outbox id and recipient of stand-in request i (the generic body). */
static int64_t request_row(size_t i, char *to, size_t tolen)
{
    struct standin_req r;
    if (standin_get(S, i, &r) != 0) return -1;
    json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
    const char *id = json_string_value(json_object_get(j, "id"));
    snprintf(to, tolen, "%s", json_string_value(json_object_get(j, "to")) ? json_string_value(json_object_get(j, "to")) : "");
    int64_t v = id ? strtoll(id, NULL, 10) : -1;
    json_decref(j);
    standin_req_free(&r);
    return v;
}

static void a_broadcast_is_approved_paced_and_followed(void **state)
{
    char *out = NULL, *err = NULL;
    sms(OPTED_OUT, "TD"); /* a director who opted out */

    assert_int_equal(broadcast(&out, &err, "create", "--by", COUNTY, "--template", "broadcast_drowning", "--to",
                               "directors:示例县", NULL),
                     0);
    long long id = 0;
    long reach = 0, opted = 0;
    assert_int_equal(sscanf(out, "broadcast %lld created: %ld recipients, %ld opted out", &id, &reach, &opted), 3);
    assert_int_equal(reach, 11);
    assert_int_equal(opted, 1);
    free(out);
    free(err);

    char idstr[24];
    snprintf(idstr, sizeof idstr, "%lld", id);
    assert_int_equal(broadcast(&out, &err, "approve", idstr, "--by", COUNTY, NULL), 1);
    assert_non_null(strstr(err, "a second person must approve"));
    free(out);
    free(err);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE kind = 'broadcast'"), 0);
    assert_int_equal(broadcast(&out, &err, "approve", idstr, "--by", ADMIN, NULL), 0);
    assert_non_null(strstr(out, "11 messages queued, 1 opted out"));
    free(out);
    free(err);
    assert_int_equal(broadcast(&out, &err, "approve", idstr, "--by", ADMIN, NULL), 1);
    free(out);
    free(err);
    assert_int_equal(db_int(G.db,
                            "SELECT count(*) FROM outbox WHERE kind = 'broadcast' AND broadcast_id = %lld AND "
                            "priority > (SELECT max(priority) FROM outbox WHERE kind <> 'broadcast')",
                            id),
                     11);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE kind = 'broadcast' AND recipient = %Q",
                            OPTED_OUT),
                     0);

    /* A report queued after the broadcast: its alerts go first. */
    sms("13700000009", "BG 1 有人在打孩子");
    assert_true(db_int(G.db, "SELECT count(*) FROM outbox WHERE kind = 'alert'") >= 1);
    assert_int_equal(broadcast(&out, &err, "show", idstr, NULL), 0);
    assert_non_null(strstr(out, "queued: 11\nsent: 0\n"));
    free(out);
    free(err);

    int64_t total = db_int(G.db, "SELECT count(*) FROM outbox WHERE status = 'queued'");
    assert_true(total > 11);
    assert_int_equal(gwp_start(&G), 0);
    assert_int_equal(standin_wait(S, (size_t)total, 30000), (size_t)total);
    size_t first_bc = (size_t)-1, last_other = 0, nbc = 0;
    for (size_t i = 0; i < (size_t)total; i++) {
        char to[32];
        int64_t row = request_row(i, to, sizeof to);
        assert_true(row > 0);
        char *kind = db_text(G.db, "SELECT kind FROM outbox WHERE id = %lld", (long long)row);
        assert_non_null(kind);
        if (!strcmp(kind, "broadcast")) {
            if (first_bc == (size_t)-1) first_bc = i;
            assert_string_not_equal(to, OPTED_OUT);
            nbc++;
        } else {
            last_other = i;
        }
        free(kind);
    }
    assert_int_equal(nbc, 11);
    assert_true(last_other < first_bc); /* the alerts and replies, then the broadcast */

    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM outbox WHERE broadcast_id = %lld AND status = 'sent'", id);
    assert_int_equal(wait_db(sql, 11, 10000), 11);
    /* Paced: 11 rows at 4 a second take more than a second. */
    assert_true(db_int(G.db,
                       "SELECT max(a.at) - min(a.at) FROM send_attempt a JOIN outbox o ON o.id = a.outbox_id "
                       "WHERE o.broadcast_id = %lld",
                       id) >= 1);
    assert_int_equal(broadcast(&out, &err, "show", idstr, NULL), 0);
    assert_non_null(strstr(out, "queued: 0\nsent: 11\ndelivered: 0\nfailed: 0\n"));
    free(out);
    free(err);

    /* A delivery receipt for one of them. */
    char *pid = db_text(G.db, "SELECT provider_msg_id FROM outbox WHERE broadcast_id = %lld ORDER BY id LIMIT 1", id);
    assert_non_null(pid);
    char receipt[160];
    snprintf(receipt, sizeof receipt, "{\"id\":\"%s\",\"status\":\"delivered\"}", pid);
    free(pid);
    struct http_resp r;
    assert_int_equal(post_generic_json(G.port, "/hooks/generic/status", receipt, &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
    assert_int_equal(broadcast(&out, &err, "show", idstr, NULL), 0);
    assert_non_null(strstr(out, "queued: 0\nsent: 10\ndelivered: 1\nfailed: 0\n"));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_broadcast_is_approved_paced_and_followed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
