/* providers/africastalking.c - Africa's Talking SMS: inbound messages, delivery reports, the messaging API.
 *
 * Every AT callback is a form POST. AT signs
 * nothing, so the channel has a long random `token` that the operator puts
 * in the callback URLs configured in AT's dashboard
 * (<public_url>/hooks/<channel>/sms?token=...); verify accepts a request
 * only when its query carries that token. The two values are hashed before
 * a constant-time compare, so neither their bytes nor the token's length
 * leak through timing. The token travels in the URL: whoever logs request
 * targets must redact it.
 *
 * Inbound SMS: from, to, text, date, id, linkId, networkCode; id and from
 * required (date is the provider's; the gateway stamps its own receipt
 * time; linkId only matters for premium replies, which we do not send).
 * Delivery reports: id, status, phoneNumber, networkCode, failureReason.
 * Sent, Submitted and Buffered are PROV_ST_SENT (with the carrier, not yet
 * on the handset); Success is DELIVERED; Rejected, Failed and Expired are
 * FAILED; any other word is UNKNOWN and still acknowledged. failureReason
 * UserInBlackList sets opted_out. AT documents no answer body for either:
 * both are acknowledged with 200 text/plain "OK".
 *
 * Sending: POST {base}/version1/messaging, base https://api.africastalking.com
 * or the channel's `url`, header apiKey, form username, to, message and
 * from (the channel's `number`, when set). Success is a 2xx (AT answers
 * 201) whose SMSMessageData.Recipients[0] has status "Success" and a
 * messageId; another recipient status fails with that status (a
 * blacklisted recipient as an opt-out); "Success" without a usable
 * messageId fails (a retry would send it twice); a 2xx without a readable
 * recipient status is an unreadable answer and is retried (prov_classify);
 * 429, 5xx and no answer are retried; every other status fails. Pure
 * translation: no I/O, no state.
 *
 * USSD: a form POST of sessionId, serviceCode,
 * phoneNumber, networkCode and text (every input so far joined by '*',
 * "" on the first step); sessionId and phoneNumber are required, text is
 * capped at AT_USSD_TEXT_MAX bytes. The answer is 200 text/plain, "CON "
 * or "END " and the screen.
 *
 * Voice: each step of a call POSTs isActive,
 * sessionId, callerNumber, destinationNumber and, after a GetDigits or a
 * Record, dtmfDigits or recordingUrl; the last request (isActive=0) is
 * the call's end (final) with durationInSeconds. render_voice writes AT's
 * voice XML: Say (voice woman), GetDigits with one nested Say, Record
 * with its prompt nested, Dial, Redirect; every callbackUrl and Redirect
 * carries ?token= like the number's own callback URL. AT has no Hangup:
 * the call ends where the action list ends. Answered as application/xml.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "crypto.h"
#include "form.h"
#include "provider.h"

#define AT_ID_MAX     128  /* bytes in a message id (UUID-like or numeric) */
#define AT_ADDR_MAX   64   /* bytes in from / to / phoneNumber (E.164, short codes, sender ids) */
#define AT_TEXT_MAX   8192 /* bytes in text */
#define AT_STATUS_MAX 32   /* bytes in a status word */
#define AT_REASON_MAX 64   /* bytes in failureReason / a recipient status */

static const char *const required_keys[] = {"username", "api_key", "token", NULL};
static const char *const optional_keys[] = {"number", "ussd_code", NULL};
/* AT documents no recordings host; the recordingUrl seen in the wild is on
 * voice.africastalking.com, so AT's own domain is the default. Recordings
 * served from another host need [channel] media_hosts. */
static const char *const media_hosts[] = {"*.africastalking.com", NULL};

static const char at_api[] = "https://api.africastalking.com";
static const char blacklisted[] = "UserInBlackList"; /* AT also writes "UserInBlacklist" */

/* Decodes the form body of a callback into *f. Returns 0, or -1 with err. */
static int parse_body(const struct prov_request *req, struct form *f, char *err, size_t errlen)
{
    const char *ct = req->content_type;
    if (ct && *ct && !form_media_type_is(ct, "application/x-www-form-urlencoded")) {
        gw_err(err, errlen, "unsupported content type");
        return -1;
    }
    return form_parse(req->body, req->body_len, f, err, errlen);
}

static int parse_sms(const struct gw_channel *ch, const struct prov_request *req, struct gw_msgv *out, char *err,
                     size_t errlen)
{
    struct form f = {0};
    int rc = PROV_EBADREQ;

    if (parse_body(req, &f, err, errlen) < 0) goto done;
    const char *id = form_get(&f, "id");
    const char *from = form_get(&f, "from");
    const char *to = form_get(&f, "to");
    const char *text = form_get(&f, "text");
    if ((!from || !*from) && form_get(&f, "status")) {
        gw_err(err, errlen, "delivery report, not an inbound message");
        rc = PROV_IGNORED;
        goto done;
    }
    const struct prov_field fields[] = {
        {"id", id, AT_ID_MAX, 1, 1},
        {"from", from, AT_ADDR_MAX, 1, 1},
        {"to", to, AT_ADDR_MAX, 1, 0},
        {"text", text, AT_TEXT_MAX, 0, 0},
    };
    if (prov_check_fields(fields, sizeof fields / sizeof fields[0], err, errlen) != PROV_OK) goto done;
    prov_push_sms(out, id, from, to, text);
    rc = PROV_OK;
done:
    form_free(&f);
    return rc;
}

/* Both callbacks get the same plain answer. */
static void render_ok(struct prov_response *resp)
{
    resp->status = 200;
    resp->content_type = "text/plain";
    gw_buf_reset(&resp->body);
    gw_buf_puts(&resp->body, "OK");
}

static void render_sms_ack(const struct gw_channel *ch, const struct gw_msgv *msgs, struct prov_response *resp)
{
    render_ok(resp);
}

/* ---- delivery reports ---------------------------------------------------- */

static enum prov_status_code status_code(const char *s)
{
    static const struct {
        const char *word;
        enum prov_status_code code;
    } map[] = {
        {"Sent", PROV_ST_SENT},         {"Submitted", PROV_ST_SENT},  {"Buffered", PROV_ST_SENT},
        {"Success", PROV_ST_DELIVERED}, {"Rejected", PROV_ST_FAILED}, {"Failed", PROV_ST_FAILED},
        {"Expired", PROV_ST_FAILED},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(s, map[i].word)) return map[i].code;
    return PROV_ST_UNKNOWN;
}

static int parse_status(const struct gw_channel *ch, const struct prov_request *req, struct prov_statusv *out,
                        char *err, size_t errlen)
{
    struct form f = {0};
    int rc = PROV_EBADREQ;

    if (parse_body(req, &f, err, errlen) < 0) goto done;
    const char *id = form_get(&f, "id");
    const char *status = form_get(&f, "status");
    const char *phone = form_get(&f, "phoneNumber");
    const char *reason = form_get(&f, "failureReason");
    if (!status && form_get(&f, "from")) {
        /* Refused rather than acknowledged, so the message is not lost in silence. */
        gw_err(err, errlen, "an inbound message, not a delivery report");
        goto done;
    }
    const struct prov_field fields[] = {
        {"id", id, AT_ID_MAX, 1, 1},
        {"status", status, AT_STATUS_MAX, 1, 1},
        {"phoneNumber", phone, AT_ADDR_MAX, 1, 0},
        {"failureReason", reason, AT_REASON_MAX, 1, 0},
    };
    if (prov_check_fields(fields, sizeof fields / sizeof fields[0], err, errlen) != PROV_OK) goto done;

    struct prov_status *st = prov_statusv_push(out);
    st->provider_msg_id = gw_strdup(id);
    st->status = status_code(status);
    st->raw_status = gw_strdup(status);
    st->error = reason && *reason ? gw_strdup(reason) : NULL;
    st->phone = phone && *phone ? gw_strdup(phone) : NULL;
    st->opted_out = reason && !strcasecmp(reason, blacklisted);
    rc = PROV_OK;
done:
    form_free(&f);
    return rc;
}

static void render_status_ack(const struct gw_channel *ch, struct prov_response *resp) { render_ok(resp); }

/* ---- sending ------------------------------------------------------------- */

static int build_send(const struct gw_channel *ch, const struct prov_outbound *m, struct prov_http *out, char *err,
                      size_t errlen)
{
    const char *user = gw_channel_key(ch, "username");
    const char *key = gw_channel_key(ch, "api_key");
    const char *number = gw_channel_key(ch, "number");

    memset(out, 0, sizeof *out);
    if (!user || !*user || !key || !*key) {
        gw_err(err, errlen, "channel needs username and api_key");
        return PROV_EBADREQ;
    }
    if (strpbrk(key, "\r\n")) { /* it goes into a header line */
        gw_err(err, errlen, "api_key holds a line break");
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

    struct gw_buf url = {0};
    const char *base = ch->url && *ch->url ? ch->url : at_api;
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/') blen--;
    gw_buf_append(&url, base, blen);
    gw_buf_puts(&url, "/version1/messaging");
    out->url = gw_buf_steal(&url);
    out->method = "POST";
    gw_buf_printf(&out->headers,
                  "apiKey: %s\nAccept: application/json\nContent-Type: application/x-www-form-urlencoded\n", key);
    form_put_param(&out->body, "username", user);
    form_put_param(&out->body, "to", m->to);
    form_put_param(&out->body, "message", m->text);
    if (number && *number) form_put_param(&out->body, "from", number);
    return PROV_OK;
}

/* The verdict of a 2xx answer: Recipients[0]'s status, then its messageId. */
static enum prov_verdict read_send_answer(const char *body, size_t len, char *msg_id, size_t idlen, char *err,
                                          size_t errlen)
{
    json_t *root = json_loadb(body, body ? len : 0, 0, NULL);
    json_t *data = json_object_get(root, "SMSMessageData");
    json_t *rcpt = json_array_get(json_object_get(data, "Recipients"), 0);
    json_t *jstatus = json_object_get(rcpt, "status");
    json_t *jid = json_object_get(rcpt, "messageId");
    const char *status = json_is_string(jstatus) ? json_string_value(jstatus) : NULL;
    const char *id = json_is_string(jid) ? json_string_value(jid) : NULL;
    enum prov_verdict v = PROV_V_NONE;

    if (!json_is_object(rcpt)) {
        gw_err(err, errlen, "no recipient in answer");
    } else if (!status || prov_check_field("status", status, AT_REASON_MAX, 1, NULL, 0) < 0) {
        gw_err(err, errlen, "no readable recipient status in answer");
    } else if (strcmp(status, "Success")) {
        gw_err(err, errlen, "recipient status: %s", status);
        v = !strcasecmp(status, blacklisted) ? PROV_V_OPTED_OUT : PROV_V_REFUSED;
    } else if (!id || !*id) {
        gw_err(err, errlen, "no messageId in answer");
        v = PROV_V_BAD_ID;
    } else if (strlen(id) >= idlen || prov_check_field("messageId", id, AT_ID_MAX, 1, NULL, 0) < 0) {
        gw_err(err, errlen, "bad messageId in answer");
        v = PROV_V_BAD_ID;
    } else {
        gw_strlcpy(msg_id, id, idlen);
        v = PROV_V_ACCEPTED;
    }
    json_decref(root);
    return v;
}

/* Only a 2xx body is read (AT documents none for errors; 401 is a bad
 * username or api_key); every other status decides by itself. */
static int parse_send(const struct gw_channel *ch, long http_status, const char *body, size_t len, char *msg_id,
                      size_t idlen, int *opted_out, char *err, size_t errlen)
{
    return prov_send_read_2xx(http_status, body, len, read_send_answer, msg_id, idlen, opted_out, err, errlen);
}

/* ---- USSD ------------------------------------------------------------------ */

#define AT_CODE_MAX      64   /* bytes in serviceCode / networkCode */
#define AT_USSD_TEXT_MAX 4096 /* bytes in text: every input of the session joined by '*' */

static int parse_ussd(const struct gw_channel *ch, const struct prov_request *req, struct prov_ussd *out, char *err,
                      size_t errlen)
{
    struct form f = {0};
    int rc = PROV_EBADREQ;

    memset(out, 0, sizeof *out);
    if (parse_body(req, &f, err, errlen) < 0) goto done;
    const char *sid = form_get(&f, "sessionId");
    const char *phone = form_get(&f, "phoneNumber");
    const char *code = form_get(&f, "serviceCode");
    const char *net = form_get(&f, "networkCode");
    const char *text = form_get(&f, "text");
    if (!sid || !*sid) {
        gw_err(err, errlen, "missing field: sessionId");
        goto done;
    }
    if (!phone || !*phone) {
        gw_err(err, errlen, "missing field: phoneNumber");
        goto done;
    }
    if (prov_check_field("sessionId", sid, AT_ID_MAX, 1, err, errlen) < 0 ||
        prov_check_field("phoneNumber", phone, AT_ADDR_MAX, 1, err, errlen) < 0 ||
        prov_check_field("serviceCode", code, AT_CODE_MAX, 1, err, errlen) < 0 ||
        prov_check_field("networkCode", net, AT_CODE_MAX, 1, err, errlen) < 0 ||
        prov_check_field("text", text, AT_USSD_TEXT_MAX, 0, err, errlen) < 0)
        goto done;

    out->session_id = gw_strdup(sid);
    out->phone = gw_strdup(phone);
    out->service_code = code && *code ? gw_strdup(code) : NULL;
    out->text = gw_strdup(text ? text : ""); /* "" on the first step */
    rc = PROV_OK;
done:
    form_free(&f);
    return rc;
}

static void render_ussd(const struct gw_channel *ch, int end, const char *screen, struct prov_response *resp)
{
    resp->status = 200;
    resp->content_type = "text/plain; charset=utf-8";
    gw_buf_reset(&resp->body);
    gw_buf_puts(&resp->body, end ? "END " : "CON ");
    gw_buf_puts(&resp->body, screen ? screen : "");
}

/* ---- voice ----------------------------------------------------------------- */

#define AT_DIGITS_MAX  64      /* bytes in dtmfDigits */
#define AT_URL_MAX     1024    /* bytes in recordingUrl */
#define AT_SECONDS_MAX 604800L /* a week: larger durations are not believed */

static char *dup_nonempty(const char *s) { return s && *s ? gw_strdup(s) : NULL; }

static int parse_voice(const struct gw_channel *ch, const struct prov_request *req, struct prov_voice *out, char *err,
                       size_t errlen)
{
    struct form f = {0};
    int rc = PROV_EBADREQ;

    memset(out, 0, sizeof *out);
    if (parse_body(req, &f, err, errlen) < 0) goto done;
    const char *sid = form_get(&f, "sessionId");
    const char *from = form_get(&f, "callerNumber");
    const char *to = form_get(&f, "destinationNumber");
    const char *digits = form_get(&f, "dtmfDigits");
    const char *rec = form_get(&f, "recordingUrl");
    const char *active = form_get(&f, "isActive");
    const char *status = form_get(&f, "status");
    const char *dur = form_get(&f, "durationInSeconds");
    if (!sid || !*sid) {
        gw_err(err, errlen, "missing field: sessionId");
        goto done;
    }
    if (prov_check_field("sessionId", sid, AT_ID_MAX, 1, err, errlen) < 0 ||
        prov_check_field("callerNumber", from, AT_ADDR_MAX, 1, err, errlen) < 0 ||
        prov_check_field("destinationNumber", to, AT_ADDR_MAX, 1, err, errlen) < 0 ||
        prov_check_field("dtmfDigits", digits, AT_DIGITS_MAX, 1, err, errlen) < 0 ||
        prov_check_field("recordingUrl", rec, AT_URL_MAX, 1, err, errlen) < 0 ||
        prov_check_field("status", status, AT_STATUS_MAX, 1, err, errlen) < 0)
        goto done;

    long secs = -1;
    if (dur && gw_parse_long(dur, 0, AT_SECONDS_MAX, &secs) < 0) secs = -1;
    out->call_id = gw_strdup(sid);
    out->from = gw_strdup(from ? from : "");
    out->to = dup_nonempty(to);
    out->digits = dup_nonempty(digits);
    out->recording_url = dup_nonempty(rec); /* "" when nothing was recorded */
    out->call_status = dup_nonempty(status);
    out->final = active && !strcmp(active, "0");
    /* The final request's duration is the call's; a recording's own length is not given. */
    out->duration = out->final ? secs : -1;
    out->recording_duration = -1;
    rc = PROV_OK;
done:
    form_free(&f);
    return rc;
}

/* Appends the escaped URL of step `next`, with the channel's token: AT
 * signs nothing, so every callback must bring it back. */
static void step_url(struct gw_buf *b, const struct gw_channel *ch, const char *step_base, const char *next)
{
    struct gw_buf u = {0};
    const char *token = ch ? gw_channel_key(ch, "token") : NULL;
    gw_buf_puts(&u, step_base);
    gw_buf_puts(&u, next);
    if (token && *token) {
        gw_buf_puts(&u, "?token=");
        form_put_encoded(&u, token, 0);
    }
    gw_buf_put_markup(b, gw_buf_cstr(&u), 0);
    gw_buf_free(&u);
}

static void say(struct gw_buf *b, const char *text)
{
    gw_buf_puts(b, "<Say voice=\"woman\">");
    gw_buf_put_markup(b, text, 0);
    gw_buf_puts(b, "</Say>");
}

static void render_voice(const struct gw_channel *ch, const struct voice_doc *doc, const char *step_base,
                         struct prov_response *resp)
{
    struct gw_buf *b = &resp->body;
    resp->status = 200;
    resp->content_type = "application/xml";
    gw_buf_reset(b);
    gw_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    if (!doc || doc->n <= 0) {
        gw_buf_puts(b, "<Response/>");
        return;
    }
    gw_buf_puts(b, "<Response>");
    for (int i = 0; i < doc->n && i < VOICE_MAX_VERBS; i++) {
        const struct voice_verb *v = &doc->v[i];
        switch (v->kind) {
        case VOICE_SAY: say(b, v->text); break;
        case VOICE_GATHER:
            gw_buf_puts(b, "<GetDigits");
            if (v->num_digits > 0) gw_buf_printf(b, " numDigits=\"%d\"", v->num_digits);
            if (v->timeout > 0) gw_buf_printf(b, " timeout=\"%d\"", v->timeout);
            gw_buf_puts(b, " finishOnKey=\"#\" callbackUrl=\"");
            step_url(b, ch, step_base, v->next);
            gw_buf_puts(b, "\">");
            if (v->text[0]) say(b, v->text); /* AT takes exactly one nested Say */
            gw_buf_puts(b, "</GetDigits>");
            break;
        case VOICE_RECORD:
            gw_buf_puts(b, "<Record finishOnKey=\"#\"");
            if (v->max_length > 0) gw_buf_printf(b, " maxLength=\"%d\"", v->max_length);
            gw_buf_puts(b, " trimSilence=\"true\" playBeep=\"true\" callbackUrl=\"");
            step_url(b, ch, step_base, v->next);
            gw_buf_puts(b, "\">");
            if (v->text[0]) say(b, v->text);
            gw_buf_puts(b, "</Record>");
            break;
        case VOICE_DIAL:
            gw_buf_puts(b, "<Dial phoneNumbers=\"");
            gw_buf_put_markup(b, v->number, 0);
            gw_buf_puts(b, "\"/>");
            break;
        case VOICE_HANGUP:
            /* AT has no Hangup: the call ends when the actions run out, so
             * nothing after it is sent. */
            i = doc->n;
            break;
        case VOICE_REDIRECT:
            gw_buf_puts(b, "<Redirect>");
            step_url(b, ch, step_base, v->next);
            gw_buf_puts(b, "</Redirect>");
            break;
        }
    }
    gw_buf_puts(b, "</Response>");
}

const struct provider_ops prov_africastalking = {
    .name = "africastalking",
    .required_keys = required_keys,
    .optional_keys = optional_keys,
    .verify = prov_verify_token,
    .parse_sms = parse_sms,
    .render_sms_ack = render_sms_ack,
    .parse_status = parse_status,
    .render_status_ack = render_status_ack,
    .build_send = build_send,
    .parse_send = parse_send,
    .parse_ussd = parse_ussd,
    .render_ussd = render_ussd,
    .parse_voice = parse_voice,
    .render_voice = render_voice,
    .media_hosts = media_hosts,
};
