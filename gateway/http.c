/* gateway/http.c - HTTP server, routing and the webhook request lifecycle.
 *
 * Threads: libmicrohttpd's internal polling threads (a pool of
 * cfg->threads) run every callback here except job_done, which runs on the
 * store writer's thread and only flips the request's state and resumes its
 * connection.
 *
 * Lifecycle of one webhook: the URI callback allocates a struct req (the
 * one owner of the request's memory) and keeps the raw URI for signature
 * checks; the body is gathered up to max_body (413 beyond); the provider
 * verifies (403) and parses (400); the messages go to the writer and the
 * connection is suspended; after the commit the writer resumes it and the
 * provider renders the answer; the completion callback frees the req.
 *
 * Bodies over max_body: up to DRAIN_MAX more bytes are read and dropped,
 * then 413 is answered and the connection closed, so a client that sends
 * its whole body reads the 413 instead of a reset. Past that (or when the
 * client waits for "100 Continue") the 413 goes at once; in the middle of a
 * body libmicrohttpd 0.9.75 cannot queue an answer, so there the
 * connection is closed.
 *
 * Slow clients: one client address holds at most max_connections_per_ip
 * connections (libmicrohttpd refuses the rest), and a request must arrive
 * whole (request line, headers, body) within request_timeout of its start:
 * the connection's opening, or the previous answer on a kept-alive one.
 * libmicrohttpd's idle timeout alone restarts with every byte. Each open
 * connection has a struct conn_track (the connection notification adds and
 * removes it under guard_lock); the reaper thread shuts down (never
 * closes) the socket of one past its deadline, under the same lock, so the
 * descriptor cannot be closed and reused meanwhile. A request that has
 * arrived whole -- being answered, or suspended for the writer -- has no
 * deadline.
 *
 * Logs: refused requests (4xx, 503) and libmicrohttpd's messages go
 * through rate limits (gw_log_limited): the first few of each interval as
 * lines, the rest as one summary line, which the reaper writes even when
 * the flood stops.
 */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../handlers/codebook.h"
#include "../providers/provider.h"
#include "../core/clock.h"
#include "../core/log.h"
#include "../core/util.h"

#define CONN_LIMIT   4000u      /* connections open at once, all clients */
#define FD_RESERVE   256u       /* descriptors kept for the store, curl and libmicrohttpd itself */
#define DRAIN_MAX    (1u << 20) /* body bytes read and dropped past max_body before a 413 */
#define REAP_TICK_MS 250        /* how often the reaper looks for late requests */
#define LOG_INTERVAL 10.0       /* seconds of one rate-limited log interval */
#define LOG_BURST    5          /* lines of one kind written as they come in an interval */

/* One open connection, as the reaper sees it. */
struct conn_track {
    struct conn_track *prev, *next; /* in http_server.conns; under guard_lock */
    int fd;                         /* its socket: shut down past the deadline, never closed here */
    double since;                   /* monotonic start of the request now arriving (under guard_lock) */
    int answering;                  /* 1: that request arrived whole: no deadline (under guard_lock) */
    int reaped;                     /* 1: shut down for passing request_timeout (under guard_lock) */
};

struct http_server {
    const struct gw_config *cfg; /* borrowed, frozen */
    struct writer *writer;       /* borrowed */
    struct metrics *metrics;     /* borrowed */
    struct MHD_Daemon *daemon;
    int port;
    atomic_int active;             /* requests between URI callback and completion */
    atomic_int stopping;           /* set by http_quiesce: new requests get 503 */
    pthread_mutex_t guard_lock;    /* guards conns, every conn_track and reaper_stop */
    pthread_cond_t guard_wake;     /* wakes the reaper to stop (CLOCK_MONOTONIC) */
    struct conn_track conns;       /* sentinel of the open connections' ring */
    int reaper_stop;               /* 1: the reaper returns (under guard_lock) */
    int reaper_running;            /* 1: reaper is to be joined */
    pthread_t reaper;              /* shuts down late requests, flushes the log summaries */
    struct gw_log_limit *refusals; /* requests answered 4xx or 503 */
    struct gw_log_limit *conn_log; /* libmicrohttpd's messages and timed-out connections */
};

enum req_state { REQ_NEW = 0, REQ_READING, REQ_WAITING, REQ_DONE };

struct req {
    struct http_server *srv;
    struct MHD_Connection *conn;
    char *uri;                   /* raw request target (path + query), owned */
    enum req_state state;        /* REQ_DONE is set by the writer before it resumes us */
    struct gw_buf body;          /* the request body, at most max_body bytes */
    size_t received;             /* body bytes received, kept or dropped (<= max_body + DRAIN_MAX + a read) */
    int too_big;                 /* the body passed max_body: answer 413 */
    int close;                   /* answer with "Connection: close" */
    struct conn_track *track;    /* the connection's record, or NULL; owned by the connection */
    const struct gw_channel *ch; /* channel of a hook, or NULL */
    const char *route;           /* "sms", "healthz", ...; for logs */
    struct pipeline_job job;     /* what the writer stores */
};

/* ---- request deadlines -------------------------------------------------------- */

/* Marks the connection's current request as arrived whole (answering = 1)
 * or starts the deadline of the next one (0). Returns 0 when the reaper
 * has already shut the connection down. */
static int track_set(struct http_server *s, struct conn_track *t, int answering)
{
    if (!t) return 1;
    pthread_mutex_lock(&s->guard_lock);
    t->answering = answering;
    if (!answering) t->since = gw_clock_mono();
    int alive = !t->reaped;
    pthread_mutex_unlock(&s->guard_lock);
    return alive;
}

/* Runs on libmicrohttpd's threads as connections open and close. The
 * record is unlinked before libmicrohttpd closes the descriptor. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!ci) return; /* untracked: libmicrohttpd's idle timeout still applies */
        struct conn_track *t = gw_calloc(1, sizeof *t);
        t->fd = ci->connect_fd;
        t->since = gw_clock_mono();
        pthread_mutex_lock(&s->guard_lock);
        t->prev = &s->conns;
        t->next = s->conns.next;
        s->conns.next->prev = t;
        s->conns.next = t;
        pthread_mutex_unlock(&s->guard_lock);
        *socket_context = t;
        return;
    }
    struct conn_track *t = *socket_context;
    if (!t) return;
    pthread_mutex_lock(&s->guard_lock);
    t->prev->next = t->next;
    t->next->prev = t->prev;
    pthread_mutex_unlock(&s->guard_lock);
    free(t);
    *socket_context = NULL;
}

/* Shuts down every connection whose request is past request_timeout;
 * returns how many. Under guard_lock. */
static int reap_late(struct http_server *s, double now)
{
    int n = 0;
    for (struct conn_track *t = s->conns.next; t != &s->conns; t = t->next) {
        if (t->answering || t->reaped || now - t->since < s->cfg->request_timeout) continue;
        shutdown(t->fd, SHUT_RDWR); /* libmicrohttpd sees the end and closes it on its own thread */
        t->reaped = 1;
        n++;
    }
    return n;
}

static void *reaper_main(void *arg)
{
    struct http_server *s = arg;
    pthread_mutex_lock(&s->guard_lock);
    while (!s->reaper_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += REAP_TICK_MS * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&s->guard_wake, &s->guard_lock, &ts);
        if (s->reaper_stop) break;
        double now = gw_clock_mono();
        int n = reap_late(s, now);
        pthread_mutex_unlock(&s->guard_lock);
        for (int i = 0; i < n; i++) /* one event each, so the summary counts connections */
            gw_log_limited(s->conn_log, now, "closed: no whole request in time",
                           "http: closed a connection that sent no whole request within %d s", s->cfg->request_timeout);
        gw_log_limit_tick(s->refusals, now);
        gw_log_limit_tick(s->conn_log, now);
        pthread_mutex_lock(&s->guard_lock);
    }
    pthread_mutex_unlock(&s->guard_lock);
    return NULL;
}

/* ---- answering ------------------------------------------------------------ */

static enum MHD_Result respond(struct req *r, int status, const char *ctype, const char *body, size_t len)
{
    track_set(r->srv, r->track, 1);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp) return MHD_NO;
    if (ctype) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (r->close) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    if (status == 503) MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "5");
    enum MHD_Result rc = MHD_queue_response(r->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    metrics_request(r->srv->metrics, r->ch ? r->ch->name : NULL, status);
    return rc;
}

/* The route as a summary key: one of a fixed few, whatever the URL said. */
static const char *route_key(const char *route)
{
    static const char *const known[] = {"sms", "status", "ussd", "voice", "healthz", "metrics"};
    if (!route) return "-";
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(route, known[i])) return known[i];
    if (!strncmp(route, "voice/", 6)) return "voice";
    return "other";
}

/* Logs a refused request through the rate limit. */
static void log_refusal(struct req *r, int status, const char *reason)
{
    const char *ch = r->ch ? r->ch->name : "-";
    char key[96];
    snprintf(key, sizeof key, "%d channel=%s route=%s", status, ch, route_key(r->route));
    gw_log_limited(r->srv->refusals, gw_clock_mono(), key, "http: refused status=%d channel=%s route=%s reason=%s",
                   status, ch, r->route ? r->route : "-", reason);
}

static enum MHD_Result respond_error(struct req *r, int status, const char *reason)
{
    struct gw_buf b = {0};
    gw_buf_puts(&b, "{\"error\":\"");
    for (const char *p = reason; *p; p++) {
        if (*p == '"' || *p == '\\') gw_buf_putc(&b, '\\');
        if ((unsigned char)*p < 0x20) continue;
        gw_buf_putc(&b, *p);
    }
    gw_buf_puts(&b, "\"}\n");
    log_refusal(r, status, reason);
    enum MHD_Result rc = respond(r, status, "application/json", b.p, b.len);
    gw_buf_free(&b);
    return rc;
}

/* ---- provider request view ------------------------------------------------ */

static const char *req_header(const struct prov_request *pr, const char *name)
{
    struct req *r = pr->impl;
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* Fills pr with a view of r; url receives public_url + the raw target. */
static void request_view(struct req *r, const char *method, struct gw_buf *url, struct prov_request *pr)
{
    gw_buf_puts(url, r->srv->cfg->public_url);
    gw_buf_puts(url, r->uri);
    const char *q = strchr(r->uri, '?');
    *pr = (struct prov_request){
        .method = method,
        .url = gw_buf_cstr(url),
        .query = q ? q + 1 : "",
        .content_type = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
        .body = gw_buf_cstr(&r->body),
        .body_len = r->body.len,
        .header = req_header,
        .impl = r,
        .now = gw_clock_now(),
    };
}

/* ---- the writer's side ------------------------------------------------------ */

static void job_done(struct pipeline_job *job)
{
    struct req *r = (struct req *)((char *)job - offsetof(struct req, job));
    r->state = REQ_DONE;
    MHD_resume_connection(r->conn);
}

static enum MHD_Result answer_job(struct req *r)
{
    if (!r->job.ok) return respond_error(r, 503, r->job.reason[0] ? r->job.reason : "store unavailable, retry later");
    if (!r->ch) return respond(r, 200, "text/plain; charset=utf-8", "ok\n", 3); /* health */
    if (r->job.ussd || r->job.voice) {
        struct prov_response sr = {.status = 200, .content_type = "text/plain"};
        if (r->job.ussd) {
            r->ch->ops->render_ussd(r->ch, r->job.ussd->out.end, r->job.ussd->out.screen, &sr);
        } else {
            struct gw_buf base = {0};
            gw_buf_printf(&base, "%s/hooks/%s/voice/", r->srv->cfg->public_url, r->ch->name);
            struct voice_doc none = {.n = 0};
            /* The answer to a call's final callback is ignored: send an empty one. */
            r->ch->ops->render_voice(r->ch, r->job.voice->in.final ? &none : &r->job.voice->out, gw_buf_cstr(&base),
                                     &sr);
            gw_buf_free(&base);
        }
        enum MHD_Result rc = respond(r, sr.status, sr.content_type, gw_buf_cstr(&sr.body), sr.body.len);
        gw_buf_free(&sr.body);
        return rc;
    }
    if (r->route && !strcmp(r->route, "status")) {
        struct prov_response sr = {.status = 200, .content_type = "text/plain"};
        r->ch->ops->render_status_ack(r->ch, &sr);
        enum MHD_Result rc = respond(r, sr.status, sr.content_type, gw_buf_cstr(&sr.body), sr.body.len);
        gw_buf_free(&sr.body);
        return rc;
    }
    char masked[GW_MASK_LEN];
    for (size_t i = 0; i < r->job.msgs.n; i++)
        gw_info("sms channel=%s from=%s id=%lld %s", r->ch->name, gw_mask_phone(r->job.msgs.v[i].from, masked),
                (long long)r->job.inbox_ids[i], r->job.duplicate[i] ? "duplicate" : "stored");
    struct prov_response pr = {.status = 200, .content_type = "text/plain"};
    r->ch->ops->render_sms_ack(r->ch, &r->job.msgs, &pr);
    enum MHD_Result rc = respond(r, pr.status, pr.content_type, gw_buf_cstr(&pr.body), pr.body.len);
    gw_buf_free(&pr.body);
    return rc;
}

/* Hands the job to the writer and suspends the connection until it is done. */
static enum MHD_Result submit(struct req *r)
{
    /* Arrived whole: from here on no deadline. Too late if the reaper
     * already shut the connection: store nothing nobody will hear of. */
    if (!track_set(r->srv, r->track, 1)) return MHD_NO;
    r->job.done = job_done;
    r->state = REQ_WAITING;
    MHD_suspend_connection(r->conn);
    if (writer_submit(r->srv->writer, &r->job) != 0) {
        r->job.ok = 0;
        r->state = REQ_DONE;
        MHD_resume_connection(r->conn);
    }
    return MHD_YES;
}

/* ---- routes ------------------------------------------------------------------ */

static enum MHD_Result hook_sms(struct req *r, const char *method)
{
    const struct provider_ops *ops = r->ch->ops;
    if (!ops->parse_sms) return respond_error(r, 404, "this channel takes no SMS");
    if (strcmp(method, "POST") != 0 && strcmp(method, "GET") != 0) return respond_error(r, 405, "use POST");
    struct gw_buf url = {0};
    struct prov_request pr;
    request_view(r, method, &url, &pr);
    char err[160] = "";
    enum MHD_Result rc;
    int v = ops->verify ? ops->verify(r->ch, &pr, err, sizeof err) : PROV_OK;
    if (v != PROV_OK) {
        /* A body that cannot be decoded cannot be checked either: 400. */
        rc = v == PROV_EBADREQ ? respond_error(r, 400, err[0] ? err : "malformed request")
                               : respond_error(r, 403, err[0] ? err : "bad signature");
        goto end;
    }
    int p = ops->parse_sms(r->ch, &pr, &r->job.msgs, err, sizeof err);
    if (p == PROV_EBADREQ || p == PROV_EFORBIDDEN) {
        rc = respond_error(r, p == PROV_EBADREQ ? 400 : 403, err[0] ? err : "malformed request");
        goto end;
    }
    for (size_t i = 0; i < r->job.msgs.n; i++) {
        struct gw_msg *m = &r->job.msgs.v[i];
        free(m->channel);
        m->channel = gw_strdup(r->ch->name);
        if (!m->text) m->text = gw_strdup("");
        if (!m->received_at) m->received_at = pr.now;
        /* Here, on one of several HTTP threads, not on the one store writer. */
        if (!m->concat_ref) {
            m->norm = cb_normalize(m->text, strlen(m->text));
            m->cmd = gw_malloc(sizeof *m->cmd);
            m->cmd_free = cb_cmd_free;
            cb_parse(m->text, strlen(m->text), m->received_at, m->cmd);
        }
    }
    if (p == PROV_IGNORED || r->job.msgs.n == 0) {
        r->job.ok = 1;
        rc = answer_job(r);
        goto end;
    }
    rc = submit(r);
end:
    gw_buf_free(&url);
    return rc;
}

static enum MHD_Result hook_status(struct req *r, const char *method)
{
    const struct provider_ops *ops = r->ch->ops;
    if (!ops->parse_status || !ops->render_status_ack)
        return respond_error(r, 404, "this channel takes no delivery receipts");
    if (strcmp(method, "POST") != 0 && strcmp(method, "GET") != 0) return respond_error(r, 405, "use POST");
    struct gw_buf url = {0};
    struct prov_request pr;
    request_view(r, method, &url, &pr);
    char err[160] = "";
    enum MHD_Result rc;
    int v = ops->verify ? ops->verify(r->ch, &pr, err, sizeof err) : PROV_OK;
    if (v != PROV_OK) {
        rc = v == PROV_EBADREQ ? respond_error(r, 400, err[0] ? err : "malformed request")
                               : respond_error(r, 403, err[0] ? err : "bad signature");
        goto end;
    }
    int p = ops->parse_status(r->ch, &pr, &r->job.statuses, err, sizeof err);
    if (p == PROV_EBADREQ || p == PROV_EFORBIDDEN) {
        rc = respond_error(r, p == PROV_EBADREQ ? 400 : 403, err[0] ? err : "malformed request");
        goto end;
    }
    r->job.channel = r->ch->name;
    if (p == PROV_IGNORED || r->job.statuses.n == 0) {
        r->job.ok = 1;
        rc = answer_job(r);
        goto end;
    }
    rc = submit(r);
end:
    gw_buf_free(&url);
    return rc;
}

/* Verifies a hook request; on failure answers it and returns 0. */
static int verified(struct req *r, const struct prov_request *pr, enum MHD_Result *rc)
{
    char err[160] = "";
    int v = r->ch->ops->verify ? r->ch->ops->verify(r->ch, pr, err, sizeof err) : PROV_OK;
    if (v == PROV_OK) return 1;
    *rc = v == PROV_EBADREQ ? respond_error(r, 400, err[0] ? err : "malformed request")
                            : respond_error(r, 403, err[0] ? err : "bad signature");
    return 0;
}

static enum MHD_Result hook_ussd(struct req *r, const char *method)
{
    const struct provider_ops *ops = r->ch->ops;
    if (!ops->parse_ussd || !ops->render_ussd) return respond_error(r, 404, "this channel takes no USSD");
    if (strcmp(method, "POST") != 0 && strcmp(method, "GET") != 0) return respond_error(r, 405, "use POST");
    struct gw_buf url = {0};
    struct prov_request pr;
    request_view(r, method, &url, &pr);
    enum MHD_Result rc;
    if (!verified(r, &pr, &rc)) goto end;
    char err[160] = "";
    r->job.ussd = gw_calloc(1, sizeof *r->job.ussd);
    if (ops->parse_ussd(r->ch, &pr, &r->job.ussd->in, err, sizeof err) != PROV_OK) {
        rc = respond_error(r, 400, err[0] ? err : "malformed USSD request");
        goto end;
    }
    r->job.channel = r->ch->name;
    rc = submit(r);
end:
    gw_buf_free(&url);
    return rc;
}

static enum MHD_Result hook_voice(struct req *r, const char *method, const char *step)
{
    const struct provider_ops *ops = r->ch->ops;
    if (!ops->parse_voice || !ops->render_voice) return respond_error(r, 404, "this channel takes no calls");
    if (strcmp(method, "POST") != 0 && strcmp(method, "GET") != 0) return respond_error(r, 405, "use POST");
    if (strlen(step) >= sizeof r->job.voice->step ||
        strspn(step, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(step))
        return respond_error(r, 404, "no such step");
    struct gw_buf url = {0};
    struct prov_request pr;
    request_view(r, method, &url, &pr);
    enum MHD_Result rc;
    if (!verified(r, &pr, &rc)) goto end;
    char err[160] = "";
    r->job.voice = gw_calloc(1, sizeof *r->job.voice);
    gw_strlcpy(r->job.voice->step, step, sizeof r->job.voice->step);
    if (ops->parse_voice(r->ch, &pr, &r->job.voice->in, err, sizeof err) != PROV_OK) {
        rc = respond_error(r, 400, err[0] ? err : "malformed voice request");
        goto end;
    }
    r->job.channel = r->ch->name;
    rc = submit(r);
end:
    gw_buf_free(&url);
    return rc;
}

static enum MHD_Result route(struct req *r, const char *url, const char *method)
{
    if (!strcmp(url, "/healthz")) {
        r->route = "healthz";
        if (strcmp(method, "GET") && strcmp(method, "HEAD")) return respond_error(r, 405, "use GET");
        r->job.probe = 1; /* 200 once its own write commits, and no batch of messages failed since */
        return submit(r);
    }
    if (!strcmp(url, "/metrics")) {
        r->route = "metrics";
        if (strcmp(method, "GET") && strcmp(method, "HEAD")) return respond_error(r, 405, "use GET");
        struct gw_buf b = {0};
        metrics_render(r->srv->metrics, &b);
        enum MHD_Result rc = respond(r, 200, "text/plain; version=0.0.4", gw_buf_cstr(&b), b.len);
        gw_buf_free(&b);
        return rc;
    }
    if (!strncmp(url, "/hooks/", 7)) {
        const char *name = url + 7;
        const char *slash = strchr(name, '/');
        if (!slash) return respond_error(r, 404, "not found");
        char cname[64];
        size_t n = (size_t)(slash - name);
        if (n == 0 || n >= sizeof cname) return respond_error(r, 404, "unknown channel");
        memcpy(cname, name, n);
        cname[n] = '\0';
        r->ch = gw_config_channel(r->srv->cfg, cname);
        if (!r->ch) return respond_error(r, 404, "unknown channel");
        r->route = slash + 1;
        if (r->too_big) return respond_error(r, 413, "body too large");
        if (!strcmp(slash + 1, "sms")) return hook_sms(r, method);
        if (!strcmp(slash + 1, "status")) return hook_status(r, method);
        if (!strcmp(slash + 1, "ussd")) return hook_ussd(r, method);
        if (!strcmp(slash + 1, "voice")) return hook_voice(r, method, "");
        if (!strncmp(slash + 1, "voice/", 6)) return hook_voice(r, method, slash + 7);
        r->ch = NULL;
        return respond_error(r, 404, "not found");
    }
    return respond_error(r, 404, "not found");
}

/* ---- libmicrohttpd callbacks ----------------------------------------------- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct http_server *s = cls;
    struct req *r = gw_calloc(1, sizeof *r);
    r->srv = s;
    r->conn = conn;
    r->uri = gw_strdup(uri ? uri : "/");
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    r->track = ci ? ci->socket_context : NULL;
    atomic_fetch_add(&s->active, 1);
    return r;
}

/* Refuses a body over max_body, closing the connection after the 413. The
 * request is not routed, but its channel is named for the log and metrics. */
static enum MHD_Result refuse_too_big(struct req *r)
{
    r->close = 1;
    if (!r->ch && !strncmp(r->uri, "/hooks/", 7)) {
        char cname[64];
        size_t n = strcspn(r->uri + 7, "/?");
        if (r->uri[7 + n] == '/' && n > 0 && n < sizeof cname) {
            memcpy(cname, r->uri + 7, n);
            cname[n] = '\0';
            r->ch = gw_config_channel(r->srv->cfg, cname);
        }
    }
    return respond_error(r, 413, "body too large");
}

/* 1 when the client waits for "100 Continue" before it sends the body. */
static int expects_continue(struct MHD_Connection *conn)
{
    const char *e = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    return e && !strcasecmp(e, "100-continue");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_server *s = cls;
    struct req *r = *con_cls;
    if (!r) return MHD_NO; /* the URI callback always runs first */
    r->conn = conn;
    if (r->state == REQ_NEW) {
        r->state = REQ_READING;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        long len = 0;
        if (!cl) return MHD_YES;
        if (gw_parse_long(cl, 0, 1L << 40, &len) != 0) return refuse_too_big(r);
        if ((size_t)len <= s->cfg->max_body) return MHD_YES;
        r->too_big = 1;
        /* Drain what fits the cap, so the client reads the 413 once it has sent all. */
        if ((size_t)len > s->cfg->max_body + DRAIN_MAX || expects_continue(conn)) return refuse_too_big(r);
        return MHD_YES;
    }
    if (r->state == REQ_READING && *upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        r->received += n;
        if (!r->too_big && r->received > s->cfg->max_body) {
            r->too_big = 1;
            gw_buf_free(&r->body);
        }
        if (!r->too_big) {
            gw_buf_append(&r->body, upload_data, n);
            return MHD_YES;
        }
        /* Past the cap (a chunked body that keeps coming): answer now, which
         * libmicrohttpd refuses mid-body, so the connection closes. */
        if (r->received > s->cfg->max_body + DRAIN_MAX) return refuse_too_big(r);
        return MHD_YES;
    }
    if (r->state == REQ_DONE) return answer_job(r);
    if (r->state == REQ_WAITING) return MHD_YES; /* spurious wake-up; the writer resumes us */
    if (r->too_big) return refuse_too_big(r);
    if (atomic_load(&s->stopping)) return respond_error(r, 503, "shutting down, retry later");
    return route(r, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    struct req *r = *con_cls;
    if (!r) return;
    track_set(s, r->track, 0); /* a kept-alive connection's next request starts now */
    gw_buf_free(&r->body);
    pipeline_job_clear(&r->job);
    free(r->uri);
    free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&s->active, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct http_server *s = cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    gw_log_limited(s->conn_log, gw_clock_mono(), line, "http: %s", line);
}

/* Each connection holds a descriptor: raises the soft limit to the hard
 * one and returns how many connections fit, leaving FD_RESERVE for the
 * rest of the process (at most CONN_LIMIT). */
static unsigned connection_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return CONN_LIMIT;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= CONN_LIMIT + FD_RESERVE) return CONN_LIMIT;
    unsigned n = rl.rlim_cur > 2 * FD_RESERVE ? (unsigned)rl.rlim_cur - FD_RESERVE : (unsigned)rl.rlim_cur / 2;
    gw_warn("http: %llu file descriptors allowed: at most %u connections at once", (unsigned long long)rl.rlim_cur, n);
    return n;
}

static void guard_free(struct http_server *s)
{
    pthread_cond_destroy(&s->guard_wake);
    pthread_mutex_destroy(&s->guard_lock);
    gw_log_limit_free(s->refusals);
    gw_log_limit_free(s->conn_log);
}

int http_start(const struct gw_config *cfg, struct writer *w, struct metrics *m, struct http_server **out, char *err,
               size_t errlen)
{
    struct http_server *s = gw_calloc(1, sizeof *s);
    s->cfg = cfg;
    s->writer = w;
    s->metrics = m;
    pthread_mutex_init(&s->guard_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->guard_wake, &ca);
    pthread_condattr_destroy(&ca);
    s->conns.prev = s->conns.next = &s->conns;
    s->refusals = gw_log_limit_new(GW_LOG_INFO, "http: ", "requests refused", LOG_INTERVAL, LOG_BURST);
    s->conn_log = gw_log_limit_new(GW_LOG_WARN, "http: ", "connection messages", LOG_INTERVAL, LOG_BURST);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    const char *host = !strcmp(cfg->listen_host, "localhost") ? "127.0.0.1" : cfg->listen_host;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    char h6[64];
    if (host[0] == '[' && strlen(host) < sizeof h6) {
        gw_strlcpy(h6, host + 1, sizeof h6);
        char *e = strchr(h6, ']');
        if (e) *e = '\0';
        host = h6;
    }
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)cfg->listen_port);
    } else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)cfg->listen_port);
        flags |= MHD_USE_IPv6;
    } else {
        gw_err(err, errlen, "listen: %s is not an IP address", cfg->listen_host);
        guard_free(s);
        free(s);
        return -1;
    }
    s->daemon =
        MHD_start_daemon(flags, (uint16_t)cfg->listen_port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
                         on_mhd_log, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_URI_LOG_CALLBACK,
                         on_uri, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION,
                         on_connection, s, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
                         MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_connections_per_ip, MHD_OPTION_END);
    if (!s->daemon) {
        gw_err(err, errlen, "cannot listen on %s:%d (address in use or not permitted)", cfg->listen_host,
               cfg->listen_port);
        guard_free(s);
        free(s);
        return -1;
    }
    if (pthread_create(&s->reaper, NULL, reaper_main, s) != 0) {
        gw_err(err, errlen, "cannot start the request deadline thread");
        MHD_stop_daemon(s->daemon);
        guard_free(s);
        free(s);
        return -1;
    }
    s->reaper_running = 1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : cfg->listen_port;
    *out = s;
    return 0;
}

int http_port(const struct http_server *s) { return s->port; }

void http_quiesce(struct http_server *s)
{
    /* Not MHD_quiesce_daemon: with epoll worker threads its listen socket
     * can make MHD_stop_daemon abort. New requests are answered 503 with
     * Retry-After instead (providers retry), so the requests in progress
     * drain and nothing new is taken on. */
    atomic_store(&s->stopping, 1);
}

int http_active(struct http_server *s) { return atomic_load(&s->active); }

void http_stop(struct http_server *s)
{
    if (!s) return;
    if (s->reaper_running) {
        pthread_mutex_lock(&s->guard_lock);
        s->reaper_stop = 1;
        pthread_cond_signal(&s->guard_wake);
        pthread_mutex_unlock(&s->guard_lock);
        pthread_join(s->reaper, NULL);
    }
    MHD_stop_daemon(s->daemon); /* every connection's record is unlinked and freed on the way */
    guard_free(s);              /* and the pending log summaries written */
    free(s);
}
