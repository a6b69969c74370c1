/* tests/unit/test_triage.c - nothing waits for a digest: an unclassified
 * case alerts the county's civil-affairs triage at once and is re-alerted
 * on P1's deadlines; triage classifies it by SMS (FL), and it is routed
 * and alerted as if it had been coded, with fresh deadlines; a responder's
 * QR without a number acknowledges their one pending alert or lists
 * several; an inferred P0 case may be acknowledged by every department a
 * P0 could concern.
 *
 * Messages go through pipeline_batch like any webhook's, the timed jobs
 * through pipeline_run_jobs, on a real SQLite file with a fixed clock
 * (Tuesday 3 March 2026, TZ=Asia/Shanghai). The roster is imported as a
 * county imports it (tests/common/seed.h).
 */
#include <setjmp.h>
#include "../../core/calendar.h"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../core/store.h"
#include "../../db/sqlite.h"
#include "../../gateway/config_load.h"
#include "../../core/message.h"
#include "../../gateway/pipeline.h"
#include "../../handlers/jobs_int.h"
#include "../common/harness.h"
#include "../common/seed.h"
#include "../common/teststore.h"

#define DIR1 "+8613800000001"   /* director, 上湾村 */
#define POLICE "+8613800002001" /* 示例县 responders */
#define CIVIL "+8613800002003"
#define EDU "+8613800002005"
#define HEALTH "+8613800002007"
#define ADMIN "+8613800003001"
#define CIVIL2 "+8613800004003" /* civil affairs of 邻县 */
#define DUTY "+8613900009001"   /* [county 示例县] duty_contact */
#define CITY "+8613900009002"   /* [county 示例县] city_contact */
#define PUB "+8613700000001"
#define CHILD "1000015" /* 上湾村 */

static char dir[64], dbpath[128];
static struct gw_config *cfg;
static struct store *st;
static int64_t t0; /* Tuesday 2026-03-03 10:00 local */

/* Imports the staff roster row of the county's civil-affairs responder
 * with department dept (an upsert: the import is how a department changes). */
static void civil_department(const char *dept)
{
    char csv[160];
    snprintf(csv, sizeof csv, "phone,name,role,region,department\n" CIVIL ",丙,responder,示例县,%s\n", dept);
    seed_roster(st, "staff", csv, t0);
}

static int setup(void **state)
{
    (void)state;
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    int64_t day;
    if (cal_date_parse("2026-03-03", &day) != 0) return -1;
    t0 = cal_local_midnight(day) + 10 * 3600;
    snprintf(dir, sizeof dir, "/tmp/gw-triage-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    char ini[160];
    snprintf(ini, sizeof ini, "%s/gw.ini", dir);
    char file[sizeof dbpath];
    snprintf(file, sizeof file, "%s/gw.db", dir);
    seed_store_where(dbpath, file);
    FILE *f = fopen(ini, "w");
    if (!f) return -1;
    /* Abduction goes to the police only here, drowning also to education:
     * so an inferred P0 shows whom the widened acknowledgement adds. */
    seed_store_ini(f, dbpath);
    fprintf(f,
            "[policy]\ntimezone = Asia/Shanghai\nack_minutes_p0 = 15\nack_minutes_p1 = 30\nwork_hours = 08:30-17:30\n"
            "work_days = 1-5\ndefault_region = 示例县\n"
            "[routing 示例县]\ncategory_4 = P0 公安\ncategory_6 = P0 公安 民政 教育\n"
            "[county 示例县]\nduty_contact = %s\ncity_contact = %s\n"
            "[channel gen]\nprovider = generic\nsecret = s\ndefault = yes\n",
            DUTY, CITY);
    fclose(f);
    char err[256];
    if (gw_config_load(ini, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "config: %s\n", err);
        return -1;
    }
    if (seed_store_open(dbpath, 1, &st, err, sizeof err) != 0) return -1;
    if (store_migrate(st, NULL, NULL, err, sizeof err) != 0) return -1;
    /* The roster as a county imports it, long before the clock's day. */
    int64_t old = t0 - 100 * 86400;
    seed_roster(st, "regions", "path\n示例县/东溪镇/上湾村\n邻县\n", old);
    seed_roster(st, "staff",
                "phone,name,role,region,department\n" DIR1 ",甲,director,示例县/东溪镇/上湾村,\n" POLICE
                ",乙,responder,示例县,police\n" CIVIL ",丙,responder,示例县,civil_affairs\n" EDU
                ",丁,responder,示例县,education\n" HEALTH ",戊,responder,示例县,health\n" ADMIN
                ",己,admin,示例县,\n" CIVIL2 ",庚,responder,邻县,civil_affairs\n",
                old);
    seed_roster(st, "children",
                "code,name,sex,birth_date,region,categories,flags\n" CHILD
                ",小甲,M,2016-05-01,示例县/东溪镇/上湾村,left_behind,\n",
                old);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_close(st);
    seed_store_drop(dbpath);
    gw_config_free(cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* One SMS through the webhook path at t; returns the template of the
 * sender's answer (static buffer). */
static const char *sms(const char *from, const char *text, int64_t t)
{
    static int seq;
    static char tmpl[64];
    char id[32];
    snprintf(id, sizeof id, "tri-%d", ++seq);
    struct pipeline_job job = {0};
    struct gw_msg *m = gw_msgv_push(&job.msgs);
    m->channel = strdup("gen");
    m->provider_id = strdup(id);
    m->from = strdup(from);
    m->text = strdup(text);
    m->received_at = t;
    struct pipeline_job *jobs[] = {&job};
    if (pipeline_batch(st, cfg, jobs, 1, t) != 0 || !job.ok) fail_msg("message '%s' from %s not stored", text, from);
    pipeline_job_clear(&job);
    char *v = tdb_text(dbpath, "SELECT template FROM outbox WHERE recipient = %Q AND kind = 'reply' ORDER BY id DESC "
                              "LIMIT 1", from);
    snprintf(tmpl, sizeof tmpl, "%s", v ? v : "");
    free(v);
    return tmpl;
}

static void jobs_at(int64_t t) { assert_int_equal(pipeline_run_jobs(st, cfg, t, NULL), 0); }

static char *last_case(void) { return tdb_text(dbpath, "SELECT number FROM cases ORDER BY id DESC LIMIT 1"); }

static int64_t alerts(const char *number, const char *to, const char *key_like)
{
    return tdb_int(dbpath, "SELECT count(*) FROM outbox O JOIN cases C ON C.id = O.case_id WHERE C.number = %Q AND "
                          "O.recipient = %Q AND O.kind = 'alert' AND O.dedupe_key LIKE %Q",
                  number, to, key_like);
}

static char *last_reply_body(const char *to)
{
    return tdb_text(dbpath, "SELECT body FROM outbox WHERE recipient = %Q AND kind = 'reply' ORDER BY id DESC LIMIT 1",
                   to);
}

/* ---- the triage path ---------------------------------------------------------------- */

static void unclassified_alerts_triage_then_fl_routes_it(void **state)
{
    (void)state;
    /* Free text with no danger words from a stranger: unclassified. */
    assert_string_equal(sms(PUB, "请问村里留守儿童的补助找谁申请", t0), "unknown_case_opened");
    char *n = last_case();
    assert_int_equal(tdb_int(dbpath, "SELECT classified + inferred FROM cases WHERE number = %Q", n), 0);
    /* At once, to civil affairs of the county only: no category, no description. */
    char like[64];
    snprintf(like, sizeof like, "alert:%s:%%:0", n);
    assert_int_equal(alerts(n, CIVIL, like), 1);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE kind = 'alert'"), 1);
    char *body = tdb_text(dbpath, "SELECT body FROM outbox WHERE kind = 'alert' AND recipient = '" CIVIL "'");
    char want[160];
    snprintf(want, sizeof want, "待分类案件%s，地点示例县。请尽快核实，分类请回复：FL %s 类别", n, n);
    assert_string_equal(body, want);
    free(body);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM case_event E JOIN cases C ON C.id = E.case_id WHERE "
                                    "C.number = %Q AND E.kind = 'alerted' AND E.detail = 'triage count=1'", n),
                     1);

    /* P1's deadlines: 30 minutes, then 60. */
    jobs_at(t0 + 29 * 60);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE dedupe_key LIKE 'realert:%%'"), 0);
    jobs_at(t0 + 31 * 60);
    snprintf(like, sizeof like, "realert:%s:1:%%", n);
    assert_int_equal(alerts(n, CIVIL, like), 1);
    assert_int_equal(alerts(n, DUTY, like), 1);
    assert_int_equal(alerts(n, POLICE, like), 0);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE dedupe_key LIKE %Q AND template <> "
                                    "'triage_alert'", like),
                     0);
    jobs_at(t0 + 61 * 60);
    snprintf(like, sizeof like, "realert:%s:2:%%", n);
    assert_int_equal(alerts(n, CITY, like), 1);

    /* Who may classify: civil affairs of the county and admins. */
    char fl[64];
    snprintf(fl, sizeof fl, "FL %s 4", n);
    assert_string_equal(sms(POLICE, fl, t0 + 62 * 60), "classify_not_triage");
    assert_string_equal(sms(DIR1, fl, t0 + 62 * 60), "classify_not_triage");
    assert_string_equal(sms(CIVIL2, fl, t0 + 62 * 60), "case_not_allowed"); /* another county's */
    assert_string_equal(sms(CIVIL, "FL 2603039999 4", t0 + 62 * 60), "case_not_allowed");
    snprintf(fl, sizeof fl, "FL %s 0", n);
    assert_string_equal(sms(CIVIL, fl, t0 + 62 * 60), "classify_category_bad");
    assert_string_equal(sms(CIVIL, "FL", t0 + 62 * 60), "case_missing");
    assert_int_equal(tdb_int(dbpath, "SELECT classified FROM cases WHERE number = %Q", n), 0);

    /* Classified as 4 (missing; P0, the police only here): routed and
     * alerted as if coded; the reply names the number and the digit only. */
    int64_t t1 = t0 + 70 * 60;
    snprintf(fl, sizeof fl, "分类 %s 4", n);
    assert_string_equal(sms(CIVIL, fl, t1), "classify_ok");
    body = last_reply_body(CIVIL);
    snprintf(want, sizeof want, "已将案件%s分类为类别4，并通知相关部门。", n);
    assert_string_equal(body, want);
    free(body);
    assert_int_equal(tdb_int(dbpath, "SELECT (category = 4 AND classified = 1 AND priority = 0 AND status = 'open') FROM "
                                    "cases WHERE number = %Q", n),
                     1);
    char *depts = tdb_text(dbpath, "SELECT group_concat(department) FROM case_dept D JOIN cases C ON C.id = D.case_id "
                                  "WHERE C.number = %Q", n);
    assert_string_equal(depts, "police");
    free(depts);
    snprintf(like, sizeof like, "alert:%s:%%:1", n);
    assert_int_equal(alerts(n, POLICE, like), 1);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE dedupe_key LIKE %Q AND template = 'case_alert' "
                                    "AND body LIKE '%%P0%%类别4%%'", like),
                     1);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM case_event E JOIN cases C ON C.id = E.case_id WHERE "
                                    "C.number = %Q AND E.kind = 'classified' AND E.detail = 'cat=4 P0 from=9 "
                                    "unclassified'", n),
                     1);

    /* Fresh deadlines from the classification, P0's 15 minutes. */
    jobs_at(t1 + 10 * 60);
    snprintf(like, sizeof like, "realert:%s#1:%%", n);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE dedupe_key LIKE %Q", like), 0);
    jobs_at(t1 + 16 * 60);
    snprintf(like, sizeof like, "realert:%s#1:1:%%", n);
    assert_int_equal(alerts(n, POLICE, like), 1);
    assert_int_equal(alerts(n, DUTY, like), 1);
    assert_int_equal(alerts(n, CIVIL, like), 0);

    /* The police officer's one pending alert: QR without a number acknowledges it. */
    assert_string_equal(sms(POLICE, "QR", t1 + 20 * 60), "ack_ok");
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM cases WHERE number = %Q AND status = 'acknowledged'", n), 1);

    /* Re-classified (a correction): open again, routed anew, told again. */
    snprintf(fl, sizeof fl, "FL %s 2", n);
    assert_string_equal(sms(ADMIN, fl, t1 + 30 * 60), "classify_ok");
    assert_int_equal(tdb_int(dbpath, "SELECT (category = 2 AND priority = 1 AND status = 'open' AND acked_at IS NULL) "
                                    "FROM cases WHERE number = %Q", n),
                     1);
    snprintf(like, sizeof like, "alert:%s:%%:2", n);
    assert_int_equal(alerts(n, POLICE, like), 1);
    assert_int_equal(alerts(n, CIVIL, like), 1);
    /* The same category again changes nothing. */
    int64_t before = tdb_int(dbpath, "SELECT count(*) FROM outbox");
    assert_string_equal(sms(CIVIL, fl, t1 + 31 * 60), "classify_ok");
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox"), before + 1);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM case_event E JOIN cases C ON C.id = E.case_id WHERE "
                                    "C.number = %Q AND E.kind = 'classified'", n),
                     2);
    /* A closed case is not classified. */
    char ja[64];
    snprintf(ja, sizeof ja, "JA %s 3", n);
    assert_string_equal(sms(CIVIL, ja, t1 + 40 * 60), "close_ok");
    snprintf(fl, sizeof fl, "FL %s 5", n);
    assert_string_equal(sms(CIVIL, fl, t1 + 41 * 60), "classify_closed");
    free(n);
}

/* A coded P3 case is not alerted to triage (it waits for the digest); no
 * county responder of civil affairs: the county's duty contact is. */
static void p3_waits_and_nobody_means_the_duty_contact(void **state)
{
    (void)state;
    assert_string_equal(sms(PUB, "BG 9 想咨询帮扶政策", t0 + 3 * 3600), "report_ok");
    char *n = last_case();
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox O JOIN cases C ON C.id = O.case_id WHERE C.number = "
                                    "%Q AND O.kind = 'alert'", n),
                     0);
    free(n);
    civil_department("women");
    assert_string_equal(sms("+8613700000002", "请问怎么给孩子办户口", t0 + 3 * 3600 + 60), "unknown_case_opened");
    n = last_case();
    char like[64];
    snprintf(like, sizeof like, "alert:%s:%%:0", n);
    assert_int_equal(alerts(n, DUTY, like), 1);
    assert_int_equal(alerts(n, CIVIL, like), 0);
    civil_department("civil_affairs");
    free(n);
}

/* ---- pending acknowledgements ------------------------------------------------------- */

static void qr_without_a_number_lists_several(void **state)
{
    (void)state;
    int64_t t = t0 + 5 * 3600;
    for (int i = 0; i < 5; i++) {
        char from[32];
        snprintf(from, sizeof from, "+861370000010%d", i); /* five people: no flood, no follow-up */
        assert_string_equal(sms(from, "BG 2 有人打孩子", t + i), "report_ok");
    }
    /* Education was alerted of none: QR without a number is the format error. */
    assert_string_equal(sms(EDU, "QR", t + 10), "case_missing");
    /* Police has five: the reply lists them within one SMS, most urgent and oldest first. */
    assert_string_equal(sms(POLICE, "QR", t + 11), "ack_pending_list");
    char *body = last_reply_body(POLICE);
    assert_non_null(body);
    assert_non_null(strstr(body, "您有5件案件未确认："));
    assert_non_null(strstr(body, "等。"));
    size_t units = 0;
    for (const unsigned char *p = (const unsigned char *)body; *p; p++) units += (*p & 0xC0) != 0x80;
    assert_true(units <= 70);
    free(body);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM cases WHERE status = 'acknowledged' AND opened_at >= %lld",
                            (long long)t),
                     0);
    /* Acknowledged one by one down to one: then QR takes it. */
    char *nums = tdb_text(dbpath, "SELECT group_concat(number, ' ') FROM (SELECT number FROM cases WHERE opened_at >= "
                                 "%lld ORDER BY id) AS t",
                         (long long)t);
    char qr[32];
    for (int i = 0; i < 4; i++) {
        snprintf(qr, sizeof qr, "QR %.10s", nums + i * 11);
        assert_string_equal(sms(POLICE, qr, t + 20 + i), "ack_ok");
    }
    assert_string_equal(sms(CIVIL, "QR", t + 30), "ack_ok"); /* civil affairs was alerted of the same five */
    char *last = tdb_text(dbpath, "SELECT status FROM cases WHERE number = '%.10s'", nums + 4 * 11);
    assert_string_equal(last, "acknowledged");
    assert_string_equal(sms(POLICE, "QR", t + 31), "case_missing"); /* nothing pending any more */
    free(last);
    free(nums);
}

/* ---- inferred P0: who may acknowledge ------------------------------------------------ */

static void inferred_p0_widens_who_may_acknowledge(void **state)
{
    (void)state;
    int64_t t = t0 + 6 * 3600;
    /* Coded category 4: the police only (this county's routing). */
    assert_string_equal(sms("+8613700000201", "BG 4 孩子被人用车带走了", t), "report_ok_p0");
    char *coded = last_case();
    char qr[32];
    snprintf(qr, sizeof qr, "QR %s", coded);
    assert_string_equal(sms(CIVIL, qr, t + 1), "case_not_allowed");
    assert_string_equal(sms(EDU, qr, t + 2), "case_not_allowed");
    /* The same words without a digit: inferred P0. */
    assert_string_equal(sms("+8613700000202", "BG 孩子被人用车带走了", t + 3), "report_ok_p0");
    char *inf = last_case();
    assert_int_equal(tdb_int(dbpath, "SELECT inferred * 10 + priority FROM cases WHERE number = %Q", inf), 10);
    char *depts = tdb_text(dbpath, "SELECT group_concat(department) FROM case_dept D JOIN cases C ON C.id = D.case_id "
                                  "WHERE C.number = %Q", inf);
    assert_string_equal(depts, "police");
    free(depts);
    /* 民政 always; 教育 because a P0 category (6) goes to it here; 卫健 never. */
    snprintf(qr, sizeof qr, "QR %s", inf);
    assert_string_equal(sms(HEALTH, qr, t + 4), "case_not_allowed");
    snprintf(qr, sizeof qr, "CX %s", inf);
    assert_string_equal(sms(EDU, qr, t + 5), "status_open");
    snprintf(qr, sizeof qr, "QR %s", inf);
    assert_string_equal(sms(EDU, qr, t + 6), "ack_ok");
    snprintf(qr, sizeof qr, "JA %s 1", inf);
    assert_string_equal(sms(CIVIL, qr, t + 7), "close_ok");
    /* Once triage names its category, it is no longer inferred: the widening ends. */
    assert_string_equal(sms("+8613700000203", "BG 孩子被人用车带走了", t + 8), "report_ok_p0");
    char *inf2 = last_case();
    char fl[32];
    snprintf(fl, sizeof fl, "FL %s 4", inf2);
    assert_string_equal(sms(CIVIL, fl, t + 9), "classify_ok");
    assert_int_equal(tdb_int(dbpath, "SELECT inferred FROM cases WHERE number = %Q", inf2), 0);
    snprintf(qr, sizeof qr, "QR %s", inf2);
    assert_string_equal(sms(EDU, qr, t + 10), "case_not_allowed");
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM case_event E JOIN cases C ON C.id = E.case_id WHERE "
                                    "C.number = %Q AND E.kind = 'classified' AND E.detail = 'cat=4 P0 from=4 inferred'",
                            inf2),
                     1);
    free(coded);
    free(inf);
    free(inf2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unclassified_alerts_triage_then_fl_routes_it),
        cmocka_unit_test(p3_waits_and_nobody_means_the_duty_contact),
        cmocka_unit_test(qr_without_a_number_lists_several),
        cmocka_unit_test(inferred_p0_widens_who_may_acknowledge),
    };
    return cmocka_run_group_tests_name("triage", tests, setup, teardown);
}
