/* tests/bench/writer.c - the store writer's work alone: the bench's mixed
 * messages (5 visits, 3 check-ins and 2 reports in every 10) handed to
 * pipeline_batch in batches, on the store of a gateway config opened with
 * the writer's own settings (writer_store.h). No HTTP, no provider, so the
 * figure is the writer's CPU per message and nothing else's.
 *
 * Usage: writer CONFIG N BATCH [RUNTAG]
 * Prints one line: messages=N batch=B seconds=S us_per_msg=U cpu_us_per_msg=C
 * (C: the calling thread's CPU, as gateway_writer_cpu_seconds_total counts it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/clock.h"
#include "../../gateway/pipeline.h"
#include "../../gateway/routes.h"
#include "mix.h"
#include "writer_store.h"

/* Message i of the mix on channel ch, completed as an HTTP thread does. */
static void add_msg(struct pipeline_job *job, const struct gw_channel *ch, const char *tag, int i, int64_t now)
{
    char id[96], text[160], from[32];
    snprintf(id, sizeof id, "%s-%d", tag, i);
    mix_message(i, from, text);
    struct gw_msg *m = gw_msgv_push(&job->msgs);
    m->provider_id = strdup(id);
    m->from = strdup(from);
    m->text = strdup(text);
    routes_normalise_msgs(ch, &job->msgs, now);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: writer CONFIG N BATCH [RUNTAG]\n");
        return 2;
    }
    int n = atoi(argv[2]), batch = atoi(argv[3]);
    char tag[64];
    snprintf(tag, sizeof tag, "%s", argc > 4 ? argv[4] : "w");
    struct gw_config *cfg;
    struct store *st = open_writer_store("writer", argv[1], &cfg);
    load_roster("writer", cfg->store_path);
    const struct gw_channel *ch = gw_config_channel(cfg, "generic");
    if (!ch) {
        fprintf(stderr, "writer: the config has no [channel generic]\n");
        return 2;
    }
    if (batch < 1) {
        fprintf(stderr, "writer: BATCH must be at least 1\n");
        return 2;
    }
    struct pipeline_job *jobs = calloc((size_t)batch, sizeof *jobs);
    struct pipeline_job **ptrs = calloc((size_t)batch, sizeof *ptrs);
    double cpu = 0, wall = 0;
    int failed = 0;
    for (int done = 0; done < n;) {
        int k = n - done < batch ? n - done : batch;
        int64_t now = gw_clock_now();
        for (int j = 0; j < k; j++) {
            memset(&jobs[j], 0, sizeof jobs[j]);
            add_msg(&jobs[j], ch, tag, done + j, now);
            ptrs[j] = &jobs[j];
        }
        double c0 = thread_cpu(), w0 = gw_clock_mono();
        if (pipeline_batch(st, cfg, ptrs, (size_t)k, now) != 0) failed++;
        cpu += thread_cpu() - c0;
        wall += gw_clock_mono() - w0;
        for (int j = 0; j < k; j++) pipeline_job_clear(&jobs[j]);
        done += k;
    }
    printf("messages=%d batch=%d seconds=%.3f us_per_msg=%.1f cpu_us_per_msg=%.1f failed_batches=%d\n", n, batch,
           wall, wall * 1e6 / n, cpu * 1e6 / n, failed);
    free(jobs);
    free(ptrs);
    store_close(st);
    gw_config_free(cfg);
    return failed ? 1 : 0;
}
