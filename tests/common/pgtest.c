/* tests/common/pgtest.c - throwaway PostgreSQL databases for the tests (libpq). */
#include "pgtest.h"

#include <libpq-fe.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../db/pg_int.h"

#define PGTEST_ENV "GATEWAY_TEST_PG"

static atomic_uint pgtest_counter;

/* Formats a message into err (when err has room). */
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

const char *pgtest_base_url(void)
{
    const char *url = getenv(PGTEST_ENV);
    return url && *url ? url : NULL;
}

/* Writes the URL of database db on the server of url (whose own database,
 * if any, is replaced; a "?query" part is kept) to out. Returns 0, or -1
 * when out is too short or url has no "scheme://". */
static int url_with_database(const char *url, const char *db, char *out, size_t len)
{
    const char *host = strstr(url, "://");
    if (!host) return -1;
    host += 3;
    const char *query = strchr(host, '?');
    size_t end = query ? (size_t)(query - url) : strlen(url);
    const char *slash = memchr(host, '/', end - (size_t)(host - url));
    if (slash) end = (size_t)(slash - url);
    int n = snprintf(out, len, "%.*s/%s%s", (int)end, url, db, query ? query : "");
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Writes the database name of url to out. Returns 0, or -1 when url names
 * none or out is too short. */
static int url_database(const char *url, char *out, size_t len)
{
    const char *host = strstr(url, "://");
    if (!host) return -1;
    host += 3;
    size_t hostlen = strcspn(host, "?");
    const char *slash = memchr(host, '/', hostlen);
    if (!slash) return -1;
    size_t n = hostlen - (size_t)(slash + 1 - host);
    if (n == 0 || n >= len) return -1;
    memcpy(out, slash + 1, n);
    out[n] = '\0';
    return 0;
}

/* Notices (DROP DATABASE IF EXISTS of a missing one) are not the test's output. */
static void quiet(void *arg, const char *message) {}

/* Connects to the postgres database of the server of url. Returns the
 * connection, or NULL with the reason in err. */
static PGconn *connect_admin(const char *url, char *err, size_t errlen)
{
    char admin[1024];
    if (url_with_database(url, "postgres", admin, sizeof admin) != 0) {
        seterr(err, errlen, "%s is not a postgresql:// URL", PGTEST_ENV);
        return NULL;
    }
    const char *const keys[] = {"dbname", "connect_timeout", NULL};
    const char *const values[] = {admin, "10", NULL};
    PGconn *c = PQconnectdbParams(keys, values, 1);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        seterr(err, errlen, "cannot connect to the test server: %s", c ? PQerrorMessage(c) : "out of memory");
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, quiet, NULL);
    return c;
}

/* A random number for database names: they stay distinct when a pid is reused. */
static unsigned random_tag(void)
{
    unsigned r = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        if (fread(&r, sizeof r, 1, f) != 1) r = 0;
        fclose(f);
    }
    if (r == 0) r = (unsigned)time(NULL) ^ (unsigned)clock() ^ ((unsigned)getpid() << 16);
    return r % 1000000u;
}

int pgtest_new_database(char *url_out, size_t len, char *err, size_t errlen)
{
    const char *base = pgtest_base_url();
    if (!base) {
        seterr(err, errlen, "%s is not set: no PostgreSQL test server (make test STORE=postgres starts one)",
               PGTEST_ENV);
        return -1;
    }
    char name[64];
    snprintf(name, sizeof name, "gw_test_%ld_%u_%u", (long)getpid(), atomic_fetch_add(&pgtest_counter, 1) + 1,
             random_tag());
    if (url_with_database(base, name, url_out, len) != 0) {
        seterr(err, errlen, "%s is not a postgresql:// URL, or the URL is too long", PGTEST_ENV);
        return -1;
    }
    PGconn *c = connect_admin(base, err, errlen);
    if (!c) return -1;
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name); /* name is [a-z0-9_] only */
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) seterr(err, errlen, "CREATE DATABASE %s: %s", name, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

int pgtest_sqlite_compat(const char *url, char *err, size_t errlen)
{
    static const char sql[] =
        "CREATE SCHEMA " PGTEST_COMPAT_SCHEMA ";"
        "SET search_path = " PGTEST_COMPAT_SCHEMA ";"
        "CREATE FUNCTION group_concat_step(acc text, v anyelement, sep text) RETURNS text LANGUAGE sql IMMUTABLE"
        " AS $$ SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v::text ELSE acc || sep || v::text END $$;"
        "CREATE FUNCTION group_concat_step(acc text, v anyelement) RETURNS text LANGUAGE sql IMMUTABLE"
        " AS $$ SELECT " PGTEST_COMPAT_SCHEMA ".group_concat_step(acc, v, ',') $$;"
        "CREATE AGGREGATE group_concat(anyelement, text) (SFUNC = group_concat_step, STYPE = text);"
        "CREATE AGGREGATE group_concat(anyelement) (SFUNC = group_concat_step, STYPE = text);"
        "CREATE FUNCTION ifnull(a anyelement, b anyelement) RETURNS anyelement LANGUAGE sql IMMUTABLE"
        " AS $$ SELECT coalesce(a, b) $$;"
        "CREATE FUNCTION instr(s text, t text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT strpos(s, t) $$;";
    const char *const keys[] = {"dbname", "connect_timeout", NULL};
    const char *const values[] = {url, "10", NULL};
    PGconn *c = PQconnectdbParams(keys, values, 1);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        seterr(err, errlen, "cannot connect to %s: %s", url, c ? PQerrorMessage(c) : "out of memory");
        PQfinish(c);
        return -1;
    }
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) seterr(err, errlen, "SQLite compatibility functions: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

void pgtest_drop_database(const char *url)
{
    char name[256], err[512];
    if (!url || url_database(url, name, sizeof name) != 0) {
        fprintf(stderr, "pgtest: drop: no database in the URL\n");
        return;
    }
    PGconn *c = connect_admin(url, err, sizeof err);
    if (!c) {
        fprintf(stderr, "pgtest: drop %s: %s\n", name, err);
        return;
    }
    const char *params[] = {name};
    PGresult *r = PQexecParams(c,
                               "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                               " WHERE datname = $1 AND pid <> pg_backend_pid()",
                               1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) fprintf(stderr, "pgtest: drop %s: %s", name, PQerrorMessage(c));
    PQclear(r);
    char *ident = PQescapeIdentifier(c, name, strlen(name));
    if (ident) {
        char sql[600];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", ident);
        PQfreemem(ident);
        r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) fprintf(stderr, "pgtest: drop %s: %s", name, PQerrorMessage(c));
        PQclear(r);
    }
    PQfinish(c);
}

/* ---- a test group's database ------------------------------------------------ */

char pgtest_url[512];

int pgtest_group_setup(void **state)
{
    (void)state;
    pgtest_url[0] = '\0';
    if (!pgtest_base_url()) return 0;
    char err[256];
    if (pgtest_new_database(pgtest_url, sizeof pgtest_url, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

int pgtest_group_teardown(void **state)
{
    (void)state;
    if (pgtest_url[0]) pgtest_drop_database(pgtest_url);
    return 0;
}

struct store *pgtest_open(const char *url, int migrate)
{
    struct store *st = NULL;
    char err[256];
    if (pg_store_open_ops(&pg_store_ops, url, &st, err, sizeof err) != 0) fail_msg("open: %s", err);
    if (migrate && store_migrate(st, NULL, NULL, err, sizeof err) != 0) fail_msg("migrate: %s", err);
    return st;
}

int64_t pgtest_int(struct store *st, const char *sql)
{
    PGresult *r = pg_run(st, sql, NULL);
    if (!r) fail_msg("%s: %s", sql, store_errmsg(st));
    int64_t v = pg_int(r, 0, 0);
    PQclear(r);
    return v;
}
