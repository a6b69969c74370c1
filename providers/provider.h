/* providers/provider.h - the interface every provider implements.
 *
 * A provider is pure translation: it verifies a webhook's signature, turns
 * the webhook into normalised messages, and renders the HTTP answer the
 * provider expects. It does no I/O, keeps no state and knows nothing about
 * visits or cases. Each provider is one file exporting one
 * `const struct provider_ops`; prov_find looks them up in a static registry.
 * A NULL hook means the provider does not support that operation.
 */
#ifndef PROVIDER_H
#define PROVIDER_H

#include <stddef.h>

#include "../gateway/config.h"
#include "../gateway/message.h"
#include "../gateway/util.h"

/* Return codes of provider hooks. */
enum {
    PROV_OK = 0,
    PROV_IGNORED = 1,     /* well-formed but nothing for us (acknowledge, store nothing) */
    PROV_EBADREQ = -1,    /* malformed: answer 400 with err */
    PROV_EFORBIDDEN = -2, /* missing or wrong signature: answer 403 */
};

/* A borrowed view of one HTTP request, valid during the hook call. */
struct prov_request {
    const char *method;       /* "GET", "POST" */
    const char *url;          /* public URL as the provider called it: public_url + path + ("?" raw query) */
    const char *query;        /* raw query string without '?', "" when none */
    const char *content_type; /* Content-Type header or NULL */
    const char *body;         /* raw body; body[body_len] is a NUL the server adds, but bodies may hold NULs */
    size_t body_len;
    /* Case-insensitive header lookup; NULL when absent. */
    const char *(*header)(const struct prov_request *req, const char *name);
    void *impl;               /* the server's own state for header() */
    long long now;            /* unix seconds at receipt (for timestamps in messages) */
};

/* What to answer. body is owned by the response; content_type is static. */
struct prov_response {
    int status;               /* HTTP status */
    const char *content_type;
    struct gw_buf body;
};

struct provider_ops {
    const char *name;                   /* "generic", "twilio", ... */
    const char *const *required_keys;   /* NULL-terminated channel keys that must be set */
    const char *const *optional_keys;   /* NULL-terminated keys that may be set */

    /* Checks the request's signature against the channel's secret.
     * Returns PROV_OK, PROV_EFORBIDDEN (err says why, without secrets), or
     * PROV_EBADREQ when the body is too malformed to compute a signature. */
    int (*verify)(const struct gw_channel *ch, const struct prov_request *req, char *err, size_t errlen);

    /* Parses an inbound SMS webhook into out (appending one message per SMS;
     * channel, received_at are filled by the caller). Returns PROV_OK,
     * PROV_IGNORED, or PROV_EBADREQ with a short reason in err. On error,
     * messages already appended are the caller's to free. */
    int (*parse_sms)(const struct gw_channel *ch, const struct prov_request *req, struct gw_msgv *out,
                     char *err, size_t errlen);

    /* Renders the answer to an SMS webhook whose messages are all stored
     * (duplicates included). */
    void (*render_sms_ack)(const struct gw_channel *ch, const struct gw_msgv *msgs, struct prov_response *resp);
};

/* Shared by providers: 0 when value (if present) fits max bytes and, for
 * identifiers (is_ident), holds no control characters; else -1 with
 * "field too long: NAME" / "control character in field: NAME" in err. */
int prov_check_field(const char *name, const char *value, size_t max, int is_ident, char *err, size_t errlen);

/* Registry: returns the provider with that name, or NULL. */
const struct provider_ops *prov_find(const char *name);
/* The registry as a NULL-terminated array (for listing). */
extern const struct provider_ops *const prov_registry[];

#endif
