/* core/util.h - allocation, growable buffers and byte strings shared by every layer.
 *
 * Allocation failure is not recoverable in this service: the gw_ allocators
 * abort through one path instead of every caller checking for NULL.
 * Bytes that come from the network travel as struct gw_str (pointer +
 * length, not NUL-terminated) until they are copied into owned storage.
 */
#ifndef GW_UTIL_H
#define GW_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* The value of the macro x as a string literal: GW_STR(PG_LOCK_LEADER). */
#define GW_STR_(x) #x
#define GW_STR(x)  GW_STR_(x)

/* Allocators: never return NULL; abort the process on exhaustion. */
void *gw_malloc(size_t n);
void *gw_calloc(size_t count, size_t size);
void *gw_realloc(void *p, size_t n);
char *gw_strdup(const char *s);            /* s may be NULL: returns NULL */
char *gw_strndup(const char *s, size_t n); /* copies at most n bytes, NUL-terminates */

/* A borrowed view of bytes; p need not be NUL-terminated. */
struct gw_str {
    const char *p;
    size_t len;
};

/* Growable byte buffer. Invariant: p is NULL or NUL-terminated at p[len]. */
struct gw_buf {
    char *p;    /* owned; NULL until the first append */
    size_t len; /* bytes used, excluding the terminating NUL */
    size_t cap; /* bytes allocated */
};

void gw_buf_append(struct gw_buf *b, const void *data, size_t n);
void gw_buf_puts(struct gw_buf *b, const char *s);
void gw_buf_putc(struct gw_buf *b, char c);
void gw_buf_printf(struct gw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gw_buf_vprintf(struct gw_buf *b, const char *fmt, va_list ap);
void gw_buf_reset(struct gw_buf *b);             /* len = 0, keeps the memory */
void gw_buf_free(struct gw_buf *b);              /* releases memory; b reusable */
const char *gw_buf_cstr(const struct gw_buf *b); /* never NULL ("" when empty) */
char *gw_buf_steal(struct gw_buf *b);            /* caller owns the result (never NULL) */

/* The entity that stands for c in XML or HTML text, NULL when c stands for itself: & < > " and ', which is
 * "&#39;" when html, else "&apos;" (XML). */
const char *gw_markup_entity(char c, int html);
/* Appends s with its markup characters written as gw_markup_entity's entities (html as there). */
void gw_buf_put_markup(struct gw_buf *b, const char *s, int html);

/* Copy src into dst of size dstlen, always NUL-terminating; returns 0, or -1
 * when src was truncated. */
int gw_strlcpy(char *dst, const char *src, size_t dstlen);

/* Lower-case hex of n bytes; out must hold 2*n+1 bytes. */
void gw_hex(const unsigned char *in, size_t n, char *out);

/* Parse a whole decimal integer in [min,max]; returns 0 or -1 (not a number,
 * trailing bytes, out of range). */
int gw_parse_long(const char *s, long min, long max, long *out);

/* Error buffer convention: functions that can fail take (char *err, size_t
 * errlen) and fill it with a short reason; gw_err is the snprintf helper. */
void gw_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
