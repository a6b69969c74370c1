/* db/sqlite_core.c - SQLite implementation of the store core: opening,
 * pragmas, migrations, transactions, the statement cache, inbox and outbox,
 * and the SQLite-only group commit and WAL checkpoints (db/sqlite.h).
 *
 * One struct sqlite_store is one sqlite3 connection used by one thread. Statements
 * are prepared once (SQLITE_PREPARE_PERSISTENT) and cached by the identity
 * of their static SQL string, so the hot path (inbox insert, outbox insert)
 * never re-parses SQL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../core/util.h"
#include "schema.h"
#include "store_int.h"

static int unwritable(const char *path, char *why, size_t whylen);
static struct write_gate *gate_get(const char *path);
static void gate_put(struct write_gate *g);
static void gate_leave(struct sqlite_store *sq);
static void on_update(void *arg, int op, const char *dbname, const char *table, sqlite3_int64 rowid);

/* Personal data: only the gateway's own user may read the database, its
 * WAL and its index (SQLite gives those two the database file's mode). */
static void owner_only(const char *path, const char *suffix)
{
    char p[4096];
    struct stat sb;
    snprintf(p, sizeof p, "%s%s", path, suffix);
    if (stat(p, &sb) != 0 || !(sb.st_mode & 077)) return;
    if (chmod(p, sb.st_mode & 0700) != 0)
        gw_warn("store: %s is readable by others and cannot be changed: %s", p, strerror(errno));
    else
        gw_info("store: %s was readable by others; now 0%o", p, (unsigned)(sb.st_mode & 0700));
}

int sqlite_store_open_ops(const struct store_ops *ops, const char *path, int sync_full, struct store **out, char *err,
                          size_t errlen)
{
    struct sqlite_store *sq = gw_calloc(1, sizeof *sq);
    struct store *st = &sq->base;
    sq->base.ops = ops;
    sq->path = gw_strdup(path);
    sq->wal_fd = -1;
    pthread_mutex_init(&sq->wal_lock, NULL);
    int rc = sqlite3_open_v2(path, &sq->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             sqlite_walbuf_vfs());
    if (rc != SQLITE_OK) {
        if (unwritable(path, err, errlen) == 0)
            gw_err(err, errlen, "%s: %s", path, sq->db ? sqlite3_errmsg(sq->db) : sqlite3_errstr(rc));
        goto fail;
    }
    owner_only(path, "");
    sq->busy_ms = 5000;
    sqlite3_busy_timeout(sq->db, sq->busy_ms);
    sqlite3_extended_result_codes(sq->db, 1);
    /* Room for the small allocations of every statement the hot path keeps
     * prepared (SQLite's default is 100 slots): fewer calls to malloc. */
    sqlite3_db_config(sq->db, SQLITE_DBCONFIG_LOOKASIDE, NULL, 1200, 2000);
    if (store_exec(st, "PRAGMA journal_mode=WAL") != 0 || store_exec(st, "PRAGMA foreign_keys=ON") != 0 ||
        store_exec(st, "PRAGMA temp_store=MEMORY") != 0 || store_exec(st, "PRAGMA cache_size=-65536") != 0 ||
        store_exec(st, sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL") != 0) {
        if (unwritable(path, err, errlen) == 0) gw_err(err, errlen, "%s: %s", path, sqlite3_errmsg(sq->db));
        goto fail;
    }
    owner_only(path, "-wal");
    owner_only(path, "-shm");
    /* A read opens the WAL; linked, its frames are gathered (unlinked, the
     * WAL is written as by the default VFS). */
    sqlite3_exec(sq->db, "SELECT 1 FROM sqlite_master LIMIT 1", NULL, NULL, NULL);
    if (sqlite_walbuf_link(sq->db) != 0) gw_warn("store: %s: its WAL is written frame by frame", path);
    sq->gate = gate_get(path);
    sqlite3_update_hook(sq->db, on_update, sq);
    *out = st;
    return 0;
fail:
    store_close(st);
    return -1;
}

static void checkpointer_stop(struct checkpointer *c);

void sqlite_store_close(struct store *st)
{
    struct sqlite_store *sq = sqlite_of(st);
    checkpointer_stop(sq->ckpt);
    if (sq->wal_fd >= 0) close(sq->wal_fd);
    pthread_mutex_destroy(&sq->wal_lock);
    for (int i = 0; i < sq->ncache; i++) sqlite3_finalize(sq->cache[i].st);
    if (sq->gated) {
        /* closed inside a transaction: SQLite rolls it back; the turn passes on */
        sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
        gate_leave(sq);
    }
    gate_put(sq->gate);
    memo_free(sq->memo);
    if (sq->db) sqlite3_close(sq->db);
    free(sq->path);
    free(sq);
}

const char *sqlite_store_errmsg(struct store *st)
{
    return store_db(st) ? sqlite3_errmsg(store_db(st)) : "no database";
}

int store_exec(struct store *st, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(store_db(st), sql, NULL, NULL, &msg);
    sqlite3_free(msg);
    return rc == SQLITE_OK ? 0 : -1;
}

sqlite3_stmt *store_stmt(struct store *st, const char *sql)
{
    struct sqlite_store *sq = sqlite_of(st);
    for (int i = 0; i < sq->ncache; i++)
        if (sq->cache[i].sql == sql) {
            sqlite3_stmt *s = sq->cache[i].st;
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
            return s;
        }
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v3(sq->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) return NULL;
    if (sq->ncache < STORE_STMT_CACHE) {
        sq->cache[sq->ncache].sql = sql;
        sq->cache[sq->ncache].st = s;
        sq->ncache++;
    } else {
        /* The cache is sized for every statement in db/; outgrowing it is a
         * programming error, caught in tests. */
        fprintf(stderr, "fatal: store statement cache full\n");
        abort();
    }
    return s;
}

int store_step_done(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_step_changed(struct store *st, sqlite3_stmt *s)
{
    if (store_step_done(s) != 0) return -1;
    return sqlite3_changes(store_db(st)) > 0 ? 0 : 1;
}

int store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
    return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i);
}

void store_col_text(sqlite3_stmt *s, int i, char *out, size_t outlen)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    gw_strlcpy(out, t ? (const char *)t : "", outlen);
}

/* ---- migrations ---------------------------------------------------------- */

int sqlite_schema_latest(void) { return schema_count(); }

int sqlite_store_schema_version(struct store *st)
{
    sqlite3 *db = store_db(st);
    sqlite3_stmt *s = NULL;
    int v = 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name='schema_version'", -1, &s, NULL) !=
        SQLITE_OK)
        return -1;
    int has = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) > 0;
    sqlite3_finalize(s);
    if (!has) return 0;
    if (sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version", -1, &s, NULL) != SQLITE_OK) return -1;
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* 1 when a row refers to one that is not there (or the check failed). */
static int foreign_keys_broken(struct store *st)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(store_db(st), "PRAGMA foreign_key_check", -1, &s, NULL) != SQLITE_OK) return 1;
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc != SQLITE_DONE;
}

int sqlite_store_migrate(struct store *st, int *from, int *to, char *err, size_t errlen)
{
    if (store_exec(st, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at "
                       "INTEGER NOT NULL DEFAULT (strftime('%s','now')))") != 0)
        goto fail;
    int v = store_schema_version(st);
    if (v < 0) goto fail;
    if (from) *from = v;
    if (v > schema_count()) {
        gw_err(err, errlen, "database schema version %d is newer than this gateway (%d)", v, schema_count());
        return -1;
    }
    /* A migration may rebuild a table that others refer to: foreign keys
     * are off while it runs (SQLite ignores the pragma inside a
     * transaction) and every reference is checked before it commits. */
    if (v < schema_count() && store_exec(st, "PRAGMA foreign_keys=OFF") != 0) goto fail;
    for (; v < schema_count(); v++) {
        if (store_begin(st) != 0) goto fail_fk;
        if (store_exec(st, schema_migration(v)) != 0) goto fail_tx;
        if (foreign_keys_broken(st)) {
            gw_err(err, errlen, "migration %d: it would break a reference between tables", v + 1);
            store_rollback(st);
            goto fail_fk_quiet;
        }
        sqlite3_stmt *s = store_stmt(st, "INSERT INTO schema_version(version) VALUES (?)");
        if (!s) goto fail_tx;
        sqlite3_bind_int(s, 1, v + 1);
        if (sqlite3_step(s) != SQLITE_DONE) goto fail_tx;
        if (store_commit(st) != 0) goto fail_tx;
    }
    if (store_exec(st, "PRAGMA foreign_keys=ON") != 0) goto fail;
    if (to) *to = v;
    return 0;
fail_tx:
    gw_err(err, errlen, "migration %d: %s", v + 1, sqlite3_errmsg(store_db(st)));
    store_rollback(st);
    goto fail_fk_quiet;
fail_fk:
    gw_err(err, errlen, "migrate: %s", sqlite3_errmsg(store_db(st)));
fail_fk_quiet:
    store_exec(st, "PRAGMA foreign_keys=ON");
    return -1;
fail:
    gw_err(err, errlen, "migrate: %s", sqlite3_errmsg(store_db(st)));
    return -1;
}

/* ---- transactions -------------------------------------------------------- */

/* A cached statement left mid-result keeps an old read snapshot open: a
 * write lock cannot be taken on an old snapshot (SQLite answers BUSY at
 * once, without waiting) and the WAL cannot be checkpointed past it. */
static void reset_all(struct store *st)
{
    for (sqlite3_stmt *s = sqlite3_next_stmt(store_db(st), NULL); s; s = sqlite3_next_stmt(store_db(st), s))
        if (sqlite3_stmt_busy(s)) sqlite3_reset(s);
}

/* Turns at writing. SQLite lets one connection write at a time and makes
 * the others poll for the lock, sleeping between tries. A thread that
 * writes nearly all the time (the writer under a flood) then takes the
 * lock again before a sleeping one wakes, and the sender's results wait
 * for seconds. Connections of one process to one file therefore queue for
 * their write transactions here, first come first served; other processes
 * still meet SQLite's own lock and busy timeout. */
struct gate_waiter {
    pthread_cond_t go_cond;
    int go; /* the turn was handed to this waiter */
    struct gate_waiter *next;
};

struct write_gate {
    char *path; /* the database file, as opened */
    pthread_mutex_t lock;
    int busy;                        /* a connection holds the turn */
    struct gate_waiter *head, *tail; /* waiting, first come first */
    int users;                       /* connections using this gate */
    struct write_gate *link;
};

static pthread_mutex_t gates_lock = PTHREAD_MUTEX_INITIALIZER;
static struct write_gate *gates; /* under gates_lock */

static struct write_gate *gate_get(const char *path)
{
    pthread_mutex_lock(&gates_lock);
    struct write_gate *g = gates;
    while (g && strcmp(g->path, path) != 0) g = g->link;
    if (!g) {
        g = gw_calloc(1, sizeof *g);
        g->path = gw_strdup(path);
        pthread_mutex_init(&g->lock, NULL);
        g->link = gates;
        gates = g;
    }
    g->users++;
    pthread_mutex_unlock(&gates_lock);
    return g;
}

static void gate_put(struct write_gate *g)
{
    if (!g) return;
    pthread_mutex_lock(&gates_lock);
    if (--g->users == 0) {
        struct write_gate **pp = &gates;
        while (*pp != g) pp = &(*pp)->link;
        *pp = g->link;
        pthread_mutex_destroy(&g->lock);
        free(g->path);
        free(g);
    }
    pthread_mutex_unlock(&gates_lock);
}

/* Waits for this connection's turn to write (none if it holds it already),
 * at most its busy timeout. 0, or -1 when the wait timed out. */
static int gate_enter(struct sqlite_store *sq)
{
    if (sq->gated || !sq->gate) return 0;
    struct write_gate *g = sq->gate;
    pthread_mutex_lock(&g->lock);
    if (!g->busy && !g->head) {
        g->busy = 1;
        pthread_mutex_unlock(&g->lock);
        sq->gated = 1;
        return 0;
    }
    struct gate_waiter me = {.go = 0};
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&me.go_cond, &ca);
    pthread_condattr_destroy(&ca);
    if (g->tail)
        g->tail->next = &me;
    else
        g->head = &me;
    g->tail = &me;
    /* As long as SQLite's busy timeout: then BEGIN fails, as SQLITE_BUSY would. */
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    long ns = until.tv_nsec + (long)(sq->busy_ms % 1000) * 1000000L;
    until.tv_sec += sq->busy_ms / 1000 + ns / 1000000000L;
    until.tv_nsec = ns % 1000000000L;
    while (!me.go)
        if (pthread_cond_timedwait(&me.go_cond, &g->lock, &until) == ETIMEDOUT && !me.go) break;
    if (!me.go) {
        /* Gave up: out of the queue, the turn stays with whoever has it. */
        struct gate_waiter **pp = &g->head, *prev = NULL;
        while (*pp != &me) {
            prev = *pp;
            pp = &(*pp)->next;
        }
        *pp = me.next;
        if (g->tail == &me) g->tail = prev;
    }
    pthread_mutex_unlock(&g->lock);
    pthread_cond_destroy(&me.go_cond);
    if (!me.go) return -1;
    sq->gated = 1;
    return 0;
}

/* Gives the turn to the first connection waiting, once this one's
 * transaction has ended. */
static void gate_leave(struct sqlite_store *sq)
{
    if (!sq->gated || !sqlite3_get_autocommit(sq->db)) return;
    struct write_gate *g = sq->gate;
    pthread_mutex_lock(&g->lock);
    struct gate_waiter *w = g->head;
    if (w) {
        g->head = w->next;
        if (!g->head) g->tail = NULL;
        w->go = 1; /* busy stays set: the turn passes straight to w */
        pthread_cond_signal(&w->go_cond);
    } else {
        g->busy = 0;
    }
    pthread_mutex_unlock(&g->lock);
    sq->gated = 0;
}

void sqlite_busy_timeout(struct store *st, int ms)
{
    sqlite_of(st)->busy_ms = ms;
    sqlite3_busy_timeout(store_db(st), ms);
}

int sqlite_write_waiting(struct store *st)
{
    struct write_gate *g = sqlite_of(st)->gate;
    if (!g) return 0;
    int n = 0;
    pthread_mutex_lock(&g->lock);
    for (struct gate_waiter *w = g->head; w; w = w->next) n++;
    pthread_mutex_unlock(&g->lock);
    return n;
}

/* ---- the roster memo ------------------------------------------------------ */

/* The tables whose rows the memo's look-ups read. */
static int roster_table(const char *t)
{
    return !strcmp(t, "staff") || !strcmp(t, "child") || !strcmp(t, "guardian") || !strcmp(t, "guardian_child") ||
           !strcmp(t, "region");
}

/* SQLite's update hook, on every connection: a roster row changed. */
static void on_update(void *arg, int op, const char *dbname, const char *table, sqlite3_int64 rowid)
{
    struct sqlite_store *sq = arg;
    if (!roster_table(table)) return;
    sq->roster_written = 1;
    memo_clear(sq->memo);
}

/* The database's roster mark: PRAGMA user_version, which every connection
 * of this code moves on when it commits a roster change. -1 on error. */
static int64_t roster_mark(struct store *st)
{
    sqlite3_stmt *s = store_stmt(st, "PRAGMA user_version");
    if (!s) return -1;
    int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_reset(s);
    return v;
}

/* Inside a transaction that changed the roster, before its commit: moves
 * the mark on, so that other connections' memos are emptied. Returns the
 * new mark, or -1. */
static int64_t roster_mark_move(struct store *st)
{
    int64_t v = roster_mark(st);
    if (v < 0) return -1;
    v = v >= INT32_MAX ? 1 : v + 1;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %lld", (long long)v);
    return store_exec(st, sql) == 0 ? v : -1;
}

/* At the start of a transaction: empties the memo when another connection
 * or process committed a roster change, or when it is a minute old (a
 * change by a tool that does not move the mark is seen within a minute). */
static void memo_check(struct store *st)
{
    struct sqlite_store *sq = sqlite_of(st);
    int64_t mark = roster_mark(st);
    double now = gw_clock_mono();
    if (mark < 0 || mark != sq->memo_mark || now - sq->memo_since >= 60) {
        memo_clear(sq->memo);
        sq->memo_mark = mark;
        sq->memo_since = now;
    }
}

void sqlite_release_memory(struct store *st) { sqlite3_db_release_memory(store_db(st)); }

int sqlite_roster_memo(struct store *st)
{
    struct sqlite_store *sq = sqlite_of(st);
    if (!sq->memo) sq->memo = memo_new();
    sq->memo_mark = -1;
    return 0;
}

int sqlite_store_begin(struct store *st)
{
    struct sqlite_store *sq = sqlite_of(st);
    reset_all(st);
    if (gate_enter(sq) != 0) {
        gw_error("store: %s: no turn to write after %d ms (another thread's transaction is still open)", sq->path,
                 sq->busy_ms);
        return -1;
    }
    int rc = store_exec(st, "BEGIN IMMEDIATE");
    gate_leave(sq); /* only if BEGIN failed */
    /* roster_written stays set by a roster write outside a transaction
     * (autocommit): this transaction's commit moves the mark for it. */
    sq->in_begin = rc == 0;
    if (rc == 0 && sq->memo) memo_check(st);
    return rc;
}

int sqlite_store_commit(struct store *st)
{
    struct sqlite_store *sq = sqlite_of(st);
    reset_all(st);
    int64_t mark = -1;
    if (sq->roster_written && !sqlite3_get_autocommit(sq->db) && (mark = roster_mark_move(st)) < 0) return -1;
    int rc = store_exec(st, "COMMIT");
    /* Its own move of the mark leaves this connection's memo as it is; a
     * commit that failed may have been rolled back by SQLite itself. */
    if (rc == 0 && mark >= 0 && sq->memo_mark >= 0) sq->memo_mark = mark;
    if (rc != 0) memo_clear(sq->memo);
    if (sqlite3_get_autocommit(sq->db)) sq->roster_written = sq->in_begin = 0;
    gate_leave(sq);
    return rc;
}

int sqlite_store_rollback(struct store *st)
{
    struct sqlite_store *sq = sqlite_of(st);
    reset_all(st);
    int rc = sqlite3_get_autocommit(store_db(st)) ? 0 : store_exec(st, "ROLLBACK");
    /* What the memo learnt inside the transaction may be undone. */
    memo_clear(sq->memo);
    sq->in_begin = 0; /* roster_written stays: a mark moved once too often costs only a look-up */
    gate_leave(sq);
    return rc;
}

/* Savepoint statements are prepared once: the pipeline runs them for every
 * message on the hot path. */
static int step_static(struct store *st, const char *sql)
{
    sqlite3_stmt *s = store_stmt(st, sql);
    if (!s) return -1;
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int sqlite_store_savepoint(struct store *st) { return step_static(st, "SAVEPOINT sp"); }
int sqlite_store_release(struct store *st)
{
    struct sqlite_store *sq = sqlite_of(st);
    /* A savepoint outside store_begin is its own transaction: its release
     * commits, and moves the roster mark first if it changed the roster. */
    if (!sq->in_begin && sq->roster_written && roster_mark_move(st) < 0) return -1;
    if (step_static(st, "RELEASE sp") != 0) return -1;
    if (!sq->in_begin && sqlite3_get_autocommit(sq->db)) sq->roster_written = 0;
    return 0;
}
int sqlite_store_rollback_to(struct store *st)
{
    memo_clear(sqlite_of(st)->memo);
    if (step_static(st, "ROLLBACK TO sp") != 0) return -1;
    return step_static(st, "RELEASE sp");
}

/* Only one process opens a SQLite file: it runs the timed jobs. */
int sqlite_store_lead(struct store *st)
{
    (void)st;
    return 1;
}

int sqlite_store_health_write(struct store *st, int64_t now)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO health(id, checked_at) VALUES (1, ?) "
                                     "ON CONFLICT(id) DO UPDATE SET checked_at = excluded.checked_at");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, now);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Why the database at path cannot be written, or 0 when nothing is seen:
 * the file itself, or the folder where the WAL and its index are created. */
static int unwritable(const char *path, char *why, size_t whylen)
{
    char dir[4096];
    gw_strlcpy(dir, path, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (!slash)
        gw_strlcpy(dir, ".", sizeof dir);
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    if (access(path, F_OK) == 0 && access(path, W_OK) != 0) {
        gw_err(why, whylen, "%s: cannot write the database file: %s", path, strerror(errno));
        return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        gw_err(why, whylen, "%s: cannot write in the folder (%s): the database, its WAL and their index live there",
               dir, strerror(errno));
        return -1;
    }
    return 0;
}

int sqlite_store_check_writable(struct store *st, int64_t now, char *err, size_t errlen)
{
    struct sqlite_store *sq = sqlite_of(st);
    if (unwritable(sq->path, err, errlen) != 0) return -1;
    if (sqlite3_db_readonly(sq->db, "main") == 1) {
        gw_err(err, errlen, "%s: the database is read-only to this process", sq->path);
        return -1;
    }
    if (store_begin(st) != 0 || store_health_write(st, now) != 0 || store_commit(st) != 0) {
        gw_err(err, errlen, "%s: a test write failed: %s", sq->path, sqlite3_errmsg(sq->db));
        store_rollback(st);
        return -1;
    }
    return 0;
}

/* ---- inbox --------------------------------------------------------------- */

int sqlite_store_inbox_insert(struct store *st, const struct gw_msg *m, const char *norm_text, int64_t now, int64_t *id)
{
    sqlite3_stmt *s = store_stmt(st, "INSERT INTO inbox(channel, provider_id, sender, recipient, raw_text, "
                                     "norm_text, received_at, stored_at) VALUES (?,?,?,?,?,?,?,?) "
                                     "ON CONFLICT(channel, provider_id) DO NOTHING");
    if (!s) return -1;
    store_bind_text(s, 1, m->channel);
    store_bind_text(s, 2, m->provider_id);
    store_bind_text(s, 3, m->from);
    store_bind_text(s, 4, m->to);
    store_bind_text(s, 5, m->text ? m->text : "");
    store_bind_text(s, 6, norm_text ? norm_text : "");
    sqlite3_bind_int64(s, 7, m->received_at);
    sqlite3_bind_int64(s, 8, now);
    if (sqlite3_step(s) != SQLITE_DONE) return -1;
    if (sqlite3_changes(store_db(st)) == 1) {
        *id = sqlite3_last_insert_rowid(store_db(st));
        return 0;
    }
    s = store_stmt(st, "SELECT id FROM inbox WHERE channel = ? AND provider_id = ?");
    if (!s) return -1;
    store_bind_text(s, 1, m->channel);
    store_bind_text(s, 2, m->provider_id);
    if (sqlite3_step(s) != SQLITE_ROW) return -1;
    *id = sqlite3_column_int64(s, 0);
    return 1;
}

int sqlite_store_inbox_set_result(struct store *st, int64_t id, const char *intent, const char *result,
                                  const char *detail)
{
    sqlite3_stmt *s = store_stmt(st, "UPDATE inbox SET intent = ?, result = ?, detail = ? WHERE id = ?");
    if (!s) return -1;
    store_bind_text(s, 1, intent);
    store_bind_text(s, 2, result);
    store_bind_text(s, 3, detail && *detail ? detail : NULL);
    sqlite3_bind_int64(s, 4, id);
    return sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
}

int64_t sqlite_store_inbox_count(struct store *st)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT count(*) FROM inbox");
    if (!s || sqlite3_step(s) != SQLITE_ROW) return -1;
    return sqlite3_column_int64(s, 0);
}

/* ---- outbox -------------------------------------------------------------- */

int sqlite_store_outbox_insert(struct store *st, const struct store_outbox_row *r, int64_t now, int64_t *id)
{
    sqlite3_stmt *s =
        store_stmt(st, "INSERT INTO outbox(channel, recipient, template, vars, body, kind, "
                       "priority, inbox_id, case_id, dedupe_key, created_at, updated_at, next_attempt_at) "
                       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
                       "ON CONFLICT(dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING");
    if (!s) return -1;
    store_bind_text(s, 1, r->channel);
    store_bind_text(s, 2, r->recipient);
    store_bind_text(s, 3, r->tmpl);
    store_bind_text(s, 4, r->vars_json ? r->vars_json : "{}");
    store_bind_text(s, 5, r->body);
    store_bind_text(s, 6, r->kind);
    sqlite3_bind_int(s, 7, r->priority);
    if (r->inbox_id) sqlite3_bind_int64(s, 8, r->inbox_id);
    if (r->case_id) sqlite3_bind_int64(s, 9, r->case_id);
    store_bind_text(s, 10, r->dedupe_key);
    sqlite3_bind_int64(s, 11, now);
    sqlite3_bind_int64(s, 12, now);
    sqlite3_bind_int64(s, 13, r->not_before > 0 ? r->not_before : 0);
    if (sqlite3_step(s) != SQLITE_DONE) return -1;
    if (sqlite3_changes(store_db(st)) == 1) {
        if (id) *id = sqlite3_last_insert_rowid(store_db(st));
        return 0;
    }
    s = store_stmt(st, "SELECT id FROM outbox WHERE dedupe_key = ?");
    if (!s) return -1;
    store_bind_text(s, 1, r->dedupe_key);
    if (sqlite3_step(s) != SQLITE_ROW) return -1;
    if (id) *id = sqlite3_column_int64(s, 0);
    return 1;
}

int64_t sqlite_store_outbox_last_id(struct store *st)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT coalesce(max(id), 0) FROM outbox");
    if (!s) return -1;
    int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_reset(s);
    return id;
}

int sqlite_store_outbox_for_inbox(struct store *st, int64_t inbox_id, int64_t after_id,
                                  int (*fn)(void *arg, const char *recipient, const char *body), void *arg)
{
    sqlite3_stmt *s = store_stmt(st, "SELECT recipient, body FROM outbox WHERE id > ? AND inbox_id = ? ORDER BY id");
    if (!s) return -1;
    sqlite3_bind_int64(s, 1, after_id);
    sqlite3_bind_int64(s, 2, inbox_id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (fn(arg, (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1))) break;
    }
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* ---- deferred sync ---------------------------------------------------------- */

int sqlite_defer_sync(struct store *st, char *err, size_t errlen)
{
    if (store_exec(st, "PRAGMA synchronous=NORMAL") != 0) {
        gw_err(err, errlen, "%s: %s", sqlite_of(st)->path, sqlite3_errmsg(store_db(st)));
        return -1;
    }
    sqlite_of(st)->deferred = 1;
    return 0;
}

int sqlite_sync_wal(struct store *st)
{
    struct sqlite_store *sq = sqlite_of(st);
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", sq->path);
    pthread_mutex_lock(&sq->wal_lock);
    int rc = -1;
    /* The WAL keeps its inode while any connection is open; if it was
     * replaced (or not there yet), open it again. */
    struct stat a, b;
    if (sq->wal_fd >= 0 && (fstat(sq->wal_fd, &a) != 0 || a.st_nlink == 0 || stat(wal, &b) != 0 ||
                            a.st_ino != b.st_ino || a.st_dev != b.st_dev)) {
        close(sq->wal_fd);
        sq->wal_fd = -1;
    }
    if (sq->wal_fd < 0) sq->wal_fd = open(wal, O_RDONLY | O_CLOEXEC);
    if (sq->wal_fd >= 0 && fdatasync(sq->wal_fd) == 0) rc = 0;
    pthread_mutex_unlock(&sq->wal_lock);
    return rc;
}

/* ---- background checkpoints ----------------------------------------------
 *
 * The writer commits back to back under load. A PASSIVE checkpoint on the
 * background thread copies the WAL into the database file without blocking
 * it, but the WAL only starts over from its beginning when a writer finds
 * every frame copied, which under sustained load it never does: the file
 * would grow until the disk is full. A RESTART checkpoint from another
 * thread would have to catch the writer between two transactions, and the
 * writer takes its lock again at once. So the writer itself, between
 * batches (sqlite_wal_trim), runs a RESTART checkpoint once the WAL holds
 * CHECKPOINT_RESTART_PAGES: the background thread has copied nearly all of
 * it already, but the restart still syncs the WAL and the database file
 * (5-10 ms on a virtual disk), so the WAL is made large enough for few
 * restarts. The next transaction writes from the WAL's start. The file
 * keeps its size: writing over blocks it has costs the file system far
 * less than growing it (new blocks, and their metadata journalled by every
 * fdatasync of the syncer). journal_size_limit cuts back only a WAL that
 * grew past STORE_WAL_LIMIT (one large transaction, such as an import). */

#define CHECKPOINT_PAGES         1000       /* as SQLite's own wal_autocheckpoint default */
#define CHECKPOINT_GAP_MS        250        /* at least this long between two background checkpoints */
#define CHECKPOINT_RESTART_PAGES 16384      /* about 64 MiB of 4 KiB pages */
#define STORE_WAL_LIMIT          "83886080" /* bytes a WAL file larger than this is cut back to after a restart */

struct checkpointer {
    sqlite3 *db; /* own connection, used only by the thread */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int pending;          /* under lock: the WAL passed CHECKPOINT_PAGES */
    int stopping;         /* under lock */
    atomic_int wal_pages; /* frames in the WAL after the writer's last commit (written by the writer) */
};

/* Runs on the writer's thread after each commit. */
static int on_wal(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct checkpointer *c = arg;
    c->wal_pages = pages;
    if (pages >= CHECKPOINT_PAGES) {
        pthread_mutex_lock(&c->lock);
        c->pending = 1;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
    }
    return SQLITE_OK;
}

static void *checkpoint_loop(void *arg)
{
    struct checkpointer *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        while (!c->pending && !c->stopping) pthread_cond_wait(&c->wake, &c->lock);
        int stop = c->stopping;
        c->pending = 0;
        pthread_mutex_unlock(&c->lock);
        if (stop) break;
        /* PASSIVE: copies what it can without blocking the writer. */
        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) gw_error("store: checkpoint: %s", sqlite3_errmsg(c->db));
        /* Under load the writer commits many times a second, rewriting the
         * same pages (an index's last leaf, a counter's row): copying them
         * after every commit would copy each many times. A pause lets the
         * next checkpoint copy every page once, at its latest. Near the
         * restart, no pause: what is left uncopied the writer would copy. */
        if (atomic_load(&c->wal_pages) >= CHECKPOINT_RESTART_PAGES * 3 / 4) continue;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)CHECKPOINT_GAP_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_mutex_lock(&c->lock);
        while (!c->stopping && pthread_cond_timedwait(&c->wake, &c->lock, &until) != ETIMEDOUT) {
        }
        pthread_mutex_unlock(&c->lock);
    }
    return NULL;
}

int sqlite_wal_trim(struct store *st)
{
    struct sqlite_store *sq = sqlite_of(st);
    if (!sq->ckpt || sq->ckpt->wal_pages < CHECKPOINT_RESTART_PAGES) return 0;
    reset_all(st);
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(sq->db, NULL, SQLITE_CHECKPOINT_RESTART, &log, &done);
    if (rc != SQLITE_OK) {
        gw_warn("store: WAL of %d pages not restarted (%s): tried again after the next commit", log,
                sqlite3_errmsg(sq->db));
        return -1;
    }
    sq->ckpt->wal_pages = 0;
    return 0;
}

int sqlite_checkpoint_in_background(struct store *st, char *err, size_t errlen)
{
    struct sqlite_store *sq = sqlite_of(st);
    struct checkpointer *c = gw_calloc(1, sizeof *c);
    if (sqlite3_open_v2(sq->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        gw_err(err, errlen, "%s: %s", sq->path, c->db ? sqlite3_errmsg(c->db) : "cannot open");
        sqlite3_close(c->db);
        free(c);
        return -1;
    }
    sqlite3_busy_timeout(c->db, 5000);
    /* A connection learns that the database is in WAL mode only when it
     * first reads it; until then its checkpoints do nothing at all. */
    char *msg = NULL;
    if (sqlite3_exec(c->db, "PRAGMA journal_size_limit=" STORE_WAL_LIMIT "; SELECT count(*) FROM sqlite_master", NULL,
                     NULL, &msg) != SQLITE_OK ||
        store_exec(st, "PRAGMA journal_size_limit=" STORE_WAL_LIMIT) != 0) {
        gw_err(err, errlen, "%s: %s", sq->path, msg ? msg : sqlite3_errmsg(sq->db));
        sqlite3_free(msg);
        sqlite3_close(c->db);
        free(c);
        return -1;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->thread, NULL, checkpoint_loop, c) != 0) {
        gw_err(err, errlen, "cannot start the checkpoint thread");
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->wake);
        sqlite3_close(c->db);
        free(c);
        return -1;
    }
    pthread_setname_np(c->thread, "gw-checkpoint");
    sq->ckpt = c;
    /* Replaces SQLite's automatic checkpoint on the writer's connection. */
    sqlite3_wal_hook(sq->db, on_wal, c);
    return 0;
}

static void checkpointer_stop(struct checkpointer *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    c->stopping = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    sqlite3_close(c->db);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->wake);
    free(c);
}
