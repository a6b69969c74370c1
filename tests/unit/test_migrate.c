/* tests/unit/test_migrate.c - the schema's migrations on a database made by
 * an older gateway: the office roles (migration 14) rebuild the staff table
 * that visits, cases and sessions refer to, so an old database is built
 * here up to version 13 with rows that refer to its staff, then migrated.
 * SQLite only, also under GATEWAY_TEST_PG: the old databases are SQLite files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../db/schema.h"
#include "../../db/sqlite.h"
#include "../common/harness.h"
#include "../common/seed.h"

/* Builds a database at path as a gateway with migrations 1..upto left it,
 * with a village, a director, a visit and a session of theirs. Raw SQL:
 * the store of today cannot write an old schema. */
static void old_database(const char *path, int upto)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; CREATE TABLE schema_version "
                                  "(version INTEGER NOT NULL, applied_at INTEGER NOT NULL DEFAULT "
                                  "(strftime('%s','now')))",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    for (int v = 0; v < upto; v++) {
        char sql[96];
        if (sqlite3_exec(db, schema_migration(v), NULL, NULL, NULL) != SQLITE_OK)
            fail_msg("migration %d: %s", v + 1, sqlite3_errmsg(db));
        snprintf(sql, sizeof sql, "INSERT INTO schema_version(version) VALUES (%d)", v + 1);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    const char *rows =
        "INSERT INTO region(id, parent_id, name, path, level) VALUES (1, NULL, '示例县', '示例县', 1),"
        " (2, 1, '东溪镇', '示例县/东溪镇', 2), (3, 2, '上湾村', '示例县/东溪镇/上湾村', 3);"
        "INSERT INTO staff(id, phone, name, role, region_id, department, created_at)"
        " VALUES (7, '+8613800000001', '刘永福', 'director', 3, NULL, 1700000000);"
        "INSERT INTO session(hash, staff_id, csrf_hash, client, created_at, last_seen_at, expires_at)"
        " VALUES ('h', 7, 'c', '127.0.0.1', 1700000000, 1700000000, 1700043200);";
    if (sqlite3_exec(db, rows, NULL, NULL, NULL) != SQLITE_OK) fail_msg("rows: %s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

static void office_roles_keep_every_reference_to_staff(void **state)
{
    char dir[] = "/tmp/gw-migrate-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/gw.db", dir);
    old_database(path, 13);

    struct store *st;
    char err[256];
    int from = 0, to = 0;
    assert_int_equal(sqlite_store_open(path, 1, &st, err, sizeof err), 0);
    if (store_migrate(st, &from, &to, err, sizeof err) != 0) fail_msg("migrate: %s", err);
    assert_int_equal(from, 13);
    assert_int_equal(to, sqlite_schema_latest());
    store_close(st);

    /* The director and their session survived with the same ids, every
     * reference holds, the index is back; the new roles are accepted and
     * an unknown one is still refused. */
    assert_int_equal(db_int(path, "SELECT count(*) FROM staff WHERE id = 7 AND role = 'director'"), 1);
    assert_int_equal(db_int(path, "SELECT count(*) FROM session s JOIN staff t ON t.id = s.staff_id"), 1);
    assert_int_equal(db_int(path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    assert_int_equal(db_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'staff_region'"), 1);
    assert_int_equal(db_int(path, "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%%staff_new%%'"), 0);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO staff(phone, name, role, region_id, created_at) VALUES "
                                  "('+8613800000002', '王', 'auditor', 1, 0), ('+8613800000003', '钱', 'county', 1, 0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db,
                                      "INSERT INTO staff(phone, name, role, region_id, created_at) VALUES "
                                      "('+8613800000004', '赵', 'mayor', 1, 0)",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    sqlite3_close(db);

    /* Migrating again does nothing. */
    assert_int_equal(sqlite_store_open(path, 1, &st, err, sizeof err), 0);
    assert_int_equal(store_migrate(st, &from, &to, err, sizeof err), 0);
    assert_int_equal(from, to);
    store_close(st);
    seed_store_free(NULL, path);
    rmdir(dir);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(office_roles_keep_every_reference_to_staff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
