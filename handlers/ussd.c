/* handlers/ussd.c - the USSD menus of one step in, one screen
 * out, the session kept in ussd_session.
 *
 * Main menu: 1 report a child at risk, 2 record a visit, 3 parent
 * check-in, 4 case status. The paths:
 *   1  category 1-9 -> child code, 0 unknown -> description, 0 to skip -> END
 *   2  child code -> result 1-4 -> problem codes when the result is 2 -> END
 *   3  the child from a numbered list (8 a page, 9 more) when the phone has
 *      several -> status 1-4 -> END
 *   4  case number -> END
 * On menu screens and the required inputs of paths 2-4, 0 goes back and
 * 00 to the main menu; after the category the report's case exists and
 * 0 skips the optional child code and description. A wrong input gets the
 * same question again with the reason on its first line; a child code is
 * accepted only with a valid Damm check digit and on the roster.
 *
 * Everything with an effect calls the domain's intent with the values the
 * menu collected, as the SMS handlers call it once they have parsed a
 * command (intents.h; the sender identified as dispatch identifies it, no
 * inbox row): the category step opens the report (h_report_open), so the
 * case opens, is routed and alerts exactly as an SMS report does, and is
 * stored even if the session then drops; the last step of paths 2-4
 * records the visit (h_visit_record, dated today), the check-in
 * (h_checkin_record) or asks the case's status (h_case_status),
 * authorisation included, and its answer to the sender (rendered with the
 * built-in templates) is the END screen. Every other reply (alerts,
 * notices) goes to the caller's effects. The child
 * and description that a report gets after opening are added to its case
 * (db_case_attach_child/description, each a case event); naming a child
 * in the case's county also tells that village's directors as the SMS
 * report would (unless the category keeps the village out).
 *
 * Input. AT's `text` is every input of the session joined by '*'. The new
 * input is what follows the text of the last step answered plus '*',
 * taken whole, so a description may hold '*' as typed (and problem codes
 * may be separated by it). When the history does not extend the stored
 * one, the last '*'-separated segment is the input. A text equal to the
 * last one answered is a retried step: the stored screen comes back and
 * nothing runs again; a text the stored one extends is a late copy of an
 * earlier step and gets the stored screen too. The first request of a new
 * session may carry inputs dialled with the service code (*384*1234*1*3#):
 * they are taken one segment at a time until one is refused or a
 * free-text step takes the rest.
 *
 * Expiry: a session with no answered step for USSD_SESSION_TTL seconds
 * starts again at the main menu, with a note, on its next new text. A
 * session that ended (END) starts again at the main menu too.
 *
 * State (ussd_session.state) is "at=<step>;child=<code>;res=<n>;page=<n>;
 * list=<0|1>;case=<number>;p=<priority>;reply=<template>", keys in any
 * order, unknown keys ignored; anything unreadable restarts the session.
 * It never holds free text (a description goes straight into the case).
 */
#include "ussd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "codebook.h"
#include "intents.h"
#include "routing.h"
#include "templates.h"

_Static_assert(CB_CASE_NO_MIN == DB_CASE_NO_MIN && CB_CASE_NO_MAX == DB_CASE_NO_MAX,
               "the code book reads every case number the store makes");

#ifndef USSD_SESSION_TTL
#define USSD_SESSION_TTL 600 /* seconds a session waits for its next step */
#endif
#define PAGE_ITEMS 8  /* children on one page of the check-in list; 9 is "more" */
#define MAX_KIDS   48 /* children one phone's list shows at most */

enum step {
    S_MENU = 0,
    S_R_CAT,    /* report: category */
    S_R_CHILD,  /* report: child code (the case exists) */
    S_R_DESC,   /* report: description */
    S_V_CHILD,  /* visit: child code */
    S_V_RESULT, /* visit: result */
    S_V_PROB,   /* visit: problem codes */
    S_C_CHILD,  /* check-in: the child from the list */
    S_C_STATUS, /* check-in: status */
    S_S_CASE,   /* status: case number */
    S_DONE,     /* ended */
};
static const char *const step_names[] = {"menu",   "r_cat",   "r_child",  "r_desc", "v_child", "v_result",
                                         "v_prob", "c_child", "c_status", "s_case", "done"};
#define NSTEPS (sizeof step_names / sizeof step_names[0])

/* The flow's state between steps (serialised into ussd_session.state). */
struct flow {
    enum step at;
    char child[8];                    /* the child chosen (visit, check-in), 7 digits or "" */
    int result;                       /* visit result 1-4, 0 before */
    int page;                         /* check-in list page, from 0 */
    int list;                         /* 1: the check-in child came from the list (0 goes back to it) */
    char case_no[DB_CASE_NO_MAX + 1]; /* the report's case, "" before the category */
    int priority;                     /* that case's priority 0-3 */
    char reply[32];                   /* template of the SMS answer to the report, for its END */
};

/* One screen being built: UTF-8, cut to USSD_SCREEN_MAX characters at the end. */
struct screen {
    int end;
    char text[sizeof((struct ussd_out *)0)->screen];
    size_t len;
};

/* What one step works with. */
struct ctx {
    const struct h_env *env;
    const struct ussd_in *in;
    struct h_result *effects;
    struct db_ussd_session *sess;
};

/* ---- screens ---------------------------------------------------------------- */

static void scr_add(struct screen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void scr_add(struct screen *s, const char *fmt, ...)
{
    size_t room = sizeof s->text - s->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->text + s->len, room, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    s->len = (size_t)n < room ? s->len + (size_t)n : sizeof s->text - 1;
}

static void scr_reset(struct screen *s)
{
    s->end = 0;
    s->len = 0;
    s->text[0] = '\0';
}

/* Cuts the screen to USSD_SCREEN_MAX characters (never mid-character).
 * Every screen below is written to fit; this only guards the limit. */
static void scr_fit(struct screen *s)
{
    size_t chars = 0, i = 0;
    for (; s->text[i]; i++) {
        if (((unsigned char)s->text[i] & 0xC0) == 0x80) continue;
        if (++chars > USSD_SCREEN_MAX) break;
    }
    s->text[i] = '\0';
    s->len = i;
}

static const char menu_text[] = "儿童关爱服务\n1 报告儿童受害或危险\n2 记录走访(儿童主任)\n3 家长报平安\n4 查询案件";
static const char back_text[] = "0 返回 00 主菜单";
static const char cat_text[] =
    "报告类别：\n1 性侵\n2 家暴虐待\n3 无人照料或遗弃\n4 走失拐卖\n5 自伤自杀\n6 溺水等紧急危险\n"
    "7 欺凌\n8 辍学\n9 其他";
static const char prob_text[] = "发现的问题(可多选,如24或XL JK)：\n1 监护JH 2 心理XL\n3 上学XX 4 健康JK\n"
                                "5 生活SH 6 安全AQ\n7 亲情QG";
static const char expired_note[] = "会话已超时，请重新选择。";

/* Renders a template with the built-in texts into the screen. */
static void scr_template(struct screen *s, const char *tmpl, const struct h_var *vars, int nvars)
{
    struct gw_buf b = {0};
    char e[128];
    if (tmpl && tmpl_render(NULL, tmpl, vars, nvars, &b, e, sizeof e) == 0)
        scr_add(s, "%s", gw_buf_cstr(&b));
    else
        scr_add(s, "已收到，谢谢。");
    gw_buf_free(&b);
}

/* The children linked to the phone's guardian record; -1 on a store error. */
static int phone_kids(struct ctx *c, struct db_child *kids, int max, int64_t *gid)
{
    int rc = db_guardian_by_phone(c->env->st, c->in->phone, gid);
    if (rc < 0) return -1;
    if (rc == 1) return 0;
    int n = db_guardian_children(c->env->st, *gid, kids, max);
    return n > max ? max : n;
}

/* The question of f's step, after an optional note (the reason an input
 * was refused). Returns 0 or -1 (store error). */
static int ask(struct ctx *c, const struct flow *f, const char *note, struct screen *s)
{
    scr_reset(s);
    if (note && *note) scr_add(s, "%s\n", note);
    switch (f->at) {
    case S_MENU:
    case S_DONE: scr_add(s, "%s", menu_text); break;
    case S_R_CAT: scr_add(s, "%s\n%s", cat_text, back_text); break;
    case S_R_CHILD:
        if (f->priority == 0) scr_add(s, "情况紧急，请立即拨打110或120！\n");
        scr_add(s, "案件号%s已登记。\n请输入儿童的7位编号，不知道请输0", f->case_no);
        break;
    case S_R_DESC: scr_add(s, "请简要说明情况(何时、何地、发生了什么)，不写请输0"); break;
    case S_V_CHILD: scr_add(s, "记录走访：请输入儿童的7位编号\n%s", back_text); break;
    case S_V_RESULT:
        scr_add(s, "儿童%s的走访结果：\n1 正常\n2 有问题\n3 未见到儿童\n4 电话或视频联系\n%s", f->child, back_text);
        break;
    case S_V_PROB: scr_add(s, "%s\n%s", prob_text, back_text); break;
    case S_C_CHILD: {
        struct db_child kids[MAX_KIDS];
        int64_t gid = 0;
        int n = phone_kids(c, kids, MAX_KIDS, &gid);
        if (n < 0) return -1;
        int pages = n > 0 ? (n + PAGE_ITEMS - 1) / PAGE_ITEMS : 1;
        int page = f->page < pages ? f->page : pages - 1;
        scr_add(s, "为哪个孩子报平安：\n");
        for (int i = 0; i < PAGE_ITEMS && page * PAGE_ITEMS + i < n; i++)
            scr_add(s, "%d %s\n", i + 1, kids[page * PAGE_ITEMS + i].code);
        if (page + 1 < pages) scr_add(s, "9 更多 ");
        scr_add(s, "%s", back_text);
        break;
    }
    case S_C_STATUS:
        scr_add(s, "孩子%s的情况：\n1 平安\n2 需要帮助\n3 我要回家\n4 照护人变更\n%s", f->child, back_text);
        break;
    case S_S_CASE: scr_add(s, "查询案件：请输入案件号（10-12位）\n%s", back_text); break;
    }
    scr_fit(s);
    return 0;
}

/* ---- state ---------------------------------------------------------------------- */

static void flow_reset(struct flow *f) { memset(f, 0, sizeof *f); }

static void flow_write(const struct flow *f, char *out, size_t outlen)
{
    snprintf(out, outlen, "at=%s;child=%s;res=%d;page=%d;list=%d;case=%s;p=%d;reply=%s", step_names[f->at], f->child,
             f->result, f->page, f->list, f->case_no, f->priority, f->reply);
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* Reads a stored state. 0, or -1 when it is not one this file wrote. */
static int flow_read(const char *s, struct flow *f)
{
    flow_reset(f);
    int have_at = 0;
    while (*s) {
        const char *end = strchr(s, ';');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        if (!eq) return -1;
        size_t klen = (size_t)(eq - s), vlen = len - klen - 1;
        char v[40];
        if (vlen >= sizeof v) return -1;
        memcpy(v, eq + 1, vlen);
        v[vlen] = '\0';
        long n = 0;
#define KEY(k) (klen == sizeof k - 1 && !memcmp(s, k, klen))
        if (KEY("at")) {
            for (size_t i = 0; i < NSTEPS; i++)
                if (!strcmp(v, step_names[i])) f->at = (enum step)i, have_at = 1;
            if (!have_at) return -1;
        } else if (KEY("child")) {
            if (vlen && !cb_child_code_valid(v)) return -1;
            memcpy(f->child, v, vlen + 1);
        } else if (KEY("case")) {
            if (vlen && !cb_case_no_valid(v, vlen)) return -1;
            memcpy(f->case_no, v, vlen + 1);
        } else if (KEY("reply")) {
            if (vlen && (vlen >= sizeof f->reply || !tmpl_find(v))) return -1;
            memcpy(f->reply, v, vlen + 1);
        } else if (KEY("res")) {
            if (gw_parse_long(v, 0, 4, &n) < 0) return -1;
            f->result = (int)n;
        } else if (KEY("page")) {
            if (gw_parse_long(v, 0, MAX_KIDS / PAGE_ITEMS, &n) < 0) return -1;
            f->page = (int)n;
        } else if (KEY("list")) {
            if (gw_parse_long(v, 0, 1, &n) < 0) return -1;
            f->list = (int)n;
        } else if (KEY("p")) {
            if (gw_parse_long(v, 0, 3, &n) < 0) return -1;
            f->priority = (int)n;
        }
#undef KEY
        s += len + (end ? 1 : 0);
    }
    if (!have_at) return -1;
    /* A step that needs what it names. */
    if ((f->at == S_R_CHILD || f->at == S_R_DESC) && (!f->case_no[0] || !f->reply[0])) return -1;
    if ((f->at == S_V_RESULT || f->at == S_V_PROB || f->at == S_C_STATUS) && !f->child[0]) return -1;
    return 0;
}

/* ---- running an intent ---------------------------------------------------------------- */

/* One action of the session: the message it stands for (from the
 * session's phone, no inbox row, no text), its sender as dispatch
 * identifies one, and the intent's result. */
struct action {
    struct h_msg m;
    struct h_sender who;
    struct h_result res;
};

/* A new action for intent (heap: a result is large), or NULL with err
 * filled on a store error. Free it with free(). */
static struct action *action_begin(struct ctx *c, enum cb_intent intent, char *err, size_t errlen)
{
    struct action *a = gw_malloc(sizeof *a);
    a->m =
        (struct h_msg){.inbox_id = 0, .channel = c->in->channel, .from = c->in->phone, .text = "", .now = c->in->now};
    h_result_init(&a->res);
    a->res.intent = intent;
    a->res.result = "unknown";
    if (h_identify(c->env->st, c->in->phone, &a->who) == 0) return a;
    gw_err(err, errlen, "store: %s", store_errmsg(c->env->st));
    free(a);
    return NULL;
}

/* Ends an action whose intent returned rc: the answer to the sender is
 * copied into *answer (tmpl NULL when there was none); every other reply is
 * appended to the effects. Frees a. Returns rc (-1: err filled). */
static int action_end(struct ctx *c, struct action *a, int rc, struct h_reply *answer, char *err, size_t errlen)
{
    memset(answer, 0, sizeof *answer);
    for (int i = 0; rc == 0 && i < a->res.nreplies; i++) {
        const struct h_reply *r = &a->res.replies[i];
        if (r->kind == H_REPLY && !strcmp(r->to, c->in->phone)) {
            if (!answer->tmpl) *answer = *r;
            continue; /* the screen carries it */
        }
        if (c->effects->nreplies < H_MAX_REPLIES) c->effects->replies[c->effects->nreplies++] = *r;
    }
    if (rc != 0) gw_err(err, errlen, "store: %s", store_errmsg(c->env->st));
    free(a);
    return rc;
}

/* Makes the answer of the last step's action the END screen. */
static void finish(struct flow *f, const struct h_reply *answer, struct screen *s)
{
    scr_reset(s);
    scr_template(s, answer->tmpl, answer->vars, answer->nvars);
    scr_fit(s);
    s->end = 1;
    f->at = S_DONE;
}

/* Path 2's end: records the visit to f->child with result and problems (CB_P_* bits), dated today. */
static int visit_end(struct ctx *c, struct flow *f, unsigned problems, struct screen *s, char *err, size_t errlen)
{
    struct action *a = action_begin(c, CB_VISIT, err, errlen);
    if (!a) return -1;
    struct h_visit_in v = {.child = f->child, .result = f->result, .problems = problems};
    struct h_reply answer;
    if (action_end(c, a, h_visit_record(c->env, &a->m, &a->who, &v, &a->res), &answer, err, errlen) != 0) return -1;
    finish(f, &answer, s);
    return 0;
}

/* Path 3's end: the check-in of f->child with status. */
static int checkin_end(struct ctx *c, struct flow *f, int status, struct screen *s, char *err, size_t errlen)
{
    struct action *a = action_begin(c, CB_CHECKIN, err, errlen);
    if (!a) return -1;
    struct h_checkin_in in = {.child = f->child, .status = status};
    struct h_reply answer;
    if (action_end(c, a, h_checkin_record(c->env, &a->m, &a->who, &in, &a->res), &answer, err, errlen) != 0) return -1;
    finish(f, &answer, s);
    return 0;
}

/* Path 4's end: the status of case number `number`. */
static int status_end(struct ctx *c, struct flow *f, const char *number, struct screen *s, char *err, size_t errlen)
{
    struct action *a = action_begin(c, CB_STATUS, err, errlen);
    if (!a) return -1;
    struct h_reply answer;
    if (action_end(c, a, h_case_status(c->env, &a->m, &a->who, number, &a->res), &answer, err, errlen) != 0) return -1;
    finish(f, &answer, s);
    return 0;
}

/* ---- the report's case ---------------------------------------------------------------- */

/* Category chosen: the case opens as an SMS report of that category opens it. */
static int report_open(struct ctx *c, struct flow *f, int cat, char *err, size_t errlen)
{
    struct action *a = action_begin(c, CB_REPORT, err, errlen);
    if (!a) return -1;
    struct h_report_in in = {.category = cat, .classified = 1};
    struct h_case k;
    struct h_reply answer;
    if (action_end(c, a, h_report_open(c->env, &a->m, &a->who, &in, &a->res, &k), &answer, err, errlen) != 0) return -1;
    if (!answer.tmpl) {
        gw_err(err, errlen, "report: no answer to the reporter");
        return -1;
    }
    memcpy(f->case_no, k.number, sizeof f->case_no);
    f->priority = k.priority;
    gw_strlcpy(f->reply, answer.tmpl, sizeof f->reply);
    c->sess->case_id = k.id;
    char detail[64];
    snprintf(detail, sizeof detail, "channel=%.40s", c->in->channel ? c->in->channel : "");
    if (db_case_event(c->env->st, k.id, "ussd_session", 0, detail, c->in->now) != 0) return -1;
    f->at = S_R_CHILD;
    return 0;
}

/* The directors of the child's village hear of a case naming the child, as
 * after an SMS report (h_case_alert): for a classified case in the
 * village's county whose category does not keep the village out, once per
 * director other than the reporter, held to working hours from P2 on. */
static int tell_village(struct ctx *c, const struct db_case *k, const struct db_child *child)
{
    if (k->flood_of) return 0; /* held by the flood rule: nobody is told one by one */
    if (!k->classified || !k->county_id || k->county_id != child->region.county_id || child->region.level != 3)
        return 0;
    struct db_region county;
    int rc = db_region_by_id(c->env->st, k->county_id, &county);
    if (rc != 0) return rc < 0 ? -1 : 0;
    if (!routing_village_told(c->env->pol, county.path, k->category)) return 0;
    int64_t later = k->priority >= 2 ? h_next_work_time(c->env->pol, c->in->now) : 0;
    int told =
        h_village_notice(c->env, k->id, k->number, k->priority, child->region.id, c->in->phone, later, c->effects);
    if (told < 0) return -1;
    char detail[32];
    snprintf(detail, sizeof detail, "count=%d", told);
    return told ? db_case_event(c->env->st, k->id, "village_told", 0, detail, c->in->now) : 0;
}

static int report_child(struct ctx *c, const struct flow *f, const struct db_child *child)
{
    struct db_case k;
    int rc = db_case_by_number(c->env->st, f->case_no, &k);
    if (rc != 0) return rc < 0 ? -1 : 0; /* the case is gone: nothing to add to */
    rc = db_case_attach_child(c->env->st, k.id, child);
    if (rc != 0) return rc < 0 ? -1 : 0; /* it names a child already */
    char detail[40];
    snprintf(detail, sizeof detail, "code=%s", child->code);
    if (db_case_event(c->env->st, k.id, "child_named", 0, detail, c->in->now) != 0) return -1;
    if (db_case_by_number(c->env->st, f->case_no, &k) != 0) return -1;
    return tell_village(c, &k, child);
}

static int report_desc(struct ctx *c, const struct flow *f, const char *desc)
{
    struct db_case k;
    int rc = db_case_by_number(c->env->st, f->case_no, &k);
    if (rc != 0) return rc < 0 ? -1 : 0;
    rc = db_case_attach_description(c->env->st, k.id, desc);
    if (rc != 0) return rc < 0 ? -1 : 0;
    return db_case_event(c->env->st, k.id, "description_added", 0, "ussd", c->in->now);
}

/* The report's END: the SMS answer the category step got, with its case number. */
static void report_end(struct flow *f, struct screen *s)
{
    struct h_var v = {.name = "case"};
    gw_strlcpy(v.value, f->case_no, sizeof v.value);
    scr_reset(s);
    scr_template(s, f->reply, &v, 1);
    scr_fit(s);
    s->end = 1;
    f->at = S_DONE;
}

/* ---- inputs ------------------------------------------------------------------------------ */

/* Input without surrounding blanks. */
struct input {
    const char *p;
    size_t len;
};

static struct input trim(const char *p, size_t len)
{
    while (len && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r' || p[len - 1] == '\n')) len--;
    return (struct input){p, len};
}

static int is(struct input in, const char *s) { return in.len == strlen(s) && !memcmp(in.p, s, in.len); }

/* A single digit in [lo, hi], else 0. */
static int digit_in(struct input in, int lo, int hi)
{
    if (in.len != 1 || in.p[0] < '0' || in.p[0] > '9') return 0;
    int d = in.p[0] - '0';
    return d >= lo && d <= hi ? d : 0;
}

/* Checks a child code's form: 0 with code (8 bytes) when it is 7 digits
 * with a good check digit, else 1 with the reason in note. Whether such a
 * child is registered is never said here: that would tell anyone. */
static int check_code(struct input in, char *code, char *note, size_t notelen)
{
    if (in.len == 0) {
        snprintf(note, notelen, "请输入儿童编号。");
        return 1;
    }
    if (in.len != 7 || !all_digits(in.p, in.len)) {
        snprintf(note, notelen, "儿童编号应为7位数字。");
        return 1;
    }
    memcpy(code, in.p, 7);
    code[7] = '\0';
    if (!cb_child_code_valid(code)) {
        snprintf(note, notelen, "编号%s校验位不对，请核对。", code);
        return 1;
    }
    return 0;
}

/* A well-formed code that names no registered child: kept on the case for
 * triage, and the report goes on as with any other code. */
static int report_unknown_child(struct ctx *c, const struct flow *f, const char *code)
{
    struct db_case k;
    int rc = db_case_by_number(c->env->st, f->case_no, &k);
    if (rc != 0) return rc < 0 ? -1 : 0;
    char detail[40];
    snprintf(detail, sizeof detail, "child_unknown:%s", code);
    return db_case_event(c->env->st, k.id, "child_named", 0, detail, c->in->now);
}

/* Problem codes as typed: two-letter codes (any case), their digits 1-7
 * from the screen's list, or the code book's words, in any mix and with
 * any separators. 0 with *bits, -1 when something else is there. */
static int parse_problems(struct input in, unsigned *bits)
{
    static const struct {
        const char *code, *word1, *word2;
    } probs[] = {
        {"JH", "监护", NULL}, {"XL", "心理", NULL}, {"XX", "上学", "辍学"}, {"JK", "健康", NULL},
        {"SH", "生活", NULL}, {"AQ", "安全", NULL}, {"QG", "亲情", NULL},
    };
    char *norm = cb_normalize(in.p, in.len); /* upper case; '*', commas and blanks -> ' ' */
    const char *p = norm;
    *bits = 0;
    int bad = 0;
    while (*p && !bad) {
        if (*p == ' ') {
            p++;
            continue;
        }
        if (*p >= '1' && *p <= '7') {
            *bits |= 1u << (*p - '1');
            p++;
            continue;
        }
        int hit = 0;
        for (size_t i = 0; i < sizeof probs / sizeof probs[0] && !hit; i++) {
            const char *w[3] = {probs[i].code, probs[i].word1, probs[i].word2};
            for (int k = 0; k < 3 && !hit; k++)
                if (w[k] && !strncmp(p, w[k], strlen(w[k]))) {
                    *bits |= 1u << i;
                    p += strlen(w[k]);
                    hit = 1;
                }
        }
        bad = !hit;
    }
    free(norm);
    return bad || !*bits ? -1 : 0;
}

/* Menu key 2: only visiting staff go on; anyone else gets the SMS refusal
 * (the last step checks again, in h_visit_record). */
static int visit_start(struct ctx *c, struct flow *f, struct screen *s)
{
    struct db_staff staff;
    int rc = db_staff_by_phone(c->env->st, c->in->phone, &staff);
    if (rc < 0) return -1;
    if (rc == 0 &&
        (!strcmp(staff.role, "director") || !strcmp(staff.role, "supervisor") || !strcmp(staff.role, "admin"))) {
        f->at = S_V_CHILD;
        return ask(c, f, NULL, s);
    }
    scr_reset(s);
    scr_template(s, "visit_not_staff", NULL, 0);
    s->end = 1;
    f->at = S_DONE;
    return 0;
}

/* Menu key 3: a guardian with one child goes to the status, with several
 * to the list; anyone else gets the SMS answer. */
static int checkin_start(struct ctx *c, struct flow *f, struct screen *s)
{
    struct db_child kids[2];
    int64_t gid = 0;
    int rc = db_guardian_by_phone(c->env->st, c->in->phone, &gid);
    if (rc < 0) return -1;
    int n = rc == 0 ? db_guardian_children(c->env->st, gid, kids, 2) : 0;
    if (n < 0) return -1;
    if (n == 0) {
        scr_reset(s);
        scr_template(s, rc == 1 ? "checkin_not_guardian" : "checkin_no_children", NULL, 0);
        s->end = 1;
        f->at = S_DONE;
        return 0;
    }
    f->page = 0;
    if (n == 1) {
        memcpy(f->child, kids[0].code, sizeof f->child);
        f->list = 0;
        f->at = S_C_STATUS;
    } else {
        f->list = 1;
        f->at = S_C_CHILD;
    }
    return ask(c, f, NULL, s);
}

/* Applies one input to the flow and builds the next screen. Returns 0 when
 * the input was taken, 1 when it was refused (the same question with the
 * reason), -1 on a store error (err says why). */
static int feed(struct ctx *c, struct flow *f, struct input raw, struct screen *s, char *err, size_t errlen)
{
    struct input in = trim(raw.p, raw.len);
    char note[128] = "";
    int rc = 0, d;
    struct db_child child;
    char code[8];

    /* Back and main menu on the menu screens and required inputs. */
    int nav = f->at != S_R_CHILD && f->at != S_R_DESC && f->at != S_DONE;
    if (nav && is(in, "00")) {
        flow_reset(f);
        goto ask;
    }
    if (nav && is(in, "0")) {
        switch (f->at) {
        case S_V_RESULT: f->at = S_V_CHILD; break;
        case S_V_PROB: f->at = S_V_RESULT; break;
        case S_C_CHILD:
            if (f->page > 0)
                f->page--;
            else
                flow_reset(f);
            break;
        case S_C_STATUS:
            if (f->list)
                f->at = S_C_CHILD;
            else
                flow_reset(f);
            break;
        default: flow_reset(f); break;
        }
        goto ask;
    }

    switch (f->at) {
    case S_DONE:
    case S_MENU:
        f->at = S_MENU;
        switch (digit_in(in, 1, 4)) {
        case 1: f->at = S_R_CAT; break;
        case 2: return visit_start(c, f, s) < 0 ? -1 : 0;
        case 3: return checkin_start(c, f, s) < 0 ? -1 : 0;
        case 4: f->at = S_S_CASE; break;
        default: snprintf(note, sizeof note, "输入有误，请选1-4。"); break;
        }
        break;
    case S_R_CAT:
        if (!(d = digit_in(in, 1, 9))) {
            snprintf(note, sizeof note, "输入有误，请选1-9。");
            break;
        }
        if (report_open(c, f, d, err, errlen) != 0) return -1;
        break;
    case S_R_CHILD:
        if (is(in, "0")) {
            f->at = S_R_DESC;
            break;
        }
        if (check_code(in, code, note, sizeof note) != 0) break;
        rc = db_child_by_code(c->env->st, code, &child);
        if (rc < 0) return -1;
        if ((rc == 0 ? report_child(c, f, &child) : report_unknown_child(c, f, code)) != 0) return -1;
        f->at = S_R_DESC;
        break;
    case S_R_DESC:
        if (in.len == 0) {
            snprintf(note, sizeof note, "请写几句情况，不写请输0。");
            break;
        }
        if (!is(in, "0")) {
            char *desc = gw_strndup(in.p, in.len);
            rc = report_desc(c, f, desc);
            free(desc);
            if (rc != 0) return -1;
        }
        report_end(f, s);
        return 0;
    case S_V_CHILD:
        if (check_code(in, code, note, sizeof note) != 0) break;
        rc = h_visit_allowed(c->env, c->in->phone, code, &child);
        if (rc < 0) return -1;
        if (rc == 0) {
            /* One answer for "no such child" and "not yours", as by SMS. */
            snprintf(note, sizeof note, "儿童%s不在您负责的村，请核对编号。", code);
            break;
        }
        memcpy(f->child, child.code, sizeof f->child);
        f->at = S_V_RESULT;
        break;
    case S_V_RESULT:
        if (!(d = digit_in(in, 1, 4))) {
            snprintf(note, sizeof note, "输入有误，请选1-4。");
            break;
        }
        f->result = d;
        if (d == 2) {
            f->at = S_V_PROB;
            break;
        }
        return visit_end(c, f, 0, s, err, errlen);
    case S_V_PROB: {
        unsigned bits;
        if (parse_problems(in, &bits) != 0) {
            snprintf(note, sizeof note, "问题代码有误，请按下面的数字或代码输入。");
            break;
        }
        return visit_end(c, f, bits, s, err, errlen);
    }
    case S_C_CHILD: {
        struct db_child kids[MAX_KIDS];
        int64_t gid = 0;
        int n = phone_kids(c, kids, MAX_KIDS, &gid);
        if (n < 0) return -1;
        int pages = n > 0 ? (n + PAGE_ITEMS - 1) / PAGE_ITEMS : 1;
        if (f->page >= pages) f->page = pages - 1;
        int on_page = n - f->page * PAGE_ITEMS < PAGE_ITEMS ? n - f->page * PAGE_ITEMS : PAGE_ITEMS;
        if (is(in, "9") && f->page + 1 < pages) {
            f->page++;
            break;
        }
        if (!(d = digit_in(in, 1, on_page))) {
            snprintf(note, sizeof note, "输入有误，请选1-%d。", on_page > 0 ? on_page : 1);
            break;
        }
        memcpy(f->child, kids[f->page * PAGE_ITEMS + d - 1].code, sizeof f->child);
        f->at = S_C_STATUS;
        break;
    }
    case S_C_STATUS:
        if (!(d = digit_in(in, 1, 4))) {
            snprintf(note, sizeof note, "输入有误，请选1-4。");
            break;
        }
        return checkin_end(c, f, d, s, err, errlen);
    case S_S_CASE:
        if (!cb_case_no_valid(in.p, in.len)) {
            snprintf(note, sizeof note, "案件号应为10-12位数字，如2403150001。");
            break;
        } else {
            char number[DB_CASE_NO_MAX + 1];
            memcpy(number, in.p, in.len);
            number[in.len] = '\0';
            return status_end(c, f, number, s, err, errlen);
        }
    }
ask:
    if (ask(c, f, note, s) != 0) return -1;
    return note[0] ? 1 : 0;
}

/* Steps that take the rest of the text whole, '*' included. */
static int takes_rest(enum step at) { return at == S_R_DESC || at == S_V_PROB; }

/* The inputs dialled with the service code on a session's first request,
 * one '*'-separated segment at a time from the main menu. */
static int replay(struct ctx *c, struct flow *f, const char *text, struct screen *s, char *err, size_t errlen)
{
    const char *p = text;
    for (;;) {
        const char *star = takes_rest(f->at) ? NULL : strchr(p, '*');
        size_t len = star ? (size_t)(star - p) : strlen(p);
        int rc = feed(c, f, (struct input){p, len}, s, err, errlen);
        if (rc < 0) return -1;
        if (rc == 1 || s->end || !star) return 0;
        p = star + 1;
    }
}

/* 1 when text is a strict prefix of the stored history at a '*' (a late
 * copy of an earlier step), or empty while the history is not. */
static int earlier_step(const char *text, const char *last)
{
    size_t n = strlen(text);
    if (n == 0) return last[0] != '\0';
    return !strncmp(last, text, n) && last[n] == '*';
}

/* The new input in text given the last text answered. */
static struct input new_input(const char *text, const char *last)
{
    size_t n = strlen(last);
    if (n == 0) return (struct input){text, strlen(text)};
    if (!strncmp(text, last, n) && text[n] == '*') return (struct input){text + n + 1, strlen(text + n + 1)};
    const char *star = strrchr(text, '*');
    const char *seg = star ? star + 1 : text;
    return (struct input){seg, strlen(seg)};
}

int ussd_step(const struct h_env *env, const struct ussd_in *in, struct ussd_out *out, struct h_result *effects,
              char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *text = in->text ? in->text : "";
    if (!in->session_id || !*in->session_id || !in->phone || !*in->phone || strlen(text) > DB_USSD_TEXT_MAX) {
        /* The provider layer bounds and requires these; refuse politely anyway. */
        out->end = 1;
        gw_strlcpy(out->screen, "输入过长或有误，请重新拨打。", sizeof out->screen);
        return 0;
    }

    struct db_ussd_session *sess = gw_calloc(1, sizeof *sess);
    struct ctx c = {.env = env, .in = in, .effects = effects, .sess = sess};
    struct screen *s = gw_calloc(1, sizeof *s);
    struct flow f;
    int rc = db_ussd_get(env->st, in->channel, in->session_id, sess);
    if (rc < 0) goto store_fail;
    if (rc == 0 && strcmp(sess->phone, in->phone) != 0) {
        memset(sess, 0, sizeof *sess); /* another phone: a session of its own */
        rc = 1;
    }
    if (rc == 0 && sess->has_last && (!strcmp(sess->last_text, text) || earlier_step(text, sess->last_text))) {
        /* A retried (or late) step: the same answer, nothing done again. */
        out->end = sess->last_end;
        gw_strlcpy(out->screen, sess->last_screen, sizeof out->screen);
        goto done;
    }

    flow_reset(&f);
    if (rc == 1 || !sess->has_last) {
        sess->case_id = 0;
        if (text[0] == '\0')
            rc = ask(&c, &f, NULL, s);
        else
            rc = replay(&c, &f, text, s, err, errlen);
    } else if (in->now - sess->updated_at > USSD_SESSION_TTL) {
        rc = ask(&c, &f, expired_note, s);
    } else if (sess->last_end || flow_read(sess->state, &f) != 0) {
        flow_reset(&f);
        rc = ask(&c, &f, NULL, s);
    } else {
        rc = feed(&c, &f, new_input(text, sess->last_text), s, err, errlen);
    }
    if (rc < 0) goto fail;

    gw_strlcpy(sess->phone, in->phone, sizeof sess->phone);
    flow_write(&f, sess->state, sizeof sess->state);
    sess->has_last = 1;
    gw_strlcpy(sess->last_text, text, sizeof sess->last_text);
    gw_strlcpy(sess->last_screen, s->text, sizeof sess->last_screen);
    sess->last_end = s->end;
    if (db_ussd_put(env->st, in->channel, in->session_id, in->service_code, sess, in->now) != 0) goto store_fail;
    out->end = s->end;
    gw_strlcpy(out->screen, s->text, sizeof out->screen);
done:
    free(s);
    free(sess);
    return 0;
store_fail:
    gw_err(err, errlen, "store: %s", store_errmsg(env->st));
fail:
    if (err && errlen && !err[0]) gw_err(err, errlen, "store: %s", store_errmsg(env->st));
    free(s);
    free(sess);
    return -1;
}
