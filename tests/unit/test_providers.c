/* tests/unit/test_providers.c - the generic, Twilio and Africa's Talking providers, their form parser and crypto.
 *
 * Every fixture in tests/fixtures/{generic,twilio,africastalking} is its
 * own test: the request goes through verify, then parse_sms and
 * render_sms_ack (or, for "# kind: status", parse_status and
 * render_status_ack) as the server would run them, and the outcome is
 * checked against the file's "# key:" expectations. The rest are direct
 * tables: Twilio's published signature vectors, form-decoding edge cases,
 * known-answer crypto vectors, the exact send requests each provider
 * builds for a fixed message, and how each reads its send API's answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../gateway/routes.h"
#include "../../providers/crypto.h"
#include "../../providers/form.h"
#include "../../providers/provider.h"
#include "../../providers/twilio.h"
#include "../common/fixture.h"
#include "../common/hook.h"

#define GENERIC_SECRET "demo-generic-secret"
#define TWILIO_TOKEN   "fake_auth_token_0123456789abcdef"
#define AT_TOKEN       "demo-at-token"
#define TWIML_EMPTY    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"

static const char *const fixture_providers[] = {"generic", "twilio", "africastalking"};
#define NPROVIDERS (sizeof fixture_providers / sizeof fixture_providers[0])

/* ---- running one request the way the server does ---- */

static void run(const struct provider_ops *ops, const struct gw_channel *ch, const struct prov_request *req,
                struct hook_outcome *o)
{
    assert_ptr_equal(ch->ops, ops);
    hook_run(PIPELINE_JOB_SMS, ch, req, o);
}

/* The status hook: verify first (the server does), then parse_status. */
static void run_status(const struct provider_ops *ops, const struct gw_channel *ch, const struct prov_request *req,
                       struct hook_outcome *o)
{
    assert_ptr_equal(ch->ops, ops);
    assert_non_null(ops->parse_status);
    assert_non_null(ops->render_status_ack);
    hook_run(PIPELINE_JOB_STATUS, ch, req, o);
}

/* A channel named after the provider whose keys come from the fixture's
 * expectations ("# secret: ...") or are placeholders. */
struct test_channel {
    struct gw_channel ch;
    struct gw_kv keys[8];
};

static void channel_for(const struct provider_ops *ops, const struct fixture *fx, struct test_channel *tc)
{
    memset(tc, 0, sizeof *tc);
    tc->ch.name = (char *)ops->name;
    tc->ch.provider = (char *)ops->name;
    tc->ch.ops = ops;
    tc->ch.tps = 10;
    tc->ch.keys = tc->keys;
    const char *const *lists[2] = {ops->required_keys, ops->optional_keys};
    for (int l = 0; l < 2; l++)
        for (const char *const *k = lists[l]; k && *k; k++) {
            assert_true(tc->ch.nkeys < 8);
            const char *v = fx ? fixture_expect(fx, *k) : NULL;
            tc->keys[tc->ch.nkeys].key = (char *)*k;
            tc->keys[tc->ch.nkeys].value = (char *)(v ? v : "placeholder-value");
            tc->ch.nkeys++;
        }
}

/* ---- the fixture table ---- */

static int expect_is(const struct fixture *fx, const char *key, const char *value)
{
    const char *v = fixture_expect(fx, key);
    return v && !strcmp(v, value);
}

static void check_str(const struct fixture *fx, const char *key, const char *got)
{
    const char *want = fixture_expect(fx, key);
    if (!want) return;
    if (!got || strcmp(want, got))
        fail_msg("%s: %s is \"%s\", expected \"%s\"", fx->file, key, got ? got : "(null)", want);
}

static const char *code_name(enum prov_status_code c)
{
    switch (c) {
    case PROV_ST_QUEUED: return "queued";
    case PROV_ST_SENT: return "sent";
    case PROV_ST_DELIVERED: return "delivered";
    case PROV_ST_FAILED: return "failed";
    case PROV_ST_UNKNOWN: return "unknown";
    }
    return "?";
}

/* Checks one status-fixture key: its value lists the receipts' values
 * separated by '|', "-" for NULL; get(i) gives receipt i's value. */
static void check_receipts(const struct fixture *fx, const char *key, const struct prov_statusv *sv,
                           const char *(*get)(const struct prov_status *st))
{
    const char *want = fixture_expect(fx, key);
    if (!want) return;
    struct gw_buf got = {0};
    for (size_t i = 0; i < sv->n; i++) {
        const char *v = get(&sv->v[i]);
        gw_buf_printf(&got, "%s%s", i ? "|" : "", v ? v : "-");
    }
    if (strcmp(gw_buf_cstr(&got), want))
        fail_msg("%s: %s is \"%s\", expected \"%s\"", fx->file, key, gw_buf_cstr(&got), want);
    gw_buf_free(&got);
}

static const char *st_msg_id(const struct prov_status *st) { return st->provider_msg_id; }
static const char *st_code(const struct prov_status *st) { return code_name(st->status); }
static const char *st_raw(const struct prov_status *st) { return st->raw_status; }
static const char *st_ref(const struct prov_status *st) { return st->ref; }
static const char *st_error(const struct prov_status *st) { return st->error; }
static const char *st_phone(const struct prov_status *st) { return st->phone; }
static const char *st_opted(const struct prov_status *st) { return st->opted_out ? "yes" : "no"; }

/* The answer each provider's hooks give. */
static void check_ack(const char *prov, int is_status, const struct hook_outcome *o)
{
    assert_int_equal(o->resp.status, 200);
    if (!strcmp(prov, "twilio")) {
        assert_string_equal(o->resp.content_type, "text/xml");
        assert_string_equal(gw_buf_cstr(&o->resp.body), TWIML_EMPTY);
    } else if (!strcmp(prov, "africastalking")) {
        assert_string_equal(o->resp.content_type, "text/plain");
        assert_string_equal(gw_buf_cstr(&o->resp.body), "OK");
    } else if (is_status) {
        assert_string_equal(o->resp.content_type, "application/json");
        assert_string_equal(gw_buf_cstr(&o->resp.body), "{\"ok\":true}");
    } else {
        char want[64];
        snprintf(want, sizeof want, "{\"ok\":true,\"stored\":%zu}", o->msgs.n);
        assert_string_equal(o->resp.content_type, "application/json");
        assert_string_equal(gw_buf_cstr(&o->resp.body), want);
    }
}

/* A USSD fixture (kind: ussd): verify, then parse_ussd, checked against
 * session_id, phone, service_code ("-" for none) and text; a 200 renders
 * both answers. */
static void check_ussd_fixture(const struct provider_ops *ops, const struct gw_channel *ch,
                               const struct prov_request *req, const struct fixture *fx)
{
    char err[256] = "";
    struct prov_ussd u;
    memset(&u, 0, sizeof u);
    assert_non_null(ops->parse_ussd);
    assert_non_null(ops->render_ussd);
    assert_ptr_equal(ch->ops, ops);
    struct routes_call call = {0};
    int status = routes_hook_input(ch, PIPELINE_JOB_USSD, req, &call, err, sizeof err);
    if (call.job.ussd) { /* the parsed step, moved out */
        u = call.job.ussd->in;
        memset(&call.job.ussd->in, 0, sizeof call.job.ussd->in);
    }
    routes_call_clear(&call);
    const char *want = fixture_expect(fx, "status");
    if (status != atoi(want)) fail_msg("%s: status %d (%s), expected %s", fx->file, status, err, want);
    const char *reason = fixture_expect(fx, "reason");
    if (reason && !strstr(err, reason)) fail_msg("%s: reason \"%s\", expected \"%s\"", fx->file, err, reason);
    if (status != 200) {
        assert_null(u.session_id);
        assert_true(err[0] != '\0');
        assert_null(strstr(err, AT_TOKEN));
        return;
    }
    if (!fixture_expect(fx, "session_id") || !fixture_expect(fx, "phone") || !fixture_expect(fx, "text"))
        fail_msg("%s: a 200 USSD fixture must name session_id, phone and text", fx->file);
    check_str(fx, "session_id", u.session_id);
    check_str(fx, "phone", u.phone);
    check_str(fx, "service_code", u.service_code ? u.service_code : "-");
    check_str(fx, "text", u.text);
    struct prov_response resp = {0};
    ops->render_ussd(ch, 0, "儿童关爱服务\n1 报告", &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "text/plain; charset=utf-8");
    assert_string_equal(gw_buf_cstr(&resp.body), "CON 儿童关爱服务\n1 报告");
    ops->render_ussd(ch, 1, "已收到", &resp);
    assert_string_equal(gw_buf_cstr(&resp.body), "END 已收到");
    gw_buf_free(&resp.body);
    prov_ussd_clear(&u);
}

static void test_fixture(void **state)
{
    const char *file = *state;
    struct fixture fx;
    char err[256];
    if (fixture_load(file, &fx, err, sizeof err) < 0) fail_msg("%s", err);

    /* tests/fixtures/<provider>/<name>.http */
    char prov[32] = "";
    const char *slash = strrchr(file, '/');
    const char *dir = slash;
    while (dir && dir > file && dir[-1] != '/') dir--;
    if (slash && dir && (size_t)(slash - dir) < sizeof prov) memcpy(prov, dir, (size_t)(slash - dir));
    prov[slash && dir ? (size_t)(slash - dir) : 0] = '\0';
    const struct provider_ops *ops = prov_find(prov);
    if (!ops) fail_msg("%s: no provider named \"%s\"", file, prov);

    const char *status = fixture_expect(&fx, "status");
    if (!status) fail_msg("%s: no \"# status:\" expectation", file);
    const char *kind = fixture_expect(&fx, "kind");
    if (kind && !strcmp(kind, "voice")) { /* voice fixtures are tests/unit/test_voice.c's */
        fixture_free(&fx);
        return;
    }
    if (kind && strcmp(kind, "sms") && strcmp(kind, "status") && strcmp(kind, "ussd")) fail_msg("%s: kind %s", file, kind);
    int is_status = kind && !strcmp(kind, "status");
    int is_ussd = kind && !strcmp(kind, "ussd");

    /* Files the end-to-end run sends must fit its one config. */
    if (!expect_is(&fx, "e2e", "skip")) {
        char want[64];
        snprintf(want, sizeof want, "/hooks/%s/%s", prov, is_status ? "status" : is_ussd ? "ussd" : "sms");
        if (strcmp(fx.path, want)) fail_msg("%s: path %s, expected %s for the e2e run", file, fx.path, want);
        const char *pub = fixture_expect(&fx, "public_url");
        if (pub && strcmp(pub, FIXTURE_DEFAULT_PUBLIC_URL) && strcmp(pub, FIXTURE_DEFAULT_PUBLIC_URL ":443"))
            fail_msg("%s: public_url %s differs from the e2e one", file, pub);
        const char *s = fixture_expect(&fx, "secret");
        if (s && strcmp(s, GENERIC_SECRET)) fail_msg("%s: secret differs from the e2e one", file);
        s = fixture_expect(&fx, "auth_token");
        if (s && strcmp(s, TWILIO_TOKEN)) fail_msg("%s: auth_token differs from the e2e one", file);
        s = fixture_expect(&fx, "token");
        if (s && strcmp(s, AT_TOKEN)) fail_msg("%s: token differs from the e2e one", file);
        /* Status fixtures name the receipt, never "id": the e2e run looks
         * an "id" up in the inbox. */
        if (is_status && fixture_expect(&fx, "id")) fail_msg("%s: a status fixture uses msg_id, not id", file);
    }

    struct test_channel tc;
    channel_for(ops, &fx, &tc);
    struct prov_request req;
    fixture_request(&fx, &req);
    if (is_ussd) {
        check_ussd_fixture(ops, &tc.ch, &req, &fx);
        fixture_free(&fx);
        return;
    }
    struct hook_outcome o;
    if (is_status)
        run_status(ops, &tc.ch, &req, &o);
    else
        run(ops, &tc.ch, &req, &o);

    if (o.status != atoi(status)) fail_msg("%s: status %d (%s), expected %s", file, o.status, o.err, status);
    if (expect_is(&fx, "verify", "ok") && o.verify_rc != PROV_OK) fail_msg("%s: verify failed: %s", file, o.err);
    const char *reason = fixture_expect(&fx, "reason");
    if (reason && !strstr(o.err, reason))
        fail_msg("%s: reason \"%s\", expected it to hold \"%s\"", file, o.err, reason);

    if (o.status == 200 && is_status) {
        if (expect_is(&fx, "ignored", "yes")) {
            assert_int_equal(o.parse_rc, PROV_IGNORED);
            assert_int_equal(o.sts.n, 0);
        } else {
            assert_int_equal(o.parse_rc, PROV_OK);
            const char *nr = fixture_expect(&fx, "receipts");
            size_t want = nr ? (size_t)atoi(nr) : 1;
            if (o.sts.n != want) fail_msg("%s: %zu receipts, expected %zu", file, o.sts.n, want);
            if (!fixture_expect(&fx, "msg_id") || !fixture_expect(&fx, "status_code"))
                fail_msg("%s: a 200 status fixture must name msg_id and status_code", file);
            for (size_t i = 0; i < o.sts.n; i++) {
                assert_non_null(o.sts.v[i].raw_status);
                assert_true(o.sts.v[i].provider_msg_id || o.sts.v[i].ref);
            }
            check_receipts(&fx, "msg_id", &o.sts, st_msg_id);
            check_receipts(&fx, "status_code", &o.sts, st_code);
            check_receipts(&fx, "raw_status", &o.sts, st_raw);
            check_receipts(&fx, "ref", &o.sts, st_ref);
            check_receipts(&fx, "error", &o.sts, st_error);
            check_receipts(&fx, "phone", &o.sts, st_phone);
            check_receipts(&fx, "opted_out", &o.sts, st_opted);
        }
        check_ack(prov, 1, &o);
    } else if (o.status == 200) {
        if (expect_is(&fx, "ignored", "yes")) {
            assert_int_equal(o.parse_rc, PROV_IGNORED);
            assert_int_equal(o.msgs.n, 0);
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
            assert_non_null(m->text);
        }
        check_ack(prov, 0, &o);
    } else {
        assert_int_equal(o.msgs.n, 0);
        assert_int_equal(o.sts.n, 0);
        assert_true(o.err[0] != '\0');
    }
    /* No reason ever quotes a channel secret. */
    for (size_t k = 0; k < tc.ch.nkeys; k++)
        if (strcmp(tc.keys[k].value, "placeholder-value") && strstr(o.err, tc.keys[k].value))
            fail_msg("%s: the reason quotes the channel key %s", file, tc.keys[k].key);

    /* A retried delivery carries the id of the request it repeats. */
    const char *dup = fixture_expect(&fx, "duplicate_of");
    if (dup) {
        char other[512];
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

/* ---- Twilio's published vectors ---- */

#define VEC_URL      "https://mycompany.com/myapp.php?foo=1&bar=2"
#define VEC_URL_443  "https://mycompany.com:443/myapp.php?foo=1&bar=2"
#define VEC_PARAMS   "CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309&To=%2B18005551212&Caller=%2B14158675309"
#define VEC_JSON     "{\"property\": \"value\", \"boolean\": true}"
#define VEC_JSON_SHA "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"

static void parse_ok(const char *s, struct form *f)
{
    char err[128];
    if (form_parse(s, strlen(s), f, err, sizeof err) < 0) fail_msg("form_parse(%s): %s", s, err);
}

static void test_twilio_vector_basic(void **state)
{
    struct form f;
    char sig[PROV_TWILIO_SIG_LEN + 1];
    parse_ok(VEC_PARAMS, &f);
    assert_int_equal(prov_twilio_signature("12345", VEC_URL, &f, sig), 0);
    assert_string_equal(sig, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    assert_true(prov_twilio_check("12345", VEC_URL, &f, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", 28));
    assert_false(prov_twilio_check("12346", VEC_URL, &f, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", 28));
    assert_false(prov_twilio_check("12345", VEC_URL, &f, "RSOYDt4T1cUTdK1PDd93/VVr8B8", 27));
    assert_false(prov_twilio_check("12345", VEC_URL "&baz=3", &f, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", 28));
    form_free(&f);
}

static void test_twilio_vector_port(void **state)
{
    struct form f;
    char sig[PROV_TWILIO_SIG_LEN + 1];
    parse_ok(VEC_PARAMS, &f);
    assert_int_equal(prov_twilio_signature("12345", VEC_URL_443, &f, sig), 0);
    assert_string_equal(sig, "kvajT1Ptam85bY51eRf/AJRuM3w=");
    /* signed with :443, we know the URL without a port, and the reverse */
    assert_true(prov_twilio_check("12345", VEC_URL, &f, "kvajT1Ptam85bY51eRf/AJRuM3w=", 28));
    assert_true(prov_twilio_check("12345", VEC_URL_443, &f, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", 28));
    assert_true(prov_twilio_check("12345", VEC_URL_443, &f, "kvajT1Ptam85bY51eRf/AJRuM3w=", 28));
    /* :80 is not https's default port: known with :80, signed with :443 */
    assert_false(prov_twilio_check("12345", "https://mycompany.com:80/myapp.php?foo=1&bar=2", &f,
                                   "kvajT1Ptam85bY51eRf/AJRuM3w=", 28));
    assert_true(prov_twilio_check("12345", "https://mycompany.com:8443/myapp.php?foo=1&bar=2", &f,
                                  "RSOYDt4T1cUTdK1PDd93/VVr8B8=", 28));
    assert_false(prov_twilio_check("12345", "https://mycompany.com:8443/myapp.php?foo=1&bar=2", &f,
                                   "kvajT1Ptam85bY51eRf/AJRuM3w=", 28));
    form_free(&f);
}

static void test_twilio_port_variants(void **state)
{
    /* http gets :80; a non-default port is removed; IPv6 literals and
     * user-info keep their colons. */
    static const struct {
        const char *signed_url, *known_url;
        int ok;
    } cases[] = {
        {"http://gw.example.com:80/hooks/twilio/sms", "http://gw.example.com/hooks/twilio/sms", 1},
        {"http://gw.example.com/hooks/twilio/sms", "http://gw.example.com:80/hooks/twilio/sms", 1},
        {"http://gw.example.com:443/hooks/twilio/sms", "http://gw.example.com/hooks/twilio/sms", 0},
        {"https://gw.example.com/hooks/twilio/sms", "https://gw.example.com:8443/hooks/twilio/sms", 1},
        {"https://[2001:db8::1]/hooks/twilio/sms", "https://[2001:db8::1]:8443/hooks/twilio/sms", 1},
        {"https://[2001:db8::1]:443/hooks/twilio/sms", "https://[2001:db8::1]/hooks/twilio/sms", 1},
        {"https://user:pw@gw.example.com:443/sms?a=1", "https://user:pw@gw.example.com/sms?a=1", 1},
        {"https://gw.example.com:443?a=1", "https://gw.example.com?a=1", 1},
        {"https://gw.example.com/hooks/twilio/sms", "https://gw.example.com/hooks/twilio/sms/", 0},
        {"https://gw.example.com/hooks/twilio/sms", "HTTPS://gw.example.com/hooks/twilio/sms", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char sig[PROV_TWILIO_SIG_LEN + 1];
        assert_int_equal(prov_twilio_signature(TWILIO_TOKEN, cases[i].signed_url, NULL, sig), 0);
        int ok = prov_twilio_check(TWILIO_TOKEN, cases[i].known_url, NULL, sig, strlen(sig));
        if (ok != cases[i].ok) fail_msg("signed %s, known %s: %d", cases[i].signed_url, cases[i].known_url, ok);
    }
}

static void test_twilio_vector_multivalued(void **state)
{
    struct form f;
    char sig[PROV_TWILIO_SIG_LEN + 1];
    parse_ok("Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234", &f);
    assert_int_equal(prov_twilio_signature("12345", VEC_URL, &f, sig), 0);
    assert_string_equal(sig, "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    form_free(&f);
    /* arrival order does not matter */
    parse_ok("Digits=1234&SidAccount=AC123&Digits=1234&Sid=CA123&Digits=5678", &f);
    assert_int_equal(prov_twilio_signature("12345", VEC_URL, &f, sig), 0);
    assert_string_equal(sig, "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    form_free(&f);
}

static const char *hdr_twilio_sig;
static const char *sig_header(const struct prov_request *req, const char *name)
{
    return !strcasecmp(name, "X-Twilio-Signature") ? hdr_twilio_sig : NULL;
}

static void test_twilio_vector_json_body(void **state)
{
    unsigned char d[PC_SHA256_LEN];
    char hex[2 * PC_SHA256_LEN + 1], sig[PROV_TWILIO_SIG_LEN + 1];
    assert_int_equal(pc_sha256(VEC_JSON, strlen(VEC_JSON), d), 0);
    gw_hex(d, sizeof d, hex);
    assert_string_equal(hex, VEC_JSON_SHA);
    assert_int_equal(prov_twilio_signature("12345", VEC_URL "&bodySHA256=" VEC_JSON_SHA, NULL, sig), 0);
    assert_string_equal(sig, "a9nBmqA0ju/hNViExpshrM61xv4=");

    /* through the hook: the body must hash to bodySHA256 */
    const struct provider_ops *tw = prov_find("twilio");
    struct test_channel tc;
    channel_for(tw, NULL, &tc);
    tc.keys[1].value = "12345"; /* auth_token */
    assert_string_equal(tc.keys[1].key, "auth_token");
    hdr_twilio_sig = "a9nBmqA0ju/hNViExpshrM61xv4=";
    struct prov_request req = {
        .method = "POST",
        .url = VEC_URL "&bodySHA256=" VEC_JSON_SHA,
        .query = "foo=1&bar=2&bodySHA256=" VEC_JSON_SHA,
        .content_type = "application/json",
        .body = VEC_JSON,
        .body_len = strlen(VEC_JSON),
        .header = sig_header,
    };
    char err[128] = "";
    assert_int_equal(tw->verify(&tc.ch, &req, err, sizeof err), PROV_OK);
    req.body = "{\"property\": \"value\", \"boolean\": false}";
    req.body_len = strlen(req.body);
    assert_int_equal(tw->verify(&tc.ch, &req, err, sizeof err), PROV_EFORBIDDEN);
    assert_non_null(strstr(err, "bodySHA256"));
    /* without bodySHA256 a JSON body is not covered by the URL signature */
    req.body = VEC_JSON;
    req.body_len = strlen(VEC_JSON);
    req.url = VEC_URL;
    req.query = "foo=1&bar=2";
    hdr_twilio_sig = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
    assert_int_equal(tw->verify(&tc.ch, &req, err, sizeof err), PROV_EFORBIDDEN);
    /* a missing header */
    hdr_twilio_sig = NULL;
    req.content_type = "application/x-www-form-urlencoded";
    req.body = VEC_PARAMS;
    req.body_len = strlen(VEC_PARAMS);
    assert_int_equal(tw->verify(&tc.ch, &req, err, sizeof err), PROV_EFORBIDDEN);
    hdr_twilio_sig = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
    assert_int_equal(tw->verify(&tc.ch, &req, err, sizeof err), PROV_OK);
}

/* ---- form parsing ---- */

static void test_form_edge_cases(void **state)
{
    static const struct {
        const char *in;
        size_t len; /* 0: strlen(in) */
        int ok;
        const char *pairs; /* "name=value|..." of the decoded pairs, "" for none */
    } cases[] = {
        {"", 0, 1, ""},
        {"a=&b", 0, 1, "a=|b="},
        {"a=1&&b=2&", 0, 1, "a=1|b=2"},
        {"&", 0, 1, ""},
        {"=x", 0, 1, "=x"},
        {"a=b=c", 0, 1, "a=b=c"},
        {"Body=ZF+1000015+1", 0, 1, "Body=ZF 1000015 1"},
        {"From=%2B8613800000001", 0, 1, "From=+8613800000001"},
        {"a%20b=c%2bd%2Be", 0, 1, "a b=c+d+e"},
        {"t=%E4%BD%A0%E5%A5%BD", 0, 1, "t=你好"},
        {"t=你好", 0, 1, "t=你好"},
        {"a=1&a=2&a=1", 0, 1, "a=1|a=2|a=1"},
        {"a=%zz", 0, 0, NULL},
        {"a=%2", 0, 0, NULL},
        {"a=%", 0, 0, NULL},
        {"%g1=1", 0, 0, NULL},
        {"a=QD%00+1000028", 0, 0, NULL},
        {"a=Q\0D", 5, 0, NULL},
        {"a=%FF", 0, 0, NULL},
        {"a=%C0%AF", 0, 0, NULL},    /* overlong '/' */
        {"a=%ED%A0%80", 0, 0, NULL}, /* a UTF-16 surrogate */
        {"a=%F0%9F%98%80", 0, 1, "a=\xF0\x9F\x98\x80"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct form f;
        char err[128] = "";
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
        int rc = form_parse(cases[i].in, len, &f, err, sizeof err);
        if ((rc == 0) != cases[i].ok) fail_msg("case %zu (%s): rc %d %s", i, cases[i].in, rc, err);
        if (rc < 0) {
            assert_true(err[0] != '\0');
            assert_int_equal(f.n, 0);
            assert_null(f.v);
            continue;
        }
        struct gw_buf b = {0};
        for (size_t j = 0; j < f.n; j++) {
            assert_int_equal(strlen(f.v[j].name), f.v[j].name_len);
            assert_int_equal(strlen(f.v[j].value), f.v[j].value_len);
            gw_buf_printf(&b, "%s%s=%s", j ? "|" : "", f.v[j].name, f.v[j].value);
        }
        if (strcmp(gw_buf_cstr(&b), cases[i].pairs))
            fail_msg("case %zu (%s): got \"%s\", expected \"%s\"", i, cases[i].in, gw_buf_cstr(&b), cases[i].pairs);
        gw_buf_free(&b);
        form_free(&f);
    }
    /* NULL with length 0 is an empty form */
    struct form f;
    assert_int_equal(form_parse(NULL, 0, &f, NULL, 0), 0);
    assert_int_equal(f.n, 0);
    form_free(&f);
    form_free(NULL);
}

static void test_form_lookup_and_sort(void **state)
{
    struct form f;
    parse_ok("b=2&a=3&Body=&a=1&B=0&a=1&ab=", &f);
    assert_string_equal(form_get(&f, "a"), "3"); /* first value */
    assert_string_equal(form_get(&f, "Body"), "");
    assert_null(form_get(&f, "body")); /* names are case-sensitive */
    assert_null(form_get(&f, "c"));
    assert_int_equal(form_find(&f, "ab")->value_len, 0);
    form_sort(&f);
    static const char *const want[] = {"B=0", "Body=", "a=1", "a=1", "a=3", "ab=", "b=2"};
    assert_int_equal(f.n, 7);
    for (size_t i = 0; i < f.n; i++) {
        char got[32];
        snprintf(got, sizeof got, "%s=%s", f.v[i].name, f.v[i].value);
        assert_string_equal(got, want[i]);
    }
    form_free(&f);
}

static void test_form_param_limit(void **state)
{
    struct gw_buf b = {0};
    for (int i = 0; i < FORM_MAX_PARAMS; i++) gw_buf_printf(&b, "%sp%d=%d", i ? "&" : "", i, i);
    struct form f;
    char err[128];
    assert_int_equal(form_parse(b.p, b.len, &f, err, sizeof err), 0);
    assert_int_equal(f.n, FORM_MAX_PARAMS);
    form_free(&f);
    gw_buf_puts(&b, "&&&"); /* empty segments do not count */
    assert_int_equal(form_parse(b.p, b.len, &f, err, sizeof err), 0);
    form_free(&f);
    gw_buf_puts(&b, "one=more");
    assert_int_equal(form_parse(b.p, b.len, &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "more than"));
    assert_int_equal(f.n, 0);
    gw_buf_free(&b);
}

static void test_media_type(void **state)
{
    assert_true(form_media_type_is("application/json", "application/json"));
    assert_true(form_media_type_is("Application/JSON; charset=UTF-8", "application/json"));
    assert_true(
        form_media_type_is(" application/x-www-form-urlencoded ;charset=utf-8", "application/x-www-form-urlencoded"));
    assert_false(form_media_type_is("application/json-patch+json", "application/json"));
    assert_false(form_media_type_is("text/plain", "application/json"));
    assert_false(form_media_type_is(NULL, "application/json"));
    assert_false(form_media_type_is("", "application/json"));
}

/* ---- crypto known answers ---- */

static void test_crypto_vectors(void **state)
{
    unsigned char mac1[PC_SHA1_LEN], mac256[PC_SHA256_LEN];
    char hex[2 * PC_SHA256_LEN + 1], b64[64];
    /* RFC 2202 / RFC 4231 test case 2 */
    const char *key = "Jefe", *msg = "what do ya want for nothing?";
    assert_int_equal(pc_hmac_sha1(key, 4, msg, strlen(msg), mac1), 0);
    gw_hex(mac1, sizeof mac1, hex);
    assert_string_equal(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    assert_int_equal(pc_hmac_sha256(key, 4, msg, strlen(msg), mac256), 0);
    gw_hex(mac256, sizeof mac256, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* an empty message, as a generic webhook with an empty body */
    assert_int_equal(pc_hmac_sha256(GENERIC_SECRET, strlen(GENERIC_SECRET), NULL, 0, mac256), 0);
    assert_int_equal(pc_sha256("abc", 3, mac256), 0);
    gw_hex(mac256, sizeof mac256, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* RFC 4648 §10 */
    static const char *const b64v[][2] = {{"", ""},
                                          {"f", "Zg=="},
                                          {"fo", "Zm8="},
                                          {"foo", "Zm9v"},
                                          {"foob", "Zm9vYg=="},
                                          {"fooba", "Zm9vYmE="},
                                          {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof b64v / sizeof b64v[0]; i++) {
        size_t n = strlen(b64v[i][0]);
        assert_int_equal(pc_base64((const unsigned char *)b64v[i][0], n, b64, sizeof b64), (int)strlen(b64v[i][1]));
        assert_string_equal(b64, b64v[i][1]);
    }
    assert_int_equal(pc_base64((const unsigned char *)"foo", 3, b64, 4), -1); /* no room for the NUL */
    assert_string_equal(b64, "");
    /* comparisons */
    assert_true(pc_hex_equal("00ff", "00FF", 4));
    assert_true(pc_hex_equal("00ff", "00ff", 4));
    assert_false(pc_hex_equal("00ff", "00fe", 4));
    assert_false(pc_hex_equal("00ff", "00ff0", 5));
    assert_false(pc_hex_equal("00ff", "00fg", 4));
    assert_false(pc_hex_equal("", "", 0));
    assert_true(pc_equal("abc", 3, "abc", 3));
    assert_false(pc_equal("abc", 3, "abd", 3));
    assert_false(pc_equal("abc", 3, "ab", 2));
}

/* ---- hooks called directly ---- */

static const char *hdr_generic_sig;
static const char *generic_header(const struct prov_request *req, const char *name)
{
    return !strcasecmp(name, "X-Signature") ? hdr_generic_sig : NULL;
}

static void test_generic_verify(void **state)
{
    const struct provider_ops *g = prov_find("generic");
    struct test_channel tc;
    channel_for(g, NULL, &tc);
    tc.keys[0].value = GENERIC_SECRET;
    const char body[] = "id=a&from=%2B8613800000001&text=QD\0tail"; /* NUL: the whole body is signed */
    unsigned char mac[PC_SHA256_LEN];
    char hex[2 * PC_SHA256_LEN + 1], err[128];
    assert_int_equal(pc_hmac_sha256(GENERIC_SECRET, strlen(GENERIC_SECRET), body, sizeof body - 1, mac), 0);
    gw_hex(mac, sizeof mac, hex);
    struct prov_request req = {.method = "POST",
                               .url = "https://gw.example.com/hooks/generic/sms",
                               .query = "",
                               .content_type = "application/x-www-form-urlencoded",
                               .body = body,
                               .body_len = sizeof body - 1,
                               .header = generic_header};
    hdr_generic_sig = hex;
    assert_int_equal(g->verify(&tc.ch, &req, err, sizeof err), PROV_OK);
    req.body_len = strlen(body); /* the signed body cut at its NUL */
    assert_int_equal(g->verify(&tc.ch, &req, err, sizeof err), PROV_EFORBIDDEN);
    req.body_len = sizeof body - 1;
    hex[63] = hex[63] == '0' ? '1' : '0';
    assert_int_equal(g->verify(&tc.ch, &req, err, sizeof err), PROV_EFORBIDDEN);
    hdr_generic_sig = "";
    assert_int_equal(g->verify(&tc.ch, &req, err, sizeof err), PROV_EFORBIDDEN);
    assert_string_equal(err, "missing X-Signature");
    /* a channel without its secret never verifies */
    tc.keys[0].value = "";
    hdr_generic_sig = hex;
    assert_int_equal(g->verify(&tc.ch, &req, err, sizeof err), PROV_EFORBIDDEN);
    tc.ch.nkeys = 0;
    assert_int_equal(g->verify(&tc.ch, &req, err, sizeof err), PROV_EFORBIDDEN);
    assert_null(strstr(err, GENERIC_SECRET));
}

static void test_twilio_parse(void **state)
{
    static const struct {
        const char *method, *query, *body;
        int rc;
        const char *text; /* parsed text, or a substring of the reason */
    } cases[] = {
        {"POST", "", "MessageSid=SM1&From=%2B8613800000001&Body=QD", PROV_OK, "QD"},
        {"POST", "", "MessageSid=SM1&From=%2B8613800000001&SmsStatus=received&Body=QD", PROV_OK, "QD"},
        {"POST", "", "MessageSid=SM1&From=%2B8613800000001&SmsStatus=whatever-new", PROV_OK, ""},
        {"POST", "", "MessageSid=SM1&From=%2B12025550100&MessageStatus=sent", PROV_IGNORED, "status callback"},
        {"POST", "", "MessageSid=SM1&From=%2B12025550100&MessageStatus=undelivered&ErrorCode=30003", PROV_IGNORED, ""},
        {"POST", "", "MessageSid=&From=%2B8613800000001", PROV_EBADREQ, "missing field: MessageSid"},
        {"POST", "", "MessageSid=SM%0A1&From=%2B8613800000001", PROV_EBADREQ, "control character"},
        {"POST", "", "", PROV_EBADREQ, "missing field: MessageSid"},
        {"GET", "", "", PROV_EBADREQ, "missing field: MessageSid"},
        {"GET", "MessageSid=SM2&From=%2B8613800000001&Body=ZF+1000015+1", "ignored=1", PROV_OK, "ZF 1000015 1"},
    };
    const struct provider_ops *tw = prov_find("twilio");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct prov_request req = {.method = cases[i].method,
                                   .url = "https://gw.example.com/hooks/twilio/sms",
                                   .query = cases[i].query,
                                   .content_type = "application/x-www-form-urlencoded",
                                   .body = cases[i].body,
                                   .body_len = strlen(cases[i].body)};
        struct gw_msgv mv = {0};
        char err[128] = "";
        int rc = tw->parse_sms(NULL, &req, &mv, err, sizeof err);
        if (rc != cases[i].rc) fail_msg("case %zu: rc %d (%s), expected %d", i, rc, err, cases[i].rc);
        if (rc == PROV_OK) {
            assert_int_equal(mv.n, 1);
            assert_string_equal(mv.v[0].text, cases[i].text);
        } else {
            assert_int_equal(mv.n, 0);
            assert_non_null(strstr(err, cases[i].text));
        }
        gw_msgv_free(&mv);
    }
}

static void test_responses(void **state)
{
    const struct provider_ops *g = prov_find("generic"), *tw = prov_find("twilio");
    struct gw_msgv mv = {0};
    struct prov_response r = {0};
    g->render_sms_ack(NULL, &mv, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(gw_buf_cstr(&r.body), "{\"ok\":true,\"stored\":0}");
    gw_msgv_push(&mv);
    gw_msgv_push(&mv);
    g->render_sms_ack(NULL, &mv, &r); /* a reused response is overwritten */
    assert_string_equal(gw_buf_cstr(&r.body), "{\"ok\":true,\"stored\":2}");
    tw->render_sms_ack(NULL, &mv, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "text/xml");
    assert_string_equal(gw_buf_cstr(&r.body), TWIML_EMPTY);
    /* status acknowledgements: always a success */
    const struct provider_ops *at = prov_find("africastalking");
    g->render_status_ack(NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(gw_buf_cstr(&r.body), "{\"ok\":true}");
    tw->render_status_ack(NULL, &r);
    assert_string_equal(r.content_type, "text/xml");
    assert_string_equal(gw_buf_cstr(&r.body), TWIML_EMPTY);
    at->render_status_ack(NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "text/plain");
    assert_string_equal(gw_buf_cstr(&r.body), "OK");
    at->render_sms_ack(NULL, &mv, &r);
    assert_string_equal(r.content_type, "text/plain");
    assert_string_equal(gw_buf_cstr(&r.body), "OK");
    gw_buf_free(&r.body);
    gw_msgv_free(&mv);
}

static void test_registry(void **state)
{
    const struct provider_ops *g = prov_find("generic"), *tw = prov_find("twilio");
    assert_non_null(g);
    assert_non_null(tw);
    assert_string_equal(g->name, "generic");
    assert_string_equal(tw->name, "twilio");
    assert_null(prov_find("Twilio"));
    assert_null(prov_find("nope"));
    assert_null(prov_find(NULL));
    size_t n = 0;
    for (; prov_registry[n]; n++) {
        assert_ptr_equal(prov_find(prov_registry[n]->name), prov_registry[n]);
        assert_non_null(prov_registry[n]->required_keys);
    }
    assert_true(n >= 2);
    assert_string_equal(g->required_keys[0], "secret");
    assert_null(g->required_keys[1]);
    const char *const want[] = {"account_sid", "auth_token", "number"};
    for (size_t i = 0; i < 3; i++) assert_string_equal(tw->required_keys[i], want[i]);
    assert_null(tw->required_keys[3]);
    const struct provider_ops *at = prov_find("africastalking");
    assert_non_null(at);
    const char *const at_req[] = {"username", "api_key", "token"}, *const at_opt[] = {"number", "ussd_code"};
    for (size_t i = 0; i < 3; i++) assert_string_equal(at->required_keys[i], at_req[i]);
    assert_null(at->required_keys[3]);
    for (size_t i = 0; i < 2; i++) assert_string_equal(at->optional_keys[i], at_opt[i]);
    assert_null(at->optional_keys[2]);
    /* these three send free text and take every hook of an SMS channel */
    for (size_t p = 0; p < NPROVIDERS; p++) {
        const struct provider_ops *ops = prov_find(fixture_providers[p]);
        assert_non_null(ops);
        assert_int_equal(ops->template_only, 0);
        assert_null(ops->template_key);
        assert_non_null(ops->verify);
        assert_non_null(ops->parse_sms);
        assert_non_null(ops->render_sms_ack);
        assert_non_null(ops->parse_status);
        assert_non_null(ops->render_status_ack);
        assert_non_null(ops->build_send);
        assert_non_null(ops->parse_send);
    }
}

/* ---- sending: the exact request for a fixed message ---- */

#define OUT_TEXT    "请回复\"QD 1000028 1\"确认\n谢谢 a+b&c=d/%"
#define OUT_TEXT_FORM                                                                                                  \
    "%E8%AF%B7%E5%9B%9E%E5%A4%8D%22QD+1000028+1%22%E7%A1%AE%E8%AE%A4%0A%E8%B0%A2%E8%B0%A2+a%2Bb%26c%3Dd%2F%25"
#define TW_SID      "AC00000000000000000000000000000001"
#define AT_API_KEY  "atsk_demo_0123456789abcdef0123456789abcdef"

/* A channel for provider name with the given "key=value" settings
 * (keys not named keep "placeholder-value"), and the url override. */
static void send_channel(const char *name, const char *const *kv, const char *url, struct test_channel *tc)
{
    const struct provider_ops *ops = prov_find(name);
    assert_non_null(ops);
    channel_for(ops, NULL, tc);
    tc->ch.url = (char *)url;
    for (size_t i = 0; kv && kv[i]; i++) {
        const char *eq = strchr(kv[i], '=');
        assert_non_null(eq);
        size_t k = 0;
        while (k < tc->ch.nkeys && (strlen(tc->keys[k].key) != (size_t)(eq - kv[i]) ||
                                    strncmp(tc->keys[k].key, kv[i], (size_t)(eq - kv[i]))))
            k++;
        if (k == tc->ch.nkeys) fail_msg("%s has no key %s", name, kv[i]);
        tc->keys[k].value = (char *)eq + 1;
    }
}

static const char *const generic_keys[] = {"secret=" GENERIC_SECRET, NULL};
static const char *const twilio_keys[] = {"account_sid=" TW_SID, "auth_token=" TWILIO_TOKEN, "number=+12025550100",
                                          NULL};
static const char *const at_keys[] = {"username=sandbox", "api_key=" AT_API_KEY, "token=" AT_TOKEN,
                                      "number=21512", NULL};
static const char *const at_keys_no_number[] = {"username=sandbox", "api_key=" AT_API_KEY, "token=" AT_TOKEN,
                                                "number=", NULL};

static void test_build_send(void **state)
{
    static const struct {
        const char *prov;
        const char *const *keys;
        const char *chan_url;  /* the channel's `url`, or NULL */
        const char *to, *text; /* of the outbound message (outbox id 42) */
        int with_status_url;
        int rc;
        const char *url, *headers, *userpwd, *body; /* expected request, or err substring in url */
    } cases[] = {
        {"generic", generic_keys, "https://integrator.example.net/sms/send", "+8613800000001", OUT_TEXT, 1, PROV_OK,
         "https://integrator.example.net/sms/send",
         "Content-Type: application/json\n"
         "X-Signature: 1504fbf78883b49cf6cb9bedf07fe5d517099f66ec4b603e1d1e32361f6e885e\n",
         NULL, "{\"id\":\"42\",\"to\":\"+8613800000001\",\"text\":\"请回复\\\"QD 1000028 1\\\"确认\\n谢谢 a+b&c=d/%\"}"},
        {"generic", generic_keys, NULL, "+8613800000001", OUT_TEXT, 1, PROV_EBADREQ, "no url configured", NULL, NULL, NULL},
        {"generic", generic_keys, "", "+8613800000001", OUT_TEXT, 1, PROV_EBADREQ, "no url configured", NULL, NULL, NULL},
        {"generic", generic_keys, "https://integrator.example.net/", "", OUT_TEXT, 1, PROV_EBADREQ, "no recipient", NULL, NULL, NULL},
        {"generic", generic_keys, "https://integrator.example.net/", "+8613800000001", NULL, 1, PROV_EBADREQ, "no text", NULL, NULL, NULL},
        {"generic", generic_keys, "https://integrator.example.net/", "+8613800000001", "QD \xff", 1, PROV_EBADREQ,
         "not UTF-8", NULL, NULL, NULL},
        {"twilio", twilio_keys, NULL, "+8613800000001", OUT_TEXT, 1, PROV_OK,
         "https://api.twilio.com/2010-04-01/Accounts/" TW_SID "/Messages.json",
         "Content-Type: application/x-www-form-urlencoded\nAccept: application/json\n", TW_SID ":" TWILIO_TOKEN,
         "To=%2B8613800000001&From=%2B12025550100&Body=" OUT_TEXT_FORM
         "&StatusCallback=https%3A%2F%2Fgw.example.com%2Fhooks%2Ftwilio%2Fstatus%3Fref%3D42"},
        {"twilio", twilio_keys, "http://127.0.0.1:8099/", "+8613800000001", "ZF 1000015 1", 0, PROV_OK,
         "http://127.0.0.1:8099/2010-04-01/Accounts/" TW_SID "/Messages.json",
         "Content-Type: application/x-www-form-urlencoded\nAccept: application/json\n", TW_SID ":" TWILIO_TOKEN,
         "To=%2B8613800000001&From=%2B12025550100&Body=ZF+1000015+1"},
        {"twilio", twilio_keys, NULL, "+8613800000001", "", 1, PROV_EBADREQ, "no text", NULL, NULL, NULL},
        {"twilio", twilio_keys, NULL, NULL, "ZF", 1, PROV_EBADREQ, "no recipient", NULL, NULL, NULL},
        {"africastalking", at_keys, NULL, "+8613800000001", OUT_TEXT, 1, PROV_OK,
         "https://api.africastalking.com/version1/messaging",
         "apiKey: " AT_API_KEY "\nAccept: application/json\nContent-Type: application/x-www-form-urlencoded\n", NULL,
         "username=sandbox&to=%2B8613800000001&message=" OUT_TEXT_FORM "&from=21512"},
        {"africastalking", at_keys_no_number, "http://127.0.0.1:8099//", "+8613800000001", "ZF 1000015 1", 1, PROV_OK,
         "http://127.0.0.1:8099/version1/messaging",
         "apiKey: " AT_API_KEY "\nAccept: application/json\nContent-Type: application/x-www-form-urlencoded\n", NULL,
         "username=sandbox&to=%2B8613800000001&message=ZF+1000015+1"},
        {"africastalking", at_keys, NULL, "", "ZF", 1, PROV_EBADREQ, "no recipient", NULL, NULL, NULL},
        {"africastalking", at_keys, NULL, "+8613800000001", NULL, 1, PROV_EBADREQ, "no text", NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct test_channel tc;
        send_channel(cases[i].prov, cases[i].keys, cases[i].chan_url, &tc);
        char status_url[128];
        snprintf(status_url, sizeof status_url, "https://gw.example.com/hooks/%s/status?ref=42", cases[i].prov);
        struct prov_outbound m = {.outbox_id = 42,
                                  .to = cases[i].to,
                                  .text = cases[i].text,
                                  .tmpl = "visit_ack",
                                  .status_url = cases[i].with_status_url ? status_url : NULL,
                                  .now = FIXTURE_NOW,
                                  .nonce = "0123456789abcdef0123456789abcdef"};
        struct prov_http h;
        memset(&h, 0xa5, sizeof h); /* build_send must initialise every field */
        char err[128] = "";
        int rc = tc.ch.ops->build_send(&tc.ch, &m, &h, err, sizeof err);
        if (rc != cases[i].rc) fail_msg("case %zu (%s): rc %d (%s), expected %d", i, cases[i].prov, rc, err, cases[i].rc);
        if (rc != PROV_OK) {
            if (!strstr(err, cases[i].url)) fail_msg("case %zu: reason \"%s\", expected \"%s\"", i, err, cases[i].url);
            prov_http_free(&h); /* safe on a request that was not built */
            continue;
        }
        assert_string_equal(h.url, cases[i].url);
        assert_string_equal(h.method, "POST");
        assert_string_equal(gw_buf_cstr(&h.headers), cases[i].headers);
        if (cases[i].userpwd)
            assert_string_equal(h.userpwd, cases[i].userpwd);
        else
            assert_null(h.userpwd);
        if (h.body.len != strlen(cases[i].body) || memcmp(h.body.p, cases[i].body, h.body.len))
            fail_msg("case %zu: body\n  %s\nexpected\n  %s", i, gw_buf_cstr(&h.body), cases[i].body);
        prov_http_free(&h);
        assert_null(h.url);
    }
}

/* Secrets travel only where the provider needs them, and never in a reason. */
static void test_send_secrets(void **state)
{
    static const struct {
        const char *prov;
        const char *const *keys;
        const char *secret; /* a value that may appear only where allowed */
        const char *allowed; /* "userpwd", "headers" or NULL */
        const char *webhook_secret; /* may appear nowhere in the request */
    } cases[] = {
        {"generic", generic_keys, GENERIC_SECRET, NULL, NULL},
        {"twilio", twilio_keys, TWILIO_TOKEN, "userpwd", NULL},
        {"africastalking", at_keys, AT_API_KEY, "headers", AT_TOKEN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct test_channel tc;
        send_channel(cases[i].prov, cases[i].keys, "https://send.example.net", &tc);
        struct prov_outbound m = {.outbox_id = 7,
                                  .to = "+8613800000001",
                                  .text = "ZF 1000015 1",
                                  .status_url = "https://gw.example.com/hooks/x/status?ref=7",
                                  .now = FIXTURE_NOW,
                                  .nonce = "0123456789abcdef0123456789abcdef"};
        struct prov_http h;
        char err[128] = "";
        assert_int_equal(tc.ch.ops->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_OK);
        const char *where[] = {h.url, gw_buf_cstr(&h.headers), gw_buf_cstr(&h.body), h.userpwd ? h.userpwd : ""};
        const char *names[] = {"url", "headers", "body", "userpwd"};
        for (size_t w = 0; w < 4; w++) {
            int allowed = cases[i].allowed && !strcmp(cases[i].allowed, names[w]);
            if (!allowed && strstr(where[w], cases[i].secret))
                fail_msg("%s: a secret is in the %s", cases[i].prov, names[w]);
            if (allowed && !strstr(where[w], cases[i].secret)) fail_msg("%s: no credential in the %s", cases[i].prov, names[w]);
            if (cases[i].webhook_secret && strstr(where[w], cases[i].webhook_secret))
                fail_msg("%s: the webhook token is in the %s", cases[i].prov, names[w]);
        }
        /* nothing the message does not need: no template name, nonce or clock */
        assert_null(strstr(gw_buf_cstr(&h.body), "0123456789abcdef0123456789abcdef"));
        prov_http_free(&h);
        /* failing builds and every answer name no secret */
        m.text = NULL;
        assert_int_equal(tc.ch.ops->build_send(&tc.ch, &m, &h, err, sizeof err), PROV_EBADREQ);
        assert_null(strstr(err, cases[i].secret));
        prov_http_free(&h);
        char id[64];
        int opted = 0;
        static const long statuses[] = {0, 200, 201, 400, 401, 429, 500};
        for (size_t k = 0; k < sizeof statuses / sizeof statuses[0]; k++) {
            tc.ch.ops->parse_send(&tc.ch, statuses[k], "{}", 2, id, sizeof id, &opted, err, sizeof err);
            assert_true(err[0] != '\0');
            assert_null(strstr(err, cases[i].secret));
        }
    }
}

/* ---- sending: reading the answer ---- */

/* The one classification every provider's parse_send ends in: the table in
 * providers/provider.h, row by row, and its side effects. */
static void test_classify(void **state)
{
    static const struct {
        long http;
        int transport;
        enum prov_verdict v;
        int rc;
        int opted_out;
        const char *reason; /* err written when it was empty; NULL: OK, err untouched */
    } rows[] = {
        {0, 0, PROV_V_ACCEPTED, PROV_SEND_RETRY, 0, "no answer"},
        {200, 1, PROV_V_ACCEPTED, PROV_SEND_RETRY, 0, "no answer"},
        {500, 0, PROV_V_OPTED_OUT, PROV_SEND_RETRY, 0, "HTTP 500"},
        {503, 0, PROV_V_ACCEPTED, PROV_SEND_RETRY, 0, "HTTP 503"},
        {400, 0, PROV_V_OPTED_OUT, PROV_SEND_FAIL, 1, "HTTP 400"},
        {200, 0, PROV_V_OPTED_OUT, PROV_SEND_FAIL, 1, "HTTP 200"},
        {200, 0, PROV_V_TRANSIENT, PROV_SEND_RETRY, 0, "HTTP 200"},
        {400, 0, PROV_V_TRANSIENT, PROV_SEND_RETRY, 0, "HTTP 400"},
        {429, 0, PROV_V_REFUSED, PROV_SEND_FAIL, 0, "HTTP 429"},
        {200, 0, PROV_V_REFUSED, PROV_SEND_FAIL, 0, "HTTP 200"},
        {201, 0, PROV_V_BAD_ID, PROV_SEND_FAIL, 0, "HTTP 201"},
        {200, 0, PROV_V_ACCEPTED, PROV_SEND_OK, 0, NULL},
        {202, 0, PROV_V_ACCEPTED, PROV_SEND_OK, 0, NULL},
        {200, 0, PROV_V_NONE, PROV_SEND_RETRY, 0, "unreadable answer"}, /* a duplicate beats a lost alert */
        {204, 0, PROV_V_NONE, PROV_SEND_RETRY, 0, "unreadable answer"},
        {299, 0, PROV_V_NONE, PROV_SEND_RETRY, 0, "unreadable answer"},
        {429, 0, PROV_V_NONE, PROV_SEND_RETRY, 0, "HTTP 429"},
        {400, 0, PROV_V_NONE, PROV_SEND_FAIL, 0, "HTTP 400"},
        {302, 0, PROV_V_NONE, PROV_SEND_FAIL, 0, "HTTP 302"},
        {600, 0, PROV_V_NONE, PROV_SEND_FAIL, 0, "HTTP 600"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char id[8] = "abc", err[64] = "";
        int opted = 7;
        int rc = prov_classify(rows[i].http, rows[i].transport, rows[i].v, id, sizeof id, &opted, err, sizeof err);
        if (rc != rows[i].rc) fail_msg("row %zu: rc %d, expected %d", i, rc, rows[i].rc);
        if (opted != rows[i].opted_out) fail_msg("row %zu: opted_out %d", i, opted);
        if (rows[i].reason) {
            assert_string_equal(id, "");
            assert_string_equal(err, rows[i].reason);
        } else {
            assert_string_equal(id, "abc");
            assert_string_equal(err, "");
        }
        /* a provider's own reason wins; NULL msg_id and opted_out are allowed */
        gw_strlcpy(err, "mine", sizeof err);
        assert_int_equal(prov_classify(rows[i].http, rows[i].transport, rows[i].v, NULL, 0, NULL, err, sizeof err),
                         rows[i].rc);
        assert_string_equal(err, "mine");
    }
}

#define AT_OK_ANSWER(status, extra)                                                                                    \
    "{\"SMSMessageData\":{\"Message\":\"Sent to 1/1 Total Cost: KES 0.8000\",\"Recipients\":[{\"statusCode\":101,"  \
    "\"number\":\"+8613800000001\",\"status\":\"" status "\",\"cost\":\"KES 0.8000\"" extra "}]}}"

static void test_parse_send(void **state)
{
    static const struct {
        const char *prov;
        long http;
        const char *body;
        int rc;
        const char *id_or_reason; /* msg_id for OK, else a substring of err */
        int opted_out;
    } cases[] = {
        {"generic", 200, "{\"id\":\"int-77\"}", PROV_SEND_OK, "int-77", 0},
        {"generic", 201, "{\"id\":12345,\"queued\":true}", PROV_SEND_OK, "12345", 0},
        {"generic", 202, "{\"id\":\"a\"}", PROV_SEND_OK, "a", 0},
        {"generic", 200, "{}", PROV_SEND_RETRY, "no id in answer", 0}, /* unreadable 2xx: retried */
        {"generic", 200, "{\"id\":\"\"}", PROV_SEND_RETRY, "no id in answer", 0},
        {"generic", 200, "accepted", PROV_SEND_RETRY, "no id in answer", 0},
        {"generic", 204, "", PROV_SEND_RETRY, "no id in answer", 0},
        {"generic", 200, "{\"id\":\"a\\nb\"}", PROV_SEND_FAIL, "bad id", 0},
        {"generic", 429, "slow down", PROV_SEND_RETRY, "HTTP 429", 0},
        {"generic", 500, "", PROV_SEND_RETRY, "HTTP 500", 0},
        {"generic", 503, "{\"id\":\"x\"}", PROV_SEND_RETRY, "HTTP 503", 0},
        {"generic", 0, "", PROV_SEND_RETRY, "no answer", 0},
        {"generic", 400, "{\"error\":\"bad number\"}", PROV_SEND_FAIL, "HTTP 400", 0},
        {"generic", 401, "", PROV_SEND_FAIL, "HTTP 401", 0},
        {"generic", 403, "", PROV_SEND_FAIL, "HTTP 403", 0},
        {"generic", 404, "", PROV_SEND_FAIL, "HTTP 404", 0},
        {"generic", 302, "", PROV_SEND_FAIL, "HTTP 302", 0},

        {"twilio", 201, "{\"sid\":\"SM11111111111111111111111111111111\",\"status\":\"queued\",\"num_segments\":\"1\"}",
         PROV_SEND_OK, "SM11111111111111111111111111111111", 0},
        {"twilio", 200, "{\"sid\":\"SM2\"}", PROV_SEND_OK, "SM2", 0},
        {"twilio", 201, "{\"status\":\"queued\"}", PROV_SEND_RETRY, "no sid in answer", 0}, /* unreadable 2xx */
        {"twilio", 201, "", PROV_SEND_RETRY, "no sid in answer", 0},
        {"twilio", 429, "{\"code\":20429,\"message\":\"Too Many Requests\",\"status\":429}", PROV_SEND_RETRY,
         "code 20429", 0},
        {"twilio", 500, "", PROV_SEND_RETRY, "HTTP 500", 0},
        {"twilio", 503, "<html>", PROV_SEND_RETRY, "HTTP 503", 0},
        {"twilio", 0, "", PROV_SEND_RETRY, "no answer", 0},
        {"twilio", 400,
         "{\"code\":21610,\"message\":\"Attempt to send to unsubscribed recipient\",\"more_info\":"
         "\"https://www.twilio.com/docs/errors/21610\",\"status\":400}",
         PROV_SEND_FAIL, "HTTP 400 code 21610", 1},
        {"twilio", 400, "{\"code\":\"21610\"}", PROV_SEND_FAIL, "code 21610", 1},
        {"twilio", 400, "{\"code\":21211,\"message\":\"The 'To' number +8613800000001 is not a valid phone number.\"}",
         PROV_SEND_FAIL, "HTTP 400 code 21211", 0},
        {"twilio", 401, "{\"code\":20003,\"message\":\"Authenticate\"}", PROV_SEND_FAIL, "code 20003", 0},
        {"twilio", 403, "", PROV_SEND_FAIL, "HTTP 403", 0},
        {"twilio", 404, "{\"code\":20404}", PROV_SEND_FAIL, "code 20404", 0},

        {"africastalking", 201, AT_OK_ANSWER("Success", ",\"messageId\":\"ATXid_00000000000000000000000000000001\""),
         PROV_SEND_OK, "ATXid_00000000000000000000000000000001", 0},
        {"africastalking", 200, AT_OK_ANSWER("Success", ",\"messageId\":\"ATXid_2\""), PROV_SEND_OK, "ATXid_2", 0},
        {"africastalking", 201, AT_OK_ANSWER("Success", ""), PROV_SEND_FAIL, "no messageId", 0},
        {"africastalking", 201, AT_OK_ANSWER("UserInBlackList", ",\"messageId\":\"None\""), PROV_SEND_FAIL,
         "recipient status: UserInBlackList", 1},
        {"africastalking", 201, AT_OK_ANSWER("UserInBlacklist", ",\"messageId\":\"None\""), PROV_SEND_FAIL,
         "recipient status: UserInBlacklist", 1},
        {"africastalking", 201, AT_OK_ANSWER("InvalidPhoneNumber", ",\"messageId\":\"None\""), PROV_SEND_FAIL,
         "recipient status: InvalidPhoneNumber", 0},
        {"africastalking", 201, AT_OK_ANSWER("InsufficientBalance", ""), PROV_SEND_FAIL, "InsufficientBalance", 0},
        {"africastalking", 201, "{\"SMSMessageData\":{\"Message\":\"InvalidSenderId\",\"Recipients\":[]}}",
         PROV_SEND_RETRY, "no recipient in answer", 0}, /* unreadable 2xx: retried */
        {"africastalking", 201, "Created", PROV_SEND_RETRY, "no recipient in answer", 0},
        {"africastalking", 201, AT_OK_ANSWER("Bad\\nword", ""), PROV_SEND_RETRY, "no readable recipient status", 0},
        {"africastalking", 401, "The supplied authentication is invalid", PROV_SEND_FAIL, "HTTP 401", 0},
        {"africastalking", 400, "Request is missing required form field 'to'", PROV_SEND_FAIL, "HTTP 400", 0},
        {"africastalking", 403, "", PROV_SEND_FAIL, "HTTP 403", 0},
        {"africastalking", 429, "", PROV_SEND_RETRY, "HTTP 429", 0},
        {"africastalking", 500, "", PROV_SEND_RETRY, "HTTP 500", 0},
        {"africastalking", 502, "", PROV_SEND_RETRY, "HTTP 502", 0},
        {"africastalking", 0, "", PROV_SEND_RETRY, "no answer", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct provider_ops *ops = prov_find(cases[i].prov);
        struct test_channel tc;
        channel_for(ops, NULL, &tc);
        char id[64], err[128] = "";
        memset(id, 'x', sizeof id);
        int opted = 7;
        size_t len = strlen(cases[i].body);
        /* the answer is bytes, not a C string: no NUL after it */
        char *copy = gw_malloc(len ? len : 1);
        memcpy(copy, cases[i].body, len);
        int rc = ops->parse_send(&tc.ch, cases[i].http, len ? copy : NULL, len, id, sizeof id, &opted, err, sizeof err);
        free(copy);
        if (rc != cases[i].rc)
            fail_msg("case %zu (%s %ld): rc %d (%s), expected %d", i, cases[i].prov, cases[i].http, rc, err, cases[i].rc);
        if (opted != cases[i].opted_out) fail_msg("case %zu: opted_out %d", i, opted);
        if (rc == PROV_SEND_OK) {
            assert_string_equal(id, cases[i].id_or_reason);
        } else {
            assert_string_equal(id, "");
            if (!strstr(err, cases[i].id_or_reason))
                fail_msg("case %zu: reason \"%s\", expected \"%s\"", i, err, cases[i].id_or_reason);
            /* a reason never quotes the recipient's number */
            assert_null(strstr(err, "8613800000001"));
        }
    }
    /* an id that does not fit the caller's buffer is not truncated into another id */
    for (size_t p = 0; p < NPROVIDERS; p++) {
        static const char *const answers[] = {"{\"id\":\"0123456789abcdef\"}", "{\"sid\":\"SM23456789abcdef\"}",
                                              AT_OK_ANSWER("Success", ",\"messageId\":\"AT23456789abcdef\"")};
        const struct provider_ops *ops = prov_find(fixture_providers[p]);
        char id[16], big[17], err[128];
        int opted = 0;
        assert_int_equal(ops->parse_send(NULL, 201, answers[p], strlen(answers[p]), id, sizeof id, &opted, err, sizeof err),
                         PROV_SEND_FAIL);
        assert_string_equal(id, "");
        assert_int_equal(ops->parse_send(NULL, 201, answers[p], strlen(answers[p]), big, sizeof big, &opted, err, sizeof err),
                         PROV_SEND_OK);
        assert_int_equal(strlen(big), 16);
    }
}

/* ---- status callbacks called directly ---- */

static void test_parse_status_direct(void **state)
{
    static const struct {
        const char *prov, *method, *query, *content_type, *body;
        int rc;
        const char *want; /* "msg_id code raw ref error phone opted" for OK, else a reason substring */
    } cases[] = {
        {"twilio", "GET", "ref=out-7&MessageSid=SM7&MessageStatus=delivered&To=%2B8613800000001", NULL, "", PROV_OK,
         "SM7 delivered delivered out-7 - +8613800000001 no"},
        {"twilio", "POST", "ref=8", "application/x-www-form-urlencoded", "MessageSid=SM8&SmsStatus=sent", PROV_OK,
         "SM8 sent sent 8 - - no"},
        {"twilio", "POST", "", NULL, "MessageSid=SM9&MessageStatus=undelivered&ErrorCode=21610", PROV_OK,
         "SM9 failed undelivered - 21610 - yes"},
        {"twilio", "POST", "", NULL, "MessageSid=SM9&MessageStatus=read", PROV_OK, "SM9 delivered read - - - no"},
        {"twilio", "POST", "", NULL, "MessageSid=SM9&MessageStatus=canceled", PROV_OK, "SM9 failed canceled - - - no"},
        {"twilio", "POST", "", NULL, "MessageSid=SM9&MessageStatus=accepted", PROV_OK, "SM9 queued accepted - - - no"},
        {"twilio", "POST", "", NULL, "MessageSid=SM9&MessageStatus=scheduled", PROV_OK, "SM9 queued scheduled - - - no"},
        {"twilio", "POST", "", NULL, "MessageSid=SM9&MessageStatus=queued", PROV_OK, "SM9 queued queued - - - no"},
        {"twilio", "POST", "", NULL, "MessageSid=SM9&MessageStatus=Delivered", PROV_OK, "SM9 unknown Delivered - - - no"},
        {"twilio", "POST", "", NULL, "MessageSid=SM9", PROV_EBADREQ, "missing field: MessageStatus"},
        {"twilio", "POST", "", "application/json", "{\"MessageSid\":\"SM9\"}", PROV_EBADREQ, "unsupported content type"},
        {"twilio", "POST", "ref=%zz", NULL, "MessageSid=SM9&MessageStatus=sent", PROV_EBADREQ, "percent"},
        {"twilio", "POST", "ref=a%0Ab", NULL, "MessageSid=SM9&MessageStatus=sent", PROV_EBADREQ, "control character"},
        {"africastalking", "POST", "token=t", NULL, "id=ATX1&status=success", PROV_OK, "ATX1 delivered success - - - no"},
        {"africastalking", "POST", "token=t", NULL, "id=ATX1&status=Rejected&failureReason=UserInBlacklist", PROV_OK,
         "ATX1 failed Rejected - UserInBlacklist - yes"},
        {"africastalking", "POST", "token=t", NULL, "id=ATX1&status=Failed&failureReason=UserIsInactive", PROV_OK,
         "ATX1 failed Failed - UserIsInactive - no"},
        {"africastalking", "POST", "token=t", "text/plain", "id=ATX1&status=Success", PROV_EBADREQ,
         "unsupported content type"},
        {"generic", "POST", "", NULL, "{\"id\":\"g1\",\"status\":\"queued\"}", PROV_OK, "g1 queued queued - - - no"},
        {"generic", "POST", "", NULL, "{\"id\":\"g1\",\"status\":\"sent\",\"error\":\"\"}", PROV_OK,
         "g1 sent sent - - - no"},
        {"generic", "POST", "", NULL, "{\"id\":\"g1\",\"status\":7}", PROV_EBADREQ, "not a string: status"},
        {"generic", "POST", "", NULL, "\"g1\"", PROV_EBADREQ, "neither an object nor an array"},
        {"generic", "POST", "", NULL, "{\"id\":\"g1\",\"id\":\"g2\",\"status\":\"sent\"}", PROV_EBADREQ, "bad JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct provider_ops *ops = prov_find(cases[i].prov);
        struct prov_request req = {.method = cases[i].method,
                                   .url = "https://gw.example.com/hooks/x/status",
                                   .query = cases[i].query,
                                   .content_type = cases[i].content_type,
                                   .body = cases[i].body,
                                   .body_len = strlen(cases[i].body)};
        struct prov_statusv sv = {0};
        char err[128] = "";
        int rc = ops->parse_status(NULL, &req, &sv, err, sizeof err);
        if (rc != cases[i].rc) fail_msg("case %zu (%s): rc %d (%s), expected %d", i, cases[i].prov, rc, err, cases[i].rc);
        if (rc == PROV_OK) {
            assert_int_equal(sv.n, 1);
            const struct prov_status *st = &sv.v[0];
            char got[256];
            snprintf(got, sizeof got, "%s %s %s %s %s %s %s", st->provider_msg_id, code_name(st->status),
                     st->raw_status, st->ref ? st->ref : "-", st->error ? st->error : "-", st->phone ? st->phone : "-",
                     st->opted_out ? "yes" : "no");
            if (strcmp(got, cases[i].want)) fail_msg("case %zu: \"%s\", expected \"%s\"", i, got, cases[i].want);
        } else {
            assert_int_equal(sv.n, 0);
            if (!strstr(err, cases[i].want)) fail_msg("case %zu: reason \"%s\", expected \"%s\"", i, err, cases[i].want);
        }
        prov_statusv_free(&sv);
    }

    /* A failing callback leaves receipts already in the vector alone and adds none. */
    const struct provider_ops *g = prov_find("generic");
    const char *body = "[{\"id\":\"g1\",\"status\":\"sent\"},{\"id\":\"g2\"}]";
    struct prov_request req = {.method = "POST", .query = "", .body = body, .body_len = strlen(body)};
    struct prov_statusv sv = {0};
    struct prov_status *st = prov_statusv_push(&sv);
    st->provider_msg_id = gw_strdup("earlier");
    st->raw_status = gw_strdup("sent");
    char err[128];
    assert_int_equal(g->parse_status(NULL, &req, &sv, err, sizeof err), PROV_EBADREQ);
    assert_string_equal(err, "missing field: status");
    assert_int_equal(sv.n, 1);
    assert_string_equal(sv.v[0].provider_msg_id, "earlier");
    prov_statusv_free(&sv);
    prov_statusv_free(&sv); /* a freed vector is empty and may be freed again */
}

static const char *at_query;
static const char *no_header(const struct prov_request *req, const char *name) { return NULL; }

static void test_africastalking_verify(void **state)
{
    const struct provider_ops *at = prov_find("africastalking");
    struct test_channel tc;
    send_channel("africastalking", at_keys, NULL, &tc);
    static const struct {
        const char *query;
        int rc;
        const char *reason;
    } cases[] = {
        {"token=" AT_TOKEN, PROV_OK, ""},
        {"a=1&token=" AT_TOKEN "&b=2", PROV_OK, ""},
        {"token=demo%2Dat%2Dtoken", PROV_OK, ""}, /* compared decoded */
        {"", PROV_EFORBIDDEN, "missing token"},
        {"Token=" AT_TOKEN, PROV_EFORBIDDEN, "missing token"},
        {"token=", PROV_EFORBIDDEN, "missing token"},
        {"token=" AT_TOKEN "x", PROV_EFORBIDDEN, "bad token"},
        {"token=DEMO-AT-TOKEN", PROV_EFORBIDDEN, "bad token"},
        {"token=x&token=" AT_TOKEN, PROV_EFORBIDDEN, "bad token"}, /* the first one counts */
        {"token=%zz", PROV_EBADREQ, "undecodable query"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        at_query = cases[i].query;
        struct prov_request req = {.method = "POST", .url = "https://gw.example.com/hooks/africastalking/sms",
                                   .query = at_query, .body = "", .header = no_header};
        char err[128] = "";
        int rc = at->verify(&tc.ch, &req, err, sizeof err);
        if (rc != cases[i].rc) fail_msg("case %zu (%s): rc %d (%s)", i, cases[i].query, rc, err);
        if (!strstr(err, cases[i].reason)) fail_msg("case %zu: reason \"%s\"", i, err);
        assert_null(strstr(err, AT_TOKEN));
    }
    /* a NULL query and a channel without a token never pass */
    struct prov_request req = {.method = "POST", .query = NULL, .body = ""};
    char err[128];
    assert_int_equal(at->verify(&tc.ch, &req, err, sizeof err), PROV_EFORBIDDEN);
    req.query = "token=";
    tc.keys[2].value = "";
    assert_string_equal(tc.keys[2].key, "token");
    assert_int_equal(at->verify(&tc.ch, &req, err, sizeof err), PROV_EFORBIDDEN);
    assert_string_equal(err, "channel has no token");
}

/* ---- USSD steps called directly: the caps and odd shapes fixtures do not show ---- */

static void test_ussd_parse_direct(void **state)
{
    const struct provider_ops *at = prov_find("africastalking");
    struct gw_buf big = {0};
    gw_buf_puts(&big, "sessionId=S1&phoneNumber=%2B8613800000001&text=");
    for (int i = 0; i < 4096; i++) gw_buf_putc(&big, i % 2 ? '*' : '1');
    struct gw_buf over = {0};
    gw_buf_printf(&over, "%s1", gw_buf_cstr(&big));
    const struct {
        const char *body;
        int rc;
        const char *want; /* "session|phone|code|text" for OK, else a reason substring */
    } cases[] = {
        {"sessionId=S1&phoneNumber=%2B8613800000001&text=", PROV_OK, "S1|+8613800000001|-|"},
        {"text=1%2A2&phoneNumber=13800000001&sessionId=S1&serviceCode=", PROV_OK, "S1|13800000001|-|1*2"},
        {"sessionId=S1&phoneNumber=1&text=%E4%BD%A0*%E5%A5%BD", PROV_OK, "S1|1|-|你*好"},
        {"sessionId=&phoneNumber=1", PROV_EBADREQ, "missing field: sessionId"},
        {"sessionId=S%0A1&phoneNumber=1", PROV_EBADREQ, "control character in field: sessionId"},
        {"sessionId=S1&phoneNumber=1&serviceCode=%2A1%0D%23", PROV_EBADREQ, "serviceCode"},
        {gw_buf_cstr(&big), PROV_OK, NULL},
        {gw_buf_cstr(&over), PROV_EBADREQ, "field too long: text"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct prov_request req = {.method = "POST", .query = "token=" AT_TOKEN, .body = cases[i].body,
                                   .body_len = strlen(cases[i].body)};
        struct prov_ussd u;
        char err[128] = "";
        int rc = at->parse_ussd(NULL, &req, &u, err, sizeof err);
        if (rc != cases[i].rc) fail_msg("case %zu: rc %d (%s), expected %d", i, rc, err, cases[i].rc);
        if (rc == PROV_OK && cases[i].want) {
            char got[256];
            snprintf(got, sizeof got, "%s|%s|%s|%s", u.session_id, u.phone, u.service_code ? u.service_code : "-",
                     u.text);
            if (strcmp(got, cases[i].want)) fail_msg("case %zu: \"%s\", expected \"%s\"", i, got, cases[i].want);
        } else if (rc == PROV_OK) {
            assert_int_equal(strlen(u.text), 4096);
        } else {
            assert_null(u.session_id);
            if (!strstr(err, cases[i].want)) fail_msg("case %zu: reason \"%s\"", i, err);
        }
        prov_ussd_clear(&u);
        prov_ussd_clear(&u); /* cleared twice: a no-op */
    }
    gw_buf_free(&big);
    gw_buf_free(&over);
}

/* ---- the fixture loader itself ---- */

static char *write_tmp(const char *data, size_t len)
{
    char *path = strdup("/tmp/test_providers_XXXXXX.http");
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

static void test_fixture_loader(void **state)
{
    static const struct {
        const char *file;
        int ok;
        const char *body; /* expected body */
    } cases[] = {
        {"# status: 200\n# text:\n# just a comment\n\nPOST /p?q=1&r HTTP/1.1\r\nHost: h\r\nX-A:  v 1 \r\n\r\nabc\n", 1,
         "abc"},
        {"POST /p HTTP/1.1\nHost: h\n\nabc\r\n", 1, "abc"},
        {"POST /p HTTP/1.1\nHost: h\n\nabc\n\n", 1, "abc\n"},
        {"# body-trailing-newline: yes\nPOST /p HTTP/1.1\n\nabc\n", 1, "abc\n"},
        {"POST /p HTTP/1.1\nHost: h\n\nabc", 1, "abc"},
        {"GET /p HTTP/1.1\nHost: h\n", 1, ""},
        {"POST /p HTTP/1.1\nContent-Length: 3\n\nabc\n", 1, "abc"},
        {"POST /p HTTP/1.1\nContent-Length: 4\n\nabc\n", 0, NULL},
        {"POST /p\n\nabc", 0, NULL},
        {"POST p HTTP/1.1\n\n", 0, NULL},
        {"# status: 200\n", 0, NULL},
        {"POST /p HTTP/1.1\nno colon\n\n", 0, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = write_tmp(cases[i].file, strlen(cases[i].file));
        struct fixture fx;
        char err[256] = "";
        int rc = fixture_load(path, &fx, err, sizeof err);
        unlink(path);
        free(path);
        if ((rc == 0) != cases[i].ok) fail_msg("case %zu: rc %d %s", i, rc, err);
        if (rc < 0) continue;
        assert_int_equal(fx.body_len, strlen(cases[i].body));
        assert_memory_equal(fx.body, cases[i].body, fx.body_len);
        if (i == 0) {
            assert_string_equal(fixture_expect(&fx, "status"), "200");
            assert_string_equal(fixture_expect(&fx, "text"), "");
            assert_null(fixture_expect(&fx, "just"));
            assert_string_equal(fx.method, "POST");
            assert_string_equal(fx.path, "/p");
            assert_string_equal(fx.query, "q=1&r");
            assert_string_equal(fx.url, FIXTURE_DEFAULT_PUBLIC_URL "/p?q=1&r");
            assert_string_equal(fixture_header(&fx, "x-a"), "v 1");
            assert_null(fixture_header(&fx, "Content-Type"));
            struct prov_request req;
            fixture_request(&fx, &req);
            assert_string_equal(req.header(&req, "HOST"), "h");
            assert_int_equal(req.now, FIXTURE_NOW);
        }
        fixture_free(&fx);
    }
}

/* ---- main: the static tests, then one test per fixture file ---- */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twilio_vector_basic),
        cmocka_unit_test(test_twilio_vector_port),
        cmocka_unit_test(test_twilio_port_variants),
        cmocka_unit_test(test_twilio_vector_multivalued),
        cmocka_unit_test(test_twilio_vector_json_body),
        cmocka_unit_test(test_form_edge_cases),
        cmocka_unit_test(test_form_lookup_and_sort),
        cmocka_unit_test(test_form_param_limit),
        cmocka_unit_test(test_media_type),
        cmocka_unit_test(test_crypto_vectors),
        cmocka_unit_test(test_generic_verify),
        cmocka_unit_test(test_twilio_parse),
        cmocka_unit_test(test_responses),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_fixture_loader),
        cmocka_unit_test(test_build_send),
        cmocka_unit_test(test_send_secrets),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_parse_send),
        cmocka_unit_test(test_parse_status_direct),
        cmocka_unit_test(test_africastalking_verify),
        cmocka_unit_test(test_ussd_parse_direct),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    const char *const *providers = fixture_providers;
    char **files[NPROVIDERS] = {NULL};
    size_t nfiles[NPROVIDERS] = {0}, total = 0;
    for (size_t p = 0; p < NPROVIDERS; p++) {
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
    for (size_t p = 0; p < NPROVIDERS; p++)
        for (size_t i = 0; i < nfiles[p]; i++) {
            const char *name = strrchr(files[p][i], '/');
            ft[k].name = name ? name - strlen(providers[p]) : files[p][i]; /* "twilio/01-....http" */
            ft[k].test_func = test_fixture;
            ft[k].initial_state = files[p][i];
            k++;
        }
    failed += _cmocka_run_group_tests("fixtures", ft, total, NULL, NULL);
    free(ft);
    for (size_t p = 0; p < NPROVIDERS; p++) fixture_list_free(files[p], nfiles[p]);
    return failed ? 1 : 0;
}
