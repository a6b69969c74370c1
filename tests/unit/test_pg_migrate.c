/* tests/unit/test_pg_migrate.c - PostgreSQL's migration 18 on a database
 * an older gateway left at version 17 with rows in its outbox: every row
 * and column stays, the unique constraint on dedupe keys becomes a partial
 * unique index that still stops a second keyed row, and outbox_inbox goes.
 * Needs the test server (GATEWAY_TEST_PG); skipped without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "../../core/store.h"
#include "../../db/pg_schema.h"
#include "../common/pgtest.h"
#include "../common/seed.h"

#define PG_FIRST_VERSION 15

/* Runs sql on conn; fails the test on an error. */
static void run(PGconn *conn, const char *sql)
{
    PGresult *r = PQexec(conn, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) fail_msg("%s: %s", sql, PQerrorMessage(conn));
    PQclear(r);
}

/* The one text sql answers on conn (owned; "" for NULL). */
static char *text_of(PGconn *conn, const char *sql)
{
    PGresult *r = PQexec(conn, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) fail_msg("%s: %s", sql, PQerrorMessage(conn));
    char *v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* Every outbox row, every column, as one text. */
static const char ROWS[] = "SELECT string_agg(concat_ws(',', id, quote_nullable(channel), recipient, template, vars, "
                           "body, kind, priority, status, quote_nullable(inbox_id), quote_nullable(case_id), "
                           "quote_nullable(dedupe_key), attempts, next_attempt_at, quote_nullable(provider_msg_id), "
                           "quote_nullable(last_error), created_at, updated_at, quote_nullable(sent_at), "
                           "quote_nullable(done_at), quote_nullable(broadcast_id), quote_nullable(purged_at), "
                           "quote_nullable(claimed_by)), ';' ORDER BY id) FROM outbox";

/* The outbox's columns and foreign keys, as one text. */
static const char SHAPE[] =
    "SELECT (SELECT string_agg(concat_ws(' ', column_name, data_type, is_nullable, coalesce(column_default, '-')), "
    "', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'outbox') || ' | ' || "
    "(SELECT string_agg(pg_get_constraintdef(oid), ', ' ORDER BY pg_get_constraintdef(oid)) FROM pg_constraint "
    "WHERE conrelid = 'outbox'::regclass AND contype = 'f')";

static void version_17_keeps_rows_and_keys(void **state)
{
    if (!pgtest_base_url()) skip();
    PGconn *conn = PQconnectdb(pgtest_url);
    if (PQstatus(conn) != CONNECTION_OK) fail_msg("%s", PQerrorMessage(conn));
    run(conn, "SET client_min_messages = warning");
    for (int v = PG_FIRST_VERSION - 1; v < 17; v++) run(conn, pg_schema_migration(v));
    run(conn, "CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at BIGINT NOT NULL DEFAULT "
              "(extract(epoch from now())::bigint)); INSERT INTO schema_version(version) VALUES (17)");
    run(conn, "INSERT INTO region(id, parent_id, name, path, level) VALUES (1, NULL, '示例县', '示例县', 1);"
              "INSERT INTO staff(id, phone, name, role, region_id, created_at)"
              " VALUES (7, '+8613800000001', '刘', 'director', 1, 1700000000);"
              SEED_V17_OUTBOX_ROWS
              "SELECT setval(pg_get_serial_sequence('outbox', 'id'), 3)");
    char *before = text_of(conn, ROWS), *shape = text_of(conn, SHAPE);

    struct store *st = pgtest_open(pgtest_url, 1);
    char *after = text_of(conn, ROWS), *shape_after = text_of(conn, SHAPE);
    assert_string_equal(after, before);
    assert_string_equal(shape_after, shape);
    assert_non_null(strstr(shape, "REFERENCES broadcast(id)"));
    char *v = text_of(conn, "SELECT max(version)::text FROM schema_version");
    assert_string_equal(v, "18");
    free(v);
    /* The constraint went, the partial unique index came, outbox_inbox went. */
    v = text_of(conn, "SELECT count(*)::text FROM pg_constraint WHERE conrelid = 'outbox'::regclass AND contype = 'u'");
    assert_string_equal(v, "0");
    free(v);
    v = text_of(conn, "SELECT indexdef FROM pg_indexes WHERE tablename = 'outbox' AND indexname = 'outbox_dedupe'");
    assert_non_null(strstr(v, "UNIQUE"));
    assert_non_null(strstr(v, "WHERE (dedupe_key IS NOT NULL)"));
    free(v);
    v = text_of(conn, "SELECT count(*)::text FROM pg_indexes WHERE indexname = 'outbox_inbox'");
    assert_string_equal(v, "0");
    free(v);

    /* A key still stops a second row and answers with the first; rows
     * without one never meet. */
    seed_check_outbox_keys(st, SEED_V17_KEY, 2, 5);
    v = text_of(conn, "SELECT count(*)::text FROM outbox WHERE dedupe_key IS NULL AND inbox_id = 5");
    assert_string_equal(v, "3");
    free(v);
    store_close(st);
    free(before);
    free(after);
    free(shape);
    free(shape_after);
    PQfinish(conn);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(version_17_keeps_rows_and_keys),
    };
    return cmocka_run_group_tests_name("pg_migrate", tests, pgtest_group_setup, pgtest_group_teardown);
}
