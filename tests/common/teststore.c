/* tests/common/teststore.c - a unit test's store (teststore.h). */
#include "teststore.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "../../core/util.h"
#include "pgtest.h"

int test_store_setup(void **state, const char *prefix, int with_db)
{
    struct test_store *c = gw_calloc(1, sizeof *c);
    c->st = seed_store_new(prefix, c->path);
    *state = c;
    if (!with_db || seed_is_pg(c->path)) return 0;
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
    char out[4096];
    test_sql_q1(c->path, sql, out, sizeof out);
    if (!strncmp(out, "SQL ERROR", 9)) fail_msg("%s: %s", sql, out);
    return gw_strdup(out[0] ? out : "<no row>");
}

void test_expect_q(struct test_store *c, const char *sql, const char *want)
{
    char *got = test_q1(c, sql);
    if (strcmp(got, want) != 0) print_error("%s\n  got  %s\n  want %s\n", sql, got, want);
    assert_string_equal(got, want);
    free(got);
}

/* ---- raw SQL ---------------------------------------------------------------------- */

/* Notices are not the test's output. */
static void quiet(void *arg, const char *message) {}

/* A new libpq connection to url, or NULL with the reason in err. */
static PGconn *pg_connect(const char *url, char *err, size_t errlen)
{
    PGconn *c = PQconnectdb(url);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        snprintf(err, errlen, "%s", c ? PQerrorMessage(c) : "out of memory");
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, quiet, NULL);
    PGresult *r = PQexec(c, "SET search_path = public, " PGTEST_COMPAT_SCHEMA); /* group_concat, instr... */
    PQclear(r);
    return c;
}

/* A new SQLite connection to path (busy timeout 5 s), or NULL with err. */
static sqlite3 *lite_connect(const char *path, char *err, size_t errlen)
{
    sqlite3 *h = NULL;
    if (sqlite3_open(path, &h) != SQLITE_OK) {
        snprintf(err, errlen, "%s", h ? sqlite3_errmsg(h) : "out of memory");
        sqlite3_close(h);
        return NULL;
    }
    sqlite3_busy_timeout(h, 5000);
    return h;
}

int test_sql_exec(const char *where, const char *sql, char *err, size_t errlen)
{
    int rc = -1;
    if (seed_is_pg(where)) {
        PGconn *c = pg_connect(where, err, errlen);
        if (!c) return -1;
        PGresult *r = PQexec(c, sql);
        ExecStatusType s = PQresultStatus(r);
        rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : -1;
        if (rc) snprintf(err, errlen, "%s", PQerrorMessage(c));
        PQclear(r);
        PQfinish(c);
        return rc;
    }
    sqlite3 *h = lite_connect(where, err, errlen);
    if (!h) return -1;
    char *msg = NULL;
    rc = sqlite3_exec(h, sql, NULL, NULL, &msg) == SQLITE_OK ? 0 : -1;
    if (rc) snprintf(err, errlen, "%s", msg ? msg : "?");
    sqlite3_free(msg);
    sqlite3_close(h);
    return rc;
}

/* Calls row(arg, values, n) for every row of sql on where (values NULL for
 * NULL; PostgreSQL booleans as "1"/"0"). 0, or -1 with err. */
static int each_row(const char *where, const char *sql, void (*row)(void *, const char *const *, int), void *arg,
                    char *err, size_t errlen)
{
    const char *v[64];
    if (seed_is_pg(where)) {
        PGconn *c = pg_connect(where, err, errlen);
        if (!c) return -1;
        PGresult *r = PQexec(c, sql);
        int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
        if (rc) snprintf(err, errlen, "%s", PQerrorMessage(c));
        int n = rc ? 0 : PQnfields(r) < 64 ? PQnfields(r) : 64;
        for (int i = 0; !rc && i < PQntuples(r); i++) {
            for (int j = 0; j < n; j++) {
                v[j] = PQgetisnull(r, i, j) ? NULL : PQgetvalue(r, i, j);
                if (v[j] && PQftype(r, j) == 16 /* bool */) v[j] = !strcmp(v[j], "t") ? "1" : "0";
            }
            row(arg, v, n);
        }
        PQclear(r);
        PQfinish(c);
        return rc;
    }
    sqlite3 *h = lite_connect(where, err, errlen);
    if (!h) return -1;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(h));
        sqlite3_close(h);
        return -1;
    }
    int n = sqlite3_column_count(s) < 64 ? sqlite3_column_count(s) : 64, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        for (int j = 0; j < n; j++) v[j] = (const char *)sqlite3_column_text(s, j);
        row(arg, v, n);
    }
    if (rc != SQLITE_DONE) snprintf(err, errlen, "%s", sqlite3_errmsg(h));
    sqlite3_finalize(s);
    sqlite3_close(h);
    return rc == SQLITE_DONE ? 0 : -1;
}

struct first {
    char *out;
    size_t len;
    int seen;
};

/* each_row callback: keeps the first value of the first row. */
static void first_row(void *arg, const char *const *v, int n)
{
    struct first *f = arg;
    if (f->seen++ || n < 1) return;
    snprintf(f->out, f->len, "%s", v[0] ? v[0] : "NULL");
}

void test_sql_q1(const char *where, const char *sql, char *out, size_t outlen)
{
    char err[512] = "";
    struct first f = {out, outlen, 0};
    out[0] = '\0';
    if (each_row(where, sql, first_row, &f, err, sizeof err) != 0) snprintf(out, outlen, "SQL ERROR: %s", err);
}

/* each_row callback: appends the row to a gw_buf. */
static void all_rows(void *arg, const char *const *v, int n)
{
    for (int j = 0; j < n; j++) gw_buf_printf(arg, "%s|", v[j] ? v[j] : "NULL");
    gw_buf_putc(arg, '\n');
}

char *test_sql_rows(const char *where, const char *sql)
{
    struct gw_buf b = {0};
    char err[512] = "";
    if (each_row(where, sql, all_rows, &b, err, sizeof err) != 0) fail_msg("%s: %s", sql, err);
    return gw_buf_steal(&b);
}

struct text {
    char *v; /* owned, NULL for NULL */
    int rows;
};

/* each_row callback: the first value of the first row, owned. */
static void first_text(void *arg, const char *const *v, int n)
{
    struct text *t = arg;
    if (!t->rows++ && n >= 1 && v[0]) t->v = gw_strdup(v[0]);
}

int test_sql_first(const char *where, const char *sql, char **value, char *err, size_t errlen)
{
    struct text t = {0};
    *value = NULL;
    if (each_row(where, sql, first_text, &t, err, errlen) != 0) {
        free(t.v);
        return -1;
    }
    *value = t.v;
    return t.rows ? 1 : 0;
}

/* The first value of the first row of sqlite3_vmprintf(fmt, ap) on where
 * into *t (rows 0 on error, the failure on stderr). */
static void vtext(const char *where, const char *fmt, va_list ap, struct text *t)
{
    char *sql = sqlite3_vmprintf(fmt, ap), err[512] = "";
    *t = (struct text){0};
    if (each_row(where, sql, first_text, t, err, sizeof err) != 0) fprintf(stderr, "query failed: %s: %s\n", sql, err);
    sqlite3_free(sql);
}

int64_t tdb_int(const char *where, const char *fmt, ...)
{
    va_list ap;
    struct text t;
    va_start(ap, fmt);
    vtext(where, fmt, ap, &t);
    va_end(ap);
    int64_t v = !t.rows ? -1 : t.v ? strtoll(t.v, NULL, 10) : 0;
    free(t.v);
    return v;
}

char *tdb_text(const char *where, const char *fmt, ...)
{
    va_list ap;
    struct text t;
    va_start(ap, fmt);
    vtext(where, fmt, ap, &t);
    va_end(ap);
    return t.v;
}

void tdb_exec(const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap), err[512] = "";
    va_end(ap);
    int rc = test_sql_exec(where, sql, err, sizeof err);
    if (rc != 0) fail_msg("%s: %s", sql, err);
    sqlite3_free(sql);
}
