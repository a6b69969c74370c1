/* handlers/reply.c - building replies: adding a reply and its variables,
 * the answers every intent shares, and dates as replies show them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../gateway/util.h"
#include "intents.h"

struct h_reply *h_reply_add(struct h_result *out, const char *tmpl, const char *to, enum h_kind kind)
{
    if (out->nreplies >= H_MAX_REPLIES) return NULL;
    struct h_reply *r = &out->replies[out->nreplies++];
    memset(r, 0, sizeof *r);
    r->tmpl = tmpl;
    gw_strlcpy(r->to, to ? to : "", sizeof r->to);
    r->kind = kind;
    return r;
}

/* Cuts a UTF-8 string truncated by snprintf back to its last whole character. */
static void trim_partial_utf8(char *s)
{
    size_t n = strlen(s);
    size_t i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) i--; /* continuation bytes */
    if (i == 0) return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t want = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : 4;
    if (n - (i - 1) < want) s[i - 1] = '\0';
}

void h_var_set(struct h_reply *r, const char *name, const char *fmt, ...)
{
    if (!r || !name) return;
    struct h_var *v = NULL;
    for (int i = 0; i < r->nvars; i++)
        if (strcmp(r->vars[i].name, name) == 0) v = &r->vars[i];
    if (!v) {
        if (r->nvars >= H_MAX_VARS) return;
        v = &r->vars[r->nvars++];
        v->name = name;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(v->value, sizeof v->value, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof v->value) trim_partial_utf8(v->value);
}

struct h_reply *h_answer(struct h_result *out, const struct h_msg *m, const char *result, const char *detail,
                         const char *tmpl)
{
    out->result = result;
    gw_strlcpy(out->detail, detail ? detail : "", sizeof out->detail);
    return h_reply_add(out, tmpl, m->from, H_REPLY);
}

static const struct {
    enum cb_error error;
    const char *tmpl;
    int with_code; /* the reply names the offending child code */
} common_errors[] = {
    {CB_E_CHILD_MISSING, "child_missing", 0}, {CB_E_CHILD_FORMAT, "child_format", 1},
    {CB_E_CHILD_CHECK, "child_check", 1},     {CB_E_DATE_FORMAT, "date_format", 0},
    {CB_E_CASE_MISSING, "case_missing", 0},   {CB_E_CASE_FORMAT, "case_format", 0},
};

int h_common_error(struct h_result *out, const struct h_msg *m, const struct cb_cmd *cmd, const char *fmt)
{
    for (size_t i = 0; i < sizeof common_errors / sizeof common_errors[0]; i++) {
        if (common_errors[i].error != cmd->error) continue;
        struct h_reply *r = h_answer(out, m, "invalid", cb_error_name(cmd->error), common_errors[i].tmpl);
        if (common_errors[i].with_code) h_var_set(r, "code", "%s", cmd->bad_child);
        h_var_set(r, "fmt", "%s", fmt);
        return 1;
    }
    return 0;
}

void h_fmt_date(int y, int mo, int d, char *out, size_t outlen) { snprintf(out, outlen, "%d年%d月%d日", y, mo, d); }

void h_iso_date(int y, int mo, int d, char *out, size_t outlen)
{
    snprintf(out, outlen, "%04d-%02d-%02d", y % 10000, mo % 100, d % 100);
}

void h_today(int64_t now, int *y, int *mo, int *d)
{
    time_t t = (time_t)now;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    localtime_r(&t, &tm);
    *y = tm.tm_year + 1900;
    *mo = tm.tm_mon + 1;
    *d = tm.tm_mday;
}

struct h_reply *h_replies_add(struct h_replies *l, const char *tmpl, const char *to, enum h_kind kind)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = gw_realloc(l->v, l->cap * sizeof *l->v);
    }
    struct h_reply *r = &l->v[l->n++];
    memset(r, 0, sizeof *r);
    r->tmpl = tmpl;
    gw_strlcpy(r->to, to ? to : "", sizeof r->to);
    r->kind = kind;
    return r;
}

void h_replies_free(struct h_replies *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}
