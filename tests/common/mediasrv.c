/* tests/common/mediasrv.c - a recordings stand-in on libmicrohttpd. */
#include "mediasrv.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROUTES 32

struct route {
    char *path;        /* owned */
    char *ctype;       /* owned or NULL */
    char *body;        /* owned */
    size_t len;
    int chunked;
    int fail_status;   /* answered while fail_times > 0 */
    int fail_times;
    int hold;
    size_t hits;
    char *last_auth;   /* owned or NULL */
    char *last_target; /* owned or NULL */
};

struct mediasrv {
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct route routes[MAX_ROUTES];
    size_t nroutes;
    size_t gets, posts;
    int released, stopping;
};

/* One request: its raw target, then whether its upload was consumed. */
struct conn {
    char *target;
    int started;
};

/* A chunked answer's own copy of the body. */
struct chunk_src {
    char *body;
    size_t len;
};

static struct route *route_for(struct mediasrv *s, const char *path, int create)
{
    for (size_t i = 0; i < s->nroutes; i++)
        if (!strcmp(s->routes[i].path, path)) return &s->routes[i];
    if (!create || s->nroutes == MAX_ROUTES) return NULL;
    struct route *r = &s->routes[s->nroutes++];
    memset(r, 0, sizeof *r);
    r->path = strdup(path);
    return r;
}

static ssize_t read_chunk(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct chunk_src *c = cls;
    if (pos >= c->len) return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = c->len - (size_t)pos < max ? c->len - (size_t)pos : max;
    memcpy(buf, c->body + pos, n);
    return (ssize_t)n;
}

static void free_chunk(void *cls)
{
    struct chunk_src *c = cls;
    free(c->body);
    free(c);
}

static enum MHD_Result answer_text(struct MHD_Connection *conn, int status, const char *text, const char *ctype)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", ctype);
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct conn *k = calloc(1, sizeof *k);
    k->target = strdup(uri);
    return k;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *data, size_t *size, void **con_cls)
{
    struct mediasrv *s = cls;
    struct conn *k = *con_cls;
    if (!k->started) {
        k->started = 1;
        return MHD_YES;
    }
    if (*size) {
        *size = 0; /* uploads are read and dropped */
        return MHD_YES;
    }
    if (!strcmp(method, "POST")) {
        pthread_mutex_lock(&s->lock);
        size_t n = ++s->posts;
        pthread_mutex_unlock(&s->lock);
        char body[64];
        snprintf(body, sizeof body, "{\"sid\":\"SMmediasrv%zu\"}", n);
        return answer_text(conn, 201, body, "application/json");
    }
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    pthread_mutex_lock(&s->lock);
    s->gets++;
    struct route *r = route_for(s, url, 0);
    if (!r) {
        pthread_mutex_unlock(&s->lock);
        return answer_text(conn, 404, "not found", "text/plain");
    }
    r->hits++;
    free(r->last_auth);
    free(r->last_target);
    r->last_auth = auth ? strdup(auth) : NULL;
    r->last_target = strdup(k->target);
    pthread_cond_broadcast(&s->cond);
    if (r->hold) {
        while (!s->released && !s->stopping) pthread_cond_wait(&s->cond, &s->lock);
        pthread_mutex_unlock(&s->lock);
        return answer_text(conn, 503, "released", "text/plain");
    }
    if (r->fail_times > 0) {
        r->fail_times--;
        int status = r->fail_status;
        pthread_mutex_unlock(&s->lock);
        return answer_text(conn, status, "scripted failure", "text/plain");
    }
    struct chunk_src *c = malloc(sizeof *c);
    c->len = r->len;
    c->body = malloc(r->len ? r->len : 1);
    memcpy(c->body, r->body, r->len);
    char *ctype = r->ctype ? strdup(r->ctype) : NULL;
    int chunked = r->chunked;
    pthread_mutex_unlock(&s->lock);
    struct MHD_Response *resp;
    if (chunked) {
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, read_chunk, c, free_chunk);
    } else {
        resp = MHD_create_response_from_buffer(c->len, c->body, MHD_RESPMEM_MUST_COPY);
        free_chunk(c);
    }
    if (ctype) MHD_add_response_header(resp, "Content-Type", ctype);
    free(ctype);
    enum MHD_Result rc = MHD_queue_response(conn, 200, resp);
    MHD_destroy_response(resp);
    return rc;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    struct conn *k = *con_cls;
    if (!k) return;
    free(k->target);
    free(k);
    *con_cls = NULL;
}

int mediasrv_start(struct mediasrv **out)
{
    struct mediasrv *s = calloc(1, sizeof *s);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                            on_request, s, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED,
                            on_done, s, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_END);
    if (!s->d) {
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->cond);
        free(s);
        return -1;
    }
    s->port = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT)->port;
    *out = s;
    return 0;
}

int mediasrv_port(struct mediasrv *s) { return s->port; }

const char *mediasrv_base(struct mediasrv *s, char *out, size_t outlen)
{
    snprintf(out, outlen, "http://127.0.0.1:%d", s->port);
    return out;
}

void mediasrv_put(struct mediasrv *s, const char *path, const char *content_type, const void *body, size_t len,
                  int chunked)
{
    pthread_mutex_lock(&s->lock);
    struct route *r = route_for(s, path, 1);
    if (r) {
        free(r->ctype);
        free(r->body);
        r->ctype = content_type ? strdup(content_type) : NULL;
        r->body = malloc(len ? len : 1);
        memcpy(r->body, body, len);
        r->len = len;
        r->chunked = chunked;
        r->fail_times = 0;
        r->hold = 0;
    }
    pthread_mutex_unlock(&s->lock);
}

void mediasrv_fail(struct mediasrv *s, const char *path, int status, int times)
{
    pthread_mutex_lock(&s->lock);
    struct route *r = route_for(s, path, 1);
    if (r) {
        r->fail_status = status;
        r->fail_times = times;
    }
    pthread_mutex_unlock(&s->lock);
}

void mediasrv_hold(struct mediasrv *s, const char *path, int hold)
{
    pthread_mutex_lock(&s->lock);
    struct route *r = route_for(s, path, 1);
    if (r) r->hold = hold;
    if (hold) s->released = 0;
    pthread_mutex_unlock(&s->lock);
}

void mediasrv_release(struct mediasrv *s)
{
    pthread_mutex_lock(&s->lock);
    s->released = 1;
    for (size_t i = 0; i < s->nroutes; i++) s->routes[i].hold = 0;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

size_t mediasrv_hits(struct mediasrv *s, const char *path)
{
    pthread_mutex_lock(&s->lock);
    size_t n = 0;
    if (!strcmp(path, "*")) {
        n = s->gets;
    } else {
        struct route *r = route_for(s, path, 0);
        n = r ? r->hits : 0;
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

size_t mediasrv_wait(struct mediasrv *s, const char *path, size_t n, int timeout_ms)
{
    for (int waited = 0;; waited += 5) {
        size_t c = mediasrv_hits(s, path);
        if (c >= n || waited >= timeout_ms) return c;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static char *last_field(struct mediasrv *s, const char *path, int auth)
{
    pthread_mutex_lock(&s->lock);
    struct route *r = route_for(s, path, 0);
    const char *v = r ? (auth ? r->last_auth : r->last_target) : NULL;
    char *out = v ? strdup(v) : NULL;
    pthread_mutex_unlock(&s->lock);
    return out;
}

char *mediasrv_last_auth(struct mediasrv *s, const char *path) { return last_field(s, path, 1); }
char *mediasrv_last_target(struct mediasrv *s, const char *path) { return last_field(s, path, 0); }

void mediasrv_stop(struct mediasrv *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    MHD_stop_daemon(s->d);
    for (size_t i = 0; i < s->nroutes; i++) {
        struct route *r = &s->routes[i];
        free(r->path);
        free(r->ctype);
        free(r->body);
        free(r->last_auth);
        free(r->last_target);
    }
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}
