/* tests/common/teststore.c - a unit test's store (teststore.h). */
#include "teststore.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../core/util.h"

int test_store_setup(void **state, const char *prefix, int with_db)
{
    struct test_store *c = gw_calloc(1, sizeof *c);
    c->st = seed_store_new(prefix, c->path);
    *state = c;
    if (!with_db) return 0;
    if (sqlite3_open(c->path, &c->db) != SQLITE_OK) return -1;
    sqlite3_busy_timeout(c->db, 5000);
    return 0;
}

int test_store_teardown(void **state)
{
    struct test_store *c = *state;
    sqlite3_close(c->db);
    seed_store_free(c->st, c->path);
    free(c);
    return 0;
}

char *test_q1(struct test_store *c, const char *sql)
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(c->db, sql, -1, &s, NULL), SQLITE_OK);
    char *out = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        out = gw_strdup(t ? (const char *)t : "NULL");
    } else {
        out = gw_strdup("<no row>");
    }
    sqlite3_finalize(s);
    return out;
}

void test_expect_q(struct test_store *c, const char *sql, const char *want)
{
    char *got = test_q1(c, sql);
    if (strcmp(got, want) != 0) print_error("%s\n  got  %s\n  want %s\n", sql, got, want);
    assert_string_equal(got, want);
    free(got);
}
