/* gateway/writer.c - the store writer thread and its queue.
 *
 * Threads: any thread calls writer_submit; only the writer thread runs
 * statements on the store; the syncer thread only fsyncs its WAL file. The queue is a linked list under one mutex with
 * a condition variable as the wake-up. The queue is bounded (WRITER_MAX_QUEUE jobs) so a disk that stalls turns into
 * 503s, not unbounded memory.
 */
#include "writer.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/clock.h"
#include "../core/log.h"
#include "../core/util.h"
#include "../db/sqlite.h"
#include "store_open.h"

#define WRITER_MAX_QUEUE    100000
#define WRITER_IDLE_SECONDS 5  /* housekeeping after this long without work */
#define WRITER_SICK_SECONDS 10 /* a failed commit keeps /healthz at 503 this long, unless one succeeds */

/* One committed batch waiting for its fsync. */
struct synced {
    struct pipeline_job **jobs; /* owned array of n borrowed jobs */
    size_t n;
    size_t stored, dups; /* for the metrics */
    double t0;           /* when the batch began (monotonic) */
    struct synced *next;
};

struct writer {
    const struct gw_config *cfg; /* borrowed, frozen */
    struct store *st;            /* owned; used only by the thread */
    struct metrics *metrics;     /* borrowed */
    void (*on_commit)(void *);   /* called after a commit that stored something */
    void *on_commit_arg;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct pipeline_job *head, *tail; /* queue under lock */
    size_t queued;                    /* jobs in the queue, under lock */
    int stopping;                     /* under lock: no new jobs; drain and exit */
    /* Deferred durability (synchronous=full): the writer commits without
     * fsync and hands each committed batch to the syncer thread, which
     * fsyncs the WAL once for every batch waiting and then answers them.
     * The writer meanwhile runs the next batch. */
    int deferred; /* sqlite_defer_sync is in effect */
    pthread_t sync_thread;
    pthread_mutex_t sync_lock;
    pthread_cond_t sync_wake;
    struct synced *sync_head, *sync_tail; /* under sync_lock */
    int sync_stopping;                    /* under sync_lock */
    /* The last commit that failed, for the health check: a small probe
     * write can still fit where a batch of messages did not. */
    pthread_mutex_t health_lock;
    char sick_reason[160]; /* under health_lock: "" while the last commit succeeded */
    double sick_since;     /* under health_lock: monotonic time of that failure */
    int leading;           /* writer thread: runs the timed jobs (-1 before the first run) */
};

/* A commit failed (reason from the store) or succeeded (reason NULL). */
static void note_commit(struct writer *w, const char *reason, size_t stored)
{
    pthread_mutex_lock(&w->health_lock);
    if (reason) {
        gw_strlcpy(w->sick_reason, reason[0] ? reason : "the store could not commit", sizeof w->sick_reason);
        w->sick_since = gw_clock_mono();
    } else if (stored) {
        w->sick_reason[0] = '\0';
    }
    pthread_mutex_unlock(&w->health_lock);
}

/* Answers a health probe: its own write committed and is durable, but a
 * recent batch of messages failed and none has succeeded since: 503 still. */
static void probe_verdict(struct writer *w, struct pipeline_job *job)
{
    if (job->kind != PIPELINE_JOB_PROBE || !job->ok) return;
    pthread_mutex_lock(&w->health_lock);
    if (w->sick_reason[0] && gw_clock_mono() - w->sick_since < WRITER_SICK_SECONDS) {
        job->ok = 0;
        gw_strlcpy(job->reason, w->sick_reason, sizeof job->reason);
    }
    pthread_mutex_unlock(&w->health_lock);
}

static void *sync_run(void *arg)
{
    struct writer *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->sync_lock);
        while (!w->sync_head && !w->sync_stopping) pthread_cond_wait(&w->sync_wake, &w->sync_lock);
        struct synced *list = w->sync_head;
        w->sync_head = w->sync_tail = NULL;
        int stop = w->sync_stopping;
        pthread_mutex_unlock(&w->sync_lock);
        if (!list && stop) break;
        /* One fsync makes every batch committed before it durable. */
        int ok = sqlite_sync_wal(w->st) == 0;
        if (!ok) gw_error("writer: fsync of the WAL failed: answering 503, providers will retry");
        int any = 0;
        while (list) {
            struct synced *b = list;
            list = b->next;
            metrics_batch(w->metrics, ok ? b->stored : 0, ok ? b->dups : 0, b->n, gw_clock_mono() - b->t0, ok);
            note_commit(w, ok ? NULL : "fsync of the WAL failed", b->stored);
            any |= ok && b->stored;
            for (size_t i = 0; i < b->n; i++) {
                if (!ok) {
                    b->jobs[i]->ok = 0;
                    gw_strlcpy(b->jobs[i]->reason, "fsync of the WAL failed", sizeof b->jobs[i]->reason);
                }
                probe_verdict(w, b->jobs[i]);
                b->jobs[i]->done(b->jobs[i]);
            }
            free(b->jobs);
            free(b);
        }
        if (any && w->on_commit) w->on_commit(w->on_commit_arg);
    }
    return NULL;
}

/* Whether this process runs the timed jobs now: several gateways sharing
 * a PostgreSQL store run them on one process only (store_lead). Logs each
 * change. */
static int leads(struct writer *w)
{
    int lead = store_lead(w->st);
    if (lead < 0) {
        /* Not run this time; who leads is asked again at the next run. */
        gw_error("writer: cannot tell which gateway runs the timed jobs: %s", store_errmsg(w->st));
        return 0;
    }
    if (lead != w->leading) {
        if (lead)
            gw_info("timed jobs: this gateway runs them");
        else
            gw_info("timed jobs: another gateway on this database runs them");
        w->leading = lead;
        metrics_jobs_leader(w->metrics, lead);
    }
    return lead;
}

/* CPU seconds the calling thread has used. */
static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs the timed jobs in their own transaction on the writer's connection,
 * when this process leads. */
static void run_jobs(struct writer *w)
{
    if (!leads(w)) return;
    size_t written = 0;
    int rc = pipeline_run_jobs(w->st, w->cfg, gw_clock_now(), &written);
    if (rc != 0) {
        gw_error("writer: timed jobs failed; they run again at the next tick");
    } else if (written) {
        gw_info("timed jobs: %zu messages queued", written);
        /* Reminders are sent only once they are on disk. */
        if ((!w->deferred || sqlite_sync_wal(w->st) == 0) && w->on_commit) w->on_commit(w->on_commit_arg);
    }
    metrics_jobs(w->metrics, rc == 0, written);
    /* The run read far more than a batch does: drop those pages from the
     * connection's cache, and give the heap's free memory back to the
     * system, so that memory stays flat from one run to the next. */
    if (gw_store_is_sqlite(w->cfg)) sqlite_release_memory(w->st);
    malloc_trim(0);
}

static void *run(void *arg)
{
    struct writer *w = arg;
    size_t cap = (size_t)w->cfg->batch_max;
    struct pipeline_job **batch = gw_calloc(cap, sizeof *batch);
    for (;;) {
        pthread_mutex_lock(&w->lock);
        int idle = 0;
        while (!w->head && !w->stopping && !idle) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += WRITER_IDLE_SECONDS;
            idle = pthread_cond_timedwait(&w->wake, &w->lock, &until) == ETIMEDOUT && !w->head;
        }
        if (!w->head && w->stopping) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        if (idle) {
            /* Quiet for a while: housekeeping that needs the write connection. */
            pthread_mutex_unlock(&w->lock);
            if (pipeline_flush_parts(w->st, w->cfg, gw_clock_now()) != 0)
                gw_error("writer: flushing SMS parts failed");
            else if ((!w->deferred || sqlite_sync_wal(w->st) == 0) && w->on_commit)
                w->on_commit(w->on_commit_arg);
            continue;
        }
        size_t n = 0;
        size_t nmsg = 0;
        while (w->head && n < cap && nmsg < cap) {
            struct pipeline_job *j = w->head;
            w->head = j->next;
            j->next = NULL;
            batch[n++] = j;
            nmsg += j->msgs.n;
        }
        if (!w->head) w->tail = NULL;
        w->queued -= n;
        pthread_mutex_unlock(&w->lock);

        double t0 = gw_clock_mono(), cpu0 = thread_cpu();
        int rc = pipeline_batch(w->st, w->cfg, batch, n, gw_clock_now());
        metrics_writer_time(w->metrics, thread_cpu() - cpu0, gw_clock_mono() - t0);
        int jobs = 0;
        for (size_t i = 0; i < n; i++) jobs |= batch[i]->kind == PIPELINE_JOB_TIMED;
        size_t stored = 0, dups = 0, failed = 0;
        for (size_t i = 0; i < n; i++) {
            stored += batch[i]->stored;
            failed += batch[i]->handler_errors;
            for (size_t k = 0; batch[i]->duplicate && k < batch[i]->msgs.n; k++) dups += batch[i]->duplicate[k];
        }
        if (rc == 0 && failed) metrics_handler_errors(w->metrics, failed);
        if (rc != 0) note_commit(w, n ? batch[0]->reason : "", 0);
        if (rc == 0 && w->deferred) {
            struct synced *b = gw_calloc(1, sizeof *b);
            b->jobs = gw_malloc(n * sizeof *b->jobs);
            memcpy(b->jobs, batch, n * sizeof *b->jobs);
            b->n = n;
            b->stored = stored;
            b->dups = dups;
            b->t0 = t0;
            pthread_mutex_lock(&w->sync_lock);
            if (w->sync_tail)
                w->sync_tail->next = b;
            else
                w->sync_head = b;
            w->sync_tail = b;
            pthread_cond_signal(&w->sync_wake);
            pthread_mutex_unlock(&w->sync_lock);
        } else {
            metrics_batch(w->metrics, rc == 0 ? stored : 0, rc == 0 ? dups : 0, n, gw_clock_mono() - t0, rc == 0);
            if (rc == 0) note_commit(w, NULL, stored);
            if (rc == 0 && w->on_commit) w->on_commit(w->on_commit_arg);
            for (size_t i = 0; i < n; i++) {
                probe_verdict(w, batch[i]);
                batch[i]->done(batch[i]);
            }
        }
        /* After the batch is on its way: requests never wait for the jobs.
         * (The scheduler's own job may already be done; jobs is a copy.) */
        if (jobs) run_jobs(w);
        if (gw_store_is_sqlite(w->cfg)) sqlite_wal_trim(w->st);
    }
    free(batch);
    return NULL;
}

int writer_start(const struct gw_config *cfg, struct store *st, struct metrics *metrics, void (*on_commit)(void *),
                 void *arg, struct writer **out)
{
    struct writer *w = gw_calloc(1, sizeof *w);
    w->cfg = cfg;
    w->st = st;
    w->metrics = metrics;
    w->on_commit = on_commit;
    w->on_commit_arg = arg;
    w->leading = -1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_mutex_init(&w->sync_lock, NULL);
    pthread_cond_init(&w->sync_wake, NULL);
    pthread_mutex_init(&w->health_lock, NULL);
    char err[200] = "cannot start the syncer thread";
    /* The writer reads the roster for nearly every message. */
    if (gw_store_is_sqlite(cfg)) sqlite_roster_memo(st);
    if (cfg->sync_full && gw_store_is_sqlite(cfg)) {
        if (sqlite_defer_sync(st, err, sizeof err) != 0 || pthread_create(&w->sync_thread, NULL, sync_run, w) != 0)
            goto fail;
        w->deferred = 1;
    }
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        gw_strlcpy(err, "cannot start the writer thread", sizeof err);
        goto fail;
    }
    pthread_setname_np(w->thread, "gw-writer");
    if (w->deferred) pthread_setname_np(w->sync_thread, "gw-syncer");
    *out = w;
    return 0;
fail:
    gw_error("writer: %s", err);
    if (w->deferred) {
        pthread_mutex_lock(&w->sync_lock);
        w->sync_stopping = 1;
        pthread_cond_signal(&w->sync_wake);
        pthread_mutex_unlock(&w->sync_lock);
        pthread_join(w->sync_thread, NULL);
    }
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->sync_lock);
    pthread_cond_destroy(&w->sync_wake);
    pthread_mutex_destroy(&w->health_lock);
    free(w);
    return -1;
}

int writer_submit(struct writer *w, struct pipeline_job *job)
{
    pthread_mutex_lock(&w->lock);
    if (w->stopping || w->queued >= WRITER_MAX_QUEUE) {
        pthread_mutex_unlock(&w->lock);
        return -1;
    }
    job->next = NULL;
    if (w->tail)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    w->queued++;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

size_t writer_pending(struct writer *w)
{
    pthread_mutex_lock(&w->lock);
    size_t n = w->queued;
    pthread_mutex_unlock(&w->lock);
    return n;
}

void writer_stop(struct writer *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    if (w->deferred) {
        pthread_mutex_lock(&w->sync_lock);
        w->sync_stopping = 1;
        pthread_cond_signal(&w->sync_wake);
        pthread_mutex_unlock(&w->sync_lock);
        pthread_join(w->sync_thread, NULL);
    }
    pthread_mutex_destroy(&w->sync_lock);
    pthread_cond_destroy(&w->sync_wake);
    pthread_mutex_destroy(&w->health_lock);
    store_close(w->st);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    free(w);
}
