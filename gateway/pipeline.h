/* gateway/pipeline.h - what happens to a message between the provider and
 * the disk: sender normalised to E.164, deduplicated, stored in the inbox,
 * run through the handlers, replies rendered into outbox rows; a whole
 * batch of messages in one transaction.
 *
 * Both the store writer (webhooks) and `gateway sms` (the command line)
 * call pipeline_batch, so a message injected from the shell takes exactly
 * the webhook's path.
 */
#ifndef GW_PIPELINE_H
#define GW_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "../core/config.h"
#include "../core/message.h"
#include "../core/store.h"
#include "../handlers/auth.h"
#include "../handlers/ussd.h"
#include "../handlers/voice.h"
#include "../providers/provider.h"
#include "api.h"

/* A USSD step waiting for the store: the request, and the screen once run. */
struct pipeline_ussd {
    struct prov_ussd in; /* owned */
    struct ussd_out out; /* filled by pipeline_batch */
};

/* A voice step: the request, the step named in the URL, and the answer. */
struct pipeline_voice {
    struct prov_voice in; /* owned */
    char step[64];        /* "" for the first request of a call */
    struct voice_doc out; /* filled by pipeline_batch */
};

/* An office API request waiting for the store: the presented token's or
 * session cookie's hash and the action the route needs; after the batch,
 * who it is and the verdict. The route's own answer is rendered on the
 * HTTP thread. */
struct pipeline_api {
    char hash[GW_SHA256_HEX];            /* in: SHA-256 (hex) of the bearer token or session cookie presented; ""
                                            when none (an anonymous endpoint's call) */
    enum auth_kind kind;                 /* in: AUTH_TOKEN (hash is a bearer token's) or AUTH_SESSION (a cookie's) */
    char csrf_hash[GW_SHA256_HEX];       /* in: SHA-256 (hex) of the X-CSRF-Token header, "" when none */
    int unsafe;                          /* in: 1 when the method is not GET or HEAD (a session needs its CSRF token) */
    enum auth_action action;             /* in: what the route does */
    const struct api_endpoint *endpoint; /* in: the route's endpoint (borrowed, static) */
    char *id;                            /* in: the path's "{id}" segment (owned), or NULL */
    char *query;                         /* in: raw query (owned), or NULL */
    char *body;                          /* in: request body (owned, NUL-terminated), or NULL */
    size_t body_len;
    char client[64];           /* in: client address */
    int status;                /* out: 200, 401 (no token in use has that hash), 403 (role not allowed), or the
                                  endpoint's status */
    struct auth_principal who; /* out: the token's principal, when found */
    char *out;                 /* out: the endpoint's JSON answer (owned), or NULL */
    char reason[160];          /* out: why, for an endpoint's 4xx or 500, a session's 401 or a CSRF 403 */
    struct api_extra extra;    /* out: the endpoint's Set-Cookie and Retry-After */
};

/* What a job is; the writer and pipeline_batch dispatch on it. The zero
 * job is an inbound SMS batch. */
enum pipeline_job_kind {
    PIPELINE_JOB_SMS = 0, /* inbound messages: msgs */
    PIPELINE_JOB_STATUS,  /* delivery receipts: statuses, channel */
    PIPELINE_JOB_USSD,    /* one USSD step: ussd, channel */
    PIPELINE_JOB_VOICE,   /* one voice step: voice, channel */
    PIPELINE_JOB_PROBE,   /* a health check: one real write that must commit */
    PIPELINE_JOB_TIMED,   /* the scheduler's tick: the timed jobs run (pipeline_run_jobs) after the batch */
    PIPELINE_JOB_API,     /* an office API request: api (the token checked and its use recorded) */
};

/* One request's worth of work for the store: its input (which fields are
 * used is told by kind) and, after the batch, its outcome. */
struct pipeline_job {
    enum pipeline_job_kind kind;
    struct gw_msgv msgs;          /* PIPELINE_JOB_SMS: owned by whoever created the job */
    struct prov_statusv statuses; /* PIPELINE_JOB_STATUS: delivery receipts to apply (owned) */
    const char *channel;          /* channel the receipts, USSD or voice step came in on (borrowed) */
    struct pipeline_ussd *ussd;   /* PIPELINE_JOB_USSD: the step to run (owned) */
    struct pipeline_voice *voice; /* PIPELINE_JOB_VOICE: the step to run (owned) */
    struct pipeline_api *api;     /* PIPELINE_JOB_API: the request to check (owned) */
    int64_t *inbox_ids;           /* out: one per message (allocated by pipeline_batch, owned by the job) */
    int *duplicate;               /* out: 1 when that message was already stored */
    int ok;                       /* out: 1 when every message of the job is committed */
    char reason[160];             /* out: why not, when ok = 0 and the store said ("" otherwise) */
    size_t stored;                /* out: messages newly stored */
    size_t handler_errors;        /* out: messages or steps whose handling failed after they were
                                     accepted (each kept with its error, answered and logged) */
    /* Called on the writer's thread after the transaction ended (committed
     * or not). May free the job. NULL for synchronous callers. */
    void (*done)(struct pipeline_job *job);
    struct pipeline_job *next; /* queue link, owned by the writer */
};

/* Runs every job of the batch by its kind (stores and handles messages,
 * applies receipts, runs USSD and voice steps, writes health probes) in
 * one transaction, then commits (fsync). Fills each job's results; jobs whose messages failed
 * have ok = 0 (and nothing of theirs is committed). Returns 0 when the
 * transaction committed, -1 when it did not (then every job has ok = 0).
 * Does not call job->done. */
int pipeline_batch(struct store *st, const struct gw_config *cfg, struct pipeline_job **jobs, size_t n, int64_t now);

/* Frees the job's input and results; keeps its kind. */
void pipeline_job_clear(struct pipeline_job *job);

/* Renders r (a reply of the domain: template and variables) and writes it
 * as an outbox row at now, as a batch writes replies, in the caller's
 * transaction: for SMS that come from no inbound message (a login code).
 * 0 written, 1 its dedupe key was already used, -1. */
struct h_reply; /* handlers/handler.h */
int pipeline_queue(struct store *st, const struct gw_config *cfg, const struct h_reply *r, int64_t now);

/* Runs the policy engine's timed jobs (jobs_run) at now and writes what
 * they produce as outbox rows, in one transaction. Idempotent: every job
 * row carries a dedupe key per child/case and period. *written (may be
 * NULL) gets the number of new rows. 0 or -1. */
int pipeline_run_jobs(struct store *st, const struct gw_config *cfg, int64_t now, size_t *written);

/* Seconds to wait for the missing parts of a concatenated SMS before the
 * parts that came are stored as one message (gaps marked "[…]"). */
#define PIPELINE_PART_WAIT 120

/* Puts together every concatenated SMS whose parts stopped coming more than
 * PIPELINE_PART_WAIT seconds ago, in one transaction. 0 or -1. */
int pipeline_flush_parts(struct store *st, const struct gw_config *cfg, int64_t now);

#endif
