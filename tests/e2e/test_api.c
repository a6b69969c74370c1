/* tests/e2e/test_api.c - the office API through the real binary: a
 * database migrated and loaded from the example roster, an integration's
 * token made with `gateway token create` (printed once), GET /api/v1/me
 * answered with who the token is, a reported case listed and read through
 * /api/v1/cases, `token list` showing its use (never its
 * hash), and the token refused once `gateway token revoke` ran, while the
 * server keeps running.
 */
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

static struct gw_proc G;

/* Runs the gateway with args; asserts the exit status; returns stdout (owned). */
static char *run(const char *const *args, int want, char **err)
{
    char *out = NULL;
    int rc = gwp_run(args, &out, err);
    if (rc != want) fail_msg("%s %s: exit %d, expected %d: %s", args[0], args[3] ? args[3] : "", rc, want,
                             err && *err ? *err : "");
    assert_non_null(out);
    return out;
}

static int setup(void **state)
{
    (void)state;
    if (gwp_init(&G, NULL, 0) != 0) return -1;
    const char *migrate[] = {"migrate", "-c", G.cfg, NULL};
    if (gwp_run(migrate, NULL, NULL) != 0) return -1;
    static const char *const kinds[] = {"regions", "staff", "children", "guardians"};
    for (int i = 0; i < 4; i++) {
        char csv[256];
        snprintf(csv, sizeof csv, "examples/roster/%s.csv", kinds[i]);
        const char *args[] = {"import", "-c", G.cfg, kinds[i], csv, NULL};
        if (gwp_run(args, NULL, NULL) != 0) return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gwp_cleanup(&G);
    return 0;
}

/* GET /api/v1/me with "Authorization: Bearer token" (NULL: no header). */
static void get_me(const char *token, struct http_resp *r)
{
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token ? token : "");
    const char *headers[] = {auth, NULL};
    assert_int_equal(http_req(G.port, "GET", "/api/v1/me", token ? headers : NULL, NULL, 0, r), 0);
}

/* GET target with "Authorization: Bearer token". */
static void api_get(const char *token, const char *target, struct http_resp *r)
{
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    const char *headers[] = {auth, NULL};
    assert_int_equal(http_req(G.port, "GET", target, headers, NULL, 0, r), 0);
}

/* A report opens a case: the county token lists it (no reporter) and
 * reads it (the reporter whole for a county; one audit row). */
static void county_reads_a_reported_case(const char *token)
{
    struct http_resp r;
    assert_int_equal(post_generic(G.port, "api-bg-1", "+8613900000077", "BG 4 孩子在河边走失了", &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
    char *number = db_text(G.db, "SELECT number FROM cases ORDER BY id DESC LIMIT 1");
    assert_non_null(number);
    api_get(token, "/api/v1/cases", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, number));
    assert_null(strstr(r.body, "13900000077"));
    http_resp_free(&r);
    char target[64];
    snprintf(target, sizeof target, "/api/v1/cases/%s", number);
    api_get(token, target, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"reporter\":\"+8613900000077\""));
    http_resp_free(&r);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM audit WHERE action = 'read case' AND records = 'case:%s'",
                            number),
                     1);
    api_get(token, "/api/v1/cases/000000000000", &r);
    assert_int_equal(r.status, 404);
    http_resp_free(&r);
    free(number);
}

static void a_token_reads_me_until_revoked(void **state)
{
    (void)state;
    char *err = NULL;
    const char *create[] = {"token", "-c", G.cfg, "create", "county-crm", "--role", "county", "--region", "示例县",
                            NULL};
    char *out = run(create, 0, &err);
    assert_non_null(strstr(err, "cannot be shown again"));
    free(err);
    char token[128];
    assert_int_equal(sscanf(out, "%127s", token), 1);
    assert_int_equal(strlen(token), 47);
    assert_memory_equal(token, "gwt_", 4);
    assert_string_equal(out + strlen(token), "\n"); /* one line */
    free(out);

    /* Refusals: a duplicate name, an unknown role, a town for a county token. */
    out = run(create, 1, &err);
    assert_non_null(strstr(err, "already exists"));
    free(out);
    free(err);
    const char *bad_role[] = {"token", "-c", G.cfg, "create", "x", "--role", "mayor", NULL};
    free(run(bad_role, 1, NULL));
    const char *bad_region[] = {"token", "-c", G.cfg, "create", "y", "--role", "county", "--region", "示例县/东溪镇",
                                NULL};
    free(run(bad_region, 1, NULL));

    assert_int_equal(gwp_start(&G), 0);
    struct http_resp r;
    get_me(token, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.ctype, "application/json"));
    json_error_t jerr;
    json_t *j = json_loads(r.body, 0, &jerr);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "county-crm");
    assert_string_equal(json_string_value(json_object_get(j, "role")), "county");
    assert_string_equal(json_string_value(json_object_get(j, "region")), "示例县");
    assert_true(json_is_null(json_object_get(j, "department")));
    json_decref(j);
    http_resp_free(&r);

    county_reads_a_reported_case(token);

    get_me(NULL, &r);
    assert_int_equal(r.status, 401);
    assert_non_null(strstr(r.body, "\"error\""));
    http_resp_free(&r);
    get_me("gwt_not-a-token", &r);
    assert_int_equal(r.status, 401);
    http_resp_free(&r);

    /* The list shows the use, never the hash. */
    const char *list[] = {"token", "-c", G.cfg, "list", NULL};
    out = run(list, 0, NULL);
    char *hash = db_text(G.db, "SELECT hash FROM api_token WHERE name = 'county-crm'");
    assert_non_null(hash);
    assert_null(strstr(out, hash));
    assert_null(strstr(out, token));
    char *line = strstr(out, "county-crm\tcounty\t示例县\t-\t");
    assert_non_null(line);
    assert_null(strstr(line, "\t-\t-\n")); /* last used is set */
    free(hash);
    free(out);

    const char *revoke[] = {"token", "-c", G.cfg, "revoke", "county-crm", NULL};
    free(run(revoke, 0, NULL));
    get_me(token, &r);
    assert_int_equal(r.status, 401);
    http_resp_free(&r);
    const char *revoke_unknown[] = {"token", "-c", G.cfg, "revoke", "nobody", NULL};
    free(run(revoke_unknown, 1, NULL));
    assert_int_equal(gwp_stop(&G, 15), 0);
}

int main(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_token_reads_me_until_revoked),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
