/* providers/generic.c - the generic provider for integrators and the simulator (DESIGN §4).
 *
 * Inbound SMS: fields id, from, to, text as a form body or a JSON object
 * (Content-Type application/json or application/x-www-form-urlencoded; a
 * body without a Content-Type is JSON when it starts with '{'). Signature:
 * header X-Signature = hex HMAC-SHA256 of the raw body under the channel's
 * `secret`, either case, compared in constant time. Answer: 200
 * application/json {"ok":true,"stored":N}. Pure translation: no I/O, no
 * state.
 */
#include <string.h>

#include <jansson.h>

#include "crypto.h"
#include "form.h"
#include "provider.h"

#define GENERIC_ID_MAX   128  /* bytes in a message id */
#define GENERIC_ADDR_MAX 32   /* bytes in from / to */
#define GENERIC_TEXT_MAX 8192 /* bytes in text (a long concatenated SMS is ~1600 characters) */

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

    if (!f.id || !*f.id) {
        gw_err(err, errlen, "missing field: id");
        goto done;
    }
    if (!f.from || !*f.from) {
        gw_err(err, errlen, "missing field: from");
        goto done;
    }
    if (prov_check_field("id", f.id, GENERIC_ID_MAX, 1, err, errlen) < 0 ||
        prov_check_field("from", f.from, GENERIC_ADDR_MAX, 1, err, errlen) < 0 ||
        prov_check_field("to", f.to, GENERIC_ADDR_MAX, 1, err, errlen) < 0 ||
        prov_check_field("text", f.text, GENERIC_TEXT_MAX, 0, err, errlen) < 0)
        goto done;

    struct gw_msg *m = gw_msgv_push(out);
    m->provider_id = gw_strdup(f.id);
    m->from = gw_strdup(f.from);
    m->to = f.to && *f.to ? gw_strdup(f.to) : NULL;
    m->text = gw_strdup(f.text ? f.text : "");
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

const struct provider_ops prov_generic = {
    .name = "generic",
    .required_keys = required_keys,
    .optional_keys = optional_keys,
    .verify = verify,
    .parse_sms = parse_sms,
    .render_sms_ack = render_sms_ack,
};
