/* tests/unit/test_handlers.c - the SMS code book as a table: message in ->
 * intent, result, reply and effect on the store.
 *
 * A temporary SQLite file gets the schema and a small roster through the
 * roster import (one county 示例县 with two towns and three villages, a
 * neighbouring county 邻县 for cross-county refusals, directors, a
 * supervisor, county responders of 公安/民政/教育, an admin, eight
 * children, guardians), and a few cases opened the day before through the
 * store port. Each row runs through handlers_run exactly as the
 * pipeline would (inbox row, handlers, one transaction) at a fixed clock,
 * 2024-03-15 10:00 in Asia/Shanghai. Rows run in order and share the
 * database, so later rows see earlier effects (ack, then ack again).
 *
 * Every row checks: the intent and result; the first reply's template and
 * an optional substring of its rendered text; that every reply renders
 * with the built-in templates, fits 70 UCS-2 units and names no child and
 * no risk category; the change in rows of visit, checkin, cases, opt_out
 * and case_event (zero unless stated); and an optional SQL probe.
 * "@CASE" in a row's text or probe stands for the case number the most
 * recent case-opening row got.
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
#include "../../gateway/config_load.h"
#include "../../gateway/pipeline.h"
#include "../../core/util.h"
#include "../../handlers/codebook.h"
#include "../../handlers/handler.h"
#include "../../handlers/routing.h"
#include "../../handlers/templates.h"
#include "../common/seed.h"
#include "../common/teststore.h"

#define NOW 1710468000LL /* 2024-03-15 10:00:00 +08:00 */

/* ---- the roster ------------------------------------------------------------ */

#define D1 "+8613800000001"   /* director, 示例县/东镇/桃村 */
#define D2 "+8613800000002"   /* director, 示例县/东镇/李村 */
#define D3 "+8613800000003"   /* director, 示例县/西镇/杏村 */
#define D4 "+8613800000004"   /* director, 邻县/南镇/柳村 */
#define SUP "+8613800000010"  /* supervisor, 示例县/东镇 */
#define POL "+8613800000020"  /* responder police, 示例县 */
#define CIV "+8613800000021"  /* responder civil_affairs, 示例县 */
#define EDU "+8613800000022"  /* responder education, 示例县 */
#define POL2 "+8613800000023" /* responder police, 邻县 */
#define ADM "+8613800000030"  /* admin, 示例县 */
#define G1 "+8613900000001"   /* guardian of 1000015 and 1000028 */
#define G2 "+8613900000002"   /* guardian of 1000031 */
#define G3 "+8613900000003"   /* guardian of 1000053 */
#define G4 "+8613900000004"   /* guardian with no child linked */
#define U1 "+8613700000001"   /* reporter of 2403140001 */
#define U2 "+8613700000002"   /* reporter of 2403140002 */
#define U3 "+8613700000003"   /* reporter of 2403140006 */
#define U4 "+8613700000004"
#define U5 "+8613700000005"

static const char *const child_names[] = {"张小明", "李小红", "王小刚", "赵小丽",
                                          "刘小军", "陈小芳", "杨小华", "周小玲"};

/* Words that name a risk category; no reply may carry one (tmpl_category_word
 * knows more, and the start-up lint refuses config texts with any). */
static const char *const category_words[] = {"性侵", "家暴", "虐待", "遗弃", "拐卖",
                                             "失踪", "自杀", "自伤", "溺水", "欺凌"};

#define ROSTER_AT (NOW - 100 * 86400) /* the roster was imported long before the clock */
#define DAY_BEFORE 1710381600LL        /* 2024-03-14 10:00 +08:00: cases 2403140001-8 */

static const char regions_csv[] = "path\n"
                                  "示例县/东镇/桃村\n"
                                  "示例县/东镇/李村\n"
                                  "示例县/西镇/杏村\n"
                                  "邻县/南镇/柳村\n"
                                  "示例县东\n"; /* a county whose name extends another's */

static const char staff_csv[] = "phone,name,role,region,department\n"
                                D1 ",钱主任,director,示例县/东镇/桃村,\n"
                                D2 ",孙主任,director,示例县/东镇/李村,\n"
                                D3 ",周主任,director,示例县/西镇/杏村,\n"
                                D4 ",吴主任,director,邻县/南镇/柳村,\n"
                                SUP ",郑督导,supervisor,示例县/东镇,\n"
                                POL ",王警官,responder,示例县,police\n"
                                CIV ",冯科长,responder,示例县,civil_affairs\n"
                                EDU ",陈老师,responder,示例县,education\n"
                                POL2 ",褚警官,responder,邻县,police\n"
                                ADM ",卫管理,admin,示例县,\n";

static const char children_csv[] = "code,name,sex,birth_date,region,categories,flags\n"
                                   "1000015,张小明,M,2014-05-01,示例县/东镇/桃村,left_behind,\n"
                                   "1000028,李小红,F,2015-06-02,示例县/东镇/桃村,left_behind,\n"
                                   "1000031,王小刚,M,2013-07-03,示例县/东镇/李村,left_behind,\n"
                                   "1000044,赵小丽,F,2016-08-04,示例县/东镇/李村,difficulty,\n"
                                   "1000053,刘小军,M,2012-09-05,示例县/西镇/杏村,left_behind,psych\n"
                                   "1000066,陈小芳,F,2017-10-06,示例县/西镇/杏村,orphan,\n"
                                   "1000077,杨小华,M,2011-11-07,示例县/东镇/桃村,left_behind,\n"
                                   "1000089,周小玲,F,2014-12-08,邻县/南镇/柳村,left_behind,\n";

static const char guardians_csv[] = "phone,name,relation,child_code,away\n"
                                    G1 ",张父,father,1000015,yes\n"
                                    G1 ",张父,father,1000028,yes\n"
                                    G2 ",王母,mother,1000031,yes\n"
                                    G3 ",刘父,father,1000053,yes\n";

/* The cases opened the day before, in number order: 2403140001 to 8. */
static const struct seeded_case {
    int category, classified, priority;
    const char *depts[2];
    const char *county, *region, *child, *reporter; /* NULL: none */
} day_before[] = {
    {2, 1, 1, {"police", "civil_affairs"}, "示例县", "示例县/东镇/桃村", "1000015", U1},
    {8, 1, 2, {"education"}, "示例县", "示例县", NULL, U2},
    {4, 1, 0, {"police", "civil_affairs"}, "邻县", "邻县/南镇/柳村", "1000089", NULL},
    {9, 1, 3, {"civil_affairs"}, "示例县", "示例县", NULL, NULL}, /* closed, below */
    {7, 1, 2, {"education", "police"}, "示例县", "示例县", NULL, NULL}, /* acknowledged, below */
    {3, 1, 1, {"civil_affairs", "police"}, "示例县", "示例县/东镇/桃村", "1000028", U3},
    {9, 0, 3, {"civil_affairs"}, NULL, NULL, NULL, NULL}, /* unclassified, no county */
    {1, 1, 1, {"police", "civil_affairs"}, "示例县东", "示例县东", NULL, NULL},
};

/* Opens the day-before cases through the store port; case 4 is then
 * acknowledged and closed (outcome 3), case 5 acknowledged. */
static void seed_cases(struct store *st)
{
    int64_t ids[sizeof day_before / sizeof day_before[0]];
    for (size_t i = 0; i < sizeof day_before / sizeof day_before[0]; i++) {
        const struct seeded_case *k = &day_before[i];
        struct db_case_new c = {.category = k->category,
                                .classified = k->classified,
                                .priority = k->priority,
                                .depts = k->depts,
                                .ndepts = k->depts[1] ? 2 : 1,
                                .county_id = k->county ? seed_region_id(st, k->county) : 0,
                                .region_id = k->region ? seed_region_id(st, k->region) : 0,
                                .child_id = k->child ? seed_child_id(st, k->child) : 0,
                                .description = "x",
                                .reporter_id = k->reporter ? seed_reporter(st, k->reporter, DAY_BEFORE) : 0};
        char number[DB_CASE_NO_MAX + 1], want[16];
        ids[i] = seed_case(st, &c, DAY_BEFORE, number);
        snprintf(want, sizeof want, "240314%04zu", i + 1);
        if (strcmp(number, want)) fail_msg("seeded case %s, want %s", number, want);
    }
    seed_case_ack(st, ids[3], seed_staff_id(st, CIV), DAY_BEFORE + 100);
    seed_case_close(st, ids[3], seed_staff_id(st, CIV), 3, NULL, DAY_BEFORE + 200);
    seed_case_ack(st, ids[4], seed_staff_id(st, EDU), DAY_BEFORE + 100);
}

/* G4, a guardian with no child linked: the import always links the
 * guardian it adds to a child, and nothing in the product unlinks one. */
static void seed_guardian_without_child(const char *where)
{
    char err[512] = "";
    /* raw SQL: no import or store operation makes a guardian with no child */
    if (test_sql_exec(where, "INSERT INTO guardian(phone, name, created_at) VALUES ('" G4 "', '赵姨', 0)", err,
                      sizeof err) != 0)
        fail_msg("guardian %s: %s", G4, err);
}

/* ---- the table ----------------------------------------------------------------- */

struct row {
    const char *from;
    const char *text;
    const char *intent;   /* cb_intent_name of the expected intent */
    const char *result;   /* ok | refused | invalid | unknown */
    const char *tmpl;     /* template of the first reply to the sender */
    const char *has;      /* substring of that reply's rendered text, or NULL */
    const char *tmpl2;    /* template of a second reply, or NULL when there is just one */
    int alerts, notices;  /* further replies to others: H_ALERTs, and H_NOTICEs besides tmpl2 */
    int visits, checkins, cases, optouts, events; /* expected change in row counts */
    const char *sql;      /* probe returning one value, or NULL */
    const char *want;     /* the probe's expected value as text */
};

#define LAST_VISIT "SELECT visit_date || '/' || result || '/' || problems FROM visit ORDER BY id DESC LIMIT 1"
#define LAST_NOTE "SELECT note FROM visit ORDER BY id DESC LIMIT 1"
#define LAST_CHECKIN "SELECT status || '/' || coalesce(return_date, '-') FROM checkin ORDER BY id DESC LIMIT 1"
#define CASE_SHAPE(n) "SELECT category || '/P' || priority || '/' || classified || '/' || status FROM cases WHERE number = '" n "'"
#define CASE_DEPTS(n)                                                                                       \
    "SELECT group_concat(department, ',') FROM (SELECT department FROM case_dept JOIN cases ON cases.id = "  \
    "case_id WHERE number = '" n "' ORDER BY case_dept.rowid) AS t"
#define CASE_COUNTY(n) "SELECT coalesce(r.path, '-') FROM cases LEFT JOIN region r ON r.id = county_id WHERE number = '" n "'"
#define CASE_CHILD(n) "SELECT coalesce(c.code, '-') FROM cases LEFT JOIN child c ON c.id = child_id WHERE number = '" n "'"
#define CASE_DEPTS_LAST                                                                                     \
    "SELECT group_concat(department, ',') FROM (SELECT department FROM case_dept WHERE case_id = "         \
    "(SELECT max(id) FROM cases) ORDER BY rowid) AS t"
#define LAST_EVENT "SELECT kind || '/' || coalesce(detail, '') FROM case_event ORDER BY id DESC LIMIT 1"
#define CASE_STATUS(n) "SELECT status || '/' || coalesce(CAST(outcome AS TEXT), '-') FROM cases WHERE number = '" n "'"

#define R(f, t, i, r, tm, h, ...) \
    {.from = f, .text = t, .intent = i, .result = r, .tmpl = tm, .has = h, __VA_ARGS__}

static const struct row rows[] = {
    /* ---- visits: the forms people type ---- */
    R(D1, "ZF 1000015 1", "visit", "ok", "visit_ok", "1000015", .visits = 1, .sql = LAST_VISIT, .want = "2024-03-15/1/"),
    R(D1, "ZF1000015 1", "visit", "ok", "visit_ok", "2024年3月15日", .visits = 1, .sql = LAST_VISIT, .want = "2024-03-15/1/"),
    R(D1, "zf 1000015 1", "visit", "ok", "visit_ok", NULL, .visits = 1),
    R(D1, "ＺＦ　１００００１５　１", "visit", "ok", "visit_ok", NULL, .visits = 1, .sql = LAST_VISIT, .want = "2024-03-15/1/"),
    R(D1, "走访1000015正常", "visit", "ok", "visit_ok", NULL, .visits = 1, .sql = LAST_VISIT, .want = "2024-03-15/1/"),
    R(D1, "V 1000015 1", "visit", "ok", "visit_ok", NULL, .visits = 1),
    R(D1, "v1000015 1", "visit", "ok", "visit_ok", NULL, .visits = 1),
    R(D1, "ZF，1000015，1。", "visit", "ok", "visit_ok", NULL, .visits = 1),
    R(D1, "ZF:1000015;1", "visit", "ok", "visit_ok", NULL, .visits = 1),
    R(D1, "  ZF   1000015   1  ", "visit", "ok", "visit_ok", NULL, .visits = 1),
    R(D1, "ZF 1000015 1 孩子在写作业，奶奶身体好", "visit", "ok", "visit_ok", NULL, .visits = 1, .sql = LAST_NOTE, .want = "孩子在写作业，奶奶身体好"),
    R(D1, "ZF 1000015 正常 张小明在家写作业", "visit", "ok", "visit_ok", NULL, .visits = 1, .sql = LAST_NOTE, .want = "张小明在家写作业"),
    R(D1, "走访 1000028 有问题 心理 孩子最近不爱说话", "visit", "ok", "visit_ok_high", "14天", .visits = 1,
     .sql = "SELECT high_cadence FROM child WHERE code = '1000028'", .want = "1"),
    R(D1, "ZF 1000015 2 JH XX", "visit", "ok", "visit_ok_problem", NULL, .visits = 1, .sql = LAST_VISIT, .want = "2024-03-15/2/JH|XX"),
    R(D1, "ZF 1000015 2 xl jk", "visit", "ok", "visit_ok_high", NULL, .visits = 1, .sql = LAST_VISIT, .want = "2024-03-15/2/XL|JK"),
    R(D1, "ZF 1000015 有问题 安全 亲情", "visit", "ok", "visit_ok_problem", NULL, .visits = 1, .sql = LAST_VISIT, .want = "2024-03-15/2/AQ|QG"),
    R(D1, "zf1000077 2xl", "visit", "ok", "visit_ok_high", NULL, .visits = 1,
     .sql = "SELECT high_cadence FROM child WHERE code = '1000077'", .want = "1"),
    R(D1, "ZF 1000015 2 生活 健康 监护 上学", "visit", "ok", "visit_ok_problem", NULL, .visits = 1, .sql = LAST_VISIT, .want = "2024-03-15/2/JH|XX|JK|SH"),
    R(D1, "ZF 1000015 3", "visit", "ok", "visit_ok_absent", NULL, .visits = 1, .sql = LAST_VISIT, .want = "2024-03-15/3/"),
    R(D1, "ZF 1000015 未见", "visit", "ok", "visit_ok_absent", NULL, .visits = 1, .sql = LAST_VISIT, .want = "2024-03-15/3/"),
    R(D1, "ZF 1000015 不在家", "visit", "ok", "visit_ok_absent", NULL, .visits = 1),
    R(D1, "ZF 1000015 4", "visit", "ok", "visit_ok_phone", "不算走访", .visits = 1, .sql = LAST_VISIT, .want = "2024-03-15/4/"),
    R(D1, "ZF 1000015 电话", "visit", "ok", "visit_ok_phone", NULL, .visits = 1, .sql = LAST_VISIT, .want = "2024-03-15/4/"),
    R(D1, "ZF 1000077 视频", "visit", "ok", "visit_ok_phone", NULL, .visits = 1, .sql = LAST_VISIT, .want = "2024-03-15/4/"),
    /* ---- visits: dates ---- */
    R(D1, "ZF 1000015 昨天 1", "visit", "ok", "visit_ok", "2024年3月14日", .visits = 1, .sql = LAST_VISIT, .want = "2024-03-14/1/"),
    R(D1, "ZF 1000015 前天 正常", "visit", "ok", "visit_ok", NULL, .visits = 1, .sql = LAST_VISIT, .want = "2024-03-13/1/"),
    R(D1, "ZF 1000015 今天 1", "visit", "ok", "visit_ok", NULL, .visits = 1, .sql = LAST_VISIT, .want = "2024-03-15/1/"),
    R(D1, "ZF 1000015 0310 1", "visit", "ok", "visit_ok", NULL, .visits = 1, .sql = LAST_VISIT, .want = "2024-03-10/1/"),
    R(D1, "ZF 1000015 20240301 1", "visit", "ok", "visit_ok", NULL, .visits = 1, .sql = LAST_VISIT, .want = "2024-03-01/1/"),
    R(D1, "ZF 1000015 3月12日 1", "visit", "ok", "visit_ok", NULL, .visits = 1, .sql = LAST_VISIT, .want = "2024-03-12/1/"),
    R(D1, "ZF1000015 3月12日正常", "visit", "ok", "visit_ok", NULL, .visits = 1, .sql = LAST_VISIT, .want = "2024-03-12/1/"),
    R(D1, "ZF 1000015 20240116 1", "visit", "ok", "visit_ok", NULL, .visits = 1, .sql = LAST_VISIT, .want = "2024-01-16/1/"),
    R(D1, "ZF 1000015 20240320 1", "visit", "invalid", "date_future", "晚于今天"),
    R(D1, "ZF 1000015 明天 1", "visit", "invalid", "date_future", NULL),
    R(D1, "ZF 1000015 20231201 1", "visit", "invalid", "date_old", "60天"),
    R(D1, "ZF 1000015 0316 1", "visit", "invalid", "date_old", "2023年3月16日"),
    R(D1, "ZF 1000015 20240114 1", "visit", "invalid", "date_old", NULL),
    R(D1, "ZF 1000015 20240230 1", "visit", "invalid", "date_format", "3月15日"),
    R(D1, "ZF 1000015 2月30日 1", "visit", "invalid", "date_format", NULL),
    /* ---- visits: codes, results, problems ---- */
    R(D1, "ZF 1000016 1", "visit", "invalid", "child_check", "儿童编号1000016校验位不对"),
    R(D1, "ZF 1000051 1", "visit", "invalid", "child_check", "1000051"),
    R(D1, "ZF 100001 1", "visit", "invalid", "child_format", "100001"),
    R(D1, "ZF 10000150 1", "visit", "invalid", "child_format", "10000150"),
    R(D1, "ZF", "visit", "invalid", "child_missing", "ZF 编号"),
    R(D1, "走访", "visit", "invalid", "child_missing", NULL),
    R(D1, "ZF 正常", "visit", "invalid", "child_missing", NULL),
    R(D1, "ZF 1000015", "visit", "invalid", "visit_result_missing", "1正常"),
    R(D1, "ZF 1000015 昨天", "visit", "invalid", "visit_result_missing", NULL),
    R(D1, "ZF 1000015 2", "visit", "invalid", "visit_problems_missing", "XL心理"),
    R(D1, "ZF 1000015 有问题", "visit", "invalid", "visit_problems_missing", NULL),
    R(D1, "ZF 1000015 5", "visit", "invalid", "visit_result_bad", "1-4"),
    R(D1, "ZF 2000012 1", "visit", "invalid", "visit_not_allowed", "2000012"), /* unregistered: as another village's */
    /* ---- visits: who may ---- */
    R(D1, "ZF 1000031 1", "visit", "refused", "visit_not_allowed", "不在您负责的村"),
    R(D1, "ZF 1000089 1", "visit", "refused", "visit_not_allowed", NULL),
    R(D2, "ZF 1000031 1", "visit", "ok", "visit_ok", NULL, .visits = 1),
    R(D2, "ZF 1000044 2 SH", "visit", "ok", "visit_ok_problem", NULL, .visits = 1),
    R(D2, "ZF 1000015 1", "visit", "refused", "visit_not_allowed", NULL),
    R(SUP, "ZF 1000031 1", "visit", "ok", "visit_ok", NULL, .visits = 1,
     .sql = "SELECT s.phone FROM visit v JOIN staff s ON s.id = v.staff_id ORDER BY v.id DESC LIMIT 1", .want = SUP),
    R(SUP, "ZF 1000015 3", "visit", "ok", "visit_ok_absent", NULL, .visits = 1),
    R(SUP, "ZF 1000053 1", "visit", "refused", "visit_not_allowed", NULL),
    R(ADM, "ZF 1000053 1", "visit", "ok", "visit_ok", NULL, .visits = 1),
    R(ADM, "ZF 1000089 1", "visit", "refused", "visit_not_allowed", NULL),
    R(D3, "ZF 1000053 2 XL", "visit", "ok", "visit_ok_high", NULL, .visits = 1),
    R(D3, "ZF 1000066 1", "visit", "ok", "visit_ok", NULL, .visits = 1),
    R(D4, "ZF 1000089 1", "visit", "ok", "visit_ok", NULL, .visits = 1),
    R(D4, "ZF 1000015 1", "visit", "refused", "visit_not_allowed", NULL),
    R(POL, "ZF 1000015 1", "visit", "refused", "visit_not_staff", NULL),
    R(G1, "ZF 1000015 1", "visit", "refused", "visit_not_staff", NULL),
    R(U1, "ZF 1000015 1", "visit", "refused", "visit_not_staff", NULL),
    R(U1, "ZF 1000016 1", "visit", "refused", "visit_not_staff", NULL),

    /* ---- check-ins ---- */
    R(G1, "QD", "checkin", "ok", "checkin_ok", "1000015、1000028", .checkins = 2, .sql = LAST_CHECKIN, .want = "1/-"),
    R(G1, "签到", "checkin", "ok", "checkin_ok", NULL, .checkins = 2),
    R(G1, "报平安", "checkin", "ok", "checkin_ok", NULL, .checkins = 2),
    R(G1, "qd", "checkin", "ok", "checkin_ok", NULL, .checkins = 2),
    R(G1, "CI", "checkin", "ok", "checkin_ok", NULL, .checkins = 2),
    R(G1, "QD 1000015", "checkin", "ok", "checkin_ok", "1000015", .checkins = 1),
    R(G1, "QD1000015", "checkin", "ok", "checkin_ok", NULL, .checkins = 1),
    R(G1, "qd 1000028 1 孩子很好", "checkin", "ok", "checkin_ok", NULL, .checkins = 1,
     .sql = "SELECT note FROM checkin ORDER BY id DESC LIMIT 1", .want = "孩子很好"),
    R(G1, "QD 平安", "checkin", "ok", "checkin_ok", NULL, .checkins = 2, .sql = LAST_CHECKIN, .want = "1/-"),
    R(G1, "QD 1000015 2 孩子发烧了", "checkin", "ok", "checkin_help", "110", .notices = 1, .checkins = 1, .sql = LAST_CHECKIN, .want = "2/-"),
    R(G1, "QD 2", "checkin", "ok", "checkin_help", NULL, .notices = 1, .checkins = 2, .sql = LAST_CHECKIN, .want = "2/-"),
    R(G1, "QD 求助", "checkin", "ok", "checkin_help", NULL, .notices = 1, .checkins = 2),
    R(G1, "QD 1000015 3 0320", "checkin", "ok", "checkin_home", "2024年3月20日", .checkins = 1, .sql = LAST_CHECKIN, .want = "3/2024-03-20"),
    R(G1, "QD 回家 3月20日", "checkin", "ok", "checkin_home", NULL, .checkins = 2, .sql = LAST_CHECKIN, .want = "3/2024-03-20"),
    R(G1, "QD 3", "checkin", "ok", "checkin_home_nodate", NULL, .checkins = 2, .sql = LAST_CHECKIN, .want = "3/-"),
    R(G1, "QD 1000015 4 奶奶住院，由姑姑照顾", "checkin", "ok", "checkin_carer", NULL, .notices = 1, .checkins = 1, .sql = LAST_CHECKIN, .want = "4/-"),
    R(G1, "QD 换人", "checkin", "ok", "checkin_carer", NULL, .notices = 1, .checkins = 2),
    R(G1, "QD 1000031", "checkin", "refused", "checkin_not_linked", "1000031"),
    R(G1, "QD 1000016", "checkin", "invalid", "child_check", "QD 编号"),
    R(G1, "QD 2000012", "checkin", "invalid", "checkin_not_linked", NULL),
    R(G1, "QD 1000015 7", "checkin", "invalid", "checkin_status_bad", "1平安"),
    R(G1, "QD 1000015 3 20240230", "checkin", "invalid", "date_format", "QD 编号 3 日期"),
    R(G2, "QD", "checkin", "ok", "checkin_ok", "1000031", .checkins = 1),
    R(G2, "CI 1000031 平安", "checkin", "ok", "checkin_ok", NULL, .checkins = 1),
    R(G3, "签到 1000053 求助", "checkin", "ok", "checkin_help", NULL, .notices = 1, .checkins = 1, .sql = LAST_CHECKIN, .want = "2/-"),
    R(G3, "报平安 1000053", "checkin", "ok", "checkin_ok", NULL, .checkins = 1),
    R(G4, "QD", "checkin", "refused", "checkin_no_children", NULL),
    R(G2, "QD 0320 回家", "checkin", "ok", "checkin_home", "3月20日", .checkins = 1, .sql = LAST_CHECKIN, .want = "3/2024-03-20"),
    R(G2, "QD 1000031 回家 明天", "checkin", "ok", "checkin_home", "3月16日", .checkins = 1, .sql = LAST_CHECKIN, .want = "3/2024-03-16"),
    R(U1, "QD", "checkin", "refused", "checkin_not_guardian", NULL),
    R(U1, "QD 1000015", "checkin", "refused", "checkin_not_guardian", NULL),
    R(D1, "QD 1000015", "checkin", "refused", "checkin_not_guardian", NULL),

    /* ---- reports ---- */
    R(U1, "BG 2 邻居家孩子经常被打", "report", "ok", "report_ok", "CX ", .alerts = 2, .cases = 1, .events = 2, .sql = CASE_SHAPE("@CASE"), .want = "2/P1/1/open"),
    R(U1, "CX @CASE", "status", "ok", "status_open", NULL, .events = 1),
    R(U2, "CX @CASE", "status", "refused", "status_denied", NULL),
    R(POL, "CX @CASE", "status", "ok", "status_open", NULL, .events = 1),
    R(EDU, "CX @CASE", "status", "refused", "status_denied", NULL),
    R(U1, "QR @CASE", "ack", "refused", "case_not_responder", NULL),
    R(POL, "JA @CASE 2", "close", "ok", "close_ok", NULL, .tmpl2 = "case_closed_reporter", .events = 2,
     .sql = "SELECT status || '/' || outcome || '/' || CAST(acked_at IS NOT NULL AS INTEGER) || s.phone FROM cases "
            "JOIN staff s ON s.id = acked_by WHERE number = '@CASE'", .want = "closed/2/1" POL),
    R(U1, "CX @CASE", "status", "ok", "status_closed", "处理完毕", .events = 1),
    R(U1, "BG 2 有人打孩子", "report", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2, .sql = CASE_DEPTS("@CASE"), .want = "police,civil_affairs"),
    R(U1, "BG 4 1000015 孩子放学没回家", "report", "ok", "report_ok_p0", "110", .alerts = 2, .notices = 1, .cases = 1, .events = 2, .sql = CASE_CHILD("@CASE"), .want = "1000015"),
    R(U1, "BG 4 1000015 孩子放学没回家", "report", "ok", "report_ok_p0", NULL, .alerts = 2, .notices = 1, .cases = 1, .events = 2, .sql = CASE_SHAPE("@CASE"), .want = "4/P0/1/open"),
    R(U2, "举报 有人在河边欺负小孩", "report", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2, .sql = CASE_SHAPE("@CASE"), .want = "7/P2/1/open"), /* inferred from 欺负 */
    R(U2, "举报 有人在河边欺负小孩", "report", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2, .sql = CASE_COUNTY("@CASE"), .want = "示例县"),
    R(U2, "报告 6 有孩子掉进水库", "report", "ok", "report_ok_p0", "120", .alerts = 2, .cases = 1, .events = 2, .sql = CASE_DEPTS("@CASE"), .want = "police,civil_affairs"),
    R(U2, "求助 孩子一个人在家三天了", "report", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2,
     .sql = "SELECT description FROM cases WHERE number = '@CASE'", .want = "孩子一个人在家三天了"),
    R(U2, "BG 家暴 邻居打孩子", "report", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2, .sql = CASE_SHAPE("@CASE"), .want = "2/P1/1/open"),
    R(U2, "BG 走失 1000031", "report", "ok", "report_ok_p0", NULL, .alerts = 2, .notices = 1, .cases = 1, .events = 2, .sql = CASE_SHAPE("@CASE"), .want = "4/P0/1/open"),
    R(U2, "BG 1 1000053 有人对孩子不轨", "report", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2, .sql = CASE_SHAPE("@CASE"), .want = "1/P1/1/open"),
    R(U2, "BG 3 1000053 父母外出，孩子无人照看", "report", "ok", "report_ok", NULL, .alerts = 2, .notices = 1, .cases = 1, .events = 2, .sql = CASE_DEPTS("@CASE"), .want = "civil_affairs,police"),
    R(U2, "BG 5 孩子说不想活了", "report", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2, .sql = CASE_DEPTS("@CASE"), .want = "health,education,civil_affairs"),
    R(U2, "BG 7 同学欺负", "report", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2, .sql = CASE_SHAPE("@CASE"), .want = "7/P2/1/open"),
    R(U2, "BG 8 孩子不上学了", "report", "ok", "report_ok", NULL, .alerts = 1, .cases = 1, .events = 2, .sql = CASE_DEPTS("@CASE"), .want = "education"),
    R(U2, "BG 9 其他情况", "report", "ok", "report_ok", NULL, .cases = 1, .events = 2, .sql = CASE_SHAPE("@CASE"), .want = "9/P3/1/open"),
    R(U2, "BG 1000089 孩子被打", "report", "ok", "report_ok", NULL, .alerts = 1, .cases = 1, .events = 2, .sql = CASE_COUNTY("@CASE"), .want = "邻县"), /* inferred 2: 邻县 has police only */
    R(U2, "BG 1000016 孩子受伤", "report", "ok", "report_ok_child_bad", "1000016", .alerts = 1, .cases = 1, .events = 2, .sql = CASE_CHILD("@CASE"), .want = "-"), /* unclassified: triage */
    R(U2, "BG 2000012 孩子受伤", "report", "ok", "report_ok", NULL, .alerts = 1, .cases = 1, .events = 2, /* the same answer as for a registered child */
     .sql = "SELECT detail FROM case_event WHERE kind = 'opened' ORDER BY id DESC LIMIT 1", .want = "child_unknown:2000012"),
    R(U2, "BG 张小明被打了", "report", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2,
     .sql = "SELECT description FROM cases WHERE number = '@CASE'", .want = "张小明被打了"),
    R(U2, "BG 0 有情况", "report", "ok", "report_ok_category_bad", "1-9", .alerts = 1, .cases = 1, .events = 2, .sql = CASE_SHAPE("@CASE"), .want = "9/P3/0/open"),
    R(U2, "举报家暴", "report", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2, .sql = CASE_SHAPE("@CASE"), .want = "2/P1/1/open"),
    R(U2, "BG 家暴打孩子", "report", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2,
      .sql = "SELECT category || '/' || description FROM cases WHERE number = '@CASE'", .want = "2/家暴打孩子"),
    R(U2, "BG 3个孩子在河边玩水", "report", "ok", "report_ok", NULL, .alerts = 1, .cases = 1, .events = 2,
      .sql = "SELECT category || '/' || description FROM cases WHERE number = '@CASE'", .want = "9/3个孩子在河边玩水"),
    R(U2, "BG 1000016 孩子受伤", "report", "ok", "report_ok_child_bad", NULL, .alerts = 1, .cases = 1, .events = 2,
      .sql = "SELECT description FROM cases WHERE number = '@CASE'", .want = "孩子受伤"),
    R(U2, "BG", "report", "invalid", "report_desc_missing", "BG"),
    R(U2, "报告", "report", "invalid", "report_desc_missing", NULL),
    R(U3, "bg2 有人打孩子", "report", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2, .sql = CASE_SHAPE("@CASE"), .want = "2/P1/1/open"),
    R(U3, "ＢＧ　６　孩子落水", "report", "ok", "report_ok_p0", NULL, .alerts = 2, .cases = 1, .events = 2),
    R(U3, "BG 4", "report", "ok", "report_ok_p0", NULL, .alerts = 2, .cases = 1, .events = 2, .sql = CASE_SHAPE("@CASE"), .want = "4/P0/1/open"),
    R(U3, "BG 1000015", "report", "ok", "report_ok", NULL, .alerts = 1, .cases = 1, .events = 2, .sql = CASE_CHILD("@CASE"), .want = "1000015"),
    R(D1, "BG 3 1000015 奶奶住院，孩子没人管", "report", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2,
     .sql = "SELECT count(*) FROM reporter WHERE phone = '" D1 "'", .want = "1"),
    R(D1, "BG 孩子辍学在家", "report", "ok", "report_ok", NULL, .alerts = 1, .cases = 1, .events = 2, /* inferred 8: education */
     .sql = "SELECT coalesce(r.path, '-') FROM cases LEFT JOIN region r ON r.id = region_id WHERE number = '@CASE'", .want = "示例县/东镇/桃村"),
    R(D4, "BG 9 情况", "report", "ok", "report_ok", NULL, .cases = 1, .events = 2, .sql = CASE_COUNTY("@CASE"), .want = "邻县"),
    R(G1, "BG 7 同学欺负我家孩子", "report", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2, .sql = CASE_COUNTY("@CASE"), .want = "示例县"),
    R(U4, "BG 2 有人打孩子", "report", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2,
     .sql = "SELECT count(*) FROM cases c JOIN reporter r ON r.id = c.reporter_id WHERE r.phone = '" U4 "'", .want = "1"),
    R(U4, "CX @CASE", "status", "ok", "status_open", NULL, .events = 1),
    /* ---- reports: who is told (alerts to responders, the child's village, triage) ---- */
    R(U5, "BG 7 1000031 同学打他", "report", "ok", "report_ok", NULL, .alerts = 2, .notices = 1, .cases = 1, .events = 2,
     .sql = LAST_EVENT, .want = "alerted/count=2 village=1"),
    R(U5, "BG 8 1000044 不去上学", "report", "ok", "report_ok", NULL, .alerts = 1, .notices = 1, .cases = 1, .events = 2,
     .sql = LAST_EVENT, .want = "alerted/count=1 village=1"),
    R(U5, "BG 2 1000066 有人打孩子", "report", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2,
     .sql = LAST_EVENT, .want = "alerted/count=2"),
    R(U5, "BG 1 1000066 有人对孩子不轨", "report", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2,
     .sql = LAST_EVENT, .want = "alerted/count=2"),
    R(U5, "BG 9 1000066 有情况", "report", "ok", "report_ok", NULL, .notices = 1, .cases = 1, .events = 2,
     .sql = LAST_EVENT, .want = "queued_for_triage/P3 village=1"),
    R(U5, "BG 1000066 有情况", "report", "ok", "report_ok", NULL, .alerts = 1, .cases = 1, .events = 2,
     .sql = LAST_EVENT, .want = "alerted/triage count=1"),
    R(U5, "BG 4 1000089 孩子不见了", "report", "ok", "report_ok_p0", NULL, .alerts = 1, .notices = 1, .cases = 1, .events = 2,
     .sql = LAST_EVENT, .want = "alerted/count=1 village=1"),
    R(U5, "BG 2 1000089 有人打孩子", "report", "ok", "report_ok", NULL, .alerts = 1, .cases = 1, .events = 2,
     .sql = LAST_EVENT, .want = "alerted/count=1"), /* 邻县 has police only; its village is not told of 2 */
    R(D3, "BG 6 1000053 孩子掉进河里", "report", "ok", "report_ok_p0", NULL, .alerts = 2, .cases = 1, .events = 2,
     .sql = LAST_EVENT, .want = "alerted/count=2 village=0"), /* the director reporting is not told */
    R(POL, "BG 6 孩子落水", "report", "ok", "report_ok_p0", NULL, .alerts = 2, .cases = 1, .events = 2),

    /* ---- acknowledge ---- */
    R(POL, "QR 2403140001", "ack", "ok", "ack_ok", "JA 2403140001", .events = 1, .sql = CASE_STATUS("2403140001"), .want = "acknowledged/-"),
    R(POL, "QR 2403140001", "ack", "refused", "ack_already", NULL),
    R(CIV, "确认 2403140001", "ack", "refused", "ack_already", NULL),
    R(EDU, "QR 2403140006", "ack", "refused", "case_not_allowed", "2403140006"),
    R(POL2, "QR 2403140001", "ack", "refused", "case_not_allowed", NULL),
    R(POL2, "QR 2403140003", "ack", "ok", "ack_ok", NULL, .events = 1),
    R(POL, "QR 2403140008", "ack", "refused", "case_not_allowed", NULL), /* 示例县东 is not under 示例县 */
    R(D1, "QR 2403140001", "ack", "refused", "case_not_responder", NULL),
    R(SUP, "QR 2403140006", "ack", "refused", "case_not_responder", NULL),
    R(U1, "QR 2403140001", "ack", "refused", "case_not_responder", NULL),
    R(POL, "QR 2403149999", "ack", "invalid", "case_not_allowed", "2403149999"), /* the same answer as for another's case */
    R(POL, "QR 24031400", "ack", "invalid", "case_format", "10-12位"),
    R(POL, "QR", "ack", "invalid", "case_missing", "QR 案件号"),
    R(CIV, "QR 2403140004", "ack", "refused", "ack_closed", NULL),
    R(POL, "QR 2403140004", "ack", "refused", "case_not_allowed", NULL), /* closed, and not routed to police */
    R(POL, "ack 2403140006", "ack", "ok", "ack_ok", NULL, .events = 1),
    R(EDU, "ＱＲ２４０３１４０００２", "ack", "ok", "ack_ok", NULL, .events = 1, .sql = CASE_STATUS("2403140002"), .want = "acknowledged/-"),
    R(ADM, "QR 2403140007", "ack", "ok", "ack_ok", NULL, .events = 1),
    R(CIV, "QR 2403140007", "ack", "refused", "case_not_allowed", NULL),
    R(ADM, "QR 2403140003", "ack", "refused", "case_not_allowed", NULL),

    /* ---- close ---- */
    R(CIV, "JA 2403140006 1 已安置到亲属家", "close", "ok", "close_ok", NULL, .tmpl2 = "case_closed_reporter", .events = 2,
     .sql = "SELECT status || '/' || outcome || '/' || outcome_note FROM cases WHERE number = '2403140006'", .want = "closed/1/已安置到亲属家"),
    R(CIV, "JA 2403140006 1", "close", "refused", "close_already", NULL),
    R(POL, "QR 2403140006", "ack", "refused", "ack_closed", NULL),
    R(POL, "JA 2403140001", "close", "invalid", "close_outcome_missing", "1已处置"),
    R(POL, "JA 2403140001 5", "close", "invalid", "close_outcome_bad", NULL),
    R(POL, "JA", "close", "invalid", "case_missing", "JA 案件号 结果"),
    R(POL, "结案 2403140001 已立案 嫌疑人已控制", "close", "ok", "close_ok", NULL, .tmpl2 = "case_closed_reporter", .events = 2,
     .sql = CASE_STATUS("2403140001"), .want = "closed/4"),
    R(EDU, "JA 2403140002 已转介", "close", "ok", "close_ok", NULL, .tmpl2 = "case_closed_reporter", .events = 2, .sql = CASE_STATUS("2403140002"), .want = "closed/2"),
    R(EDU, "ja 2403140005 3", "close", "ok", "close_ok", NULL, .events = 1, .sql = CASE_STATUS("2403140005"), .want = "closed/3"),
    R(POL, "QR 2403140005", "ack", "refused", "ack_closed", NULL),
    R(POL, "JA 2403140003 1", "close", "refused", "case_not_allowed", NULL),
    R(ADM, "JA 2403140003 1", "close", "refused", "case_not_allowed", NULL),
    R(D1, "JA 2403140003 1", "close", "refused", "case_not_responder", NULL),
    R(U1, "JA 2403140001 1", "close", "refused", "case_not_responder", NULL),
    R(ADM, "JA 2403140007 3", "close", "ok", "close_ok", NULL, .events = 1),
    R(POL, "JA 2403149999 1", "close", "invalid", "case_not_allowed", NULL),

    /* ---- status ---- */
    R(U1, "CX 2403140001", "status", "ok", "status_closed", NULL, .events = 1),
    R(U1, "cx2403140001", "status", "ok", "status_closed", NULL, .events = 1),
    R(U1, "查询 2403140001", "status", "ok", "status_closed", NULL, .events = 1,
     .sql = "SELECT kind || '/' || detail FROM case_event ORDER BY id DESC LIMIT 1", .want = "status_query/reporter"),
    R(U2, "CX 2403140001", "status", "refused", "status_denied", NULL),
    R(U5, "CX 2403140001", "status", "refused", "status_denied", NULL),
    R(U5, "查询 2403149999", "status", "invalid", "status_denied", "2403149999"),
    R(EDU, "CX 2403140001", "status", "refused", "status_denied", NULL),
    R(CIV, "CX 2403140001", "status", "ok", "status_closed", NULL, .events = 1),
    R(POL2, "CX 2403140003", "status", "ok", "status_acked", NULL, .events = 1),
    R(D1, "CX 2403140001", "status", "refused", "status_denied", NULL),
    R(ADM, "CX 2403140001", "status", "ok", "status_closed", NULL, .events = 1),
    R(U1, "CX", "status", "invalid", "case_missing", "CX 案件号"),
    R(U1, "CX 240314", "status", "invalid", "case_format", NULL),

    /* ---- help ---- */
    R(D1, "BZ", "help", "ok", "help_director", "ZF"),
    R(SUP, "帮助", "help", "ok", "help_supervisor", NULL),
    R(POL, "?", "help", "ok", "help_responder", "QR"),
    R(ADM, "HELP", "help", "ok", "help_admin", NULL),
    R(G1, "？", "help", "ok", "help_guardian", "QD"),
    R(U1, "help", "help", "ok", "help_public", "BG"),
    R(U5, "帮助", "help", "ok", "help_public", NULL),
    R(U5, "bz", "help", "ok", "help_public", NULL),

    /* ---- opt-out / opt-in ---- */
    R(G1, "TD", "optout", "ok", "optout_ok", "DY", .optouts = 1),
    R(G1, "退订", "optout", "ok", "optout_ok", NULL),
    R(G1, "DY", "optin", "ok", "optin_ok", NULL, .optouts = -1),
    R(G1, "订阅", "optin", "ok", "optin_ok", NULL),
    R(U1, "STOP", "optout", "ok", "optout_ok", NULL, .optouts = 1),
    R(U1, "start", "optin", "ok", "optin_ok", NULL, .optouts = -1),
    R(G2, "T", "optout", "ok", "optout_ok", NULL, .optouts = 1),
    R(G3, "R", "optout", "ok", "optout_ok", NULL, .optouts = 1),
    R(G3, "N", "optout", "ok", "optout_ok", NULL),
    R(U3, "td", "optout", "ok", "optout_ok", NULL, .optouts = 1,
     .sql = "SELECT channel FROM opt_out WHERE phone = '" U3 "'", .want = "test"),
    R(D1, "ＴＤ", "optout", "ok", "optout_ok", NULL, .optouts = 1),
    R(G2, "TD 我不要短信了", "optout", "ok", "optout_ok", "DY"), /* in words; G2 opted out already */

    /* ---- text that matches no command ---- */
    R(U4, "你好，我们村有个孩子好几天没人管了", "unknown", "ok", "report_ok", "CX", .alerts = 2, .cases = 1, .events = 2, /* inferred from 没人管 */
     .sql = CASE_SHAPE("@CASE"), .want = "3/P1/1/open"),
    R(U4, "你好，我们村有个孩子好几天没人管了", "unknown", "ok", "report_ok", NULL, .alerts = 2, .cases = 1, .events = 2,
     .sql = CASE_DEPTS("@CASE"), .want = "civil_affairs,police"),
    R(U5, "Hello there", "unknown", "unknown", "unknown_case_opened", NULL, .alerts = 1, .cases = 1, .events = 2, /* triage */
     .sql = "SELECT description FROM cases WHERE number = '@CASE'", .want = "Hello there"),
    R(U5, "😀", "unknown", "unknown", "unknown_case_opened", NULL, .alerts = 1, .cases = 1, .events = 2),
    R(U5, "孩子 1000015 不见了", "unknown", "ok", "report_ok_p0", "110", .alerts = 2, .cases = 1, .events = 2, .sql = CASE_COUNTY("@CASE"), .want = "示例县"),
    R(U5, "CX@CASE", "status", "ok", "status_open", NULL, .events = 1),
    R(U5, "", "unknown", "unknown", "help_public", NULL),
    R(U5, "   ", "unknown", "unknown", "help_public", NULL),
    R(U5, "，。、", "unknown", "unknown", "help_public", NULL),
    R(D1, "今天天气好", "unknown", "ok", "director_forwarded", "督导员", .notices = 1), /* to the supervisor of 东镇 */
    R(D1, "1000015 1", "unknown", "unknown", "unrecognised_director", "ZF"),
    R(D1, "", "unknown", "unknown", "unrecognised_director", NULL),
    R(SUP, "好的", "unknown", "unknown", "unrecognised_supervisor", NULL),
    R(POL, "收到", "unknown", "unknown", "unrecognised_responder", NULL),
    R(ADM, "test", "unknown", "unknown", "unrecognised_admin", NULL),
    R(G1, "谢谢", "unknown", "unknown", "unrecognised_guardian", "QD"),
    R(G4, "孩子还好吗", "unknown", "unknown", "unrecognised_guardian", NULL),
};

/* Templates allowed past 70 UCS-2 units, with the reason. None so far. */
static const char *const long_ok[] = {NULL};

/* ---- fixture ----------------------------------------------------------------- */

struct world {
    char path[SEED_PATH_MAX];
    struct store *st;
    struct gw_policy pol;
    int nmsg;                /* provider ids */
    char last_case[96];      /* "@CASE": a reply variable's value (struct h_var.value) */
};

static int exec_sql(const char *where, const char *sql)
{
    char err[512] = "";
    int rc = test_sql_exec(where, sql, err, sizeof err);
    if (rc != 0) fprintf(stderr, "sql: %s\n", err);
    return rc;
}

/* A fresh migrated database, empty, with the policy of the tests. */
static struct world *world_new(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    struct world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->st = seed_store_new("gw_handlers", w->path);
    w->pol.timezone = "Asia/Shanghai";
    w->pol.visit_days = 30;
    w->pol.visit_days_high = 14;
    w->pol.checkin_days = 7;
    w->pol.checkin_escalate_days = 14;
    w->pol.ack_minutes_p0 = 15;
    w->pol.ack_minutes_p1 = 30;
    w->pol.default_region = "示例县";
    w->pol.country_code = "86";
    w->pol.work_start = 8 * 60 + 30; /* the defaults: 08:30-17:30, Monday to Friday */
    w->pol.work_end = 17 * 60 + 30;
    w->pol.work_days = 0x1F;
    return w;
}

/* The roster of the file's header, imported as a county loads it, and the
 * cases of the day before. */
static void world_seed(struct world *w)
{
    seed_roster(w->st, "regions", regions_csv, ROSTER_AT);
    seed_roster(w->st, "staff", staff_csv, ROSTER_AT);
    seed_roster(w->st, "children", children_csv, ROSTER_AT);
    seed_roster(w->st, "guardians", guardians_csv, ROSTER_AT);
    seed_guardian_without_child(w->path);
    seed_cases(w->st);
}

static void world_free(struct world *w)
{
    if (!w) return;
    seed_store_free(w->st, w->path);
    free(w);
}

/* One value from the probe connection as text ("" for no row, "NULL" for NULL). */
static void probe(struct world *w, const char *sql, char *out, size_t outlen)
{
    const char *rowid = seed_is_pg(w->path) ? strstr(sql, "rowid") : NULL;
    if (!rowid) {
        test_sql_q1(w->path, sql, out, outlen);
        return;
    }
    /* case_dept's insertion order: SQLite's rowid is PostgreSQL's seq column */
    char *pg = gw_strdup(sql);
    memcpy(pg + (rowid - sql), "seq  ", 5);
    test_sql_q1(w->path, pg, out, outlen);
    free(pg);
}

static long count_rows(struct world *w, const char *table)
{
    char sql[64], v[32];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    probe(w, sql, v, sizeof v);
    return strtol(v, NULL, 10);
}

/* Replaces "@CASE" in s by the last case number. */
static void expand(const struct world *w, const char *s, char *out, size_t outlen)
{
    size_t o = 0;
    for (const char *p = s; *p && o + 1 < outlen;) {
        if (strncmp(p, "@CASE", 5) == 0) {
            int n = snprintf(out + o, outlen - o, "%s", w->last_case);
            o += n > 0 ? (size_t)n : 0;
            p += 5;
        } else {
            out[o++] = *p++;
        }
    }
    out[o < outlen ? o : outlen - 1] = '\0';
}

static int run_msg_at(struct world *w, const char *from, const char *text, int64_t now, struct h_result *res,
                      char *err, size_t errlen);

/* Runs one message as the pipeline does: inbox row, handlers, commit. */
static int run_msg(struct world *w, const char *from, const char *text, struct h_result *res, char *err,
                   size_t errlen)
{
    return run_msg_at(w, from, text, NOW, res, err, errlen);
}

static int run_msg_at(struct world *w, const char *from, const char *text, int64_t now, struct h_result *res,
                      char *err, size_t errlen)
{
    char pid[32];
    snprintf(pid, sizeof pid, "msg-%d", ++w->nmsg);
    struct gw_msg gm = {.channel = "test", .provider_id = pid, .from = (char *)from, .to = "106",
                        .text = (char *)text, .received_at = now};
    char *norm = cb_normalize(text, strlen(text));
    int64_t inbox_id = 0;
    if (store_begin(w->st) != 0) {
        free(norm);
        return -1;
    }
    int rc = store_inbox_insert(w->st, &gm, norm, now, &inbox_id);
    free(norm);
    if (rc != 0) goto fail;
    struct h_env env = {.st = w->st, .pol = &w->pol};
    struct h_msg m = {.inbox_id = inbox_id, .channel = "test", .from = from, .text = text, .len = strlen(text),
                      .now = now};
    rc = handlers_run(&env, &m, res, err, errlen);
    if (rc != 0) goto fail;
    if (store_inbox_set_result(w->st, inbox_id, cb_intent_name(res->intent), res->result, res->detail) != 0)
        goto fail;
    return store_commit(w->st);
fail:
    store_rollback(w->st);
    return -1;
}

static int is_long_ok(const char *tmpl)
{
    for (size_t i = 0; long_ok[i]; i++)
        if (strcmp(long_ok[i], tmpl) == 0) return 1;
    return 0;
}

/* Renders every reply and checks length and privacy; returns the first
 * reply's text (owned) for the caller's substring check. */
static char *check_replies(int line, const struct h_result *res, const char *from)
{
    char *first = NULL;
    for (int i = 0; i < res->nreplies; i++) {
        const struct h_reply *r = &res->replies[i];
        struct gw_buf b = {0};
        char err[128] = "";
        if (tmpl_render(NULL, r->tmpl, r->vars, r->nvars, &b, err, sizeof err) != 0)
            fail_msg("row %d: reply %s does not render: %s", line, r->tmpl, err);
        const char *text = gw_buf_cstr(&b);
        size_t units = tmpl_ucs2_len(text);
        if (units > 70 && !is_long_ok(r->tmpl))
            fail_msg("row %d: reply %s is %zu UCS-2 units: %s", line, r->tmpl, units, text);
        for (size_t k = 0; k < sizeof child_names / sizeof child_names[0]; k++)
            if (strstr(text, child_names[k])) fail_msg("row %d: reply names a child: %s", line, text);
        for (size_t k = 0; k < sizeof category_words / sizeof category_words[0]; k++)
            if (strstr(text, category_words[k])) fail_msg("row %d: reply names a category: %s", line, text);
        if (tmpl_category_word(text)) fail_msg("row %d: reply names a category: %s", line, text);
        if (i > 0 && strlen(from) > 3 && strstr(text, from + 3))
            fail_msg("row %d: a message to %s names the sender: %s", line, r->to, text);
        if (i > 0 && strcmp(r->to, from) == 0 && r->kind != H_REPLY && strcmp(r->tmpl, "case_alert") != 0)
            fail_msg("row %d: the sender is told about their own message: %s", line, r->tmpl);
        if (i == 0) {
            if (strcmp(r->to, from) != 0) fail_msg("row %d: first reply goes to %s", line, r->to);
            if (r->kind != H_REPLY) fail_msg("row %d: first reply is not a reply", line);
            first = gw_buf_steal(&b);
        } else {
            gw_buf_free(&b);
        }
    }
    return first;
}

static const char *const counted[] = {"visit", "checkin", "cases", "opt_out", "case_event"};

static int count_kind(const struct h_result *res, enum h_kind kind)
{
    int n = 0;
    for (int i = 0; i < res->nreplies; i++) n += res->replies[i].kind == kind;
    return n;
}

static void test_codebook_table(void **state)
{
    struct world *w = *state;
    size_t n = sizeof rows / sizeof rows[0];
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        const struct row *rw = &rows[i];
        int line = (int)i + 1;
        char text[512], sql[1024], err[256] = "";
        expand(w, rw->text, text, sizeof text);
        long before[5];
        for (int k = 0; k < 5; k++) before[k] = count_rows(w, counted[k]);

        struct h_result res;
        if (run_msg(w, rw->from, text, &res, err, sizeof err) != 0)
            fail_msg("row %d (%s): store error: %s", line, text, err);

        char why[512] = "";
        const char *intent = cb_intent_name(res.intent);
        if (strcmp(intent, rw->intent) != 0)
            snprintf(why, sizeof why, "intent %s, want %s", intent, rw->intent);
        else if (!res.result || strcmp(res.result, rw->result) != 0)
            snprintf(why, sizeof why, "result %s (%s), want %s", res.result ? res.result : "NULL", res.detail,
                     rw->result);
        else if (res.nreplies != (rw->tmpl2 ? 2 : 1) + rw->alerts + rw->notices)
            snprintf(why, sizeof why, "%d replies, want %d", res.nreplies,
                     (rw->tmpl2 ? 2 : 1) + rw->alerts + rw->notices);
        else if (count_kind(&res, H_ALERT) != rw->alerts)
            snprintf(why, sizeof why, "%d alerts, want %d", count_kind(&res, H_ALERT), rw->alerts);
        else if (strcmp(res.replies[0].tmpl, rw->tmpl) != 0)
            snprintf(why, sizeof why, "reply %s, want %s", res.replies[0].tmpl, rw->tmpl);
        else if (rw->tmpl2 && strcmp(res.replies[1].tmpl, rw->tmpl2) != 0)
            snprintf(why, sizeof why, "second reply %s, want %s", res.replies[1].tmpl, rw->tmpl2);

        char *first = check_replies(line, &res, rw->from);
        if (!why[0] && rw->has && (!first || !strstr(first, rw->has)))
            snprintf(why, sizeof why, "reply \"%s\" lacks \"%s\"", first ? first : "", rw->has);

        const int want[5] = {rw->visits, rw->checkins, rw->cases, rw->optouts, rw->events};
        for (int k = 0; k < 5 && !why[0]; k++) {
            long d = count_rows(w, counted[k]) - before[k];
            if (d != want[k]) snprintf(why, sizeof why, "%s changed by %ld, want %d", counted[k], d, want[k]);
        }
        if (rw->cases > 0) {
            for (int k = 0; k < res.nreplies; k++)
                for (int v = 0; v < res.replies[k].nvars; v++)
                    if (strcmp(res.replies[k].vars[v].name, "case") == 0)
                        snprintf(w->last_case, sizeof w->last_case, "%s", res.replies[k].vars[v].value);
        }
        if (!why[0] && rw->sql) {
            char got[256];
            expand(w, rw->sql, sql, sizeof sql);
            probe(w, sql, got, sizeof got);
            if (strcmp(got, rw->want) != 0) snprintf(why, sizeof why, "probe gave \"%s\", want \"%s\"", got, rw->want);
        }
        if (getenv("TEST_VERBOSE"))
            fprintf(stderr, "%3d %s %-28s %-8s %-8s %s\n", line, rw->from + 10, text, res.result, res.detail,
                    first ? first : "");
        if (why[0]) {
            fprintf(stderr, "row %d: %s %s: %s\n  -> %s\n", line, rw->from, text, why, first ? first : "(no reply)");
            failures++;
        }
        free(first);
    }
    fprintf(stderr, "%zu code-book rows, %d failed\n", n, failures);
    assert_int_equal(failures, 0);
    assert_true(n >= 150);
}

/* ---- cases opened today get consecutive numbers; a new day starts at 1 ---- */

static void test_case_numbers(void **state)
{
    struct world *w = *state;
    static const char *const depts[] = {"civil_affairs"};
    const int64_t county = seed_region_id(w->st, "示例县");
    struct db_case_new c = {.category = 9, .priority = 3, .depts = depts, .ndepts = 1, .county_id = county,
                            .region_id = county};
    char a[16], b[16], d[16];
    int64_t id = 0;
    assert_int_equal(store_begin(w->st), 0);
    assert_int_equal(db_case_open(w->st, &c, NOW, &id, a), 0);
    assert_int_equal(db_case_open(w->st, &c, NOW + 60, &id, b), 0);
    /* 14 hours after 10:00 local is midnight: the 16th begins a new sequence */
    assert_int_equal(db_case_open(w->st, &c, NOW + 14 * 3600, &id, d), 0);
    assert_int_equal(store_commit(w->st), 0);
    assert_int_equal(strlen(a), 10);
    assert_memory_equal(a, "240315", 6);
    assert_int_equal(atoi(b + 6), atoi(a + 6) + 1);
    assert_string_equal(d, "2403160001");
    struct db_case got;
    assert_int_equal(db_case_by_number(w->st, d, &got), 0);
    assert_int_equal(got.county_id, county);
    assert_string_equal(got.status, "open");
    assert_int_equal(db_case_by_number(w->st, "2403169999", &got), 1);
}

/* ---- region helpers ---- */

static void test_regions(void **state)
{
    struct world *w = *state;
    assert_true(db_path_under("示例县/东镇/桃村", "示例县"));
    assert_true(db_path_under("示例县/东镇/桃村", "示例县/东镇"));
    assert_true(db_path_under("示例县", "示例县"));
    assert_false(db_path_under("示例县东", "示例县"));
    assert_false(db_path_under("示例县", "示例县/东镇"));
    assert_false(db_path_under("示例县/东镇", ""));
    const int64_t sample = seed_region_id(w->st, "示例县"), east = seed_region_id(w->st, "示例县/东镇"),
                  xing = seed_region_id(w->st, "示例县/西镇/杏村"), other = seed_region_id(w->st, "示例县东");
    struct db_region r;
    assert_int_equal(db_region_by_path(w->st, "示例县/西镇/杏村", &r), 0);
    assert_int_equal(r.level, 3);
    assert_int_equal(r.county_id, sample);
    assert_int_equal(db_region_by_path(w->st, "示例县东", &r), 0);
    assert_int_equal(r.county_id, other);
    assert_int_equal(db_region_by_path(w->st, "没有这个县", &r), 1);
    assert_int_equal(db_region_under(w->st, xing, sample), 1);
    assert_int_equal(db_region_under(w->st, xing, east), 0);
    assert_int_equal(db_region_under(w->st, other, sample), 0);
    assert_int_equal(db_region_under(w->st, 99, sample), 0); /* no region 99: ten were imported */
    int64_t county = 0;
    assert_int_equal(db_region_only_county(w->st, &county), 1); /* three counties */
    struct db_staff s;
    assert_int_equal(db_staff_by_phone(w->st, D2, &s), 0);
    assert_string_equal(s.role, "director");
    assert_string_equal(s.region.path, "示例县/东镇/李村");
    assert_int_equal(s.region.county_id, sample);
    assert_int_equal(db_staff_by_phone(w->st, U1, &s), 1);
    struct db_child kids[1];
    int64_t g = 0;
    assert_int_equal(db_guardian_by_phone(w->st, G1, &g), 0);
    assert_int_equal(db_guardian_children(w->st, g, kids, 1), 2); /* counts all, copies one */
    assert_string_equal(kids[0].code, "1000015");
}

/* ---- where a case lands without a child or a registered sender ---- */

static void test_case_without_county(void **state)
{
    struct world *w = *state;
    struct h_result res;
    char err[256] = "", v[64];
    /* A default_region that does not exist and several counties: no county. */
    w->pol.default_region = "不存在县";
    assert_int_equal(run_msg(w, "+8613711111111", "BG 9 有情况", &res, err, sizeof err), 0);
    assert_string_equal(res.replies[0].tmpl, "report_ok");
    probe(w, "SELECT coalesce(CAST(county_id AS TEXT), 'NULL') FROM cases ORDER BY id DESC LIMIT 1", v, sizeof v);
    assert_string_equal(v, "NULL");
    /* Such a case is for an admin to take on. */
    char text[128];
    snprintf(text, sizeof text, "QR %s", res.replies[0].vars[0].value);
    assert_int_equal(run_msg(w, ADM, text, &res, err, sizeof err), 0);
    assert_string_equal(res.replies[0].tmpl, "ack_ok");
    /* A default_region below county level routes to its county. */
    w->pol.default_region = "邻县/南镇";
    assert_int_equal(run_msg(w, "+8613711111112", "BG 有情况", &res, err, sizeof err), 0);
    probe(w, "SELECT r.path FROM cases c JOIN region r ON r.id = c.county_id ORDER BY c.id DESC LIMIT 1", v, sizeof v);
    assert_string_equal(v, "邻县");
    w->pol.default_region = NULL;
    assert_int_equal(run_msg(w, "+8613711111113", "求助 有情况", &res, err, sizeof err), 0);
    probe(w, "SELECT coalesce(CAST(county_id AS TEXT), 'NULL') FROM cases ORDER BY id DESC LIMIT 1", v, sizeof v);
    assert_string_equal(v, "NULL");
    w->pol.default_region = "示例县";
}

static void test_only_county(void **state)
{
    (void)state;
    struct world *w = world_new();
    seed_roster(w->st, "regions", "path\n独县/镇\n", ROSTER_AT);
    w->pol.default_region = NULL;
    struct h_result res;
    char err[256] = "", v[64];
    assert_int_equal(run_msg(w, U1, "有个孩子需要帮助", &res, err, sizeof err), 0);
    assert_string_equal(res.replies[0].tmpl, "unknown_case_opened");
    probe(w, "SELECT r.path FROM cases c JOIN region r ON r.id = c.county_id", v, sizeof v);
    assert_string_equal(v, "独县");
    world_free(w);
}

/* ---- a store failure is an error, not a reply ---- */

static void test_store_failure(void **state)
{
    (void)state;
    struct world *w = world_new();
    world_seed(w);
    assert_int_equal(exec_sql(w->path, "DROP TABLE visit"), 0); /* a broken store: no operation breaks one */
    struct h_result res;
    char err[256] = "";
    assert_int_equal(run_msg(w, D1, "ZF 1000015 1", &res, err, sizeof err), -1);
    assert_true(strstr(err, "store") != NULL);
    assert_int_equal(res.nreplies, 0);
    /* Nothing of the message survived the rollback. */
    assert_int_equal(count_rows(w, "inbox"), 0);
    world_free(w);
}

/* ---- templates ------------------------------------------------------------------ */


static void test_templates_fit_one_sms(void **state)
{
    (void)state;
    size_t n;
    const struct tmpl_def *t = tmpl_builtin(&n);
    assert_true(n >= 40);
    int nvars;
    const struct h_var *longest = tmpl_longest_values(&nvars);
    for (size_t i = 0; i < n; i++) {
        struct gw_buf b = {0};
        char err[128] = "";
        if (tmpl_render(NULL, t[i].name, longest, nvars, &b, err, sizeof err) != 0)
            fail_msg("%s: %s", t[i].name, err);
        size_t units = tmpl_ucs2_len(gw_buf_cstr(&b));
        if (getenv("TEST_VERBOSE")) fprintf(stderr, "%2zu %-24s %s\n", units, t[i].name, gw_buf_cstr(&b));
        if (units > 70 && !is_long_ok(t[i].name))
            fail_msg("%s: %zu UCS-2 units: %s", t[i].name, units, gw_buf_cstr(&b));
        for (size_t k = 0; k < sizeof category_words / sizeof category_words[0]; k++)
            if (strstr(t[i].text, category_words[k])) fail_msg("%s names a category", t[i].name);
        if (tmpl_category_word(gw_buf_cstr(&b))) fail_msg("%s names a category", t[i].name);
        gw_buf_free(&b);
    }
}

/* Each template's vars list names exactly the ${...} it uses; names are unique. */
static void test_templates_declare_their_vars(void **state)
{
    (void)state;
    size_t n;
    const struct tmpl_def *t = tmpl_builtin(&n);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(tmpl_find(t[i].name), &t[i]);
        char used[128] = "";
        for (const char *p = strstr(t[i].text, "${"); p; p = strstr(p, "${")) {
            const char *e = strchr(p, '}');
            assert_non_null(e);
            char name[32];
            snprintf(name, sizeof name, "%.*s", (int)(e - p - 2), p + 2);
            char padded[40];
            snprintf(padded, sizeof padded, ",%s,", name);
            char list[80];
            snprintf(list, sizeof list, ",%s,", t[i].vars);
            if (!strstr(list, padded)) fail_msg("%s uses ${%s} but does not declare it", t[i].name, name);
            if (!strstr(used, padded)) {
                size_t ul = strlen(used);
                snprintf(used + ul, sizeof used - ul, "%s", ul ? padded + 1 : padded);
            }
            p = e;
        }
        /* every declared name is used */
        char decl[80];
        snprintf(decl, sizeof decl, "%s", t[i].vars);
        for (char *tok = strtok(decl, ","); tok; tok = strtok(NULL, ",")) {
            char padded[40];
            snprintf(padded, sizeof padded, ",%s,", tok);
            if (!strstr(used, padded)) fail_msg("%s declares %s but does not use it", t[i].name, tok);
        }
    }
    assert_null(tmpl_find("no_such_template"));
}

static void test_template_render(void **state)
{
    (void)state;
    struct gw_template over[] = {
        {.name = "visit_ok", .text = "走访已记录 ${code}"},
        {.name = "ack_ok", .text = NULL}, /* no text: the built-in stays */
    };
    struct gw_config cfg = {.templates = over, .ntemplates = 2};
    struct h_var vars[] = {{"code", "1000015"}, {"date", "2024年3月15日"}, {"case", "2403150001"}};
    struct gw_buf b = {0};
    char err[128];
    assert_int_equal(tmpl_render(&cfg, "visit_ok", vars, 3, &b, err, sizeof err), 0);
    assert_string_equal(gw_buf_cstr(&b), "走访已记录 1000015");
    assert_int_equal(tmpl_render(NULL, "visit_ok", vars, 3, &b, err, sizeof err), 0);
    assert_string_equal(gw_buf_cstr(&b), "已记录儿童1000015在2024年3月15日的走访，谢谢！");
    assert_int_equal(tmpl_render(&cfg, "ack_ok", vars, 3, &b, err, sizeof err), 0);
    assert_non_null(strstr(gw_buf_cstr(&b), "已确认案件2403150001"));
    assert_int_equal(tmpl_render(NULL, "no_such", vars, 3, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "no_such"));
    assert_int_equal(tmpl_render(NULL, "visit_ok", vars, 1, &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "date"));
    struct gw_template bad = {.name = "optin_ok", .text = "坏${code"};
    struct gw_config cfg2 = {.templates = &bad, .ntemplates = 1};
    assert_int_equal(tmpl_render(&cfg2, "optin_ok", vars, 3, &b, err, sizeof err), -1);
    gw_buf_free(&b);
}

static void test_ucs2_len(void **state)
{
    (void)state;
    assert_int_equal(tmpl_ucs2_len(""), 0);
    assert_int_equal(tmpl_ucs2_len("abc"), 3);
    assert_int_equal(tmpl_ucs2_len("案件号"), 3);
    assert_int_equal(tmpl_ucs2_len("😀"), 2);
    assert_int_equal(tmpl_ucs2_len("a\xe4"), 2); /* truncated sequence */
    assert_int_equal(tmpl_ucs2_len(NULL), 0);
}

static void test_reply_helpers(void **state)
{
    (void)state;
    struct h_result res;
    memset(&res, 0, sizeof res);
    for (int i = 0; i < H_MAX_REPLIES; i++) assert_non_null(h_reply_add(&res, "optin_ok", U1, H_REPLY));
    assert_null(h_reply_add(&res, "optin_ok", U1, H_REPLY));
    struct h_reply *r = &res.replies[0];
    h_var_set(r, "case", "%s", "1");
    h_var_set(r, "case", "%s", "2403150001");
    assert_int_equal(r->nvars, 1);
    assert_string_equal(r->vars[0].value, "2403150001");
    /* A value cut at 95 bytes never ends inside a character. */
    char long_zh[400] = "";
    for (int i = 0; i < 40; i++) strcat(long_zh, "案");
    h_var_set(r, "fmt", "%s", long_zh);
    assert_int_equal(strlen(r->vars[1].value) % 3, 0);
    for (int i = 2; i < H_MAX_VARS + 3; i++) h_var_set(r, i % 2 ? "a" : "b", "x");
    h_var_set(NULL, "x", "y");
}

/* ---- alerts, village notices and triage, through the real pipeline ------------------ */

/* Unix time of a local time in the test's zone (Asia/Shanghai). */
static int64_t local_time(int y, int mo, int d, int h, int mi, int sec)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec,
                    .tm_isdst = -1};
    return (int64_t)mktime(&tm);
}

/* A config loaded from INI text the way the gateway loads its file; cases
 * without a child or a registered sender belong to 示例县. NULL (err set)
 * when refused. */
static struct gw_config *config_from(const char *ini, char *err, size_t errlen)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/gw_handlers_ini_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "[store]\npath = /tmp/gw_handlers_unused.db\n[policy]\ndefault_region = 示例县\n%s", ini);
    fclose(f);
    struct gw_config *cfg = NULL;
    int rc = gw_config_load(path, &cfg, err, errlen);
    unlink(path);
    return rc == 0 ? cfg : NULL;
}

/* Submits one message through pipeline_batch (the webhook's path) with
 * provider id pid. 0 when stored (or a duplicate), -1 otherwise. */
static int pipe_msg_id(struct world *w, const struct gw_config *cfg, const char *pid, const char *from,
                       const char *text, int64_t at)
{
    struct pipeline_job job = {0};
    struct gw_msg *m = gw_msgv_push(&job.msgs);
    m->channel = gw_strdup("test");
    m->provider_id = gw_strdup(pid);
    m->from = gw_strdup(from);
    m->text = gw_strdup(text);
    m->received_at = at;
    struct pipeline_job *jobs[] = {&job};
    int rc = pipeline_batch(w->st, cfg, jobs, 1, at);
    int ok = rc == 0 && job.ok;
    pipeline_job_clear(&job);
    return ok ? 0 : -1;
}

static int pipe_msg(struct world *w, const struct gw_config *cfg, const char *from, const char *text, int64_t at)
{
    char pid[32];
    snprintf(pid, sizeof pid, "pipe-%d", ++w->nmsg);
    return pipe_msg_id(w, cfg, pid, from, text, at);
}

/* The outbox rows of the latest message: "recipient kind priority next_attempt_at;..." */
#define LAST_OUTBOX                                                                                              \
    "SELECT coalesce(group_concat(x, ';'), '') FROM (SELECT recipient || ' ' || kind || ' ' || priority || ' ' "  \
    "|| next_attempt_at AS x FROM outbox WHERE inbox_id = (SELECT max(id) FROM inbox) ORDER BY id) AS t"
#define LAST_CASE_EVENTS                                                                                         \
    "SELECT group_concat(x, ';') FROM (SELECT kind || ':' || coalesce(detail, '') AS x FROM case_event "          \
    "WHERE case_id = (SELECT max(id) FROM cases) ORDER BY id) AS t"
#define LAST_CASE_NUMBER "SELECT number FROM cases ORDER BY id DESC LIMIT 1"

static void test_p0_alerts_routed_responders_once(void **state)
{
    struct world *w = *state;
    char err[256] = "", v[1024], no[16], want[512];
    struct gw_config *cfg = config_from("", err, sizeof err);
    if (!cfg) fail_msg("config: %s", err);

    assert_int_equal(pipe_msg_id(w, cfg, "p0-1", U1, "BG 4 1000015 孩子放学没回家", NOW), 0);
    probe(w, LAST_CASE_NUMBER, no, sizeof no);
    /* The reporter's answer, police and civil affairs of 示例县 at once with
     * priority 0, the director of the child's village told (priority 2). */
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U1 " reply 1 0;" POL " alert 0 0;" CIV " alert 0 0;" D1 " notice 2 0");
    /* Not education (not routed), not the neighbouring county's police. */
    probe(w, "SELECT count(*) FROM outbox WHERE recipient IN ('" EDU "', '" POL2 "', '" D2 "', '" D4 "')", v,
          sizeof v);
    assert_string_equal(v, "0");
    /* Case number, priority, village, category digit: nothing else. */
    probe(w, "SELECT body FROM outbox WHERE recipient = '" POL "'", v, sizeof v);
    snprintf(want, sizeof want, "P0案件%s，类别4，地点桃村。请立即核实处理，并回复QR %s确认。", no, no);
    assert_string_equal(v, want);
    probe(w, "SELECT body FROM outbox WHERE recipient = '" D1 "'", v, sizeof v);
    assert_non_null(strstr(v, no));
    assert_non_null(strstr(v, "P0"));
    assert_null(strstr(v, "类别"));
    probe(w, "SELECT group_concat(dedupe_key, ';') FROM (SELECT dedupe_key FROM outbox ORDER BY id) AS t", v, sizeof v);
    snprintf(want, sizeof want, "alert:%s:" POL ":0;alert:%s:" CIV ":0;village:%s:" D1, no, no, no);
    assert_string_equal(v, want);
    probe(w, LAST_CASE_EVENTS, v, sizeof v);
    assert_string_equal(v, "opened:;alerted:count=2 village=1");

    /* The provider retries the webhook: nothing more is written. */
    assert_int_equal(pipe_msg_id(w, cfg, "p0-1", U1, "BG 4 1000015 孩子放学没回家", NOW + 30), 0);
    assert_int_equal(count_rows(w, "outbox"), 4);
    assert_int_equal(count_rows(w, "cases"), 9);
    gw_config_free(cfg);
}

static void test_category_2_never_tells_the_village(void **state)
{
    struct world *w = *state;
    char err[256] = "", v[512];
    struct gw_config *cfg = config_from("", err, sizeof err);
    if (!cfg) fail_msg("config: %s", err);
    assert_int_equal(pipe_msg(w, cfg, U2, "BG 2 1000015 孩子身上有伤", NOW), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U2 " reply 1 0;" POL " alert 0 0;" CIV " alert 0 0");
    assert_int_equal(pipe_msg(w, cfg, U2, "BG 1 1000028 有人对孩子不轨", NOW), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U2 " reply 1 0;" POL " alert 0 0;" CIV " alert 0 0");
    probe(w, "SELECT count(*) FROM outbox WHERE recipient = '" D1 "'", v, sizeof v);
    assert_string_equal(v, "0");
    /* Nor an unclassified report about the same child: it might be either
     * (only the county's civil-affairs triage is alerted). */
    assert_int_equal(pipe_msg(w, cfg, U2, "BG 1000015 孩子经常哭", NOW), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U2 " reply 1 0;" CIV " alert 0 0");
    gw_config_free(cfg);
}

static void test_p2_waits_for_working_hours(void **state)
{
    struct world *w = *state;
    char err[256] = "", v[512], want[512];
    struct gw_config *cfg = config_from("", err, sizeof err);
    if (!cfg) fail_msg("config: %s", err);
    int64_t thu22 = local_time(2024, 3, 14, 22, 0, 0), fri0830 = local_time(2024, 3, 15, 8, 30, 0);
    int64_t sat10 = local_time(2024, 3, 16, 10, 0, 0), mon0830 = local_time(2024, 3, 18, 8, 30, 0);

    /* Bullying reported on Thursday evening: alerts and the village notice
     * wait for Friday 08:30; the reporter's answer goes at once. */
    assert_int_equal(pipe_msg(w, cfg, U1, "BG 7 1000031 同学欺负他", thu22), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    snprintf(want, sizeof want, U1 " reply 1 0;" EDU " alert 0 %lld;" POL " alert 0 %lld;" D2 " notice 2 %lld",
             (long long)fri0830, (long long)fri0830, (long long)fri0830);
    assert_string_equal(v, want);
    probe(w, LAST_CASE_EVENTS, v, sizeof v);
    snprintf(want, sizeof want, "opened:;alerted:count=2 not_before=%lld village=1", (long long)fri0830);
    assert_string_equal(v, want);

    /* On Saturday: Monday 08:30. */
    assert_int_equal(pipe_msg(w, cfg, U1, "BG 8 孩子不上学了", sat10), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    snprintf(want, sizeof want, U1 " reply 1 0;" EDU " alert 0 %lld", (long long)mon0830);
    assert_string_equal(v, want);

    /* In working hours it goes at once; P0 and P1 never wait. */
    assert_int_equal(pipe_msg(w, cfg, U1, "BG 7 同学欺负", NOW), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U1 " reply 1 0;" EDU " alert 0 0;" POL " alert 0 0");
    assert_int_equal(pipe_msg(w, cfg, U1, "BG 6 孩子落水", sat10), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U1 " reply 1 0;" POL " alert 0 0;" CIV " alert 0 0");
    assert_int_equal(pipe_msg(w, cfg, U1, "BG 3 孩子没人管", thu22), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U1 " reply 1 0;" CIV " alert 0 0;" POL " alert 0 0");
    gw_config_free(cfg);
}

static void test_next_work_time(void **state)
{
    (void)state;
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    struct gw_policy pol = {.work_start = 8 * 60 + 30, .work_end = 17 * 60 + 30, .work_days = 0x1F};
    int64_t fri0830 = local_time(2024, 3, 15, 8, 30, 0), mon0830 = local_time(2024, 3, 18, 8, 30, 0);
    static const struct {
        int d, h, mi, sec;  /* March 2024: the 15th is a Friday */
        int want_d;         /* 0: within hours; else the day whose 08:30 comes next */
    } cases[] = {
        {15, 10, 0, 0, 0},   /* Friday morning */
        {15, 8, 30, 0, 0},   /* the first second of working hours */
        {15, 8, 29, 59, 15}, /* the last second before */
        {15, 17, 29, 59, 0}, /* the last second of working hours */
        {15, 17, 30, 0, 18}, /* Friday's end: Monday */
        {14, 22, 0, 0, 15},  /* Thursday evening: Friday morning */
        {15, 0, 0, 0, 15},   /* just after midnight: the same morning */
        {16, 10, 0, 0, 18},  /* Saturday: Monday */
        {17, 23, 59, 59, 18}, /* Sunday night: Monday */
        {18, 8, 30, 0, 0},   /* Monday */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t t = local_time(2024, 3, cases[i].d, cases[i].h, cases[i].mi, cases[i].sec);
        int64_t want = cases[i].want_d ? local_time(2024, 3, cases[i].want_d, 8, 30, 0) : 0;
        int64_t got = h_next_work_time(&pol, t);
        if (got != want)
            fail_msg("case %zu (%d %02d:%02d:%02d): %lld, want %lld", i, cases[i].d, cases[i].h, cases[i].mi,
                     cases[i].sec, (long long)got, (long long)want);
    }
    assert_int_equal(h_next_work_time(&pol, fri0830 - 1), fri0830);
    assert_int_equal(h_next_work_time(&pol, local_time(2024, 3, 16, 0, 0, 0)), mon0830);
    /* Only Wednesdays: from Wednesday evening, a week later. */
    struct gw_policy wed = pol;
    wed.work_days = 1u << 2;
    assert_int_equal(h_next_work_time(&wed, local_time(2024, 3, 13, 18, 0, 0)), local_time(2024, 3, 20, 8, 30, 0));
    /* Round the clock on working days. */
    struct gw_policy all_day = {.work_start = 0, .work_end = 1440, .work_days = 0x1F};
    assert_int_equal(h_next_work_time(&all_day, local_time(2024, 3, 15, 23, 59, 59)), 0);
    assert_int_equal(h_next_work_time(&all_day, local_time(2024, 3, 16, 12, 0, 0)), local_time(2024, 3, 18, 0, 0, 0));
    /* Hours never set: nothing is held back. */
    struct gw_policy none = {0};
    assert_int_equal(h_next_work_time(&none, local_time(2024, 3, 16, 12, 0, 0)), 0);
    assert_int_equal(h_next_work_time(NULL, local_time(2024, 3, 16, 12, 0, 0)), 0);
    struct gw_policy backwards = {.work_start = 600, .work_end = 500, .work_days = 0x7F};
    assert_int_equal(h_next_work_time(&backwards, local_time(2024, 3, 16, 12, 0, 0)), 0);
}

static void test_p3_and_unclassified_wait_for_triage(void **state)
{
    struct world *w = *state;
    char err[256] = "", v[512];
    struct gw_config *cfg = config_from("", err, sizeof err);
    if (!cfg) fail_msg("config: %s", err);
    assert_int_equal(pipe_msg(w, cfg, U1, "BG 9 有情况", NOW), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U1 " reply 1 0");
    probe(w, LAST_CASE_EVENTS, v, sizeof v);
    assert_string_equal(v, "opened:;queued_for_triage:P3");
    /* Danger words: inferred, alerted at once like a coded 3 (民政, 公安). */
    assert_int_equal(pipe_msg(w, cfg, U4, "我们村有个孩子好几天没人管了", NOW), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U4 " reply 1 0;" CIV " alert 0 0;" POL " alert 0 0");
    probe(w, LAST_CASE_EVENTS, v, sizeof v);
    assert_string_equal(v, "opened:free_text inferred=3 P1 phrase=没人管;alerted:count=2");
    /* Nothing named, nothing inferred: the county's triage is alerted at once. */
    assert_int_equal(pipe_msg(w, cfg, U4, "BG 0 有情况", NOW), 0);
    probe(w, LAST_CASE_EVENTS, v, sizeof v);
    assert_string_equal(v, "opened:;alerted:triage count=1");
    gw_config_free(cfg);

    /* A P1 case in a county with no responder: nobody to alert, so triage. */
    struct h_result res;
    w->pol.default_region = "示例县东";
    assert_int_equal(run_msg(w, U5, "BG 2 有人打孩子", &res, err, sizeof err), 0);
    assert_int_equal(res.nreplies, 1);
    probe(w, LAST_CASE_EVENTS, v, sizeof v);
    assert_string_equal(v, "opened:;queued_for_triage:no_responder P1");
    w->pol.default_region = "示例县";
}

static void test_checkin_tells_the_director(void **state)
{
    struct world *w = *state;
    char err[256] = "", v[512];
    struct gw_config *cfg = config_from("", err, sizeof err);
    if (!cfg) fail_msg("config: %s", err);
    assert_int_equal(pipe_msg(w, cfg, G1, "QD 2", NOW), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, G1 " reply 1 0;" D1 " notice 2 0");
    probe(w, "SELECT template || ' ' || body FROM outbox WHERE recipient = '" D1 "' ORDER BY id DESC LIMIT 1", v,
          sizeof v);
    assert_string_equal(v, "checkin_help_director 儿童1000015、1000028的家长报告孩子需要帮助，请尽快联系家长并看望孩子。");
    assert_int_equal(pipe_msg(w, cfg, G1, "QD 1000028 换人 奶奶住院", NOW), 0);
    probe(w, "SELECT template || ' ' || body FROM outbox WHERE recipient = '" D1 "' ORDER BY id DESC LIMIT 1", v,
          sizeof v);
    assert_string_equal(v, "checkin_carer_director 儿童1000028的家长报告照护人已变更，请尽快上门核实新照护人并更新档案。");
    assert_int_equal(pipe_msg(w, cfg, G3, "签到 1000053 求助", NOW), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, G3 " reply 1 0;" D3 " notice 2 0");
    /* All well, coming home: the director is not bothered. */
    assert_int_equal(pipe_msg(w, cfg, G1, "QD", NOW), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, G1 " reply 1 0");
    assert_int_equal(pipe_msg(w, cfg, G2, "QD 3", NOW), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, G2 " reply 1 0");
    gw_config_free(cfg);
}

/* Many responders: the alerts that fit reach every department in turn, the
 * village notice keeps its place, and the event says how many did not fit. */
static void test_alerts_share_the_reply_slots(void **state)
{
    struct world *w = *state;
    char v[256], err[256] = "";
    struct gw_buf csv = {0};
    gw_buf_puts(&csv, "phone,name,role,region,department\n");
    for (int i = 0; i < 20; i++) gw_buf_printf(&csv, "+86138000001%02d,警官,responder,示例县,police\n", i);
    seed_roster(w->st, "staff", gw_buf_cstr(&csv), NOW);
    gw_buf_free(&csv);
    struct h_result res;
    assert_int_equal(run_msg(w, U1, "BG 4 1000015 孩子不见了", &res, err, sizeof err), 0);
    assert_int_equal(res.nreplies, H_MAX_REPLIES - 1);
    assert_int_equal(count_kind(&res, H_ALERT), 13);
    assert_string_equal(res.replies[1].to, POL);
    assert_string_equal(res.replies[2].to, CIV);
    assert_string_equal(res.replies[res.nreplies - 1].to, D1);
    assert_string_equal(res.replies[res.nreplies - 1].tmpl, "case_village_notice");
    probe(w, LAST_EVENT, v, sizeof v);
    assert_string_equal(v, "alerted/count=13 unsent=9 village=1");
}

static const char routing_ini[] = "[routing]\n"
                                  "category_8 = P2 教育 民政\n"
                                  "[routing 示例县]\n"
                                  "category_7 = P1 公安, 教育   ; serious bullying here\n"
                                  "category_9 = P2 civil_affairs\n"
                                  "category_6 = P0 妇联\n"
                                  "village_excluded = 1 2 3\n"
                                  "[county 示例县]\n"
                                  "duty_contact = 13800000099\n"
                                  "city_contact = 0086 138 0000 0096\n"
                                  "duty_health = 138-0000-0098\n"
                                  "[county 邻县]\n"
                                  "duty_civil_affairs = +8613800000097\n"
                                  "[policy]\n"
                                  "flood_reports = 0   ; one number reports everything here\n";

static void test_routing_from_config(void **state)
{
    struct world *w = *state;
    char err[256] = "", v[512];
    struct gw_config *cfg = config_from(routing_ini, err, sizeof err);
    if (!cfg) fail_msg("config: %s", err);
    const struct gw_policy *pol = &cfg->policy;

    /* Lookups: the county's line, else [routing], else the default. */
    const struct routing_rule *r = routing_for(pol, "示例县", 7);
    assert_int_equal(r->priority, 1);
    assert_int_equal(r->ndepts, 2);
    assert_string_equal(r->depts[0], "police");
    assert_string_equal(r->depts[1], "education");
    assert_int_equal(routing_for(pol, "邻县", 7)->priority, 2);
    assert_ptr_equal(routing_for(pol, "邻县", 7), routing_default(7));
    assert_int_equal(routing_for(pol, "邻县", 8)->ndepts, 2);
    assert_string_equal(routing_for(pol, NULL, 8)->depts[1], "civil_affairs");
    assert_ptr_equal(routing_for(pol, "示例县", 12), routing_for(pol, "示例县", 9));
    assert_ptr_equal(routing_for(NULL, "示例县", 4), routing_default(4));
    assert_false(routing_village_told(pol, "示例县", 3));
    assert_true(routing_village_told(pol, "邻县", 3));
    assert_false(routing_village_told(pol, "邻县", 2));
    assert_false(routing_village_told(NULL, NULL, 1));
    assert_true(routing_village_told(NULL, NULL, 9));
    const struct gw_county *c = routing_county(pol, "示例县");
    assert_non_null(c);
    assert_string_equal(c->duty_contact, "+8613800000099");
    assert_string_equal(c->city_contact, "+8613800000096");
    assert_string_equal(routing_dept_duty(pol, "示例县", "health"), "+8613800000098");
    assert_null(routing_dept_duty(pol, "示例县", "police"));
    assert_null(routing_county(pol, "示例县东"));

    /* Bullying in 示例县 is P1 for police and education: alerted at once, even on a Saturday. */
    int64_t sat10 = local_time(2024, 3, 16, 10, 0, 0);
    assert_int_equal(pipe_msg(w, cfg, U1, "BG 7 同学打他", sat10), 0);
    probe(w, "SELECT category || '/P' || priority FROM cases ORDER BY id DESC LIMIT 1", v, sizeof v);
    assert_string_equal(v, "7/P1");
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U1 " reply 1 0;" POL " alert 0 0;" EDU " alert 0 0");
    /* Health has nobody registered in 示例县: its duty phone stands in. */
    assert_int_equal(pipe_msg(w, cfg, U1, "BG 5 孩子说不想活了", NOW), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U1 " reply 1 0;+8613800000098 alert 0 0;" EDU " alert 0 0;" CIV " alert 0 0");
    /* Category 3 is excluded from the village in 示例县. */
    assert_int_equal(pipe_msg(w, cfg, U1, "BG 3 1000015 孩子没人管", NOW), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U1 " reply 1 0;" CIV " alert 0 0;" POL " alert 0 0");
    /* Category 9 is a P2 for civil affairs here: alerted, not queued. */
    assert_int_equal(pipe_msg(w, cfg, U1, "BG 9 有情况", NOW), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U1 " reply 1 0;" CIV " alert 0 0");
    /* Nobody in the only department routed: the county duty contact. */
    assert_int_equal(pipe_msg(w, cfg, U1, "BG 6 孩子落水", NOW), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U1 " reply 1 0;+8613800000099 alert 0 0");
    probe(w, CASE_DEPTS_LAST, v, sizeof v);
    assert_string_equal(v, "women");
    /* 邻县: the default for 4, with its civil-affairs duty phone for the
     * department it has nobody in; [routing] for 8. */
    assert_int_equal(pipe_msg(w, cfg, U1, "BG 4 1000089 孩子不见了", NOW), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U1 " reply 1 0;" POL2 " alert 0 0;+8613800000097 alert 0 0;" D4 " notice 2 0");
    assert_int_equal(pipe_msg(w, cfg, U1, "BG 8 1000089 不上学", NOW), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U1 " reply 1 0;+8613800000097 alert 0 0;" D4 " notice 2 0");
    probe(w, CASE_DEPTS_LAST, v, sizeof v);
    assert_string_equal(v, "education,civil_affairs");
    gw_config_free(cfg);
}

/* ---- one number's flood of reports ---- */

#define OUTBOX_COUNT(cond) "SELECT count(*) FROM outbox WHERE " cond

static void test_flood_from_one_number(void **state)
{
    struct world *w = *state;
    char err[256] = "", v[512], sql[256];
    struct gw_config *cfg = config_from("[policy]\nflood_reports = 3\nflood_window = 600\n", err, sizeof err);
    if (!cfg) fail_msg("config: %s", err);
    long cases0 = count_rows(w, "cases");

    /* Three reports alert as usual: police and civil affairs, each. */
    for (int i = 0; i < 3; i++) assert_int_equal(pipe_msg(w, cfg, U4, "BG 4 孩子不见了", NOW + i), 0);
    probe(w, OUTBOX_COUNT("template = 'case_alert'"), v, sizeof v);
    assert_string_equal(v, "6");
    /* The fourth begins a held run: one summary to each of them, one
     * answer to the reporter saying further reports are recorded. */
    assert_int_equal(pipe_msg(w, cfg, U4, "BG 4 孩子不见了", NOW + 3), 0);
    char run[16];
    probe(w, LAST_CASE_NUMBER, run, sizeof run);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U4 " reply 1 0;" POL " alert 0 0;" CIV " alert 0 0");
    probe(w, "SELECT group_concat(template, ',') FROM (SELECT template FROM outbox WHERE inbox_id = "
             "(SELECT max(id) FROM inbox) ORDER BY id) AS t", v, sizeof v);
    assert_string_equal(v, "report_flood,case_flood_alert,case_flood_alert");
    probe(w, "SELECT body FROM outbox WHERE template = 'case_flood_alert' AND recipient = '" POL "'", v, sizeof v);
    char want[256];
    snprintf(want, sizeof want, "P0案件%s：同一号码连续报告4起，后续不再逐条通知，请登录系统核实；确认回复QR %s", run,
             run);
    assert_string_equal(v, want);
    probe(w, LAST_CASE_EVENTS, v, sizeof v);
    snprintf(want, sizeof want, "opened:;flood_held:run=%s reports=4 summary=2;alerted:flood_summary count=2", run);
    assert_string_equal(v, want);
    /* The rest of the run: a case each, with its event, and no SMS at all. */
    for (int i = 4; i < 20; i++) assert_int_equal(pipe_msg(w, cfg, U4, "BG 4 孩子不见了", NOW + i), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, "");
    probe(w, LAST_CASE_EVENTS, v, sizeof v);
    snprintf(want, sizeof want, "opened:;flood_held:run=%s reports=20 summary=0", run);
    assert_string_equal(v, want);
    assert_int_equal(count_rows(w, "cases") - cases0, 20);
    /* Unclassified free text from the same number joins the run quietly. */
    assert_int_equal(pipe_msg(w, cfg, U4, "河边有个小孩一直没人管", NOW + 20), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, "");
    probe(w, "SELECT kind FROM case_event WHERE case_id = (SELECT max(id) FROM cases) ORDER BY id DESC LIMIT 1", v,
          sizeof v);
    assert_string_equal(v, "flood_held");
    /* Another number inside the burst alerts at once. */
    assert_int_equal(pipe_msg(w, cfg, U5, "BG 4 孩子不见了", NOW + 21), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U5 " reply 1 0;" POL " alert 0 0;" CIV " alert 0 0");
    /* A held report for other departments reaches only those not yet told. */
    assert_int_equal(pipe_msg(w, cfg, U4, "BG 7 1000015 同学打他", NOW + 22), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, EDU " alert 0 0"); /* P2 in working hours; police heard already; no village notice */
    probe(w, "SELECT detail FROM case_event WHERE kind = 'flood_held' ORDER BY id DESC LIMIT 1", v, sizeof v);
    snprintf(want, sizeof want, "run=%s reports=22 summary=1 village=held", run);
    assert_string_equal(v, want);
    /* Alert SMS for 22 reports from one number: 3 x 2 alerts and 3 summaries. */
    probe(w, OUTBOX_COUNT("kind = 'alert' AND case_id IN (SELECT c.id FROM cases c JOIN reporter r ON "
                          "r.id = c.reporter_id WHERE r.phone = '" U4 "')"),
          v, sizeof v);
    assert_string_equal(v, "9");
    probe(w, OUTBOX_COUNT("recipient = '" U4 "'"), v, sizeof v);
    assert_string_equal(v, "4");

    /* Deadlines: the held run escalates once, through the case its summary
     * named, not once per held case. */
    size_t n = 0;
    assert_int_equal(pipeline_run_jobs(w->st, cfg, NOW + 16 * 60, &n), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM outbox WHERE dedupe_key LIKE 'realert:%s:%%'", run);
    probe(w, sql, v, sizeof v);
    assert_string_equal(v, "2");
    probe(w, OUTBOX_COUNT("dedupe_key LIKE 'realert:240315%'"), v, sizeof v);
    assert_string_equal(v, "10"); /* today's: 3 + 1 cases of U4, 1 of U5, 2 responders each */
    /* Each held case can still be acknowledged. */
    probe(w, "SELECT max(number) FROM cases WHERE flood_of IS NOT NULL AND category = 4", v, sizeof v);
    char qr[sizeof v + 8];
    snprintf(qr, sizeof qr, "QR %s", v);
    struct h_result res;
    assert_int_equal(run_msg(w, POL, qr, &res, err, sizeof err), 0);
    assert_string_equal(res.replies[0].tmpl, "ack_ok");

    /* After the run's window, the number keeps on: a new run, a new summary. */
    assert_int_equal(pipe_msg(w, cfg, U4, "BG 4 孩子不见了", NOW + 3 + 600), 0);
    probe(w, LAST_OUTBOX, v, sizeof v);
    assert_string_equal(v, U4 " reply 1 0;" POL " alert 0 0;" CIV " alert 0 0");
    probe(w, "SELECT count(DISTINCT flood_of) FROM cases", v, sizeof v);
    assert_string_equal(v, "2");
    /* Quiet for a window: alerted one by one again. */
    assert_int_equal(pipe_msg(w, cfg, U4, "BG 4 孩子不见了", NOW + 3 + 1300), 0);
    probe(w, "SELECT group_concat(template, ',') FROM (SELECT template FROM outbox WHERE inbox_id = "
             "(SELECT max(id) FROM inbox) ORDER BY id) AS t", v, sizeof v);
    assert_string_equal(v, "report_ok_p0,case_alert,case_alert");
    gw_config_free(cfg);
}

/* Hidden callers, or numbers in no E.164 form, are never counted as one. */
static void test_flood_needs_a_number(void **state)
{
    struct world *w = *state;
    char err[256] = "", v[64];
    struct gw_config *cfg = config_from("[policy]\nflood_reports = 1\n", err, sizeof err);
    if (!cfg) fail_msg("config: %s", err);
    for (int i = 0; i < 3; i++) assert_int_equal(pipe_msg(w, cfg, "anonymous", "BG 4 孩子不见了", NOW + i), 0);
    probe(w, "SELECT count(*) FROM outbox WHERE template = 'case_alert'", v, sizeof v);
    assert_string_equal(v, "6");
    probe(w, "SELECT count(*) FROM cases WHERE flood_of IS NOT NULL", v, sizeof v);
    assert_string_equal(v, "0");
    gw_config_free(cfg);
}

/* ---- no oracles: what exists and what is not the sender's look alike ---- */

/* Pairs of messages from one sender that differ only in whether the code
 * or case number they name exists; the replies to the sender must be
 * byte-identical once every run of 7 or more digits (the code as typed,
 * a case number) is masked. A report about a registered child still tells
 * its village (notices), one about an unregistered code nobody. The Damm
 * check digit is no oracle (it says nothing about existence) and keeps
 * its own answer. */
static const struct twin {
    const char *from;
    const char *real;    /* names a child or case that exists but is not the sender's to know */
    const char *absent;  /* the same with a well-formed code or number nobody has */
    int real_notices;    /* H_NOTICEs the real one causes */
} twins[] = {
    {U4, "BG 3 1000015 孩子没人管", "BG 3 2000012 孩子没人管", 1},
    {U4, "BG 4 1000089 孩子不见了", "BG 4 2000012 孩子不见了", 1}, /* a child of another county */
    {U5, "BG 1000031 孩子受伤", "BG 2000012 孩子受伤", 0},         /* unclassified: the village is never told */
    {U5, "举报 1000044 孩子被关在家里", "举报 2000012 孩子被关在家里", 0},
    {D1, "ZF 1000031 1", "ZF 2000012 1", 0},                 /* another village of the same town */
    {D1, "ZF 1000089 3", "ZF 2000012 3", 0},                 /* another county */
    {D4, "ZF 1000015 1", "ZF 2000012 1", 0},
    {SUP, "ZF 1000053 2 XL", "ZF 2000012 2 XL", 0},          /* outside the supervisor's town */
    {ADM, "ZF 1000089 1", "ZF 2000012 1", 0},                /* outside the admin's county */
    {G1, "QD 1000031 2", "QD 2000012 2", 0},                 /* another family's child */
    {POL2, "QR 2403140001", "QR 2403149999", 0},             /* another county's case */
    {EDU, "QR 2403140006", "QR 2403149999", 0},              /* not routed to education */
    {EDU, "JA 2403140001 1", "JA 2403149998 1", 0},
    {ADM, "JA 2403140003 3", "JA 2403149998 3", 0},
    {U4, "CX 2403140001", "CX 2403149999", 0},               /* somebody else's report */
    {G1, "CX 2403140002", "CX 2403149997", 0},
};

/* The replies to `from` in res, rendered and masked, joined by '\n'. */
static void sender_view(const struct h_result *res, const char *from, char *out, size_t outlen)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < res->nreplies; i++) {
        const struct h_reply *r = &res->replies[i];
        if (r->kind != H_REPLY || strcmp(r->to, from) != 0) continue;
        struct gw_buf b = {0};
        char err[128];
        assert_int_equal(tmpl_render(NULL, r->tmpl, r->vars, r->nvars, &b, err, sizeof err), 0);
        const char *t = gw_buf_cstr(&b);
        for (size_t k = 0; t[k] && o + 2 < outlen;) {
            size_t run = 0;
            while (t[k + run] >= '0' && t[k + run] <= '9') run++;
            if (run >= 7) {
                out[o++] = '#';
                k += run;
            } else {
                out[o++] = t[k++];
            }
        }
        out[o++] = '\n';
        out[o] = '\0';
        gw_buf_free(&b);
    }
}

static void test_no_oracles(void **state)
{
    struct world *w = *state;
    int failures = 0;
    for (size_t i = 0; i < sizeof twins / sizeof twins[0]; i++) {
        const struct twin *t = &twins[i];
        struct h_result a, b;
        char err[256] = "", va[1024], vb[1024];
        if (run_msg(w, t->from, t->real, &a, err, sizeof err) != 0) fail_msg("%s: %s", t->real, err);
        if (run_msg(w, t->from, t->absent, &b, err, sizeof err) != 0) fail_msg("%s: %s", t->absent, err);
        sender_view(&a, t->from, va, sizeof va);
        sender_view(&b, t->from, vb, sizeof vb);
        if (!va[0] || strcmp(va, vb) != 0) {
            fprintf(stderr, "twin %zu from %s:\n  %s -> %s  %s -> %s", i + 1, t->from, t->real, va, t->absent, vb);
            failures++;
        }
        if (count_kind(&a, H_NOTICE) != t->real_notices || count_kind(&b, H_NOTICE) != 0) {
            fprintf(stderr, "twin %zu: notices %d and %d, want %d and 0\n", i + 1, count_kind(&a, H_NOTICE),
                    count_kind(&b, H_NOTICE), t->real_notices);
            failures++;
        }
    }
    /* The check digit still speaks: it reveals nothing about who exists. */
    struct h_result r;
    char err[256] = "";
    assert_int_equal(run_msg(w, D1, "ZF 1000016 1", &r, err, sizeof err), 0);
    assert_string_equal(r.replies[0].tmpl, "child_check");
    assert_int_equal(run_msg(w, U4, "BG 3 1000016 孩子没人管", &r, err, sizeof err), 0);
    assert_string_equal(r.replies[0].tmpl, "report_ok_child_bad");
    assert_int_equal(failures, 0);
}

static int setup(void **state)
{
    struct world *w = world_new();
    world_seed(w);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world_free(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_codebook_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_without_county, setup, teardown),
        cmocka_unit_test(test_only_county),
        cmocka_unit_test(test_store_failure),
        cmocka_unit_test(test_templates_fit_one_sms),
        cmocka_unit_test(test_templates_declare_their_vars),
        cmocka_unit_test(test_template_render),
        cmocka_unit_test(test_ucs2_len),
        cmocka_unit_test(test_reply_helpers),
        cmocka_unit_test_setup_teardown(test_p0_alerts_routed_responders_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_category_2_never_tells_the_village, setup, teardown),
        cmocka_unit_test_setup_teardown(test_p2_waits_for_working_hours, setup, teardown),
        cmocka_unit_test(test_next_work_time),
        cmocka_unit_test_setup_teardown(test_p3_and_unclassified_wait_for_triage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkin_tells_the_director, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alerts_share_the_reply_slots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_routing_from_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flood_from_one_number, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flood_needs_a_number, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_oracles, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
