/* tests/unit/test_providers.c - the generic and Twilio providers, their form parser and crypto.
 *
 * Every fixture in tests/fixtures/{generic,twilio} is its own test: the
 * request goes through verify, parse_sms and render_sms_ack as the server
 * would run them, and the outcome is checked against the file's "# key:"
 * expectations. The rest are direct tables: Twilio's published signature
 * vectors, form-decoding edge cases, known-answer crypto vectors.
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

#include "../../providers/crypto.h"
#include "../../providers/form.h"
#include "../../providers/provider.h"
#include "../../providers/twilio.h"
#include "../common/fixture.h"

#define GENERIC_SECRET "demo-generic-secret"
#define TWILIO_TOKEN   "fake_auth_token_0123456789abcdef"
#define TWIML_EMPTY    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"

/* ---- running one request the way the server does ---- */

struct outcome {
    int verify_rc;             /* verify's return */
    int parse_rc;              /* parse_sms's return (only when verify passed) */
    int status;                /* 200, 400 or 403 */
    char err[256];             /* reason of the failing step */
    struct gw_msgv msgs;       /* parsed messages */
    struct prov_response resp; /* the answer when status is 200 */
};

static int status_of(int rc) { return rc == PROV_EFORBIDDEN ? 403 : rc == PROV_EBADREQ ? 400 : 200; }

static void run(const struct provider_ops *ops, const struct gw_channel *ch, const struct prov_request *req,
                struct outcome *o)
{
    memset(o, 0, sizeof *o);
    o->parse_rc = PROV_EBADREQ;
    o->verify_rc = ops->verify(ch, req, o->err, sizeof o->err);
    if (o->verify_rc != PROV_OK) {
        o->status = status_of(o->verify_rc);
        return;
    }
    o->parse_rc = ops->parse_sms(ch, req, &o->msgs, o->err, sizeof o->err);
    o->status = status_of(o->parse_rc);
    if (o->status == 200) ops->render_sms_ack(ch, &o->msgs, &o->resp);
}

static void outcome_free(struct outcome *o)
{
    gw_msgv_free(&o->msgs);
    gw_buf_free(&o->resp.body);
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

    /* Files the end-to-end run sends must fit its one config. */
    if (!expect_is(&fx, "e2e", "skip")) {
        char want[64];
        snprintf(want, sizeof want, "/hooks/%s/sms", prov);
        if (strcmp(fx.path, want)) fail_msg("%s: path %s, expected %s for the e2e run", file, fx.path, want);
        const char *pub = fixture_expect(&fx, "public_url");
        if (pub && strcmp(pub, FIXTURE_DEFAULT_PUBLIC_URL) && strcmp(pub, FIXTURE_DEFAULT_PUBLIC_URL ":443"))
            fail_msg("%s: public_url %s differs from the e2e one", file, pub);
        const char *s = fixture_expect(&fx, "secret");
        if (s && strcmp(s, GENERIC_SECRET)) fail_msg("%s: secret differs from the e2e one", file);
        s = fixture_expect(&fx, "auth_token");
        if (s && strcmp(s, TWILIO_TOKEN)) fail_msg("%s: auth_token differs from the e2e one", file);
    }

    struct test_channel tc;
    channel_for(ops, &fx, &tc);
    struct prov_request req;
    fixture_request(&fx, &req);
    struct outcome o;
    run(ops, &tc.ch, &req, &o);

    if (o.status != atoi(status)) fail_msg("%s: status %d (%s), expected %s", file, o.status, o.err, status);
    if (expect_is(&fx, "verify", "ok") && o.verify_rc != PROV_OK) fail_msg("%s: verify failed: %s", file, o.err);
    const char *reason = fixture_expect(&fx, "reason");
    if (reason && !strstr(o.err, reason))
        fail_msg("%s: reason \"%s\", expected it to hold \"%s\"", file, o.err, reason);

    if (o.status == 200) {
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
        /* The answer the provider expects. */
        assert_int_equal(o.resp.status, 200);
        if (!strcmp(prov, "twilio")) {
            assert_string_equal(o.resp.content_type, "text/xml");
            assert_string_equal(gw_buf_cstr(&o.resp.body), TWIML_EMPTY);
        } else {
            char want[64];
            snprintf(want, sizeof want, "{\"ok\":true,\"stored\":%zu}", o.msgs.n);
            assert_string_equal(o.resp.content_type, "application/json");
            assert_string_equal(gw_buf_cstr(&o.resp.body), want);
        }
    } else {
        assert_int_equal(o.msgs.n, 0);
        assert_true(o.err[0] != '\0');
    }

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
    outcome_free(&o);
    fixture_free(&fx);
}

/* ---- Twilio's published vectors (providers.md §2.3, twilio-python) ---- */

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
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    static const char *const providers[] = {"generic", "twilio"};
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
            ft[k].name = name ? name - strlen(providers[p]) : files[p][i]; /* "twilio/01-....http" */
            ft[k].test_func = test_fixture;
            ft[k].initial_state = files[p][i];
            k++;
        }
    failed += _cmocka_run_group_tests("fixtures", ft, total, NULL, NULL);
    free(ft);
    for (int p = 0; p < 2; p++) fixture_list_free(files[p], nfiles[p]);
    return failed ? 1 : 0;
}
