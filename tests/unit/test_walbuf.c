/* tests/unit/test_walbuf.c - the VFS that gathers a transaction's WAL writes
 * (db/sqlite_walbuf.c), through stores opened with sqlite_store_open, which
 * uses it, checked on a second connection through SQLite's default VFS:
 * transactions of just over 128 KiB of WAL (the most the default VFS writes
 * in one call), of several hundred KiB and of more than the 1 MiB gathered
 * at most commit with every row intact; each small commit is seen at once
 * by another connection; pages spilled and rewritten many times inside one
 * transaction (a five-page cache) read back right inside it and after it;
 * a process that dies in the middle of a large transaction leaves the
 * transactions it committed and nothing of that one; a rolled-back
 * transaction's spilled frames never land on another connection's later
 * commit; a commit whose checksums SQLite wrote again is whole in the files
 * when COMMIT returns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../db/sqlite.h"
#include "../../db/store_int.h"

#define KIB 1024L
#define MIB (1024L * 1024L)

struct wal_test {
    char dir[64];
    char path[96];
    struct store *st; /* the store under test (closed by teardown) */
    sqlite3 *reader;  /* a second connection, default VFS (closed by teardown) */
};

/* Creates a new folder for the database file; nothing is opened. */
static int setup(void **state)
{
    struct wal_test *w = calloc(1, sizeof *w);
    if (!w) return -1;
    snprintf(w->dir, sizeof w->dir, "/tmp/gw-walbuf-XXXXXX");
    if (!mkdtemp(w->dir)) {
        free(w);
        return -1;
    }
    char dir[sizeof w->dir];
    memcpy(dir, w->dir, sizeof dir); /* a copy: w->path and w->dir are one object to snprintf */
    snprintf(w->path, sizeof w->path, "%s/db.sqlite", dir);
    *state = w;
    return 0;
}

/* Closes what is open and removes the files and the folder. */
static int teardown(void **state)
{
    struct wal_test *w = *state;
    if (w->reader) sqlite3_close(w->reader);
    if (w->st) store_close(w->st);
    static const char *const side[] = {"", "-wal", "-shm", "-journal"};
    for (size_t k = 0; k < sizeof side / sizeof side[0]; k++) {
        char p[128];
        snprintf(p, sizeof p, "%s%s", w->path, side[k]);
        unlink(p);
    }
    rmdir(w->dir);
    free(w);
    return 0;
}

/* The bytes of row id's value in version ver (0: as inserted), n of them:
 * different for every row, version and position. */
static void fill(unsigned char *out, size_t n, int64_t id, int ver)
{
    uint32_t x = (uint32_t)id * 2654435761u ^ (uint32_t)ver * 40503u;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        out[i] = (unsigned char)(x >> 16);
    }
}

/* Opens the store on w's file (creating it) with synchronous FULL (sync_full
 * 1) or NORMAL (0: commits are not synced, as the writer's) and table big;
 * fails the test when it cannot. */
static struct store *open_store(struct wal_test *w, int sync_full)
{
    char err[256] = "";
    if (sqlite_store_open(w->path, sync_full, &w->st, err, sizeof err) != 0) fail_msg("open: %s", err);
    assert_int_equal(store_exec(w->st, "CREATE TABLE IF NOT EXISTS big (id INTEGER PRIMARY KEY, ver INTEGER NOT "
                                       "NULL, v BLOB NOT NULL)"),
                     0);
    return w->st;
}

/* Opens w's reader: a second connection through the default VFS. */
static sqlite3 *open_reader(struct wal_test *w)
{
    assert_int_equal(sqlite3_open_v2(w->path, &w->reader, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(w->reader, 5000);
    return w->reader;
}

/* Writes rows first..first+n-1 (values of size bytes, version ver) on st,
 * inserting or replacing them, inside the caller's transaction. */
static void put_rows(struct store *st, int64_t first, int n, size_t size, int ver)
{
    sqlite3_stmt *s = NULL;
    unsigned char *v = malloc(size);
    assert_non_null(v);
    assert_int_equal(sqlite3_prepare_v2(store_db(st), "INSERT OR REPLACE INTO big(id, ver, v) VALUES (?, ?, ?)", -1,
                                        &s, NULL),
                     SQLITE_OK);
    for (int64_t id = first; id < first + n; id++) {
        fill(v, size, id, ver);
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int(s, 2, ver);
        sqlite3_bind_blob(s, 3, v, (int)size, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE) fail_msg("insert %lld: %s", (long long)id, sqlite3_errmsg(store_db(st)));
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    free(v);
}

/* Checks on db that big holds exactly rows first..first+n-1, each of size
 * bytes and version ver, with the right bytes. */
static void expect_rows(sqlite3 *db, int64_t first, int n, size_t size, int ver)
{
    sqlite3_stmt *s = NULL;
    unsigned char *want = malloc(size);
    assert_non_null(want);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, ver, v FROM big ORDER BY id", -1, &s, NULL), SQLITE_OK);
    int64_t id = first;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_int64(s, 0) != id) fail_msg("row %lld where %lld was due", sqlite3_column_int64(s, 0), (long long)id);
        if (sqlite3_column_int(s, 1) != ver) fail_msg("row %lld: version %d, %d expected", (long long)id, sqlite3_column_int(s, 1), ver);
        fill(want, size, id, ver);
        if ((size_t)sqlite3_column_bytes(s, 2) != size || memcmp(sqlite3_column_blob(s, 2), want, size) != 0)
            fail_msg("row %lld: its value differs from what was written", (long long)id);
        id++;
    }
    sqlite3_finalize(s);
    free(want);
    assert_int_equal(rc, SQLITE_DONE);
    if (id != first + n) fail_msg("%lld rows, %d expected", (long long)(id - first), n);
}

/* Asserts that PRAGMA integrity_check on db answers ok. */
static void expect_intact(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    char got[256];
    snprintf(got, sizeof got, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    assert_string_equal(got, "ok");
}

/* The size of path's WAL file in bytes (0 when there is none). */
static long wal_size(const char *path)
{
    char p[128];
    struct stat sb;
    snprintf(p, sizeof p, "%s-wal", path);
    return stat(p, &sb) == 0 ? (long)sb.st_size : 0;
}

/* Commits one transaction of n rows of size bytes on a new store and checks
 * that it added between lo and hi bytes of WAL and that the reader (open
 * before it) sees every row, intact. */
static void one_transaction(void **state, int n, size_t size, long lo, long hi)
{
    struct wal_test *w = *state;
    struct store *st = open_store(w, 1);
    sqlite3 *r = open_reader(w);
    expect_rows(r, 1, 0, size, 0);
    long before = wal_size(w->path);
    assert_int_equal(store_begin(st), 0);
    put_rows(st, 1, n, size, 0);
    assert_int_equal(store_commit(st), 0);
    long grew = wal_size(w->path) - before;
    if (grew <= lo || grew > hi) fail_msg("the transaction wrote %ld bytes of WAL, not in (%ld, %ld]", grew, lo, hi);
    expect_rows(r, 1, n, size, 0);
    expect_intact(r);
}

/* Just over 128 KiB of WAL: more than the default VFS writes in one call. */
static void commit_over_128k(void **state) { one_transaction(state, 30, 4000, 128 * KIB, 140 * KIB); }

/* Between the 124 KiB written per call and the 1 MiB gathered at most. */
static void commit_half_mib(void **state) { one_transaction(state, 120, 4000, 400 * KIB, 700 * KIB); }

/* More than the 1 MiB gathered at most: written in part before the commit. */
static void commit_over_1mib(void **state) { one_transaction(state, 700, 4000, 2 * MIB, 4 * MIB); }

/* Each of many small commits, not synced, is seen by the reader at once, and a value of
 * every size up to a few pages reads back whole. */
static void small_commits_visible(void **state)
{
    struct wal_test *w = *state;
    struct store *st = open_store(w, 0); /* no sync at commit to write out what is gathered */
    sqlite3 *r = open_reader(w);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(r, "SELECT count(*), max(id), length(v) FROM big WHERE id = (SELECT max(id) "
                                           "FROM big)",
                                        -1, &s, NULL),
                     SQLITE_OK);
    for (int i = 1; i <= 300; i++) {
        size_t size = (size_t)(i * 37 % 9000) + 1;
        assert_int_equal(store_begin(st), 0);
        put_rows(st, i, 1, size, 0);
        assert_int_equal(store_commit(st), 0);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        int seen = sqlite3_column_int(s, 0), max = sqlite3_column_int(s, 1), len = sqlite3_column_int(s, 2);
        sqlite3_reset(s);
        if (seen != 1 || max != i || len != (int)size)
            fail_msg("after commit %d the reader sees max id %d of length %d", i, max, len);
    }
    sqlite3_finalize(s);
    expect_intact(r);
    /* every row, as a last check of the bytes */
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(r, "SELECT id, v FROM big ORDER BY id", -1, &q, NULL), SQLITE_OK);
    unsigned char want[9001];
    int n = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        size_t size = (size_t)(id * 37 % 9000) + 1;
        fill(want, size, id, 0);
        assert_int_equal(sqlite3_column_bytes(q, 1), (int)size);
        assert_memory_equal(sqlite3_column_blob(q, 1), want, size);
        n++;
    }
    sqlite3_finalize(q);
    assert_int_equal(n, 300);
}

/* With a five-page cache, a transaction that rewrites 1.2 MB of rows ten
 * times spills pages to the WAL and rewrites them there and in the buffer:
 * every version reads back right inside the transaction, the last one
 * after it, and nothing of the transaction is seen before its commit. */
static void spills_and_rewrites(void **state)
{
    struct wal_test *w = *state;
    struct store *st = open_store(w, 0);
    sqlite3 *r = open_reader(w);
    assert_int_equal(store_exec(st, "PRAGMA cache_size=5"), 0);
    assert_int_equal(store_begin(st), 0);
    for (int ver = 0; ver < 10; ver++) {
        put_rows(st, 1, 400, 3000, ver);
        expect_rows(store_db(st), 1, 400, 3000, ver);
    }
    assert_true(wal_size(w->path) > 0); /* spilled into the WAL before the commit */
    expect_rows(r, 1, 0, 3000, 0);
    assert_int_equal(store_commit(st), 0);
    expect_rows(r, 1, 400, 3000, 9);
    expect_rows(store_db(st), 1, 400, 3000, 9);
    expect_intact(r);
}

/* The child's side of crash_mid_transaction: commits rows 1-100, then
 * writes rows 1001-1500 (about 2 MB, more than its cache holds) without
 * committing and ends at once. Exits 0 when all of it went as planned, 2
 * when less than 512 KiB of the uncommitted transaction had reached the
 * file (the rest, up to 1 MiB, is gathered). */
static void crash_child(const char *path)
{
    struct store *st = NULL;
    char err[256];
    if (sqlite_store_open(path, 1, &st, err, sizeof err) != 0) _exit(1);
    /* a small cache: the transaction's pages go to the WAL before its commit */
    if (store_exec(st, "PRAGMA cache_size=20") != 0) _exit(1);
    if (store_exec(st, "CREATE TABLE big (id INTEGER PRIMARY KEY, ver INTEGER NOT NULL, v BLOB NOT NULL)") != 0)
        _exit(1);
    sqlite3_stmt *s = NULL;
    unsigned char v[4000];
    if (sqlite3_prepare_v2(store_db(st), "INSERT INTO big(id, ver, v) VALUES (?, 0, ?)", -1, &s, NULL) != SQLITE_OK)
        _exit(1);
    for (int tx = 0; tx < 2; tx++) {
        long committed = wal_size(path);
        if (store_begin(st) != 0) _exit(1);
        int first = tx ? 1001 : 1, n = tx ? 500 : 100;
        for (int id = first; id < first + n; id++) {
            fill(v, sizeof v, id, 0);
            sqlite3_bind_int(s, 1, id);
            sqlite3_bind_blob(s, 2, v, (int)sizeof v, SQLITE_STATIC);
            if (sqlite3_step(s) != SQLITE_DONE) _exit(1);
            sqlite3_reset(s);
        }
        if (tx == 0 && store_commit(st) != 0) _exit(1);
        if (tx == 1) _exit(wal_size(path) > committed + 512 * KIB ? 0 : 2); /* dies: no commit, no close */
    }
    _exit(1);
}

/* A process dies in the middle of a transaction of 2 MB, part of it
 * written to the WAL: the database opened again has the transaction it
 * committed before, nothing of that one, passes the integrity check, and
 * takes new transactions. */
static void crash_mid_transaction(void **state)
{
    struct wal_test *w = *state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) crash_child(w->path);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    sqlite3 *r = open_reader(w);
    expect_rows(r, 1, 100, 4000, 0);
    expect_intact(r);
    struct store *st = open_store(w, 1);
    expect_rows(store_db(st), 1, 100, 4000, 0);
    assert_int_equal(store_begin(st), 0);
    put_rows(st, 101, 50, 4000, 0);
    assert_int_equal(store_commit(st), 0);
    expect_rows(r, 1, 150, 4000, 0);
    expect_intact(r);
}

/* A transaction that spills frames and then rolls back leaves nothing
 * gathered: another connection's commit at the same place in the WAL is
 * intact afterwards, whatever the first connection does next. */
static void rolled_back_spill_leaves_nothing(void **state)
{
    struct wal_test *w = *state;
    struct store *a = open_store(w, 0);
    put_rows(a, 1, 1, 100, 0);
    assert_int_equal(store_exec(a, "PRAGMA wal_checkpoint(TRUNCATE)"), 0);
    assert_int_equal(store_exec(a, "PRAGMA cache_size=50"), 0);
    assert_int_equal(store_begin(a), 0);
    put_rows(a, 1000, 1000, 400, 1); /* far more than 50 pages: frames spill into the WAL */
    assert_int_equal(store_rollback(a), 0);

    char err[256] = "";
    struct store *b = NULL;
    if (sqlite_store_open(w->path, 0, &b, err, sizeof err) != 0) fail_msg("open: %s", err);
    assert_int_equal(store_begin(b), 0);
    put_rows(b, 2, 20, 100, 0);
    assert_int_equal(store_commit(b), 0);
    store_close(b);

    /* a's next use of the WAL (a read, a write) must not put old frames back */
    assert_int_equal(store_exec(a, "PRAGMA cache_size=2000"), 0);
    assert_int_equal(store_begin(a), 0);
    put_rows(a, 22, 1, 100, 0);
    assert_int_equal(store_commit(a), 0);
    expect_rows(open_reader(w), 1, 22, 100, 0);
    expect_intact(w->reader);
}

/* Copies path (and its -wal) to to, as a crash would leave them. */
static void copy_files(const char *path, const char *to)
{
    static const char *const side[] = {"", "-wal"};
    for (int i = 0; i < 2; i++) {
        char a[160], b[160], cmd[400];
        snprintf(a, sizeof a, "%s%s", path, side[i]);
        snprintf(b, sizeof b, "%s%s", to, side[i]);
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", a, b);
        assert_int_equal(system(cmd), 0);
    }
}

/* A committed transaction whose frames SQLite rewrote after its commit
 * frame (a page written twice after it spilled: the checksums are written
 * again) is whole in the files once COMMIT returns: a copy of the files
 * taken then (a crash) recovers every row. */
static void commit_with_rewritten_checksums_is_whole(void **state)
{
    struct wal_test *w = *state;
    struct store *a = open_store(w, 0);
    assert_int_equal(store_exec(a, "PRAGMA cache_size=50"), 0);
    assert_int_equal(store_begin(a), 0);
    put_rows(a, 1, 1000, 400, 0);
    put_rows(a, 1, 5, 400, 0); /* pages already spilled, written again */
    assert_int_equal(store_commit(a), 0);
    char copy[160];
    snprintf(copy, sizeof copy, "%s/crash.sqlite", w->dir);
    copy_files(w->path, copy);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(copy, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    expect_rows(db, 1, 1000, 400, 0);
    expect_intact(db);
    sqlite3_close(db);
    static const char *const side[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p[180];
        snprintf(p, sizeof p, "%s%s", copy, side[i]);
        unlink(p);
    }
}

int main(void)
{
    umask(077); /* the store's files private from the start, as the gateway makes them */
    const struct CMUnitTest tests[] = {
        /* first, before anything else ran in this process */
        cmocka_unit_test_setup_teardown(crash_mid_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(commit_over_128k, setup, teardown),
        cmocka_unit_test_setup_teardown(commit_half_mib, setup, teardown),
        cmocka_unit_test_setup_teardown(commit_over_1mib, setup, teardown),
        cmocka_unit_test_setup_teardown(small_commits_visible, setup, teardown),
        cmocka_unit_test_setup_teardown(spills_and_rewrites, setup, teardown),
        cmocka_unit_test_setup_teardown(rolled_back_spill_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(commit_with_rewritten_checksums_is_whole, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
