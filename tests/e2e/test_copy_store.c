/* tests/e2e/test_copy_store.c - the move from SQLite to PostgreSQL through
 * the real binary (`gateway copy-store -c new.ini --from old.db`), on the
 * PostgreSQL test server (skipped without GATEWAY_TEST_PG):
 *   a SQLite store with a year's kinds of rows (the roster, visits, a case
 *   with its events and alerts, a check-in, replies in the outbox, audit
 *   rows, an API token, a text with tabs, newlines and backslashes, a value
 *   SQLite holds as a BLOB) is copied whole: every table's count is equal,
 *   spot values are equal, `audit verify` passes on the copy, and a gateway
 *   started on it answers a webhook with ids and a case number that
 *   continue the old ones;
 *   a second copy into the now full target is refused, naming a table;
 *   a value PostgreSQL cannot hold (a NUL byte in text) fails the copy with
 *   nothing left in the target (one transaction);
 *   a source at an older schema version, a missing file and a file that is
 *   no gateway database are refused with a clear reason.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../common/harness.h"
#include "../common/pgtest.h"

#define DIRECTOR "+8613800000001" /* 上湾村 */
#define POLICE   "+8613800002001"
#define GUARDIAN "+8613900000002" /* child 1110022 */
#define STRANGER "+8613755550901"
#define ODD_TEXT "BG 2 邻居\\家\t孩子\r\n身上有伤 \\N"

static struct gw_proc S; /* the SQLite gateway */
static struct gw_proc P; /* the PostgreSQL one */
static char url[512];    /* the target database */

static int teardown(void **state)
{
    (void)state;
    gwp_cleanup(&S);
    gwp_cleanup(&P);
    if (url[0]) pgtest_drop_database(url);
    url[0] = '\0';
    return 0;
}

/* Skips without the PostgreSQL test server; else makes S, a SQLite store
 * with the demo roster, and P, a config for a new, empty PostgreSQL
 * database (url). */
static void two_stores(void)
{
    if (!pgtest_base_url()) {
        fprintf(stderr, "skipped: GATEWAY_TEST_PG is not set\n");
        skip();
    }
    gwp_force_sqlite(1);
    int rc = gwp_init(&S, NULL, 1);
    gwp_force_sqlite(0);
    assert_int_equal(rc, 0);
    char err[256];
    if (pgtest_new_database(url, sizeof url, err, sizeof err) != 0) fail_msg("%s", err);
    gwp_use_store(url);
    rc = gwp_init(&P, NULL, 0);
    gwp_use_store(NULL);
    assert_int_equal(rc, 0);
}

/* Runs the gateway with args expecting exit status want; returns stdout
 * (owned) and, when err_out is non-NULL, stderr (owned). */
static char *run(int want, const char *const *args, char **err_out)
{
    char *out = NULL, *err = NULL;
    int rc = gwp_run(args, &out, &err);
    if (rc != want) fail_msg("%s: exit %d (want %d): %s%s", args[0], rc, want, out ? out : "", err ? err : "");
    if (err_out) *err_out = err ? err : calloc(1, 1);
    else free(err);
    return out ? out : calloc(1, 1);
}

static void has(const char *text, const char *want)
{
    if (!strstr(text, want)) fail_msg("\"%s\" lacks \"%s\"", text, want);
}

/* Runs copy-store from S's file into P's database, expecting want; returns
 * stderr (owned). */
static char *copy_store(int want, const char *from, char **out)
{
    const char *args[] = {"copy-store", "-c", P.cfg, "--from", from, NULL};
    char *err = NULL;
    char *o = run(want, args, &err);
    if (out) *out = o;
    else free(o);
    return err;
}

/* One SMS webhook to S, answered 200. */
static void sms(int port, const char *id, const char *from, const char *text)
{
    struct http_resp r;
    assert_int_equal(post_generic(port, id, from, text, &r), 0);
    if (r.status != 200) fail_msg("webhook %s: %ld %s", id, r.status, r.body ? r.body : "");
    http_resp_free(&r);
}

/* Checks that every table of S's file has as many rows in P's database. */
static void counts_equal(void)
{
    char *names = db_text(S.db, "SELECT group_concat(name, ' ') FROM sqlite_master WHERE type = 'table' AND name "
                                "NOT LIKE 'sqlite%%'");
    assert_non_null(names);
    int tables = 0;
    for (char *save = NULL, *t = strtok_r(names, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        int64_t a = db_int(S.db, "SELECT count(*) FROM \"%w\"", t), b = db_int(P.db, "SELECT count(*) FROM \"%w\"", t);
        if (a < 0 || a != b) fail_msg("table %s: %lld rows in SQLite, %lld in PostgreSQL", t, (long long)a, (long long)b);
        tables++;
    }
    free(names);
    assert_true(tables >= 25);
}

/* Checks that sql (a one-text query) gives the same value on both stores. */
static void same_text(const char *sql)
{
    char *a = db_text(S.db, "%s", sql), *b = db_text(P.db, "%s", sql);
    if (!a || !b || strcmp(a, b) != 0) fail_msg("%s: SQLite \"%s\", PostgreSQL \"%s\"", sql, a ? a : "(null)",
                                                b ? b : "(null)");
    free(a);
    free(b);
}

/* Fills S with rows of every common kind through the running gateway and
 * the CLI, then stops it. */
static void a_year_of_work(void)
{
    assert_int_equal(gwp_start(&S), 0);
    sms(S.port, "v1", DIRECTOR, "ZF 1110011 1");
    sms(S.port, "v2", DIRECTOR, "ZF 1110022 2 XL");
    sms(S.port, "r1", STRANGER, "BG 4 小孩在河边走失了");
    char *number = db_text(S.db, "SELECT number FROM cases ORDER BY id DESC LIMIT 1");
    assert_non_null(number);
    char ack[64];
    snprintf(ack, sizeof ack, "QR %s", number);
    sms(S.port, "a1", POLICE, ack);
    free(number);
    sms(S.port, "c1", GUARDIAN, "QD");
    sms(S.port, "odd", STRANGER, ODD_TEXT);
    assert_int_equal(gwp_stop(&S, SIGTERM), 0);
    const char *exp[] = {"export", "-c", S.cfg, "visits", NULL};
    free(run(0, exp, NULL));
    const char *exp2[] = {"export", "-c", S.cfg, "cases", "--from", "2024-01-01", "--to", "2099-12-31", NULL};
    free(run(0, exp2, NULL));
    const char *tok[] = {"token", "-c", S.cfg, "create", "county-crm", "--role", "county", "--region", "示例县", NULL};
    free(run(0, tok, NULL));
    /* A value SQLite holds as a BLOB in a TEXT column (written by some
     * other tool): PostgreSQL gets its bytes as text. */
    assert_int_equal(db_exec(S.db, "UPDATE inbox SET detail = X'41420a43' WHERE provider_id = 'v1'"), 0);
    assert_true(db_int(S.db, "SELECT count(*) FROM audit") >= 2);
    assert_true(db_int(S.db, "SELECT count(*) FROM outbox") >= 4);
    assert_true(db_int(S.db, "SELECT count(*) FROM case_event") >= 2);
    assert_int_equal(db_int(S.db, "SELECT count(*) FROM checkin"), 1);
    assert_int_equal(db_int(S.db, "SELECT count(*) FROM health"), 1);
}

static void copies_every_row_and_the_gateway_carries_on(void **state)
{
    (void)state;
    two_stores();
    a_year_of_work();

    char *out = NULL;
    free(copy_store(0, S.db, &out));
    has(out, "schema version 0 -> ");
    has(out, "\ninbox ");
    has(out, "identity sequences");
    has(out, "chain intact\n");
    free(out);
    counts_equal();
    same_text("SELECT number || ' ' || status || ' ' || category || ' ' || priority || ' ' || opened_at FROM cases "
              "ORDER BY id LIMIT 1");
    same_text("SELECT child_id || ' ' || staff_id || ' ' || visit_date || ' ' || result || ' ' || problems || ' ' || "
              "inbox_id || ' ' || created_at FROM visit ORDER BY id DESC LIMIT 1");
    same_text("SELECT hash || ' ' || prev || ' ' || action FROM audit ORDER BY id DESC LIMIT 1");
    same_text("SELECT kind || ' ' || at FROM case_event ORDER BY id DESC LIMIT 1");
    same_text("SELECT recipient || ' ' || template || ' ' || dedupe_key FROM outbox ORDER BY id DESC LIMIT 1");
    same_text("SELECT department FROM case_dept ORDER BY case_id, department LIMIT 1");
    char *odd = db_text(P.db, "SELECT raw_text FROM inbox WHERE provider_id = 'odd'");
    assert_non_null(odd);
    assert_string_equal(odd, ODD_TEXT);
    free(odd);
    char *blob = db_text(P.db, "SELECT detail FROM inbox WHERE provider_id = 'v1'");
    assert_non_null(blob);
    assert_string_equal(blob, "AB\nC");
    free(blob);
    /* departments keep the order they were added in (SQLite's rowid) */
    assert_int_equal(db_int(P.db, "SELECT count(*) FROM case_dept WHERE seq IS NULL"), 0);

    const char *verify[] = {"audit", "-c", P.cfg, "verify", NULL};
    out = run(0, verify, NULL);
    has(out, "chain intact\n");
    free(out);

    /* again into the full target: refused, naming a table */
    char *err = copy_store(1, S.db, NULL);
    has(err, "not empty: table ");
    free(err);
    counts_equal();

    /* the gateway on PostgreSQL carries on where SQLite stopped */
    int64_t cases = db_int(S.db, "SELECT max(id) FROM cases"), inbox = db_int(S.db, "SELECT max(id) FROM inbox");
    char *last = db_text(S.db, "SELECT max(number) FROM cases");
    assert_int_equal(gwp_start(&P), 0);
    sms(P.port, "r2", STRANGER, "BG 4 又一个孩子走失了");
    sms(P.port, "v3", DIRECTOR, "ZF 1110011 1");
    assert_int_equal(db_int(P.db, "SELECT max(id) FROM cases"), cases + 1);
    assert_int_equal(db_int(P.db, "SELECT count(*) FROM inbox WHERE id > %lld", (long long)inbox), 2);
    char *fresh = db_text(P.db, "SELECT number FROM cases ORDER BY id DESC LIMIT 1");
    assert_non_null(fresh);
    assert_true(strcmp(fresh, last) > 0); /* a new number, after the last one */
    free(fresh);
    free(last);
    assert_int_equal(db_int(P.db, "SELECT count(DISTINCT number) FROM cases"), db_int(P.db, "SELECT count(*) FROM cases"));
    assert_int_equal(gwp_stop(&P, SIGTERM), 0);
    out = run(0, verify, NULL);
    has(out, "chain intact\n");
    free(out);
}

static void all_or_nothing_and_refusals(void **state)
{
    (void)state;
    two_stores();
    /* a NUL byte inside a text value of the child table, copied after
     * region and guardian: the copy fails and leaves the target empty */
    assert_int_equal(db_exec(S.db, "UPDATE child SET hukou = CAST(X'410042' AS TEXT) WHERE id = 2"), 0);
    char *err = copy_store(1, S.db, NULL);
    has(err, "child rowid 2 column hukou holds a NUL byte");
    has(err, "nothing was copied");
    free(err);
    assert_int_equal(db_int(P.db, "SELECT count(*) FROM region"), 0);
    assert_int_equal(db_int(P.db, "SELECT count(*) FROM guardian"), 0);
    assert_int_equal(db_int(P.db, "SELECT count(*) FROM child"), 0);
    assert_int_equal(db_exec(S.db, "UPDATE child SET hukou = NULL WHERE id = 2"), 0);

    /* a source one migration behind */
    int64_t latest = db_int(S.db, "SELECT max(version) FROM schema_version");
    assert_int_equal(db_exec(S.db, "DELETE FROM schema_version WHERE version = %lld", (long long)latest), 0);
    err = copy_store(1, S.db, NULL);
    has(err, "is at schema version");
    has(err, "run `gateway migrate`");
    free(err);
    assert_int_equal(db_int(P.db, "SELECT count(*) FROM region"), 0);

    /* a missing file, and a file that is no gateway database */
    char path[400];
    snprintf(path, sizeof path, "%s/missing.db", S.dir);
    err = copy_store(1, path, NULL);
    has(err, "missing.db: No such file or directory");
    free(err);
    snprintf(path, sizeof path, "%s/empty.db", S.dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    err = copy_store(1, path, NULL);
    has(err, "is not a gateway database");
    free(err);

    /* the source's own config as the target */
    const char *self[] = {"copy-store", "-c", S.cfg, "--from", S.db, NULL};
    err = NULL;
    free(run(2, self, &err));
    has(err, "the target must be PostgreSQL");
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(copies_every_row_and_the_gateway_carries_on, teardown),
        cmocka_unit_test_teardown(all_or_nothing_and_refusals, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
