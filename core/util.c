/* core/util.c - allocation, growable buffers and small string helpers. */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
    abort();
}

void *gw_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *gw_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) oom(count * size);
    return p;
}

void *gw_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *gw_strdup(const char *s)
{
    if (!s) return NULL;
    return gw_strndup(s, strlen(s));
}

char *gw_strndup(const char *s, size_t n)
{
    size_t len = 0;
    while (len < n && s[len]) len++;
    char *p = gw_malloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

static void buf_reserve(struct gw_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1) oom(SIZE_MAX);
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->p = gw_realloc(b->p, cap);
    b->cap = cap;
}

void gw_buf_append(struct gw_buf *b, const void *data, size_t n)
{
    buf_reserve(b, n);
    if (n) memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void gw_buf_puts(struct gw_buf *b, const char *s) { gw_buf_append(b, s, strlen(s)); }

void gw_buf_putc(struct gw_buf *b, char c) { gw_buf_append(b, &c, 1); }

void gw_buf_vprintf(struct gw_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0) return;
    buf_reserve(b, (size_t)n);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void gw_buf_printf(struct gw_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gw_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void gw_buf_reset(struct gw_buf *b)
{
    b->len = 0;
    if (b->p) b->p[0] = '\0';
}

void gw_buf_free(struct gw_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

const char *gw_buf_cstr(const struct gw_buf *b) { return b->p ? b->p : ""; }

char *gw_buf_steal(struct gw_buf *b)
{
    char *p = b->p ? b->p : gw_strdup("");
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

const char *gw_markup_entity(char c, int html)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return html ? "&#39;" : "&apos;";
    default: return NULL;
    }
}

void gw_buf_put_markup(struct gw_buf *b, const char *s, int html)
{
    for (; *s; s++) {
        const char *e = gw_markup_entity(*s, html);
        if (e)
            gw_buf_puts(b, e);
        else
            gw_buf_putc(b, *s);
    }
}

int gw_strlcpy(char *dst, const char *src, size_t dstlen)
{
    if (dstlen == 0) return -1;
    size_t n = strlen(src);
    if (n >= dstlen) {
        memcpy(dst, src, dstlen - 1);
        dst[dstlen - 1] = '\0';
        return -1;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

void gw_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int gw_parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

void gw_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
