/* db/pg_core.c - PostgreSQL implementation of the store core: connecting,
 * the prepared-statement cache and parameters (pg_int.h), migrations,
 * transactions and savepoints, the health row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../core/random.h"
#include "../core/util.h"
#include "pg_int.h"
#include "pg_schema.h"

/* ---- parameters and columns ---------------------------------------------- */

void pg_arg_text(struct pg_args *a, const char *s)
{
    if (a->n < PG_ARGS_MAX) a->v[a->n++] = s;
}

void pg_arg_int(struct pg_args *a, int64_t v)
{
    if (a->n >= PG_ARGS_MAX) return;
    snprintf(a->buf[a->n], sizeof a->buf[a->n], "%lld", (long long)v);
    a->v[a->n] = a->buf[a->n];
    a->n++;
}

void pg_arg_int_or_null(struct pg_args *a, int64_t v)
{
    if (v)
        pg_arg_int(a, v);
    else
        pg_arg_text(a, NULL);
}

int64_t pg_int(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col)) return 0;
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

int pg_null(const PGresult *r, int row, int col) { return PQgetisnull(r, row, col); }

void pg_text(const PGresult *r, int row, int col, char *out, size_t len)
{
    gw_strlcpy(out, PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col), len);
}

/* ---- errors ------------------------------------------------------------- */

/* Keeps the error of res (or of the connection when res is NULL). */
static void keep_error(struct pg_store *pg, const PGresult *res)
{
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    gw_strlcpy(pg->err, msg && *msg ? msg : "PostgreSQL: unknown error", sizeof pg->err);
    size_t n = strlen(pg->err);
    while (n && (pg->err[n - 1] == '\n' || pg->err[n - 1] == ' ')) pg->err[--n] = '\0';
    /* libpq puts one line per host tried: one line for the log and a 503's reason. */
    for (char *c = pg->err; *c; c++)
        if (*c == '\n') *c = ' ';
    gw_strlcpy(pg->state, state ? state : "", sizeof pg->state);
}

const char *pg_state(struct store *st) { return pg_of(st)->state; }

int pg_unique_violation(struct store *st) { return strcmp(pg_of(st)->state, "23505") == 0; }

const char *pg_store_errmsg(struct store *st) { return st ? pg_of(st)->err : "no database"; }

/* ---- the connection ------------------------------------------------------ */

/* Settings every connection runs with: acknowledgements only after the
 * commit is durable (on the standbys too when synchronous replication is
 * configured), UTF-8, and the process's time zone (TZ, which the gateway
 * sets from [policy] timezone) for local days computed in SQL, as SQLite's
 * 'localtime' does. */
static int session_settings(struct pg_store *pg)
{
    PGresult *r = PQexec(pg->conn, "SET synchronous_commit = on; SET client_encoding = 'UTF8'");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) keep_error(pg, r);
    PQclear(r);
    const char *tz = getenv("TZ");
    if (ok && tz && *tz) {
        const char *v[1] = {tz[0] == ':' ? tz + 1 : tz};
        r = PQexecParams(pg->conn, "SELECT set_config('TimeZone', $1, false)", 1, NULL, v, NULL, NULL, 0);
        ok = PQresultStatus(r) == PGRES_TUPLES_OK;
        if (!ok) keep_error(pg, r);
        PQclear(r);
    }
    return ok ? 0 : -1;
}

/* ---- claimants ------------------------------------------------------------
 *
 * Several gateway processes may share one database. A row one of them has
 * on the wire (an outbox send, a recording's fetch) is marked with the
 * claimant number of the connection that claimed it, and that connection
 * holds the session advisory lock (PG_LOCK_CLAIMANT, claimant) for as long
 * as it lives. A claim whose lock nobody holds belongs to a process that
 * died (the server drops a dead connection's locks), and any process may put
 * the row back in the queue (pg_store_outbox_recover). */

/* 1 when this connection now holds (PG_LOCK_CLAIMANT, n), 0 when another
 * does, -1 on error. */
static int lock_claimant(struct pg_store *pg, int64_t n)
{
    char num[24];
    snprintf(num, sizeof num, "%lld", (long long)n);
    const char *v[1] = {num};
    PGresult *r = PQexecParams(pg->conn, "SELECT pg_try_advisory_lock(" GW_STR(PG_LOCK_CLAIMANT) ", $1::int)", 1, NULL,
                               v, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? !strcmp(PQgetvalue(r, 0, 0), "t") : -1;
    if (rc < 0) keep_error(pg, r);
    PQclear(r);
    return rc;
}

/* Takes this connection's claimant lock: the number it had (after a
 * reconnect), else a new random one (1..2^31-1; another connection that
 * drew the same holds it, so draw again). 0 or -1. */
static int take_claimant(struct pg_store *pg)
{
    if (pg->claimant) {
        int rc = lock_claimant(pg, pg->claimant);
        if (rc != 0) return rc > 0 ? 0 : -1;
        gw_warn("store: another connection holds this one's claimant number: drawing a new one");
    }
    for (int tries = 0; tries < 8; tries++) {
        uint32_t n = 0;
        if (gw_random_bytes(&n, sizeof n) != 0) break;
        n &= 0x7fffffffu;
        if (!n) continue;
        int rc = lock_claimant(pg, n);
        if (rc < 0) return -1;
        if (rc > 0) {
            pg->claimant = n;
            return 0;
        }
    }
    gw_strlcpy(pg->err, "could not take a claimant number", sizeof pg->err);
    return -1;
}

static void maybe_reconnect(struct pg_store *pg);

int pg_may_recover(struct store *st)
{
    struct pg_store *pg = pg_of(st);
    if (pg->depth == 0) maybe_reconnect(pg); /* a reconnect now starts the grace */
    return !pg->reconnected_at || gw_clock_mono() - pg->reconnected_at >= PG_RECOVER_GRACE;
}

/* After the connection was lost (a failover): one reset, outside a
 * transaction only (a transaction's work is gone with its connection, and
 * its caller must see the failure). Prepared statements, the claimant lock
 * and the timed jobs' lock are per connection: the first two are taken
 * again, the leadership is asked for again at the next run. */
static void maybe_reconnect(struct pg_store *pg)
{
    if (PQstatus(pg->conn) == CONNECTION_OK) return;
    if (!pg->down) gw_warn("store: the PostgreSQL connection was lost: reconnecting");
    pg->down = 1; /* told once; each later try is quiet until one succeeds */
    PQreset(pg->conn);
    for (int i = 0; i < pg->ncache; i++) pg->cache[i].prepared = 0;
    pg->depth = 0;
    pg->leading = 0;
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        keep_error(pg, NULL);
        return;
    }
    pg->down = 0;
    pg->reconnected_at = gw_clock_mono();
    if (session_settings(pg) != 0 || take_claimant(pg) != 0)
        gw_warn("store: the new PostgreSQL connection is not ready: %s", pg->err);
    else
        gw_info("store: reconnected to PostgreSQL");
}

/* Notices ("relation already exists, skipping") are not errors: dropped. */
static void quiet(void *arg, const char *message) { (void)arg, (void)message; }

int pg_store_open_ops(const struct store_ops *ops, const char *url, struct store **out, char *err, size_t errlen)
{
    struct pg_store *pg = gw_calloc(1, sizeof *pg);
    pg->base.ops = ops;
    pg->url = gw_strdup(url);
    pg->conn = PQconnectdb(url);
    if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
        keep_error(pg, NULL);
        gw_err(err, errlen, "PostgreSQL: %s", pg->err);
        goto fail;
    }
    PQsetNoticeProcessor(pg->conn, quiet, NULL);
    if (session_settings(pg) != 0 || take_claimant(pg) != 0) {
        gw_err(err, errlen, "PostgreSQL: %s", pg->err);
        goto fail;
    }
    *out = &pg->base;
    return 0;
fail:
    if (pg->conn) PQfinish(pg->conn);
    free(pg->url);
    free(pg);
    return -1;
}

void pg_store_close(struct store *st)
{
    struct pg_store *pg = pg_of(st);
    if (pg->conn) PQfinish(pg->conn);
    free(pg->url);
    free(pg);
}

/* ---- statements ---------------------------------------------------------- */

/* The cache slot of sql, prepared on this connection; -1 on failure. */
static int prepared(struct pg_store *pg, const char *sql)
{
    int i = 0;
    while (i < pg->ncache && pg->cache[i].sql != sql) i++;
    if (i == pg->ncache) {
        if (pg->ncache == PG_STMT_CACHE) {
            /* Sized for every statement in db/; outgrowing it is a
             * programming error, caught in tests. */
            fprintf(stderr, "fatal: PostgreSQL statement cache full\n");
            abort();
        }
        pg->cache[pg->ncache].sql = sql;
        pg->cache[pg->ncache].prepared = 0;
        pg->ncache++;
    }
    if (!pg->cache[i].prepared) {
        char name[16];
        snprintf(name, sizeof name, "s%d", i);
        PGresult *r = PQprepare(pg->conn, name, sql, 0, NULL);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok) keep_error(pg, r);
        PQclear(r);
        if (!ok) return -1;
        pg->cache[i].prepared = 1;
    }
    return i;
}

PGresult *pg_run(struct store *st, const char *sql, const struct pg_args *a)
{
    struct pg_store *pg = pg_of(st);
    if (pg->depth == 0) maybe_reconnect(pg);
    int i = prepared(pg, sql);
    if (i < 0) return NULL;
    char name[16];
    snprintf(name, sizeof name, "s%d", i);
    PGresult *r = PQexecPrepared(pg->conn, name, a ? a->n : 0, a ? a->v : NULL, NULL, NULL, 0);
    ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
        pg->state[0] = '\0';
        return r;
    }
    keep_error(pg, r);
    PQclear(r);
    return NULL;
}

int pg_run_done(struct store *st, const char *sql, const struct pg_args *a)
{
    PGresult *r = pg_run(st, sql, a);
    PQclear(r);
    return r ? 0 : -1;
}

int pg_exec(struct store *st, const char *sql)
{
    struct pg_store *pg = pg_of(st);
    if (pg->depth == 0) maybe_reconnect(pg);
    PGresult *r = PQexec(pg->conn, sql);
    ExecStatusType s = PQresultStatus(r);
    int ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
    if (!ok) keep_error(pg, r);
    PQclear(r);
    return ok ? 0 : -1;
}

/* ---- transactions -------------------------------------------------------- */

int pg_store_begin(struct store *st)
{
    if (pg_exec(st, "BEGIN") != 0) return -1;
    pg_of(st)->depth = 1;
    return 0;
}

int pg_store_commit(struct store *st)
{
    struct pg_store *pg = pg_of(st);
    /* COMMIT of a transaction that failed answers ROLLBACK without an
     * error: that is a failed commit here. */
    PGresult *r = PQexec(pg->conn, "COMMIT");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(r), "COMMIT");
    if (!ok) {
        keep_error(pg, r);
        if (!pg->err[0] || !strcmp(pg->err, "PostgreSQL: unknown error"))
            gw_strlcpy(pg->err, "the transaction failed and was rolled back", sizeof pg->err);
    }
    PQclear(r);
    pg->depth = 0;
    return ok ? 0 : -1;
}

int pg_store_rollback(struct store *st)
{
    struct pg_store *pg = pg_of(st);
    if (pg->depth == 0 && PQtransactionStatus(pg->conn) == PQTRANS_IDLE) return 0;
    pg->depth = 0;
    return pg_exec(st, "ROLLBACK");
}

int pg_store_savepoint(struct store *st)
{
    if (pg_run_done(st, "SAVEPOINT sp", NULL) != 0) return -1;
    pg_of(st)->depth++;
    return 0;
}

int pg_store_release(struct store *st)
{
    if (pg_run_done(st, "RELEASE SAVEPOINT sp", NULL) != 0) return -1;
    pg_of(st)->depth--;
    return 0;
}

int pg_store_rollback_to(struct store *st)
{
    if (pg_run_done(st, "ROLLBACK TO SAVEPOINT sp", NULL) != 0) return -1;
    return pg_store_release(st);
}

/* ---- schema -------------------------------------------------------------- */

int pg_schema_latest(void) { return pg_schema_count(); }

int pg_store_schema_version(struct store *st)
{
    PGresult *r = pg_run(st, "SELECT to_regclass('schema_version') IS NOT NULL", NULL);
    if (!r) return -1;
    int has = PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "t");
    PQclear(r);
    if (!has) return 0;
    r = pg_run(st, "SELECT coalesce(max(version), 0) FROM schema_version", NULL);
    if (!r) return -1;
    int v = (int)pg_int(r, 0, 0);
    PQclear(r);
    return v;
}

/* 0 when the database sorts text byte by byte (collation C or POSIX), as
 * SQLite does and as keyset paging, the dedupe keys' range scans and every
 * ordered export assume; -1 with err otherwise. */
static int byte_order(struct store *st, char *err, size_t errlen)
{
    PGresult *r = pg_run(st,
                         "SELECT CASE WHEN datlocprovider = 'i' THEN 'ICU ' || daticulocale ELSE datcollate END, "
                         "current_database() FROM pg_database WHERE datname = current_database()",
                         NULL);
    if (!r) {
        gw_err(err, errlen, "migrate: %s", pg_of(st)->err);
        return -1;
    }
    char coll[64], name[128];
    pg_text(r, 0, 0, coll, sizeof coll);
    pg_text(r, 0, 1, name, sizeof name);
    PQclear(r);
    if (!strcmp(coll, "C") || !strcmp(coll, "POSIX") || !strncmp(coll, "C.", 2)) return 0;
    gw_err(err, errlen,
           "database %s sorts text by the %s collation; the gateway needs byte order: create it with "
           "CREATE DATABASE %s TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C.UTF-8' ENCODING 'UTF8'",
           name, coll, name);
    return -1;
}

int pg_store_migrate(struct store *st, int *from, int *to, char *err, size_t errlen)
{
    if (byte_order(st, err, errlen) != 0) return -1;
    /* Several gateways may start at once: one migrates, under a lock the
     * others wait for; they then find the schema up to date. */
    if (pg_store_begin(st) != 0 || pg_exec(st, "SELECT pg_advisory_xact_lock(" GW_STR(PG_LOCK_MIGRATE) ")") != 0 ||
        pg_exec(st, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at BIGINT NOT "
                    "NULL DEFAULT (extract(epoch from now())::bigint))") != 0)
        goto fail;
    int v = pg_store_schema_version(st);
    if (v < 0) goto fail;
    if (from) *from = v;
    if (v > pg_schema_count()) {
        gw_err(err, errlen, "database schema version %d is newer than this gateway (%d)", v, pg_schema_count());
        pg_store_rollback(st);
        return -1;
    }
    for (; v < pg_schema_count(); v++) {
        const char *sql = pg_schema_migration(v);
        if (sql && pg_exec(st, sql) != 0) {
            gw_err(err, errlen, "migration %d: %s", v + 1, pg_of(st)->err);
            pg_store_rollback(st);
            return -1;
        }
        char ins[96];
        snprintf(ins, sizeof ins, "INSERT INTO schema_version(version) VALUES (%d)", v + 1);
        if (pg_exec(st, ins) != 0) goto fail;
    }
    if (pg_store_commit(st) != 0) goto fail;
    if (to) *to = v;
    return 0;
fail:
    gw_err(err, errlen, "migrate: %s", pg_of(st)->err);
    pg_store_rollback(st);
    return -1;
}

/* ---- the timed jobs' leader ----------------------------------------------- */

/* 1 when this connection holds the session lock PG_LOCK_LEADER (taken now
 * if free; kept until the connection ends, so the first process to ask
 * runs the timed jobs until it stops or dies), 0 when another holds it, -1
 * on error. */
int pg_store_lead(struct store *st)
{
    struct pg_store *pg = pg_of(st);
    if (pg->depth == 0) maybe_reconnect(pg);
    if (pg->leading && PQstatus(pg->conn) == CONNECTION_OK) return 1;
    PGresult *r = pg_run(st, "SELECT pg_try_advisory_lock(" GW_STR(PG_LOCK_LEADER) ")", NULL);
    if (!r) return -1;
    pg->leading = !strcmp(PQgetvalue(r, 0, 0), "t");
    PQclear(r);
    return pg->leading;
}

/* ---- health -------------------------------------------------------------- */

int pg_store_health_write(struct store *st, int64_t now)
{
    struct pg_args a = {0};
    pg_arg_int(&a, now);
    return pg_run_done(st,
                       "INSERT INTO health(id, checked_at) VALUES (1, $1) "
                       "ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
                       &a);
}

int pg_store_check_writable(struct store *st, int64_t now, char *err, size_t errlen)
{
    struct pg_store *pg = pg_of(st);
    if (pg_store_begin(st) != 0 || pg_store_health_write(st, now) != 0 || pg_store_commit(st) != 0) {
        gw_err(err, errlen, "PostgreSQL: a test write failed: %s", pg->err);
        pg_store_rollback(st);
        return -1;
    }
    return 0;
}
