/* gateway/scheduler.c - the timed jobs' timer (see scheduler.h).
 *
 * Threads: the timer callback runs on the scheduler's own thread and only
 * submits a job to the store writer; the jobs run on the writer's thread
 * (they write), and job_done runs there too. One run is in flight at most.
 */
#include "scheduler.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/log.h"
#include "../core/util.h"

struct scheduler {
    const struct gw_config *cfg; /* borrowed, frozen */
    struct writer *writer;       /* borrowed */
    struct event_base *base;
    struct event *tick;  /* persistent timer */
    struct event *first; /* the start-up run */
    pthread_t thread;
    struct pipeline_job job; /* reused for every run */
    atomic_int busy;         /* 1 while job is with the writer */
};

static void job_done(struct pipeline_job *job)
{
    struct scheduler *s = (struct scheduler *)((char *)job - offsetof(struct scheduler, job));
    atomic_store(&s->busy, 0);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct scheduler *s = arg;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&s->busy, &expected, 1)) return; /* the last run is still going */
    pipeline_job_clear(&s->job);                                         /* the writer is done with the last run */
    memset(&s->job, 0, sizeof s->job);
    s->job.kind = PIPELINE_JOB_TIMED;
    s->job.done = job_done;
    if (writer_submit(s->writer, &s->job) != 0) atomic_store(&s->busy, 0);
}

static void *run(void *arg)
{
    struct scheduler *s = arg;
    event_base_dispatch(s->base);
    return NULL;
}

int scheduler_start(const struct gw_config *cfg, struct writer *w, struct scheduler **out)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, (void (*)(void))evthread_use_pthreads);
    struct scheduler *s = gw_calloc(1, sizeof *s);
    s->cfg = cfg;
    s->writer = w;
    s->base = event_base_new();
    if (!s->base) goto fail;
    s->tick = event_new(s->base, -1, EV_PERSIST, on_tick, s);
    s->first = evtimer_new(s->base, on_tick, s);
    struct timeval every = {cfg->job_interval, 0}, now = {0, 0};
    event_add(s->tick, &every);
    event_add(s->first, &now);
    if (pthread_create(&s->thread, NULL, run, s) != 0) goto fail;
    pthread_setname_np(s->thread, "gw-scheduler");
    gw_info("timed jobs: at start-up, then every %d s", cfg->job_interval);
    *out = s;
    return 0;
fail:
    if (s->tick) event_free(s->tick);
    if (s->first) event_free(s->first);
    if (s->base) event_base_free(s->base);
    free(s);
    return -1;
}

void scheduler_stop(struct scheduler *s)
{
    if (!s) return;
    event_base_loopbreak(s->base);
    pthread_join(s->thread, NULL);
    event_free(s->tick);
    event_free(s->first);
    event_base_free(s->base);
    /* A run handed to the writer calls job_done on s: wait for it. */
    for (int i = 0; i < 30000 && atomic_load(&s->busy); i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    if (atomic_load(&s->busy)) {
        /* The writer still holds the run: leave s to it rather than free it under it. */
        gw_warn("scheduler: a run of the timed jobs did not finish before the stop");
        return;
    }
    pipeline_job_clear(&s->job);
    free(s);
}
