/* gateway/routes.h - the route table and its handlers: which URL goes to
 * which channel's provider hook (inbound SMS, delivery receipts, USSD,
 * voice) or to the health check and the metrics, and what is answered.
 *
 * No sockets here: the HTTP server (http_mhd.c) turns a connection's
 * request into a plain struct http_request, calls routes_handle and sends
 * the plain struct http_response back. A test calls routes_handle the same
 * way, in-process, with a stand-in writer or the real one.
 *
 * A hook's work goes to the store writer as a typed pipeline_job; its
 * answer is deferred until the writer is done with it: routes_handle then
 * returns a response marked deferred, call->on_done runs once the writer
 * is done (on the writer's thread), and routes_finish renders the answer
 * (on the caller's thread).
 *
 * The office API (/api/v1/...) takes the same path: HTTP threads never
 * touch a store connection, so a route reads the Authorization: Bearer
 * token, hashes it (SHA-256) and hands a PIPELINE_JOB_API job with the
 * hash and the action it needs to the writer, which looks the token up on
 * its connection, records its use (last_used_at) inside its batch, and
 * fills the principal and the verdict (handlers/auth.h); routes_finish
 * then answers 401 (no token, or one unknown or revoked; with
 * WWW-Authenticate: Bearer), 403 (the role may not do the action) or 200
 * with the route's JSON, every answer with Cache-Control: no-store. A new
 * /api/v1 route is a table entry whose handler calls api_request with its
 * endpoint (action and renderer).
 *
 * Staff sign in instead (handlers/session.h): without a bearer token, the
 * gw_session cookie's hash goes to the writer the same way, with the
 * X-CSRF-Token header's hash, which every request but GET and HEAD must
 * carry (403 otherwise); an anonymous endpoint (the sign-in steps) needs
 * neither. An endpoint may set a cookie (Set-Cookie) or, with a 429, a
 * Retry-After.
 */
#ifndef GW_ROUTES_H
#define GW_ROUTES_H

#include <stddef.h>

#include "../core/config.h"
#include "../core/log.h"
#include "../core/util.h"
#include "metrics.h"
#include "pipeline.h"
#include "writer.h"

/* One request as it arrived whole; every pointer is borrowed for the call. */
struct http_request {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* decoded path, without the query: what is routed on */
    const char *target; /* raw request target (path and "?query") as sent: what providers sign */
    const char *query;  /* raw query without '?', "" when none */
    const char *body;   /* body[body_len] is a NUL; bodies may hold NULs */
    size_t body_len;
    const char *client; /* client address ("203.0.113.5", "::1"), "" when unknown */
    /* Case-insensitive header lookup; NULL when absent (or when header is NULL). */
    const char *(*header)(const struct http_request *req, const char *name);
    void *impl; /* the server's own state for header() */
};

#define HTTP_MAX_HEADERS 8

/* The answer. body is owned (free with http_response_clear); header
 * names and values and content_type are static strings, or point into
 * the response's own set_cookie and retry_after. */
struct http_response {
    int status;
    const char *content_type; /* or NULL */
    struct {
        const char *name, *value;
    } headers[HTTP_MAX_HEADERS];
    size_t nheaders;
    struct gw_buf body;
    const char *channel;  /* the channel it concerned, for the metrics; NULL when none (borrowed from cfg) */
    int deferred;         /* 1: nothing to send yet: the writer has the job; routes_finish answers */
    char set_cookie[192]; /* the Set-Cookie header's value when there is one (a staff session's) */
    char retry_after[24]; /* the Retry-After header's value of a 429 */
};

/* Adds a header (static strings); silently ignored past HTTP_MAX_HEADERS. */
void http_response_header(struct http_response *resp, const char *name, const char *value);
/* Frees the body; the response may be filled again. */
void http_response_clear(struct http_response *resp);

/* Where the routes send work: the store writer, or a test's stand-in.
 * submit returns 0 when the job was queued (job->done runs later, on any
 * thread) or -1 when refused (the request is answered 503). */
struct routes_writer {
    int (*submit)(void *impl, struct pipeline_job *job);
    void *impl;
};

/* The real store writer behind the interface. */
struct routes_writer routes_writer_of(struct writer *w);

struct routes_ctx {
    const struct gw_config *cfg;   /* channels, public_url (borrowed, frozen) */
    struct routes_writer writer;   /* where jobs go */
    struct metrics *metrics;       /* rendered by /metrics; NULL: /metrics is empty */
    struct gw_log_limit *refusals; /* rate limit of the refusal lines; NULL: every one is logged */
};

/* One request's state between routes_handle and its answer. The caller
 * zeroes it, may set the callbacks, and frees it with routes_call_clear. */
struct routes_call {
    /* Just before the job goes to the writer (suspend the connection); may be NULL. */
    void (*on_submit)(struct routes_call *call);
    /* The writer is done with the job (on the writer's thread), or refused
     * it (on the caller's thread, inside routes_handle); may be NULL. Only
     * flag and wake here: call routes_finish on the caller's thread. */
    void (*on_done)(struct routes_call *call);
    void *arg; /* the caller's */
    /* Filled by routes_handle: */
    const struct gw_channel *ch; /* the hook's channel, or NULL */
    const char *route;           /* "sms", "voice/menu", "healthz", ... for logs; NULL when none matched */
    int verify_rc;               /* a hook's: the provider's verify verdict (PROV_OK, ...) */
    int parse_rc;                /* a hook's: its parser's verdict (PROV_EBADREQ when not reached) */
    struct pipeline_job job;     /* the typed work item handed to the writer */
};

/* Routes req and fills resp: an answer at once, or resp->deferred = 1
 * when the job went to the writer (then routes_finish once call->on_done
 * has run). resp starts zeroed. */
void routes_handle(const struct routes_ctx *ctx, const struct http_request *req, struct routes_call *call,
                   struct http_response *resp);

/* The i-th route of the table whose pattern starts with "/api/v1/" (for
 * the API description's test): 1 with *methods (space separated) and
 * *pattern ("{id}" for a path segment), 0 past the last. */
int routes_api_route(size_t i, const char **methods, const char **pattern);

/* Renders the answer to a deferred request whose job is done: 503 when it
 * was not stored, else the provider's answer. resp starts zeroed. */
void routes_finish(const struct routes_ctx *ctx, struct routes_call *call, struct http_response *resp);

/* The answer to a body over max_body: 413, naming the hook's channel (for
 * logs and metrics) when the target names a known one. */
void routes_too_big(const struct routes_ctx *ctx, const struct http_request *req, struct http_response *resp);

/* The answer while the server shuts down: 503 with Retry-After. */
void routes_unavailable(const struct routes_ctx *ctx, struct http_response *resp);

/* The provider's part of every hook: ch's provider verifies pr, then
 * parses it into call->job as kind (PIPELINE_JOB_SMS, _STATUS, _USSD or
 * _VOICE), as received (not yet normalised). Returns the HTTP status that
 * implies: 200 (call->job holds the input; PROV_IGNORED in call->parse_rc
 * or no messages: nothing to store), 400 (undecodable) or 403 (forbidden),
 * err then holding the provider's reason when it gave one. The verdicts are
 * kept in call->verify_rc and call->parse_rc. */
int routes_hook_input(const struct gw_channel *ch, enum pipeline_job_kind kind, const struct prov_request *pr,
                      struct routes_call *call, char *err, size_t errlen);

/* The provider's answer to call's hook job once it is done and stored: the
 * SMS or receipt acknowledgement, the USSD screen or the voice document
 * (its step URLs under public_url). out is as the caller set it (the
 * server starts from 200 text/plain); the provider fills it. */
void routes_render(const char *public_url, const struct routes_call *call, struct prov_response *out);

/* Completes the messages a hook parsed: the channel ch's name, the
 * received time (now when unset), and (here, on one of several HTTP
 * threads, not on the one store writer) the normalised text and the parsed
 * code-book command. */
void routes_normalise_msgs(const struct gw_channel *ch, struct gw_msgv *msgs, long long now);

/* Frees what routes_handle attached to call (its job). */
void routes_call_clear(struct routes_call *call);

#endif
