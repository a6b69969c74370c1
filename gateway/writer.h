/* gateway/writer.h - the store writer: one thread that owns the write
 * connection and commits whatever has queued, in one transaction per batch.
 *
 * HTTP threads never wait on a disk: they submit a job and suspend the
 * request; the writer takes every queued job (up to batch_max), runs
 * pipeline_batch, commits with fsync, and calls each job's done callback,
 * which resumes its request. This is the group commit.
 *
 * With synchronous=full the commit and its fsync are split: the writer
 * commits without waiting for the disk and goes on with the next batch,
 * while a syncer thread fsyncs the WAL once for every committed batch
 * waiting and only then answers their requests. Nothing is acknowledged
 * before it is on disk; the disk's latency no longer stalls the writer.
 */
#ifndef GW_WRITER_H
#define GW_WRITER_H

#include "../core/config.h"
#include "../core/store.h"
#include "metrics.h"
#include "pipeline.h"

struct writer;

/* Starts the writer thread. Takes ownership of st. After each transaction
 * that committed new messages, calls on_commit(arg) (may be NULL) on the
 * writer's thread: the sender's wake-up. Returns 0 or -1. */
int writer_start(const struct gw_config *cfg, struct store *st, struct metrics *metrics, void (*on_commit)(void *),
                 void *arg, struct writer **out);

/* Queues a job (ownership stays with the caller until job->done runs).
 * Returns 0, or -1 when the writer is stopping or the queue is full
 * (the caller answers 503: the provider will retry). */
int writer_submit(struct writer *w, struct pipeline_job *job);

/* Number of jobs waiting (for shutdown and tests). */
size_t writer_pending(struct writer *w);

/* Stops taking jobs, finishes every job already queued (calling done for
 * each), joins the thread, closes the store and frees w. NULL is a no-op. */
void writer_stop(struct writer *w);

#endif
