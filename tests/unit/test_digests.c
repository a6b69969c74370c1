/* tests/unit/test_digests.c - reminders are digests, capped per recipient
 * and day; the shared visit-due and age-out rules.
 *
 * The rules are tables checked against hand-computed dates. The jobs run
 * through pipeline_run_jobs on a real SQLite file with a moved clock
 * (TZ=Asia/Shanghai, working days Monday to Friday, digests from 08:00,
 * working hours 08:30-17:30), on a village of 40 children with one migrant
 * parent each:
 *   - an ordinary day with all 40 due: one SMS to the director (it was one
 *     per child, 40), every child covered once, nothing again later;
 *   - a 40-day catch-up (the gateway down for 40 days, then one start-up
 *     run): the director gets 2 SMS (it was 80: an overdue reminder per
 *     child and a silent-parent notice per parent);
 *   - the daily cap: what it holds back comes in the next working day's
 *     digest; alerts and re-alerts are never held;
 *   - weekends fold into Monday; two directors of one village are tracked
 *     apart; children past their age are in no reminder.
 * The figures are printed ("FIGURE ...") for the record. The roster is
 * imported and visits, check-ins and cases written through the store port
 * (tests/common/seed.h), never as SQL text.
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
#include "../../core/util.h"
#include "../../handlers/visit_rule.h"
#include "../../db/sqlite.h"
#include "../../gateway/config_load.h"
#include "../../core/message.h"
#include "../../gateway/pipeline.h"
#include "../../handlers/codebook.h"
#include "../../handlers/jobs_int.h"
#include "../common/harness.h"
#include "../common/seed.h"
#include "../common/teststore.h"

#define DIR1 "+8613800000001" /* director, 上湾村 */
#define DIR2 "+8613800000002" /* second director, 上湾村 (some tests) */
#define SUP "+8613800001001"  /* supervisor, 东溪镇 */
#define CIVIL "+8613800002003"
#define NCHILD 40

static char dir[64], dbpath[128];
static struct gw_config *cfg;
static struct store *st;
static int64_t day0;

/* ---- the rules ------------------------------------------------------------------- */

static void day_of(const char *iso, int64_t *d) { assert_int_equal(cal_date_parse(iso, d), 0); }

static void scope_end_rule(void **state)
{
    (void)state;
    static const struct {
        const char *birth, *cats;
        int lb, diff; /* [policy] ages, 0 = default */
        const char *out;
    } rows[] = {
        {"2010-03-02", "left_behind", 0, 0, "2026-03-02"},             /* the 16th birthday */
        {"2010-03-02", "difficulty", 0, 0, "2028-03-02"},              /* the 18th */
        {"2010-03-02", "orphan", 0, 0, "2028-03-02"},                  /* a minor's */
        {"2010-03-02", "unsupported", 0, 0, "2028-03-02"},
        {"2010-03-02", "left_behind|difficulty", 0, 0, "2028-03-02"},  /* both: the later */
        {"2010-03-02", "left_behind|orphan", 0, 0, "2028-03-02"},
        {"2010-03-02", "", 0, 0, "2028-03-02"},                        /* none known: a minor's */
        {"2010-03-02", "left_behind", 17, 0, "2027-03-02"},            /* configured */
        {"2010-03-02", "left_behind|difficulty", 17, 16, "2027-03-02"}, /* the later, whichever it is */
        {"2008-02-29", "left_behind", 0, 0, "2024-02-29"},             /* a leap year's 29 February */
        {"2004-02-29", "difficulty", 0, 0, "2022-03-01"},              /* ... in a common year: 1 March */
        {"2008-12-31", "left_behind", 0, 0, "2024-12-31"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct gw_policy pol = {.age_left_behind = rows[i].lb, .age_difficulty = rows[i].diff};
        int64_t want;
        day_of(rows[i].out, &want);
        int64_t got = child_scope_end(&pol, rows[i].birth, rows[i].cats);
        if (got != want) fail_msg("row %zu: %s %s: %lld, expected %s", i, rows[i].birth, rows[i].cats, (long long)got,
                                  rows[i].out);
    }
    assert_int_equal(child_scope_end(NULL, "2010-03-02", "left_behind"), cal_civil_day(2026, 3, 2));
    assert_true(child_scope_end(NULL, "2010-02-30", "left_behind") == INT64_MAX); /* not a date: never out */
    assert_true(child_scope_end(NULL, NULL, "left_behind") == INT64_MAX);
}

static void visit_due_rule(void **state)
{
    (void)state;
    struct gw_policy pol = {.visit_days = 30, .visit_days_high = 14, .first_visit_days = 5, .work_days = 0x1F};
    int64_t last, reg, want;
    day_of("2026-03-02", &last);
    day_of("2026-04-01", &want);
    assert_int_equal(visit_due_day(&pol, 0, last, CAL_NO_DAY), want);
    day_of("2026-03-16", &want);
    assert_int_equal(visit_due_day(&pol, 1, last, CAL_NO_DAY), want); /* high cadence */
    day_of("2026-03-05", &reg);                                           /* a Thursday */
    day_of("2026-03-12", &want);                                          /* 5 working days later */
    assert_int_equal(visit_due_day(&pol, 0, CAL_NO_DAY, reg), want);
    pol.first_visit_days = 0;
    day_of("2026-04-04", &want);
    assert_int_equal(visit_due_day(&pol, 0, CAL_NO_DAY, reg), want);
    assert_true(visit_due_day(&pol, 0, CAL_NO_DAY, CAL_NO_DAY) == CAL_NO_DAY);
}

/* ---- a village of forty --------------------------------------------------------- */

static int64_t at(int d, int hh, int mm) { return cal_local_midnight(day0 + d) + hh * 3600 + mm * 60; }

/* The 7-digit code of child i (0-999): 200, i in three digits, the check digit. */
static void code_of(int i, char *code)
{
    char six[16];
    snprintf(six, sizeof six, "200%03d", i % 1000);
    memcpy(code, six, 6);
    code[6] = cb_damm_digit(code, 6);
    code[7] = '\0';
}

#define VILLAGE "示例县/东溪镇/上湾村"

/* The phone of child i's migrant parent. */
static void parent_of(int i, char *phone) { snprintf(phone, 24, "+86139000%05d", i); }

/* Imports the NCHILD children (an upsert: a second import changes them),
 * born 2016-01-01 and left-behind, except children 0 .. nbirth-1 born on
 * birth; child 0's categories are cats0 when not NULL. As of `now`. */
static void import_children(int nbirth, const char *birth, const char *cats0, int64_t now)
{
    struct gw_buf csv = {0};
    gw_buf_puts(&csv, "code,name,sex,birth_date,region,categories,flags\n");
    for (int i = 0; i < NCHILD; i++) {
        char code[8];
        code_of(i, code);
        gw_buf_printf(&csv, "%s,童,M,%s," VILLAGE ",%s,\n", code, i < nbirth ? birth : "2016-01-01",
                      i == 0 && cats0 ? cats0 : "left_behind");
    }
    seed_roster(st, "children", gw_buf_cstr(&csv), now);
    gw_buf_free(&csv);
}

/* A fresh database: 上湾村 with its director, a supervisor, a civil-affairs
 * responder, and NCHILD left-behind children born 2016, each with one
 * migrant parent; day 0 is `start`. extra is appended to [policy]. */
static void open_db(const char *start, const char *extra)
{
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    assert_int_equal(cal_date_parse(start, &day0), 0);
    snprintf(dir, sizeof dir, "/tmp/gw-digests-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char ini[160];
    snprintf(ini, sizeof ini, "%s/gw.ini", dir);
    char file[sizeof dbpath];
    snprintf(file, sizeof file, "%s/gw.db", dir);
    seed_store_where(dbpath, file);
    FILE *f = fopen(ini, "w");
    assert_non_null(f);
    seed_store_ini(f, dbpath);
    fprintf(f,
            "[policy]\ntimezone = Asia/Shanghai\nwork_hours = 08:30-17:30\nwork_days = 1-5\ndigest_time = 08:00\n"
            "default_region = 示例县\n%s\n"
            "[channel gen]\nprovider = generic\nsecret = s\ndefault = yes\n",
            extra ? extra : "");
    fclose(f);
    char err[256];
    if (gw_config_load(ini, &cfg, err, sizeof err) != 0) fail_msg("config: %s", err);
    assert_int_equal(seed_store_open(dbpath, 1, &st, err, sizeof err), 0);
    assert_int_equal(store_migrate(st, NULL, NULL, err, sizeof err), 0);
    int64_t old = at(-100, 9, 0);
    seed_roster(st, "regions", "path\n" VILLAGE "\n", old);
    seed_roster(st, "staff",
                "phone,name,role,region,department\n" DIR1 ",甲,director," VILLAGE ",\n" SUP
                ",乙,supervisor,示例县/东溪镇,\n" CIVIL ",丙,responder,示例县,civil_affairs\n",
                old);
    import_children(-1, NULL, NULL, old);
    struct gw_buf csv = {0};
    gw_buf_puts(&csv, "phone,name,relation,child_code,away\n");
    for (int i = 0; i < NCHILD; i++) {
        char code[8], phone[24];
        code_of(i, code);
        parent_of(i, phone);
        gw_buf_printf(&csv, "%s,家长,母亲,%s,1\n", phone, code);
    }
    seed_roster(st, "guardians", gw_buf_cstr(&csv), old);
    gw_buf_free(&csv);
}

static void close_db(void)
{
    store_close(st);
    seed_store_drop(dbpath);
    gw_config_free(cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Children first .. last (0-based, inclusive) visited by DIR1 on the date
 * of day `on`, recorded at noon of day d. */
static void visited_dated(int first, int last, int on, int d)
{
    char date[11];
    cal_date_iso(day0 + on, date, sizeof date);
    assert_int_equal(store_begin(st), 0);
    for (int i = first; i <= last; i++) {
        char code[8];
        code_of(i, code);
        seed_visit(st, code, DIR1, date, 1, NULL, at(d, 12, 0));
    }
    assert_int_equal(store_commit(st), 0);
}

/* Children first .. last (0-based, inclusive) visited on day d. */
static void visited(int d, int first, int last) { visited_dated(first, last, d, d); }

/* Every child's migrant parent checked in at noon on day d. */
static void checked_in(int d)
{
    assert_int_equal(store_begin(st), 0);
    for (int i = 0; i < NCHILD; i++) {
        char code[8], phone[24];
        code_of(i, code);
        parent_of(i, phone);
        seed_checkin(st, phone, code, 1, at(d, 12, 0));
    }
    assert_int_equal(store_commit(st), 0);
}

/* A case of category, classified and priority (department civil affairs,
 * as the county's routing gives 9 and 2) at region path `where` of 示例县,
 * opened at `when` and alerted then ('alerted' event with detail), as the
 * domain leaves a case it opened and alerted (the alert SMS aside). */
static void alerted_case(int category, int classified, int priority, const char *where, const char *detail,
                         int64_t when)
{
    static const char *const depts[] = {"civil_affairs"};
    struct db_case_new c = {.category = category,
                            .classified = classified,
                            .priority = priority,
                            .depts = depts,
                            .ndepts = 1,
                            .county_id = seed_region_id(st, "示例县"),
                            .region_id = seed_region_id(st, where)};
    int64_t id = seed_case(st, &c, when, NULL);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(db_case_event(st, id, "alerted", 0, detail, when), 0);
    assert_int_equal(store_commit(st), 0);
}

/* The run at `t`, twice: the second writes nothing. */
static void run_at(int64_t t)
{
    size_t again = 0;
    assert_int_equal(pipeline_run_jobs(st, cfg, t, NULL), 0);
    assert_int_equal(pipeline_run_jobs(st, cfg, t, &again), 0);
    assert_int_equal(again, 0);
}

static void day_ticks(int d)
{
    static const int minutes[] = {30, 8 * 60 + 10, 12 * 60 + 30, 20 * 60};
    for (size_t i = 0; i < sizeof minutes / sizeof minutes[0]; i++) run_at(at(d, 0, minutes[i]));
}

/* Rows written to phone on day d, of a template (NULL: any). */
static int64_t rows_on(const char *phone, int d, const char *tmpl)
{
    return tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE recipient = %Q AND created_at >= %lld AND "
                          "created_at < %lld AND (%Q IS NULL OR template = %Q)",
                  phone, (long long)at(d, 0, 0), (long long)at(d + 1, 0, 0), tmpl, tmpl);
}

static char *vars_of(const char *phone, const char *tmpl)
{
    return tdb_text(dbpath, "SELECT vars FROM outbox WHERE recipient = %Q AND template = %Q ORDER BY id DESC LIMIT 1",
                   phone, tmpl);
}

/* ---- the digests -------------------------------------------------------------------- */

static void an_ordinary_day_is_one_sms(void **state)
{
    (void)state;
    open_db("2026-03-02", NULL); /* a Monday */
    visited(-30, 0, NCHILD - 1);          /* all 40 due today */
    checked_in(-1);
    day_ticks(0);
    int64_t n = rows_on(DIR1, 0, NULL);
    fprintf(stderr, "FIGURE a director with %d children due: %lld SMS that day (per-child reminders: %d)\n", NCHILD,
            (long long)n, NCHILD);
    assert_int_equal(n, 1);
    char *v = vars_of(DIR1, "visit_digest_more");
    assert_non_null(v);
    assert_string_equal(v, "{\"count\":\"40\",\"late\":\"0\",\"list\":\"2000004、2000012、2000020\"}");
    free(v);
    /* It waits for working hours; every child is covered once. */
    assert_int_equal(tdb_int(dbpath, "SELECT next_attempt_at FROM outbox WHERE template = 'visit_digest_more'"),
                     at(0, 8, 30));
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM digest_item WHERE key LIKE 'visit\\_due:%%:2026-03-02:" DIR1
                                    "' ESCAPE '\\' AND digest = 'visit_digest:" DIR1 ":2026-03-02'"),
                     NCHILD);
    /* The body fits one SMS. */
    char *body = tdb_text(dbpath, "SELECT body FROM outbox WHERE template = 'visit_digest_more'");
    assert_non_null(strstr(body, "CX 待访"));
    free(body);
    /* Nothing new until they are overdue: then one digest again, naming them overdue. */
    for (int d = 1; d < 7; d++) day_ticks(d);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE recipient = '" DIR1 "'"), 1);
    visited(5, 0, 9); /* ten visited on day 5 (2000004 ... 2000099) */
    day_ticks(7);
    assert_int_equal(rows_on(DIR1, 7, NULL), 1);
    v = vars_of(DIR1, "visit_digest_more");
    assert_non_null(v);
    assert_string_equal(v, "{\"count\":\"30\",\"late\":\"30\",\"list\":\"2000103、2000116、2000127\"}");
    free(v);
    /* The supervisor's digest is its own, once a day. */
    assert_int_equal(rows_on(SUP, 7, "supervisor_digest"), 0); /* 7 days late is not more than 7 */
    day_ticks(8);
    assert_int_equal(rows_on(SUP, 8, "supervisor_digest"), 1);
    assert_int_equal(rows_on(DIR1, 8, NULL), 0);
    close_db();
}

static void a_small_digest_lists_every_code(void **state)
{
    (void)state;
    open_db("2026-03-02", NULL);
    /* two of them (2000004, 2000012) were last seen 30 days ago, on 2026-01-31 */
    visited_dated(0, 1, -30, -10);
    visited(-10, 2, NCHILD - 1);
    checked_in(-1);
    day_ticks(0);
    char *v = vars_of(DIR1, "visit_digest");
    assert_non_null(v);
    assert_string_equal(v, "{\"count\":\"2\",\"late\":\"0\",\"list\":\"2000004、2000012\"}");
    free(v);
    char *body = tdb_text(dbpath, "SELECT body FROM outbox WHERE template = 'visit_digest'");
    assert_string_equal(body, "走访提醒：2名儿童应走访，其中逾期0名：2000004、2000012。走访后请发：ZF 编号 结果");
    free(body);
    close_db();
}

static void a_forty_day_catch_up_is_a_handful(void **state)
{
    (void)state;
    open_db("2026-03-04", NULL); /* a Wednesday */
    visited(0, 0, NCHILD - 1);
    checked_in(0);
    day_ticks(0);
    /* Down on days 1-40; the start-up run at 09:00 on day 41 (a Tuesday), then the day's ticks. */
    run_at(at(41, 9, 0));
    run_at(at(41, 12, 30));
    run_at(at(41, 20, 0));
    int64_t n = rows_on(DIR1, 41, NULL);
    fprintf(stderr, "FIGURE a 40-day catch-up: %lld SMS to the director (per-child reminders and notices: 80)\n",
            (long long)n);
    assert_int_equal(n, 2);
    char *v = vars_of(DIR1, "visit_digest_more");
    assert_string_equal(v, "{\"count\":\"40\",\"late\":\"40\",\"list\":\"2000004、2000012、2000020\"}");
    free(v);
    v = vars_of(DIR1, "checkin_silent_digest");
    assert_string_equal(v, "{\"count\":\"40\",\"days\":\"14\",\"list\":\"2000004、2000012、2000020等\"}");
    free(v);
    /* Each parent one reminder, the supervisor one digest. */
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE template = 'checkin_reminder'"), NCHILD);
    assert_int_equal(tdb_int(dbpath, "SELECT count(DISTINCT recipient) FROM outbox WHERE template = "
                                    "'checkin_reminder'"),
                     NCHILD);
    assert_int_equal(rows_on(SUP, 41, NULL), 1);
    /* And the next day, nothing again. */
    day_ticks(42);
    assert_int_equal(rows_on(DIR1, 42, NULL), 0);
    close_db();
}

/* daily_cap = 1: the silent-parent digest waits for the next working day,
 * and takes along what fell due meanwhile; re-alerts are never held. */
static void the_cap_folds_into_the_next_digest(void **state)
{
    (void)state;
    open_db("2026-03-04", "daily_cap = 1");
    visited(0, 0, NCHILD - 1);
    checked_in(0);
    day_ticks(0);
    run_at(at(41, 9, 0)); /* Tuesday */
    assert_int_equal(rows_on(DIR1, 41, NULL), 1);
    assert_int_equal(rows_on(DIR1, 41, "visit_digest_more"), 1);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM digest_item WHERE key LIKE 'checkin\\_silent:%%' ESCAPE "
                                    "'\\'"),
                     0);
    day_ticks(41);
    assert_int_equal(rows_on(DIR1, 41, NULL), 1);
    /* Wednesday: the held notice comes, and only it. */
    day_ticks(42);
    assert_int_equal(rows_on(DIR1, 42, NULL), 1);
    assert_int_equal(rows_on(DIR1, 42, "checkin_silent_digest"), 1);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM digest_item WHERE key LIKE 'checkin\\_silent:%%' ESCAPE "
                                    "'\\' AND digest = 'silent_digest:" DIR1 ":2026-04-15'"),
                     NCHILD);

    /* A triage responder who had their one notice still gets every alert. */
    alerted_case(9, 0, 3, "示例县", "triage count=1", at(42, 6, 0)); /* 2604150001, waits for triage */
    alerted_case(2, 1, 1, VILLAGE, "count=1", at(42, 6, 0));           /* 2604150002, P1 */
    run_at(at(42, 8, 5));
    assert_int_equal(rows_on(CIVIL, 42, "triage_digest"), 1);
    run_at(at(42, 9, 0)); /* past both P1 deadlines of both */
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE recipient = '" CIVIL "' AND kind = 'alert'"),
                     2);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE recipient = '" CIVIL "' AND template = "
                                    "'triage_alert' AND dedupe_key = 'realert:2604150001:2:" CIVIL "'"),
                     1);
    close_db();
}

/* Due on a Saturday: in Monday's digest; nothing is built at the weekend. */
static void weekends_fold_into_monday(void **state)
{
    (void)state;
    open_db("2026-03-02", NULL);
    /* ten children (20000..) due on day 5, a Saturday: last seen on 2026-02-05 */
    visited_dated(0, 9, -25, -10);
    visited(-10, 10, NCHILD - 1);
    checked_in(4);
    for (int d = 0; d < 7; d++) day_ticks(d);
    assert_int_equal(rows_on(DIR1, 5, NULL) + rows_on(DIR1, 6, NULL), 0);
    assert_int_equal(rows_on(DIR1, 7, NULL), 0); /* Monday: its ticks have not run yet */
    day_ticks(7);
    assert_int_equal(rows_on(DIR1, 7, NULL), 1);
    char *v = vars_of(DIR1, "visit_digest_more");
    assert_string_equal(v, "{\"count\":\"10\",\"late\":\"0\",\"list\":\"2000004、2000012、2000020\"}");
    free(v);
    close_db();
}

/* Two directors of one village: the one whose cap is spent gets the
 * children the next working day; the other is not told twice. */
static void directors_are_tracked_apart(void **state)
{
    (void)state;
    open_db("2026-03-02", "daily_cap = 1");
    /* The second director is also a migrant parent, silent for 8 days
     * (registered then, never checked in: checked_in covers the NCHILD
     * parents only): their reminder at 00:30 spends their cap before the
     * 08:10 digest. */
    seed_roster(st, "staff", "phone,name,role,region,department\n" DIR2 ",丁,director," VILLAGE ",\n", at(-100, 9, 0));
    seed_roster(st, "guardians", "phone,name,relation,child_code,away\n" DIR2 ",丁,叔叔,2000004,1\n", at(-8, 9, 0));
    visited(-30, 0, NCHILD - 1);
    checked_in(-1);
    day_ticks(0);
    assert_int_equal(rows_on(DIR1, 0, "visit_digest_more"), 1);
    assert_int_equal(rows_on(DIR2, 0, "checkin_reminder"), 1);
    assert_int_equal(rows_on(DIR2, 0, "visit_digest_more"), 0);
    day_ticks(1);
    assert_int_equal(rows_on(DIR1, 1, NULL), 0);
    assert_int_equal(rows_on(DIR2, 1, "visit_digest_more"), 1);
    char *v = vars_of(DIR2, "visit_digest_more");
    assert_string_equal(v, "{\"count\":\"40\",\"late\":\"0\",\"list\":\"2000004、2000012、2000020\"}");
    free(v);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM digest_item WHERE recipient = '" DIR2 "'"), NCHILD);
    day_ticks(2);
    assert_int_equal(rows_on(DIR1, 2, NULL) + rows_on(DIR2, 2, NULL), 0);
    close_db();
}

/* A child past its age is in no reminder, and a parent of only such
 * children is reminded of nothing. */
static void aged_out_children_are_not_reminded(void **state)
{
    (void)state;
    open_db("2026-03-02", NULL);
    /* Ten children (20000..) are 16 (left-behind only): out since their
     * birthday. One of them (2000004) is also in difficulty: in scope until
     * 18. The county re-imports its children with these rows. */
    import_children(10, "2010-03-01", "left_behind|difficulty", at(-100, 9, 0));
    visited(-30, 0, NCHILD - 1);
    day_ticks(0);
    char *v = vars_of(DIR1, "visit_digest_more");
    assert_string_equal(v, "{\"count\":\"31\",\"late\":\"0\",\"list\":\"2000004、2000103、2000116\"}");
    free(v);
    /* The parents never checked in: reminders to the 31 only, the notice names the 31. */
    day_ticks(15);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE template = 'checkin_reminder'"), 31);
    v = vars_of(DIR1, "checkin_silent_digest");
    assert_string_equal(v, "{\"count\":\"31\",\"days\":\"14\",\"list\":\"2000004、2000103、2000116等\"}");
    free(v);
    close_db();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scope_end_rule),
        cmocka_unit_test(visit_due_rule),
        cmocka_unit_test(an_ordinary_day_is_one_sms),
        cmocka_unit_test(a_small_digest_lists_every_code),
        cmocka_unit_test(a_forty_day_catch_up_is_a_handful),
        cmocka_unit_test(the_cap_folds_into_the_next_digest),
        cmocka_unit_test(weekends_fold_into_monday),
        cmocka_unit_test(directors_are_tracked_apart),
        cmocka_unit_test(aged_out_children_are_not_reminded),
    };
    return cmocka_run_group_tests_name("digests", tests, NULL, NULL);
}
