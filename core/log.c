/* core/log.c - leveled logging to stderr, with phone masking, escaping
 * and rate-limited lines.
 *
 * Every line is built in one buffer and written with one write(2), so
 * lines from different threads never interleave. The message part is
 * escaped here, in the one place every line passes through, so no call
 * site can let a request's bytes start a line of their own.
 */
#include "log.h"
#include "utf8.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define MSG_MAX 1024 /* a formatted message is cut to this many bytes before escaping */

static enum gw_log_level min_level = GW_LOG_INFO; /* set once at start-up */

void gw_log_set_level(enum gw_log_level level) { min_level = level; }

int gw_log_parse_level(const char *s, enum gw_log_level *out)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum gw_log_level)i;
            return 0;
        }
    return -1;
}

/* ---- escaping ------------------------------------------------------------- */

/* 1 when the well-formed sequence at s (len bytes) must be escaped. */
static int must_escape(const unsigned char *s, size_t len)
{
    if (len == 1) return s[0] < 0x20 || s[0] == 0x7F;
    if (len == 2) return s[0] == 0xC2 && s[1] < 0xA0;                                    /* C1 controls */
    if (len == 3) return s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9); /* U+2028, U+2029 */
    return 0;
}

size_t gw_log_escape(const char *s, size_t n, char *out, size_t cap)
{
    static const char hx[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0, i = 0;
    while (i < n) {
        size_t len = utf8_seq(p + i, n - i);
        int esc = len == 0 || must_escape(p + i, len);
        if (len == 0) len = 1;
        size_t need = esc ? 4 * len : len;
        if (o + need + 1 > cap) break;
        for (size_t k = 0; k < len; k++) {
            if (esc) {
                out[o++] = '\\';
                out[o++] = 'x';
                out[o++] = hx[p[i + k] >> 4];
                out[o++] = hx[p[i + k] & 15];
            } else {
                out[o++] = (char)p[i + k];
            }
        }
        i += len;
    }
    out[o] = '\0';
    return o;
}

/* ---- lines ---------------------------------------------------------------- */

static void vlog(enum gw_log_level level, const char *fmt, va_list ap)
{
    static const char *tags[] = {"debug", "info", "warn", "error"};
    char msg[MSG_MAX];
    int m = vsnprintf(msg, sizeof msg, fmt, ap);
    size_t mlen = m < 0 ? 0 : (size_t)m < sizeof msg ? (size_t)m : sizeof msg - 1;
    char line[64 + 4 * MSG_MAX]; /* the prefix, then the message escaped at worst 4 bytes for 1 */
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, tags[level]);
    size_t len = (size_t)n;
    len += gw_log_escape(msg, mlen, line + len, sizeof line - len - 1);
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

void gw_log(enum gw_log_level level, const char *fmt, ...)
{
    if (level < min_level) return;
    va_list ap;
    va_start(ap, fmt);
    vlog(level, fmt, ap);
    va_end(ap);
}

/* ---- rate-limited lines ----------------------------------------------------- */

#define LIMIT_KEYS    8  /* keys told apart in one summary */
#define LIMIT_KEY_LEN 80 /* longest key kept (longer ones are cut) */

struct limit_count {
    char key[LIMIT_KEY_LEN];
    unsigned long long n;
};

struct gw_log_limit {
    pthread_mutex_t lock; /* guards everything below */
    enum gw_log_level level;
    char prefix[32];                     /* "http: " */
    char what[64];                       /* "requests refused" */
    double interval;                     /* seconds, > 0 */
    int burst;                           /* lines written as they come in one interval */
    int open;                            /* 1: an interval started at `start` */
    double start;                        /* monotonic start of the current interval, when open */
    double last;                         /* latest `now` seen, for the summary written by free */
    int written;                         /* lines written in this interval, <= burst */
    unsigned long long held;             /* lines only counted in this interval */
    struct limit_count keys[LIMIT_KEYS]; /* held lines by key; the first nkeys are used */
    size_t nkeys;
    unsigned long long other; /* held lines whose key did not fit in keys */
};

struct gw_log_limit *gw_log_limit_new(enum gw_log_level level, const char *prefix, const char *what, double interval,
                                      int burst)
{
    struct gw_log_limit *l = gw_calloc(1, sizeof *l);
    pthread_mutex_init(&l->lock, NULL);
    l->level = level;
    gw_strlcpy(l->prefix, prefix ? prefix : "", sizeof l->prefix);
    gw_strlcpy(l->what, what ? what : "lines", sizeof l->what);
    l->interval = interval > 0 ? interval : 1;
    l->burst = burst > 0 ? burst : 0;
    return l;
}

/* Under l->lock: ends the interval when it is over (or when force is set)
 * and, when lines were held back, writes their summary into out (cap
 * bytes) and returns 1. */
static int limit_roll(struct gw_log_limit *l, double now, int force, char *out, size_t cap)
{
    if (!l->open || (!force && now - l->start < l->interval)) return 0;
    int built = 0;
    if (l->held) {
        struct gw_buf b = {0};
        double took = now - l->start < 1 ? 1 : now - l->start;
        gw_buf_printf(&b, "%s%llu more %s in the last %.0f s: ", l->prefix, l->held, l->what, took);
        for (size_t i = 0; i < l->nkeys; i++)
            gw_buf_printf(&b, "%s%s x %llu", i ? ", " : "", l->keys[i].key, l->keys[i].n);
        if (l->other) gw_buf_printf(&b, "%sother x %llu", l->nkeys ? ", " : "", l->other);
        gw_strlcpy(out, gw_buf_cstr(&b), cap);
        gw_buf_free(&b);
        built = 1;
    }
    l->open = 0;
    l->written = 0;
    l->held = 0;
    l->nkeys = 0;
    l->other = 0;
    return built;
}

static void limit_count(struct gw_log_limit *l, const char *key)
{
    l->held++;
    if (key) {
        for (size_t i = 0; i < l->nkeys; i++)
            if (!strncmp(l->keys[i].key, key, LIMIT_KEY_LEN - 1)) {
                l->keys[i].n++;
                return;
            }
        if (l->nkeys < LIMIT_KEYS) {
            gw_strlcpy(l->keys[l->nkeys].key, key, LIMIT_KEY_LEN);
            l->keys[l->nkeys++].n = 1;
            return;
        }
    }
    l->other++;
}

void gw_log_limited(struct gw_log_limit *l, double now, const char *key, const char *fmt, ...)
{
    if (l->level < min_level) return;
    char summary[MSG_MAX];
    pthread_mutex_lock(&l->lock);
    if (now > l->last) l->last = now;
    int built = limit_roll(l, now, 0, summary, sizeof summary);
    if (!l->open) {
        l->open = 1;
        l->start = now;
    }
    int write_it = l->written < l->burst;
    if (write_it)
        l->written++;
    else
        limit_count(l, key);
    pthread_mutex_unlock(&l->lock);
    if (built) gw_log(l->level, "%s", summary);
    if (write_it) {
        va_list ap;
        va_start(ap, fmt);
        vlog(l->level, fmt, ap);
        va_end(ap);
    }
}

void gw_log_limit_tick(struct gw_log_limit *l, double now)
{
    char summary[MSG_MAX];
    pthread_mutex_lock(&l->lock);
    if (now > l->last) l->last = now;
    int built = limit_roll(l, now, 0, summary, sizeof summary);
    pthread_mutex_unlock(&l->lock);
    if (built) gw_log(l->level, "%s", summary);
}

void gw_log_limit_free(struct gw_log_limit *l)
{
    if (!l) return;
    char summary[MSG_MAX];
    pthread_mutex_lock(&l->lock);
    int built = limit_roll(l, l->last, 1, summary, sizeof summary);
    pthread_mutex_unlock(&l->lock);
    if (built) gw_log(l->level, "%s", summary);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

/* ---- masking ---------------------------------------------------------------- */

const char *gw_mask_phone(const char *phone, char out[GW_MASK_LEN])
{
    if (!phone || !*phone) {
        strcpy(out, "-");
        return out;
    }
    size_t len = strlen(phone);
    if (len >= GW_MASK_LEN) len = GW_MASK_LEN - 1;
    memcpy(out, phone, len);
    out[len] = '\0';
    if (len >= 8) {
        memset(out + len - 8, '*', 4);
        if (len - 8 < 3) /* keep a recognisable prefix only when it is long enough */
            memset(out, '*', len - 8);
    } else {
        for (size_t i = 0; i + 2 < len; i++) out[i] = '*';
    }
    return out;
}
