/* tests/e2e/test_exports_file.c - one child's file, the national feed and
 * the purge through the real binary, on the demo roster (examples/roster/,
 * imported by the harness) with [privacy] id_key, the demo mapping of
 * examples/national.ini and [retention]:
 *   `export file CODE` prints the JSON file (the ID number masked, the SMS
 *   behind a visit listed), `--format html` the printable page, an unknown
 *   code exits 1; each printed file leaves one audit row first;
 *   `export national` writes the mapping with a byte-order mark and the ID
 *   number opened; `purge --dry-run` and `purge` run and are told apart in
 *   the audit trail;
 *   the served dashboard page GET /api/v1/children/CODE/file.html answers
 *   text/html to a token, audited. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../common/harness.h"

#define DIRECTOR "+8613800000001" /* 上湾村 */
#define CHILD    "1110011"        /* 陈志强, 2019-09-08, 上湾村 */
#define ID_FULL  "110105201909080019"
#define KEY_HEX  "0707070707070707070707070707070707070707070707070707070707070707"

static struct gw_proc G;

static int setup(void **state)
{
    char ini[4096];
    size_t len = 0;
    char *mapping = read_file("examples/national.ini", &len);
    if (!mapping) return -1;
    snprintf(ini, sizeof ini, "[privacy]\nid_key = %s\n[retention]\nreporter_days = 30\nmessage_days = 30\n%s",
             KEY_HEX, mapping);
    free(mapping);
    return gwp_init(&G, ini, 1);
}

static int teardown(void **state)
{
    gwp_cleanup(&G);
    return 0;
}

/* Runs the binary with args expecting exit status want: its stdout (owned); its stderr into *err (owned) when err. */
static char *run(int want, const char *const *args, char **err)
{
    char *out = NULL, *e = NULL;
    int rc = gwp_run(args, &out, &e);
    if (rc != want) fail_msg("%s %s: exit %d (want %d): %s", args[0], args[3], rc, want, e ? e : "");
    if (err)
        *err = e ? e : calloc(1, 1);
    else
        free(e);
    return out ? out : calloc(1, 1);
}

static void has(const char *out, const char *want)
{
    if (!strstr(out, want)) fail_msg("output \"%.300s\" lacks \"%s\"", out, want);
}

/* Re-imports the child with its national ID and school (the key is in the config). */
static void register_id_number(void)
{
    char csv[400];
    snprintf(csv, sizeof csv, "%s/kid.csv", G.dir);
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fputs("code,name,sex,birth_date,region,categories,flags,id_number,school\n" CHILD
          ",陈志强,M,2019-09-08,示例县/东溪镇/上湾村,difficulty,," ID_FULL ",上湾小学\n",
          f);
    fclose(f);
    const char *imp[] = {"import", "-c", G.cfg, "children", csv, NULL};
    free(run(0, imp, NULL));
}

static void file_national_and_purge_from_the_command_line(void **state)
{
    const char *sms[] = {"sms", "-c", G.cfg, "--from", DIRECTOR, "ZF " CHILD " 1", NULL};
    free(run(0, sms, NULL));
    register_id_number();

    const char *file[] = {"export", "-c", G.cfg, "file", CHILD, NULL};
    char *out = run(0, file, NULL);
    assert_null(strstr(out, ID_FULL));
    json_error_t jerr;
    json_t *j = json_loads(out, 0, &jerr);
    if (!j) fail_msg("not JSON: %s", jerr.text);
    const json_t *child = json_object_get(j, "child");
    assert_string_equal(json_string_value(json_object_get(child, "code")), CHILD);
    assert_string_equal(json_string_value(json_object_get(child, "school")), "上湾小学");
    assert_true(json_is_string(json_object_get(child, "id_masked")));
    assert_int_equal(json_array_size(json_object_get(j, "visits")), 1);
    assert_int_equal(json_array_size(json_object_get(j, "messages")), 1);
    has(json_string_value(json_object_get(json_array_get(json_object_get(j, "messages"), 0), "text")), "ZF " CHILD);
    json_decref(j);
    free(out);

    const char *html[] = {"export", "-c", G.cfg, "file", CHILD, "--format", "html", NULL};
    out = run(0, html, NULL);
    has(out, "<!DOCTYPE html>");
    has(out, "<h2>走访记录</h2>");
    has(out, "上湾小学");
    assert_null(strstr(out, ID_FULL));
    assert_null(strstr(out, "<script"));
    free(out);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM audit WHERE action = 'export file' AND records = "
                                  "'child:" CHILD "' AND actor = 'cli'"),
                     2);

    char *err;
    const char *unknown[] = {"export", "-c", G.cfg, "file", "9999999", NULL};
    free(run(1, unknown, &err));
    has(err, "no child with code '9999999'");
    free(err);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM audit WHERE action = 'export file'"), 2);

    const char *national[] = {"export", "-c", G.cfg, "national", NULL};
    out = run(0, national, &err);
    assert_memory_equal(out, "\xEF\xBB\xBF儿童编号,姓名,性别,出生日期,身份证号,", strlen("\xEF\xBB\xBF儿童编号,姓名,性别,出生日期,身份证号,"));
    has(out, "\r\n" CHILD ",陈志强,男,2019-09-08," ID_FULL ",示例县,东溪镇,上湾村,困境儿童,");
    has(err, "export national: 200 children");
    free(out);
    free(err);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM audit WHERE action = 'export national'"), 1);

    const char *dry[] = {"purge", "-c", G.cfg, "--dry-run", NULL};
    out = run(0, dry, NULL);
    has(out, "changing nothing");
    free(out);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM audit WHERE action = 'purge'"), 0);
    const char *purge[] = {"purge", "-c", G.cfg, NULL};
    out = run(0, purge, NULL);
    has(out, "purge: removed (reporter_days = 30, message_days = 30)");
    free(out);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM audit WHERE action = 'purge' AND "
                                  "purpose = 'retention reporter_days=30 message_days=30'"),
                     1);
    /* The SMS is days old, not 30: still there. */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM inbox WHERE raw_text = 'ZF " CHILD " 1'"), 1);
}

static void dashboard_page_is_served_as_html(void **state)
{
    const char *create[] = {"token", "-c", G.cfg, "create", "office", "--role", "admin", NULL};
    char *out = run(0, create, NULL), token[128], auth[160];
    assert_int_equal(sscanf(out, "%127s", token), 1);
    free(out);
    assert_int_equal(gwp_start(&G), 0);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    const char *headers[] = {auth, NULL};
    struct http_resp r;
    assert_int_equal(http_req(G.port, "GET", "/api/v1/children/" CHILD "/file.html?purpose=monthly_review", headers,
                              NULL, 0, &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "text/html; charset=utf-8");
    has(r.body, "<!DOCTYPE html>");
    has(r.body, "儿童档案");
    http_resp_free(&r);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM audit WHERE action = 'export file' AND actor = "
                                  "'token:office' AND purpose = 'monthly_review'"),
                     1);
    assert_int_equal(gwp_stop(&G, 15), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(file_national_and_purge_from_the_command_line, setup, teardown),
        cmocka_unit_test_setup_teardown(dashboard_page_is_served_as_html, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
