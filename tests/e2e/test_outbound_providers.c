/* tests/e2e/test_outbound_providers.c - every provider's send API through
 * the real binary: replies routed by number prefix to Africa's Talking,
 * Vonage, Aliyun and Tencent channels whose send URL is a local stand-in;
 * the stand-in checks each exact request (path, auth, parameters) and
 * answers in that provider's words; receipts through each status hook
 * close the loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <time.h>

#include "../../core/util.h"
#include "../../handlers/templates.h"
#include "../common/harness.h"
#include "../common/standin.h"

static struct gw_proc G;
static struct standin *S;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    if (standin_start(&S) != 0) return -1;
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", standin_port(S));
    struct gw_buf ini = {0};
    gw_buf_printf(&ini,
                  "[sender]\nbackoff = 1\nbackoff_max = 1\ntimeout = 3\n"
                  "[channel at]\nprovider = africastalking\nusername = sandbox\napi_key = at-key-1\n"
                  "token = demo-at-token\nroute = +254\nurl = %s\n"
                  "[channel vg]\nprovider = vonage\napi_key = vg-key\napi_secret = vg-secret\nnumber = 12025550101\n"
                  "route = +44\nurl = %s\n"
                  "[channel ali]\nprovider = aliyun\naccess_key_id = LTAIfake\naccess_key_secret = ali-secret\n"
                  "sign_name = 示例\ntoken = demo-aliyun-token\nroute = +86137\nurl = %s/\n"
                  "[channel tc]\nprovider = tencent\nsecret_id = AKIDfake\nsecret_key = tc-secret\n"
                  "sdk_app_id = 1400000000\nsign_name = 示例\ntoken = demo-tencent-token\nroute = +852\nurl = %s/\n",
                  base, base, base, base);
    size_t n;
    const struct tmpl_def *t = tmpl_builtin(&n);
    for (size_t i = 0; i < n; i++)
        gw_buf_printf(&ini, "[template %s]\naliyun_code = SMS_%zu\ntencent_id = %zu\n", t[i].name, 500000 + i,
                      500000 + i);
    int rc = gwp_init_send(&G, gw_buf_cstr(&ini), 1, base, NULL);
    gw_buf_free(&ini);
    return rc == 0 && gwp_start(&G) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    gwp_cleanup(&G);
    standin_stop(S);
    return 0;
}

/* Sends "BZ" (help) from phone through the command line; returns the
 * outbox id of the reply, which the sender routes by the number's prefix. */
static int64_t help_from(const char *phone)
{
    const char *args[] = {"sms", "-c", G.cfg, "--from", phone, "BZ", NULL};
    char *out = NULL;
    assert_int_equal(gwp_run(args, &out, NULL), 0);
    assert_true(out && strlen(out) > 0);
    free(out);
    return db_int(G.db, "SELECT max(id) FROM outbox WHERE recipient = %Q", phone);
}

static void wait_row(int64_t id, const char *status, const char *channel)
{
    for (int i = 0; i < 1000; i++) {
        if (db_int(G.db, "SELECT count(*) FROM outbox WHERE id = %lld AND status = %Q AND channel = %Q",
                   (long long)id, status, channel) == 1)
            return;
        sleep_ms(10);
    }
    char *st = db_text(G.db, "SELECT status || ' ' || coalesce(channel,'-') || ' ' || coalesce(last_error,'') "
                             "FROM outbox WHERE id = %lld", (long long)id);
    fail_msg("outbox %lld: %s, expected %s on %s", (long long)id, st ? st : "?", status, channel);
}

static struct standin_req last_request(size_t before)
{
    assert_true(standin_wait(S, before + 1, 10000) >= before + 1);
    struct standin_req r;
    assert_int_equal(standin_get(S, standin_count(S) - 1, &r), 0);
    return r;
}

static void contains(const char *hay, const char *needle)
{
    if (!hay || !strstr(hay, needle)) fail_msg("'%s' not in '%s'", needle, hay ? hay : "(null)");
}

static void africastalking_send(void **state)
{
    standin_push(S, 201,
                 "{\"SMSMessageData\":{\"Message\":\"Sent to 1/1\",\"Recipients\":[{\"statusCode\":101,"
                 "\"number\":\"+254711000001\",\"status\":\"Success\",\"cost\":\"KES 0.8\",\"messageId\":\"ATPid_1\"}]}}",
                 0, 0);
    size_t before = standin_count(S);
    int64_t id = help_from("+254711000001");
    struct standin_req r = last_request(before);
    assert_string_equal(r.target, "/version1/messaging");
    char *key = standin_header(&r, "apikey");
    assert_string_equal(key, "at-key-1");
    free(key);
    contains(r.body, "username=sandbox");
    contains(r.body, "to=%2B254711000001");
    contains(r.body, "message=");
    standin_req_free(&r);
    wait_row(id, "sent", "at");
    char *pid = db_text(G.db, "SELECT provider_msg_id FROM outbox WHERE id = %lld", (long long)id);
    assert_string_equal(pid, "ATPid_1");
    free(pid);
    /* Its delivery report through the status hook. */
    const char *body = "id=ATPid_1&status=Success&phoneNumber=%2B254711000001&networkCode=63902";
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    struct http_resp resp;
    assert_int_equal(http_req(G.port, "POST", "/hooks/at/status?token=demo-at-token", h, body, strlen(body), &resp), 0);
    assert_int_equal(resp.status, 200);
    http_resp_free(&resp);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE id = %lld AND status = 'delivered'", (long long)id), 1);
}

static void vonage_send(void **state)
{
    standin_push(S, 200, "{\"message-count\":\"1\",\"messages\":[{\"to\":\"447700900001\",\"message-id\":\"VG-1\","
                         "\"status\":\"0\"}]}", 0, 0);
    size_t before = standin_count(S);
    int64_t id = help_from("+447700900001");
    struct standin_req r = last_request(before);
    assert_string_equal(r.target, "/sms/json");
    contains(r.body, "api_key=vg-key");
    contains(r.body, "api_secret=vg-secret");
    contains(r.body, "from=12025550101");
    contains(r.body, "to=447700900001");
    contains(r.body, "type=unicode");
    char ref[48];
    snprintf(ref, sizeof ref, "client-ref=%lld", (long long)id);
    contains(r.body, ref);
    contains(r.body, "callback=https%3A%2F%2Fgw.example.com%2Fhooks%2Fvg%2Fstatus");
    standin_req_free(&r);
    wait_row(id, "sent", "vg");
}

static void aliyun_send_retried_after_5xx(void **state)
{
    standin_push(S, 503, "{\"Code\":\"ServiceUnavailable\"}", 0, 0);
    standin_push(S, 200, "{\"Code\":\"OK\",\"Message\":\"OK\",\"BizId\":\"900000000000000001^0\",\"RequestId\":\"r1\"}",
                 0, 0);
    size_t before = standin_count(S);
    int64_t id = help_from("+8613712345678");
    wait_row(id, "sent", "ali");
    assert_int_equal(standin_count(S), before + 2);
    struct standin_req r;
    assert_int_equal(standin_get(S, before + 1, &r), 0);
    assert_string_equal(r.target, "/");
    contains(r.body, "Action=SendSms");
    contains(r.body, "AccessKeyId=LTAIfake");
    contains(r.body, "PhoneNumbers=13712345678");
    contains(r.body, "TemplateCode=SMS_5");
    contains(r.body, "SignatureMethod=HMAC-SHA1");
    contains(r.body, "&Signature=");
    char out_id[48];
    snprintf(out_id, sizeof out_id, "OutId=%lld", (long long)id);
    contains(r.body, out_id);
    standin_req_free(&r);
    assert_int_equal(db_int(G.db, "SELECT attempts FROM outbox WHERE id = %lld", (long long)id), 2);
    /* SmsReport with our OutId marks it delivered. */
    char report[400];
    snprintf(report, sizeof report,
             "[{\"phone_number\":\"13712345678\",\"send_time\":\"2026-01-01 12:10:00\",\"report_time\":\"2026-01-01 "
             "12:10:05\",\"success\":true,\"err_code\":\"DELIVERED\",\"err_msg\":\"用户接收成功\",\"sms_size\":\"1\","
             "\"biz_id\":\"900000000000000001^0\",\"out_id\":\"%lld\"}]",
             (long long)id);
    const char *h[] = {"Content-Type: application/json", NULL};
    struct http_resp resp;
    assert_int_equal(http_req(G.port, "POST", "/hooks/ali/status?token=demo-aliyun-token", h, report, strlen(report),
                              &resp), 0);
    assert_int_equal(resp.status, 200);
    contains(resp.body, "\"code\":0");
    http_resp_free(&resp);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE id = %lld AND status = 'delivered'", (long long)id), 1);
}

static void tencent_send(void **state)
{
    standin_push(S, 200, "{\"Response\":{\"SendStatusSet\":[{\"SerialNo\":\"2645:1\",\"PhoneNumber\":\"+85261234567\","
                         "\"Fee\":1,\"Code\":\"Ok\",\"Message\":\"send success\",\"IsoCode\":\"HK\"}],\"RequestId\":\"r\"}}",
                 0, 0);
    size_t before = standin_count(S);
    int64_t id = help_from("+85261234567");
    struct standin_req r = last_request(before);
    assert_string_equal(r.target, "/");
    char *action = standin_header(&r, "x-tc-action"), *auth = standin_header(&r, "authorization");
    assert_string_equal(action, "SendSms");
    contains(auth, "TC3-HMAC-SHA256 Credential=AKIDfake/");
    contains(auth, "SignedHeaders=content-type;host");
    free(action);
    free(auth);
    contains(r.body, "\"PhoneNumberSet\":[\"+85261234567\"]");
    contains(r.body, "\"SmsSdkAppId\":\"1400000000\"");
    contains(r.body, "\"TemplateId\":\"5");
    standin_req_free(&r);
    wait_row(id, "sent", "tc");
    /* A failure receipt with our session context. */
    char report[300];
    snprintf(report, sizeof report,
             "[{\"user_receive_time\":\"2026-01-01 12:20:09\",\"nationcode\":\"852\",\"mobile\":\"61234567\","
             "\"report_status\":\"FAIL\",\"errmsg\":\"MK:0001\",\"description\":\"用户短信发送失败\",\"sid\":\"2645:1\","
             "\"ext\":\"%lld\"}]",
             (long long)id);
    const char *h[] = {"Content-Type: application/json", NULL};
    struct http_resp resp;
    assert_int_equal(http_req(G.port, "POST", "/hooks/tc/status?token=demo-tencent-token", h, report, strlen(report),
                              &resp), 0);
    assert_int_equal(resp.status, 200);
    http_resp_free(&resp);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE id = %lld AND status = 'failed'", (long long)id), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(africastalking_send),
        cmocka_unit_test(vonage_send),
        cmocka_unit_test(aliyun_send_retried_after_5xx),
        cmocka_unit_test(tencent_send),
    };
    return cmocka_run_group_tests_name("e2e outbound per provider", tests, setup, teardown);
}
