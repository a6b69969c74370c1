/* providers/twilio.c - Twilio inbound SMS: signature, form parsing, TwiML answer.
 *
 * Follows providers.md §2.1-2.3. A webhook is a form POST (or, when the
 * number is configured so, a GET whose parameters are in the query). The
 * X-Twilio-Signature covers the public URL Twilio called (req->url: our
 * public_url + path + raw query) plus, for form POSTs, every decoded body
 * parameter in sorted order; GET webhooks sign the URL only. Webhooks with
 * a JSON body carry bodySHA256=<hex> in the query: the URL alone is signed
 * and the body must hash to it. Pure translation: no I/O, no state.
 */
#include "twilio.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "provider.h"

#define TWILIO_SID_MAX  64   /* MessageSid is "SM" + 32 hex; leave room */
#define TWILIO_ADDR_MAX 64   /* E.164, short codes, "whatsapp:+..." */
#define TWILIO_TEXT_MAX 8192 /* Twilio caps Body at 1600 characters */

static const char *const required_keys[] = {"account_sid", "auth_token", "number", NULL};
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
    if (!sid || !*sid) {
        gw_err(err, errlen, "missing field: MessageSid");
        goto done;
    }
    if (!from || !*from) {
        gw_err(err, errlen, "missing field: From");
        goto done;
    }
    if (prov_check_field("MessageSid", sid, TWILIO_SID_MAX, 1, err, errlen) < 0 ||
        prov_check_field("From", from, TWILIO_ADDR_MAX, 1, err, errlen) < 0 ||
        prov_check_field("To", to, TWILIO_ADDR_MAX, 1, err, errlen) < 0 ||
        prov_check_field("Body", body, TWILIO_TEXT_MAX, 0, err, errlen) < 0)
        goto done;

    struct gw_msg *m = gw_msgv_push(out);
    m->provider_id = gw_strdup(sid);
    m->from = gw_strdup(from);
    m->to = to && *to ? gw_strdup(to) : NULL;
    m->text = gw_strdup(body ? body : "");
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

const struct provider_ops prov_twilio = {
    .name = "twilio",
    .required_keys = required_keys,
    .optional_keys = optional_keys,
    .verify = verify,
    .parse_sms = parse_sms,
    .render_sms_ack = render_sms_ack,
};
