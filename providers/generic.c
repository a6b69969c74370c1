/* providers/generic.c - the generic provider for integrators and the simulator.
 *
 * Inbound SMS: fields id, from, to, text as a form body or a JSON object
 * (Content-Type application/json or application/x-www-form-urlencoded; a
 * body without a Content-Type is JSON when it starts with '{'). Signature:
 * header X-Signature = hex HMAC-SHA256 of the raw body under the channel's
 * `secret`, either case, compared in constant time; the same check covers
 * status callbacks (the server runs verify before parse_status). Answer:
 * 200 application/json {"ok":true,"stored":N}.
 *
 * Status callbacks: a JSON object {"id","status"[,"error"][,"to"]} or an
 * array of them; status sent|delivered|failed (and queued); any other word
 * is PROV_ST_UNKNOWN, acknowledged. Answer: 200 {"ok":true}.
 *
 * Sending: POST {"id":"<outbox id>","to","text"} to the channel's `url` as
 * given, signed with X-Signature like inbound requests. The answer
 * {"id":"<provider id>"} with a 2xx is success; 429, 5xx and no answer are
 * retried; any other status fails. A 2xx without an id ("no id in answer")
 * is an unreadable answer and is retried like every provider's (see
 * prov_classify); a 2xx whose id is malformed or too long fails ("bad id in
 * answer"): the integrator took the message, so a retry would send it twice.
 * Pure translation: no I/O, no state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto.h"
#include "form.h"
#include "provider.h"

#define GENERIC_ID_MAX     128  /* bytes in a message id */
#define GENERIC_ADDR_MAX   32   /* bytes in from / to */
#define GENERIC_TEXT_MAX   8192 /* bytes in text (a long concatenated SMS is ~1600 characters) */
#define GENERIC_STATUS_MAX 64   /* bytes in a status word */
#define GENERIC_ERROR_MAX  256  /* bytes in a receipt's error */
#define GENERIC_RECEIPTS   1000 /* receipts in one status callback */

static const char *const required_keys[] = {"secret", NULL};
static const char *const optional_keys[] = {NULL};

static const char *header(const struct prov_request *req, const char *name)
{
    return req->header ? req->header(req, name) : NULL;
}

static int verify(const struct gw_channel *ch, const struct prov_request *req, char *err, size_t errlen)
{
    const char *secret = gw_channel_key(ch, "secret");
    if (!secret || !*secret) {
        gw_err(err, errlen, "channel has no secret");
        return PROV_EFORBIDDEN;
    }
    const char *sig = header(req, "X-Signature");
    if (!sig || !*sig) {
        gw_err(err, errlen, "missing X-Signature");
        return PROV_EFORBIDDEN;
    }
    unsigned char mac[PC_SHA256_LEN];
    char hex[2 * PC_SHA256_LEN + 1];
    if (pc_hmac_sha256(secret, strlen(secret), req->body, req->body_len, mac) < 0) {
        gw_err(err, errlen, "cannot compute signature");
        return PROV_EFORBIDDEN;
    }
    gw_hex(mac, sizeof mac, hex);
    int ok = pc_hex_equal(hex, sig, strlen(sig));
    memset(mac, 0, sizeof mac);
    memset(hex, 0, sizeof hex);
    if (!ok) {
        gw_err(err, errlen, "bad X-Signature");
        return PROV_EFORBIDDEN;
    }
    return PROV_OK;
}

/* The four inbound fields, borrowed from the parsed form or JSON. */
struct fields {
    const char *id, *from, *to, *text; /* NULL when absent */
};

/* Reads one optional string member; NULL or a JSON null count as absent.
 * Returns 0, or -1 with err when the member is another type. */
static int json_field(json_t *obj, const char *name, const char **out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, name);
    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v)) {
        gw_err(err, errlen, "field is not a string: %s", name);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

static int is_json(const struct prov_request *req, char *err, size_t errlen)
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

static int parse_sms(const struct gw_channel *ch, const struct prov_request *req, struct gw_msgv *out, char *err,
                     size_t errlen)
{
    struct form form = {0};
    json_t *root = NULL;
    struct fields f = {0};
    int rc = PROV_EBADREQ;

    int json = is_json(req, err, errlen);
    if (json < 0) goto done;
    if (json) {
        json_error_t jerr;
        root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
            gw_err(err, errlen, "bad JSON at byte %d", jerr.position);
            goto done;
        }
        if (!json_is_object(root)) {
            gw_err(err, errlen, "JSON body is not an object");
            goto done;
        }
        if (json_field(root, "id", &f.id, err, errlen) < 0 || json_field(root, "from", &f.from, err, errlen) < 0 ||
            json_field(root, "to", &f.to, err, errlen) < 0 || json_field(root, "text", &f.text, err, errlen) < 0)
            goto done;
    } else {
        if (form_parse(req->body, req->body_len, &form, err, errlen) < 0) goto done;
        f.id = form_get(&form, "id");
        f.from = form_get(&form, "from");
        f.to = form_get(&form, "to");
        f.text = form_get(&form, "text");
    }

    const struct prov_field fields[] = {
        {"id", f.id, GENERIC_ID_MAX, 1, 1},
        {"from", f.from, GENERIC_ADDR_MAX, 1, 1},
        {"to", f.to, GENERIC_ADDR_MAX, 1, 0},
        {"text", f.text, GENERIC_TEXT_MAX, 0, 0},
    };
    if (prov_check_fields(fields, sizeof fields / sizeof fields[0], err, errlen) != PROV_OK) goto done;
    prov_push_sms(out, f.id, f.from, f.to, f.text);
    rc = PROV_OK;
done:
    json_decref(root);
    form_free(&form);
    return rc;
}

static void render_sms_ack(const struct gw_channel *ch, const struct gw_msgv *msgs, struct prov_response *resp)
{
    resp->status = 200;
    resp->content_type = "application/json";
    gw_buf_reset(&resp->body);
    gw_buf_printf(&resp->body, "{\"ok\":true,\"stored\":%zu}", msgs ? msgs->n : 0);
}

/* ---- status callbacks ---------------------------------------------------- */

static enum prov_status_code status_code(const char *s)
{
    if (!strcmp(s, "queued")) return PROV_ST_QUEUED;
    if (!strcmp(s, "sent")) return PROV_ST_SENT;
    if (!strcmp(s, "delivered")) return PROV_ST_DELIVERED;
    if (!strcmp(s, "failed")) return PROV_ST_FAILED;
    return PROV_ST_UNKNOWN;
}

/* Frees the receipts appended after the first n (error path). */
static void drop_after(struct prov_statusv *sv, size_t n)
{
    for (size_t i = n; i < sv->n; i++) {
        free(sv->v[i].provider_msg_id);
        free(sv->v[i].ref);
        free(sv->v[i].raw_status);
        free(sv->v[i].error);
        free(sv->v[i].phone);
    }
    sv->n = n;
}

/* One receipt object into out. Returns 0, or -1 with err. */
static int parse_receipt(json_t *o, size_t index, struct prov_statusv *out, char *err, size_t errlen)
{
    const char *id, *status, *error = NULL, *to;
    char num[32];
    if (!json_is_object(o)) {
        gw_err(err, errlen, "receipt %zu is not an object", index + 1);
        return -1;
    }
    if (json_field(o, "id", &id, err, errlen) < 0 || json_field(o, "status", &status, err, errlen) < 0 ||
        json_field(o, "to", &to, err, errlen) < 0)
        return -1;
    json_t *e = json_object_get(o, "error");
    if (json_is_integer(e)) { /* an error code written as a number */
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(e));
        error = num;
    } else if (json_field(o, "error", &error, err, errlen) < 0) {
        return -1;
    }
    const struct prov_field fields[] = {
        {"id", id, GENERIC_ID_MAX, 1, 1},
        {"status", status, GENERIC_STATUS_MAX, 1, 1},
        {"error", error, GENERIC_ERROR_MAX, 1, 0},
        {"to", to, GENERIC_ADDR_MAX, 1, 0},
    };
    if (prov_check_fields(fields, sizeof fields / sizeof fields[0], err, errlen) != PROV_OK) return -1;
    struct prov_status *st = prov_statusv_push(out);
    st->provider_msg_id = gw_strdup(id);
    st->status = status_code(status);
    st->raw_status = gw_strdup(status);
    st->error = error && *error ? gw_strdup(error) : NULL;
    st->phone = to && *to ? gw_strdup(to) : NULL;
    return 0;
}

static int parse_status(const struct gw_channel *ch, const struct prov_request *req, struct prov_statusv *out,
                        char *err, size_t errlen)
{
    json_t *root = NULL;
    size_t n0 = out->n;
    int rc = PROV_EBADREQ;

    const char *ct = req->content_type;
    if (ct && *ct && !form_media_type_is(ct, "application/json")) {
        gw_err(err, errlen, "unsupported content type");
        goto done;
    }
    json_error_t jerr;
    root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root) {
        gw_err(err, errlen, "bad JSON at byte %d", jerr.position);
        goto done;
    }
    if (json_is_array(root)) {
        size_t n = json_array_size(root);
        if (n > GENERIC_RECEIPTS) {
            gw_err(err, errlen, "more than %d receipts", GENERIC_RECEIPTS);
            goto done;
        }
        if (n == 0) {
            gw_err(err, errlen, "no receipts");
            rc = PROV_IGNORED;
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            if (parse_receipt(json_array_get(root, i), i, out, err, errlen) < 0) goto done;
    } else if (json_is_object(root)) {
        if (parse_receipt(root, 0, out, err, errlen) < 0) goto done;
    } else {
        gw_err(err, errlen, "JSON body is neither an object nor an array");
        goto done;
    }
    rc = PROV_OK;
done:
    if (rc != PROV_OK) drop_after(out, n0);
    json_decref(root);
    return rc;
}

static void render_status_ack(const struct gw_channel *ch, struct prov_response *resp)
{
    resp->status = 200;
    resp->content_type = "application/json";
    gw_buf_reset(&resp->body);
    gw_buf_puts(&resp->body, "{\"ok\":true}");
}

/* ---- sending ------------------------------------------------------------- */

static int build_send(const struct gw_channel *ch, const struct prov_outbound *m, struct prov_http *out, char *err,
                      size_t errlen)
{
    const char *secret = gw_channel_key(ch, "secret");
    json_t *root = NULL;
    char *body = NULL;
    char id[32];
    int rc = PROV_EBADREQ;

    memset(out, 0, sizeof *out);
    if (!ch->url || !*ch->url) {
        gw_err(err, errlen, "no url configured");
        goto done;
    }
    if (!secret || !*secret) {
        gw_err(err, errlen, "channel has no secret");
        goto done;
    }
    if (!m->to || !*m->to) {
        gw_err(err, errlen, "no recipient");
        goto done;
    }
    if (!m->text || !*m->text) {
        gw_err(err, errlen, "no text");
        goto done;
    }
    snprintf(id, sizeof id, "%lld", m->outbox_id);
    root = json_object();
    json_t *jto = json_string(m->to), *jtext = json_string(m->text);
    json_object_set_new(root, "id", json_string(id));
    if (!jto || !jtext) {
        json_decref(jto);
        json_decref(jtext);
        gw_err(err, errlen, "recipient or text is not UTF-8");
        goto done;
    }
    json_object_set_new(root, "to", jto);
    json_object_set_new(root, "text", jtext);
    body = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!body) {
        gw_err(err, errlen, "cannot encode the message");
        goto done;
    }

    unsigned char mac[PC_SHA256_LEN];
    char hex[2 * PC_SHA256_LEN + 1];
    if (pc_hmac_sha256(secret, strlen(secret), body, strlen(body), mac) < 0) {
        gw_err(err, errlen, "cannot compute signature");
        goto done;
    }
    gw_hex(mac, sizeof mac, hex);
    out->url = gw_strdup(ch->url);
    out->method = "POST";
    gw_buf_puts(&out->body, body);
    gw_buf_printf(&out->headers, "Content-Type: application/json\nX-Signature: %s\n", hex);
    memset(mac, 0, sizeof mac);
    rc = PROV_OK;
done:
    free(body);
    json_decref(root);
    return rc;
}

/* The verdict of a 2xx answer: {"id": "..."} (a string or an integer) is
 * accepted; no id at all is no verdict (an unreadable answer). */
static enum prov_verdict read_send_answer(const char *body, size_t len, char *msg_id, size_t idlen, char *err,
                                          size_t errlen)
{
    json_t *root = json_loadb(body, body ? len : 0, 0, NULL);
    json_t *jid = json_is_object(root) ? json_object_get(root, "id") : NULL;
    char num[32];
    const char *id = NULL;
    if (json_is_string(jid)) {
        id = json_string_value(jid);
    } else if (json_is_integer(jid)) {
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(jid));
        id = num;
    }
    enum prov_verdict v = PROV_V_BAD_ID;
    if (!id || !*id) {
        gw_err(err, errlen, "no id in answer");
        v = PROV_V_NONE;
    } else if (strlen(id) >= idlen || prov_check_field("id", id, GENERIC_ID_MAX, 1, err, errlen) < 0) {
        gw_err(err, errlen, "bad id in answer");
    } else {
        gw_strlcpy(msg_id, id, idlen);
        v = PROV_V_ACCEPTED;
    }
    json_decref(root);
    return v;
}

/* Only a 2xx body is read; every other status decides by itself (prov_classify). */
static int parse_send(const struct gw_channel *ch, long http_status, const char *body, size_t len, char *msg_id,
                      size_t idlen, int *opted_out, char *err, size_t errlen)
{
    return prov_send_read_2xx(http_status, body, len, read_send_answer, msg_id, idlen, opted_out, err, errlen);
}

const struct provider_ops prov_generic = {
    .name = "generic",
    .send_needs_url = 1,
    .required_keys = required_keys,
    .optional_keys = optional_keys,
    .verify = verify,
    .parse_sms = parse_sms,
    .render_sms_ack = render_sms_ack,
    .parse_status = parse_status,
    .render_status_ack = render_status_ack,
    .build_send = build_send,
    .parse_send = parse_send,
};
