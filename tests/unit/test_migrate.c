/* tests/unit/test_migrate.c - the schema's migrations on a database made by
 * an older gateway: the office roles (migration 14) rebuild the staff table
 * that visits, cases and sessions refer to, so an old database is built
 * here up to version 13 with rows that refer to its staff, then migrated;
 * migration 18 rebuilds the outbox that send attempts refer to, so one is
 * built up to version 17 with queued, sent and keyed rows.
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

/* The one text that sql (one row, one column) reads from the database at path. */
static char *one_text(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    char *all = strdup((const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return all;
}

/* The outbox's columns (name, type, NOT NULL, default, key) and foreign
 * keys, as one text. */
static char *outbox_shape(const char *path)
{
    return one_text(path, "SELECT (SELECT group_concat(name || ' ' || type || ' ' || \"notnull\" || ' ' || "
                          "coalesce(dflt_value, '-') || ' ' || pk, ', ') FROM pragma_table_xinfo('outbox')) || ' | ' || "
                          "(SELECT group_concat(\"table\" || '.' || \"to\" || ' <- ' || \"from\", ', ') FROM "
                          "pragma_foreign_key_list('outbox'))");
}

/* Every outbox row of the database at path, every column, as one text. */
static char *outbox_rows(const char *path)
{
    return one_text(path, "SELECT group_concat(quote(id) || ',' || quote(channel) || ',' || quote(recipient) || ','"
                          " || quote(template) || ',' || quote(vars) || ',' || quote(body) || ',' || quote(kind)"
                          " || ',' || quote(priority) || ',' || quote(status) || ',' || quote(inbox_id) || ','"
                          " || quote(case_id) || ',' || quote(dedupe_key) || ',' || quote(attempts) || ','"
                          " || quote(next_attempt_at) || ',' || quote(provider_msg_id) || ',' || quote(last_error)"
                          " || ',' || quote(created_at) || ',' || quote(updated_at) || ',' || quote(sent_at) || ','"
                          " || quote(done_at) || ',' || quote(broadcast_id) || ',' || quote(purged_at) || ','"
                          " || quote(claimed_by), ';') FROM (SELECT * FROM outbox ORDER BY id)");
}

static void outbox_rebuild_keeps_rows_and_keys(void **state)
{
    char dir[] = "/tmp/gw-migrate-XXXXXX", path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/gw.db", dir);
    old_database(path, 17);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    const char *rows = SEED_V17_OUTBOX_ROWS;
    if (sqlite3_exec(db, rows, NULL, NULL, NULL) != SQLITE_OK) fail_msg("rows: %s", sqlite3_errmsg(db));
    sqlite3_close(db);
    char *before = outbox_rows(path), *shape = outbox_shape(path);

    struct store *st;
    char err[256];
    int from = 0, to = 0;
    assert_int_equal(sqlite_store_open(path, 1, &st, err, sizeof err), 0);
    if (store_migrate(st, &from, &to, err, sizeof err) != 0) fail_msg("migrate: %s", err);
    assert_int_equal(from, 17);

    /* Every row with every column, and every reference, as it was; the
     * dedupe keys' index holds only the keyed rows, outbox_inbox is gone. */
    char *after = outbox_rows(path), *shape_after = outbox_shape(path);
    assert_string_equal(after, before);
    assert_string_equal(shape_after, shape);
    assert_non_null(strstr(shape, "broadcast.id <- broadcast_id"));
    free(before);
    free(after);
    free(shape);
    free(shape_after);
    assert_int_equal(db_int(path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    assert_int_equal(db_int(path, "SELECT count(*) FROM send_attempt s JOIN outbox o ON o.id = s.outbox_id"), 1);
    assert_int_equal(db_int(path, "SELECT count(*) FROM sqlite_schema WHERE tbl_name = 'outbox' AND name LIKE "
                                  "'sqlite_autoindex%%'"),
                     0);
    assert_int_equal(db_int(path, "SELECT count(*) FROM sqlite_schema WHERE name IN ('outbox_inbox', 'outbox_new')"), 0);
    assert_int_equal(db_int(path, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN ('outbox_dedupe',"
                                  " 'outbox_case', 'outbox_provider', 'outbox_broadcast', 'outbox_due', 'outbox_sending')"),
                     6);
    assert_int_equal(db_int(path, "SELECT count(*) FROM pragma_index_list('outbox') WHERE name = 'outbox_dedupe' AND "
                                  "\"unique\" AND partial"),
                     1);

    /* A key still stops a second row, and answers with the first; rows
     * without a key never meet. */
    seed_check_outbox_keys(st, SEED_V17_KEY, 2, 5);
    store_close(st);
    assert_int_equal(db_int(path, "SELECT count(*) FROM outbox WHERE dedupe_key IS NULL AND inbox_id = 5"), 3);
    assert_int_equal(db_int(path, "SELECT count(*) FROM outbox"), 5);
    seed_store_free(NULL, path);
    rmdir(dir);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(office_roles_keep_every_reference_to_staff),
        cmocka_unit_test(outbox_rebuild_keeps_rows_and_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
