/* tests/unit/test_pipeline.c - the pipeline on a real SQLite file without
 * HTTP: concatenated parts waiting, put together when whole, and stored
 * with a gap marker when the rest never comes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../core/store.h"
#include "../../db/sqlite.h"
#include "../../gateway/config_load.h"
#include "../../gateway/pipeline.h"
#include "../common/harness.h"
#include "../common/teststore.h"

#define NOW 1790000000LL

static char dir[64], dbpath[128];
static struct gw_config *cfg;
static struct store *st;

static int setup(void **state)
{
    setenv("TZ", "Asia/Shanghai", 1);
    snprintf(dir, sizeof dir, "/tmp/gw-pipe-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    char ini[160];
    snprintf(ini, sizeof ini, "%s/gw.ini", dir);
    char file[sizeof dbpath];
    snprintf(file, sizeof file, "%s/gw.db", dir);
    seed_store_where(dbpath, file);
    FILE *f = fopen(ini, "w");
    seed_store_ini(f, dbpath);
    fprintf(f, "[channel vonage]\nprovider = vonage\napi_key = k\napi_secret = s\nnumber = 1\n");
    fclose(f);
    char err[256];
    if (gw_config_load(ini, &cfg, err, sizeof err) != 0) return -1;
    if (seed_store_open(dbpath, 1, &st, err, sizeof err) != 0) return -1;
    return store_migrate(st, NULL, NULL, err, sizeof err);
}

static int teardown(void **state)
{
    store_close(st);
    seed_store_drop(dbpath);
    gw_config_free(cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int submit_part(const char *id, const char *ref, int total, int part, const char *text, int64_t at)
{
    struct pipeline_job job = {0};
    struct gw_msg *m = gw_msgv_push(&job.msgs);
    m->channel = strdup("vonage");
    m->provider_id = strdup(id);
    m->from = strdup("+8613700000001");
    m->text = strdup(text);
    m->concat_ref = strdup(ref);
    m->concat_total = total;
    m->concat_part = part;
    m->received_at = at;
    struct pipeline_job *jobs[] = {&job};
    int rc = pipeline_batch(st, cfg, jobs, 1, at);
    int ok = job.ok;
    pipeline_job_clear(&job);
    return rc == 0 && ok ? 0 : -1;
}

static void parts_wait_then_join(void **state)
{
    assert_int_equal(submit_part("a3", "7", 3, 3, "三", NOW), 0);
    assert_int_equal(submit_part("a1", "7", 3, 1, "一", NOW + 1), 0);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM inbox"), 0);
    assert_int_equal(submit_part("a1", "7", 3, 1, "一", NOW + 2), 0); /* a retry */
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM sms_part WHERE ref = '7'"), 2);
    assert_int_equal(submit_part("a2", "7", 3, 2, "二", NOW + 3), 0);
    char *t = tdb_text(dbpath, "SELECT raw_text FROM inbox WHERE provider_id = 'concat:a3'");
    assert_non_null(t);
    assert_string_equal(t, "一二三");
    free(t);
}

static void stale_group_is_stored_with_a_gap(void **state)
{
    assert_int_equal(submit_part("b1", "8", 3, 1, "QD ", NOW), 0);
    assert_int_equal(submit_part("b3", "8", 3, 3, "平安", NOW + 5), 0);
    /* Not yet stale: nothing happens. */
    assert_int_equal(pipeline_flush_parts(st, cfg, NOW + 60), 0);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM inbox WHERE provider_id = 'concat:b1'"), 0);
    assert_int_equal(pipeline_flush_parts(st, cfg, NOW + PIPELINE_PART_WAIT + 1), 0);
    char *t = tdb_text(dbpath, "SELECT raw_text FROM inbox WHERE provider_id = 'concat:b1'");
    assert_non_null(t);
    assert_string_equal(t, "QD […]平安");
    free(t);
    /* Once stored, the group is done: a late part starts nothing new by itself. */
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM sms_part WHERE ref = '8' AND inbox_id IS NULL"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parts_wait_then_join),
        cmocka_unit_test(stale_group_is_stored_with_a_gap),
    };
    return cmocka_run_group_tests_name("pipeline", tests, setup, teardown);
}
