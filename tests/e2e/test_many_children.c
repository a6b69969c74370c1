/* tests/e2e/test_many_children.c - several children in one SMS, children
 * named instead of coded, and numbers as people type them, through the
 * real binary (`gateway sms`) on the demo roster:
 *   a director records three visits in one SMS, a list sharing one result,
 *   a repeated keyword; the reply counts what was recorded and names by
 *   code what was not and why, in one SMS; a child named twice is recorded
 *   once; a message where nothing can be recorded records nothing;
 *   a one-child message keeps its reply;
 *   a unique name in the director's village is recorded against its code;
 *   a shared name, a name from another village and an unknown name get one
 *   and the same answer, which never carries a name;
 *   Chinese numerals, a code split by spaces and 上周三 are read;
 *   a parent checks in two children, one needing help: the village
 *   director is told, as for one child.
 * Every reply is checked to fit one SMS (70 UCS-2 units).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../common/harness.h"

#define DIRECTOR   "+8613800000001" /* 上湾村 */
#define DIRECTOR2  "+8613800000002" /* 石桥村 */
#define PARENT     "+8613900000016" /* father of 1110112 and 1110120, both away */

static struct gw_proc G;

static int setup(void **state)
{
    (void)state;
    return gwp_init(&G, NULL, 1);
}

static int teardown(void **state)
{
    (void)state;
    gwp_cleanup(&G);
    return 0;
}

/* UCS-2 units of a line of UTF-8 (everything here is in the BMP). */
static size_t units(const char *s, size_t n)
{
    size_t u = 0;
    for (size_t i = 0; i < n; i++) u += ((unsigned char)s[i] & 0xC0) != 0x80;
    return u;
}

/* Sends text from a phone; returns the replies printed (owned), each
 * checked to fit one SMS. */
static char *sms(const char *from, const char *text)
{
    const char *args[] = {"sms", "-c", G.cfg, "--from", from, text, NULL};
    char *out = NULL, *err = NULL;
    int rc = gwp_run(args, &out, &err);
    if (rc != 0) fail_msg("sms from %s '%s': %d %s", from, text, rc, err ? err : "");
    free(err);
    assert_non_null(out);
    for (const char *p = out; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (units(p, n) > 70) fail_msg("reply over one SMS: %.*s", (int)n, p);
        p += n + (nl ? 1 : 0);
    }
    return out;
}

static int64_t visits(const char *code)
{
    return db_int(G.db, "SELECT count(*) FROM visit v JOIN child c ON c.id = v.child_id WHERE c.code = %Q", code);
}

static void has(const char *out, const char *want)
{
    if (!strstr(out, want)) fail_msg("reply \"%s\" lacks \"%s\"", out, want);
}

static void lacks(const char *out, const char *bad)
{
    if (strstr(out, bad)) fail_msg("reply \"%s\" carries \"%s\"", out, bad);
}

static void several_visits_in_one_sms(void **state)
{
    (void)state;
    char *out = sms(DIRECTOR, "ZF 1110011 1 1110033 1 1110054 2 XL");
    has(out, "已记录3名儿童的走访");
    has(out, "1110054今后请每14天走访一次");
    assert_int_equal(visits("1110011"), 1);
    assert_int_equal(visits("1110033"), 1);
    assert_int_equal(visits("1110054"), 1);
    char *v = db_text(G.db, "SELECT result || '/' || problems FROM visit v JOIN child c ON c.id = v.child_id "
                            "WHERE c.code = '1110054'");
    assert_string_equal(v, "2/XL");
    free(v);
    assert_int_equal(db_int(G.db, "SELECT high_cadence FROM child WHERE code = '1110054'"), 1);
    free(out);

    /* A list sharing one result; a child of another village is named by code, with the reason. */
    out = sms(DIRECTOR, "ZF 1110065、1110079、1120016 都正常");
    has(out, "已记录2名儿童的走访");
    has(out, "1120016不在您负责的村");
    assert_int_equal(visits("1110065"), 1);
    assert_int_equal(visits("1110079"), 1);
    assert_int_equal(visits("1120016"), 0);
    free(out);

    /* The keyword repeated, as people paste. */
    out = sms(DIRECTOR, "ZF 1110087 1 ZF 1110098 1");
    has(out, "已记录2名儿童的走访，谢谢");
    assert_int_equal(visits("1110087") + visits("1110098"), 2);
    free(out);

    /* A wrong check digit and a missing result: the others are still recorded. */
    out = sms(DIRECTOR, "ZF 1110104 1 1110105 1 1110112 1 1110120");
    has(out, "已记录2名儿童的走访");
    has(out, "1110105校验位不对");
    has(out, "1110120缺少结果");
    assert_int_equal(visits("1110104") + visits("1110112"), 2);
    assert_int_equal(visits("1110120"), 0);
    free(out);

    /* The same child twice: one visit. */
    out = sms(DIRECTOR, "ZF 1110136 1 1110136 1");
    has(out, "已记录1名儿童的走访");
    assert_int_equal(visits("1110136"), 1);
    free(out);

    /* Nothing recordable: nothing recorded, every code named. */
    int64_t before = db_int(G.db, "SELECT count(*) FROM visit");
    out = sms(DIRECTOR, "ZF 1120016 1 1120027 1");
    has(out, "走访都未记录");
    has(out, "1120016、1120027不在您负责的村");
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM visit"), before);
    free(out);

    /* One child: the reply it always had. */
    out = sms(DIRECTOR, "ZF 1110148 1");
    has(out, "已记录儿童1110148在");
    has(out, "的走访，谢谢！");
    free(out);
}

static void names_instead_of_codes(void **state)
{
    (void)state;
    char *out = sms(DIRECTOR, "ZF 陈志强 3");
    has(out, "1110011"); /* recorded against the code, which the reply shows */
    lacks(out, "陈志强");
    assert_int_equal(
        db_int(G.db, "SELECT count(*) FROM visit v JOIN child c ON c.id = v.child_id WHERE c.code = '1110011' "
                     "AND v.result = 3"),
        1);
    free(out);

    out = sms(DIRECTOR, "走访林语嫣正常");
    has(out, "1110033");
    free(out);

    /* Two children named 郭心悦 in the village, 朱浩然 only in another
     * village, 王大锤 nowhere: one answer, naming nobody, saying how to
     * find the code. */
    int64_t before = db_int(G.db, "SELECT count(*) FROM visit");
    char *dup = sms(DIRECTOR, "ZF 郭心悦 1");
    char *other = sms(DIRECTOR, "ZF 朱浩然 1");
    char *none = sms(DIRECTOR, "ZF 王大锤 1");
    assert_string_equal(dup, other);
    assert_string_equal(dup, none);
    has(dup, "CX 待访");
    lacks(dup, "郭心悦");
    lacks(other, "朱浩然");
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM visit"), before);
    free(dup);
    free(other);
    free(none);

    /* The director of 石桥村 finds 朱浩然 in their own village. */
    out = sms(DIRECTOR2, "ZF 朱浩然 1");
    has(out, "1120016");
    free(out);

    /* Names among codes in one SMS: the ones not found are counted, not named. */
    out = sms(DIRECTOR, "ZF 马欣怡 1 郭心悦 1 1110157 1");
    has(out, "已记录2名儿童的走访");
    has(out, "1名儿童名字查不到或重名");
    lacks(out, "郭心悦");
    lacks(out, "马欣怡");
    free(out);
}

static void numbers_as_people_type_them(void **state)
{
    (void)state;
    char *out = sms(DIRECTOR, "ZF 一一一零一六一 一");
    has(out, "已记录儿童1110161");
    free(out);

    /* A code split by spaces, last week's Wednesday, an everyday result word. */
    out = sms(DIRECTOR, "ZF 111 0173 上周三 挺好");
    has(out, "已记录儿童1110173");
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    int monday_based = (tm.tm_wday + 6) % 7;
    tm.tm_mday += -monday_based - 7 + 2; /* Wednesday of the week before this one */
    tm.tm_hour = 12;
    tm.tm_isdst = -1;
    mktime(&tm);
    char want[48];
    snprintf(want, sizeof want, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    char *date = db_text(G.db, "SELECT visit_date || '/' || result FROM visit v JOIN child c ON c.id = v.child_id "
                               "WHERE c.code = '1110173'");
    char full[64];
    snprintf(full, sizeof full, "%s/1", want);
    assert_string_equal(date, full);
    free(date);
    free(out);

    /* A code split so that its check digit fails is not joined: nothing is recorded against a guess. */
    int64_t before = db_int(G.db, "SELECT count(*) FROM visit");
    out = sms(DIRECTOR, "ZF 111 0174 1");
    has(out, "应为7位");
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM visit"), before);
    free(out);
}

static void a_parent_checks_in_two_children(void **state)
{
    (void)state;
    int64_t told = db_int(G.db, "SELECT count(*) FROM outbox WHERE recipient = %Q AND template = "
                                "'checkin_help_director'", DIRECTOR);
    char *out = sms(PARENT, "QD 1110112 1 1110120 2");
    has(out, "已收到2名孩子的签到");
    has(out, "已记录求助（1110120）");
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM checkin k JOIN child c ON c.id = k.child_id WHERE "
                                  "c.code = '1110120' AND k.status = 2"),
                     1);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM checkin k JOIN child c ON c.id = k.child_id WHERE "
                                  "c.code = '1110112' AND k.status = 1"),
                     1);
    /* The director hears of the child that needs help, as for one child. */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE recipient = %Q AND template = "
                                  "'checkin_help_director'", DIRECTOR),
                     told + 1);
    char *body = db_text(G.db, "SELECT body FROM outbox WHERE recipient = %Q AND template = "
                               "'checkin_help_director' ORDER BY id DESC LIMIT 1", DIRECTOR);
    has(body, "1110120");
    lacks(body, "1110112");
    free(body);
    free(out);

    /* A child not linked to the phone is named, and nothing is said about it. */
    out = sms(PARENT, "QD 1110112 平安 1110011 平安");
    has(out, "已收到1名孩子的签到");
    has(out, "1110011未登记在此号码下");
    free(out);

    /* One child: the reply it always had. */
    out = sms(PARENT, "QD 1110112 1");
    has(out, "已收到签到（1110112）");
    free(out);
}

/* Long lists: refusals go on in further SMS, every one within 70 units and
 * every code named; past CB_ITEMS_MAX children the reply says the rest was
 * not read. */
static void long_lists(void **state)
{
    (void)state;
    static const char *const others[] = {"1120016", "1120027", "1120034", "1120042", "1120050",
                                         "1120069", "1120075", "1120088", "1120091", "1120109"};
    char text[512] = "ZF 1110185";
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        strcat(text, "、");
        strcat(text, others[i]);
    }
    strcat(text, " 正常");
    char *out = sms(DIRECTOR, text);
    has(out, "已记录1名儿童的走访");
    has(out, "另有未记录");
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) has(out, others[i]);
    free(out);

    char *codes = db_text(G.db, "SELECT group_concat(code, '、') FROM (SELECT c.code FROM child c JOIN region r ON "
                                "r.id = c.region_id WHERE r.path = '示例县/东溪镇/上湾村' ORDER BY c.code LIMIT 24) AS t");
    assert_non_null(codes);
    char many[1024];
    snprintf(many, sizeof many, "ZF %s 正常", codes);
    free(codes);
    out = sms(DIRECTOR, many);
    has(out, "已记录20名儿童的走访");
    has(out, "其余未读");
    free(out);
}

int main(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(several_visits_in_one_sms),
        cmocka_unit_test(names_instead_of_codes),
        cmocka_unit_test(numbers_as_people_type_them),
        cmocka_unit_test(a_parent_checks_in_two_children),
        cmocka_unit_test(long_lists),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
