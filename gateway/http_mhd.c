/* gateway/http_mhd.c - the HTTP server on libmicrohttpd: connections,
 * limits, bodies, deadlines; what a request means is the route table's
 * (routes.c).
 *
 * Threads: libmicrohttpd's internal polling threads (a pool of
 * cfg->threads) run every callback here except on_job_done, which runs on
 * the store writer's thread and only flips the request's state and resumes
 * its connection.
 *
 * Lifecycle of one request: the URI callback allocates a struct req (the
 * one owner of the request's memory) and keeps the raw target for
 * signature checks; the body is gathered up to max_body (413 beyond); the
 * whole request goes to routes_handle as a struct http_request. Its answer
 * is sent at once, or, when its job went to the writer, the connection is
 * suspended; after the commit the writer resumes it and routes_finish
 * renders the answer; the completion callback frees the req.
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

#include "../core/clock.h"
#include "../core/log.h"
#include "../core/util.h"
#include "routes.h"

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
    struct metrics *metrics;     /* borrowed */
    struct routes_ctx routes;    /* the route table's context: cfg, the writer, metrics, refusals */
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
    char *uri;                /* raw request target (path + query), owned */
    enum req_state state;     /* REQ_DONE is set by the writer before it resumes us */
    struct gw_buf body;       /* the request body, at most max_body bytes */
    size_t received;          /* body bytes received, kept or dropped (<= max_body + DRAIN_MAX + a read) */
    int too_big;              /* the body passed max_body: answer 413 */
    int close;                /* answer with "Connection: close" */
    struct conn_track *track; /* the connection's record, or NULL; owned by the connection */
    char client[64];          /* the client's address as text, "" when unknown */
    struct routes_call call;  /* the route's state and its job for the writer */
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

/* Queues resp on r's connection ("Connection: close" when r is to close),
 * counts it in the metrics and frees its body. */
static enum MHD_Result send_response(struct req *r, struct http_response *resp)
{
    track_set(r->srv, r->track, 1);
    enum MHD_Result rc = MHD_NO;
    struct MHD_Response *mr =
        MHD_create_response_from_buffer(resp->body.len, (void *)gw_buf_cstr(&resp->body), MHD_RESPMEM_MUST_COPY);
    if (mr) {
        if (resp->content_type) MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
        if (r->close) MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
        for (size_t i = 0; i < resp->nheaders; i++)
            MHD_add_response_header(mr, resp->headers[i].name, resp->headers[i].value);
        rc = MHD_queue_response(r->conn, (unsigned)resp->status, mr);
        MHD_destroy_response(mr);
        metrics_request(r->srv->metrics, resp->channel, resp->status);
    }
    http_response_clear(resp);
    return rc;
}

/* ---- the request as the routes see it ------------------------------------- */

static const char *req_header(const struct http_request *hr, const char *name)
{
    struct req *r = hr->impl;
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* The client's address as text into buf ("" when unknown). */
static void client_address(struct MHD_Connection *conn, char *buf, size_t len)
{
    buf[0] = '\0';
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf, (socklen_t)len);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf, (socklen_t)len);
}

/* Fills hr with a view of r (valid while r lives); path is libmicrohttpd's
 * decoded path, NULL for one that never got that far. */
static void request_of(struct req *r, const char *path, const char *method, struct http_request *hr)
{
    const char *q = strchr(r->uri, '?');
    *hr = (struct http_request){
        .method = method ? method : "",
        .path = path ? path : r->uri,
        .target = r->uri,
        .query = q ? q + 1 : "",
        .body = gw_buf_cstr(&r->body),
        .body_len = r->body.len,
        .client = r->client,
        .header = req_header,
        .impl = r,
    };
}

/* ---- the writer's side ------------------------------------------------------ */

/* The job is about to go to the writer: wait for it, off every thread. */
static void on_job_submit(struct routes_call *call)
{
    struct req *r = call->arg;
    r->state = REQ_WAITING;
    MHD_suspend_connection(r->conn);
}

/* On the writer's thread (or at once when it refused the job). */
static void on_job_done(struct routes_call *call)
{
    struct req *r = call->arg;
    r->state = REQ_DONE;
    MHD_resume_connection(r->conn);
}

/* Routes the whole request and answers it, or leaves it suspended for the
 * writer. */
static enum MHD_Result route(struct req *r, const char *url, const char *method)
{
    /* Arrived whole: from here on no deadline. Too late if the reaper
     * already shut the connection: store nothing nobody will hear of. */
    if (!track_set(r->srv, r->track, 1)) return MHD_NO;
    struct http_request hr;
    struct http_response resp = {0};
    request_of(r, url, method, &hr);
    r->call.on_submit = on_job_submit;
    r->call.on_done = on_job_done;
    r->call.arg = r;
    routes_handle(&r->srv->routes, &hr, &r->call, &resp);
    if (resp.deferred) return MHD_YES;
    return send_response(r, &resp);
}

/* The writer is done with the request's job: its answer. */
static enum MHD_Result answer_job(struct req *r)
{
    struct http_response resp = {0};
    routes_finish(&r->srv->routes, &r->call, &resp);
    return send_response(r, &resp);
}

/* ---- libmicrohttpd callbacks ----------------------------------------------- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct http_server *s = cls;
    struct req *r = gw_calloc(1, sizeof *r);
    r->srv = s;
    r->conn = conn;
    r->uri = gw_strdup(uri ? uri : "/");
    client_address(conn, r->client, sizeof r->client);
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
    struct http_request hr;
    struct http_response resp = {0};
    request_of(r, NULL, NULL, &hr);
    routes_too_big(&r->srv->routes, &hr, &resp);
    return send_response(r, &resp);
}

/* Refuses a request while the server shuts down: 503, retry later. */
static enum MHD_Result refuse_stopping(struct req *r)
{
    struct http_response resp = {0};
    routes_unavailable(&r->srv->routes, &resp);
    return send_response(r, &resp);
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
    if (atomic_load(&s->stopping)) return refuse_stopping(r);
    return route(r, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    struct req *r = *con_cls;
    if (!r) return;
    track_set(s, r->track, 0); /* a kept-alive connection's next request starts now */
    gw_buf_free(&r->body);
    routes_call_clear(&r->call);
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
    s->routes = (struct routes_ctx){.cfg = cfg, .writer = routes_writer_of(w), .metrics = m, .refusals = s->refusals};
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
