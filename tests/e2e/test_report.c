/* tests/e2e/test_report.c - `gateway report` through the real binary, on
 * the demo roster (examples/roster/, imported by the harness today):
 *   a visit sent by SMS shows in this year's report (--year, the year not
 *   over: the rows run to today), in the village's row and its county's;
 *   last year's report counts none of today's children (they were
 *   registered after it);
 *   --format html is one printable page with its SVG charts;
 *   bad dates, from after to and an unknown region exit 2 and audit
 *   nothing; each report run leaves one audit row (action report, the
 *   period and the region) before its output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../common/harness.h"

#define DIRECTOR "+8613800000001" /* 上湾村 */
#define VILLAGE  "示例县/东溪镇/上湾村"

static struct gw_proc G;

static int setup(void **state)
{
    (void)state;
    return gwp_init(&G, NULL, 1);
}

static int teardown(void **state)
{
    (void)state;
    gwp_cleanup(&G);
    return 0;
}

/* Runs `gateway ARGS...` expecting status want; returns stdout (owned). */
static char *run(int want, const char *const *args)
{
    char *out = NULL, *err = NULL;
    int rc = gwp_run(args, &out, &err);
    if (rc != want) fail_msg("%s: exit %d (want %d): %s", args[0], rc, want, err ? err : "");
    free(err);
    return out ? out : calloc(1, 1);
}

/* Field col (0-based) of the CSV line that holds text, into out. */
static void field(const char *csv, const char *text, int col, char *out, size_t outlen)
{
    const char *line = strstr(csv, text);
    if (!line) fail_msg("no line with %s in:\n%s", text, csv);
    while (line > csv && line[-1] != '\n') line--;
    for (int i = 0; i < col; i++) line = strchr(line, ',') + 1;
    size_t n = strcspn(line, ",\n");
    snprintf(out, outlen, "%.*s", (int)(n < outlen ? n : outlen - 1), line);
}

static void a_year_report_and_its_audit_row(void **state)
{
    (void)state;
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char year[16], last[16], today[16], first[32];
    snprintf(year, sizeof year, "%d", tm.tm_year + 1900);
    snprintf(last, sizeof last, "%d", tm.tm_year + 1899);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    snprintf(first, sizeof first, "%s-01-01", year);

    const char *sms[] = {"sms", "-c", G.cfg, "--from", DIRECTOR, "ZF 1110011 1", NULL};
    free(run(0, sms));
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM visit"), 1);

    const char *bad[][12] = {
        {"report", "-c", G.cfg, "--from", "2024-03-02", "--to", "2024-03-01", NULL},
        {"report", "-c", G.cfg, "--from", "2024-02-30", "--to", "2024-03-01", NULL},
        {"report", "-c", G.cfg, "--year", "20x4", NULL},
        {"report", "-c", G.cfg, "--year", year, "--region", "示例县/无此镇", NULL},
        {"report", "-c", G.cfg, "--year", year, "--format", "pdf", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = run(2, bad[i]);
        assert_string_equal(out, "");
        free(out);
    }
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM audit WHERE action = 'report'"), 0);

    /* This year, everywhere: from 1 January to today. Columns: from 0, to 1,
     * complete 2, level 3, region 4, children 5, visits 14. */
    const char *csv_args[] = {"report", "-c", G.cfg, "--year", year, NULL};
    char *csv = run(0, csv_args), f[64];
    assert_true(strncmp(csv, "from,to,complete,level,region,children,", 39) == 0);
    char period[64];
    snprintf(period, sizeof period, "\n%s,%s,", first, today); /* every row's */
    assert_non_null(strstr(csv, period));
    field(csv, "county,示例县,", 14, f, sizeof f);
    assert_string_equal(f, "1");
    field(csv, "village," VILLAGE ",", 14, f, sizeof f);
    assert_string_equal(f, "1");
    field(csv, "village," VILLAGE ",", 5, f, sizeof f);
    assert_true(atoi(f) > 0);
    free(csv);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM audit WHERE action = 'report' AND records = "
                                  "'from:%s to:%s region:*'",
                            first, today),
                     1);

    /* Last year: the roster was registered today, so nobody counts. */
    const char *last_args[] = {"report", "-c", G.cfg, "--year", last, "--region", "示例县", NULL};
    csv = run(0, last_args);
    field(csv, "county,示例县,", 5, f, sizeof f);
    assert_string_equal(f, "0");
    field(csv, "county,示例县,", 2, f, sizeof f);
    assert_string_equal(f, "1");
    free(csv);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM audit WHERE action = 'report' AND records = "
                                  "'from:%s-01-01 to:%s-12-31 region:示例县'",
                            last, last),
                     1);

    /* The printable page. */
    const char *html_args[] = {"report", "-c", G.cfg, "--year", year, "--format", "html", NULL};
    char *html = run(0, html_args);
    assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(strstr(html, "@media print"));
    assert_non_null(strstr(html, "<svg"));
    assert_non_null(strstr(html, "上湾村"));
    assert_null(strstr(html, "<script"));
    assert_non_null(strstr(html, "</html>"));
    free(html);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM audit WHERE action = 'report'"), 3);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM audit WHERE action = 'report' AND actor = 'cli' "
                                  "AND role = 'admin'"),
                     3);
}

int main(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_year_report_and_its_audit_row, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
