/* gateway/pipeline.c - dedupe, store, handle and queue replies for a batch
 * of inbound messages inside one store transaction.
 *
 * A message whose handling hits a store error costs only its own effects:
 * its inbox row is kept with result "error" and the rest of the batch
 * commits. A batch first runs without a savepoint per message; when one
 * fails, the transaction is undone and the batch runs again with each
 * message's handling inside a savepoint (pipeline_batch). A store that
 * fails outside that (the savepoint itself, the commit) fails the whole
 * batch: nothing is acknowledged and the providers retry.
 */
#include "pipeline.h"

#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "../core/util.h"
#include "../handlers/codebook.h"
#include "../handlers/handler.h"
#include "../handlers/jobs.h"
#include "../handlers/session.h"
#include "../handlers/templates.h"
#include "api.h"

static const char *kind_name(enum h_kind k)
{
    switch (k) {
    case H_ALERT: return "alert";
    case H_NOTICE: return "notice";
    case H_REMINDER: return "reminder";
    default: return "reply";
    }
}

/* Priority: case alerts before replies before notices before reminders. */
static int kind_priority(enum h_kind k)
{
    switch (k) {
    case H_ALERT: return 0;
    case H_NOTICE: return 2;
    case H_REMINDER: return 3;
    default: return 1;
    }
}

/* Renders r and writes its outbox row. Returns 0 written (*id set), 1 when
 * its dedupe key was already used, -1 on error. */
static int write_reply_row(struct store *st, const struct gw_config *cfg, const struct gw_msg *m, int64_t inbox_id,
                           const struct h_reply *r, int64_t now, int64_t *id)
{
    char err[160];
    struct gw_buf body = {0};
    int rc = -1;
    if (tmpl_render(cfg, r->tmpl, r->vars, r->nvars, &body, err, sizeof err) != 0) {
        gw_error("template %s: %s", r->tmpl, err);
        goto end;
    }
    json_t *vars = json_object();
    for (int i = 0; i < r->nvars; i++) json_object_set_new(vars, r->vars[i].name, json_string(r->vars[i].value));
    char *vars_json = json_dumps(vars, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(vars);
    struct store_outbox_row row = {
        /* A reply goes back through the channel it came in on; the sender
         * chooses a channel by route for everything else. */
        .channel = m && r->kind == H_REPLY && strcmp(m->channel, "cli") != 0 ? m->channel : NULL,
        .recipient = r->to,
        .tmpl = r->tmpl,
        .vars_json = vars_json,
        .body = gw_buf_cstr(&body),
        .kind = kind_name(r->kind),
        .priority = kind_priority(r->kind),
        .inbox_id = inbox_id,
        .case_id = r->case_id,
        .dedupe_key = r->dedupe[0] ? r->dedupe : NULL,
        .not_before = r->not_before,
    };
    int64_t rowid = 0;
    rc = store_outbox_insert(st, &row, now, &rowid);
    if (id) *id = rc == 0 ? rowid : 0;
    free(vars_json);
end:
    gw_buf_free(&body);
    return rc;
}

int pipeline_queue(struct store *st, const struct gw_config *cfg, const struct h_reply *r, int64_t now)
{
    return write_reply_row(st, cfg, NULL, 0, r, now, NULL);
}

/* After a message's handling failed and was undone: its fallback effects
 * (handlers_failed) in a savepoint of their own, else only the reply that
 * says it was kept. err gets what the fallback did, for the inbox row.
 * Returns 0, or -1 when the transaction is unusable. */
static int answer_failed(struct store *st, const struct gw_config *cfg, const struct gw_msg *m, const struct h_msg *hm,
                         int64_t inbox_id, enum cb_intent intent, int64_t now, char *err, size_t errlen)
{
    struct h_env env = {.st = st, .pol = &cfg->policy};
    struct h_result res;
    if (store_savepoint(st) != 0) return -1;
    int rc = handlers_failed(&env, hm, intent, &res);
    for (int i = 0; rc == 0 && i < res.nreplies; i++)
        if (write_reply_row(st, cfg, m, inbox_id, &res.replies[i], now, NULL) < 0) rc = -1;
    if (rc == 0) {
        if (store_release(st) != 0) return -1;
    } else {
        gw_error("inbox %lld: the fallback for a failed message failed too: %s", (long long)inbox_id, store_errmsg(st));
        if (store_rollback_to(st) != 0) return -1;
        handlers_failed_reply(hm, intent, &res);
        for (int i = 0; i < res.nreplies; i++)
            if (write_reply_row(st, cfg, m, inbox_id, &res.replies[i], now, NULL) < 0) {
                gw_error("inbox %lld: not even its reply could be queued: %s", (long long)inbox_id, store_errmsg(st));
                return -1;
            }
    }
    size_t n = strlen(err);
    if (n + 2 < errlen) snprintf(err + n, errlen - n, "; %s", res.detail);
    return 0;
}

/* What process_whole returns when fast and the message's handling failed:
 * its half-done effects cannot be undone alone, so the whole transaction
 * must be, and the batch run again with a savepoint per message. */
#define PROCESS_REDO (-3)

/* Stores one message and runs its handlers. Returns 0 stored, 1 duplicate,
 * 2 stored but its handling failed (kept with the error, answered through
 * answer_failed), -1 when the message could not be stored (a failed
 * statement undoes itself; the batch goes on), -2 when the store failed in
 * a way that leaves the transaction unusable. fast: no savepoint around
 * the handlers (a failure returns PROCESS_REDO instead of 2). */
static int process_whole(struct store *st, const struct gw_config *cfg, struct gw_msg *m, int64_t now,
                         int64_t *inbox_id, int fast);

/* A part of a concatenated SMS: kept until its group is whole, then the
 * whole message goes through like any other. Returns as process_one. */
static int process_part(struct store *st, const struct gw_config *cfg, struct gw_msg *m, int64_t now, int64_t *inbox_id,
                        int fast)
{
    *inbox_id = 0;
    int rc = store_part_insert(st, m, now);
    if (rc != 0) return rc < 0 ? -2 : 1;
    struct gw_msg whole;
    rc = store_part_assemble(st, m->channel, m->from, m->concat_ref, m->concat_total, INT64_MIN, &whole);
    if (rc < 0) return -2;
    if (rc == 1) return 0; /* waiting for the other parts */
    rc = process_whole(st, cfg, &whole, now, inbox_id, fast);
    if (rc >= 0 && store_part_done(st, m->channel, m->from, m->concat_ref, *inbox_id) != 0) rc = -2;
    gw_msg_clear(&whole);
    return rc < 0 ? rc : rc == 2 ? 2 : 0;
}

static int process_one(struct store *st, const struct gw_config *cfg, struct gw_msg *m, int64_t now, int64_t *inbox_id,
                       int fast)
{
    char e164[40];
    if (gw_phone_e164(m->from, cfg->policy.country_code, e164, sizeof e164) == 0) {
        free(m->from);
        m->from = gw_strdup(e164);
    }
    if (m->concat_ref) return process_part(st, cfg, m, now, inbox_id, fast);
    return process_whole(st, cfg, m, now, inbox_id, fast);
}

static int process_whole(struct store *st, const struct gw_config *cfg, struct gw_msg *m, int64_t now,
                         int64_t *inbox_id, int fast)
{
    if (!m->norm) m->norm = cb_normalize(m->text, strlen(m->text));
    int rc = store_inbox_insert(st, m, m->norm, now, inbox_id);
    if (rc != 0) {
        if (rc < 0) gw_error("inbox insert: %s", store_errmsg(st));
        return rc;
    }
    if (!fast && store_savepoint(st) != 0) return -2;

    struct h_env env = {.st = st, .pol = &cfg->policy};
    struct h_msg hm = {
        .inbox_id = *inbox_id,
        .channel = m->channel,
        .from = m->from,
        .text = m->text,
        .len = strlen(m->text),
        .now = m->received_at ? m->received_at : now,
        .parsed = m->received_at ? m->cmd : NULL, /* parsed at that time on an HTTP thread */
    };
    struct h_result res;
    char err[160] = "";
    int hrc = handlers_run(&env, &hm, &res, err, sizeof err);
    for (int i = 0; hrc == 0 && i < res.nreplies; i++)
        if (write_reply_row(st, cfg, m, *inbox_id, &res.replies[i], now, NULL) < 0) hrc = -1;
    const char *result = res.result ? res.result : "ok";
    if (hrc != 0 && fast) {
        gw_warn("handling inbox %lld failed: %s; its batch runs again, each message on its own", (long long)*inbox_id,
                err[0] ? err : store_errmsg(st));
        return PROCESS_REDO;
    }
    if (hrc == 0) {
        if (!fast && store_release(st) != 0) return -2;
    } else {
        /* Keep the message; drop its half-done effects; never leave its
         * sender, or a child it reports, in silence. */
        gw_error("handling inbox %lld failed: %s", (long long)*inbox_id, err[0] ? err : store_errmsg(st));
        if (store_rollback_to(st) != 0) return -2;
        if (answer_failed(st, cfg, m, &hm, *inbox_id, res.intent, now, err, sizeof err) != 0) return -2;
        result = "error";
    }
    if (store_inbox_set_result(st, *inbox_id, cb_intent_name(res.intent), result, hrc ? err : res.detail) != 0)
        return -2;
    return hrc == 0 ? 0 : 2;
}

static const char *status_word(enum prov_status_code c)
{
    switch (c) {
    case PROV_ST_QUEUED: return "queued";
    case PROV_ST_SENT: return "sent";
    case PROV_ST_DELIVERED: return "delivered";
    case PROV_ST_FAILED: return "failed";
    default: return NULL;
    }
}

/* Applies one delivery receipt. Returns 0, or -2 when the store failed. */
static int apply_receipt(struct store *st, const struct gw_config *cfg, const char *channel,
                         const struct prov_status *r, int64_t now)
{
    char masked[GW_MASK_LEN];
    const char *word = status_word(r->status);
    long ref = 0;
    if (r->ref && gw_parse_long(r->ref, 1, INT64_MAX > LONG_MAX ? LONG_MAX : (long)INT64_MAX, &ref) != 0) ref = 0;
    char recipient[32] = "";
    if (word) {
        int rc =
            store_outbox_receipt(st, channel, r->provider_msg_id, ref, word, r->raw_status, r->error, now, recipient);
        if (rc < 0) return -2;
        if (rc == 2) {
            /* Names nothing handed to this channel: forged or mistaken. It
             * is acknowledged (no retries) and changes nothing, opt-outs
             * included. */
            gw_warn(
                "receipt channel=%s id=%s ref=%ld status=%s (%s) ignored: no message sent on this channel matches it",
                channel, r->provider_msg_id ? r->provider_msg_id : "-", ref, word, r->raw_status ? r->raw_status : "");
            return 0;
        }
        gw_info("receipt channel=%s id=%s ref=%ld status=%s (%s)%s", channel,
                r->provider_msg_id ? r->provider_msg_id : "-", ref, word, r->raw_status ? r->raw_status : "",
                rc == 1 ? " held until the send returns" : "");
    } else {
        /* Acknowledged and kept in the log: a provider must not retry it forever. */
        gw_warn("receipt channel=%s id=%s: unknown status '%s' ignored", channel,
                r->provider_msg_id ? r->provider_msg_id : "-", r->raw_status ? r->raw_status : "");
    }
    if (r->opted_out) {
        const char *phone = recipient[0] ? recipient : r->phone;
        char e164[40];
        if (phone && gw_phone_e164(phone, cfg->policy.country_code, e164, sizeof e164) == 0) {
            if (db_optout_set(st, e164, channel, now) != 0) return -2;
            gw_info("opt-out recorded for %s (signalled by %s)", gw_mask_phone(e164, masked), channel);
        }
    }
    return 0;
}

/* Runs a USSD or voice step inside a savepoint and writes the replies it
 * causes. Returns 0, -1 when the step failed (its effects undone; the
 * request gets a 503 and the provider retries), -2 when the transaction is
 * unusable. */
static int process_session(struct store *st, const struct gw_config *cfg, const char *channel, struct pipeline_job *job,
                           int64_t now)
{
    struct h_env env = {.st = st, .pol = &cfg->policy};
    struct h_result effects;
    h_result_init(&effects);
    char err[200] = "", from[40];
    int rc;
    if (store_savepoint(st) != 0) return -2;
    if (job->kind == PIPELINE_JOB_USSD) {
        struct prov_ussd *u = &job->ussd->in;
        if (gw_phone_e164(u->phone, cfg->policy.country_code, from, sizeof from) != 0)
            gw_strlcpy(from, u->phone, sizeof from);
        struct ussd_in in = {.channel = channel,
                             .session_id = u->session_id,
                             .phone = from,
                             .service_code = u->service_code,
                             .text = u->text ? u->text : "",
                             .now = now};
        rc = ussd_step(&env, &in, &job->ussd->out, &effects, err, sizeof err);
    } else {
        struct prov_voice *v = &job->voice->in;
        if (gw_phone_e164(v->from, cfg->policy.country_code, from, sizeof from) != 0)
            gw_strlcpy(from, v->from, sizeof from);
        struct voice_in in = {.channel = channel,
                              .call_id = v->call_id,
                              .from = from,
                              .to = v->to,
                              .step = job->voice->step,
                              .digits = v->digits,
                              .recording_url = v->recording_url,
                              .recording_duration = v->recording_duration,
                              .call_status = v->call_status,
                              .duration = v->duration,
                              .final = v->final,
                              .now = now};
        rc = voice_step(&env, &in, &job->voice->out, &effects, err, sizeof err);
    }
    for (int i = 0; rc == 0 && i < effects.nreplies; i++)
        if (write_reply_row(st, cfg, NULL, 0, &effects.replies[i], now, NULL) < 0) rc = -1;
    if (rc != 0) {
        gw_error("%s step failed: %s", job->kind == PIPELINE_JOB_USSD ? "ussd" : "voice",
                 err[0] ? err : store_errmsg(st));
        return store_rollback_to(st) == 0 ? -1 : -2;
    }
    return store_release(st) == 0 ? 0 : -2;
}

/* A health probe: one real write in a savepoint. Returns 0 (job->ok says
 * whether it committed), or -2 when the transaction is unusable. */
static int run_probe(struct store *st, struct pipeline_job *job, int64_t now)
{
    if (store_savepoint(st) != 0) return -2;
    if (store_health_write(st, now) == 0) return store_release(st) == 0 ? 0 : -2;
    job->ok = 0;
    gw_strlcpy(job->reason, store_errmsg(st), sizeof job->reason);
    return store_rollback_to(st) == 0 ? 0 : -2;
}

/* Who calls api and whether they may: api->status 200, 401 (no token or
 * session in use by that hash) or 403 (the role may not, or a session's
 * change without its CSRF token), api->who filled. An anonymous
 * endpoint's call carries no hash and passes. 0, or -1 on a store error. */
static int check_caller(struct store *st, struct pipeline_api *api, int64_t now)
{
    if (!api->hash[0]) {
        api->status = api->endpoint && api->endpoint->anonymous ? 200 : 401;
        return 0;
    }
    char csrf[GW_SHA256_HEX] = "";
    int rc = api->kind == AUTH_SESSION ? auth_check_session(st, api->hash, now, &api->who, csrf)
                                       : auth_check_hash(st, api->hash, now, &api->who);
    if (rc < 0) return -1;
    if (rc == 1) {
        api->status = 401;
        if (api->kind == AUTH_SESSION) gw_strlcpy(api->reason, "session expired or ended", sizeof api->reason);
        return 0;
    }
    /* A session rides on a cookie the browser sends by itself: a change
     * must prove it comes from the page that signed in. */
    if (api->kind == AUTH_SESSION && api->unsafe && !session_hash_equal(csrf, api->csrf_hash)) {
        api->status = 403;
        gw_strlcpy(api->reason, "missing or wrong X-CSRF-Token", sizeof api->reason);
        return 0;
    }
    api->status = auth_allows(api->who.role, api->action) ? 200 : 403;
    return 0;
}

/* An office API request: its token or session checked by hash and its use
 * recorded, in a savepoint. Returns 0 (job->api->status tells the verdict;
 * job->ok = 0 when the store failed: 503), or -2 when the transaction is
 * unusable. */
static int run_api(struct store *st, const struct gw_config *cfg, struct pipeline_job *job, int64_t now)
{
    struct pipeline_api *api = job->api;
    if (!api) {
        job->ok = 0;
        gw_strlcpy(job->reason, "an API job without its request", sizeof job->reason);
        return 0;
    }
    if (store_savepoint(st) != 0) return -2;
    if (check_caller(st, api, now) != 0) {
        job->ok = 0;
        gw_strlcpy(job->reason, store_errmsg(st), sizeof job->reason);
        return store_rollback_to(st) == 0 ? 0 : -2;
    }
    if (api->status == 200 && api->endpoint && api->endpoint->run) {
        struct api_in in = {.st = st,
                            .cfg = cfg,
                            .who = &api->who,
                            .id = api->id ? api->id : "",
                            .query = api->query ? api->query : "",
                            .body = api->body ? api->body : "",
                            .body_len = api->body_len,
                            .client = api->client,
                            .now = now,
                            .session = api->kind == AUTH_SESSION ? api->hash : "",
                            .extra = &api->extra};
        /* The endpoint's own savepoint: a refusal or a failure keeps
         * nothing of it, only the token's use (unless it keeps refusals). */
        if (store_savepoint(st) != 0) return -2;
        json_t *out = json_object();
        api->status = api->endpoint->run(&in, out, api->reason, sizeof api->reason);
        if (api->status < 0) {
            api->status = 500;
            gw_strlcpy(api->reason, store_errmsg(st), sizeof api->reason);
        }
        if (api->status < 300) api->out = json_dumps(out, JSON_COMPACT);
        json_decref(out);
        int keep = api->status < 300 || (api->status < 500 && api->endpoint->keeps_refusals);
        if ((keep ? store_release(st) : store_rollback_to(st)) != 0) return -2;
    }
    return store_release(st) == 0 ? 0 : -2;
}

/* Stores and handles a job's messages. Returns 0, -2 when the transaction
 * is unusable, or PROCESS_REDO (fast only). */
static int run_sms(struct store *st, const struct gw_config *cfg, struct pipeline_job *job, int64_t now, int fast)
{
    for (size_t i = 0; i < job->msgs.n; i++) {
        int rc = process_one(st, cfg, &job->msgs.v[i], now, &job->inbox_ids[i], fast);
        if (rc == -2 || rc == PROCESS_REDO) return rc;
        if (rc < 0)
            job->ok = 0;
        else if (rc == 1)
            job->duplicate[i] = 1;
        else
            job->stored++;
        if (rc == 2) job->handler_errors++;
    }
    return 0;
}

/* Runs one job inside the batch's transaction, by its kind. Returns 0
 * (the job's results filled), -2 when the transaction is unusable, or
 * PROCESS_REDO (fast only). */
static int run_job(struct store *st, const struct gw_config *cfg, struct pipeline_job *job, int64_t now, int fast)
{
    switch (job->kind) {
    case PIPELINE_JOB_SMS: return run_sms(st, cfg, job, now, fast);
    case PIPELINE_JOB_STATUS:
        for (size_t i = 0; i < job->statuses.n; i++)
            if (apply_receipt(st, cfg, job->channel, &job->statuses.v[i], now) != 0) return -2;
        return 0;
    case PIPELINE_JOB_USSD:
    case PIPELINE_JOB_VOICE: {
        if (job->kind == PIPELINE_JOB_USSD ? !job->ussd : !job->voice) {
            job->ok = 0;
            gw_strlcpy(job->reason, "a session job without its step", sizeof job->reason);
            return 0;
        }
        int rc = process_session(st, cfg, job->channel, job, now);
        if (rc == -2) return -2;
        if (rc < 0) {
            job->ok = 0; /* answered 503: the provider sends the step again */
            job->handler_errors++;
        }
        return 0;
    }
    case PIPELINE_JOB_PROBE: return run_probe(st, job, now);
    case PIPELINE_JOB_TIMED: return 0; /* the writer runs the timed jobs after the batch */
    case PIPELINE_JOB_API: return run_api(st, cfg, job, now);
    }
    return 0;
}

/* Marks every job of a failed batch with the store's reason. */
static void fail_all(struct pipeline_job **jobs, size_t n, const char *reason)
{
    for (size_t j = 0; j < n; j++) {
        jobs[j]->ok = 0;
        gw_strlcpy(jobs[j]->reason, reason, sizeof jobs[j]->reason);
    }
}

/* Clears what an earlier run of the job filled in, before it runs again. */
static void job_reset(struct pipeline_job *job)
{
    size_t cnt = job->msgs.n;
    free(job->inbox_ids);
    free(job->duplicate);
    job->inbox_ids = gw_calloc(cnt, sizeof *job->inbox_ids);
    job->duplicate = gw_calloc(cnt, sizeof *job->duplicate);
    job->ok = 1;
    job->stored = 0;
    job->handler_errors = 0;
    job->reason[0] = '\0';
    if (job->api) {
        free(job->api->out);
        job->api->out = NULL;
        job->api->status = 0;
        job->api->reason[0] = '\0';
        memset(&job->api->who, 0, sizeof job->api->who);
        memset(&job->api->extra, 0, sizeof job->api->extra);
    }
}

/* One run of the batch in one transaction. fast: inbound messages are
 * handled without a savepoint each. Returns 0 committed, -1 failed (every
 * job marked), or PROCESS_REDO (fast only: rolled back, nothing marked). */
static int batch_once(struct store *st, const struct gw_config *cfg, struct pipeline_job **jobs, size_t n, int64_t now,
                      int fast)
{
    char why[160];
    if (store_begin(st) != 0) {
        gw_error("begin: %s", store_errmsg(st));
        fail_all(jobs, n, store_errmsg(st));
        return -1;
    }
    for (size_t j = 0; j < n; j++) {
        job_reset(jobs[j]);
        int rc = run_job(st, cfg, jobs[j], now, fast);
        if (rc == PROCESS_REDO) {
            if (store_rollback(st) != 0) goto abort;
            return PROCESS_REDO;
        }
        if (rc != 0) goto abort;
    }
    if (store_commit(st) != 0) {
        gw_error("commit: %s", store_errmsg(st));
        goto abort;
    }
    return 0;
abort:
    gw_strlcpy(why, store_errmsg(st), sizeof why);
    gw_error("store transaction abandoned: %s", why);
    store_rollback(st);
    fail_all(jobs, n, why);
    return -1;
}

/* A batch first runs without a savepoint per inbound message: a savepoint
 * costs two statements and a copy of every page the message changes. A
 * message whose handling fails is rare; then the transaction is undone and
 * the batch runs again with a savepoint each, so that message alone keeps
 * only its inbox row and its answer. Every effect lives in the store, so
 * the second run is the whole truth (its log lines repeat the first's). */
int pipeline_batch(struct store *st, const struct gw_config *cfg, struct pipeline_job **jobs, size_t n, int64_t now)
{
    int rc = batch_once(st, cfg, jobs, n, now, 1);
    if (rc == PROCESS_REDO) rc = batch_once(st, cfg, jobs, n, now, 0);
    return rc;
}

struct flush_ctx {
    struct store *st;
    const struct gw_config *cfg;
    int64_t now;
    int rc;
};

static void flush_group(void *arg, const char *channel, const char *sender, const char *ref, int total)
{
    struct flush_ctx *f = arg;
    if (f->rc) return;
    struct gw_msg whole;
    int rc = store_part_assemble(f->st, channel, sender, ref, total, f->now - PIPELINE_PART_WAIT, &whole);
    if (rc < 0) f->rc = -1;
    if (rc != 0) return;
    int64_t inbox_id = 0;
    gw_warn("concatenated SMS from a %d-part group incomplete after %d s: storing what came", total,
            PIPELINE_PART_WAIT);
    if (process_whole(f->st, f->cfg, &whole, f->now, &inbox_id, 0) < 0 ||
        store_part_done(f->st, channel, sender, ref, inbox_id) != 0)
        f->rc = -1;
    gw_msg_clear(&whole);
}

int pipeline_flush_parts(struct store *st, const struct gw_config *cfg, int64_t now)
{
    struct flush_ctx f = {st, cfg, now, 0};
    if (store_begin(st) != 0) return -1;
    if (store_part_stale(st, now - PIPELINE_PART_WAIT, flush_group, &f) != 0) f.rc = -1;
    if (f.rc != 0) {
        store_rollback(st);
        return -1;
    }
    return store_commit(st) == 0 ? 0 : -1;
}

int pipeline_run_jobs(struct store *st, const struct gw_config *cfg, int64_t now, size_t *written)
{
    struct h_env env = {.st = st, .pol = &cfg->policy};
    struct h_replies out = {0};
    char err[200] = "";
    size_t n = 0;
    if (written) *written = 0;
    if (store_begin(st) != 0) return -1;
    if (jobs_run(&env, now, &out, err, sizeof err) != 0) {
        gw_error("jobs: %s", err[0] ? err : store_errmsg(st));
        goto fail;
    }
    for (size_t i = 0; i < out.n; i++) {
        int64_t id = 0;
        if (write_reply_row(st, cfg, NULL, 0, &out.v[i], now, &id) < 0) goto fail;
        n += id > 0;
    }
    if (store_commit(st) != 0) goto fail;
    h_replies_free(&out);
    if (written) *written = n;
    return 0;
fail:
    store_rollback(st);
    h_replies_free(&out);
    return -1;
}

void pipeline_job_clear(struct pipeline_job *job)
{
    gw_msgv_free(&job->msgs);
    prov_statusv_free(&job->statuses);
    if (job->ussd) prov_ussd_clear(&job->ussd->in);
    if (job->voice) prov_voice_clear(&job->voice->in);
    free(job->ussd);
    free(job->voice);
    if (job->api) {
        free(job->api->id);
        free(job->api->query);
        free(job->api->body);
        free(job->api->out);
    }
    free(job->api);
    job->ussd = NULL;
    job->voice = NULL;
    job->api = NULL;
    free(job->inbox_ids);
    free(job->duplicate);
    job->inbox_ids = NULL;
    job->duplicate = NULL;
}
