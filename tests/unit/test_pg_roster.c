/* tests/unit/test_pg_roster.c - the PostgreSQL roster, export, coverage and
 * timed-job operations (db/pg_roster.c, db/pg_coverage.c, db/pg_jobs.c) on
 * a real server (GATEWAY_TEST_PG), checked against SQLite: one script of
 * roster upserts (every outcome: inserted, unchanged, updated), rows the
 * other operations would write put in with plain SQL both dialects accept,
 * then every listing, export, look-up by name and the daily cap, written
 * out as text; the PostgreSQL text must be the SQLite text. Then what only
 * PostgreSQL has: a read transaction that sees one moment while another
 * connection commits, a digest item and a guardian written by two
 * connections at once (the second waits for the first and neither fails),
 * and a duplicate region path refused; and the roster import itself, run
 * twice, writing the same rows as on SQLite. Without a server each test checks
 * that none is configured and stops. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../core/store.h"
#include "../../core/util.h"
#include "../../db/pg_int.h"
#include "../../db/store_int.h"
#include "../common/pgtest.h"
#include "../common/seed.h"

/* Opens the test database with the backend's table (only this file's
 * operations and the core's are used). */
static struct store *open_pg(void)
{
    return pgtest_open(pgtest_url, 0);
}

/* Runs sql (no parameters) on either backend. */
static void sql(struct store *st, const char *text)
{
    int rc = st->ops == &pg_store_ops ? pg_exec(st, text) : store_exec(st, text);
    if (rc != 0) fail_msg("%s: %s", text, store_errmsg(st));
}

static const char *s_(const char *v) { return v ? v : "<null>"; }
static long long n_(int64_t v) { return v == STORE_NULL ? -999 : (long long)v; }

/* Sorts the lines of b (for listings whose order is not part of the contract). */
static int line_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static void sort_lines(struct gw_buf *b, struct gw_buf *out)
{
    char *text = gw_buf_steal(b), *lines[64];
    int n = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && n < 64; l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    qsort(lines, (size_t)n, sizeof lines[0], line_cmp);
    for (int i = 0; i < n; i++) gw_buf_printf(out, "%s\n", lines[i]);
    free(text);
}

/* ---- the script ---------------------------------------------------------------- */

static int64_t region(struct store *st, struct gw_buf *o, int64_t parent, const char *name, const char *path, int level)
{
    int64_t id = 0;
    int rc = store_region_insert(st, parent, name, path, level, &id);
    gw_buf_printf(o, "region_insert %s: %d id %lld\n", path, rc, (long long)id);
    return id;
}

static void staff(struct store *st, struct gw_buf *o, const char *phone, const char *name, const char *role,
                  int64_t region_id, const char *dept)
{
    struct store_staff_row r = {phone, name, role, region_id, dept};
    gw_buf_printf(o, "staff_upsert %s %s %s: %d\n", phone, name, s_(dept), store_staff_upsert(st, &r, 100));
}

static void guardian(struct store *st, struct gw_buf *o, const char *phone, const char *name, const char *rel,
                     const char *code, int away)
{
    int64_t child = 0;
    assert_int_equal(store_child_id(st, code, &child), 0);
    struct store_guardian_row r = {phone, name, rel, child, away};
    gw_buf_printf(o, "guardian_upsert %s %s %s %s %d: %d\n", phone, name, rel, code, away,
                  store_guardian_upsert(st, &r, 200));
}

/* The roster through the operations, one transaction. */
static void roster(struct store *st, struct gw_buf *o)
{
    int64_t id = 0;
    int level = 0;
    assert_int_equal(store_begin(st), 0);
    gw_buf_printf(o, "region_find missing: %d\n", store_region_find(st, "A县", &id, &level));
    int64_t a = region(st, o, 0, "A县", "A县", 1);
    int64_t b = region(st, o, a, "B镇", "A县/B镇", 2);
    int64_t c = region(st, o, b, "C村", "A县/B镇/C村", 3);
    int64_t d = region(st, o, b, "D村", "A县/B镇/D村", 3);
    region(st, o, 0, "E县", "E县", 1);
    gw_buf_printf(o, "region_find C: %d", store_region_find(st, "A县/B镇/C村", &id, &level));
    gw_buf_printf(o, " id %lld level %d\n", (long long)id, level);
    gw_buf_printf(o, "region_find no level: %d id %lld\n", store_region_find(st, "A县/B镇", &id, NULL), (long long)id);

    staff(st, o, "+8613800000001", "张一", "director", c, NULL);
    staff(st, o, "+8613800000002", "张二", "director", c, NULL);
    staff(st, o, "+8613800000003", "张三", "director", d, NULL);
    staff(st, o, "+8613800000009", "民政", "responder", a, "civil_affairs");
    staff(st, o, "+8613800000008", "督导", "supervisor", a, NULL);
    staff(st, o, "+8613800000001", "张一", "director", c, NULL);                /* unchanged */
    staff(st, o, "+8613800000001", "张壹", "director", c, NULL);                /* renamed */
    staff(st, o, "+8613800000002", "张二", "director", c, NULL);                /* NULL = NULL: unchanged */
    staff(st, o, "+8613800000009", "民政", "responder", a, "police");           /* department */
    staff(st, o, "+8613800000009", "民政", "responder", a, "civil_affairs");    /* and back */
    staff(st, o, "+8613800000008", "督导", "supervisor", b, NULL);              /* region */

    /* Children: store_child_upsert is another file's; plain SQL here. */
    sql(st, "INSERT INTO child(code, name, sex, birth_date, region_id, categories, flags, high_cadence, created_at) "
            "SELECT '1000015', '李雷', 'M', '2015-01-01', id, 'left_behind', '', 0, 100 FROM region "
            "WHERE path = 'A县/B镇/C村'");
    sql(st, "INSERT INTO child(code, name, sex, birth_date, region_id, categories, flags, high_cadence, created_at) "
            "SELECT '1000023', '王小明', 'M', '2016-02-02', id, 'difficulty', 'psych', 0, 100 FROM region "
            "WHERE path = 'A县/B镇/C村'");
    sql(st, "INSERT INTO child(code, name, sex, birth_date, region_id, categories, flags, high_cadence, created_at) "
            "SELECT '1000031', '王小明', 'F', '2017-03-03', id, 'orphan', '', 0, 1000 FROM region "
            "WHERE path = 'A县/B镇/D村'");
    sql(st, "INSERT INTO child(code, name, sex, birth_date, region_id, categories, flags, high_cadence, created_at) "
            "SELECT '1000049', '韩梅梅', 'F', '2014-04-04', id, 'left_behind|difficulty', '', 1, 100 FROM region "
            "WHERE path = 'A县/B镇/D村'");
    gw_buf_printf(o, "child_id 1000023: %d", store_child_id(st, "1000023", &id));
    gw_buf_printf(o, " id %lld\n", (long long)id);
    gw_buf_printf(o, "child_id missing: %d\n", store_child_id(st, "9999999", &id));

    guardian(st, o, "+8613900000001", "李父", "父亲", "1000015", 1); /* inserted */
    guardian(st, o, "+8613900000001", "李父", "父亲", "1000015", 1); /* unchanged */
    guardian(st, o, "+8613900000001", "李父", "爸爸", "1000015", 1); /* relation */
    guardian(st, o, "+8613900000001", "李父", "爸爸", "1000015", 0); /* away */
    guardian(st, o, "+8613900000001", "李父", "爸爸", "1000015", 1); /* away again */
    guardian(st, o, "+8613900000001", "李大", "爸爸", "1000015", 1); /* renamed */
    guardian(st, o, "+8613900000001", "李大", "伯父", "1000023", 0); /* a new link: inserted */
    guardian(st, o, "+8613900000002", "韩母", "母亲", "1000049", 1); /* inserted */
    assert_int_equal(store_commit(st), 0);
}

/* Rows of other operations, in SQL both dialects accept. */
static void activity(struct store *st)
{
#define CH(code) "(SELECT id FROM child WHERE code = '" code "')"
#define SF(phone) "(SELECT id FROM staff WHERE phone = '" phone "')"
#define GU(phone) "(SELECT id FROM guardian WHERE phone = '" phone "')"
#define RG(path) "(SELECT id FROM region WHERE path = '" path "')"
    sql(st, "INSERT INTO visit(child_id, staff_id, visit_date, result, problems, note, created_at) VALUES "
            "(" CH("1000015") ", " SF("+8613800000001") ", '2025-05-01', 1, 'JH', NULL, 1001), "
            "(" CH("1000015") ", " SF("+8613800000002") ", '2025-06-20', 2, '', '下次', 1002), "
            "(" CH("1000015") ", " SF("+8613800000001") ", '2025-06-01', 4, 'XL|QG', NULL, 1003), "
            "(" CH("1000049") ", " SF("+8613800000003") ", '2025-03-01', 3, '', NULL, 1004)");
    sql(st, "INSERT INTO checkin(guardian_id, child_id, status, return_date, note, created_at) VALUES "
            "(" GU("+8613900000001") ", " CH("1000015") ", 1, NULL, '好', 5000), "
            "(" GU("+8613900000002") ", " CH("1000049") ", 3, '2025-07-01', NULL, 3000)");
    /* 1 P0 alerted in time; 2 unclassified, sent to triage; 3 P1 classified
     * by triage, one re-alert before and one after; 4 P0 held by the flood
     * rule; 5 P0 re-alerted twice; 6 closed; 7 P3 open. */
    sql(st, "INSERT INTO cases(number, category, classified, priority, status, child_id, county_id, region_id, "
            "opened_at, acked_at, closed_at, outcome) VALUES "
            "('2506150001', 1, 1, 0, 'open', " CH("1000015") ", " RG("A县") ", " RG("A县/B镇/C村") ", 1000, NULL, "
            "NULL, NULL), "
            "('2506150002', 9, 0, 1, 'open', NULL, " RG("A县") ", NULL, 1100, NULL, NULL, NULL), "
            "('2506150003', 2, 1, 1, 'open', NULL, " RG("A县") ", " RG("A县/B镇") ", 1200, NULL, NULL, NULL), "
            "('2506150004', 1, 1, 0, 'open', NULL, " RG("A县") ", NULL, 1300, NULL, NULL, NULL), "
            "('2506150005', 1, 1, 0, 'open', NULL, NULL, NULL, 1400, NULL, NULL, NULL), "
            "('2506150006', 3, 1, 3, 'closed', " CH("1000049") ", " RG("A县") ", " RG("A县/B镇/D村") ", 1500, 1600, "
            "1700, 2), "
            "('2506150007', 4, 1, 3, 'open', NULL, " RG("A县") ", NULL, 1800, NULL, NULL, NULL)");
    sql(st, "UPDATE cases SET flood_of = (SELECT id FROM cases WHERE number = '2506150001') "
            "WHERE number = '2506150004'");
#define CS(n) "(SELECT id FROM cases WHERE number = '25061500" n "')"
    sql(st, "INSERT INTO case_event(case_id, at, kind, detail) VALUES "
            "(" CS("01") ", 1000, 'alerted', 'police'), "
            "(" CS("02") ", 1100, 'alerted', 'Triage: civil_affairs'), "
            "(" CS("03") ", 1250, 'realerted', NULL), "
            "(" CS("03") ", 1500, 'classified', NULL), "
            "(" CS("03") ", 1900, 'realerted', NULL), "
            "(" CS("05") ", 1450, 'realerted', NULL), "
            "(" CS("05") ", 1460, 'realerted', NULL)");
    sql(st, "INSERT INTO case_dept(case_id, department) VALUES (" CS("01") ", 'police'), (" CS("01") ", 'education'), "
            "(" CS("06") ", 'health')");
    sql(st, "INSERT INTO outbox(recipient, template, body, kind, priority, status, dedupe_key, attempts, "
            "provider_msg_id, last_error, created_at, updated_at, sent_at, done_at) VALUES "
            "('+8613800000001', 'visit_digest', 'x', 'digest', 2, 'sent', 'visit_digest:+8613800000001:2025-06-15', "
            "1, 'p1', NULL, 10000, 10000, 10002, NULL), "
            "('+8613900000001', 'checkin_remind', 'x', 'reminder', 2, 'queued', "
            "'checkin_remind:' || " GU("+8613900000001") " || ':2025-06-14', 0, NULL, 'busy', 9000, 9000, NULL, NULL), "
            "('+8613900000001', 'checkin_remind', 'x', 'reminder', 2, 'queued', "
            "'checkin_remind:' || " GU("+8613900000001") " || ':2025-06-15', 0, NULL, NULL, 10001, 10001, NULL, NULL), "
            "('+8613800000009', 'triage', 'x', 'digest', 1, 'failed', 'triage:+8613800000009:2025-06-14', 3, NULL, "
            "'gone', 8000, 8000, NULL, 8100)");
}

/* Digest items through the operation. */
static void digests(struct store *st, struct gw_buf *o)
{
    static const char *const items[][2] = {
        {"visit_due:1000015:2025-06-01:+8613800000001", "+8613800000001"},
        {"visit_due:1000015:2025-06-10:+8613800000001", "+8613800000001"},
        {"visit_due:1000015:2025-06-05:+8613800000002", "+8613800000002"},
        {"visit_due:10000150:2025-06-30:+8613800000002", "+8613800000002"}, /* another code's range */
        {"visit_overdue:1000015:2025-06-07:+8613800000001", "+8613800000001"},
        {"visit_due:1000049:2025-06-02:+8613800000003", "+8613800000003"},
        {"checkin_silent:1:2025-06-12:+8613800000001", "+8613800000001"},
        {"checkin_silent:1:2025-06-13:+8613800000002", "+8613800000002"},
        {"checkin_silent:2:2025-06-11:+8613800000003", "+8613800000003"},
        {"visit_due:1000015:2025-06-01:+8613800000001", "+8613800000001"}, /* again: nothing */
    };
    assert_int_equal(store_begin(st), 0);
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
        assert_int_equal(db_digest_item_add(st, items[i][0], items[i][1], "visit_digest:x:2025-06-15", 500), 0);
    assert_int_equal(store_commit(st), 0);
    gw_buf_printf(o, "digest_item_exists: %d %d\n", db_digest_item_exists(st, items[0][0]),
                  db_digest_item_exists(st, "visit_due:1000015:2025-06-02:+8613800000001"));
}

/* ---- the listings, as text ------------------------------------------------------ */

static int on_case(void *arg, const struct db_job_case *c)
{
    gw_buf_printf(arg, "unacked %s cat %d p%d triage %d phase %d opened %lld since %lld county %lld '%s' '%s' %d re %d\n",
                  c->number, c->category, c->priority, c->triage, c->phase, (long long)c->opened_at,
                  (long long)c->since, (long long)c->county_id, c->county, c->place, c->place_level, c->realerts);
    return 0;
}

static int on_child(void *arg, const struct db_job_child *c)
{
    gw_buf_printf(arg, "due %s hc %d created %lld last '%s' village %s dirs '%s' due '%s' overdue '%s' %s %s '%s'\n",
                  c->code, c->high_cadence, (long long)c->created_at, c->last_visit, c->village, c->directors,
                  c->due_done, c->overdue_done, c->birth_date, c->categories, c->flags);
    return 0;
}

static int on_staff(void *arg, const char *phone, const char *path)
{
    gw_buf_printf(arg, "staff %s %s\n", phone, path);
    return 0;
}

static int on_guardian(void *arg, const struct db_job_guardian *g)
{
    gw_buf_printf(arg, "silent %lld %s last %lld remind '%s' silent '%s'\n", (long long)g->id, g->phone,
                  (long long)g->last_contact, g->remind_sent, g->silent_done);
    return 0;
}

static int on_ward(void *arg, const struct db_job_ward *w)
{
    gw_buf_printf(arg, "ward %s %s %s '%s'\n", w->code, w->birth_date, w->categories, w->directors);
    return 0;
}

static int on_count(void *arg, const char *phone, int n)
{
    gw_buf_printf(arg, "triage %s %d\n", phone, n);
    return 0;
}

static int on_visit(void *arg, const struct store_visit_rec *r)
{
    gw_buf_printf(arg, "visit %lld %s %s %s %lld %s %s %s %lld\n", (long long)r->id, r->visit_date, r->child_code,
                  s_(r->region), n_(r->result), s_(r->problems), s_(r->note), s_(r->recorded_by),
                  n_(r->recorded_at));
    return 0;
}

static int on_checkin(void *arg, const struct store_checkin_rec *r)
{
    gw_buf_printf(arg, "checkin %lld %lld %s %s %lld %s %s %s %s\n", (long long)r->id, (long long)r->created_at,
                  r->child_code, s_(r->region), n_(r->status), s_(r->return_date), s_(r->note), s_(r->guardian),
                  s_(r->relation));
    return 0;
}

static int on_case_rec(void *arg, const struct store_case_rec *r)
{
    gw_buf_printf(arg, "case %s %lld %lld %lld p%d %s [%s] %s %s %s %lld %lld %lld\n", r->number, n_(r->opened_at),
                  n_(r->category), n_(r->classified), r->priority, r->status, s_(r->departments), s_(r->child_code),
                  s_(r->region), s_(r->county), n_(r->acked_at), n_(r->closed_at), n_(r->outcome));
    return 0;
}

static int on_outbox(void *arg, const struct store_outbox_rec *r)
{
    gw_buf_printf(arg, "outbox %lld %lld %s %lld %s %s %s %s %s %lld %s %lld %lld\n", (long long)r->id,
                  n_(r->created_at), r->kind, n_(r->priority), s_(r->channel), r->recipient, r->tmpl,
                  s_(r->provider_msg_id), r->status, n_(r->attempts), s_(r->last_error), n_(r->sent_at),
                  n_(r->done_at));
    return 0;
}

static int on_region(void *arg, const struct store_region_rec *r)
{
    gw_buf_printf(arg, "region %lld %lld %s %d\n", (long long)r->id, (long long)r->parent_id, r->path, r->level);
    return 0;
}

static int on_child_rec(void *arg, const struct store_child_rec *r)
{
    gw_buf_printf(arg, "child %lld %lld '%s' %d %lld %s %s %s %s\n", (long long)r->id, (long long)r->region_id, r->flags,
                  r->high_cadence, (long long)r->created_at, s_(r->last_visit), s_(r->last_remote), s_(r->birth_date),
                  s_(r->categories));
    return 0;
}

static int on_directors(void *arg, int64_t region_id, long n)
{
    gw_buf_printf(arg, "directors %lld %ld\n", (long long)region_id, n);
    return 0;
}

static int on_away(void *arg, const struct store_away_rec *r)
{
    gw_buf_printf(arg, "away %lld %lld %lld %d\n", (long long)r->guardian_id, (long long)r->child_id,
                  (long long)r->region_id, r->contacted);
    return 0;
}

static int on_brief(void *arg, const struct store_case_brief *r)
{
    gw_buf_printf(arg, "brief %lld p%d open %d %lld %lld\n", (long long)r->region_id, r->priority, r->open,
                  (long long)r->opened_at, n_(r->acked_at));
    return 0;
}

/* Stops at the first row: the iterators hand back the callback's value. */
static int stop_first(void *arg, const struct store_region_rec *r)
{
    (void)arg, (void)r;
    return 7;
}

static void named(struct store *st, struct gw_buf *o, int in_text, const char *v, const char *under)
{
    struct db_child c;
    memset(&c, 0, sizeof c);
    int rc = in_text ? db_child_named_in(st, v, under, &c) : db_child_by_name(st, v, under, &c);
    gw_buf_printf(o, "%s '%s' under '%s': %d", in_text ? "named_in" : "by_name", v, under, rc);
    if (rc == 0)
        gw_buf_printf(o, " %lld %s '%s' %d region %lld %d %s county %lld", (long long)c.id, c.code, c.flags,
                      c.high_cadence, (long long)c.region.id, c.region.level, c.region.path,
                      (long long)c.region.county_id);
    gw_buf_puts(o, "\n");
}

/* Every read of the three files, into o. */
static void listings(struct store *st, struct gw_buf *o)
{
    assert_int_equal(db_jobs_unacked_cases(st, 2000, 2000, on_case, o), 0);
    assert_int_equal(db_jobs_unacked_cases(st, 1050, 1150, on_case, o), 0);
    assert_int_equal(db_jobs_children_due(st, "2025-06-30", "2025-04-01", 500, on_child, o), 0);
    assert_int_equal(db_jobs_children_due(st, "2025-02-01", "2025-03-15", 50, on_child, o), 0);
    assert_int_equal(db_jobs_staff(st, "director", on_staff, o), 0);
    assert_int_equal(db_jobs_staff(st, "supervisor", on_staff, o), 0);
    assert_int_equal(db_jobs_silent_guardians(st, 6000, on_guardian, o), 0);
    assert_int_equal(db_jobs_silent_guardians(st, 4000, on_guardian, o), 0);
    assert_int_equal(db_jobs_guardian_wards(st, 1, on_ward, o), 0);
    assert_int_equal(db_jobs_guardian_wards(st, 2, on_ward, o), 0);
    gw_buf_printf(o, "capped %d %d %d %d\n", db_jobs_capped_today(st, "+8613800000001", "2025-06-15", 0, 20000),
                  db_jobs_capped_today(st, "+8613800000001", "2025-06-14", 0, 20000),
                  db_jobs_capped_today(st, "+8613900000001", "2025-06-15", 10000, 20000),
                  db_jobs_capped_today(st, "+8613900000001", "2025-06-14", 0, 20000));
    assert_int_equal(db_jobs_triage_counts(st, on_count, o), 0);

    assert_int_equal(store_export_visits(st, NULL, NULL, on_visit, o), 0);
    assert_int_equal(store_export_visits(st, "2025-05-01", "2025-06-01", on_visit, o), 0);
    assert_int_equal(store_export_checkins(st, 0, 10000, on_checkin, o), 0);
    assert_int_equal(store_export_checkins(st, 4000, 5000, on_checkin, o), 0);
    assert_int_equal(store_export_cases(st, 0, 100000, on_case_rec, o), 0);
    assert_int_equal(store_export_cases(st, 1500, 1501, on_case_rec, o), 0);
    assert_int_equal(store_export_outbox(st, 0, 100000, on_outbox, o), 0);

    int began = store_read_begin(st);
    gw_buf_printf(o, "read_begin %d\n", began);
    assert_int_equal(store_regions_each(st, on_region, o), 0);
    assert_int_equal(store_regions_each(st, stop_first, o), 7);
    assert_int_equal(store_children_each(st, "2025-06-15", on_child_rec, o), 0);
    struct gw_buf unordered = {0};
    assert_int_equal(store_directors_each(st, on_directors, &unordered), 0);
    assert_int_equal(store_cases_brief_each(st, 1000, 2000, on_brief, &unordered), 0);
    assert_int_equal(store_cases_brief_each(st, 1000, 1400, on_brief, &unordered), 0);
    sort_lines(&unordered, o);
    assert_int_equal(store_away_links_each(st, 4000, 6000, on_away, o), 0);
    assert_int_equal(store_away_links_each(st, 0, 2000, on_away, o), 0);
    gw_buf_printf(o, "read_end %d\n", store_read_end(st, began));

    assert_int_equal(store_begin(st), 0);
    gw_buf_printf(o, "read_begin in a transaction %d\n", store_read_begin(st));
    named(st, o, 0, "王小明", "A县");
    named(st, o, 0, "王小明", "A县/B镇/C村");
    named(st, o, 0, "王小明", "A县/B镇/C");
    named(st, o, 0, "李雷", "E县");
    named(st, o, 0, "李雷", "");
    named(st, o, 0, "韩梅梅", "A县/B镇");
    named(st, o, 1, "我看到王小明在哭", "A县/B镇/D村");
    named(st, o, 1, "我看到王小明在哭", "A县");
    named(st, o, 1, "李雷和韩梅梅", "A县");
    named(st, o, 1, "李雷没来上学", "A县/B镇");
    named(st, o, 1, "没有名字", "A县");
    assert_int_equal(store_commit(st), 0);
}

/* The whole script on st, as text. */
static char *script(struct store *st)
{
    struct gw_buf o = {0};
    roster(st, &o);
    activity(st);
    digests(st, &o);
    listings(st, &o);
    return gw_buf_steal(&o);
}

/* ---- tests ---------------------------------------------------------------------- */

/* 1 when a test server is configured; without one the tests check that
 * none is and stop there (nothing is skipped). */
static int have_server(void)
{
    if (pgtest_base_url()) return 1;
    assert_null(pgtest_base_url());
    return 0;
}

static void same_answers_as_sqlite(void **state)
{
    (void)state;
    if (!have_server()) return;
    char path[SEED_PATH_MAX];
    struct store *lite = seed_store_new("gw-pg-roster", path);
    char *want = script(lite);
    seed_store_free(lite, path);

    struct store *st = open_pg();
    char err[256];
    if (store_migrate(st, NULL, NULL, err, sizeof err) != 0) fail_msg("migrate: %s", err);
    char *got = script(st);
    /* PG_ROSTER_SHOW=1 prints both texts even when they agree. */
    if (getenv("PG_ROSTER_SHOW") || strcmp(got, want) != 0) fprintf(stderr, "--- SQLite:\n%s--- PostgreSQL:\n%s", want, got);
    assert_string_equal(got, want);
    /* The script covered every outcome and every kind of row. */
    assert_non_null(strstr(got, "staff_upsert +8613800000001 张壹 <null>: 1"));
    assert_non_null(strstr(got, "guardian_upsert +8613900000001 李大 伯父 1000023 0: 0"));
    assert_non_null(strstr(got, "unacked 2506150003"));
    assert_non_null(strstr(got, "[police|education]"));
    assert_non_null(strstr(got, "due '2025-06-05' overdue ''"));
    assert_non_null(strstr(got, "remind '2025-06-15' silent '2025-06-12'"));
    assert_non_null(strstr(got, "capped 1 0 1 2"));
    store_close(st);
    free(got);
    free(want);
}

/* The roster import (the domain's, as every test seeds its world) run
 * twice on st, the second time with changes, and what it wrote as text. */
static char *imported(struct store *st)
{
#define VC "甲县/乙镇/丙村"
#define VD "甲县/乙镇/丁村"
#define T0 1749960000LL /* 2025-06-15T12:00:00+08:00 */
#define T1 (T0 + 100)
    seed_roster(st, "regions", "path\n" VC "\n" VD "\n甲县/戊镇\n", T0);
    seed_roster(st, "staff",
                "phone,name,role,region,department\n"
                "+8613800000001,丙村主任,director," VC ",\n"
                "+8613800000002,丁村主任,director," VD ",\n"
                "+8613800000009,民政,responder,甲县,civil_affairs\n",
                T0);
    seed_roster(st, "children",
                "code,name,sex,birth_date,region,categories,flags\n"
                "1000015,张小明,M,2015-01-01," VC ",left_behind,\n"
                "1000028,李小红,F,2016-05-01," VC ",left_behind|difficulty,psych\n"
                "1000031,王五,M,2014-02-02," VD ",orphan,\n",
                T0);
    seed_roster(st, "guardians",
                "phone,name,relation,child_code,away\n"
                "+8613900000001,张父,父亲,1000015,1\n"
                "+8613900000001,张父,父亲,1000028,1\n"
                "+8613900000002,王母,母亲,1000031,0\n",
                T0);
    /* Again, with a renamed director, a second director, a moved parent. */
    seed_roster(st, "regions", "path\n" VC "\n" VD "\n", T1);
    seed_roster(st, "staff",
                "phone,name,role,region,department\n"
                "+8613800000001,丙村新主任,director," VC ",\n"
                "+8613800000003,丙村副主任,director," VC ",\n"
                "+8613800000009,民政,responder,甲县,civil_affairs\n",
                T1);
    seed_roster(st, "guardians",
                "phone,name,relation,child_code,away\n"
                "+8613900000001,张父,父亲,1000015,1\n"
                "+8613900000002,王母,母亲,1000031,1\n",
                T1);
    struct gw_buf o = {0};
    assert_int_equal(store_regions_each(st, on_region, &o), 0);
    assert_int_equal(db_jobs_staff(st, "director", on_staff, &o), 0);
    assert_int_equal(db_jobs_staff(st, "responder", on_staff, &o), 0);
    assert_int_equal(store_children_each(st, "2025-06-15", on_child_rec, &o), 0);
    assert_int_equal(db_jobs_silent_guardians(st, T1, on_guardian, &o), 0);
    for (int64_t g = 1; g <= 2; g++) assert_int_equal(db_jobs_guardian_wards(st, g, on_ward, &o), 0);
    assert_int_equal(store_away_links_each(st, 0, 1000, on_away, &o), 0);
    return gw_buf_steal(&o);
#undef VC
#undef VD
#undef T0
#undef T1
}

static void roster_import_as_on_sqlite(void **state)
{
    (void)state;
    if (!have_server()) return;
    char path[SEED_PATH_MAX];
    struct store *lite = seed_store_new("gw-pg-import", path);
    char *want = imported(lite);
    seed_store_free(lite, path);

    char db[512], err[256];
    if (pgtest_new_database(db, sizeof db, err, sizeof err) != 0) fail_msg("%s", err);
    struct store *st = NULL;
    if (pg_store_open_ops(&pg_store_ops, db, &st, err, sizeof err) != 0) fail_msg("open: %s", err);
    if (store_migrate(st, NULL, NULL, err, sizeof err) != 0) fail_msg("migrate: %s", err);
    char *got = imported(st);
    if (strcmp(got, want) != 0) fprintf(stderr, "--- SQLite:\n%s--- PostgreSQL:\n%s", want, got);
    assert_string_equal(got, want);
    assert_non_null(strstr(got, "'+8613800000001,+8613800000003'"));
    assert_non_null(strstr(got, "away 2 3"));
    store_close(st);
    pgtest_drop_database(db);
    free(got);
    free(want);
}

/* Runs fn(st) in a transaction of its own on another thread. */
struct other {
    struct store *st;
    int (*fn)(struct store *st);
    int rc;
};

static void *other_run(void *arg)
{
    struct other *x = arg;
    x->rc = store_begin(x->st) != 0 ? -100 : x->fn(x->st);
    if (store_commit(x->st) != 0) x->rc = -200;
    return NULL;
}

/* Waits until a backend is waiting on a lock (the other thread's insert).
 * Asks on a connection of its own, outside a transaction: inside one,
 * pg_stat_activity is read once and kept. */
static void wait_for_lock(void)
{
    struct store *watch = open_pg();
    for (int i = 0; i < 200; i++) {
        if (pgtest_int(watch, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") > 0) {
            store_close(watch);
            return;
        }
        usleep(25000);
    }
    fail_msg("the other connection never waited");
}

static int add_item(struct store *st) { return db_digest_item_add(st, "visit_due:1:2025-06-15:+86", "+86", "d", 9); }

static int add_guardian(struct store *st)
{
    int64_t child = 0;
    if (store_child_id(st, "1000015", &child) != 0) return -1;
    struct store_guardian_row r = {"+8613900000077", "新人", "母亲", child, 1};
    return store_guardian_upsert(st, &r, 300);
}

/* Runs fn on st in a transaction while fn also runs on a second
 * connection, which waits for the first to commit; returns the second's
 * result. */
static int at_once(struct store *st, int (*fn)(struct store *st), int *first)
{
    struct other x = {open_pg(), fn, 0};
    assert_int_equal(store_begin(st), 0);
    *first = fn(st);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, other_run, &x), 0);
    wait_for_lock();
    assert_int_equal(store_commit(st), 0);
    pthread_join(t, NULL);
    store_close(x.st);
    return x.rc;
}

static void two_connections(void **state)
{
    (void)state;
    if (!have_server()) return;
    struct store *st = open_pg();
    char err[256];
    if (store_migrate(st, NULL, NULL, err, sizeof err) != 0) fail_msg("migrate: %s", err);
    if (pgtest_int(st, "SELECT count(*) FROM child") == 0) {
        struct gw_buf o = {0};
        roster(st, &o);
        gw_buf_free(&o);
    }

    /* A read transaction sees one moment; a region committed meanwhile
     * shows after it ends. */
    int64_t before = pgtest_int(st, "SELECT count(*) FROM region");
    assert_int_equal(store_read_begin(st), 1);
    assert_int_equal(store_read_begin(st), 0);
    assert_int_equal(pgtest_int(st, "SELECT count(*) FROM region"), before);
    struct store *other = open_pg();
    int64_t id = 0;
    assert_int_equal(store_begin(other), 0);
    assert_int_equal(store_region_insert(other, 0, "F县", "F县", 1, &id), 0);
    assert_int_equal(store_commit(other), 0);
    struct gw_buf o = {0};
    assert_int_equal(store_regions_each(st, on_region, &o), 0);
    assert_null(strstr(gw_buf_cstr(&o), "F县"));
    assert_int_equal(store_read_end(st, 1), 0);
    gw_buf_reset(&o);
    assert_int_equal(store_regions_each(st, on_region, &o), 0);
    assert_non_null(strstr(gw_buf_cstr(&o), "F县"));
    gw_buf_free(&o);

    /* The same digest item from two processes: one row, no failure. */
    int first = -1;
    assert_int_equal(at_once(st, add_item, &first), 0);
    assert_int_equal(first, 0);
    assert_int_equal(pgtest_int(st, "SELECT count(*) FROM digest_item WHERE key = 'visit_due:1:2025-06-15:+86'"), 1);

    /* The same new guardian from two processes: the second finds the
     * first's row once it is committed, and links nothing twice. */
    assert_int_equal(at_once(st, add_guardian, &first), STORE_UNCHANGED);
    assert_int_equal(first, STORE_INSERTED);
    assert_int_equal(pgtest_int(st, "SELECT count(*) FROM guardian WHERE phone = '+8613900000077'"), 1);
    assert_int_equal(pgtest_int(st, "SELECT count(*) FROM guardian_child GC JOIN guardian G ON G.id = GC.guardian_id "
                             "WHERE G.phone = '+8613900000077'"),
                     1);

    /* A path already there is refused (the caller rolls back). */
    assert_int_equal(store_begin(other), 0);
    assert_int_equal(store_region_insert(other, 0, "A县", "A县", 1, &id), -1);
    assert_true(pg_unique_violation(other));
    assert_int_equal(store_rollback(other), 0);
    store_close(other);
    store_close(st);
}

int main(void)
{
    seed_force_sqlite(1); /* seed_store_new is the SQLite side of the comparison */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_answers_as_sqlite),
        cmocka_unit_test(roster_import_as_on_sqlite),
        cmocka_unit_test(two_connections),
    };
    return cmocka_run_group_tests(tests, pgtest_group_setup, pgtest_group_teardown);
}
