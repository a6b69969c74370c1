/* providers/aliyun.c - Aliyun (Alibaba Cloud) mainland SMS: SmsUp / SmsReport HTTP pushes and SendSms.
 *
 * Aliyun pushes a JSON array of records (one push
 * may carry several) and signs nothing, so the channel's `token` must come
 * back in the query string (`?token=...`, compared in constant time) on
 * every hook. The console checks a receipt URL with a body-less GET and
 * may point SmsUp and SmsReport at the same URL, so:
 *
 *   - a request without a body (GET or POST) is the connectivity check:
 *     PROV_IGNORED, answered {"code":0,"msg":"成功"};
 *   - on the SMS hook, records shaped like delivery reports (biz_id,
 *     success, err_code or report_time, and no content) are skipped, and a
 *     push of nothing else is PROV_IGNORED; on the status hook, records
 *     shaped like replies are skipped the same way.
 *
 * render_sms_ack does not see the request, so it tells the two answers
 * apart by the messages: none stored (connectivity check, ignored push,
 * empty array) -> "成功", at least one (duplicates included) -> "接收成功".
 * Aliyun only checks that `code` is a number, so either is safe anywhere.
 * render_status_ack always answers "接收成功", the status hook's GET check
 * included (same reason).
 *
 * A reply's dedupe key is phone_number ":" sequence_id, or, for a record
 * without sequence_id, phone_number ":" send_time ":" hex SHA-1(content);
 * a record with neither is refused rather than risk merging two replies.
 * `from` is phone_number as written (national digits; the pipeline adds
 * the country code), `to` is dest_code (the extension the user replied
 * to) when present.
 *
 * Sending is template-only: SendSms with RPC signature v1 (§5.5) as a form
 * POST to https://dysmsapi.aliyuncs.com/ (or the channel's `url`). No send
 * answer is read as an opt-out: isv.BLACK_KEY_CONTROL_LIMIT means a
 * template variable holds a blacklisted keyword (a content problem), and
 * Aliyun documents no per-recipient unsubscribe code; our own opt-out list
 * (replies R/TD/退订) is what stops reminders. Pure translation: no I/O,
 * no state.
 */
#include "aliyun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "crypto.h"
#include "form.h"
#include "provider.h"

#define ALIYUN_URL         "https://dysmsapi.aliyuncs.com/"
#define ALIYUN_MAX_RECORDS 1000 /* records in one push (a batch is far smaller; max_body caps it anyway) */
#define ALIYUN_ADDR_MAX    32   /* phone_number, dest_code */
#define ALIYUN_ID_MAX      64   /* sequence_id, biz_id, out_id, err_code, send_time */
#define ALIYUN_TEXT_MAX    8192 /* content (a concatenated reply is at most a few hundred characters) */
#define ALIYUN_ERRMSG_MAX  256  /* err_msg */
#define ALIYUN_VAR_MAX     64   /* bytes in a template variable name */

#define ACK_RECEIVED "{\"code\":0,\"msg\":\"接收成功\"}"
#define ACK_CHECK    "{\"code\":0,\"msg\":\"成功\"}"

static const char *const required_keys[] = {"access_key_id", "access_key_secret", "sign_name", "token", NULL};
static const char *const optional_keys[] = {NULL};

static int is_blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') return 0;
    return 1;
}

/* The console's connectivity check: a GET, or any request without a body. */
static int is_check(const struct prov_request *req)
{
    return (req->method && !strcmp(req->method, "GET")) || !req->body || is_blank(req->body, req->body_len);
}

/* Loads the body as a JSON array of at most ALIYUN_MAX_RECORDS objects.
 * Returns it (the caller decrefs) or NULL with err. The Content-Type is not
 * checked: the body's shape is what matters. */
static json_t *load_records(const struct prov_request *req, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root) {
        gw_err(err, errlen, "bad JSON at byte %d", jerr.position);
        return NULL;
    }
    if (!json_is_array(root)) {
        gw_err(err, errlen, "JSON body is not an array");
        goto bad;
    }
    if (json_array_size(root) > ALIYUN_MAX_RECORDS) {
        gw_err(err, errlen, "more than %d records", ALIYUN_MAX_RECORDS);
        goto bad;
    }
    size_t i;
    json_t *rec;
    json_array_foreach(root, i, rec)
    {
        if (!json_is_object(rec)) {
            gw_err(err, errlen, "record %zu is not an object", i + 1);
            goto bad;
        }
    }
    return root;
bad:
    json_decref(root);
    return NULL;
}

/* Reads member name of rec as text: a string as it is, an integer in
 * decimal (written to num, which holds 24 bytes). Returns 1 with *out
 * set, 0 when absent or null (*out NULL), -1 with err for any other type.
 * With strings_only an integer is refused too (num may then be NULL). */
static int member_text(json_t *rec, size_t idx, const char *name, int strings_only, char *num, const char **out,
                       char *err, size_t errlen)
{
    json_t *v = json_object_get(rec, name);
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
    gw_err(err, errlen, "record %zu: field %s has the wrong type", idx + 1, name);
    return -1;
}

static int has(json_t *rec, const char *name) { return json_object_get(rec, name) != NULL; }

/* An SmsReport record: report fields and no reply text. */
static int looks_like_report(json_t *rec)
{
    return !has(rec, "content") &&
           (has(rec, "biz_id") || has(rec, "success") || has(rec, "err_code") || has(rec, "report_time"));
}

/* An SmsUp record: reply fields and no report identifiers. */
static int looks_like_reply(json_t *rec)
{
    return !has(rec, "biz_id") && !has(rec, "out_id") && !has(rec, "success") &&
           (has(rec, "content") || has(rec, "sequence_id") || has(rec, "dest_code"));
}

/* ---- inbound replies (SmsUp) ------------------------------------------------ */

/* Appends record idx (an SmsUp object) to out as one message. Returns 0,
 * or -1 with err. */
static int smsup_record(json_t *rec, size_t idx, struct gw_msgv *out, char *err, size_t errlen)
{
    char n_phone[24], n_seq[24], n_time[24], n_dest[24];
    const char *phone, *seq, *content, *send_time, *dest;
    if (member_text(rec, idx, "phone_number", 0, n_phone, &phone, err, errlen) < 0 ||
        member_text(rec, idx, "content", 1, NULL, &content, err, errlen) < 0 ||
        member_text(rec, idx, "sequence_id", 0, n_seq, &seq, err, errlen) < 0 ||
        member_text(rec, idx, "send_time", 0, n_time, &send_time, err, errlen) < 0 ||
        member_text(rec, idx, "dest_code", 0, n_dest, &dest, err, errlen) < 0)
        return -1;
    if (!phone || !*phone) {
        gw_err(err, errlen, "record %zu: missing field: phone_number", idx + 1);
        return -1;
    }
    if (!content) {
        gw_err(err, errlen, "record %zu: missing field: content", idx + 1);
        return -1;
    }
    if (prov_check_field("phone_number", phone, ALIYUN_ADDR_MAX, 1, err, errlen) < 0 ||
        prov_check_field("content", content, ALIYUN_TEXT_MAX, 0, err, errlen) < 0 ||
        prov_check_field("sequence_id", seq, ALIYUN_ID_MAX, 1, err, errlen) < 0 ||
        prov_check_field("send_time", send_time, ALIYUN_ID_MAX, 1, err, errlen) < 0 ||
        prov_check_field("dest_code", dest, ALIYUN_ADDR_MAX, 1, err, errlen) < 0)
        return -1;

    struct gw_buf id = {0};
    if (seq && *seq) {
        gw_buf_printf(&id, "%s:%s", phone, seq);
    } else if (send_time && *send_time) {
        unsigned char d[PC_SHA1_LEN];
        char hex[2 * PC_SHA1_LEN + 1];
        if (pc_sha1(content, strlen(content), d) < 0) {
            gw_err(err, errlen, "cannot hash the content");
            return -1;
        }
        gw_hex(d, sizeof d, hex);
        gw_buf_printf(&id, "%s:%s:%s", phone, send_time, hex);
    } else {
        gw_err(err, errlen, "record %zu: missing field: sequence_id (and no send_time)", idx + 1);
        return -1;
    }
    struct gw_msg *m = gw_msgv_push(out);
    m->provider_id = gw_buf_steal(&id);
    m->from = gw_strdup(phone);
    m->to = dest && *dest ? gw_strdup(dest) : NULL;
    m->text = gw_strdup(content);
    return 0;
}

static int parse_sms(const struct gw_channel *ch, const struct prov_request *req, struct gw_msgv *out, char *err,
                     size_t errlen)
{
    struct gw_msgv got = {0};
    int rc = PROV_EBADREQ;
    if (is_check(req)) {
        gw_err(err, errlen, "connectivity check");
        return PROV_IGNORED;
    }
    json_t *root = load_records(req, err, errlen);
    if (!root) goto done;
    size_t i;
    json_t *rec;
    json_array_foreach(root, i, rec)
    {
        if (looks_like_report(rec)) continue; /* SmsReport pushed to the SMS URL: not a message */
        if (smsup_record(rec, i, &got, err, errlen) < 0) goto done;
    }
    if (got.n == 0) {
        gw_err(err, errlen, "no replies in this push (delivery reports or an empty array)");
        rc = PROV_IGNORED;
        goto done;
    }
    for (i = 0; i < got.n; i++) *gw_msgv_push(out) = got.v[i]; /* ownership moves to out */
    free(got.v);
    got = (struct gw_msgv){0};
    rc = PROV_OK;
done:
    gw_msgv_free(&got);
    json_decref(root);
    return rc;
}

static void ack(struct prov_response *resp, const char *body)
{
    resp->status = 200;
    resp->content_type = "application/json";
    gw_buf_reset(&resp->body);
    gw_buf_puts(&resp->body, body);
}

static void render_sms_ack(const struct gw_channel *ch, const struct gw_msgv *msgs, struct prov_response *resp)
{
    ack(resp, msgs && msgs->n ? ACK_RECEIVED : ACK_CHECK);
}

/* ---- delivery reports (SmsReport) ------------------------------------------ */

/* Appends record idx (an SmsReport object) to out. Returns 0, or -1 with err. */
static int report_record(json_t *rec, size_t idx, struct prov_statusv *out, char *err, size_t errlen)
{
    char n_biz[24], n_out[24], n_phone[24];
    const char *biz, *out_id, *code, *msg, *phone;
    if (member_text(rec, idx, "biz_id", 0, n_biz, &biz, err, errlen) < 0 ||
        member_text(rec, idx, "out_id", 0, n_out, &out_id, err, errlen) < 0 ||
        member_text(rec, idx, "err_code", 1, NULL, &code, err, errlen) < 0 ||
        member_text(rec, idx, "err_msg", 1, NULL, &msg, err, errlen) < 0 ||
        member_text(rec, idx, "phone_number", 0, n_phone, &phone, err, errlen) < 0)
        return -1;
    if ((!biz || !*biz) && (!out_id || !*out_id)) {
        gw_err(err, errlen, "record %zu: missing field: biz_id", idx + 1);
        return -1;
    }
    if (prov_check_field("biz_id", biz, ALIYUN_ID_MAX, 1, err, errlen) < 0 ||
        prov_check_field("out_id", out_id, ALIYUN_ID_MAX, 1, err, errlen) < 0 ||
        prov_check_field("err_code", code, ALIYUN_ID_MAX, 1, err, errlen) < 0 ||
        prov_check_field("err_msg", msg, ALIYUN_ERRMSG_MAX, 1, err, errlen) < 0 ||
        prov_check_field("phone_number", phone, ALIYUN_ADDR_MAX, 1, err, errlen) < 0)
        return -1;

    /* success is a JSON boolean; "true"/"false" strings are tolerated;
     * without it, err_code DELIVERED still means delivered. */
    json_t *s = json_object_get(rec, "success");
    const char *sv = json_is_string(s) ? json_string_value(s) : NULL;
    enum prov_status_code st = PROV_ST_UNKNOWN;
    const char *word = NULL;
    if (json_is_true(s) || (sv && !strcmp(sv, "true"))) {
        st = PROV_ST_DELIVERED;
        word = "true";
    } else if (json_is_false(s) || (sv && !strcmp(sv, "false"))) {
        st = PROV_ST_FAILED;
        word = "false";
    } else if (code && !strcmp(code, "DELIVERED")) {
        st = PROV_ST_DELIVERED;
    }

    struct prov_status *r = prov_statusv_push(out);
    r->provider_msg_id = biz && *biz ? gw_strdup(biz) : NULL;
    r->ref = out_id && *out_id ? gw_strdup(out_id) : NULL;
    r->status = st;
    r->raw_status = gw_strdup(code && *code ? code : word ? word : "");
    if (st != PROV_ST_DELIVERED && ((code && *code) || (msg && *msg))) {
        struct gw_buf e = {0};
        gw_buf_printf(&e, "%s%s%s", code ? code : "", code && *code && msg && *msg ? " " : "", msg ? msg : "");
        r->error = gw_buf_steal(&e);
    }
    r->phone = phone && *phone ? gw_strdup(phone) : NULL;
    return 0;
}

static int parse_status(const struct gw_channel *ch, const struct prov_request *req, struct prov_statusv *out,
                        char *err, size_t errlen)
{
    struct prov_statusv got = {0};
    int rc = PROV_EBADREQ;
    if (is_check(req)) {
        gw_err(err, errlen, "connectivity check");
        return PROV_IGNORED;
    }
    json_t *root = load_records(req, err, errlen);
    if (!root) goto done;
    size_t i;
    json_t *rec;
    json_array_foreach(root, i, rec)
    {
        if (looks_like_reply(rec)) continue; /* SmsUp pushed to the status URL */
        if (report_record(rec, i, &got, err, errlen) < 0) goto done;
    }
    if (got.n == 0) {
        gw_err(err, errlen, "no delivery reports in this push");
        rc = PROV_IGNORED;
        goto done;
    }
    for (i = 0; i < got.n; i++) *prov_statusv_push(out) = got.v[i]; /* ownership moves to out */
    free(got.v);
    got = (struct prov_statusv){0};
    rc = PROV_OK;
done:
    prov_statusv_free(&got);
    json_decref(root);
    return rc;
}

static void render_status_ack(const struct gw_channel *ch, struct prov_response *resp) { ack(resp, ACK_RECEIVED); }

/* ---- sending: RPC signature v1 and SendSms ---------------------------------- */

static int by_name(const void *a, const void *b)
{
    const struct prov_aliyun_param *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

int prov_aliyun_sign(const char *method, const char *access_key_secret, const struct prov_aliyun_param *params,
                     size_t n, struct gw_buf *canonical, char sig[PROV_ALIYUN_SIG_LEN + 1])
{
    const struct prov_aliyun_param **sorted = gw_malloc((n ? n : 1) * sizeof *sorted);
    struct gw_buf canon = {0}, sts = {0}, key = {0};
    unsigned char mac[PC_SHA1_LEN];
    int rc = -1;

    sig[0] = '\0';
    for (size_t i = 0; i < n; i++) sorted[i] = &params[i];
    qsort(sorted, n, sizeof *sorted, by_name);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && !strcmp(sorted[i - 1]->name, sorted[i]->name)) goto fail;
        if (i > 0) gw_buf_putc(&canon, '&');
        form_put_encoded(&canon, sorted[i]->name, 0);
        gw_buf_putc(&canon, '=');
        form_put_encoded(&canon, sorted[i]->value, 0);
    }
    gw_buf_puts(&sts, method);
    gw_buf_puts(&sts, "&%2F&");
    form_put_encoded(&sts, gw_buf_cstr(&canon), 0);
    gw_buf_puts(&key, access_key_secret);
    gw_buf_putc(&key, '&');
    if (pc_hmac_sha1(key.p, key.len, sts.p, sts.len, mac) < 0) goto fail;
    if (pc_base64(mac, sizeof mac, sig, PROV_ALIYUN_SIG_LEN + 1) != PROV_ALIYUN_SIG_LEN) goto fail;
    if (canonical) gw_buf_append(canonical, canon.p ? canon.p : "", canon.len);
    rc = 0;
fail:
    if (rc < 0) sig[0] = '\0';
    memset(mac, 0, sizeof mac);
    if (key.p) memset(key.p, 0, key.len);
    gw_buf_free(&key);
    gw_buf_free(&sts);
    gw_buf_free(&canon);
    free(sorted);
    return rc;
}

/* PhoneNumbers wants national digits for the mainland: "+86" is stripped;
 * another country keeps its code without the '+' (Aliyun's international
 * form). Returns 0, or -1 when to is not '+'? digits of a plausible length. */
static int recipient(const char *to, char *out, size_t outlen)
{
    if (!to) return -1;
    const char *p = to;
    if (!strncmp(p, "+86", 3))
        p += 3;
    else if (*p == '+')
        p++;
    size_t n = strlen(p);
    if (n < 5 || n > 20 || n >= outlen) return -1;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9') return -1;
    memcpy(out, p, n + 1);
    return 0;
}

/* TemplateParam: a JSON object of strings, the template's variables in the
 * order of m->tmpl_vars (every one must have a string value in
 * m->vars_json). Without tmpl_vars, every variable of vars_json is sent in
 * its own order (Aliyun matches them by name). *out is owned by the caller
 * (free), NULL when there is nothing to send. Returns 0, or -1 with err. */
static int template_param(const struct prov_outbound *m, char **out, char *err, size_t errlen)
{
    const char *tname = m->tmpl ? m->tmpl : "(unnamed)";
    json_t *vars = NULL, *obj = json_object();
    int rc = -1;

    *out = NULL;
    if (m->vars_json && *m->vars_json) {
        vars = json_loads(m->vars_json, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(vars)) {
            gw_err(err, errlen, "template %s: variables are not a JSON object", tname);
            goto done;
        }
    }
    int named = 0;
    for (const char *p = m->tmpl_vars ? m->tmpl_vars : ""; *p;) {
        size_t len = strcspn(p, ",");
        const char *s = p, *e = p + len;
        p = *e ? e + 1 : e;
        while (s < e && *s == ' ') s++;
        while (e > s && e[-1] == ' ') e--;
        if (s == e) continue;
        char name[ALIYUN_VAR_MAX];
        if ((size_t)(e - s) >= sizeof name) {
            gw_err(err, errlen, "template %s: variable name too long", tname);
            goto done;
        }
        memcpy(name, s, (size_t)(e - s));
        name[e - s] = '\0';
        named = 1;
        json_t *v = vars ? json_object_get(vars, name) : NULL;
        if (!json_is_string(v)) {
            gw_err(err, errlen, "template %s: no text for variable %s", tname, name);
            goto done;
        }
        if (json_object_set(obj, name, v) < 0) {
            gw_err(err, errlen, "template %s: variable name is not UTF-8", tname);
            goto done;
        }
    }
    if (!named && vars) {
        const char *k;
        json_t *v;
        json_object_foreach(vars, k, v)
        {
            if (!json_is_string(v)) {
                gw_err(err, errlen, "template %s: variable %s is not text", tname, k);
                goto done;
            }
            json_object_set(obj, k, v); /* k came out of a parsed object: valid UTF-8 */
        }
    }
    if (json_object_size(obj) > 0) {
        *out = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!*out) {
            gw_err(err, errlen, "template %s: cannot encode the variables", tname);
            goto done;
        }
    }
    rc = 0;
done:
    json_decref(obj);
    json_decref(vars);
    return rc;
}

static int build_send(const struct gw_channel *ch, const struct prov_outbound *m, struct prov_http *out, char *err,
                      size_t errlen)
{
    const char *key_id = gw_channel_key(ch, "access_key_id");
    const char *secret = gw_channel_key(ch, "access_key_secret");
    const char *sign_name = gw_channel_key(ch, "sign_name");
    char phone[24], ts[32], out_id[24], sig[PROV_ALIYUN_SIG_LEN + 1];
    char *tparam = NULL;
    struct gw_buf body = {0};
    int rc = PROV_EBADREQ;

    if (!m->tmpl_code || !*m->tmpl_code) {
        gw_err(err, errlen, "template %s has no approved code for this channel", m->tmpl ? m->tmpl : "(unnamed)");
        goto done;
    }
    if (!key_id || !*key_id || !secret || !*secret || !sign_name || !*sign_name) {
        gw_err(err, errlen, "channel lacks access_key_id, access_key_secret or sign_name");
        goto done;
    }
    if (recipient(m->to, phone, sizeof phone) < 0) {
        gw_err(err, errlen, "recipient is not a phone number");
        goto done;
    }
    if (!m->nonce || !*m->nonce) {
        gw_err(err, errlen, "no signature nonce");
        goto done;
    }
    time_t t = (time_t)m->now;
    struct tm tm;
    if (m->now < 0 || !gmtime_r(&t, &tm) || !strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
        gw_err(err, errlen, "clock out of range");
        goto done;
    }
    snprintf(out_id, sizeof out_id, "%lld", m->outbox_id);
    if (template_param(m, &tparam, err, errlen) < 0) goto done;

    const struct prov_aliyun_param params[] = {
        {"AccessKeyId", key_id},
        {"Action", "SendSms"},
        {"Format", "JSON"},
        {"OutId", out_id},
        {"PhoneNumbers", phone},
        {"RegionId", "cn-hangzhou"},
        {"SignName", sign_name},
        {"SignatureMethod", "HMAC-SHA1"},
        {"SignatureNonce", m->nonce},
        {"SignatureVersion", "1.0"},
        {"TemplateCode", m->tmpl_code},
        {"Timestamp", ts},
        {"Version", "2017-05-25"},
        {"TemplateParam", tparam ? tparam : ""}, /* last: left out when the template has no variables */
    };
    size_t n = sizeof params / sizeof params[0] - (tparam ? 0 : 1);
    if (prov_aliyun_sign("POST", secret, params, n, &body, sig) < 0) {
        gw_err(err, errlen, "cannot sign the request");
        goto done;
    }
    gw_buf_puts(&body, "&Signature=");
    form_put_encoded(&body, sig, 0);

    free(out->url);
    out->url = gw_strdup(ch->url && *ch->url ? ch->url : ALIYUN_URL);
    out->method = "POST";
    gw_buf_free(&out->body);
    out->body = body;
    body = (struct gw_buf){0};
    gw_buf_reset(&out->headers);
    gw_buf_puts(&out->headers, "Content-Type: application/x-www-form-urlencoded\n");
    gw_buf_puts(&out->headers, "Accept: application/json\n");
    free(out->userpwd);
    out->userpwd = NULL;
    rc = PROV_OK;
done:
    gw_buf_free(&body);
    free(tparam);
    return rc;
}

/* Whether an error Code is worth trying again: flow control and throttling
 * (the per-number limits lift within the hour or day), server-side errors,
 * a nonce collision (the retry carries a new one). Everything else (bad
 * number, template, signature, balance, account) needs a person. */
static int retryable(const char *code)
{
    static const char *const prefixes[] = {"isv.BUSINESS_LIMIT", "BUSINESS_LIMIT_CONTROL", "Throttling", NULL};
    static const char *const exact[] = {"isv.DAY_LIMIT_CONTROL", "isp.SYSTEM_ERROR",   "isp.GATEWAY_ERROR",
                                        "isp.UNKNOWN",           "InternalError",      "ServiceUnavailable",
                                        "SignatureNonceUsed",    "isv.DATA_NOT_EXIST", NULL};
    for (size_t i = 0; prefixes[i]; i++)
        if (!strncmp(code, prefixes[i], strlen(prefixes[i]))) return 1;
    for (size_t i = 0; exact[i]; i++)
        if (!strcmp(code, exact[i])) return 1;
    return 0;
}

/* The verdict of an answer below 500: its Code ("OK" is accepted). No
 * Code is no verdict: the status decides (an unreadable 2xx is retried). */
static enum prov_verdict read_send_answer(const char *body, size_t len, char *msg_id, size_t idlen, char *err,
                                          size_t errlen)
{
    json_t *root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *jc = json_object_get(root, "Code"), *jm = json_object_get(root, "Message");
    const char *code = json_is_string(jc) ? json_string_value(jc) : NULL;
    const char *message = json_is_string(jm) ? json_string_value(jm) : "";
    enum prov_verdict v;
    if (!code) {
        v = PROV_V_NONE;
    } else if (!strcmp(code, "OK")) {
        json_t *jb = json_object_get(root, "BizId");
        const char *biz = json_is_string(jb) ? json_string_value(jb) : "";
        if (msg_id && idlen && gw_strlcpy(msg_id, biz, idlen) < 0) {
            msg_id[0] = '\0'; /* a cut id would match the wrong report; OutId still identifies it */
            gw_err(err, errlen, "BizId too long");
        }
        v = PROV_V_ACCEPTED;
    } else {
        gw_err(err, errlen, "%s: %s", code, message);
        v = retryable(code) ? PROV_V_TRANSIENT : PROV_V_REFUSED;
    }
    json_decref(root);
    return v;
}

static int parse_send(const struct gw_channel *ch, long http_status, const char *body, size_t len, char *msg_id,
                      size_t idlen, int *opted_out, char *err, size_t errlen)
{
    return prov_send_read_coded(http_status, body, len, read_send_answer, msg_id, idlen, opted_out, err, errlen);
}

const struct provider_ops prov_aliyun = {
    .name = "aliyun",
    .required_keys = required_keys,
    .optional_keys = optional_keys,
    .template_only = 1,
    .template_key = "aliyun_code",
    .verify = prov_verify_token,
    .parse_sms = parse_sms,
    .render_sms_ack = render_sms_ack,
    .parse_status = parse_status,
    .render_status_ack = render_status_ack,
    .build_send = build_send,
    .parse_send = parse_send,
};
