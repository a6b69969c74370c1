/* gateway/fetcher.c - the recordings' fetch loop.
 *
 * Threads: everything here runs on the fetcher's own thread except
 * fetcher_wake (any thread: event_active is thread-safe with
 * evthread_use_pthreads) and fetcher_start/fetcher_stop (the main thread,
 * before the thread starts and after it has been joined).
 *
 * Transfers run on a curlloop, as the sender's do (curl multi on this
 * thread's libevent base, the hiperfifo pattern); finished ones are queued
 * by on_done (their easy handles freed there) and recorded by pump, which also claims
 * and starts new ones. The slow work of a finished transfer (fsync of the
 * file, rename, fsync of the folder, reading who was alerted) happens
 * before pump opens its transaction; every database write of a round is
 * one transaction: results, notices, then claims. A claim is committed
 * before its request leaves, so after a crash the row is found "fetching"
 * and fetched again; the final file name depends only on the row and the
 * content type, so a second fetch replaces the first file whole (rename is
 * atomic).
 *
 * Invariants: a transfer's temporary file exists from build until the
 * transfer is freed or renamed; a row is "fetching" exactly while its
 * transfer is in f->active or f->done (or the process died).
 */
#include "fetcher.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../core/store.h"
#include "../core/util.h"
#include "../handlers/templates.h"
#include "../providers/provider.h"
#include "curlloop.h"
#include "sender.h"
#include "store_open.h"

#define TICK_MS         1000      /* how often due rows are looked for without a wake-up */
#define MAX_IN_FLIGHT   4         /* recordings on the wire at once */
#define FETCHER_NOT_YET 300       /* seconds a 404 counts as "not published yet" and is retried */
#define ERROR_BODY_CAP  65536     /* bytes of a non-2xx answer read (and dropped) at most */
#define MAX_RECIPIENTS  32        /* responders told of one recording, at most */
#define TMP_PREFIX      ".fetch-" /* temporary files in the media folder */

enum outcome { OUT_OK, OUT_RETRY, OUT_FAIL };

struct xfer {
    struct fetcher *f;
    int64_t id;           /* media row */
    int attempt;          /* this attempt's number (1-based) */
    int64_t created_at;   /* row age, for max_age */
    int64_t case_id;      /* 0 = none */
    char case_number[32]; /* "" = none */
    char stem[48];        /* file name before "-<id>.<ext>": the case number, or case-<id> */
    CURL *easy;           /* NULL once finished */
    struct curl_slist *headers;
    struct prov_http req; /* owned: the request as built */
    char tmp[4096];       /* temporary file; "" once renamed or removed */
    FILE *fp;             /* open on tmp until settled */
    EVP_MD_CTX *md;       /* SHA-256 of the bytes written */
    int64_t bytes;        /* body bytes written to fp */
    int status_seen;      /* 1 once the first body bytes told the HTTP status */
    int body_ok;          /* 1: the answer is 2xx, its body goes to the file */
    size_t dropped;       /* bytes of a non-2xx body read and dropped */
    int too_big;          /* the body passed FETCHER_MAX_BYTES */
    int io_errno;         /* errno of a failed write, 0 = none */
    CURLcode result;      /* transport result when done */
    long http;            /* HTTP status when done (0: none) */
    char ctype[128];      /* Content-Type of the answer, printable ASCII, "" when none */
    int allow_local;      /* the channel's media_allow_local_for_tests */
    char refused[160];    /* "" or why an address curl was to connect to was refused */
    /* Set by settle, once: */
    int settled;
    enum outcome out;
    char error[300];                      /* why it failed or is retried */
    char path[4200];                      /* OUT_OK: the final file */
    char sha256[65];                      /* OUT_OK: lower-case hex */
    struct store_media_recipient *recips; /* OUT_OK: who to tell (owned) */
    int nrecips;
    struct xfer *next; /* in f->active or f->done */
};

struct fetcher {
    const struct gw_config *cfg; /* borrowed, frozen */
    struct metrics *metrics;     /* borrowed, may be NULL */
    struct store *st;            /* owned, this thread only */
    struct event_base *base;
    struct event *tick;    /* periodic look for due rows */
    struct event *wake;    /* activated by fetcher_wake */
    struct curlloop *loop; /* curl multi on this base */
    struct xfer *active;   /* on the wire */
    int in_flight;         /* length of active */
    struct xfer *done;     /* finished, not yet recorded */
    unsigned seed;         /* jitter, this thread only */
    double recovered_at;   /* last look for fetches a dead process left (shared store) */
    pthread_t thread;
    pthread_mutex_t lock;
    int stopping; /* under lock */
};

/* ---- pure helpers ------------------------------------------------------------ */

const char *fetcher_ext(const char *ct)
{
    static const struct {
        const char *type, *ext;
    } map[] = {
        {"audio/mpeg", "mp3"}, {"audio/mp3", "mp3"},   {"audio/mpeg3", "mp3"}, {"audio/x-mpeg-3", "mp3"},
        {"audio/wav", "wav"},  {"audio/x-wav", "wav"}, {"audio/wave", "wav"},  {"audio/vnd.wave", "wav"},
    };
    if (!ct) return "bin";
    while (*ct == ' ' || *ct == '\t') ct++;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) n--;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strlen(map[i].type) == n && !strncasecmp(ct, map[i].type, n)) return map[i].ext;
    return "bin";
}

int fetcher_host_matches(const char *const *patterns, const char *host)
{
    if (!host || !*host) return 0;
    size_t hn = strlen(host);
    for (const char *const *p = patterns; p && *p; p++) {
        const char *pat = *p;
        if (!strncmp(pat, "*.", 2)) {
            size_t dn = strlen(pat + 1); /* ".domain" */
            if (hn > dn && !strcasecmp(host + hn - dn, pat + 1)) return 1;
        } else if (!strcasecmp(host, pat)) {
            return 1;
        }
    }
    return 0;
}

int fetcher_url_check(const struct gw_channel *ch, const char *url, char *err, size_t errlen)
{
    if (!ch) {
        gw_err(err, errlen, "refusing a recording of a channel that is not configured");
        return -1;
    }
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = -1;
    if (!url || !u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host) {
        gw_err(err, errlen, "refusing a recording URL that is not https");
    } else if (strcasecmp(scheme, "https") && (strcasecmp(scheme, "http") || !ch->media_test_local)) {
        gw_err(err, errlen, "refusing a recording URL that is not https");
    } else {
        const char *const *hosts = (const char *const *)ch->media_hosts;
        if (!hosts && ch->ops) hosts = ch->ops->media_hosts;
        if (fetcher_host_matches(hosts, host))
            rc = 0;
        else
            gw_err(err, errlen, "refusing a recording from %.80s: not in [channel %s] media_hosts", host, ch->name);
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

/* The kind of IPv4 address a (host order) that a fetch must not reach, or
 * NULL for a public unicast one. */
static const char *ipv4_kind(uint32_t a, int allow_loopback)
{
    static const struct {
        uint32_t net, mask;
        const char *kind;
    } deny[] = {
        {0x00000000, 0xff000000, "an unspecified address"},   /* 0/8 "this network" */
        {0x7f000000, 0xff000000, "a loopback address"},       /* 127/8 */
        {0x0a000000, 0xff000000, "a private address"},        /* 10/8 */
        {0xac100000, 0xfff00000, "a private address"},        /* 172.16/12 */
        {0xc0a80000, 0xffff0000, "a private address"},        /* 192.168/16 */
        {0x64400000, 0xffc00000, "a shared (CGNAT) address"}, /* 100.64/10 */
        {0xa9fe0000, 0xffff0000, "a link-local address"},     /* 169.254/16 */
        {0xc0000000, 0xffffff00, "a reserved address"},       /* 192.0.0/24 */
        {0xc0000200, 0xffffff00, "a reserved address"},       /* 192.0.2/24 documentation */
        {0xc6120000, 0xfffe0000, "a reserved address"},       /* 198.18/15 benchmarking */
        {0xc6336400, 0xffffff00, "a reserved address"},       /* 198.51.100/24 documentation */
        {0xcb007100, 0xffffff00, "a reserved address"},       /* 203.0.113/24 documentation */
        {0xe0000000, 0xf0000000, "a multicast address"},      /* 224/4 */
        {0xf0000000, 0xf0000000, "a reserved address"},       /* 240/4 and the broadcast address */
    };
    if (allow_loopback && (a >> 24) == 127) return NULL;
    for (size_t i = 0; i < sizeof deny / sizeof deny[0]; i++)
        if ((a & deny[i].mask) == deny[i].net) return deny[i].kind;
    return NULL;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const char *ipv6_kind(const unsigned char *b, int allow_loopback)
{
    static const unsigned char zero[12] = {0};
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    if (!memcmp(b, zero, 12)) {
        uint32_t v4 = be32(b + 12);
        if (v4 == 0) return "an unspecified address";
        if (v4 == 1) return allow_loopback ? NULL : "a loopback address";
        return ipv4_kind(v4, allow_loopback); /* IPv4-compatible */
    }
    if (!memcmp(b, mapped, 12) || !memcmp(b, nat64, 12)) return ipv4_kind(be32(b + 12), allow_loopback);
    if (b[0] == 0x20 && b[1] == 0x02) return ipv4_kind(be32(b + 2), allow_loopback); /* 6to4 */
    if ((b[0] & 0xfe) == 0xfc) return "a private address";                           /* fc00::/7 */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "a link-local address";        /* fe80::/10 */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return "a private address";           /* fec0::/10 */
    if (b[0] == 0xff) return "a multicast address";
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0 && b[5] == 1)
        return "a private address"; /* 64:ff9b:1::/48, local NAT64 */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return "a reserved address"; /* 2001:db8::/32 */
    if (b[0] == 0x01 && b[1] == 0x00 && !memcmp(b + 2, zero, 6)) return "a reserved address";      /* 100::/64 */
    return NULL;
}

int fetcher_addr_allowed(const struct sockaddr *sa, int allow_loopback, char *why, size_t whylen)
{
    const char *kind;
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        kind = ipv4_kind(ntohl(in->sin_addr.s_addr), allow_loopback);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        kind = ipv6_kind(in6->sin6_addr.s6_addr, allow_loopback);
    } else {
        kind = "not an internet address";
    }
    if (kind && why) gw_err(why, whylen, "%s", kind);
    return kind == NULL;
}

/* The case number when it is a plain token, else case-<id>, or "media"
 * for a recording linked to no case. */
static void file_stem(const struct store_media *r, char *out, size_t outlen)
{
    const char *num = r->case_number;
    int plain = num && *num && strlen(num) < 24;
    for (const char *p = num; plain && *p; p++)
        plain = (*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '-';
    if (plain)
        snprintf(out, outlen, "%s", num);
    else if (r->case_id)
        snprintf(out, outlen, "case-%lld", (long long)r->case_id);
    else
        snprintf(out, outlen, "media");
}

/* mkdir -p with mode 0700 for what is created. 0 or -1 with errno. */
static int make_dirs(const char *path)
{
    char buf[4096];
    if (gw_strlcpy(buf, path, sizeof buf) != 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0700) != 0 && errno != EEXIST) return -1;
            *p = c;
            if (!c) break;
        }
    }
    struct stat sb;
    if (stat(path, &sb) != 0) return -1;
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Removes the temporary files a process that stopped mid-fetch left. */
static void remove_leftovers(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0) continue;
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (unlink(p) == 0) n++;
    }
    closedir(d);
    if (n) gw_warn("fetcher: removed %d unfinished recording file%s", n, n == 1 ? "" : "s");
}

/* ---- curl plumbing --------------------------------------------------------- */

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct xfer *x = arg;
    size_t n = size * nmemb;
    if (!x->status_seen) {
        long code = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
        x->body_ok = code >= 200 && code <= 299;
        x->status_seen = 1;
    }
    if (!x->body_ok) {
        /* An error page: read a little of it (its status decides), keep none. */
        if (n > ERROR_BODY_CAP - x->dropped) return 0;
        x->dropped += n;
        return n;
    }
    if (n > (size_t)(FETCHER_MAX_BYTES - x->bytes)) {
        x->too_big = 1;
        return 0; /* aborts the transfer */
    }
    if (fwrite(ptr, 1, n, x->fp) != n) {
        x->io_errno = errno ? errno : EIO;
        return 0;
    }
    EVP_DigestUpdate(x->md, ptr, n);
    x->bytes += (int64_t)n;
    return n;
}

/* curl is about to connect to a: only a public address (or, for a channel
 * set up for tests, a loopback one) gets a socket. This sees the address
 * actually used, after any DNS answer, so no resolver trick gets around it. */
static curl_socket_t on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct xfer *x = arg;
    char why[64];
    if (purpose == CURLSOCKTYPE_IPCXN && fetcher_addr_allowed(&a->addr, x->allow_local, why, sizeof why))
        return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (purpose != CURLSOCKTYPE_IPCXN) gw_strlcpy(why, "not an outgoing connection", sizeof why);
    char host[INET6_ADDRSTRLEN] = "?";
    if (a->family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)&a->addr)->sin_addr, host, sizeof host);
    else if (a->family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&a->addr)->sin6_addr, host, sizeof host);
    gw_err(x->refused, sizeof x->refused, "refusing to connect to %s: %s", host, why);
    return CURL_SOCKET_BAD;
}

static void unlink_active(struct fetcher *f, struct xfer *x)
{
    for (struct xfer **p = &f->active; *p; p = &(*p)->next)
        if (*p == x) {
            *p = x->next;
            f->in_flight--;
            return;
        }
}

/* A transfer finished (curlloop's callback, on this thread). */
static void on_done(void *arg, CURL *easy, CURLcode result)
{
    struct fetcher *f = arg;
    struct xfer *x;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
    x->result = result;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &x->http);
    char *ct = NULL;
    if (curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct) {
        size_t i = 0;
        for (; ct[i] && i + 1 < sizeof x->ctype; i++) x->ctype[i] = ct[i] >= 0x20 && ct[i] < 0x7f ? ct[i] : '?';
        x->ctype[i] = '\0';
    }
    curl_easy_cleanup(easy);
    x->easy = NULL;
    unlink_active(f, x);
    x->next = f->done;
    f->done = x;
    event_active(f->wake, EV_READ, 0);
}

/* ---- transfers ----------------------------------------------------------------- */

static void xfer_free(struct xfer *x)
{
    if (!x) return;
    if (x->easy) curl_easy_cleanup(x->easy);
    if (x->fp) fclose(x->fp);
    if (x->tmp[0]) unlink(x->tmp);
    EVP_MD_CTX_free(x->md);
    curl_slist_free_all(x->headers);
    prov_http_free(&x->req);
    free(x->recips);
    free(x);
}

/* Builds the transfer of a claimed row. Returns it, or NULL with err and
 * *retry (1: a local problem worth another attempt; 0: this URL or channel
 * can never be fetched). */
static struct xfer *build(struct fetcher *f, const struct store_media *r, char *err, size_t errlen, int *retry)
{
    *retry = 0;
    struct xfer *x = gw_calloc(1, sizeof *x);
    x->f = f;
    x->id = r->id;
    x->attempt = r->attempts + 1;
    x->created_at = r->created_at;
    x->case_id = r->case_id;
    gw_strlcpy(x->case_number, r->case_number ? r->case_number : "", sizeof x->case_number);
    file_stem(r, x->stem, sizeof x->stem);
    const struct gw_channel *ch = r->channel ? gw_config_channel(f->cfg, r->channel) : NULL;
    /* The URL as announced and as the provider's hook rewrites it must
     * both pass: credentials are prepared only for an allowed one. */
    if (fetcher_url_check(ch, r->url, err, errlen) != 0) goto fail;
    x->allow_local = ch->media_test_local;
    if (ch->ops && ch->ops->build_fetch) {
        if (ch->ops->build_fetch(ch, r->url, &x->req, err, errlen) != PROV_OK) goto fail;
    } else {
        x->req.url = gw_strdup(r->url);
    }
    x->req.method = "GET";
    if (fetcher_url_check(ch, x->req.url, err, errlen) != 0) goto fail;
    if (snprintf(x->tmp, sizeof x->tmp, "%s/" TMP_PREFIX "%lld-XXXXXX", f->cfg->policy.media_dir, (long long)r->id) >=
        (int)sizeof x->tmp) {
        x->tmp[0] = '\0';
        gw_err(err, errlen, "media_dir path too long");
        goto fail;
    }
    int fd = mkostemp(x->tmp, O_CLOEXEC); /* created 0600: a recording is personal data */
    if (fd < 0) {
        gw_err(err, errlen, "cannot create a file in %s: %s", f->cfg->policy.media_dir, strerror(errno));
        x->tmp[0] = '\0';
        *retry = 1;
        goto fail;
    }
    x->fp = fdopen(fd, "wb");
    x->md = EVP_MD_CTX_new();
    if (!x->fp || !x->md || EVP_DigestInit_ex(x->md, EVP_sha256(), NULL) != 1) {
        if (!x->fp) close(fd);
        gw_err(err, errlen, "cannot prepare the recording file");
        *retry = 1;
        goto fail;
    }
    return x;
fail:
    xfer_free(x);
    return NULL;
}

static void start(struct fetcher *f, struct xfer *x)
{
    const struct gw_sender_cfg *sc = &f->cfg->sender;
    CURL *e = curl_easy_init();
    x->easy = e;
    curl_easy_setopt(e, CURLOPT_URL, x->req.url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, x->allow_local ? "http,https" : "https");
    /* Every connection is opened here and checked: no proxy from the
     * environment, no connection kept from an earlier fetch. */
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)sc->timeout * 4);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)(sc->timeout < 10 ? sc->timeout : 10));
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)FETCHER_MAX_BYTES);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    if (x->req.userpwd) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERPWD, x->req.userpwd);
    }
    const char *h = gw_buf_cstr(&x->req.headers);
    while (*h) {
        const char *nl = strchr(h, '\n');
        size_t n = nl ? (size_t)(nl - h) : strlen(h);
        if (n) {
            char *line = gw_strndup(h, n);
            x->headers = curl_slist_append(x->headers, line);
            free(line);
        }
        h += n + (nl ? 1 : 0);
    }
    if (x->headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    x->next = f->active;
    f->active = x;
    f->in_flight++;
    if (curlloop_add(f->loop, e) != 0) on_done(f, e, CURLE_FAILED_INIT);
}

/* ---- results ------------------------------------------------------------------- */

/* Decides a finished transfer's outcome and, for a good one, makes its
 * file durable under its final name and reads who to tell. Runs once per
 * transfer, outside any transaction. */
static void settle(struct fetcher *f, struct xfer *x)
{
    if (x->settled) return;
    x->settled = 1;
    long http = x->http;
    x->out = OUT_RETRY;
    if (x->refused[0] && x->result == CURLE_COULDNT_CONNECT) {
        /* The host pointed at an address a fetch must not reach: final. */
        x->out = OUT_FAIL;
        gw_strlcpy(x->error, x->refused, sizeof x->error);
    } else if (x->io_errno) {
        gw_err(x->error, sizeof x->error, "writing the recording: %s", strerror(x->io_errno));
    } else if (http >= 200 && http <= 299) {
        if (x->too_big || x->result == CURLE_FILESIZE_EXCEEDED) {
            x->out = OUT_FAIL;
            gw_err(x->error, sizeof x->error, "too large: over %ld bytes", FETCHER_MAX_BYTES);
        } else if (x->result != CURLE_OK) {
            gw_err(x->error, sizeof x->error, "%s", curl_easy_strerror(x->result));
        } else if (x->bytes == 0) {
            gw_err(x->error, sizeof x->error, "HTTP %ld with an empty body", http);
        } else {
            x->out = OUT_OK;
        }
    } else if (http >= 300 && http <= 399) {
        x->out = OUT_FAIL;
        gw_err(x->error, sizeof x->error, "HTTP %ld: redirects are not followed", http);
    } else if (http == 408 || http == 429 || (http >= 500 && http <= 599)) {
        gw_err(x->error, sizeof x->error, "HTTP %ld", http);
    } else if (http == 404 && gw_clock_now() - x->created_at < FETCHER_NOT_YET) {
        /* Providers publish a recording a little after announcing it. */
        gw_err(x->error, sizeof x->error, "HTTP 404 (not published yet?)");
    } else if (http > 0) {
        x->out = OUT_FAIL;
        gw_err(x->error, sizeof x->error, "HTTP %ld", http);
    } else {
        if (x->result == CURLE_UNSUPPORTED_PROTOCOL || x->result == CURLE_URL_MALFORMAT) x->out = OUT_FAIL;
        gw_err(x->error, sizeof x->error, "%s", curl_easy_strerror(x->result));
    }

    if (x->out == OUT_OK) {
        const char *dir = f->cfg->policy.media_dir;
        int fd = fileno(x->fp);
        if (fflush(x->fp) != 0 || fsync(fd) != 0) {
            gw_err(x->error, sizeof x->error, "writing the recording: %s", strerror(errno));
            x->out = OUT_RETRY;
        }
        int closed = fclose(x->fp);
        x->fp = NULL;
        if (x->out == OUT_OK && closed != 0) {
            gw_err(x->error, sizeof x->error, "writing the recording: %s", strerror(errno));
            x->out = OUT_RETRY;
        }
        if (x->out == OUT_OK) {
            unsigned char md[EVP_MAX_MD_SIZE];
            unsigned mdlen = 0;
            EVP_DigestFinal_ex(x->md, md, &mdlen);
            gw_hex(md, mdlen, x->sha256);
            snprintf(x->path, sizeof x->path, "%s/%s-%lld.%s", dir, x->stem, (long long)x->id, fetcher_ext(x->ctype));
            if (rename(x->tmp, x->path) != 0 || fsync_dir(dir) != 0) {
                gw_err(x->error, sizeof x->error, "storing the recording: %s", strerror(errno));
                x->out = OUT_RETRY;
            } else {
                x->tmp[0] = '\0'; /* renamed: no longer ours to remove */
            }
        }
    }
    if (x->fp) {
        fclose(x->fp);
        x->fp = NULL;
    }
    if (x->tmp[0]) {
        unlink(x->tmp);
        x->tmp[0] = '\0';
    }
    if (x->out == OUT_OK && x->case_id && x->case_number[0]) {
        x->recips = gw_calloc(MAX_RECIPIENTS, sizeof *x->recips);
        int n = store_media_case_recipients(f->st, x->case_id, x->recips, MAX_RECIPIENTS);
        if (n < 0) {
            gw_error("fetcher: reading who was alerted of case %s: %s", x->case_number, store_errmsg(f->st));
            n = 0;
        }
        x->nrecips = n < MAX_RECIPIENTS ? n : MAX_RECIPIENTS;
    }
}

/* Writes a failed attempt: a retry with backoff while the attempt and age
 * limits allow, else the row fails. */
static void write_failure(struct fetcher *f, int64_t id, int attempt, int64_t created_at, int retry, const char *error,
                          long http, int64_t now)
{
    const struct gw_sender_cfg *sc = &f->cfg->sender;
    char msg[400];
    int64_t next = 0;
    gw_strlcpy(msg, error, sizeof msg);
    if (retry && (attempt >= sc->max_attempts || now - created_at >= sc->max_age)) {
        snprintf(msg, sizeof msg, "gave up after %d attempt%s: %s", attempt, attempt == 1 ? "" : "s", error);
        retry = 0;
    }
    if (retry) {
        double jitter = 0.5 + (double)rand_r(&f->seed) / ((double)RAND_MAX + 1.0);
        next = now + sender_backoff(sc, attempt, jitter);
    }
    gw_info("recording media=%lld attempt=%d http=%ld result=%s error=\"%s\"", (long long)id, attempt, http,
            retry ? "retry" : "failed", msg);
    if (store_media_failed(f->st, id, retry, msg, next, now) != 0)
        gw_error("fetcher: recording the fetch of media %lld: %s", (long long)id, store_errmsg(f->st));
}

/* The case_recording notice to every responder alerted of the case. */
static void queue_notices(struct fetcher *f, struct xfer *x, int64_t now)
{
    struct h_var var = {.name = "case"};
    gw_strlcpy(var.value, x->case_number, sizeof var.value);
    struct gw_buf body = {0};
    char err[160];
    if (tmpl_render(f->cfg, "case_recording", &var, 1, &body, err, sizeof err) != 0) {
        gw_error("fetcher: template case_recording: %s", err);
        gw_buf_free(&body);
        return;
    }
    json_t *vars = json_pack("{s:s}", "case", x->case_number);
    char *vars_json = vars ? json_dumps(vars, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(vars);
    int told = 0;
    for (int i = 0; i < x->nrecips; i++) {
        char key[96];
        snprintf(key, sizeof key, "recording:%lld:%s", (long long)x->id, x->recips[i].phone);
        struct store_outbox_row row = {
            .recipient = x->recips[i].phone,
            .tmpl = "case_recording",
            .vars_json = vars_json,
            .body = gw_buf_cstr(&body),
            .kind = "notice",
            .priority = 2,
            .case_id = x->case_id,
            .dedupe_key = key,
            .not_before = x->recips[i].not_before,
        };
        int rc = store_outbox_insert(f->st, &row, now, NULL);
        if (rc < 0)
            gw_error("fetcher: queueing a recording notice: %s", store_errmsg(f->st));
        else if (rc == 0)
            told++;
    }
    if (told) gw_info("recording media=%lld case=%s notices=%d", (long long)x->id, x->case_number, told);
    free(vars_json);
    gw_buf_free(&body);
}

static void record(struct fetcher *f, struct xfer *x, int64_t now)
{
    if (x->out != OUT_OK) {
        write_failure(f, x->id, x->attempt, x->created_at, x->out == OUT_RETRY, x->error, x->http, now);
        return;
    }
    int rc = store_media_fetched(f->st, x->id, x->path, x->sha256, x->bytes, x->ctype[0] ? x->ctype : NULL, now);
    if (rc < 0) {
        gw_error("fetcher: recording the fetch of media %lld: %s", (long long)x->id, store_errmsg(f->st));
        return;
    }
    gw_info("recording media=%lld case=%s attempt=%d http=%ld result=ok bytes=%lld type=%s sha256=%s", (long long)x->id,
            x->case_number[0] ? x->case_number : "-", x->attempt, x->http, (long long)x->bytes,
            x->ctype[0] ? x->ctype : "-", x->sha256);
    if (rc == 0) queue_notices(f, x, now);
}

/* ---- the loop ------------------------------------------------------------------ */

static int is_stopping(struct fetcher *f)
{
    pthread_mutex_lock(&f->lock);
    int stopping = f->stopping;
    pthread_mutex_unlock(&f->lock);
    return stopping;
}

/* One round: record finished fetches, claim what is due, start it. */
static void pump(struct fetcher *f)
{
    int stopping = is_stopping(f);
    struct xfer *finished = f->done;
    f->done = NULL;
    struct xfer *ready = NULL;
    int room = MAX_IN_FLIGHT - f->in_flight;
    if (!stopping && gw_store_recover_due(f->cfg, &f->recovered_at)) {
        int64_t back = 0;
        if (store_media_recover(f->st, &back) != 0)
            gw_error("fetcher: %s", store_errmsg(f->st));
        else if (back)
            gw_warn("fetcher: %lld recordings another gateway was fetching when it stopped: fetching them again",
                    (long long)back);
    }
    if (!finished && (stopping || room <= 0)) return;

    for (struct xfer *x = finished; x; x = x->next) settle(f, x);
    int64_t now = gw_clock_now();
    /* Due rows are read before the write lock is taken: an idle tick never
     * takes it. A claim still checks that its row is queued. */
    struct store_media *rows = NULL;
    size_t n = 0;
    if (!stopping && room > 0 && store_media_due(f->st, now, room, &rows, &n) != 0)
        gw_error("fetcher: %s", store_errmsg(f->st));
    if (!finished && !n) return;
    if (store_begin(f->st) != 0) {
        gw_error("fetcher: %s", store_errmsg(f->st));
        store_media_rows_free(rows, n);
        f->done = finished; /* try again next round */
        return;
    }
    for (struct xfer *x = finished; x; x = x->next) record(f, x, now);
    for (size_t i = 0; i < n; i++) {
        const struct store_media *r = &rows[i];
        if (store_media_claim(f->st, r->id, now) != 0) continue;
        char err[300] = "";
        int retry = 0;
        struct xfer *x = build(f, r, err, sizeof err, &retry);
        if (!x) {
            write_failure(f, r->id, r->attempts + 1, r->created_at, retry, err, 0, now);
            continue;
        }
        x->next = ready;
        ready = x;
    }
    store_media_rows_free(rows, n);
    if (store_commit(f->st) != 0) {
        /* Nothing claimed is on the wire yet: drop it, the rows stay queued. */
        gw_error("fetcher commit: %s", store_errmsg(f->st));
        store_rollback(f->st);
        while (ready) {
            struct xfer *x = ready;
            ready = x->next;
            xfer_free(x);
        }
        f->done = finished;
        return;
    }
    while (finished) {
        struct xfer *x = finished;
        finished = x->next;
        xfer_free(x);
    }
    while (ready) {
        struct xfer *x = ready;
        ready = x->next;
        start(f, x);
    }
}

/* At stop: transfers still on the wire are abandoned and their rows put
 * back in the queue without counting the attempt. */
static void abandon(struct fetcher *f)
{
    if (!f->active) return;
    int64_t now = gw_clock_now();
    int began = store_begin(f->st) == 0;
    while (f->active) {
        struct xfer *x = f->active;
        f->active = x->next;
        f->in_flight--;
        curlloop_remove(f->loop, x->easy);
        if (began && store_media_release(f->st, x->id, now) != 0) gw_error("fetcher: %s", store_errmsg(f->st));
        gw_info("recording media=%lld abandoned at stop; fetched again at the next start", (long long)x->id);
        xfer_free(x);
    }
    if (began && store_commit(f->st) != 0) {
        gw_error("fetcher commit: %s", store_errmsg(f->st));
        store_rollback(f->st);
    }
    /* Without the commit the rows stay "fetching": the next start queues them. */
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    struct fetcher *f = arg;
    pump(f);
    if (!is_stopping(f)) return;
    curlloop_collect(f->loop);
    if (f->done) pump(f); /* finished just now: record it rather than fetch it again */
    while (f->done) {     /* the store failed: the next start fetches these again */
        struct xfer *x = f->done;
        f->done = x->next;
        xfer_free(x);
    }
    abandon(f);
    event_base_loopbreak(f->base);
}

static void *run(void *arg)
{
    struct fetcher *f = arg;
    event_base_dispatch(f->base);
    return NULL;
}

static void fetcher_free(struct fetcher *f)
{
    if (f->wake) event_free(f->wake);
    if (f->tick) event_free(f->tick);
    curlloop_free(f->loop);
    if (f->base) event_base_free(f->base);
    store_close(f->st);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

int fetcher_start(const struct gw_config *cfg, struct metrics *m, struct fetcher **out, char *err, size_t errlen)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, (void (*)(void))evthread_use_pthreads);
    const char *dir = cfg->policy.media_dir;
    if (!dir || !*dir) {
        gw_err(err, errlen, "fetcher: no media_dir");
        return -1;
    }
    if (make_dirs(dir) != 0) {
        gw_err(err, errlen, "fetcher: media_dir %s: %s", dir, strerror(errno));
        return -1;
    }
    remove_leftovers(dir);
    for (size_t i = 0; i < cfg->nchannels; i++)
        if (cfg->channels[i].media_test_local)
            gw_warn("channel %s: media_allow_local_for_tests is on: recordings may come over plain http and from "
                    "loopback addresses (never set it outside tests)",
                    cfg->channels[i].name);
    struct fetcher *f = gw_calloc(1, sizeof *f);
    f->cfg = cfg;
    f->metrics = m;
    unsigned char rnd[sizeof f->seed];
    if (RAND_bytes(rnd, sizeof rnd) == 1)
        memcpy(&f->seed, rnd, sizeof f->seed);
    else
        f->seed = (unsigned)gw_clock_now() ^ (unsigned)(uintptr_t)f;
    pthread_mutex_init(&f->lock, NULL);
    if (gw_store_open_relaxed(cfg, &f->st, err, errlen) != 0) goto fail;
    f->recovered_at = gw_clock_mono();
    int64_t recovered = 0;
    if (store_media_recover(f->st, &recovered) != 0) {
        gw_err(err, errlen, "fetcher: %s", store_errmsg(f->st));
        goto fail;
    }
    if (recovered)
        gw_warn("fetcher: %lld recordings were being fetched at the last stop; fetching them again",
                (long long)recovered);
    f->base = event_base_new();
    f->loop = f->base ? curlloop_new(f->base, on_done, f) : NULL;
    if (!f->base || !f->loop) {
        gw_err(err, errlen, "fetcher: cannot create the event loop");
        goto fail;
    }
    f->wake = event_new(f->base, -1, EV_PERSIST | EV_READ, on_wake, f);
    f->tick = event_new(f->base, -1, EV_PERSIST, on_wake, f);
    struct timeval tv = {TICK_MS / 1000, (TICK_MS % 1000) * 1000};
    event_add(f->wake, NULL);
    event_add(f->tick, &tv);
    event_active(f->wake, EV_READ, 0); /* look at once: rows may be due already */
    if (pthread_create(&f->thread, NULL, run, f) != 0) {
        gw_err(err, errlen, "fetcher: cannot start its thread");
        goto fail;
    }
    pthread_setname_np(f->thread, "gw-fetcher");
    *out = f;
    return 0;
fail:
    fetcher_free(f);
    return -1;
}

void fetcher_wake(void *arg)
{
    struct fetcher *f = arg;
    if (f) event_active(f->wake, EV_READ, 0);
}

void fetcher_stop(struct fetcher *f)
{
    if (!f) return;
    pthread_mutex_lock(&f->lock);
    f->stopping = 1;
    pthread_mutex_unlock(&f->lock);
    event_active(f->wake, EV_READ, 0);
    pthread_join(f->thread, NULL);
    fetcher_free(f);
}
