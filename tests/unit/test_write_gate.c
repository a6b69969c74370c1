/* tests/unit/test_write_gate.c - the SQLite write gate (sqlite_write_waiting,
 * store_begin's turn): with real files in a temporary folder and real
 * threads, write transactions of one process's connections to one file take
 * turns first come first served: a connection that commits and begins again
 * at once comes after the one already waiting; three waiters go in the order
 * they came; a rollback, a BEGIN that failed, and store_close inside a
 * transaction (whose row is then gone) pass the turn on; a rollback outside a
 * transaction does not; two files do not share a turn. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../db/sqlite.h"
#include "../../db/store_int.h"

#define WAIT_MS 5000 /* the longest a poll for a state waits */

struct gate_dir {
    char dir[64];        /* the temporary folder */
    char path[2][96];    /* two database files in it */
    struct store *st[4]; /* stores the test opened (closed by teardown) */
};

/* A thread's write transaction: begin on st, insert a row naming who,
 * commit. began and done are set as it gets there; rc is 0 when all of it
 * worked. */
struct writer {
    struct store *st;
    const char *who;
    pthread_t tid;
    atomic_int began, done;
    int rc;
};

static int teardown(void **state);

/* Creates the folder and, in both files, the table t(id, who). */
static int setup(void **state)
{
    struct gate_dir *g = calloc(1, sizeof *g);
    if (!g) return -1;
    snprintf(g->dir, sizeof g->dir, "/tmp/gw-gate-XXXXXX");
    *state = g;
    if (!mkdtemp(g->dir)) {
        free(g);
        return -1;
    }
    char dir[sizeof g->dir];
    memcpy(dir, g->dir, sizeof dir); /* a copy: g->path and g->dir are one object to snprintf */
    for (int i = 0; i < 2; i++) {
        snprintf(g->path[i], sizeof g->path[i], "%s/db%d.sqlite", dir, i);
        struct store *st = NULL;
        char err[256];
        int rc = sqlite_store_open(g->path[i], 0, &st, err, sizeof err);
        if (rc == 0) rc = store_exec(st, "CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT NOT NULL)");
        if (st) store_close(st);
        if (rc != 0) {
            teardown(state);
            return -1;
        }
    }
    return 0;
}

/* Closes the stores still open and removes the files and the folder. */
static int teardown(void **state)
{
    struct gate_dir *g = *state;
    for (int i = 0; i < 4; i++)
        if (g->st[i]) store_close(g->st[i]);
    for (int i = 0; i < 2; i++) {
        char p[128];
        static const char *const side[] = {"", "-wal", "-shm", "-journal"};
        for (size_t k = 0; k < sizeof side / sizeof side[0]; k++) {
            snprintf(p, sizeof p, "%s%s", g->path[i], side[k]);
            unlink(p);
        }
    }
    rmdir(g->dir);
    free(g);
    return 0;
}

/* Opens store slot i of g on file number file; fails the test when it cannot. */
static struct store *open_store(struct gate_dir *g, int i, int file)
{
    char err[256] = "";
    if (sqlite_store_open(g->path[file], 0, &g->st[i], err, sizeof err) != 0) fail_msg("open: %s", err);
    return g->st[i];
}

/* Inserts a row naming who on st (inside its transaction). */
static int insert(struct store *st, const char *who)
{
    char *sql = sqlite3_mprintf("INSERT INTO t(who) VALUES (%Q)", who);
    int rc = store_exec(st, sql);
    sqlite3_free(sql);
    return rc;
}

/* The who of every row of file's t in id order, comma-separated, into out. */
static void rows(struct gate_dir *g, int file, char *out, size_t outlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    out[0] = '\0';
    if (sqlite3_open_v2(g->path[file], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT who FROM t ORDER BY id", -1, &s, NULL) != SQLITE_OK) {
        snprintf(out, outlen, "SQL ERROR: %s", db ? sqlite3_errmsg(db) : "open");
    } else {
        size_t n = 0;
        while (sqlite3_step(s) == SQLITE_ROW && n < outlen)
            n += (size_t)snprintf(out + n, outlen - n, "%s%s", n ? "," : "", (const char *)sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* Asserts that file's t holds the rows want names (as rows() writes them). */
static void expect_rows(struct gate_dir *g, int file, const char *want)
{
    char got[256];
    rows(g, file, got, sizeof got);
    assert_string_equal(got, want);
}

/* The number of rows naming who that st sees (in its transaction, if any);
 * -1 on error. */
static int count_who(struct store *st, const char *who)
{
    sqlite3_stmt *s = NULL;
    int n = -1;
    if (sqlite3_prepare_v2(store_db(st), "SELECT count(*) FROM t WHERE who = ?", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_bind_text(s, 1, who, -1, SQLITE_STATIC) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* A thread's body: w's transaction (see struct writer). */
static void *writer_main(void *arg)
{
    struct writer *w = arg;
    w->rc = store_begin(w->st);
    atomic_store(&w->began, 1);
    if (w->rc == 0) w->rc = insert(w->st, w->who);
    if (w->rc == 0) w->rc = store_commit(w->st);
    else store_rollback(w->st);
    atomic_store(&w->done, 1);
    return NULL;
}

/* Starts w's transaction (writer_main) on a thread of its own. */
static void writer_start(struct writer *w, struct store *st, const char *who)
{
    w->st = st;
    w->who = who;
    w->rc = -1;
    atomic_init(&w->began, 0);
    atomic_init(&w->done, 0);
    assert_int_equal(pthread_create(&w->tid, NULL, writer_main, w), 0);
}

/* Waits for w's thread to end and asserts its transaction committed. */
static void writer_join(struct writer *w)
{
    assert_int_equal(pthread_join(w->tid, NULL), 0);
    assert_int_equal(w->rc, 0);
}

/* Sleeps one millisecond: a step of a bounded poll for a state. */
static void tick(void)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

/* Polls until sqlite_write_waiting(st) is n: 1 when it got there within
 * WAIT_MS, 0 when not. */
static int wait_waiting(struct store *st, int n)
{
    for (int ms = 0; ms < WAIT_MS; ms++) {
        if (sqlite_write_waiting(st) == n) return 1;
        tick();
    }
    return sqlite_write_waiting(st) == n;
}

/* Polls until *flag is set: 1 when it was within WAIT_MS, 0 when not. */
static int wait_flag(atomic_int *flag)
{
    for (int ms = 0; ms < WAIT_MS; ms++) {
        if (atomic_load(flag)) return 1;
        tick();
    }
    return atomic_load(flag) != 0;
}

/* A commits and begins again at once (as the writer thread does under a
 * flood) while B waits: A's second begin returns only after B committed. */
static void fifo_handover(void **state)
{
    struct gate_dir *g = *state;
    struct store *a = open_store(g, 0, 0), *b = open_store(g, 1, 0);
    assert_int_equal(store_begin(a), 0);
    struct writer w;
    writer_start(&w, b, "B");
    assert_true(wait_waiting(a, 1));
    assert_int_equal(atomic_load(&w.began), 0); /* B waits for its turn */
    assert_int_equal(insert(a, "A1"), 0);
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(store_begin(a), 0);
    int b_seen = count_who(a, "B"); /* B's whole transaction came first */
    assert_int_equal(insert(a, "A2"), 0);
    assert_int_equal(store_commit(a), 0);
    writer_join(&w);
    expect_rows(g, 0, "A1,B,A2");
    assert_int_equal(b_seen, 1);
    assert_int_equal(sqlite_write_waiting(a), 0);
}

/* Three connections that came one after the other while A wrote write in
 * that order after A. */
static void three_waiters_in_order(void **state)
{
    struct gate_dir *g = *state;
    struct store *a = open_store(g, 0, 0);
    static const char *const who[] = {"B", "C", "D"};
    struct writer w[3];
    assert_int_equal(store_begin(a), 0);
    for (int i = 0; i < 3; i++) {
        writer_start(&w[i], open_store(g, i + 1, 0), who[i]);
        assert_true(wait_waiting(a, i + 1)); /* arrived before the next starts */
    }
    for (int i = 0; i < 3; i++) assert_int_equal(atomic_load(&w[i].began), 0);
    assert_int_equal(insert(a, "A"), 0);
    assert_int_equal(store_commit(a), 0);
    for (int i = 0; i < 3; i++) writer_join(&w[i]);
    expect_rows(g, 0, "A,B,C,D");
    assert_int_equal(sqlite_write_waiting(a), 0);
}

/* A rolls back while B waits: B goes on, and A's row is not there. */
static void rollback_passes_turn(void **state)
{
    struct gate_dir *g = *state;
    struct store *a = open_store(g, 0, 0), *b = open_store(g, 1, 0);
    assert_int_equal(store_begin(a), 0);
    assert_int_equal(insert(a, "A"), 0);
    struct writer w;
    writer_start(&w, b, "B");
    assert_true(wait_waiting(a, 1));
    assert_int_equal(store_rollback(a), 0);
    writer_join(&w);
    expect_rows(g, 0, "B");
    assert_int_equal(sqlite_write_waiting(a), 0);
}

/* A rollback on a connection that holds no turn (no transaction) leaves the
 * turn with the one writing: a third connection still waits for it. */
static void idle_rollback_keeps_turn(void **state)
{
    struct gate_dir *g = *state;
    struct store *a = open_store(g, 0, 0), *b = open_store(g, 1, 0), *c = open_store(g, 2, 0);
    assert_int_equal(store_begin(a), 0);
    assert_int_equal(store_rollback(b), 0);
    struct writer w;
    writer_start(&w, c, "C");
    assert_true(wait_waiting(a, 1));
    assert_int_equal(atomic_load(&w.began), 0);
    assert_int_equal(insert(a, "A"), 0);
    assert_int_equal(store_commit(a), 0);
    writer_join(&w);
    expect_rows(g, 0, "A,C");
}

/* A BEGIN that fails (another process's connection - here one without the
 * gate - holds the write lock past A's busy timeout) does not keep the
 * turn: B's transaction goes through once the lock is free, and A can
 * write again afterwards. */
static void failed_begin_passes_turn(void **state)
{
    struct gate_dir *g = *state;
    struct store *a = open_store(g, 0, 0), *b = open_store(g, 1, 0);
    sqlite3 *other = NULL;
    assert_int_equal(sqlite3_open_v2(g->path[0], &other, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_busy_timeout(store_db(a), 1);
    int began = store_begin(a);
    sqlite3_busy_timeout(store_db(a), 5000);
    assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    assert_int_equal(began, -1);
    assert_int_equal(sqlite_write_waiting(a), 0);
    struct writer w;
    writer_start(&w, b, "B");
    int went = wait_flag(&w.done);
    if (!went) store_rollback(a); /* A kept the turn: give it back so the thread can end */
    writer_join(&w);
    assert_true(went);
    assert_int_equal(store_begin(a), 0);
    assert_int_equal(insert(a, "A"), 0);
    assert_int_equal(store_commit(a), 0);
    expect_rows(g, 0, "B,A");
}

/* store_close of a connection inside a transaction while B waits: B goes
 * on, and the closed connection's uncommitted row is gone. */
static void close_in_transaction_passes_turn(void **state)
{
    struct gate_dir *g = *state;
    struct store *a = open_store(g, 0, 0), *b = open_store(g, 1, 0);
    assert_int_equal(store_begin(a), 0);
    assert_int_equal(insert(a, "A"), 0);
    struct writer w;
    writer_start(&w, b, "B");
    assert_true(wait_waiting(b, 1));
    store_close(a);
    g->st[0] = NULL;
    writer_join(&w);
    expect_rows(g, 0, "B");
    assert_int_equal(sqlite_write_waiting(b), 0);
}

/* A writes file 0; B's transaction on file 1 neither waits nor counts as
 * waiting, and commits while A's is still open. */
static void files_do_not_share_gate(void **state)
{
    struct gate_dir *g = *state;
    struct store *a = open_store(g, 0, 0), *b = open_store(g, 1, 1);
    assert_int_equal(store_begin(a), 0);
    assert_int_equal(insert(a, "A"), 0);
    struct writer w;
    writer_start(&w, b, "B");
    int went = wait_flag(&w.done);
    int waiting_a = sqlite_write_waiting(a), waiting_b = sqlite_write_waiting(b);
    int a_open = !sqlite3_get_autocommit(store_db(a));
    assert_int_equal(store_commit(a), 0);
    writer_join(&w);
    assert_true(went);
    assert_int_equal(waiting_a, 0);
    assert_int_equal(waiting_b, 0);
    assert_true(a_open);
    expect_rows(g, 0, "A");
    expect_rows(g, 1, "B");
}

/* A turn held past the busy timeout: begin gives up with an error, as
 * SQLITE_BUSY would, and leaves the queue; the holder's commit then lets
 * the next begin through. */
static void turn_held_too_long_fails_begin(void **state)
{
    struct gate_dir *g = *state;
    struct store *a = open_store(g, 0, 0), *b = open_store(g, 1, 0);
    sqlite_busy_timeout(b, 50);
    assert_int_equal(store_begin(a), 0);
    assert_int_equal(insert(a, "A"), 0);
    assert_int_equal(store_begin(b), -1);
    assert_int_equal(sqlite_write_waiting(a), 0);
    assert_true(sqlite3_get_autocommit(store_db(b)));
    assert_int_equal(store_commit(a), 0);
    assert_int_equal(store_begin(b), 0);
    assert_int_equal(insert(b, "B"), 0);
    assert_int_equal(store_commit(b), 0);
    expect_rows(g, 0, "A,B");
}

int main(void)
{
    umask(077); /* the store's files private from the start, as the gateway makes them */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(fifo_handover, setup, teardown),
        cmocka_unit_test_setup_teardown(three_waiters_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(rollback_passes_turn, setup, teardown),
        cmocka_unit_test_setup_teardown(idle_rollback_keeps_turn, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_begin_passes_turn, setup, teardown),
        cmocka_unit_test_setup_teardown(close_in_transaction_passes_turn, setup, teardown),
        cmocka_unit_test_setup_teardown(files_do_not_share_gate, setup, teardown),
        cmocka_unit_test_setup_teardown(turn_held_too_long_fails_begin, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
