/* providers/tencent.c - Tencent Cloud SMS: reply and status callbacks, SendSms (API 3.0, TC3-HMAC-SHA256).
 *
 * A reply (短信回复) is one JSON object per
 * request; a status push (短信下发状态通知) is a JSON array of results.
 * Tencent signs neither, so the channel's `token` must come back in the
 * query string (`?token=...`, compared in constant time) on every hook.
 * A reply carries no message id: its dedupe key is the lower-case hex
 * SHA-256 of nationcode ":" mobile ":" time ":" text (time in decimal,
 * whether it came as a number or a string; nationcode without '+'), so a
 * retried callback is stored once. `from` is "+" nationcode mobile (mobile
 * alone when nationcode is absent: the pipeline adds the country code),
 * `to` is `extend` (the extension the user replied to) when present.
 * A status array posted to the SMS hook is acknowledged and ignored, and a
 * reply posted to the status hook likewise; both hooks answer
 * {"result":0,"errmsg":"OK"}.
 *
 * Sending is template-only: SendSms with TemplateId and TemplateParamSet
 * (the variables' text in the template's variable order), signed with
 * TC3-HMAC-SHA256 over content-type and host, where host is the authority
 * of the URL actually called (the channel's `url` when set), so a test
 * stand-in on 127.0.0.1:port signs with that host. A send answer of
 * FailedOperation.PhoneNumberInBlacklist (the number is on Tencent's
 * opt-out list: the user unsubscribed or the carrier blocks us) sets
 * opted_out. Pure translation: no I/O, no state.
 */
#include "tencent.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "crypto.h"
#include "form.h"
#include "provider.h"

#define TENCENT_URL          "https://sms.tencentcloudapi.com/"
#define TENCENT_CONTENT_TYPE "application/json; charset=utf-8"
#define TENCENT_MAX_RECORDS  1000 /* status results in one push (Tencent sends up to 100) */
#define TENCENT_ADDR_MAX     32   /* mobile, extend */
#define TENCENT_ID_MAX       128  /* sid, ext, report_status, errmsg */
#define TENCENT_TEXT_MAX     8192 /* text */
#define TENCENT_DESC_MAX     256  /* description */
#define TENCENT_VAR_MAX      64   /* bytes in a template variable name */
#define TENCENT_HOST_MAX     256  /* bytes in the Host of the send URL */

#define ACK_OK "{\"result\":0,\"errmsg\":\"OK\"}"

static const char *const required_keys[] = {"secret_id", "secret_key", "sdk_app_id", "sign_name", "token", NULL};
static const char *const optional_keys[] = {NULL};

/* Loads the body as JSON. Returns it (the caller decrefs) or NULL with err. */
static json_t *load_body(const struct prov_request *req, char *err, size_t errlen)
{
    if (!req->body || req->body_len == 0) {
        gw_err(err, errlen, "empty body");
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root) gw_err(err, errlen, "bad JSON at byte %d", jerr.position);
    return root;
}

/* Reads member name of obj as text: a string as it is, an integer in
 * decimal (written to num, which holds 24 bytes). Returns 1 with *out
 * set, 0 when absent or null (*out NULL), -1 with err for any other type.
 * With strings_only an integer is refused too (num may then be NULL). */
static int member_text(json_t *obj, const char *name, int strings_only, char *num, const char **out, char *err,
                       size_t errlen)
{
    json_t *v = json_object_get(obj, name);
    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    if (json_is_string(v)) {
        *out = json_string_value(v);
        return 1;
    }
    if (json_is_integer(v) && !strings_only) {
        snprintf(num, 24, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *out = num;
        return 1;
    }
    gw_err(err, errlen, "field %s has the wrong type", name);
    return -1;
}

static int has(json_t *obj, const char *name) { return json_object_get(obj, name) != NULL; }

static int looks_like_report(json_t *obj)
{
    return json_is_object(obj) && !has(obj, "text") && (has(obj, "report_status") || has(obj, "sid"));
}

static int looks_like_reply(json_t *obj)
{
    return json_is_object(obj) && !has(obj, "report_status") && !has(obj, "sid") && has(obj, "text");
}

/* nationcode without a leading '+': 1-4 digits, or "" when absent. Returns
 * 0, or -1 with err. */
static int nation_code(const char *raw, const char **out, char *err, size_t errlen)
{
    const char *p = raw ? raw : "";
    if (*p == '+') p++;
    size_t n = strspn(p, "0123456789");
    if (p[n] != '\0' || n > 4 || (raw && *raw && n == 0)) {
        gw_err(err, errlen, "bad nationcode");
        return -1;
    }
    *out = p;
    return 0;
}

/* "+" nationcode mobile, or mobile as written when it already starts with
 * '+' or nationcode is empty. Owned by the caller. */
static char *full_number(const char *nc, const char *mobile)
{
    if (!*nc || mobile[0] == '+') return gw_strdup(mobile);
    struct gw_buf b = {0};
    gw_buf_printf(&b, "+%s%s", nc, mobile);
    return gw_buf_steal(&b);
}

/* ---- inbound replies ---------------------------------------------------------- */

static int parse_sms(const struct gw_channel *ch, const struct prov_request *req, struct gw_msgv *out, char *err,
                     size_t errlen)
{
    char n_mobile[24], n_nc[24], n_time[24], n_ext[24];
    const char *mobile, *nc_raw, *nc, *text, *time_s, *ext;
    int rc = PROV_EBADREQ;

    json_t *root = load_body(req, err, errlen);
    if (!root) goto done;
    if (json_is_array(root)) {
        size_t i;
        json_t *rec;
        int reports = json_array_size(root) > 0;
        json_array_foreach(root, i, rec) reports &= looks_like_report(rec);
        if (reports) {
            gw_err(err, errlen, "status results on the SMS hook");
            rc = PROV_IGNORED;
        } else {
            gw_err(err, errlen, "JSON body is not an object");
        }
        goto done;
    }
    if (!json_is_object(root)) {
        gw_err(err, errlen, "JSON body is not an object");
        goto done;
    }
    if (member_text(root, "mobile", 0, n_mobile, &mobile, err, errlen) < 0 ||
        member_text(root, "nationcode", 0, n_nc, &nc_raw, err, errlen) < 0 ||
        member_text(root, "text", 1, NULL, &text, err, errlen) < 0 ||
        member_text(root, "time", 0, n_time, &time_s, err, errlen) < 0 ||
        member_text(root, "extend", 0, n_ext, &ext, err, errlen) < 0)
        goto done;
    if (!mobile || !*mobile) {
        gw_err(err, errlen, "missing field: mobile");
        goto done;
    }
    if (!text) {
        gw_err(err, errlen, "missing field: text");
        goto done;
    }
    long t;
    if (!time_s || gw_parse_long(time_s, 0, LONG_MAX, &t) < 0) {
        gw_err(err, errlen, time_s ? "bad time" : "missing field: time");
        goto done;
    }
    if (nation_code(nc_raw, &nc, err, errlen) < 0) goto done;
    if (prov_check_field("mobile", mobile, TENCENT_ADDR_MAX, 1, err, errlen) < 0 ||
        prov_check_field("text", text, TENCENT_TEXT_MAX, 0, err, errlen) < 0 ||
        prov_check_field("extend", ext, TENCENT_ADDR_MAX, 1, err, errlen) < 0)
        goto done;

    struct gw_buf key = {0};
    unsigned char d[PC_SHA256_LEN];
    char hex[2 * PC_SHA256_LEN + 1];
    gw_buf_printf(&key, "%s:%s:%ld:", nc, mobile, t);
    gw_buf_puts(&key, text);
    int hashed = pc_sha256(key.p, key.len, d);
    gw_buf_free(&key);
    if (hashed < 0) {
        gw_err(err, errlen, "cannot hash the reply");
        goto done;
    }
    gw_hex(d, sizeof d, hex);

    struct gw_msg *m = gw_msgv_push(out);
    m->provider_id = gw_strdup(hex);
    m->from = full_number(nc, mobile);
    m->to = ext && *ext ? gw_strdup(ext) : NULL;
    m->text = gw_strdup(text);
    rc = PROV_OK;
done:
    json_decref(root);
    return rc;
}

static void render_ack(struct prov_response *resp)
{
    resp->status = 200;
    resp->content_type = "application/json";
    gw_buf_reset(&resp->body);
    gw_buf_puts(&resp->body, ACK_OK);
}

static void render_sms_ack(const struct gw_channel *ch, const struct gw_msgv *msgs, struct prov_response *resp)
{
    render_ack(resp);
}

/* ---- delivery status -------------------------------------------------------- */

/* Appends one status result to out. Returns 0, or -1 with err. */
static int status_record(json_t *rec, struct prov_statusv *out, char *err, size_t errlen)
{
    char n_sid[24], n_ext[24], n_mobile[24], n_nc[24];
    const char *sid, *ext, *report, *errmsg, *desc, *mobile, *nc_raw, *nc;
    if (member_text(rec, "sid", 0, n_sid, &sid, err, errlen) < 0 ||
        member_text(rec, "ext", 0, n_ext, &ext, err, errlen) < 0 ||
        member_text(rec, "report_status", 1, NULL, &report, err, errlen) < 0 ||
        member_text(rec, "errmsg", 1, NULL, &errmsg, err, errlen) < 0 ||
        member_text(rec, "description", 1, NULL, &desc, err, errlen) < 0 ||
        member_text(rec, "mobile", 0, n_mobile, &mobile, err, errlen) < 0 ||
        member_text(rec, "nationcode", 0, n_nc, &nc_raw, err, errlen) < 0)
        return -1;
    if ((!sid || !*sid) && (!ext || !*ext)) {
        gw_err(err, errlen, "missing field: sid");
        return -1;
    }
    if (nation_code(nc_raw, &nc, err, errlen) < 0) return -1;
    if (prov_check_field("sid", sid, TENCENT_ID_MAX, 1, err, errlen) < 0 ||
        prov_check_field("ext", ext, TENCENT_ID_MAX, 1, err, errlen) < 0 ||
        prov_check_field("report_status", report, TENCENT_ID_MAX, 1, err, errlen) < 0 ||
        prov_check_field("errmsg", errmsg, TENCENT_ID_MAX, 1, err, errlen) < 0 ||
        prov_check_field("description", desc, TENCENT_DESC_MAX, 1, err, errlen) < 0 ||
        prov_check_field("mobile", mobile, TENCENT_ADDR_MAX, 1, err, errlen) < 0)
        return -1;

    enum prov_status_code st = PROV_ST_UNKNOWN;
    if (report && !strcmp(report, "SUCCESS"))
        st = PROV_ST_DELIVERED;
    else if (report && !strcmp(report, "FAIL"))
        st = PROV_ST_FAILED;

    struct prov_status *r = prov_statusv_push(out);
    r->provider_msg_id = sid && *sid ? gw_strdup(sid) : NULL;
    r->ref = ext && *ext ? gw_strdup(ext) : NULL;
    r->status = st;
    r->raw_status = gw_strdup(errmsg && *errmsg ? errmsg : report ? report : "");
    if (st != PROV_ST_DELIVERED && ((errmsg && *errmsg) || (desc && *desc))) {
        struct gw_buf e = {0};
        gw_buf_printf(&e, "%s%s%s", errmsg ? errmsg : "", errmsg && *errmsg && desc && *desc ? " " : "",
                      desc ? desc : "");
        r->error = gw_buf_steal(&e);
    }
    r->phone = mobile && *mobile ? full_number(nc, mobile) : NULL;
    return 0;
}

static int parse_status(const struct gw_channel *ch, const struct prov_request *req, struct prov_statusv *out,
                        char *err, size_t errlen)
{
    struct prov_statusv got = {0};
    int rc = PROV_EBADREQ;
    json_t *root = load_body(req, err, errlen);
    if (!root) goto done;
    if (json_is_object(root)) { /* one result not wrapped in an array, or a reply on the wrong hook */
        if (looks_like_reply(root)) {
            gw_err(err, errlen, "a reply on the status hook");
            rc = PROV_IGNORED;
            goto done;
        }
        if (status_record(root, &got, err, errlen) < 0) goto done;
    } else if (json_is_array(root)) {
        if (json_array_size(root) > TENCENT_MAX_RECORDS) {
            gw_err(err, errlen, "more than %d results", TENCENT_MAX_RECORDS);
            goto done;
        }
        size_t i;
        json_t *rec;
        json_array_foreach(root, i, rec)
        {
            if (!json_is_object(rec)) {
                gw_err(err, errlen, "result %zu is not an object", i + 1);
                goto done;
            }
            if (looks_like_reply(rec)) continue;
            if (status_record(rec, &got, err, errlen) < 0) goto done;
        }
    } else {
        gw_err(err, errlen, "JSON body is not an array");
        goto done;
    }
    if (got.n == 0) {
        gw_err(err, errlen, "no status results in this push");
        rc = PROV_IGNORED;
        goto done;
    }
    for (size_t i = 0; i < got.n; i++) *prov_statusv_push(out) = got.v[i]; /* ownership moves to out */
    free(got.v);
    got = (struct prov_statusv){0};
    rc = PROV_OK;
done:
    prov_statusv_free(&got);
    json_decref(root);
    return rc;
}

static void render_status_ack(const struct gw_channel *ch, struct prov_response *resp) { render_ack(resp); }

/* ---- sending: TC3-HMAC-SHA256 and SendSms ---------------------------------- */

static int utc_date(long long ts, char out[16])
{
    time_t t = (time_t)ts;
    struct tm tm;
    if (ts < 0 || !gmtime_r(&t, &tm) || !strftime(out, 16, "%Y-%m-%d", &tm)) return -1;
    return 0;
}

static int hmac_str(const unsigned char *key, size_t keylen, const char *msg, unsigned char out[PC_SHA256_LEN])
{
    return pc_hmac_sha256(key, keylen, msg, strlen(msg), out);
}

int prov_tencent_signature(const char *secret_key, const char *host, long long timestamp, const char *body, size_t len,
                           char sig[PROV_TENCENT_SIG_HEX_LEN + 1])
{
    char date[16], hex[2 * PC_SHA256_LEN + 1];
    unsigned char d[PC_SHA256_LEN], k_date[PC_SHA256_LEN], k_service[PC_SHA256_LEN], k_signing[PC_SHA256_LEN];
    struct gw_buf canon = {0}, sts = {0}, key = {0};
    int rc = -1;

    sig[0] = '\0';
    if (utc_date(timestamp, date) < 0) goto fail;
    if (pc_sha256(body, len, d) < 0) goto fail;
    gw_hex(d, sizeof d, hex);
    gw_buf_printf(&canon, "POST\n/\n\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s", TENCENT_CONTENT_TYPE, host,
                  hex);
    if (pc_sha256(canon.p, canon.len, d) < 0) goto fail;
    gw_hex(d, sizeof d, hex);
    gw_buf_printf(&sts, "TC3-HMAC-SHA256\n%lld\n%s/sms/tc3_request\n%s", timestamp, date, hex);
    gw_buf_puts(&key, "TC3");
    gw_buf_puts(&key, secret_key);
    if (hmac_str((const unsigned char *)key.p, key.len, date, k_date) < 0 ||
        hmac_str(k_date, sizeof k_date, "sms", k_service) < 0 ||
        hmac_str(k_service, sizeof k_service, "tc3_request", k_signing) < 0 ||
        pc_hmac_sha256(k_signing, sizeof k_signing, sts.p, sts.len, d) < 0)
        goto fail;
    gw_hex(d, sizeof d, sig);
    rc = 0;
fail:
    if (key.p) memset(key.p, 0, key.len);
    memset(k_date, 0, sizeof k_date);
    memset(k_service, 0, sizeof k_service);
    memset(k_signing, 0, sizeof k_signing);
    gw_buf_free(&key);
    gw_buf_free(&sts);
    gw_buf_free(&canon);
    return rc;
}

int prov_tencent_authorization(const char *secret_id, const char *secret_key, const char *host, long long timestamp,
                               const char *body, size_t len, struct gw_buf *out)
{
    char sig[PROV_TENCENT_SIG_HEX_LEN + 1], date[16];
    if (utc_date(timestamp, date) < 0 || prov_tencent_signature(secret_key, host, timestamp, body, len, sig) < 0)
        return -1;
    gw_buf_printf(out,
                  "TC3-HMAC-SHA256 Credential=%s/%s/sms/tc3_request, SignedHeaders=content-type;host, "
                  "Signature=%s",
                  secret_id, date, sig);
    return 0;
}

/* The authority of url ("scheme://[user@]host[:port][/...]") without the
 * user-info: what curl sends as Host. Returns 0, or -1 when url has none. */
static int url_host(const char *url, char *out, size_t outlen)
{
    const char *s = strstr(url, "://");
    if (!s) return -1;
    s += 3;
    size_t n = strcspn(s, "/?#");
    for (size_t i = n; i > 0; i--)
        if (s[i - 1] == '@') {
            s += i;
            n -= i;
            break;
        }
    if (n == 0 || n >= outlen) return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* TemplateParamSet: the text of each variable of m->tmpl_vars, in that
 * order, appended to arr. Variables without an order (vars_json set,
 * tmpl_vars empty) cannot be placed and are an error. Returns 0, or -1
 * with err. */
static int template_params(const struct prov_outbound *m, json_t *arr, char *err, size_t errlen)
{
    const char *tname = m->tmpl ? m->tmpl : "(unnamed)";
    json_t *vars = NULL;
    int rc = -1;

    if (m->vars_json && *m->vars_json) {
        vars = json_loads(m->vars_json, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(vars)) {
            gw_err(err, errlen, "template %s: variables are not a JSON object", tname);
            goto done;
        }
    }
    for (const char *p = m->tmpl_vars ? m->tmpl_vars : ""; *p;) {
        size_t len = strcspn(p, ",");
        const char *s = p, *e = p + len;
        p = *e ? e + 1 : e;
        while (s < e && *s == ' ') s++;
        while (e > s && e[-1] == ' ') e--;
        if (s == e) continue;
        char name[TENCENT_VAR_MAX];
        if ((size_t)(e - s) >= sizeof name) {
            gw_err(err, errlen, "template %s: variable name too long", tname);
            goto done;
        }
        memcpy(name, s, (size_t)(e - s));
        name[e - s] = '\0';
        json_t *v = vars ? json_object_get(vars, name) : NULL;
        if (!json_is_string(v)) {
            gw_err(err, errlen, "template %s: no text for variable %s", tname, name);
            goto done;
        }
        json_array_append(arr, v);
    }
    if (json_array_size(arr) == 0 && json_object_size(vars) > 0) {
        gw_err(err, errlen, "template %s: variables without an order", tname);
        goto done;
    }
    rc = 0;
done:
    json_decref(vars);
    return rc;
}

static int build_send(const struct gw_channel *ch, const struct prov_outbound *m, struct prov_http *out, char *err,
                      size_t errlen)
{
    const char *secret_id = gw_channel_key(ch, "secret_id");
    const char *secret_key = gw_channel_key(ch, "secret_key");
    const char *app_id = gw_channel_key(ch, "sdk_app_id");
    const char *sign_name = gw_channel_key(ch, "sign_name");
    const char *url = ch->url && *ch->url ? ch->url : TENCENT_URL;
    char host[TENCENT_HOST_MAX], session[24];
    json_t *req = NULL, *params = json_array();
    char *body = NULL;
    struct gw_buf auth = {0};
    int rc = PROV_EBADREQ;

    if (!m->tmpl_code || !*m->tmpl_code) {
        gw_err(err, errlen, "template %s has no approved code for this channel", m->tmpl ? m->tmpl : "(unnamed)");
        goto done;
    }
    if (!secret_id || !*secret_id || !secret_key || !*secret_key || !app_id || !*app_id || !sign_name || !*sign_name) {
        gw_err(err, errlen, "channel lacks secret_id, secret_key, sdk_app_id or sign_name");
        goto done;
    }
    size_t tl = m->to ? strlen(m->to) : 0;
    int e164 = tl >= 6 && tl <= 21 && m->to[0] == '+';
    for (size_t i = 1; e164 && i < tl; i++)
        if (m->to[i] < '0' || m->to[i] > '9') e164 = 0;
    if (!e164) {
        gw_err(err, errlen, "recipient is not an E.164 number");
        goto done;
    }
    if (url_host(url, host, sizeof host) < 0) {
        gw_err(err, errlen, "send URL has no host");
        goto done;
    }
    if (template_params(m, params, err, errlen) < 0) goto done;
    snprintf(session, sizeof session, "%lld", m->outbox_id);

    /* json_string refuses text that is not UTF-8: every value is checked,
     * so no field can silently go missing from the body. */
    req = json_object();
    json_t *phones = json_array();
    json_object_set_new(req, "PhoneNumberSet", phones);
    if (json_array_append_new(phones, json_string(m->to)) < 0 ||
        json_object_set_new(req, "SmsSdkAppId", json_string(app_id)) < 0 ||
        json_object_set_new(req, "SignName", json_string(sign_name)) < 0 ||
        json_object_set_new(req, "TemplateId", json_string(m->tmpl_code)) < 0 ||
        json_object_set(req, "TemplateParamSet", params) < 0 ||
        json_object_set_new(req, "SessionContext", json_string(session)) < 0 ||
        !(body = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        gw_err(err, errlen, "cannot encode the request (a value is not UTF-8)");
        goto done;
    }
    if (prov_tencent_authorization(secret_id, secret_key, host, m->now, body, strlen(body), &auth) < 0) {
        gw_err(err, errlen, "cannot sign the request (clock out of range?)");
        goto done;
    }

    free(out->url);
    out->url = gw_strdup(url);
    out->method = "POST";
    gw_buf_reset(&out->body);
    gw_buf_puts(&out->body, body);
    gw_buf_reset(&out->headers);
    gw_buf_printf(&out->headers,
                  "Content-Type: %s\nHost: %s\nX-TC-Action: SendSms\nX-TC-Version: 2021-01-11\n"
                  "X-TC-Region: ap-guangzhou\nX-TC-Timestamp: %lld\nAuthorization: %s\n",
                  TENCENT_CONTENT_TYPE, host, m->now, gw_buf_cstr(&auth));
    free(out->userpwd);
    out->userpwd = NULL;
    rc = PROV_OK;
done:
    gw_buf_free(&auth);
    free(body);
    json_decref(req);
    json_decref(params);
    return rc;
}

/* Whether an error code is worth trying again: rate and frequency limits
 * (the per-number ones lift within the hour or day) and Tencent's internal
 * errors. Everything else (auth, template, signature, number, balance)
 * needs a person. */
static int retryable(const char *code)
{
    static const char *const prefixes[] = {"LimitExceeded", "InternalError", "RequestLimitExceeded", NULL};
    for (size_t i = 0; prefixes[i]; i++) {
        size_t n = strlen(prefixes[i]);
        if (!strncmp(code, prefixes[i], n) && (code[n] == '\0' || code[n] == '.')) return 1;
    }
    return 0;
}

/* The verdict of an answer below 500: Response.Error's Code, else
 * SendStatusSet[0]'s ("Ok" is accepted; the blacklist code is an opt-out).
 * No Code is no verdict: the status decides (an unreadable 2xx is retried). */
static enum prov_verdict read_send_answer(const char *body, size_t len, char *msg_id, size_t idlen, char *err,
                                          size_t errlen)
{
    json_t *root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *resp = json_object_get(root, "Response");
    json_t *error = json_object_get(resp, "Error");
    json_t *first = json_array_get(json_object_get(resp, "SendStatusSet"), 0);
    json_t *where = error ? error : first;
    json_t *jc = json_object_get(where, "Code"), *jm = json_object_get(where, "Message");
    const char *code = json_is_string(jc) ? json_string_value(jc) : NULL;
    const char *message = json_is_string(jm) ? json_string_value(jm) : "";
    enum prov_verdict v;
    if (!code) {
        v = PROV_V_NONE;
    } else if (!error && !strcmp(code, "Ok")) {
        json_t *js = json_object_get(first, "SerialNo");
        const char *serial = json_is_string(js) ? json_string_value(js) : "";
        if (msg_id && idlen && gw_strlcpy(msg_id, serial, idlen) < 0) {
            msg_id[0] = '\0'; /* a cut id would match the wrong report; SessionContext still identifies it */
            gw_err(err, errlen, "SerialNo too long");
        }
        v = PROV_V_ACCEPTED;
    } else {
        gw_err(err, errlen, "%s: %s", code, message);
        if (retryable(code))
            v = PROV_V_TRANSIENT;
        else
            v = !strcmp(code, "FailedOperation.PhoneNumberInBlacklist") ? PROV_V_OPTED_OUT : PROV_V_REFUSED;
    }
    json_decref(root);
    return v;
}

static int parse_send(const struct gw_channel *ch, long http_status, const char *body, size_t len, char *msg_id,
                      size_t idlen, int *opted_out, char *err, size_t errlen)
{
    return prov_send_read_coded(http_status, body, len, read_send_answer, msg_id, idlen, opted_out, err, errlen);
}

const struct provider_ops prov_tencent = {
    .name = "tencent",
    .required_keys = required_keys,
    .optional_keys = optional_keys,
    .template_only = 1,
    .template_key = "tencent_id",
    .verify = prov_verify_token,
    .parse_sms = parse_sms,
    .render_sms_ack = render_sms_ack,
    .parse_status = parse_status,
    .render_status_ack = render_status_ack,
    .build_send = build_send,
    .parse_send = parse_send,
};
