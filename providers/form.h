/* providers/form.h - application/x-www-form-urlencoded bodies and query strings.
 *
 * form_parse decodes "a=1&b=x+y%21" from pointer + length (network bytes,
 * not a C string) into an owned list of (name, value) pairs in arrival
 * order: '+' is a space, %XX is a byte, a segment without '=' has the value
 * "", empty segments ("a=1&&b=2", a trailing '&') are skipped. Decoded
 * names and values must be UTF-8 and may not hold a NUL byte, so every
 * value is an exact C string: no consumer (a signature, the store) can
 * silently truncate one. The same decoded values serve business logic and
 * signature input (Twilio, Vonage).
 */
#ifndef PROV_FORM_H
#define PROV_FORM_H

#include <stddef.h>

#include "../core/util.h"

#define FORM_MAX_PARAMS 256 /* more pairs than this is an error (400) */

struct form_param {
    char *name; /* owned, decoded, NUL-terminated; strlen(name) == name_len */
    size_t name_len;
    char *value; /* owned, decoded, NUL-terminated, never NULL; strlen(value) == value_len */
    size_t value_len;
};

/* Iterate with: for (size_t i = 0; i < f->n; i++) use f->v[i]. */
struct form {
    struct form_param *v; /* owned array of n pairs; arrival order until form_sort */
    size_t n;             /* <= FORM_MAX_PARAMS */
};

/* Parses p[0..len) (p may be NULL when len is 0) into *out, which is
 * overwritten (not freed) first. Returns 0, or -1 with a short reason in
 * err on: a '%' not followed by two hex digits, a NUL byte (raw or %00), a
 * name or value that is not UTF-8, more than FORM_MAX_PARAMS pairs. On
 * error *out is left empty. The caller frees *out with form_free. */
int form_parse(const char *p, size_t len, struct form *out, char *err, size_t errlen);

/* Frees every pair and the array; *f becomes empty and reusable.
 * NULL is a no-op. */
void form_free(struct form *f);

/* The first pair named name (exact, case-sensitive), or NULL. Borrowed:
 * valid until form_free or form_sort. */
const struct form_param *form_find(const struct form *f, const char *name);

/* The first value of name, or NULL when the name is absent. Borrowed as
 * above. */
const char *form_get(const struct form *f, const char *name);

/* Sorts the pairs in place by name, then by value, both compared byte-wise
 * (which for UTF-8 is code point order); equal pairs become adjacent. This
 * is the order Twilio signs in. Invalidates pointers from form_find. */
void form_sort(struct form *f);

/* Content-Type helper: returns 1 when content_type's media type (the part
 * before any ';' parameters, surrounding blanks ignored) equals media_type
 * case-insensitively, 0 otherwise or when content_type is NULL. */
int form_media_type_is(const char *content_type, const char *media_type);

/* Appends s percent-encoded: RFC 3986 unreserved bytes (A-Z a-z 0-9 - . _ ~)
 * as they are, every other byte as %XX (upper-case hex); with form set a
 * space is '+' (application/x-www-form-urlencoded), else %20. */
void form_put_encoded(struct gw_buf *b, const char *s, int form);
/* Appends "name=value" to a form body, preceded by '&' unless b is empty;
 * the value form-encoded, the name as given. */
void form_put_param(struct gw_buf *b, const char *name, const char *value);

#endif
