/* tests/unit/test_ussd.c - the USSD menus (handlers/ussd.c) step by step.
 *
 * A temporary SQLite file gets the schema and a small roster through the
 * roster import (one county 示例县 with two towns and three villages, a
 * neighbouring county, directors, a supervisor, county responders,
 * guardians with one, two and ten children), and a case opened the day
 * before through the store port. Each path is a table
 * of steps: the provider's `text` (every input so far joined by '*'), the
 * expected CON/END, a substring of the screen, how many replies the step
 * left in effects, and an optional SQL probe of the database after it.
 * Every step runs in its own transaction, as the store writer runs it, at
 * a fixed clock (2024-03-15 10:00 Asia/Shanghai, a Friday in working
 * hours), and every screen is checked to hold at most 182 characters and
 * never to carry a reply meant for the sender as an effect.
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
#include "../../handlers/handler.h"
#include "../../handlers/intents.h"
#include "../../handlers/templates.h"
#include "../../handlers/ussd.h"
#include "../common/seed.h"
#include "../common/teststore.h"

#define NOW 1710468000LL /* 2024-03-15 10:00:00 +08:00 */

#define D1 "+8613800000001"  /* director, 示例县/东镇/桃村 */
#define D3 "+8613800000003"  /* director, 示例县/西镇/杏村 */
#define SUP "+8613800000010" /* supervisor, 示例县/东镇 */
#define POL "+8613800000020" /* responder police, 示例县 */
#define CIV "+8613800000021" /* responder civil_affairs, 示例县 */
#define G1 "+8613900000001"  /* guardian of 1000015 and 1000028 (桃村) */
#define G2 "+8613900000002"  /* guardian of 1000031 (李村) */
#define G4 "+8613900000004"  /* guardian with no child linked */
#define G5 "+8613900000005"  /* guardian of ten children (李村) */
#define U1 "+8613700000001"  /* reporter of 2403140001 */
#define U4 "+8613700000004"  /* a member of the public */
#define U5 "+8613700000005"

/* ---- the roster, imported as a county loads it, and a case of the day before ---- */

#define ROSTER_AT (NOW - 100 * 86400)
#define CASE1_AT 1710381600LL /* 2024-03-14 10:00 +08:00: case 2403140001 */

static const char regions[] = "path\n"
                              "示例县/东镇/桃村\n"
                              "示例县/东镇/李村\n"
                              "示例县/西镇/杏村\n"
                              "邻县/南镇/柳村\n";

static const char staff[] = "phone,name,role,region,department\n"
                            D1 ",钱主任,director,示例县/东镇/桃村,\n"
                            D3 ",周主任,director,示例县/西镇/杏村,\n"
                            SUP ",郑督导,supervisor,示例县/东镇,\n"
                            POL ",王警官,responder,示例县,police\n"
                            CIV ",冯科长,responder,示例县,civil_affairs\n";

static const char children[] = "code,name,sex,birth_date,region,categories,flags\n"
                               "1000015,张小明,M,2014-05-01,示例县/东镇/桃村,left_behind,\n"
                               "1000028,李小红,F,2015-06-02,示例县/东镇/桃村,left_behind,\n"
                               "1000031,王小刚,M,2013-07-03,示例县/东镇/李村,left_behind,\n"
                               "1000053,刘小军,M,2012-09-05,示例县/西镇/杏村,left_behind,\n"
                               "1000089,周小玲,F,2014-12-08,邻县/南镇/柳村,left_behind,\n"
                               "2000012,甲,M,2014-01-01,示例县/东镇/李村,left_behind,\n"
                               "2000020,乙,M,2014-01-01,示例县/东镇/李村,left_behind,\n"
                               "2000036,丙,M,2014-01-01,示例县/东镇/李村,left_behind,\n"
                               "2000048,丁,M,2014-01-01,示例县/东镇/李村,left_behind,\n"
                               "2000057,戊,M,2014-01-01,示例县/东镇/李村,left_behind,\n"
                               "2000061,己,M,2014-01-01,示例县/东镇/李村,left_behind,\n"
                               "2000073,庚,M,2014-01-01,示例县/东镇/李村,left_behind,\n"
                               "2000085,辛,M,2014-01-01,示例县/东镇/李村,left_behind,\n"
                               "2000099,壬,M,2014-01-01,示例县/东镇/李村,left_behind,\n"
                               "2000103,癸,M,2014-01-01,示例县/东镇/李村,left_behind,\n";

static const char guardians[] = "phone,name,relation,child_code,away\n"
                                G1 ",张父,father,1000015,yes\n"
                                G1 ",张父,father,1000028,yes\n"
                                G2 ",王母,mother,1000031,yes\n"
                                G5 ",多孩,father,2000012,yes\n"
                                G5 ",多孩,father,2000020,yes\n"
                                G5 ",多孩,father,2000036,yes\n"
                                G5 ",多孩,father,2000048,yes\n"
                                G5 ",多孩,father,2000057,yes\n"
                                G5 ",多孩,father,2000061,yes\n"
                                G5 ",多孩,father,2000073,yes\n"
                                G5 ",多孩,father,2000085,yes\n"
                                G5 ",多孩,father,2000099,yes\n"
                                G5 ",多孩,father,2000103,yes\n";

/* G4, a guardian with no child linked: the import always links the
 * guardian it adds to a child, and nothing in the product unlinks one. */
static int guardian_without_child(const char *path)
{
    char err[512] = "";
    /* raw SQL: no import or store operation makes a guardian with no child */
    int rc = test_sql_exec(path, "INSERT INTO guardian(phone, name, created_at) VALUES ('" G4 "', '赵姨', 0)", err,
                           sizeof err);
    if (rc != 0) fprintf(stderr, "guardian %s: %s\n", G4, err);
    return rc;
}

/* Case 2403140001 of 张小明 (桃村), reported by U1 the day before, open,
 * for 公安 and 民政. */
static void seed_case1(struct store *st)
{
    static const char *const depts[] = {"police", "civil_affairs"};
    struct db_case_new c = {.category = 2,
                            .classified = 1,
                            .priority = 1,
                            .depts = depts,
                            .ndepts = 2,
                            .county_id = seed_region_id(st, "示例县"),
                            .region_id = seed_region_id(st, "示例县/东镇/桃村"),
                            .child_id = seed_child_id(st, "1000015"),
                            .description = "x",
                            .reporter_id = seed_reporter(st, U1, CASE1_AT)};
    char number[DB_CASE_NO_MAX + 1];
    seed_case(st, &c, CASE1_AT, number);
    if (strcmp(number, "2403140001")) fail_msg("the seeded case is %s", number);
}

/* ---- the world: one database, one store handle, the policy ---------------- */

struct world {
    char path[SEED_PATH_MAX];
    struct store *st;
    struct gw_policy pol;
};
static struct world W;

static void open_store(void)
{
    char err[256];
    assert_int_equal(seed_store_open(W.path, 0, &W.st, err, sizeof err), 0);
}

static int setup(void **state)
{
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    W.st = seed_store_new("test_ussd", W.path);
    seed_roster(W.st, "regions", regions, ROSTER_AT);
    seed_roster(W.st, "staff", staff, ROSTER_AT);
    seed_roster(W.st, "children", children, ROSTER_AT);
    seed_roster(W.st, "guardians", guardians, ROSTER_AT);
    if (guardian_without_child(W.path) != 0) return -1;
    seed_case1(W.st);
    W.pol.timezone = "Asia/Shanghai";
    W.pol.visit_days = 30;
    W.pol.visit_days_high = 14;
    W.pol.checkin_days = 7;
    W.pol.checkin_escalate_days = 14;
    W.pol.ack_minutes_p0 = 15;
    W.pol.ack_minutes_p1 = 30;
    W.pol.default_region = "示例县";
    W.pol.country_code = "86";
    W.pol.work_start = 8 * 60 + 30;
    W.pol.work_end = 17 * 60 + 30;
    W.pol.work_days = 0x1F;
    return 0;
}

static int teardown(void **state)
{
    seed_store_free(W.st, W.path);
    return 0;
}

/* One value of a query on the database, as text ("" for NULL, "?" when no row). */
static void probe(const char *sql, char *out, size_t outlen)
{
    char *v = NULL, err[512] = "";
    int rc = test_sql_first(W.path, sql, &v, err, sizeof err);
    if (rc < 0) fail_msg("probe %s: %s", sql, err);
    snprintf(out, outlen, "%s", rc == 0 ? "?" : v ? v : "");
    free(v);
}

static long long count(const char *sql)
{
    char v[64];
    probe(sql, v, sizeof v);
    return atoll(v);
}

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Runs one step in its own transaction and checks what every step must hold. */
static void step_at(const char *session, const char *phone, const char *text, int64_t now, struct ussd_out *out,
                    struct h_result *eff)
{
    struct h_env env = {.st = W.st, .pol = &W.pol};
    struct ussd_in in = {.channel = "at", .session_id = session, .phone = phone, .service_code = "*384*1234#",
                         .text = text, .now = now};
    char err[256] = "";
    memset(eff, 0, sizeof *eff);
    assert_int_equal(store_begin(W.st), 0);
    if (ussd_step(&env, &in, out, eff, err, sizeof err) != 0) fail_msg("step %s \"%s\": %s", session, text, err);
    assert_int_equal(store_commit(W.st), 0);
    if (getenv("USSD_TRACE")) /* USSD_TRACE=1 prints every step */
        print_message("%s %s \"%s\" -> %s %s [%zu chars, %d effects]\n", session, phone, text, out->end ? "END" : "CON",
                      out->screen, chars(out->screen), eff->nreplies);
    if (chars(out->screen) > USSD_SCREEN_MAX)
        fail_msg("step %s \"%s\": %zu characters: %s", session, text, chars(out->screen), out->screen);
    assert_true(out->screen[0] != '\0');
    for (int i = 0; i < eff->nreplies; i++) {
        const struct h_reply *r = &eff->replies[i];
        if (r->kind == H_REPLY && !strcmp(r->to, phone)) fail_msg("step %s: the sender's reply is an effect", session);
        struct gw_buf b = {0};
        char e[128];
        if (tmpl_render(NULL, r->tmpl, r->vars, r->nvars, &b, e, sizeof e) != 0) fail_msg("effect: %s", e);
        gw_buf_free(&b);
    }
}

/* The reply the SMS text gets from phone, rendered (its effects rolled back). */
static void sms_reply(const char *phone, const char *text, char *out, size_t outlen)
{
    struct h_env env = {.st = W.st, .pol = &W.pol};
    struct h_msg m = {.inbox_id = 0, .channel = "cli", .from = phone, .text = text, .len = strlen(text), .now = NOW};
    struct h_result *res = calloc(1, sizeof *res);
    char err[128];
    assert_int_equal(store_begin(W.st), 0);
    assert_int_equal(handlers_run(&env, &m, res, err, sizeof err), 0);
    assert_int_equal(store_rollback(W.st), 0);
    assert_true(res->nreplies > 0);
    struct gw_buf b = {0};
    assert_int_equal(tmpl_render(NULL, res->replies[0].tmpl, res->replies[0].vars, res->replies[0].nvars, &b, err,
                                 sizeof err),
                     0);
    snprintf(out, outlen, "%s", gw_buf_cstr(&b));
    gw_buf_free(&b);
    free(res);
}

/* ---- tables ---------------------------------------------------------------------- */

#define ANY -1

struct row {
    const char *text;  /* the provider's text */
    int end;           /* 1: END, 0: CON */
    const char *has;   /* substring of the screen, or NULL */
    int effects;       /* replies left in effects, or ANY */
    const char *sql;   /* probe after the step, or NULL */
    const char *want;  /* its value as text */
};

/* Runs the rows in order, row i at NOW + at[i] (at may be NULL: all at
 * NOW). "@S" in a probe stands for the session id. */
static void run_table_at(const char *session, const char *phone, const struct row *rows, size_t n,
                         const int64_t *at)
{
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        struct ussd_out out;
        struct h_result eff;
        step_at(session, phone, r->text, NOW + (at ? at[i] : 0), &out, &eff);
        if (out.end != r->end)
            fail_msg("%s row %zu \"%s\": %s, expected %s: %s", session, i, r->text, out.end ? "END" : "CON",
                     r->end ? "END" : "CON", out.screen);
        if (r->has && !strstr(out.screen, r->has))
            fail_msg("%s row %zu \"%s\": screen lacks \"%s\":\n%s", session, i, r->text, r->has, out.screen);
        if (r->effects != ANY && eff.nreplies != r->effects)
            fail_msg("%s row %zu \"%s\": %d effects, expected %d", session, i, r->text, eff.nreplies, r->effects);
        if (r->sql) {
            char sql[512], got[256];
            const char *mark = strstr(r->sql, "@S");
            if (mark)
                snprintf(sql, sizeof sql, "%.*s'%s'%s", (int)(mark - r->sql), r->sql, session, mark + 2);
            else
                snprintf(sql, sizeof sql, "%s", r->sql);
            probe(sql, got, sizeof got);
            if (strcmp(got, r->want))
                fail_msg("%s row %zu \"%s\": probe \"%s\" is \"%s\", expected \"%s\"", session, i, r->text, sql, got,
                         r->want);
        }
    }
}
#define RUN(session, phone, rows) run_table_at(session, phone, rows, sizeof rows / sizeof rows[0], NULL)
#define RUN_AT(session, phone, rows, at) run_table_at(session, phone, rows, sizeof rows / sizeof rows[0], at)

#define CODE_OF(col) "(SELECT code FROM child WHERE id = " col ")"
#define PATH_OF(col) "(SELECT path FROM region WHERE id = " col ")"
#define SESSION_CASE "(SELECT case_id FROM ussd_session WHERE channel = 'at' AND session_id = @S)"
#define CASE_COL(col) "SELECT " col " FROM cases WHERE id = " SESSION_CASE
#define CASES "SELECT count(*) FROM cases"
#define VISITS "SELECT count(*) FROM visit"
#define CHECKINS "SELECT count(*) FROM checkin"
#define LAST_VISIT                                                                                         \
    "SELECT visit_date || '/' || result || '/' || problems || '/' || " CODE_OF("child_id") " FROM visit "     \
    "ORDER BY id DESC LIMIT 1"
#define MENU_STATE "at=menu;child=;res=0;page=0;list=0;case=;p=0;reply="
#define CASE_SHAPE                                                                                        \
    CASE_COL("category || '/P' || priority || '/' || classified || '/' || coalesce(CAST(child_id AS TEXT), '-') || '/' || " \
             "coalesce(description, '-')")
#define LAST_CHECKIN "SELECT " CODE_OF("child_id") " || '/' || status FROM checkin ORDER BY id DESC LIMIT 1"
#define STATE "SELECT state FROM ussd_session WHERE session_id = @S"

/* ---- the main menu --------------------------------------------------------------- */

static void test_menu(void **state)
{
    static const struct row rows[] = {
        {"", 0, "1 报告儿童受害或危险\n2 记录走访(儿童主任)\n3 家长报平安\n4 查询案件", 0, STATE, MENU_STATE},
        {"5", 0, "输入有误，请选1-4。\n儿童关爱服务", 0, NULL, NULL},
        {"5*", 0, "请选1-4", 0, NULL, NULL}, /* an empty input */
        {"5**abc", 0, "请选1-4", 0, NULL, NULL},
        {"5**abc*0", 0, "儿童关爱服务\n1 报告", 0, NULL, NULL},
        {"5**abc*0*00", 0, "儿童关爱服务\n1 报告", 0, NULL, NULL},
        {"5**abc*0*00*1", 0, "报告类别：\n1 性侵", 0, NULL, NULL},
        {"5**abc*0*00*1*0", 0, "儿童关爱服务", 0, NULL, NULL}, /* back from the categories */
        {"5**abc*0*00*1*0*4", 0, "请输入案件号", 0, NULL, NULL},
        {"5**abc*0*00*1*0*4*00", 0, "儿童关爱服务", 0, STATE, MENU_STATE},
    };
    RUN("M1", U4, rows);
    assert_int_equal(count("SELECT count(*) FROM ussd_session WHERE session_id = 'M1' AND phone = '" U4
                           "' AND service_code = '*384*1234#' AND last_end = 0"),
                     1);
}

/* ---- 1 report ----------------------------------------------------------------------- */

static void test_report(void **state)
{
    long long before = count(CASES);
    static const struct row rows[] = {
        {"", 0, "儿童关爱服务", 0, NULL, NULL},
        {"1", 0, "9 其他\n0 返回 00 主菜单", 0, CASES, "1"},
        {"1*0", 0, "儿童关爱服务", 0, NULL, NULL},
        {"1*0*1", 0, "报告类别", 0, NULL, NULL},
        {"1*0*1*x", 0, "输入有误，请选1-9。\n报告类别", 0, CASES, "1"},
        {"1*0*1*x*10", 0, "请选1-9", 0, CASES, "1"},
        /* category 3: the case opens at once (P1: alerts to 民政 and 公安) */
        {"1*0*1*x*10*3", 0, "案件号2403150001已登记。\n请输入儿童的7位编号，不知道请输0", 2, CASE_SHAPE, "3/P1/1/-/-"},
        {"1*0*1*x*10*3*123", 0, "儿童编号应为7位数字。\n案件号2403150001已登记", 0, NULL, NULL},
        {"1*0*1*x*10*3*123*1000016", 0, "编号1000016校验位不对，请核对。", 0, NULL, NULL},
        {"1*0*1*x*10*3*123*1000016*", 0, "请输入儿童编号。", 0, CASE_COL("coalesce(CAST(child_id AS TEXT), '-')"), "-"},
        {"1*0*1*x*10*3*123*1000016**00", 0, "儿童编号应为7位数字", 0, NULL, NULL}, /* the case stands: no menu */
        /* the child of 杏村: the case moves to that village; its director is told */
        {"1*0*1*x*10*3*123*1000016**00*1000053", 0, "请简要说明情况", 1,
         CASE_COL(CODE_OF("child_id") " || '/' || " PATH_OF("region_id") " || '/' || " PATH_OF("county_id")),
         "1000053/示例县/西镇/杏村/示例县"},
        {"1*0*1*x*10*3*123*1000016**00*1000053*", 0, "请写几句情况，不写请输0。", 0, NULL, NULL},
        {"1*0*1*x*10*3*123*1000016**00*1000053**孩子一个人在家*晚上没人管", 1,
         "已收到报告，案件号2403150001，我们会尽快处理并告知结果。", 0, CASE_COL("description"),
         "孩子一个人在家*晚上没人管"},
    };
    RUN("R1", U4, rows);
    assert_int_equal(count(CASES), before + 1);
    /* a well-formed code nobody registered: the same screens as for a real
     * child (no register oracle); kept on the case for triage, no village told */
    static const struct row unknown[] = {
        {"", 0, "儿童关爱服务", 0, NULL, NULL},
        {"1", 0, "报告类别", 0, NULL, NULL},
        {"1*3", 0, "已登记。\n请输入儿童的7位编号", ANY, NULL, NULL},
        {"1*3*1000090", 0, "请简要说明情况", 0,
         "SELECT count(*) FROM case_event WHERE kind = 'child_named' AND detail = 'child_unknown:1000090'", "1"},
        {"1*3*1000090*0", 1, "已收到报告", 0, NULL, NULL},
    };
    RUN("R1u", U5, unknown);
    assert_int_equal(count(CASES), before + 2);
    /* the case's history: opened, alerted, the USSD session, the child, the village, the description */
    char got[256];
    probe("SELECT group_concat(kind, ',') FROM (SELECT kind FROM case_event WHERE case_id = (SELECT id FROM cases "
          "WHERE number = '2403150001') ORDER BY id) AS t",
          got, sizeof got);
    assert_string_equal(got, "opened,alerted,ussd_session,child_named,village_told,description_added");
    probe("SELECT r.phone FROM cases c JOIN reporter r ON r.id = c.reporter_id WHERE c.number = '2403150001'", got,
          sizeof got);
    assert_string_equal(got, U4);
    assert_int_equal(count("SELECT last_end FROM ussd_session WHERE session_id = 'R1'"), 1);
}

/* Categories 1 and 2 never tell the village; P0 shows the emergency advice. */
static void test_report_categories(void **state)
{
    static const struct row rows_p0[] = {
        {"", 0, NULL, 0, NULL, NULL},
        {"1", 0, NULL, 0, NULL, NULL},
        {"1*4", 0, "情况紧急，请立即拨打110或120！\n案件号", ANY, CASE_COL("category || '/P' || priority"), "4/P0"},
        {"1*4*1000015", 0, "请简要说明", 0, CASE_COL(CODE_OF("child_id")), "1000015"}, /* 4 tells the village, but D1... */
        {"1*4*1000015*0", 1, "情况紧急，请立即拨打110或120！", 0, CASE_COL("coalesce(description, '-')"), "-"},
    };
    /* D1 is the director of 桃村 and reports himself: nobody else there to tell */
    RUN("R2", D1, rows_p0);
    static const struct row rows_cat2[] = {
        {"", 0, NULL, 0, NULL, NULL},
        {"1", 0, NULL, 0, NULL, NULL},
        {"1*2", 0, "案件号", 2, CASE_COL("category"), "2"},
        {"1*2*1000015", 0, "请简要说明", 0, CASE_COL(CODE_OF("child_id")), "1000015"}, /* the suspect may be at home */
        {"1*2*1000015*0", 1, "已收到报告", 0, NULL, NULL},
    };
    RUN("R3", U5, rows_cat2);
    assert_int_equal(count("SELECT count(*) FROM case_event e JOIN ussd_session s ON s.case_id = e.case_id WHERE "
                           "s.session_id = 'R3' AND e.kind = 'village_told'"),
                     0);
}

/* The inputs dialled with the service code come in the first request. */
static void test_report_dialled(void **state)
{
    long long before = count(CASES);
    static const struct row rows[] = {
        {"1*9*0*0", 1, "已收到报告，案件号", 0, CASE_SHAPE, "9/P3/1/-/-"},
    };
    RUN("R4", U4, rows);
    static const struct row rows2[] = {
        /* the description takes the rest, stars included */
        {"1*7*0*他*被打了", 1, "已收到报告", ANY, CASE_COL("category || '/' || description"), "7/他*被打了"},
    };
    RUN("R5", U4, rows2);
    static const struct row rows3[] = {
        /* a refused input stops the replay there */
        {"1*x*3*0", 0, "请选1-9", 0, NULL, NULL},
        {"1*x*3*0*2", 0, "案件号", ANY, NULL, NULL},
    };
    RUN("R6", U4, rows3);
    assert_int_equal(count(CASES), before + 3);
}

/* A dropped session after the category still leaves the case. */
static void test_report_dropped(void **state)
{
    long long before = count(CASES);
    static const struct row rows[] = {
        {"", 0, NULL, 0, NULL, NULL},
        {"1", 0, NULL, 0, NULL, NULL},
        {"1*6", 0, "案件号", ANY, CASE_COL("category || '/' || status"), "6/open"},
    };
    RUN("R7", U5, rows);
    assert_int_equal(count(CASES), before + 1);
    assert_int_equal(count("SELECT count(*) FROM ussd_session s JOIN cases c ON c.id = s.case_id WHERE "
                           "s.session_id = 'R7' AND c.category = 6 AND s.last_end = 0"),
                     1);
}

/* ---- 2 visit --------------------------------------------------------------------------- */

static void test_visit(void **state)
{
    long long before = count(VISITS);
    static const struct row rows[] = {
        {"", 0, NULL, 0, NULL, NULL},
        {"2", 0, "记录走访：请输入儿童的7位编号\n0 返回 00 主菜单", 0, NULL, NULL},
        {"2*0", 0, "儿童关爱服务", 0, NULL, NULL},
        {"2*0*2", 0, "记录走访", 0, NULL, NULL},
        {"2*0*2*abc", 0, "儿童编号应为7位数字。\n记录走访", 0, NULL, NULL},
        {"2*0*2*abc*1000016", 0, "编号1000016校验位不对", 0, NULL, NULL},
        {"2*0*2*abc*1000016*1000090", 0, "儿童1000090不在您负责的村", 0, NULL, NULL}, /* unregistered: as another's */
        {"2*0*2*abc*1000016*1000090*1000015", 0, "儿童1000015的走访结果：\n1 正常\n2 有问题", 0, NULL, NULL},
        {"2*0*2*abc*1000016*1000090*1000015*5", 0, "输入有误，请选1-4。\n儿童1000015", 0, NULL, NULL},
        {"2*0*2*abc*1000016*1000090*1000015*5*0", 0, "记录走访：请输入", 0, NULL, NULL},
        {"2*0*2*abc*1000016*1000090*1000015*5*0*1000015", 0, "走访结果", 0, NULL, NULL},
        {"2*0*2*abc*1000016*1000090*1000015*5*0*1000015*2", 0, "发现的问题(可多选,如24或XL JK)", 0, VISITS, "0"},
        {"2*0*2*abc*1000016*1000090*1000015*5*0*1000015*2*9", 0, "问题代码有误", 0, NULL, NULL},
        {"2*0*2*abc*1000016*1000090*1000015*5*0*1000015*2*9*XLQ", 0, "问题代码有误", 0, NULL, NULL},
        {"2*0*2*abc*1000016*1000090*1000015*5*0*1000015*2*9*XLQ*0", 0, "走访结果", 0, NULL, NULL},
        {"2*0*2*abc*1000016*1000090*1000015*5*0*1000015*2*9*XLQ*0*2", 0, "发现的问题", 0, NULL, NULL},
        /* codes separated by '*' as typed on a keypad; XL moves the child to the high cadence */
        {"2*0*2*abc*1000016*1000090*1000015*5*0*1000015*2*9*XLQ*0*2*xl*jk", 1,
         "已记录儿童1000015在2024年3月15日的走访。今后请每14天走访一次。", 0, LAST_VISIT, "2024-03-15/2/XL|JK/1000015"},
    };
    RUN("V1", D1, rows);
    assert_int_equal(count(VISITS), before + 1);
    assert_int_equal(count("SELECT high_cadence FROM child WHERE code = '1000015'"), 1);

    static const struct row rows2[] = {
        {"", 0, NULL, 0, NULL, NULL},
        {"2", 0, NULL, 0, NULL, NULL},
        {"2*1000028", 0, NULL, 0, NULL, NULL},
        {"2*1000028*1", 1, "已记录儿童1000028在2024年3月15日的走访，谢谢！", 0, LAST_VISIT, "2024-03-15/1//1000028"},
    };
    RUN("V2", D1, rows2);
    static const struct row rows4[] = {
        {"2*1000028*2", 0, "发现的问题", 0, NULL, NULL},
        {"2*1000028*2*36", 1, "已记录儿童1000028在2024年3月15日的走访和发现的问题", 0, LAST_VISIT, "2024-03-15/2/XX|AQ/1000028"},
    };
    RUN("V3", SUP, rows4); /* a supervisor above the village may */
    static const struct row rows5[] = {
        {"2*1000028*2*心理、健康", 1, "今后请每14天", 0, LAST_VISIT, "2024-03-15/2/XL|JK/1000028"},
    };
    RUN("V4", D1, rows5);
    assert_int_equal(count(VISITS), before + 4);
}

/* Visits are refused exactly as the SMS refuses them. */
static void test_visit_refused(void **state)
{
    long long before = count(VISITS);
    char want[256];
    struct ussd_out out;
    struct h_result eff;

    /* a guardian is not visiting staff */
    sms_reply(G1, "ZF 1000015 1", want, sizeof want);
    step_at("V5", G1, "", NOW, &out, &eff);
    step_at("V5", G1, "2", NOW, &out, &eff);
    assert_int_equal(out.end, 1);
    assert_string_equal(out.screen, want);
    assert_int_equal(eff.nreplies, 0);

    /* a director of another village */
    sms_reply(D3, "ZF 1000015 1", want, sizeof want);
    assert_non_null(strstr(want, "不在您负责的村"));
    step_at("V6", D3, "", NOW, &out, &eff);
    step_at("V6", D3, "2", NOW, &out, &eff);
    /* refused at the code, in the words an unregistered code gets */
    step_at("V6", D3, "2*1000015", NOW, &out, &eff);
    assert_int_equal(out.end, 0);
    assert_non_null(strstr(out.screen, "儿童1000015不在您负责的村，请核对编号。"));
    assert_int_equal(eff.nreplies, 0);

    /* a member of the public */
    sms_reply(U4, "ZF 1000015 1", want, sizeof want);
    step_at("V7", U4, "2", NOW, &out, &eff);
    assert_int_equal(out.end, 1);
    assert_string_equal(out.screen, want);
    assert_int_equal(count(VISITS), before);
}

/* ---- 3 check-in ------------------------------------------------------------------------- */

static void test_checkin(void **state)
{
    long long before = count(CHECKINS);
    static const struct row rows[] = {
        {"", 0, NULL, 0, NULL, NULL},
        {"3", 0, "为哪个孩子报平安：\n1 1000015\n2 1000028\n0 返回 00 主菜单", 0, NULL, NULL},
        {"3*7", 0, "输入有误，请选1-2。", 0, NULL, NULL},
        {"3*7*9", 0, "请选1-2", 0, NULL, NULL}, /* no more pages */
        {"3*7*9*2", 0, "孩子1000028的情况：\n1 平安\n2 需要帮助\n3 我要回家\n4 照护人变更", 0, NULL, NULL},
        {"3*7*9*2*0", 0, "为哪个孩子报平安", 0, NULL, NULL},
        {"3*7*9*2*0*1", 0, "孩子1000015的情况", 0, NULL, NULL},
        {"3*7*9*2*0*1*8", 0, "输入有误，请选1-4。\n孩子1000015", 0, CHECKINS, "0"},
        /* 2: the child needs help, and the village's director is told */
        {"3*7*9*2*0*1*8*2", 1, "已记录求助（1000015），村儿童主任会尽快联系您。", 1, LAST_CHECKIN, "1000015/2"},
    };
    RUN("C1", G1, rows);
    static const struct row one[] = {
        {"", 0, NULL, 0, NULL, NULL},
        {"3", 0, "孩子1000031的情况", 0, NULL, NULL}, /* one child: no list */
        {"3*0", 0, "儿童关爱服务", 0, NULL, NULL},
        {"3*0*3", 0, "孩子1000031的情况", 0, NULL, NULL},
        {"3*0*3*3", 1, "已记录您将回家（1000031）", 0, LAST_CHECKIN, "1000031/3"},
    };
    RUN("C2", G2, one);
    assert_int_equal(count(CHECKINS), before + 2);

    char want[256];
    struct ussd_out out;
    struct h_result eff;
    sms_reply(G4, "QD", want, sizeof want);
    step_at("C3", G4, "3", NOW, &out, &eff);
    assert_int_equal(out.end, 1);
    assert_string_equal(out.screen, want);
    sms_reply(U4, "QD", want, sizeof want);
    step_at("C4", U4, "3", NOW, &out, &eff);
    assert_int_equal(out.end, 1);
    assert_string_equal(out.screen, want);
    assert_int_equal(count(CHECKINS), before + 2);
}

/* Ten children: eight on the first page, "9 更多" to the rest. */
static void test_checkin_pages(void **state)
{
    static const struct row rows[] = {
        {"", 0, NULL, 0, NULL, NULL},
        {"3", 0, "1 2000012\n", 0, NULL, NULL},
        {"3*1", 0, "孩子2000012", 0, NULL, NULL},
        {"3*1*0", 0, "8 2000085\n9 更多 0 返回 00 主菜单", 0, NULL, NULL},
        {"3*1*0*9", 0, "为哪个孩子报平安：\n1 2000099\n2 2000103\n0 返回 00 主菜单", 0, STATE,
         "at=c_child;child=2000012;res=0;page=1;list=1;case=;p=0;reply="},
        {"3*1*0*9*9", 0, "输入有误，请选1-2。", 0, NULL, NULL},
        {"3*1*0*9*9*3", 0, "请选1-2", 0, NULL, NULL},
        {"3*1*0*9*9*3*0", 0, "1 2000012\n", 0, NULL, NULL}, /* back a page */
        {"3*1*0*9*9*3*0*0", 0, "儿童关爱服务", 0, NULL, NULL}, /* back from the first page */
        {"3*1*0*9*9*3*0*0*3", 0, "9 更多", 0, NULL, NULL},
        {"3*1*0*9*9*3*0*0*3*9", 0, "2 2000103", 0, NULL, NULL},
        {"3*1*0*9*9*3*0*0*3*9*2", 0, "孩子2000103的情况", 0, NULL, NULL},
        {"3*1*0*9*9*3*0*0*3*9*2*0", 0, "1 2000099", 0, NULL, NULL}, /* back to the page it came from */
        {"3*1*0*9*9*3*0*0*3*9*2*0*2", 0, "孩子2000103", 0, NULL, NULL},
        {"3*1*0*9*9*3*0*0*3*9*2*0*2*4", 1, "已记录照护人变更（2000103）", ANY, LAST_CHECKIN, "2000103/4"},
    };
    RUN("C5", G5, rows);
}

/* ---- 4 case status -------------------------------------------------------------------------- */

static void test_status(void **state)
{
    char want[256];
    sms_reply(U1, "CX 2403140001", want, sizeof want);
    const struct row rows[] = {
        {"", 0, NULL, 0, NULL, NULL},
        {"4", 0, "查询案件：请输入案件号（10-12位）", 0, NULL, NULL},
        {"4*123", 0, "案件号应为10-12位数字，如2403150001。\n查询案件", 0, NULL, NULL},
        {"4*123*0", 0, "儿童关爱服务", 0, NULL, NULL},
        {"4*123*0*4", 0, "查询案件", 0, NULL, NULL},
        {"4*123*0*4*2403140001", 1, want, 0,
         "SELECT count(*) FROM case_event WHERE case_id = (SELECT id FROM cases WHERE number = '2403140001') AND "
         "kind = 'status_query'", "1"},
    };
    RUN("S1", U1, rows);
    assert_non_null(strstr(want, "案件2403140001已收到"));
    /* anyone else gets the one answer that reveals nothing */
    sms_reply(U5, "CX 2403140001", want, sizeof want);
    const struct row other[] = {
        {"4*2403140001", 1, want, 0, NULL, NULL},
    };
    RUN("S2", U5, other);
    sms_reply(U5, "CX 2403149999", want, sizeof want);
    const struct row unknown[] = {
        {"4", 0, NULL, 0, NULL, NULL},
        {"4*2403149999", 1, want, 0, NULL, NULL},
    };
    RUN("S3", U5, unknown);
    /* numbers past 9,999 and 99,999 reports a day are read like any other */
    sms_reply(U5, "CX 240314100000", want, sizeof want);
    const struct row longer[] = {
        {"4", 0, NULL, 0, NULL, NULL},
        {"4*2403141000001", 0, "案件号应为10-12位数字", 0, NULL, NULL},
        {"4*2403141000001*240314100000", 1, want, 0, NULL, NULL},
    };
    RUN("S4", U5, longer);
    assert_null(strstr(want, "应为")); /* read as a case number, not refused as a malformed one */
}

/* ---- sessions: retries, restarts, expiry -------------------------------------------------- */

static void test_retry(void **state)
{
    struct ussd_out a, b;
    struct h_result eff;
    step_at("T1", U4, "", NOW, &a, &eff);
    step_at("T1", U4, "1", NOW, &a, &eff);
    long long cases = count(CASES);
    step_at("T1", U4, "1*2", NOW, &a, &eff);
    assert_int_equal(count(CASES), cases + 1);
    assert_true(eff.nreplies > 0); /* the alerts */
    /* the same step again: the same screen, no second case, no second alert */
    step_at("T1", U4, "1*2", NOW + 5, &b, &eff);
    assert_int_equal(b.end, a.end);
    assert_string_equal(b.screen, a.screen);
    assert_int_equal(eff.nreplies, 0);
    assert_int_equal(count(CASES), cases + 1);
    /* a late copy of an earlier step changes nothing either */
    step_at("T1", U4, "1", NOW + 6, &b, &eff);
    assert_string_equal(b.screen, a.screen);
    step_at("T1", U4, "", NOW + 6, &b, &eff);
    assert_string_equal(b.screen, a.screen);
    assert_int_equal(count(CASES), cases + 1);
    /* the END retried: the same END, the visit not stored twice */
    step_at("T2", D1, "2*1000028*4", NOW, &a, &eff);
    assert_int_equal(a.end, 1);
    long long visits = count(VISITS);
    step_at("T2", D1, "2*1000028*4", NOW + 3, &b, &eff);
    assert_int_equal(b.end, 1);
    assert_string_equal(b.screen, a.screen);
    assert_int_equal(count(VISITS), visits);
    /* a history that does not extend the stored one: its last segment is the input */
    step_at("T3", U4, "", NOW, &a, &eff);
    step_at("T3", U4, "4", NOW, &a, &eff);
    step_at("T3", U4, "9*00", NOW, &a, &eff);
    assert_non_null(strstr(a.screen, "儿童关爱服务"));
}

static void test_restart(void **state)
{
    struct ussd_out out;
    struct h_result eff;
    long long before = count(VISITS);
    step_at("T4", D1, "", NOW, &out, &eff);
    step_at("T4", D1, "2", NOW, &out, &eff);
    step_at("T4", D1, "2*1000028", NOW, &out, &eff);
    /* the process restarts: a new store handle continues the session */
    store_close(W.st);
    W.st = NULL;
    open_store();
    step_at("T4", D1, "2*1000028", NOW + 20, &out, &eff); /* the provider retries across the restart */
    assert_non_null(strstr(out.screen, "儿童1000028的走访结果"));
    step_at("T4", D1, "2*1000028*3", NOW + 30, &out, &eff);
    assert_int_equal(out.end, 1);
    assert_non_null(strstr(out.screen, "未见到儿童"));
    assert_int_equal(count(VISITS), before + 1);

    /* a report's session survives a restart after its category */
    step_at("T5", U4, "1*5", NOW, &out, &eff);
    store_close(W.st);
    open_store();
    step_at("T5", U4, "1*5*1000031", NOW + 10, &out, &eff);
    assert_non_null(strstr(out.screen, "请简要说明"));
    step_at("T5", U4, "1*5*1000031*0", NOW + 20, &out, &eff);
    assert_int_equal(out.end, 1);
    char got[64];
    probe("SELECT category || '/' || " CODE_OF("child_id") " FROM cases WHERE id = (SELECT case_id FROM ussd_session "
          "WHERE session_id = 'T5')",
          got, sizeof got);
    assert_string_equal(got, "5/1000031");
}

static void test_expired(void **state)
{
    static const struct row rows[] = {
        {"", 0, NULL, 0, NULL, NULL},
        {"2", 0, "记录走访", 0, NULL, NULL},
        {"2*1000015", 0, "走访结果", 0, NULL, NULL}, /* at +600: just in time */
        /* more than ten minutes later: the main menu with a note, the input not taken */
        {"2*1000015*1", 0, "会话已超时，请重新选择。\n儿童关爱服务", 0, STATE, MENU_STATE},
        {"2*1000015*1", 0, "会话已超时", 0, NULL, NULL}, /* retried */
        {"2*1000015*1*2", 0, "记录走访：请输入", 0, NULL, NULL},
        {"2*1000015*1*2*1000015", 0, "走访结果", 0, NULL, NULL},
        {"2*1000015*1*2*1000015*1", 1, "已记录儿童1000015", 0, NULL, NULL},
    };
    static const int64_t at[] = {0, 0, 600, 1201, 1202, 1210, 1220, 1230};
    long long before = count(VISITS);
    RUN_AT("E1", D1, rows, at);
    assert_int_equal(count(VISITS), before + 1);
    /* an expired report keeps its case; the new text starts over */
    static const struct row report[] = {
        {"1*8", 0, "案件号", ANY, CASE_COL("category"), "8"},
        {"1*8*1000031", 0, "会话已超时", 0, CASE_COL("coalesce(CAST(child_id AS TEXT), '-')"), "-"},
    };
    static const int64_t later[] = {0, 3600};
    RUN_AT("E2", U4, report, later);
}

/* Overwrites the state of session (channel "at") with state, the rest as
 * stored: what a state this file did not write looks like. */
static void corrupt_state(const char *session, const char *state)
{
    struct db_ussd_session s;
    assert_int_equal(store_begin(W.st), 0);
    assert_int_equal(db_ussd_get(W.st, "at", session, &s), 0);
    snprintf(s.state, sizeof s.state, "%s", state);
    assert_int_equal(db_ussd_put(W.st, "at", session, "*384*1234#", &s, NOW), 0);
    assert_int_equal(store_commit(W.st), 0);
}

/* Oddities: an ended session, a phone that changes, an overlong text. */
static void test_odd_sessions(void **state)
{
    struct ussd_out out;
    struct h_result eff;
    /* a new text after END starts again at the main menu */
    step_at("O1", U4, "4*2403149999", NOW, &out, &eff);
    assert_int_equal(out.end, 1);
    step_at("O1", U4, "4*2403149999*1", NOW + 1, &out, &eff);
    assert_int_equal(out.end, 0);
    assert_non_null(strstr(out.screen, "儿童关爱服务"));
    /* another phone on the same session id gets a session of its own */
    step_at("O2", G1, "", NOW, &out, &eff);
    step_at("O2", G1, "3", NOW, &out, &eff);
    step_at("O2", U4, "3*1", NOW, &out, &eff);
    assert_int_equal(out.end, 1);
    assert_non_null(strstr(out.screen, "此号码未登记为监护人"));
    /* a text over the cap ends politely and stores nothing */
    char *big = malloc(DB_USSD_TEXT_MAX + 2);
    memset(big, '1', DB_USSD_TEXT_MAX + 1);
    big[DB_USSD_TEXT_MAX + 1] = '\0';
    step_at("O3", U4, big, NOW, &out, &eff);
    free(big);
    assert_int_equal(out.end, 1);
    assert_int_equal(count("SELECT count(*) FROM ussd_session WHERE session_id = 'O3'"), 0);
    /* a state this file did not write restarts the session */
    static const char *const bad[] = {"at=nowhere",   "at=r_child;case=;reply=report_ok", "at=v_result;child=1000016",
                                      "at=r_cat;p=4", "at=r_cat;page=7", "at=r_cat;reply=no_such_template",
                                      "garbage",      ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long long cases = count(CASES);
        step_at("O4", U4, "", NOW, &out, &eff);
        step_at("O4", U4, "1", NOW, &out, &eff);
        corrupt_state("O4", bad[i]);
        step_at("O4", U4, "1*3", NOW + 2, &out, &eff);
        assert_int_equal(out.end, 0);
        assert_non_null(strstr(out.screen, "儿童关爱服务"));
        assert_int_equal(count(CASES), cases);
    }
}

/* Every screen a path can show, with the longest values, fits. */
static void test_screens_fit(void **state)
{
    /* the longest note on the longest question */
    struct ussd_out out;
    struct h_result eff;
    step_at("F1", G5, "3", NOW, &out, &eff);
    step_at("F1", G5, "3*x", NOW, &out, &eff);
    assert_true(chars(out.screen) <= USSD_SCREEN_MAX);
    step_at("F2", D1, "2*1000015*2*x", NOW, &out, &eff);
    assert_non_null(strstr(out.screen, "问题代码有误"));
    assert_true(chars(out.screen) <= USSD_SCREEN_MAX);
    step_at("F3", U4, "1*x", NOW, &out, &eff);
    assert_true(chars(out.screen) <= USSD_SCREEN_MAX);
    step_at("F4", U4, "1*6*1234567", NOW, &out, &eff); /* P0 advice and a note */
    assert_non_null(strstr(out.screen, "110"));
    assert_true(chars(out.screen) <= USSD_SCREEN_MAX);
    /* and every SMS answer that can end a session */
    size_t n;
    const struct tmpl_def *t = tmpl_builtin(&n);
    int nv;
    const struct h_var *longest = tmpl_longest_values(&nv);
    for (size_t i = 0; i < n; i++) {
        struct gw_buf b = {0};
        char e[128];
        assert_int_equal(tmpl_render(NULL, t[i].name, longest, nv, &b, e, sizeof e), 0);
        assert_true(chars(gw_buf_cstr(&b)) <= USSD_SCREEN_MAX);
        gw_buf_free(&b);
    }
}

/* ---- the intents the menus call ------------------------------------------------------
 * The menus call the domain's intents with the values they collected, not
 * SMS text run through the parser: values no code-book command can carry
 * (a name with a blank, a note full of keywords) are taken as given. */

/* A child code with a good check digit: base6 and its check digit. */
static void valid_code(const char *base6, char *out)
{
    snprintf(out, 8, "%.6s%c", base6, cb_damm_digit(base6, 6));
    if (!cb_child_code_valid(out)) fail_msg("no check digit for %s", base6);
}

/* Runs one intent for phone in its own transaction; returns its result (free it). */
enum typed { T_VISIT, T_CHECKIN, T_REPORT, T_STATUS };
static struct h_result *typed(enum typed which, const char *phone, const void *in, struct h_case *opened)
{
    struct h_env env = {.st = W.st, .pol = &W.pol};
    struct h_msg m = {.inbox_id = 0, .channel = "at", .from = phone, .text = "", .now = NOW};
    struct h_sender who;
    struct h_result *res = calloc(1, sizeof *res);
    int rc = -1;
    assert_int_equal(store_begin(W.st), 0);
    assert_int_equal(h_identify(W.st, phone, &who), 0);
    switch (which) {
    case T_VISIT: rc = h_visit_record(&env, &m, &who, in, res); break;
    case T_CHECKIN: rc = h_checkin_record(&env, &m, &who, in, res); break;
    case T_REPORT: rc = h_report_open(&env, &m, &who, in, res, opened); break;
    case T_STATUS: rc = h_case_status(&env, &m, &who, in, res); break;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(store_commit(W.st), 0);
    assert_true(res->nreplies > 0);
    assert_string_equal(res->replies[0].to, phone);
    return res;
}

static void test_intents_typed(void **state)
{
    char code[8], csv[160], sql[512], got[256], want[128];
    valid_code("300001", code);
    snprintf(csv, sizeof csv, "code,name,sex,birth_date,region,categories,flags\n"
                              "%s,欧阳 ZF,M,2014-02-02,示例县/东镇/桃村,left_behind,\n", code);
    seed_roster(W.st, "children", csv, NOW);
    long long visits = count(VISITS), checkins = count(CHECKINS), cases = count(CASES);

    /* A visit to a child named with a blank and a keyword, its note a whole
     * other command: one visit, to that child, the note as typed. */
    static const char note[] = "ZF 1000028 1 QD 1000015 2";
    struct h_visit_in v = {.name = "欧阳 ZF", .result = 2, .problems = 1u << 1 | 1u << 6, .note = note};
    struct h_result *res = typed(T_VISIT, D1, &v, NULL);
    assert_string_equal(res->replies[0].tmpl, "visit_ok_high");
    free(res);
    assert_int_equal(count(VISITS), visits + 1);
    probe("SELECT " CODE_OF("child_id") " || '/' || result || '/' || problems || '/' || note FROM visit "
          "ORDER BY id DESC LIMIT 1",
          got, sizeof got);
    snprintf(want, sizeof want, "%s/2/XL|QG/ZF 1000028 1 QD 1000015 2", code);
    assert_string_equal(got, want);

    /* The same child by code from another village's director: refused, nothing stored. */
    v = (struct h_visit_in){.child = code, .result = 1};
    res = typed(T_VISIT, D3, &v, NULL);
    assert_string_equal(res->replies[0].tmpl, "visit_not_allowed");
    free(res);
    assert_int_equal(count(VISITS), visits + 1);

    /* A report naming that child by its name: linked, the description as typed. */
    struct h_report_in r = {.category = 7, .classified = 1, .name = "欧阳 ZF", .description = "BG 1 QD 1000015 2"};
    struct h_case k;
    res = typed(T_REPORT, U5, &r, &k);
    assert_string_equal(res->replies[0].tmpl, "report_ok");
    free(res);
    assert_int_equal(count(CASES), cases + 1);
    assert_int_equal(count(CHECKINS), checkins);
    snprintf(sql, sizeof sql,
             "SELECT category || '/' || classified || '/' || " CODE_OF("child_id") " || '/' || description FROM cases "
             "WHERE id = %lld",
             (long long)k.id);
    probe(sql, got, sizeof got);
    snprintf(want, sizeof want, "7/1/%s/BG 1 QD 1000015 2", code);
    assert_string_equal(got, want);

    /* A check-in coming home on a date, its note other commands. */
    struct h_checkin_in q = {.child = "1000028", .status = 3, .year = 2024, .month = 3, .day = 20, .note = "ZF BG"};
    res = typed(T_CHECKIN, G1, &q, NULL);
    assert_string_equal(res->replies[0].tmpl, "checkin_home");
    free(res);
    assert_int_equal(count(CHECKINS), checkins + 1);
    probe("SELECT " CODE_OF("child_id") " || '/' || status || '/' || return_date || '/' || note FROM checkin "
          "ORDER BY id DESC LIMIT 1",
          got, sizeof got);
    assert_string_equal(got, "1000028/3/2024-03-20/ZF BG");

    /* The status of that case for its reporter; refused to another number. */
    res = typed(T_STATUS, U5, k.number, NULL);
    assert_string_equal(res->replies[0].tmpl, "status_open");
    free(res);
    res = typed(T_STATUS, U4, k.number, NULL);
    assert_string_equal(res->replies[0].tmpl, "status_denied");
    free(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_menu),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_report_categories),
        cmocka_unit_test(test_report_dialled),
        cmocka_unit_test(test_report_dropped),
        cmocka_unit_test(test_visit),
        cmocka_unit_test(test_visit_refused),
        cmocka_unit_test(test_checkin),
        cmocka_unit_test(test_checkin_pages),
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_retry),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_odd_sessions),
        cmocka_unit_test(test_screens_fit),
        cmocka_unit_test(test_intents_typed),
    };
    return cmocka_run_group_tests_name("ussd", tests, setup, teardown);
}
