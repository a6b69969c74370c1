/* tests/unit/test_pg_core.c - the PostgreSQL backend's core on a real
 * server (GATEWAY_TEST_PG; make test STORE=postgres starts one): migrating
 * a new database to the newest schema and again (nothing to do), two
 * migrations at once, a transaction that commits and one that rolls back,
 * a savepoint rolled back inside a transaction that then commits, a failed
 * statement reported with its SQLSTATE, the health row, the test write, and
 * a connection that does not work. Without a server it checks that the
 * backend refuses to open while operations are missing and that no server
 * is configured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../db/pg_int.h"
#include "../../db/pg_schema.h"
#include "../common/pgtest.h"

/* Opens the database with the backend's table (missing operations are
 * NULL; only the core's are used here). */
static struct store *open_db(void)
{
    return pgtest_open(pgtest_url, 0);
}

static void without_a_server(void **state)
{
    (void)state;
    if (pgtest_base_url()) skip();
    struct store *st = NULL;
    char err[256] = "";
    /* A configured backend refuses to open while it lacks operations, or
     * fails to connect when complete: either way, no store and a reason. */
    assert_int_equal(pg_store_open("postgresql://nobody@127.0.0.1:9/none?connect_timeout=2", &st, err, sizeof err),
                     -1);
    assert_null(st);
    assert_true(strlen(err) > 0);
}

static void migrates_once_and_again(void **state)
{
    (void)state;
    if (!pgtest_base_url()) skip();
    struct store *st = open_db();
    char err[256];
    int from = -1, to = -1;
    assert_int_equal(store_schema_version(st), 0);
    if (store_migrate(st, &from, &to, err, sizeof err) != 0) fail_msg("migrate: %s", err);
    assert_int_equal(from, 0);
    assert_int_equal(to, pg_schema_latest());
    assert_int_equal(store_schema_version(st), pg_schema_latest());
    /* Every table of the schema is there. */
    assert_int_equal(pgtest_int(st, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND "
                             "table_name IN ('inbox','outbox','cases','child','staff','region','audit','broadcast')"),
                     8);
    /* A second gateway starting on the same database finds nothing to do. */
    struct store *other = open_db();
    assert_int_equal(store_migrate(other, &from, &to, err, sizeof err), 0);
    assert_int_equal(from, to);
    store_close(other);
    store_close(st);
}

static void transactions_and_savepoints(void **state)
{
    (void)state;
    if (!pgtest_base_url()) skip();
    struct store *st = open_db();
    char err[256];
    assert_int_equal(store_migrate(st, NULL, NULL, err, sizeof err), 0);

    /* Committed. */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_health_write(st, 100), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(pgtest_int(st, "SELECT checked_at FROM health WHERE id = 1"), 100);

    /* Rolled back. */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_health_write(st, 200), 0);
    assert_int_equal(store_rollback(st), 0);
    assert_int_equal(pgtest_int(st, "SELECT checked_at FROM health WHERE id = 1"), 100);

    /* A savepoint rolled back: its write goes, the transaction's stays;
     * a failed statement inside a savepoint does not spoil the rest. */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_health_write(st, 300), 0);
    assert_int_equal(store_savepoint(st), 0);
    assert_int_equal(store_health_write(st, 400), 0);
    assert_int_equal(pg_run_done(st, "INSERT INTO region(id, name, path, level) VALUES (1, 'a', 'a', 1), "
                                     "(2, 'b', 'a', 1)",
                                 NULL),
                     -1);
    assert_true(pg_unique_violation(st));
    assert_string_equal(pg_state(st), "23505");
    assert_non_null(strstr(store_errmsg(st), "duplicate key"));
    assert_int_equal(store_rollback_to(st), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(pgtest_int(st, "SELECT checked_at FROM health WHERE id = 1"), 300);
    assert_int_equal(pgtest_int(st, "SELECT count(*) FROM region"), 0);

    /* A transaction whose statement failed cannot commit: the commit
     * reports the failure and nothing of it is kept. */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_health_write(st, 500), 0);
    assert_int_equal(pg_run_done(st, "SELECT no_such_column FROM health", NULL), -1);
    assert_int_equal(store_commit(st), -1);
    assert_int_equal(pgtest_int(st, "SELECT checked_at FROM health WHERE id = 1"), 300);

    /* The test write serve makes before it starts. */
    assert_int_equal(store_check_writable(st, 600, err, sizeof err), 0);
    assert_int_equal(pgtest_int(st, "SELECT checked_at FROM health WHERE id = 1"), 600);
    /* Every connection commits synchronously. */
    PGresult *r = pg_run(st, "SHOW synchronous_commit", NULL);
    assert_non_null(r);
    assert_string_equal(PQgetvalue(r, 0, 0), "on");
    PQclear(r);
    store_close(st);
}

/* A database that does not sort text byte by byte is refused by name. */
static void a_collating_database_is_refused(void **state)
{
    (void)state;
    if (!pgtest_base_url()) skip();
    struct store *st = open_db();
    char sql[640], other[600], err[400] = "";
    const char *slash = strrchr(pgtest_url, '/');
    snprintf(other, sizeof other, "%.*s/gw_test_collating_%d", (int)(slash - pgtest_url), pgtest_url, (int)getpid());
    snprintf(sql, sizeof sql,
             "CREATE DATABASE gw_test_collating_%d TEMPLATE template0 LC_COLLATE 'en_US.UTF-8' LC_CTYPE "
             "'en_US.UTF-8' ENCODING 'UTF8'",
             (int)getpid());
    if (pg_exec(st, sql) != 0) {
        /* The server has no en_US locale: an ICU collation is the other way to get one. */
        snprintf(sql, sizeof sql,
                 "CREATE DATABASE gw_test_collating_%d TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' "
                 "LC_COLLATE 'C' LC_CTYPE 'C.UTF-8' ENCODING 'UTF8'",
                 (int)getpid());
        assert_int_equal(pg_exec(st, sql), 0);
    }
    store_close(st);
    struct store *o = NULL;
    assert_int_equal(pg_store_open_ops(&pg_store_ops, other, &o, err, sizeof err), 0);
    int rc = store_migrate(o, NULL, NULL, err, sizeof err);
    store_close(o);
    pgtest_drop_database(other);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "needs byte order"));
    assert_non_null(strstr(err, "gw_test_collating_"));
}

static void a_bad_url_is_refused(void **state)
{
    (void)state;
    if (!pgtest_base_url()) skip();
    struct store *st = NULL;
    char err[256] = "";
    assert_int_equal(pg_store_open_ops(&pg_store_ops, "postgresql://postgres@127.0.0.1:9/none?connect_timeout=2", &st,
                                       err, sizeof err),
                     -1);
    assert_null(st);
    assert_non_null(strstr(err, "PostgreSQL:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(without_a_server),
        cmocka_unit_test(migrates_once_and_again),
        cmocka_unit_test(transactions_and_savepoints),
        cmocka_unit_test(a_collating_database_is_refused),
        cmocka_unit_test(a_bad_url_is_refused),
    };
    return cmocka_run_group_tests(tests, pgtest_group_setup, pgtest_group_teardown);
}
