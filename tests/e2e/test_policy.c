/* tests/e2e/test_policy.c - the policy engine through the real binary with
 * a moved clock (GATEWAY_CLOCK_OFFSET; each move is a restart, so every
 * step also proves that nothing lives only in memory):
 *   a P0 report alerts the right departments only, is re-alerted with the
 *   county duty contact when nobody acknowledges, then to the city level,
 *   stops once acknowledged, and the reporter hears when it closes;
 *   a bare QR from a responder with two pending alerts lists them;
 *   a category 2 case never tells the village; sixty simulated days of
 *   visits and silence produce exactly the reminders the rules call for,
 *   as daily digests (one visit digest a director a day, and no recipient
 *   over [policy] daily_cap reminders and notices a day), for the 200
 *   children of the demo roster less those past their age; an opted-out
 *   parent gets no reminder but still gets case messages. */
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

#define MIN 60L
#define DAY 86400L
#define DIRECTOR "+8613800000001" /* 上湾村 */
#define SUPERVISOR "+8613800001001" /* 东溪镇 */
#define CHILD "1110033"             /* 上湾村, no flags */
#define PARENT "+8613900000003"     /* away, child 1110033 */
#define OPTED "+8613900000004"      /* away, child 1110033; opts out */
#define REPORTER "+8613755550001"
#define DUTY "+8613800009999"
#define CITY "+8613800009998"

static struct gw_proc G;
static struct standin *S;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    if (standin_start(&S) != 0) return -1;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", standin_port(S));
    /* Working hours all day, every day, so what is due goes at once whatever
     * the time of day the test runs; the channel fast enough for hundreds
     * of reminders. */
    const char *extra = "[sender]\nbackoff = 1\nbackoff_max = 1\n"
                        "[channel generic]\ntps = 2000\n"
                        "[policy]\nack_minutes_p0 = 15\nack_minutes_p1 = 30\nwork_hours = 00:00-24:00\n"
                        "work_days = 1-7\ndigest_time = 00:00\n"
                        "[county 示例县]\nduty_contact = " DUTY "\ncity_contact = " CITY "\n";
    if (gwp_init_send(&G, extra, 1, url, NULL) != 0) return -1;
    return 0;
}

static int teardown(void **state)
{
    gwp_cleanup(&G);
    standin_stop(S);
    unsetenv("GATEWAY_CLOCK_OFFSET");
    return 0;
}

/* Restarts the gateway with its clock at offset and waits for the start-up
 * run of the timed jobs. */
static void at(long offset)
{
    if (G.pid) assert_int_equal(gwp_stop(&G, SIGTERM), 0);
    G.clock_offset = offset;
    char off[32];
    snprintf(off, sizeof off, "%ld", offset);
    setenv("GATEWAY_CLOCK_OFFSET", off, 1); /* for the sms commands too */
    assert_int_equal(gwp_start(&G), 0);
    for (int i = 0; i < 1000; i++) {
        struct http_resp r;
        int done = http_req(G.port, "GET", "/metrics", NULL, NULL, 0, &r) == 0 && r.body &&
                   !strstr(r.body, "gateway_job_runs_total 0\n");
        http_resp_free(&r);
        if (done) return;
        sleep_ms(10);
    }
    fail_msg("the timed jobs did not run at start-up");
}

/* How many seconds (up to most) the gateway's clock at offset can move on
 * without passing the demo county's midnight (Asia/Shanghai, UTC+8 all
 * year): a test run at 23:30 local time must not restart into a new day. */
static long later_same_day(long offset, long most)
{
    long into_day = ((long)time(NULL) + offset + 8 * 3600L) % DAY;
    long left = DAY - MIN - into_day; /* a minute spare for the restart itself */
    return left < 0 ? 0 : left < most ? left : most;
}

static void sms(const char *from, const char *text)
{
    const char *args[] = {"sms", "-c", G.cfg, "--from", from, text, NULL};
    char *out = NULL, *err = NULL;
    int rc = gwp_run(args, &out, &err);
    if (rc != 0) fail_msg("sms from %s '%s': %d %s", from, text, rc, err ? err : "");
    free(out);
    free(err);
}

static int64_t rows(const char *tmpl, const char *to, const char *extra)
{
    return db_int(G.db, "SELECT count(*) FROM outbox WHERE template = %Q AND recipient = %Q %s", tmpl, to,
                  extra ? extra : "");
}

static void cases_alert_escalate_and_feed_back(void **state)
{
    at(0);
    sms(REPORTER, "BG 4 孩子在河边走失了");
    char *num = db_text(G.db, "SELECT number FROM cases ORDER BY id DESC LIMIT 1");
    assert_non_null(num);
    assert_int_equal(db_int(G.db, "SELECT priority FROM cases WHERE number = %Q", num), 0);
    /* Alerts to the police and civil-affairs responders of the county, nobody else. */
    static const char *const told[] = {"+8613800002001", "+8613800002002", "+8613800002003", "+8613800002004"};
    static const char *const not_told[] = {"+8613800002005", "+8613800002006", "+8613800002007", DUTY, CITY};
    for (int i = 0; i < 4; i++) assert_int_equal(rows("case_alert", told[i], "AND kind = 'alert'"), 1);
    for (int i = 0; i < 5; i++) assert_int_equal(rows("case_alert", not_told[i], NULL), 0);
    char *body = db_text(G.db, "SELECT body FROM outbox WHERE template = 'case_alert' LIMIT 1");
    assert_non_null(strstr(body, num));
    assert_null(strstr(body, "走失")); /* no category words, no description */
    free(body);
    /* A second P0 that nobody will acknowledge. */
    sms("+8613755550002", "BG 6 水库边有小孩");
    char *num2 = db_text(G.db, "SELECT number FROM cases ORDER BY id DESC LIMIT 1");

    at(16 * MIN); /* past ack_minutes_p0: re-alert with the county duty contact */
    char like[64];
    snprintf(like, sizeof like, "AND dedupe_key LIKE 'realert:%s:1:%%'", num);
    for (int i = 0; i < 4; i++) assert_int_equal(rows("case_alert", told[i], like), 1);
    assert_int_equal(rows("case_alert", DUTY, like), 1);
    assert_int_equal(rows("case_alert", "+8613800002005", like), 0);
    int64_t before = db_int(G.db, "SELECT count(*) FROM outbox");
    at(20 * MIN); /* a restart, and a later tick: nothing twice */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox"), before);

    sms("+8613800002001", "QR"); /* two pending: listed, neither acknowledged */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE recipient = '+8613800002001' AND template = "
                                  "'ack_pending_list' AND vars LIKE '%%\"count\":\"2\"%%'"),
                     1);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM cases WHERE status = 'acknowledged'"), 0);
    char qr[32];
    snprintf(qr, sizeof qr, "QR %s", num);
    sms("+8613800002001", qr);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM cases WHERE number = %Q AND status = 'acknowledged'", num), 1);

    at(31 * MIN); /* the second miss goes to the city, for the unacknowledged case only */
    snprintf(like, sizeof like, "AND dedupe_key LIKE 'realert:%s:2:%%'", num2);
    assert_int_equal(rows("case_alert", CITY, like), 1);
    snprintf(like, sizeof like, "AND dedupe_key LIKE 'realert:%s:2:%%'", num);
    assert_int_equal(rows("case_alert", CITY, like), 0);
    assert_true(db_int(G.db, "SELECT count(*) FROM case_event e JOIN cases c ON c.id = e.case_id WHERE "
                             "c.number = %Q AND e.kind = 'realerted'", num2) >= 2);

    /* Closing tells the reporter, neutrally, and it reaches the phone. */
    char ja[64];
    snprintf(ja, sizeof ja, "JA %s 1 已找到孩子", num);
    sms("+8613800002001", ja);
    assert_int_equal(rows("case_closed_reporter", REPORTER, NULL), 1);
    /* Alert, re-alert, acknowledgement, closing and feedback are each a case event. */
    static const char *const kinds[] = {"opened", "alerted", "realerted", "acknowledged", "closed", "reporter_told"};
    for (int i = 0; i < 6; i++)
        if (db_int(G.db, "SELECT count(*) FROM case_event e JOIN cases c ON c.id = e.case_id WHERE c.number = %Q "
                         "AND e.kind = %Q AND e.at > 0", num, kinds[i]) < 1)
            fail_msg("no '%s' event for case %s", kinds[i], num);
    int64_t id = db_int(G.db, "SELECT id FROM outbox WHERE template = 'case_closed_reporter' AND recipient = %Q",
                        REPORTER);
    for (int i = 0; i < 500 && db_int(G.db, "SELECT count(*) FROM outbox WHERE id = %lld AND status = 'sent'",
                                      (long long)id) != 1; i++)
        sleep_ms(10);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE id = %lld AND status = 'sent'", (long long)id), 1);
    int seen = 0;
    for (size_t i = 0; i < standin_count(S); i++) {
        struct standin_req r;
        if (standin_get(S, i, &r) == 0 && strstr(r.body, REPORTER) && strstr(r.body, num)) seen++;
        standin_req_free(&r);
    }
    assert_true(seen >= 1);

    /* Category 2: the village is never told; category 3: its director is. */
    sms(REPORTER, "BG 2 " CHILD " 孩子身上总有伤");
    char *c2 = db_text(G.db, "SELECT id FROM cases ORDER BY id DESC LIMIT 1");
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE case_id = %s AND recipient = %Q", c2, DIRECTOR), 0);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE case_id = %s AND kind = 'alert'", c2), 4);
    sms(REPORTER, "BG 3 " CHILD " 孩子好几天没人照顾");
    char *c3 = db_text(G.db, "SELECT id FROM cases ORDER BY id DESC LIMIT 1");
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE case_id = %s AND recipient = %Q AND "
                                  "template = 'case_village_notice'", c3, DIRECTOR), 1);
    free(c2);
    free(c3);
    free(num);
    free(num2);
}

static void sixty_days_of_visits_and_silence(void **state)
{
    gwp_cleanup(&G);
    assert_int_equal(setup(state), 0);
    for (long d = 0; d <= 60; d++) {
        at(d * DAY);
        if (d == 1) sms(OPTED, "TD");
        if (d == 3) sms(DIRECTOR, "ZF " CHILD " 1");
        if (d == 10) sms(OPTED, "BG 9 想咨询帮扶政策");
        if (d == 20 || d == 50) sms(PARENT, "QD");
        if (d == 45) sms(DIRECTOR, "ZF " CHILD " 4"); /* a phone call: recorded, the clock not reset */
        if (d == 47) sms(DIRECTOR, "ZF " CHILD " 1");
        if (d == 30) { /* a restart later in the same day changes nothing */
            int64_t n = db_int(G.db, "SELECT count(*) FROM outbox");
            at(d * DAY + later_same_day(d * DAY, 3600));
            assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox"), n);
        }
    }
    /* The child: in a digest when due 30 days after the day-3 visit, in
     * another when overdue 7 days later, and in none after the day-47 visit. */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM digest_item WHERE key LIKE 'visit_due:" CHILD ":%%:" DIRECTOR
                                  "' AND digest LIKE 'visit_digest:" DIRECTOR ":%%'"), 1);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM digest_item WHERE key LIKE 'visit_overdue:" CHILD ":%%:"
                                  DIRECTOR "'"), 1);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM digest_item WHERE key LIKE 'visit%%:" CHILD ":%%'"), 2);
    /* The parent: silent from the start (reminder on day 7, the director told on
     * day 14), checks in on day 20 (again 27 and 34), and on day 50 (57). */
    assert_int_equal(rows("checkin_reminder", PARENT, NULL), 3);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM digest_item WHERE key LIKE 'checkin_silent:3:%%:" DIRECTOR
                                  "'"), 2);
    /* Digests: the director of 上湾村 (38 children) gets at most one visit
     * digest a day, every one of them within one SMS, and nobody more than
     * daily_cap (3) reminders and notices of the jobs a day. */
    int64_t digests_dir = db_int(G.db, "SELECT count(*) FROM outbox WHERE recipient = %Q AND template LIKE "
                                       "'visit\\_digest%%' ESCAPE '\\'", DIRECTOR);
    assert_true(digests_dir >= 2);
    assert_int_equal(db_int(G.db, "SELECT count(DISTINCT dedupe_key) FROM outbox WHERE recipient = %Q AND template LIKE "
                                  "'visit\\_digest%%' ESCAPE '\\'", DIRECTOR), digests_dir);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE template IN ('visit_due', 'visit_overdue', "
                                  "'checkin_silent_director')"), 0);
    assert_true(db_int(G.db, "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM outbox WHERE kind IN "
                             "('reminder', 'notice') AND inbox_id IS NULL AND case_id IS NULL GROUP BY recipient, "
                             "(created_at + 8 * 3600) / 86400) AS t") <= 3);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE template LIKE 'visit\\_digest%%' ESCAPE '\\' "
                                  "AND length(body) > 70"), 0); /* length() counts characters */
    /* The supervisor: at most one digest a day. */
    int64_t digests = rows("supervisor_digest", SUPERVISOR, NULL);
    assert_true(digests >= 30 && digests <= 50);
    assert_int_equal(db_int(G.db, "SELECT count(DISTINCT dedupe_key) FROM outbox WHERE template = 'supervisor_digest' "
                                  "AND recipient = %Q", SUPERVISOR), digests);
    /* The opted-out parent: reminders never sent, case messages still are. */
    for (int i = 0; i < 500 && db_int(G.db, "SELECT count(*) FROM outbox WHERE recipient = %Q AND status = 'queued'",
                                      OPTED) > 0; i++)
        sleep_ms(10);
    assert_true(rows("checkin_reminder", OPTED, NULL) >= 1);
    assert_int_equal(rows("checkin_reminder", OPTED, "AND status <> 'suppressed'"), 0);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE recipient = %Q AND template LIKE 'report_ok%%' "
                                  "AND status = 'sent'", OPTED), 1);
    /* Coverage for the supervisor's town after sixty days. */
    const char *args[] = {"export", "-c", G.cfg, "coverage", NULL};
    char *out = NULL;
    assert_int_equal(gwp_run(args, &out, NULL), 0);
    assert_int_equal(strncmp(out, "level,region,children_in_scope,aged_out,visited_in_person,", 58), 0);
    /* The demo's 200 children: those past their age (left-behind children
     * born in 2010 are 16 by now) are counted apart. */
    const char *county = strstr(out, "\ncounty,示例县,");
    assert_non_null(county);
    long in_scope = 0, aged_out = 0;
    assert_int_equal(sscanf(county + strlen("\ncounty,示例县,"), "%ld,%ld,", &in_scope, &aged_out), 2);
    assert_int_equal(in_scope + aged_out, 200);
    assert_true(aged_out >= 1);
    assert_non_null(strstr(out, "\nvillage,示例县/东溪镇/上湾村,"));
    assert_null(strstr(out, "138000")); /* no phone numbers */
    free(out);
    assert_int_equal(gwp_stop(&G, SIGTERM), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cases_alert_escalate_and_feed_back),
        cmocka_unit_test(sixty_days_of_visits_and_silence),
    };
    return cmocka_run_group_tests_name("e2e policy with a moved clock", tests, setup, teardown);
}
