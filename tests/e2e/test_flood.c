/* tests/e2e/test_flood.c - one number's flood of reports through the real
 * binary: 200 "BG 4" webhooks from one number (P0, police and civil
 * affairs: four responders of the demo county) each open a case, but the
 * responders get the first flood_reports alerts and then one summary each,
 * the reporter a bounded number of answers, and a report from another
 * number in the middle of the burst is alerted at once. A USSD report
 * from the same number joins the held run. Sixteen minutes later (the
 * clock moved, the process restarted) the acknowledgement deadline
 * re-alerts the run once, not each held case.
 *
 * Prints the measured figures: alert SMS for the 200 reports, answers to
 * the reporter, re-alerts at the deadline. */
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

#include "../../core/util.h"
#include "../common/harness.h"

#define FLOODER   "+8613755550201"
#define OTHER     "+8613755550202"
#define AT_TOKEN  "flood-at-token"
#define REPORTS   200
#define FLOOD_MAX 3 /* [policy] flood_reports */
#define PER_CASE  4 /* responders a P0 in 示例县 alerts: police 2001, 2002, civil affairs 2003, 2004 */

static struct gw_proc G;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    const char *ini = "[store]\nsynchronous = normal\n"
                      "[policy]\nflood_reports = 3\nflood_window = 600\n"
                      "[channel at]\nprovider = africastalking\nusername = sandbox\napi_key = k\n"
                      "token = " AT_TOKEN "\nurl = " NOWHERE_URL "\n";
    return gwp_init(&G, ini, 1);
}

static int teardown(void **state)
{
    gwp_cleanup(&G);
    unsetenv("GATEWAY_CLOCK_OFFSET");
    return 0;
}

static void report(const char *id, const char *from)
{
    struct http_resp r;
    assert_int_equal(post_generic(G.port, id, from, "BG 4 孩子在河边走失了", &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
}

/* Rows of the outbox about the cases one number reported. */
static int64_t rows_for_reporter(const char *phone, const char *cond)
{
    return db_int(G.db,
                  "SELECT count(*) FROM outbox WHERE %s AND case_id IN (SELECT c.id FROM cases c JOIN reporter r "
                  "ON r.id = c.reporter_id WHERE r.phone = %Q)",
                  cond, phone);
}

/* One USSD step on the AT channel; returns the answer (owned). */
static char *ussd(const char *session, const char *phone, const char *text)
{
    char *s = form_escape(session), *p = form_escape(phone), *t = form_escape(text);
    char body[512];
    snprintf(body, sizeof body, "sessionId=%s&serviceCode=%%2A384%%2A1234%%23&phoneNumber=%s&text=%s", s, p, t);
    free(s);
    free(p);
    free(t);
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    struct http_resp r;
    assert_int_equal(http_req(G.port, "POST", "/hooks/at/ussd?token=" AT_TOKEN, h, body, strlen(body), &r), 0);
    assert_int_equal(r.status, 200);
    char *out = r.body;
    r.body = NULL;
    http_resp_free(&r);
    return out;
}

static void two_hundred_reports_from_one_number(void **state)
{
    assert_int_equal(gwp_start(&G), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < REPORTS; i++) {
        char id[32];
        snprintf(id, sizeof id, "flood-%d", i);
        report(id, FLOODER);
        if (i == REPORTS / 2) report("other-1", OTHER); /* another number, inside the burst */
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

    /* Every report is stored and opens its case. */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM cases c JOIN reporter r ON r.id = c.reporter_id "
                                  "WHERE r.phone = %Q", FLOODER),
                     REPORTS);
    int64_t alerts = rows_for_reporter(FLOODER, "kind = 'alert'");
    assert_true(alerts <= (FLOOD_MAX + 1) * PER_CASE);
    assert_int_equal(rows_for_reporter(FLOODER, "template = 'case_alert'"), FLOOD_MAX * PER_CASE);
    assert_int_equal(rows_for_reporter(FLOODER, "template = 'case_flood_alert'"), PER_CASE);
    /* The reporter: the first answers, one saying more are being recorded, then nothing. */
    int64_t answers = db_int(G.db, "SELECT count(*) FROM outbox WHERE recipient = %Q", FLOODER);
    assert_int_equal(answers, FLOOD_MAX + 1);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE recipient = %Q AND template = 'report_flood'",
                            FLOODER),
                     1);
    /* Every held case says why it was quiet. */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM case_event WHERE kind = 'flood_held'"), REPORTS - FLOOD_MAX);
    /* The other number's report was alerted at once, to all four. */
    assert_int_equal(rows_for_reporter(OTHER, "template = 'case_alert'"), PER_CASE);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE recipient = %Q AND template = 'report_ok_p0'",
                            OTHER),
                     1);
    /* No SMS names the reporter. */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE body LIKE '%%55550201%%'"), 0);

    /* A USSD report from the same number opens its case, shows its number, and stays quiet too. */
    char *screen = ussd("flood-s1", FLOODER, "1");
    free(screen);
    screen = ussd("flood-s1", FLOODER, "1*4");
    char *no = db_text(G.db, "SELECT number FROM cases ORDER BY id DESC LIMIT 1");
    assert_non_null(no);
    assert_non_null(strstr(screen, no));
    free(screen);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM cases WHERE number = %Q AND flood_of IS NOT NULL", no), 1);
    /* Naming a registered child next does not tell the village one by one either. */
    screen = ussd("flood-s1", FLOODER, "1*4*1110022");
    free(screen);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM cases c JOIN child k ON k.id = c.child_id "
                                  "WHERE c.number = %Q AND k.code = '1110022'", no),
                     1);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox o JOIN cases c ON c.id = o.case_id WHERE c.number = %Q",
                            no),
                     0);
    free(no);
    alerts = rows_for_reporter(FLOODER, "kind = 'alert'");
    printf("flood: %d reports from one number in %.2f s: %lld alert SMS (%d responders a case), %lld answers to "
           "the reporter\n",
           REPORTS, secs, (long long)alerts, PER_CASE, (long long)answers);
    assert_int_equal(gwp_stop(&G, SIGTERM), 0);
}

static void the_deadline_escalates_the_run_once(void **state)
{
    /* Sixteen minutes on: past ack_minutes_p0 for every case of the burst. */
    setenv("GATEWAY_CLOCK_OFFSET", "960", 1);
    G.clock_offset = 960;
    assert_int_equal(gwp_start(&G), 0);
    int ran = 0;
    for (int i = 0; i < 1000 && !ran; i++) {
        struct http_resp r;
        ran = http_req(G.port, "GET", "/metrics", NULL, NULL, 0, &r) == 0 && r.body &&
              !strstr(r.body, "gateway_job_runs_total 0\n");
        http_resp_free(&r);
        if (!ran) sleep_ms(10);
    }
    assert_true(ran);
    int64_t realerts = rows_for_reporter(FLOODER, "dedupe_key LIKE 'realert:%'");
    /* The three alerted cases and the run's summary case, to four responders each. */
    assert_int_equal(realerts, (FLOOD_MAX + 1) * PER_CASE);
    assert_int_equal(rows_for_reporter(OTHER, "dedupe_key LIKE 'realert:%'"), PER_CASE);
    printf("flood: %lld re-alerts at the deadline for the %d held and %d alerted cases\n", (long long)realerts,
           REPORTS + 1 - FLOOD_MAX, FLOOD_MAX);
    assert_int_equal(gwp_stop(&G, SIGTERM), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_hundred_reports_from_one_number),
        cmocka_unit_test(the_deadline_escalates_the_run_once),
    };
    return cmocka_run_group_tests_name("e2e flood", tests, setup, teardown);
}
