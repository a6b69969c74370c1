/* handlers/voice.c - the voice line's menu: one request of a
 * call in, one provider-neutral voice_doc out.
 *
 * The steps (each named in the URL the provider calls back; the path
 * column of the call row lists them, then "done", "bye" or "hotline"):
 *
 *   first request   greeting + the menu
 *   menu            1 report; 2 visit, for staff whose ZF the code book
 *                   takes (directors, and supervisors and admins; anyone
 *                   else hears that it is for directors, menu again);
 *                   0 the hotline ([policy] hotline; unset: said, menu)
 *   report_cat      category 1-9 (the list said in words): the case is
 *                   opened at once by h_report_open, as an SMS report of
 *                   that category from the caller opens it; then Record
 *   report_rec      the description (120 s at most, '#' ends): its URL is
 *                   queued for the fetcher (store_media_add), then the
 *                   case number is said digit by digit, twice; goodbye
 *   visit_child     7 digits, Damm-checked and a known child
 *   visit_result    1-4; 1, 3, 4 record the visit
 *   visit_problem   (result 2) one or more keys 1-7 for JH XL XX JK SH AQ
 *                   QG, '#' ends: keypads cannot type the codes
 *
 * A visit is recorded by h_visit_record with the keyed code, result and
 * problems (dated today), the intent an SMS ZF reaches once parsed, so
 * authorisation and its effects are the SMS's; its outcome is said, then
 * goodbye. Each action runs as dispatch runs a message from the caller:
 * the sender identified by the number, no inbox row (intents.h).
 *
 * No keys (the Gather's fall-through Redirect comes back with none) or a
 * wrong key repeats the question with the reason, at most twice; a third
 * miss ends the call politely (a report still hears its case number).
 *
 * Every answer names its next step as "<name>_<n>", n counting the
 * prompts of the call, so each prompt has a step of its own. The call row
 * keeps the step expected next (state "at"), the request key of the last
 * answer (step, keys, whether a recording came) and that answer,
 * serialised. A request with the last key is a retry: it gets the same
 * answer and nothing is done again. A request for any other step than the
 * one expected (a late duplicate of an earlier step) gets the last answer
 * too. A restarted process reads all of this back from the store.
 *
 * The provider's final callback (in->final) records the duration and the
 * final status, and queues a recording it carries (a caller who hangs up
 * while recording). Replies the intents produce (the reporter's SMS with
 * the case number, alerts, notices, the director's confirmation) go to
 * effects for the caller to write as outbox rows.
 *
 * Runs on the store writer, inside the caller's transaction; domain logic
 * only (no HTTP, no SQL).
 */
#include "voice.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"
#include "codebook.h"
#include "intents.h"

#define TRIES_MAX    2   /* repeats of a question after the first asking */
#define MENU_TIMEOUT 10  /* seconds to wait for a key */
#define CODE_TIMEOUT 15  /* seconds to wait for a 7-digit child code */
#define LIST_TIMEOUT 15  /* seconds to wait for problem keys */
#define REC_TIMEOUT  10  /* seconds of silence that end a recording */
#define REC_MAX      120 /* seconds a description may last */

/* ---- what the caller hears ------------------------------------------------ */

static const char t_greeting[] = "您好，这里是儿童关爱热线。";
static const char t_menu[] = "报告儿童遇到危险或困难，请按1；儿童主任记录走访，请按2；转接人工热线，请按0。";
static const char t_no_input[] = "没有听到您的按键。";
static const char t_bad_key[] = "按键无效。";
static const char t_give_up[] = "没有收到有效的按键，请稍后再拨。再见。";
static const char t_directors[] = "记录走访仅供登记的儿童主任使用。";
static const char t_hotline[] = "正在为您转接人工热线，请稍候。";
static const char t_no_hotline[] = "人工热线暂未开通。";
static const char t_category[] = "请按数字选择孩子遇到的情况：1性侵害，2暴力或虐待，3无人照料或被遗弃，4走失或被拐，"
                                 "5自伤或心理危机，6溺水或其他紧急危险，7欺凌，8辍学，9其他。";
static const char t_urgent[] = "情况紧急，请同时拨打110或120。";
static const char t_record[] = "报告已登记。请在提示音后说出孩子在哪里、发生了什么，最长两分钟，说完请按井号键。";
static const char t_no_recording[] = "没有录到您的声音。";
static const char t_thanks[] = "谢谢，您的描述已收到。";
static const char t_not_recorded[] = "没有录到描述，报告已经登记。";
static const char t_case_fmt[] = "您的案件号是：%s。再说一遍：%s。";
static const char t_case_sms[] = "请记下案件号，我们会尽快处理。再见。";
static const char t_child[] = "请输入7位儿童编号。";
static const char t_child_bad[] = "编号有误，请核对。";
/* One answer for "no such child" and "not yours", as by SMS. */
static const char t_child_not_yours[] = "这个编号不在您负责的村，请核对。";
static const char t_result[] =
    "请选择走访结果：1见到儿童，一切正常；2见到儿童，发现问题；3上门未见到儿童；4电话或视频联系。";
static const char t_problem[] = "请选择发现的问题，可以按多个数字，按井号键结束：1监护缺失，2心理或行为，3上学或辍学，"
                                "4健康或残疾，5生活困难，6安全隐患，7与父母缺少联系。";
static const char t_bye[] = "再见。";
static const char t_store_trouble[] = "系统繁忙，请稍后再拨。再见。";

/* What the caller hears after the visit, by the template of its answer. */
static const struct {
    const char *tmpl;
    const char *said;
} visit_said[] = {
    {"visit_ok", "走访已记录，谢谢。"},
    {"visit_ok_problem", "走访和发现的问题已记录，请持续跟进。"},
    {"visit_ok_high", "走访已记录。这个孩子今后请每%s天走访一次。"},
    {"visit_ok_absent", "走访已记录。没有见到孩子，请尽快再去看望。"},
    {"visit_ok_phone", "电话或视频联系已记录。"},
    {"visit_not_allowed", "这个孩子不在您负责的村，不能记录走访。"},
    {"visit_not_staff", "只有儿童主任和督导员可以记录走访。"},
    {"child_unknown", "没有这个儿童编号。"},
};
static const char t_visit_failed[] = "走访没有记录成功，请发短信或稍后再试。";

/* Roles whose ZF the code book accepts at all. */
static const char *const visit_roles[] = {"director", "supervisor", "admin"};

/* ---- the flow's state (call.state) ----------------------------------------- */

struct flow {
    int n;                     /* prompts given so far in the call (the <n> of step names) */
    char at[DB_CALL_STEP_MAX]; /* step expected next; "end" after the call was ended; "" before the first answer */
    int tries;                 /* misses at the current question, 0..TRIES_MAX */
    int cat;                   /* report category 1-9, 0 before it is chosen */
    char case_no[DB_CASE_NO_MAX + 1]; /* the case opened, "" before */
    char child[8];                    /* visit: the child's code, "" before */
    int result;                       /* visit result 1-4, 0 before */
};

static void flow_parse(const char *s, struct flow *f)
{
    memset(f, 0, sizeof *f);
    while (s && *s) {
        size_t len = strcspn(s, ";");
        const char *eq = memchr(s, '=', len);
        if (eq) {
            size_t klen = (size_t)(eq - s);
            const char *v = eq + 1;
            size_t vlen = len - klen - 1;
            char val[DB_CALL_STEP_MAX];
            if (vlen >= sizeof val) vlen = sizeof val - 1;
            memcpy(val, v, vlen);
            val[vlen] = '\0';
            long num = 0;
            int isnum = gw_parse_long(val, 0, 1000000, &num) == 0;
            if (klen == 1 && !strncmp(s, "n", 1) && isnum)
                f->n = (int)num;
            else if (klen == 2 && !strncmp(s, "at", 2))
                gw_strlcpy(f->at, val, sizeof f->at);
            else if (klen == 5 && !strncmp(s, "tries", 5) && isnum)
                f->tries = (int)num;
            else if (klen == 3 && !strncmp(s, "cat", 3) && isnum)
                f->cat = (int)num;
            else if (klen == 4 && !strncmp(s, "case", 4))
                gw_strlcpy(f->case_no, val, sizeof f->case_no);
            else if (klen == 5 && !strncmp(s, "child", 5))
                gw_strlcpy(f->child, val, sizeof f->child);
            else if (klen == 6 && !strncmp(s, "result", 6) && isnum)
                f->result = (int)num;
        }
        s += len;
        if (*s == ';') s++;
    }
}

static void flow_format(const struct flow *f, char *out, size_t outlen)
{
    snprintf(out, outlen, "n=%d;at=%s;tries=%d;cat=%d;case=%s;child=%s;result=%d", f->n, f->at, f->tries, f->cat,
             f->case_no, f->child, f->result);
}

/* ---- the answer serialised (call.last_doc) -----------------------------------
 * One line per verb: kind|num_digits|timeout|max_length|next|number|text.
 * next and number never hold '|' or a line break (steps are ours; a
 * number's are replaced); text runs to the end of the line (line breaks
 * replaced by spaces). */

static void put_clean(struct gw_buf *b, const char *s, int bar_too)
{
    for (; *s; s++) gw_buf_putc(b, (*s == '\n' || *s == '\r' || (bar_too && *s == '|')) ? ' ' : *s);
}

static char *doc_serialise(const struct voice_doc *d)
{
    struct gw_buf b = {0};
    for (int i = 0; i < d->n; i++) {
        const struct voice_verb *v = &d->v[i];
        gw_buf_printf(&b, "%d|%d|%d|%d|", (int)v->kind, v->num_digits, v->timeout, v->max_length);
        put_clean(&b, v->next, 1);
        gw_buf_putc(&b, '|');
        put_clean(&b, v->number, 1);
        gw_buf_putc(&b, '|');
        put_clean(&b, v->text, 0);
        gw_buf_putc(&b, '\n');
    }
    return gw_buf_steal(&b);
}

/* Copies the field of s up to '|' into out; returns the byte after it, or NULL. */
static const char *field(const char *s, const char *end, char *out, size_t outlen)
{
    const char *bar = memchr(s, '|', (size_t)(end - s));
    if (!bar) return NULL;
    size_t n = (size_t)(bar - s);
    if (n >= outlen) return NULL;
    memcpy(out, s, n);
    out[n] = '\0';
    return bar + 1;
}

/* Parses doc_serialise's text into *d. 0, or -1 when it is not one. */
static int doc_parse(const char *s, struct voice_doc *d)
{
    memset(d, 0, sizeof *d);
    while (s && *s) {
        const char *end = strchr(s, '\n');
        if (!end) end = s + strlen(s);
        if (d->n >= VOICE_MAX_VERBS) return -1;
        struct voice_verb *v = &d->v[d->n];
        char num[4][16];
        long val[4];
        const char *p = s;
        for (int k = 0; k < 4; k++) {
            if (!(p = field(p, end, num[k], sizeof num[k]))) return -1;
            if (gw_parse_long(num[k], 0, 100000, &val[k]) < 0) return -1;
        }
        if (val[0] > VOICE_REDIRECT) return -1;
        v->kind = (enum voice_verb_kind)val[0];
        v->num_digits = (int)val[1];
        v->timeout = (int)val[2];
        v->max_length = (int)val[3];
        if (!(p = field(p, end, v->next, sizeof v->next))) return -1;
        if (!(p = field(p, end, v->number, sizeof v->number))) return -1;
        size_t tlen = (size_t)(end - p);
        if (tlen >= sizeof v->text) return -1;
        memcpy(v->text, p, tlen);
        v->text[tlen] = '\0';
        d->n++;
        s = *end ? end + 1 : end;
    }
    return 0;
}

/* ---- building answers ------------------------------------------------------ */

struct ctx {
    const struct h_env *env;
    const struct voice_in *in;
    struct db_call *call;
    struct flow *f;
    struct voice_doc *out;
    struct h_result *effects;
    char *err;
    size_t errlen;
};

/* Sets dst (a verb's text) to a followed by b. Our texts always fit. */
static void set_text(char *dst, size_t cap, const char *a, const char *b)
{
    int n = snprintf(dst, cap, "%s%s", a ? a : "", b ? b : "");
    if (n < 0 || (size_t)n >= cap) dst[0] = '\0'; /* never cut a character in half */
}

/* Appends a verb; never NULL. Answers hold at most four verbs, so a full
 * document is a programming error: the last verb is overwritten rather
 * than written past the array. */
static struct voice_verb *add_verb(struct voice_doc *d, enum voice_verb_kind kind)
{
    assert(d->n < VOICE_MAX_VERBS);
    if (d->n >= VOICE_MAX_VERBS) d->n = VOICE_MAX_VERBS - 1;
    struct voice_verb *v = &d->v[d->n++];
    memset(v, 0, sizeof *v);
    v->kind = kind;
    return v;
}

static void path_add(struct db_call *call, const char *name)
{
    size_t have = strlen(call->path), add = strlen(name) + (have ? 1 : 0);
    if (have + add + 1 > sizeof call->path) return; /* a caller looping through the menu: the start is kept */
    if (have) call->path[have++] = '>';
    memcpy(call->path + have, name, strlen(name) + 1);
}

/* Asks a question: Gather into a new step named after base, then a
 * Redirect to the same step for when no key comes (Twilio falls through
 * an empty Gather; AT moves on without calling back). */
static void ask(struct ctx *c, const char *base, const char *prefix, const char *prompt, int num_digits, int timeout)
{
    c->f->n++;
    snprintf(c->f->at, sizeof c->f->at, "%.40s_%d", base, c->f->n);
    struct voice_verb *g = add_verb(c->out, VOICE_GATHER);
    set_text(g->text, sizeof g->text, prefix, prompt);
    gw_strlcpy(g->next, c->f->at, sizeof g->next);
    g->num_digits = num_digits;
    g->timeout = timeout;
    struct voice_verb *r = add_verb(c->out, VOICE_REDIRECT);
    gw_strlcpy(r->next, c->f->at, sizeof r->next);
    path_add(c->call, base);
}

static void ask_menu(struct ctx *c, const char *prefix) { ask(c, "menu", prefix, t_menu, 1, MENU_TIMEOUT); }

static void ask_record(struct ctx *c, const char *prefix)
{
    c->f->n++;
    snprintf(c->f->at, sizeof c->f->at, "report_rec_%d", c->f->n);
    struct voice_verb *r = add_verb(c->out, VOICE_RECORD);
    set_text(r->text, sizeof r->text, prefix, t_record);
    gw_strlcpy(r->next, c->f->at, sizeof r->next);
    r->max_length = REC_MAX;
    r->timeout = REC_TIMEOUT;
    struct voice_verb *d = add_verb(c->out, VOICE_REDIRECT);
    gw_strlcpy(d->next, c->f->at, sizeof d->next);
    path_add(c->call, "report_rec");
}

static void say(struct ctx *c, const char *a, const char *b)
{
    struct voice_verb *v = add_verb(c->out, VOICE_SAY);
    set_text(v->text, sizeof v->text, a, b);
}

/* Ends the call after what was said: Hangup; later requests get this again. */
static void hang_up(struct ctx *c, const char *tag)
{
    add_verb(c->out, VOICE_HANGUP);
    gw_strlcpy(c->f->at, "end", sizeof c->f->at);
    path_add(c->call, tag);
}

/* "2611290001" -> "2 6 1 1 2 9 0 0 0 1" */
static void spell(const char *digits, char *out, size_t outlen)
{
    size_t o = 0;
    for (const char *p = digits; *p && o + 3 < outlen; p++) {
        if (o) out[o++] = ' ';
        out[o++] = *p;
    }
    out[o] = '\0';
}

static void say_case_number(struct ctx *c, const char *before)
{
    char spelt[2 * DB_CASE_NO_MAX + 2], line[256];
    spell(c->f->case_no, spelt, sizeof spelt);
    if (before) say(c, before, NULL);
    snprintf(line, sizeof line, t_case_fmt, spelt, spelt);
    say(c, line, NULL);
    say(c, t_case_sms, NULL);
}

/* A missed answer (no key, or a wrong one: reason says which): the
 * question again, or after TRIES_MAX repeats the polite end. */
static int missed(struct ctx *c, const char *reason, void (*again)(struct ctx *c, const char *prefix))
{
    if (++c->f->tries > TRIES_MAX) {
        if (c->f->case_no[0]) {
            say_case_number(c, t_not_recorded);
        } else {
            say(c, t_give_up, NULL);
        }
        hang_up(c, "bye");
        return 0;
    }
    again(c, reason);
    return 0;
}

/* The keys pressed, digits only, into out (at most outlen-1). Returns 0
 * when no key came, 1 when keys came (out may then be "" for '*' alone). */
static int keys(const struct voice_in *in, char *out, size_t outlen)
{
    size_t o = 0;
    out[0] = '\0';
    if (!in->digits || !in->digits[0]) return 0;
    for (const char *p = in->digits; *p && o + 1 < outlen; p++)
        if (*p >= '0' && *p <= '9') out[o++] = *p;
    out[o] = '\0';
    return 1;
}

/* Copies the replies of an intent into effects (those to a hidden number
 * cannot be sent and are dropped). */
static void take_replies(struct ctx *c, const struct h_result *res)
{
    for (int i = 0; i < res->nreplies && c->effects->nreplies < H_MAX_REPLIES; i++)
        if (res->replies[i].to[0]) c->effects->replies[c->effects->nreplies++] = res->replies[i];
}

static const char *var_of(const struct h_reply *r, const char *name)
{
    for (int i = 0; i < r->nvars; i++)
        if (!strcmp(r->vars[i].name, name)) return r->vars[i].value;
    return NULL;
}

/* One action of the call: the message it stands for (from the caller,
 * no inbox row, no text), its sender as dispatch identifies one, and the
 * intent's result. */
struct action {
    struct h_msg m;
    struct h_sender who;
    struct h_result res;
};

/* Starts an action for intent as handlers_run starts a message. 0, or -1
 * on a store error. */
static int action_begin(struct ctx *c, enum cb_intent intent, struct action *a)
{
    const char *from = c->in->from ? c->in->from : "";
    a->m = (struct h_msg){.inbox_id = 0, .channel = c->in->channel, .from = from, .text = "", .now = c->in->now};
    h_result_init(&a->res);
    a->res.intent = intent;
    a->res.result = "unknown";
    return h_identify(c->env->st, from, &a->who);
}

/* Ends an action whose intent returned rc: its replies go to effects.
 * Returns rc. */
static int action_end(struct ctx *c, struct action *a, int rc)
{
    if (rc == 0) take_replies(c, &a->res);
    return rc;
}

/* ---- the steps ------------------------------------------------------------------ */

static void again_menu(struct ctx *c, const char *prefix) { ask_menu(c, prefix); }
static void again_category(struct ctx *c, const char *prefix)
{
    ask(c, "report_cat", prefix, t_category, 1, MENU_TIMEOUT);
}
static void again_record(struct ctx *c, const char *prefix) { ask_record(c, prefix); }
static void again_child(struct ctx *c, const char *prefix) { ask(c, "visit_child", prefix, t_child, 7, CODE_TIMEOUT); }
static void again_result(struct ctx *c, const char *prefix)
{
    ask(c, "visit_result", prefix, t_result, 1, MENU_TIMEOUT);
}
static void again_problem(struct ctx *c, const char *prefix)
{
    ask(c, "visit_problem", prefix, t_problem, 0, LIST_TIMEOUT);
}

/* 1 when the caller is staff whose ZF the code book takes, 0 if not, -1. */
static int may_record_visits(struct ctx *c)
{
    struct db_staff s;
    int rc = db_staff_by_phone(c->env->st, c->in->from ? c->in->from : "", &s);
    if (rc < 0) return -1;
    if (rc == 1) return 0;
    for (size_t i = 0; i < sizeof visit_roles / sizeof visit_roles[0]; i++)
        if (!strcmp(s.role, visit_roles[i])) return 1;
    return 0;
}

static int on_menu(struct ctx *c)
{
    char k[8];
    if (!keys(c->in, k, sizeof k)) return missed(c, t_no_input, again_menu);
    if (!strcmp(k, "1")) {
        c->f->tries = 0;
        again_category(c, NULL);
        return 0;
    }
    if (!strcmp(k, "2")) {
        int may = may_record_visits(c);
        if (may < 0) return -1;
        c->f->tries = 0;
        if (may)
            again_child(c, NULL);
        else
            ask_menu(c, t_directors);
        return 0;
    }
    if (!strcmp(k, "0")) {
        const char *hotline = c->env->pol ? c->env->pol->hotline : NULL;
        c->f->tries = 0;
        if (!hotline || !*hotline) {
            ask_menu(c, t_no_hotline);
            return 0;
        }
        say(c, t_hotline, NULL);
        struct voice_verb *d = add_verb(c->out, VOICE_DIAL);
        gw_strlcpy(d->number, hotline, sizeof d->number);
        hang_up(c, "hotline");
        return 0;
    }
    return missed(c, t_bad_key, again_menu);
}

/* Opens the case of category cat as an SMS report of it would. *p0: the
 * case is P0 (also when a held flood run's answer does not say so). */
static int open_case(struct ctx *c, int cat, int *p0)
{
    struct action a;
    struct h_case k;
    struct h_report_in in = {.category = cat, .classified = 1};
    if (action_begin(c, CB_REPORT, &a) != 0) return -1;
    if (action_end(c, &a, h_report_open(c->env, &a.m, &a.who, &in, &a.res, &k)) != 0) return -1;
    c->call->case_id = k.id;
    gw_strlcpy(c->f->case_no, k.number, sizeof c->f->case_no);
    *p0 = k.priority == 0;
    char detail[48];
    snprintf(detail, sizeof detail, "call=%lld", (long long)c->call->id);
    return db_case_event(c->env->st, c->call->case_id, "voice_call", 0, detail, c->in->now);
}

static int on_category(struct ctx *c)
{
    char k[8];
    if (!keys(c->in, k, sizeof k)) return missed(c, t_no_input, again_category);
    if (strlen(k) != 1 || k[0] < '1' || k[0] > '9') return missed(c, t_bad_key, again_category);
    int p0 = 0;
    if (!c->call->case_id) { /* a case per call: never a second one */
        c->f->cat = k[0] - '0';
        if (open_case(c, c->f->cat, &p0) != 0) return -1;
    }
    c->f->tries = 0;
    ask_record(c, p0 ? t_urgent : NULL);
    return 0;
}

/* Queues a recording of the call's case for the fetcher. 0 or -1. */
static int attach_recording(const struct h_env *env, const struct voice_in *in, const struct db_call *call)
{
    int64_t media_id = 0;
    int rc = store_media_add(env->st, in->channel, call->case_id, call->id, in->recording_url, in->recording_duration,
                             in->now, &media_id);
    if (rc < 0) return -1;
    if (rc == 1) return 0; /* already queued */
    char detail[48];
    snprintf(detail, sizeof detail, "media=%lld", (long long)media_id);
    return db_case_event(env->st, call->case_id, "recording", 0, detail, in->now);
}

static int on_recording(struct ctx *c)
{
    if (!c->call->case_id) { /* nothing to attach it to: start over */
        c->f->tries = 0;
        ask_menu(c, NULL);
        return 0;
    }
    if (!c->in->recording_url || !c->in->recording_url[0]) return missed(c, t_no_recording, again_record);
    if (attach_recording(c->env, c->in, c->call) != 0) return -1;
    say_case_number(c, t_thanks);
    hang_up(c, "done");
    return 0;
}

static int on_child(struct ctx *c)
{
    char k[16];
    if (!keys(c->in, k, sizeof k)) return missed(c, t_no_input, again_child);
    if (!cb_child_code_valid(k)) return missed(c, t_child_bad, again_child);
    struct db_child child;
    int rc = h_visit_allowed(c->env, c->in->from ? c->in->from : "", k, &child);
    if (rc < 0) return -1;
    if (rc == 0) return missed(c, t_child_not_yours, again_child);
    gw_strlcpy(c->f->child, k, sizeof c->f->child);
    c->f->tries = 0;
    again_result(c, NULL);
    return 0;
}

/* Records the visit (problems: CB_P_* bits, key k for bit k-1) and says
 * how it went. */
static int do_visit(struct ctx *c, unsigned problems)
{
    struct action a;
    struct h_visit_in v = {.child = c->f->child, .result = c->f->result, .problems = problems};
    if (action_begin(c, CB_VISIT, &a) != 0) return -1;
    if (action_end(c, &a, h_visit_record(c->env, &a.m, &a.who, &v, &a.res)) != 0) return -1;

    char line[256];
    const char *said = t_visit_failed;
    const struct h_reply *r = a.res.nreplies > 0 ? &a.res.replies[0] : NULL;
    for (size_t i = 0; r && i < sizeof visit_said / sizeof visit_said[0]; i++)
        if (!strcmp(r->tmpl, visit_said[i].tmpl)) said = visit_said[i].said;
    if (r && !strcmp(r->tmpl, "visit_ok_high")) {
        const char *days = var_of(r, "days");
        snprintf(line, sizeof line, said, days ? days : "14");
        said = line;
    }
    say(c, said, t_bye);
    hang_up(c, "done");
    return 0;
}

static int on_result(struct ctx *c)
{
    char k[8];
    if (!c->f->child[0]) { /* no child yet: ask for it */
        again_child(c, NULL);
        return 0;
    }
    if (!keys(c->in, k, sizeof k)) return missed(c, t_no_input, again_result);
    if (strlen(k) != 1 || k[0] < '1' || k[0] > '4') return missed(c, t_bad_key, again_result);
    c->f->result = k[0] - '0';
    c->f->tries = 0;
    if (c->f->result == 2) {
        again_problem(c, NULL);
        return 0;
    }
    return do_visit(c, 0);
}

static int on_problem(struct ctx *c)
{
    char k[16];
    if (!c->f->child[0] || c->f->result != 2) {
        again_child(c, NULL);
        return 0;
    }
    if (!keys(c->in, k, sizeof k)) return missed(c, t_no_input, again_problem);
    unsigned bits = 0;
    for (const char *p = k; *p; p++) {
        if (*p < '1' || *p > '7') return missed(c, t_bad_key, again_problem);
        bits |= 1u << (*p - '1');
    }
    if (!bits) return missed(c, t_bad_key, again_problem);
    c->f->tries = 0;
    return do_visit(c, bits);
}

/* ---- one request -------------------------------------------------------------- */

/* The step's name without its "_<n>". */
static void base_of(const char *step, char *out, size_t outlen)
{
    gw_strlcpy(out, step, outlen);
    char *u = strrchr(out, '_');
    if (u && u[1] && strspn(u + 1, "0123456789") == strlen(u + 1)) *u = '\0';
}

static int on_final(const struct h_env *env, const struct voice_in *in, struct db_call *call, int found)
{
    if (!found && db_call_start(env->st, in->channel, in->call_id, in->from, in->to, in->now, &call->id) != 0)
        return -1;
    if (in->recording_url && in->recording_url[0] && call->case_id && attach_recording(env, in, call) != 0) return -1;
    const char *status = in->call_status && in->call_status[0] ? in->call_status : "completed";
    return db_call_end(env->st, call->id, status, in->duration, in->now) < 0 ? -1 : 0;
}

int voice_step(const struct h_env *env, const struct voice_in *in, struct voice_doc *out, struct h_result *effects,
               char *err, size_t errlen)
{
    struct db_call call;
    struct flow f;
    char key[DB_CALL_KEY_MAX];
    const char *step = in->step ? in->step : "";
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (err && errlen) err[0] = '\0';
    int got = db_call_get(env->st, in->channel, in->call_id, &call);
    if (got < 0) goto store_fail;
    int found = got == 0;

    if (in->final) {
        if (on_final(env, in, &call, found) != 0) goto store_fail;
        rc = 0;
        goto end;
    }

    snprintf(key, sizeof key, "%.63s|%.64s|%s", step, in->digits ? in->digits : "",
             in->recording_url && in->recording_url[0] ? "rec" : "");
    flow_parse(call.state, &f);
    /* A retry, or a late duplicate of an earlier step: the last answer again. */
    if (found && call.last_doc && (!strcmp(call.last_key, key) || (f.at[0] && strcmp(step, f.at) != 0))) {
        if (doc_parse(call.last_doc, out) != 0) {
            /* Not what doc_serialise writes: end the call rather than do
             * anything a second time, or fail so that the provider retries
             * the same request for ever. */
            memset(out, 0, sizeof *out);
            say(&(struct ctx){.out = out}, t_store_trouble, NULL);
            add_verb(out, VOICE_HANGUP);
        }
        rc = 0;
        goto end;
    }
    if (!found) {
        if (db_call_start(env->st, in->channel, in->call_id, in->from, in->to, in->now, &call.id) != 0) goto store_fail;
    }

    struct ctx c = {
        .env = env, .in = in, .call = &call, .f = &f, .out = out, .effects = effects, .err = err, .errlen = errlen};
    char base[DB_CALL_STEP_MAX];
    base_of(step, base, sizeof base);
    int hrc;
    if (!found || !f.at[0] || !step[0]) {
        f.tries = 0;
        ask_menu(&c, t_greeting);
        hrc = 0;
    } else if (!strcmp(base, "menu")) {
        hrc = on_menu(&c);
    } else if (!strcmp(base, "report_cat")) {
        hrc = on_category(&c);
    } else if (!strcmp(base, "report_rec")) {
        hrc = on_recording(&c);
    } else if (!strcmp(base, "visit_child")) {
        hrc = on_child(&c);
    } else if (!strcmp(base, "visit_result")) {
        hrc = on_result(&c);
    } else if (!strcmp(base, "visit_problem")) {
        hrc = on_problem(&c);
    } else {
        f.tries = 0;
        ask_menu(&c, NULL);
        hrc = 0;
    }
    if (hrc != 0) {
        if (!err || !err[0]) goto store_fail;
        goto end;
    }

    flow_format(&f, call.state, sizeof call.state);
    gw_strlcpy(call.last_step, step, sizeof call.last_step);
    gw_strlcpy(call.last_key, key, sizeof call.last_key);
    free(call.last_doc);
    call.last_doc = doc_serialise(out);
    if (db_call_save(env->st, &call, in->now) != 0) goto store_fail;
    rc = 0;
    goto end;

store_fail:
    gw_err(err, errlen, "store: %s", store_errmsg(env->st));
end:
    if (rc != 0) memset(out, 0, sizeof *out); /* the caller rolls back and answers 503: the provider retries */
    db_call_clear(&call);
    return rc;
}
