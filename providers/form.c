/* providers/form.c - application/x-www-form-urlencoded decoding (see form.h). */
#include "form.h"
#include "../core/utf8.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/util.h"

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) into a new NUL-terminated string (*out, *outlen).
 * Returns 0, or -1 with err set (nothing allocated). */
static int decode(const char *s, size_t n, char **out, size_t *outlen, char *err, size_t errlen)
{
    char *d = gw_malloc(n + 1); /* decoding never grows */
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (n - i < 3 || hexval((unsigned char)s[i + 1]) < 0 || hexval((unsigned char)s[i + 2]) < 0) {
                gw_err(err, errlen, "bad percent-encoding in form data");
                goto fail;
            }
            c = (unsigned char)(hexval((unsigned char)s[i + 1]) << 4 | hexval((unsigned char)s[i + 2]));
            i += 2;
        }
        if (c == '\0') {
            gw_err(err, errlen, "NUL byte in form data");
            goto fail;
        }
        d[w++] = (char)c;
    }
    d[w] = '\0';
    if (!utf8_valid(d, w)) {
        gw_err(err, errlen, "form data is not UTF-8");
        goto fail;
    }
    *out = d;
    *outlen = w;
    return 0;
fail:
    free(d);
    return -1;
}

int form_parse(const char *p, size_t len, struct form *out, char *err, size_t errlen)
{
    out->v = NULL;
    out->n = 0;
    size_t cap = 0;
    size_t i = 0;
    while (i < len) {
        const char *seg = p + i;
        const char *amp = memchr(seg, '&', len - i);
        size_t seglen = amp ? (size_t)(amp - seg) : len - i;
        i += seglen + (amp ? 1 : 0);
        if (seglen == 0) continue;
        if (out->n == FORM_MAX_PARAMS) {
            gw_err(err, errlen, "more than %d form parameters", FORM_MAX_PARAMS);
            goto fail;
        }
        const char *eq = memchr(seg, '=', seglen);
        size_t nlen = eq ? (size_t)(eq - seg) : seglen;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 16;
            if (cap > FORM_MAX_PARAMS) cap = FORM_MAX_PARAMS;
            out->v = gw_realloc(out->v, cap * sizeof *out->v);
        }
        struct form_param *fp = &out->v[out->n];
        if (decode(seg, nlen, &fp->name, &fp->name_len, err, errlen) < 0) goto fail;
        if (decode(eq ? eq + 1 : seg + seglen, eq ? seglen - nlen - 1 : 0, &fp->value, &fp->value_len, err, errlen) <
            0) {
            free(fp->name);
            goto fail;
        }
        out->n++;
    }
    return 0;
fail:
    form_free(out);
    return -1;
}

void form_free(struct form *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].name);
        free(f->v[i].value);
    }
    free(f->v);
    f->v = NULL;
    f->n = 0;
}

const struct form_param *form_find(const struct form *f, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].name_len == len && !memcmp(f->v[i].name, name, len)) return &f->v[i];
    return NULL;
}

const char *form_get(const struct form *f, const char *name)
{
    const struct form_param *fp = form_find(f, name);
    return fp ? fp->value : NULL;
}

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen); /* memcmp compares as unsigned char */
    if (c) return c;
    return alen < blen ? -1 : alen > blen;
}

static int param_cmp(const void *pa, const void *pb)
{
    const struct form_param *a = pa, *b = pb;
    int c = bytes_cmp(a->name, a->name_len, b->name, b->name_len);
    return c ? c : bytes_cmp(a->value, a->value_len, b->value, b->value_len);
}

void form_sort(struct form *f)
{
    if (f->n > 1) qsort(f->v, f->n, sizeof *f->v, param_cmp);
}

int form_media_type_is(const char *content_type, const char *media_type)
{
    if (!content_type) return 0;
    const char *s = content_type;
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strcspn(s, ";");
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    return n == strlen(media_type) && !strncasecmp(s, media_type, n);
}

/* Appends s percent-encoded: RFC 3986 unreserved bytes as they are, every
 * other byte as %XX; in form mode a space is '+'. */
void form_put_encoded(struct gw_buf *b, const char *s, int form)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            gw_buf_putc(b, (char)c);
        } else if (c == ' ' && form) {
            gw_buf_putc(b, '+');
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            gw_buf_append(b, e, 3);
        }
    }
}

/* Appends "&name=value" (no '&' first), value form-encoded. */
void form_put_param(struct gw_buf *b, const char *name, const char *value)
{
    if (b->len) gw_buf_putc(b, '&');
    gw_buf_puts(b, name);
    gw_buf_putc(b, '=');
    form_put_encoded(b, value, 1);
}
