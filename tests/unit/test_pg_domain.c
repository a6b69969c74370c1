/* tests/unit/test_pg_domain.c - the PostgreSQL domain operations (db/pg_domain.c)
 * on a real server (GATEWAY_TEST_PG), differentially: one script of every
 * domain operation (regions, staff, children, guardians, visits, check-ins,
 * reporters, cases and their numbers, flood runs, alerts, reminders,
 * supervisors, children's names, opt-outs) runs on a SQLite store and on a
 * PostgreSQL one seeded with the same rows, asserts what it knows, and
 * writes what every operation answered to a trace; the two traces must be
 * the same (and the check-in reminder look-up holds under a linguistic
 * collation too). Then several processes at once: two connections opening cases
 * in parallel never take the same number, and two creating the same
 * reporter at the same moment end with one row. Without a server the script
 * runs on SQLite alone and no server is configured.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include "../../db/pg_int.h"
#include "../../db/store_int.h"
#include "../common/pgtest.h"
#include "../common/seed.h"

/* 2024-03-10 13:53:20 in Asia/Shanghai: case numbers start "240310". */
#define NOW ((int64_t)1710050000)

#define PHONE_DIRECTOR   "+8613800000001"
#define PHONE_POLICE     "+8613800000002"
#define PHONE_HEALTH     "+8613800000003"
#define PHONE_SUP_TOWN   "+8613800000004"
#define PHONE_SUP_COUNTY "+8613800000005"
#define PHONE_POLICE_W   "+8613800000006"
#define PHONE_GUARDIAN   "+8613900000001"
#define PHONE_REPORTER   "+8613700000001"

/* The same rows for both backends, with fixed ids (the operations under
 * test insert none of these). */
static const char SEED_SQL[] =
    "INSERT INTO region(id, parent_id, name, path, level) VALUES (1, NULL, '东县', '东县', 1),"
    " (2, 1, '北镇', '东县/北镇', 2), (3, 2, '甲村', '东县/北镇/甲村', 3), (5, 1, '东县城', '东县城', 1);"
    "INSERT INTO staff(id, phone, name, role, region_id, department, created_at) VALUES"
    " (1, '" PHONE_DIRECTOR "', '张', 'director', 3, NULL, 0),"
    " (2, '" PHONE_POLICE "', '李', 'responder', 1, 'police', 0),"
    " (3, '" PHONE_HEALTH "', '刘', 'responder', 1, 'health', 0),"
    " (4, '" PHONE_SUP_TOWN "', '陈', 'supervisor', 2, NULL, 0),"
    " (5, '" PHONE_SUP_COUNTY "', '杨', 'supervisor', 1, NULL, 0),"
    " (6, '" PHONE_POLICE_W "', '周', 'responder', 5, 'police', 0);"
    "INSERT INTO child(id, code, name, sex, birth_date, region_id, categories, flags, high_cadence, created_at)"
    " VALUES (1, '1000023', '小红', 'F', '2014-05-01', 3, 'left_behind', '', 0, 0),"
    " (2, '1000015', '小明', 'M', '2015-01-01', 3, 'left_behind', 'psych', 0, 0);"
    "INSERT INTO guardian(id, phone, name, created_at) VALUES (1, '" PHONE_GUARDIAN "', '王', 0),"
    " (12, '+8613900000012', '赵', 0);"
    "INSERT INTO guardian_child(guardian_id, child_id, relation, away) VALUES (1, 1, '母亲', 1), (1, 2, '母亲', 0);";

/* Runs sql (several statements) on either backend; fails the test when it fails. */
static void exec_sql(struct store *st, int pg, const char *sql)
{
    if (pg) {
        if (pg_exec(st, sql) != 0) fail_msg("%s: %s", sql, store_errmsg(st));
        return;
    }
    char *msg = NULL;
    if (sqlite3_exec(store_db(st), sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
}

/* What every operation answered, one line each. */
struct trace {
    char text[16384];
    size_t len;
};

static void tr(struct trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tr(struct trace *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->text + t->len, sizeof t->text - t->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof t->text - t->len - 1);
    t->len += (size_t)n;
    t->text[t->len++] = '\n';
    t->text[t->len] = '\0';
}

static void tr_region(struct trace *t, const char *what, int rc, const struct db_region *r)
{
    if (rc == 0)
        tr(t, "%s 0 id=%lld level=%d path=%s county=%lld", what, (long long)r->id, r->level, r->path,
           (long long)r->county_id);
    else
        tr(t, "%s %d", what, rc);
}

static void tr_phones(struct trace *t, const char *what, int n, char (*p)[DB_PHONE_LEN], int max)
{
    char line[512];
    int w = snprintf(line, sizeof line, "%s %d", what, n);
    for (int i = 0; i < n && i < max; i++) w += snprintf(line + w, sizeof line - (size_t)w, " %s", p[i]);
    tr(t, "%s", line);
}

static void tr_case(struct trace *t, struct store *st, const char *number)
{
    struct db_case c;
    int rc = db_case_by_number(st, number, &c);
    if (rc != 0) {
        tr(t, "case %s %d", number, rc);
        return;
    }
    tr(t,
       "case %s id=%lld cat=%d cl=%d pri=%d status=%s child=%lld county=%lld region=%lld reporter=%lld "
       "opened=%lld acked=%lld closed=%lld outcome=%d flood=%lld inferred=%d",
       c.number, (long long)c.id, c.category, c.classified, c.priority, c.status, (long long)c.child_id,
       (long long)c.county_id, (long long)c.region_id, (long long)c.reporter_id, (long long)c.opened_at,
       (long long)c.acked_at, (long long)c.closed_at, c.outcome, (long long)c.flood_of, c.inferred);
}

static void tr_depts(struct trace *t, struct store *st, int64_t case_id)
{
    char d[DB_CASE_MAX_DEPTS][24], line[256];
    int n = db_case_depts(st, case_id, d, DB_CASE_MAX_DEPTS);
    int w = snprintf(line, sizeof line, "depts %d", n);
    for (int i = 0; i < n && i < DB_CASE_MAX_DEPTS; i++) w += snprintf(line + w, sizeof line - (size_t)w, " %s", d[i]);
    tr(t, "%s", line);
}

/* Regions, staff, children, guardians. */
static void people(struct store *st, struct trace *t, int pg)
{
    struct db_region r;
    tr_region(t, "region_by_id 3", db_region_by_id(st, 3, &r), &r);
    assert_int_equal(r.county_id, 1);
    tr_region(t, "region_by_id 99", db_region_by_id(st, 99, &r), &r);
    tr_region(t, "region_by_path", db_region_by_path(st, "东县/北镇", &r), &r);
    tr_region(t, "region_by_path county", db_region_by_path(st, "东县城", &r), &r);
    assert_int_equal(r.county_id, 5);
    assert_int_equal(db_region_by_path(st, "", &r), 1);
    assert_int_equal(db_region_by_path(st, NULL, &r), 1);
    int64_t county = -1;
    assert_int_equal(db_region_only_county(st, &county), 1); /* two counties */
    /* 东县城 starts with 东县 but does not lie under it. */
    assert_int_equal(db_region_under(st, 5, 1), 0);
    char p[4][DB_PHONE_LEN];
    assert_int_equal(db_county_responders(st, 1, "police", p, 4), 1);
    assert_int_equal(db_county_responders(st, 5, "police", p, 4), 1);
    assert_string_equal(p[0], PHONE_POLICE_W);
    exec_sql(st, pg, "UPDATE staff SET region_id = 1 WHERE region_id = 5; DELETE FROM region WHERE id = 5");
    assert_int_equal(db_region_only_county(st, &county), 0);
    assert_int_equal(county, 1);
    tr(t, "region_under %d %d %d", db_region_under(st, 3, 1), db_region_under(st, 1, 3), db_region_under(st, 3, 99));

    struct db_staff s;
    assert_int_equal(db_staff_by_phone(st, PHONE_POLICE, &s), 0);
    tr(t, "staff %lld %s %s", (long long)s.id, s.role, s.department);
    tr_region(t, "staff region", 0, &s.region);
    assert_int_equal(db_staff_by_phone(st, PHONE_DIRECTOR, &s), 0);
    assert_string_equal(s.department, "");
    assert_int_equal(db_staff_by_phone(st, "+8600000000000", &s), 1);

    int n = db_county_responders(st, 1, "police", p, 4);
    tr_phones(t, "responders police", n, p, 4);
    assert_int_equal(n, 2); /* 6 moved into county 1 */
    tr_phones(t, "responders max0", db_county_responders(st, 1, "health", p, 0), p, 0);
    tr_phones(t, "responders none", db_county_responders(st, 1, "women", p, 4), p, 4);
    tr_phones(t, "directors", db_village_directors(st, 3, p, 4), p, 4);

    int64_t gid = 0;
    assert_int_equal(db_guardian_by_phone(st, PHONE_GUARDIAN, &gid), 0);
    assert_int_equal(gid, 1);
    assert_int_equal(db_guardian_by_phone(st, "+8600000000000", &gid), 1);
    struct db_child c;
    assert_int_equal(db_child_by_code(st, "1000015", &c), 0);
    tr(t, "child %lld %s %s %d county=%lld", (long long)c.id, c.code, c.flags, c.high_cadence,
       (long long)c.region.county_id);
    assert_int_equal(db_child_by_code(st, "9999999", &c), 1);
    struct db_child kids[1];
    n = db_guardian_children(st, 1, kids, 1);
    assert_int_equal(n, 2);
    assert_string_equal(kids[0].code, "1000015"); /* by code */
    tr(t, "guardian_children %d %s", n, kids[0].code);
    tr(t, "linked %d %d", db_guardian_linked(st, 1, 2), db_guardian_linked(st, 12, 2));
    char rel[32] = "";
    assert_int_equal(db_guardian_relation(st, 1, 1, rel, sizeof rel), 0);
    assert_string_equal(rel, "母亲");
    assert_int_equal(db_guardian_relation(st, 12, 1, rel, sizeof rel), 1);
    struct db_child_name names[4];
    n = db_guardian_child_names(st, 1, names, 4);
    assert_int_equal(n, 2);
    tr(t, "guardian_child_names %d %s %s %s %s", n, names[0].code, names[0].name, names[1].code, names[1].name);
    n = db_region_child_names(st, 3, names, 1);
    tr(t, "region_child_names %d %s %s", n, names[0].code, names[0].name);
    assert_int_equal(db_region_child_names(st, 2, names, 4), 0);
}

/* Visits, check-ins, reporters, opt-outs. */
static void records(struct store *st, struct trace *t, int pg)
{
    int64_t id = 0;
    struct db_visit v = {.child_id = 2, .staff_id = 1, .visit_date = "2024-03-10", .result = 2};
    assert_int_equal(db_visit_insert(st, &v, NOW, &id), 0);
    assert_true(id > 0);
    v.problems = "XL|QG";
    v.note = "家里没人";
    assert_int_equal(db_visit_insert(st, &v, NOW, NULL), 0);
    tr(t, "visit %lld", (long long)id);
    assert_int_equal(db_child_set_high_cadence(st, 2), 0);
    assert_int_equal(db_child_set_high_cadence(st, 99), 1);
    struct db_child c;
    assert_int_equal(db_child_by_code(st, "1000015", &c), 0);
    assert_int_equal(c.high_cadence, 1);
    struct db_checkin ck = {.guardian_id = 1, .child_id = 1, .status = 3, .return_date = "2024-04-01"};
    assert_int_equal(db_checkin_insert(st, &ck, NOW, &id), 0);
    tr(t, "checkin %lld", (long long)id);

    int64_t rid = 0, again = 0;
    assert_int_equal(db_reporter_by_phone(st, PHONE_REPORTER, &rid), 1);
    assert_int_equal(db_reporter_upsert(st, PHONE_REPORTER, NOW, &rid), 0);
    assert_int_equal(db_reporter_upsert(st, PHONE_REPORTER, NOW + 5, &again), 0);
    assert_int_equal(rid, again);
    assert_int_equal(db_reporter_by_phone(st, PHONE_REPORTER, &again), 0);
    assert_int_equal(rid, again);
    char phone[DB_PHONE_LEN] = "";
    assert_int_equal(db_reporter_phone(st, rid, phone, sizeof phone), 0);
    assert_string_equal(phone, PHONE_REPORTER);
    assert_int_equal(db_reporter_phone(st, rid + 100, phone, sizeof phone), 1);
    tr(t, "reporter %lld", (long long)rid);

    assert_int_equal(db_optout_check(st, PHONE_GUARDIAN), 0);
    assert_int_equal(db_optout_set(st, PHONE_GUARDIAN, "sms", NOW), 0);
    assert_int_equal(db_optout_set(st, PHONE_GUARDIAN, NULL, NOW + 1), 0); /* idempotent */
    assert_int_equal(db_optout_check(st, PHONE_GUARDIAN), 1);
    assert_int_equal(db_optout_clear(st, PHONE_GUARDIAN), 0);
    assert_int_equal(db_optout_clear(st, PHONE_GUARDIAN), 1);
    assert_int_equal(db_optout_check(st, PHONE_GUARDIAN), 0);
    (void)pg;
}

/* Cases: numbers, departments, events, flood runs, alerts, ack, close, classify. */
static void cases(struct store *st, struct trace *t, int pg)
{
    int64_t rid = 0;
    assert_int_equal(db_reporter_by_phone(st, PHONE_REPORTER, &rid), 0);
    const char *const depts[] = {"police", "health", "police"};
    struct db_case_new cn = {.category = 2, .classified = 1, .priority = 1, .depts = depts, .ndepts = 3,
                             .county_id = 1, .region_id = 3, .child_id = 2, .description = "打孩子",
                             .reporter_id = rid, .event_detail = "via=sms"};
    int64_t id1 = 0, id2 = 0, id3 = 0;
    char no1[DB_CASE_NO_MAX + 1], no2[DB_CASE_NO_MAX + 1], no3[DB_CASE_NO_MAX + 1];
    assert_int_equal(db_case_open(st, &cn, NOW, &id1, no1), 0);
    assert_string_equal(no1, "2403100001");
    struct db_case_new cn2 = {.category = 9, .classified = 0, .priority = 0, .depts = depts + 1, .ndepts = 1,
                              .reporter_id = rid, .inferred = 1};
    assert_int_equal(db_case_open(st, &cn2, NOW + 10, &id2, no2), 0);
    assert_string_equal(no2, "2403100002");
    assert_int_equal(db_case_open(st, &cn2, NOW + 86400, &id3, no3), 0);
    assert_string_equal(no3, "2403110001"); /* the next day starts again at 1 */
    cn2.ndepts = 0;
    assert_int_equal(db_case_open(st, &cn2, NOW, &id3, no3), -1);
    tr_case(t, st, no1);
    tr_case(t, st, no2);
    tr_case(t, st, "2403119999");
    tr_depts(t, st, id1);
    char d[1][24];
    assert_int_equal(db_case_depts(st, id1, d, 1), 2);
    assert_string_equal(d[0], "police");
    tr(t, "has_dept %d %d", db_case_has_dept(st, id1, "health"), db_case_has_dept(st, id2, "police"));
    assert_int_equal(db_case_event(st, id1, "status_query", 0, NULL, NOW + 20), 0);

    /* The flood rule's view. */
    struct db_flood f;
    assert_int_equal(db_reporter_flood(st, rid, NOW - 100, &f), 0);
    tr(t, "flood recent=%d first=%lld %s", f.recent, (long long)f.first_id, f.first_number);
    assert_int_equal(f.recent, 3);
    assert_int_equal(db_case_flood_run(st, id2, NOW - 100, &f), 1);
    assert_int_equal(db_case_set_flood(st, id2, id2), 0);
    assert_int_equal(db_case_set_flood(st, 999, id2), 1);
    assert_int_equal(db_reporter_flood(st, rid, NOW - 100, &f), 0);
    assert_int_equal(f.first_id, id2);
    assert_int_equal(db_case_flood_run(st, id2, NOW + 5, &f), 0);
    tr(t, "flood_run recent=%d first=%lld %s", f.recent, (long long)f.first_id, f.first_number);
    assert_int_equal(f.recent, 2);
    assert_string_equal(f.first_number, no2);

    /* Alerts and reminders in the outbox. */
    char sql[2048];
    snprintf(sql, sizeof sql,
             "INSERT INTO outbox(id, recipient, template, body, kind, status, case_id, dedupe_key, created_at, "
             "updated_at, sent_at) VALUES "
             "(1, '%s', 'alert', 'x', 'alert', 'sent', %lld, 'alert:1:a', 1, 1, 1),"
             "(2, '%s', 'alert', 'x', 'alert', 'sent', %lld, 'alert:1:b', 2, 2, 2),"
             "(3, '%s', 'alert', 'x', 'alert', 'queued', %lld, 'alert:1:c', 3, 3, NULL),"
             "(4, '%s', 'alert', 'x', 'alert', 'sent', %lld, 'alert:2:a', 4, 4, 4),"
             "(5, '%s', 'notice', 'x', 'notice', 'sent', %lld, 'notice:1', 5, 5, 5),"
             "(6, '%s', 'remind', 'x', 'reminder', 'sent', NULL, 'checkin_remind:1:2024-03-01', 100, 100, 500),"
             "(7, '%s', 'remind', 'x', 'reminder', 'failed', NULL, 'checkin_remind:1:2024-03-02', 900, 900, NULL),"
             "(8, '+8613900000012', 'remind', 'x', 'reminder', 'queued', NULL, 'checkin_remind:12:2024-03-03', "
             "1000, 1000, NULL)",
             PHONE_HEALTH, (long long)id1, PHONE_POLICE, (long long)id1, PHONE_HEALTH, (long long)id1, PHONE_POLICE,
             (long long)id2, PHONE_DIRECTOR, (long long)id1, PHONE_GUARDIAN, PHONE_GUARDIAN);
    exec_sql(st, pg, sql);
    tr(t, "queued %d %d", db_message_queued(st, "alert:1:b"), db_message_queued(st, "alert:9"));
    char p[4][DB_PHONE_LEN];
    int n = db_case_alerted(st, id1, p, 4);
    tr_phones(t, "alerted", n, p, 4);
    assert_int_equal(n, 2);
    assert_string_equal(p[0], PHONE_HEALTH);
    tr(t, "reminder %d %d %d %d", db_reminder_since(st, 1, 400), db_reminder_since(st, 1, 500),
       db_reminder_since(st, 12, 999), db_reminder_since(st, 12, 1000));
    assert_int_equal(db_reminder_since(st, 1, 400), 1);
    assert_int_equal(db_reminder_since(st, 1, 500), 0); /* the later one failed */
    char un[4][DB_CASE_NO_MAX + 1];
    n = db_phone_unacked_cases(st, PHONE_POLICE, un, 4);
    assert_int_equal(n, 2);
    assert_string_equal(un[0], no2); /* P0 first */
    tr(t, "unacked %d %s %s", n, un[0], un[1]);

    /* Acknowledge, close, classify. */
    assert_int_equal(db_case_ack(st, id1, 2, NOW + 30), 0);
    assert_int_equal(db_case_ack(st, id1, 3, NOW + 31), 1);
    assert_int_equal(db_phone_unacked_cases(st, PHONE_HEALTH, un, 4), 0);
    assert_int_equal(db_case_close(st, id2, 0, 3, NULL, NOW + 40), 0);
    assert_int_equal(db_case_close(st, id2, 2, 4, "again", NOW + 41), 1);
    tr_case(t, st, no1);
    tr_case(t, st, no2);
    const char *const re[] = {"education", "police"};
    int phase = 0;
    assert_int_equal(db_case_classify(st, id1, 3, 0, re, 2, 4, "by=triage", NOW + 50, &phase), 0);
    assert_int_equal(phase, 1);
    assert_int_equal(db_case_classify(st, id1, 4, 1, re + 1, 1, 4, NULL, NOW + 51, &phase), 0);
    assert_int_equal(phase, 2);
    assert_int_equal(db_case_classify(st, id1, 3, 0, re, 2, 4, NULL, NOW + 52, NULL), 0);
    assert_int_equal(db_case_classify(st, id2, 3, 0, re, 2, 4, NULL, NOW + 53, &phase), 1); /* closed */
    assert_int_equal(db_case_classify(st, id1, 3, 0, re, 0, 4, NULL, NOW + 53, &phase), -1);
    tr_case(t, st, no1);
    tr_depts(t, st, id1);
    assert_int_equal(db_case_depts(st, id1, d, 1), 2);
    assert_string_equal(d[0], "education");

    struct db_case oc;
    assert_int_equal(db_reporter_open_case(st, rid, NOW - 100, &oc), 0);
    tr(t, "open_case %s", oc.number);
    assert_int_equal(db_reporter_open_case(st, rid, NOW + 86400, &oc), 1);

    tr_phones(t, "supervisors village", db_region_supervisors(st, 3, p, 4), p, 4);
    tr_phones(t, "supervisors county", db_region_supervisors(st, 1, p, 4), p, 4);
    n = db_region_supervisors(st, 3, p, 4);
    assert_int_equal(n, 1);
    assert_string_equal(p[0], PHONE_SUP_TOWN);
}

/* The whole script on st in one transaction; the trace goes to t. */
static void script(struct store *st, struct trace *t, int pg)
{
    exec_sql(st, pg, SEED_SQL);
    assert_int_equal(store_begin(st), 0);
    people(st, t, pg);
    records(st, t, pg);
    cases(st, t, pg);
    if (store_commit(st) != 0) fail_msg("commit: %s", store_errmsg(st));
}

static struct trace sqlite_trace, pg_trace;

/* Creates a migrated database on the test server; url gets its URL. */
static struct store *pg_new(char *url, size_t len)
{
    char err[256];
    if (pgtest_new_database(url, len, err, sizeof err) != 0) fail_msg("%s", err);
    struct store *st = NULL;
    if (pg_store_open_ops(&pg_store_ops, url, &st, err, sizeof err) != 0) fail_msg("open: %s", err);
    if (store_migrate(st, NULL, NULL, err, sizeof err) != 0) fail_msg("migrate: %s", err);
    return st;
}

static void same_answers_as_sqlite(void **state)
{
    (void)state;
    char path[SEED_PATH_MAX];
    struct store *lite = seed_store_new("test_pg_domain", path);
    script(lite, &sqlite_trace, 0);
    seed_store_free(lite, path);
    if (!pgtest_base_url()) {
        assert_null(pgtest_base_url()); /* no server: SQLite alone */
        return;
    }
    char url[512];
    struct store *st = pg_new(url, sizeof url);
    script(st, &pg_trace, 1);
    assert_string_equal(pg_trace.text, sqlite_trace.text);

    /* A database whose collation is linguistic (ICU ignores punctuation at
     * first): the reminder keys still compare byte-wise, as in SQLite. */
    exec_sql(st, 1, "ALTER TABLE outbox ALTER COLUMN dedupe_key TYPE text COLLATE \"en-US-x-icu\"");
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(db_reminder_since(st, 1, 400), 1);
    assert_int_equal(db_reminder_since(st, 1, 500), 0);
    assert_int_equal(db_reminder_since(st, 12, 999), 1);
    assert_int_equal(db_reminder_since(st, 12, 1000), 0);
    assert_int_equal(store_commit(st), 0);
    store_close(st);
    pgtest_drop_database(url);
}

/* ---- several processes at once -------------------------------------------- */

#define OPENERS      2
#define CASES_EACH   30
static char shared_url[512];

struct opener {
    char numbers[CASES_EACH][DB_CASE_NO_MAX + 1];
    int failed;
};

/* Opens CASES_EACH cases, each in a transaction of its own, on a connection of its own. */
static void *open_cases(void *arg)
{
    struct opener *o = arg;
    struct store *st = NULL;
    char err[256];
    if (pg_store_open_ops(&pg_store_ops, shared_url, &st, err, sizeof err) != 0) {
        o->failed = 1;
        return NULL;
    }
    const char *const depts[] = {"police"};
    struct db_case_new cn = {.category = 1, .classified = 1, .priority = 2, .depts = depts, .ndepts = 1};
    for (int i = 0; i < CASES_EACH; i++) {
        int64_t id;
        if (store_begin(st) != 0 || db_case_open(st, &cn, NOW, &id, o->numbers[i]) != 0 || store_commit(st) != 0) {
            o->failed = 1;
            store_rollback(st);
        }
    }
    store_close(st);
    return NULL;
}

struct upserter {
    int64_t id;
    int rc;
};

/* Creates reporter PHONE_REPORTER in a transaction of its own, on a connection of its own. */
static void *upsert_reporter(void *arg)
{
    struct upserter *u = arg;
    struct store *st = NULL;
    char err[256];
    u->rc = -2;
    if (pg_store_open_ops(&pg_store_ops, shared_url, &st, err, sizeof err) != 0) return NULL;
    u->rc = store_begin(st);
    if (u->rc == 0) u->rc = db_reporter_upsert(st, PHONE_REPORTER, NOW, &u->id);
    if (u->rc == 0) u->rc = store_commit(st);
    if (u->rc != 0) store_rollback(st);
    store_close(st);
    return NULL;
}

static void several_processes(void **state)
{
    (void)state;
    if (!pgtest_base_url()) {
        assert_null(pgtest_base_url());
        return;
    }
    struct store *st = pg_new(shared_url, sizeof shared_url);

    /* Case numbers: two connections open cases at the same time. */
    static struct opener o[OPENERS];
    pthread_t th[OPENERS];
    for (int i = 0; i < OPENERS; i++) assert_int_equal(pthread_create(&th[i], NULL, open_cases, &o[i]), 0);
    for (int i = 0; i < OPENERS; i++) pthread_join(th[i], NULL);
    int seen[OPENERS * CASES_EACH + 1] = {0};
    for (int i = 0; i < OPENERS; i++) {
        assert_false(o[i].failed);
        for (int k = 0; k < CASES_EACH; k++) {
            assert_memory_equal(o[i].numbers[k], "240310", 6);
            int seq = atoi(o[i].numbers[k] + 6);
            assert_true(seq >= 1 && seq <= OPENERS * CASES_EACH);
            assert_int_equal(seen[seq]++, 0); /* never twice */
        }
    }
    PGresult *r = pg_run(st, "SELECT count(DISTINCT number), max(seq) FROM cases, case_seq", NULL);
    assert_non_null(r);
    assert_int_equal(pg_int(r, 0, 0), OPENERS * CASES_EACH);
    assert_int_equal(pg_int(r, 0, 1), OPENERS * CASES_EACH);
    PQclear(r);

    /* A reporter created by two connections at once: the second waits for
     * the first's commit and then finds its row. */
    int64_t mine = 0;
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(db_reporter_upsert(st, PHONE_REPORTER, NOW, &mine), 0);
    struct upserter u = {0};
    pthread_t other;
    assert_int_equal(pthread_create(&other, NULL, upsert_reporter, &u), 0);
    usleep(300 * 1000);
    assert_int_equal(store_commit(st), 0);
    pthread_join(other, NULL);
    assert_int_equal(u.rc, 0);
    assert_int_equal(u.id, mine);
    r = pg_run(st, "SELECT count(*) FROM reporter", NULL);
    assert_non_null(r);
    assert_int_equal(pg_int(r, 0, 0), 1);
    PQclear(r);

    store_close(st);
    pgtest_drop_database(shared_url);
}

int main(void)
{
    seed_force_sqlite(1); /* seed_store_new is the SQLite side of the comparison */
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_answers_as_sqlite),
        cmocka_unit_test(several_processes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
