/* tests/e2e/test_receipts.c - delivery receipts through the real binary's
 * status hooks cannot reach a message that was never handed to their
 * channel: forged receipts naming queued case alerts (by our reference, or
 * by a provider id guessed ahead of the send) and a queued reply on the
 * receipt's own channel leave every row queued, and the rows are then
 * sent; genuine receipts for what was sent still apply, by the provider's
 * id and by reference.
 *
 * The gateway first runs with its sender off, so the rows stay queued for
 * as long as the forgeries take; a restart with the sender on delivers
 * them to a local stand-in of the send APIs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>
#include <time.h>

#include "../../providers/form.h"
#include "../../providers/twilio.h"
#include "../common/harness.h"
#include "../common/standin.h"

#define REPORTER "+8613755550101"
#define TW_FROM  "+8613755550102"
#define TW_SID   "SM0000000000000000000000000000abcd"

static struct gw_proc G;
static struct standin *S;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls until the one-integer query equals want, up to ms; returns the last value. */
static int64_t wait_db(int64_t want, int ms, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    int64_t v = -1;
    for (int waited = 0; waited <= ms; waited += 10) {
        if ((v = db_int(G.db, "%s", sql)) == want) return v;
        sleep_ms(10);
    }
    return v;
}

static int setup(void **state)
{
    if (standin_start(&S) != 0) return -1;
    /* Both channels send to the stand-in; Twilio's answer carries a sid. */
    standin_default(S, 200, "{\"id\":\"prov-%d\",\"sid\":\"" TW_SID "\"}");
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", standin_port(S));
    return gwp_init_send(&G, "[sender]\nenabled = no\nbackoff = 1\nbackoff_max = 1\n", 1, url, url);
}

static int teardown(void **state)
{
    gwp_cleanup(&G);
    standin_stop(S);
    return 0;
}

/* Rewrites "enabled = no" in the config to "enabled = yes". */
static void sender_on(void)
{
    char *ini = read_file(G.cfg, NULL);
    assert_non_null(ini);
    char *at = strstr(ini, "enabled = no\n");
    assert_non_null(at);
    FILE *f = fopen(G.cfg, "w");
    assert_non_null(f);
    fprintf(f, "%.*senabled = yes\n%s", (int)(at - ini), ini, at + strlen("enabled = no\n"));
    fclose(f);
    free(ini);
}

static void generic_receipt(const char *json)
{
    struct http_resp r;
    assert_int_equal(post_generic_json(G.port, "/hooks/generic/status", json, &r), 0);
    assert_int_equal(r.status, 200); /* acknowledged, whatever became of it */
    http_resp_free(&r);
}

/* A Twilio webhook, correctly signed, to path (with its query). */
static void twilio_post(const char *path, const char *body)
{
    struct http_resp r;
    assert_int_equal(post_twilio(G.port, path, body, &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
}

/* A Twilio status callback; ref 0 leaves ?ref= out. */
static void twilio_receipt(int64_t ref, const char *sid, const char *status)
{
    char path[64], body[256];
    if (ref > 0)
        snprintf(path, sizeof path, "/hooks/twilio/status?ref=%lld", (long long)ref);
    else
        snprintf(path, sizeof path, "/hooks/twilio/status");
    snprintf(body, sizeof body,
             "AccountSid=AC00000000000000000000000000000001&MessageSid=%s&MessageStatus=%s&To=%%2B8613800002001",
             sid, status);
    twilio_post(path, body);
}

static int64_t queued(const char *where) { return db_int(G.db, "SELECT count(*) FROM outbox WHERE %s", where); }

static void forged_receipts_leave_queued_rows_alone(void **state)
{
    assert_int_equal(gwp_start(&G), 0);
    /* A P0 report on the generic channel: four alerts, routed at send time
     * (no channel yet), and the reporter's reply. */
    struct http_resp r;
    assert_int_equal(post_generic(G.port, "rc-1", REPORTER, "BG 4 孩子在河边走失了", &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
    /* A reply queued on the Twilio channel it came in on. */
    twilio_post("/hooks/twilio/sms", "AccountSid=AC00000000000000000000000000000001&Body=BZ&From=%2B8613755550102&"
                                     "MessageSid=SM00000000000000000000000000000101&To=%2B12025550100");
    assert_int_equal(queued("kind = 'alert' AND status = 'queued' AND channel IS NULL"), 4);
    int64_t alert1 = db_int(G.db, "SELECT min(id) FROM outbox WHERE kind = 'alert'");
    int64_t alert2 = db_int(G.db, "SELECT max(id) FROM outbox WHERE kind = 'alert'");
    int64_t tw_reply = db_int(G.db, "SELECT id FROM outbox WHERE channel = 'twilio' AND recipient = %Q", TW_FROM);
    assert_true(alert1 > 0 && alert2 > alert1 && tw_reply > 0);
    int64_t before = db_int(G.db, "SELECT count(*) FROM outbox WHERE status = 'queued'");

    /* By our reference, on another channel's hook. */
    twilio_receipt(alert1, "SM00000000000000000000000000000f01", "failed");
    twilio_receipt(alert2, "SM00000000000000000000000000000f02", "delivered");
    /* By our reference, on the hook of the channel the row is queued for. */
    twilio_receipt(tw_reply, "SM00000000000000000000000000000f03", "undelivered");
    /* By the provider ids the first sends will get, guessed ahead, on
     * both hooks (generic receipts have no reference). */
    for (int i = 1; i <= 6; i++) {
        char json[96];
        snprintf(json, sizeof json, "{\"id\":\"prov-%d\",\"status\":\"failed\"}", i);
        generic_receipt(json);
        snprintf(json, sizeof json, "prov-%d", i);
        twilio_receipt(0, json, "failed");
    }
    twilio_receipt(0, TW_SID, "failed");

    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE status = 'queued'"), before);
    assert_int_equal(queued("status IN ('failed', 'delivered', 'sent')"), 0);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM receipt_pending"), 0); /* nothing held for later either */
    char *log = read_file(G.log, NULL);
    assert_non_null(log);
    assert_null(strstr(log, "13800002001")); /* the forged receipts' number is never logged in clear */
    assert_non_null(strstr(log, "ignored: no message sent on this channel matches it"));
    free(log);

    /* The sender starts: every row goes out and none of the forgeries sticks. */
    assert_int_equal(gwp_stop(&G, SIGTERM), 0);
    sender_on();
    assert_int_equal(gwp_start(&G), 0);
    assert_int_equal(wait_db(before, 10000, "SELECT count(*) FROM outbox WHERE status = 'sent'"), before);
    assert_int_equal(queued("kind = 'alert' AND status = 'sent' AND channel = 'generic'"), 4);
    assert_int_equal(queued("status IN ('failed', 'delivered')"), 0);
    assert_true(standin_count(S) >= (size_t)before);
}

static void genuine_receipts_still_apply(void **state)
{
    int64_t alert1 = db_int(G.db, "SELECT min(id) FROM outbox WHERE kind = 'alert'");
    int64_t tw_reply = db_int(G.db, "SELECT id FROM outbox WHERE channel = 'twilio' AND recipient = %Q", TW_FROM);
    char *pid = db_text(G.db, "SELECT provider_msg_id FROM outbox WHERE id = %lld", (long long)alert1);
    assert_non_null(pid);
    /* By the provider's id on the channel that sent it. */
    char json[128];
    snprintf(json, sizeof json, "{\"id\":\"%s\",\"status\":\"delivered\"}", pid);
    generic_receipt(json);
    assert_int_equal(queued("status = 'delivered'"), 1);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE id = %lld AND status = 'delivered'",
                            (long long)alert1),
                     1);
    /* The same id on another channel's hook: ignored. */
    snprintf(json, sizeof json, "%s", pid);
    twilio_receipt(0, json, "failed");
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE id = %lld AND status = 'delivered'",
                            (long long)alert1),
                     1);
    /* By reference and sid on the Twilio hook, for the row Twilio sent;
     * a reference with a sid that is not the row's is ignored. */
    twilio_receipt(tw_reply, "SM00000000000000000000000000000f09", "failed");
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE id = %lld AND status = 'sent'", (long long)tw_reply),
                     1);
    twilio_receipt(tw_reply, TW_SID, "delivered");
    assert_int_equal(
        db_int(G.db, "SELECT count(*) FROM outbox WHERE id = %lld AND status = 'delivered'", (long long)tw_reply), 1);
    free(pid);
    assert_int_equal(gwp_stop(&G, SIGTERM), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forged_receipts_leave_queued_rows_alone),
        cmocka_unit_test(genuine_receipts_still_apply),
    };
    return cmocka_run_group_tests_name("e2e receipts", tests, setup, teardown);
}
