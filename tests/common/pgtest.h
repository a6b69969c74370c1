/* tests/common/pgtest.h - throwaway PostgreSQL databases for the tests, on
 * the server named by GATEWAY_TEST_PG (a base URL without a database, e.g.
 * postgresql://postgres@127.0.0.1:PORT, as tests/pg/server.sh prints it;
 * make test STORE=postgres starts one and sets it). */
#ifndef TEST_PGTEST_H
#define TEST_PGTEST_H

#include <stddef.h>
#include <stdint.h>

/* The base URL of the test server: getenv("GATEWAY_TEST_PG"), or NULL when
 * it is unset or empty. */
const char *pgtest_base_url(void);

/* Creates a new, empty database gw_test_<pid>_<counter>_<random> on the test
 * server (connecting to its postgres database) and writes the new database's
 * URL (base URL + "/" + name) to url_out. Returns 0, or -1 with the reason
 * in err (no server configured, connection or CREATE DATABASE failed, URL
 * longer than len). */
int pgtest_new_database(char *url_out, size_t len, char *err, size_t errlen);

/* The schema holding the SQLite compatibility functions: only connections
 * that put it on their search_path see them (the gateway's never do). */
#define PGTEST_COMPAT_SCHEMA "sqlite_compat"

/* Creates, in the database url, test-only functions with the names and
 * results of SQLite functions the tests' assertion SQL uses: group_concat(x)
 * and group_concat(x, sep) (aggregates; NULLs skipped, separator ','),
 * ifnull(a, b) and instr(s, t), in schema PGTEST_COMPAT_SCHEMA, never in the
 * product's schema. Returns 0, or -1 with the reason in err. */
int pgtest_sqlite_compat(const char *url, char *err, size_t errlen);

/* Drops the database named by url (a URL pgtest_new_database wrote): ends
 * every other connection to it first. Failures are printed to stderr. */
void pgtest_drop_database(const char *url);

struct store;

/* The database a test group shares: pgtest_group_setup creates it (nothing
 * without a server: pgtest_url stays ""), pgtest_group_teardown drops it.
 * For cmocka_run_group_tests. */
extern char pgtest_url[512];
int pgtest_group_setup(void **state);
int pgtest_group_teardown(void **state);

/* Opens url with the PostgreSQL backend's table as it is (the backend's
 * own tests use only the operations they test) and, when migrate is 1,
 * brings its schema up to date; fails the test on an error. */
struct store *pgtest_open(const char *url, int migrate);

/* The integer the query sql (a static string: statements are cached by
 * its address) answers on the PostgreSQL store st, first row and column;
 * fails the test on an error. */
int64_t pgtest_int(struct store *st, const char *sql);

#endif
