/* tests/e2e/test_free_text.c - nobody is ignored, however they write: the
 * real binary on the demo county, sending through a stand-in send API.
 *
 * Today: an unregistered reporter's follow-up is kept on their open case
 * and the responders alerted are told (once an hour), thanks open nothing,
 * and a new emergency in a follow-up is a report of its own; an opt-out in
 * words; a director's words reach the township supervisor; a guardian's
 * reach the child's director (codes, relation, the words, no name), in two
 * SMS when long, except words of abuse (the case carries them); a
 * guardian's words of danger open an inferred case.
 * Eight days on (clock moved, process restarted, the reminders sent): a
 * guardian's 好的, a bare 1, words asking for help, a bare 求助 are each a
 * check-in; a guardian whose reminder was suppressed (opted out) is not
 * checked in by 好的; the reporter's follow-up window has closed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>
#include <time.h>

#include "../common/harness.h"
#include "../common/standin.h"

#define DAY        86400L
#define DIRECTOR   "+8613800000001" /* 上湾村 */
#define SUPERVISOR "+8613800001001" /* 东溪镇 */
#define POLICE     "+8613800002001"
#define REPORTER   "+8613755550401"
#define G_HOME     "+8613900000001" /* 母亲 of 1110011 (陈志强), at home: never reminded */
#define G_AWAY     "+8613900000002" /* 母亲 of 1110022, away */
#define G_AWAY2    "+8613900000003" /* 父亲 of 1110033, away */
#define G_OUT      "+8613900000004" /* 母亲 of 1110033, away; opts out in words */
#define G_GRAN     "+8613900000005" /* 外祖母 of 1110040, at home */
#define G_TWO      "+8613900000007" /* 外祖母 of 1110054 and 1110065, at home */
#define G_HELP     "+8613900000010" /* 父亲 of 1110087, away */
#define G_PLEA     "+8613900000012" /* 父亲 of 1110098, away */

static struct gw_proc G;
static struct standin *S;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    (void)state;
    if (standin_start(&S) != 0) return -1;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", standin_port(S));
    /* Working hours all day, every day: what is due goes at once, whatever
     * the time of day the test runs. */
    const char *extra = "[sender]\nbackoff = 1\nbackoff_max = 1\n"
                        "[channel generic]\ntps = 2000\n"
                        "[policy]\nwork_hours = 00:00-24:00\nwork_days = 1-7\n"
                        "reply_window_days = 3\nfollowup_hours = 24\n";
    return gwp_init_send(&G, extra, 1, url, NULL);
}

static int teardown(void **state)
{
    (void)state;
    gwp_cleanup(&G);
    standin_stop(S);
    return 0;
}

static void sms(const char *id, const char *from, const char *text)
{
    struct http_resp r;
    assert_int_equal(post_generic(G.port, id, from, text, &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
}

/* Rows of the outbox the newest inbox message caused, matching cond. */
static int64_t caused(const char *cond)
{
    return db_int(G.db, "SELECT count(*) FROM outbox WHERE inbox_id = (SELECT max(id) FROM inbox) AND %s", cond);
}

static char *reply_tmpl(const char *to)
{
    return db_text(G.db,
                   "SELECT template FROM outbox WHERE inbox_id = (SELECT max(id) FROM inbox) AND recipient = %Q "
                   "ORDER BY id LIMIT 1",
                   to);
}

static void expect_reply(const char *to, const char *tmpl)
{
    char *t = reply_tmpl(to);
    if (!t || strcmp(t, tmpl) != 0) fprintf(stderr, "reply to %s: %s, want %s\n", to, t ? t : "-", tmpl);
    assert_non_null(t);
    assert_string_equal(t, tmpl);
    free(t);
}

static int64_t cases(void) { return db_int(G.db, "SELECT count(*) FROM cases"); }

static void a_reporter_follows_up(void **state)
{
    (void)state;
    assert_int_equal(gwp_start(&G), 0);
    sms("ft-1", REPORTER, "BG 4 孩子在河边走失了");
    char *no = db_text(G.db, "SELECT number FROM cases ORDER BY id DESC LIMIT 1");
    assert_non_null(no);
    int64_t n = cases();

    sms("ft-2", REPORTER, "补充：孩子穿红色衣服，个子不高");
    assert_int_equal(cases(), n); /* nothing new opened */
    expect_reply(REPORTER, "followup_ok");
    char *body = db_text(G.db, "SELECT body FROM outbox WHERE inbox_id = (SELECT max(id) FROM inbox) AND recipient = %Q",
                         REPORTER);
    assert_non_null(strstr(body, no));
    free(body);
    /* The four responders alerted are told: the case number only. */
    assert_int_equal(caused("template = 'case_followup'"), 4);
    assert_int_equal(caused("template = 'case_followup' AND body LIKE '%红色%'"), 0);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM case_event e JOIN cases c ON c.id = e.case_id WHERE "
                                  "c.number = %Q AND e.kind = 'followup' AND e.detail = '补充：孩子穿红色衣服，个子不高'",
                            no),
                     1);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM cases WHERE number = %Q AND description = '孩子在河边走失了'", no),
                     1);

    /* A second follow-up within the hour: kept, the responders not told again. */
    sms("ft-3", REPORTER, "还有，孩子右手有一道疤");
    int64_t same_hour = db_int(G.db, "SELECT count(DISTINCT received_at / 3600) FROM inbox WHERE provider_id IN "
                                     "('ft-2', 'ft-3')") == 1;
    assert_int_equal(caused("template = 'case_followup'"), same_hour ? 0 : 4);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM case_event e JOIN cases c ON c.id = e.case_id WHERE "
                                  "c.number = %Q AND e.kind = 'followup'",
                            no),
                     2);

    /* Thanks open nothing. */
    sms("ft-4", REPORTER, "好的，谢谢！");
    assert_int_equal(cases(), n);
    expect_reply(REPORTER, "thanks_reply");

    /* A new emergency is never swallowed by the follow-up rule. */
    sms("ft-5", REPORTER, "又有一个孩子掉河里了 救命");
    assert_int_equal(cases(), n + 1);
    expect_reply(REPORTER, "report_ok_p0");
    char *ev = db_text(G.db, "SELECT detail FROM case_event WHERE kind = 'opened' ORDER BY id DESC LIMIT 1");
    assert_non_null(ev);
    char want[64];
    snprintf(want, sizeof want, "followup_of=%s", no);
    assert_non_null(strstr(ev, want));
    free(ev);
    free(no);
}

static void an_opt_out_in_words(void **state)
{
    (void)state;
    sms("ft-6", G_OUT, "以后别再发短信了，谢谢");
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM opt_out WHERE phone = %Q", G_OUT), 1);
    expect_reply(G_OUT, "optout_ok");
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM inbox WHERE provider_id = 'ft-6' AND intent = 'optout'"), 1);
    /* Not inside a longer report. */
    sms("ft-7", G_AWAY2, "不要再发了，孩子被打了");
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM opt_out WHERE phone = %Q", G_AWAY2), 0);
    expect_reply(G_AWAY2, "report_ok");
}

static void words_reach_a_person(void **state)
{
    (void)state;
    /* A director's words: to the township supervisor. */
    sms("ft-8", DIRECTOR, "这周村里修路，走访要晚几天");
    expect_reply(DIRECTOR, "director_forwarded");
    char *body = db_text(G.db, "SELECT body FROM outbox WHERE inbox_id = (SELECT max(id) FROM inbox) AND recipient = %Q",
                         SUPERVISOR);
    assert_non_null(body);
    assert_string_equal(body, "上湾村儿童主任来信：这周村里修路，走访要晚几天");
    free(body);

    /* A guardian's: to the child's director, the name replaced by the code. */
    sms("ft-9", G_HOME, "陈志强这几天一直咳嗽，麻烦主任去看看");
    expect_reply(G_HOME, "guardian_forwarded");
    body = db_text(G.db, "SELECT body FROM outbox WHERE inbox_id = (SELECT max(id) FROM inbox) AND recipient = %Q",
                   DIRECTOR);
    assert_non_null(body);
    assert_string_equal(body, "儿童1110011的母亲来信：1110011这几天一直咳嗽，麻烦主任去看看");
    free(body);
    assert_int_equal(caused("body LIKE '%陈志强%'"), 0);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM cases WHERE description LIKE '%%咳嗽%%'"), 0);

    /* Long words: two SMS, each within one segment. */
    sms("ft-10", G_HOME,
        "主任您好，孩子他爸在外地工地上干活，这个月工钱还没结，家里的米快吃完了，孩子下学期的书本费也还没交，能不能帮忙"
        "问问有没有什么补助可以申请，谢谢您了");
    assert_int_equal(caused("recipient = '" DIRECTOR "' AND template = 'guardian_text'"), 1);
    assert_int_equal(caused("recipient = '" DIRECTOR "' AND template = 'forward_more'"), 1);
    assert_int_equal(caused("recipient = '" DIRECTOR "' AND length(body) > 70"), 0);
    /* Longer than two SMS hold: cut, and the cut shown. */
    sms("ft-10b", G_HOME,
        "主任您好，孩子他爸在外地工地上干活，这个月工钱还没结，家里的米快吃完了，孩子下学期的书本费也还没交，能不能帮忙"
        "问问有没有什么补助可以申请，另外孩子的奶奶腿脚不方便，上个月摔了一跤，现在走路都要拄拐杖，家里的活都是孩子在做，"
        "我们真的很为难，谢谢您了");
    assert_int_equal(caused("recipient = '" DIRECTOR "'"), 2);
    assert_int_equal(caused("recipient = '" DIRECTOR "' AND length(body) > 70"), 0);
    assert_int_equal(caused("recipient = '" DIRECTOR "' AND template = 'forward_more' AND body LIKE '%…'"), 1);

    /* Thanks alone reach nobody. */
    sms("ft-11", G_HOME, "谢谢主任");
    expect_reply(G_HOME, "unrecognised_guardian");
    assert_int_equal(caused("recipient <> '" G_HOME "'"), 0);

    /* Danger words: an inferred case; words of abuse are not sent on by SMS. */
    int64_t n = cases();
    sms("ft-12", G_GRAN, "孩子被他爸打了，打得很重");
    assert_int_equal(cases(), n + 1);
    expect_reply(G_GRAN, "report_ok");
    char *shape = db_text(G.db, "SELECT category || '/P' || priority || '/' || inferred FROM cases ORDER BY id DESC LIMIT 1");
    assert_non_null(shape);
    assert_string_equal(shape, "2/P1/1");
    free(shape);
    assert_int_equal(caused("template IN ('guardian_text', 'forward_more')"), 0);
    assert_true(caused("kind = 'alert'") >= 2);

    /* Two children, no carer: a case, and the words to their director naming both codes. */
    sms("ft-13", G_TWO, "我住院了，两个孩子都没人管了");
    expect_reply(G_TWO, "report_ok");
    body = db_text(G.db, "SELECT body FROM outbox WHERE inbox_id = (SELECT max(id) FROM inbox) AND recipient = %Q "
                         "AND template = 'guardian_text'",
                   DIRECTOR);
    assert_non_null(body);
    assert_string_equal(body, "儿童1110054、1110065的外祖母来信：我住院了，两个孩子都没人管了");
    free(body);

    /* A responder's 收到 is no longer met with the help text. */
    sms("ft-14", POLICE, "收到");
    char *t = reply_tmpl(POLICE);
    assert_non_null(t);
    assert_string_not_equal(t, "unrecognised_responder");
    free(t);
    assert_int_equal(gwp_stop(&G, SIGTERM), 0);
}

/* Polls until the reminder to phone has status, or about ten seconds pass. */
static int reminder_is(const char *phone, const char *status)
{
    for (int i = 0; i < 1000; i++) {
        if (db_int(G.db, "SELECT count(*) FROM outbox WHERE recipient = %Q AND kind = 'reminder' AND status = %Q", phone,
                   status) > 0)
            return 1;
        sleep_ms(10);
    }
    return 0;
}

static int64_t checkins(const char *phone, int status)
{
    return db_int(G.db, "SELECT count(*) FROM checkin c JOIN guardian g ON g.id = c.guardian_id WHERE g.phone = %Q AND "
                        "c.status = %d",
                  phone, status);
}

static void replies_to_a_reminder_are_check_ins(void **state)
{
    (void)state;
    G.clock_offset = 8 * DAY;
    assert_int_equal(gwp_start(&G), 0);
    assert_true(reminder_is(G_AWAY, "sent"));
    assert_true(reminder_is(G_HELP, "sent"));
    assert_true(reminder_is(G_PLEA, "sent"));
    assert_true(reminder_is(G_OUT, "suppressed"));

    sms("ft-20", G_AWAY, "好的");
    assert_int_equal(checkins(G_AWAY, 1), 1);
    expect_reply(G_AWAY, "checkin_ok");
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM inbox WHERE provider_id = 'ft-20' AND intent = 'checkin'"), 1);

    sms("ft-21", G_AWAY, "1");
    assert_int_equal(checkins(G_AWAY, 1), 2);

    /* Asking for help: status 2; the director gets the words, not also the notice. */
    sms("ft-22", G_HELP, "孩子奶奶病了，需要帮助");
    assert_int_equal(checkins(G_HELP, 2), 1);
    expect_reply(G_HELP, "checkin_help");
    assert_int_equal(caused("recipient = '" DIRECTOR "' AND template = 'guardian_text'"), 1);
    assert_int_equal(caused("recipient = '" DIRECTOR "' AND template = 'checkin_help_director'"), 0);

    /* A bare 求助 (a report keyword with nothing to report): a check-in asking for help. */
    int64_t n = cases();
    sms("ft-23", G_PLEA, "求助");
    assert_int_equal(checkins(G_PLEA, 2), 1);
    assert_int_equal(cases(), n);
    expect_reply(G_PLEA, "checkin_help");
    assert_int_equal(caused("recipient = '" DIRECTOR "' AND template = 'checkin_help_director'"), 1);

    /* Opted out, so never reminded: 好的 is no check-in. */
    sms("ft-24", G_OUT, "好的");
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM checkin c JOIN guardian g ON g.id = c.guardian_id WHERE "
                                  "g.phone = %Q",
                            G_OUT),
                     0);
    expect_reply(G_OUT, "unrecognised_guardian");

    /* The reporter's day has long passed: their words are a new case again. */
    n = cases();
    sms("ft-25", REPORTER, "那个孩子后来找到了吗");
    assert_int_equal(cases(), n + 1);
    expect_reply(REPORTER, "unknown_case_opened");
    assert_int_equal(gwp_stop(&G, SIGTERM), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_reporter_follows_up),
        cmocka_unit_test(an_opt_out_in_words),
        cmocka_unit_test(words_reach_a_person),
        cmocka_unit_test(replies_to_a_reminder_are_check_ins),
    };
    return cmocka_run_group_tests_name("e2e free text", tests, setup, teardown);
}
