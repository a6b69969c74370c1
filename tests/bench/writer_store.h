/* tests/bench/writer_store.h - what the two bench programs that stand in
 * for the store writer (writer.c, floor.c) share: a store opened as the
 * gateway's writer opens its own, and the calling thread's CPU time.
 * Header-only, as mix.h: each bench program is one file. */
#ifndef BENCH_WRITER_STORE_H
#define BENCH_WRITER_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../core/store.h"
#include "../../db/sqlite.h"
#include "../../gateway/config_load.h"
#include "../../gateway/store_open.h"

/* CPU seconds the calling thread has used (what
 * gateway_writer_cpu_seconds_total counts for the writer). */
static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Loads the config file at path into *cfg and opens its SQLite store with
 * the writer's settings: migrated, commits without fsync (the fsync left
 * to the caller), checkpoints on a thread of their own, the roster memo.
 * Exits with status 1 and a line naming who when it cannot. */
static struct store *open_writer_store(const char *who, const char *path, struct gw_config **cfg)
{
    char err[256];
    struct store *st;
    if (gw_config_load(path, cfg, err, sizeof err) != 0 || gw_store_open(*cfg, &st, err, sizeof err) != 0 ||
        store_migrate(st, NULL, NULL, err, sizeof err) != 0 || sqlite_defer_sync(st, err, sizeof err) != 0 ||
        sqlite_checkpoint_in_background(st, err, sizeof err) != 0 || sqlite_roster_memo(st) != 0) {
        fprintf(stderr, "%s: %s\n", who, err);
        exit(1);
    }
    return st;
}

#endif
