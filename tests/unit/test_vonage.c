/* tests/unit/test_vonage.c - the Vonage provider: signatures, inbound parts, receipts, sending.
 *
 * Every fixture in tests/fixtures/vonage is its own test: the request goes
 * through verify and then parse_sms or parse_status, with its ack, as the
 * server runs them, and the outcome is checked against the file's
 * "# key:" expectations. Besides the keys of fixture.h (status, id, from,
 * to, text, ignored, reason, duplicate_of, e2e, note), these files use:
 *
 *   kind              "status": a delivery receipt (/hooks/vonage/status);
 *                     otherwise an inbound SMS (/hooks/vonage/sms)
 *   signature_secret  the channel's signature_secret; absent: the channel
 *                     has none and accepts unsigned requests
 *   signature_method  the channel's signature_method (absent: md5hash)
 *   now               unix seconds of receipt, for the replay window;
 *                     absent: FIXTURE_NOW. Only VG-1, kept byte for byte
 *                     with its published signatures, needs it: every
 *                     other signed file was signed 10 s before FIXTURE_NOW
 *   concat_ref, concat_total, concat_part   the part of a concatenated
 *                     SMS (absent: a whole message, concat_ref NULL)
 *   receipts, msg_id, status_code, raw_status, ref, error, phone,
 *   opted_out         the parsed receipt, as fixture.h describes them
 *                     ("-" is an absent field); a Vonage receipt request
 *                     carries exactly one receipt
 *
 * A file the end-to-end run may send (no "# e2e: skip") fits one channel
 * named vonage without signature_secret, on the real clock: so it is
 * unsigned and carries no "now".
 *
 * The rest are direct tables: the §4.2 signature vectors through verify,
 * the replay window's edges, parse cases, the exact send request and the
 * send-answer table, and known answers for the MD5/SHA-512 helpers.
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
#include "../../providers/crypto.h"
#include "../../providers/provider.h"
#include "../common/fixture.h"
#include "../common/hook.h"

#define VG_SECRET "fake_signature_secret_01"

/* ---- a channel ------------------------------------------------------------- */

/* A vonage channel: required keys are placeholders unless given; the
 * optional signature keys are set only when given. */
struct test_channel {
    struct gw_channel ch;
    struct gw_kv keys[8];
};

static void channel_init(struct test_channel *tc, const char *secret, const char *method)
{
    const struct provider_ops *ops = prov_find("vonage");
    assert_non_null(ops);
    memset(tc, 0, sizeof *tc);
    tc->ch.name = "vonage";
    tc->ch.provider = "vonage";
    tc->ch.ops = ops;
    tc->ch.tps = 10;
    tc->ch.keys = tc->keys;
    static const char *const req[][2] = {
        {"api_key", "fake_api_key"}, {"api_secret", "fake_api_secret"}, {"number", "12025550101"}};
    for (size_t i = 0; i < 3; i++) {
        tc->keys[tc->ch.nkeys].key = (char *)req[i][0];
        tc->keys[tc->ch.nkeys++].value = (char *)req[i][1];
    }
    if (secret) {
        tc->keys[tc->ch.nkeys].key = "signature_secret";
        tc->keys[tc->ch.nkeys++].value = (char *)secret;
    }
    if (method) {
        tc->keys[tc->ch.nkeys].key = "signature_method";
        tc->keys[tc->ch.nkeys++].value = (char *)method;
    }
}

/* ---- running one request the way the server does ---- */

/* Runs req through the hook's provider part as the server does
 * (routes_hook_input), and on 200 renders the acknowledgement
 * (routes_render). */
static void run(const struct gw_channel *ch, const struct prov_request *req, int is_status, struct hook_outcome *o)
{
    hook_run(is_status ? PIPELINE_JOB_STATUS : PIPELINE_JOB_SMS, ch, req, o);
}

/* ---- the fixture table ---- */

static int expect_is(const struct fixture *fx, const char *key, const char *value)
{
    const char *v = fixture_expect(fx, key);
    return v && !strcmp(v, value);
}

/* got must equal the expectation; "-" means NULL. */
static void check_str(const struct fixture *fx, const char *key, const char *got)
{
    const char *want = fixture_expect(fx, key);
    if (!want) return;
    if (!strcmp(want, "-") && !got) return;
    if (!got || strcmp(want, got))
        fail_msg("%s: %s is \"%s\", expected \"%s\"", fx->file, key, got ? got : "(null)", want);
}

static void check_int(const struct fixture *fx, const char *key, int got)
{
    const char *want = fixture_expect(fx, key);
    if (want && atoi(want) != got) fail_msg("%s: %s is %d, expected %s", fx->file, key, got, want);
}

static const char *status_word(enum prov_status_code c)
{
    switch (c) {
    case PROV_ST_QUEUED: return "queued";
    case PROV_ST_SENT: return "sent";
    case PROV_ST_DELIVERED: return "delivered";
    case PROV_ST_FAILED: return "failed";
    default: return "unknown";
    }
}

static void test_fixture(void **state)
{
    const char *file = *state;
    struct fixture fx;
    char err[256];
    if (fixture_load(file, &fx, err, sizeof err) < 0) fail_msg("%s", err);

    const char *status = fixture_expect(&fx, "status");
    if (!status) fail_msg("%s: no \"# status:\" expectation", file);
    int is_status = expect_is(&fx, "kind", "status");
    const char *path = is_status ? "/hooks/vonage/status" : "/hooks/vonage/sms";
    if (strcmp(fx.path, path)) fail_msg("%s: path %s, expected %s", file, fx.path, path);
    if (!expect_is(&fx, "e2e", "skip") && (fixture_expect(&fx, "signature_secret") || fixture_expect(&fx, "now")))
        fail_msg("%s: a signed or clock-bound file must say \"# e2e: skip\"", file);

    struct test_channel tc;
    channel_init(&tc, fixture_expect(&fx, "signature_secret"), fixture_expect(&fx, "signature_method"));
    struct prov_request req;
    fixture_request(&fx, &req);
    const char *now = fixture_expect(&fx, "now");
    if (now) req.now = atoll(now);
    struct hook_outcome o;
    run(&tc.ch, &req, is_status, &o);

    if (o.status != atoi(status)) fail_msg("%s: status %d (%s), expected %s", file, o.status, o.err, status);
    const char *reason = fixture_expect(&fx, "reason");
    if (reason && !strstr(o.err, reason))
        fail_msg("%s: reason \"%s\", expected it to hold \"%s\"", file, o.err, reason);
    assert_null(strstr(o.err, VG_SECRET)); /* no secret in a reason */

    if (o.status == 200) {
        assert_int_equal(o.resp.status, 200);
        assert_int_equal(o.resp.body.len, 0); /* Vonage wants a 200; the body is not read */
        if (expect_is(&fx, "ignored", "yes")) {
            assert_int_equal(o.parse_rc, PROV_IGNORED);
            assert_int_equal(o.msgs.n + o.sts.n, 0);
        } else if (is_status) {
            assert_int_equal(o.parse_rc, PROV_OK);
            const char *nrec = fixture_expect(&fx, "receipts");
            if (nrec && strcmp(nrec, "1")) fail_msg("%s: a Vonage receipt request holds one receipt", file);
            if (o.sts.n != 1) fail_msg("%s: %zu receipts, expected 1", file, o.sts.n);
            const struct prov_status *st = &o.sts.v[0];
            if (!fixture_expect(&fx, "status_code")) fail_msg("%s: a receipt must name its status_code", file);
            check_str(&fx, "msg_id", st->provider_msg_id);
            check_str(&fx, "status_code", status_word(st->status));
            check_str(&fx, "raw_status", st->raw_status);
            check_str(&fx, "ref", st->ref);
            check_str(&fx, "phone", st->phone);
            check_str(&fx, "error", st->error);
            check_str(&fx, "opted_out", st->opted_out ? "yes" : "no");
            assert_non_null(st->raw_status);
            assert_int_equal(st->opted_out, 0); /* Vonage receipts name no opt-out */
        } else {
            assert_int_equal(o.parse_rc, PROV_OK);
            if (o.msgs.n != 1) fail_msg("%s: %zu messages, expected 1", file, o.msgs.n);
            const struct gw_msg *m = &o.msgs.v[0];
            if (!fixture_expect(&fx, "id") || !fixture_expect(&fx, "from") || !fixture_expect(&fx, "text"))
                fail_msg("%s: a 200 fixture must name id, from and text", file);
            check_str(&fx, "id", m->provider_id);
            check_str(&fx, "from", m->from);
            check_str(&fx, "to", m->to);
            check_str(&fx, "text", m->text);
            if (fixture_expect(&fx, "concat_ref")) {
                check_str(&fx, "concat_ref", m->concat_ref);
                check_int(&fx, "concat_total", m->concat_total);
                check_int(&fx, "concat_part", m->concat_part);
            } else {
                assert_null(m->concat_ref);
                assert_int_equal(m->concat_total, 0);
                assert_int_equal(m->concat_part, 0);
            }
        }
    } else {
        assert_int_equal(o.msgs.n + o.sts.n, 0);
        assert_true(o.err[0] != '\0');
    }

    /* A retried delivery carries the id of the request it repeats. */
    const char *dup = fixture_expect(&fx, "duplicate_of");
    if (dup) {
        char other[512];
        const char *slash = strrchr(file, '/');
        struct fixture fo;
        snprintf(other, sizeof other, "%.*s/%s", (int)(slash - file), file, dup);
        if (fixture_load(other, &fo, err, sizeof err) < 0) fail_msg("%s", err);
        if (strcmp(other, file) >= 0) fail_msg("%s: must sort after %s", file, dup);
        check_str(&fo, "id", o.msgs.n ? o.msgs.v[0].provider_id : NULL);
        fixture_free(&fo);
    }
    hook_outcome_free(&o);
    fixture_free(&fx);
}

/* ---- signatures ----------------------------------------- */

/* verify on a GET whose query is q, for a channel (secret, method), at now. */
static int verify_get(const char *secret, const char *method, const char *q, long long now, char *err, size_t errlen)
{
    struct test_channel tc;
    channel_init(&tc, secret, method);
    struct prov_request req = {.method = "GET",
                               .url = "https://gw.example.com/hooks/vonage/sms",
                               .query = q,
                               .body = "",
                               .now = now};
    err[0] = '\0';
    return tc.ch.ops->verify(&tc.ch, &req, err, errlen);
}

static void test_signature_vectors(void **state)
{
    /* The published vectors (vonage-python-sdk),
     * plus HMAC-SHA1/SHA-512 over the same input from an independent
     * implementation (no published value exists for those two). */
    static const struct {
        const char *secret, *method, *q;
        long long ts;
        const char *sig;
    } v[] = {
        {"secret", "md5hash", "a=1&b=2&timestamp=1461605396", 1461605396, "6af838ef94998832dbfc29020b564830"},
        {"secret", NULL, "b=2&timestamp=1461605396&a=1", 1461605396, "6af838ef94998832dbfc29020b564830"},
        {"signature_secret", "sha256", "param1=value1&param2=value2&timestamp=1234567890", 1234567890,
         "280c4320703dbc98bfa22db676655ed2acfbfe8792b062ff7622e67f1183c287"},
        {"signature_secret", "md5", "param1=value1&param2=value2&timestamp=1234567890", 1234567890,
         "724c2bf6ca423c36e20631b11d1c5753"},
        {"signature_secret", "md5", "param1=value%261&param2=value%3D2&timestamp=1234567890", 1234567890,
         "2bbf0abafb2c55e5af6231513896a2ac"},
        {"signature_secret", "sha1", "param1=value1&param2=value2&timestamp=1234567890", 1234567890,
         "e4ebfd0ecd877fed7b414b5c87d0d7dfebb10a19"},
        {"signature_secret", "sha512", "param1=value1&param2=value2&timestamp=1234567890", 1234567890,
         "740ea4cd4c004c619d3b4cf060484278290d43d2b9d6693ada7b4c4ac48b18f3"
         "9675710a5a878cde6f4349bd19e8b8e033e3f0b4816b805a969e0f24ae726292"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char q[512], err[128];
        snprintf(q, sizeof q, "%s&sig=%s", v[i].q, v[i].sig);
        if (verify_get(v[i].secret, v[i].method, q, v[i].ts, err, sizeof err) != PROV_OK)
            fail_msg("vector %zu: %s", i, err);
        /* upper-case hex is the same signature */
        char up[160];
        size_t n = strlen(v[i].sig);
        for (size_t k = 0; k <= n; k++) {
            char c = v[i].sig[k];
            up[k] = (char)(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
        }
        snprintf(q, sizeof q, "sig=%s&%s", up, v[i].q);
        assert_int_equal(verify_get(v[i].secret, v[i].method, q, v[i].ts, err, sizeof err), PROV_OK);
        /* one digit off, one digit short, another secret, a changed value */
        snprintf(q, sizeof q, "%s&sig=%.*s%c", v[i].q, (int)n - 1, v[i].sig, v[i].sig[n - 1] == '0' ? '1' : '0');
        assert_int_equal(verify_get(v[i].secret, v[i].method, q, v[i].ts, err, sizeof err), PROV_EFORBIDDEN);
        assert_string_equal(err, "bad sig");
        snprintf(q, sizeof q, "%s&sig=%.*s", v[i].q, (int)n - 1, v[i].sig);
        assert_int_equal(verify_get(v[i].secret, v[i].method, q, v[i].ts, err, sizeof err), PROV_EFORBIDDEN);
        snprintf(q, sizeof q, "%s&sig=%s", v[i].q, v[i].sig);
        assert_int_equal(verify_get("secreT", v[i].method, q, v[i].ts, err, sizeof err), PROV_EFORBIDDEN);
        snprintf(q, sizeof q, "%s&x=1&sig=%s", v[i].q, v[i].sig);
        assert_int_equal(verify_get(v[i].secret, v[i].method, q, v[i].ts, err, sizeof err), PROV_EFORBIDDEN);
    }
    /* '&' and '=' both become '_': value_1 signs like value&1 */
    char err[128];
    const char *underscored = "param1=value_1&param2=value_2&timestamp=1234567890&sig=2bbf0abafb2c55e5af6231513896a2ac";
    assert_int_equal(verify_get("signature_secret", "md5", underscored, 1234567890, err, sizeof err), PROV_OK);
    /* the method names are the dashboard's, any case */
    assert_int_equal(verify_get("secret", "MD5HASH",
                                "a=1&b=2&timestamp=1461605396&sig=6af838ef94998832dbfc29020b564830", 1461605396, err,
                                sizeof err),
                     PROV_OK);
}

static void test_replay_window(void **state)
{
    static const struct {
        long long now;
        int rc;
    } cases[] = {
        {1461605396, PROV_OK},        {1461605396 + 300, PROV_OK},        {1461605396 - 300, PROV_OK},
        {1461605396 + 301, PROV_EFORBIDDEN}, {1461605396 - 301, PROV_EFORBIDDEN}, {FIXTURE_NOW, PROV_EFORBIDDEN},
    };
    const char *q = "a=1&b=2&timestamp=1461605396&sig=6af838ef94998832dbfc29020b564830";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[128];
        int rc = verify_get("secret", "md5hash", q, cases[i].now, err, sizeof err);
        if (rc != cases[i].rc) fail_msg("now %lld: rc %d (%s)", cases[i].now, rc, err);
        if (rc != PROV_OK) assert_non_null(strstr(err, "stale timestamp"));
    }
    /* a timestamp that is not a plain unix time, with a signature over it */
    static const char *const bad[] = {
        "a=1&b=2&sig=0c3ef6d3bbc60c8c0f3158ae13336710",        /* valid md5hash of a=1, b=2: no timestamp */
        "a=1&b=2&timestamp=&sig=0c3ef6d3bbc60c8c0f3158ae13336710", /* empty */
        "a=1&b=2&timestamp=+1461605396&sig=6af838ef94998832dbfc29020b564830",
        "a=1&b=2&timestamp=-1&sig=6af838ef94998832dbfc29020b564830",
        "a=1&b=2&timestamp=1461605396.0&sig=6af838ef94998832dbfc29020b564830",
        "a=1&b=2&timestamp=99999999999999999999999&sig=6af838ef94998832dbfc29020b564830",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[128];
        assert_int_equal(verify_get("secret", NULL, bad[i], 1461605396, err, sizeof err), PROV_EFORBIDDEN);
        assert_non_null(strstr(err, "timestamp"));
    }
}

static void test_verify_channel_settings(void **state)
{
    char err[128];
    const char *signed_q = "a=1&b=2&timestamp=1461605396&sig=6af838ef94998832dbfc29020b564830";
    /* no signature_secret (absent or empty): unsigned and signed both pass, nothing checked */
    assert_int_equal(verify_get(NULL, NULL, "msisdn=8613800000001&to=1&messageId=x", FIXTURE_NOW, err, sizeof err),
                     PROV_OK);
    assert_int_equal(verify_get("", NULL, signed_q, FIXTURE_NOW, err, sizeof err), PROV_OK);
    /* a secret: unsigned and empty sig refused */
    assert_int_equal(verify_get("secret", NULL, "msisdn=8613800000001&to=1&messageId=x", 1461605396, err, sizeof err),
                     PROV_EFORBIDDEN);
    assert_string_equal(err, "missing sig");
    assert_int_equal(verify_get("secret", NULL, "messageId=x&sig=", 1461605396, err, sizeof err), PROV_EFORBIDDEN);
    assert_string_equal(err, "missing sig");
    /* an unsigned receipt naming only our ref is not a ping */
    assert_int_equal(verify_get("secret", NULL, "ref=42&status=delivered", 1461605396, err, sizeof err),
                     PROV_EFORBIDDEN);
    assert_int_equal(verify_get("secret", NULL, "client-ref=42", 1461605396, err, sizeof err), PROV_EFORBIDDEN);
    /* a URL check carries nothing to act on: it passes and is ignored */
    assert_int_equal(verify_get("secret", NULL, "", 1461605396, err, sizeof err), PROV_OK);
    assert_int_equal(verify_get("secret", NULL, "nonce=1", 1461605396, err, sizeof err), PROV_OK);
    /* an unknown method never verifies */
    assert_int_equal(verify_get("secret", "sha384", signed_q, 1461605396, err, sizeof err), PROV_EFORBIDDEN);
    assert_string_equal(err, "unknown signature_method");
    /* the method must match */
    assert_int_equal(verify_get("secret", "sha256", signed_q, 1461605396, err, sizeof err), PROV_EFORBIDDEN);
    /* undecodable input is a 400, not a 403 */
    assert_int_equal(verify_get("secret", NULL, "a=%zz", 1461605396, err, sizeof err), PROV_EBADREQ);
    assert_int_equal(verify_get("secret", NULL, signed_q + 4, 1461605396, err, sizeof err), PROV_EFORBIDDEN);
    char q[256];
    snprintf(q, sizeof q, "a=1&%s", signed_q); /* a repeated name */
    assert_int_equal(verify_get("secret", NULL, q, 1461605396, err, sizeof err), PROV_EBADREQ);
    assert_non_null(strstr(err, "repeated parameter"));
    assert_null(strstr(err, "secret"));
}

static void test_verify_post(void **state)
{
    /* The same signed parameters in each transport; a POST's query (our
     * ?ref=) may or may not be signed. */
    static const struct {
        const char *query, *ct, *body;
        int rc;
    } cases[] = {
        {"", "application/x-www-form-urlencoded", "a=1&b=2&timestamp=1461605396&sig=6af838ef94998832dbfc29020b564830",
         PROV_OK},
        {"", NULL, "a=1&b=2&timestamp=1461605396&sig=6af838ef94998832dbfc29020b564830", PROV_OK},
        {"", "application/json",
         "{\"a\":\"1\",\"b\":\"2\",\"timestamp\":\"1461605396\",\"sig\":\"6af838ef94998832dbfc29020b564830\"}",
         PROV_OK},
        {"", NULL, " {\"a\":1,\"b\":2,\"timestamp\":1461605396,\"sig\":\"6af838ef94998832dbfc29020b564830\"}", PROV_OK},
        {"a=1", "application/x-www-form-urlencoded", "b=2&timestamp=1461605396&sig=6af838ef94998832dbfc29020b564830",
         PROV_OK},
        {"ref=42", "application/x-www-form-urlencoded",
         "a=1&b=2&timestamp=1461605396&sig=6af838ef94998832dbfc29020b564830", PROV_OK},
        {"other=42", "application/x-www-form-urlencoded",
         "a=1&b=2&timestamp=1461605396&sig=6af838ef94998832dbfc29020b564830", PROV_EFORBIDDEN},
        {"", "application/json",
         "{\"a\":\"1\",\"b\":\"2\",\"c\":null,\"timestamp\":\"1461605396\","
         "\"sig\":\"6af838ef94998832dbfc29020b564830\"}",
         PROV_OK},
        {"", "application/json", "{\"a\":1.0,\"b\":\"2\",\"timestamp\":\"1461605396\",\"sig\":\"x\"}", PROV_EBADREQ},
        {"", "application/json", "[{\"a\":\"1\"}]", PROV_EBADREQ},
        {"", "application/json", "{\"a\":\"1\",\"a\":\"1\"}", PROV_EBADREQ},
        {"", "application/json", "{\"a\":\"1\"", PROV_EBADREQ},
        {"", "text/plain", "a=1&b=2&timestamp=1461605396&sig=6af838ef94998832dbfc29020b564830", PROV_EBADREQ},
        {"a=1", "application/x-www-form-urlencoded",
         "a=1&b=2&timestamp=1461605396&sig=6af838ef94998832dbfc29020b564830", PROV_EBADREQ},
    };
    struct test_channel tc;
    channel_init(&tc, "secret", "md5hash");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct prov_request req = {.method = "POST",
                                   .url = "https://gw.example.com/hooks/vonage/status",
                                   .query = cases[i].query,
                                   .content_type = cases[i].ct,
                                   .body = cases[i].body,
                                   .body_len = strlen(cases[i].body),
                                   .now = 1461605396};
        char err[128] = "";
        int rc = tc.ch.ops->verify(&tc.ch, &req, err, sizeof err);
        if (rc != cases[i].rc) fail_msg("case %zu: rc %d (%s), expected %d", i, rc, err, cases[i].rc);
    }
}

/* ---- parsing, directly ------------------------------------------------------ */

static void test_parse_sms(void **state)
{
    static const struct {
        const char *body;
        int rc;
        const char *want; /* from|text|concat_ref/total/part, or a substring of the reason */
    } cases[] = {
        {"msisdn=8613800000001&to=12025550101&messageId=A1&text=ZF+1000015+1&type=text", PROV_OK,
         "+8613800000001|ZF 1000015 1|-"},
        {"msisdn=8613800000001&to=12025550101&messageId=A1&text=QD", PROV_OK, "+8613800000001|QD|-"},
        {"msisdn=8613800000001&to=12025550101&messageId=A1", PROV_OK, "+8613800000001||-"},
        {"msisdn=%2B8613800000001&to=12025550101&messageId=A1&text=QD", PROV_OK, "+8613800000001|QD|-"},
        {"msisdn=Parent&to=12025550101&messageId=A1&text=QD", PROV_OK, "Parent|QD|-"},
        {"msisdn=86138&to=1&messageId=A1&text=x&concat=false", PROV_OK, "+86138|x|-"},
        {"msisdn=86138&to=1&messageId=A1&text=x&concat=true&concat-ref=7&concat-total=16&concat-part=16", PROV_OK,
         "+86138|x|7/16/16"},
        {"msisdn=86138&to=1&messageId=A1&text=x&concat-ref=ff01&concat-total=2&concat-part=1", PROV_OK,
         "+86138|x|ff01/2/1"},
        {"msisdn=86138&to=1&messageId=A1&text=x&concat=true&concat-ref=7&concat-total=17&concat-part=1", PROV_EBADREQ,
         "bad concat-total"},
        {"msisdn=86138&to=1&messageId=A1&text=x&concat=true&concat-ref=7&concat-total=1&concat-part=1", PROV_EBADREQ,
         "bad concat-total"},
        {"msisdn=86138&to=1&messageId=A1&text=x&concat=true&concat-ref=7&concat-total=2&concat-part=0", PROV_EBADREQ,
         "bad concat-part"},
        {"msisdn=86138&to=1&messageId=A1&text=x&concat=true&concat-ref=7&concat-total=2&concat-part=+1", PROV_EBADREQ,
         "bad concat-part"},
        {"msisdn=86138&to=1&messageId=A1&text=x&concat=true&concat-ref=7&concat-total=2x&concat-part=1", PROV_EBADREQ,
         "bad concat-total"},
        {"msisdn=86138&to=1&messageId=A1&text=x&concat=true&concat-total=2&concat-part=1", PROV_EBADREQ,
         "bad concat-ref"},
        {"msisdn=86138&to=1&messageId=A1&text=x&concat=true", PROV_EBADREQ, "bad concat-ref"},
        {"msisdn=86138&to=1&messageId=A1&text=x&concat-part=1", PROV_EBADREQ, "bad concat-ref"},
        {"msisdn=86138&to=1&messageId=A1&text=x&concat=true&concat-ref=%0A&concat-total=2&concat-part=1",
         PROV_EBADREQ, "control character"},
        {"msisdn=86138&to=1&messageId=A1&type=binary&data=00&udh=00", PROV_IGNORED, "binary"},
        {"msisdn=86138&to=1&messageId=A1&type=vcard&text=x", PROV_IGNORED, "unsupported type"},
        {"msisdn=86138&to=1&text=x", PROV_EBADREQ, "missing field: messageId"},
        {"msisdn=86138&to=1&messageId=&text=x", PROV_EBADREQ, "missing field: messageId"},
        {"msisdn=86138&to=1&messageId=A%0A1&text=x", PROV_EBADREQ, "control character in field: messageId"},
        {"msisdn=86138&messageId=A1&text=x", PROV_IGNORED, "URL check"},
        {"to=1&messageId=A1&text=x", PROV_IGNORED, "URL check"},
        {"msisdn=&to=1&messageId=A1&text=x", PROV_IGNORED, "URL check"},
        {"", PROV_IGNORED, "URL check"},
        {"msisdn=86138&to=1&messageId=A1&status=delivered&err-code=0", PROV_IGNORED, "delivery receipt"},
        {"msisdn=86138&to=1&messageId=A1&text=%FF", PROV_EBADREQ, "UTF-8"},
        {"msisdn=8613800000001234567890123456789012&to=1&messageId=A1&text=x", PROV_EBADREQ,
         "field too long: msisdn"},
    };
    const struct provider_ops *vg = prov_find("vonage");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct prov_request req = {.method = "POST",
                                   .url = "https://gw.example.com/hooks/vonage/sms",
                                   .query = "",
                                   .content_type = "application/x-www-form-urlencoded",
                                   .body = cases[i].body,
                                   .body_len = strlen(cases[i].body),
                                   .now = FIXTURE_NOW};
        struct gw_msgv mv = {0};
        char err[128] = "";
        int rc = vg->parse_sms(NULL, &req, &mv, err, sizeof err);
        if (rc != cases[i].rc) fail_msg("case %zu: rc %d (%s), expected %d", i, rc, err, cases[i].rc);
        if (rc == PROV_OK) {
            assert_int_equal(mv.n, 1);
            const struct gw_msg *m = &mv.v[0];
            char got[256], parts[64] = "-";
            if (m->concat_ref)
                snprintf(parts, sizeof parts, "%s/%d/%d", m->concat_ref, m->concat_total, m->concat_part);
            snprintf(got, sizeof got, "%s|%s|%s", m->from, m->text, parts);
            if (strcmp(got, cases[i].want)) fail_msg("case %zu: got %s, expected %s", i, got, cases[i].want);
            assert_string_equal(m->provider_id, "A1");
        } else {
            assert_int_equal(mv.n, 0);
            if (!strstr(err, cases[i].want))
                fail_msg("case %zu: reason \"%s\", expected \"%s\"", i, err, cases[i].want);
        }
        gw_msgv_free(&mv);
    }
}

static void test_parse_status(void **state)
{
    static const struct {
        const char *query, *body;
        int rc;
        const char *want; /* id|ref|code|raw|error|phone, or a substring of the reason */
    } cases[] = {
        {"ref=5", "messageId=M1&status=delivered&err-code=0&client-ref=5&msisdn=8613800000013", PROV_OK,
         "M1|5|delivered|delivered|-|8613800000013"},
        /* client-ref (signed) wins over our ?ref= (maybe not signed) */
        {"ref=6", "messageId=M1&status=failed&err-code=4&client-ref=5", PROV_OK, "M1|5|failed|failed|4|-"},
        {"ref=6", "messageId=M1&status=expired", PROV_OK, "M1|6|failed|expired|-|-"},
        {"", "messageId=M1&status=accepted", PROV_OK, "M1|-|sent|accepted|-|-"},
        {"", "messageId=M1&status=buffered&err-code=", PROV_OK, "M1|-|sent|buffered|-|-"},
        {"", "messageId=M1&status=rejected&err-code=15", PROV_OK, "M1|-|failed|rejected|15|-"},
        {"", "messageId=M1&status=unknown", PROV_OK, "M1|-|unknown|unknown|-|-"},
        {"", "messageId=M1&status=Delivered", PROV_OK, "M1|-|unknown|Delivered|-|-"},
        {"", "messageId=M1", PROV_OK, "M1|-|unknown||-|-"},
        {"ref=7", "status=delivered", PROV_OK, "-|7|delivered|delivered|-|-"},
        {"", "msisdn=86138&status=delivered", PROV_EBADREQ, "missing field: messageId"},
        {"", "messageId=M1&msisdn=86138&text=QD", PROV_EBADREQ, "inbound message"},
        {"", "messageId=M1&status=deliv%0Aered", PROV_EBADREQ, "control character in field: status"},
        {"", "messageId=M1&status=delivered&client-ref=5&client-ref=6", PROV_EBADREQ, "repeated parameter"},
        {"", "", PROV_IGNORED, "URL check"},
        {"", "nonce=1&timestamp=1", PROV_IGNORED, "URL check"},
    };
    const struct provider_ops *vg = prov_find("vonage");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct prov_request req = {.method = "POST",
                                   .url = "https://gw.example.com/hooks/vonage/status",
                                   .query = cases[i].query,
                                   .content_type = "application/x-www-form-urlencoded",
                                   .body = cases[i].body,
                                   .body_len = strlen(cases[i].body),
                                   .now = FIXTURE_NOW};
        struct prov_statusv sv = {0};
        char err[128] = "";
        int rc = vg->parse_status(NULL, &req, &sv, err, sizeof err);
        if (rc != cases[i].rc) fail_msg("case %zu: rc %d (%s), expected %d", i, rc, err, cases[i].rc);
        if (rc == PROV_OK) {
            assert_int_equal(sv.n, 1);
            const struct prov_status *st = &sv.v[0];
            char got[256];
            snprintf(got, sizeof got, "%s|%s|%s|%s|%s|%s", st->provider_msg_id ? st->provider_msg_id : "-",
                     st->ref ? st->ref : "-", status_word(st->status), st->raw_status, st->error ? st->error : "-",
                     st->phone ? st->phone : "-");
            if (strcmp(got, cases[i].want)) fail_msg("case %zu: got %s, expected %s", i, got, cases[i].want);
        } else {
            assert_int_equal(sv.n, 0);
            if (!strstr(err, cases[i].want))
                fail_msg("case %zu: reason \"%s\", expected \"%s\"", i, err, cases[i].want);
        }
        prov_statusv_free(&sv);
    }
}

/* ---- sending -------------------------------------------- */

#define STATUS_URL "https://gw.example.com/hooks/vonage/status?ref=42"
#define STATUS_URL_ENC "https%3A%2F%2Fgw.example.com%2Fhooks%2Fvonage%2Fstatus%3Fref%3D42"

static void test_build_send_exact(void **state)
{
    static const struct {
        const char *url_override, *number, *text;
        const char *url, *body;
    } cases[] = {
        {NULL, "12025550101", "你好，今天 ZF 1000015 1", "https://rest.nexmo.com/sms/json",
         "api_key=fake_api_key&api_secret=fake_api_secret&from=12025550101&to=8613800000001"
         "&text=%E4%BD%A0%E5%A5%BD%EF%BC%8C%E4%BB%8A%E5%A4%A9+ZF+1000015+1&type=unicode&status-report-req=1"
         "&callback=" STATUS_URL_ENC "&client-ref=42"},
        {"http://127.0.0.1:8099/", "+12025550101", "Visit 1000015 due: reply ZF 1000015 1 (or 0) & thanks!",
         "http://127.0.0.1:8099/sms/json",
         "api_key=fake_api_key&api_secret=fake_api_secret&from=12025550101&to=8613800000001"
         "&text=Visit+1000015+due%3A+reply+ZF+1000015+1+%28or+0%29+%26+thanks%21&type=text&status-report-req=1"
         "&callback=" STATUS_URL_ENC "&client-ref=42"},
        {"https://rest.example.net", "ChildCare", "100% {ok} ~ [€5]", "https://rest.example.net/sms/json",
         "api_key=fake_api_key&api_secret=fake_api_secret&from=ChildCare&to=8613800000001"
         "&text=100%25+%7Bok%7D+~+%5B%E2%82%AC5%5D&type=text&status-report-req=1"
         "&callback=" STATUS_URL_ENC "&client-ref=42"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct test_channel tc;
        channel_init(&tc, VG_SECRET, NULL);
        tc.keys[2].value = (char *)cases[i].number;
        tc.ch.url = (char *)cases[i].url_override;
        struct prov_outbound m = {.outbox_id = 42,
                                  .to = "+8613800000001",
                                  .text = cases[i].text,
                                  .tmpl = "visit_due",
                                  .status_url = STATUS_URL,
                                  .now = FIXTURE_NOW,
                                  .nonce = "0123456789abcdef0123456789abcdef"};
        struct prov_http h;
        char err[128] = "";
        assert_int_equal(tc.ch.ops->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_OK);
        assert_string_equal(h.url, cases[i].url);
        assert_string_equal(h.method, "POST");
        assert_null(h.userpwd);
        assert_string_equal(gw_buf_cstr(&h.headers),
                            "Content-Type: application/x-www-form-urlencoded\nAccept: application/json\n");
        if (strcmp(gw_buf_cstr(&h.body), cases[i].body))
            fail_msg("case %zu:\n got  %s\n want %s", i, gw_buf_cstr(&h.body), cases[i].body);
        prov_http_free(&h);
    }
}

static void test_build_send_type(void **state)
{
    /* unicode exactly when a character is outside GSM-7 basic + extension */
    static const struct {
        const char *text, *type;
    } cases[] = {
        {"ZF 1000015 1", "text"},
        {"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà", "text"},
        {"^{}\\[~]|€\f", "text"},
        {"`", "unicode"},
        {"tab\there", "unicode"},
        {"ç", "unicode"},
        {"你好", "unicode"},
        {"ok 👍", "unicode"},
        {"QD 1000028 1 ，", "unicode"},
    };
    struct test_channel tc;
    channel_init(&tc, NULL, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct prov_outbound m = {.outbox_id = 1, .to = "+8613800000001", .text = cases[i].text};
        struct prov_http h;
        char err[128] = "", want[32];
        assert_int_equal(tc.ch.ops->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_OK);
        snprintf(want, sizeof want, "&type=%s&", cases[i].type);
        if (!strstr(gw_buf_cstr(&h.body), want)) fail_msg("case %zu: %s has no %s", i, gw_buf_cstr(&h.body), want);
        /* without a status URL there is no callback */
        assert_null(strstr(gw_buf_cstr(&h.body), "callback="));
        assert_non_null(strstr(gw_buf_cstr(&h.body), "&client-ref=1"));
        prov_http_free(&h);
    }
}

static void test_build_send_refused(void **state)
{
    static const struct {
        const char *to, *text;
        int drop_key; /* index of a required key to blank, or -1 */
        const char *reason;
    } cases[] = {
        {"+8613800000001", "x", 0, "api_key"},
        {"+8613800000001", "x", 1, "api_secret"},
        {"+8613800000001", "x", 2, "number"},
        {NULL, "x", -1, "E.164"},
        {"", "x", -1, "E.164"},
        {"+", "x", -1, "E.164"},
        {"+86 138 0000 0001", "x", -1, "E.164"},
        {"+1234567890123456", "x", -1, "E.164"},
        {"+8613800000001", NULL, -1, "no text"},
        {"+8613800000001", "", -1, "no text"},
        {"+8613800000001", "\xff", -1, "UTF-8"},
        {"+8613800000001", "\xe4\xbd", -1, "UTF-8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct test_channel tc;
        channel_init(&tc, NULL, NULL);
        if (cases[i].drop_key >= 0) tc.keys[cases[i].drop_key].value = "";
        struct prov_outbound m = {.outbox_id = 1, .to = cases[i].to, .text = cases[i].text, .status_url = STATUS_URL};
        struct prov_http h;
        char err[128] = "";
        assert_int_equal(tc.ch.ops->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_EBADREQ);
        if (!strstr(err, cases[i].reason)) fail_msg("case %zu: reason \"%s\"", i, err);
        assert_null(h.url);
        prov_http_free(&h); /* a zeroed request frees cleanly */
    }
    /* "8613800000001" without '+' is taken as the digits it is */
    struct test_channel tc;
    channel_init(&tc, NULL, NULL);
    struct prov_outbound m = {.outbox_id = 7, .to = "8613800000001", .text = "x"};
    struct prov_http h;
    char err[128];
    assert_int_equal(tc.ch.ops->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_OK);
    assert_non_null(strstr(gw_buf_cstr(&h.body), "&to=8613800000001&"));
    prov_http_free(&h);
}

static void test_parse_send(void **state)
{
    static const struct {
        long http;
        const char *body;
        int rc;
        const char *id;     /* message id on OK, else a substring of err */
        int opted_out;
    } cases[] = {
        {200, "{\"message-count\":\"1\",\"messages\":[{\"to\":\"8613800000001\",\"message-id\":\"0C00000002BBBB01\","
              "\"status\":\"0\",\"remaining-balance\":\"3.14\",\"message-price\":\"0.0333\",\"network\":\"46000\","
              "\"client-ref\":\"42\"}]}",
         PROV_SEND_OK, "0C00000002BBBB01", 0},
        {200, "{\"message-count\":\"2\",\"messages\":[{\"message-id\":\"0C00000002BBBB01\",\"status\":\"0\"},"
              "{\"message-id\":\"0C00000002BBBB02\",\"status\":\"0\"}]}",
         PROV_SEND_OK, "0C00000002BBBB01", 0},
        {200, "{\"messages\":[{\"message-id\":\"0C00000002BBBB03\",\"status\":0}]}", PROV_SEND_OK,
         "0C00000002BBBB03", 0},
        {200, "{\"message-count\":\"1\",\"messages\":[{\"status\":\"1\",\"error-text\":\"Throughput Rate Exceeded - "
              "please wait [ 10 ] and retry\"}]}",
         PROV_SEND_RETRY, "throughput", 0},
        {200, "{\"message-count\":\"1\",\"messages\":[{\"status\":\"1\",\"error-text\":\"Throttled\"}]}",
         PROV_SEND_RETRY, "vonage status 1", 0},
        {200, "{\"messages\":[{\"status\":\"5\",\"error-text\":\"Internal Error\"}]}", PROV_SEND_RETRY,
         "vonage status 5", 0},
        {200, "{\"messages\":[{\"status\":\"2\",\"error-text\":\"Missing to param\"}]}", PROV_SEND_FAIL,
         "vonage status 2", 0},
        {200, "{\"messages\":[{\"status\":\"4\",\"error-text\":\"Bad Credentials\"}]}", PROV_SEND_FAIL,
         "vonage status 4", 0},
        {200, "{\"messages\":[{\"status\":\"7\",\"error-text\":\"Number barred.\"}]}", PROV_SEND_FAIL,
         "vonage status 7", 1},
        {200, "{\"messages\":[{\"status\":\"29\",\"error-text\":\"Non-Whitelisted Destination 8613800000001\"}]}",
         PROV_SEND_FAIL, "vonage status 29", 0},
        {200, "{\"messages\":[{\"status\":\"0\"}]}", PROV_SEND_FAIL, "message-id", 0},
        {200, "{\"messages\":[{\"status\":\"0\",\"message-id\":\"0C0000%0A\\n\"}]}", PROV_SEND_FAIL, "message-id", 0},
        {200, "{\"messages\":[{\"status\":\"x\",\"message-id\":\"0C00000002BBBB01\"}]}", PROV_SEND_RETRY, "no status",
         0},
        /* an unreadable 2xx is retried, as for every provider (prov_classify) */
        {200, "{\"messages\":[]}", PROV_SEND_RETRY, "no messages", 0},
        {200, "<html>proxy</html>", PROV_SEND_RETRY, "no messages", 0},
        {200, "", PROV_SEND_RETRY, "no messages", 0},
        {200, "Throughput Rate Exceeded - please wait [ 5 ] and retry", PROV_SEND_RETRY, "throughput", 0},
        {0, "", PROV_SEND_RETRY, "no answer", 0},
        {429, "", PROV_SEND_RETRY, "HTTP 429", 0},
        {500, "{\"messages\":[{\"status\":\"0\",\"message-id\":\"X\"}]}", PROV_SEND_RETRY, "HTTP 500", 0},
        {503, "", PROV_SEND_RETRY, "HTTP 503", 0},
        {401, "{\"error-code\":\"401\",\"error-code-label\":\"authentication failed\"}", PROV_SEND_FAIL, "HTTP 401",
         0},
        {404, "", PROV_SEND_FAIL, "HTTP 404", 0},
    };
    const struct provider_ops *vg = prov_find("vonage");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char id[64] = "stale", err[128] = "";
        int opted = -1;
        int rc = vg->parse_send(NULL, cases[i].http, cases[i].body, strlen(cases[i].body), id, sizeof id, &opted, err,
                                sizeof err);
        if (rc != cases[i].rc) fail_msg("case %zu: rc %d (%s), expected %d", i, rc, err, cases[i].rc);
        if (opted != cases[i].opted_out) fail_msg("case %zu: opted_out %d", i, opted);
        if (rc == PROV_SEND_OK) {
            assert_string_equal(id, cases[i].id);
        } else {
            assert_string_equal(id, "");
            if (!strcasestr(err, cases[i].id)) fail_msg("case %zu: err \"%s\", expected \"%s\"", i, err, cases[i].id);
            assert_null(strstr(err, "8613800000001")); /* error-text may quote the recipient: never copied */
        }
    }
    /* an id that does not fit the caller's buffer is not cut short */
    char small[8], err[128];
    int opted;
    const char *ok = "{\"messages\":[{\"status\":\"0\",\"message-id\":\"0C00000002BBBB01\"}]}";
    assert_int_equal(vg->parse_send(NULL, 200, ok, strlen(ok), small, sizeof small, &opted, err, sizeof err),
                     PROV_SEND_FAIL);
    assert_string_equal(small, "");
    /* a NULL body with a 2xx is an unreadable answer: retried */
    assert_int_equal(vg->parse_send(NULL, 200, NULL, 0, small, sizeof small, NULL, err, sizeof err), PROV_SEND_RETRY);
}

/* ---- acks, registry, crypto helpers ----------------------------------------- */

static void test_acks_and_registry(void **state)
{
    const struct provider_ops *vg = prov_find("vonage");
    assert_non_null(vg);
    assert_string_equal(vg->name, "vonage");
    assert_int_equal(vg->template_only, 0);
    assert_null(vg->template_key);
    static const char *const req[] = {"api_key", "api_secret", "number", NULL};
    static const char *const opt[] = {"signature_secret", "signature_method", NULL};
    for (size_t i = 0; req[i]; i++) assert_string_equal(vg->required_keys[i], req[i]);
    assert_null(vg->required_keys[3]);
    for (size_t i = 0; opt[i]; i++) assert_string_equal(vg->optional_keys[i], opt[i]);
    assert_null(vg->optional_keys[2]);
    assert_non_null(vg->verify);
    assert_non_null(vg->parse_sms);
    assert_non_null(vg->parse_status);
    assert_non_null(vg->build_send);
    assert_non_null(vg->parse_send);

    struct gw_msgv mv = {0};
    struct prov_response r = {0};
    gw_buf_puts(&r.body, "left over");
    vg->render_sms_ack(NULL, &mv, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(r.content_type);
    assert_int_equal(r.body.len, 0);
    gw_buf_puts(&r.body, "left over");
    vg->render_status_ack(NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body.len, 0);
    gw_buf_free(&r.body);
}

static void test_crypto_md5_sha512(void **state)
{
    unsigned char d5[PC_MD5_LEN], d512[PC_SHA512_LEN];
    char hex[2 * PC_SHA512_LEN + 1];
    /* RFC 1321 appendix A.5 */
    assert_int_equal(pc_md5("", 0, d5), 0);
    gw_hex(d5, sizeof d5, hex);
    assert_string_equal(hex, "d41d8cd98f00b204e9800998ecf8427e");
    assert_int_equal(pc_md5(NULL, 0, d5), 0);
    assert_int_equal(pc_md5("abc", 3, d5), 0);
    gw_hex(d5, sizeof d5, hex);
    assert_string_equal(hex, "900150983cd24fb0d6963f7d28e17f72");
    /* RFC 2202 §2 / RFC 4231 §4.3, test case 2 */
    const char *key = "Jefe", *msg = "what do ya want for nothing?";
    assert_int_equal(pc_hmac_md5(key, 4, msg, strlen(msg), d5), 0);
    gw_hex(d5, sizeof d5, hex);
    assert_string_equal(hex, "750c783e6ab0b503eaa86e310a5db738");
    assert_int_equal(pc_hmac_sha512(key, 4, msg, strlen(msg), d512), 0);
    gw_hex(d512, sizeof d512, hex);
    assert_string_equal(hex, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                             "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
    /* a SHA-512 hex digest is the longest pc_hex_equal compares */
    assert_true(pc_hex_equal(hex, hex, strlen(hex)));
}

/* ---- main: the static tests, then one test per fixture file ---- */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_vectors),
        cmocka_unit_test(test_replay_window),
        cmocka_unit_test(test_verify_channel_settings),
        cmocka_unit_test(test_verify_post),
        cmocka_unit_test(test_parse_sms),
        cmocka_unit_test(test_parse_status),
        cmocka_unit_test(test_build_send_exact),
        cmocka_unit_test(test_build_send_type),
        cmocka_unit_test(test_build_send_refused),
        cmocka_unit_test(test_parse_send),
        cmocka_unit_test(test_acks_and_registry),
        cmocka_unit_test(test_crypto_md5_sha512),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    char dir[512], err[256];
    char **files = NULL;
    size_t n = 0;
    snprintf(dir, sizeof dir, "%s/vonage", fixture_root());
    if (fixture_list(dir, &files, &n, err, sizeof err) < 0 || n == 0) {
        fprintf(stderr, "no fixtures in %s %s\n", dir, err);
        return 1;
    }
    struct CMUnitTest *ft = calloc(n, sizeof *ft);
    for (size_t i = 0; i < n; i++) {
        const char *name = strrchr(files[i], '/');
        ft[i].name = name ? name - strlen("vonage") : files[i]; /* "vonage/01-....http" */
        ft[i].test_func = test_fixture;
        ft[i].initial_state = files[i];
    }
    failed += _cmocka_run_group_tests("vonage fixtures", ft, n, NULL, NULL);
    free(ft);
    fixture_list_free(files, n);
    return failed ? 1 : 0;
}
