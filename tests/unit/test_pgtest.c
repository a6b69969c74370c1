/* tests/unit/test_pgtest.c - the tests' throwaway PostgreSQL databases
 * (tests/common/pgtest.c): without GATEWAY_TEST_PG they are refused with a
 * clear reason; with it (make test STORE=postgres) a database is created,
 * used (a table, a row written and read back) and dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "../common/pgtest.h"

/* Connects to url; fails the test when that does not work. */
static PGconn *connect_or_fail(const char *url)
{
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) fail_msg("connect %s: %s", url, PQerrorMessage(c));
    return c;
}

/* Runs sql on c and returns its only value as a number; fails the test on an error. */
static long long query_number(PGconn *c, const char *sql, const char *param)
{
    const char *params[] = {param};
    PGresult *r = PQexecParams(c, sql, param ? 1 : 0, NULL, param ? params : NULL, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) fail_msg("%s: %s", sql, PQerrorMessage(c));
    long long v = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* Runs a command on c; fails the test on an error. */
static void exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

/* The name of the database of a URL pgtest_new_database wrote (after the last '/'). */
static const char *database_name(const char *url) { return strrchr(url, '/') + 1; }

static void without_a_server_databases_are_refused(void **state)
{
    const char *set = getenv("GATEWAY_TEST_PG");
    char *saved = set ? strdup(set) : NULL;
    unsetenv("GATEWAY_TEST_PG");

    assert_null(pgtest_base_url());
    char url[512] = "", err[256] = "";
    assert_int_equal(pgtest_new_database(url, sizeof url, err, sizeof err), -1);
    assert_non_null(strstr(err, "GATEWAY_TEST_PG is not set"));
    setenv("GATEWAY_TEST_PG", "", 1);
    assert_null(pgtest_base_url()); /* empty counts as unset */

    if (saved) setenv("GATEWAY_TEST_PG", saved, 1);
    else unsetenv("GATEWAY_TEST_PG");
    free(saved);
}

static void a_database_is_created_used_and_dropped(void **state)
{
    const char *base = pgtest_base_url();
    char url[512] = "", err[256] = "";
    if (!base) {
        /* No server (plain make test): the refusal is what there is to check. */
        assert_int_equal(pgtest_new_database(url, sizeof url, err, sizeof err), -1);
        assert_non_null(strstr(err, "GATEWAY_TEST_PG"));
        return;
    }
    int rc = pgtest_new_database(url, sizeof url, err, sizeof err);
    if (rc != 0) fail_msg("pgtest_new_database: %s", err);
    assert_int_equal(strncmp(url, base, strlen(base)), 0);
    assert_int_equal(strncmp(url + strlen(base), "/gw_test_", 9), 0);
    char other[512] = "";
    rc = pgtest_new_database(other, sizeof other, err, sizeof err);
    if (rc != 0) fail_msg("pgtest_new_database (second): %s", err);
    assert_string_not_equal(url, other);

    PGconn *c = connect_or_fail(url);
    assert_string_equal(PQdb(c), database_name(url));
    exec_ok(c, "CREATE TABLE t (id bigint PRIMARY KEY, body text NOT NULL)");
    exec_ok(c, "INSERT INTO t VALUES (42, 'hello 你好')");
    PGresult *r = PQexec(c, "SELECT id, body FROM t");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(r), 1);
    assert_string_equal(PQgetvalue(r, 0, 0), "42");
    assert_string_equal(PQgetvalue(r, 0, 1), "hello 你好");
    PQclear(r);
    /* c stays open: the drop ends it. */

    char admin[600];
    snprintf(admin, sizeof admin, "%s/postgres", base);
    PGconn *a = connect_or_fail(admin);
    const char *count = "SELECT count(*) FROM pg_database WHERE datname = $1";
    assert_int_equal(query_number(a, count, database_name(url)), 1);
    pgtest_drop_database(url);
    assert_int_equal(query_number(a, count, database_name(url)), 0);
    assert_int_equal(query_number(a, count, database_name(other)), 1);
    pgtest_drop_database(other);
    assert_int_equal(query_number(a, count, database_name(other)), 0);
    PQfinish(a);
    PQfinish(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(without_a_server_databases_are_refused),
        cmocka_unit_test(a_database_is_created_used_and_dropped),
    };
    return cmocka_run_group_tests_name("pgtest", tests, NULL, NULL);
}
