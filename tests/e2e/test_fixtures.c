/* tests/e2e/test_fixtures.c - every provider fixture, sent over a real
 * socket to the running gateway (one channel per provider, named after
 * it): the answer's status is the fixture's, an accepted message is stored
 * exactly once (retries included), and a refused one stores nothing.
 * Fixtures signed with keys other than the test configuration's, or that
 * need a fixed clock, are left to the unit tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "../../core/util.h"
#include "../../handlers/templates.h"
#include "../common/fixture.h"
#include "../common/harness.h"

static struct gw_proc G;

/* Channel keys of the test configuration, per provider folder: a fixture
 * signed with other keys (or needing a fixed clock) is for the unit tests. */
static const struct {
    const char *provider;
    const char *keys[4][2];
} channel_keys[] = {
    {"generic", {{"secret", GENERIC_SECRET}}},
    {"twilio", {{"auth_token", TWILIO_TOKEN}}},
    {"africastalking", {{"token", "demo-at-token"}}},
    {"vonage", {{NULL, NULL}}},
    {"aliyun", {{"token", "demo-aliyun-token"}}},
    {"tencent", {{"token", "demo-tencent-token"}}},
};

static int matches_config(const struct fixture *fx, const char *provider)
{
    static const char *const keyed[] = {"secret", "auth_token", "token", "signature_secret", "signature_method", "now"};
    for (size_t c = 0; c < sizeof channel_keys / sizeof channel_keys[0]; c++) {
        if (strcmp(channel_keys[c].provider, provider) != 0) continue;
        for (size_t k = 0; k < sizeof keyed / sizeof keyed[0]; k++) {
            const char *want = fixture_expect(fx, keyed[k]);
            if (!want) continue;
            const char *have = NULL;
            for (int i = 0; i < 4 && channel_keys[c].keys[i][0]; i++)
                if (!strcmp(channel_keys[c].keys[i][0], keyed[k])) have = channel_keys[c].keys[i][1];
            if (!have || strcmp(have, want) != 0) return 0;
        }
        return 1;
    }
    return 0;
}

static int setup(void **state)
{
    /* Every provider gets a channel named after it; template-only ones need
     * an approved code for every template. */
    struct gw_buf ini = {0};
    gw_buf_puts(&ini, "[channel africastalking]\nprovider = africastalking\nusername = sandbox\napi_key = k\n"
                      "token = demo-at-token\nurl = " NOWHERE_URL "\n"
                      "[channel vonage]\nprovider = vonage\napi_key = k\napi_secret = s\nnumber = 12025550101\n"
                      "url = " NOWHERE_URL "\n"
                      "[channel aliyun]\nprovider = aliyun\naccess_key_id = id\naccess_key_secret = s\n"
                      "sign_name = 示例\ntoken = demo-aliyun-token\nurl = " NOWHERE_URL "\n"
                      "[channel tencent]\nprovider = tencent\nsecret_id = id\nsecret_key = k\n"
                      "sdk_app_id = 1400000000\nsign_name = 示例\ntoken = demo-tencent-token\nurl = " NOWHERE_URL
                      "\n");
    size_t n;
    const struct tmpl_def *t = tmpl_builtin(&n);
    for (size_t i = 0; i < n; i++)
        gw_buf_printf(&ini, "[template %s]\naliyun_code = SMS_%zu\ntencent_id = %zu\n", t[i].name, 100000 + i,
                      100000 + i);
    int rc = gwp_init(&G, gw_buf_cstr(&ini), 1);
    gw_buf_free(&ini);
    if (rc != 0 || gwp_start(&G) != 0) return -1;
    return 0;
}

static int teardown(void **state)
{
    gwp_cleanup(&G);
    return 0;
}

static void run_dir(const char *provider)
{
    char dir[256], err[256];
    snprintf(dir, sizeof dir, "%s/%s", fixture_root(), provider);
    char **files;
    size_t n;
    assert_int_equal(fixture_list(dir, &files, &n, err, sizeof err), 0);
    assert_true(n > 0);
    int ran = 0;
    for (size_t i = 0; i < n; i++) {
        struct fixture fx;
        assert_int_equal(fixture_load(files[i], &fx, err, sizeof err), 0);
        const char *skip = fixture_expect(&fx, "e2e");
        if ((skip && !strcmp(skip, "skip")) || !matches_config(&fx, provider)) {
            fixture_free(&fx);
            continue;
        }
        const char *hdrs[FIXTURE_MAX_HEADERS + 1];
        char lines[FIXTURE_MAX_HEADERS][512];
        size_t nh = 0;
        for (size_t h = 0; h < fx.nheaders; h++) {
            if (!strcasecmp(fx.headers[h].key, "Host") || !strcasecmp(fx.headers[h].key, "Content-Length")) continue;
            snprintf(lines[nh], sizeof lines[nh], "%s: %s", fx.headers[h].key, fx.headers[h].value);
            hdrs[nh] = lines[nh];
            nh++;
        }
        /* libcurl adds a Content-Type of its own to a POST without one. */
        if (!fixture_header(&fx, "Content-Type") && !strcmp(fx.method, "POST")) hdrs[nh++] = "Content-Type:";
        hdrs[nh] = NULL;
        int64_t before = db_int(G.db, "SELECT count(*) FROM inbox");
        struct http_resp r;
        assert_int_equal(http_req(G.port, fx.method, fx.target, hdrs, fx.body_len ? fx.body : NULL, fx.body_len, &r),
                         0);
        const char *want = fixture_expect(&fx, "status");
        long status = want ? atol(want) : 200;
        if (r.status != status) fail_msg("%s: status %ld, expected %ld (%s)", files[i], r.status, status, r.body);
        const char *id = fixture_expect(&fx, "id");
        const char *ignored = fixture_expect(&fx, "ignored");
        const char *channel = provider;
        const char *kind = fixture_expect(&fx, "kind");
        int is_status = kind && !strcmp(kind, "status");
        if (!is_status && status == 200 && id && !(ignored && !strcmp(ignored, "yes"))) {
            /* A part of a concatenated SMS waits in sms_part until its group is whole. */
            const char *table = fixture_expect(&fx, "concat_ref") ? "sms_part" : "inbox";
            int64_t c = db_int(G.db, "SELECT count(*) FROM %s WHERE channel = %Q AND provider_id = %Q", table, channel,
                               id);
            if (c != 1) fail_msg("%s: message %s stored %lld times", files[i], id, (long long)c);
            const char *from = fixture_expect(&fx, "from");
            if (from && !strcmp(table, "inbox")) {
                char *sender = db_text(G.db, "SELECT sender FROM inbox WHERE channel = %Q AND provider_id = %Q",
                                       channel, id);
                assert_non_null(sender);
                /* Stored in E.164 whatever shape the provider used. */
                assert_true(sender[0] == '+');
                free(sender);
            }
        } else if (status != 200) {
            if (db_int(G.db, "SELECT count(*) FROM inbox") != before) fail_msg("%s: a refused request stored rows", files[i]);
        }
        http_resp_free(&r);
        fixture_free(&fx);
        ran++;
    }
    print_message("%s: %d fixtures sent\n", provider, ran);
    assert_true(ran > 5);
    fixture_list_free(files, n);
}

static void generic_fixtures(void **state) { run_dir("generic"); }
static void twilio_fixtures(void **state) { run_dir("twilio"); }
static void africastalking_fixtures(void **state) { run_dir("africastalking"); }
static void vonage_fixtures(void **state)
{
    run_dir("vonage");
    /* VG-2's two parts came one request each: stored as one message. */
    char *text = db_text(G.db, "SELECT raw_text FROM inbox WHERE channel = 'vonage' AND "
                               "provider_id = 'concat:0B00000001AAAA01'");
    assert_non_null(text);
    assert_string_equal(text, "尊敬的客户您好，您本月的账单已经生成，请登录网上营业厅查看详细信息。如有疑问请拨打客服热线，"
                              "我们将竭诚为您服务，感谢您的支持与理解！祝您生活愉快。");
    free(text);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM sms_part WHERE ref = '108' AND inbox_id IS NOT NULL"), 2);
}

/* Parts that arrive last-first, and a retried part, still make one message. */
static void vonage_parts_out_of_order(void **state)
{
    static const char *const bodies[] = {
        "msisdn=8613700000099&to=12025550101&messageId=P2&text=%E6%98%AF%E5%90%A6%E5%AE%89%E5%85%A8&type=unicode&"
        "concat=true&concat-ref=300&concat-total=2&concat-part=2",
        "msisdn=8613700000099&to=12025550101&messageId=P2&text=%E6%98%AF%E5%90%A6%E5%AE%89%E5%85%A8&type=unicode&"
        "concat=true&concat-ref=300&concat-total=2&concat-part=2",
        "msisdn=8613700000099&to=12025550101&messageId=P1&text=BG+2+%E9%82%BB%E5%B1%85%E5%AE%B6%E5%AD%A9%E5%AD%90"
        "&type=unicode&concat=true&concat-ref=300&concat-total=2&concat-part=1",
    };
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    for (int i = 0; i < 3; i++) {
        struct http_resp r;
        assert_int_equal(http_req(G.port, "POST", "/hooks/vonage/sms", h, bodies[i], strlen(bodies[i]), &r), 0);
        assert_int_equal(r.status, 200);
        http_resp_free(&r);
        if (i < 2) assert_int_equal(db_int(G.db, "SELECT count(*) FROM inbox WHERE provider_id LIKE 'concat:P%%'"), 0);
    }
    char *text = db_text(G.db, "SELECT raw_text FROM inbox WHERE provider_id = 'concat:P2' OR provider_id = 'concat:P1'");
    assert_non_null(text);
    assert_string_equal(text, "BG 2 邻居家孩子是否安全");
    free(text);
    /* The whole message was handled: a report from an unregistered number opens a case. */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM cases c JOIN inbox i ON i.id = c.inbox_id WHERE "
                                  "i.provider_id LIKE 'concat:P%%' AND c.category = 2"), 1);
}
static void aliyun_fixtures(void **state) { run_dir("aliyun"); }
static void tencent_fixtures(void **state) { run_dir("tencent"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generic_fixtures),
        cmocka_unit_test(twilio_fixtures),
        cmocka_unit_test(africastalking_fixtures),
        cmocka_unit_test(vonage_fixtures),
        cmocka_unit_test(vonage_parts_out_of_order),
        cmocka_unit_test(aliyun_fixtures),
        cmocka_unit_test(tencent_fixtures),
    };
    return cmocka_run_group_tests_name("e2e provider fixtures", tests, setup, teardown);
}
