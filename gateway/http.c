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
 */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../handlers/codebook.h"
#include "../providers/provider.h"
#include "clock.h"
#include "log.h"
#include "util.h"

struct http_server {
    const struct gw_config *cfg; /* borrowed, frozen */
    struct writer *writer;       /* borrowed */
    struct metrics *metrics;     /* borrowed */
    struct MHD_Daemon *daemon;
    int port;
    atomic_int active;   /* requests between URI callback and completion */
    atomic_int stopping; /* set by http_quiesce: new requests get 503 */
};

enum req_state { REQ_NEW = 0, REQ_READING, REQ_WAITING, REQ_DONE };

struct req {
    struct http_server *srv;
    struct MHD_Connection *conn;
    char *uri;                   /* raw request target (path + query), owned */
    enum req_state state;        /* REQ_DONE is set by the writer before it resumes us */
    struct gw_buf body;          /* the request body, at most max_body bytes */
    int too_big;                 /* the body passed max_body: answer 413 */
    const struct gw_channel *ch; /* channel of a hook, or NULL */
    const char *route;           /* "sms", "healthz", ...; for logs */
    struct pipeline_job job;     /* what the writer stores */
};

/* ---- answering ------------------------------------------------------------ */

static enum MHD_Result respond(struct req *r, int status, const char *ctype, const char *body, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp) return MHD_NO;
    if (ctype) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (status == 503) MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "5");
    enum MHD_Result rc = MHD_queue_response(r->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    metrics_request(r->srv->metrics, r->ch ? r->ch->name : NULL, status);
    return rc;
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
    if (r->ch && status >= 400)
        gw_info("%s %s channel=%s status=%d reason=%s", r->route ? r->route : "-", "hook", r->ch->name, status, reason);
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
    if (!r->job.ok)
        return respond_error(r, 503, r->job.reason[0] ? r->job.reason : "store unavailable, retry later");
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
    atomic_fetch_add(&s->active, 1);
    return r;
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
        long len;
        if (cl && (gw_parse_long(cl, 0, 1L << 40, &len) != 0 || (size_t)len > s->cfg->max_body))
            return respond_error(r, 413, "body too large");
        return MHD_YES;
    }
    if (r->state == REQ_READING && *upload_data_size) {
        size_t n = *upload_data_size;
        if (!r->too_big && r->body.len + n > s->cfg->max_body) {
            r->too_big = 1;
            gw_buf_free(&r->body);
        }
        if (!r->too_big) gw_buf_append(&r->body, upload_data, n);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->state == REQ_DONE) return answer_job(r);
    if (r->state == REQ_WAITING) return MHD_YES; /* spurious wake-up; the writer resumes us */
    if (r->too_big) return respond_error(r, 413, "body too large");
    if (atomic_load(&s->stopping)) return respond_error(r, 503, "shutting down, retry later");
    return route(r, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    struct req *r = *con_cls;
    if (!r) return;
    gw_buf_free(&r->body);
    pipeline_job_clear(&r->job);
    free(r->uri);
    free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&s->active, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    gw_warn("http: %s", line);
}

int http_start(const struct gw_config *cfg, struct writer *w, struct metrics *m, struct http_server **out, char *err,
               size_t errlen)
{
    struct http_server *s = gw_calloc(1, sizeof *s);
    s->cfg = cfg;
    s->writer = w;
    s->metrics = m;
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
        free(s);
        return -1;
    }
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->listen_port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000, MHD_OPTION_END);
    if (!s->daemon) {
        gw_err(err, errlen, "cannot listen on %s:%d (address in use or not permitted)", cfg->listen_host,
               cfg->listen_port);
        free(s);
        return -1;
    }
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
    MHD_stop_daemon(s->daemon);
    free(s);
}
