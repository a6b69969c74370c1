/* gateway/metrics.c - counters and histograms in the Prometheus text format. */
#include "metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const int statuses[] = {200, 204, 400, 403, 404, 405, 413, 500, 503};
#define NSTATUS      (sizeof statuses / sizeof statuses[0])
#define STATUS_OTHER NSTATUS

static const double batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
#define NBATCH (sizeof batch_bounds / sizeof batch_bounds[0])
static const double lat_bounds[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define NLAT (sizeof lat_bounds / sizeof lat_bounds[0])

struct histogram {
    _Atomic unsigned long long bucket[16]; /* non-cumulative counts; [n] = +Inf */
    _Atomic unsigned long long count;
    _Atomic unsigned long long sum_micro; /* sum scaled by 1e6 */
};

struct metrics {
    size_t nchan;                    /* configured channels; row nchan = "cli", row nchan+1 = no channel */
    char **names;                    /* channel names (borrowed from the config) */
    _Atomic unsigned long long *req; /* (nchan + 2) x (NSTATUS + 1) */
    _Atomic unsigned long long stored, duplicates, batches, failed_batches;
    struct histogram batch_size, commit_seconds;
    _Atomic unsigned long long *sends; /* nchan x 3 (ok, retry, failed) */
    _Atomic unsigned long long job_runs, job_failures, job_messages;
    atomic_int job_leader; /* 1 while this process runs the timed jobs */
    _Atomic unsigned long long handler_errors;
    _Atomic unsigned long long writer_cpu_ns, writer_busy_ns; /* the store writer thread's batches */
};

struct metrics *metrics_new(const struct gw_config *cfg)
{
    struct metrics *m = gw_calloc(1, sizeof *m);
    m->nchan = cfg ? cfg->nchannels : 0;
    m->names = gw_calloc(m->nchan + 2, sizeof *m->names);
    for (size_t i = 0; i < m->nchan; i++) m->names[i] = cfg->channels[i].name;
    m->req = gw_calloc((m->nchan + 2) * (NSTATUS + 1), sizeof *m->req);
    m->sends = gw_calloc(m->nchan ? m->nchan * 3 : 1, sizeof *m->sends);
    return m;
}

void metrics_free(struct metrics *m)
{
    if (!m) return;
    free(m->names);
    free((void *)m->req);
    free((void *)m->sends);
    free(m);
}

static void observe(struct histogram *h, const double *bounds, size_t n, double v)
{
    size_t i = 0;
    while (i < n && v > bounds[i]) i++;
    atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_micro, (unsigned long long)(v * 1e6), memory_order_relaxed);
}

void metrics_request(struct metrics *m, const char *channel, int status)
{
    size_t row = m->nchan + 1;
    if (channel) {
        if (!strcmp(channel, "cli")) row = m->nchan;
        for (size_t i = 0; i < m->nchan; i++)
            if (!strcmp(m->names[i], channel)) row = i;
    }
    size_t col = STATUS_OTHER;
    for (size_t i = 0; i < NSTATUS; i++)
        if (statuses[i] == status) col = i;
    atomic_fetch_add_explicit(&m->req[row * (NSTATUS + 1) + col], 1, memory_order_relaxed);
}

void metrics_batch(struct metrics *m, size_t stored, size_t duplicates, size_t batch, double seconds, int ok)
{
    atomic_fetch_add_explicit(&m->stored, stored, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->duplicates, duplicates, memory_order_relaxed);
    atomic_fetch_add_explicit(ok ? &m->batches : &m->failed_batches, 1, memory_order_relaxed);
    observe(&m->batch_size, batch_bounds, NBATCH, (double)batch);
    observe(&m->commit_seconds, lat_bounds, NLAT, seconds);
}

void metrics_writer_time(struct metrics *m, double cpu_seconds, double busy_seconds)
{
    if (!m) return;
    atomic_fetch_add_explicit(&m->writer_cpu_ns, (unsigned long long)(cpu_seconds * 1e9), memory_order_relaxed);
    atomic_fetch_add_explicit(&m->writer_busy_ns, (unsigned long long)(busy_seconds * 1e9), memory_order_relaxed);
}

void metrics_handler_errors(struct metrics *m, size_t n)
{
    atomic_fetch_add_explicit(&m->handler_errors, n, memory_order_relaxed);
}

static const char *const send_results[] = {"ok", "retry", "failed"};

void metrics_send(struct metrics *m, const char *channel, const char *result)
{
    for (size_t i = 0; i < m->nchan; i++) {
        if (strcmp(m->names[i], channel) != 0) continue;
        for (size_t r = 0; r < 3; r++)
            if (!strcmp(result, send_results[r]))
                atomic_fetch_add_explicit(&m->sends[i * 3 + r], 1, memory_order_relaxed);
    }
}

void metrics_jobs(struct metrics *m, int ok, size_t n)
{
    atomic_fetch_add_explicit(ok ? &m->job_runs : &m->job_failures, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->job_messages, n, memory_order_relaxed);
}

void metrics_jobs_leader(struct metrics *m, int leads)
{
    if (!m) return;
    atomic_store_explicit(&m->job_leader, leads, memory_order_relaxed);
}

static void render_hist(struct gw_buf *out, const char *name, const char *help, struct histogram *h,
                        const double *bounds, size_t n)
{
    gw_buf_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    unsigned long long cum = 0;
    for (size_t i = 0; i < n; i++) {
        cum += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
        gw_buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i], cum);
    }
    cum += atomic_load_explicit(&h->bucket[n], memory_order_relaxed);
    gw_buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n", name, cum);
    gw_buf_printf(out, "%s_sum %.6f\n%s_count %llu\n", name,
                  (double)atomic_load_explicit(&h->sum_micro, memory_order_relaxed) / 1e6, name,
                  atomic_load_explicit(&h->count, memory_order_relaxed));
}

void metrics_render(struct metrics *m, struct gw_buf *out)
{
    gw_buf_puts(out, "# HELP gateway_http_requests_total HTTP answers by channel and status.\n"
                     "# TYPE gateway_http_requests_total counter\n");
    for (size_t r = 0; r < m->nchan + 2; r++) {
        const char *ch = r < m->nchan ? m->names[r] : r == m->nchan ? "cli" : "";
        for (size_t c = 0; c <= NSTATUS; c++) {
            unsigned long long v = atomic_load_explicit(&m->req[r * (NSTATUS + 1) + c], memory_order_relaxed);
            if (!v) continue;
            if (c < NSTATUS)
                gw_buf_printf(out, "gateway_http_requests_total{channel=\"%s\",status=\"%d\"} %llu\n", ch, statuses[c],
                              v);
            else
                gw_buf_printf(out, "gateway_http_requests_total{channel=\"%s\",status=\"other\"} %llu\n", ch, v);
        }
    }
    gw_buf_printf(out,
                  "# HELP gateway_messages_stored_total Inbound messages committed to the store.\n"
                  "# TYPE gateway_messages_stored_total counter\ngateway_messages_stored_total %llu\n"
                  "# HELP gateway_messages_duplicate_total Inbound messages already stored (provider retries).\n"
                  "# TYPE gateway_messages_duplicate_total counter\ngateway_messages_duplicate_total %llu\n"
                  "# HELP gateway_store_batches_total Store transactions committed.\n"
                  "# TYPE gateway_store_batches_total counter\ngateway_store_batches_total %llu\n"
                  "# HELP gateway_store_batches_failed_total Store transactions that failed.\n"
                  "# TYPE gateway_store_batches_failed_total counter\ngateway_store_batches_failed_total %llu\n",
                  atomic_load(&m->stored), atomic_load(&m->duplicates), atomic_load(&m->batches),
                  atomic_load(&m->failed_batches));
    gw_buf_puts(out, "# HELP gateway_send_attempts_total Outbound send attempts by channel and result.\n"
                     "# TYPE gateway_send_attempts_total counter\n");
    for (size_t i = 0; i < m->nchan; i++)
        for (size_t r = 0; r < 3; r++)
            gw_buf_printf(out, "gateway_send_attempts_total{channel=\"%s\",result=\"%s\"} %llu\n", m->names[i],
                          send_results[r], atomic_load_explicit(&m->sends[i * 3 + r], memory_order_relaxed));
    gw_buf_printf(out,
                  "# HELP gateway_job_runs_total Runs of the timed jobs (reminders, re-alerts, digests).\n"
                  "# TYPE gateway_job_runs_total counter\ngateway_job_runs_total %llu\n"
                  "# HELP gateway_job_failures_total Runs of the timed jobs that failed.\n"
                  "# TYPE gateway_job_failures_total counter\ngateway_job_failures_total %llu\n"
                  "# HELP gateway_job_messages_total Messages the timed jobs queued.\n"
                  "# TYPE gateway_job_messages_total counter\ngateway_job_messages_total %llu\n"
                  "# HELP gateway_job_leader 1 while this process runs the timed jobs (one of the gateways "
                  "sharing a database does).\n"
                  "# TYPE gateway_job_leader gauge\ngateway_job_leader %d\n",
                  atomic_load(&m->job_runs), atomic_load(&m->job_failures), atomic_load(&m->job_messages),
                  atomic_load(&m->job_leader));
    gw_buf_printf(out,
                  "# HELP gateway_writer_cpu_seconds_total CPU time the store writer thread spent on batches "
                  "(statements, handlers, commits; not the fsync, which the syncer thread does).\n"
                  "# TYPE gateway_writer_cpu_seconds_total counter\ngateway_writer_cpu_seconds_total %.6f\n"
                  "# HELP gateway_writer_busy_seconds_total Wall time the store writer thread spent on batches.\n"
                  "# TYPE gateway_writer_busy_seconds_total counter\ngateway_writer_busy_seconds_total %.6f\n",
                  (double)atomic_load(&m->writer_cpu_ns) / 1e9, (double)atomic_load(&m->writer_busy_ns) / 1e9);
    gw_buf_printf(out,
                  "# HELP gateway_handler_errors_total Accepted messages and USSD or voice steps whose handling "
                  "failed (kept with their error, answered, logged).\n"
                  "# TYPE gateway_handler_errors_total counter\ngateway_handler_errors_total %llu\n",
                  atomic_load(&m->handler_errors));
    render_hist(out, "gateway_store_batch_size", "Requests per store transaction.", &m->batch_size, batch_bounds,
                NBATCH);
    render_hist(out, "gateway_store_commit_seconds", "Store transaction time including fsync.", &m->commit_seconds,
                lat_bounds, NLAT);
}
