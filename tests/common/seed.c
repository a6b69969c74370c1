/* tests/common/seed.c - a test's world through the import and the store port. */
#include "seed.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../core/damm.h"
#include "../../core/store.h"
#include "../../core/util.h"
#include "../../db/pg.h"
#include "../../db/sqlite.h"
#include "../../handlers/roster_import.h"
#include "pgtest.h"

struct reasons {
    struct gw_buf b;
};

static void on_error(void *arg, long line, const char *reason)
{
    gw_buf_printf(&((struct reasons *)arg)->b, "line %ld: %s; ", line, reason);
}

void seed_roster(struct store *st, const char *kind, const char *csv, int64_t now)
{
    enum roster_kind k;
    if (roster_kind_parse(kind, &k) != 0) fail_msg("seed_roster: unknown kind %s", kind);
    FILE *in = fmemopen((void *)csv, strlen(csv), "r");
    if (!in) fail_msg("seed_roster: fmemopen failed");
    struct reasons r = {{0}};
    struct roster_import_opts opts = {.country_code = "86", .on_error = on_error, .arg = &r};
    struct roster_import_result res;
    char err[256] = "";
    int rc = roster_import(st, k, in, now, &opts, &res, err, sizeof err);
    fclose(in);
    if (rc != 0 || res.bad_rows) fail_msg("seed_roster %s: %s %s", kind, err, gw_buf_cstr(&r.b));
    gw_buf_free(&r.b);
}

int64_t seed_child_id(struct store *st, const char *code)
{
    int64_t id = 0;
    if (store_child_id(st, code, &id) != 0 || !id) fail_msg("seed: no child %s", code);
    return id;
}

int64_t seed_staff_id(struct store *st, const char *phone)
{
    struct db_staff s;
    if (db_staff_by_phone(st, phone, &s) != 0) fail_msg("seed: no staff %s", phone);
    return s.id;
}

int64_t seed_guardian_id(struct store *st, const char *phone)
{
    int64_t id = 0;
    if (db_guardian_by_phone(st, phone, &id) != 0 || !id) fail_msg("seed: no guardian %s", phone);
    return id;
}

int64_t seed_region_id(struct store *st, const char *path)
{
    int64_t id = 0;
    if (store_region_find(st, path, &id, NULL) != 0) fail_msg("seed: no region %s", path);
    return id;
}

int64_t seed_visit(struct store *st, const char *code, const char *phone, const char *date, int result,
                   const char *problems, int64_t at)
{
    struct db_visit v = {.child_id = seed_child_id(st, code),
                         .staff_id = seed_staff_id(st, phone),
                         .result = result,
                         .problems = problems};
    gw_strlcpy(v.visit_date, date, sizeof v.visit_date);
    int64_t id = 0;
    if (db_visit_insert(st, &v, at, &id) != 0) fail_msg("seed_visit %s: %s", code, store_errmsg(st));
    return id;
}

int64_t seed_checkin(struct store *st, const char *phone, const char *code, int status, int64_t at)
{
    struct db_checkin c = {.guardian_id = seed_guardian_id(st, phone), .child_id = seed_child_id(st, code), .status = status};
    int64_t id = 0;
    if (db_checkin_insert(st, &c, at, &id) != 0) fail_msg("seed_checkin %s: %s", code, store_errmsg(st));
    return id;
}

struct store *seed_open(const char *path)
{
    struct store *st = NULL;
    char err[256] = "";
    if (seed_store_open(path, 0, &st, err, sizeof err) != 0) fail_msg("seed_open %s: %s", path, err);
    return st;
}

int seed_is_pg(const char *where) { return !strncmp(where, "postgresql://", 13) || !strncmp(where, "postgres://", 11); }

int seed_store_open(const char *where, int sync_full, struct store **out, char *err, size_t errlen)
{
    if (seed_is_pg(where)) return pg_store_open(where, out, err, errlen);
    return sqlite_store_open(where, sync_full, out, err, errlen);
}

static int force_sqlite;

void seed_force_sqlite(int on) { force_sqlite = on; }

/* Whether new stores go to PostgreSQL: when GATEWAY_TEST_PG is set, unless
 * forced to SQLite (the test_pg_* programs, whose differential checks
 * compare PostgreSQL with the SQLite store seed_store_new makes them, and
 * tests of SQLite-only behaviour). */
static int use_pg(void) { return pgtest_base_url() && !force_sqlite; }

void seed_store_where(char *where, const char *sqlite_path)
{
    char err[256] = "";
    if (!use_pg()) {
        gw_strlcpy(where, sqlite_path, SEED_PATH_MAX);
        return;
    }
    if (pgtest_new_database(where, SEED_PATH_MAX, err, sizeof err) != 0 ||
        pgtest_sqlite_compat(where, err, sizeof err) != 0)
        fail_msg("seed: %s", err);
}

void seed_store_drop(const char *where)
{
    if (seed_is_pg(where)) pgtest_drop_database(where);
}

void seed_store_ini(FILE *f, const char *where)
{
    if (seed_is_pg(where))
        fprintf(f, "[store]\nbackend = postgres\nurl = %s\n", where);
    else
        fprintf(f, "[store]\npath = %s\n", where);
}

int64_t seed_case(struct store *st, const struct db_case_new *c, int64_t at, char *number)
{
    char no[DB_CASE_NO_MAX + 1];
    int64_t id = 0;
    if (store_begin(st) != 0) fail_msg("seed_case: %s", store_errmsg(st));
    if (db_case_open(st, c, at, &id, no) != 0) {
        char why[256];
        gw_strlcpy(why, store_errmsg(st), sizeof why);
        store_rollback(st);
        fail_msg("seed_case: %s", why);
    }
    if (store_commit(st) != 0) fail_msg("seed_case: %s", store_errmsg(st));
    if (number) memcpy(number, no, sizeof no);
    return id;
}

void seed_case_ack(struct store *st, int64_t case_id, int64_t staff_id, int64_t at)
{
    if (store_begin(st) != 0) fail_msg("seed_case_ack: %s", store_errmsg(st));
    int rc = db_case_ack(st, case_id, staff_id, at);
    if (rc != 0) {
        store_rollback(st);
        fail_msg("seed_case_ack %lld: %s", (long long)case_id, rc == 1 ? "not open" : "database error");
    }
    if (store_commit(st) != 0) fail_msg("seed_case_ack: %s", store_errmsg(st));
}

void seed_case_close(struct store *st, int64_t case_id, int64_t staff_id, int outcome, const char *note, int64_t at)
{
    if (store_begin(st) != 0) fail_msg("seed_case_close: %s", store_errmsg(st));
    int rc = db_case_close(st, case_id, staff_id, outcome, note, at);
    if (rc != 0) {
        store_rollback(st);
        fail_msg("seed_case_close %lld: %s", (long long)case_id, rc == 1 ? "already closed" : "database error");
    }
    if (store_commit(st) != 0) fail_msg("seed_case_close: %s", store_errmsg(st));
}

int64_t seed_reporter(struct store *st, const char *phone, int64_t at)
{
    int64_t id = 0;
    if (store_begin(st) != 0) fail_msg("seed_reporter: %s", store_errmsg(st));
    if (db_reporter_upsert(st, phone, at, &id) != 0) {
        char why[256];
        gw_strlcpy(why, store_errmsg(st), sizeof why);
        store_rollback(st);
        fail_msg("seed_reporter: %s", why);
    }
    if (store_commit(st) != 0) fail_msg("seed_reporter: %s", store_errmsg(st));
    return id;
}

struct store *seed_store_new(const char *prefix, char *path)
{
    char file[SEED_PATH_MAX] = "";
    if (!use_pg()) {
        snprintf(file, sizeof file, "/tmp/%s-XXXXXX", prefix);
        int fd = mkstemp(file);
        if (fd < 0) fail_msg("seed_store_new: mkstemp %s", file);
        close(fd);
    }
    seed_store_where(path, file);
    struct store *st = seed_open(path);
    char err[256] = "";
    if (store_migrate(st, NULL, NULL, err, sizeof err) != 0) fail_msg("seed_store_new: migrate: %s", err);
    return st;
}

const char *seed_code(char *out, const char *prefix, int n)
{
    snprintf(out, 8, "%s%04d", prefix, n);
    out[6] = cb_damm_digit(out, 6);
    out[7] = '\0';
    return out;
}

void seed_store_free(struct store *st, const char *path)
{
    char side[SEED_PATH_MAX + 8];
    if (st) store_close(st);
    if (seed_is_pg(path)) {
        pgtest_drop_database(path);
        return;
    }
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

void seed_check_outbox_keys(struct store *st, const char *key, int64_t keyed_id, int64_t inbox_id)
{
    int64_t id = 0;
    struct store_outbox_row keyed = {.recipient = "+8613800000001", .tmpl = "visit_due", .body = "请走访",
                                     .kind = "reminder", .dedupe_key = key};
    struct store_outbox_row reply = {.recipient = "+8613800000001", .tmpl = "help", .body = "帮助", .kind = "reply",
                                     .inbox_id = inbox_id};
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_outbox_insert(st, &keyed, 1700000100, &id), 1);
    assert_int_equal(id, keyed_id);
    assert_int_equal(store_outbox_insert(st, &reply, 1700000100, &id), 0);
    assert_int_equal(store_outbox_insert(st, &reply, 1700000100, &id), 0);
    assert_int_equal(store_commit(st), 0);
}
