/* tests/e2e/test_triage.c - the triage path through the real binary on the
 * demo roster, with a moved clock (GATEWAY_CLOCK_OFFSET; each move is a
 * restart, whose start-up run of the timed jobs is awaited):
 *   a report with no category and no danger words alerts the county's
 *   civil-affairs responders at once; unacknowledged, it is re-alerted on
 *   P1's deadline with the county duty contact; triage classifies it by
 *   SMS (FL, 分类) and it is routed and alerted as if it had been coded;
 *   a responder's QR without a number acknowledges their one pending
 *   alert. */
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

#define MIN 60L
#define STRANGER "+8613755550901"
#define POLICE1 "+8613800002001"
#define POLICE2 "+8613800002002"
#define CIVIL1 "+8613800002003"
#define CIVIL2 "+8613800002004"
#define EDU1 "+8613800002005"
#define DUTY "+8613800009999"

static struct gw_proc G;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    (void)state;
    /* Working hours all day: nothing here waits for them. */
    const char *extra = "[policy]\nack_minutes_p0 = 15\nack_minutes_p1 = 30\nwork_hours = 00:00-24:00\n"
                        "work_days = 1-7\n"
                        "[county 示例县]\nduty_contact = " DUTY "\n";
    return gwp_init(&G, extra, 1);
}

static int teardown(void **state)
{
    (void)state;
    gwp_cleanup(&G);
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

/* Sends an SMS through `gateway sms`; returns its printed answer (owned). */
static char *sms(const char *from, const char *text)
{
    const char *args[] = {"sms", "-c", G.cfg, "--from", from, text, NULL};
    char *out = NULL, *err = NULL;
    int rc = gwp_run(args, &out, &err);
    if (rc != 0) fail_msg("sms from %s '%s': %d %s", from, text, rc, err ? err : "");
    free(err);
    return out;
}

static int64_t alerts(const char *number, const char *to, const char *tmpl, const char *key_like)
{
    return db_int(G.db, "SELECT count(*) FROM outbox O JOIN cases C ON C.id = O.case_id WHERE C.number = %Q AND "
                        "O.recipient = %Q AND O.kind = 'alert' AND O.template = %Q AND O.dedupe_key LIKE %Q",
                  number, to, tmpl, key_like);
}

static void unclassified_is_alerted_classified_and_routed(void **state)
{
    (void)state;
    at(0);
    free(sms(STRANGER, "请问孩子上学的补助找谁申请"));
    char *n = db_text(G.db, "SELECT number FROM cases ORDER BY id DESC LIMIT 1");
    assert_non_null(n);
    assert_int_equal(db_int(G.db, "SELECT classified + inferred FROM cases WHERE number = %Q", n), 0);

    /* At once: the county's civil-affairs responders, nobody else. */
    char like[64];
    snprintf(like, sizeof like, "alert:%s:%%:0", n);
    assert_int_equal(alerts(n, CIVIL1, "triage_alert", like), 1);
    assert_int_equal(alerts(n, CIVIL2, "triage_alert", like), 1);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox O JOIN cases C ON C.id = O.case_id WHERE C.number = "
                                  "%Q AND O.kind = 'alert'", n),
                     2);
    char *body = db_text(G.db, "SELECT body FROM outbox WHERE recipient = '" CIVIL1 "' AND template = 'triage_alert'");
    assert_non_null(strstr(body, n));
    assert_non_null(strstr(body, "FL "));
    assert_null(strstr(body, "补助")); /* never the description */
    free(body);

    /* Nobody acknowledged within P1's 30 minutes: again, with the duty contact. */
    at(31 * MIN);
    snprintf(like, sizeof like, "realert:%s:1:%%", n);
    assert_int_equal(alerts(n, CIVIL1, "triage_alert", like), 1);
    assert_int_equal(alerts(n, DUTY, "triage_alert", like), 1);

    /* Triage classifies it: 6, drowning or immediate danger (P0, police and civil affairs). */
    char fl[64];
    snprintf(fl, sizeof fl, "分类 %s 6", n);
    char *out = sms(CIVIL1, fl);
    assert_non_null(strstr(out, n));
    assert_non_null(strstr(out, "类别6"));
    free(out);
    assert_int_equal(db_int(G.db, "SELECT (category = 6 AND classified = 1 AND priority = 0 AND status = 'open') FROM "
                                  "cases WHERE number = %Q", n),
                     1);
    snprintf(like, sizeof like, "alert:%s:%%:1", n);
    assert_int_equal(alerts(n, POLICE1, "case_alert", like), 1);
    assert_int_equal(alerts(n, POLICE2, "case_alert", like), 1);
    assert_int_equal(alerts(n, CIVIL1, "case_alert", like), 1);
    assert_int_equal(alerts(n, EDU1, "case_alert", like), 0);
    /* The triage re-alerts stopped; the routed case has its own deadlines. */
    at(45 * MIN);
    snprintf(like, sizeof like, "realert:%s:2:%%", n);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE dedupe_key LIKE %Q", like), 0);
    at(48 * MIN); /* 17 minutes after FL: P0's first deadline */
    snprintf(like, sizeof like, "realert:%s#1:1:%%", n);
    assert_int_equal(alerts(n, POLICE1, "case_alert", like), 1);

    /* The police officer has one pending alert: a bare QR acknowledges it. */
    out = sms(POLICE1, "QR");
    assert_non_null(strstr(out, n));
    free(out);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM cases WHERE number = %Q AND status = 'acknowledged'", n), 1);
    static const char *const kinds[] = {"opened", "alerted", "realerted", "classified", "acknowledged"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (db_int(G.db, "SELECT count(*) FROM case_event E JOIN cases C ON C.id = E.case_id WHERE C.number = %Q AND "
                         "E.kind = %Q", n, kinds[i]) < 1)
            fail_msg("no '%s' event for case %s", kinds[i], n);
    free(n);
    assert_int_equal(gwp_stop(&G, SIGTERM), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unclassified_is_alerted_classified_and_routed),
    };
    return cmocka_run_group_tests_name("e2e triage", tests, setup, teardown);
}
