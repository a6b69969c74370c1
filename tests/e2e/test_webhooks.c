/* tests/e2e/test_webhooks.c - signed webhooks through the real binary:
 * rows and replies, retries stored once, 403/404/405/413/400 answers,
 * health and metrics, the sms command, privacy of the log, clean stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>

#include "../common/harness.h"

static struct gw_proc G;
static char director[32], child[16], child_name[64], guardian[32];

static int setup(void **state)
{
    if (gwp_init(&G, NULL, 1) != 0 || gwp_start(&G) != 0) return -1;
    char *v = db_text(G.db, "SELECT s.phone || '|' || c.code || '|' || c.name FROM staff s JOIN child c "
                            "ON c.region_id = s.region_id WHERE s.role = 'director' ORDER BY c.code LIMIT 1");
    if (!v) return -1;
    sscanf(v, "%31[^|]|%15[^|]|%63[^\n]", director, child, child_name);
    free(v);
    v = db_text(G.db, "SELECT g.phone FROM guardian g JOIN guardian_child gc ON gc.guardian_id = g.id LIMIT 1");
    if (!v) return -1;
    snprintf(guardian, sizeof guardian, "%s", v);
    free(v);
    return 0;
}

static int teardown(void **state)
{
    gwp_cleanup(&G);
    return 0;
}

static void visit_is_stored_with_reply(void **state)
{
    char text[96];
    snprintf(text, sizeof text, "ZF %s 1 一切正常", child);
    int64_t visits = db_int(G.db, "SELECT count(*) FROM visit");
    struct http_resp r;
    assert_int_equal(post_generic(G.port, "e2e-visit-1", director, text, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"ok\""));
    http_resp_free(&r);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM visit"), visits + 1);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM inbox WHERE provider_id = 'e2e-visit-1' AND "
                                  "intent = 'visit' AND result = 'ok' AND raw_text = %Q", text), 1);
    char *reply = db_text(G.db, "SELECT o.body FROM outbox o JOIN inbox i ON i.id = o.inbox_id "
                                "WHERE i.provider_id = 'e2e-visit-1' AND o.recipient = %Q AND o.kind = 'reply' "
                                "AND o.channel = 'generic'", director);
    assert_non_null(reply);
    assert_non_null(strstr(reply, child));
    assert_null(strstr(reply, child_name));
    free(reply);
}

static void retry_is_stored_once(void **state)
{
    char text[96];
    snprintf(text, sizeof text, "ZF %s 4", child);
    struct http_resp r;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(post_generic(G.port, "e2e-retry-1", director, text, &r), 0);
        assert_int_equal(r.status, 200);
        http_resp_free(&r);
    }
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM inbox WHERE provider_id = 'e2e-retry-1'"), 1);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM visit v JOIN inbox i ON i.id = v.inbox_id "
                                  "WHERE i.provider_id = 'e2e-retry-1'"), 1);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox o JOIN inbox i ON i.id = o.inbox_id "
                                  "WHERE i.provider_id = 'e2e-retry-1'"), 1);
}

static void report_from_stranger_opens_case(void **state)
{
    const char *body = "{\"id\":\"e2e-json-1\",\"from\":\"+8613912345678\",\"to\":\"10690000\","
                       "\"text\":\"BG 2 邻居家孩子身上经常有伤\"}";
    char sig[65], hdr[90];
    hmac_sha256_hex(GENERIC_SECRET, body, strlen(body), sig);
    snprintf(hdr, sizeof hdr, "X-Signature: %s", sig);
    const char *h[] = {"Content-Type: application/json", hdr, NULL};
    struct http_resp r;
    assert_int_equal(http_req(G.port, "POST", "/hooks/generic/sms", h, body, strlen(body), &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
    char *number = db_text(G.db, "SELECT c.number FROM cases c JOIN inbox i ON i.id = c.inbox_id "
                                 "WHERE i.provider_id = 'e2e-json-1' AND c.category = 2 AND c.priority = 1");
    assert_non_null(number);
    assert_int_equal(strlen(number), 10);
    char *reply = db_text(G.db, "SELECT o.body FROM outbox o JOIN inbox i ON i.id = o.inbox_id "
                                "WHERE i.provider_id = 'e2e-json-1' AND o.recipient = '+8613912345678'");
    assert_non_null(reply);
    assert_non_null(strstr(reply, number));
    assert_null(strstr(reply, "家暴"));
    /* The reporter's number is kept apart from the case. */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM reporter WHERE phone = '+8613912345678'"), 1);
    free(reply);
    free(number);
}

static void bad_requests_are_4xx_and_store_nothing(void **state)
{
    int64_t before = db_int(G.db, "SELECT count(*) FROM inbox");
    struct http_resp r;
    const char *body = "id=x1&from=%2B8613900000000&text=hello";
    const char *nosig[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    assert_int_equal(http_req(G.port, "POST", "/hooks/generic/sms", nosig, body, strlen(body), &r), 0);
    assert_int_equal(r.status, 403);
    http_resp_free(&r);

    const char *badsig[] = {"Content-Type: application/x-www-form-urlencoded",
                            "X-Signature: 00000000000000000000000000000000000000000000000000000000deadbeef", NULL};
    assert_int_equal(http_req(G.port, "POST", "/hooks/generic/sms", badsig, body, strlen(body), &r), 0);
    assert_int_equal(r.status, 403);
    http_resp_free(&r);

    assert_int_equal(http_req(G.port, "POST", "/hooks/nosuch/sms", nosig, body, strlen(body), &r), 0);
    assert_int_equal(r.status, 404);
    http_resp_free(&r);
    assert_int_equal(http_req(G.port, "GET", "/nowhere", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 404);
    http_resp_free(&r);
    assert_int_equal(http_req(G.port, "DELETE", "/hooks/generic/sms", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 405);
    http_resp_free(&r);

    /* Over max_body (4096 in the test config), with and without a length. */
    size_t big = 10000;
    char *huge = malloc(big + 1);
    memset(huge, 'a', big);
    huge[big] = '\0';
    assert_int_equal(http_req(G.port, "POST", "/hooks/generic/sms", nosig, huge, big, &r), 0);
    assert_int_equal(r.status, 413);
    http_resp_free(&r);
    const char *chunked[] = {"Content-Type: application/x-www-form-urlencoded", "Transfer-Encoding: chunked", NULL};
    assert_int_equal(http_req(G.port, "POST", "/hooks/generic/sms", chunked, huge, big, &r), 0);
    assert_int_equal(r.status, 413);
    http_resp_free(&r);
    free(huge);

    /* Signed but malformed: bad JSON, missing id, bad escape. */
    const char *bad[] = {"{\"id\": ", "from=%2B8613900000000&text=hi", "id=a&from=%zz&text=hi"};
    for (size_t i = 0; i < 3; i++) {
        char sig[65], hdr[90];
        hmac_sha256_hex(GENERIC_SECRET, bad[i], strlen(bad[i]), sig);
        snprintf(hdr, sizeof hdr, "X-Signature: %s", sig);
        const char *h[] = {i == 0 ? "Content-Type: application/json" : "Content-Type: application/x-www-form-urlencoded",
                           hdr, NULL};
        assert_int_equal(http_req(G.port, "POST", "/hooks/generic/sms", h, bad[i], strlen(bad[i]), &r), 0);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.body, "error"));
        http_resp_free(&r);
    }
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM inbox"), before);
    /* The process survived all of it. */
    assert_int_equal(http_req(G.port, "GET", "/healthz", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
}

static void unknown_text_is_kept(void **state)
{
    struct http_resp r;
    assert_int_equal(post_generic(G.port, "e2e-free-1", "13712340077", "你好 村口小孩好几天没人管了", &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
    /* A bare national number is stored in E.164. */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM inbox WHERE provider_id = 'e2e-free-1' AND "
                                  "sender = '+8613712340077' AND intent = 'unknown'"), 1);
    /* Its words say a child is left without care: an inferred case of category 3. */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM cases c JOIN inbox i ON i.id = c.inbox_id WHERE "
                                  "i.provider_id = 'e2e-free-1' AND c.category = 3 AND c.inferred = 1"), 1);
}

static void health_and_metrics(void **state)
{
    struct http_resp r;
    assert_int_equal(http_req(G.port, "GET", "/healthz", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
    assert_int_equal(http_req(G.port, "GET", "/metrics", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "gateway_http_requests_total{channel=\"generic\",status=\"200\"}"));
    assert_non_null(strstr(r.body, "gateway_http_requests_total{channel=\"generic\",status=\"403\"}"));
    assert_non_null(strstr(r.body, "gateway_messages_stored_total "));
    assert_non_null(strstr(r.body, "gateway_store_commit_seconds_bucket{le=\"+Inf\"}"));
    assert_non_null(strstr(r.body, "gateway_store_batch_size_count "));
    http_resp_free(&r);
}

static void sms_command_takes_the_webhook_path(void **state)
{
    const char *args[] = {"sms", "-c", G.cfg, "--from", guardian, "QD", NULL};
    char *out = NULL, *err = NULL;
    int rc = gwp_run(args, &out, &err);
    assert_int_equal(rc, 0);
    assert_non_null(out);
    assert_true(strlen(out) > 0);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM inbox WHERE channel = 'cli' AND sender = %Q AND "
                                  "intent = 'checkin'", guardian), 1);
    assert_true(db_int(G.db, "SELECT count(*) FROM checkin c JOIN guardian g ON g.id = c.guardian_id "
                             "WHERE g.phone = %Q", guardian) >= 1);
    free(out);
    free(err);
}

static void operator_commands(void **state)
{
    char *out = NULL, *err = NULL;
    const char *tmpl[] = {"templates", "-c", G.cfg, NULL};
    assert_int_equal(gwp_run(tmpl, &out, &err), 0);
    static const char theader[] = "name\tvariables\taliyun_code\ttencent_id\ttext\n";
    assert_int_equal(strncmp(out, theader, sizeof theader - 1), 0);
    assert_non_null(strstr(out, "\nvisit_ok\tcode,date\t-\t-\t"));
    int lines = 0;
    for (char *p = out; *p; p++) lines += *p == '\n';
    assert_true(lines > 40);
    free(out);
    free(err);
    const char *outbox[] = {"export", "-c", G.cfg, "outbox", NULL};
    assert_int_equal(gwp_run(outbox, &out, &err), 0);
    static const char header[] = "id,created_at,kind,priority,channel,recipient,template,provider_msg_id,status,"
                                 "attempts,last_error,sent_at,done_at\n";
    assert_int_equal(strncmp(out, header, sizeof header - 1), 0);
    assert_non_null(strstr(out, ",reply,1,"));
    assert_non_null(strstr(out, "****"));
    assert_null(strstr(out, director)); /* numbers are masked */
    free(out);
    free(err);
    const char *bad[] = {"export", "-c", G.cfg, "everything", NULL};
    assert_int_equal(gwp_run(bad, &out, &err), 2);
    assert_non_null(strstr(err, "unknown export"));
    free(out);
    free(err);
}

static void log_holds_no_full_number_or_text(void **state)
{
    char *log = read_file(G.log, NULL);
    assert_non_null(log);
    assert_null(strstr(log, director));
    assert_null(strstr(log, "13912345678"));
    assert_null(strstr(log, "村口小孩"));
    assert_null(strstr(log, GENERIC_SECRET));
    assert_non_null(strstr(log, "****"));
    free(log);
}

static void sigterm_stops_cleanly(void **state)
{
    assert_int_equal(gwp_stop(&G, SIGTERM), 0);
    /* Everything accepted is still there after the stop. */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM inbox WHERE provider_id = 'e2e-visit-1'"), 1);
    assert_int_equal(gwp_start(&G), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(visit_is_stored_with_reply),
        cmocka_unit_test(retry_is_stored_once),
        cmocka_unit_test(report_from_stranger_opens_case),
        cmocka_unit_test(bad_requests_are_4xx_and_store_nothing),
        cmocka_unit_test(unknown_text_is_kept),
        cmocka_unit_test(health_and_metrics),
        cmocka_unit_test(sms_command_takes_the_webhook_path),
        cmocka_unit_test(operator_commands),
        cmocka_unit_test(log_holds_no_full_number_or_text),
        cmocka_unit_test(sigterm_stops_cleanly),
    };
    return cmocka_run_group_tests_name("e2e webhooks", tests, setup, teardown);
}
