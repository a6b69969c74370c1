/* providers/vonage.c - Vonage (Nexmo) SMS API: `sig` signatures, inbound parts, receipts, /sms/json.
 *
 * Vonage calls us with the same field names in
 * three transports, chosen in its dashboard: GET with a query string, POST
 * with a form body, POST with a JSON object. All three are read into one
 * decoded parameter list (collect), which is both the signature input and
 * what the hooks read, so the signed values are exactly the used values.
 * The query of a POST is part of that list: it carries our own ?ref=<outbox
 * id> on status callbacks.
 *
 * Signature (§4.2): every parameter except `sig`, each value with '&' and
 * '=' replaced by '_', sorted by name, joined as "&k1=v1&k2=v2";
 * md5hash = hex(MD5(base + secret)), otherwise hex(HMAC-<alg>(secret,
 * base)); compared in constant time, either case. Whether Vonage counts
 * our ?ref= (a parameter of the URL we handed it) is not documented, so a
 * base with it and one without it are both accepted; the hooks then prefer
 * the signed client-ref over ref. A signed request must carry `timestamp`
 * within VONAGE_SKEW seconds of req->now (replay window; Vonage documents
 * no value). A channel without `signature_secret` accepts unsigned
 * requests: signing is an account setting at Vonage that an operator may
 * not have enabled, and config allows the key to be absent. A request that
 * carries nothing a hook could act on (no msisdn, to, messageId, text,
 * status, client-ref, ref, err-code: Vonage's URL check) passes verify
 * unsigned and is acknowledged and ignored by both hooks.
 *
 * Inbound: msisdn (digits, sender) becomes "+"msisdn; messageId is the
 * dedupe id; type binary (and unknown types) is acknowledged and ignored;
 * a part of a concatenated message keeps concat-ref/-total/-part for the
 * store to reassemble. keyword and message-timestamp are not used (the
 * gateway's receipt time is authoritative). Answer: 200, empty body.
 *
 * Receipts (§4.3): delivered is DELIVERED; accepted and buffered are SENT;
 * failed, expired and rejected are FAILED; anything else is UNKNOWN and
 * still acknowledged. err-code other than "0" is the error.
 *
 * Sending (§4.4): POST {base}/sms/json, form api_key, api_secret, from,
 * to, text, type (unicode when a character is outside GSM-7 basic +
 * extension), status-report-req=1, callback, client-ref (our outbox id).
 * The answer's messages[0].status decides: 0 with a message-id is sent
 * (without a usable one it fails: a retry would send it twice), 1 and 5
 * are retried, 7 (barred) is an opt-out, others fail; "Throughput Rate
 * Exceeded" is retried at any status; a 2xx without a readable status is
 * an unreadable answer and is retried (prov_classify).
 *
 * Pure translation: no I/O, no state, any thread.
 */
#include "../core/utf8.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "crypto.h"
#include "form.h"
#include "provider.h"

#define VONAGE_SKEW       300  /* seconds a signed request's timestamp may differ from now */
#define VONAGE_ID_MAX     64   /* bytes in messageId (16 hex today) */
#define VONAGE_ADDR_MAX   32   /* bytes in msisdn / to (digits or an alphanumeric sender) */
#define VONAGE_TEXT_MAX   8192 /* bytes in text: one part is at most 160 characters */
#define VONAGE_REF_MAX    100  /* bytes in client-ref (Vonage caps it at 100) / our ?ref= / concat-ref */
#define VONAGE_STATUS_MAX 32   /* bytes in status */
#define VONAGE_ERROR_MAX  16   /* bytes in err-code */
#define VONAGE_PARTS_MAX  16   /* concat-total accepted */
#define VONAGE_TS_MAX     20   /* bytes in timestamp (a unix time) */

static const char vonage_api[] = "https://rest.nexmo.com";

static const char *const required_keys[] = {"api_key", "api_secret", "number", NULL};
static const char *const optional_keys[] = {"signature_secret", "signature_method", NULL};

/* ---- reading a request ------------------------------------------------------ */

static int is_get(const struct prov_request *req) { return req->method && !strcmp(req->method, "GET"); }

/* Appends an owned copy of (name, value) to f. */
static void add_param(struct form *f, const char *name, const char *value, size_t value_len)
{
    f->v = gw_realloc(f->v, (f->n + 1) * sizeof *f->v);
    struct form_param *p = &f->v[f->n++];
    p->name_len = strlen(name);
    p->name = gw_strndup(name, p->name_len);
    p->value_len = value_len;
    p->value = gw_strndup(value, value_len);
}

/* Moves every pair of src to the end of dst; src becomes empty. */
static void move_params(struct form *dst, struct form *src)
{
    if (src->n) {
        dst->v = gw_realloc(dst->v, (dst->n + src->n) * sizeof *dst->v);
        memcpy(dst->v + dst->n, src->v, src->n * sizeof *src->v);
        dst->n += src->n;
    }
    free(src->v);
    src->v = NULL;
    src->n = 0;
}

/* The members of a JSON object as parameters: strings as they are,
 * integers in decimal, booleans as "true"/"false"; a null member is
 * absent. Vonage documents string values only; any other type (a real,
 * an object, an array) is refused rather than given a spelling it may not
 * have signed. Returns 0, or -1 with err. */
static int json_params(const char *body, size_t len, struct form *out, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    int rc = -1;
    if (!root) {
        gw_err(err, errlen, "bad JSON at byte %d", jerr.position);
        goto done;
    }
    if (!json_is_object(root)) {
        gw_err(err, errlen, "JSON body is not an object");
        goto done;
    }
    if (json_object_size(root) > FORM_MAX_PARAMS) {
        gw_err(err, errlen, "more than %d JSON members", FORM_MAX_PARAMS);
        goto done;
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        char num[32];
        if (json_is_string(v)) {
            add_param(out, key, json_string_value(v), json_string_length(v));
        } else if (json_is_integer(v)) {
            snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
            add_param(out, key, num, strlen(num));
        } else if (json_is_boolean(v)) {
            add_param(out, key, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5);
        } else if (!json_is_null(v)) {
            gw_err(err, errlen, "field is not a string: %.64s", key);
            goto done;
        }
    }
    rc = 0;
done:
    if (rc < 0) form_free(out);
    json_decref(root);
    return rc;
}

/* 1 when a POST body is JSON, 0 when it is form data, -1 (err) otherwise.
 * Without a Content-Type, a body starting with '{' is JSON. */
static int body_is_json(const struct prov_request *req, char *err, size_t errlen)
{
    const char *ct = req->content_type;
    if (ct && *ct) {
        if (form_media_type_is(ct, "application/json")) return 1;
        if (form_media_type_is(ct, "application/x-www-form-urlencoded")) return 0;
        gw_err(err, errlen, "unsupported content type");
        return -1;
    }
    size_t i = 0;
    while (i < req->body_len &&
           (req->body[i] == ' ' || req->body[i] == '\t' || req->body[i] == '\r' || req->body[i] == '\n'))
        i++;
    return i < req->body_len && req->body[i] == '{';
}

/* Reads every parameter of req into *out (overwritten): the query, and for
 * anything but GET the body as form data or JSON. A name given twice is
 * refused: Vonage never repeats one, and a repeat would let the value the
 * hooks read differ from one a signature was meant to cover. Returns 0,
 * or -1 with err (then *out is empty). The caller frees *out. */
static int collect(const struct prov_request *req, struct form *out, char *err, size_t errlen)
{
    struct form body = {0};
    const char *q = req->query ? req->query : "";
    if (form_parse(q, strlen(q), out, err, errlen) < 0) return -1;
    if (!is_get(req) && req->body_len > 0) {
        int json = body_is_json(req, err, errlen);
        if (json < 0) goto fail;
        if (json ? json_params(req->body, req->body_len, &body, err, errlen) < 0
                 : form_parse(req->body, req->body_len, &body, err, errlen) < 0)
            goto fail;
        move_params(out, &body);
    }
    if (out->n > FORM_MAX_PARAMS) {
        gw_err(err, errlen, "more than %d parameters", FORM_MAX_PARAMS);
        goto fail;
    }
    for (size_t i = 1; i < out->n; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(out->v[i].name, out->v[j].name)) {
                gw_err(err, errlen, "repeated parameter: %.64s", out->v[i].name);
                goto fail;
            }
    return 0;
fail:
    form_free(&body);
    form_free(out);
    return -1;
}

/* A value, or NULL when absent or empty. */
static const char *get(const struct form *f, const char *name)
{
    const char *v = form_get(f, name);
    return v && *v ? v : NULL;
}

/* Vonage's URL check: nothing a hook could act on. */
static int is_ping(const struct form *f)
{
    static const char *const meaningful[] = {"msisdn", "to",         "messageId", "text",
                                             "status", "client-ref", "ref",       "err-code"};
    for (size_t i = 0; i < sizeof meaningful / sizeof meaningful[0]; i++)
        if (form_find(f, meaningful[i])) return 0;
    return 1;
}

/* ---- signature ----------------------------------------------------------- */

enum sig_method { SIG_MD5HASH, SIG_MD5, SIG_SHA1, SIG_SHA256, SIG_SHA512 };

/* The channel's signature_method: absent or empty is md5hash (Vonage's
 * default). Returns -1 for a name we do not know. */
static int sig_method(const char *name)
{
    static const char *const names[] = {"md5hash", "md5", "sha1", "sha256", "sha512"};
    if (!name || !*name) return SIG_MD5HASH;
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (!strcasecmp(name, names[i])) return i;
    return -1;
}

static int check_config(const struct gw_channel *ch, char *err, size_t errlen)
{
    const char *m = gw_channel_key(ch, "signature_method");
    if (sig_method(m) < 0) {
        gw_err(err, errlen, "signature_method = %s: expected md5hash, md5, sha1, sha256 or sha512", m);
        return -1;
    }
    return 0;
}

/* Computes the lower-case hex signature of the sorted pairs of f (f must
 * be sorted; `sig`, and `ref` when skip_ref, are left out) into hex (129
 * bytes). Returns 0, or -1 when libcrypto fails. */
static int signature(const struct form *f, int skip_ref, const char *secret, int method, char hex[129])
{
    struct gw_buf base = {0};
    unsigned char mac[PC_SHA512_LEN];
    size_t maclen = 0;
    int rc = -1;

    for (size_t i = 0; i < f->n; i++) {
        const struct form_param *p = &f->v[i];
        if (!strcmp(p->name, "sig") || (skip_ref && !strcmp(p->name, "ref"))) continue;
        gw_buf_putc(&base, '&');
        gw_buf_append(&base, p->name, p->name_len);
        gw_buf_putc(&base, '=');
        for (size_t k = 0; k < p->value_len; k++) {
            char c = p->value[k];
            gw_buf_putc(&base, c == '&' || c == '=' ? '_' : c);
        }
    }
    size_t slen = strlen(secret);
    switch (method) {
    case SIG_MD5HASH:
        gw_buf_append(&base, secret, slen);
        rc = pc_md5(base.p, base.len, mac);
        maclen = PC_MD5_LEN;
        break;
    case SIG_MD5:
        rc = pc_hmac_md5(secret, slen, base.p, base.len, mac);
        maclen = PC_MD5_LEN;
        break;
    case SIG_SHA1:
        rc = pc_hmac_sha1(secret, slen, base.p, base.len, mac);
        maclen = PC_SHA1_LEN;
        break;
    case SIG_SHA256:
        rc = pc_hmac_sha256(secret, slen, base.p, base.len, mac);
        maclen = PC_SHA256_LEN;
        break;
    default:
        rc = pc_hmac_sha512(secret, slen, base.p, base.len, mac);
        maclen = PC_SHA512_LEN;
        break;
    }
    if (rc == 0)
        gw_hex(mac, maclen, hex);
    else
        hex[0] = '\0';
    memset(mac, 0, sizeof mac);
    if (base.p) memset(base.p, 0, base.cap); /* md5hash put the secret in it */
    gw_buf_free(&base);
    return rc;
}

static int verify(const struct gw_channel *ch, const struct prov_request *req, char *err, size_t errlen)
{
    struct form f = {0};
    char hex[129];
    int rc = PROV_EFORBIDDEN;

    const char *secret = gw_channel_key(ch, "signature_secret");
    if (!secret || !*secret) return PROV_OK; /* signing is off for this channel: see the file header */
    int method = sig_method(gw_channel_key(ch, "signature_method"));
    if (method < 0) {
        gw_err(err, errlen, "unknown signature_method");
        return PROV_EFORBIDDEN;
    }
    if (collect(req, &f, err, errlen) < 0) return PROV_EBADREQ;

    const char *sig = get(&f, "sig");
    if (!sig) {
        if (is_ping(&f)) {
            rc = PROV_OK;
        } else {
            gw_err(err, errlen, "missing sig");
        }
        goto done;
    }
    const char *ts = get(&f, "timestamp");
    long long when = 0;
    if (!ts) {
        gw_err(err, errlen, "missing timestamp");
        goto done;
    }
    /* A unix time: digits only, so strtoll cannot be fooled by blanks or signs. */
    if (strlen(ts) > VONAGE_TS_MAX || strspn(ts, "0123456789") != strlen(ts)) {
        gw_err(err, errlen, "bad timestamp");
        goto done;
    }
    when = strtoll(ts, NULL, 10);

    form_sort(&f); /* invalidates sig and ts */
    size_t siglen = 0;
    const char *given = NULL;
    for (size_t i = 0; i < f.n; i++)
        if (!strcmp(f.v[i].name, "sig")) given = f.v[i].value, siglen = f.v[i].value_len;
    int ok = 0;
    for (int skip_ref = 0; skip_ref <= (form_find(&f, "ref") ? 1 : 0); skip_ref++) {
        if (signature(&f, skip_ref, secret, method, hex) < 0) {
            gw_err(err, errlen, "cannot compute signature");
            goto done;
        }
        ok |= pc_hex_equal(hex, given, siglen);
    }
    if (!ok) {
        gw_err(err, errlen, "bad sig");
        goto done;
    }
    if (when < req->now - VONAGE_SKEW || when > req->now + VONAGE_SKEW) {
        gw_err(err, errlen, "stale timestamp (more than %d s from now)", VONAGE_SKEW);
        goto done;
    }
    rc = PROV_OK;
done:
    memset(hex, 0, sizeof hex);
    form_free(&f);
    return rc;
}

/* ---- inbound SMS ---------------------------------------------------------- */

static int all_digits(const char *s) { return *s && strspn(s, "0123456789") == strlen(s); }

/* Parses one concat-* field, digits only, as a number in [min, max]. */
static int concat_num(const struct form *f, const char *name, long min, long max, long *out, char *err, size_t errlen)
{
    const char *v = get(f, name);
    if (!v || !all_digits(v) || gw_parse_long(v, min, max, out) < 0) {
        gw_err(err, errlen, "bad %s", name);
        return -1;
    }
    return 0;
}

static int parse_sms(const struct gw_channel *ch, const struct prov_request *req, struct gw_msgv *out, char *err,
                     size_t errlen)
{
    struct form f = {0};
    int rc = PROV_EBADREQ;

    if (collect(req, &f, err, errlen) < 0) goto done;
    const char *msisdn = get(&f, "msisdn");
    const char *to = get(&f, "to");
    const char *id = get(&f, "messageId");
    const char *text = form_get(&f, "text");
    const char *type = get(&f, "type");
    if (is_ping(&f) || !msisdn || !to) {
        gw_err(err, errlen, "no msisdn or to: a URL check");
        rc = PROV_IGNORED;
        goto done;
    }
    if (form_find(&f, "status") && !text) {
        gw_err(err, errlen, "delivery receipt, not an inbound message");
        rc = PROV_IGNORED;
        goto done;
    }
    if (!id) {
        gw_err(err, errlen, "missing field: messageId");
        goto done;
    }
    if (prov_check_field("messageId", id, VONAGE_ID_MAX, 1, err, errlen) < 0 ||
        prov_check_field("msisdn", msisdn, VONAGE_ADDR_MAX, 1, err, errlen) < 0 ||
        prov_check_field("to", to, VONAGE_ADDR_MAX, 1, err, errlen) < 0 ||
        prov_check_field("text", text, VONAGE_TEXT_MAX, 0, err, errlen) < 0)
        goto done;
    if (type && strcmp(type, "text") && strcmp(type, "unicode")) {
        gw_err(err, errlen, "%s message", !strcmp(type, "binary") ? "binary" : "unsupported type of");
        rc = PROV_IGNORED;
        goto done;
    }

    const char *concat = get(&f, "concat");
    const char *cref = get(&f, "concat-ref");
    long total = 0, part = 0;
    int is_part = (concat && !strcmp(concat, "true")) || form_find(&f, "concat-ref") || form_find(&f, "concat-total") ||
                  form_find(&f, "concat-part");
    if (is_part) {
        if (!cref) {
            gw_err(err, errlen, "bad concat-ref");
            goto done;
        }
        if (prov_check_field("concat-ref", cref, VONAGE_REF_MAX, 1, err, errlen) < 0 ||
            concat_num(&f, "concat-total", 2, VONAGE_PARTS_MAX, &total, err, errlen) < 0 ||
            concat_num(&f, "concat-part", 1, total, &part, err, errlen) < 0)
            goto done;
    }

    struct gw_msg *m = gw_msgv_push(out);
    m->provider_id = gw_strdup(id);
    if (all_digits(msisdn)) {
        struct gw_buf b = {0};
        gw_buf_putc(&b, '+');
        gw_buf_puts(&b, msisdn);
        m->from = gw_buf_steal(&b);
    } else {
        m->from = gw_strdup(msisdn); /* already "+..." or not a number: the pipeline decides */
    }
    m->to = gw_strdup(to);
    m->text = gw_strdup(text ? text : "");
    if (is_part) {
        m->concat_ref = gw_strdup(cref);
        m->concat_total = (int)total;
        m->concat_part = (int)part;
    }
    rc = PROV_OK;
done:
    form_free(&f);
    return rc;
}

static void render_empty(struct prov_response *resp)
{
    resp->status = 200;
    resp->content_type = "text/plain";
    gw_buf_reset(&resp->body);
}

static void render_sms_ack(const struct gw_channel *ch, const struct gw_msgv *msgs, struct prov_response *resp)
{
    render_empty(resp);
}

/* ---- delivery receipts ------------------------------------------------------ */

static enum prov_status_code status_code(const char *s)
{
    static const struct {
        const char *word;
        enum prov_status_code code;
    } map[] = {
        {"delivered", PROV_ST_DELIVERED}, {"accepted", PROV_ST_SENT},  {"buffered", PROV_ST_SENT},
        {"failed", PROV_ST_FAILED},       {"expired", PROV_ST_FAILED}, {"rejected", PROV_ST_FAILED},
    };
    for (size_t i = 0; s && i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(s, map[i].word)) return map[i].code;
    return PROV_ST_UNKNOWN;
}

static int parse_status(const struct gw_channel *ch, const struct prov_request *req, struct prov_statusv *out,
                        char *err, size_t errlen)
{
    struct form f = {0};
    int rc = PROV_EBADREQ;

    if (collect(req, &f, err, errlen) < 0) goto done;
    if (is_ping(&f)) {
        gw_err(err, errlen, "nothing to read: a URL check");
        rc = PROV_IGNORED;
        goto done;
    }
    const char *id = get(&f, "messageId");
    const char *status = get(&f, "status");
    const char *code = get(&f, "err-code");
    const char *phone = get(&f, "msisdn");
    /* client-ref is covered by the signature; our ?ref= may not be. */
    const char *ref = get(&f, "client-ref");
    if (!ref) ref = get(&f, "ref");
    if (!status && form_find(&f, "text")) {
        /* Refused so that Vonage keeps it and its log shows the misconfigured URL. */
        gw_err(err, errlen, "an inbound message, not a delivery receipt");
        goto done;
    }
    if (!id && !ref) {
        gw_err(err, errlen, "missing field: messageId");
        goto done;
    }
    if (prov_check_field("messageId", id, VONAGE_ID_MAX, 1, err, errlen) < 0 ||
        prov_check_field("status", status, VONAGE_STATUS_MAX, 1, err, errlen) < 0 ||
        prov_check_field("err-code", code, VONAGE_ERROR_MAX, 1, err, errlen) < 0 ||
        prov_check_field("msisdn", phone, VONAGE_ADDR_MAX, 1, err, errlen) < 0 ||
        prov_check_field("client-ref", ref, VONAGE_REF_MAX, 1, err, errlen) < 0)
        goto done;

    struct prov_status *st = prov_statusv_push(out);
    st->provider_msg_id = gw_strdup(id);
    st->ref = gw_strdup(ref);
    st->status = status_code(status);
    st->raw_status = gw_strdup(status ? status : "");
    st->error = code && strcmp(code, "0") ? gw_strdup(code) : NULL;
    st->phone = gw_strdup(phone);
    rc = PROV_OK;
done:
    form_free(&f);
    return rc;
}

static void render_status_ack(const struct gw_channel *ch, struct prov_response *resp) { render_empty(resp); }

/* ---- sending ------------------------------------------------------------- */

/* 1 when code point c is in the GSM 03.38 default alphabet or its
 * extension table (3GPP TS 23.038 §6.2.1). */
static int is_gsm7(unsigned long c)
{
    static const unsigned short other[] = {
        0x00A1, 0x00A3, 0x00A4, 0x00A5, 0x00A7, 0x00BF, 0x00C4, 0x00C5, 0x00C6, 0x00C7, 0x00C9, 0x00D1, 0x00D6, 0x00D8,
        0x00DC, 0x00DF, 0x00E0, 0x00E4, 0x00E5, 0x00E6, 0x00E8, 0x00E9, 0x00EC, 0x00F1, 0x00F2, 0x00F6, 0x00F8, 0x00F9,
        0x00FC, 0x0393, 0x0394, 0x0398, 0x039B, 0x039E, 0x03A0, 0x03A3, 0x03A6, 0x03A8, 0x03A9, 0x20AC,
    };
    if (c == '\n' || c == '\r' || c == '\f') return 1; /* \f is the extension table's page break */
    if (c >= 0x20 && c <= 0x7E) return c != '`';       /* every printable ASCII but the grave accent */
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        if (c == other[i]) return 1;
    return 0;
}

/* 1 when every character of the UTF-8 string s is GSM-7, 0 when one is
 * not, -1 when s is not UTF-8. */
static int text_is_gsm7(const char *s)
{
    size_t n = strlen(s);
    if (!utf8_valid(s, n)) return -1;
    int gsm = 1;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        i += utf8_decode((const unsigned char *)s, n, i, &c);
        if (!is_gsm7(c)) gsm = 0;
    }
    return gsm;
}

static int build_send(const struct gw_channel *ch, const struct prov_outbound *m, struct prov_http *out, char *err,
                      size_t errlen)
{
    const char *key = gw_channel_key(ch, "api_key");
    const char *secret = gw_channel_key(ch, "api_secret");
    const char *number = gw_channel_key(ch, "number");

    memset(out, 0, sizeof *out);
    if (!key || !*key || !secret || !*secret || !number || !*number) {
        gw_err(err, errlen, "channel needs api_key, api_secret and number");
        return PROV_EBADREQ;
    }
    /* E.164: '+' and 1-15 digits; Vonage wants the digits alone. */
    const char *to = m->to && m->to[0] == '+' ? m->to + 1 : m->to;
    if (!to || !all_digits(to) || strlen(to) > 15) {
        gw_err(err, errlen, "recipient is not an E.164 number");
        return PROV_EBADREQ;
    }
    if (!m->text || !*m->text) {
        gw_err(err, errlen, "no text");
        return PROV_EBADREQ;
    }
    int gsm = text_is_gsm7(m->text);
    if (gsm < 0) {
        gw_err(err, errlen, "text is not UTF-8");
        return PROV_EBADREQ;
    }
    char ref[24];
    snprintf(ref, sizeof ref, "%lld", m->outbox_id);

    struct gw_buf url = {0};
    const char *base = ch->url && *ch->url ? ch->url : vonage_api;
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/') blen--;
    gw_buf_append(&url, base, blen);
    gw_buf_puts(&url, "/sms/json");
    out->url = gw_buf_steal(&url);
    out->method = "POST";
    gw_buf_puts(&out->headers, "Content-Type: application/x-www-form-urlencoded\nAccept: application/json\n");
    form_put_param(&out->body, "api_key", key);
    form_put_param(&out->body, "api_secret", secret);
    form_put_param(&out->body, "from", number[0] == '+' ? number + 1 : number);
    form_put_param(&out->body, "to", to);
    form_put_param(&out->body, "text", m->text);
    form_put_param(&out->body, "type", gsm ? "text" : "unicode");
    form_put_param(&out->body, "status-report-req", "1");
    if (m->status_url && *m->status_url) form_put_param(&out->body, "callback", m->status_url);
    form_put_param(&out->body, "client-ref", ref);
    return PROV_OK;
}

/* A member that Vonage writes as a string ("0") and we also accept as a
 * number; -1 when absent or neither. */
static long json_code(json_t *v)
{
    long n;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        return i >= 0 && i <= 99999 ? (long)i : -1;
    }
    if (json_is_string(v) && gw_parse_long(json_string_value(v), 0, 99999, &n) == 0) return n;
    return -1;
}

#define VONAGE_THROTTLED 1 /* "Throttled: sending faster than the account's rate" */
#define VONAGE_INTERNAL  5 /* "Internal error" */
#define VONAGE_BARRED    7 /* "Number barred": on the account's block list, where STOP replies go */

/* The verdict of a 2xx answer: messages[0].status, then its message-id.
 * Only codes go into err: error-text can quote the recipient. */
static enum prov_verdict read_send_answer(const char *body, size_t len, char *msg_id, size_t idlen, char *err,
                                          size_t errlen)
{
    json_t *root = body ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *msgs = json_object_get(root, "messages");
    json_t *first = json_array_get(msgs, 0);
    enum prov_verdict v = PROV_V_NONE;
    if (!json_is_object(first)) {
        gw_err(err, errlen, "no messages in answer");
        goto done;
    }
    long code = json_code(json_object_get(first, "status"));
    if (code < 0) {
        gw_err(err, errlen, "no status in answer");
        goto done;
    }
    if (code != 0) {
        gw_err(err, errlen, "vonage status %ld", code);
        if (code == VONAGE_THROTTLED || code == VONAGE_INTERNAL)
            v = PROV_V_TRANSIENT;
        else
            v = code == VONAGE_BARRED ? PROV_V_OPTED_OUT : PROV_V_REFUSED;
        goto done;
    }
    json_t *jid = json_object_get(first, "message-id");
    const char *id = json_is_string(jid) ? json_string_value(jid) : NULL;
    v = PROV_V_BAD_ID;
    if (!id || !*id || strlen(id) >= idlen || prov_check_field("message-id", id, VONAGE_ID_MAX, 1, err, errlen) < 0) {
        gw_err(err, errlen, "bad message-id in answer");
        goto done;
    }
    /* A long text is split by Vonage into one entry per part, each with its
     * own id and receipts. The first id stands for the message; receipts of
     * the other parts still match it by client-ref. */
    gw_strlcpy(msg_id, id, idlen);
    size_t parts = json_array_size(msgs);
    if (parts > 1) gw_err(err, errlen, "sent as %zu parts; first message-id kept", parts);
    v = PROV_V_ACCEPTED;
done:
    json_decref(root);
    return v;
}

static int parse_send(const struct gw_channel *ch, long http_status, const char *body, size_t len, char *msg_id,
                      size_t idlen, int *opted_out, char *err, size_t errlen)
{
    enum prov_verdict v = PROV_V_NONE;
    if (idlen) msg_id[0] = '\0';
    if (err && errlen) err[0] = '\0';
    if (http_status == 0 || http_status == 429 || (http_status >= 500 && http_status <= 599)) {
        /* no answer, throttled, or the server's trouble: the status decides */
    } else if (body && memmem(body, len, "Throughput Rate Exceeded", 24)) {
        gw_err(err, errlen, "throughput rate exceeded");
        v = PROV_V_TRANSIENT;
    } else if (http_status >= 200 && http_status <= 299) {
        v = read_send_answer(body, len, msg_id, idlen, err, errlen);
    }
    return prov_classify(http_status, 0, v, msg_id, idlen, opted_out, err, errlen);
}

const struct provider_ops prov_vonage = {
    .name = "vonage",
    .required_keys = required_keys,
    .optional_keys = optional_keys,
    .template_only = 0,
    .check_config = check_config,
    .verify = verify,
    .parse_sms = parse_sms,
    .render_sms_ack = render_sms_ack,
    .parse_status = parse_status,
    .render_status_ack = render_status_ack,
    .build_send = build_send,
    .parse_send = parse_send,
};
