/* tests/e2e/test_queries.c - questions by SMS through the real binary on
 * the demo roster, with the clock moved 40 days past the import so that
 * every child in scope has fallen due:
 *   CX 待访 gives a director their village's children due this month, five
 *   codes to an SMS, paged to the end; the same question in words gets the
 *   same answer; every child in scope (as the coverage export counts them)
 *   is listed once; a child just visited leaves the list;
 *   a supervisor's list covers their town;
 *   CX 走访 answers with the coverage export's own numbers, for a director's
 *   village and a supervisor's town;
 *   responders, parents and unknown numbers get one refusal.
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

#define DAY        86400L
#define DIRECTOR   "+8613800000001" /* 上湾村 */
#define SUPERVISOR "+8613800001001" /* 东溪镇 */
#define RESPONDER  "+8613800002001"
#define PARENT     "+8613900000002"
#define STRANGER   "+8613755550001"
#define VILLAGE    "示例县/东溪镇/上湾村"
#define TOWN       "示例县/东溪镇"

static struct gw_proc G;

static int setup(void **state)
{
    (void)state;
    if (gwp_init(&G, NULL, 1) != 0) return -1;
    /* 40 days on, and never the 1st of a month (a visit then would still
     * fall due within the month). */
    long offset = 40 * DAY;
    time_t t = time(NULL) + offset;
    struct tm tm;
    localtime_r(&t, &tm);
    if (tm.tm_mday == 1) offset += DAY;
    char off[32];
    snprintf(off, sizeof off, "%ld", offset);
    setenv("GATEWAY_CLOCK_OFFSET", off, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gwp_cleanup(&G);
    unsetenv("GATEWAY_CLOCK_OFFSET");
    return 0;
}

static char *sms(const char *from, const char *text)
{
    const char *args[] = {"sms", "-c", G.cfg, "--from", from, text, NULL};
    char *out = NULL, *err = NULL;
    int rc = gwp_run(args, &out, &err);
    if (rc != 0) fail_msg("sms from %s '%s': %d %s", from, text, rc, err ? err : "");
    free(err);
    assert_non_null(out);
    return out;
}

/* A number of the coverage export's row for region, by column name. */
static long coverage(const char *region, const char *column)
{
    const char *args[] = {"export", "-c", G.cfg, "coverage", NULL};
    char *out = NULL, *err = NULL;
    assert_int_equal(gwp_run(args, &out, &err), 0);
    free(err);
    int col = -1;
    long v = -1;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *fs = NULL, *f[32];
        int n = 0;
        for (char *x = strtok_r(line, ",", &fs); x && n < 32; x = strtok_r(NULL, ",", &fs)) f[n++] = x;
        if (col < 0) {
            for (int i = 0; i < n; i++)
                if (!strcmp(f[i], column)) col = i;
            assert_true(col >= 0);
            continue;
        }
        if (n > col && n > 1 && !strcmp(f[1], region)) v = strtol(f[col], NULL, 10);
    }
    free(out);
    assert_true(v >= 0);
    return v;
}

/* The count and the codes of one page of a CX 待访 answer. */
static long due_page(const char *out, char codes[][8], int *n, int *next)
{
    long count = -1;
    const char *p = strstr(out, "本月待访");
    assert_non_null(p);
    count = strtol(p + strlen("本月待访"), NULL, 10);
    const char *q = strstr(p, "：");
    assert_non_null(q);
    q += strlen("：");
    *n = 0;
    while (*q >= '0' && *q <= '9') {
        memcpy(codes[*n], q, 7);
        codes[*n][7] = '\0';
        (*n)++;
        q += 7;
        if (strncmp(q, "、", strlen("、")) == 0) q += strlen("、");
    }
    const char *nx = strstr(out, "下页发CX 待访 ");
    *next = nx ? (int)strtol(nx + strlen("下页发CX 待访 "), NULL, 10) : 0;
    return count;
}

/* Pages through CX 待访; returns the count and fills all[] (at most max). */
static long due_list(const char *from, char all[][8], int max, int *nall)
{
    long count = -1;
    int page = 1;
    *nall = 0;
    while (page) {
        char text[32];
        snprintf(text, sizeof text, page == 1 ? "CX 待访" : "CX 待访 %d", page);
        char *out = sms(from, text);
        char codes[8][8];
        int n, next;
        long c = due_page(out, codes, &n, &next);
        if (count < 0) count = c;
        assert_int_equal(c, count);
        assert_true(n >= 1 && n <= 5);
        if (next) assert_int_equal(n, 5);
        for (int i = 0; i < n && *nall < max; i++) memcpy(all[(*nall)++], codes[i], 8);
        free(out);
        assert_true(page < 100);
        page = next;
    }
    return count;
}

static void a_director_asks_who_is_due(void **state)
{
    (void)state;
    char all[64][8];
    int n;
    long count = due_list(DIRECTOR, all, 64, &n);
    /* Nobody visited yet, all due: the list is the village's children in scope. */
    long in_scope = coverage(VILLAGE, "children_in_scope");
    assert_int_equal(count, in_scope);
    assert_int_equal(n, in_scope);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < i; j++)
            if (!strcmp(all[i], all[j])) fail_msg("%s listed twice", all[i]);
        char *path = db_text(G.db, "SELECT r.path FROM child c JOIN region r ON r.id = c.region_id WHERE c.code = %Q",
                             all[i]);
        assert_non_null(path);
        assert_string_equal(path, VILLAGE);
        free(path);
    }

    /* The same question in words. */
    char *a = sms(DIRECTOR, "CX 待访");
    char *b = sms(DIRECTOR, "哪些孩子要走访？");
    char *c = sms(DIRECTOR, "查询待访");
    assert_string_equal(a, b);
    assert_string_equal(a, c);
    free(b);
    free(c);

    /* Past the last page. */
    char text[32];
    snprintf(text, sizeof text, "CX 待访 %d", (int)(n + 4) / 5 + 1);
    char *past = sms(DIRECTOR, text);
    assert_non_null(strstr(past, "待访名单共"));
    free(past);

    /* A child visited today leaves this month's list. */
    char *visit = sms(DIRECTOR, "ZF 1110011 1");
    assert_non_null(strstr(visit, "已记录儿童1110011"));
    free(visit);
    char *after = sms(DIRECTOR, "CX 待访");
    char codes[8][8];
    int m, next;
    assert_int_equal(due_page(after, codes, &m, &next), count - 1);
    free(after);
    char rest[64][8];
    int nrest;
    due_list(DIRECTOR, rest, 64, &nrest);
    for (int i = 0; i < nrest; i++) assert_string_not_equal(rest[i], "1110011");
    free(a);
}

static void a_supervisor_asks_for_the_town(void **state)
{
    (void)state;
    char *out = sms(SUPERVISOR, "CX 待访");
    char codes[8][8];
    int n, next;
    long count = due_page(out, codes, &n, &next);
    /* Every child of the town in scope but the one visited this month. */
    assert_int_equal(count, coverage(TOWN, "children_in_scope") - 1);
    assert_int_equal(next, 2);
    free(out);
}

static void coverage_is_the_exports(void **state)
{
    (void)state;
    char want[256];
    char *out = sms(DIRECTOR, "CX 走访");
    snprintf(want, sizeof want, "上湾村走访：在册%ld名，按期已访%ld名，逾期超7天%ld名。",
             coverage(VILLAGE, "children_in_scope"), coverage(VILLAGE, "visited_in_person"),
             coverage(VILLAGE, "overdue_7"));
    assert_string_equal(strtok(out, "\n"), want);
    assert_true(coverage(VILLAGE, "visited_in_person") >= 1);
    assert_true(coverage(VILLAGE, "overdue_7") >= 1);
    free(out);

    out = sms(SUPERVISOR, "走访情况");
    snprintf(want, sizeof want, "东溪镇走访：在册%ld名，按期已访%ld名，逾期超7天%ld名。",
             coverage(TOWN, "children_in_scope"), coverage(TOWN, "visited_in_person"), coverage(TOWN, "overdue_7"));
    assert_string_equal(strtok(out, "\n"), want);
    free(out);
}

static void others_are_refused_alike(void **state)
{
    (void)state;
    char *r = sms(RESPONDER, "CX 待访");
    char *p = sms(PARENT, "CX 待访");
    char *s = sms(STRANGER, "CX 走访");
    assert_non_null(strstr(r, "只有儿童主任和督导员可以查询"));
    assert_string_equal(r, p);
    assert_string_equal(r, s);
    assert_null(strstr(r, "111")); /* no code */
    free(r);
    free(p);
    free(s);
}

int main(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_director_asks_who_is_due),
        cmocka_unit_test(a_supervisor_asks_for_the_town),
        cmocka_unit_test(coverage_is_the_exports),
        cmocka_unit_test(others_are_refused_alike),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
