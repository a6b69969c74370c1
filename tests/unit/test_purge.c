/* tests/unit/test_purge.c - retention: `gateway purge` (gateway/purge_cmd.c
 * over core/store_retention.h) on a store seeded through the port with
 * closed and open cases, old and recent messages, and a queued SMS; the
 * database file is then read directly, as an auditor would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../core/calendar.h"
#include "../../core/config.h"
#include "../../core/message.h"
#include "../../core/store.h"
#include "../../core/util.h"
#include "../../gateway/purge_cmd.h"
#include "../../handlers/audit.h"
#include "../common/harness.h"
#include "../common/seed.h"
#include "../common/teststore.h"

#define VILLAGE    "示例县/东镇/甲村"
#define DIRECTOR   "+8613800000001"
#define CHILD      "1000015"
#define REPORTER_A "+8613700000001" /* one closed old case: purged, row deleted */
#define REPORTER_B "+8613700000002" /* a closed old case and an open one: the row stays */
#define REPORTER_C "+8613700000003" /* a case closed recently: kept */
#define GUARDIAN   "+8613900000001"

static struct store *st;
static char path[SEED_PATH_MAX];
static int64_t now;                       /* the purge runs at 2029-06-15 10:00 */
static int64_t case_a, case_b_closed, case_b_open, case_c;
static int64_t msg_old, msg_new;          /* inbox rows */
static int64_t out_sent, out_queued, out_new; /* outbox rows */

/* Local (+08:00) noon of day "YYYY-MM-DD" as unix seconds. */
static int64_t noon(const char *day)
{
    int64_t d = 0;
    assert_int_equal(cal_date_parse(day, &d), 0);
    return cal_local_at(d, 12 * 60);
}

/* One integer the SQL (a printf format) answers on the database file. */
static int64_t q(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int64_t q(const char *fmt, ...)
{
    char sql[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return tdb_int(path, "%s", sql);
}

/* One text value (owned, "" for NULL) the SQL answers. */
static char *t(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *t(const char *fmt, ...)
{
    char sql[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    char *v = tdb_text(path, "%s", sql);
    return v ? v : gw_strdup("");
}

/* Stores an inbound SMS from `from` received at `at`: its id. */
static int64_t inbox(const char *id, const char *from, const char *text, int64_t at)
{
    struct gw_msg m = {.channel = "generic", .provider_id = (char *)id, .from = (char *)from, .text = (char *)text,
                       .received_at = at};
    int64_t rid = 0;
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_inbox_insert(st, &m, text, at, &rid), 0);
    assert_int_equal(store_commit(st), 0);
    return rid;
}

/* Queues an SMS to `to` about case_id (0: none) at `at`: its id. */
static int64_t outbox(const char *to, int64_t case_id, const char *body, int64_t at)
{
    struct store_outbox_row r = {.recipient = to, .tmpl = "help", .vars_json = "{\"x\":\"y\"}", .body = body,
                                 .kind = "notice", .priority = 1, .case_id = case_id};
    int64_t id = 0;
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_outbox_insert(st, &r, at, &id), 0);
    assert_int_equal(store_commit(st), 0);
    return id;
}

/* Marks outbox row id sent at `at` (claimed, then finished as the sender does). */
static void sent(int64_t id, int64_t at)
{
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_outbox_claim(st, id, "generic", at), 0);
    assert_int_equal(store_outbox_finish(st, id, "sent", "p-1", NULL, 0, at), 0);
    assert_int_equal(store_commit(st), 0);
}

/* A case about the child, reported by `reporter` through inbox row msg (0: none), opened at `opened`. */
static int64_t report(const char *reporter, int64_t msg, int64_t opened)
{
    struct db_region r;
    const char *depts[] = {"police"};
    assert_int_equal(db_region_by_path(st, VILLAGE, &r), 0);
    struct db_case_new c = {.category = 3, .classified = 1, .priority = 1, .depts = depts, .ndepts = 1,
                            .county_id = r.county_id, .region_id = r.id, .child_id = seed_child_id(st, CHILD),
                            .description = "无人照看", .reporter_id = seed_reporter(st, reporter, opened),
                            .inbox_id = msg};
    return seed_case(st, &c, opened, NULL);
}

/* Closes case id at `at` by the director. */
static void close_case(int64_t id, int64_t at)
{
    int64_t staff = seed_staff_id(st, DIRECTOR);
    seed_case_ack(st, id, staff, at - 3600);
    seed_case_close(st, id, staff, 1, "已处置", at);
}

static int world(void **state)
{
    st = seed_store_new("gw-purge", path);
    int64_t t0 = noon("2025-01-01");
    seed_roster(st, "regions", "path\n" VILLAGE "\n", t0);
    seed_roster(st, "staff", "phone,name,role,region,department\n" DIRECTOR ",甲村主任,director," VILLAGE ",\n", t0);
    seed_roster(st, "children",
                "code,name,sex,birth_date,region,categories,flags\n" CHILD ",张小明,M,2015-01-01," VILLAGE
                ",left_behind,\n",
                t0);
    seed_roster(st, "guardians", "phone,name,relation,child_code,away\n" GUARDIAN ",张父,父亲," CHILD ",1\n", t0);
    seed_visit(st, CHILD, DIRECTOR, "2025-01-05", 1, NULL, noon("2025-01-05"));
    msg_old = inbox("m-old", REPORTER_A, "BG 孩子没人管 张小明", noon("2025-01-10"));
    case_a = report(REPORTER_A, msg_old, noon("2025-01-10"));
    close_case(case_a, noon("2025-02-01"));
    out_sent = outbox(REPORTER_A, case_a, "您反映的情况已处置", noon("2025-02-01"));
    sent(out_sent, noon("2025-02-01"));
    out_queued = outbox(GUARDIAN, 0, "请回复平安", noon("2025-01-15"));
    case_b_closed = report(REPORTER_B, 0, noon("2025-03-01"));
    close_case(case_b_closed, noon("2025-03-05"));
    case_b_open = report(REPORTER_B, 0, noon("2025-04-01"));
    case_c = report(REPORTER_C, 0, noon("2029-01-01"));
    close_case(case_c, noon("2029-01-05"));
    msg_new = inbox("m-new", GUARDIAN, "PA 1000015", noon("2029-06-01"));
    out_new = outbox(GUARDIAN, 0, "已收到", noon("2029-06-01"));
    sent(out_new, noon("2029-06-01"));
    now = noon("2029-06-15");
    return 0;
}

static int unworld(void **state)
{
    seed_store_free(st, path);
    st = NULL;
    return 0;
}

/* Runs purge_cmd with the retention periods: its exit status; its report into out (owned). */
static int purge(int reporter_days, int message_days, int dry_run, char **out)
{
    struct gw_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.retention.reporter_days = reporter_days;
    cfg.retention.message_days = message_days;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    int rc = purge_cmd(st, &cfg, dry_run, now, f, stderr);
    fclose(f);
    *out = buf;
    return rc;
}

/* The state the purge must change, as one line. */
static char *snapshot(void)
{
    struct gw_buf b = {0};
    const char *const sql[] = {
        "SELECT group_concat(coalesce(CAST(reporter_id AS TEXT), '-') || ':' || coalesce(CAST(reporter_purged_at AS TEXT), '-'), ',') FROM cases",
        "SELECT group_concat(phone, ',') FROM reporter",
        "SELECT group_concat(sender || ':' || raw_text || ':' || coalesce(CAST(purged_at AS TEXT), '-'), ',') FROM inbox",
        "SELECT group_concat(recipient || ':' || body || ':' || vars || ':' || coalesce(CAST(purged_at AS TEXT), '-'), ',') "
        "FROM outbox",
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        char *v = t("%s", sql[i]);
        gw_buf_printf(&b, "%s|", v);
        free(v);
    }
    return gw_buf_steal(&b);
}

static void dry_run_lists_and_changes_nothing(void **state)
{
    char *before = snapshot(), *out;
    assert_int_equal(purge(1095, 1095, 1, &out), 0);
    char *after = snapshot();
    assert_string_equal(before, after);
    assert_int_equal(q("SELECT count(*) FROM audit WHERE action = 'purge'"), 0);
    /* Two closed cases are old enough (the oldest closed 2025-02-01), one
     * inbound message, and the old SMS that was sent, not the queued one. */
    assert_non_null(strstr(out, "closed cases' reporter contacts:   2 (oldest 2025-02-01)"));
    assert_non_null(strstr(out, "inbound messages anonymised:       1 (oldest 2025-01-10)"));
    assert_non_null(strstr(out, "outbound messages anonymised:      1 (oldest 2025-02-01)"));
    free(out);
    free(before);
    free(after);
}

static void purge_removes_contacts_and_texts_only(void **state)
{
    int64_t visits = q("SELECT count(*) FROM visit"), cases = q("SELECT count(*) FROM cases");
    int64_t inbox_rows = q("SELECT count(*) FROM inbox"), outbox_rows = q("SELECT count(*) FROM outbox");
    char *out;
    assert_int_equal(purge(1095, 1095, 0, &out), 0);
    assert_non_null(strstr(out, "reporter rows deleted:             1"));
    free(out);
    /* Closed old cases lose their reporter; the open case and the recent one keep theirs. */
    assert_int_equal(q("SELECT count(*) FROM cases WHERE id IN (%lld, %lld) AND reporter_id IS NULL AND "
                       "reporter_purged_at = %lld",
                       (long long)case_a, (long long)case_b_closed, (long long)now),
                     2);
    assert_int_equal(q("SELECT count(*) FROM cases c JOIN reporter r ON r.id = c.reporter_id WHERE c.id = %lld AND "
                       "r.phone = '" REPORTER_B "' AND c.reporter_purged_at IS NULL",
                       (long long)case_b_open),
                     1);
    assert_int_equal(q("SELECT count(*) FROM cases c JOIN reporter r ON r.id = c.reporter_id WHERE c.id = %lld AND "
                       "r.phone = '" REPORTER_C "'",
                       (long long)case_c),
                     1);
    assert_int_equal(q("SELECT count(*) FROM reporter WHERE phone = '" REPORTER_A "'"), 0);
    assert_int_equal(q("SELECT count(*) FROM reporter"), 2);
    /* Nothing anywhere still holds reporter A's number. */
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE sender = '" REPORTER_A "'"), 0);
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE recipient = '" REPORTER_A "'"), 0);
    /* Old texts anonymised, masked, marked; recent ones untouched. */
    char *v = t("SELECT sender || '|' || raw_text || '|' || norm_text FROM inbox WHERE id = %lld", (long long)msg_old);
    assert_string_equal(v, "+86137****0001||");
    free(v);
    assert_int_equal(q("SELECT purged_at FROM inbox WHERE id = %lld", (long long)msg_old), now);
    v = t("SELECT sender || '|' || raw_text FROM inbox WHERE id = %lld", (long long)msg_new);
    assert_string_equal(v, GUARDIAN "|PA 1000015");
    free(v);
    v = t("SELECT recipient || '|' || body || '|' || vars FROM outbox WHERE id = %lld", (long long)out_sent);
    assert_string_equal(v, "+86137****0001||{}");
    free(v);
    /* The queued SMS, old as it is, is still to be sent as it was. */
    v = t("SELECT recipient || '|' || body || '|' || status || '|' || coalesce(CAST(purged_at AS TEXT), '-') FROM outbox WHERE "
          "id = %lld",
          (long long)out_queued);
    assert_string_equal(v, GUARDIAN "|请回复平安|queued|-");
    free(v);
    v = t("SELECT body FROM outbox WHERE id = %lld", (long long)out_new);
    assert_string_equal(v, "已收到");
    free(v);
    /* Rows and what reports count stay. */
    assert_int_equal(q("SELECT count(*) FROM visit"), visits);
    assert_int_equal(q("SELECT count(*) FROM cases"), cases);
    assert_int_equal(q("SELECT count(*) FROM inbox"), inbox_rows);
    assert_int_equal(q("SELECT count(*) FROM outbox"), outbox_rows);
    assert_int_equal(q("SELECT count(*) FROM cases WHERE status = 'closed' AND outcome = 1 AND category = 3"), 3);
    /* Audited, the chain intact; a second run finds nothing more. */
    v = t("SELECT records FROM audit WHERE action = 'purge'");
    assert_string_equal(v, "cases:2 inbox:1 outbox:1 reporters:1");
    free(v);
    struct audit_problem bad;
    long rows = 0;
    assert_int_equal(audit_verify(st, &bad, &rows, NULL), 0);
    assert_int_equal(purge(1095, 1095, 0, &out), 0);
    free(out);
    v = t("SELECT records FROM audit WHERE action = 'purge' ORDER BY id DESC LIMIT 1");
    assert_string_equal(v, "cases:0 inbox:0 outbox:0 reporters:0");
    free(v);
}

static void zero_days_keeps_forever(void **state)
{
    char *before = snapshot(), *out;
    assert_int_equal(purge(0, 0, 0, &out), 0);
    assert_non_null(strstr(out, "kept forever"));
    char *after = snapshot();
    assert_string_equal(before, after);
    free(out);
    free(before);
    free(after);
}

/* 1 when the bytes of text are anywhere in the file at file (a missing
 * file holds nothing). */
static int file_holds(const char *file, const char *text)
{
    size_t len = 0;
    char *bytes = read_file(file, &len);
    int found = bytes && len && memmem(bytes, len, text, strlen(text)) != NULL;
    free(bytes);
    return found;
}

/* 1 when the store's database file or its WAL holds text. */
static int store_files_hold(const char *text)
{
    char wal[SEED_PATH_MAX + 8];
    snprintf(wal, sizeof wal, "%s-wal", path);
    return file_holds(path, text) || file_holds(wal, text);
}

static int world_sqlite(void **state)
{
    seed_force_sqlite(1);
    int rc = world(state);
    seed_force_sqlite(0);
    return rc;
}

/* SQLite: what a purge removed is in neither of the store's files after
 * it, not even as the page it was on before (in the WAL). */
static void a_purged_text_is_in_no_file(void **state)
{
    static const char *const gone[] = {"孩子没人管", "13700000001", "您反映的情况已处置"};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        if (!store_files_hold(gone[i])) fail_msg("before the purge, the files do not hold %s", gone[i]);
    char *out;
    assert_int_equal(purge(1095, 1095, 0, &out), 0);
    free(out);
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        if (store_files_hold(gone[i])) fail_msg("after the purge, the files still hold %s", gone[i]);
    /* What was kept is still there. */
    assert_true(store_files_hold("请回复平安"));
    assert_int_equal(q("SELECT count(*) FROM inbox WHERE raw_text = 'PA 1000015'"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(dry_run_lists_and_changes_nothing, world, unworld),
        cmocka_unit_test_setup_teardown(purge_removes_contacts_and_texts_only, world, unworld),
        cmocka_unit_test_setup_teardown(a_purged_text_is_in_no_file, world_sqlite, unworld),
        cmocka_unit_test_setup_teardown(zero_days_keeps_forever, world, unworld),
    };
    setenv("TZ", "Asia/Shanghai", 1);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
