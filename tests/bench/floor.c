/* tests/bench/floor.c - the store's floor under the writer: the rows the
 * writer stored for the bench's mix, stored again on their own.
 *
 * DONE is a store the writer has handled messages on (tests/bench/writer.c);
 * SEED is a copy of the same store from before it did (the roster only).
 * floor reads every row the writer added to DONE's message tables (inbox,
 * reporters, cases with their departments and events, visits, check-ins,
 * the outbox) into memory, grouped by the message that caused it, then
 * inserts them into SEED one message after another, committing every BATCH
 * messages, on a connection opened as the writer's is (writer_store.h:
 * the gateway's own opening of CONFIG's store, WAL written through its VFS,
 * foreign keys on, commits without fsync, checkpoints on a thread of their
 * own). Each row is
 * one prepared INSERT with its final values (the inbox row with its result:
 * no update), and a case takes its day's number as the writer does (an
 * upsert of case_seq, without RETURNING). No look-up, no handler, no reply
 * text: what is left is what SQLite needs to store the rows with this
 * schema, one statement each, and the writer's time above it is mostly the
 * domain's own (the rest: the statements the floor leaves out, such as the
 * inbox row's result update).
 *
 * Usage: floor CONFIG DONE BATCH   (CONFIG's store is SEED, written to)
 * Prints one line: messages=N batch=B rows=R upserts=U cpu_us_per_msg=C
 * (C: the calling thread's CPU over the inserts and commits).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../db/store_int.h"
#include "writer_store.h"

/* One table's rows: its first column in `from` is the inbox id of the
 * message that caused the row, the others the values `into` takes. In the
 * order a message's rows must go in (a row after those it refers to). */
struct part {
    const char *from, *into;
    int ncols; /* values per row */
    int nrows, cap;
    int orphans;             /* rows of DONE no message caused (none in the bench's mix) */
    long long *msg;          /* per row: the inbox id of its message */
    sqlite3_value **values;  /* nrows * ncols */
    int next;                /* the first row not yet inserted */
};

/* "SELECT *" parts keep DONE's every column; into is then built from the
 * table's name. NEW(t, k): rows of d.t whose k is past main.t's largest. */
#define NEW(t, k) " FROM d." t " WHERE " k " > (SELECT coalesce(max(" k "), 0) FROM main." t ") ORDER BY 1, " k
static struct part parts[] = {
    {"SELECT id, *" NEW("inbox", "id"), "inbox", 0, 0, 0, 0, NULL, NULL, 0},
    {"SELECT (SELECT min(c.inbox_id) FROM d.cases c WHERE c.reporter_id = r.id), r.* FROM d.reporter r "
     "WHERE r.id > (SELECT coalesce(max(id), 0) FROM main.reporter) ORDER BY 1, r.id",
     "reporter", 0, 0, 0, 0, NULL, NULL, 0},
    {"SELECT inbox_id, substr(number, 1, 6)" NEW("cases", "id"),
     "INSERT INTO main.case_seq(day, seq) VALUES (?, 1) ON CONFLICT(day) DO UPDATE SET seq = seq + 1", 0, 0, 0,
     0, NULL, NULL, 0},
    {"SELECT inbox_id, *" NEW("cases", "id"), "cases", 0, 0, 0, 0, NULL, NULL, 0},
    {"SELECT c.inbox_id, x.* FROM d.case_dept x JOIN d.cases c ON c.id = x.case_id "
     "WHERE c.id > (SELECT coalesce(max(id), 0) FROM main.cases) ORDER BY x.rowid",
     "case_dept", 0, 0, 0, 0, NULL, NULL, 0},
    {"SELECT c.inbox_id, x.* FROM d.case_event x JOIN d.cases c ON c.id = x.case_id "
     "WHERE x.id > (SELECT coalesce(max(id), 0) FROM main.case_event) ORDER BY x.id",
     "case_event", 0, 0, 0, 0, NULL, NULL, 0},
    {"SELECT inbox_id, *" NEW("visit", "id"), "visit", 0, 0, 0, 0, NULL, NULL, 0},
    {"SELECT inbox_id, *" NEW("checkin", "id"), "checkin", 0, 0, 0, 0, NULL, NULL, 0},
    {"SELECT inbox_id, *" NEW("outbox", "id"), "outbox", 0, 0, 0, 0, NULL, NULL, 0},
};
#define NPARTS (int)(sizeof parts / sizeof parts[0])

static void die(sqlite3 *db, const char *what)
{
    fprintf(stderr, "floor: %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) die(db, sql);
}

/* Reads part p's rows from DONE (attached as d). */
static void load(sqlite3 *db, struct part *p)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, p->from, -1, &s, NULL) != SQLITE_OK) die(db, p->from);
    p->ncols = sqlite3_column_count(s) - 1;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (sqlite3_column_type(s, 0) == SQLITE_NULL) {
            p->orphans++;
            continue;
        }
        if (p->nrows == p->cap) {
            p->cap = p->cap ? 2 * p->cap : 1024;
            p->msg = realloc(p->msg, sizeof *p->msg * (size_t)p->cap);
            p->values = realloc(p->values, sizeof *p->values * (size_t)p->cap * (size_t)p->ncols);
            if (!p->msg || !p->values) die(db, "out of memory");
        }
        p->msg[p->nrows] = sqlite3_column_int64(s, 0);
        for (int c = 0; c < p->ncols; c++) {
            sqlite3_value *v = sqlite3_value_dup(sqlite3_column_value(s, c + 1));
            if (!v) die(db, "out of memory");
            p->values[(size_t)p->nrows * (size_t)p->ncols + (size_t)c] = v;
        }
        p->nrows++;
    }
    if (sqlite3_finalize(s) != SQLITE_OK) die(db, p->from);
}

/* Part p's into is a statement of its own (an upsert), not a table. */
static int is_statement(const struct part *p) { return strncmp(p->into, "INSERT", 6) == 0; }

/* The INSERT for part p on main: p->into as it is when it is a statement,
 * else an INSERT of every column of the table it names. */
static sqlite3_stmt *insert_for(sqlite3 *db, const struct part *p)
{
    char sql[1024];
    if (is_statement(p)) {
        snprintf(sql, sizeof sql, "%s", p->into);
    } else {
        int n = snprintf(sql, sizeof sql, "INSERT INTO main.%s VALUES (?", p->into);
        for (int c = 1; c < p->ncols && n < (int)sizeof sql - 4; c++) n += snprintf(sql + n, sizeof sql - (size_t)n, ",?");
        snprintf(sql + n, sizeof sql - (size_t)n, ")");
    }
    sqlite3_stmt *s;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) die(db, sql);
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 4 || atoi(argv[3]) < 1) {
        fprintf(stderr, "usage: floor CONFIG DONE BATCH\n");
        return 2;
    }
    int batch = atoi(argv[3]);
    struct gw_config *cfg;
    struct store *st = open_writer_store("floor", argv[1], &cfg);
    sqlite3 *db = store_db(st);
    char *attach = sqlite3_mprintf("ATTACH %Q AS d", argv[2]);
    if (!attach) die(db, "out of memory");
    exec(db, attach);
    sqlite3_free(attach);
    int rows = 0, upserts = 0;
    for (int i = 0; i < NPARTS; i++) {
        load(db, &parts[i]);
        if (parts[i].orphans) {
            fprintf(stderr, "floor: %d %s rows of %s belong to no message: the floor would leave them out\n",
                    parts[i].orphans, parts[i].into, argv[2]);
            return 1;
        }
        if (is_statement(&parts[i]))
            upserts += parts[i].nrows;
        else
            rows += parts[i].nrows;
    }
    exec(db, "DETACH d");
    struct part *inbox = &parts[0];
    if (inbox->nrows == 0) {
        fprintf(stderr, "floor: %s holds no message past %s's\n", argv[2], cfg->store_path);
        return 1;
    }
    sqlite3_stmt *ins[NPARTS];
    for (int i = 0; i < NPARTS; i++) ins[i] = insert_for(db, &parts[i]);

    double c0 = thread_cpu();
    for (int m = 0; m < inbox->nrows; m++) {
        long long id = inbox->msg[m];
        if (m % batch == 0) exec(db, "BEGIN IMMEDIATE");
        for (int i = 0; i < NPARTS; i++) {
            struct part *p = &parts[i];
            for (; p->next < p->nrows && p->msg[p->next] <= id; p->next++) {
                sqlite3_value **v = &p->values[(size_t)p->next * (size_t)p->ncols];
                for (int c = 0; c < p->ncols; c++) sqlite3_bind_value(ins[i], c + 1, v[c]);
                if (sqlite3_step(ins[i]) != SQLITE_DONE) die(db, p->into);
                sqlite3_reset(ins[i]);
            }
        }
        if (m % batch == batch - 1 || m == inbox->nrows - 1) exec(db, "COMMIT");
    }
    double cpu = thread_cpu() - c0;
    for (int i = 0; i < NPARTS; i++)
        if (parts[i].next != parts[i].nrows) {
            fprintf(stderr, "floor: %d %s rows come after the run's last message\n", parts[i].nrows - parts[i].next,
                    parts[i].into);
            return 1;
        }
    printf("messages=%d batch=%d rows=%d upserts=%d cpu_us_per_msg=%.1f\n", inbox->nrows, batch, rows, upserts,
           cpu * 1e6 / inbox->nrows);
    for (int i = 0; i < NPARTS; i++) {
        sqlite3_finalize(ins[i]);
        for (size_t v = 0; v < (size_t)parts[i].nrows * (size_t)parts[i].ncols; v++) sqlite3_value_free(parts[i].values[v]);
        free(parts[i].values);
        free(parts[i].msg);
    }
    store_close(st);
    gw_config_free(cfg);
    return 0;
}
