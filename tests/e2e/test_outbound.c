/* tests/e2e/test_outbound.c - replies delivered through the real binary to
 * a local stand-in of each provider's send API: the exact request, the
 * receipt that marks it delivered, retries while the provider is down,
 * no retry after a 4xx, a timeout retried, a receipt that beats the send's
 * answer, opted-out reminders suppressed, Twilio's opt-out code, and a
 * send in flight when the process is killed sent again after restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <signal.h>
#include <time.h>

#include "../../core/store.h"
#include "../../providers/form.h"
#include "../../providers/twilio.h"
#include "../common/harness.h"
#include "../common/seed.h"
#include "../common/standin.h"

static struct gw_proc G;
static struct standin *S;
static char director[32], child[16], guardian[32];

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls the database until sql (one integer) equals want, up to ms. */
static int64_t wait_db(const char *sql_fmt, int64_t want, int ms, ...)
{
    va_list ap;
    char sql[1024];
    va_start(ap, ms);
    vsnprintf(sql, sizeof sql, sql_fmt, ap);
    va_end(ap);
    int64_t v = -1;
    for (int waited = 0; waited <= ms; waited += 10) {
        v = db_int(G.db, "%s", sql);
        if (v == want) return v;
        sleep_ms(10);
    }
    return v;
}

static int setup(void **state)
{
    if (standin_start(&S) != 0) return -1;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", standin_port(S));
    if (gwp_init_send(&G, "[sender]\nbackoff = 1\nbackoff_max = 1\ntimeout = 2\nmax_attempts = 5\n", 1, url, url) != 0 ||
        gwp_start(&G) != 0)
        return -1;
    char *v = db_text(G.db, "SELECT s.phone || '|' || c.code FROM staff s JOIN child c ON c.region_id = s.region_id "
                            "WHERE s.role = 'director' ORDER BY c.code LIMIT 1");
    if (!v) return -1;
    sscanf(v, "%31[^|]|%15s", director, child);
    free(v);
    v = db_text(G.db, "SELECT g.phone FROM guardian g JOIN guardian_child gc ON gc.guardian_id = g.id "
                      "ORDER BY g.id LIMIT 1");
    if (!v) return -1;
    snprintf(guardian, sizeof guardian, "%s", v);
    free(v);
    return 0;
}

static int teardown(void **state)
{
    gwp_cleanup(&G);
    standin_release(S);
    standin_stop(S);
    return 0;
}

/* The outbox id of the reply to inbox message provider_id. */
static int64_t reply_id(const char *provider_id)
{
    for (int i = 0; i < 200; i++) {
        int64_t id = db_int(G.db, "SELECT o.id FROM outbox o JOIN inbox i ON i.id = o.inbox_id WHERE i.provider_id = %Q",
                            provider_id);
        if (id > 0) return id;
        sleep_ms(10);
    }
    return -1;
}

/* Requests the stand-in received for outbox row id (generic bodies carry it). */
static int requests_for(int64_t id)
{
    char needle[48];
    snprintf(needle, sizeof needle, "\"id\":\"%lld\"", (long long)id);
    int n = 0;
    for (size_t i = 0; i < standin_count(S); i++) {
        struct standin_req r;
        if (standin_get(S, i, &r) == 0 && strstr(r.body, needle)) n++;
        standin_req_free(&r);
    }
    return n;
}

static void visit(const char *id)
{
    char text[64];
    snprintf(text, sizeof text, "ZF %s 1", child);
    struct http_resp r;
    assert_int_equal(post_generic(G.port, id, director, text, &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
}

static void post_receipt(const char *json, long want_status)
{
    struct http_resp r;
    assert_int_equal(post_generic_json(G.port, "/hooks/generic/status", json, &r), 0);
    assert_int_equal(r.status, want_status);
    http_resp_free(&r);
}

static void reply_is_delivered_exactly_and_receipt_marks_it(void **state)
{
    size_t before = standin_count(S);
    visit("ob-1");
    int64_t id = reply_id("ob-1");
    assert_true(id > 0);
    assert_true(standin_wait(S, before + 1, 5000) >= before + 1);
    struct standin_req r;
    assert_int_equal(standin_get(S, before, &r), 0);
    assert_string_equal(r.method, "POST");
    assert_string_equal(r.target, "/");
    char *ct = standin_header(&r, "content-type");
    assert_string_equal(ct, "application/json");
    free(ct);
    char *sig = standin_header(&r, "x-signature"), want[65];
    hmac_sha256_hex(GENERIC_SECRET, r.body, r.body_len, want);
    assert_string_equal(sig, want);
    free(sig);
    json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
    assert_non_null(j);
    char idstr[32];
    snprintf(idstr, sizeof idstr, "%lld", (long long)id);
    assert_string_equal(json_string_value(json_object_get(j, "id")), idstr);
    assert_string_equal(json_string_value(json_object_get(j, "to")), director);
    char *body = db_text(G.db, "SELECT body FROM outbox WHERE id = %lld", (long long)id);
    assert_string_equal(json_string_value(json_object_get(j, "text")), body);
    free(body);
    json_decref(j);
    standin_req_free(&r);

    assert_int_equal(wait_db("SELECT count(*) FROM outbox WHERE id = %lld AND status = 'sent' AND provider_msg_id "
                             "IS NOT NULL", 1, 5000, (long long)id), 1);
    char *pid = db_text(G.db, "SELECT provider_msg_id FROM outbox WHERE id = %lld", (long long)id);
    char receipt[128];
    snprintf(receipt, sizeof receipt, "{\"id\":\"%s\",\"status\":\"delivered\"}", pid);
    post_receipt(receipt, 200);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE id = %lld AND status = 'delivered'", (long long)id), 1);
    /* A late intermediate receipt never undoes a final state. */
    snprintf(receipt, sizeof receipt, "{\"id\":\"%s\",\"status\":\"sent\"}", pid);
    post_receipt(receipt, 200);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE id = %lld AND status = 'delivered'", (long long)id), 1);
    /* An unknown status is acknowledged, not refused. */
    snprintf(receipt, sizeof receipt, "{\"id\":\"%s\",\"status\":\"teleported\"}", pid);
    post_receipt(receipt, 200);
    post_receipt("{\"id\":\"x\",\"status\":\"delivered\"}", 200);
    free(pid);
    /* An unsigned receipt is refused. */
    const char *h[] = {"Content-Type: application/json", NULL};
    struct http_resp resp;
    assert_int_equal(http_req(G.port, "POST", "/hooks/generic/status", h, "{}", 2, &resp), 0);
    assert_int_equal(resp.status, 403);
    http_resp_free(&resp);
}

static void provider_down_then_back_delivers_once(void **state)
{
    for (int i = 0; i < 3; i++) standin_push(S, 503, "{\"error\":\"busy\"}", 0, 0);
    visit("ob-2");
    int64_t id = reply_id("ob-2");
    assert_int_equal(wait_db("SELECT count(*) FROM outbox WHERE id = %lld AND status = 'sent'", 1, 15000,
                             (long long)id), 1);
    assert_int_equal(requests_for(id), 4);
    assert_int_equal(db_int(G.db, "SELECT attempts FROM outbox WHERE id = %lld", (long long)id), 4);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM send_attempt WHERE outbox_id = %lld AND result = 'retry'",
                            (long long)id), 3);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM send_attempt WHERE outbox_id = %lld AND result = 'ok'",
                            (long long)id), 1);
}

static void client_error_fails_without_retry(void **state)
{
    standin_push(S, 400, "{\"error\":\"bad number\"}", 0, 0);
    visit("ob-3");
    int64_t id = reply_id("ob-3");
    assert_int_equal(wait_db("SELECT count(*) FROM outbox WHERE id = %lld AND status = 'failed'", 1, 5000,
                             (long long)id), 1);
    assert_int_equal(db_int(G.db, "SELECT attempts FROM outbox WHERE id = %lld", (long long)id), 1);
    char *err = db_text(G.db, "SELECT last_error FROM outbox WHERE id = %lld", (long long)id);
    assert_non_null(err);
    assert_non_null(strstr(err, "400"));
    free(err);
    /* Delivery of the next message proves the sender moved on; the failed one was not tried again. */
    visit("ob-3b");
    int64_t next = reply_id("ob-3b");
    assert_int_equal(wait_db("SELECT count(*) FROM outbox WHERE id = %lld AND status = 'sent'", 1, 5000,
                             (long long)next), 1);
    assert_int_equal(requests_for(id), 1);
}

static void timeout_is_retried(void **state)
{
    standin_push(S, 200, NULL, 0, 1); /* never answers: the 2 s timeout fires */
    visit("ob-4");
    int64_t id = reply_id("ob-4");
    assert_int_equal(wait_db("SELECT count(*) FROM outbox WHERE id = %lld AND status = 'sent'", 1, 15000,
                             (long long)id), 1);
    assert_int_equal(db_int(G.db, "SELECT attempts FROM outbox WHERE id = %lld", (long long)id), 2);
    char *err = db_text(G.db, "SELECT error FROM send_attempt WHERE outbox_id = %lld AND result = 'retry'",
                        (long long)id);
    assert_non_null(err);
    free(err);
}

static void receipt_before_answer_is_kept(void **state)
{
    standin_push(S, 200, "{\"id\":\"prov-early\"}", 1500, 0);
    size_t before = standin_count(S);
    visit("ob-5");
    int64_t id = reply_id("ob-5");
    assert_true(standin_wait(S, before + 1, 5000) >= before + 1);
    /* The provider's receipt arrives while our request still waits for its answer. */
    post_receipt("{\"id\":\"prov-early\",\"status\":\"delivered\"}", 200);
    assert_int_equal(wait_db("SELECT count(*) FROM outbox WHERE id = %lld AND status = 'delivered' AND "
                             "provider_msg_id = 'prov-early'", 1, 5000, (long long)id), 1);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM receipt_pending WHERE provider_msg_id = 'prov-early'"), 0);
}

static void opted_out_reminder_is_suppressed_but_replies_go(void **state)
{
    const char *args[] = {"sms", "-c", G.cfg, "--from", guardian, "TD", NULL};
    char *out = NULL;
    assert_int_equal(gwp_run(args, &out, NULL), 0);
    free(out);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM opt_out WHERE phone = %Q", guardian), 1);
    /* The opt-out's own confirmation is a reply: it is still delivered (the cli channel routes to the default). */
    int64_t confirm = db_int(G.db, "SELECT max(o.id) FROM outbox o JOIN inbox i ON i.id = o.inbox_id "
                                   "WHERE i.channel = 'cli' AND o.recipient = %Q", guardian);
    assert_int_equal(wait_db("SELECT count(*) FROM outbox WHERE id = %lld AND status = 'sent' AND channel = 'generic'",
                             1, 5000, (long long)confirm), 1);
    /* A reminder to the same number is never sent: queued through the
     * store port beside the running gateway, as the reminder job queues it. */
    struct store *st = seed_open(G.db);
    struct store_outbox_row rem = {
        .recipient = guardian, .tmpl = "help_guardian", .body = "提醒", .kind = "reminder", .priority = 3};
    int64_t rid = 0;
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_outbox_insert(st, &rem, time(NULL), &rid), 0);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    assert_int_equal(wait_db("SELECT count(*) FROM outbox WHERE id = %lld AND status = 'suppressed'", 1, 5000,
                             (long long)rid), 1);
    assert_int_equal(requests_for(rid), 0);
}

static void twilio_reply_and_unsubscribed_recipient(void **state)
{
    standin_push(S, 400, "{\"code\":21610,\"message\":\"Attempt to send to unsubscribed recipient\"}", 0, 0);
    const char *from = "+8613700001234";
    char body[512];
    snprintf(body, sizeof body, "AccountSid=AC00000000000000000000000000000001&Body=%s&From=%%2B8613700001234&"
             "MessageSid=SM00000000000000000000000000000077&To=%%2B12025550100", "BZ");
    size_t before = standin_count(S);
    struct http_resp r;
    assert_int_equal(post_twilio(G.port, "/hooks/twilio/sms", body, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "<Response/>"));
    http_resp_free(&r);
    assert_true(standin_wait(S, before + 1, 5000) >= before + 1);
    struct standin_req q;
    assert_int_equal(standin_get(S, before, &q), 0);
    assert_string_equal(q.target, "/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json");
    char *auth = standin_header(&q, "authorization");
    assert_non_null(auth);
    assert_int_equal(strncmp(auth, "Basic ", 6), 0);
    free(auth);
    assert_non_null(strstr(q.body, "To=%2B8613700001234"));
    assert_non_null(strstr(q.body, "From=%2B12025550100"));
    assert_non_null(strstr(q.body, "StatusCallback="));
    standin_req_free(&q);
    assert_int_equal(wait_db("SELECT count(*) FROM outbox WHERE recipient = '%s' AND channel = 'twilio' AND "
                             "status = 'failed'", 1, 5000, from), 1);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM opt_out WHERE phone = %Q", from), 1);
}

static void send_in_flight_at_kill_is_sent_again(void **state)
{
    standin_push(S, 200, NULL, 0, 1); /* hangs until the gateway is gone */
    size_t before = standin_count(S);
    visit("ob-9");
    int64_t id = reply_id("ob-9");
    assert_true(standin_wait(S, before + 1, 5000) >= before + 1);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE id = %lld AND status = 'sending'", (long long)id), 1);
    assert_int_equal(gwp_stop(&G, SIGKILL), 128 + SIGKILL);
    standin_release(S);
    assert_int_equal(gwp_start(&G), 0);
    assert_int_equal(wait_db("SELECT count(*) FROM outbox WHERE id = %lld AND status = 'sent'", 1, 5000,
                             (long long)id), 1);
    /* The request that was on the wire is sent again: the documented duplicate window. */
    assert_int_equal(requests_for(id), 2);
    assert_int_equal(gwp_stop(&G, SIGTERM), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reply_is_delivered_exactly_and_receipt_marks_it),
        cmocka_unit_test(provider_down_then_back_delivers_once),
        cmocka_unit_test(client_error_fails_without_retry),
        cmocka_unit_test(timeout_is_retried),
        cmocka_unit_test(receipt_before_answer_is_kept),
        cmocka_unit_test(opted_out_reminder_is_suppressed_but_replies_go),
        cmocka_unit_test(twilio_reply_and_unsubscribed_recipient),
        cmocka_unit_test(send_in_flight_at_kill_is_sent_again),
    };
    return cmocka_run_group_tests_name("e2e outbound", tests, setup, teardown);
}
