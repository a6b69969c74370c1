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

#include "../core/config.h"
#include "../core/message.h"
#include "../core/util.h"
#include "../core/voicedoc.h"

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
    void *impl;    /* the server's own state for header() */
    long long now; /* unix seconds at receipt (for timestamps in messages) */
};

/* What to answer. body is owned by the response; content_type is static. */
struct prov_response {
    int status; /* HTTP status */
    const char *content_type;
    struct gw_buf body;
};

/* ---- delivery status ------------------------------------------------------ */

enum prov_status_code {
    PROV_ST_UNKNOWN = 0, /* a value we do not know: acknowledged and logged, never an error */
    PROV_ST_QUEUED,
    PROV_ST_SENT,
    PROV_ST_DELIVERED,
    PROV_ST_FAILED,
};

/* One delivery receipt. All strings owned (freed by prov_statusv_free). */
struct prov_status {
    char *provider_msg_id; /* id the send API returned; NULL when only ref identifies it */
    char *ref;             /* our outbox id echoed back (client-ref, out_id, ?ref=...), or NULL */
    enum prov_status_code status;
    char *raw_status; /* the provider's own word ("delivered", "DELIVRD"), never NULL */
    char *error;      /* provider error code or reason, or NULL */
    char *phone;      /* recipient as the provider wrote it, or NULL */
    int opted_out;    /* 1: the provider says the recipient opted out (e.g. Twilio 21610) */
};
struct prov_statusv {
    struct prov_status *v;
    size_t n, cap;
};
struct prov_status *prov_statusv_push(struct prov_statusv *sv); /* appends a zeroed entry */
void prov_statusv_free(struct prov_statusv *sv);

/* ---- outbound -------------------------------------------------------------- */

/* One message to send, as the sender hands it to build_send. Borrowed. */
struct prov_outbound {
    long long outbox_id;    /* our id: put it where the provider echoes it back (client-ref, OutId...) */
    const char *to;         /* recipient, E.164 */
    const char *text;       /* rendered text (free-text channels) */
    const char *tmpl;       /* template name */
    const char *tmpl_code;  /* approved template id on template-only channels (the template's
                               value under the provider's template_key), NULL otherwise */
    const char *tmpl_vars;  /* comma-separated variable names in the template's order */
    const char *vars_json;  /* the variables as a JSON object of strings */
    const char *status_url; /* <public_url>/hooks/<channel>/status?ref=<outbox id> */
    long long now;          /* unix seconds, for timestamps and signatures */
    const char *nonce;      /* 32 random hex characters, for signatures that need one */
};

/* The HTTP request a provider builds; the sender performs it. Owned. */
struct prov_http {
    char *url;          /* full URL (the channel's `url` override replaces the default base) */
    const char *method; /* "POST" (static) */
    struct gw_buf body;
    struct gw_buf headers; /* "Name: value\n" lines */
    char *userpwd;         /* "user:password" for HTTP Basic, or NULL */
};
void prov_http_free(struct prov_http *h);

/* Results of parse_send. */
enum {
    PROV_SEND_OK = 0,    /* accepted; msg_id filled */
    PROV_SEND_RETRY = 1, /* transient (throttled, 5xx, provider busy, unreadable 2xx): try again later */
    PROV_SEND_FAIL = 2,  /* permanent (bad number, bad credentials, opted out): do not retry */
};

/* What a provider read in the body of a send answer: its verdict, before the
 * HTTP status is weighed. Each provider knows its own answer format and
 * codes; prov_classify alone turns (status, verdict) into a result. */
enum prov_verdict {
    PROV_V_NONE = 0,  /* no verdict: the body was not read, is empty, is not the provider's format, or lacks
                         the field that says accepted or refused */
    PROV_V_ACCEPTED,  /* the provider took the message; msg_id filled ("" when it gave no usable id) */
    PROV_V_BAD_ID,    /* the provider took it, but its message id is missing, too long or malformed */
    PROV_V_TRANSIENT, /* a refusal the provider documents as temporary (throttled, busy, internal error) */
    PROV_V_REFUSED,   /* a permanent refusal (bad number, credentials, template, balance) */
    PROV_V_OPTED_OUT, /* refused because the recipient opted out: permanent */
};

/* The one classification of send results, used by every provider's
 * parse_send and by the sender (for transport failures). First match wins:
 *
 *   transport_error, or http_status 0 (no answer)   RETRY  "no answer"
 *   http_status 500-599                             RETRY  "HTTP n"
 *   verdict OPTED_OUT                               FAIL   *opted_out = 1
 *   verdict TRANSIENT                               RETRY
 *   verdict REFUSED, BAD_ID                         FAIL
 *   verdict ACCEPTED                                OK
 *   verdict NONE and http_status 2xx                RETRY  "unreadable answer"
 *   verdict NONE and http_status 429                RETRY  "HTTP 429"
 *   verdict NONE and any other status               FAIL   "HTTP n"
 *
 * An unreadable 2xx is retried, for every provider: the provider may have
 * sent the message, but we cannot tell, and a duplicate SMS is better than a
 * lost alert. The retries are bounded by [sender] max_attempts and max_age,
 * after which the row fails ("gave up after N attempts"). BAD_ID is not an
 * unreadable answer: the provider said it took the message, so a retry
 * would surely send it twice.
 *
 * err is written (the quoted reason) only when it is still empty, so a
 * provider's own reason wins; msg_id (idlen bytes, may be NULL) is cleared
 * unless the result is OK; *opted_out (may be NULL) is set to 1 for an
 * opt-out, else 0. Returns PROV_SEND_OK, PROV_SEND_RETRY or PROV_SEND_FAIL. */
int prov_classify(long http_status, int transport_error, enum prov_verdict verdict, char *msg_id, size_t idlen,
                  int *opted_out, char *err, size_t errlen);

/* A provider's reader of its send answer's body: the verdict, msg_id on
 * PROV_V_ACCEPTED, and its own reason in err. */
typedef enum prov_verdict (*prov_send_reader)(const char *body, size_t len, char *msg_id, size_t idlen, char *err,
                                              size_t errlen);

/* parse_send for a provider whose body says something only on a 2xx: clears
 * msg_id and err, reads the body of a 2xx with read, and classifies. */
int prov_send_read_2xx(long http_status, const char *body, size_t len, prov_send_reader read, char *msg_id,
                       size_t idlen, int *opted_out, char *err, size_t errlen);

/* parse_send for a provider whose every answer but a 5xx carries a result
 * code (Aliyun, Tencent): no answer and 5xx are told by the status; any
 * other answer's body is read with read, and one without a code is an
 * unreadable answer. */
int prov_send_read_coded(long http_status, const char *body, size_t len, prov_send_reader read, char *msg_id,
                         size_t idlen, int *opted_out, char *err, size_t errlen);

/* ---- USSD and voice ----------------------------------------------------------- */

/* One USSD step (Africa's Talking style). Strings owned; prov_ussd_clear. */
struct prov_ussd {
    char *session_id;   /* the provider's session id; never NULL or empty after parse */
    char *phone;        /* the user's number as the provider wrote it */
    char *service_code; /* "*384*1234#" or NULL */
    char *text;         /* every input so far joined by '*'; "" on the first step; never NULL */
};
void prov_ussd_clear(struct prov_ussd *u);

/* One voice webhook: a call arriving, the answer to a step, or the call's
 * end. Strings owned; prov_voice_clear. */
struct prov_voice {
    char *call_id;           /* CallSid / sessionId; never NULL or empty after parse */
    char *from;              /* caller as the provider wrote it */
    char *to;                /* our number, or NULL */
    char *digits;            /* keys pressed at the last gather, or NULL (none, or a timeout) */
    char *recording_url;     /* a recording just made, or NULL */
    char *call_status;       /* the provider's call status word, or NULL */
    long duration;           /* call seconds, -1 when not given */
    long recording_duration; /* seconds, -1 when not given */
    int final;               /* 1: the call has ended (status callback, AT isActive=0); the answer is ignored */
};
void prov_voice_clear(struct prov_voice *v);

/* The provider-neutral voice answer (struct voice_doc): core/voicedoc.h. */

struct provider_ops {
    const char *name;                 /* "generic", "twilio", ... */
    const char *const *required_keys; /* NULL-terminated channel keys that must be set */
    const char *const *optional_keys; /* NULL-terminated keys that may be set */
    int template_only;                /* 1: sends only approved templates (aliyun, tencent): every
                                         template needs a code under template_key, checked at start-up */
    const char *template_key;         /* the [template NAME] key holding this provider's approved
                                         template code ("aliyun_code"); NULL: free-text provider */
    int send_needs_url;               /* 1: has no default send API; sends only when `url` is set */
    const char *const *media_hosts;   /* NULL-terminated host patterns its recordings come from (as
                                         [channel] media_hosts); NULL: none (no recording is fetched) */

    /* Checks the values of the channel's provider keys at start-up (NULL:
     * nothing beyond presence). Returns 0, or -1 with "key: reason". */
    int (*check_config)(const struct gw_channel *ch, char *err, size_t errlen);

    /* Checks the request's signature against the channel's secret.
     * Returns PROV_OK, PROV_EFORBIDDEN (err says why, without secrets), or
     * PROV_EBADREQ when the body is too malformed to compute a signature. */
    int (*verify)(const struct gw_channel *ch, const struct prov_request *req, char *err, size_t errlen);

    /* Parses an inbound SMS webhook into out (appending one message per SMS;
     * channel, received_at are filled by the caller). Returns PROV_OK,
     * PROV_IGNORED, or PROV_EBADREQ with a short reason in err. On error,
     * messages already appended are the caller's to free. */
    int (*parse_sms)(const struct gw_channel *ch, const struct prov_request *req, struct gw_msgv *out, char *err,
                     size_t errlen);

    /* Renders the answer to an SMS webhook whose messages are all stored
     * (duplicates included). */
    void (*render_sms_ack)(const struct gw_channel *ch, const struct gw_msgv *msgs, struct prov_response *resp);

    /* Parses a delivery-status webhook (/hooks/<channel>/status) into out.
     * Returns PROV_OK, PROV_IGNORED, PROV_EBADREQ or PROV_EFORBIDDEN (when
     * the provider signs status callbacks, the check is done here or by
     * verify, which runs first). */
    int (*parse_status)(const struct gw_channel *ch, const struct prov_request *req, struct prov_statusv *out,
                        char *err, size_t errlen);
    /* Renders the answer to a status webhook (always a success: an unknown
     * status must not make the provider retry forever). */
    void (*render_status_ack)(const struct gw_channel *ch, struct prov_response *resp);

    /* Builds the send-API request for one message. Returns PROV_OK, or
     * PROV_EBADREQ with err when this channel cannot send it (e.g. no
     * approved template code): a permanent failure. */
    int (*build_send)(const struct gw_channel *ch, const struct prov_outbound *m, struct prov_http *out, char *err,
                      size_t errlen);
    /* Reads the send API's answer (http_status 0 = no answer: timeout or
     * connection error) into a verdict and returns prov_classify's result:
     * PROV_SEND_OK with the provider's message id in msg_id,
     * PROV_SEND_RETRY or PROV_SEND_FAIL with err; sets *opted_out when the
     * provider says the recipient has opted out. */
    int (*parse_send)(const struct gw_channel *ch, long http_status, const char *body, size_t len, char *msg_id,
                      size_t idlen, int *opted_out, char *err, size_t errlen);

    /* USSD (/hooks/<channel>/ussd): parse one step (PROV_OK or
     * PROV_EBADREQ), and render a screen: "CON ..." to go on, "END ..." when
     * end is 1. */
    int (*parse_ussd)(const struct gw_channel *ch, const struct prov_request *req, struct prov_ussd *out, char *err,
                      size_t errlen);
    void (*render_ussd)(const struct gw_channel *ch, int end, const char *screen, struct prov_response *resp);

    /* Voice (/hooks/<channel>/voice[/<step>]): parse a webhook (PROV_OK or
     * PROV_EBADREQ), and render an answer whose step URLs are step_base
     * followed by the verb's `next` (step_base = "<public_url>/hooks/<ch>/voice/"). */
    int (*parse_voice)(const struct gw_channel *ch, const struct prov_request *req, struct prov_voice *out, char *err,
                       size_t errlen);
    void (*render_voice)(const struct gw_channel *ch, const struct voice_doc *doc, const char *step_base,
                         struct prov_response *resp);

    /* Recordings: builds the GET that fetches a recording the provider
     * announced (adds the provider's auth; may change the URL, e.g. an
     * extension). NULL: a plain GET of the URL. PROV_OK or PROV_EBADREQ. */
    int (*build_fetch)(const struct gw_channel *ch, const char *url, struct prov_http *out, char *err, size_t errlen);
};

/* Shared by providers: 0 when value (if present) fits max bytes and, for
 * identifiers (is_ident), holds no control characters; else -1 with
 * "field too long: NAME" / "control character in field: NAME" in err. */
int prov_check_field(const char *name, const char *value, size_t max, int is_ident, char *err, size_t errlen);

/* One field of a webhook for prov_check_fields. */
struct prov_field {
    const char *name;  /* as the provider spells it, for the error */
    const char *value; /* NULL when absent */
    size_t max;        /* bytes at most */
    int ident;         /* 1: an identifier or number: no control characters */
    int required;      /* 1: must be present and not empty */
};
/* Checks fields in two passes: every required one present ("missing field:
 * NAME"), then every present one within its cap and, for identifiers, free
 * of control characters (as prov_check_field). PROV_OK or PROV_EBADREQ. */
int prov_check_fields(const struct prov_field *f, size_t n, char *err, size_t errlen);
/* Appends one inbound message: id and from copied, to copied unless empty,
 * text copied ("" when NULL). Returns it (channel and time are the caller's). */
struct gw_msg *prov_push_sms(struct gw_msgv *out, const char *id, const char *from, const char *to, const char *text);

/* The verify hook of providers whose callbacks carry no signature: the
 * channel's `token` must come back as ?token= on the URL (compared in
 * constant time). PROV_OK, PROV_EFORBIDDEN (missing or wrong), or
 * PROV_EBADREQ (the query cannot be decoded). */
int prov_verify_token(const struct gw_channel *ch, const struct prov_request *req, char *err, size_t errlen);

/* Registry: returns the provider with that name, or NULL. */
const struct provider_ops *prov_find(const char *name);
/* The provider whose template_key is key ("aliyun_code"), or NULL. */
const struct provider_ops *prov_find_template_key(const char *key);
/* Template t's approved code for ops (its value under ops->template_key),
 * or NULL when t is NULL, ops has no template_key or t gives none. */
const char *prov_template_code(const struct provider_ops *ops, const struct gw_template *t);
/* The registry as a NULL-terminated array (for listing). */
extern const struct provider_ops *const prov_registry[];

#endif
