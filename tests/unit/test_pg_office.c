/* tests/unit/test_pg_office.c - the PostgreSQL versions of the office
 * reads (cases, children's files), the case writes, sign-in codes and
 * sessions, tokens, the audit trail, the recordings' queue, USSD sessions
 * and voice calls, on a real server (GATEWAY_TEST_PG; make test
 * STORE=postgres starts one).
 *
 * A differential check: the same rows (plain SQL both dialects accept) go
 * into a new SQLite store and a new PostgreSQL database, the same sequence
 * of operations runs on both, and every answer is written to a log; the
 * two logs must be equal. Then what only several processes show: a media
 * row one connection is claiming is passed over by another (SKIP LOCKED),
 * and two connections appending to the audit trail at once chain one
 * after the other. Without a server it checks that none is configured.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include "../../core/store.h"
#include "../../core/util.h"
#include "../../db/pg_int.h"
#include "../../db/store_int.h"
#include "../../handlers/audit.h"
#include "../common/pgtest.h"
#include "../common/seed.h"

/* A new connection to the test database (migrated by the first test). */
static struct store *open_pg(void)
{
    return pgtest_open(pgtest_url, 0);
}

/* The rows the sequence reads, in SQL both backends run. */
static const char seed_sql[] =
    "INSERT INTO region(id, parent_id, name, path, level) VALUES (1, NULL, 'A', 'A', 1), (2, 1, 'T', 'A/T', 2), "
    "(3, 2, 'V', 'A/T/V', 3), (4, 2, 'W', 'A/T/W', 3), (5, NULL, 'B', 'B', 1), (6, 5, 'Y', 'B/X/Y', 3), "
    "(7, 1, 'T2', 'A/T2', 2);"
    "INSERT INTO staff(id, phone, name, role, region_id, department, created_at) VALUES "
    "(1, '+8613800000001', 'S1', 'admin', 1, NULL, 1), (2, '+8613800000002', 'S2', 'responder', 1, 'police', 1);"
    "INSERT INTO child(id, code, name, sex, birth_date, region_id, categories, flags, created_at) VALUES "
    "(1, '1000001', '王小明', 'M', '2015-01-01', 3, 'left_behind', '', 100), "
    "(2, '1000019', '李四', 'F', '2014-02-02', 4, 'orphan', 'psych', 101), "
    "(3, '1000027', 'Zed 小明', 'M', '2013-03-03', 6, 'difficulty', '', 102), "
    "(4, '2000005', 'abc', 'F', '2012-04-04', 3, 'left_behind', '', 103);"
    "INSERT INTO guardian(id, phone, name, created_at) VALUES (1, '+8613900000001', 'G1', 1);"
    "INSERT INTO guardian_child(guardian_id, child_id, relation, away) VALUES (1, 1, 'mother', 1), "
    "(1, 4, 'grandmother', 0);"
    "INSERT INTO inbox(id, channel, provider_id, sender, raw_text, norm_text, intent, received_at, stored_at) "
    "VALUES (1, 'sms', 'p1', '+8613900000001', 'CK 1000001', 'CK 1000001', 'checkin', 500, 500), "
    "(2, 'sms', 'p2', '+8613800000001', 'V 1000001', 'V 1000001', 'visit', 600, 600);"
    "INSERT INTO visit(id, child_id, staff_id, visit_date, result, problems, note, inbox_id, created_at) VALUES "
    "(1, 1, 1, '2024-01-02', 1, 'XL', 'n', 2, 600), (2, 1, 1, '2024-03-01', 4, '', NULL, NULL, 700), "
    "(3, 1, 1, '2099-01-01', 2, '', NULL, NULL, 710);"
    "INSERT INTO checkin(id, guardian_id, child_id, status, return_date, note, inbox_id, created_at) VALUES "
    "(1, 1, 1, 2, '2024-02-01', 'note', 1, 500), (2, 1, 1, 1, NULL, NULL, 2, 800);"
    "INSERT INTO reporter(id, phone, created_at) VALUES (1, '+8613700000001', 1);"
    "INSERT INTO cases(id, number, category, classified, priority, status, child_id, county_id, region_id, "
    "description, reporter_id, opened_at, acked_at, closed_at, flood_of, inferred) VALUES "
    "(1, '2401010001', 1, 1, 0, 'open', 1, 1, 3, 'd1', 1, 1000, NULL, NULL, NULL, 0), "
    "(2, '2401010002', 2, 0, 1, 'open', NULL, 1, 2, NULL, NULL, 1100, NULL, NULL, NULL, 0), "
    "(3, '2401010003', 3, 1, 1, 'acknowledged', NULL, 1, 4, NULL, NULL, 1200, 1300, NULL, NULL, 1), "
    "(4, '2401010004', 1, 1, 0, 'closed', NULL, 1, 3, NULL, NULL, 900, NULL, 2000, NULL, 0), "
    "(5, '2401010005', 4, 1, 2, 'open', NULL, 5, 6, NULL, NULL, 1050, NULL, NULL, NULL, 0), "
    "(6, '2401010006', 1, 1, 0, 'open', NULL, 1, 3, NULL, NULL, 1150, NULL, NULL, 1, 0), "
    "(7, '2401010007', 5, 1, 0, 'open', NULL, NULL, NULL, NULL, NULL, 1010, NULL, NULL, NULL, 0), "
    "(8, '2401010008', 1, 1, 0, 'open', NULL, 1, 7, NULL, NULL, 1005, NULL, NULL, NULL, 0);"
    "INSERT INTO case_event(id, case_id, at, kind, staff_id, detail) VALUES (1, 1, 1020, 'classified', 1, NULL), "
    "(2, 1, 1021, 'alerted', NULL, 'police'), (3, 2, 1101, 'alerted', NULL, 'Triage sent'), "
    "(4, 3, 1250, 'classified', NULL, 'x'), (5, 3, 1250, 'acknowledged', 1, NULL);"
    "INSERT INTO case_dept(case_id, department) VALUES (1, 'police'), (1, 'education'), (2, 'women'), "
    "(3, 'police'), (5, 'health'), (6, 'civil_affairs');"
    "INSERT INTO outbox(id, recipient, template, body, kind, status, case_id, next_attempt_at, created_at, "
    "updated_at) VALUES (1, '+8613800000001', 'case_alert', 'x', 'alert', 'sent', 1, 0, 1, 1), "
    "(2, '+8613800000002', 'case_alert', 'x', 'alert', 'queued', 1, 5000, 1, 1), "
    "(3, '+8613800000001', 'case_alert', 'x', 'alert', 'queued', 1, 3000, 1, 1), "
    "(4, '+8613800000003', 'other', 'x', 'alert', 'queued', 1, 0, 1, 1);";

/* PostgreSQL: explicit ids do not move the identity sequences. */
static const char pg_sequences_sql[] =
    "SELECT setval(pg_get_serial_sequence(t, 'id'), m) FROM (VALUES "
    "('region', 7), ('staff', 2), ('child', 4), ('guardian', 1), ('inbox', 2), ('visit', 3), ('checkin', 2), "
    "('reporter', 1), ('cases', 8), ('case_event', 5), ('outbox', 4)) AS s(t, m)";

/* ---- the sequence, written to a log ----------------------------------------- */

static int log_case(void *arg, const struct db_case_row *c)
{
    gw_buf_printf(arg, "  case %s cat%d cl%d inf%d p%d %s o%lld a%lld c%lld s%lld tr%d h%d [%s] [%s] dl%lld id%lld\n",
                  c->number, c->category, c->classified, c->inferred, c->priority, c->status,
                  (long long)c->opened_at, (long long)c->acked_at, (long long)c->closed_at, (long long)c->since,
                  c->triage, c->held, c->region, c->depts, (long long)c->key.deadline, (long long)c->key.id);
    return 0;
}

struct pager {
    struct gw_buf *log;
    struct db_case_key last;
    int rows;
};

static int page_row(void *arg, const struct db_case_row *c)
{
    struct pager *p = arg;
    p->last = c->key;
    p->rows++;
    return log_case(p->log, c);
}

/* Every page of q (limit 2), logged. */
static void list_pages(struct store *st, struct gw_buf *log, struct db_case_query q, const char *what)
{
    struct pager p = {.log = log};
    q.limit = 2;
    q.after = NULL;
    for (int page = 0; page < 10; page++) {
        p.rows = 0;
        int rc = db_cases_list(st, &q, page_row, &p);
        gw_buf_printf(log, "list %s page %d rc %d rows %d\n", what, page, rc, p.rows);
        if (p.rows < 2) break;
        q.after = &p.last;
    }
}

static void cases(struct store *st, struct gw_buf *log)
{
    struct db_case_query q = {.priority = -1, .ack_p0 = 3600, .ack_p1 = 86400, .status = 2};
    q.scope = (struct db_case_scope){.kind = DB_SCOPE_ALL};
    list_pages(st, log, q, "all");
    q.status = 0;
    list_pages(st, log, q, "all-unclosed");
    q.status = 1;
    list_pages(st, log, q, "all-closed");
    q.status = 2;
    q.priority = 1;
    list_pages(st, log, q, "all-p1");
    q.priority = -1;
    q.region = "A/T";
    list_pages(st, log, q, "all-under-A/T");
    q.region = NULL;
    q.scope = (struct db_case_scope){.kind = DB_SCOPE_COUNTY, .region_id = 1};
    list_pages(st, log, q, "county");
    q.scope = (struct db_case_scope){.kind = DB_SCOPE_UNDER, .path = "A/T"};
    list_pages(st, log, q, "under");
    q.scope = (struct db_case_scope){.kind = DB_SCOPE_DEPT, .region_id = 1, .department = "police"};
    list_pages(st, log, q, "dept");
    q.scope = (struct db_case_scope){.kind = DB_SCOPE_REGION, .region_id = 3};
    list_pages(st, log, q, "region");
    q.scope = (struct db_case_scope){.kind = DB_SCOPE_NONE};
    list_pages(st, log, q, "none");

    struct db_case_scope all = {.kind = DB_SCOPE_ALL}, county_b = {.kind = DB_SCOPE_COUNTY, .region_id = 5};
    struct db_case_detail d;
    int rc = db_case_get(st, &all, "2401010001", 3600, 86400, &d);
    gw_buf_printf(log, "get rc %d desc %s child %s %s reporter %s\n", rc, d.description ? d.description : "-",
                  d.child_code, d.child_name, d.reporter_phone);
    log_case(log, &d.row);
    db_case_detail_free(&d);
    rc = db_case_get(st, &county_b, "2401010001", 3600, 86400, &d);
    gw_buf_printf(log, "get out of scope rc %d\n", rc);
    db_case_detail_free(&d);
}

static int log_event(void *arg, const struct db_case_event_row *e)
{
    gw_buf_printf(arg, "  event %lld %lld %s %s\n", (long long)e->id, (long long)e->at, e->kind,
                  e->detail ? e->detail : "NULL");
    return 0;
}

static int log_media_row(void *arg, const struct db_case_media_row *m)
{
    gw_buf_printf(arg, "  media %lld %s %lld %s %lld\n", (long long)m->id, m->status, (long long)m->bytes,
                  m->content_type ? m->content_type : "NULL", (long long)m->created_at);
    return 0;
}

static int stop_first(void *arg, const struct db_case_event_row *e)
{
    (void)e;
    gw_buf_puts(arg, "  stopped\n");
    return 7;
}

static const char *s_(const char *s) { return s ? s : "NULL"; }

static int log_child(void *arg, const struct store_file_child *c)
{
    gw_buf_printf(arg, "  child %lld %s %s %s %s %s %s [%s] hc%d %lld last %s count %s\n", (long long)c->id,
                  c->code, c->name, c->sex, c->birth_date, c->region, c->categories, c->flags, c->high_cadence,
                  (long long)c->created_at, s_(c->last_visit), s_(c->last_count));
    return 0;
}

static int log_guardian(void *arg, const struct store_file_guardian *g)
{
    gw_buf_printf(arg, "  guardian %s %s %d %s\n", g->name, g->relation, g->away, g->phone);
    return 0;
}

static int log_visit(void *arg, const struct store_file_visit *v)
{
    gw_buf_printf(arg, "  visit %lld %s %d [%s] %s %s %lld\n", (long long)v->id, v->visit_date, v->result, v->problems,
                  s_(v->note), s_(v->staff), (long long)v->created_at);
    return 0;
}

static int log_checkin(void *arg, const struct store_file_checkin *k)
{
    gw_buf_printf(arg, "  checkin %lld %lld %d %s %s %s\n", (long long)k->id, (long long)k->created_at, k->status,
                  s_(k->return_date), s_(k->note), s_(k->relation));
    return 0;
}

static int log_file_case(void *arg, const struct store_file_case *c)
{
    gw_buf_printf(arg, "  case %s %d %d %s %lld %lld %lld\n", c->number, c->category, c->priority, c->status,
                  (long long)c->opened_at, (long long)c->acked_at, (long long)c->closed_at);
    return 0;
}

static int log_message(void *arg, const struct store_file_message *m)
{
    gw_buf_printf(arg, "  message %lld %lld %s %s %s %s\n", (long long)m->id, (long long)m->received_at, m->channel,
                  m->kind, s_(m->intent), m->text);
    return 0;
}

static void files(struct store *st, struct gw_buf *log)
{
    static const struct {
        const char *under, *q, *after;
        int limit;
    } lists[] = {
        {"", "", "", 0},        {"A/T", "", "", 0}, {"", "1000", "", 2},  {"", "小明", "", 0},
        {"", "", "1000019", 0}, {"A/T/V", "", "", 1}, {"A/T2", "", "", 0}, {"", "zz", "", 0},
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        int rc = store_files_children_each(st, lists[i].under, lists[i].q, lists[i].after, lists[i].limit,
                                           "2025-01-01", log_child, log);
        gw_buf_printf(log, "children %zu rc %d\n", i, rc);
    }
    gw_buf_printf(log, "child rc %d\n", store_files_child(st, "1000001", "A", "2025-01-01", log_child, log));
    gw_buf_printf(log, "child rc %d\n", store_files_child(st, "1000001", "B", NULL, log_child, log));
    gw_buf_printf(log, "guardians rc %d\n", store_files_guardians_each(st, 1, log_guardian, log));
    gw_buf_printf(log, "visits rc %d\n", store_files_visits_each(st, 1, log_visit, log));
    gw_buf_printf(log, "checkins rc %d\n", store_files_checkins_each(st, 1, log_checkin, log));
    gw_buf_printf(log, "cases rc %d\n", store_files_cases_each(st, 1, log_file_case, log));
    gw_buf_printf(log, "messages rc %d\n", store_files_messages_each(st, 1, log_message, log));
}

static void case_writes(struct store *st, struct gw_buf *log)
{
    const char *depts[] = {"women", "health", "women"};
    gw_buf_printf(log, "assign closed %d\n", db_case_assign(st, 4, depts, 2, 1, "x", 3000));
    gw_buf_printf(log, "assign none %d\n", db_case_assign(st, 0, depts, 0, 1, "x", 3000));
    gw_buf_printf(log, "assign %d\n", db_case_assign(st, 1, depts, 3, 1, "to women", 3000));
    gw_buf_printf(log, "events rc %d\n", db_case_events_list(st, 1, log_event, log));
    gw_buf_printf(log, "events stop rc %d\n", db_case_events_list(st, 1, stop_first, log));
    struct db_case_query q = {.scope = {.kind = DB_SCOPE_REGION, .region_id = 3}, .priority = -1, .status = 2};
    list_pages(st, log, q, "after assign");
}

static void session(struct store *st, struct gw_buf *log)
{
    struct store_login_code_row c = {.created_at = 100, .expires_at = 400};
    gw_strlcpy(c.phone, "+8613800000001", sizeof c.phone);
    gw_strlcpy(c.hash, "salt$h1", sizeof c.hash);
    gw_strlcpy(c.client, "10.0.0.1", sizeof c.client);
    int64_t id1 = 0, id2 = 0, id3 = 0;
    int rc1 = store_login_code_insert(st, &c, &id1);
    c.created_at = 200;
    gw_strlcpy(c.hash, "salt$h2", sizeof c.hash);
    int rc2 = store_login_code_insert(st, &c, &id2);
    c.created_at = 300;
    c.hash[0] = '\0';
    gw_strlcpy(c.client, "10.0.0.2", sizeof c.client);
    int rc3 = store_login_code_insert(st, &c, &id3);
    gw_buf_printf(log, "codes %d %d %d ids %lld %lld %lld\n", rc1, rc2, rc3, (long long)id1, (long long)id2,
                  (long long)id3);
    struct store_login_counts n;
    int rc = store_login_code_counts(st, "+8613800000001", "10.0.0.1", 150, &n);
    gw_buf_printf(log, "counts %d %d %lld %d %lld\n", rc, n.phone, (long long)n.phone_oldest, n.client,
                  (long long)n.client_oldest);
    {
        int r0 = store_login_code_try(st, id2);
        int r1 = store_login_code_try(st, 999);
        gw_buf_printf(log, "try %d %d\n", r0, r1);
    }
    {
        int r0 = store_login_code_use(st, id2, 250);
        int r1 = store_login_code_use(st, id2, 260);
        gw_buf_printf(log, "use %d %d\n", r0, r1);
    }
    struct store_login_code_row last;
    rc = store_login_code_last(st, "+8613800000001", &last);
    gw_buf_printf(log, "last %d %lld %s %s %s %lld %lld %d %lld\n", rc, (long long)last.id, last.phone, last.hash,
                  last.client, (long long)last.created_at, (long long)last.expires_at, last.tries,
                  (long long)last.used_at);
    gw_buf_printf(log, "last none %d\n", store_login_code_last(st, "+1", &last));

    struct store_session_row s = {.staff_id = 2, .created_at = 100, .last_seen_at = 100, .expires_at = 1000};
    gw_strlcpy(s.hash, "sess1", sizeof s.hash);
    gw_strlcpy(s.csrf_hash, "csrf1", sizeof s.csrf_hash);
    gw_strlcpy(s.client, "10.0.0.1", sizeof s.client);
    int64_t sid = 0, sid2 = 0;
    rc1 = store_session_insert(st, &s, &sid);
    rc2 = store_session_insert(st, &s, &sid2);
    gw_buf_printf(log, "session insert %d %lld dup %d %lld\n", rc1, (long long)sid, rc2, (long long)sid2);
    {
        int r0 = store_session_touch(st, sid, 150);
        int r1 = store_session_touch(st, 999, 150);
        gw_buf_printf(log, "touch %d %d\n", r0, r1);
    }
    struct store_session_row o;
    rc = store_session_by_hash(st, "sess1", &o);
    gw_buf_printf(log, "by hash %d %lld %s %lld %s %s %lld %lld %lld %s %s %lld %d %s %s\n", rc, (long long)o.id,
                  o.hash, (long long)o.staff_id, o.csrf_hash, o.client, (long long)o.created_at,
                  (long long)o.last_seen_at, (long long)o.expires_at, o.role, o.department, (long long)o.region_id,
                  o.region_level, o.region, o.name);
    {
        int r0 = store_session_end(st, "sess1", 160);
        int r1 = store_session_end(st, "nope", 160);
        gw_buf_printf(log, "end %d %d\n", r0, r1);
    }
    gw_buf_printf(log, "by hash ended %d\n", store_session_by_hash(st, "sess1", &o));
    gw_buf_printf(log, "purge %d\n", store_sign_in_purge(st, 250, 170));
}

static int log_token(void *arg, const struct store_token_row *t)
{
    gw_buf_printf(arg, "  token %lld %s %s %lld %s %s %s %lld %lld %lld\n", (long long)t->id, t->name, t->role,
                  (long long)t->region_id, t->region, t->department, t->hash, (long long)t->created_at,
                  (long long)t->revoked_at, (long long)t->last_used_at);
    return 0;
}

static void tokens(struct store *st, struct gw_buf *log)
{
    struct store_token_row t = {.region_id = 2};
    gw_strlcpy(t.name, "b-sys", sizeof t.name);
    gw_strlcpy(t.role, "responder", sizeof t.role);
    gw_strlcpy(t.department, "police", sizeof t.department);
    gw_strlcpy(t.hash, "hb", sizeof t.hash);
    int64_t id = 0;
    gw_buf_printf(log, "token %d", store_token_insert(st, &t, 10, &id));
    gw_buf_printf(log, " %lld", (long long)id);
    gw_strlcpy(t.hash, "hb2", sizeof t.hash);
    gw_buf_printf(log, " dup name %d", store_token_insert(st, &t, 10, NULL));
    gw_strlcpy(t.name, "B-sys", sizeof t.name);
    gw_strlcpy(t.role, "admin", sizeof t.role);
    t.region_id = 0;
    t.department[0] = '\0';
    gw_strlcpy(t.hash, "hb", sizeof t.hash);
    gw_buf_printf(log, " dup hash %d", store_token_insert(st, &t, 11, NULL));
    gw_strlcpy(t.hash, "ha", sizeof t.hash);
    gw_buf_printf(log, " second %d\n", store_token_insert(st, &t, 11, NULL));
    struct store_token_row o;
    gw_buf_printf(log, "by hash %d", store_token_by_hash(st, "hb", &o));
    log_token(log, &o);
    {
        int r0 = store_token_touch(st, id, 20);
        int r1 = store_token_touch(st, 999, 20);
        gw_buf_printf(log, "touch %d %d\n", r0, r1);
    }
    {
        int r0 = store_token_revoke(st, "b-sys", 30);
        int r1 = store_token_revoke(st, "b-sys", 40);
        int r2 = store_token_revoke(st, "none", 40);
        gw_buf_printf(log, "revoke %d %d %d\n", r0, r1, r2);
    }
    gw_buf_printf(log, "by hash revoked %d\n", store_token_by_hash(st, "hb", &o));
    gw_buf_printf(log, "each %d\n", store_tokens_each(st, log_token, log));
}

static int log_audit(void *arg, const struct store_audit_row *r)
{
    gw_buf_printf(arg, "  audit %lld %lld %s %s %s %s %s %s %.8s %.8s\n", (long long)r->id, (long long)r->at, r->actor,
                  r->role, r->client, r->action, r->records, r->purpose, r->prev, r->hash);
    return 0;
}

static void audit(struct store *st, struct gw_buf *log)
{
    char hash[65];
    int64_t id = -1;
    gw_buf_printf(log, "audit last empty %d", store_audit_last(st, hash, &id));
    gw_buf_printf(log, " [%s] %lld\n", hash, (long long)id);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(store_begin(st), 0);
        int rc = audit_record(st, "cli", "admin", "cli", "report", i ? "case:1" : "", "", 100 + i);
        gw_buf_printf(log, "record %d %d\n", rc, store_commit(st));
    }
    gw_buf_printf(log, "audit last %d", store_audit_last(st, hash, &id));
    gw_buf_printf(log, " [%s] %lld\n", hash, (long long)id);
    gw_buf_printf(log, "each %d\n", store_audit_each(st, 2, log_audit, log));
}

static void media(struct store *st, struct gw_buf *log)
{
    int64_t a = 0, b = 0, c = 0;
    int rc1 = store_media_add(st, "voice", 1, 0, "https://m/1", 12, 100, &a);
    int rc2 = store_media_add(st, "voice", 0, 0, "https://m/2", -1, 101, &b);
    int rc3 = store_media_add(st, "voice", 1, 0, "https://m/1", 99, 102, &c);
    gw_buf_printf(log, "media add %d %lld %d %lld dup %d %lld\n", rc1, (long long)a, rc2, (long long)b, rc3,
                  (long long)c);
    struct store_media *rows = NULL;
    size_t n = 0;
    int rc = store_media_due(st, 200, 10, &rows, &n);
    gw_buf_printf(log, "due %d %zu\n", rc, n);
    for (size_t i = 0; i < n; i++)
        gw_buf_printf(log, "  %lld %s %s %lld %s %d %lld\n", (long long)rows[i].id, rows[i].channel, rows[i].url,
                      (long long)rows[i].case_id, s_(rows[i].case_number), rows[i].attempts,
                      (long long)rows[i].created_at);
    store_media_rows_free(rows, n);
    {
        int r0 = store_media_claim(st, a, 210);
        int r1 = store_media_claim(st, a, 211);
        gw_buf_printf(log, "claim %d again %d\n", r0, r1);
    }
    gw_buf_printf(log, "claim b %d\n", store_media_claim(st, b, 210));
    {
        int r0 = store_media_fetched(st, a, "/m/a", "abc", 1234, "audio/wav", 220);
        int r1 = store_media_fetched(st, a, "/m/a", "abc", 1234, NULL, 221);
        gw_buf_printf(log, "fetched %d again %d\n", r0, r1);
    }
    gw_buf_printf(log, "failed %d\n", store_media_failed(st, b, 1, "timeout", 500, 230));
    gw_buf_printf(log, "due later %d", store_media_due(st, 300, 10, &rows, &n));
    gw_buf_printf(log, " %zu\n", n);
    store_media_rows_free(rows, n);
    {
        int r0 = store_media_claim(st, b, 600);
        int r1 = store_media_release(st, b, 610);
        gw_buf_printf(log, "claim b %d release %d\n", r0, r1);
    }
    int64_t rec = -1;
    {
        int r0 = store_media_claim(st, b, 620);
        /* Recovery puts back the fetches of a process that died: on SQLite
         * every fetch in flight, on PostgreSQL those whose claimant holds
         * no lock. Here the claimant is made one that died. */
        if (st->ops == &pg_store_ops)
            assert_int_equal(pg_exec(st, "UPDATE media SET claimed_by = 0 WHERE status = 'fetching'"), 0);
        int r1 = store_media_recover(st, &rec);
        gw_buf_printf(log, "claim b %d recover %d", r0, r1);
    }
    gw_buf_printf(log, " %lld\n", (long long)rec);
    {
        int r0 = store_media_claim(st, b, 630);
        int r1 = store_media_failed(st, b, 0, "gone", 999, 640);
        gw_buf_printf(log, "claim b %d failed %d\n", r0, r1);
    }
    gw_buf_printf(log, "case media %d\n", db_case_media_list(st, 1, log_media_row, log));
    struct store_media_recipient r[1];
    int k = store_media_case_recipients(st, 1, r, 1);
    gw_buf_printf(log, "recipients %d %s %lld\n", k, r[0].phone, (long long)r[0].not_before);
    struct store_media_recipient r2[4];
    k = store_media_case_recipients(st, 1, r2, 4);
    gw_buf_printf(log, "recipients %d %s %lld %s %lld\n", k, r2[0].phone, (long long)r2[0].not_before, r2[1].phone,
                  (long long)r2[1].not_before);
}

static void ussd_voice(struct store *st, struct gw_buf *log)
{
    struct db_ussd_session u;
    gw_buf_printf(log, "ussd get none %d\n", db_ussd_get(st, "at", "s1", &u));
    memset(&u, 0, sizeof u);
    gw_strlcpy(u.phone, "+8613700000001", sizeof u.phone);
    gw_strlcpy(u.state, "menu", sizeof u.state);
    gw_strlcpy(u.last_screen, "Welcome", sizeof u.last_screen);
    gw_buf_printf(log, "ussd put %d\n", db_ussd_put(st, "at", "s1", "*123#", &u, 100));
    int rc = db_ussd_get(st, "at", "s1", &u);
    gw_buf_printf(log, "ussd get %d %s %s %d [%s] %s %d %lld %lld %lld\n", rc, u.phone, u.state, u.has_last,
                  u.last_text, u.last_screen, u.last_end, (long long)u.case_id, (long long)u.created_at,
                  (long long)u.updated_at);
    u.has_last = 1;
    gw_strlcpy(u.last_text, "1*2", sizeof u.last_text);
    u.last_end = 1;
    u.case_id = 2;
    gw_buf_printf(log, "ussd put again %d\n", db_ussd_put(st, "at", "s1", "*123#", &u, 150));
    rc = db_ussd_get(st, "at", "s1", &u);
    gw_buf_printf(log, "ussd get %d %s %d [%s] %d %lld %lld %lld\n", rc, u.state, u.has_last, u.last_text, u.last_end,
                  (long long)u.case_id, (long long)u.created_at, (long long)u.updated_at);
    gw_buf_printf(log, "ussd other channel %d\n", db_ussd_get(st, "other", "s1", &u));

    struct db_child ch = {.id = 2, .region = {.id = 4, .county_id = 1}};
    {
        int r0 = db_case_attach_child(st, 2, &ch);
        int r1 = db_case_attach_child(st, 2, &ch);
        gw_buf_printf(log, "attach child %d again %d\n", r0, r1);
    }
    struct db_child other = {.id = 3, .region = {.id = 6, .county_id = 5}};
    gw_buf_printf(log, "attach child elsewhere %d\n", db_case_attach_child(st, 7, &other));
    {
        int r0 = db_case_attach_description(st, 2, "hurt");
        int r1 = db_case_attach_description(st, 2, "again");
        gw_buf_printf(log, "describe %d again %d\n", r0, r1);
    }
    struct db_case_scope all = {.kind = DB_SCOPE_ALL};
    struct db_case_detail d;
    gw_buf_printf(log, "get 2 %d", db_case_get(st, &all, "2401010002", 3600, 86400, &d));
    gw_buf_printf(log, " %s %s\n", s_(d.description), d.child_code);
    log_case(log, &d.row);
    db_case_detail_free(&d);
    gw_buf_printf(log, "get 7 %d", db_case_get(st, &all, "2401010007", 3600, 86400, &d));
    gw_buf_printf(log, " %s\n", d.child_code);
    log_case(log, &d.row);
    db_case_detail_free(&d);

    struct db_call call;
    gw_buf_printf(log, "call get none %d\n", db_call_get(st, "tw", "CA1", &call));
    int64_t cid = 0;
    gw_buf_printf(log, "call start %d", db_call_start(st, "tw", "CA1", "+8613700000001", "", 100, &cid));
    gw_buf_printf(log, " %lld\n", (long long)cid);
    rc = db_call_get(st, "tw", "CA1", &call);
    gw_buf_printf(log, "call get %d %lld [%s] [%s] [%s] [%s] %s %lld %lld\n", rc, (long long)call.id, call.path,
                  call.state, call.last_step, call.last_key, s_(call.last_doc), (long long)call.case_id,
                  (long long)call.ended_at);
    gw_strlcpy(call.path, "menu>report", sizeof call.path);
    gw_strlcpy(call.state, "st", sizeof call.state);
    gw_strlcpy(call.last_step, "report", sizeof call.last_step);
    gw_strlcpy(call.last_key, "report:1", sizeof call.last_key);
    call.last_doc = gw_strdup("<Response/>");
    call.case_id = 1;
    gw_buf_printf(log, "call save %d\n", db_call_save(st, &call, 110));
    db_call_clear(&call);
    struct db_call ghost = {.id = 999};
    gw_buf_printf(log, "call save ghost %d\n", db_call_save(st, &ghost, 110));
    {
        int r0 = db_call_end(st, cid, "completed", 42, 120);
        int r1 = db_call_end(st, cid, "completed", -1, 121);
        int r2 = db_call_end(st, 999, "x", 1, 1);
        gw_buf_printf(log, "call end %d %d ghost %d\n", r0, r1, r2);
    }
    rc = db_call_get(st, "tw", "CA1", &call);
    gw_buf_printf(log, "call get %d [%s] [%s] [%s] %s %lld %lld\n", rc, call.path, call.last_step, call.last_key,
                  s_(call.last_doc), (long long)call.case_id, (long long)call.ended_at);
    db_call_clear(&call);
}

/* Runs the whole sequence on st and returns its log (owned). */
static char *sequence(struct store *st)
{
    struct gw_buf log = {0};
    cases(st, &log);
    files(st, &log);
    case_writes(st, &log);
    session(st, &log);
    tokens(st, &log);
    audit(st, &log);
    media(st, &log);
    ussd_voice(st, &log);
    return gw_buf_steal(&log);
}

/* Prints the first line where a and b differ. */
static void first_difference(const char *a, const char *b)
{
    int line = 1;
    const char *la = a, *lb = b;
    while (*a && *a == *b) {
        if (*a == '\n') {
            line++;
            la = a + 1;
            lb = b + 1;
        }
        a++, b++;
    }
    fprintf(stderr, "line %d:\n sqlite:   %.*s\n postgres: %.*s\n", line, (int)strcspn(la, "\n"), la,
            (int)strcspn(lb, "\n"), lb);
}

static void without_a_server(void **state)
{
    (void)state;
    if (pgtest_base_url()) return; /* the other tests run */
    assert_null(pgtest_base_url());
}

static void same_answers_as_sqlite(void **state)
{
    (void)state;
    if (!pgtest_base_url()) return; /* without_a_server checked it */
    char path[SEED_PATH_MAX];
    struct store *lite = seed_store_new("pgoffice", path);
    assert_int_equal(store_exec(lite, seed_sql), 0);
    char *want = sequence(lite);
    seed_store_free(lite, path);

    struct store *pg = open_pg();
    char err[256];
    if (store_migrate(pg, NULL, NULL, err, sizeof err) != 0) fail_msg("migrate: %s", err);
    if (pg_exec(pg, seed_sql) != 0 || pg_exec(pg, pg_sequences_sql) != 0) fail_msg("seed: %s", store_errmsg(pg));
    char *got = sequence(pg);
    store_close(pg);
    if (getenv("PG_OFFICE_LOG")) fprintf(stderr, "%s", got);
    if (strcmp(want, got) != 0) first_difference(want, got);
    assert_string_equal(want, got);
    /* The log is not trivially empty: a few anchors. */
    assert_non_null(strstr(got, "[police,education]"));
    assert_non_null(strstr(got, "[women,health]"));
    assert_non_null(strstr(got, "tr1 h0"));
    free(want);
    free(got);
}

static void a_claimed_recording_is_passed_over(void **state)
{
    (void)state;
    if (!pgtest_base_url()) return; /* without_a_server checked it */
    struct store *one = open_pg(), *two = open_pg();
    int64_t id = 0, other = 0;
    assert_int_equal(store_media_add(one, "voice", 0, 0, "https://m/locked", -1, 1000, &id), 0);
    assert_int_equal(store_media_add(one, "voice", 0, 0, "https://m/free", -1, 1000, &other), 0);
    assert_int_equal(store_begin(one), 0);
    assert_int_equal(store_media_claim(one, id, 1001), 0);
    /* Another process neither waits for the row nor claims it, and its due
     * list leaves it out while the first one's transaction is open. */
    assert_int_equal(store_begin(two), 0);
    assert_int_equal(store_media_claim(two, id, 1001), 1);
    struct store_media *rows = NULL;
    size_t n = 0;
    assert_int_equal(store_media_due(two, 2000, 100, &rows, &n), 0);
    int seen_locked = 0, seen_free = 0;
    for (size_t i = 0; i < n; i++) {
        seen_locked |= rows[i].id == id;
        seen_free |= rows[i].id == other;
    }
    store_media_rows_free(rows, n);
    assert_false(seen_locked);
    assert_true(seen_free);
    assert_int_equal(store_media_claim(two, other, 1001), 0);
    assert_int_equal(store_commit(two), 0);
    assert_int_equal(store_commit(one), 0);
    /* Committed as fetching: no longer queued for anyone. */
    assert_int_equal(store_media_claim(two, id, 1002), 1);
    store_close(two);
    store_close(one);
}

struct writer {
    struct store *st;
    int rc;
};

/* A second process's audited action: its own transaction. */
static void *second_writer(void *arg)
{
    struct writer *w = arg;
    w->rc = store_begin(w->st);
    if (w->rc == 0) w->rc = audit_record(w->st, "staff:2", "responder", "10.0.0.2", "read case", "", "", 5001);
    if (w->rc == 0)
        w->rc = store_commit(w->st);
    else
        store_rollback(w->st);
    return NULL;
}

static int check_chain(void *arg, const struct store_audit_row *r)
{
    struct store_audit_row *prev = arg;
    char hash[AUDIT_HASH_HEX];
    assert_int_equal(audit_row_hash(r, hash), 0);
    assert_string_equal(hash, r->hash);
    if (prev->id) {
        assert_int_equal(r->id, prev->id + 1);
        assert_string_equal(r->prev, prev->hash);
    }
    free((char *)prev->hash);
    prev->id = r->id;
    prev->hash = gw_strdup(r->hash);
    return 0;
}

static void two_writers_chain_one_after_the_other(void **state)
{
    (void)state;
    if (!pgtest_base_url()) return; /* without_a_server checked it */
    struct store *one = open_pg();
    struct writer w = {.st = open_pg(), .rc = -9};
    char hash[65];
    int64_t before = 0;
    assert_true(store_audit_last(one, hash, &before) >= 0);
    /* The first writer reads the newest row and holds the chain; the
     * second starts meanwhile and must wait, then chain onto the first's. */
    assert_int_equal(store_begin(one), 0);
    int64_t last = 0;
    assert_true(store_audit_last(one, hash, &last) >= 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, second_writer, &w), 0);
    usleep(300 * 1000);
    struct store_audit_row r = {.id = last + 1,
                                .at = 5000,
                                .actor = "cli",
                                .role = "admin",
                                .client = "cli",
                                .action = "report",
                                .records = "",
                                .purpose = "",
                                .prev = hash};
    char mine[AUDIT_HASH_HEX];
    r.hash = mine;
    assert_int_equal(audit_row_hash(&r, mine), 0);
    assert_int_equal(store_audit_append(one, &r), 0);
    assert_int_equal(store_commit(one), 0);
    pthread_join(t, NULL);
    assert_int_equal(w.rc, 0);
    int64_t now_last = 0;
    assert_int_equal(store_audit_last(one, hash, &now_last), 0);
    assert_int_equal(now_last, last + 2);
    struct store_audit_row prev = {0};
    assert_int_equal(store_audit_each(one, 1, check_chain, &prev), 0);
    assert_int_equal(prev.id, last + 2);
    free((char *)prev.hash);
    store_close(w.st);
    store_close(one);
}

int main(void)
{
    seed_force_sqlite(1); /* seed_store_new is the SQLite side of the comparison */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(without_a_server),
        cmocka_unit_test(same_answers_as_sqlite),
        cmocka_unit_test(a_claimed_recording_is_passed_over),
        cmocka_unit_test(two_writers_chain_one_after_the_other),
    };
    return cmocka_run_group_tests(tests, pgtest_group_setup, pgtest_group_teardown);
}
