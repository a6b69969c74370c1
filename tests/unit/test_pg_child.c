/* tests/unit/test_pg_child.c - the PostgreSQL versions of the child record
 * and change log, the fuller record, the period report's rows, retention
 * and broadcasts (db/pg_child.c, pg_child_record.c, pg_report.c,
 * pg_retention.c, pg_broadcast.c), checked against the SQLite backend: the
 * same rows are seeded with the same SQL into a new SQLite store and a new
 * PostgreSQL database (GATEWAY_TEST_PG), the same sequence of operations
 * runs on both, and every answer, every row they wrote and every row a
 * purge anonymised is written out as text: the two texts must be equal,
 * and a few of their lines are checked on their own. Without a server it
 * checks that none is configured and stops.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../core/log.h"
#include "../../core/store.h"
#include "../../core/util.h"
#include "../../db/pg_int.h"
#include "../common/pgtest.h"
#include "../common/seed.h"

#define NOW  1749960000LL /* 2025-06-15T12:00:00+08:00 */
#define NOW2 (NOW + 86400)
#define NOW3 (NOW + 2 * 86400)

/* One backend: the store, and for SQLite a plain connection for raw SQL. */
struct side {
    struct store *st;
    sqlite3 *db; /* NULL: PostgreSQL */
};

/* The text of one run. */
struct text {
    char *s;
    size_t len;
};

static void say(struct text *t, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof line) n = (int)sizeof line - 1;
    t->s = gw_realloc(t->s, t->len + (size_t)n + 2);
    memcpy(t->s + t->len, line, (size_t)n);
    t->len += (size_t)n;
    t->s[t->len++] = '\n';
    t->s[t->len] = '\0';
}

static const char *nz(const char *s) { return s ? s : "(null)"; }

/* Runs sql (portable between the two dialects) or fails the test. */
static void run_sql(struct side *s, const char *sql)
{
    if (s->db) {
        char *err = NULL;
        if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) fail_msg("sqlite: %s: %s", sql, err);
    } else if (pg_exec(s->st, sql) != 0) {
        fail_msg("postgres: %s: %s", sql, store_errmsg(s->st));
    }
}

/* Appends s to the string in out (len bytes), cut to fit. */
static void cat(char *out, const char *s, size_t len)
{
    size_t n = strlen(out);
    if (n + 1 < len) gw_strlcpy(out + n, s, len - n);
}

/* Appends every row sql answers, columns joined by '|'. */
static void dump(struct side *s, const char *sql, struct text *t)
{
    say(t, "-- %s", sql);
    if (s->db) {
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) fail_msg("sqlite: %s", sql);
        while (sqlite3_step(q) == SQLITE_ROW) {
            char row[1024] = "";
            for (int c = 0; c < sqlite3_column_count(q); c++) {
                const unsigned char *v = sqlite3_column_text(q, c);
                cat(row, c ? "|" : "", sizeof row);
                cat(row, v ? (const char *)v : "(null)", sizeof row);
            }
            say(t, "%s", row);
        }
        sqlite3_finalize(q);
        return;
    }
    PGresult *r = PQexec(pg_of(s->st)->conn, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) fail_msg("postgres: %s: %s", sql, PQresultErrorMessage(r));
    for (int i = 0; i < PQntuples(r); i++) {
        char row[1024] = "";
        for (int c = 0; c < PQnfields(r); c++) {
            cat(row, c ? "|" : "", sizeof row);
            cat(row, PQgetisnull(r, i, c) ? "(null)" : PQgetvalue(r, i, c), sizeof row);
        }
        say(t, "%s", row);
    }
    PQclear(r);
}

/* ---- the world --------------------------------------------------------- */

static const char *const roster_sql[] = {
    "INSERT INTO region(id, parent_id, name, path, level) VALUES (1, NULL, 'County', 'County', 1)",
    "INSERT INTO region(id, parent_id, name, path, level) VALUES (2, 1, 'Town', 'County/Town', 2)",
    "INSERT INTO region(id, parent_id, name, path, level) VALUES (3, 2, 'Va', 'County/Town/Va', 3)",
    "INSERT INTO region(id, parent_id, name, path, level) VALUES (4, 2, 'VB', 'County/Town/VB', 3)",
    "INSERT INTO region(id, parent_id, name, path, level) VALUES (5, 1, 'Other', 'County/Townish', 2)",
    "INSERT INTO staff(id, phone, name, role, region_id, created_at) "
    "VALUES (1, '+8613800000001', 'Dir A', 'director', 3, 1000)",
    "INSERT INTO staff(id, phone, name, role, region_id, created_at) "
    "VALUES (2, '+8613800000002', 'Dir B', 'director', 4, 1000)",
    "INSERT INTO staff(id, phone, name, role, region_id, created_at) "
    "VALUES (3, '+8613800000003', 'Sup', 'supervisor', 2, 1000)",
    "INSERT INTO staff(id, phone, name, role, region_id, created_at) "
    "VALUES (4, '+8613800000004', 'Dir C', 'director', 5, 1000)",
    "INSERT INTO staff(id, phone, name, role, region_id, created_at) "
    "VALUES (5, '+8613800000005', 'Dir late', 'director', 3, 1749990000)",
    "INSERT INTO guardian(id, phone, name, created_at) VALUES (1, '+8613900000001', 'G one', 1000)",
    "INSERT INTO guardian(id, phone, name, created_at) VALUES (2, '+8613900000002', 'G two', 1000)",
    "INSERT INTO guardian(id, phone, name, created_at) VALUES (3, '+8613900000003', 'G three', 1749990000)",
};

/* After the children (ids 1 to 3) exist. */
static const char *const world_sql[] = {
    "INSERT INTO guardian_child(guardian_id, child_id, relation, away) VALUES (2, 1, 'mother', 1)",
    "INSERT INTO guardian_child(guardian_id, child_id, relation, away) VALUES (1, 1, 'father', 0)",
    "INSERT INTO guardian_child(guardian_id, child_id, relation, away) VALUES (1, 2, 'father', 0)",
    "INSERT INTO guardian_child(guardian_id, child_id, relation, away) VALUES (3, 3, 'aunt', 1)",
    "INSERT INTO visit(child_id, staff_id, visit_date, result, problems, created_at) "
    "VALUES (2, 2, '2025-06-10', 2, 'JH|XL', 1749500000)",
    "INSERT INTO visit(child_id, staff_id, visit_date, result, problems, created_at) "
    "VALUES (1, 1, '2025-06-12', 1, '', 1749700000)",
    "INSERT INTO visit(child_id, staff_id, visit_date, result, problems, created_at) "
    "VALUES (1, 1, '2025-05-01', 3, 'JH', 1746000000)",
    "INSERT INTO checkin(guardian_id, child_id, status, created_at) VALUES (1, 2, 1, 1749900000)",
    "INSERT INTO checkin(guardian_id, child_id, status, created_at) VALUES (1, 1, 2, 1749800000)",
    "INSERT INTO checkin(guardian_id, child_id, status, created_at) VALUES (2, 1, 1, 1740000000)",
    "INSERT INTO reporter(id, phone, created_at) VALUES (1, '+8613700000001', 1000)",
    "INSERT INTO reporter(id, phone, created_at) VALUES (2, '+8613700000002', 1000)",
    "INSERT INTO inbox(id, channel, provider_id, sender, raw_text, norm_text, received_at, stored_at) "
    "VALUES (1, 'sms', 'p1', '+8613700000001', 'BG 1 help', 'BG 1 HELP', 1000, 1000)",
    "INSERT INTO inbox(id, channel, provider_id, sender, raw_text, norm_text, received_at, stored_at) "
    "VALUES (2, 'sms', 'p2', '+8613700000002', 'BG 2 help', 'BG 2 HELP', 1749900000, 1749900000)",
    "INSERT INTO inbox(id, channel, provider_id, sender, raw_text, norm_text, received_at, stored_at) "
    "VALUES (3, 'sms', 'p3', '\xe4\xb8\xad\xe6\x96\x87" "ABCDEFGH', 'long text', 'LONG TEXT', 2000, 2000)",
    "INSERT INTO inbox(id, channel, provider_id, sender, raw_text, norm_text, received_at, stored_at) "
    "VALUES (4, 'sms', 'p4', '+8613900000001', 'JF', 'JF', 3000, 3000)",
    "INSERT INTO sms_part(channel, provider_id, sender, ref, total, part, text, received_at, inbox_id) "
    "VALUES ('sms', 'q1', '\xe4\xb8\xad\xe6\x96\x87" "ABCDEFGH', 'r', 2, 1, 'long', 2000, 3)",
    "INSERT INTO sms_part(channel, provider_id, sender, ref, total, part, text, received_at, inbox_id) "
    "VALUES ('sms', 'q2', '\xe4\xb8\xad\xe6\x96\x87" "ABCDEFGH', 'r', 2, 2, ' text', 2000, 3)",
    "INSERT INTO cases(id, number, category, priority, status, county_id, region_id, reporter_id, inbox_id, "
    "opened_at, acked_at, closed_at, outcome) "
    "VALUES (1, '2501010001', 2, 1, 'closed', 1, 3, 1, 1, 1000, 1100, 5000, 2)",
    "INSERT INTO cases(id, number, category, priority, status, county_id, region_id, reporter_id, inbox_id, "
    "opened_at) VALUES (2, '2506140001', 3, 0, 'open', 1, NULL, 2, 2, 1749900000)",
    "INSERT INTO cases(id, number, category, priority, status, county_id, region_id, reporter_id, inbox_id, "
    "opened_at, closed_at, outcome) VALUES (3, '2501010002', 1, 2, 'closed', NULL, NULL, 1, NULL, 1200, 5200, 1)",
    "INSERT INTO case_event(case_id, at, kind) VALUES (1, 1300, 'reporter_told')",
    "INSERT INTO case_event(case_id, at, kind) VALUES (1, 1200, 'reporter_told')",
    "INSERT INTO outbox(recipient, template, body, kind, status, case_id, created_at, updated_at) "
    "VALUES ('+8613700000001', 't', 'your case', 'reply', 'sent', 1, 1000, 1000)",
    "INSERT INTO outbox(recipient, template, body, kind, status, case_id, created_at, updated_at) "
    "VALUES ('+8613800000001', 't', 'alert', 'alert', 'delivered', 1, 1000, 1000)",
    "INSERT INTO outbox(recipient, template, body, kind, status, created_at, updated_at) "
    "VALUES ('+8613900000001', 't', 'waiting', 'reply', 'queued', 1000, 1000)",
    "INSERT INTO outbox(recipient, template, body, kind, status, created_at, updated_at) "
    "VALUES ('+8613900000002', 't', 'recent', 'reply', 'sent', 1749900000, 1749900000)",
};

/* ---- callbacks that write what they are given ---------------------------- */

static int on_export(void *arg, const struct store_child_export_rec *r)
{
    say(arg, "export %s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%d|%s|%s|%lld", nz(r->code), nz(r->name), nz(r->sex),
        nz(r->birth_date), nz(r->region), nz(r->categories), nz(r->flags), nz(r->id_masked), nz(r->hukou),
        nz(r->school), nz(r->carer_name), nz(r->carer_phone), nz(r->carer_relation), r->care_agreement,
        nz(r->care_agreement_date), nz(r->guardianship), (long long)r->created_at);
    return 0;
}

static int on_change(void *arg, const struct store_child_change_rec *r)
{
    say(arg, "change %lld|%s|%s|%s|%s", (long long)r->at, nz(r->field), nz(r->old_value), nz(r->new_value),
        nz(r->source));
    return 0;
}

static int on_record(void *arg, const struct store_child_record *r)
{
    say(arg, "record %lld|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%d|%s|%s|%lld|%s|%s|%s", (long long)r->id,
        nz(r->code), nz(r->name), nz(r->sex), nz(r->birth_date), nz(r->region), nz(r->categories), nz(r->flags),
        nz(r->id_number), nz(r->id_masked), nz(r->hukou), nz(r->school), nz(r->carer_name), nz(r->carer_phone),
        nz(r->carer_relation), r->care_agreement, nz(r->care_agreement_date), nz(r->guardianship),
        (long long)r->updated_at, nz(r->guardian_name), nz(r->guardian_phone), nz(r->guardian_relation));
    return 0;
}

static int stop_first(void *arg, const struct store_child_record *r)
{
    say(arg, "first %s", nz(r->code));
    return 7;
}

static int on_rchild(void *arg, const struct store_report_child *c)
{
    say(arg, "rchild %lld|%lld|%s|%s|%s|%lld", (long long)c->id, (long long)c->region_id, c->birth_date,
        c->categories, c->flags, (long long)c->created_at);
    return 0;
}

static int on_rvisit(void *arg, const struct store_report_visit *v)
{
    say(arg, "rvisit %lld|%s|%d|%s", (long long)v->child_id, v->visit_date, v->result, v->problems);
    return 0;
}

static int on_pair(void *arg, int64_t a, int64_t b)
{
    say(arg, "pair %lld|%lld", (long long)a, (long long)b);
    return 0;
}

static int on_rcase(void *arg, const struct store_report_case *c)
{
    say(arg, "rcase %lld|%d|%d|%lld|%lld|%lld|%d|%d|%lld", (long long)c->region_id, c->category, c->priority,
        (long long)c->opened_at, (long long)c->acked_at, (long long)c->closed_at, c->outcome, c->has_reporter,
        (long long)c->told_at);
    return 0;
}

static int on_directors(void *arg, int64_t region_id, long n)
{
    say(arg, "directors %lld|%ld", (long long)region_id, n);
    return 0;
}

static void say_broadcast(struct text *t, const struct store_broadcast *b)
{
    say(t, "broadcast %lld|%s|%s|%s|%s|%lld|%s|%lld|%lld|%s|%lld|%lld|%lld|%lld", (long long)b->id, b->tmpl,
        b->vars_json, b->audience, b->status, (long long)b->created_by, b->created_name, (long long)b->created_at,
        (long long)b->approved_by, b->approved_name, (long long)b->approved_at, (long long)b->cancelled_at,
        (long long)b->recipients, (long long)b->opted_out);
}

static int on_broadcast(void *arg, const struct store_broadcast *b)
{
    say_broadcast(arg, b);
    return 0;
}

static int on_phone(void *arg, const char *phone)
{
    say(arg, "phone %s", phone);
    return 0;
}

/* ---- the sequence ------------------------------------------------------ */

static struct store_child_row child_a(void)
{
    return (struct store_child_row){
        .code = "1000015",
        .name = "Child A",
        .sex = "F",
        .birth_date = "2015-03-01",
        .region_id = 3,
        .categories = "left_behind",
        .flags = "",
        .given = STORE_CF_ID | STORE_CF_SCHOOL | STORE_CF_CARE_AGREEMENT,
        .id_number = "sealed-1",
        .id_masked = "210102********100X",
        .school = "School 1",
        .care_agreement = 1,
    };
}

/* The child's part: upserts, the sealed number, single fields, the export,
 * the change log and the fuller record. */
static void children(struct side *s, struct text *t)
{
    struct store_child_row a = child_a();
    struct store_child_row b = {.code = "1000023",
                                .name = "Child B",
                                .sex = "M",
                                .birth_date = "2012-07-09",
                                .region_id = 4,
                                .categories = "orphan",
                                .flags = "psych",
                                .care_agreement = -1};
    struct store_child_row c = {.code = "1000031",
                                .name = "Child C",
                                .sex = "M",
                                .birth_date = "2019-01-01",
                                .region_id = 3,
                                .categories = "difficulty|left_behind",
                                .flags = "",
                                .high_cadence = 1,
                                .care_agreement = -1};
    say(t, "upsert a %d", store_child_upsert(s->st, &a, NOW));
    say(t, "upsert b %d", store_child_upsert(s->st, &b, NOW));
    say(t, "upsert c %d", store_child_upsert(s->st, &c, NOW));
    for (size_t i = 0; i < sizeof world_sql / sizeof world_sql[0]; i++) run_sql(s, world_sql[i]);
    /* A: moved, recategorised, school cleared, a new seal, agreement now 0. */
    a.region_id = 4;
    a.categories = "left_behind|difficulty";
    a.flags = "child_disabled";
    a.id_number = "sealed-2";
    a.school = "";
    a.care_agreement = 0;
    a.given |= STORE_CF_CARER_NAME;
    a.carer_name = "Aunt";
    say(t, "upsert a again %d", store_child_upsert(s->st, &a, NOW2));
    say(t, "upsert a same %d", store_child_upsert(s->st, &a, NOW3));
    /* B has an XL visit: it stays on the high cadence although the row says not. */
    say(t, "upsert b same %d", store_child_upsert(s->st, &b, NOW2));
    b.high_cadence = 1;
    say(t, "upsert b high %d", store_child_upsert(s->st, &b, NOW2));
    char sealed[64] = "x";
    int rc = store_child_sealed_id(s->st, "1000015", sealed, sizeof sealed);
    say(t, "sealed a %d %s", rc, sealed);
    rc = store_child_sealed_id(s->st, "1000023", sealed, sizeof sealed);
    say(t, "sealed b %d [%s]", rc, sealed);
    say(t, "sealed none %d", store_child_sealed_id(s->st, "9999999", sealed, sizeof sealed));
    say(t, "set school %d", store_child_set(s->st, 2, "school", "School 2", "sms", NOW2));
    say(t, "set school again %d", store_child_set(s->st, 2, "school", "School 2", "sms", NOW3));
    say(t, "set carer_phone %d", store_child_set(s->st, 1, "carer_phone", "+8613600000001", "api", NOW3));
    say(t, "set carer_name clear %d", store_child_set(s->st, 1, "carer_name", "", "api", NOW3));
    say(t, "set bad field %d", store_child_set(s->st, 1, "name", "X", "api", NOW3));
    say(t, "set no child %d", store_child_set(s->st, 99, "school", "X", "api", NOW3));
    say(t, "export %d", store_children_export(s->st, on_export, t));
    say(t, "changes a %d", store_child_changes_each(s->st, "1000015", on_change, t));
    say(t, "changes b %d", store_child_changes_each(s->st, "1000023", on_change, t));
    say(t, "records %d", store_child_records_each(s->st, NULL, on_record, t));
    say(t, "record c %d", store_child_records_each(s->st, "1000031", on_record, t));
    say(t, "records stop %d", store_child_records_each(s->st, NULL, stop_first, t));
    dump(s, "SELECT id, code, high_cadence, updated_at FROM child ORDER BY id", t);
}

/* The period report's rows, at a period's end before and after the changes. */
static void report(struct side *s, struct text *t)
{
    say(t, "rchildren now+1 %d", store_report_children_each(s->st, NOW + 1, on_rchild, t));
    say(t, "rchildren later %d", store_report_children_each(s->st, NOW3 + 1, on_rchild, t));
    say(t, "rchildren none %d", store_report_children_each(s->st, NOW, on_rchild, t));
    say(t, "rvisits %d", store_report_visits_each(s->st, "2025-05-01", "2025-06-12", on_rvisit, t));
    say(t, "rcheckins %d", store_report_checkins_each(s->st, 1749000000, 1749900001, on_pair, t));
    say(t, "raway %d", store_report_away_each(s->st, NOW, on_pair, t));
    say(t, "raway later %d", store_report_away_each(s->st, NOW3, on_pair, t));
    say(t, "rcases %d", store_report_cases_each(s->st, 0, NOW3, on_rcase, t));
    say(t, "rdirectors %d", store_report_directors_each(s->st, NOW, on_directors, t));
    say(t, "rdirectors later %d", store_report_directors_each(s->st, NOW3, on_directors, t));
}

/* Broadcasts: insert, read, approve, audiences, queue, progress, cancel. */
static void broadcasts(struct side *s, struct text *t)
{
    int64_t id = 0, id2 = 0, row = 0;
    struct store_broadcast b;
    say(t, "insert %d", store_broadcast_insert(s->st, "notice", NULL, "directors:County/Town", 1, NOW, &id));
    say(t, "insert 2 %d", store_broadcast_insert(s->st, "notice", "{\"a\":\"1\"}", "guardians:orphan:County", 3, NOW2,
                                                 &id2));
    say(t, "ids %lld %lld", (long long)id, (long long)id2);
    say(t, "get %d", store_broadcast_get(s->st, id, &b));
    say_broadcast(t, &b);
    say(t, "get none %d", store_broadcast_get(s->st, 99, &b));
    say(t, "approve %d", store_broadcast_approve(s->st, id, 2, 2, 1, NOW2));
    say(t, "approve again %d", store_broadcast_approve(s->st, id, 2, 2, 1, NOW2));
    say(t, "directors %d", store_audience_each(s->st, STORE_AUD_DIRECTORS, NULL, "County/Town", on_phone, t));
    say(t, "directors all %d", store_audience_each(s->st, STORE_AUD_DIRECTORS, NULL, "County", on_phone, t));
    say(t, "away %d", store_audience_each(s->st, STORE_AUD_AWAY, NULL, "County/Town/VB", on_phone, t));
    say(t, "orphan %d", store_audience_each(s->st, STORE_AUD_GUARDIANS, "orphan", "County", on_phone, t));
    say(t, "left_behind %d", store_audience_each(s->st, STORE_AUD_GUARDIANS, "left_behind", "County", on_phone, t));
    say(t, "left %d", store_audience_each(s->st, STORE_AUD_GUARDIANS, "left", "County", on_phone, t));
    struct store_broadcast_msg m = {.broadcast_id = id,
                                    .recipient = "+8613800000001",
                                    .tmpl = "notice",
                                    .body = "hello",
                                    .kind = "broadcast",
                                    .priority = 3,
                                    .dedupe_key = "broadcast:1:+8613800000001"};
    say(t, "queue %d", store_broadcast_queue(s->st, &m, NOW2, &row));
    say(t, "row %lld", (long long)row);
    int64_t first = row;
    m.recipient = "+8613800000002";
    m.dedupe_key = "broadcast:1:+8613800000002";
    m.vars_json = "{\"x\":\"y\"}";
    say(t, "queue 2 %d", store_broadcast_queue(s->st, &m, NOW2, &row));
    m.recipient = "+8613800000001";
    m.dedupe_key = "broadcast:1:+8613800000001";
    row = 0;
    int dup = store_broadcast_queue(s->st, &m, NOW2, &row);
    say(t, "queue dup %d same row %d", dup, row == first);
    run_sql(s, "UPDATE outbox SET status = 'delivered' WHERE dedupe_key = 'broadcast:1:+8613800000002'");
    struct store_broadcast_progress p = {0};
    say(t, "progress %d", store_broadcast_progress(s->st, id, &p));
    say(t, "counts %lld %lld %lld %lld %lld", (long long)p.queued, (long long)p.sent, (long long)p.delivered,
        (long long)p.failed, (long long)p.suppressed);
    int64_t unsent = -1;
    say(t, "cancel %d", store_broadcast_cancel(s->st, id, NOW3, &unsent));
    say(t, "unsent %lld", (long long)unsent);
    say(t, "cancel again %d", store_broadcast_cancel(s->st, id, NOW3, &unsent));
    say(t, "progress %d", store_broadcast_progress(s->st, id, &p));
    say(t, "counts %lld %lld %lld %lld %lld", (long long)p.queued, (long long)p.sent, (long long)p.delivered,
        (long long)p.failed, (long long)p.suppressed);
    say(t, "each %d", store_broadcasts_each(s->st, on_broadcast, t));
    dump(s,
         "SELECT recipient, template, vars, body, kind, priority, status, last_error, broadcast_id, created_at, "
         "updated_at, done_at FROM outbox WHERE broadcast_id IS NOT NULL ORDER BY id",
         t);
}

/* Retention: the counts, then a purge in a transaction, then the rows. */
static void retention(struct side *s, struct text *t)
{
    struct store_purge_counts c;
    say(t, "count none %d", store_retention_count(s->st, 0, 0, &c));
    say(t, "c %ld %lld %ld %lld %ld %lld", c.cases, (long long)c.oldest_case, c.inbox, (long long)c.oldest_inbox,
        c.outbox, (long long)c.oldest_outbox);
    say(t, "count %d", store_retention_count(s->st, 5500, 1749000000, &c));
    say(t, "c %ld %lld %ld %lld %ld %lld", c.cases, (long long)c.oldest_case, c.inbox, (long long)c.oldest_inbox,
        c.outbox, (long long)c.oldest_outbox);
    assert_int_equal(store_begin(s->st), 0);
    say(t, "purge %d", store_retention_purge(s->st, 5500, 1749000000, NOW, &c));
    assert_int_equal(store_commit(s->st), 0);
    say(t, "c %ld %lld %ld %lld %ld %lld reporters %ld", c.cases, (long long)c.oldest_case, c.inbox,
        (long long)c.oldest_inbox, c.outbox, (long long)c.oldest_outbox, c.reporters);
    dump(s, "SELECT id, sender, raw_text, norm_text, purged_at FROM inbox ORDER BY id", t);
    dump(s, "SELECT id, recipient, body, vars, status, purged_at FROM outbox ORDER BY id", t);
    dump(s, "SELECT id, sender, text FROM sms_part ORDER BY id", t);
    dump(s, "SELECT id, reporter_id, reporter_purged_at FROM cases ORDER BY id", t);
    dump(s, "SELECT id, phone FROM reporter ORDER BY id", t);
    /* Again at once: nothing is left to purge. */
    assert_int_equal(store_begin(s->st), 0);
    say(t, "purge again %d", store_retention_purge(s->st, 5500, 1749000000, NOW, &c));
    assert_int_equal(store_commit(s->st), 0);
    say(t, "c %ld %ld %ld reporters %ld", c.cases, c.inbox, c.outbox, c.reporters);
}

static void run_all(struct side *s, struct text *t)
{
    for (size_t i = 0; i < sizeof roster_sql / sizeof roster_sql[0]; i++) run_sql(s, roster_sql[i]);
    children(s, t);
    report(s, t);
    broadcasts(s, t);
    retention(s, t);
}

/* ---- the tests --------------------------------------------------------- */

/* 1 when line is one of t's lines. */
static int has_line(const struct text *t, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = t->s; p && (p = strstr(p, line)) != NULL; p++)
        if ((p == t->s || p[-1] == '\n') && p[n] == '\n') return 1;
    return 0;
}

static void same_as_sqlite(void **state)
{
    (void)state;
    if (!getenv("GATEWAY_TEST_PG") || !*getenv("GATEWAY_TEST_PG")) {
        /* No server configured: nothing to compare against. */
        assert_null(pgtest_base_url());
        return;
    }
    char url[512], err[256], path[SEED_PATH_MAX];

    struct text lite = {0}, pg = {0};
    struct side sl = {.st = seed_store_new("test_pg_child", path)};
    assert_int_equal(sqlite3_open(path, &sl.db), SQLITE_OK);
    sqlite3_busy_timeout(sl.db, 5000);
    run_all(&sl, &lite);
    sqlite3_close(sl.db);
    seed_store_free(sl.st, path);

    if (pgtest_new_database(url, sizeof url, err, sizeof err) != 0) fail_msg("%s", err);
    struct side sp = {0};
    if (pg_store_open_ops(&pg_store_ops, url, &sp.st, err, sizeof err) != 0) fail_msg("open: %s", err);
    if (store_migrate(sp.st, NULL, NULL, err, sizeof err) != 0) fail_msg("migrate: %s", err);
    run_all(&sp, &pg);
    store_close(sp.st);
    pgtest_drop_database(url);

    if (getenv("TEST_PG_CHILD_KEEP") || strcmp(lite.s, pg.s) != 0) {
        FILE *f = fopen("/tmp/test_pg_child.sqlite.txt", "w");
        if (f) fputs(lite.s, f), fclose(f);
        f = fopen("/tmp/test_pg_child.pg.txt", "w");
        if (f) fputs(pg.s, f), fclose(f);
    }
    assert_string_equal(pg.s, lite.s);

    /* And the answers are the right ones, not only the same. */
    assert_true(has_line(&pg, "upsert a 0"));
    assert_true(has_line(&pg, "upsert a again 1"));
    assert_true(has_line(&pg, "upsert a same 2"));
    assert_true(has_line(&pg, "sealed a 0 sealed-2"));
    assert_true(has_line(&pg, "sealed none 1"));
    assert_true(has_line(&pg, "set school 1"));
    assert_true(has_line(&pg, "set school again 0"));
    assert_true(has_line(&pg, "set bad field -1"));
    assert_true(has_line(&pg, "change 1750046400|id_number|||import"));
    assert_true(has_line(&pg, "change 1750046400|region_id|3|4|import"));
    assert_true(has_line(&pg, "records stop 7"));
    /* At NOW + 1 child A was in region 3 with its old categories. */
    assert_true(has_line(&pg, "rchild 1|3|2015-03-01|left_behind||1749960000"));
    assert_true(has_line(&pg, "directors 3|2"));
    assert_true(has_line(&pg, "upsert b high 2"));
    assert_true(has_line(&pg, "3|\xe4\xb8\xad\xe6\x96\x87****EFGH|||1749960000"));
    assert_true(has_line(&pg, "queue dup 1 same row 1"));
    assert_true(has_line(&pg, "unsent 1"));
    assert_true(has_line(&pg, "phone +8613800000004"));
    char once[GW_MASK_LEN], twice[GW_MASK_LEN], line[128];
    snprintf(line, sizeof line, "1|%s|||1749960000", gw_mask_phone(gw_mask_phone("+8613700000001", once), twice));
    assert_true(has_line(&pg, line));
    assert_true(has_line(&pg, "c 2 5000 3 1000 2 1000 reporters 1"));
    free(lite.s);
    free(pg.s);
}

int main(void)
{
    seed_force_sqlite(1); /* seed_store_new is the SQLite side of the comparison */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_as_sqlite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
