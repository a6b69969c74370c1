/* tests/common/standin.c - a provider send API stand-in on libmicrohttpd. */
#include "standin.h"

#include <ctype.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SCRIPT 64
#define MAX_REQS 4096

struct answer {
    int status;
    char *body;
    int delay_ms;
    int hang;
};

struct standin {
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct answer script[MAX_SCRIPT];
    size_t nscript, next;
    int def_status;
    char *def_body;
    int def_hang; /* 1: unscripted requests hang */
    struct standin_req reqs[MAX_REQS];
    size_t nreqs;
    int released, stopping;
};

struct pending {
    char *body;
    size_t len;
    char *headers;
    size_t hlen;
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct pending *p = cls;
    char line[2048];
    int n = snprintf(line, sizeof line, "%s: %s\n", key, value ? value : "");
    for (int i = 0; i < n && line[i] != ':'; i++) line[i] = (char)tolower((unsigned char)line[i]);
    p->headers = realloc(p->headers, p->hlen + (size_t)n + 1);
    memcpy(p->headers + p->hlen, line, (size_t)n + 1);
    p->hlen += (size_t)n;
    return MHD_YES;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct pending *p = calloc(1, sizeof *p);
    p->headers = strdup(uri); /* the raw target first, split off below */
    p->hlen = strlen(uri);
    return p;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *data, size_t *size, void **con_cls)
{
    struct standin *s = cls;
    struct pending *p = *con_cls;
    if (*size) {
        p->body = realloc(p->body, p->len + *size + 1);
        memcpy(p->body + p->len, data, *size);
        p->len += *size;
        p->body[p->len] = '\0';
        *size = 0;
        return MHD_YES;
    }
    if (!p->body) { /* first call, or a request without a body */
        p->body = calloc(1, 1);
        return MHD_YES;
    }
    char *target = p->headers;
    p->headers = NULL;
    p->hlen = 0;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header, p);
    pthread_mutex_lock(&s->lock);
    size_t num = s->nreqs + 1;
    if (s->nreqs < MAX_REQS) {
        struct standin_req *r = &s->reqs[s->nreqs++];
        r->method = strdup(method);
        r->target = target;
        r->headers = p->headers ? p->headers : strdup("");
        r->body = p->body;
        r->body_len = p->len;
        target = NULL;
        p->headers = NULL;
        p->body = NULL;
    }
    struct answer a = {.status = s->def_status, .body = s->def_body, .hang = s->def_hang};
    if (s->next < s->nscript) a = s->script[s->next++];
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    free(target);
    if (a.delay_ms) sleep_ms(a.delay_ms);
    if (a.hang) {
        pthread_mutex_lock(&s->lock);
        while (!s->released && !s->stopping) pthread_cond_wait(&s->cond, &s->lock);
        pthread_mutex_unlock(&s->lock);
        a.status = 503;
        a.body = "{\"error\":\"released\"}";
    }
    char body[1024];
    const char *tmpl = a.body ? a.body : "{\"id\":\"prov-%d\"}";
    if (strstr(tmpl, "%d")) snprintf(body, sizeof body, tmpl, (int)num);
    else snprintf(body, sizeof body, "%s", tmpl);
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)(a.status ? a.status : 200), resp);
    MHD_destroy_response(resp);
    return rc;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
    struct pending *p = *con_cls;
    if (!p) return;
    free(p->body);
    free(p->headers);
    free(p);
    *con_cls = NULL;
}

int standin_start(struct standin **out)
{
    struct standin *s = calloc(1, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                            on_request, s, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED,
                            on_done, s, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
    if (!s->d) {
        free(s);
        return -1;
    }
    s->port = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT)->port;
    *out = s;
    return 0;
}

int standin_port(struct standin *s) { return s->port; }

void standin_push(struct standin *s, int status, const char *body, int delay_ms, int hang)
{
    pthread_mutex_lock(&s->lock);
    if (s->nscript < MAX_SCRIPT) {
        struct answer *a = &s->script[s->nscript++];
        a->status = status;
        a->body = body ? strdup(body) : NULL;
        a->delay_ms = delay_ms;
        a->hang = hang;
    }
    pthread_mutex_unlock(&s->lock);
}

void standin_default(struct standin *s, int status, const char *body)
{
    pthread_mutex_lock(&s->lock);
    free(s->def_body);
    s->def_status = status;
    s->def_body = body ? strdup(body) : NULL;
    pthread_mutex_unlock(&s->lock);
}

void standin_hang(struct standin *s, int on)
{
    pthread_mutex_lock(&s->lock);
    s->def_hang = on;
    pthread_mutex_unlock(&s->lock);
}

void standin_release(struct standin *s)
{
    pthread_mutex_lock(&s->lock);
    s->released = 1;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

size_t standin_count(struct standin *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->nreqs;
    pthread_mutex_unlock(&s->lock);
    return n;
}

int standin_get(struct standin *s, size_t i, struct standin_req *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&s->lock);
    int rc = -1;
    if (i < s->nreqs) {
        struct standin_req *r = &s->reqs[i];
        out->method = strdup(r->method);
        out->target = strdup(r->target);
        out->headers = strdup(r->headers);
        out->body = malloc(r->body_len + 1);
        memcpy(out->body, r->body, r->body_len + 1);
        out->body_len = r->body_len;
        rc = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void standin_req_free(struct standin_req *r)
{
    free(r->method);
    free(r->target);
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof *r);
}

char *standin_header(const struct standin_req *r, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = r->headers; p && *p;) {
        const char *nl = strchr(p, '\n');
        if (!strncmp(p, name, n) && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ') v++;
            return strndup(v, (size_t)((nl ? nl : v + strlen(v)) - v));
        }
        if (!nl) break;
        p = nl + 1;
    }
    return NULL;
}

size_t standin_wait(struct standin *s, size_t n, int timeout_ms)
{
    for (int waited = 0;; waited += 5) {
        size_t c = standin_count(s);
        if (c >= n || waited >= timeout_ms) return c;
        sleep_ms(5);
    }
}

void standin_stop(struct standin *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    MHD_stop_daemon(s->d);
    for (size_t i = 0; i < s->nreqs; i++) standin_req_free(&s->reqs[i]);
    for (size_t i = 0; i < s->nscript; i++) free(s->script[i].body);
    free(s->def_body);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}
