/* tests/unit/test_broadcast.c - broadcasts (handlers/broadcast.h): who may
 * create one and to whom, what a text may carry, approval by a second
 * person only, an opted-out recipient counted and never queued, guardians
 * once each however many children they have, the rows at the lowest
 * priority behind an alert, cancelling what is still queued, progress as
 * rows are sent, and the `broadcast` command's words and output.
 *
 * Every test gets a fresh migrated database seeded through the roster
 * import (tests/common/seed.h); TZ is Asia/Shanghai.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../core/store.h"
#include "../../core/util.h"
#include "../../gateway/broadcast_cmd.h"
#include "../../handlers/broadcast.h"
#include "../../handlers/templates.h"
#include "../common/seed.h"
#include "../common/streams.h"
#include "../common/teststore.h"

#define NOW 1749960000LL /* 2025-06-15T12:00:00+08:00 */

#define D1  "+8613800000001" /* director, 示例县/东镇/桃村 */
#define D2  "+8613800000002" /* director, 示例县/东镇/李村 */
#define D3  "+8613800000003" /* director, 示例县/西镇/杏村 */
#define D4  "+8613800000004" /* director, 邻县/南镇/柳村 */
#define D5  "+8613800000005" /* director, 示例县东/北镇/枣村: a county whose name extends 示例县 */
#define ADM "+8613800003001" /* admin, 示例县 */
#define C1  "+8613800003002" /* county officer, 示例县 */
#define AUD "+8613800003003" /* auditor, 示例县 */
#define C2  "+8613800003004" /* county officer, 示例县 */
#define C3  "+8613800003005" /* county officer, 邻县 */
#define G1  "+8613900000001" /* away guardian of 1000015 and 1000028 (桃村, left_behind) */
#define G2  "+8613900000002" /* guardian at home of 1000031 (李村, orphan) */
#define G3  "+8613900000003" /* away guardian of 1000044 (杏村, left_behind) */
#define G4  "+8613900000004" /* away guardian of 1000053 (邻县, left_behind) */

static const char regions_csv[] = "path\n示例县/东镇/桃村\n示例县/东镇/李村\n示例县/西镇/杏村\n邻县/南镇/柳村\n"
                                  "示例县东/北镇/枣村\n";
static const char staff_csv[] = "phone,name,role,region,department\n" D1 ",钱主任,director,示例县/东镇/桃村,\n" D2
                                ",孙主任,director,示例县/东镇/李村,\n" D3 ",周主任,director,示例县/西镇/杏村,\n" D4
                                ",吴主任,director,邻县/南镇/柳村,\n" D5 ",郑主任,director,示例县东/北镇/枣村,\n" ADM
                                ",卫管理,admin,示例县,\n" C1 ",王建华,county,示例县,\n" AUD ",钱审计,auditor,示例县,\n" C2
                                ",李科长,county,示例县,\n" C3 ",赵科长,county,邻县,\n";
static const char children_csv[] = "code,name,sex,birth_date,region,categories,flags\n"
                                   "1000015,张小明,M,2014-05-01,示例县/东镇/桃村,left_behind,\n"
                                   "1000028,李小红,F,2015-06-02,示例县/东镇/桃村,left_behind,\n"
                                   "1000031,王小刚,M,2013-07-03,示例县/东镇/李村,orphan,\n"
                                   "1000044,赵小丽,F,2016-08-04,示例县/西镇/杏村,left_behind,\n"
                                   "1000053,刘小军,M,2012-09-05,邻县/南镇/柳村,left_behind,\n";
static const char guardians_csv[] = "phone,name,relation,child_code,away\n" G1 ",张父,father,1000015,yes\n" G1
                                    ",张父,father,1000028,yes\n" G2 ",王母,mother,1000031,no\n" G3
                                    ",赵父,father,1000044,yes\n" G4 ",刘父,father,1000053,yes\n";

static int setup(void **state)
{
    if (test_store_setup(state, "gw-bc", 0) != 0) return -1;
    struct test_store *c = *state;
    seed_roster(c->st, "regions", regions_csv, NOW - 86400);
    seed_roster(c->st, "staff", staff_csv, NOW - 86400);
    seed_roster(c->st, "children", children_csv, NOW - 86400);
    seed_roster(c->st, "guardians", guardians_csv, NOW - 86400);
    return 0;
}

static int teardown(void **state) { return test_store_teardown(state); }

/* ---- helpers ---------------------------------------------------------------- */

/* One integer from the database (a second connection, read only). */
static int64_t q(struct test_store *c, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    char v[64];
    test_sql_q1(c->path, sql, v, sizeof v);
    if (!strncmp(v, "SQL ERROR", 9)) fail_msg("%s: %s", sql, v);
    return v[0] ? strtoll(v, NULL, 10) : -1;
}

/* Creates a broadcast in a transaction of its own; returns bc_create's result. */
static int create(struct test_store *c, const char *by, const char *tmpl, const char *audience, const char *text,
                  struct bc_outcome *o)
{
    struct bc_var v = {"text", text};
    assert_int_equal(store_begin(c->st), 0);
    int rc = bc_create(c->st, NULL, by, "cli", tmpl, audience, &v, text ? 1 : 0, NOW, o);
    if (rc == 0)
        assert_int_equal(store_commit(c->st), 0);
    else
        assert_int_equal(store_rollback(c->st), 0);
    return rc;
}

static int approve(struct test_store *c, int64_t id, const char *by, struct bc_outcome *o)
{
    assert_int_equal(store_begin(c->st), 0);
    int rc = bc_approve(c->st, NULL, id, by, "cli", NOW + 60, o);
    if (rc == 0)
        assert_int_equal(store_commit(c->st), 0);
    else
        assert_int_equal(store_rollback(c->st), 0);
    return rc;
}

static int cancel(struct test_store *c, int64_t id, const char *by, struct bc_outcome *o)
{
    assert_int_equal(store_begin(c->st), 0);
    int rc = bc_cancel(c->st, id, by, "cli", NOW + 120, o);
    if (rc == 0)
        assert_int_equal(store_commit(c->st), 0);
    else
        assert_int_equal(store_rollback(c->st), 0);
    return rc;
}

static void refused(struct test_store *c, const char *by, const char *tmpl, const char *audience, const char *text,
                    const char *why)
{
    struct bc_outcome o;
    assert_int_equal(create(c, by, tmpl, audience, text, &o), 1);
    if (!strstr(o.err, why)) fail_msg("%s %s %s: '%s' does not say '%s'", by, tmpl, audience, o.err, why);
}

/* ---- tests ------------------------------------------------------------------------ */

static void create_checks_who_what_and_to_whom(void **state)
{
    struct test_store *c = *state;
    const char *tmpl = "broadcast_drowning", *to = "directors:示例县";
    refused(c, D1, tmpl, to, NULL, "only a county officer or an admin");
    refused(c, AUD, tmpl, to, NULL, "only a county officer or an admin");
    refused(c, "+8613111111111", tmpl, to, NULL, "not a staff member");
    refused(c, C3, tmpl, to, NULL, "lies outside");
    refused(c, C1, tmpl, "directors:邻县", NULL, "lies outside");
    refused(c, C1, tmpl, "parents:示例县", NULL, "expected directors:");
    refused(c, C1, tmpl, "directors:示例县/无镇", NULL, "no region");
    refused(c, C1, tmpl, "guardians:orphans:示例县", NULL, "the category one of");
    refused(c, C1, "login_code", to, NULL, "no broadcast template login_code");
    refused(c, C1, "broadcast_nope", to, NULL, "no broadcast template");
    refused(c, C1, "broadcast_notice", to, NULL, "takes exactly: text");
    refused(c, C1, tmpl, to, "多余", "takes no variable text");
    refused(c, C1, "broadcast_notice", to, "注意孩子溺水", "names a risk category");
    refused(c, C1, "broadcast_notice", to, "请关心张小明的学习", "names a registered child");
    refused(c, C1, "broadcast_notice", to, "详见www.example.com", "no link");
    refused(c, C1, "broadcast_notice", to, "第一行\n第二行", "control character");
    refused(c, C1, "broadcast_notice", to, "", "is empty");
    refused(c, C1, "broadcast_notice", to, "本周六上午九点在镇政府三楼会议室召开全体家长会请各位家长准时参加不要迟到", "too long");
    assert_int_equal(q(c, "SELECT count(*) FROM broadcast"), 0);
    assert_int_equal(q(c, "SELECT count(*) FROM audit"), 0);

    /* An admin anywhere; a county officer at or under their county. */
    struct bc_outcome o;
    assert_int_equal(create(c, ADM, tmpl, "directors:邻县", NULL, &o), 0);
    assert_int_equal(o.recipients, 1);
    assert_int_equal(create(c, C1, "broadcast_notice", "directors:示例县/西镇", "周六开会", &o), 0);
    assert_int_equal(o.recipients, 1);
    assert_int_equal(q(c, "SELECT count(*) FROM broadcast WHERE status = 'pending' AND approved_by IS NULL"), 2);
    assert_int_equal(q(c, "SELECT count(*) FROM broadcast WHERE vars = '{\"text\":\"周六开会\"}'"), 1);
    /* Each creation is audited, by its staff member. */
    assert_int_equal(q(c, "SELECT count(*) FROM audit WHERE action = 'broadcast create' AND records = "
                          "'broadcast:%lld' AND actor = 'staff:%lld' AND role = 'county'",
                       (long long)o.id, (long long)seed_staff_id(c->st, C1)),
                     1);
    /* 示例县 does not take in 示例县东's director. */
    assert_int_equal(create(c, C1, tmpl, "directors:示例县", NULL, &o), 0);
    assert_int_equal(o.recipients, 3);
}

/* The broadcast with an opted-out recipient: counted, never queued; the
 * creator cannot approve it, another county's officer neither, a second
 * county officer can, once. */
static void an_opted_out_recipient_is_counted_never_queued(void **state)
{
    struct test_store *c = *state;
    assert_int_equal(store_begin(c->st), 0);
    assert_int_equal(db_optout_set(c->st, D2, "generic", NOW - 3600), 0);
    assert_int_equal(store_commit(c->st), 0);
    struct bc_outcome o;
    assert_int_equal(create(c, C1, "broadcast_visits", "directors:示例县/东镇", NULL, &o), 0);
    int64_t id = o.id;
    assert_int_equal(o.recipients, 1);
    assert_int_equal(o.opted_out, 1);
    assert_int_equal(q(c, "SELECT count(*) FROM outbox"), 0); /* nothing goes before approval */

    assert_int_equal(approve(c, id, C1, &o), 1);
    assert_non_null(strstr(o.err, "a second person must approve"));
    assert_int_equal(approve(c, id, C3, &o), 1);
    assert_non_null(strstr(o.err, "lies outside"));
    assert_int_equal(approve(c, id, AUD, &o), 1);
    assert_int_equal(approve(c, id, D1, &o), 1);
    assert_int_equal(approve(c, id + 1, C2, &o), 1);
    assert_non_null(strstr(o.err, "no broadcast"));
    assert_int_equal(q(c, "SELECT count(*) FROM outbox"), 0);

    assert_int_equal(approve(c, id, C2, &o), 0);
    assert_int_equal(o.recipients, 1);
    assert_int_equal(o.opted_out, 1);
    assert_int_equal(q(c, "SELECT count(*) FROM outbox"), 1);
    assert_int_equal(q(c, "SELECT count(*) FROM outbox WHERE recipient = '" D2 "'"), 0);
    assert_int_equal(q(c,
                       "SELECT count(*) FROM outbox WHERE recipient = '" D1 "' AND kind = 'broadcast' AND "
                       "priority = %d AND broadcast_id = %lld AND dedupe_key = 'broadcast:%lld:" D1 "' AND "
                       "template = 'broadcast_visits' AND status = 'queued' AND channel IS NULL AND body = '%s'",
                       BC_PRIORITY, (long long)id, (long long)id, tmpl_find("broadcast_visits")->text),
                     1);
    assert_int_equal(q(c,
                       "SELECT count(*) FROM broadcast WHERE id = %lld AND status = 'approved' AND recipients = 1 "
                       "AND opted_out = 1 AND approved_by = %lld AND approved_at = %lld",
                       (long long)id, (long long)seed_staff_id(c->st, C2), NOW + 60),
                     1);
    assert_int_equal(q(c, "SELECT count(*) FROM audit WHERE action = 'broadcast approve' AND actor = 'staff:%lld'",
                       (long long)seed_staff_id(c->st, C2)),
                     1);

    /* Approved once: never again, nothing queued twice. */
    assert_int_equal(approve(c, id, ADM, &o), 1);
    assert_non_null(strstr(o.err, "only a pending one"));
    assert_int_equal(q(c, "SELECT count(*) FROM outbox"), 1);
}

/* Below every other kind: an alert queued after it still goes first. */
static void its_rows_come_after_an_alert(void **state)
{
    struct test_store *c = *state;
    struct bc_outcome o;
    assert_int_equal(create(c, C1, "broadcast_drowning", "directors:示例县", NULL, &o), 0);
    assert_int_equal(approve(c, o.id, ADM, &o), 0);
    assert_int_equal(o.recipients, 3);
    assert_true(BC_PRIORITY > 3); /* alerts 0, replies 1, notices 2, reminders 3 */
    struct store_outbox_row alert = {.recipient = D4, .tmpl = "case_alert", .body = "P0", .kind = "alert"};
    int64_t alert_id;
    assert_int_equal(store_begin(c->st), 0);
    assert_int_equal(store_outbox_insert(c->st, &alert, NOW + 70, &alert_id), 0);
    struct store_outbox_row reminder = {.recipient = D4, .tmpl = "visit_due", .body = "r", .kind = "reminder",
                                        .priority = 3};
    assert_int_equal(store_outbox_insert(c->st, &reminder, NOW + 70, NULL), 0);
    assert_int_equal(store_commit(c->st), 0);
    struct store_send *rows;
    size_t n;
    assert_int_equal(store_outbox_due_open(c->st, NOW + 80, 10, NULL, 0, NULL, 0, &rows, &n), 0);
    assert_int_equal(n, 5);
    assert_int_equal(rows[0].id, alert_id);
    assert_string_equal(rows[1].kind, "reminder");
    for (size_t i = 2; i < n; i++) assert_string_equal(rows[i].kind, "broadcast");
    store_sends_free(rows, n);
    /* A channel that can take no broadcast row now: its broadcast rows are
     * not read, its other rows are. */
    assert_int_equal(store_begin(c->st), 0);
    assert_int_equal(store_outbox_assign(c->st, alert_id, "generic"), 0);
    for (int64_t id = 1; id <= 3; id++) assert_int_equal(store_outbox_assign(c->st, id, "generic"), 0);
    assert_int_equal(store_commit(c->st), 0);
    const char *bulk[] = {"generic"};
    assert_int_equal(store_outbox_due_open(c->st, NOW + 80, 10, NULL, 0, bulk, 1, &rows, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].id, alert_id);
    store_sends_free(rows, n);
}

/* A guardian of two children in the audience gets one SMS. */
static void guardians_are_reached_once_each(void **state)
{
    struct test_store *c = *state;
    struct bc_outcome o;
    assert_int_equal(create(c, C1, "broadcast_checkin", "guardians:left_behind:示例县", NULL, &o), 0);
    assert_int_equal(o.recipients, 2); /* G1 (two children), G3; not G4 of 邻县 */
    assert_int_equal(approve(c, o.id, C2, &o), 0);
    assert_int_equal(o.recipients, 2);
    assert_int_equal(q(c, "SELECT count(*) FROM outbox WHERE recipient IN ('" G1 "', '" G3 "')"), 2);
    assert_int_equal(create(c, C1, "broadcast_checkin", "away_parents:示例县/东镇", NULL, &o), 0);
    assert_int_equal(o.recipients, 1); /* G1; G2 is at home */
    assert_int_equal(create(c, C1, "broadcast_checkin", "guardians:orphan:示例县", NULL, &o), 0);
    assert_int_equal(o.recipients, 1); /* G2 */
    refused(c, C1, "broadcast_checkin", "guardians:difficulty:示例县", NULL, "nobody in the audience");
}

/* Progress follows the rows; a cancel fails only what has not gone. */
static void progress_and_cancel(void **state)
{
    struct test_store *c = *state;
    struct bc_outcome o;
    assert_int_equal(create(c, C1, "broadcast_drowning", "directors:示例县", NULL, &o), 0);
    int64_t id = o.id;
    struct store_broadcast_progress p;
    assert_int_equal(store_broadcast_progress(c->st, id, &p), 0);
    assert_int_equal(p.queued + p.sent + p.delivered + p.failed, 0);
    assert_int_equal(approve(c, id, C2, &o), 0);
    assert_int_equal(store_broadcast_progress(c->st, id, &p), 0);
    assert_int_equal(p.queued, 3);
    /* Row 1 sent, row 2 sent and delivered, row 3 still queued. */
    assert_int_equal(store_begin(c->st), 0);
    for (int64_t r = 1; r <= 2; r++) {
        char pid[24];
        snprintf(pid, sizeof pid, "p-%lld", (long long)r);
        assert_int_equal(store_outbox_claim(c->st, r, "generic", NOW + 61), 0);
        assert_int_equal(store_outbox_finish(c->st, r, "sent", pid, NULL, 0, NOW + 62), 0);
    }
    assert_int_equal(store_outbox_receipt(c->st, "generic", "p-2", 0, "delivered", "DELIVRD", NULL, NOW + 63, NULL), 0);
    assert_int_equal(store_commit(c->st), 0);
    assert_int_equal(store_broadcast_progress(c->st, id, &p), 0);
    assert_int_equal(p.queued, 1);
    assert_int_equal(p.sent, 1);
    assert_int_equal(p.delivered, 1);
    assert_int_equal(p.failed, 0);

    assert_int_equal(cancel(c, id, D1, &o), 1);
    assert_int_equal(cancel(c, id, C3, &o), 1);
    assert_int_equal(cancel(c, id, C1, &o), 0); /* its creator may */
    assert_int_equal(o.unsent, 1);
    assert_int_equal(store_broadcast_progress(c->st, id, &p), 0);
    assert_int_equal(p.queued, 0);
    assert_int_equal(p.sent, 1);
    assert_int_equal(p.delivered, 1);
    assert_int_equal(p.failed, 1);
    assert_int_equal(q(c, "SELECT count(*) FROM outbox WHERE id = 3 AND status = 'failed' AND last_error = "
                          "'broadcast cancelled' AND done_at = %lld",
                       NOW + 120),
                     1);
    assert_int_equal(cancel(c, id, C2, &o), 1);
    assert_non_null(strstr(o.err, "cancelled already"));
    assert_int_equal(q(c, "SELECT count(*) FROM audit WHERE action = 'broadcast cancel'"), 1);

    /* A pending one cancelled can no longer be approved. */
    assert_int_equal(create(c, C1, "broadcast_drowning", "directors:示例县", NULL, &o), 0);
    id = o.id;
    assert_int_equal(cancel(c, id, ADM, &o), 0);
    assert_int_equal(o.unsent, 0);
    assert_int_equal(approve(c, id, C2, &o), 1);
    assert_int_equal(q(c, "SELECT count(*) FROM outbox WHERE broadcast_id = %lld", (long long)id), 0);
}

/* Runs `broadcast WORDS...` (NULL-terminated) into s; returns the status. */
static int run(struct test_store *c, struct streams *s, ...)
{
    struct broadcast_args a = {.config = "unused.ini"};
    va_list ap;
    va_start(ap, s);
    for (const char *w; (w = va_arg(ap, const char *));) a.argv[a.argc++] = w;
    va_end(ap);
    streams_open(s);
    int rc = broadcast_cmd_run(c->st, NULL, &a, NOW, s->o, s->e);
    streams_close(s);
    return rc;
}

static void the_command_reads_words_and_prints(void **state)
{
    struct test_store *c = *state;
    struct streams s;
    assert_int_equal(store_begin(c->st), 0);
    assert_int_equal(db_optout_set(c->st, D2, NULL, NOW - 3600), 0);
    assert_int_equal(store_commit(c->st), 0);
    assert_int_equal(run(c, &s, "create", "--by", "13800003002", "--template", "broadcast_notice", "--to",
                         "directors:示例县/东镇", "--var", "text=周六上午开会", NULL),
                     0);
    assert_non_null(strstr(s.out, "broadcast 1 created: 1 recipients, 1 opted out"));
    streams_free(&s);
    assert_int_equal(run(c, &s, "approve", "1", "--by", "13800003002", NULL), 1);
    assert_non_null(strstr(s.err, "a second person must approve"));
    streams_free(&s);
    assert_int_equal(run(c, &s, "approve", "1", "--by", "13800003004", NULL), 0);
    assert_non_null(strstr(s.out, "broadcast 1 approved: 1 messages queued, 1 opted out"));
    streams_free(&s);
    assert_int_equal(run(c, &s, "show", "1", NULL), 0);
    assert_non_null(strstr(s.out, "status: approved\n"));
    assert_non_null(strstr(s.out, "by 李科长\n"));
    assert_non_null(strstr(s.out, "recipients: 1\nopted_out: 1\nqueued: 1\nsent: 0\ndelivered: 0\nfailed: 0\n"));
    streams_free(&s);
    assert_int_equal(run(c, &s, "list", NULL), 0);
    assert_non_null(strstr(s.out, "id\ttemplate\taudience\tstatus\t"));
    assert_non_null(strstr(s.out, "1\tbroadcast_notice\tdirectors:示例县/东镇\tapproved\t王建华\t"));
    streams_free(&s);
    /* Words it does not take. */
    assert_int_equal(run(c, &s, "approve", "1", NULL), 2);
    streams_free(&s);
    assert_int_equal(run(c, &s, "send", NULL), 2);
    streams_free(&s);
    assert_int_equal(run(c, &s, "show", "x", NULL), 2);
    streams_free(&s);
    assert_int_equal(run(c, &s, "create", "--by", "13800003002", "--template", "broadcast_notice", NULL), 2);
    streams_free(&s);
    assert_int_equal(run(c, &s, "create", "--by", "13800003002", "--template", "broadcast_notice", "--to",
                         "directors:示例县", "--var", "novalue", NULL),
                     2);
    streams_free(&s);
    assert_int_equal(run(c, &s, "list", "--by", "13800003002", NULL), 2);
    streams_free(&s);
    assert_int_equal(run(c, &s, "show", "9", NULL), 1);
    assert_non_null(strstr(s.err, "no broadcast 9"));
    streams_free(&s);
}

int main(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(create_checks_who_what_and_to_whom, setup, teardown),
        cmocka_unit_test_setup_teardown(an_opted_out_recipient_is_counted_never_queued, setup, teardown),
        cmocka_unit_test_setup_teardown(its_rows_come_after_an_alert, setup, teardown),
        cmocka_unit_test_setup_teardown(guardians_are_reached_once_each, setup, teardown),
        cmocka_unit_test_setup_teardown(progress_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(the_command_reads_words_and_prints, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
