/* tests/bench/writer.c - the store writer's work alone: the bench's mixed
 * messages (5 visits, 3 check-ins and 2 reports in every 10) handed to
 * pipeline_batch in batches, on the store of a gateway config, with the
 * writer's own settings (commits without fsync, the fsync left to the
 * caller; checkpoints on a thread of their own; the roster memo). No HTTP, no provider, so
 * the figure is the writer's CPU per message and nothing else's.
 *
 * Usage: writer CONFIG N BATCH [RUNTAG]
 * Prints one line: messages=N batch=B seconds=S us_per_msg=U cpu_us_per_msg=C
 * (C: the calling thread's CPU, as gateway_writer_cpu_seconds_total counts it).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../core/clock.h"
#include "../../core/store.h"
#include "../../db/sqlite.h"
#include "../../gateway/config_load.h"
#include "../../gateway/pipeline.h"
#include "../../gateway/store_open.h"
#include "../../handlers/codebook.h"

struct pair {
    char a[32], b[32];
};

static struct pair *visits, *guardians;
static int nvisits, nguardians;

static int load_pairs(sqlite3 *db, const char *sql, struct pair **out)
{
    sqlite3_stmt *s;
    int n = 0, cap = 256;
    *out = malloc(sizeof **out * (size_t)cap);
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) return 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == cap) *out = realloc(*out, sizeof **out * (size_t)(cap *= 2));
        snprintf((*out)[n].a, sizeof(*out)[n].a, "%s", sqlite3_column_text(s, 0));
        snprintf((*out)[n].b, sizeof(*out)[n].b, "%s", sqlite3_column_text(s, 1));
        n++;
    }
    sqlite3_finalize(s);
    return n;
}

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Message i of the mix, as load.c builds it, parsed as an HTTP thread does. */
static void add_msg(struct pipeline_job *job, const char *tag, int i, int64_t now)
{
    static const char *const reports[] = {"BG 2 孩子身上有伤", "BG 3 孩子一个人在家好几天", "BG 7 学校有人欺负他",
                                          "BG 9 想了解帮扶政策", "村东头那家孩子没人管"};
    static const char *const results[] = {"1", "2 XL", "1 一切正常", "3", "2 JK 生活", "4"};
    char id[96], text[160], from[32];
    snprintf(id, sizeof id, "%s-%d", tag, i);
    int kind = i % 10;
    if (kind < 5) {
        struct pair *p = &visits[(i / 10 * 5 + kind) % nvisits];
        snprintf(from, sizeof from, "%s", p->a);
        snprintf(text, sizeof text, "ZF %s %s", p->b, results[i % 6]);
    } else if (kind < 8) {
        struct pair *p = &guardians[(i / 10 * 3 + kind) % nguardians];
        snprintf(from, sizeof from, "%s", p->a);
        snprintf(text, sizeof text, "QD %s %s", p->b, kind == 7 ? "1 视频了很开心" : "");
    } else {
        snprintf(from, sizeof from, "+86137%08d", i % 100000000);
        snprintf(text, sizeof text, "%s", reports[i % 5]);
    }
    struct gw_msg *m = gw_msgv_push(&job->msgs);
    m->channel = strdup("generic");
    m->provider_id = strdup(id);
    m->from = strdup(from);
    m->text = strdup(text);
    m->received_at = now;
    m->norm = cb_normalize(m->text, strlen(m->text));
    m->cmd = malloc(sizeof *m->cmd);
    m->cmd_free = cb_cmd_free;
    cb_parse(m->text, strlen(m->text), m->received_at, m->cmd);
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
    char err[256];
    struct gw_config *cfg;
    struct store *st;
    if (gw_config_load(argv[1], &cfg, err, sizeof err) != 0 || gw_store_open(cfg, &st, err, sizeof err) != 0 ||
        store_migrate(st, NULL, NULL, err, sizeof err) != 0 || sqlite_defer_sync(st, err, sizeof err) != 0 ||
        sqlite_checkpoint_in_background(st, err, sizeof err) != 0 || sqlite_roster_memo(st) != 0) {
        fprintf(stderr, "writer: %s\n", err);
        return 1;
    }
    sqlite3 *db;
    if (sqlite3_open_v2(cfg->store_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) return 1;
    nvisits = load_pairs(db, "SELECT s.phone, c.code FROM staff s JOIN child c ON c.region_id = s.region_id "
                             "WHERE s.role = 'director'", &visits);
    nguardians = load_pairs(db, "SELECT g.phone, c.code FROM guardian g JOIN guardian_child gc ON gc.guardian_id = g.id "
                                "JOIN child c ON c.id = gc.child_id", &guardians);
    sqlite3_close(db);
    if (!nvisits || !nguardians || batch < 1) {
        fprintf(stderr, "writer: the database holds no roster\n");
        return 1;
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
            add_msg(&jobs[j], tag, done + j, now);
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
