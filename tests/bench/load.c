/* tests/bench/load.c - load generator for `make bench`.
 *
 * Builds N unique, correctly signed webhooks from the roster in the
 * database (visits by directors, check-ins by guardians, reports from the
 * public; through the generic channel as form and JSON, and through
 * Twilio), then sends them over C keep-alive connections on loopback,
 * driven by epoll from BENCH_THREADS threads (default 1), and prints
 * requests/s and latency percentiles.
 * Usage: load PORT DB N C PUBLIC_URL RUNTAG
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

#define GENERIC_SECRET "bench-generic-secret"
#define TWILIO_TOKEN "fake_auth_token_0123456789abcdef"

struct reqbuf {
    char *data;
    size_t len;
};

static struct reqbuf *reqs;
static double *lat;
static int nreq, port;
static atomic_int next_req, errors, non2xx;

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

static void add(int i, const char *path, const char *ctype, const char *sighdr, const char *body)
{
    size_t blen = strlen(body);
    size_t cap = blen + 512;
    reqs[i].data = malloc(cap);
    reqs[i].len = (size_t)snprintf(reqs[i].data, cap,
                                   "POST %s HTTP/1.1\r\nHost: gw.example.com\r\nContent-Type: %s\r\n%s\r\n"
                                   "Content-Length: %zu\r\n\r\n%s",
                                   path, ctype, sighdr, blen, body);
}

/* Twilio: URL + params sorted by name (these are, by construction). */
static void add_twilio(int i, const char *public_url, const char *sid, const char *from, const char *text)
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
    add(i, "/hooks/twilio/sms", "application/x-www-form-urlencoded", hdr, body);
    free(ef);
    free(et);
}

static void add_generic(int i, int json, const char *id, const char *from, const char *text)
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
    add(i, "/hooks/generic/sms", json ? "application/json" : "application/x-www-form-urlencoded", hdr, body);
}

struct pair {
    char a[32], b[16];
};

static int load_pairs(sqlite3 *db, const char *sql, struct pair **out)
{
    sqlite3_stmt *s;
    int n = 0, cap = 256;
    *out = malloc(sizeof **out * (size_t)cap);
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) return 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == cap) *out = realloc(*out, sizeof **out * (size_t)(cap *= 2));
        snprintf((*out)[n].a, sizeof(*out)[n].a, "%s", sqlite3_column_text(s, 0));
        snprintf((*out)[n].b, sizeof(*out)[n].b, "%s", sqlite3_column_text(s, 1));
        n++;
    }
    sqlite3_finalize(s);
    return n;
}

static void build(const char *dbpath, const char *public_url, const char *tag)
{
    sqlite3 *db;
    if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "load: cannot open %s\n", dbpath);
        exit(1);
    }
    struct pair *visits, *guardians;
    int nv = load_pairs(db, "SELECT s.phone, c.code FROM staff s JOIN child c ON c.region_id = s.region_id "
                            "WHERE s.role = 'director'", &visits);
    int ng = load_pairs(db, "SELECT g.phone, c.code FROM guardian g JOIN guardian_child gc ON gc.guardian_id = g.id "
                            "JOIN child c ON c.id = gc.child_id", &guardians);
    sqlite3_close(db);
    if (nv == 0 || ng == 0) {
        fprintf(stderr, "load: the database holds no roster\n");
        exit(1);
    }
    static const char *const reports[] = {"BG 2 孩子身上有伤", "BG 3 孩子一个人在家好几天", "BG 7 学校有人欺负他",
                                          "BG 9 想了解帮扶政策", "村东头那家孩子没人管"};
    static const char *const results[] = {"1", "2 XL", "1 一切正常", "3", "2 JK 生活", "4"};
    for (int i = 0; i < nreq; i++) {
        char id[64], text[160], from[32];
        snprintf(id, sizeof id, "%s-%d", tag, i);
        int kind = i % 10; /* 5 visits, 3 check-ins, 2 reports in every 10 */
        if (kind < 5) {
            struct pair *p = &visits[(i / 10 * 5 + kind) % nv];
            snprintf(from, sizeof from, "%s", p->a);
            snprintf(text, sizeof text, "ZF %s %s", p->b, results[i % 6]);
        } else if (kind < 8) {
            struct pair *p = &guardians[(i / 10 * 3 + kind) % ng];
            snprintf(from, sizeof from, "%s", p->a);
            snprintf(text, sizeof text, "QD %s %s", p->b, kind == 7 ? "1 视频了很开心" : "");
        } else {
            snprintf(from, sizeof from, "+86137%08d", i);
            snprintf(text, sizeof text, "%s", reports[i % 5]);
        }
        int via = i % 7; /* 0-3 generic form, 4-5 generic JSON, 6 Twilio */
        if (via == 6) {
            char sid[48];
            snprintf(sid, sizeof sid, "SM%08x%024d", (unsigned)(i * 2654435761u), i);
            add_twilio(i, public_url, sid, from, text);
        } else {
            add_generic(i, via >= 4, id, from, text);
        }
    }
    free(visits);
    free(guardians);
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
    int req;         /* request in flight, -1 when idle */
    size_t written;  /* bytes of it sent */
    double t0;
    char buf[8192];  /* response bytes so far */
    size_t got;
};

static int next_index(void)
{
    int i = atomic_fetch_add(&next_req, 1);
    return i < nreq ? i : -1;
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

static void start(struct conn *c)
{
    c->req = next_index();
    c->written = 0;
    c->got = 0;
    c->t0 = now();
}

static void *worker(void *arg)
{
    int nconn = *(int *)arg;
    int ep = epoll_create1(0);
    struct conn *cs = calloc((size_t)nconn, sizeof *cs);
    int live = 0;
    for (int k = 0; k < nconn; k++) {
        cs[k].fd = dial();
        start(&cs[k]);
        if (cs[k].fd < 0 || cs[k].req < 0) {
            if (cs[k].req >= 0) atomic_fetch_add(&errors, 1);
            continue;
        }
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = &cs[k]};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[k].fd, &ev);
        live++;
    }
    struct epoll_event evs[256];
    while (live > 0) {
        int n = epoll_wait(ep, evs, 256, 10000);
        if (n <= 0) break; /* nothing for 10 s: give up */
        for (int e = 0; e < n; e++) {
            struct conn *c = evs[e].data.ptr;
            int fail = (evs[e].events & (EPOLLERR | EPOLLHUP)) != 0;
            if (!fail && c->written < reqs[c->req].len) {
                ssize_t w = write(c->fd, reqs[c->req].data + c->written, reqs[c->req].len - c->written);
                if (w > 0) c->written += (size_t)w;
                else if (w < 0 && errno != EAGAIN) fail = 1;
                if (c->written == reqs[c->req].len) {
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                }
            }
            int status = 0, done = 0;
            if (!fail && (evs[e].events & EPOLLIN)) {
                ssize_t r = read(c->fd, c->buf + c->got, sizeof c->buf - 1 - c->got);
                if (r > 0) {
                    c->got += (size_t)r;
                    done = response_done(c, &status);
                    if (done < 0) fail = 1;
                } else if (r == 0 || errno != EAGAIN) {
                    fail = 1;
                }
            }
            if (fail || done) {
                lat[c->req] = now() - c->t0;
                if (fail) atomic_fetch_add(&errors, 1);
                else if (status < 200 || status > 299) atomic_fetch_add(&non2xx, 1);
                start(c);
                if (c->req < 0 || fail) {
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    close(c->fd);
                    c->fd = -1;
                    if (c->req >= 0) atomic_fetch_add(&errors, 1), lat[c->req] = 0;
                    live--;
                    continue;
                }
                struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            }
        }
    }
    for (int k = 0; k < nconn; k++)
        if (cs[k].fd >= 0) close(cs[k].fd);
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
    if (argc != 7) {
        fprintf(stderr, "usage: load PORT DB N CONCURRENCY PUBLIC_URL RUNTAG\n");
        return 2;
    }
    port = atoi(argv[1]);
    nreq = atoi(argv[3]);
    int conc = atoi(argv[4]);
    reqs = calloc((size_t)nreq, sizeof *reqs);
    lat = calloc((size_t)nreq, sizeof *lat);
    build(argv[2], argv[5], argv[6]);
    /* A few epoll threads share the connections: the load generator should
     * cost the machine as little as it can, since it shares the cores. */
    int nthreads = getenv("BENCH_THREADS") ? atoi(getenv("BENCH_THREADS")) : 1;
    if (nthreads < 1 || nthreads > conc) nthreads = 1;
    pthread_t *th = calloc((size_t)nthreads, sizeof *th);
    int *share = calloc((size_t)nthreads, sizeof *share);
    for (int i = 0; i < nthreads; i++) share[i] = conc / nthreads + (i < conc % nthreads);
    double t0 = now();
    for (int i = 0; i < nthreads; i++) pthread_create(&th[i], NULL, worker, &share[i]);
    for (int i = 0; i < nthreads; i++) pthread_join(th[i], NULL);
    double wall = now() - t0;
    qsort(lat, (size_t)nreq, sizeof *lat, cmp);
    printf("requests=%d concurrency=%d seconds=%.3f rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n", nreq,
           conc, wall, nreq / wall, lat[nreq / 2] * 1e3, lat[(int)(nreq * 0.99)] * 1e3, atomic_load(&errors),
           atomic_load(&non2xx));
    for (int i = 0; i < nreq; i++) free(reqs[i].data);
    free(reqs);
    free(lat);
    free(th);
    free(share);
    return atomic_load(&errors) ? 1 : 0;
}
