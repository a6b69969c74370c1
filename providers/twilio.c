/* providers/twilio.c - Twilio: signature, inbound SMS, status callbacks, the Messages API, voice (TwiML).
 *
 * A webhook is a form POST (or, when the
 * number is configured so, a GET whose parameters are in the query). The
 * X-Twilio-Signature covers the public URL Twilio called (req->url: our
 * public_url + path + raw query) plus, for form POSTs, every decoded body
 * parameter in sorted order; GET webhooks sign the URL only. Webhooks with
 * a JSON body carry bodySHA256=<hex> in the query: the URL alone is signed
 * and the body must hash to it. Status callbacks are signed the same way
 * (their URL carries our ?ref=<outbox id>), and verify covers them too.
 *
 * MessageStatus mapping: queued, accepted, scheduled
 * and sending are PROV_ST_QUEUED (still inside Twilio, not yet handed to a
 * carrier); sent is SENT; delivered and read are DELIVERED; failed,
 * undelivered and canceled are FAILED; any other word is UNKNOWN and still
 * acknowledged. ErrorCode 21610 (recipient unsubscribed) sets opted_out.
 *
 * Sending: POST {base}/2010-04-01/Accounts/{account_sid}/Messages.json,
 * base https://api.twilio.com or the channel's `url`, HTTP Basic
 * account_sid:auth_token, form To, From (the channel's number), Body,
 * StatusCallback. 2xx with "sid" is success; 429, 5xx and no answer are
 * retried; other statuses fail, JSON "code" 21610 as an opt-out. A 2xx
 * without a sid is an unreadable answer and is retried (prov_classify); a
 * 2xx whose sid is malformed or too long fails: Twilio took the message, so
 * a retry would send it twice. Pure translation: no I/O, no state.
 *
 * Voice: every request of a call (the number's
 * Voice URL <public_url>/hooks/<channel>/voice, each action URL
 * .../voice/<step>, and the call-status callback, pointed at the Voice
 * URL) is signed as SMS are, and verify runs first. parse_voice reads
 * CallSid, From (else Caller), To, Digits ("hangup" after a <Record> is no
 * key), RecordingUrl, RecordingDuration, CallStatus and CallDuration; the
 * call is over (final) when CallStatus is completed, busy, failed,
 * no-answer or canceled. render_voice writes TwiML: Say in cmn-CN (the tag
 * Twilio lists for Mandarin), Gather of DTMF with its prompt nested, the
 * prompt then Record (which cannot nest one), Dial, Hangup and Redirect;
 * text and URLs are XML-escaped.
 */
#include "twilio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "crypto.h"
#include "provider.h"

#define TWILIO_SID_MAX    64    /* MessageSid is "SM" + 32 hex; leave room */
#define TWILIO_ADDR_MAX   64    /* E.164, short codes, "whatsapp:+..." */
#define TWILIO_TEXT_MAX   8192  /* Twilio caps Body at 1600 characters */
#define TWILIO_STATUS_MAX 32    /* bytes in MessageStatus ("partially_delivered") */
#define TWILIO_ERROR_MAX  16    /* bytes in ErrorCode (five digits today) */
#define TWILIO_REF_MAX    64    /* bytes in our ?ref= (an outbox id) */
#define TWILIO_OPTED_OUT  21610 /* "Attempt to send to unsubscribed recipient" */

static const char twilio_api[] = "https://api.twilio.com";

static const char *const required_keys[] = {"account_sid", "auth_token", "number", NULL};
/* Recordings are served by the REST API host (/2010-04-01/Accounts/.../Recordings/...). */
static const char *const media_hosts[] = {"api.twilio.com", NULL};
static const char *const optional_keys[] = {NULL};

static const char twiml_empty[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

int prov_twilio_signature(const char *auth_token, const char *url, struct form *params,
                          char out[PROV_TWILIO_SIG_LEN + 1])
{
    struct gw_buf s = {0};
    unsigned char mac[PC_SHA1_LEN];
    int rc = -1;

    gw_buf_puts(&s, url);
    if (params) {
        form_sort(params);
        for (size_t i = 0; i < params->n; i++) {
            const struct form_param *p = &params->v[i];
            if (i > 0) {
                const struct form_param *q = &params->v[i - 1];
                if (q->name_len == p->name_len && q->value_len == p->value_len &&
                    !memcmp(q->name, p->name, p->name_len) && !memcmp(q->value, p->value, p->value_len))
                    continue; /* the SDK signs sorted(set(values)) */
            }
            gw_buf_append(&s, p->name, p->name_len);
            gw_buf_append(&s, p->value, p->value_len);
        }
    }
    if (pc_hmac_sha1(auth_token, strlen(auth_token), s.p, s.len, mac) < 0) goto fail;
    if (pc_base64(mac, sizeof mac, out, PROV_TWILIO_SIG_LEN + 1) != PROV_TWILIO_SIG_LEN) goto fail;
    rc = 0;
fail:
    if (rc < 0) out[0] = '\0';
    memset(mac, 0, sizeof mac);
    gw_buf_free(&s);
    return rc;
}

/* Builds the port variants of url into with_port and without_port (see
 * prov_twilio_check). A URL we cannot split is used as given for both. */
static void port_variants(const char *url, struct gw_buf *with_port, struct gw_buf *without_port)
{
    gw_buf_puts(with_port, url);
    gw_buf_puts(without_port, url);
    const char *sep = strstr(url, "://");
    if (!sep) return;
    const char *auth = sep + 3;
    size_t alen = strcspn(auth, "/?#");
    const char *host = auth;
    for (size_t i = 0; i < alen; i++)
        if (auth[i] == '@') host = auth + i + 1;
    const char *end = auth + alen;
    const char *colon = NULL;
    const char *h = host;
    if (*h == '[') { /* IPv6 literal: the port follows the ']' */
        h = memchr(h, ']', (size_t)(end - h));
        if (!h) return;
    }
    for (const char *c = h; c < end; c++)
        if (*c == ':') colon = c;
    int has_port = colon && colon + 1 < end;
    for (const char *c = colon ? colon + 1 : end; has_port && c < end; c++)
        if (*c < '0' || *c > '9') has_port = 0;

    if (has_port) {
        gw_buf_reset(without_port);
        gw_buf_append(without_port, url, (size_t)(colon - url));
        gw_buf_puts(without_port, end);
        return;
    }
    const char *port = NULL;
    size_t slen = (size_t)(sep - url);
    if (slen == 5 && !strncasecmp(url, "https", 5))
        port = ":443";
    else if (slen == 4 && !strncasecmp(url, "http", 4))
        port = ":80";
    if (!port || colon) return; /* unknown scheme, or a bare "host:" */
    gw_buf_reset(with_port);
    gw_buf_append(with_port, url, (size_t)(end - url));
    gw_buf_puts(with_port, port);
    gw_buf_puts(with_port, end);
}

int prov_twilio_check(const char *auth_token, const char *url, struct form *params, const char *sig, size_t sig_len)
{
    struct gw_buf with_port = {0}, without_port = {0};
    const char *cand[3];
    char mine[PROV_TWILIO_SIG_LEN + 1];
    int ok = 0;

    if (!auth_token || !*auth_token || !url || !sig) return 0;
    port_variants(url, &with_port, &without_port);
    cand[0] = url;
    cand[1] = gw_buf_cstr(&with_port);
    cand[2] = gw_buf_cstr(&without_port);
    for (int i = 0; i < 3; i++) {
        if ((i == 1 && !strcmp(cand[1], cand[0])) ||
            (i == 2 && (!strcmp(cand[2], cand[0]) || !strcmp(cand[2], cand[1]))))
            continue;
        if (prov_twilio_signature(auth_token, cand[i], params, mine) < 0) continue;
        ok |= pc_equal(mine, PROV_TWILIO_SIG_LEN, sig, sig_len);
    }
    memset(mine, 0, sizeof mine);
    gw_buf_free(&with_port);
    gw_buf_free(&without_port);
    return ok;
}

static const char *header(const struct prov_request *req, const char *name)
{
    return req->header ? req->header(req, name) : NULL;
}

static int is_get(const struct prov_request *req) { return req->method && !strcmp(req->method, "GET"); }

/* A POST body is form data when it says so, or says nothing. */
static int is_form(const struct prov_request *req)
{
    return !req->content_type || !*req->content_type ||
           form_media_type_is(req->content_type, "application/x-www-form-urlencoded");
}

static int verify(const struct gw_channel *ch, const struct prov_request *req, char *err, size_t errlen)
{
    struct form params = {0}, query = {0};
    int use_params = 0;
    int rc = PROV_EFORBIDDEN;

    const char *token = gw_channel_key(ch, "auth_token");
    if (!token || !*token) {
        gw_err(err, errlen, "channel has no auth_token");
        goto done;
    }
    const char *sig = header(req, "X-Twilio-Signature");
    if (!sig || !*sig) {
        gw_err(err, errlen, "missing X-Twilio-Signature");
        goto done;
    }
    if (!is_get(req)) {
        const char *body_hash = NULL;
        if (req->query && *req->query && form_parse(req->query, strlen(req->query), &query, NULL, 0) == 0)
            body_hash = form_get(&query, "bodySHA256");
        if (body_hash && !is_form(req)) {
            unsigned char digest[PC_SHA256_LEN];
            char hex[2 * PC_SHA256_LEN + 1];
            if (pc_sha256(req->body, req->body_len, digest) < 0) {
                gw_err(err, errlen, "cannot hash the body");
                goto done;
            }
            gw_hex(digest, sizeof digest, hex);
            if (!pc_hex_equal(hex, body_hash, strlen(body_hash))) {
                gw_err(err, errlen, "bodySHA256 does not match the body");
                goto done;
            }
        } else if (is_form(req)) {
            if (form_parse(req->body, req->body_len, &params, err, errlen) < 0) {
                rc = PROV_EBADREQ; /* no signature can be checked over an undecodable body */
                goto done;
            }
            use_params = 1;
        } else if (req->body_len > 0) {
            gw_err(err, errlen, "body is not covered by the signature");
            goto done;
        }
    }
    if (!prov_twilio_check(token, req->url, use_params ? &params : NULL, sig, strlen(sig))) {
        gw_err(err, errlen, "bad X-Twilio-Signature");
        goto done;
    }
    rc = PROV_OK;
done:
    form_free(&query);
    form_free(&params);
    return rc;
}

/* Status values of outbound messages: a delivery receipt posted to the SMS
 * hook by mistake is acknowledged and ignored, not stored as a message. */
static int is_outbound_status(const char *s)
{
    static const char *const st[] = {"accepted",
                                     "scheduled",
                                     "canceled",
                                     "queued",
                                     "sending",
                                     "sent",
                                     "delivered",
                                     "undelivered",
                                     "failed",
                                     "read",
                                     "partially_delivered",
                                     NULL};
    for (size_t i = 0; s && st[i]; i++)
        if (!strcmp(s, st[i])) return 1;
    return 0;
}

static int parse_sms(const struct gw_channel *ch, const struct prov_request *req, struct gw_msgv *out, char *err,
                     size_t errlen)
{
    struct form f = {0};
    int rc = PROV_EBADREQ;

    if (is_get(req)) {
        const char *q = req->query ? req->query : "";
        if (form_parse(q, strlen(q), &f, err, errlen) < 0) goto done;
    } else {
        if (!is_form(req)) {
            gw_err(err, errlen, "unsupported content type");
            goto done;
        }
        if (form_parse(req->body, req->body_len, &f, err, errlen) < 0) goto done;
    }

    if (is_outbound_status(form_get(&f, "MessageStatus")) || is_outbound_status(form_get(&f, "SmsStatus"))) {
        gw_err(err, errlen, "status callback, not an inbound message");
        rc = PROV_IGNORED;
        goto done;
    }
    const char *sid = form_get(&f, "MessageSid");
    const char *from = form_get(&f, "From");
    const char *to = form_get(&f, "To");
    const char *body = form_get(&f, "Body");
    const struct prov_field fields[] = {
        {"MessageSid", sid, TWILIO_SID_MAX, 1, 1},
        {"From", from, TWILIO_ADDR_MAX, 1, 1},
        {"To", to, TWILIO_ADDR_MAX, 1, 0},
        {"Body", body, TWILIO_TEXT_MAX, 0, 0},
    };
    if (prov_check_fields(fields, sizeof fields / sizeof fields[0], err, errlen) != PROV_OK) goto done;
    prov_push_sms(out, sid, from, to, body);
    rc = PROV_OK;
done:
    form_free(&f);
    return rc;
}

static void render_sms_ack(const struct gw_channel *ch, const struct gw_msgv *msgs, struct prov_response *resp)
{
    resp->status = 200;
    resp->content_type = "text/xml";
    gw_buf_reset(&resp->body);
    gw_buf_append(&resp->body, twiml_empty, sizeof twiml_empty - 1);
}

/* ---- status callbacks ---------------------------------------------------- */

static enum prov_status_code status_code(const char *s)
{
    static const struct {
        const char *word;
        enum prov_status_code code;
    } map[] = {
        {"queued", PROV_ST_QUEUED},   {"accepted", PROV_ST_QUEUED}, {"scheduled", PROV_ST_QUEUED},
        {"sending", PROV_ST_QUEUED},  {"sent", PROV_ST_SENT},       {"delivered", PROV_ST_DELIVERED},
        {"read", PROV_ST_DELIVERED},  {"failed", PROV_ST_FAILED},   {"undelivered", PROV_ST_FAILED},
        {"canceled", PROV_ST_FAILED},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(s, map[i].word)) return map[i].code;
    return PROV_ST_UNKNOWN;
}

static int parse_status(const struct gw_channel *ch, const struct prov_request *req, struct prov_statusv *out,
                        char *err, size_t errlen)
{
    struct form f = {0}, query = {0};
    int rc = PROV_EBADREQ;

    const char *q = req->query ? req->query : "";
    if (form_parse(q, strlen(q), &query, err, errlen) < 0) goto done;
    if (is_get(req)) {
        if (form_parse(q, strlen(q), &f, err, errlen) < 0) goto done;
    } else {
        if (!is_form(req)) {
            gw_err(err, errlen, "unsupported content type");
            goto done;
        }
        if (form_parse(req->body, req->body_len, &f, err, errlen) < 0) goto done;
    }

    const char *sid = form_get(&f, "MessageSid");
    const char *status = form_get(&f, "MessageStatus");
    if (!status) status = form_get(&f, "SmsStatus");
    const char *code = form_get(&f, "ErrorCode");
    const char *to = form_get(&f, "To");
    const char *ref = form_get(&query, "ref");
    if (!sid || !*sid) {
        gw_err(err, errlen, "missing field: MessageSid");
        goto done;
    }
    if (!status || !*status) {
        gw_err(err, errlen, "missing field: MessageStatus");
        goto done;
    }
    if (!strcmp(status, "received") || !strcmp(status, "receiving")) {
        /* An inbound message at the status URL: refuse it, so Twilio's log
         * shows the misconfiguration instead of the message vanishing. */
        gw_err(err, errlen, "an inbound message, not a delivery status");
        goto done;
    }
    if (prov_check_field("MessageSid", sid, TWILIO_SID_MAX, 1, err, errlen) < 0 ||
        prov_check_field("MessageStatus", status, TWILIO_STATUS_MAX, 1, err, errlen) < 0 ||
        prov_check_field("ErrorCode", code, TWILIO_ERROR_MAX, 1, err, errlen) < 0 ||
        prov_check_field("To", to, TWILIO_ADDR_MAX, 1, err, errlen) < 0 ||
        prov_check_field("ref", ref, TWILIO_REF_MAX, 1, err, errlen) < 0)
        goto done;

    long ncode = 0;
    struct prov_status *st = prov_statusv_push(out);
    st->provider_msg_id = gw_strdup(sid);
    st->ref = ref && *ref ? gw_strdup(ref) : NULL;
    st->status = status_code(status);
    st->raw_status = gw_strdup(status);
    st->error = code && *code ? gw_strdup(code) : NULL;
    st->phone = to && *to ? gw_strdup(to) : NULL;
    st->opted_out = code && gw_parse_long(code, 0, 999999, &ncode) == 0 && ncode == TWILIO_OPTED_OUT;
    rc = PROV_OK;
done:
    form_free(&query);
    form_free(&f);
    return rc;
}

static void render_status_ack(const struct gw_channel *ch, struct prov_response *resp)
{
    resp->status = 200;
    resp->content_type = "text/xml";
    gw_buf_reset(&resp->body);
    gw_buf_append(&resp->body, twiml_empty, sizeof twiml_empty - 1);
}

/* ---- sending ------------------------------------------------------------- */

static int build_send(const struct gw_channel *ch, const struct prov_outbound *m, struct prov_http *out, char *err,
                      size_t errlen)
{
    const char *sid = gw_channel_key(ch, "account_sid");
    const char *token = gw_channel_key(ch, "auth_token");
    const char *number = gw_channel_key(ch, "number");

    memset(out, 0, sizeof *out);
    if (!sid || !*sid || !token || !*token || !number || !*number) {
        gw_err(err, errlen, "channel needs account_sid, auth_token and number");
        return PROV_EBADREQ;
    }
    if (!m->to || !*m->to) {
        gw_err(err, errlen, "no recipient");
        return PROV_EBADREQ;
    }
    if (!m->text || !*m->text) {
        gw_err(err, errlen, "no text");
        return PROV_EBADREQ;
    }

    struct gw_buf url = {0}, up = {0};
    const char *base = ch->url && *ch->url ? ch->url : twilio_api;
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/') blen--;
    gw_buf_append(&url, base, blen);
    gw_buf_puts(&url, "/2010-04-01/Accounts/");
    form_put_encoded(&url, sid, 0);
    gw_buf_puts(&url, "/Messages.json");
    out->url = gw_buf_steal(&url);
    out->method = "POST";
    gw_buf_printf(&up, "%s:%s", sid, token);
    out->userpwd = gw_buf_steal(&up);
    gw_buf_puts(&out->headers, "Content-Type: application/x-www-form-urlencoded\nAccept: application/json\n");
    form_put_param(&out->body, "To", m->to);
    form_put_param(&out->body, "From", number);
    form_put_param(&out->body, "Body", m->text);
    if (m->status_url && *m->status_url) form_put_param(&out->body, "StatusCallback", m->status_url);
    return PROV_OK;
}

/* The verdict of a 2xx answer: a "sid" is accepted, none is no verdict. */
static enum prov_verdict read_accepted(json_t *obj, char *msg_id, size_t idlen, char *err, size_t errlen)
{
    json_t *jsid = json_object_get(obj, "sid");
    const char *sid = json_is_string(jsid) ? json_string_value(jsid) : NULL;
    if (!sid || !*sid) {
        gw_err(err, errlen, "no sid in answer");
        return PROV_V_NONE;
    }
    if (strlen(sid) >= idlen || prov_check_field("sid", sid, TWILIO_SID_MAX, 1, err, errlen) < 0) {
        gw_err(err, errlen, "bad sid in answer");
        return PROV_V_BAD_ID;
    }
    gw_strlcpy(msg_id, sid, idlen);
    return PROV_V_ACCEPTED;
}

/* The verdict of an error answer: only code 21610 (unsubscribed) decides,
 * outside 429 and 5xx; the status decides the rest. Only Twilio's numeric
 * error code goes into err: its message text can quote the recipient's
 * number. */
static enum prov_verdict read_refused(json_t *obj, long http_status, char *err, size_t errlen)
{
    json_t *jcode = json_object_get(obj, "code");
    long code = 0;
    if (json_is_integer(jcode) && json_integer_value(jcode) > 0 && json_integer_value(jcode) < 1000000)
        code = (long)json_integer_value(jcode);
    else if (json_is_string(jcode) && gw_parse_long(json_string_value(jcode), 1, 999999, &code) < 0)
        code = 0;
    if (code > 0)
        gw_err(err, errlen, "HTTP %ld code %ld", http_status, code);
    else
        gw_err(err, errlen, "HTTP %ld", http_status);
    return code == TWILIO_OPTED_OUT && http_status != 429 ? PROV_V_OPTED_OUT : PROV_V_NONE;
}

static int parse_send(const struct gw_channel *ch, long http_status, const char *body, size_t len, char *msg_id,
                      size_t idlen, int *opted_out, char *err, size_t errlen)
{
    enum prov_verdict v = PROV_V_NONE;
    if (idlen) msg_id[0] = '\0';
    if (err && errlen) err[0] = '\0';
    if (http_status != 0) {
        json_t *root = json_loadb(body, body ? len : 0, 0, NULL);
        json_t *obj = json_is_object(root) ? root : NULL;
        if (http_status >= 200 && http_status <= 299)
            v = read_accepted(obj, msg_id, idlen, err, errlen);
        else
            v = read_refused(obj, http_status, err, errlen);
        json_decref(root);
    }
    return prov_classify(http_status, 0, v, msg_id, idlen, opted_out, err, errlen);
}

/* ---- voice ----------------------------------------------------------------- */

#define TWILIO_DIGITS_MAX  64      /* bytes in Digits */
#define TWILIO_URL_MAX     1024    /* bytes in RecordingUrl */
#define TWILIO_SECONDS_MAX 604800L /* a week: larger durations are not believed */

/* CallStatus words after which the call is over. */
static int is_final_call_status(const char *s)
{
    static const char *const fin[] = {"completed", "busy", "failed", "no-answer", "canceled", NULL};
    for (size_t i = 0; s && fin[i]; i++)
        if (!strcmp(s, fin[i])) return 1;
    return 0;
}

/* A whole number of seconds, or -1 when absent or not believable. */
static long seconds(const char *s)
{
    long v;
    return s && gw_parse_long(s, 0, TWILIO_SECONDS_MAX, &v) == 0 ? v : -1;
}

static char *dup_nonempty(const char *s) { return s && *s ? gw_strdup(s) : NULL; }

static int parse_voice(const struct gw_channel *ch, const struct prov_request *req, struct prov_voice *out, char *err,
                       size_t errlen)
{
    struct form f = {0};
    int rc = PROV_EBADREQ;

    memset(out, 0, sizeof *out);
    if (is_get(req)) {
        const char *q = req->query ? req->query : "";
        if (form_parse(q, strlen(q), &f, err, errlen) < 0) goto done;
    } else {
        if (!is_form(req)) {
            gw_err(err, errlen, "unsupported content type");
            goto done;
        }
        if (form_parse(req->body, req->body_len, &f, err, errlen) < 0) goto done;
    }
    const char *sid = form_get(&f, "CallSid");
    const char *from = form_get(&f, "From");
    if (!from || !*from) from = form_get(&f, "Caller");
    const char *to = form_get(&f, "To");
    const char *digits = form_get(&f, "Digits");
    const char *rec = form_get(&f, "RecordingUrl");
    const char *status = form_get(&f, "CallStatus");
    if (!sid || !*sid) {
        gw_err(err, errlen, "missing field: CallSid");
        goto done;
    }
    if (prov_check_field("CallSid", sid, TWILIO_SID_MAX, 1, err, errlen) < 0 ||
        prov_check_field("From", from, TWILIO_ADDR_MAX, 1, err, errlen) < 0 ||
        prov_check_field("To", to, TWILIO_ADDR_MAX, 1, err, errlen) < 0 ||
        prov_check_field("Digits", digits, TWILIO_DIGITS_MAX, 1, err, errlen) < 0 ||
        prov_check_field("RecordingUrl", rec, TWILIO_URL_MAX, 1, err, errlen) < 0 ||
        prov_check_field("CallStatus", status, TWILIO_STATUS_MAX, 1, err, errlen) < 0)
        goto done;

    out->call_id = gw_strdup(sid);
    out->from = gw_strdup(from ? from : "");
    out->to = dup_nonempty(to);
    /* After <Record>, Digits is the key that stopped it, or "hangup". */
    out->digits = digits && strcmp(digits, "hangup") ? dup_nonempty(digits) : NULL;
    out->recording_url = dup_nonempty(rec);
    out->call_status = dup_nonempty(status);
    out->duration = seconds(form_get(&f, "CallDuration"));
    out->recording_duration = seconds(form_get(&f, "RecordingDuration"));
    out->final = is_final_call_status(status);
    rc = PROV_OK;
done:
    form_free(&f);
    return rc;
}

/* Appends the escaped URL of step `next`. */
static void step_url(struct gw_buf *b, const char *step_base, const char *next)
{
    gw_buf_put_markup(b, step_base, 0);
    gw_buf_put_markup(b, next, 0);
}

static void say(struct gw_buf *b, const char *text)
{
    gw_buf_puts(b, "<Say language=\"cmn-CN\">");
    gw_buf_put_markup(b, text, 0);
    gw_buf_puts(b, "</Say>");
}

static void render_voice(const struct gw_channel *ch, const struct voice_doc *doc, const char *step_base,
                         struct prov_response *resp)
{
    struct gw_buf *b = &resp->body;
    resp->status = 200;
    resp->content_type = "text/xml";
    gw_buf_reset(b);
    if (!doc || doc->n <= 0) {
        gw_buf_append(b, twiml_empty, sizeof twiml_empty - 1);
        return;
    }
    gw_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>");
    for (int i = 0; i < doc->n && i < VOICE_MAX_VERBS; i++) {
        const struct voice_verb *v = &doc->v[i];
        switch (v->kind) {
        case VOICE_SAY: say(b, v->text); break;
        case VOICE_GATHER:
            gw_buf_puts(b, "<Gather input=\"dtmf\"");
            if (v->num_digits > 0)
                gw_buf_printf(b, " numDigits=\"%d\"", v->num_digits);
            else
                gw_buf_puts(b, " finishOnKey=\"#\"");
            if (v->timeout > 0) gw_buf_printf(b, " timeout=\"%d\"", v->timeout);
            gw_buf_puts(b, " action=\"");
            step_url(b, step_base, v->next);
            gw_buf_puts(b, "\">");
            if (v->text[0]) say(b, v->text);
            gw_buf_puts(b, "</Gather>");
            break;
        case VOICE_RECORD:
            /* <Record> holds no prompt of its own: the prompt is said first. */
            if (v->text[0]) say(b, v->text);
            gw_buf_puts(b, "<Record");
            if (v->max_length > 0) gw_buf_printf(b, " maxLength=\"%d\"", v->max_length);
            if (v->timeout > 0) gw_buf_printf(b, " timeout=\"%d\"", v->timeout);
            gw_buf_puts(b, " finishOnKey=\"#\" action=\"");
            step_url(b, step_base, v->next);
            gw_buf_puts(b, "\"/>");
            break;
        case VOICE_DIAL:
            gw_buf_puts(b, "<Dial>");
            gw_buf_put_markup(b, v->number, 0);
            gw_buf_puts(b, "</Dial>");
            break;
        case VOICE_HANGUP: gw_buf_puts(b, "<Hangup/>"); break;
        case VOICE_REDIRECT:
            gw_buf_puts(b, "<Redirect>");
            step_url(b, step_base, v->next);
            gw_buf_puts(b, "</Redirect>");
            break;
        }
    }
    gw_buf_puts(b, "</Response>");
}

/* ---- recordings -------------------------------------------------------------- */

/* 1 when url is on the origin (scheme://host[:port]) of base. */
static int same_origin(const char *url, const char *base)
{
    const char *sep = strstr(base, "://");
    if (!sep) return 0;
    size_t n = strcspn(sep + 3, "/?#") + (size_t)(sep + 3 - base);
    if (strncasecmp(url, base, n) != 0) return 0;
    char next = url[n];
    return next == '\0' || next == '/' || next == '?' || next == '#';
}

/* The GET of a RecordingUrl. Twilio serves a recording at the URL as given
 * as WAV, and with ".mp3" appended as MP3 (mailroom does
 * the same): about a tenth of the size, so ".mp3" is appended when the
 * URL's last path segment has no extension. Accounts may require HTTP
 * Basic account_sid:auth_token for media: it is sent, but only to Twilio's
 * API host or the channel's own `url` base, never to another host (such a
 * URL is fetched without credentials). */
static int build_fetch(const struct gw_channel *ch, const char *url, struct prov_http *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!url || !*url) {
        gw_err(err, errlen, "no recording URL");
        return PROV_EBADREQ;
    }
    size_t end = strcspn(url, "?#");
    const char *sep = strstr(url, "://");
    const char *path = sep ? strchr(sep + 3, '/') : NULL;
    int add_ext = 0;
    if (path && path < url + end) {
        const char *seg = path;
        for (const char *p = path; p < url + end; p++)
            if (*p == '/') seg = p + 1;
        add_ext = seg < url + end && !memchr(seg, '.', (size_t)(url + end - seg));
    }
    struct gw_buf b = {0};
    gw_buf_append(&b, url, end);
    if (add_ext) gw_buf_puts(&b, ".mp3");
    gw_buf_puts(&b, url + end);
    out->url = gw_buf_steal(&b);
    out->method = "GET";
    const char *sid = gw_channel_key(ch, "account_sid");
    const char *token = gw_channel_key(ch, "auth_token");
    if (sid && *sid && token && *token &&
        (same_origin(url, twilio_api) || (ch->url && *ch->url && same_origin(url, ch->url)))) {
        struct gw_buf up = {0};
        gw_buf_printf(&up, "%s:%s", sid, token);
        out->userpwd = gw_buf_steal(&up);
    }
    return PROV_OK;
}

const struct provider_ops prov_twilio = {
    .name = "twilio",
    .required_keys = required_keys,
    .optional_keys = optional_keys,
    .verify = verify,
    .parse_sms = parse_sms,
    .render_sms_ack = render_sms_ack,
    .parse_status = parse_status,
    .render_status_ack = render_status_ack,
    .build_send = build_send,
    .parse_send = parse_send,
    .parse_voice = parse_voice,
    .render_voice = render_voice,
    .build_fetch = build_fetch,
    .media_hosts = media_hosts,
};
