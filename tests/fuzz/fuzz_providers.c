/* tests/fuzz/fuzz_providers.c - libFuzzer entry point for every provider's hooks on arbitrary requests.
 *
 * One input is one request to one channel, plus one send through it:
 *
 *   byte 0      provider: index into prov_registry (modulo its length)
 *   byte 1      bit 0: hook (0 SMS, 1 status); bit 1: method (0 POST, 1 GET);
 *               bits 2-3: Content-Type (0 form, 1 JSON, 2 none, 3 the `ct`
 *               field below, as given); bit 4: authenticate (the harness
 *               adds what verify wants: the channel's token in the query, a
 *               correct X-Signature / X-Twilio-Signature / Vonage sig);
 *               bits 5-7: channel variant (modulo the provider's count)
 *   byte 2      bits 0-1: msg_id buffer size for parse_send; bit 2: an empty
 *               send answer is passed as NULL; bits 3-5: the clock of
 *               build_send; bit 6: the message has a template code; bit 7:
 *               the message has no text (a template send)
 *   bytes 3-4   HTTP status for parse_send, little-endian int16 (0 = no answer)
 *   bytes 5-8   outbox id, little-endian int32
 *   bytes 9-12  request clock: FUZZ_NOW plus this little-endian int32
 *   byte 13     bit 0: build_send gets an empty nonce; bit 1: the hooks get
 *               no error buffer (err NULL, errlen 0)
 *   then NUL-terminated strings: url (public URL + path; "" for the
 *   default), query, X-Signature, X-Twilio-Signature, ct, to, text,
 *   tmpl_vars, vars_json; then the body: every remaining byte (NULs and
 *   invalid UTF-8 included). A short input reads as zeros and "".
 *
 * Every hook runs whatever verify said: providers must be safe on requests
 * nobody checked. Providers with USSD or voice hooks get the same request
 * there too. The body reaches the providers as the server hands it over
 * (a heap copy with a NUL after body_len), and as a send answer of exactly
 * len bytes with no NUL after it. Besides "no crash, no leak, no UB", it
 * asserts what the server and the sender rely on: return codes within
 * each hook's documented set; verify accepting every request the harness
 * authenticated as the provider would (Vonage's sig is computed here from
 * the spec), and a token check passing only with the channel's token;
 * every parsed message with a non-empty provider_id and from, a text, all
 * UTF-8 and within the providers' field caps, identifiers free of control
 * characters; every receipt with a raw_status and an id or a ref; answers
 * that are 200 with a content type; a built request with a URL,
 * well-formed header lines and no raw control bytes in its body;
 * parse_send's msg_id terminated inside its buffer.
 *
 * Build and run (from the repository root): `make fuzz FUZZ_SECONDS=120`
 * builds every tests/fuzz/fuzz_*.c with the library sources and runs each
 * on build-fuzz/<name>.corpus. By hand, with only what the providers need
 * (FUZZ_PROVIDERS_STANDALONE supplies the one config lookup they call, so
 * the rest of the gateway need not link):
 *
 *   clang -std=c11 -D_GNU_SOURCE -DFUZZ_PROVIDERS_STANDALONE -g -O1 \
 *       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *       tests/fuzz/fuzz_providers.c providers/[a-z]*.c core/*.c \
 *       $(pkg-config --cflags --libs jansson libcrypto) -o build-fuzz/fuzz_providers
 *   mkdir -p build-fuzz/fuzz_providers.corpus
 *   build-fuzz/fuzz_providers -max_len=4096 build-fuzz/fuzz_providers.corpus
 *
 * Seeds: when the first corpus directory on the command line is empty,
 * LLVMFuzzerInitialize fills it from the fixtures (tests/fixtures/<provider>/
 * *.http, or $FIXTURE_DIR), each request as written and, when it carries
 * no credentials, once more authenticated by the harness; plus a typical
 * send answer for each provider.
 * The channels below use the fixtures' secrets and tokens, so the signed
 * fixtures verify as they are. Set FUZZ_NO_SEEDS=1 to start from nothing.
 */
#include <assert.h>
#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "../../providers/crypto.h"
#include "../../providers/form.h"
#include "../../providers/provider.h"
#include "../../providers/twilio.h"

#define FUZZ_NOW        1767225600LL /* 2026-01-01T00:00:00Z, the fixtures' clock */
#define FUZZ_PUBLIC_URL "https://gw.example.com"
#define FUZZ_HEADER_LEN 14 /* fixed bytes before the strings */
#define FUZZ_NFIELDS    9  /* NUL-terminated strings before the body */

/* Caps the providers promise (their *_MAX constants, with room for what
 * they add: "+", a country code, "phone:time:hash" dedupe keys). */
#define CAP_ID    256
#define CAP_ADDR  128
#define CAP_TEXT  8192
#define CAP_WORD  512

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- channels --------------------------------------------------------------- */

#ifdef FUZZ_PROVIDERS_STANDALONE
/* The lookup of gateway/config.c, for builds without the config loader. */
const char *gw_channel_key(const struct gw_channel *ch, const char *key)
{
    for (size_t i = 0; i < ch->nkeys; i++)
        if (!strcmp(ch->keys[i].key, key)) return ch->keys[i].value;
    return NULL;
}
#endif

/* One channel per row; a provider's rows are its variants, in order. */
struct chan_def {
    const char *provider;
    const char *url;     /* send-API override, or NULL */
    const char *kv[14];  /* key, value, ..., NULL */
};

static const struct chan_def chan_defs[] = {
    {"generic", "https://hooks.example.org/send", {"secret", "demo-generic-secret", NULL}},
    {"generic", NULL, {"secret", "demo-generic-secret", NULL}},
    {"generic", "http://127.0.0.1:9/send", {"secret", "", NULL}},

    {"twilio", NULL,
     {"account_sid", "AC0123456789abcdef0123456789abcdef", "auth_token", "fake_auth_token_0123456789abcdef", "number",
      "+12025550100", NULL}},
    {"twilio", "http://127.0.0.1:9/",
     {"account_sid", "AC/../x y", "auth_token", "12345", "number", "+12025550100", NULL}},
    {"twilio", NULL, {"account_sid", "AC01", "number", "+12025550100", NULL}},

    {"africastalking", NULL,
     {"username", "sandbox", "api_key", "atsk_0123456789", "token", "demo-at-token", "number", "20880", NULL}},
    {"africastalking", "http://127.0.0.1:9//",
     {"username", "sandbox", "api_key", "atsk_0123456789", "token", "demo-at-token", NULL}},
    {"africastalking", NULL,
     {"username", "sandbox", "api_key", "bad\r\nX-Injected: 1", "token", "t", "number", "", NULL}},
    {"africastalking", NULL, {"username", "sandbox", NULL}},

    {"vonage", NULL, {"api_key", "abcd1234", "api_secret", "s3cr3t", "number", "+12025550101", NULL}},
    {"vonage", NULL,
     {"api_key", "abcd1234", "api_secret", "s3cr3t", "number", "12025550101", "signature_secret",
      "fake_signature_secret_01", NULL}},
    {"vonage", NULL,
     {"api_key", "abcd1234", "api_secret", "s3cr3t", "number", "12025550101", "signature_secret",
      "fake_signature_secret_01", "signature_method", "sha256", NULL}},
    {"vonage", "http://127.0.0.1:9",
     {"api_key", "abcd1234", "api_secret", "s3cr3t", "number", "12025550101", "signature_secret",
      "fake_signature_secret_01", "signature_method", "SHA512", NULL}},
    {"vonage", NULL,
     {"api_key", "abcd1234", "api_secret", "s3cr3t", "number", "12025550101", "signature_secret",
      "fake_signature_secret_01", "signature_method", "md5", NULL}},
    {"vonage", NULL,
     {"api_key", "abcd1234", "api_secret", "s3cr3t", "number", "12025550101", "signature_secret",
      "fake_signature_secret_01", "signature_method", "sha1", NULL}},
    {"vonage", NULL,
     {"api_key", "abcd1234", "api_secret", "s3cr3t", "number", "12025550101", "signature_secret",
      "fake_signature_secret_01", "signature_method", "bogus", NULL}},
    {"vonage", NULL,
     {"api_key", "abcd1234", "api_secret", "s3cr3t", "number", "VONAGE", "signature_secret", "", NULL}},
    {"vonage", NULL, {"api_key", "abcd1234", "signature_secret", "fake_signature_secret_01", NULL}},

    {"aliyun", NULL,
     {"access_key_id", "LTAI0123456789", "access_key_secret", "aliyun-secret", "sign_name", "儿童关爱", "token",
      "demo-aliyun-token", NULL}},
    {"aliyun", "http://127.0.0.1:9/",
     {"access_key_id", "LTAI0123456789", "access_key_secret", "aliyun-secret", "sign_name", "儿童关爱", "token",
      "demo-aliyun-token", NULL}},
    {"aliyun", NULL,
     {"access_key_id", "LTAI0123456789", "access_key_secret", "aliyun-secret", "sign_name", "", "token", "", NULL}},

    {"tencent", NULL,
     {"secret_id", "AKID0123456789", "secret_key", "tencent-secret", "sdk_app_id", "1400000000", "sign_name",
      "儿童关爱", "token", "demo-tencent-token", NULL}},
    {"tencent", "http://user:pw@127.0.0.1:8080/path?x#y",
     {"secret_id", "AKID0123456789", "secret_key", "tencent-secret", "sdk_app_id", "1400000000", "sign_name",
      "儿童关爱", "token", "demo-tencent-token", NULL}},
    {"tencent", "no-scheme",
     {"secret_id", "AKID0123456789", "secret_key", "tencent-secret", "sdk_app_id", "1400000000", "sign_name",
      "儿童关爱", "token", "demo-tencent-token", NULL}},
    {"tencent", NULL,
     {"secret_id", "AKID0123456789", "secret_key", "tencent-secret", "sdk_app_id", "1400000000", "sign_name",
      "\xff", "token", "", NULL}},
};
#define NCHAN (sizeof chan_defs / sizeof chan_defs[0])

/* Built once, never freed (reachable for the leak checker). */
static struct gw_channel channels[NCHAN];

static void channels_init(void)
{
    static int done;
    if (done) return;
    done = 1;
    for (size_t i = 0; i < NCHAN; i++) {
        const struct chan_def *d = &chan_defs[i];
        struct gw_channel *ch = &channels[i];
        char name[64];
        snprintf(name, sizeof name, "%s-%zu", d->provider, i);
        ch->name = gw_strdup(name);
        ch->provider = gw_strdup(d->provider);
        ch->ops = prov_find(d->provider);
        assert(ch->ops);
        ch->url = gw_strdup(d->url);
        ch->tps = 1;
        size_t n = 0;
        while (d->kv[2 * n]) n++;
        ch->keys = gw_calloc(n ? n : 1, sizeof *ch->keys);
        for (size_t k = 0; k < n; k++) {
            ch->keys[k].key = gw_strdup(d->kv[2 * k]);
            ch->keys[k].value = gw_strdup(d->kv[2 * k + 1]);
        }
        ch->nkeys = n;
    }
}

/* The variant-th channel of provider (modulo how many it has). */
static const struct gw_channel *channel_for(const char *provider, unsigned variant)
{
    size_t count = 0;
    for (size_t i = 0; i < NCHAN; i++) count += !strcmp(chan_defs[i].provider, provider);
    assert(count > 0);
    variant %= (unsigned)count;
    for (size_t i = 0; i < NCHAN; i++)
        if (!strcmp(chan_defs[i].provider, provider) && variant-- == 0) return &channels[i];
    return NULL;
}

/* ---- the input ---------------------------------------------------------------- */

struct input {
    unsigned provider, rflags, sflags, xflags;
    long http_status;
    long long outbox_id, now;
    const char *field[FUZZ_NFIELDS]; /* owned copies, NUL-terminated */
    char *body;                      /* owned; body[body_len] == '\0' */
    size_t body_len;
};
enum { F_URL, F_QUERY, F_XSIG, F_TWSIG, F_CT, F_TO, F_TEXT, F_TVARS, F_VARS };

static uint32_t le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void input_split(const uint8_t *data, size_t size, struct input *in)
{
    uint8_t h[FUZZ_HEADER_LEN] = {0};
    size_t hn = size < sizeof h ? size : sizeof h;
    if (hn) memcpy(h, data, hn);
    data += hn;
    size -= hn;
    in->provider = h[0];
    in->rflags = h[1];
    in->sflags = h[2];
    in->http_status = (int16_t)(h[3] | h[4] << 8);
    in->outbox_id = (int32_t)le32(h + 5);
    in->now = FUZZ_NOW + (int32_t)le32(h + 9);
    in->xflags = h[13];
    for (int i = 0; i < FUZZ_NFIELDS; i++) {
        const uint8_t *nul = size ? memchr(data, 0, size) : NULL;
        size_t n = nul ? (size_t)(nul - data) : size;
        in->field[i] = gw_strndup(size ? (const char *)data : "", n);
        data += n + (nul ? 1 : 0);
        size -= n + (nul ? 1 : 0);
    }
    in->body = gw_malloc(size + 1);
    if (size) memcpy(in->body, data, size);
    in->body[size] = '\0';
    in->body_len = size;
}

static void input_free(struct input *in)
{
    for (int i = 0; i < FUZZ_NFIELDS; i++) free((char *)in->field[i]);
    free(in->body);
}

/* ---- the request ---------------------------------------------------------- */

struct hdrs {
    const char *name[3];
    const char *value[3];
};

static const char *hdr_lookup(const struct prov_request *req, const char *name)
{
    const struct hdrs *h = req->impl;
    for (int i = 0; i < 3; i++)
        if (h->name[i] && h->value[i] && !strcasecmp(h->name[i], name)) return h->value[i];
    return NULL;
}

/* 1 when query decodes and its first `name` equals value (value NULL:
 * when it has no `name` at all). */
static int query_has(const char *query, const char *name, const char *value)
{
    struct form f = {0};
    if (form_parse(query, strlen(query), &f, NULL, 0) < 0) return 0;
    const char *got = form_get(&f, name);
    int ok = value ? got && !strcmp(got, value) : !got;
    form_free(&f);
    return ok;
}

/* Appends "&name=value" (no '&' when q is empty), value percent-encoded. */
static void query_add(struct gw_buf *q, const char *name, const char *value)
{
    if (q->len) gw_buf_putc(q, '&');
    gw_buf_puts(q, name);
    gw_buf_putc(q, '=');
    form_put_encoded(q, value, 1);
}

/* Vonage treats a POST body as JSON by Content-Type, or, without one, by a
 * leading '{': 1 JSON, 0 form, -1 neither. */
static int vonage_body_kind(const struct prov_request *req)
{
    const char *ct = req->content_type;
    if (ct && *ct) {
        if (form_media_type_is(ct, "application/json")) return 1;
        if (form_media_type_is(ct, "application/x-www-form-urlencoded")) return 0;
        return -1;
    }
    size_t i = strspn(req->body, " \t\r\n");
    return i < req->body_len && req->body[i] == '{';
}

static void form_push(struct form *f, const char *name, const char *value, size_t vlen)
{
    f->v = gw_realloc(f->v, (f->n + 1) * sizeof *f->v);
    struct form_param *p = &f->v[f->n++];
    p->name = gw_strdup(name);
    p->name_len = strlen(name);
    p->value = gw_strndup(value, vlen);
    p->value_len = vlen;
}

/* Vonage's `sig` (written here from the spec, not taken
 * from the provider) over query q and the body of req, for the channel's
 * signature_secret and method, appended to q; a `timestamp` of now first
 * when q has none. Leaves q as it is when the request cannot be signed (no
 * secret, an unknown method, an undecodable part). Returns 1 when the
 * request is one Vonage could have sent (now a plain unix time, every name
 * once, `timestamp` and `sig` ours alone, within the parameter cap), which
 * verify must then accept; 0 otherwise. */
static int vonage_sign(const struct gw_channel *ch, const struct prov_request *req, struct gw_buf *q)
{
    static const char *const methods[] = {"md5hash", "md5", "sha1", "sha256", "sha512"};
    const char *secret = gw_channel_key(ch, "signature_secret");
    const char *mname = gw_channel_key(ch, "signature_method");
    int method = -1, genuine = 0;
    if (!secret || !*secret) return 0;
    for (int i = 0; i < 5; i++)
        if (!mname || !*mname ? i == 0 : !strcasecmp(mname, methods[i])) method = i;
    if (method < 0) return 0;

    struct form f = {0}, body = {0};
    struct gw_buf base = {0}, tq = {0};
    json_t *root = NULL;
    gw_buf_append(&tq, q->p ? q->p : "", q->len);
    if (form_parse(gw_buf_cstr(&tq), tq.len, &f, NULL, 0) < 0) goto done;
    int own_timestamp = !form_find(&f, "timestamp");
    if (own_timestamp) {
        char ts[24];
        snprintf(ts, sizeof ts, "%lld", req->now);
        query_add(&tq, "timestamp", ts);
        form_push(&f, "timestamp", ts, strlen(ts));
    }
    if (strcmp(req->method, "GET") && req->body_len > 0) {
        int kind = vonage_body_kind(req);
        if (kind < 0) goto done;
        if (kind == 0) {
            if (form_parse(req->body, req->body_len, &body, NULL, 0) < 0) goto done;
            for (size_t i = 0; i < body.n; i++) form_push(&f, body.v[i].name, body.v[i].value, body.v[i].value_len);
        } else {
            root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
            if (!json_is_object(root) || json_object_size(root) > FORM_MAX_PARAMS) goto done;
            const char *k;
            json_t *v;
            json_object_foreach(root, k, v) {
                char num[32];
                if (json_is_string(v)) {
                    form_push(&f, k, json_string_value(v), json_string_length(v));
                } else if (json_is_integer(v)) {
                    snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                    form_push(&f, k, num, strlen(num));
                } else if (json_is_boolean(v)) {
                    form_push(&f, k, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5);
                } else if (!json_is_null(v)) {
                    goto done;
                }
            }
        }
    }
    form_sort(&f);
    genuine = own_timestamp && req->now >= 0 && f.n + 1 <= FORM_MAX_PARAMS;
    for (size_t i = 0; i < f.n; i++) {
        if (i > 0 && !strcmp(f.v[i].name, f.v[i - 1].name)) genuine = 0; /* sorted: repeats are adjacent */
        if (!strcmp(f.v[i].name, "sig")) {
            genuine = 0; /* the input's own sig would be read along with ours */
            continue;
        }
        gw_buf_putc(&base, '&');
        gw_buf_puts(&base, f.v[i].name);
        gw_buf_putc(&base, '=');
        for (size_t k = 0; k < f.v[i].value_len; k++)
            gw_buf_putc(&base, f.v[i].value[k] == '&' || f.v[i].value[k] == '=' ? '_' : f.v[i].value[k]);
    }
    unsigned char mac[PC_SHA512_LEN];
    size_t maclen;
    size_t slen = strlen(secret);
    const char *b = gw_buf_cstr(&base);
    int rc;
    switch (method) {
    case 0:
        gw_buf_puts(&base, secret);
        rc = pc_md5(base.p, base.len, mac), maclen = PC_MD5_LEN;
        break;
    case 1: rc = pc_hmac_md5(secret, slen, b, base.len, mac), maclen = PC_MD5_LEN; break;
    case 2: rc = pc_hmac_sha1(secret, slen, b, base.len, mac), maclen = PC_SHA1_LEN; break;
    case 3: rc = pc_hmac_sha256(secret, slen, b, base.len, mac), maclen = PC_SHA256_LEN; break;
    default: rc = pc_hmac_sha512(secret, slen, b, base.len, mac), maclen = PC_SHA512_LEN; break;
    }
    assert(rc == 0);
    char hex[2 * PC_SHA512_LEN + 1];
    gw_hex(mac, maclen, hex);
    query_add(&tq, "sig", hex);
    gw_buf_reset(q);
    gw_buf_append(q, tq.p, tq.len);
done:
    json_decref(root);
    gw_buf_free(&base);
    gw_buf_free(&tq);
    form_free(&body);
    form_free(&f);
    return genuine;
}

/* ---- invariants --------------------------------------------------------------- */

/* 1 when s[0..n) is UTF-8 (no overlongs, surrogates or code points above U+10FFFF). */
static int is_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i], need, cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            need = 1, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            need = 2, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            need = 3, cp = c & 0x07;
        else
            return 0;
        if (n - i <= need) return 0;
        for (unsigned k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        i += need + 1;
    }
    return 1;
}

enum { OPTIONAL, NON_NULL, NON_EMPTY };

/* A provider string: NUL-terminated UTF-8 of at most cap bytes; an
 * identifier also holds no control character. need: OPTIONAL (NULL
 * passes), NON_NULL ("" passes) or NON_EMPTY. */
static void check_str(const char *s, size_t cap, int ident, int need)
{
    if (!s) {
        assert(need == OPTIONAL);
        return;
    }
    size_t n = strnlen(s, cap + 1);
    assert(n <= cap);
    assert(need != NON_EMPTY || n > 0);
    assert(is_utf8((const unsigned char *)s, n));
    for (size_t i = 0; ident && i < n; i++) assert((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

static void check_msg(const struct gw_msg *m)
{
    check_str(m->provider_id, CAP_ID, 1, NON_EMPTY);
    check_str(m->from, CAP_ADDR, 1, NON_EMPTY);
    check_str(m->to, CAP_ADDR, 1, OPTIONAL);
    check_str(m->text, CAP_TEXT, 0, NON_NULL);
    check_str(m->concat_ref, CAP_ID, 1, OPTIONAL);
    if (m->concat_ref) assert(m->concat_total >= 2 && m->concat_part >= 1 && m->concat_part <= m->concat_total);
}

static void check_status(const struct prov_status *st)
{
    check_str(st->provider_msg_id, CAP_ID, 1, OPTIONAL);
    check_str(st->ref, CAP_ID, 1, OPTIONAL);
    assert((st->provider_msg_id && *st->provider_msg_id) || (st->ref && *st->ref));
    assert(st->status >= PROV_ST_UNKNOWN && st->status <= PROV_ST_FAILED);
    check_str(st->raw_status, CAP_WORD, 1, NON_NULL);
    check_str(st->error, CAP_WORD, 1, OPTIONAL);
    check_str(st->phone, CAP_ADDR, 1, OPTIONAL);
    assert(st->opted_out == 0 || st->opted_out == 1);
}

static void check_response(const struct prov_response *r)
{
    assert(r->status == 200);
    assert(r->content_type && *r->content_type);
    assert(!r->body.p || strlen(r->body.p) == r->body.len);
}

/* A built request: a URL, "Name: value\n" header lines with nothing to
 * split or inject, a body of printable bytes (every value encoded). */
static void check_http(const struct prov_http *h)
{
    assert(h->url && *h->url);
    assert(!strpbrk(h->url, "\r\n"));
    assert(h->method && !strcmp(h->method, "POST"));
    assert(h->body.p && strlen(h->body.p) == h->body.len);
    for (size_t i = 0; i < h->body.len; i++) assert((unsigned char)h->body.p[i] >= 0x20);
    const char *p = gw_buf_cstr(&h->headers);
    assert(strlen(p) == h->headers.len);
    while (*p) {
        const char *nl = strchr(p, '\n');
        assert(nl);
        const char *colon = memchr(p, ':', (size_t)(nl - p));
        assert(colon && colon > p && colon[1] == ' ');
        for (const char *c = p; c < nl; c++) assert(*c != '\r');
        p = nl + 1;
    }
    assert(!h->userpwd || (strchr(h->userpwd, ':') && !strpbrk(h->userpwd, "\r\n")));
}

static void check_err(const char *err, size_t errlen)
{
    if (err) assert(memchr(err, '\0', errlen));
}

/* ---- one input -------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const ctypes[] = {"application/x-www-form-urlencoded", "application/json; charset=utf-8",
                                         NULL, NULL};
    static const size_t idlens[] = {160, 17, 1, 65};
    static const long long clocks[] = {FUZZ_NOW, 0, -1, LLONG_MAX, LLONG_MIN, 253402300800LL /* year 10000 */,
                                       67768036191676799LL /* gmtime's last second */, 67768036191676800LL};
    size_t nprov = 0;
    while (prov_registry[nprov]) nprov++;
    channels_init();

    struct input in;
    input_split(data, size, &in);
    const struct provider_ops *ops = prov_registry[in.provider % nprov];
    const struct gw_channel *ch = channel_for(ops->name, in.rflags >> 5);
    int status_hook = in.rflags & 1;
    int authenticate = in.rflags & 16;
    char errbuf[160];
    char *err = in.xflags & 2 ? NULL : errbuf;
    const size_t errlen = err ? sizeof errbuf : 0;

    if (ops->check_config) {
        if (err) err[0] = '\0';
        int rc = ops->check_config(ch, err, errlen);
        assert(rc == 0 || rc == -1);
        check_err(err, errlen);
    }

    /* The request, as the server would hand it over. */
    struct prov_request req = {0};
    struct hdrs hdrs = {{"X-Signature", "X-Twilio-Signature", "Content-Type"}, {NULL, NULL, NULL}};
    struct gw_buf query = {0}, url = {0};
    int genuine = 0; /* the harness authenticated a request verify must accept */
    char sig[2 * PC_SHA256_LEN + 1], twsig[PROV_TWILIO_SIG_LEN + 1];
    req.method = in.rflags & 2 ? "GET" : "POST";
    req.content_type = (in.rflags >> 2 & 3) == 3 ? in.field[F_CT] : ctypes[in.rflags >> 2 & 3];
    req.body = in.body;
    req.body_len = in.body_len;
    req.header = hdr_lookup;
    req.impl = &hdrs;
    req.now = in.now;
    hdrs.value[0] = *in.field[F_XSIG] ? in.field[F_XSIG] : NULL;
    hdrs.value[1] = *in.field[F_TWSIG] ? in.field[F_TWSIG] : NULL;
    hdrs.value[2] = req.content_type;
    gw_buf_puts(&query, in.field[F_QUERY]);
    int twilio_form = !req.content_type || !*req.content_type ||
                      form_media_type_is(req.content_type, "application/x-www-form-urlencoded");
    if (authenticate) {
        const char *token = gw_channel_key(ch, "token");
        if (token) { /* Africa's Talking, Aliyun, Tencent: ?token= first */
            struct gw_buf t = {0};
            query_add(&t, "token", token);
            if (query.len) gw_buf_putc(&t, '&');
            gw_buf_append(&t, query.p ? query.p : "", query.len);
            gw_buf_free(&query);
            query = t;
            genuine = *token && query_has(gw_buf_cstr(&query), "token", token);
        } else if (!strcmp(ops->name, "twilio") && !(in.rflags & 2) && !twilio_form) {
            unsigned char d[PC_SHA256_LEN];
            char hex[2 * PC_SHA256_LEN + 1];
            assert(pc_sha256(in.body, in.body_len, d) == 0);
            gw_hex(d, sizeof d, hex);
            genuine = query_has(gw_buf_cstr(&query), "bodySHA256", NULL);
            query_add(&query, "bodySHA256", hex);
            genuine = genuine && query_has(gw_buf_cstr(&query), "bodySHA256", hex);
        } else if (!strcmp(ops->name, "vonage")) {
            genuine = vonage_sign(ch, &req, &query);
        }
    }
    req.query = gw_buf_cstr(&query);
    if (*in.field[F_URL]) {
        gw_buf_puts(&url, in.field[F_URL]);
    } else {
        gw_buf_printf(&url, "%s/hooks/%s/%s", FUZZ_PUBLIC_URL, ch->name, status_hook ? "status" : "sms");
    }
    if (query.len) {
        gw_buf_putc(&url, '?');
        gw_buf_append(&url, query.p, query.len);
    }
    req.url = gw_buf_cstr(&url);
    if (authenticate && !strcmp(ops->name, "generic")) {
        const char *secret = gw_channel_key(ch, "secret");
        unsigned char mac[PC_SHA256_LEN];
        assert(pc_hmac_sha256(secret, strlen(secret), in.body, in.body_len, mac) == 0);
        gw_hex(mac, sizeof mac, sig);
        hdrs.value[0] = sig;
        genuine = *secret != '\0';
    }
    const char *auth_token = gw_channel_key(ch, "auth_token");
    if (authenticate && !strcmp(ops->name, "twilio")) {
        struct form params = {0};
        int is_get = in.rflags & 2;
        if (auth_token && (is_get || !twilio_form || form_parse(in.body, in.body_len, &params, NULL, 0) == 0)) {
            assert(prov_twilio_signature(auth_token, req.url, !is_get && twilio_form ? &params : NULL, twsig) == 0);
            hdrs.value[1] = twsig;
            genuine = *auth_token && (is_get || twilio_form || genuine);
        } else {
            genuine = 0;
        }
        form_free(&params);
    }

    /* verify, then the hook whatever verify said. */
    if (err) err[0] = '\0';
    int v = ops->verify ? ops->verify(ch, &req, err, errlen) : PROV_OK;
    assert(v == PROV_OK || v == PROV_EFORBIDDEN || v == PROV_EBADREQ);
    check_err(err, errlen);
    /* A genuine request passes; a token check passes only with the token. */
    assert(!authenticate || !genuine || v == PROV_OK);
    if (v == PROV_OK && gw_channel_key(ch, "token")) assert(query_has(req.query, "token", gw_channel_key(ch, "token")));

    struct prov_response resp = {0};
    if (!status_hook && ops->parse_sms) {
        struct gw_msgv msgs = {0};
        if (err) err[0] = '\0';
        int rc = ops->parse_sms(ch, &req, &msgs, err, errlen);
        assert(rc == PROV_OK || rc == PROV_IGNORED || rc == PROV_EBADREQ);
        check_err(err, errlen);
        assert(rc != PROV_OK || msgs.n > 0);
        assert(rc != PROV_IGNORED || msgs.n == 0);
        for (size_t i = 0; i < msgs.n; i++) check_msg(&msgs.v[i]);
        if (rc != PROV_EBADREQ && ops->render_sms_ack) {
            ops->render_sms_ack(ch, &msgs, &resp);
            check_response(&resp);
        }
        gw_msgv_free(&msgs);
    } else if (status_hook && ops->parse_status) {
        struct prov_statusv sv = {0};
        if (err) err[0] = '\0';
        int rc = ops->parse_status(ch, &req, &sv, err, errlen);
        assert(rc == PROV_OK || rc == PROV_IGNORED || rc == PROV_EBADREQ || rc == PROV_EFORBIDDEN);
        check_err(err, errlen);
        assert(rc != PROV_OK || sv.n > 0);
        assert(rc != PROV_IGNORED || sv.n == 0);
        for (size_t i = 0; i < sv.n; i++) check_status(&sv.v[i]);
        if ((rc == PROV_OK || rc == PROV_IGNORED) && ops->render_status_ack) {
            ops->render_status_ack(ch, &resp);
            check_response(&resp);
        }
        prov_statusv_free(&sv);
    }
    gw_buf_free(&resp.body);

    /* USSD and voice webhooks, where the provider has them: the same request. */
    if (ops->parse_ussd) {
        struct prov_ussd u = {0};
        if (err) err[0] = '\0';
        int rc = ops->parse_ussd(ch, &req, &u, err, errlen);
        assert(rc == PROV_OK || rc == PROV_EBADREQ);
        check_err(err, errlen);
        if (rc == PROV_OK) {
            check_str(u.session_id, CAP_ID, 1, NON_EMPTY);
            check_str(u.phone, CAP_ADDR, 1, OPTIONAL);
            check_str(u.service_code, CAP_ADDR, 1, OPTIONAL);
            check_str(u.text, CAP_TEXT, 0, NON_NULL);
        }
        if (ops->render_ussd) {
            struct prov_response ur = {0};
            ops->render_ussd(ch, in.sflags & 1, in.field[F_TEXT], &ur);
            assert(ur.content_type && (!ur.body.p || strlen(ur.body.p) == ur.body.len));
            gw_buf_free(&ur.body);
        }
        prov_ussd_clear(&u);
    }
    if (ops->parse_voice) {
        struct prov_voice pv = {0};
        if (err) err[0] = '\0';
        int rc = ops->parse_voice(ch, &req, &pv, err, errlen);
        assert(rc == PROV_OK || rc == PROV_EBADREQ);
        check_err(err, errlen);
        if (rc == PROV_OK) {
            check_str(pv.call_id, CAP_ID, 1, NON_EMPTY);
            check_str(pv.from, CAP_ADDR, 1, OPTIONAL);
            check_str(pv.to, CAP_ADDR, 1, OPTIONAL);
            check_str(pv.digits, CAP_ADDR, 1, OPTIONAL);
            check_str(pv.recording_url, CAP_TEXT, 1, OPTIONAL);
            check_str(pv.call_status, CAP_WORD, 1, OPTIONAL);
            assert(pv.final == 0 || pv.final == 1);
        }
        prov_voice_clear(&pv);
    }

    /* One send: the message from the input, the body as the API's answer. */
    if (ops->build_send) {
        char status_url[160];
        snprintf(status_url, sizeof status_url, "%s/hooks/%s/status?ref=%lld", FUZZ_PUBLIC_URL, ch->name,
                 in.outbox_id);
        struct prov_outbound m = {
            .outbox_id = in.outbox_id,
            .to = in.field[F_TO],
            .text = in.sflags & 128 ? NULL : in.field[F_TEXT],
            .tmpl = "visit_reminder",
            .tmpl_code = in.sflags & 64 ? "SMS_123456789" : NULL,
            .tmpl_vars = in.field[F_TVARS],
            .vars_json = in.field[F_VARS],
            .status_url = status_url,
            .now = clocks[in.sflags >> 3 & 7],
            .nonce = in.xflags & 1 ? "" : "0123456789abcdef0123456789abcdef",
        };
        struct prov_http h = {0};
        if (err) err[0] = '\0';
        int rc = ops->build_send(ch, &m, &h, err, errlen);
        assert(rc == PROV_OK || rc == PROV_EBADREQ);
        check_err(err, errlen);
        if (rc == PROV_OK) check_http(&h);
        prov_http_free(&h);
    }
    if (ops->parse_send) {
        size_t idlen = idlens[in.sflags & 3];
        char *msg_id = gw_malloc(idlen);
        memset(msg_id, 'x', idlen);
        char *answer = in.body_len ? gw_malloc(in.body_len) : NULL; /* exactly len bytes, no NUL after */
        if (in.body_len) memcpy(answer, in.body, in.body_len);
        const char *body = answer ? answer : in.sflags & 4 ? NULL : "";
        int opted_out = -1;
        if (err) err[0] = '\0';
        int rc = ops->parse_send(ch, in.http_status, body, in.body_len, msg_id, idlen, &opted_out, err, errlen);
        assert(rc == PROV_SEND_OK || rc == PROV_SEND_RETRY || rc == PROV_SEND_FAIL);
        assert(opted_out == 0 || opted_out == 1);
        assert(!opted_out || rc == PROV_SEND_FAIL);
        assert(in.http_status != 0 || rc == PROV_SEND_RETRY);
        assert(memchr(msg_id, '\0', idlen));
        if (rc == PROV_SEND_OK) check_str(msg_id, idlen - 1, 1, NON_NULL);
        check_err(err, errlen);
        free(answer);
        free(msg_id);
    }

    gw_buf_free(&url);
    gw_buf_free(&query);
    input_free(&in);
    return 0;
}

/* ---- seeds from the fixtures ---------------------------------------------------- */

/* Encodes one input (see the file header) into out. */
static void seed_encode(struct gw_buf *out, unsigned provider, unsigned rflags, unsigned sflags, int http_status,
                        long long now, const char *const field[FUZZ_NFIELDS], const char *body, size_t body_len)
{
    uint8_t h[FUZZ_HEADER_LEN] = {0};
    int32_t dn = (int32_t)(now - FUZZ_NOW);
    uint32_t udn = (uint32_t)dn;
    h[0] = (uint8_t)provider;
    h[1] = (uint8_t)rflags;
    h[2] = (uint8_t)sflags;
    h[3] = (uint8_t)(http_status & 0xff);
    h[4] = (uint8_t)((unsigned)http_status >> 8 & 0xff);
    h[5] = 0xe9, h[6] = 0x03; /* outbox id 1001 */
    for (int i = 0; i < 4; i++) h[9 + i] = (uint8_t)(udn >> (8 * i));
    gw_buf_reset(out);
    gw_buf_append(out, h, sizeof h);
    for (int i = 0; i < FUZZ_NFIELDS; i++) {
        const char *f = field[i] ? field[i] : "";
        gw_buf_append(out, f, strlen(f) + 1);
    }
    gw_buf_append(out, body, body_len);
}

static void seed_write(const char *dir, const char *name, const struct gw_buf *b)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/seed-%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(b->p, 1, b->len, f);
    fclose(f);
}

/* Reads one fixture (format in tests/common/fixture.h) and writes it as two
 * seeds: as written, and authenticated by the harness. */
static void seed_fixture(const char *dir, unsigned provider, const char *path, const char *fname)
{
    FILE *f = fopen(path, "rb");
    if (!f) return;
    static char buf[256 * 1024];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';

    char *p = buf, *end = buf + len;
    int status_kind = 0, keep_nl = 0, variant = 0;
    long long now = FUZZ_NOW;
    const char *secret = NULL;
    char method_name[16] = "", ct[256] = "", xsig[256] = "", twsig[256] = "", url[1024] = "";
    const char *public_url = FUZZ_PUBLIC_URL;
    char public_buf[256];
    const char *query = "";
    /* expectations */
    while (p < end && (*p == '#' || *p == '\n' || *p == '\r')) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) return;
        *nl = '\0';
        if (nl > p && nl[-1] == '\r') nl[-1] = '\0';
        if (!strcmp(p, "# kind: status")) status_kind = 1;
        if (!strcmp(p, "# body-trailing-newline: yes")) keep_nl = 1;
        if (!strncmp(p, "# now: ", 7)) now = strtoll(p + 7, NULL, 10);
        if (!strncmp(p, "# signature_secret: ", 20)) secret = p + 20;
        if (!strncmp(p, "# signature_method: ", 20)) {
            static const char *const m[] = {"md5hash", "sha256", "sha512", "md5", "sha1"};
            for (int i = 0; i < 5; i++)
                if (!strcasecmp(p + 20, m[i])) variant = 1 + i;
        }
        if (!strncmp(p, "# public_url: ", 14)) {
            snprintf(public_buf, sizeof public_buf, "%s", p + 14);
            public_url = public_buf;
        }
        if (!strcmp(p, "# auth_token: 12345")) variant = 1;
        p = nl + 1;
    }
    if (!strcmp(prov_registry[provider]->name, "vonage")) variant = secret ? (variant ? variant : 1) : 0;
    /* request line */
    char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) return;
    *nl = '\0';
    if (nl > p && nl[-1] == '\r') nl[-1] = '\0';
    char *sp1 = strchr(p, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2) return;
    *sp1 = *sp2 = '\0';
    snprintf(method_name, sizeof method_name, "%s", p);
    char *target = sp1 + 1, *q = strchr(target, '?');
    if (q) *q = '\0', query = q + 1;
    snprintf(url, sizeof url, "%s%s", public_url, target);
    p = nl + 1;
    /* headers */
    for (;;) {
        nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl ? nl : end;
        if (eol > p && eol[-1] == '\r') eol--;
        if (eol == p) {
            p = nl ? nl + 1 : end;
            break;
        }
        *eol = '\0';
        char *colon = strchr(p, ':');
        if (colon) {
            *colon = '\0';
            const char *v = colon + 1 + strspn(colon + 1, " \t");
            if (!strcasecmp(p, "Content-Type")) snprintf(ct, sizeof ct, "%s", v);
            if (!strcasecmp(p, "X-Signature")) snprintf(xsig, sizeof xsig, "%s", v);
            if (!strcasecmp(p, "X-Twilio-Signature")) snprintf(twsig, sizeof twsig, "%s", v);
        }
        if (!nl) return;
        p = nl + 1;
    }
    size_t body_len = (size_t)(end - p);
    if (!keep_nl && body_len && p[body_len - 1] == '\n') body_len -= 1 + (body_len > 1 && p[body_len - 2] == '\r');

    unsigned rflags = (unsigned)status_kind | (!strcmp(method_name, "GET") ? 2u : 0u) | (ct[0] ? 3u : 2u) << 2 |
                      (unsigned)variant << 5;
    const char *field[FUZZ_NFIELDS] = {url,   query,  xsig, twsig, ct, "+8613800000011",
                                       "hello", "name", "{\"name\":\"x\"}"};
    struct gw_buf b = {0};
    char name[512];
    seed_encode(&b, provider, rflags, 0x40, 200, now, field, p, body_len);
    snprintf(name, sizeof name, "%s-%s", prov_registry[provider]->name, fname);
    seed_write(dir, name, &b);
    if (!strstr(query, "token=") && !xsig[0] && !twsig[0] && !strstr(query, "sig=")) {
        seed_encode(&b, provider, rflags | 16, 0x40, 200, now, field, p, body_len);
        snprintf(name, sizeof name, "%s-%s-auth", prov_registry[provider]->name, fname);
        seed_write(dir, name, &b);
    }
    gw_buf_free(&b);
}

/* A typical send answer per provider, with a message to build. */
static void seed_answers(const char *dir)
{
    static const struct {
        const char *provider;
        int status;
        const char *body;
    } answers[] = {
        {"generic", 200, "{\"id\":\"gen-42\"}"},
        {"twilio", 201, "{\"sid\":\"SM0123456789abcdef0123456789abcdef\",\"status\":\"queued\"}"},
        {"twilio", 400, "{\"code\":21610,\"message\":\"unsubscribed\"}"},
        {"africastalking", 201,
         "{\"SMSMessageData\":{\"Message\":\"Sent to 1/1\",\"Recipients\":[{\"statusCode\":101,\"number\":"
         "\"+254711000000\",\"status\":\"Success\",\"cost\":\"KES 0.8\",\"messageId\":\"ATXid_1\"}]}}"},
        {"vonage", 200,
         "{\"message-count\":\"1\",\"messages\":[{\"to\":\"8613800000011\",\"message-id\":\"0A0000000123ABCD\","
         "\"status\":\"0\",\"remaining-balance\":\"3.14\",\"message-price\":\"0.03\",\"network\":\"46000\"}]}"},
        {"aliyun", 200, "{\"Code\":\"OK\",\"Message\":\"OK\",\"BizId\":\"900619746936498440^0\",\"RequestId\":\"x\"}"},
        {"tencent", 200,
         "{\"Response\":{\"SendStatusSet\":[{\"SerialNo\":\"2645:1\",\"PhoneNumber\":\"+8613800000011\",\"Fee\":1,"
         "\"SessionContext\":\"1001\",\"Code\":\"Ok\",\"Message\":\"send success\",\"IsoCode\":\"CN\"}],"
         "\"RequestId\":\"a0aabda6\"}}"},
    };
    struct gw_buf b = {0};
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
        unsigned provider = 0;
        while (prov_registry[provider] && strcmp(prov_registry[provider]->name, answers[i].provider)) provider++;
        if (!prov_registry[provider]) continue;
        const char *field[FUZZ_NFIELDS] = {"", "", "", "", "", "+8613800000011", "家访 提醒 hello", "name, day",
                                           "{\"name\":\"小明\",\"day\":\"2026-01-02\"}"};
        char name[128];
        seed_encode(&b, provider, 2u << 2, 0x40, answers[i].status, FUZZ_NOW, field, answers[i].body,
                    strlen(answers[i].body));
        snprintf(name, sizeof name, "answer-%s-%zu", answers[i].provider, i);
        seed_write(dir, name, &b);
    }
    gw_buf_free(&b);
}

static int dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return 0;
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
    closedir(d);
    return empty;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *corpus = NULL;
    for (int i = 1; i < *argc && !corpus; i++)
        if ((*argv)[i][0] != '-') corpus = (*argv)[i];
    if (!corpus || getenv("FUZZ_NO_SEEDS") || !dir_is_empty(corpus)) return 0;
    const char *root = getenv("FIXTURE_DIR") ? getenv("FIXTURE_DIR") : "tests/fixtures";
    for (unsigned p = 0; prov_registry[p]; p++) {
        char dpath[512];
        snprintf(dpath, sizeof dpath, "%s/%s", root, prov_registry[p]->name);
        DIR *d = opendir(dpath);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            size_t n = strlen(e->d_name);
            if (n < 6 || strcmp(e->d_name + n - 5, ".http")) continue;
            char fpath[1024];
            snprintf(fpath, sizeof fpath, "%s/%s", dpath, e->d_name);
            seed_fixture(corpus, p, fpath, e->d_name);
        }
        closedir(d);
    }
    seed_answers(corpus);
    return 0;
}
