/* tests/e2e/test_fixtures.c - every provider fixture, sent over a real
 * socket to the running gateway: the answer's status is the fixture's, an
 * accepted message is stored exactly once (retries included), and a
 * refused one stores nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "../common/fixture.h"
#include "../common/harness.h"

static struct gw_proc G;

static int setup(void **state)
{
    if (gwp_init(&G, NULL, 1) != 0 || gwp_start(&G) != 0) return -1;
    return 0;
}

static int teardown(void **state)
{
    gwp_cleanup(&G);
    return 0;
}

static void run_dir(const char *provider)
{
    char dir[256], err[256];
    snprintf(dir, sizeof dir, "%s/%s", fixture_root(), provider);
    char **files;
    size_t n;
    assert_int_equal(fixture_list(dir, &files, &n, err, sizeof err), 0);
    assert_true(n > 0);
    int ran = 0;
    for (size_t i = 0; i < n; i++) {
        struct fixture fx;
        assert_int_equal(fixture_load(files[i], &fx, err, sizeof err), 0);
        const char *skip = fixture_expect(&fx, "e2e");
        if (skip && !strcmp(skip, "skip")) {
            fixture_free(&fx);
            continue;
        }
        const char *hdrs[FIXTURE_MAX_HEADERS + 1];
        char lines[FIXTURE_MAX_HEADERS][512];
        size_t nh = 0;
        for (size_t h = 0; h < fx.nheaders; h++) {
            if (!strcasecmp(fx.headers[h].key, "Host") || !strcasecmp(fx.headers[h].key, "Content-Length")) continue;
            snprintf(lines[nh], sizeof lines[nh], "%s: %s", fx.headers[h].key, fx.headers[h].value);
            hdrs[nh] = lines[nh];
            nh++;
        }
        /* libcurl adds a Content-Type of its own to a POST without one. */
        if (!fixture_header(&fx, "Content-Type") && !strcmp(fx.method, "POST")) hdrs[nh++] = "Content-Type:";
        hdrs[nh] = NULL;
        int64_t before = db_int(G.db, "SELECT count(*) FROM inbox");
        struct http_resp r;
        assert_int_equal(http_req(G.port, fx.method, fx.target, hdrs, fx.body_len ? fx.body : NULL, fx.body_len, &r),
                         0);
        const char *want = fixture_expect(&fx, "status");
        long status = want ? atol(want) : 200;
        if (r.status != status) fail_msg("%s: status %ld, expected %ld (%s)", files[i], r.status, status, r.body);
        const char *id = fixture_expect(&fx, "id");
        const char *ignored = fixture_expect(&fx, "ignored");
        const char *channel = !strcmp(provider, "twilio") ? "twilio" : "generic";
        if (status == 200 && id && !(ignored && !strcmp(ignored, "yes"))) {
            int64_t c = db_int(G.db, "SELECT count(*) FROM inbox WHERE channel = %Q AND provider_id = %Q", channel, id);
            if (c != 1) fail_msg("%s: message %s stored %lld times", files[i], id, (long long)c);
            const char *from = fixture_expect(&fx, "from");
            if (from) {
                char *sender = db_text(G.db, "SELECT sender FROM inbox WHERE channel = %Q AND provider_id = %Q",
                                       channel, id);
                assert_non_null(sender);
                /* Stored in E.164 whatever shape the provider used. */
                assert_true(sender[0] == '+');
                free(sender);
            }
        } else if (status != 200) {
            if (db_int(G.db, "SELECT count(*) FROM inbox") != before) fail_msg("%s: a refused request stored rows", files[i]);
        }
        http_resp_free(&r);
        fixture_free(&fx);
        ran++;
    }
    print_message("%s: %d fixtures sent\n", provider, ran);
    assert_true(ran > 5);
    fixture_list_free(files, n);
}

static void generic_fixtures(void **state) { run_dir("generic"); }
static void twilio_fixtures(void **state) { run_dir("twilio"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generic_fixtures),
        cmocka_unit_test(twilio_fixtures),
    };
    return cmocka_run_group_tests_name("e2e provider fixtures", tests, setup, teardown);
}
