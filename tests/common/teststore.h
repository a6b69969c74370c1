/* tests/common/teststore.h - a unit test's store as its cmocka state: a new
 * migrated store in a temporary file (seed_store_new), and when asked a
 * second SQLite connection to the same file, for the checks and the
 * tampering the store port does not offer. */
#ifndef TEST_TESTSTORE_H
#define TEST_TESTSTORE_H

#include "seed.h"

struct sqlite3;

struct test_store {
    char path[SEED_PATH_MAX]; /* the database file */
    struct store *st;         /* the store under test */
    struct sqlite3 *db;       /* the second connection, or NULL */
};

/* cmocka setup: *state = a new test_store whose file is named after prefix;
 * with_db also opens db (busy timeout 5 s). 0, or -1 when db cannot be
 * opened. */
int test_store_setup(void **state, const char *prefix, int with_db);

/* cmocka teardown of test_store_setup's state: closes db and the store and
 * removes the file. Returns 0. */
int test_store_teardown(void **state);

/* The first column of the first row of sql on c->db, owned: "NULL" for
 * NULL, "<no row>" when there is none. */
char *test_q1(struct test_store *c, const char *sql);

/* Asserts that test_q1(c, sql) is want, printing both when not. */
void test_expect_q(struct test_store *c, const char *sql, const char *want);

#endif
