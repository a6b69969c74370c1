/* db/copy.c - copies a whole SQLite store into an empty PostgreSQL store
 * (copy.h): the SQLite file read-only in one read transaction, the rows
 * streamed with COPY FROM STDIN (text format) into one PostgreSQL
 * transaction, the identity sequences moved past the ids copied, the row
 * counts compared, then one commit.
 *
 * Nothing here names a table's columns: both catalogues are read (SQLite's
 * sqlite_master and pragma_table_info, PostgreSQL's pg_attribute), so a
 * column or table a later migration adds is copied without a change here.
 * A column PostgreSQL has and SQLite does not (case_dept.seq, an identity
 * standing for SQLite's rowid) is left to its default; rows are sent in
 * rowid order, so such an identity numbers them as the rowids did.
 */
#include "copy.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/clock.h"
#include "../core/util.h"
#include "pg_int.h"
#include "schema.h"

#define COPY_MAX_TABLES 128
#define COPY_MAX_COLS   96
#define COPY_MAX_REFS   32
#define COPY_NAME       64
#define COPY_FLUSH      (1 << 20) /* bytes of COPY data sent at once */

/* How a value is written for its PostgreSQL column. */
enum col_kind { COL_TEXT, COL_INT, COL_BYTEA };

/* One table of the source, with what the target says of its columns. */
struct table {
    char name[COPY_NAME];
    char cols[COPY_MAX_COLS][COPY_NAME]; /* the source's columns, in its order */
    enum col_kind kind[COPY_MAX_COLS];   /* the target column's type */
    int ncols;
    char refs[COPY_MAX_REFS][COPY_NAME]; /* tables its foreign keys refer to, itself excluded */
    int nrefs;
    int has_rowid; /* 0: WITHOUT ROWID (read in primary key order) */
    int placed;    /* already in the copy order */
};

/* One copy in progress. */
struct copy {
    sqlite3 *db;
    struct store *st;
    PGconn *conn;
    struct table *t; /* the source's tables, COPY_MAX_TABLES of them */
    int nt;
    int order[COPY_MAX_TABLES]; /* indexes into t, parents before children */
    char *err;
    size_t errlen;
};

/* Target tables that may hold rows before the copy: the schema's version
 * (never copied: the migrations wrote it) and the health check's one row
 * (replaced by the source's). */
static int may_hold_rows(const char *table) { return !strcmp(table, "schema_version") || !strcmp(table, "health"); }

/* Appends name as a quoted identifier ("x", with " doubled): the same
 * syntax in both dialects. */
static void put_ident(struct gw_buf *b, const char *name)
{
    gw_buf_putc(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"') gw_buf_putc(b, '"');
        gw_buf_putc(b, *p);
    }
    gw_buf_putc(b, '"');
}

/* ---- PostgreSQL ---------------------------------------------------------- */

/* Keeps the error of r (or of the connection) in the copy's err, on one line. */
static void pg_failed(struct copy *c, const char *what, const PGresult *r)
{
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c->conn);
    struct gw_buf line = {0};
    for (const char *p = msg && *msg ? msg : "unknown error"; *p; p++) {
        if (*p != '\n')
            gw_buf_putc(&line, *p);
        else if (p[1])
            gw_buf_puts(&line, "; ");
    }
    gw_err(c->err, c->errlen, "PostgreSQL: %s: %s", what, gw_buf_cstr(&line));
    gw_buf_free(&line);
}

/* Runs sql (dynamic text, not prepared) with n text parameters v. Returns
 * the result (PQclear it) or NULL with the error kept. */
static PGresult *pq(struct copy *c, const char *what, const char *sql, int n, const char *const *v)
{
    PGresult *r = PQexecParams(c->conn, sql, n, NULL, v, NULL, NULL, 0);
    ExecStatusType s = PQresultStatus(r);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) return r;
    pg_failed(c, what, r);
    PQclear(r);
    return NULL;
}

/* The row count of table in the target, or -1 with the error kept. */
static int64_t pg_count(struct copy *c, const char *table)
{
    struct gw_buf q = {0};
    gw_buf_puts(&q, "SELECT count(*) FROM ");
    put_ident(&q, table);
    PGresult *r = pq(c, table, gw_buf_cstr(&q), 0, NULL);
    gw_buf_free(&q);
    if (!r) return -1;
    int64_t n = pg_int(r, 0, 0);
    PQclear(r);
    return n;
}

/* The tables of the target's schema, in *r (one column: the name). 0 or -1. */
static int pg_tables(struct copy *c, PGresult **r)
{
    *r = pq(c, "listing the tables",
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = quote_ident(current_schema())::regnamespace "
            "AND c.relkind IN ('r', 'p') ORDER BY 1",
            0, NULL);
    return *r ? 0 : -1;
}

/* Refuses a target that holds any row outside may_hold_rows. 0 or -1. */
static int target_empty(struct copy *c)
{
    PGresult *r;
    if (pg_tables(c, &r) != 0) return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        const char *name = PQgetvalue(r, i, 0);
        if (may_hold_rows(name)) continue;
        int64_t n = pg_count(c, name);
        if (n < 0) {
            rc = -1;
        } else if (n > 0) {
            gw_err(c->err, c->errlen,
                   "the target is not empty: table %s holds %" PRId64 " row%s; copy-store copies into a new, "
                   "migrated, empty database only",
                   name, n, n == 1 ? "" : "s");
            rc = -1;
        }
    }
    PQclear(r);
    return rc;
}

/* Reads the target's columns of table t: each source column must exist
 * there; its type decides how values are written. 0 or -1. */
static int target_columns(struct copy *c, struct table *t)
{
    const char *v[1] = {t->name};
    PGresult *r = pq(c, t->name,
                     "SELECT a.attname, format_type(a.atttypid, NULL) FROM pg_attribute a JOIN pg_class k ON k.oid = "
                     "a.attrelid WHERE k.relname = $1 AND k.relnamespace = quote_ident(current_schema())::regnamespace "
                     "AND k.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped",
                     1, v);
    if (!r) return -1;
    int rc = 0;
    if (PQntuples(r) == 0) {
        gw_err(c->err, c->errlen, "the target has no table %s: are both stores at the same schema version?", t->name);
        rc = -1;
    }
    for (int i = 0; i < t->ncols && rc == 0; i++) {
        int j = 0;
        while (j < PQntuples(r) && strcmp(PQgetvalue(r, j, 0), t->cols[i]) != 0) j++;
        if (j == PQntuples(r)) {
            gw_err(c->err, c->errlen, "the target's table %s has no column %s: are both at the same schema version?",
                   t->name, t->cols[i]);
            rc = -1;
            break;
        }
        const char *type = PQgetvalue(r, j, 1);
        t->kind[i] = !strcmp(type, "bigint") || !strcmp(type, "integer") || !strcmp(type, "smallint") ? COL_INT
                     : !strcmp(type, "bytea")                                                         ? COL_BYTEA
                                                                                                      : COL_TEXT;
    }
    PQclear(r);
    return rc;
}

/* Moves every identity column's sequence past the largest value its table
 * holds, so the ids the gateway makes next do not collide with the ones
 * copied. Sets *n to the sequences moved. 0 or -1. */
static int move_sequences(struct copy *c, int *n)
{
    *n = 0;
    PGresult *ids = pq(c, "listing the identity columns",
                       "SELECT k.relname, a.attname FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid "
                       "WHERE k.relnamespace = quote_ident(current_schema())::regnamespace AND k.relkind IN ('r', 'p') "
                       "AND a.attidentity <> '' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2",
                       0, NULL);
    if (!ids) return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(ids) && rc == 0; i++) {
        struct gw_buf table = {0}, q = {0};
        put_ident(&table, PQgetvalue(ids, i, 0));
        gw_buf_puts(&q, "SELECT setval(pg_get_serial_sequence($1, $2), m) FROM (SELECT max(");
        put_ident(&q, PQgetvalue(ids, i, 1));
        gw_buf_printf(&q, ") AS m FROM %s) x WHERE m IS NOT NULL", gw_buf_cstr(&table));
        const char *v[2] = {gw_buf_cstr(&table), PQgetvalue(ids, i, 1)};
        PGresult *r = pq(c, PQgetvalue(ids, i, 0), gw_buf_cstr(&q), 2, v);
        if (!r)
            rc = -1;
        else
            *n += PQntuples(r);
        PQclear(r);
        gw_buf_free(&table);
        gw_buf_free(&q);
    }
    PQclear(ids);
    return rc;
}

/* ---- SQLite -------------------------------------------------------------- */

/* Keeps SQLite's error in the copy's err. Returns -1. */
static int sq_failed(struct copy *c, const char *what)
{
    gw_err(c->err, c->errlen, "source: %s: %s", what, sqlite3_errmsg(c->db));
    return -1;
}

/* Prepares sql on the source; NULL with the error kept. */
static sqlite3_stmt *sq_prepare(struct copy *c, const char *what, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK) {
        sq_failed(c, what);
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

/* The one integer sql returns on the source, or -1 with the error kept. */
static int64_t sq_int(struct copy *c, const char *what, const char *sql)
{
    sqlite3_stmt *s = sq_prepare(c, what, sql);
    if (!s) return -1;
    int64_t v = -1;
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    else
        sq_failed(c, what);
    sqlite3_finalize(s);
    return v;
}

/* Opens the SQLite file read-only and starts the read transaction every
 * read below shares; checks that it is a gateway database at this
 * gateway's newest schema version. Sets *version. 0 or -1. */
static int open_source(struct copy *c, const char *path, int *version)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        gw_err(c->err, c->errlen, "source %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        gw_err(c->err, c->errlen, "source %s: not a file", path);
        return -1;
    }
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        gw_err(c->err, c->errlen, "source %s: %s", path, c->db ? sqlite3_errmsg(c->db) : "cannot open");
        return -1;
    }
    sqlite3_busy_timeout(c->db, 5000);
    if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) return sq_failed(c, path);
    /* The first read fixes the snapshot. */
    int64_t has =
        sq_int(c, path, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
    if (has < 0) return -1;
    if (has == 0) {
        gw_err(c->err, c->errlen, "source %s is not a gateway database (no schema_version table)", path);
        return -1;
    }
    int64_t v = sq_int(c, path, "SELECT coalesce(max(version), 0) FROM schema_version");
    if (v < 0) return -1;
    *version = (int)v;
    if (v != schema_count()) {
        gw_err(c->err, c->errlen, "source %s is at schema version %d and this gateway's is %d: %s", path, (int)v,
               schema_count(),
               v < schema_count() ? "run `gateway migrate` on a config whose [store] path is that file first "
                                    "(with the gateway stopped)"
                                  : "use the gateway that wrote it, or a newer one");
        return -1;
    }
    return 0;
}

/* Copies up to COPY_NAME-1 bytes of the text column i of s into out;
 * refuses a longer name. 0 or -1. */
static int name_col(struct copy *c, sqlite3_stmt *s, int i, char *out)
{
    const char *v = (const char *)sqlite3_column_text(s, i);
    if (!v || strlen(v) >= COPY_NAME) {
        gw_err(c->err, c->errlen, "source: a table or column name is missing or longer than %d bytes", COPY_NAME - 1);
        return -1;
    }
    gw_strlcpy(out, v, COPY_NAME);
    return 0;
}

/* Reads table t's columns, the tables its foreign keys refer to, and
 * whether it has a rowid. 0 or -1. */
static int source_table(struct copy *c, struct table *t)
{
    sqlite3_stmt *s = sq_prepare(c, t->name, "SELECT name FROM pragma_table_info(?1) ORDER BY cid");
    if (!s) return -1;
    sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC);
    int rc = 0, step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        if (t->ncols == COPY_MAX_COLS) {
            gw_err(c->err, c->errlen, "source: table %s has more than %d columns", t->name, COPY_MAX_COLS);
            rc = -1;
        } else {
            rc = name_col(c, s, 0, t->cols[t->ncols++]);
        }
    }
    if (rc == 0 && step != SQLITE_DONE) rc = sq_failed(c, t->name);
    sqlite3_finalize(s);
    if (rc != 0) return -1;
    s = sq_prepare(c, t->name, "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1) WHERE \"table\" <> ?1");
    if (!s) return -1;
    sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC);
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        if (t->nrefs == COPY_MAX_REFS) {
            gw_err(c->err, c->errlen, "source: table %s refers to more than %d tables", t->name, COPY_MAX_REFS);
            rc = -1;
        } else {
            rc = name_col(c, s, 0, t->refs[t->nrefs++]);
        }
    }
    if (rc == 0 && step != SQLITE_DONE) rc = sq_failed(c, t->name);
    sqlite3_finalize(s);
    if (rc != 0) return -1;
    struct gw_buf q = {0};
    gw_buf_puts(&q, "SELECT rowid FROM ");
    put_ident(&q, t->name);
    sqlite3_stmt *probe = NULL;
    t->has_rowid = sqlite3_prepare_v2(c->db, gw_buf_cstr(&q), -1, &probe, NULL) == SQLITE_OK;
    sqlite3_finalize(probe);
    gw_buf_free(&q);
    return 0;
}

/* Lists the source's tables (SQLite's own and schema_version left out)
 * and reads each one. 0 or -1. */
static int source_tables(struct copy *c)
{
    sqlite3_stmt *s = sq_prepare(c, "listing the tables",
                                 "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
                                 "ESCAPE '\\' AND name <> 'schema_version' ORDER BY name");
    if (!s) return -1;
    int rc = 0, step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        if (c->nt == COPY_MAX_TABLES) {
            gw_err(c->err, c->errlen, "source: more than %d tables", COPY_MAX_TABLES);
            rc = -1;
        } else {
            rc = name_col(c, s, 0, c->t[c->nt++].name);
        }
    }
    if (rc == 0 && step != SQLITE_DONE) rc = sq_failed(c, "listing the tables");
    sqlite3_finalize(s);
    for (int i = 0; i < c->nt && rc == 0; i++) rc = source_table(c, &c->t[i]);
    return rc;
}

/* The index of the source table named name, or -1. */
static int table_index(const struct copy *c, const char *name)
{
    for (int i = 0; i < c->nt; i++)
        if (!strcmp(c->t[i].name, name)) return i;
    return -1;
}

/* Orders the tables so that each comes after every table its foreign keys
 * refer to (a reference to itself is satisfied within its one COPY, whose
 * foreign keys PostgreSQL checks at the statement's end). 0, or -1 when
 * the references form a cycle. */
static int order_tables(struct copy *c)
{
    for (int n = 0; n < c->nt; n++) {
        int next = -1;
        for (int i = 0; i < c->nt && next < 0; i++) {
            if (c->t[i].placed) continue;
            int ready = 1;
            for (int r = 0; r < c->t[i].nrefs && ready; r++) {
                int j = table_index(c, c->t[i].refs[r]);
                ready = j < 0 || c->t[j].placed;
            }
            if (ready) next = i;
        }
        if (next < 0) {
            struct gw_buf names = {0};
            for (int i = 0; i < c->nt; i++)
                if (!c->t[i].placed) gw_buf_printf(&names, " %s", c->t[i].name);
            gw_err(c->err, c->errlen, "the foreign keys between these tables form a cycle:%s", gw_buf_cstr(&names));
            gw_buf_free(&names);
            return -1;
        }
        c->t[next].placed = 1;
        c->order[n] = next;
    }
    return 0;
}

/* ---- the rows ------------------------------------------------------------ */

/* Appends bytes to b in COPY's text format: backslash, tab, newline and
 * carriage return escaped. */
static void put_escaped(struct gw_buf *b, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (p[i]) {
        case '\\': gw_buf_append(b, "\\\\", 2); break;
        case '\t': gw_buf_append(b, "\\t", 2); break;
        case '\n': gw_buf_append(b, "\\n", 2); break;
        case '\r': gw_buf_append(b, "\\r", 2); break;
        default: gw_buf_putc(b, (char)p[i]);
        }
    }
}

/* Appends column i of row s of table t (its rowid row; without rowids, the
 * row'th read) to b for a target
 * column of kind k. SQLite's values carry their own type, whatever the
 * column's: an integer stored as a whole REAL goes to an integer column as
 * an integer, a BLOB goes to bytea as hex and elsewhere as its bytes. 0,
 * or -1 for a value PostgreSQL cannot hold (a fraction in an integer
 * column, a NUL byte in text). */
static int put_value(struct copy *c, const struct table *t, int64_t row, sqlite3_stmt *s, int i, enum col_kind k,
                     struct gw_buf *b)
{
    int type = sqlite3_column_type(s, i);
    if (type == SQLITE_NULL) {
        gw_buf_append(b, "\\N", 2);
    } else if (type == SQLITE_INTEGER) {
        gw_buf_printf(b, "%lld", (long long)sqlite3_column_int64(s, i));
    } else if (type == SQLITE_FLOAT && k == COL_INT) {
        double d = sqlite3_column_double(s, i);
        if (!(d >= -9.2e18 && d <= 9.2e18) || (double)(long long)d != d) {
            gw_err(c->err, c->errlen, "source: %s rowid %" PRId64 " column %s holds %.17g, not an integer", t->name,
                   row, t->cols[i], d);
            return -1;
        }
        gw_buf_printf(b, "%lld", (long long)d);
    } else if (type == SQLITE_FLOAT) {
        gw_buf_printf(b, "%.17g", sqlite3_column_double(s, i));
    } else if (type == SQLITE_BLOB && k == COL_BYTEA) {
        const unsigned char *p = sqlite3_column_blob(s, i);
        size_t n = (size_t)sqlite3_column_bytes(s, i);
        gw_buf_append(b, "\\\\x", 3);
        for (size_t j = 0; j < n; j++) gw_buf_printf(b, "%02x", p[j]);
    } else {
        const unsigned char *p = type == SQLITE_BLOB ? sqlite3_column_blob(s, i) : sqlite3_column_text(s, i);
        size_t n = (size_t)sqlite3_column_bytes(s, i);
        if (n && memchr(p, '\0', n)) {
            gw_err(c->err, c->errlen,
                   "source: %s rowid %" PRId64 " column %s holds a NUL byte, which PostgreSQL "
                   "text cannot hold",
                   t->name, row, t->cols[i]);
            return -1;
        }
        put_escaped(b, p, n);
    }
    return 0;
}

/* Sends the buffered COPY data and empties b. 0 or -1. */
static int flush(struct copy *c, struct gw_buf *b)
{
    if (b->len && PQputCopyData(c->conn, b->p, (int)b->len) != 1) {
        pg_failed(c, "COPY", NULL);
        return -1;
    }
    gw_buf_reset(b);
    return 0;
}

/* Ends the COPY (with reason non-NULL: aborts it) and reads its outcome.
 * Sets *n to the rows PostgreSQL took. 0, or -1 (with the error kept
 * unless reason, whose error is already kept). */
static int end_copy(struct copy *c, const struct table *t, const char *reason, int64_t *n)
{
    int rc = PQputCopyEnd(c->conn, reason) == 1 ? 0 : -1;
    if (rc != 0 && !reason) pg_failed(c, t->name, NULL);
    PGresult *r;
    while ((r = PQgetResult(c->conn)) != NULL) {
        if (PQresultStatus(r) == PGRES_COMMAND_OK) {
            *n = strtoll(PQcmdTuples(r), NULL, 10);
        } else if (rc == 0) {
            if (!reason) pg_failed(c, t->name, r);
            rc = -1;
        }
        PQclear(r);
    }
    return reason ? -1 : rc;
}

/* Streams every row of table t from the snapshot into one COPY, in rowid
 * order. Sets *sent to the rows read and *taken to the rows PostgreSQL
 * took. 0 or -1. */
static int copy_table(struct copy *c, const struct table *t, int64_t *sent, int64_t *taken)
{
    struct gw_buf cols = {0}, q = {0};
    for (int i = 0; i < t->ncols; i++) {
        if (i) gw_buf_puts(&cols, ", ");
        put_ident(&cols, t->cols[i]);
    }
    /* rowid last, to name a row the target refuses */
    gw_buf_printf(&q, "SELECT %s, %s FROM ", gw_buf_cstr(&cols), t->has_rowid ? "rowid" : "NULL");
    put_ident(&q, t->name);
    if (t->has_rowid) gw_buf_puts(&q, " ORDER BY rowid");
    sqlite3_stmt *s = sq_prepare(c, t->name, gw_buf_cstr(&q));
    gw_buf_reset(&q);
    gw_buf_puts(&q, "COPY ");
    put_ident(&q, t->name);
    gw_buf_printf(&q, " (%s) FROM STDIN", gw_buf_cstr(&cols));
    gw_buf_free(&cols);
    if (!s) {
        gw_buf_free(&q);
        return -1;
    }
    PGresult *r = PQexec(c->conn, gw_buf_cstr(&q));
    gw_buf_free(&q);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        pg_failed(c, t->name, r);
        PQclear(r);
        sqlite3_finalize(s);
        return -1;
    }
    PQclear(r);
    struct gw_buf b = {0};
    const char *abort_reason = NULL;
    int step = SQLITE_DONE;
    *sent = 0;
    while (!abort_reason && (step = sqlite3_step(s)) == SQLITE_ROW) {
        (*sent)++;
        int64_t row = t->has_rowid ? sqlite3_column_int64(s, t->ncols) : *sent;
        for (int i = 0; i < t->ncols && !abort_reason; i++) {
            if (i) gw_buf_putc(&b, '\t');
            if (put_value(c, t, row, s, i, t->kind[i], &b) != 0) abort_reason = "a value PostgreSQL cannot hold";
        }
        gw_buf_putc(&b, '\n');
        if (!abort_reason && b.len >= COPY_FLUSH && flush(c, &b) != 0) abort_reason = "the COPY failed";
    }
    if (!abort_reason && step != SQLITE_DONE) {
        sq_failed(c, t->name);
        abort_reason = "reading the source failed";
    }
    if (!abort_reason && flush(c, &b) != 0) abort_reason = "the COPY failed";
    gw_buf_free(&b);
    sqlite3_finalize(s);
    *taken = -1;
    return end_copy(c, t, abort_reason, taken);
}

/* Copies every table in order, then checks each count against the
 * source's. Fills out's tables and rows. 0 or -1. */
static int copy_rows(struct copy *c, struct copy_result *out)
{
    out->tables = gw_calloc((size_t)(c->nt ? c->nt : 1), sizeof *out->tables);
    for (int n = 0; n < c->nt; n++) {
        const struct table *t = &c->t[c->order[n]];
        struct copy_table *ct = &out->tables[out->ntables++];
        gw_strlcpy(ct->name, t->name, sizeof ct->name);
        int64_t sent, taken;
        if (copy_table(c, t, &sent, &taken) != 0) return -1;
        struct gw_buf q = {0};
        gw_buf_puts(&q, "SELECT count(*) FROM ");
        put_ident(&q, t->name);
        ct->source_rows = sq_int(c, t->name, gw_buf_cstr(&q));
        gw_buf_free(&q);
        if (ct->source_rows < 0) return -1;
        if (sent != ct->source_rows || taken != sent) {
            gw_err(c->err, c->errlen, "%s: %" PRId64 " rows in the source, %" PRId64 " read, %" PRId64 " taken",
                   t->name, ct->source_rows, sent, taken);
            return -1;
        }
        out->rows += sent;
    }
    for (int n = 0; n < out->ntables; n++) {
        struct copy_table *ct = &out->tables[n];
        ct->target_rows = pg_count(c, ct->name);
        if (ct->target_rows < 0) return -1;
        if (ct->target_rows != ct->source_rows) {
            gw_err(c->err, c->errlen, "%s: %" PRId64 " rows in the source but %" PRId64 " in the target", ct->name,
                   ct->source_rows, ct->target_rows);
            return -1;
        }
    }
    return 0;
}

/* Brings the planner's statistics up to date on every table copied. 0 or -1. */
static int analyze(struct copy *c)
{
    for (int n = 0; n < c->nt; n++) {
        struct gw_buf q = {0};
        gw_buf_puts(&q, "ANALYZE ");
        put_ident(&q, c->t[c->order[n]].name);
        PGresult *r = pq(c, "ANALYZE", gw_buf_cstr(&q), 0, NULL);
        gw_buf_free(&q);
        if (!r) return -1;
        PQclear(r);
    }
    return 0;
}

/* The whole copy, in the target's transaction, which the caller opened
 * and ends. 0 or -1. */
static int copy_in_transaction(struct copy *c, struct copy_result *out)
{
    PGresult *r = pq(c, "settings", "SET LOCAL statement_timeout = 0", 0, NULL);
    if (!r) return -1;
    PQclear(r);
    if (target_empty(c) != 0) return -1;
    for (int i = 0; i < c->nt; i++)
        if (target_columns(c, &c->t[i]) != 0) return -1;
    if (order_tables(c) != 0) return -1;
    if (table_index(c, "health") >= 0) {
        r = pq(c, "health", "DELETE FROM health", 0, NULL);
        if (!r) return -1;
        PQclear(r);
    }
    if (copy_rows(c, out) != 0 || move_sequences(c, &out->sequences) != 0) return -1;
    return analyze(c);
}

int copy_sqlite_to_pg(const char *sqlite_path, struct store *target, struct copy_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    double t0 = gw_clock_mono();
    struct copy c = {.st = target, .conn = pg_of(target)->conn, .err = err, .errlen = errlen};
    c.t = gw_calloc(COPY_MAX_TABLES, sizeof *c.t);
    int rc = open_source(&c, sqlite_path, &out->version);
    if (rc == 0) rc = source_tables(&c);
    if (rc == 0) {
        int v = store_schema_version(target);
        if (v < 0) {
            gw_err(err, errlen, "target: %s", store_errmsg(target));
            rc = -1;
        } else if (v != out->version) {
            gw_err(err, errlen,
                   "the target is at schema version %d, the source at %d: run `gateway migrate` on "
                   "the target's config first",
                   v, out->version);
            rc = -1;
        }
    }
    if (rc == 0 && store_begin(target) != 0) {
        gw_err(err, errlen, "target: %s", store_errmsg(target));
        rc = -1;
    }
    if (rc == 0) {
        rc = copy_in_transaction(&c, out);
        if (rc == 0 && store_commit(target) != 0) {
            gw_err(err, errlen, "target: the commit failed: %s", store_errmsg(target));
            rc = -1;
        }
        if (rc != 0) store_rollback(target);
    }
    if (c.db) {
        sqlite3_exec(c.db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(c.db);
    }
    free(c.t);
    if (rc != 0) {
        copy_result_free(out);
        return -1;
    }
    out->seconds = gw_clock_mono() - t0;
    return 0;
}

void copy_result_free(struct copy_result *r)
{
    free(r->tables);
    memset(r, 0, sizeof *r);
}
