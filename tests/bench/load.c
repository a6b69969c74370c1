/* tests/bench/load.c - load generator for `make bench`.
 *
 * Builds N unique, correctly signed webhooks from the roster in the
 * database (visits by directors, check-ins by guardians, reports from the
 * public; through the generic channel as form and JSON, and through
 * Twilio), then sends them over C keep-alive connections on loopback,
 * driven by epoll from BENCH_THREADS threads (default 1), and prints
 * requests/s and latency percentiles.
 * Usage: load PORT DB N C PUBLIC_URL RUNTAG [RATE]
 *
 * With RATE (requests per second), the N requests are paced: request i
 * starts no earlier than i / RATE seconds into the run, and each one is
 * built and signed when it starts (message ids from a counter), so N can be
 * millions (the soak). A connection the server closes is dialled again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mix.h"

#define GENERIC_SECRET "bench-generic-secret"
#define TWILIO_TOKEN "fake_auth_token_0123456789abcdef"

struct reqbuf {
    char *data;
    size_t len;
};

static struct reqbuf *reqs; /* all N requests, built before the run; NULL when paced */
static double *lat;
static int nreq, port;
static double rate;         /* requests per second; 0: as fast as the server answers */
static double run_t0;       /* monotonic start of the run */
static atomic_int next_req, errors, non2xx;

/* What every request shares (the roster the requests are built from is mix.h's). */
static const char *public_url, *runtag;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *esc(const char *s)
{
    static const char hx[] = "0123456789ABCDEF";
    char *o = malloc(strlen(s) * 3 + 1), *p = o;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' ||
            *c == '_' || *c == '.' || *c == '~')
            *p++ = (char)*c;
        else if (*c == ' ')
            *p++ = '+';
        else {
            *p++ = '%';
            *p++ = hx[*c >> 4];
            *p++ = hx[*c & 15];
        }
    }
    *p = '\0';
    return o;
}

static void hmac_hex(const EVP_MD *md, const char *key, const char *d, size_t n, char *out)
{
    unsigned char mac[64];
    unsigned len = 0;
    HMAC(md, key, (int)strlen(key), (const unsigned char *)d, n, mac, &len);
    for (unsigned i = 0; i < len; i++) sprintf(out + 2 * i, "%02x", mac[i]);
}

static void hmac_b64(const char *key, const char *d, size_t n, char *out)
{
    unsigned char mac[64];
    unsigned len = 0;
    HMAC(EVP_sha1(), key, (int)strlen(key), (const unsigned char *)d, n, mac, &len);
    EVP_EncodeBlock((unsigned char *)out, mac, (int)len);
}

/* Fills *r (its data malloc'ed; any earlier data freed) with one POST. */
static void add(struct reqbuf *r, const char *path, const char *ctype, const char *sighdr, const char *body)
{
    size_t blen = strlen(body);
    size_t cap = blen + 512;
    free(r->data);
    r->data = malloc(cap);
    r->len = (size_t)snprintf(r->data, cap,
                                   "POST %s HTTP/1.1\r\nHost: gw.example.com\r\nContent-Type: %s\r\n%s\r\n"
                                   "Content-Length: %zu\r\n\r\n%s",
                     path, ctype, sighdr, blen, body);
}

/* Twilio: URL + params sorted by name (these are, by construction). */
static void add_twilio(struct reqbuf *r, const char *sid, const char *from, const char *text)
{
    char *ef = esc(from), *et = esc(text);
    char body[1024], sigbase[1024], sig[64], hdr[128];
    snprintf(body, sizeof body,
             "AccountSid=AC00000000000000000000000000000001&Body=%s&From=%s&MessageSid=%s&NumMedia=0&"
             "To=%%2B12025550100",
             et, ef, sid);
    snprintf(sigbase, sizeof sigbase,
             "%s/hooks/twilio/smsAccountSidAC00000000000000000000000000000001Body%sFrom%sMessageSid%sNumMedia0"
             "To+12025550100",
             public_url, text, from, sid);
    hmac_b64(TWILIO_TOKEN, sigbase, strlen(sigbase), sig);
    snprintf(hdr, sizeof hdr, "X-Twilio-Signature: %s", sig);
    add(r, "/hooks/twilio/sms", "application/x-www-form-urlencoded", hdr, body);
    free(ef);
    free(et);
}

static void add_generic(struct reqbuf *r, int json, const char *id, const char *from, const char *text)
{
    char body[1024], sig[65], hdr[96];
    if (json) {
        snprintf(body, sizeof body, "{\"id\":\"%s\",\"from\":\"%s\",\"to\":\"10690000\",\"text\":\"%s\"}", id, from,
                 text);
    } else {
        char *ef = esc(from), *et = esc(text);
        snprintf(body, sizeof body, "id=%s&from=%s&to=10690000&text=%s", id, ef, et);
        free(ef);
        free(et);
    }
    hmac_hex(EVP_sha256(), GENERIC_SECRET, body, strlen(body), sig);
    snprintf(hdr, sizeof hdr, "X-Signature: %s", sig);
    add(r, "/hooks/generic/sms", json ? "application/json" : "application/x-www-form-urlencoded", hdr, body);
}

/* FNV-1a of the run tag: mixed into Twilio's MessageSids, which have no
 * room for the tag, so each run's are new to the store. */
static unsigned tag_hash(void)
{
    unsigned h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)runtag; *p; p++) h = (h ^ *p) * 16777619u;
    return h;
}

/* Builds request i into *r: 5 visits, 3 check-ins and 2 reports in every
 * 10; 4 generic form, 2 generic JSON and 1 Twilio in every 7. Its message
 * id (RUNTAG-i, or a MessageSid from i and RUNTAG) is unique in the run. */
static void build_one(int i, struct reqbuf *r)
{
    char id[64], text[160], from[32];
    snprintf(id, sizeof id, "%s-%d", runtag, i);
    mix_message(i, from, text);
    int via = i % 7; /* 0-3 generic form, 4-5 generic JSON, 6 Twilio */
    if (via == 6) {
        char sid[48];
        snprintf(sid, sizeof sid, "SM%08x%024d", (unsigned)(i * 2654435761u) ^ tag_hash(), i);
        add_twilio(r, sid, from, text);
    } else {
        add_generic(r, via >= 4, id, from, text);
    }
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One keep-alive connection driven by an epoll loop. */
struct conn {
    int fd;
    int req;                  /* request claimed (waiting or in flight), -1 when none is left */
    int waiting;              /* 1: req is claimed but not started yet */
    double due;               /* when req may start (paced runs) */
    const struct reqbuf *out; /* the bytes of req */
    struct reqbuf own;        /* req's bytes when paced, built as it starts */
    size_t written;           /* bytes of it sent */
    double t0;
    char buf[8192];           /* response bytes so far */
    size_t got;
};

static int next_index(void)
{
    int i = atomic_fetch_add(&next_req, 1);
    return i < nreq ? i : -1;
}

/* Claims the next request for c, to start at its due time (at once when
 * the run is not paced); c->req is -1 when none is left. */
static void claim(struct conn *c)
{
    c->req = next_index();
    c->waiting = c->req >= 0;
    c->due = rate > 0 && c->req >= 0 ? run_t0 + c->req / rate : 0;
}

/* Starts c's claimed request: builds it when paced, then waits for the
 * socket to take it. */
static void begin(int ep, struct conn *c)
{
    if (rate > 0) {
        build_one(c->req, &c->own);
        c->out = &c->own;
    } else {
        c->out = &reqs[c->req];
    }
    c->waiting = 0;
    c->written = 0;
    c->got = 0;
    c->t0 = now();
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Starts c's request when due, else leaves it idle until then. */
static void begin_or_wait(int ep, struct conn *c)
{
    if (c->due <= now()) {
        begin(ep, c);
        return;
    }
    struct epoll_event ev = {.events = 0, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Replaces c's socket by a new connection; returns 0, or -1 (c->fd -1)
 * when it cannot. */
static int redial(int ep, struct conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = dial();
    if (c->fd < 0) return -1;
    struct epoll_event ev = {.events = 0, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    return 0;
}

/* Starts every idle connection's request that is due; returns the
 * milliseconds until the next one is, or -1 when none waits. */
static int pump(int ep, struct conn *cs, int nconn)
{
    double t = now(), next = -1;
    for (int k = 0; k < nconn; k++) {
        struct conn *c = &cs[k];
        if (c->fd < 0 || !c->waiting) continue;
        if (c->due <= t) begin(ep, c);
        else if (next < 0 || c->due < next) next = c->due;
    }
    return next < 0 ? -1 : (int)((next - t) * 1e3) + 1;
}

/* Returns 1 when a whole response is in c->buf (and sets *status), 0 when
 * more is needed, -1 on a malformed one. */
static int response_done(struct conn *c, int *status)
{
    c->buf[c->got] = '\0';
    char *end = strstr(c->buf, "\r\n\r\n");
    if (!end) return c->got >= sizeof c->buf - 1 ? -1 : 0;
    size_t clen = 0;
    char *cl = strcasestr(c->buf, "\r\nContent-Length:");
    if (cl && cl < end) clen = (size_t)atol(cl + 17);
    if (c->got < (size_t)(end + 4 - c->buf) + clen) return 0;
    *status = atoi(c->buf + 9);
    return 1;
}

/* Handles the epoll events ev of c: writes its request, reads its answer,
 * and once the request ends records it and claims the next. Returns 0
 * while c lives, -1 once it is closed (nothing left, or it failed; a
 * paced run dials again instead). */
static int handle(int ep, struct conn *c, uint32_t ev)
{
    int fail = (ev & (EPOLLERR | EPOLLHUP)) != 0, status = 0, done = 0;
    if (!fail && !c->waiting && c->written < c->out->len) {
        ssize_t w = write(c->fd, c->out->data + c->written, c->out->len - c->written);
        if (w > 0) c->written += (size_t)w;
        else if (w < 0 && errno != EAGAIN) fail = 1;
        if (c->written == c->out->len) {
            struct epoll_event in = {.events = EPOLLIN, .data.ptr = c};
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &in);
        }
    }
    if (!fail && !c->waiting && (ev & EPOLLIN)) {
        ssize_t r = read(c->fd, c->buf + c->got, sizeof c->buf - 1 - c->got);
        if (r > 0) {
            c->got += (size_t)r;
            done = response_done(c, &status);
            if (done < 0) fail = 1;
        } else if (r == 0 || errno != EAGAIN) {
            fail = 1;
        }
    }
    if (!fail && !done) return 0;
    if (!c->waiting) { /* the request ended: answered, or failed */
        lat[c->req] = now() - c->t0;
        if (fail) atomic_fetch_add(&errors, 1);
        else if (status < 200 || status > 299) atomic_fetch_add(&non2xx, 1);
        claim(c);
    }
    if (fail && rate > 0 && c->req >= 0 && redial(ep, c) == 0) fail = 0;
    if (c->req < 0 || fail) {
        if (c->fd >= 0) {
            epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
            close(c->fd);
            c->fd = -1;
        }
        if (c->req >= 0) atomic_fetch_add(&errors, 1), lat[c->req] = 0;
        return -1;
    }
    begin_or_wait(ep, c);
    return 0;
}

static void *worker(void *arg)
{
    int nconn = *(int *)arg;
    int ep = epoll_create1(0);
    struct conn *cs = calloc((size_t)nconn, sizeof *cs);
    int live = 0;
    for (int k = 0; k < nconn; k++) {
        cs[k].fd = dial();
        claim(&cs[k]);
        if (cs[k].fd < 0 || cs[k].req < 0) {
            if (cs[k].req >= 0) atomic_fetch_add(&errors, 1);
            if (cs[k].fd >= 0) close(cs[k].fd);
            cs[k].fd = -1;
            continue;
        }
        struct epoll_event ev = {.events = 0, .data.ptr = &cs[k]};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[k].fd, &ev);
        live++;
    }
    struct epoll_event evs[256];
    while (live > 0) {
        int wait_ms = pump(ep, cs, nconn);
        int n = epoll_wait(ep, evs, 256, wait_ms < 0 ? 10000 : wait_ms);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || (n == 0 && wait_ms < 0)) break; /* nothing for 10 s: give up */
        for (int e = 0; e < n; e++)
            if (handle(ep, evs[e].data.ptr, evs[e].events) < 0) live--;
    }
    for (int k = 0; k < nconn; k++) {
        if (cs[k].fd >= 0) close(cs[k].fd);
        free(cs[k].own.data);
    }
    free(cs);
    close(ep);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 7 && argc != 8) {
        fprintf(stderr, "usage: load PORT DB N CONCURRENCY PUBLIC_URL RUNTAG [RATE]\n");
        return 2;
    }
    port = atoi(argv[1]);
    nreq = atoi(argv[3]);
    int conc = atoi(argv[4]);
    public_url = argv[5];
    runtag = argv[6];
    rate = argc == 8 ? atof(argv[7]) : 0;
    if (nreq < 1 || conc < 1 || rate < 0) {
        fprintf(stderr, "load: N and CONCURRENCY must be positive, RATE not negative\n");
        return 2;
    }
    lat = calloc((size_t)nreq, sizeof *lat);
    load_roster("load", argv[2]);
    if (rate == 0) {
        reqs = calloc((size_t)nreq, sizeof *reqs);
        for (int i = 0; i < nreq; i++) build_one(i, &reqs[i]);
    }
    /* A few epoll threads share the connections: the load generator should
     * cost the machine as little as it can, since it shares the cores. */
    int nthreads = getenv("BENCH_THREADS") ? atoi(getenv("BENCH_THREADS")) : 1;
    if (nthreads < 1 || nthreads > conc) nthreads = 1;
    pthread_t *th = calloc((size_t)nthreads, sizeof *th);
    int *share = calloc((size_t)nthreads, sizeof *share);
    for (int i = 0; i < nthreads; i++) share[i] = conc / nthreads + (i < conc % nthreads);
    double t0 = run_t0 = now();
    for (int i = 0; i < nthreads; i++) pthread_create(&th[i], NULL, worker, &share[i]);
    for (int i = 0; i < nthreads; i++) pthread_join(th[i], NULL);
    double wall = now() - t0;
    qsort(lat, (size_t)nreq, sizeof *lat, cmp);
    printf("requests=%d concurrency=%d seconds=%.3f rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d", nreq,
           conc, wall, nreq / wall, lat[nreq / 2] * 1e3, lat[(int)(nreq * 0.99)] * 1e3, atomic_load(&errors),
           atomic_load(&non2xx));
    if (rate > 0) printf(" target_rps=%.0f", rate);
    printf("\n");
    if (reqs)
        for (int i = 0; i < nreq; i++) free(reqs[i].data);
    free(reqs);
    free(visits);
    free(guardians);
    free(lat);
    free(th);
    free(share);
    return atomic_load(&errors) ? 1 : 0;
}
