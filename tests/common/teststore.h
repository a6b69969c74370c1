/* tests/common/teststore.h - a unit test's store as its cmocka state: a new
 * migrated store (seed_store_new: a temporary SQLite file, or a PostgreSQL
 * database when GATEWAY_TEST_PG is set), and the checks and tampering the
 * store port does not offer, as raw SQL on a second connection to the same
 * database (sqlite3 or libpq, after the store's kind). */
#ifndef TEST_TESTSTORE_H
#define TEST_TESTSTORE_H

#include <stdint.h>

#include "seed.h"

struct sqlite3;

struct test_store {
    char path[SEED_PATH_MAX]; /* the database file, or the PostgreSQL URL */
    struct store *st;         /* the store under test */
    struct sqlite3 *db;       /* the second SQLite connection, or NULL (always NULL on PostgreSQL) */
};

/* cmocka setup: *state = a new test_store whose file is named after prefix;
 * with_db also opens db on SQLite (busy timeout 5 s). 0, or -1 when db
 * cannot be opened. */
int test_store_setup(void **state, const char *prefix, int with_db);

/* cmocka teardown of test_store_setup's state: closes db and the store and
 * removes the file (drops the database). Returns 0. */
int test_store_teardown(void **state);

/* The first column of the first row of sql on c's database, owned: "NULL"
 * for NULL, "<no row>" when there is none. */
char *test_q1(struct test_store *c, const char *sql);

/* Asserts that test_q1(c, sql) is want, printing both when not. */
void test_expect_q(struct test_store *c, const char *sql, const char *want);

/* ---- raw SQL on a store's database (where: an SQLite file or a postgresql:// URL) ---- */

/* Runs sql (one or more statements) on a new connection to where. 0, or
 * -1 with the database's message in err. */
int test_sql_exec(const char *where, const char *sql, char *err, size_t errlen);

/* Runs sql on where; the first column of the first row into out: "NULL"
 * for NULL, "" when there is no row, "SQL ERROR: ..." when it fails. A
 * PostgreSQL boolean reads 1 or 0, as SQLite gives it. */
void test_sql_q1(const char *where, const char *sql, char *out, size_t outlen);

/* Runs sql on where: 1 and the first column of the first row in *value
 * (owned, NULL for NULL), 0 when there is no row (*value NULL), or -1 with
 * the database's message in err. PostgreSQL booleans read "1" or "0". */
int test_sql_first(const char *where, const char *sql, char **value, char *err, size_t errlen);

/* Every row of sql on where as text, owned: each value (NULL as "NULL")
 * followed by '|', a '\n' after each row. Fails the test when sql fails. */
char *test_sql_rows(const char *where, const char *sql);

/* As the harness's db_int/db_text, on either kind of store: fmt is an
 * sqlite3_mprintf format (%Q, %q quote). tdb_int: one integer, -1 on error
 * or no row; tdb_text: one text value, owned, NULL on error, no row or NULL. */
int64_t tdb_int(const char *where, const char *fmt, ...);
char *tdb_text(const char *where, const char *fmt, ...);

/* Runs fmt (an sqlite3_mprintf format) on where; fails the test when it fails. */
void tdb_exec(const char *where, const char *fmt, ...);

#endif
