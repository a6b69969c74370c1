/* tests/e2e/test_attack_http.c - hostile HTTP clients against the real
 * binary: thousands of slow connections from one address, requests that
 * never finish arriving, a flood of refused requests and log injection,
 * oversized bodies that must still read a 413.
 *
 * The attacker is 127.0.0.2 (a raw socket bound to it), the provider
 * 127.0.0.1. Every wait polls with a bound. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "../common/harness.h"

#define ATTACKER       "127.0.0.2"
#define SLOW_CONNS     4000 /* the old connection limit, all from one address */
#define DEFAULT_PER_IP 256  /* [server] max_connections_per_ip's default */

static struct gw_proc G; /* defaults: max_connections_per_ip and request_timeout not set */
static struct gw_proc T; /* request_timeout = 2, max_connections_per_ip = 8 */

/* ---- small helpers ---------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A TCP connection to 127.0.0.1:port from source address src (NULL: any).
 * Returns the socket or -1. */
static int tcp_open(const char *src, int port, int nonblock)
{
    int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) return -1;
    if (src) {
        int one = 1;
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        struct sockaddr_in a = {.sin_family = AF_INET};
        inet_pton(AF_INET, src, &a.sin_addr);
        if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) goto fail;
    }
    struct sockaddr_in d = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &d.sin_addr);
    if (connect(fd, (struct sockaddr *)&d, sizeof d) != 0 && errno != EINPROGRESS) goto fail;
    return fd;
fail:
    close(fd);
    return -1;
}

/* Writes all n bytes; 0, or the errno of the failed write. */
static int send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return errno;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* 1 when the server has closed fd (end of stream or reset). */
static int peer_closed(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return 1;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINPROGRESS || errno == ENOTCONN)) return 0;
    return n < 0;
}

/* Reads until the server closes or timeout_ms pass; returns the bytes
 * read (NUL-terminated in buf), or -1 on a reset before any byte. */
static ssize_t read_until_close(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t got = 0;
    double end = now_s() + timeout_ms / 1000.0;
    while (got + 1 < cap) {
        int left = (int)((end - now_s()) * 1000);
        if (left <= 0) break;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, left) <= 0) break;
        ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && got == 0) return -1;
        if (n <= 0) break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    return (ssize_t)got;
}

/* Seconds until the server closes fd while one byte of junk header is
 * sent every step_ms; -1 when it was still open after limit_s. */
static double dribble_until_closed(int fd, int step_ms, double limit_s)
{
    double t0 = now_s();
    while (now_s() - t0 < limit_s) {
        if (peer_closed(fd) || send(fd, "a", 1, MSG_NOSIGNAL) < 0) return now_s() - t0;
        pause_ms(step_ms);
    }
    return -1;
}

/* A signed generic-channel SMS as raw HTTP/1.1 (Connection: close). */
static size_t signed_request(const char *id, char *out, size_t cap)
{
    char body[200], sig[65];
    int bl = snprintf(body, sizeof body, "id=%s&from=%%2B8613912340001&to=10690000&text=hello", id);
    hmac_sha256_hex(GENERIC_SECRET, body, (size_t)bl, sig);
    return (size_t)snprintf(out, cap,
                            "POST /hooks/generic/sms HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n"
                            "Content-Type: application/x-www-form-urlencoded\r\nX-Signature: %s\r\n"
                            "Content-Length: %d\r\n\r\n%s",
                            sig, bl, body);
}

/* POSTs a signed SMS with curl, bounded to timeout_ms; returns the status
 * (0 on a transport failure) and the seconds it took in *took. */
static long post_timed(int port, const char *id, long timeout_ms, double *took)
{
    char body[200], sig[65], sighdr[90], url[64];
    int bl = snprintf(body, sizeof body, "id=%s&from=%%2B8613912340002&to=10690000&text=hello", id);
    hmac_sha256_hex(GENERIC_SECRET, body, (size_t)bl, sig);
    snprintf(sighdr, sizeof sighdr, "X-Signature: %s", sig);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hooks/generic/sms", port);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, sighdr);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fwrite);
    FILE *null = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, null);
    double t0 = now_s();
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    *took = now_s() - t0;
    fclose(null);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

static size_t log_size(const struct gw_proc *g)
{
    size_t len = 0;
    free(read_file(g->log, &len));
    return len;
}

/* Lines of g's log from byte `from` on that contain needle. */
static int log_count(const struct gw_proc *g, size_t from, const char *needle)
{
    size_t len = 0;
    char *text = read_file(g->log, &len);
    int n = 0;
    for (const char *p = text && from < len ? text + from : ""; (p = strstr(p, needle)); p += strlen(needle)) n++;
    free(text);
    return n;
}

/* ---- set-up ------------------------------------------------------------------- */

static int setup(void **state)
{
    /* Thousands of sockets: take the hard limit (the gateway does the same). */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (gwp_init(&G, NULL, 0) != 0 || gwp_start(&G) != 0) return -1;
    if (gwp_init(&T, "[server]\nrequest_timeout = 2\nmax_connections_per_ip = 8\n", 0) != 0) return -1;
    return gwp_start(&T);
}

static int teardown(void **state)
{
    /* A clean stop after all of it (and, in a sanitizer build, no leak). */
    int g = G.pid ? gwp_stop(&G, SIGTERM) : -1, t = T.pid ? gwp_stop(&T, SIGTERM) : -1;
    if (g != 0 || t != 0) fprintf(stderr, "gateway exit status %d and %d after SIGTERM\n", g, t);
    gwp_cleanup(&G);
    gwp_cleanup(&T);
    curl_global_cleanup();
    return g == 0 && t == 0 ? 0 : -1;
}

/* ---- log lines ------------------------------------------------------------------ */

static void logged_values_cannot_forge_lines(void **state)
{
    size_t from = log_size(&G);
    /* The voice step comes from the URL, decoded: a newline and a fake line. */
    struct http_resp r;
    assert_int_equal(http_req(G.port, "GET", "/hooks/twilio/voice/x%0a2031-01-01T00:00:00.000Z%20error%20forged%1b[2J",
                              NULL, NULL, 0, &r),
                     0);
    assert_int_equal(r.status, 404);
    http_resp_free(&r);
    assert_int_equal(log_count(&G, from, "\n2031-01-01T00:00:00.000Z error forged"), 0);
    assert_int_equal(log_count(&G, from, "\x1b"), 0);
    assert_int_equal(log_count(&G, from, "voice/x\\x0a2031-01-01T00:00:00.000Z error forged\\x1b[2J"), 1);
}

static void refused_flood_is_summarised(void **state)
{
    size_t from = log_size(&T);
    /* One keep-alive connection, a request with a wrong signature after
     * another (on T, where nothing was refused before: a fresh interval). */
    enum { FLOOD = 3000 };
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hooks/generic/sms", T.port);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "X-Signature: 00");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "id=f&from=1&text=x");
    FILE *null = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fwrite);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, null);
    double t0 = now_s();
    int refused = 0;
    for (int i = 0; i < FLOOD; i++) {
        long status = 0;
        if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (status != 403) break;
        refused++;
    }
    double took = now_s() - t0;
    fclose(null);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    assert_int_equal(refused, FLOOD);
    struct http_resp m;
    assert_int_equal(http_req(T.port, "GET", "/metrics", NULL, NULL, 0, &m), 0);
    const char *counter = strstr(m.body, "gateway_http_requests_total{channel=\"generic\",status=\"403\"} ");
    assert_non_null(counter);
    assert_true(atoi(strchr(counter, '}') + 2) >= FLOOD);
    http_resp_free(&m);
    int lines = log_count(&T, from, "\n");
    print_message("flood: %d refused requests in %.2f s wrote %d log lines\n", FLOOD, took, lines);
    assert_true(lines <= 8);
    /* The summary comes once the interval is over, though nothing else happens. */
    double t1 = now_s();
    while (log_count(&T, from, "more requests refused") == 0 && now_s() - t1 < 15) pause_ms(50);
    print_message("flood: summary after %.1f s of quiet\n", now_s() - t1);
    int written = log_count(&T, from, "http: refused status=403 channel=generic route=sms reason=");
    char summary[128], counts[128];
    snprintf(summary, sizeof summary, "http: %d more requests refused in the last ", FLOOD - written);
    snprintf(counts, sizeof counts, " s: 403 channel=generic route=sms x %d\n", FLOOD - written);
    assert_int_equal(log_count(&T, from, summary), 1);
    assert_int_equal(log_count(&T, from, counts), 1);
}

/* ---- 413 ---------------------------------------------------------------------------- */

/* Sends headers and then the whole body (in pieces, as a slow uploader
 * would), then reads the answer. Fails the test on a reset while sending. */
static void send_big_then_read(const char *headers, const char *body, size_t n, char *resp, size_t cap)
{
    int fd = tcp_open(NULL, G.port, 0);
    assert_true(fd >= 0);
    assert_int_equal(send_all(fd, headers, strlen(headers)), 0);
    for (size_t off = 0; off < n; off += 16384) {
        size_t k = n - off < 16384 ? n - off : 16384;
        int e = send_all(fd, body + off, k);
        if (e) fail_msg("reset after %zu of %zu body bytes: %s", off, n, strerror(e));
        pause_ms(5);
    }
    ssize_t got = read_until_close(fd, resp, cap, 5000);
    close(fd);
    if (got <= 0) fail_msg("no answer after the whole body (%zd)", got);
}

static void oversized_body_reads_413(void **state)
{
    enum { BIG = 256 * 1024 };
    char *body = malloc(BIG);
    memset(body, 'a', BIG);
    char headers[256], resp[4096];
    snprintf(headers, sizeof headers,
             "POST /hooks/generic/sms HTTP/1.1\r\nHost: gw\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             "Content-Length: %d\r\n\r\n",
             BIG);
    for (int i = 0; i < 3; i++) {
        send_big_then_read(headers, body, BIG, resp, sizeof resp);
        assert_int_equal(strncmp(resp, "HTTP/1.1 413", 12), 0);
        assert_non_null(strstr(resp, "body too large"));
        assert_non_null(strcasestr(resp, "\r\nConnection: close\r\n"));
    }
    /* The same body chunked: the size is known only as it grows. */
    size_t cn = 0;
    char *chunked = malloc(BIG + 4096);
    for (size_t off = 0; off < BIG; off += 8192) cn += (size_t)sprintf(chunked + cn, "2000\r\n%.8192s\r\n", body + off);
    cn += (size_t)sprintf(chunked + cn, "0\r\n\r\n");
    const char *ch = "POST /hooks/generic/sms HTTP/1.1\r\nHost: gw\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n";
    send_big_then_read(ch, chunked, cn, resp, sizeof resp);
    assert_int_equal(strncmp(resp, "HTTP/1.1 413", 12), 0);
    assert_non_null(strstr(resp, "body too large"));
    free(chunked);
    free(body);
    /* A client that waits for 100 Continue gets the 413 instead, at once. */
    int fd = tcp_open(NULL, G.port, 0);
    assert_true(fd >= 0);
    snprintf(headers, sizeof headers,
             "POST /hooks/generic/sms HTTP/1.1\r\nHost: gw\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", BIG);
    assert_int_equal(send_all(fd, headers, strlen(headers)), 0);
    assert_true(read_until_close(fd, resp, sizeof resp, 5000) > 0);
    close(fd);
    assert_int_equal(strncmp(resp, "HTTP/1.1 413", 12), 0);
}

static void endless_body_is_cut_off(void **state)
{
    /* A chunked body that never ends is not read forever. */
    int fd = tcp_open(NULL, G.port, 0);
    assert_true(fd >= 0);
    const char *h = "POST /hooks/generic/sms HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_int_equal(send_all(fd, h, strlen(h)), 0);
    enum { CHUNK = 65536, LIMIT = 64 << 20 };
    char *chunk = malloc(CHUNK + 16);
    int cl = sprintf(chunk, "%x\r\n", CHUNK);
    memset(chunk + cl, 'b', CHUNK);
    memcpy(chunk + cl + CHUNK, "\r\n", 2);
    size_t sent = 0;
    double t0 = now_s();
    int cut = 0;
    while (sent < LIMIT && now_s() - t0 < 20) {
        if (send_all(fd, chunk, (size_t)cl + CHUNK + 2) != 0 || peer_closed(fd)) {
            cut = 1;
            break;
        }
        sent += CHUNK;
    }
    close(fd);
    free(chunk);
    print_message("endless body: cut off after %zu KiB\n", sent / 1024);
    assert_true(cut);
    assert_true(sent < (32u << 20));
    struct http_resp r;
    assert_int_equal(http_req(G.port, "GET", "/healthz", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
}

/* ---- slow clients ---------------------------------------------------------------------- */

struct slowloris {
    int port;
    int fds[SLOW_CONNS];
    atomic_int opened;  /* connections started */
    atomic_int stop;    /* set by the test */
};

/* Opens SLOW_CONNS connections from ATTACKER, then sends one header byte
 * on each about every second until told to stop. */
static void *slowloris_main(void *arg)
{
    struct slowloris *sl = arg;
    static const char req[] = "POST /hooks/generic/sms HTTP/1.1\r\nHost: gw\r\nX-Pad: ";
    for (int i = 0; i < SLOW_CONNS; i++) {
        sl->fds[i] = tcp_open(ATTACKER, sl->port, 1);
        atomic_store(&sl->opened, i + 1);
    }
    int step = 0;
    while (!atomic_load(&sl->stop)) {
        /* A twentieth of the connections every 50 ms. */
        for (int i = step % 20; i < SLOW_CONNS; i += 20) {
            if (sl->fds[i] < 0) continue;
            int pos = step / 20;
            char c = pos < (int)sizeof req - 1 ? req[pos] : 'a';
            if (send(sl->fds[i], &c, 1, MSG_NOSIGNAL) < 0 && errno != EAGAIN && errno != ENOTCONN) {
                close(sl->fds[i]);
                sl->fds[i] = -1;
            }
        }
        step++;
        pause_ms(50);
    }
    return NULL;
}

static void slow_clients_do_not_block_webhooks(void **state)
{
    struct slowloris *sl = calloc(1, sizeof *sl);
    sl->port = G.port;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, slowloris_main, sl), 0);
    /* Every connection started and a first round of bytes sent. */
    double t0 = now_s();
    while (atomic_load(&sl->opened) < SLOW_CONNS && now_s() - t0 < 20) pause_ms(20);
    assert_int_equal(atomic_load(&sl->opened), SLOW_CONNS);
    pause_ms(1100);
    double took = 0, worst = 0;
    int answered = 0;
    for (int i = 0; i < 5; i++) {
        char id[32];
        snprintf(id, sizeof id, "slow-%d", i);
        long status = post_timed(G.port, id, 5000, &took);
        print_message("webhook from 127.0.0.1 during %d slow connections: %ld in %.3f s\n", SLOW_CONNS, status, took);
        answered += status == 200;
        if (took > worst) worst = took;
        if (status != 200) break;
    }
    /* The attacker holds at most the per-address share. */
    int open = SLOW_CONNS;
    double t1 = now_s();
    while (now_s() - t1 < 3) {
        open = 0;
        for (int i = 0; i < SLOW_CONNS; i++) open += sl->fds[i] >= 0 && !peer_closed(sl->fds[i]);
        if (open <= DEFAULT_PER_IP) break;
        pause_ms(100);
    }
    print_message("connections from %s still open: %d of %d\n", ATTACKER, open, SLOW_CONNS);
    /* Let go before judging, so a failure here leaves the gateway usable. */
    atomic_store(&sl->stop, 1);
    pthread_join(th, NULL);
    for (int i = 0; i < SLOW_CONNS; i++)
        if (sl->fds[i] >= 0) close(sl->fds[i]);
    free(sl);
    assert_int_equal(answered, 5);
    assert_true(worst < 2.0);
    assert_true(open <= DEFAULT_PER_IP);
    struct http_resp r;
    assert_int_equal(http_req(G.port, "GET", "/healthz", NULL, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
}

static void one_address_gets_its_share_only(void **state)
{
    enum { N = 20 };
    int fds[N];
    for (int i = 0; i < N; i++) assert_true((fds[i] = tcp_open(ATTACKER, T.port, 0)) >= 0);
    int closed = 0;
    double t0 = now_s();
    while (now_s() - t0 < 1.5) {
        closed = 0;
        for (int i = 0; i < N; i++) closed += peer_closed(fds[i]);
        if (closed >= N - 8) break;
        pause_ms(10);
    }
    /* Another address is served meanwhile. */
    double took;
    long status = post_timed(T.port, "share-1", 5000, &took);
    for (int i = 0; i < N; i++) close(fds[i]);
    assert_int_equal(closed, N - 8); /* max_connections_per_ip = 8, well before request_timeout */
    assert_int_equal(status, 200);
}

static void request_must_arrive_within_timeout(void **state)
{
    /* Headers one byte at a time: libmicrohttpd's idle timeout never fires. */
    int fd = tcp_open(NULL, T.port, 0);
    assert_true(fd >= 0);
    assert_int_equal(send_all(fd, "POST /hooks/generic/sms HTTP/1.1\r\nX-Pad: ", 41), 0);
    double t = dribble_until_closed(fd, 100, 8);
    close(fd);
    print_message("dribbling headers: closed after %.2f s (request_timeout 2)\n", t);
    assert_true(t >= 1.5 && t < 4);

    /* A whole head, then a body that never ends. */
    fd = tcp_open(NULL, T.port, 0);
    assert_true(fd >= 0);
    const char *h = "POST /hooks/generic/sms HTTP/1.1\r\nHost: gw\r\nContent-Length: 1000\r\n\r\n";
    assert_int_equal(send_all(fd, h, strlen(h)), 0);
    t = dribble_until_closed(fd, 100, 8);
    close(fd);
    assert_true(t >= 1.5 && t < 4);

    /* Kept alive: the next request's time starts when the previous answer went. */
    fd = tcp_open(NULL, T.port, 0);
    assert_true(fd >= 0);
    const char *get = "GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n";
    assert_int_equal(send_all(fd, get, strlen(get)), 0);
    char buf[512];
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 5000), 1);
    assert_true(recv(fd, buf, sizeof buf - 1, 0) > 0);
    assert_int_equal(strncmp(buf, "HTTP/1.1 200", 12), 0);
    pause_ms(1000); /* quiet, then the next request dribbles */
    t = dribble_until_closed(fd, 100, 8);
    close(fd);
    assert_true(t >= 0.5 && t < 3);

    /* Slow, but whole in time: answered. */
    fd = tcp_open(NULL, T.port, 0);
    assert_true(fd >= 0);
    char req[1024];
    size_t n = signed_request("in-time-1", req, sizeof req);
    size_t head = (size_t)(strstr(req, "\r\n\r\n") + 4 - req);
    assert_int_equal(send_all(fd, req, head), 0);
    pause_ms(800);
    assert_int_equal(send_all(fd, req + head, n - head), 0);
    char resp[2048];
    assert_true(read_until_close(fd, resp, sizeof resp, 5000) > 0);
    close(fd);
    assert_int_equal(strncmp(resp, "HTTP/1.1 200", 12), 0);
}

static void waiting_for_the_store_is_not_a_timeout(void **state)
{
    /* The store is busy for longer than request_timeout: a request that
     * arrived whole waits for it and is answered. */
    struct db_lock *lock = db_lock(T.db);
    assert_non_null(lock);
    int fd = tcp_open(NULL, T.port, 0);
    assert_true(fd >= 0);
    char req[1024];
    size_t n = signed_request("waits-1", req, sizeof req);
    assert_int_equal(send_all(fd, req, n), 0);
    pause_ms(3500); /* the store stays locked past the 2 s deadline */
    assert_false(peer_closed(fd));
    db_unlock(lock);
    char resp[2048];
    assert_true(read_until_close(fd, resp, sizeof resp, 5000) > 0);
    close(fd);
    assert_int_equal(strncmp(resp, "HTTP/1.1 200", 12), 0);
    assert_int_equal(db_int(T.db, "SELECT count(*) FROM inbox WHERE provider_id = 'waits-1'"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(logged_values_cannot_forge_lines),
        cmocka_unit_test(oversized_body_reads_413),
        cmocka_unit_test(endless_body_is_cut_off),
        cmocka_unit_test(slow_clients_do_not_block_webhooks),
        cmocka_unit_test(one_address_gets_its_share_only),
        cmocka_unit_test(request_must_arrive_within_timeout),
        cmocka_unit_test(waiting_for_the_store_is_not_a_timeout),
        cmocka_unit_test(refused_flood_is_summarised),
    };
    return cmocka_run_group_tests_name("e2e hostile http", tests, setup, teardown);
}
