/* tests/unit/test_pipeline.c - the pipeline on a real SQLite file without
 * HTTP: concatenated parts waiting, put together when whole, and stored
 * with a gap marker when the rest never comes; a batch in which one
 * message's handling fails keeps every other message's effects. */
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


/* Appends an SMS from `from` with provider id `id` to job. */
static void add_sms(struct pipeline_job *job, const char *id, const char *from, const char *text)
{
    struct gw_msg *m = gw_msgv_push(&job->msgs);
    m->channel = strdup("vonage");
    m->provider_id = strdup(id);
    m->from = strdup(from);
    m->text = strdup(text);
    m->received_at = NOW;
}

static void one_failure_costs_only_its_message(void **state)
{
    /* Fault injection (raw SQL): opening a case whose report says "FAULT"
     * fails, its fallback's case too. */
    if (seed_is_pg(dbpath))
        tdb_exec(dbpath, "CREATE FUNCTION inject_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
                         "'injected fault'; END $$; CREATE TRIGGER inject_fault BEFORE INSERT ON cases FOR EACH ROW "
                         "WHEN (NEW.description LIKE '%%FAULT%%') EXECUTE FUNCTION inject_fault()");
    else
        tdb_exec(dbpath, "CREATE TRIGGER inject_fault BEFORE INSERT ON cases WHEN NEW.description LIKE '%%FAULT%%' "
                         "BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
    struct pipeline_job a = {0}, b = {0};
    add_sms(&a, "f1", "+8613700000011", "BG 9 村里有个孩子没人管");
    add_sms(&a, "f2", "+8613700000012", "BG 9 FAULT 孩子没人管");
    add_sms(&a, "f3", "+8613700000013", "BG 9 邻居家孩子没人照顾");
    add_sms(&b, "f4", "+8613700000014", "BG 9 孩子一个人在家");
    struct pipeline_job *jobs[] = {&a, &b};
    assert_int_equal(pipeline_batch(st, cfg, jobs, 2, NOW), 0);
    /* Every message acknowledged and stored once, the failure counted... */
    assert_true(a.ok && b.ok);
    assert_int_equal(a.stored, 3);
    assert_int_equal(b.stored, 1);
    assert_int_equal(a.handler_errors, 1);
    assert_int_equal(b.handler_errors, 0);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM inbox WHERE provider_id IN ('f1','f2','f3','f4')"), 4);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM inbox WHERE provider_id = 'f2' AND result = 'error'"), 1);
    /* ... the others with their case, one each, and a reply each ... */
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM inbox i JOIN cases c ON c.inbox_id = i.id "
                                     "WHERE i.provider_id IN ('f1','f3','f4') AND i.result <> 'error'"),
                     3);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM cases c JOIN inbox i ON i.id = c.inbox_id "
                                     "WHERE i.provider_id = 'f2'"),
                     0);
    for (int i = 1; i <= 4; i++)
        assert_int_equal(tdb_int(dbpath,
                                 "SELECT count(*) FROM outbox o JOIN inbox i ON i.id = o.inbox_id "
                                 "WHERE i.provider_id = 'f%d' AND o.recipient = '+861370000001%d'",
                                 i, i),
                         1);
    /* ... and the job's ids are the stored rows'. */
    assert_int_equal(tdb_int(dbpath, "SELECT id FROM inbox WHERE provider_id = 'f4'"), b.inbox_ids[0]);
    assert_int_equal(tdb_int(dbpath, "SELECT id FROM inbox WHERE provider_id = 'f2'"), a.inbox_ids[1]);
    pipeline_job_clear(&a);
    pipeline_job_clear(&b);
    tdb_exec(dbpath, seed_is_pg(dbpath) ? "DROP TRIGGER inject_fault ON cases" : "DROP TRIGGER inject_fault");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parts_wait_then_join),
        cmocka_unit_test(stale_group_is_stored_with_a_gap),
        cmocka_unit_test(one_failure_costs_only_its_message),
    };
    return cmocka_run_group_tests_name("pipeline", tests, setup, teardown);
}
