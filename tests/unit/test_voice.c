/* tests/unit/test_voice.c - the voice line: the menu flow as tables of
 * steps, and the Twilio and Africa's Talking voice hooks.
 *
 * Flows: every call is a table of requests (the step, the keys, a
 * recording, or the provider's final callback) -> the answer's verbs
 * (S say, G gather, R record, D dial, H hang up, X redirect), a substring
 * of what the caller hears, the step the answer names next, the replies
 * it causes, and the change in cases, visits and media rows. Each call
 * runs on a fresh temporary database with a small imported roster (示例县, two
 * villages, two directors, a supervisor, responders of 公安/民政/教育, two
 * children) at a fixed clock, 2024-03-15 10:00 in Asia/Shanghai, so the
 * first case is 2403150001. A request runs through voice_step inside a
 * transaction as the pipeline runs it; "restart" reopens the store before
 * every request. After the last request the call row's path, and an
 * optional SQL probe, are checked. Every answer is also rendered by both
 * providers.
 *
 * Providers: every tests/fixtures/{twilio,africastalking}/voice-*.http
 * goes through verify and parse_voice and is checked against its
 * "# key:" lines (call_id, from, to, digits, recording_url, call_status,
 * duration, recording_duration, "-" for none; final yes|no; status and
 * reason). Then exact TwiML and AT XML for a few documents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../core/store.h"
#include "../../db/sqlite.h"
#include "../../core/config.h"
#include "../../core/util.h"
#include "../../gateway/routes.h"
#include "../../handlers/handler.h"
#include "../../handlers/intents.h"
#include "../../handlers/voice.h"
#include "../../providers/provider.h"
#include "../common/fixture.h"
#include "../common/seed.h"
#include "../common/teststore.h"

#define NOW          1710468000LL /* 2024-03-15 10:00:00 +08:00 */
#define TWILIO_TOKEN "fake_auth_token_0123456789abcdef"
#define AT_TOKEN     "demo-at-token"
#define PUB          "https://gw.example.com"
#define CASE1        "2 4 0 3 1 5 0 0 0 1" /* the first case of the day, said digit by digit */
#define HOTLINE      "+8613800009000"
#define REC_URL      "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"
#define REC_URL2     "https://voice.example-at.test/recordings/ATVId_2.mp3"

#define D1  "+8613800000001" /* director, 示例县/东镇/桃村 */
#define D2  "+8613800000002" /* director, 示例县/东镇/李村 */
#define SUP "+8613800000010" /* supervisor, 示例县/东镇 */
#define POL "+8613800000020" /* responder police, 示例县 */
#define U1  "+8613700000001" /* the public */
#define U2  "+8613700000002"

/* The roster, imported 100 days before the clock. */
static const char regions[] = "path\n示例县/东镇/桃村\n示例县/东镇/李村\n";
static const char staff[] = "phone,name,role,region,department\n"
                            D1 ",钱主任,director,示例县/东镇/桃村,\n"
                            D2 ",孙主任,director,示例县/东镇/李村,\n"
                            SUP ",郑督导,supervisor,示例县/东镇,\n"
                            POL ",王警官,responder,示例县,police\n"
                            "+8613800000021,冯科长,responder,示例县,civil_affairs\n"
                            "+8613800000022,陈老师,responder,示例县,education\n";
static const char children[] = "code,name,sex,birth_date,region,categories,flags\n"
                               "1000015,张小明,M,2014-05-01,示例县/东镇/桃村,left_behind,\n"
                               "1000031,王小刚,M,2013-07-03,示例县/东镇/李村,left_behind,\n";

/* ---- the world ------------------------------------------------------------- */

struct world {
    char path[SEED_PATH_MAX];
    struct store *st;
    struct gw_policy pol;
};

static struct world *world_new(const char *hotline)
{
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    struct world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->st = seed_store_new("gw_voice", w->path);
    seed_roster(w->st, "regions", regions, NOW - 100 * 86400);
    seed_roster(w->st, "staff", staff, NOW - 100 * 86400);
    seed_roster(w->st, "children", children, NOW - 100 * 86400);
    w->pol.timezone = "Asia/Shanghai";
    w->pol.visit_days = 30;
    w->pol.visit_days_high = 14;
    w->pol.ack_minutes_p0 = 15;
    w->pol.ack_minutes_p1 = 30;
    w->pol.default_region = "示例县";
    w->pol.country_code = "86";
    w->pol.work_start = 8 * 60 + 30;
    w->pol.work_end = 17 * 60 + 30;
    w->pol.work_days = 0x1F;
    w->pol.hotline = (char *)hotline;
    return w;
}

static void world_reopen(struct world *w)
{
    char err[256] = "";
    store_close(w->st);
    w->st = NULL;
    assert_int_equal(seed_store_open(w->path, 0, &w->st, err, sizeof err), 0);
}

static void world_free(struct world *w)
{
    if (!w) return;
    seed_store_free(w->st, w->path);
    free(w);
}

static void probe(struct world *w, const char *sql, char *out, size_t outlen)
{
    test_sql_q1(w->path, sql, out, outlen);
}

static long count_rows(struct world *w, const char *table)
{
    char sql[64], v[32];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    probe(w, sql, v, sizeof v);
    return strtol(v, NULL, 10);
}

/* ---- one request -------------------------------------------------------------- */

struct req {
    const char *step;
    const char *digits;
    const char *rec;
    long rec_dur;
    int final;
    const char *status;
    long duration;
};

static int run_req(struct world *w, const char *channel, const char *call_id, const char *from, const struct req *r,
                   int64_t now, struct voice_doc *doc, struct h_result *eff)
{
    struct h_env env = {.st = w->st, .pol = &w->pol};
    struct voice_in in = {
        .channel = channel,
        .call_id = call_id,
        .from = from,
        .to = "+12025550100",
        .step = r->step,
        .digits = r->digits,
        .recording_url = r->rec,
        .recording_duration = r->rec ? r->rec_dur : -1,
        .call_status = r->status,
        .duration = r->final ? r->duration : -1,
        .final = r->final,
        .now = now,
    };
    char err[256] = "";
    memset(eff, 0, sizeof *eff);
    assert_int_equal(store_begin(w->st), 0);
    int rc = voice_step(&env, &in, doc, eff, err, sizeof err);
    if (rc == 0)
        assert_int_equal(store_commit(w->st), 0);
    else {
        store_rollback(w->st);
        fail_msg("voice_step: %s", err);
    }
    return rc;
}

static char verb_letter(enum voice_verb_kind k)
{
    switch (k) {
    case VOICE_SAY: return 'S';
    case VOICE_GATHER: return 'G';
    case VOICE_RECORD: return 'R';
    case VOICE_DIAL: return 'D';
    case VOICE_HANGUP: return 'H';
    case VOICE_REDIRECT: return 'X';
    }
    return '?';
}

/* The step the answer names for the next request ("" when none). */
static const char *next_of(const struct voice_doc *d)
{
    for (int i = 0; i < d->n; i++)
        if (d->v[i].kind == VOICE_GATHER || d->v[i].kind == VOICE_RECORD) return d->v[i].next;
    return "";
}

static int doc_equal(const struct voice_doc *a, const struct voice_doc *b)
{
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++) {
        const struct voice_verb *x = &a->v[i], *y = &b->v[i];
        if (x->kind != y->kind || strcmp(x->text, y->text) || strcmp(x->next, y->next) ||
            x->num_digits != y->num_digits || x->timeout != y->timeout || x->max_length != y->max_length ||
            strcmp(x->number, y->number))
            return 0;
    }
    return 1;
}

/* What every answer must be: a Gather or Record is followed by a Redirect
 * to the same step; a Hangup ends it; both providers render it. */
static void check_doc_shape(const char *where, const struct voice_doc *d)
{
    for (int i = 0; i < d->n; i++) {
        const struct voice_verb *v = &d->v[i];
        if (v->kind == VOICE_GATHER || v->kind == VOICE_RECORD) {
            if (i + 1 >= d->n || d->v[i + 1].kind != VOICE_REDIRECT || strcmp(d->v[i + 1].next, v->next))
                fail_msg("%s: verb %d is not followed by a Redirect to %s", where, i, v->next);
            if (!v->next[0] || strspn(v->next, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(v->next))
                fail_msg("%s: step name \"%s\" is not a URL segment the server takes", where, v->next);
            if (!v->text[0]) fail_msg("%s: verb %d has no prompt", where, i);
        }
        if (v->kind == VOICE_SAY && !v->text[0]) fail_msg("%s: empty Say", where);
        if (v->kind == VOICE_HANGUP && i != d->n - 1) fail_msg("%s: verbs after the Hangup", where);
    }
    static const char *const provs[] = {"twilio", "africastalking"};
    for (int p = 0; p < 2; p++) {
        const struct provider_ops *ops = prov_find(provs[p]);
        struct gw_kv kv = {.key = "token", .value = AT_TOKEN};
        struct gw_channel ch = {.name = "c", .provider = (char *)provs[p], .ops = ops, .keys = &kv, .nkeys = 1};
        struct prov_response resp = {0};
        ops->render_voice(&ch, d, PUB "/hooks/c/voice/", &resp);
        assert_int_equal(resp.status, 200);
        const char *xml = gw_buf_cstr(&resp.body);
        if (strncmp(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response", 45))
            fail_msg("%s: %s renders %s", where, provs[p], xml);
        const char *next = next_of(d);
        if (next[0] && !strstr(xml, next)) fail_msg("%s: %s loses step %s", where, provs[p], next);
        gw_buf_free(&resp.body);
    }
}

/* ---- the flow tables ------------------------------------------------------------ */

#define SAME  "=" /* the step of the previous request again */
#define STALE "~" /* the step the answer before the previous one named */

struct row {
    const char *step;         /* NULL: the step the last answer named ("" before any); SAME; STALE; or literally */
    const char *digits;       /* keys, or NULL for none */
    const char *rec;          /* a recording's URL, or NULL */
    int final;                /* 1: the provider's final callback */
    const char *status;       /* its CallStatus */
    long duration;            /* its call seconds */
    const char *verbs;        /* the answer's verbs: S G R D H X ("" for none) */
    const char *has;          /* a substring of what is said (or dialled), or NULL */
    const char *next;         /* the next step's name without "_<n>", "" when the answer names none */
    int replies;              /* replies caused (to the caller, alerts, notices) */
    int cases, visits, media; /* change in rows */
    int same;                 /* 1: the answer equals the previous one */
};

struct flow {
    const char *name;
    const char *from;
    const char *hotline; /* [policy] hotline, or NULL */
    int restart;         /* 1: a new store handle before every request */
    const char *path;    /* call.path at the end */
    const char *sql;     /* probe, or NULL */
    const char *want;
    struct row rows[12];
};

#define START(...)                                                                                                     \
    {                                                                                                                  \
        NULL, NULL, NULL, 0, NULL, 0, "GX", "您好", "menu", .replies = __VA_ARGS__                                     \
    }
#define KEY(k, verbs, has, next, ...)                                                                                  \
    {                                                                                                                  \
        NULL, k, NULL, 0, NULL, 0, verbs, has, next, .replies = __VA_ARGS__                                            \
    }
#define NOKEY(verbs, has, next, ...)                                                                                   \
    {                                                                                                                  \
        NULL, NULL, NULL, 0, NULL, 0, verbs, has, next, .replies = __VA_ARGS__                                         \
    }
#define REC(url, verbs, has, next, ...)                                                                                \
    {                                                                                                                  \
        NULL, NULL, url, 0, NULL, 0, verbs, has, next, .replies = __VA_ARGS__                                          \
    }
#define FINAL(st, secs, ...)                                                                                           \
    {                                                                                                                  \
        NULL, NULL, NULL, 1, st, secs, "", NULL, "", .replies = __VA_ARGS__                                            \
    }
#define CALL_ROW(col) "SELECT " col " FROM call WHERE call_id = 'CALL'"

static const struct flow flows[] = {
    {"report with a recording",
     U1,
     NULL,
     0,
     "menu>report_cat>report_rec>done",
     "SELECT c.category || ' P' || c.priority || ' ' || m.status || ' ' || m.duration || ' ' || CAST(m.call_row_id = "
     "k.id AS INTEGER) || ' ' || k.duration || ' ' || k.final_status FROM cases c JOIN call k ON k.case_id = c.id JOIN media m "
     "ON m.case_id = c.id",
     "2 P1 queued 12 1 95 completed",
     {
         START(0),
         KEY("1", "GX", "1性侵害，2暴力或虐待", "report_cat", 0),
         /* BG 2: the reporter's SMS and alerts to 公安 and 民政 */
         KEY("2", "RX", "提示音后", "report_rec", 3, .cases = 1),
         {NULL, "#", REC_URL, 0, NULL, 0, "SSSH", "案件号是：" CASE1 "。再说一遍：" CASE1, "", .replies = 0,
          .media = 1},
         FINAL("completed", 95, 0),
     }},
    {"report, hang-up after the category",
     U2,
     NULL,
     0,
     "menu>report_cat>report_rec",
     "SELECT c.category || ' P' || c.priority || ' ' || (SELECT count(*) FROM media) || ' ' || k.duration || ' ' || "
     "k.final_status || ' ' || CAST(k.ended_at IS NOT NULL AS INTEGER) FROM cases c JOIN call k ON k.case_id = c.id",
     "6 P0 0 30 completed 1",
     {
         START(0),
         KEY("1", "GX", NULL, "report_cat", 0),
         KEY("6", "RX", "情况紧急，请同时拨打110或120", "report_rec", 3, .cases = 1),
         FINAL("completed", 30, 0),
     }},
    {"report, hang-up while recording (the recording comes with the end)",
     U2,
     NULL,
     0,
     "menu>report_cat>report_rec",
     "SELECT url || ' ' || status FROM media",
     REC_URL2 " queued",
     {
         START(0),
         KEY("1", "GX", NULL, "report_cat", 0),
         KEY("3", "RX", NULL, "report_rec", 3, .cases = 1),
         {NULL, NULL, REC_URL2, 1, NULL, 40, "", NULL, "", .replies = 0, .media = 1},
         /* the same final again changes nothing */
         {NULL, NULL, REC_URL2, 1, NULL, 40, "", NULL, "", .replies = 0},
     }},
    {"report, nothing recorded three times: the case number all the same",
     U1,
     NULL,
     0,
     "menu>report_cat>report_rec>report_rec>report_rec>bye",
     CALL_ROW("(case_id IS NOT NULL)"),
     "1",
     {
         START(0),
         KEY("1", "GX", NULL, "report_cat", 0),
         KEY("4", "RX", "110", "report_rec", 3, .cases = 1),
         NOKEY("RX", "没有录到您的声音。报告已登记", "report_rec", 0),
         NOKEY("RX", "没有录到您的声音", "report_rec", 0),
         NOKEY("SSSH", "没有录到描述，报告已经登记。", "", 0),
     }},
    {"visit by the director, problems by a second menu",
     D1,
     NULL,
     0,
     "menu>visit_child>visit_result>visit_problem>done",
     "SELECT c.code || ' ' || v.result || ' ' || v.problems || ' ' || v.visit_date || ' ' || CAST(v.inbox_id IS NULL AS INTEGER) "
     "FROM visit v JOIN child c ON c.id = v.child_id",
     "1000015 2 XL|SH 2024-03-15 1",
     {
         START(0),
         KEY("2", "GX", "请输入7位儿童编号", "visit_child", 0),
         KEY("1000015", "GX", "请选择走访结果", "visit_result", 0),
         KEY("2", "GX", "可以按多个数字，按井号键结束", "visit_problem", 0),
         /* XL moves the child to the high cadence: the confirmation says so */
         KEY("25#", "SH", "每14天走访一次。再见", "", 1, .visits = 1),
     }},
    {"visit, result 1",
     D1,
     NULL,
     0,
     "menu>visit_child>visit_result>done",
     "SELECT result || ' ' || problems || '.' FROM visit",
     "1 .",
     {
         START(0),
         KEY("2", "GX", NULL, "visit_child", 0),
         KEY("1000015", "GX", NULL, "visit_result", 0),
         KEY("1", "SH", "走访已记录，谢谢。再见。", "", 1, .visits = 1),
     }},
    {"visit, a mistyped and an unknown code, a wrong result key",
     D1,
     NULL,
     0,
     "menu>visit_child>visit_child>visit_child>visit_result>visit_result>done",
     "SELECT result FROM visit",
     "3",
     {
         START(0),
         KEY("2", "GX", NULL, "visit_child", 0),
         KEY("1000016", "GX", "编号有误，请核对。请输入7位儿童编号", "visit_child", 0),
         KEY("1000028", "GX", "这个编号不在您负责的村", "visit_child", 0),
         KEY("1000015", "GX", NULL, "visit_result", 0),
         KEY("9", "GX", "按键无效。请选择走访结果", "visit_result", 0),
         KEY("3", "SH", "没有见到孩子", "", 1, .visits = 1),
     }},
    {"visit refused: the child of another village, in the words an unregistered code gets",
     D1,
     NULL,
     0,
     "menu>visit_child>visit_child>visit_result>done",
     "SELECT count(*) FROM visit",
     "1",
     {
         START(0),
         KEY("2", "GX", NULL, "visit_child", 0),
         KEY("1000031", "GX", "这个编号不在您负责的村，请核对。", "visit_child", 0),
         KEY("1000015", "GX", NULL, "visit_result", 0),
         KEY("1", "SH", "走访已记录", "", 1, .visits = 1),
     }},
    {"visit by a supervisor of the town",
     SUP,
     NULL,
     0,
     "menu>visit_child>visit_result>done",
     NULL,
     NULL,
     {
         START(0),
         KEY("2", "GX", NULL, "visit_child", 0),
         KEY("1000031", "GX", NULL, "visit_result", 0),
         KEY("4", "SH", "电话或视频联系已记录", "", 1, .visits = 1),
     }},
    {"visit refused for a caller who is not a director",
     U1,
     NULL,
     0,
     "menu>menu>report_cat",
     NULL,
     NULL,
     {
         START(0),
         KEY("2", "GX", "记录走访仅供登记的儿童主任使用。报告儿童", "menu", 0),
         KEY("1", "GX", NULL, "report_cat", 0),
     }},
    {"visit refused for a responder",
     POL,
     NULL,
     0,
     "menu>menu",
     NULL,
     NULL,
     {
         START(0),
         KEY("2", "GX", "仅供登记的儿童主任", "menu", 0),
     }},
    {"the hotline",
     U1,
     HOTLINE,
     0,
     "menu>hotline",
     NULL,
     NULL,
     {
         START(0),
         KEY("0", "SDH", HOTLINE, "", 0),
         FINAL("completed", 300, 0),
     }},
    {"the hotline not configured",
     U1,
     NULL,
     0,
     "menu>menu",
     NULL,
     NULL,
     {
         START(0),
         KEY("0", "GX", "人工热线暂未开通。报告", "menu", 0),
     }},
    {"no input twice, then goodbye",
     U1,
     NULL,
     0,
     "menu>menu>menu>bye",
     NULL,
     NULL,
     {
         START(0),
         NOKEY("GX", "没有听到您的按键。报告", "menu", 0),
         NOKEY("GX", "没有听到您的按键", "menu", 0),
         NOKEY("SH", "再见", "", 0),
         /* a late request after the goodbye gets it again */
         {SAME, NULL, NULL, 0, NULL, 0, "SH", "再见", "", .replies = 0, .same = 1},
     }},
    {"invalid keys at the menu",
     U1,
     NULL,
     0,
     "menu>menu>menu>bye",
     NULL,
     NULL,
     {
         START(0),
         KEY("5", "GX", "按键无效。报告", "menu", 0),
         KEY("*", "GX", "按键无效", "menu", 0),
         KEY("7", "SH", "没有收到有效的按键", "", 0),
     }},
    {"invalid and missing categories: no case",
     U1,
     NULL,
     0,
     "menu>report_cat>report_cat>report_cat>bye",
     "SELECT count(*) FROM cases",
     "0",
     {
         START(0),
         KEY("1", "GX", NULL, "report_cat", 0),
         KEY("0", "GX", "按键无效。请按数字选择", "report_cat", 0),
         NOKEY("GX", "没有听到您的按键。请按数字选择", "report_cat", 0),
         KEY("12", "SH", "再见", "", 0),
     }},
    {"a miss, then a good key: the count starts again",
     U1,
     NULL,
     0,
     "menu>menu>menu>report_cat>report_cat>report_cat",
     NULL,
     NULL,
     {
         START(0),
         NOKEY("GX", NULL, "menu", 0),
         KEY("8", "GX", NULL, "menu", 0),
         KEY("1", "GX", NULL, "report_cat", 0),
         NOKEY("GX", NULL, "report_cat", 0),
         NOKEY("GX", NULL, "report_cat", 0),
     }},
    {"retried requests",
     U1,
     NULL,
     0,
     "menu>report_cat>report_rec>done",
     "SELECT count(*) || ' ' || (SELECT count(*) FROM media) FROM cases",
     "1 1",
     {
         START(0),
         {SAME, NULL, NULL, 0, NULL, 0, "GX", "您好", "menu", .replies = 0, .same = 1},
         KEY("1", "GX", NULL, "report_cat", 0),
         {SAME, "1", NULL, 0, NULL, 0, "GX", NULL, "report_cat", .replies = 0, .same = 1},
         KEY("2", "RX", NULL, "report_rec", 3, .cases = 1),
         /* the category again: no second case, no second alert */
         {SAME, "2", NULL, 0, NULL, 0, "RX", NULL, "report_rec", .replies = 0, .same = 1},
         /* a late duplicate of an earlier step: the last answer, nothing done */
         {STALE, "3", NULL, 0, NULL, 0, "RX", NULL, "report_rec", .replies = 0, .same = 1},
         REC(REC_URL, "SSSH", CASE1, "", 0, .media = 1),
         {SAME, NULL, REC_URL, 0, NULL, 0, "SSSH", CASE1, "", .replies = 0, .same = 1},
     }},
    {"restart mid-call (a new store handle before every request)",
     U1,
     NULL,
     1,
     "menu>report_cat>report_rec>done",
     "SELECT k.duration || ' ' || (SELECT count(*) FROM media) FROM call k",
     "61 1",
     {
         START(0),
         KEY("1", "GX", NULL, "report_cat", 0),
         KEY("9", "RX", NULL, "report_rec", 1, .cases = 1),
         {SAME, "9", NULL, 0, NULL, 0, "RX", NULL, "report_rec", .replies = 0, .same = 1},
         REC(REC_URL, "SSSH", CASE1, "", 0, .media = 1),
         FINAL("completed", 61, 0),
     }},
    {"a final callback for a call never answered",
     U1,
     NULL,
     0,
     "",
     CALL_ROW("caller || ' ' || final_status || ' ' || duration || ' ' || state || '.'"),
     U1 " busy 0 .",
     {
         FINAL("busy", 0, 0),
     }},
    {"a final callback without a status word",
     U1,
     NULL,
     0,
     "menu",
     CALL_ROW("final_status || ' ' || coalesce(CAST(duration AS TEXT), '-')"),
     "completed -",
     {
         START(0),
         FINAL(NULL, -1, 0),
         /* requests after the end get the last answer */
         {SAME, NULL, NULL, 0, NULL, 0, "GX", "您好", "menu", .replies = 0, .same = 1},
     }},
};

static void run_flow(void **state)
{
    const struct flow *fl = *state;
    struct world *w = world_new(fl->hotline);
    char cur[64] = "", prev[64] = "", before[64] = "";
    struct voice_doc last = {0};
    for (int i = 0; i < 12 && fl->rows[i].verbs; i++) {
        const struct row *r = &fl->rows[i];
        char where[160];
        snprintf(where, sizeof where, "%s, request %d", fl->name, i + 1);
        if (fl->restart) world_reopen(w);
        const char *step = !r->step ? cur : !strcmp(r->step, SAME) ? prev : !strcmp(r->step, STALE) ? before : r->step;
        char stepbuf[64];
        snprintf(stepbuf, sizeof stepbuf, "%s", step);
        long cases = count_rows(w, "cases"), visits = count_rows(w, "visit"), media = count_rows(w, "media");
        struct req q = {.step = stepbuf,
                        .digits = r->digits,
                        .rec = r->rec,
                        .rec_dur = 12,
                        .final = r->final,
                        .status = r->status,
                        .duration = r->duration};
        struct voice_doc doc;
        struct h_result eff;
        run_req(w, "twilio", "CALL", fl->from, &q, NOW + 10 * i, &doc, &eff);

        char verbs[16] = "";
        for (int k = 0; k < doc.n && k < 15; k++) verbs[k] = verb_letter(doc.v[k].kind);
        verbs[doc.n < 15 ? doc.n : 15] = '\0';
        if (strcmp(verbs, r->verbs)) fail_msg("%s: verbs %s, expected %s", where, verbs, r->verbs);
        check_doc_shape(where, &doc);
        if (r->has) {
            int found = 0;
            for (int k = 0; k < doc.n; k++)
                found |= strstr(doc.v[k].text, r->has) != NULL || strstr(doc.v[k].number, r->has) != NULL;
            if (!found) {
                char all[2048] = "";
                for (int k = 0; k < doc.n; k++)
                    snprintf(all + strlen(all), sizeof all - strlen(all), "[%s%s]", doc.v[k].text, doc.v[k].number);
                fail_msg("%s: \"%s\" not said in %s", where, r->has, all);
            }
        }
        char base[64];
        snprintf(base, sizeof base, "%s", next_of(&doc));
        char *u = strrchr(base, '_');
        if (u && u[1] && strspn(u + 1, "0123456789") == strlen(u + 1)) *u = '\0';
        if (strcmp(base, r->next)) fail_msg("%s: next step %s, expected %s", where, next_of(&doc), r->next);
        if (eff.nreplies != r->replies) fail_msg("%s: %d replies, expected %d", where, eff.nreplies, r->replies);
        for (int k = 0; k < eff.nreplies; k++) {
            assert_true(eff.replies[k].to[0] == '+');
            assert_non_null(eff.replies[k].tmpl);
        }
        if (r->replies > 0 && strcmp(eff.replies[0].to, fl->from))
            fail_msg("%s: the first reply goes to %s, not the caller", where, eff.replies[0].to);
        if (count_rows(w, "cases") - cases != r->cases)
            fail_msg("%s: cases changed by %ld", where, count_rows(w, "cases") - cases);
        if (count_rows(w, "visit") - visits != r->visits)
            fail_msg("%s: visits changed by %ld", where, count_rows(w, "visit") - visits);
        if (count_rows(w, "media") - media != r->media)
            fail_msg("%s: media changed by %ld", where, count_rows(w, "media") - media);
        if (r->same && !doc_equal(&doc, &last)) fail_msg("%s: the answer differs from the last one", where);
        if (!r->same && !r->final && i > 0 && doc_equal(&doc, &last))
            fail_msg("%s: the answer repeats the last one", where);

        if (!r->final) {
            if (strcmp(stepbuf, prev)) snprintf(before, sizeof before, "%s", prev);
            snprintf(prev, sizeof prev, "%s", stepbuf);
            if (next_of(&doc)[0]) snprintf(cur, sizeof cur, "%s", next_of(&doc));
            last = doc;
        }
    }
    char got[1024];
    probe(w, CALL_ROW("path"), got, sizeof got);
    if (strcmp(got, fl->path)) fail_msg("%s: path \"%s\", expected \"%s\"", fl->name, got, fl->path);
    probe(w, CALL_ROW("caller || ' ' || channel"), got, sizeof got);
    char want[128];
    snprintf(want, sizeof want, "%s twilio", fl->from);
    if (strcmp(got, want)) fail_msg("%s: call row \"%s\"", fl->name, got);
    if (fl->sql) {
        probe(w, fl->sql, got, sizeof got);
        if (strcmp(got, fl->want)) fail_msg("%s: probe gave \"%s\", expected \"%s\"", fl->name, got, fl->want);
    }
    world_free(w);
}

/* Two calls at once, and the same call id on another channel, stay apart. */
static void test_calls_apart(void **state)
{
    struct world *w = world_new(NULL);
    struct voice_doc a, b, c;
    struct h_result eff;
    struct req start = {.step = ""};
    run_req(w, "twilio", "CA1", U1, &start, NOW, &a, &eff);
    run_req(w, "twilio", "CA2", D1, &start, NOW, &b, &eff);
    run_req(w, "at", "CA1", U2, &start, NOW, &c, &eff);
    assert_string_equal(next_of(&a), "menu_1");
    struct req k1 = {.step = "menu_1", .digits = "1"};
    struct req k2 = {.step = "menu_1", .digits = "2"};
    run_req(w, "twilio", "CA1", U1, &k1, NOW + 5, &a, &eff);
    run_req(w, "twilio", "CA2", D1, &k2, NOW + 5, &b, &eff);
    run_req(w, "at", "CA1", U2, &k2, NOW + 5, &c, &eff);
    assert_string_equal(next_of(&a), "report_cat_2");
    assert_string_equal(next_of(&b), "visit_child_2");
    assert_string_equal(next_of(&c), "menu_2"); /* U2 is not a director */
    char got[64];
    probe(w, "SELECT count(*) FROM call", got, sizeof got);
    assert_string_equal(got, "3");
    world_free(w);
}

/* A caller with a hidden number can still report; no SMS can reach them. */
static void test_hidden_caller(void **state)
{
    struct world *w = world_new(NULL);
    struct voice_doc d;
    struct h_result eff;
    struct req r0 = {.step = ""};
    run_req(w, "twilio", "CA9", "", &r0, NOW, &d, &eff);
    struct req r1 = {.step = next_of(&d), .digits = "1"};
    char s1[64];
    snprintf(s1, sizeof s1, "%s", next_of(&d));
    r1.step = s1;
    run_req(w, "twilio", "CA9", "", &r1, NOW + 1, &d, &eff);
    char s2[64];
    snprintf(s2, sizeof s2, "%s", next_of(&d));
    struct req r2 = {.step = s2, .digits = "2"};
    run_req(w, "twilio", "CA9", "", &r2, NOW + 2, &d, &eff);
    assert_int_equal(count_rows(w, "cases"), 1);
    for (int i = 0; i < eff.nreplies; i++) assert_true(eff.replies[i].to[0] != '\0');
    assert_int_equal(eff.nreplies, 2); /* the two alerts */
    world_free(w);
}

/* The intents the line calls, with the values keyed: what no SMS text could
 * carry (a note that is itself a command, a hidden number) is taken as
 * given, and the case opened comes back typed. */
static void test_intents_typed(void **state)
{
    struct world *w = world_new(NULL);
    struct h_env env = {.st = w->st, .pol = &w->pol};
    struct h_sender who;
    struct h_result *res = calloc(1, sizeof *res);
    char got[256];

    struct h_msg m = {.channel = "twilio", .from = D1, .text = "", .now = NOW};
    struct h_visit_in v = {.child = "1000015", .result = 2, .problems = 1u << 0 | 1u << 5, .note = "ZF 1000031 1"};
    assert_int_equal(store_begin(w->st), 0);
    assert_int_equal(h_identify(w->st, D1, &who), 0);
    assert_int_equal(h_visit_record(&env, &m, &who, &v, res), 0);
    assert_int_equal(store_commit(w->st), 0);
    assert_string_equal(res->replies[0].tmpl, "visit_ok_problem");
    assert_int_equal(count_rows(w, "visit"), 1);
    probe(w, "SELECT child_id || '/' || result || '/' || problems || '/' || note FROM visit", got, sizeof got);
    char want_visit[64];
    snprintf(want_visit, sizeof want_visit, "%lld/2/JH|AQ/ZF 1000031 1", (long long)seed_child_id(w->st, "1000015"));
    assert_string_equal(got, want_visit);

    /* A hidden caller's report: the case and its answer, the description as given. */
    memset(res, 0, sizeof *res);
    m.from = "";
    struct h_report_in r = {.category = 6, .classified = 1, .description = "QD 1000015 2"};
    struct h_case k;
    assert_int_equal(store_begin(w->st), 0);
    assert_int_equal(h_identify(w->st, "", &who), 0);
    assert_int_equal(h_report_open(&env, &m, &who, &r, res, &k), 0);
    assert_int_equal(store_commit(w->st), 0);
    assert_string_equal(k.number, "2403150001");
    assert_int_equal(res->replies[0].case_id, k.id);
    assert_string_equal(res->replies[0].tmpl, k.priority == 0 ? "report_ok_p0" : "report_ok");
    probe(w, "SELECT category || '/' || classified || '/P' || priority || '/' || description FROM cases", got,
          sizeof got);
    char want[64];
    snprintf(want, sizeof want, "6/1/P%d/QD 1000015 2", k.priority);
    assert_string_equal(got, want);
    assert_int_equal(count_rows(w, "checkin"), 0);
    free(res);
    world_free(w);
}

/* A stored answer that cannot be read back ends the call; it never
 * repeats an effect or fails for ever. */
static void test_unreadable_answer(void **state)
{
    struct world *w = world_new(NULL);
    struct voice_doc d;
    struct h_result eff;
    struct req r0 = {.step = ""};
    run_req(w, "twilio", "CA8", U1, &r0, NOW, &d, &eff);
    struct db_call call;
    assert_int_equal(store_begin(w->st), 0);
    assert_int_equal(db_call_get(w->st, "twilio", "CA8", &call), 0);
    free(call.last_doc);
    call.last_doc = gw_strdup("x|y"); /* an answer no voice document serialises to */
    assert_int_equal(db_call_save(w->st, &call, NOW), 0);
    assert_int_equal(store_commit(w->st), 0);
    db_call_clear(&call);
    run_req(w, "twilio", "CA8", U1, &r0, NOW + 1, &d, &eff);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.v[0].kind, VOICE_SAY);
    assert_non_null(strstr(d.v[0].text, "再见"));
    assert_int_equal(d.v[1].kind, VOICE_HANGUP);
    assert_int_equal(eff.nreplies, 0);
    world_free(w);
}

/* A caller going round the menu for ever: the path stops growing within
 * its column's bound, the call goes on. */
static void test_long_call(void **state)
{
    struct world *w = world_new(NULL);
    struct voice_doc d;
    struct h_result eff;
    struct req r = {.step = ""};
    char step[64] = "";
    run_req(w, "twilio", "CA7", U1, &r, NOW, &d, &eff);
    for (int i = 0; i < 200; i++) {
        snprintf(step, sizeof step, "%s", next_of(&d));
        struct req k = {.step = step, .digits = "2"};
        run_req(w, "twilio", "CA7", U1, &k, NOW + i, &d, &eff);
        assert_non_null(strstr(d.v[0].text, "仅供登记的儿童主任"));
    }
    assert_string_equal(next_of(&d), "menu_201");
    char got[1024];
    probe(w, "SELECT length(path) < 512 AND path LIKE 'menu>menu>%' FROM call", got, sizeof got);
    assert_string_equal(got, "1");
    world_free(w);
}

/* ---- providers: the fixtures ------------------------------------------------------ */

static void check_opt(const struct fixture *fx, const char *key, const char *got)
{
    const char *want = fixture_expect(fx, key);
    if (!want) return;
    if (!strcmp(want, "-")) {
        if (got) fail_msg("%s: %s is \"%s\", expected none", fx->file, key, got);
        return;
    }
    if (!got || strcmp(got, want))
        fail_msg("%s: %s is \"%s\", expected \"%s\"", fx->file, key, got ? got : "(none)", want);
}

static void check_long(const struct fixture *fx, const char *key, long got)
{
    const char *want = fixture_expect(fx, key);
    if (!want) return;
    long w = !strcmp(want, "-") ? -1 : atol(want);
    if (got != w) fail_msg("%s: %s is %ld, expected %ld", fx->file, key, got, w);
}

static void test_voice_fixture(void **state)
{
    const char *file = *state;
    struct fixture fx;
    char err[256] = "";
    if (fixture_load(file, &fx, err, sizeof err) < 0) fail_msg("%s", err);
    const char *prov = strstr(file, "/twilio/") ? "twilio" : "africastalking";
    const struct provider_ops *ops = prov_find(prov);
    assert_non_null(ops);
    assert_non_null(ops->parse_voice);
    const char *kind = fixture_expect(&fx, "kind");
    if (!kind || strcmp(kind, "voice")) fail_msg("%s: not \"# kind: voice\"", file);

    /* A file the end-to-end run sends must fit its one config. */
    if (!fixture_expect(&fx, "e2e") || strcmp(fixture_expect(&fx, "e2e"), "skip")) {
        char want[64];
        snprintf(want, sizeof want, "/hooks/%s/voice", prov);
        if (strncmp(fx.path, want, strlen(want)) || (fx.path[strlen(want)] && fx.path[strlen(want)] != '/'))
            fail_msg("%s: path %s is not a voice hook of channel %s", file, fx.path, prov);
    }

    struct gw_kv keys[4] = {
        {.key = "auth_token", .value = TWILIO_TOKEN},
        {.key = "account_sid", .value = "AC1"},
        {.key = "token", .value = AT_TOKEN},
        {.key = "username", .value = "sandbox"},
    };
    struct gw_channel ch = {.name = (char *)prov, .provider = (char *)prov, .ops = ops, .keys = keys, .nkeys = 4};
    struct prov_request req;
    fixture_request(&fx, &req);
    struct prov_voice v;
    memset(&v, 0, sizeof v);
    /* The voice hook's provider part, as the server runs it. */
    struct routes_call call = {0};
    int status = routes_hook_input(&ch, PIPELINE_JOB_VOICE, &req, &call, err, sizeof err);
    if (call.job.voice) { /* the parsed step, moved out */
        v = call.job.voice->in;
        memset(&call.job.voice->in, 0, sizeof call.job.voice->in);
    }
    routes_call_clear(&call);
    const char *want = fixture_expect(&fx, "status");
    if (!want) fail_msg("%s: no \"# status:\"", file);
    if (status != atoi(want)) fail_msg("%s: status %d (%s), expected %s", file, status, err, want);
    const char *reason = fixture_expect(&fx, "reason");
    if (reason && !strstr(err, reason)) fail_msg("%s: reason \"%s\", expected \"%s\"", file, err, reason);
    if (strstr(err, TWILIO_TOKEN) || strstr(err, AT_TOKEN)) fail_msg("%s: the reason quotes a secret", file);
    if (status == 200) {
        if (!fixture_expect(&fx, "call_id") || !fixture_expect(&fx, "final"))
            fail_msg("%s: a 200 voice fixture names call_id and final", file);
        check_opt(&fx, "call_id", v.call_id);
        check_opt(&fx, "from", v.from);
        check_opt(&fx, "to", v.to);
        check_opt(&fx, "digits", v.digits);
        check_opt(&fx, "recording_url", v.recording_url);
        check_opt(&fx, "call_status", v.call_status);
        check_long(&fx, "duration", v.duration);
        check_long(&fx, "recording_duration", v.recording_duration);
        int final = !strcmp(fixture_expect(&fx, "final"), "yes");
        if (v.final != final) fail_msg("%s: final %d, expected %d", file, v.final, final);
        assert_non_null(v.from);
    } else {
        assert_null(v.call_id);
        assert_true(err[0] != '\0');
    }
    prov_voice_clear(&v);
    fixture_free(&fx);
}

/* ---- providers: exact answers ---------------------------------------------------- */

static struct voice_doc doc_of(const struct voice_verb *v, int n)
{
    struct voice_doc d;
    memset(&d, 0, sizeof d);
    for (int i = 0; i < n; i++) d.v[i] = v[i];
    d.n = n;
    return d;
}

static void render(const char *prov, const char *token, const struct voice_doc *d, const char *base, const char *want,
                   const char *ctype)
{
    const struct provider_ops *ops = prov_find(prov);
    struct gw_kv kv = {.key = "token", .value = (char *)token};
    struct gw_channel ch = {.name = "c", .provider = (char *)prov, .ops = ops, .keys = &kv, .nkeys = token ? 1 : 0};
    struct prov_response resp = {0};
    ops->render_voice(&ch, d, base, &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, ctype);
    assert_string_equal(gw_buf_cstr(&resp.body), want);
    gw_buf_free(&resp.body);
}

#define XML     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
#define TW_BASE "https://gw.example.com/hooks/twilio/voice/"
#define AT_BASE "https://gw.example.com/hooks/at/voice/"

static void test_render_exact(void **state)
{
    const struct voice_verb gather[] = {
        {.kind = VOICE_GATHER, .text = "请按1", .next = "menu_1", .num_digits = 1, .timeout = 10},
        {.kind = VOICE_REDIRECT, .next = "menu_1"},
    };
    struct voice_doc d = doc_of(gather, 2);
    render("twilio", NULL, &d, TW_BASE,
           XML "<Response><Gather input=\"dtmf\" numDigits=\"1\" timeout=\"10\" action=\"" TW_BASE "menu_1\">"
               "<Say language=\"cmn-CN\">请按1</Say></Gather><Redirect>" TW_BASE "menu_1</Redirect></Response>",
           "text/xml");
    render("africastalking", AT_TOKEN, &d, AT_BASE,
           XML "<Response><GetDigits numDigits=\"1\" timeout=\"10\" finishOnKey=\"#\" callbackUrl=\"" AT_BASE
               "menu_1?token=demo-at-token\"><Say voice=\"woman\">请按1</Say></GetDigits><Redirect>" AT_BASE
               "menu_1?token=demo-at-token</Redirect></Response>",
           "application/xml");

    const struct voice_verb list[] = {
        {.kind = VOICE_GATHER, .text = "按井号键结束", .next = "visit_problem_4", .num_digits = 0, .timeout = 15},
        {.kind = VOICE_REDIRECT, .next = "visit_problem_4"},
    };
    d = doc_of(list, 2);
    render("twilio", NULL, &d, TW_BASE,
           XML "<Response><Gather input=\"dtmf\" finishOnKey=\"#\" timeout=\"15\" action=\"" TW_BASE
               "visit_problem_4\"><Say language=\"cmn-CN\">按井号键结束</Say></Gather><Redirect>" TW_BASE
               "visit_problem_4</Redirect></Response>",
           "text/xml");
    render("africastalking", AT_TOKEN, &d, AT_BASE,
           XML
           "<Response><GetDigits timeout=\"15\" finishOnKey=\"#\" callbackUrl=\"" AT_BASE
           "visit_problem_4?token=demo-at-token\"><Say voice=\"woman\">按井号键结束</Say></GetDigits><Redirect>" AT_BASE
           "visit_problem_4?token=demo-at-token</Redirect></Response>",
           "application/xml");

    const struct voice_verb record[] = {
        {.kind = VOICE_RECORD, .text = "请说", .next = "report_rec_3", .max_length = 120, .timeout = 10},
        {.kind = VOICE_REDIRECT, .next = "report_rec_3"},
    };
    d = doc_of(record, 2);
    render("twilio", NULL, &d, TW_BASE,
           XML "<Response><Say language=\"cmn-CN\">请说</Say><Record maxLength=\"120\" timeout=\"10\" "
               "finishOnKey=\"#\" action=\"" TW_BASE "report_rec_3\"/><Redirect>" TW_BASE
               "report_rec_3</Redirect></Response>",
           "text/xml");
    render("africastalking", AT_TOKEN, &d, AT_BASE,
           XML "<Response><Record finishOnKey=\"#\" maxLength=\"120\" trimSilence=\"true\" playBeep=\"true\" "
               "callbackUrl=\"" AT_BASE "report_rec_3?token=demo-at-token\"><Say voice=\"woman\">请说</Say></Record>"
               "<Redirect>" AT_BASE "report_rec_3?token=demo-at-token</Redirect></Response>",
           "application/xml");

    /* Escaping; AT has no Hangup and nothing after it is sent. */
    const struct voice_verb dial[] = {
        {.kind = VOICE_SAY, .text = "a<b & \"c\" 'd' >"},
        {.kind = VOICE_DIAL, .number = HOTLINE},
        {.kind = VOICE_HANGUP},
        {.kind = VOICE_SAY, .text = "never"},
    };
    d = doc_of(dial, 4);
    render("twilio", NULL, &d, TW_BASE,
           XML "<Response><Say language=\"cmn-CN\">a&lt;b &amp; &quot;c&quot; &apos;d&apos; &gt;</Say><Dial>" HOTLINE
               "</Dial><Hangup/><Say language=\"cmn-CN\">never</Say></Response>",
           "text/xml");
    render("africastalking", AT_TOKEN, &d, AT_BASE,
           XML "<Response><Say voice=\"woman\">a&lt;b &amp; &quot;c&quot; &apos;d&apos; &gt;</Say><Dial "
               "phoneNumbers=\"" HOTLINE "\"/></Response>",
           "application/xml");

    /* A base URL and a token that need escaping. */
    const struct voice_verb redirect[] = {{.kind = VOICE_REDIRECT, .next = "menu_2"}};
    d = doc_of(redirect, 1);
    render("twilio", NULL, &d, "https://gw.example.com/a&b/voice/",
           XML "<Response><Redirect>https://gw.example.com/a&amp;b/voice/menu_2</Redirect></Response>", "text/xml");
    render("africastalking", "t&k n", &d, AT_BASE,
           XML "<Response><Redirect>" AT_BASE "menu_2?token=t%26k%20n</Redirect></Response>", "application/xml");

    /* The empty answer (to a final callback). */
    d = doc_of(NULL, 0);
    render("twilio", NULL, &d, TW_BASE, XML "<Response/>", "text/xml");
    render("africastalking", AT_TOKEN, &d, AT_BASE, XML "<Response/>", "application/xml");
}

/* Shapes the fixtures do not show: caps, odd values. */
static void test_parse_direct(void **state)
{
    const struct provider_ops *tw = prov_find("twilio"), *at = prov_find("africastalking");
    char longurl[1100];
    memset(longurl, 'a', sizeof longurl - 1);
    longurl[sizeof longurl - 1] = '\0';
    struct gw_buf over = {0};
    gw_buf_printf(&over, "CallSid=CA1&From=%%2B1&RecordingUrl=https%%3A%%2F%%2F%s", longurl);
    const struct {
        const struct provider_ops *ops;
        const char *body;
        int rc;
        const char *want; /* "id|from|digits|rec|status|final|duration|rec_duration" or a reason */
    } cases[] = {
        {tw, "CallSid=CA1&Caller=%2B8613700000001", PROV_OK, "CA1|+8613700000001|-|-|-|0|-1|-1"},
        {tw, "CallSid=CA1&From=&Caller=%2B1&Digits=", PROV_OK, "CA1|+1|-|-|-|0|-1|-1"},
        {tw, "CallSid=CA1&From=%2B1&CallStatus=no-answer&CallDuration=x", PROV_OK, "CA1|+1|-|-|no-answer|1|-1|-1"},
        {tw, "CallSid=CA1&From=%2B1&CallStatus=canceled&CallDuration=0", PROV_OK, "CA1|+1|-|-|canceled|1|0|-1"},
        {tw, "CallSid=CA1&From=%2B1&CallStatus=failed", PROV_OK, "CA1|+1|-|-|failed|1|-1|-1"},
        {tw, "CallSid=CA1&From=%2B1&CallStatus=in-progress&CallDuration=99999999", PROV_OK,
         "CA1|+1|-|-|in-progress|0|-1|-1"},
        {tw, "CallSid=CA1&From=%2B1&Digits=hangup&RecordingUrl=https%3A%2F%2Fx%2Fr&RecordingDuration=3", PROV_OK,
         "CA1|+1|-|https://x/r|-|0|-1|3"},
        {tw, "CallSid=CA%0A1&From=%2B1", PROV_EBADREQ, "control character in field: CallSid"},
        {tw, "From=%2B1", PROV_EBADREQ, "missing field: CallSid"},
        {tw, "CallSid=CA1&Digits=%25", PROV_OK, "CA1||%|-|-|0|-1|-1"},
        {tw, gw_buf_cstr(&over), PROV_EBADREQ, "field too long: RecordingUrl"},
        {at, "sessionId=S1&callerNumber=%2B1&isActive=1&dtmfDigits=12%23", PROV_OK, "S1|+1|12#|-|-|0|-1|-1"},
        {at, "sessionId=S1&callerNumber=%2B1&isActive=0&durationInSeconds=abc", PROV_OK, "S1|+1|-|-|-|1|-1|-1"},
        {at, "sessionId=S1&callerNumber=%2B1&durationInSeconds=5", PROV_OK, "S1|+1|-|-|-|0|-1|-1"},
        {at, "sessionId=S1&callerNumber=%2B1%0D", PROV_EBADREQ, "control character in field: callerNumber"},
        {at, "callerNumber=%2B1", PROV_EBADREQ, "missing field: sessionId"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct prov_request req = {
            .method = "POST", .query = "", .body = cases[i].body, .body_len = strlen(cases[i].body)};
        struct prov_voice v;
        char err[128] = "";
        int rc = cases[i].ops->parse_voice(NULL, &req, &v, err, sizeof err);
        if (rc != cases[i].rc) fail_msg("case %zu: rc %d (%s), expected %d", i, rc, err, cases[i].rc);
        if (rc == PROV_OK) {
            char got[512];
            snprintf(got, sizeof got, "%s|%s|%s|%s|%s|%d|%ld|%ld", v.call_id, v.from, v.digits ? v.digits : "-",
                     v.recording_url ? v.recording_url : "-", v.call_status ? v.call_status : "-", v.final, v.duration,
                     v.recording_duration);
            if (strcmp(got, cases[i].want)) fail_msg("case %zu: %s, expected %s", i, got, cases[i].want);
        } else if (!strstr(err, cases[i].want)) {
            fail_msg("case %zu: reason %s, expected %s", i, err, cases[i].want);
        }
        prov_voice_clear(&v);
    }
    gw_buf_free(&over);
    /* A GET (a Twilio number configured so) carries its fields in the query. */
    struct prov_request get = {.method = "GET", .query = "CallSid=CA7&From=%2B1&Digits=3", .body = "", .body_len = 0};
    struct prov_voice v;
    char err[128] = "";
    assert_int_equal(tw->parse_voice(NULL, &get, &v, err, sizeof err), PROV_OK);
    assert_string_equal(v.call_id, "CA7");
    assert_string_equal(v.digits, "3");
    prov_voice_clear(&v);
    /* A JSON body is not a Twilio voice request. */
    struct prov_request json = {
        .method = "POST", .query = "", .content_type = "application/json", .body = "{}", .body_len = 2};
    assert_int_equal(tw->parse_voice(NULL, &json, &v, err, sizeof err), PROV_EBADREQ);
    assert_int_equal(at->parse_voice(NULL, &json, &v, err, sizeof err), PROV_EBADREQ);
}

int main(void)
{
    size_t nflows = sizeof flows / sizeof flows[0];
    struct CMUnitTest *tests = calloc(nflows + 64, sizeof *tests);
    size_t n = 0;
    for (size_t i = 0; i < nflows; i++) {
        tests[n].name = flows[i].name;
        tests[n].test_func = run_flow;
        tests[n].initial_state = (void *)&flows[i];
        n++;
    }
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_calls_apart),       cmocka_unit_test(test_hidden_caller),
        cmocka_unit_test(test_unreadable_answer), cmocka_unit_test(test_long_call),
        cmocka_unit_test(test_render_exact),      cmocka_unit_test(test_parse_direct),
        cmocka_unit_test(test_intents_typed),
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) tests[n++] = fixed[i];

    /* Every voice fixture of both providers. */
    static const char *const provs[] = {"twilio", "africastalking"};
    char **files[2] = {NULL};
    size_t nfiles[2] = {0};
    for (int p = 0; p < 2; p++) {
        char dir[256], err[256];
        snprintf(dir, sizeof dir, "%s/%s", fixture_root(), provs[p]);
        if (fixture_list(dir, &files[p], &nfiles[p], err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
    }
    size_t nvoice = 0;
    for (int p = 0; p < 2; p++)
        for (size_t i = 0; i < nfiles[p]; i++)
            if (strstr(files[p][i], "/voice-")) nvoice++;
    tests = realloc(tests, (n + nvoice) * sizeof *tests);
    for (int p = 0; p < 2; p++)
        for (size_t i = 0; i < nfiles[p]; i++) {
            if (!strstr(files[p][i], "/voice-")) continue;
            memset(&tests[n], 0, sizeof tests[n]);
            tests[n].name = files[p][i];
            tests[n].test_func = test_voice_fixture;
            tests[n].initial_state = files[p][i];
            n++;
        }
    int failed = _cmocka_run_group_tests("voice", tests, n, NULL, NULL);
    for (int p = 0; p < 2; p++) fixture_list_free(files[p], nfiles[p]);
    free(tests);
    return failed ? 1 : 0;
}
