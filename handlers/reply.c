/* handlers/reply.c - building replies: adding a reply and its variables,
 * the answers every intent shares, and dates as replies show them. */
#include "../core/utf8.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/util.h"
#include "intents.h"

void h_result_init(struct h_result *out)
{
    out->intent = CB_UNKNOWN;
    out->result = NULL;
    out->detail[0] = '\0';
    out->nreplies = 0;
}

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
    if (n >= (int)sizeof v->value) v->value[utf8_cut(v->value, strlen(v->value))] = '\0';
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

/* ---- several children in one message ---------------------------------------- */

void h_refused_add(struct h_refused *r, const char *code, const char *why)
{
    if (r->n >= H_REFUSED_MAX) return;
    gw_strlcpy(r->v[r->n].code, code ? code : "", sizeof r->v[r->n].code);
    r->v[r->n].why = why;
    r->n++;
}

/* UCS-2 units of s (every character here is in the BMP). */
static size_t units(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Appends piece to the value being built when it still fits with room for
 * tail after it; 1 when it was appended. */
static int fits(char *cur, const char *piece, const char *tail)
{
    size_t b = strlen(cur) + strlen(piece) + strlen(tail), u = units(cur) + units(piece) + units(tail);
    if (b >= 96 || u > H_REFUSED_CHARS) return 0;
    strcat(cur, piece);
    return 1;
}

int h_refused_render(const struct h_refused *r, char (*out)[96], int nout)
{
    int nv = 0;
    char cur[96] = "";
    int done[H_REFUSED_MAX] = {0};
    for (int i = 0; i < r->n && nv < nout; i++) {
        if (done[i]) continue;
        const char *why = r->v[i].why ? r->v[i].why : "";
        int names = 0, in_cur = 0; /* names of this reason; its codes in the current value */
        for (int j = i; j < r->n; j++) {
            const char *wj = r->v[j].why ? r->v[j].why : "";
            if (done[j] || strcmp(wj, why) != 0) continue;
            done[j] = 1;
            if (!r->v[j].code[0]) {
                names++;
                continue;
            }
            char piece[40];
            snprintf(piece, sizeof piece, "%s%s", in_cur ? "、" : cur[0] ? "；" : "", r->v[j].code);
            if (fits(cur, piece, why)) {
                in_cur = 1;
                continue;
            }
            if (in_cur) strcat(cur, why); /* room was kept for it */
            if (cur[0]) {
                if (nv == nout) return nv;
                memcpy(out[nv++], cur, sizeof cur);
            }
            cur[0] = '\0';
            in_cur = fits(cur, r->v[j].code, why);
        }
        if (in_cur) strcat(cur, why);
        if (names) {
            char piece[96];
            snprintf(piece, sizeof piece, "%s%d名儿童%s", cur[0] ? "；" : "", names, why);
            if (!fits(cur, piece, "")) {
                if (cur[0] && nv < nout) memcpy(out[nv++], cur, sizeof cur);
                snprintf(piece, sizeof piece, "%d名儿童%s", names, why);
                cur[0] = '\0';
                fits(cur, piece, "");
            }
        }
    }
    if (cur[0] && nv < nout) memcpy(out[nv++], cur, sizeof cur);
    return nv;
}

static const struct {
    enum cb_error e;
    const char *why;
} item_whys[] = {
    {CB_E_CHILD_MISSING, "缺少编号"},   {CB_E_CHILD_FORMAT, "编号应为7位"}, {CB_E_CHILD_CHECK, "校验位不对"},
    {CB_E_DATE_FORMAT, "日期写法不对"}, {CB_E_DATE_FUTURE, "日期晚于今天"}, {CB_E_DATE_OLD, "日期超过60天"},
    {CB_E_RESULT_MISSING, "缺少结果"},  {CB_E_RESULT_BAD, "结果应为1-4"},   {CB_E_PROBLEMS_MISSING, "结果2缺问题代码"},
    {CB_E_STATUS_BAD, "状态应为1-4"},
};

const char *h_item_error_why(enum cb_error e)
{
    for (size_t i = 0; i < sizeof item_whys / sizeof item_whys[0]; i++)
        if (item_whys[i].e == e) return item_whys[i].why;
    return "写法不对";
}

#define STR_(x) #x
#define STR(x)  STR_(x)

void h_refused_more(struct h_refused *r, const struct cb_cmd *cmd)
{
    if (cmd->items_more) h_refused_add(r, "其余", "未读（一次最多" STR(CB_ITEMS_MAX) "名），请另发");
}
