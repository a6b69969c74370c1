/* tests/unit/test_pg_schema.c - the PostgreSQL migrations keep step with
 * SQLite's: one twin per SQLite migration, nothing before version 15 (a
 * fresh PostgreSQL database starts there), and no SQLite-only construct in
 * the SQL. Needs no server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../db/pg_schema.h"
#include "../../db/schema.h"

/* The first schema version PostgreSQL has. */
#define PG_FIRST_VERSION 15

static void one_twin_per_sqlite_migration(void **state)
{
    assert_int_equal(pg_schema_count(), schema_count());
    assert_null(pg_schema_migration(-1));
    assert_null(pg_schema_migration(pg_schema_count()));
}

static void starts_at_version_15(void **state)
{
    for (int i = 0; i < PG_FIRST_VERSION - 1; i++)
        if (pg_schema_migration(i) != NULL) fail_msg("migration %d has PostgreSQL SQL", i + 1);
    assert_non_null(pg_schema_migration(PG_FIRST_VERSION - 1));
    for (int i = PG_FIRST_VERSION - 1; i < pg_schema_count(); i++)
        if (pg_schema_migration(i) == NULL) fail_msg("migration %d has no PostgreSQL twin", i + 1);
}

static void the_first_creates_the_whole_schema(void **state)
{
    static const char *const tables[] = {
        "region",    "staff",       "child",        "guardian",       "guardian_child", "inbox",     "visit",
        "checkin",   "reporter",    "cases",        "case_dept",      "case_event",     "case_seq",  "broadcast",
        "outbox",    "opt_out",     "send_attempt", "receipt_pending", "sms_part",      "ussd_session", "call",
        "media",     "health",      "digest_item",  "audit",          "api_token",      "login_code", "session",
        "child_change",
    };
    const char *sql = pg_schema_migration(PG_FIRST_VERSION - 1);
    assert_non_null(sql);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char create[64];
        snprintf(create, sizeof create, "CREATE TABLE %s (", tables[i]);
        if (strstr(sql, create) == NULL) fail_msg("no table %s", tables[i]);
    }
    assert_null(strstr(sql, "schema_version")); /* the core creates it */
}

static void no_sqlite_only_construct(void **state)
{
    static const char *const sqlite_only[] = {
        "PRAGMA", "strftime", "WITHOUT ROWID", "AUTOINCREMENT", "INSERT OR", "INTEGER PRIMARY KEY", "GLOB",
    };
    for (int i = 0; i < pg_schema_count(); i++) {
        const char *sql = pg_schema_migration(i);
        if (sql == NULL) continue;
        for (size_t k = 0; k < sizeof sqlite_only / sizeof sqlite_only[0]; k++)
            if (strstr(sql, sqlite_only[k]) != NULL) fail_msg("migration %d: %s", i + 1, sqlite_only[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_twin_per_sqlite_migration),
        cmocka_unit_test(starts_at_version_15),
        cmocka_unit_test(the_first_creates_the_whole_schema),
        cmocka_unit_test(no_sqlite_only_construct),
    };
    return cmocka_run_group_tests_name("pg_schema", tests, NULL, NULL);
}
