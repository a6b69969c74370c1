/* tests/unit/test_aliyun_tencent.c - the Aliyun and Tencent providers: webhooks, signers, send requests.
 *
 * Every fixture in tests/fixtures/{aliyun,tencent} is its own test: the
 * request goes through verify, then parse_sms (or parse_status), then the
 * answer, as the server runs them, and the outcome is checked against the
 * file's "# key: value" expectations. Besides the keys of fixture.h
 * (status, id, from, to, text, ignored, reason, duplicate_of, note, e2e)
 * these files use:
 *
 *   kind         "status": the delivery-status hook (parse_status and
 *                render_status_ack); without it, the SMS hook
 *   token        the channel's token the request was sent with
 *                (the e2e one, demo-<provider>-token, unless e2e: skip)
 *   count        messages or status results the request holds (default 1)
 *   reply        the exact answer body on 200
 *   msg_id, ref, status_code, raw_status, error, phone
 *                a status result: provider message id, our outbox id,
 *                queued|sent|delivered|failed|unknown, the provider's
 *                word, the error text, the recipient
 *   KEY_N        the same expectation for the N-th (N >= 2) message or
 *                result of a multi-record body: id_2, text_2, ref_2 ...
 *
 * The rest are tables: the Aliyun RPC v1 vectors (DescribeRegions, SendSms),
 * the Tencent TC3 vector, exact send requests (URL, headers, body) for
 * both, send answers, the template-only refusal, the token check and the
 * body shapes each parser tolerates or refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "../../gateway/routes.h"
#include "../../providers/aliyun.h"
#include "../../providers/crypto.h"
#include "../../providers/form.h"
#include "../../providers/provider.h"
#include "../../providers/tencent.h"
#include "../common/fixture.h"
#include "../common/hook.h"

#define ALIYUN_TOKEN  "demo-aliyun-token"
#define TENCENT_TOKEN "demo-tencent-token"
#define ALIYUN_ACK    "{\"code\":0,\"msg\":\"接收成功\"}"
#define ALIYUN_CHECK  "{\"code\":0,\"msg\":\"成功\"}"
#define TENCENT_ACK   "{\"result\":0,\"errmsg\":\"OK\"}"

/* ---- a channel ---------------------------------------------------------------- */

struct test_channel {
    struct gw_channel ch;
    struct gw_kv keys[8];
};

/* A channel for ops whose keys are placeholders, then overridden by pairs
 * of (key, value) from kv (NULL-terminated; may be NULL). */
static void channel_make(const struct provider_ops *ops, const char *const *kv, struct test_channel *tc)
{
    memset(tc, 0, sizeof *tc);
    tc->ch.name = (char *)ops->name;
    tc->ch.provider = (char *)ops->name;
    tc->ch.ops = ops;
    tc->ch.tps = 10;
    tc->ch.keys = tc->keys;
    for (const char *const *k = ops->required_keys; *k; k++) {
        assert_true(tc->ch.nkeys < 8);
        tc->keys[tc->ch.nkeys].key = (char *)*k;
        tc->keys[tc->ch.nkeys].value = (char *)"placeholder-value";
        tc->ch.nkeys++;
    }
    for (size_t i = 0; kv && kv[i]; i += 2) {
        size_t j = 0;
        while (j < tc->ch.nkeys && strcmp(tc->keys[j].key, kv[i])) j++;
        if (j == tc->ch.nkeys) fail_msg("channel %s has no key %s", ops->name, kv[i]);
        tc->keys[j].value = (char *)kv[i + 1];
    }
}

/* ---- running one request the way the server does ---- */

/* Runs req through the hook's provider part as the server does
 * (routes_hook_input), and on 200 renders the acknowledgement
 * (routes_render). */
static void run(const struct provider_ops *ops, const struct gw_channel *ch, const struct prov_request *req,
                int status_hook, struct hook_outcome *o)
{
    assert_ptr_equal(ch->ops, ops);
    hook_run(status_hook ? PIPELINE_JOB_STATUS : PIPELINE_JOB_SMS, ch, req, o);
}

/* ---- the fixture table ---- */

static int expect_is(const struct fixture *fx, const char *key, const char *value)
{
    const char *v = fixture_expect(fx, key);
    return v && !strcmp(v, value);
}

/* The expectation KEY for record i (0-based): KEY, then KEY_2, KEY_3... */
static const char *expect_n(const struct fixture *fx, const char *key, size_t i)
{
    if (i == 0) return fixture_expect(fx, key);
    char k[64];
    snprintf(k, sizeof k, "%s_%zu", key, i + 1);
    return fixture_expect(fx, k);
}

static void check_n(const struct fixture *fx, const char *key, size_t i, const char *got)
{
    const char *want = expect_n(fx, key, i);
    if (!want) return;
    if (!got || strcmp(want, got))
        fail_msg("%s: record %zu: %s is \"%s\", expected \"%s\"", fx->file, i + 1, key, got ? got : "(null)", want);
}

static const char *status_name(enum prov_status_code s)
{
    switch (s) {
    case PROV_ST_QUEUED: return "queued";
    case PROV_ST_SENT: return "sent";
    case PROV_ST_DELIVERED: return "delivered";
    case PROV_ST_FAILED: return "failed";
    default: return "unknown";
    }
}

/* "tests/fixtures/<provider>/<name>.http" -> provider */
static void provider_of(const char *file, char *out, size_t outlen)
{
    const char *slash = strrchr(file, '/');
    const char *dir = slash;
    while (dir && dir > file && dir[-1] != '/') dir--;
    size_t n = slash && dir ? (size_t)(slash - dir) : 0;
    if (n >= outlen) n = 0;
    memcpy(out, dir ? dir : "", n);
    out[n] = '\0';
}

static void test_fixture(void **state)
{
    const char *file = *state;
    struct fixture fx;
    char err[256], prov[32];
    if (fixture_load(file, &fx, err, sizeof err) < 0) fail_msg("%s", err);
    provider_of(file, prov, sizeof prov);
    const struct provider_ops *ops = prov_find(prov);
    if (!ops) fail_msg("%s: no provider named \"%s\"", file, prov);

    const char *status = fixture_expect(&fx, "status");
    if (!status) fail_msg("%s: no \"# status:\" expectation", file);
    int status_hook = expect_is(&fx, "kind", "status");
    const char *kind = fixture_expect(&fx, "kind");
    if (kind && !status_hook && strcmp(kind, "sms")) fail_msg("%s: kind %s", file, kind);
    const char *token = fixture_expect(&fx, "token");
    const char *e2e_token = !strcmp(prov, "aliyun") ? ALIYUN_TOKEN : TENCENT_TOKEN;
    if (!token) fail_msg("%s: no \"# token:\" expectation", file);

    /* Files the end-to-end run sends must fit its one config. */
    if (!expect_is(&fx, "e2e", "skip")) {
        char want[64];
        snprintf(want, sizeof want, "/hooks/%s/%s", prov, status_hook ? "status" : "sms");
        if (strcmp(fx.path, want)) fail_msg("%s: path %s, expected %s", file, fx.path, want);
        if (strcmp(token, e2e_token)) fail_msg("%s: token differs from the e2e one", file);
    }

    struct test_channel tc;
    const char *kv[] = {"token", token, NULL};
    channel_make(ops, kv, &tc);
    struct prov_request req;
    fixture_request(&fx, &req);
    struct hook_outcome o;
    run(ops, &tc.ch, &req, status_hook, &o);

    if (o.status != atoi(status)) fail_msg("%s: status %d (%s), expected %s", file, o.status, o.err, status);
    const char *reason = fixture_expect(&fx, "reason");
    if (reason && !strstr(o.err, reason))
        fail_msg("%s: reason \"%s\", expected it to hold \"%s\"", file, o.err, reason);
    if (strstr(o.err, token)) fail_msg("%s: the reason shows the token", file);

    const char *count_s = fixture_expect(&fx, "count");
    size_t want_n = expect_is(&fx, "ignored", "yes") ? 0 : count_s ? (size_t)atoi(count_s) : 1;
    size_t got_n = status_hook ? o.sts.n : o.msgs.n;
    if (o.status == 200) {
        assert_int_equal(o.parse_rc, want_n ? PROV_OK : PROV_IGNORED);
        if (got_n != want_n) fail_msg("%s: %zu records, expected %zu", file, got_n, want_n);
        for (size_t i = 0; i < got_n && !status_hook; i++) {
            const struct gw_msg *m = &o.msgs.v[i];
            if (!expect_n(&fx, "id", i) || !expect_n(&fx, "text", i) || (i == 0 && !fixture_expect(&fx, "from")))
                fail_msg("%s: record %zu: a stored message must name its id and text", file, i + 1);
            check_n(&fx, "id", i, m->provider_id);
            check_n(&fx, "from", i, m->from);
            check_n(&fx, "to", i, m->to);
            check_n(&fx, "text", i, m->text);
            assert_non_null(m->text);
            assert_true(m->provider_id && *m->provider_id);
        }
        for (size_t i = 0; i < got_n && status_hook; i++) {
            const struct prov_status *s = &o.sts.v[i];
            if ((!expect_n(&fx, "msg_id", i) && !expect_n(&fx, "ref", i)) || !expect_n(&fx, "status_code", i))
                fail_msg("%s: record %zu: a status result must name msg_id or ref, and status_code", file, i + 1);
            check_n(&fx, "msg_id", i, s->provider_msg_id);
            check_n(&fx, "ref", i, s->ref);
            check_n(&fx, "status_code", i, status_name(s->status));
            check_n(&fx, "raw_status", i, s->raw_status);
            check_n(&fx, "error", i, s->error);
            check_n(&fx, "phone", i, s->phone);
            assert_non_null(s->raw_status);
        }
        assert_int_equal(o.resp.status, 200);
        assert_string_equal(o.resp.content_type, "application/json");
        const char *reply = fixture_expect(&fx, "reply");
        if (reply) assert_string_equal(gw_buf_cstr(&o.resp.body), reply);
        if (!strcmp(prov, "tencent")) assert_string_equal(gw_buf_cstr(&o.resp.body), TENCENT_ACK);
    } else {
        assert_int_equal(got_n, 0);
        assert_true(o.err[0] != '\0');
    }

    /* A retried delivery carries the keys of the request it repeats. */
    const char *dup = fixture_expect(&fx, "duplicate_of");
    if (dup) {
        char other[512];
        struct fixture fo;
        const char *slash = strrchr(file, '/');
        snprintf(other, sizeof other, "%.*s/%s", (int)(slash - file), file, dup);
        if (fixture_load(other, &fo, err, sizeof err) < 0) fail_msg("%s", err);
        if (strcmp(other, file) >= 0) fail_msg("%s: must sort after %s", file, dup);
        if (!o.msgs.n) fail_msg("%s: a duplicate must hold messages", file);
        for (size_t i = 0; i < o.msgs.n; i++) check_n(&fo, "id", i, o.msgs.v[i].provider_id);
        fixture_free(&fo);
    }
    hook_outcome_free(&o);
    fixture_free(&fx);
}

/* ---- Aliyun RPC signature v1 ---- */

static void check_sign(const char *method, const char *secret, const struct prov_aliyun_param *p, size_t n,
                       const char *want_sig, const char *want_canon)
{
    char sig[PROV_ALIYUN_SIG_LEN + 1];
    struct gw_buf canon = {0};
    assert_int_equal(prov_aliyun_sign(method, secret, p, n, &canon, sig), 0);
    assert_string_equal(sig, want_sig);
    if (want_canon) assert_string_equal(gw_buf_cstr(&canon), want_canon);
    gw_buf_free(&canon);
}

static void test_aliyun_vector_describe_regions(void **state)
{
    /* The published example, given out of order: the signer sorts. */
    struct prov_aliyun_param p[] = {
        {"Version", "2014-05-26"},
        {"Timestamp", "2016-02-23T12:46:24Z"},
        {"SignatureVersion", "1.0"},
        {"SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
        {"SignatureMethod", "HMAC-SHA1"},
        {"Format", "XML"},
        {"Action", "DescribeRegions"},
        {"AccessKeyId", "testid"},
    };
    check_sign("GET", "testsecret", p, 8, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=",
               "AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1"
               "&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0"
               "&Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26");
    /* the older spelling is part of the signed string */
    p[1].name = "TimeStamp";
    check_sign("GET", "testsecret", p, 8, "CT9X0VtwR86fNWSnsc6v8YGOjuE=", NULL);
    /* a parameter named twice cannot be signed */
    p[1].name = "Version";
    char sig[PROV_ALIYUN_SIG_LEN + 1] = "x";
    assert_int_equal(prov_aliyun_sign("GET", "testsecret", p, 8, NULL, sig), -1);
    assert_string_equal(sig, "");
}

#define SENDSMS_CANON                                                                                                 \
    "AccessKeyId=LTAIfakeAccessKeyId01&Action=SendSms&Format=JSON&PhoneNumbers=13800000031&RegionId=cn-hangzhou"      \
    "&SignName=%E7%A4%BA%E4%BE%8B%E7%A7%91%E6%8A%80&SignatureMethod=HMAC-SHA1"                                        \
    "&SignatureNonce=5b1f4e2a-0000-4000-8000-000000000031&SignatureVersion=1.0&TemplateCode=SMS_000000001"            \
    "&TemplateParam=%7B%22code%22%3A%22123456%22%7D&Timestamp=2025-01-01T04%3A00%3A00Z&Version=2017-05-25"

static void test_aliyun_vector_sendsms(void **state)
{
    const struct prov_aliyun_param p[] = {
        {"AccessKeyId", "LTAIfakeAccessKeyId01"},
        {"Action", "SendSms"},
        {"Format", "JSON"},
        {"PhoneNumbers", "13800000031"},
        {"RegionId", "cn-hangzhou"},
        {"SignName", "示例科技"},
        {"SignatureMethod", "HMAC-SHA1"},
        {"SignatureNonce", "5b1f4e2a-0000-4000-8000-000000000031"},
        {"SignatureVersion", "1.0"},
        {"TemplateCode", "SMS_000000001"},
        {"TemplateParam", "{\"code\":\"123456\"}"},
        {"Timestamp", "2025-01-01T04:00:00Z"},
        {"Version", "2017-05-25"},
    };
    /* The published SendSms signature example is the GET one; we send POST, whose
     * value was recomputed independently (Python hmac/base64). */
    check_sign("GET", "fakeAccessKeySecret01", p, 13, "8MTwJaQka/Nu9Ew7OgZ1fIqRlzE=", SENDSMS_CANON);
    check_sign("POST", "fakeAccessKeySecret01", p, 13, "4mdI559lhQySHYcdYvyxpXQHe6U=", SENDSMS_CANON);
    /* the secret matters */
    char sig[PROV_ALIYUN_SIG_LEN + 1];
    assert_int_equal(prov_aliyun_sign("POST", "fakeAccessKeySecret02", p, 13, NULL, sig), 0);
    assert_string_not_equal(sig, "4mdI559lhQySHYcdYvyxpXQHe6U=");
}

static void test_aliyun_encode(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"AZaz09-_.~", "AZaz09-_.~"},
        {"a b", "a%20b"},
        {"*", "%2A"},
        {"+", "%2B"},
        {"/", "%2F"},
        {"=&%", "%3D%26%25"},
        {"{\"k\":\"v\"}", "%7B%22k%22%3A%22v%22%7D"},
        {"示例", "%E7%A4%BA%E4%BE%8B"},
        {"\xff\x01", "%FF%01"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gw_buf b = {0};
        form_put_encoded(&b, cases[i].in, 0); /* the signer's encoding */
        if (strcmp(gw_buf_cstr(&b), cases[i].out))
            fail_msg("encode(%s) = %s, expected %s", cases[i].in, gw_buf_cstr(&b), cases[i].out);
        gw_buf_free(&b);
    }
}

/* ---- Aliyun SendSms request ---- */

static const char *const aliyun_keys[] = {"access_key_id", "LTAIfakeAccessKeyId01", "access_key_secret",
                                          "fakeAccessKeySecret01", "sign_name", "示例科技", "token",
                                          ALIYUN_TOKEN, NULL};

static struct prov_outbound aliyun_msg(void)
{
    return (struct prov_outbound){
        .outbox_id = 31,
        .to = "+8613800000031",
        .text = "您的验证码 123456",
        .tmpl = "verify_code",
        .tmpl_code = "SMS_000000001",
        .tmpl_vars = "code",
        .vars_json = "{\"code\":\"123456\"}",
        .status_url = "https://gw.example.com/hooks/aliyun/status?ref=31",
        .now = 1735704000, /* 2025-01-01T04:00:00Z */
        .nonce = "5b1f4e2a-0000-4000-8000-000000000031",
    };
}

static void test_aliyun_build_send(void **state)
{
    const struct provider_ops *al = prov_find("aliyun");
    struct test_channel tc;
    channel_make(al, aliyun_keys, &tc);
    struct prov_outbound m = aliyun_msg();
    struct prov_http h = {0};
    char err[160] = "";

    assert_int_equal(al->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_OK);
    assert_string_equal(h.url, "https://dysmsapi.aliyuncs.com/");
    assert_string_equal(h.method, "POST");
    assert_null(h.userpwd);
    assert_string_equal(gw_buf_cstr(&h.headers), "Content-Type: application/x-www-form-urlencoded\n"
                                                 "Accept: application/json\n");
    /* the §5.5 SendSms parameters plus OutId; signature recomputed independently */
    assert_string_equal(gw_buf_cstr(&h.body),
                        "AccessKeyId=LTAIfakeAccessKeyId01&Action=SendSms&Format=JSON&OutId=31"
                        "&PhoneNumbers=13800000031&RegionId=cn-hangzhou&SignName=%E7%A4%BA%E4%BE%8B%E7%A7%91%E6%8A%80"
                        "&SignatureMethod=HMAC-SHA1&SignatureNonce=5b1f4e2a-0000-4000-8000-000000000031"
                        "&SignatureVersion=1.0&TemplateCode=SMS_000000001"
                        "&TemplateParam=%7B%22code%22%3A%22123456%22%7D&Timestamp=2025-01-01T04%3A00%3A00Z"
                        "&Version=2017-05-25&Signature=gsfL20D5gE1XdEYRdjWeQCP1CXI%3D");
    assert_null(strstr(gw_buf_cstr(&h.body), "fakeAccessKeySecret01"));

    /* a reused request is overwritten; the channel's url replaces the endpoint */
    tc.ch.url = "http://127.0.0.1:8089/aliyun";
    assert_int_equal(al->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_OK);
    assert_string_equal(h.url, "http://127.0.0.1:8089/aliyun");
    assert_int_equal(strncmp(gw_buf_cstr(&h.body), "AccessKeyId=", 12), 0);
    assert_int_equal(strstr(gw_buf_cstr(&h.headers), "Content-Type") - gw_buf_cstr(&h.headers), 0);
    prov_http_free(&h);

    /* variables in the template's order, whatever order vars_json has */
    m.tmpl_vars = "case, priority";
    m.vars_json = "{\"priority\":\"P1\",\"case\":\"2501010001\",\"unused\":\"x\"}";
    assert_int_equal(al->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_OK);
    assert_non_null(strstr(gw_buf_cstr(&h.body),
                           "&TemplateParam=%7B%22case%22%3A%222501010001%22%2C%22priority%22%3A%22P1%22%7D&"));
    prov_http_free(&h);

    /* no tmpl_vars: every variable, by name */
    m.tmpl_vars = NULL;
    m.vars_json = "{\"name\":\"刘 永福\"}";
    assert_int_equal(al->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_OK);
    assert_non_null(strstr(gw_buf_cstr(&h.body), "&TemplateParam=%7B%22name%22%3A%22%E5%88%98%20%E6%B0%B8"));
    prov_http_free(&h);

    /* a template without variables sends no TemplateParam */
    m.tmpl_vars = "";
    m.vars_json = "{}";
    assert_int_equal(al->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_OK);
    assert_null(strstr(gw_buf_cstr(&h.body), "TemplateParam"));
    prov_http_free(&h);

    /* another country keeps its code, without '+' */
    m.to = "+85261234567";
    assert_int_equal(al->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_OK);
    assert_non_null(strstr(gw_buf_cstr(&h.body), "&PhoneNumbers=85261234567&"));
    prov_http_free(&h);

    /* refusals: permanent, nothing built */
    static const struct {
        const char *to, *tmpl_vars, *vars_json, *nonce, *reason;
    } bad[] = {
        {"+86138-0000-0031", "code", "{\"code\":\"1\"}", "n", "recipient is not a phone number"},
        {NULL, "code", "{\"code\":\"1\"}", "n", "recipient is not a phone number"},
        {"+8613800000031", "code,minutes", "{\"code\":\"1\"}", "n",
         "template verify_code: no text for variable minutes"},
        {"+8613800000031", "code", "{\"code\":1}", "n", "no text for variable code"},
        {"+8613800000031", "code", "[\"1\"]", "n", "variables are not a JSON object"},
        {"+8613800000031", "code", "{\"code\":\"1\"}", NULL, "no signature nonce"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct prov_outbound b = aliyun_msg();
        b.to = bad[i].to;
        b.tmpl_vars = bad[i].tmpl_vars;
        b.vars_json = bad[i].vars_json;
        b.nonce = bad[i].nonce;
        err[0] = '\0';
        assert_int_equal(al->build_send(&tc.ch, &b, &h, err, sizeof err), PROV_EBADREQ);
        if (!strstr(err, bad[i].reason)) fail_msg("case %zu: \"%s\", expected \"%s\"", i, err, bad[i].reason);
        assert_null(h.url);
        assert_int_equal(h.body.len, 0);
    }
    prov_http_free(&h);
}

/* ---- Tencent TC3-HMAC-SHA256 ---- */

#define TC_SECRET_ID  "AKIDfakeSecretId000000000000000001"
#define TC_SECRET_KEY "fakeSecretKey0000000000000000001"
#define TC_VEC_BODY                                                                                                   \
    "{\"PhoneNumberSet\":[\"+8613800000041\"],\"SmsSdkAppId\":\"1400000000\",\"SignName\":\"示例科技\","               \
    "\"TemplateId\":\"100001\",\"TemplateParamSet\":[\"123456\",\"5\"]}"

static void test_tencent_vector(void **state)
{
    unsigned char d[PC_SHA256_LEN];
    char hex[2 * PC_SHA256_LEN + 1], sig[PROV_TENCENT_SIG_HEX_LEN + 1];
    assert_int_equal(pc_sha256(TC_VEC_BODY, strlen(TC_VEC_BODY), d), 0);
    gw_hex(d, sizeof d, hex);
    assert_string_equal(hex, "3056c0cc187d0299c0e80839ea6cb7a1940de725b941790a5b0a849dd7696a9d");
    assert_int_equal(prov_tencent_signature(TC_SECRET_KEY, "sms.tencentcloudapi.com", 1735704000, TC_VEC_BODY,
                                            strlen(TC_VEC_BODY), sig),
                     0);
    assert_string_equal(sig, "69c92a7b1f7f602cebced589d651e8f0b80c47220bb30fe8b3a4930667a181dc");

    struct gw_buf auth = {0};
    assert_int_equal(prov_tencent_authorization(TC_SECRET_ID, TC_SECRET_KEY, "sms.tencentcloudapi.com", 1735704000,
                                                TC_VEC_BODY, strlen(TC_VEC_BODY), &auth),
                     0);
    assert_string_equal(gw_buf_cstr(&auth),
                        "TC3-HMAC-SHA256 Credential=" TC_SECRET_ID "/2025-01-01/sms/tc3_request, "
                        "SignedHeaders=content-type;host, "
                        "Signature=69c92a7b1f7f602cebced589d651e8f0b80c47220bb30fe8b3a4930667a181dc");
    gw_buf_free(&auth);

    /* host, time and body each change the signature; the date rolls at UTC midnight */
    char other[PROV_TENCENT_SIG_HEX_LEN + 1];
    assert_int_equal(prov_tencent_signature(TC_SECRET_KEY, "127.0.0.1:8089", 1735704000, TC_VEC_BODY,
                                            strlen(TC_VEC_BODY), other),
                     0);
    assert_string_not_equal(other, sig);
    assert_int_equal(prov_tencent_signature(TC_SECRET_KEY, "sms.tencentcloudapi.com", 1735704001, TC_VEC_BODY,
                                            strlen(TC_VEC_BODY), other),
                     0);
    assert_string_not_equal(other, sig);
    assert_int_equal(prov_tencent_signature(TC_SECRET_KEY, "sms.tencentcloudapi.com", 1735704000, TC_VEC_BODY,
                                            strlen(TC_VEC_BODY) - 1, other),
                     0);
    assert_string_not_equal(other, sig);
    assert_int_equal(prov_tencent_signature(TC_SECRET_KEY, "h", -1, "", 0, other), -1);
    assert_string_equal(other, "");
}

/* ---- Tencent SendSms request ---- */

static const char *const tencent_keys[] = {"secret_id", TC_SECRET_ID, "secret_key", TC_SECRET_KEY, "sdk_app_id",
                                           "1400000000", "sign_name", "示例科技", "token", TENCENT_TOKEN, NULL};

static struct prov_outbound tencent_msg(void)
{
    return (struct prov_outbound){
        .outbox_id = 41,
        .to = "+8613800000041",
        .text = "您的验证码 123456，5 分钟内有效",
        .tmpl = "verify_code",
        .tmpl_code = "100001",
        .tmpl_vars = "code,minutes",
        .vars_json = "{\"minutes\":\"5\",\"code\":\"123456\"}",
        .status_url = "https://gw.example.com/hooks/tencent/status?ref=41",
        .now = 1735704000,
        .nonce = "0123456789abcdef0123456789abcdef",
    };
}

#define TC_SEND_BODY                                                                                                  \
    "{\"PhoneNumberSet\":[\"+8613800000041\"],\"SmsSdkAppId\":\"1400000000\",\"SignName\":\"示例科技\","               \
    "\"TemplateId\":\"100001\",\"TemplateParamSet\":[\"123456\",\"5\"],\"SessionContext\":\"41\"}"

static void test_tencent_build_send(void **state)
{
    const struct provider_ops *tx = prov_find("tencent");
    struct test_channel tc;
    channel_make(tx, tencent_keys, &tc);
    struct prov_outbound m = tencent_msg();
    struct prov_http h = {0};
    char err[160] = "";

    /* signatures below recomputed independently (Python hmac/hashlib) */
    assert_int_equal(tx->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_OK);
    assert_string_equal(h.url, "https://sms.tencentcloudapi.com/");
    assert_string_equal(h.method, "POST");
    assert_null(h.userpwd);
    assert_string_equal(gw_buf_cstr(&h.body), TC_SEND_BODY);
    assert_string_equal(gw_buf_cstr(&h.headers),
                        "Content-Type: application/json; charset=utf-8\n"
                        "Host: sms.tencentcloudapi.com\n"
                        "X-TC-Action: SendSms\n"
                        "X-TC-Version: 2021-01-11\n"
                        "X-TC-Region: ap-guangzhou\n"
                        "X-TC-Timestamp: 1735704000\n"
                        "Authorization: TC3-HMAC-SHA256 Credential=" TC_SECRET_ID "/2025-01-01/sms/tc3_request, "
                        "SignedHeaders=content-type;host, "
                        "Signature=d9241cf59da16fc4ba4c34baa75646d3b038fde3c21677d99610a52390dce874\n");
    assert_null(strstr(gw_buf_cstr(&h.headers), TC_SECRET_KEY));

    /* a stand-in on loopback: Host and signature follow the URL called */
    tc.ch.url = "http://127.0.0.1:8089/";
    assert_int_equal(tx->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_OK);
    assert_string_equal(h.url, "http://127.0.0.1:8089/");
    assert_string_equal(gw_buf_cstr(&h.body), TC_SEND_BODY);
    assert_non_null(strstr(gw_buf_cstr(&h.headers), "\nHost: 127.0.0.1:8089\n"));
    assert_non_null(strstr(gw_buf_cstr(&h.headers),
                           "Signature=4eed643755e5f2fa6084948f147c493c567c3ff260b52db2b05d8954a2848421\n"));
    prov_http_free(&h);

    /* user-info is not part of Host */
    tc.ch.url = "https://user:pw@sms.example.org:8443/path?x=1";
    assert_int_equal(tx->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_OK);
    assert_non_null(strstr(gw_buf_cstr(&h.headers), "\nHost: sms.example.org:8443\n"));
    prov_http_free(&h);
    tc.ch.url = NULL;

    /* a template without variables */
    m.tmpl_vars = NULL;
    m.vars_json = NULL;
    assert_int_equal(tx->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_OK);
    assert_non_null(strstr(gw_buf_cstr(&h.body), ",\"TemplateParamSet\":[],"));
    prov_http_free(&h);

    static const struct {
        const char *to, *tmpl_vars, *vars_json, *url, *reason;
    } bad[] = {
        {"8613800000041", "code", "{\"code\":\"1\"}", NULL, "recipient is not an E.164 number"},
        {"+86 13800000041", "code", "{\"code\":\"1\"}", NULL, "recipient is not an E.164 number"},
        {"+8613800000041", "code,minutes", "{\"code\":\"1\"}", NULL, "no text for variable minutes"},
        {"+8613800000041", NULL, "{\"code\":\"1\"}", NULL, "variables without an order"},
        {"+8613800000041", "code", "{\"code\":\"1\"}", "https:///", "send URL has no host"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct prov_outbound b = tencent_msg();
        b.to = bad[i].to;
        b.tmpl_vars = bad[i].tmpl_vars;
        b.vars_json = bad[i].vars_json;
        tc.ch.url = (char *)bad[i].url;
        err[0] = '\0';
        assert_int_equal(tx->build_send(&tc.ch, &b, &h, err, sizeof err), PROV_EBADREQ);
        if (!strstr(err, bad[i].reason)) fail_msg("case %zu: \"%s\", expected \"%s\"", i, err, bad[i].reason);
        assert_null(h.url);
    }
    prov_http_free(&h);
}

/* ---- template-only refusal ---- */

static void test_template_only(void **state)
{
    static const char *const names[] = {"aliyun", "tencent"};
    for (size_t p = 0; p < 2; p++) {
        const struct provider_ops *ops = prov_find(names[p]);
        assert_non_null(ops);
        assert_int_equal(ops->template_only, 1);
        assert_string_equal(ops->template_key, p == 0 ? "aliyun_code" : "tencent_id");
        struct test_channel tc;
        channel_make(ops, p == 0 ? aliyun_keys : tencent_keys, &tc);
        struct prov_outbound m = p == 0 ? aliyun_msg() : tencent_msg();
        struct prov_http h = {0};
        char err[160];
        m.tmpl = "case_alert";
        for (int k = 0; k < 2; k++) {
            m.tmpl_code = k == 0 ? NULL : "";
            err[0] = '\0';
            assert_int_equal(ops->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_EBADREQ);
            assert_string_equal(err, "template case_alert has no approved code for this channel");
            assert_null(h.url);
            assert_int_equal(h.body.len, 0);
        }
        /* a channel missing a credential cannot send either */
        m.tmpl_code = "X";
        tc.keys[0].value = "";
        assert_int_equal(ops->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_EBADREQ);
        assert_non_null(strstr(err, "channel lacks"));
        prov_http_free(&h);
    }
}

/* ---- send answers ---- */

struct send_case {
    long http;
    const char *body;
    int rc;
    const char *msg_id; /* on OK */
    int opted_out;
    const char *err; /* substring, or NULL */
};

static void run_send_cases(const char *prov, const struct send_case *c, size_t n)
{
    const struct provider_ops *ops = prov_find(prov);
    for (size_t i = 0; i < n; i++) {
        char id[64] = "junk", err[160] = "";
        int opted = 7;
        int rc = ops->parse_send(NULL, c[i].http, c[i].body, c[i].body ? strlen(c[i].body) : 0, id, sizeof id,
                                 &opted, err, sizeof err);
        if (rc != c[i].rc) fail_msg("%s case %zu: rc %d (%s), expected %d", prov, i, rc, err, c[i].rc);
        if (opted != c[i].opted_out) fail_msg("%s case %zu: opted_out %d", prov, i, opted);
        if (rc == PROV_SEND_OK) assert_string_equal(id, c[i].msg_id);
        if (c[i].err && !strstr(err, c[i].err))
            fail_msg("%s case %zu: err \"%s\", expected \"%s\"", prov, i, err, c[i].err);
    }
}

static void test_aliyun_parse_send(void **state)
{
    static const struct send_case c[] = {
        {200, "{\"Code\":\"OK\",\"Message\":\"OK\",\"BizId\":\"900000000000000001^0\",\"RequestId\":\"A0\"}",
         PROV_SEND_OK, "900000000000000001^0", 0, NULL},
        {200, "{\"Code\":\"OK\",\"Message\":\"OK\",\"RequestId\":\"A0\"}", PROV_SEND_OK, "", 0, NULL},
        {200, "{\"Code\":\"OK\",\"BizId\":\"0123456789012345678901234567890123456789012345678901234567890123456\"}",
         PROV_SEND_OK, "", 0, "BizId too long"}, /* 67 characters do not fit the caller's 64 */
        {200, "{\"Code\":\"isv.BUSINESS_LIMIT_CONTROL\",\"Message\":\"触发分钟级流控Permits:1\"}", PROV_SEND_RETRY,
         NULL, 0, "isv.BUSINESS_LIMIT_CONTROL: 触发分钟级流控"},
        {400, "{\"Code\":\"Throttling.User\",\"Message\":\"Request was denied due to user flow control.\"}",
         PROV_SEND_RETRY, NULL, 0, "Throttling.User"},
        {200, "{\"Code\":\"isp.SYSTEM_ERROR\",\"Message\":\"isp.SYSTEM_ERROR\"}", PROV_SEND_RETRY, NULL, 0, NULL},
        {200, "{\"Code\":\"isv.MOBILE_NUMBER_ILLEGAL\",\"Message\":\"非法手机号\"}", PROV_SEND_FAIL, NULL, 0,
         "isv.MOBILE_NUMBER_ILLEGAL"},
        {200, "{\"Code\":\"isv.SMS_TEMPLATE_ILLEGAL\",\"Message\":\"模板不合法\"}", PROV_SEND_FAIL, NULL, 0, NULL},
        {200, "{\"Code\":\"isv.AMOUNT_NOT_ENOUGH\",\"Message\":\"账户余额不足\"}", PROV_SEND_FAIL, NULL, 0, NULL},
        {200, "{\"Code\":\"isv.BLACK_KEY_CONTROL_LIMIT\",\"Message\":\"黑名单管控\"}", PROV_SEND_FAIL, NULL, 0, NULL},
        {404, "{\"Code\":\"InvalidAccessKeyId.NotFound\",\"Message\":\"Specified access key is not found.\"}",
         PROV_SEND_FAIL, NULL, 0, "InvalidAccessKeyId.NotFound"},
        {400, "{\"Code\":\"SignatureDoesNotMatch\"}", PROV_SEND_FAIL, NULL, 0, NULL},
        {503, "{\"Code\":\"ServiceUnavailable\"}", PROV_SEND_RETRY, NULL, 0, "HTTP 503"},
        {500, "<html>oops</html>", PROV_SEND_RETRY, NULL, 0, NULL},
        {0, NULL, PROV_SEND_RETRY, NULL, 0, "no answer"},
        {429, "", PROV_SEND_RETRY, NULL, 0, NULL},
        {200, "not json", PROV_SEND_RETRY, NULL, 0, "without a Code"},
        {403, "Forbidden", PROV_SEND_FAIL, NULL, 0, "HTTP 403"},
        {200, "{\"Code\":5}", PROV_SEND_RETRY, NULL, 0, NULL},
    };
    run_send_cases("aliyun", c, sizeof c / sizeof c[0]);
}

static void test_tencent_parse_send(void **state)
{
    static const struct send_case c[] = {
        {200,
         "{\"Response\":{\"SendStatusSet\":[{\"SerialNo\":\"2645:000000000000000000000000001\",\"PhoneNumber\":"
         "\"+8613800000041\",\"Fee\":1,\"SessionContext\":\"41\",\"Code\":\"Ok\",\"Message\":\"send success\","
         "\"IsoCode\":\"CN\"}],\"RequestId\":\"r1\"}}",
         PROV_SEND_OK, "2645:000000000000000000000000001", 0, NULL},
        {200,
         "{\"Response\":{\"SendStatusSet\":[{\"SerialNo\":\"\",\"PhoneNumber\":\"+8613800000041\",\"Fee\":0,"
         "\"Code\":\"LimitExceeded.PhoneNumberDailyLimit\",\"Message\":\"单个手机号日下发短信条数超过设定的上限\"}],"
         "\"RequestId\":\"r2\"}}",
         PROV_SEND_RETRY, NULL, 0, "LimitExceeded.PhoneNumberDailyLimit"},
        {200,
         "{\"Response\":{\"SendStatusSet\":[{\"Code\":\"FailedOperation.PhoneNumberInBlacklist\",\"Message\":"
         "\"手机号在免打扰名单库中\"}],\"RequestId\":\"r3\"}}",
         PROV_SEND_FAIL, NULL, 1, "FailedOperation.PhoneNumberInBlacklist"},
        {200,
         "{\"Response\":{\"SendStatusSet\":[{\"Code\":\"InvalidParameterValue.IncorrectPhoneNumber\"}],"
         "\"RequestId\":\"r4\"}}",
         PROV_SEND_FAIL, NULL, 0, NULL},
        {200,
         "{\"Response\":{\"Error\":{\"Code\":\"AuthFailure.SignatureFailure\",\"Message\":\"The provided "
         "credentials could not be validated.\"},\"RequestId\":\"r5\"}}",
         PROV_SEND_FAIL, NULL, 0, "AuthFailure.SignatureFailure: The provided"},
        {200, "{\"Response\":{\"Error\":{\"Code\":\"RequestLimitExceeded\",\"Message\":\"slow down\"}}}",
         PROV_SEND_RETRY, NULL, 0, NULL},
        {200, "{\"Response\":{\"Error\":{\"Code\":\"InternalError.Timeout\",\"Message\":\"t\"}}}", PROV_SEND_RETRY,
         NULL, 0, NULL},
        {200, "{\"Response\":{\"Error\":{\"Code\":\"InternalErrorX\",\"Message\":\"t\"}}}", PROV_SEND_FAIL, NULL, 0,
         NULL},
        {200,
         "{\"Response\":{\"Error\":{\"Code\":\"FailedOperation.InsufficientBalanceInSmsPackage\",\"Message\":\"m\"}}}",
         PROV_SEND_FAIL, NULL, 0, NULL},
        {200, "{\"Response\":{\"SendStatusSet\":[],\"RequestId\":\"r6\"}}", PROV_SEND_RETRY, NULL, 0,
         "without a Code"},
        {502, "Bad Gateway", PROV_SEND_RETRY, NULL, 0, "HTTP 502"},
        {0, NULL, PROV_SEND_RETRY, NULL, 0, "no answer"},
        {400, "nope", PROV_SEND_FAIL, NULL, 0, NULL},
    };
    run_send_cases("tencent", c, sizeof c / sizeof c[0]);
}

/* ---- answers, token check, registry ---- */

static void test_acks(void **state)
{
    const struct provider_ops *al = prov_find("aliyun"), *tx = prov_find("tencent");
    struct gw_msgv mv = {0};
    struct prov_response r = {0};
    al->render_sms_ack(NULL, &mv, &r); /* nothing stored: the connectivity check's answer */
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(gw_buf_cstr(&r.body), ALIYUN_CHECK);
    al->render_sms_ack(NULL, NULL, &r);
    assert_string_equal(gw_buf_cstr(&r.body), ALIYUN_CHECK);
    gw_msgv_push(&mv);
    al->render_sms_ack(NULL, &mv, &r);
    assert_string_equal(gw_buf_cstr(&r.body), ALIYUN_ACK);
    al->render_status_ack(NULL, &r);
    assert_string_equal(gw_buf_cstr(&r.body), ALIYUN_ACK);
    tx->render_sms_ack(NULL, &mv, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(gw_buf_cstr(&r.body), TENCENT_ACK);
    tx->render_status_ack(NULL, &r);
    assert_string_equal(gw_buf_cstr(&r.body), TENCENT_ACK);
    gw_buf_free(&r.body);
    gw_msgv_free(&mv);
}

static void test_token(void **state)
{
    static const struct {
        const char *query;
        int rc;
        const char *reason;
    } cases[] = {
        {"token=T0k-en_1", PROV_OK, ""},
        {"lang=zh&token=T0k-en_1&x", PROV_OK, ""},
        {"token=T0k%2Den_1", PROV_OK, ""},
        {"token=T0k-en_1&token=wrong", PROV_OK, ""}, /* the first one counts */
        {"", PROV_EFORBIDDEN, "missing token"},
        {"token=", PROV_EFORBIDDEN, "missing token"},
        {"Token=T0k-en_1", PROV_EFORBIDDEN, "missing token"},
        {"token=t0k-en_1", PROV_EFORBIDDEN, "bad token"},
        {"token=T0k-en_", PROV_EFORBIDDEN, "bad token"},
        {"token=T0k-en_1x", PROV_EFORBIDDEN, "bad token"},
        {"token=T0k-en_1%00", PROV_EBADREQ, ""},
        {"token=%ZZ", PROV_EBADREQ, ""},
    };
    static const char *const names[] = {"aliyun", "tencent"};
    for (size_t p = 0; p < 2; p++) {
        const struct provider_ops *ops = prov_find(names[p]);
        struct test_channel tc;
        const char *kv[] = {"token", "T0k-en_1", NULL};
        channel_make(ops, kv, &tc);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            struct prov_request req = {.method = "POST", .url = "https://gw.example.com/hooks/x/sms",
                                       .query = cases[i].query, .body = "[]", .body_len = 2};
            char err[160] = "";
            int rc = ops->verify(&tc.ch, &req, err, sizeof err);
            if (rc != cases[i].rc) fail_msg("%s \"%s\": rc %d (%s)", names[p], cases[i].query, rc, err);
            if (!strstr(err, cases[i].reason)) fail_msg("%s \"%s\": %s", names[p], cases[i].query, err);
            assert_null(strstr(err, "T0k"));
        }
        /* a channel without a token accepts nothing */
        struct prov_request req = {.method = "GET", .query = "token=", .body = "", .body_len = 0};
        char err[160] = "";
        tc.keys[tc.ch.nkeys - 1].value = "";
        assert_string_equal(tc.keys[tc.ch.nkeys - 1].key, "token");
        assert_int_equal(ops->verify(&tc.ch, &req, err, sizeof err), PROV_EFORBIDDEN);
        assert_string_equal(err, "channel has no token");
        tc.ch.nkeys--;
        req.query = NULL;
        assert_int_equal(ops->verify(&tc.ch, &req, err, sizeof err), PROV_EFORBIDDEN);
    }
}

static void test_registry(void **state)
{
    const struct provider_ops *al = prov_find("aliyun"), *tx = prov_find("tencent");
    assert_non_null(al);
    assert_non_null(tx);
    const char *const al_keys[] = {"access_key_id", "access_key_secret", "sign_name", "token", NULL};
    const char *const tx_keys[] = {"secret_id", "secret_key", "sdk_app_id", "sign_name", "token", NULL};
    for (size_t i = 0; i < 5; i++) {
        if (al_keys[i]) assert_string_equal(al->required_keys[i], al_keys[i]);
        else assert_null(al->required_keys[i]);
    }
    for (size_t i = 0; i < 6; i++) {
        if (tx_keys[i]) assert_string_equal(tx->required_keys[i], tx_keys[i]);
        else assert_null(tx->required_keys[i]);
    }
    assert_null(al->optional_keys[0]);
    assert_null(tx->optional_keys[0]);
    const struct provider_ops *both[] = {al, tx};
    for (size_t i = 0; i < 2; i++) {
        assert_non_null(both[i]->verify);
        assert_non_null(both[i]->parse_sms);
        assert_non_null(both[i]->render_sms_ack);
        assert_non_null(both[i]->parse_status);
        assert_non_null(both[i]->render_status_ack);
        assert_non_null(both[i]->build_send);
        assert_non_null(both[i]->parse_send);
    }
}

/* ---- body shapes: what each parser tolerates and refuses ---- */

static void test_body_shapes(void **state)
{
    static const struct {
        const char *prov;
        int status_hook;
        const char *method, *body;
        int rc;
        size_t n;
        const char *a, *b; /* OK: first id (SMS) or msg_id/ref (status), then text / status word;
                              else a substring of the reason in a */
    } cases[] = {
        /* Aliyun SmsUp */
        {"aliyun", 0, "POST", "[]", PROV_IGNORED, 0, "", NULL},
        {"aliyun", 0, "POST", " \r\n", PROV_IGNORED, 0, "connectivity check", NULL},
        {"aliyun", 0, "GET", "[{\"x\":1}]", PROV_IGNORED, 0, "connectivity check", NULL},
        {"aliyun", 0, "POST", "[{\"phone_number\":13900000002,\"content\":\"QD\",\"sequence_id\":7}]", PROV_OK, 1,
         "13900000002:7", "QD"},
        {"aliyun", 0, "POST", "[{\"phone_number\":\"13900000002\",\"content\":\"\",\"sequence_id\":\"8\"}]", PROV_OK,
         1, "13900000002:8", ""},
        {"aliyun", 0, "POST",
         "[{\"biz_id\":\"1^0\",\"success\":true},{\"phone_number\":\"13900000002\",\"content\":\"BZ\","
         "\"sequence_id\":\"9\",\"unknown_field\":[1,2]}]",
         PROV_OK, 1, "13900000002:9", "BZ"},
        {"aliyun", 0, "POST", "[{\"phone_number\":\"139\",\"content\":\"QD\",\"sequence_id\":1.5}]", PROV_EBADREQ, 0,
         "record 1: field sequence_id has the wrong type", NULL},
        {"aliyun", 0, "POST", "[{\"phone_number\":\"139\",\"content\":5,\"sequence_id\":\"1\"}]", PROV_EBADREQ, 0,
         "field content has the wrong type", NULL},
        {"aliyun", 0, "POST", "[{\"phone_number\":\"139\",\"content\":\"QD\"}]", PROV_EBADREQ, 0,
         "missing field: sequence_id", NULL},
        {"aliyun", 0, "POST", "[{\"phone_number\":\"139\",\"content\":\"QD\",\"sequence_id\":\"1\\n\"}]",
         PROV_EBADREQ, 0, "control character in field: sequence_id", NULL},
        {"aliyun", 0, "POST", "[{\"phone_number\":\"139\",\"content\":\"Q\\u0000D\",\"sequence_id\":\"1\"}]",
         PROV_EBADREQ, 0, "bad JSON", NULL},
        {"aliyun", 0, "POST", "[{\"phone_number\":\"1\",\"phone_number\":\"2\",\"content\":\"QD\"}]", PROV_EBADREQ, 0,
         "bad JSON", NULL},
        {"aliyun", 0, "POST", "[1]", PROV_EBADREQ, 0, "record 1 is not an object", NULL},
        {"aliyun", 0, "POST", "\"QD\"", PROV_EBADREQ, 0, "not an array", NULL},
        /* Aliyun SmsReport */
        {"aliyun", 1, "POST", "[{\"biz_id\":\"1^0\",\"out_id\":1003,\"success\":\"true\"}]", PROV_OK, 1, "1003",
         "delivered"},
        {"aliyun", 1, "POST", "[{\"biz_id\":\"1^0\",\"err_code\":\"DELIVERED\"}]", PROV_OK, 1, "1^0", "delivered"},
        {"aliyun", 1, "POST", "[{\"biz_id\":\"1^0\",\"err_code\":\"UNDELIV\"}]", PROV_OK, 1, "1^0", "unknown"},
        {"aliyun", 1, "POST", "[{\"biz_id\":\"1^0\",\"success\":false}]", PROV_OK, 1, "1^0", "failed"},
        {"aliyun", 1, "POST", "[]", PROV_IGNORED, 0, "no delivery reports", NULL},
        {"aliyun", 1, "POST", "{\"biz_id\":\"1^0\"}", PROV_EBADREQ, 0, "not an array", NULL},
        {"aliyun", 1, "POST", "[{\"biz_id\":[\"1^0\"]}]", PROV_EBADREQ, 0, "field biz_id has the wrong type", NULL},
        /* Tencent reply */
        {"tencent", 0, "POST", "{\"mobile\":\"13900000003\",\"text\":\"QD\",\"time\":1}", PROV_OK, 1, NULL, "QD"},
        {"tencent", 0, "POST", "{\"mobile\":13900000003,\"nationcode\":86,\"text\":\"QD\",\"time\":\"1\"}", PROV_OK,
         1, NULL, "QD"},
        {"tencent", 0, "POST", "{\"mobile\":\"13900000003\",\"nationcode\":\"8a6\",\"text\":\"QD\",\"time\":1}",
         PROV_EBADREQ, 0, "bad nationcode", NULL},
        {"tencent", 0, "POST", "{\"mobile\":\"13900000003\",\"nationcode\":\"86\",\"text\":\"QD\",\"time\":-1}",
         PROV_EBADREQ, 0, "bad time", NULL},
        {"tencent", 0, "POST", "{\"mobile\":\"13900000003\",\"text\":\"QD\",\"time\":\"soon\"}", PROV_EBADREQ, 0,
         "bad time", NULL},
        {"tencent", 0, "POST", "{\"mobile\":\"13900000003\",\"time\":1}", PROV_EBADREQ, 0, "missing field: text",
         NULL},
        {"tencent", 0, "POST", "{\"mobile\":\"13900000003\",\"text\":null,\"time\":1}", PROV_EBADREQ, 0,
         "missing field: text", NULL},
        {"tencent", 0, "POST", "[]", PROV_EBADREQ, 0, "not an object", NULL},
        {"tencent", 0, "POST", "[{\"mobile\":\"1\",\"text\":\"QD\",\"time\":1}]", PROV_EBADREQ, 0, "not an object",
         NULL},
        {"tencent", 0, "POST", "\"QD\"", PROV_EBADREQ, 0, "not an object", NULL},
        /* Tencent status */
        {"tencent", 1, "POST", "{\"sid\":\"s1\",\"report_status\":\"SUCCESS\",\"errmsg\":\"DELIVRD\"}", PROV_OK, 1,
         "s1", "delivered"},
        {"tencent", 1, "POST", "[{\"sid\":\"s2\",\"report_status\":\"WAITING\"}]", PROV_OK, 1, "s2", "unknown"},
        {"tencent", 1, "POST", "[{\"ext\":42,\"report_status\":\"FAIL\"}]", PROV_OK, 1, "42", "failed"},
        {"tencent", 1, "POST", "[{\"report_status\":\"FAIL\"}]", PROV_EBADREQ, 0, "missing field: sid", NULL},
        {"tencent", 1, "POST", "[5]", PROV_EBADREQ, 0, "result 1 is not an object", NULL},
        {"tencent", 1, "POST", "[]", PROV_IGNORED, 0, "no status results", NULL},
        {"tencent", 1, "POST", "", PROV_EBADREQ, 0, "empty body", NULL},
        {"tencent", 1, "POST", "7", PROV_EBADREQ, 0, "not an array", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct provider_ops *ops = prov_find(cases[i].prov);
        struct prov_request req = {.method = cases[i].method,
                                   .url = "https://gw.example.com/hooks/x/sms",
                                   .query = "",
                                   .content_type = "application/json",
                                   .body = cases[i].body,
                                   .body_len = strlen(cases[i].body)};
        struct gw_msgv mv = {0};
        struct prov_statusv sv = {0};
        char err[160] = "";
        int rc = cases[i].status_hook ? ops->parse_status(NULL, &req, &sv, err, sizeof err)
                                      : ops->parse_sms(NULL, &req, &mv, err, sizeof err);
        if (rc != cases[i].rc) fail_msg("case %zu: rc %d (%s), expected %d", i, rc, err, cases[i].rc);
        size_t n = cases[i].status_hook ? sv.n : mv.n;
        if (n != cases[i].n) fail_msg("case %zu: %zu records", i, n);
        if (rc != PROV_OK) {
            if (!strstr(err, cases[i].a)) fail_msg("case %zu: reason \"%s\", expected \"%s\"", i, err, cases[i].a);
        } else if (!cases[i].status_hook) {
            if (cases[i].a) assert_string_equal(mv.v[0].provider_id, cases[i].a);
            assert_string_equal(mv.v[0].text, cases[i].b);
        } else {
            const struct prov_status *s = &sv.v[0];
            int id_ok = (s->provider_msg_id && !strcmp(s->provider_msg_id, cases[i].a)) ||
                        (s->ref && !strcmp(s->ref, cases[i].a));
            if (!id_ok) fail_msg("case %zu: no id %s", i, cases[i].a);
            assert_string_equal(status_name(s->status), cases[i].b);
            assert_non_null(s->raw_status);
        }
        gw_msgv_free(&mv);
        prov_statusv_free(&sv);
    }
}

static void test_tencent_reply_numbers(void **state)
{
    /* from: "+" nationcode mobile; mobile alone without nationcode (the
     * pipeline adds the country code); a mobile already in E.164 kept. */
    static const struct {
        const char *body, *from;
    } cases[] = {
        {"{\"mobile\":\"13900000003\",\"nationcode\":\"86\",\"text\":\"QD\",\"time\":1}", "+8613900000003"},
        {"{\"mobile\":\"13900000003\",\"nationcode\":\"+86\",\"text\":\"QD\",\"time\":1}", "+8613900000003"},
        {"{\"mobile\":\"13900000003\",\"text\":\"QD\",\"time\":1}", "13900000003"},
        {"{\"mobile\":\"13900000003\",\"nationcode\":\"\",\"text\":\"QD\",\"time\":1}", "13900000003"},
        {"{\"mobile\":\"+8613900000003\",\"nationcode\":\"86\",\"text\":\"QD\",\"time\":1}", "+8613900000003"},
        {"{\"mobile\":\"91234567\",\"nationcode\":\"852\",\"text\":\"QD\",\"time\":1}", "+85291234567"},
    };
    const struct provider_ops *tx = prov_find("tencent");
    char first_id[80] = "";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct prov_request req = {.method = "POST", .query = "", .body = cases[i].body,
                                   .body_len = strlen(cases[i].body)};
        struct gw_msgv mv = {0};
        char err[160] = "";
        assert_int_equal(tx->parse_sms(NULL, &req, &mv, err, sizeof err), PROV_OK);
        assert_string_equal(mv.v[0].from, cases[i].from);
        assert_null(mv.v[0].to);
        assert_int_equal(strlen(mv.v[0].provider_id), 64);
        if (i == 0) snprintf(first_id, sizeof first_id, "%s", mv.v[0].provider_id);
        if (i == 1) assert_string_equal(mv.v[0].provider_id, first_id); /* "+86" and "86" are one key */
        if (i == 2) assert_string_not_equal(mv.v[0].provider_id, first_id);
        gw_msgv_free(&mv);
    }
}

/* ---- main: the static tests, then one test per fixture file ---- */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aliyun_vector_describe_regions),
        cmocka_unit_test(test_aliyun_vector_sendsms),
        cmocka_unit_test(test_aliyun_encode),
        cmocka_unit_test(test_aliyun_build_send),
        cmocka_unit_test(test_aliyun_parse_send),
        cmocka_unit_test(test_tencent_vector),
        cmocka_unit_test(test_tencent_build_send),
        cmocka_unit_test(test_tencent_parse_send),
        cmocka_unit_test(test_template_only),
        cmocka_unit_test(test_acks),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_body_shapes),
        cmocka_unit_test(test_tencent_reply_numbers),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    static const char *const providers[] = {"aliyun", "tencent"};
    char **files[2] = {NULL, NULL};
    size_t nfiles[2] = {0, 0}, total = 0;
    for (int p = 0; p < 2; p++) {
        char dir[512], err[256];
        snprintf(dir, sizeof dir, "%s/%s", fixture_root(), providers[p]);
        if (fixture_list(dir, &files[p], &nfiles[p], err, sizeof err) < 0 || nfiles[p] == 0) {
            fprintf(stderr, "no fixtures in %s %s\n", dir, err);
            return 1;
        }
        total += nfiles[p];
    }
    struct CMUnitTest *ft = calloc(total, sizeof *ft);
    size_t k = 0;
    for (int p = 0; p < 2; p++)
        for (size_t i = 0; i < nfiles[p]; i++) {
            const char *name = strrchr(files[p][i], '/');
            ft[k].name = name ? name - strlen(providers[p]) : files[p][i]; /* "aliyun/01-....http" */
            ft[k].test_func = test_fixture;
            ft[k].initial_state = files[p][i];
            k++;
        }
    failed += _cmocka_run_group_tests("fixtures", ft, total, NULL, NULL);
    free(ft);
    for (int p = 0; p < 2; p++) fixture_list_free(files[p], nfiles[p]);
    return failed ? 1 : 0;
}
