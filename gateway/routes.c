/* gateway/routes.c - the route table, the hook handlers and the answers.
 *
 * A hook request: the channel named in the path is looked up (404), the
 * route's provider capability checked (404) and its method (405); the
 * provider verifies (403, or 400 when the body cannot be decoded) and
 * parses (400); the input is normalised into a typed pipeline_job and
 * handed to the writer; once the writer is done the provider renders the
 * answer (routes_finish), or 503 when nothing was stored (providers retry).
 *
 * Refused requests are logged through the rate limit of the context, keyed
 * by status, channel and route, so a flood writes a summary, not a line per
 * request.
 */
#include "routes.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../handlers/codebook.h"
#include "../handlers/session.h"
#include "../providers/provider.h"
#include "api.h"
#include "api_case_writes.h"
#include "api_cases.h"
#include "api_files.h"
#include "api_openapi.h"
#include "api_session.h"
#include "dash.h"

#define CHANNEL_NAME_MAX 64 /* bytes of a channel name in a path, NUL included */

/* ---- responses -------------------------------------------------------------- */

void http_response_header(struct http_response *resp, const char *name, const char *value)
{
    if (resp->nheaders >= HTTP_MAX_HEADERS) return;
    resp->headers[resp->nheaders].name = name;
    resp->headers[resp->nheaders].value = value;
    resp->nheaders++;
}

void http_response_clear(struct http_response *resp) { gw_buf_free(&resp->body); }

/* Fills resp with status, type and a copy of body; names ch for the metrics.
 * Every 503 tells the client when to retry. */
static void answer(struct http_response *resp, const struct gw_channel *ch, int status, const char *ctype,
                   const char *body, size_t len)
{
    resp->status = status;
    resp->content_type = ctype;
    resp->channel = ch ? ch->name : NULL;
    resp->deferred = 0;
    gw_buf_append(&resp->body, body, len);
    if (status == 503) http_response_header(resp, "Retry-After", "5");
}

/* Answers with what a provider rendered (its body is moved into resp). */
static void answer_rendered(struct http_response *resp, const struct gw_channel *ch, struct prov_response *pr)
{
    answer(resp, ch, pr->status, pr->content_type, NULL, 0);
    gw_buf_free(&resp->body);
    resp->body = pr->body;
    pr->body = (struct gw_buf){0};
}

/* The route as a summary key: one of a fixed few, whatever the URL said. */
static const char *route_key(const char *route)
{
    static const char *const known[] = {"sms", "status", "ussd", "voice", "healthz", "metrics", "dash"};
    if (!route) return "-";
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(route, known[i])) return known[i];
    if (!strncmp(route, "voice/", 6)) return "voice";
    if (!strncmp(route, "api/", 4)) return "api";
    return "other";
}

/* Logs a refused request through the context's rate limit. */
static void log_refusal(const struct routes_ctx *ctx, const struct gw_channel *ch, const char *route, int status,
                        const char *reason)
{
    const char *name = ch ? ch->name : "-";
    if (!ctx->refusals) {
        gw_info("http: refused status=%d channel=%s route=%s reason=%s", status, name, route ? route : "-", reason);
        return;
    }
    char key[96];
    snprintf(key, sizeof key, "%d channel=%s route=%s", status, name, route_key(route));
    gw_log_limited(ctx->refusals, gw_clock_mono(), key, "http: refused status=%d channel=%s route=%s reason=%s", status,
                   name, route ? route : "-", reason);
}

/* Refuses the request: {"error": reason} with status, logged. */
static void answer_error(const struct routes_ctx *ctx, const struct gw_channel *ch, const char *route, int status,
                         const char *reason, struct http_response *resp)
{
    struct gw_buf b = {0};
    gw_buf_puts(&b, "{\"error\":\"");
    for (const char *p = reason; *p; p++) {
        if (*p == '"' || *p == '\\') gw_buf_putc(&b, '\\');
        if ((unsigned char)*p < 0x20) continue;
        gw_buf_putc(&b, *p);
    }
    gw_buf_puts(&b, "\"}\n");
    log_refusal(ctx, ch, route, status, reason);
    answer(resp, ch, status, "application/json", b.p, b.len);
    gw_buf_free(&b);
}

/* Refuses the request of call (its channel and route named in the log). */
static void refuse(const struct routes_ctx *ctx, const struct routes_call *call, int status, const char *reason,
                   struct http_response *resp)
{
    answer_error(ctx, call->ch, call->route, status, reason, resp);
}

/* ---- the writer --------------------------------------------------------------- */

static int submit_to_writer(void *impl, struct pipeline_job *job) { return writer_submit(impl, job); }

struct routes_writer routes_writer_of(struct writer *w)
{
    return (struct routes_writer){.submit = submit_to_writer, .impl = w};
}

/* Runs on the writer's thread once the job's transaction ended. */
static void job_done(struct pipeline_job *job)
{
    struct routes_call *call = (struct routes_call *)((char *)job - offsetof(struct routes_call, job));
    if (call->on_done) call->on_done(call);
}

/* Hands the call's job to the writer; the answer is deferred until it is
 * done (a refused job is done at once, not stored). */
static void submit(const struct routes_ctx *ctx, struct routes_call *call, struct http_response *resp)
{
    resp->deferred = 1;
    call->job.done = job_done;
    if (call->on_submit) call->on_submit(call);
    if (ctx->writer.submit(ctx->writer.impl, &call->job) != 0) {
        call->job.ok = 0;
        if (call->on_done) call->on_done(call);
    }
}

/* ---- answers to finished jobs -------------------------------------------------- */

/* One log line per message of a stored SMS batch. */
static void log_stored(const struct routes_call *call)
{
    char masked[GW_MASK_LEN];
    const struct pipeline_job *job = &call->job;
    for (size_t i = 0; i < job->msgs.n; i++)
        gw_info("sms channel=%s from=%s id=%lld %s", call->ch->name, gw_mask_phone(job->msgs.v[i].from, masked),
                job->inbox_ids ? (long long)job->inbox_ids[i] : 0LL,
                job->duplicate && job->duplicate[i] ? "duplicate" : "stored");
}

void routes_render(const char *public_url, const struct routes_call *call, struct prov_response *out)
{
    const struct gw_channel *ch = call->ch;
    const struct pipeline_job *job = &call->job;
    switch (job->kind) {
    case PIPELINE_JOB_SMS: ch->ops->render_sms_ack(ch, &job->msgs, out); return;
    case PIPELINE_JOB_STATUS: ch->ops->render_status_ack(ch, out); return;
    case PIPELINE_JOB_USSD: ch->ops->render_ussd(ch, job->ussd->out.end, job->ussd->out.screen, out); return;
    case PIPELINE_JOB_VOICE: {
        struct gw_buf base = {0};
        gw_buf_printf(&base, "%s/hooks/%s/voice/", public_url, ch->name);
        struct voice_doc none = {.n = 0};
        /* The answer to a call's final callback is ignored: send an empty one. */
        ch->ops->render_voice(ch, job->voice->in.final ? &none : &job->voice->out, gw_buf_cstr(&base), out);
        gw_buf_free(&base);
        return;
    }
    case PIPELINE_JOB_PROBE:
    case PIPELINE_JOB_TIMED:
    case PIPELINE_JOB_API: return;
    }
}

/* ---- the office API ------------------------------------------------------------- */

/* Refuses an API request: {"error": reason}, never cached; a 401 names
 * the scheme it wants. */
static void api_refuse(const struct routes_ctx *ctx, struct routes_call *call, int status, const char *reason,
                       struct http_response *resp)
{
    refuse(ctx, call, status, reason, resp);
    http_response_header(resp, "Cache-Control", "no-store");
    if (status == 401) http_response_header(resp, "WWW-Authenticate", "Bearer");
}

/* Answers an HTML endpoint's JSON (its page at "html") as the page itself,
 * never cached, under a policy that runs no script. */
static void answer_html(const struct routes_ctx *ctx, struct routes_call *call, const char *json,
                        struct http_response *resp)
{
    json_t *o = json_loads(json, 0, NULL);
    const char *page = json_string_value(json_object_get(o, "html"));
    if (!page) {
        json_decref(o);
        api_refuse(ctx, call, 500, "no answer", resp);
        return;
    }
    answer(resp, NULL, 200, "text/html; charset=utf-8", page, strlen(page));
    json_decref(o);
    http_response_header(resp, "Content-Security-Policy", API_HTML_CSP);
    http_response_header(resp, "X-Content-Type-Options", "nosniff");
    http_response_header(resp, "Referrer-Policy", "no-referrer");
    http_response_header(resp, "Cache-Control", "no-store");
}

/* The answer to an API job the writer ran: 401, 403 or the endpoint's
 * JSON with 200. */
static void api_finish(const struct routes_ctx *ctx, struct routes_call *call, struct http_response *resp)
{
    const struct pipeline_api *api = call->job.api;
    const struct api_endpoint *ep = api->endpoint;
    if (api->extra.set_cookie[0]) {
        gw_strlcpy(resp->set_cookie, api->extra.set_cookie, sizeof resp->set_cookie);
        http_response_header(resp, "Set-Cookie", resp->set_cookie);
    }
    if (api->status == 429 && api->extra.retry_after > 0) {
        snprintf(resp->retry_after, sizeof resp->retry_after, "%lld", (long long)api->extra.retry_after);
        http_response_header(resp, "Retry-After", resp->retry_after);
    }
    if (api->status == 401) {
        api_refuse(ctx, call, 401, api->reason[0] ? api->reason : "unknown or revoked token", resp);
        return;
    }
    if (api->status == 403 && !api->reason[0]) {
        char why[128];
        snprintf(why, sizeof why, "role %s may not %s", auth_role_name(api->who.role), auth_action_name(api->action));
        api_refuse(ctx, call, 403, why, resp);
        return;
    }
    if (api->status >= 300) {
        api_refuse(ctx, call, api->status, api->reason[0] ? api->reason : "refused", resp);
        return;
    }
    char *text = api->out;
    if (!text && ep->render) {
        json_t *out = json_object();
        ep->render(&api->who, out);
        text = json_dumps(out, JSON_COMPACT);
        json_decref(out);
    } else if (text) {
        text = gw_strdup(text);
    }
    if (!text) {
        api_refuse(ctx, call, 500, "no answer", resp);
        return;
    }
    if (ep->html) {
        answer_html(ctx, call, text, resp);
        free(text);
        return;
    }
    answer(resp, NULL, api->status, "application/json", text, strlen(text));
    gw_buf_putc(&resp->body, '\n');
    free(text);
    http_response_header(resp, "Cache-Control", "no-store");
}

void routes_finish(const struct routes_ctx *ctx, struct routes_call *call, struct http_response *resp)
{
    const struct pipeline_job *job = &call->job;
    if (!job->ok) {
        refuse(ctx, call, 503, job->reason[0] ? job->reason : "store unavailable, retry later", resp);
        return;
    }
    if (job->kind == PIPELINE_JOB_API) {
        api_finish(ctx, call, resp);
        return;
    }
    if (!call->ch) { /* the health check */
        answer(resp, NULL, 200, "text/plain; charset=utf-8", "ok\n", 3);
        return;
    }
    if (job->kind == PIPELINE_JOB_SMS) log_stored(call);
    struct prov_response pr = {.status = 200, .content_type = "text/plain"};
    routes_render(ctx->cfg->public_url, call, &pr);
    answer_rendered(resp, call->ch, &pr);
}

/* ---- hook handlers ------------------------------------------------------------- */

static const char *prov_header(const struct prov_request *pr, const char *name)
{
    const struct http_request *req = pr->impl;
    return req->header ? req->header(req, name) : NULL;
}

/* Fills pr with the provider's view of req; url receives public_url and the
 * raw target (what the provider signed). */
static void request_view(const struct routes_ctx *ctx, const struct http_request *req, struct gw_buf *url,
                         struct prov_request *pr)
{
    gw_buf_puts(url, ctx->cfg->public_url);
    gw_buf_puts(url, req->target ? req->target : req->path);
    *pr = (struct prov_request){
        .method = req->method,
        .url = gw_buf_cstr(url),
        .query = req->query ? req->query : "",
        .content_type = req->header ? req->header(req, "Content-Type") : NULL,
        .body = req->body ? req->body : "",
        .body_len = req->body ? req->body_len : 0,
        .header = prov_header,
        .impl = (void *)req,
        .now = gw_clock_now(),
    };
}

/* The HTTP status a provider's verdict implies. */
static int status_of(int rc) { return rc == PROV_EFORBIDDEN ? 403 : rc == PROV_EBADREQ ? 400 : 200; }

int routes_hook_input(const struct gw_channel *ch, enum pipeline_job_kind kind, const struct prov_request *pr,
                      struct routes_call *call, char *err, size_t errlen)
{
    const struct provider_ops *ops = ch->ops;
    call->ch = ch;
    call->job.kind = kind;
    call->parse_rc = PROV_EBADREQ;
    call->verify_rc = ops->verify ? ops->verify(ch, pr, err, errlen) : PROV_OK;
    /* A body that cannot be decoded cannot be checked either: 400. */
    if (call->verify_rc != PROV_OK) return call->verify_rc == PROV_EBADREQ ? 400 : 403;
    if (errlen) err[0] = '\0';
    switch (kind) {
    case PIPELINE_JOB_SMS:
        call->parse_rc = ops->parse_sms(ch, pr, &call->job.msgs, err, errlen);
        return status_of(call->parse_rc);
    case PIPELINE_JOB_STATUS:
        call->parse_rc = ops->parse_status(ch, pr, &call->job.statuses, err, errlen);
        call->job.channel = ch->name;
        return status_of(call->parse_rc);
    case PIPELINE_JOB_USSD:
        call->job.ussd = gw_calloc(1, sizeof *call->job.ussd);
        call->parse_rc = ops->parse_ussd(ch, pr, &call->job.ussd->in, err, errlen);
        call->job.channel = ch->name;
        return call->parse_rc == PROV_OK ? 200 : 400;
    case PIPELINE_JOB_VOICE:
        call->job.voice = gw_calloc(1, sizeof *call->job.voice);
        call->parse_rc = ops->parse_voice(ch, pr, &call->job.voice->in, err, errlen);
        call->job.channel = ch->name;
        return call->parse_rc == PROV_OK ? 200 : 400;
    case PIPELINE_JOB_PROBE:
    case PIPELINE_JOB_TIMED:
    case PIPELINE_JOB_API: break;
    }
    return 400;
}

/* Runs a hook's provider part (routes_hook_input) on req; refuses the
 * request when it fails, with the provider's reason or, when it gave none,
 * the one of failed_parse. Returns 1 when the job's input is ready; *now
 * (may be NULL) gets the time of receipt the provider saw. */
static int hook_input(const struct routes_ctx *ctx, const struct http_request *req, enum pipeline_job_kind kind,
                      const char *failed_parse, struct routes_call *call, struct http_response *resp, long long *now)
{
    struct gw_buf url = {0};
    struct prov_request pr;
    request_view(ctx, req, &url, &pr);
    char err[160] = "";
    int status = routes_hook_input(call->ch, kind, &pr, call, err, sizeof err);
    gw_buf_free(&url);
    if (now) *now = pr.now;
    if (status == 200) return 1;
    const char *why = err[0]                            ? err
                      : call->verify_rc == PROV_OK      ? failed_parse
                      : call->verify_rc == PROV_EBADREQ ? "malformed request"
                                                        : "bad signature";
    refuse(ctx, call, status, why, resp);
    return 0;
}

void routes_normalise_msgs(const struct gw_channel *ch, struct gw_msgv *msgs, long long now)
{
    for (size_t i = 0; i < msgs->n; i++) {
        struct gw_msg *m = &msgs->v[i];
        free(m->channel);
        m->channel = gw_strdup(ch->name);
        if (!m->text) m->text = gw_strdup("");
        if (!m->received_at) m->received_at = now;
        if (!m->concat_ref) {
            m->norm = cb_normalize(m->text, strlen(m->text));
            m->cmd = gw_malloc(sizeof *m->cmd);
            m->cmd_free = cb_cmd_free;
            cb_parse(m->text, strlen(m->text), m->received_at, m->cmd);
        }
    }
}

/* Answers at once a hook whose input holds nothing to store. */
static void answer_now(const struct routes_ctx *ctx, struct routes_call *call, struct http_response *resp)
{
    call->job.ok = 1;
    routes_finish(ctx, call, resp);
}

/* POST /hooks/{channel}/sms: inbound messages. */
static void hook_sms(const struct routes_ctx *ctx, const struct http_request *req, const char *step,
                     struct routes_call *call, struct http_response *resp)
{
    long long now = 0;
    if (!hook_input(ctx, req, PIPELINE_JOB_SMS, "malformed request", call, resp, &now)) return;
    routes_normalise_msgs(call->ch, &call->job.msgs, now);
    if (call->parse_rc == PROV_IGNORED || call->job.msgs.n == 0)
        answer_now(ctx, call, resp);
    else
        submit(ctx, call, resp);
}

/* POST /hooks/{channel}/status: delivery receipts. */
static void hook_status(const struct routes_ctx *ctx, const struct http_request *req, const char *step,
                        struct routes_call *call, struct http_response *resp)
{
    if (!hook_input(ctx, req, PIPELINE_JOB_STATUS, "malformed request", call, resp, NULL)) return;
    if (call->parse_rc == PROV_IGNORED || call->job.statuses.n == 0)
        answer_now(ctx, call, resp);
    else
        submit(ctx, call, resp);
}

/* POST /hooks/{channel}/ussd: one step of a USSD session. */
static void hook_ussd(const struct routes_ctx *ctx, const struct http_request *req, const char *step,
                      struct routes_call *call, struct http_response *resp)
{
    if (hook_input(ctx, req, PIPELINE_JOB_USSD, "malformed USSD request", call, resp, NULL)) submit(ctx, call, resp);
}

/* POST /hooks/{channel}/voice[/{step}]: one step of a call ("" first). */
static void hook_voice(const struct routes_ctx *ctx, const struct http_request *req, const char *step,
                       struct routes_call *call, struct http_response *resp)
{
    if (strlen(step) >= sizeof call->job.voice->step ||
        strspn(step, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(step)) {
        refuse(ctx, call, 404, "no such step", resp);
        return;
    }
    if (!hook_input(ctx, req, PIPELINE_JOB_VOICE, "malformed voice request", call, resp, NULL)) return;
    gw_strlcpy(call->job.voice->step, step, sizeof call->job.voice->step);
    submit(ctx, call, resp);
}

/* GET /healthz: 200 once its own write commits, and no batch of messages
 * failed since. */
static void get_healthz(const struct routes_ctx *ctx, const struct http_request *req, const char *step,
                        struct routes_call *call, struct http_response *resp)
{
    call->job.kind = PIPELINE_JOB_PROBE;
    submit(ctx, call, resp);
}

/* GET /metrics: the counters in the Prometheus text format. */
static void get_metrics(const struct routes_ctx *ctx, const struct http_request *req, const char *step,
                        struct routes_call *call, struct http_response *resp)
{
    struct gw_buf b = {0};
    if (ctx->metrics) metrics_render(ctx->metrics, &b);
    answer(resp, NULL, 200, "text/plain; version=0.0.4", gw_buf_cstr(&b), b.len);
    gw_buf_free(&b);
}

/* The value of cookie name in a Cookie header ("a=1; b=2") into out: 0,
 * or -1 when absent, empty or longer than out. */
static int cookie_value(const char *header, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name);
    for (const char *p = header; p && *p;) {
        p += strspn(p, " \t;");
        size_t k = strcspn(p, ";");
        if (k > n && !strncmp(p, name, n) && p[n] == '=') {
            size_t v = k - n - 1;
            while (v > 0 && (p[n + v] == ' ' || p[n + v] == '\t')) v--;
            if (v == 0 || v >= outlen) return -1;
            memcpy(out, p + n + 1, v);
            out[v] = '\0';
            return 0;
        }
        p += k;
    }
    return -1;
}

/* The caller's credential for the writer, by hash: a bearer token, else a
 * session cookie (with its X-CSRF-Token and whether the method changes
 * anything); none for an anonymous endpoint. 0, or -1 with the request
 * answered (401 when there is none). */
static int api_credential(const struct routes_ctx *ctx, const struct http_request *req, const struct api_endpoint *ep,
                          struct routes_call *call, struct http_response *resp)
{
    struct pipeline_api *api = call->job.api;
    const char *token;
    char cookie[SESSION_SECRET_LEN];
    const char *csrf = req->header ? req->header(req, "X-CSRF-Token") : NULL;
    int rc = 0;
    if (ep->anonymous) return 0; /* a stale cookie must not keep anyone from signing in */
    if (auth_bearer(req->header ? req->header(req, "Authorization") : NULL, &token) == 0) {
        api->kind = AUTH_TOKEN;
        rc = auth_token_hash(token, api->hash);
    } else if (cookie_value(req->header ? req->header(req, "Cookie") : NULL, SESSION_COOKIE, cookie, sizeof cookie) ==
               0) {
        api->kind = AUTH_SESSION;
        api->unsafe = strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0;
        rc = session_secret_hash(cookie, api->hash);
        if (rc == 0 && csrf && csrf[0]) rc = session_secret_hash(csrf, api->csrf_hash);
    } else {
        api_refuse(ctx, call, 401, "a bearer token or a session is required", resp);
        return -1;
    }
    if (rc != 0) api_refuse(ctx, call, 500, "cannot hash the credential", resp);
    return rc == 0 ? 0 : -1;
}

/* An /api/v1 request for ep: its bearer token or session cookie (401 at
 * once when there is neither, unless ep is anonymous) goes to the writer
 * by its hash, which checks it and records its use; api_finish answers. */
static void api_request(const struct routes_ctx *ctx, const struct http_request *req, const struct api_endpoint *ep,
                        const char *id, struct routes_call *call, struct http_response *resp)
{
    call->job.api = gw_calloc(1, sizeof *call->job.api);
    if (api_credential(ctx, req, ep, call, resp) != 0) return;
    call->job.kind = PIPELINE_JOB_API;
    call->job.api->action = ep->action;
    call->job.api->endpoint = ep;
    call->job.api->id = id && *id ? gw_strdup(id) : NULL;
    call->job.api->query = req->query && *req->query ? gw_strdup(req->query) : NULL;
    call->job.api->body = req->body_len ? gw_strndup(req->body, req->body_len) : NULL;
    call->job.api->body_len = req->body_len;
    gw_strlcpy(call->job.api->client, req->client ? req->client : "", sizeof call->job.api->client);
    submit(ctx, call, resp);
}

/* A JSON string, or null for "". */
static json_t *string_or_null(const char *s) { return s && s[0] ? json_string(s) : json_null(); }

/* GET /api/v1/me: who the caller is. */
static void render_me(const struct auth_principal *who, json_t *out)
{
    json_object_set_new(out, "name", json_string(who->name));
    json_object_set_new(out, "display_name", json_string(who->person[0] ? who->person : who->name));
    json_object_set_new(out, "role", json_string(auth_role_name(who->role)));
    json_object_set_new(out, "region", string_or_null(who->region));
    json_object_set_new(out, "department", string_or_null(who->department));
}

static const struct api_endpoint api_me = {.action = AUTH_ME, .render = render_me};

/* GET /api/v1/openapi.json: the API's description, to anyone. */
static void get_openapi(const struct routes_ctx *ctx, const struct http_request *req, const char *step,
                        struct routes_call *call, struct http_response *resp)
{
    const char *doc = api_openapi_json();
    answer(resp, NULL, 200, "application/json", doc, strlen(doc));
}

/* GET /, /dash/app.js, /dash/app.css: the office dashboard, to anyone (it
 * holds no data; it signs in and asks /api/v1 like any client). */
static void get_dash(const struct routes_ctx *ctx, const struct http_request *req, const char *step,
                     struct routes_call *call, struct http_response *resp)
{
    struct dash_asset a;
    if (dash_asset(req->path, &a) != 0) {
        refuse(ctx, call, 404, "not found", resp);
        return;
    }
    answer(resp, NULL, 200, a.content_type, a.data, a.len);
    http_response_header(resp, "Content-Security-Policy", DASH_CSP);
    http_response_header(resp, "X-Content-Type-Options", "nosniff");
    http_response_header(resp, "X-Frame-Options", "DENY");
    http_response_header(resp, "Referrer-Policy", "no-referrer");
    http_response_header(resp, "Cache-Control", "no-cache");
}

/* ---- the route table ------------------------------------------------------------- */

static int takes_sms(const struct provider_ops *o) { return o->parse_sms != NULL; }
static int takes_status(const struct provider_ops *o) { return o->parse_status && o->render_status_ack; }
static int takes_ussd(const struct provider_ops *o) { return o->parse_ussd && o->render_ussd; }
static int takes_voice(const struct provider_ops *o) { return o->parse_voice && o->render_voice; }

typedef void route_fn(const struct routes_ctx *ctx, const struct http_request *req, const char *step,
                      struct routes_call *call, struct http_response *resp);

/* One route. In a pattern "{channel}" is one path segment naming a
 * configured channel, "{id}" one path segment handed to an API endpoint,
 * and a final "{step}" is the rest of the path. */
struct route {
    const char *methods; /* accepted methods, space separated */
    const char *pattern;
    route_fn *handle;
    const char *name;                             /* for logs; NULL: the path after the channel */
    int (*takes)(const struct provider_ops *ops); /* NULL, or whether the channel's provider has the hook */
    const char *not_taken;                        /* 404 reason when it has not */
    const char *use;                              /* 405 reason */
    const struct api_endpoint *api;               /* an /api/v1 endpoint (handle is then NULL), or NULL */
};

static const struct route routes[] = {
    {"GET HEAD", "/healthz", get_healthz, "healthz", NULL, NULL, "use GET", NULL},
    {"GET HEAD", "/metrics", get_metrics, "metrics", NULL, NULL, "use GET", NULL},
    {"GET", "/api/v1/me", NULL, "api/me", NULL, NULL, "use GET", &api_me},
    {"POST", "/api/v1/login", NULL, "api/login", NULL, NULL, "use POST", &api_login},
    {"POST", "/api/v1/login/verify", NULL, "api/login_verify", NULL, NULL, "use POST", &api_login_verify},
    {"POST", "/api/v1/logout", NULL, "api/logout", NULL, NULL, "use POST", &api_logout},
    {"GET", "/api/v1/children", NULL, "api/children", NULL, NULL, "use GET", &api_children_list},
    {"GET", "/api/v1/children/{id}", NULL, "api/child", NULL, NULL, "use GET", &api_child_file},
    {"GET", "/api/v1/children/{id}/file.html", NULL, "api/child_file_html", NULL, NULL, "use GET",
     &api_child_file_html},
    {"GET", "/api/v1/coverage", NULL, "api/coverage", NULL, NULL, "use GET", &api_coverage},
    {"GET", "/api/v1/visits/due", NULL, "api/visits_due", NULL, NULL, "use GET", &api_visits_due},
    {"GET", "/api/v1/audit", NULL, "api/audit", NULL, NULL, "use GET", &api_audit_list},
    {"GET", "/api/v1/cases", NULL, "api/cases", NULL, NULL, "use GET", &api_cases_list},
    {"GET", "/api/v1/cases/{id}", NULL, "api/case", NULL, NULL, "use GET", &api_case_get},
    {"POST", "/api/v1/cases/{id}/ack", NULL, "api/case_ack", NULL, NULL, "use POST", &api_case_ack},
    {"POST", "/api/v1/cases/{id}/classify", NULL, "api/case_classify", NULL, NULL, "use POST", &api_case_classify},
    {"POST", "/api/v1/cases/{id}/assign", NULL, "api/case_assign", NULL, NULL, "use POST", &api_case_assign},
    {"POST", "/api/v1/cases/{id}/note", NULL, "api/case_note", NULL, NULL, "use POST", &api_case_note},
    {"POST", "/api/v1/cases/{id}/close", NULL, "api/case_close", NULL, NULL, "use POST", &api_case_close},
    {"GET HEAD", "/", get_dash, "dash", NULL, NULL, "use GET", NULL},
    {"GET HEAD", "/dash/app.js", get_dash, "dash", NULL, NULL, "use GET", NULL},
    {"GET HEAD", "/dash/app.css", get_dash, "dash", NULL, NULL, "use GET", NULL},
    {"GET HEAD", "/api/v1/openapi.json", get_openapi, "api/openapi", NULL, NULL, "use GET", NULL},
    {"POST GET", "/hooks/{channel}/sms", hook_sms, NULL, takes_sms, "this channel takes no SMS", "use POST", NULL},
    {"POST GET", "/hooks/{channel}/status", hook_status, NULL, takes_status, "this channel takes no delivery receipts",
     "use POST", NULL},
    {"POST GET", "/hooks/{channel}/ussd", hook_ussd, NULL, takes_ussd, "this channel takes no USSD", "use POST", NULL},
    {"POST GET", "/hooks/{channel}/voice", hook_voice, NULL, takes_voice, "this channel takes no calls", "use POST",
     NULL},
    {"POST GET", "/hooks/{channel}/voice/{step}", hook_voice, NULL, takes_voice, "this channel takes no calls",
     "use POST", NULL},
};

int routes_api_route(size_t i, const char **methods, const char **pattern)
{
    size_t n = 0;
    for (size_t k = 0; k < sizeof routes / sizeof routes[0]; k++) {
        if (strncmp(routes[k].pattern, "/api/v1/", 8) != 0) continue;
        if (n++ != i) continue;
        *methods = routes[k].methods;
        *pattern = routes[k].pattern;
        return 1;
    }
    return 0;
}

/* 1 when path matches pattern; *step gets what "{step}" matched ("" when
 * none), id (ROUTE_ID_MAX bytes) what "{id}" matched ("" when none). */
#define ROUTE_ID_MAX 64
static int route_match(const char *pattern, const char *path, const char **step, char *id)
{
    *step = "";
    id[0] = '\0';
    while (*pattern) {
        if (!strcmp(pattern, "{step}")) {
            *step = path;
            return 1;
        }
        if (!strncmp(pattern, "{id}", 4)) {
            size_t n = strcspn(path, "/");
            if (n == 0 || n >= ROUTE_ID_MAX) return 0;
            memcpy(id, path, n);
            id[n] = '\0';
            pattern += 4;
            path += n;
            continue;
        }
        if (!strncmp(pattern, "{channel}", 9)) {
            size_t n = strcspn(path, "/");
            if (n == 0) return 0;
            pattern += 9;
            path += n;
            continue;
        }
        if (*pattern++ != *path++) return 0;
    }
    return *path == '\0';
}

/* 1 when method is one of the space-separated list. */
static int method_in(const char *list, const char *method)
{
    size_t n = strlen(method);
    for (const char *p = list; *p;) {
        size_t k = strcspn(p, " ");
        if (k == n && !strncmp(p, method, n)) return 1;
        p += k;
        p += strspn(p, " ");
    }
    return 0;
}

/* Looks up the channel a "/hooks/" path names; 0, or -1 with the path
 * refused. call->route gets the rest of the path. */
static int hook_channel(const struct routes_ctx *ctx, const char *path, struct routes_call *call,
                        struct http_response *resp)
{
    const char *name = path + 7;
    const char *slash = strchr(name, '/');
    if (!slash) {
        refuse(ctx, call, 404, "not found", resp);
        return -1;
    }
    char cname[CHANNEL_NAME_MAX];
    size_t n = (size_t)(slash - name);
    if (n > 0 && n < sizeof cname) {
        memcpy(cname, name, n);
        cname[n] = '\0';
        call->ch = gw_config_channel(ctx->cfg, cname);
    }
    if (!call->ch) {
        refuse(ctx, call, 404, "unknown channel", resp);
        return -1;
    }
    call->route = slash + 1;
    return 0;
}

void routes_handle(const struct routes_ctx *ctx, const struct http_request *req, struct routes_call *call,
                   struct http_response *resp)
{
    const char *path = req->path ? req->path : "/";
    if (!strncmp(path, "/hooks/", 7) && hook_channel(ctx, path, call, resp) != 0) return;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const struct route *r = &routes[i];
        const char *step;
        char id[ROUTE_ID_MAX];
        if (!route_match(r->pattern, path, &step, id)) continue;
        if (r->name) call->route = r->name;
        if (r->takes && !r->takes(call->ch->ops))
            refuse(ctx, call, 404, r->not_taken, resp);
        else if (!method_in(r->methods, req->method))
            refuse(ctx, call, 405, r->use, resp);
        else if (r->api)
            api_request(ctx, req, r->api, id, call, resp);
        else
            r->handle(ctx, req, step, call, resp);
        return;
    }
    call->ch = NULL;
    refuse(ctx, call, 404, "not found", resp);
}

void routes_too_big(const struct routes_ctx *ctx, const struct http_request *req, struct http_response *resp)
{
    const char *target = req->target ? req->target : req->path;
    const struct gw_channel *ch = NULL;
    if (target && !strncmp(target, "/hooks/", 7)) {
        char cname[CHANNEL_NAME_MAX];
        size_t n = strcspn(target + 7, "/?");
        if (target[7 + n] == '/' && n > 0 && n < sizeof cname) {
            memcpy(cname, target + 7, n);
            cname[n] = '\0';
            ch = gw_config_channel(ctx->cfg, cname);
        }
    }
    answer_error(ctx, ch, NULL, 413, "body too large", resp);
}

void routes_unavailable(const struct routes_ctx *ctx, struct http_response *resp)
{
    answer_error(ctx, NULL, NULL, 503, "shutting down, retry later", resp);
}

void routes_call_clear(struct routes_call *call) { pipeline_job_clear(&call->job); }
