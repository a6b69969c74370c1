/* providers/common.c - what every provider file shares: field checks, the
 * vectors of parsed messages and receipts, and freeing parsed requests.
 * Calls nothing in any provider, so the providers and the registry both
 * sit above it. */
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"

#include "provider.h"

int prov_check_field(const char *name, const char *value, size_t max, int is_ident, char *err, size_t errlen)
{
    if (!value) return 0;
    size_t n = strlen(value);
    if (n > max) {
        gw_err(err, errlen, "field too long: %s", name);
        return -1;
    }
    for (size_t i = 0; is_ident && i < n; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c < 0x20 || c == 0x7f) {
            gw_err(err, errlen, "control character in field: %s", name);
            return -1;
        }
    }
    return 0;
}

struct prov_status *prov_statusv_push(struct prov_statusv *sv)
{
    if (sv->n == sv->cap) {
        sv->cap = sv->cap ? sv->cap * 2 : 4;
        sv->v = gw_realloc(sv->v, sv->cap * sizeof *sv->v);
    }
    struct prov_status *st = &sv->v[sv->n++];
    memset(st, 0, sizeof *st);
    return st;
}

void prov_statusv_free(struct prov_statusv *sv)
{
    for (size_t i = 0; i < sv->n; i++) {
        free(sv->v[i].provider_msg_id);
        free(sv->v[i].ref);
        free(sv->v[i].raw_status);
        free(sv->v[i].error);
        free(sv->v[i].phone);
    }
    free(sv->v);
    memset(sv, 0, sizeof *sv);
}

void prov_http_free(struct prov_http *h)
{
    free(h->url);
    gw_buf_free(&h->body);
    gw_buf_free(&h->headers);
    free(h->userpwd);
    memset(h, 0, sizeof *h);
}

void prov_ussd_clear(struct prov_ussd *u)
{
    free(u->session_id);
    free(u->phone);
    free(u->service_code);
    free(u->text);
    memset(u, 0, sizeof *u);
}

void prov_voice_clear(struct prov_voice *v)
{
    free(v->call_id);
    free(v->from);
    free(v->to);
    free(v->digits);
    free(v->recording_url);
    free(v->call_status);
    memset(v, 0, sizeof *v);
}

int prov_check_fields(const struct prov_field *f, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        if (f[i].required && (!f[i].value || !*f[i].value)) {
            gw_err(err, errlen, "missing field: %s", f[i].name);
            return PROV_EBADREQ;
        }
    for (size_t i = 0; i < n; i++)
        if (prov_check_field(f[i].name, f[i].value, f[i].max, f[i].ident, err, errlen) < 0) return PROV_EBADREQ;
    return PROV_OK;
}

struct gw_msg *prov_push_sms(struct gw_msgv *out, const char *id, const char *from, const char *to, const char *text)
{
    struct gw_msg *m = gw_msgv_push(out);
    m->provider_id = gw_strdup(id);
    m->from = gw_strdup(from);
    m->to = to && *to ? gw_strdup(to) : NULL;
    m->text = gw_strdup(text ? text : "");
    return m;
}
