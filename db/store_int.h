/* db/store_int.h - internals shared by the SQLite implementation files of store.h.
 * Not for use outside db/. */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "../core/store.h"

#define STORE_STMT_CACHE 160

struct store {
    sqlite3 *db; /* owned; used by one thread */
    char *path;  /* owned */
    struct {
        const char *sql;  /* static string; identity is the cache key */
        sqlite3_stmt *st; /* prepared once, persistent */
    } cache[STORE_STMT_CACHE];
    int ncache;
    struct checkpointer *ckpt; /* background checkpoints, or NULL */
    int wal_fd;                /* the -wal file for store_sync_wal, -1 until first needed */
    pthread_mutex_t wal_lock;  /* guards wal_fd (store_sync_wal runs on another thread) */
    int deferred;              /* store_defer_sync was called */
};

/* Returns the cached prepared statement for a static SQL string, reset and
 * with bindings cleared, preparing it on first use. NULL on error (logged
 * in the connection's errmsg). sql must be a string literal or otherwise
 * outlive the store. */
sqlite3_stmt *store_stmt(struct store *st, const char *sql);

/* Runs SQL text with no results (DDL, pragmas). 0 or -1. */
int store_exec(struct store *st, const char *sql);

/* Binds helpers: NULL text binds SQL NULL. */
int store_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Copies column i as text into out (size outlen), "" for NULL. */
void store_col_text(sqlite3_stmt *s, int i, char *out, size_t outlen);

#endif
