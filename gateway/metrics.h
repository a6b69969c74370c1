/* gateway/metrics.h - process counters and histograms, exported in the
 * Prometheus text format on /metrics. Updated lock-free (relaxed atomics)
 * from any thread. */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stddef.h>

#include "../core/config.h"
#include "../core/util.h"

struct metrics;

struct metrics *metrics_new(const struct gw_config *cfg); /* channels are fixed at creation */
void metrics_free(struct metrics *m);

/* An HTTP answer: channel may be NULL (not a hook). */
void metrics_request(struct metrics *m, const char *channel, int status);
/* A store transaction: messages newly stored, duplicates, batch size (jobs),
 * commit latency in seconds, and whether it committed. */
void metrics_batch(struct metrics *m, size_t stored, size_t duplicates, size_t batch, double seconds, int ok);
/* n accepted messages (or USSD/voice steps) whose handling failed. */
void metrics_handler_errors(struct metrics *m, size_t n);
/* One send attempt's result: "ok", "retry" or "failed". */
void metrics_send(struct metrics *m, const char *channel, const char *result);
/* A run of the timed jobs finished (ok = 0 when it failed) and queued n messages. */
void metrics_jobs(struct metrics *m, int ok, size_t n);
/* The store writer's thread spent cpu_seconds of CPU and busy_seconds of
 * wall time on a batch (its statements, handlers and commit). */
void metrics_writer_time(struct metrics *m, double cpu_seconds, double busy_seconds);
/* Whether this process runs the timed jobs now (store_lead). */
void metrics_jobs_leader(struct metrics *m, int leads);
/* Appends the exposition text. */
void metrics_render(struct metrics *m, struct gw_buf *out);

#endif
