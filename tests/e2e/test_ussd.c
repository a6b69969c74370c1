/* tests/e2e/test_ussd.c - the USSD menus through the real `gateway serve`:
 * Africa's Talking form posts
 * to /hooks/at/ussd, step by step, on the demo roster. Every path, bad
 * input, back and main menu, a retried step, a restart of the gateway in
 * the middle of a session, a session that expires (the process clock
 * moved on), and the case a dropped report leaves with its alerts queued
 * in the outbox. Each answer is 200 text/plain "CON ..." or "END ..."
 * holding at most 182 characters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>

#include "../../core/util.h"
#include "../common/fixture.h"
#include "../common/harness.h"

#define AT_TOKEN "demo-at-token"
#define HOOK "/hooks/at/ussd?token=" AT_TOKEN

/* From examples/roster: a director of 示例县/东溪镇/上湾村 and two of its
 * children; a guardian of two children there and one of one; a number
 * nobody registered. */
#define DIRECTOR "+8613800000001"
#define OTHER_DIRECTOR "+8613800000005" /* 南岭镇/竹园村 */
#define GUARDIAN2 "+8613900000007"      /* 1110054 and 1110065 */
#define GUARDIAN1 "+8613900000002"      /* 1110022 */
#define PUBLIC "+8613800000023"         /* AT-2's phoneNumber */

static struct gw_proc G;

static int setup(void **state)
{
    const char *ini = "[channel at]\nprovider = africastalking\nusername = sandbox\napi_key = k\n"
                      "token = " AT_TOKEN "\nurl = " NOWHERE_URL "\n";
    if (gwp_init(&G, ini, 1) != 0 || gwp_start(&G) != 0) return -1;
    return 0;
}

static int teardown(void **state)
{
    gwp_cleanup(&G);
    return 0;
}

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* POSTs one step (form body as AT sends it) and checks the answer's shape.
 * Returns the body (owned). */
static char *post_step(const char *session, const char *phone, const char *text)
{
    struct http_resp r;
    assert_int_equal(post_at_ussd(G.port, HOOK, session, phone, text, &r), 0);
    if (r.status != 200) fail_msg("%s \"%s\": HTTP %ld %s", session, text, r.status, r.body);
    assert_non_null(strstr(r.ctype, "text/plain"));
    if (strncmp(r.body, "CON ", 4) && strncmp(r.body, "END ", 4)) fail_msg("%s: not CON/END: %s", session, r.body);
    if (chars(r.body + 4) > 182) fail_msg("%s: %zu characters: %s", session, chars(r.body + 4), r.body);
    char *out = r.body;
    r.body = NULL;
    http_resp_free(&r);
    return out;
}

struct row {
    const char *text; /* the provider's text */
    const char *want; /* prefix of the answer: "CON 儿童关爱服务", "END " ... */
    const char *has;  /* substring of the answer, or NULL */
};

static void run(const char *session, const char *phone, const struct row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *body = post_step(session, phone, rows[i].text);
        if (strncmp(body, rows[i].want, strlen(rows[i].want)))
            fail_msg("%s row %zu \"%s\": \"%s\", expected it to start with \"%s\"", session, i, rows[i].text, body,
                     rows[i].want);
        if (rows[i].has && !strstr(body, rows[i].has))
            fail_msg("%s row %zu \"%s\": \"%s\" lacks \"%s\"", session, i, rows[i].text, body, rows[i].has);
        free(body);
    }
}
#define RUN(session, phone, rows) run(session, phone, rows, sizeof rows / sizeof rows[0])

static int64_t session_case(const char *session)
{
    return db_int(G.db, "SELECT coalesce(case_id, 0) FROM ussd_session WHERE channel = 'at' AND session_id = %Q",
                  session);
}

/* AT-2 then AT-3 as the fixtures hold them, with the step between. */
static void fixtures_at2_at3(void **state)
{
    char err[256];
    static const char *const files[] = {"ussd-01-at2-first.http", "ussd-02-at3-third.http"};
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    int64_t cases = db_int(G.db, "SELECT count(*) FROM cases");
    for (int i = 0; i < 2; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/africastalking/%s", fixture_root(), files[i]);
        struct fixture fx;
        assert_int_equal(fixture_load(path, &fx, err, sizeof err), 0);
        struct http_resp r;
        assert_int_equal(http_req(G.port, "POST", HOOK, h, fx.body, fx.body_len, &r), 0);
        assert_int_equal(r.status, 200);
        if (i == 0) {
            assert_non_null(strstr(r.body, "CON 儿童关爱服务\n1 报告儿童受害或危险"));
            char *mid = post_step("ATUid_0000000000000000000000000001", PUBLIC, "1");
            assert_non_null(strstr(mid, "CON 报告类别"));
            free(mid);
        } else {
            /* 1 then 2: a report of category 2, stored at once */
            assert_non_null(strstr(r.body, "CON 案件号"));
        }
        http_resp_free(&r);
        fixture_free(&fx);
    }
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM cases"), cases + 1);
    int64_t id = session_case("ATUid_0000000000000000000000000001");
    assert_true(id > 0);
    assert_int_equal(db_int(G.db, "SELECT category FROM cases WHERE id = %lld", (long long)id), 2);
}

static void report_path(void **state)
{
    static const struct row rows[] = {
        {"", "CON 儿童关爱服务", NULL},
        {"7", "CON 输入有误，请选1-4。", NULL},
        {"7*1", "CON 报告类别", NULL},
        {"7*1*0", "CON 儿童关爱服务", NULL}, /* back */
        {"7*1*0*1", "CON 报告类别", NULL},
        {"7*1*0*1*12", "CON 输入有误，请选1-9。", NULL},
        {"7*1*0*1*12*3", "CON 案件号", "不知道请输0"},
        {"7*1*0*1*12*3*1110012", "CON 编号1110012校验位不对", NULL},
        {"7*1*0*1*12*3*1110012*1110022", "CON 请简要说明情况", NULL},
        {"7*1*0*1*12*3*1110012*1110022*奶奶生病*孩子没人管", "END 已收到报告，案件号", NULL},
    };
    RUN("e2e-report", PUBLIC, rows);
    int64_t id = session_case("e2e-report");
    assert_true(id > 0);
    char *v = db_text(G.db,
                      "SELECT c.category || '|' || ch.code || '|' || c.description FROM cases c JOIN child ch ON "
                      "ch.id = c.child_id WHERE c.id = %lld",
                      (long long)id);
    assert_non_null(v);
    assert_string_equal(v, "3|1110022|奶奶生病*孩子没人管");
    free(v);
    /* category 3 is P1: responders alerted; the village's director told */
    assert_true(db_int(G.db, "SELECT count(*) FROM outbox WHERE case_id = %lld AND kind = 'alert'", (long long)id) > 0);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE case_id = %lld AND kind = 'notice' AND "
                                  "recipient = %Q AND template = 'case_village_notice'",
                            (long long)id, DIRECTOR),
                     1);
    /* the reporter's answer is the screen, never an SMS */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE recipient = %Q", PUBLIC), 0);
}

static void report_dropped_after_category(void **state)
{
    int64_t cases = db_int(G.db, "SELECT count(*) FROM cases");
    static const struct row rows[] = {
        {"", "CON 儿童关爱服务", NULL},
        {"1", "CON 报告类别", NULL},
        {"1*4", "CON 情况紧急，请立即拨打110或120！", "案件号"},
    };
    RUN("e2e-dropped", "+8613700000099", rows);
    /* nothing more comes: the case is there, routed, alerted */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM cases"), cases + 1);
    int64_t id = session_case("e2e-dropped");
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM cases c JOIN reporter r ON r.id = c.reporter_id WHERE "
                                  "c.id = %lld AND c.category = 4 AND c.priority = 0 AND c.status = 'open' AND "
                                  "r.phone = '+8613700000099'",
                            (long long)id),
                     1);
    assert_true(db_int(G.db, "SELECT count(*) FROM outbox WHERE case_id = %lld AND kind = 'alert'", (long long)id) > 0);
}

static void visit_path(void **state)
{
    int64_t visits = db_int(G.db, "SELECT count(*) FROM visit");
    static const struct row rows[] = {
        {"", "CON 儿童关爱服务", NULL},
        {"2", "CON 记录走访：请输入儿童的7位编号", NULL},
        {"2*111002", "CON 儿童编号应为7位数字。", NULL},
        {"2*111002*1110023", "CON 编号1110023校验位不对", NULL},
        {"2*111002*1110023*1110022", "CON 儿童1110022的走访结果", NULL},
        {"2*111002*1110023*1110022*0", "CON 记录走访", NULL}, /* back */
        {"2*111002*1110023*1110022*0*1110011", "CON 儿童1110011的走访结果", NULL},
        {"2*111002*1110023*1110022*0*1110011*2", "CON 发现的问题", NULL},
        {"2*111002*1110023*1110022*0*1110011*2*8", "CON 问题代码有误", NULL},
        {"2*111002*1110023*1110022*0*1110011*2*8*JK SH", "END 已记录儿童1110011在", "发现的问题"},
    };
    RUN("e2e-visit", DIRECTOR, rows);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM visit"), visits + 1);
    char *v = db_text(G.db, "SELECT v.result || '|' || v.problems FROM visit v JOIN child c ON c.id = v.child_id "
                            "WHERE c.code = '1110011' ORDER BY v.id DESC LIMIT 1");
    assert_non_null(v);
    assert_string_equal(v, "2|JK|SH");
    free(v);

    /* refused as the SMS refuses: another village's director, a guardian */
    static const struct row other[] = {
        {"2*1110022", "CON 儿童1110022不在您负责的村", NULL},
    };
    RUN("e2e-visit-other", OTHER_DIRECTOR, other);
    static const struct row guardian[] = {
        {"", "CON 儿童关爱服务", NULL},
        {"2", "END 只有儿童主任和督导员可以记录走访", NULL},
    };
    RUN("e2e-visit-guardian", GUARDIAN1, guardian);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM visit"), visits + 1);
}

static void checkin_path(void **state)
{
    int64_t checkins = db_int(G.db, "SELECT count(*) FROM checkin");
    static const struct row two[] = {
        {"", "CON 儿童关爱服务", NULL},
        {"3", "CON 为哪个孩子报平安：\n1 1110054\n2 1110065\n0 返回 00 主菜单", NULL},
        {"3*3", "CON 输入有误，请选1-2。", NULL},
        {"3*3*2", "CON 孩子1110065的情况", NULL},
        {"3*3*2*0", "CON 为哪个孩子报平安", NULL},
        {"3*3*2*0*00", "CON 儿童关爱服务", NULL},
        {"3*3*2*0*00*3", "CON 为哪个孩子报平安", NULL},
        {"3*3*2*0*00*3*1", "CON 孩子1110054的情况", NULL},
        {"3*3*2*0*00*3*1*4", "END 已记录照护人变更（1110054）", NULL},
    };
    RUN("e2e-checkin", GUARDIAN2, two);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM checkin"), checkins + 1);
    /* the director of 上湾村 is told to follow up */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE recipient = %Q AND template = "
                                  "'checkin_carer_director'",
                            DIRECTOR),
                     1);
    static const struct row one[] = {
        {"3", "CON 孩子1110022的情况", NULL},
        {"3*1", "END 已收到签到（1110022）", NULL},
    };
    RUN("e2e-checkin-one", GUARDIAN1, one);
    static const struct row stranger[] = {
        {"3", "END 此号码未登记为监护人", NULL},
    };
    RUN("e2e-checkin-stranger", PUBLIC, stranger);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM checkin"), checkins + 2);
}

static void status_path(void **state)
{
    int64_t id = session_case("e2e-report");
    char *no = db_text(G.db, "SELECT number FROM cases WHERE id = %lld", (long long)id);
    assert_non_null(no);
    char last[64], want[96];
    snprintf(last, sizeof last, "4*12345*%s", no);
    snprintf(want, sizeof want, "END 案件%s已收到", no);
    const struct row rows[] = {
        {"", "CON 儿童关爱服务", NULL},
        {"4", "CON 查询案件", NULL},
        {"4*12345", "CON 案件号应为10-12位数字", NULL},
        {last, want, NULL},
    };
    RUN("e2e-status", PUBLIC, rows); /* the reporter of that case */
    char denied[64];
    snprintf(denied, sizeof denied, "4*%s", no);
    const struct row other[] = {
        {denied, "END 查不到案件", NULL},
    };
    RUN("e2e-status-other", GUARDIAN1, other);
    free(no);
}

static void retried_step(void **state)
{
    char *a = post_step("e2e-retry", "+8613700000098", "1*6");
    assert_non_null(strstr(a, "CON 情况紧急"));
    int64_t id = session_case("e2e-retry");
    int64_t cases = db_int(G.db, "SELECT count(*) FROM cases");
    int64_t out = db_int(G.db, "SELECT count(*) FROM outbox");
    for (int i = 0; i < 3; i++) {
        char *b = post_step("e2e-retry", "+8613700000098", "1*6");
        assert_string_equal(b, a);
        free(b);
    }
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM cases"), cases);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox"), out);
    assert_int_equal(session_case("e2e-retry"), id);
    free(a);
}

static void restart_mid_session(void **state)
{
    static const struct row before[] = {
        {"", "CON 儿童关爱服务", NULL},
        {"2", "CON 记录走访", NULL},
        {"2*1110033", "CON 儿童1110033的走访结果", NULL},
    };
    RUN("e2e-restart", DIRECTOR, before);
    assert_int_equal(gwp_stop(&G, SIGTERM), 0);
    assert_int_equal(gwp_start(&G), 0);
    int64_t visits = db_int(G.db, "SELECT count(*) FROM visit");
    static const struct row after[] = {
        {"2*1110033", "CON 儿童1110033的走访结果", NULL}, /* retried across the restart */
        {"2*1110033*4", "END 已记录", "1110033"},
    };
    RUN("e2e-restart", DIRECTOR, after);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM visit"), visits + 1);
}

/* Last: moves the process clock on. */
static void session_expires(void **state)
{
    static const struct row before[] = {
        {"", "CON 儿童关爱服务", NULL},
        {"4", "CON 查询案件", NULL},
    };
    RUN("e2e-expire", PUBLIC, before);
    assert_int_equal(gwp_stop(&G, SIGTERM), 0);
    G.clock_offset += 11 * 60;
    assert_int_equal(gwp_start(&G), 0);
    static const struct row after[] = {
        {"4*2403150001", "CON 会话已超时，请重新选择。\n儿童关爱服务", NULL},
        {"4*2403150001*4", "CON 查询案件", NULL},
        {"4*2403150001*4*0", "CON 儿童关爱服务", NULL},
    };
    RUN("e2e-expire", PUBLIC, after);
}

static void bad_requests(void **state)
{
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    static const struct {
        const char *target, *body;
        long status;
    } cases[] = {
        {"/hooks/at/ussd", "sessionId=x&phoneNumber=%2B8613800000023&text=", 403},
        {"/hooks/at/ussd?token=wrong", "sessionId=x&phoneNumber=%2B8613800000023&text=", 403},
        {HOOK, "phoneNumber=%2B8613800000023&text=", 400},
        {HOOK, "sessionId=x&text=", 400},
        {"/hooks/generic/ussd", "sessionId=x&phoneNumber=%2B8613800000023&text=", 404},
    };
    int64_t sessions = db_int(G.db, "SELECT count(*) FROM ussd_session");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_resp r;
        assert_int_equal(http_req(G.port, "POST", cases[i].target, h, cases[i].body, strlen(cases[i].body), &r), 0);
        if (r.status != cases[i].status) fail_msg("case %zu: %ld %s", i, r.status, r.body);
        http_resp_free(&r);
    }
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM ussd_session"), sessions);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixtures_at2_at3),
        cmocka_unit_test(report_path),
        cmocka_unit_test(report_dropped_after_category),
        cmocka_unit_test(visit_path),
        cmocka_unit_test(checkin_path),
        cmocka_unit_test(status_path),
        cmocka_unit_test(retried_step),
        cmocka_unit_test(bad_requests),
        cmocka_unit_test(restart_mid_session),
        cmocka_unit_test(session_expires),
    };
    return cmocka_run_group_tests_name("e2e ussd", tests, setup, teardown);
}
