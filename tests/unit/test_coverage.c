/* tests/unit/test_coverage.c - the coverage export: exact CSV rows for a
 * seeded county (two towns, four villages, one of them with 32 children and
 * one director, and a second, empty county), visits at the edges of each
 * cadence window, first visits due after working days, away parents who
 * did and did not check in, cases at every priority with their
 * acknowledgements; children past their categories' age; then the
 * --from/--to window of the median, other policies, bad dates and the
 * CLI wrapper.
 *
 * Every test gets a fresh migrated database in a temporary file, seeded as
 * the product writes it (tests/common/seed.h): the roster through the
 * import, visits, check-ins and cases through the store port. Child codes
 * are numbered by village, with their check digit. The clock is fixed at
 * 2025-06-15T12:00:00+08:00 (a Sunday) and TZ is Asia/Shanghai. The
 * comments next to the seed say what each row is for; the expected rows
 * below follow from them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../core/calendar.h"
#include "../../core/damm.h"
#include "../../core/store.h"
#include "../../db/sqlite.h"
#include "../../core/config.h"
#include "../../gateway/export.h"
#include "../../gateway/roster.h"
#include "../../handlers/roster_import.h"
#include "../../core/util.h"
#include "../common/localtime.h"
#include "../common/seed.h"
#include "../common/teststore.h"

#define NOW 1749960000LL /* 2025-06-15T12:00:00+08:00 */

static int setup(void **state) { return test_store_setup(state, "gw-coverage", 0); }

static int teardown(void **state) { return test_store_teardown(state); }

/* ---- the seeded county ----------------------------------------------------------- */

/* Imports one child of village `village` (a path) as of `at`. */
static void child(struct test_store *c, const char *prefix, int n, const char *name, const char *sex, const char *birth,
                  const char *village, const char *categories, const char *flags, int64_t at)
{
    char k[8], csv[512];
    snprintf(csv, sizeof csv, "code,name,sex,birth_date,region,categories,flags\n%s,%s,%s,%s,%s,%s,%s\n",
             seed_code(k, prefix, n), name, sex, birth, village, categories, flags);
    seed_roster(c->st, "children", csv, at);
}

/* A visit of child n of prefix by staff phone on date with result, recorded at 0. */
static void visit(struct test_store *c, const char *prefix, int n, const char *phone, const char *date, int result)
{
    char k[8];
    seed_visit(c->st, seed_code(k, prefix, n), phone, date, result, NULL, 0);
}

/* A check-in (status 1) of guardian phone for child n of prefix at `at`. */
static void checkin(struct test_store *c, const char *phone, const char *prefix, int n, int64_t at)
{
    char k[8];
    seed_checkin(c->st, phone, seed_code(k, prefix, n), 1, at);
}

/* One case (department police) opened at `opened` with county and region
 * paths (NULL for none); acknowledged at acked (0: never) and closed at
 * closed (0: not closed) by the county's police responder. */
static void a_case(struct test_store *c, int category, int priority, const char *county, const char *region, int64_t opened,
                   int64_t acked, int64_t closed)
{
    static const char *const depts[] = {"police"};
    struct db_case_new n = {.category = category,
                            .classified = 1,
                            .priority = priority,
                            .depts = depts,
                            .ndepts = 1,
                            .county_id = county ? seed_region_id(c->st, county) : 0,
                            .region_id = region ? seed_region_id(c->st, region) : 0};
    int64_t id = seed_case(c->st, &n, opened, NULL), police = seed_staff_id(c->st, "+8613800000201");
    if (acked) seed_case_ack(c->st, id, police, acked);
    if (closed) seed_case_close(c->st, id, police, 1, NULL, closed);
}

#define JIA  "示例县/东镇/甲村"
#define YI   "示例县/东镇/乙村"
#define BING "示例县/西镇/丙村"

static void seed(struct test_store *c)
{
    seed_roster(c->st, "regions",
                "path\n示例县/东镇/甲村\n示例县/东镇/乙村\n示例县/西镇/丙村\n示例县/西镇/丁村\n"
                /* '-' sorts before '/' in bytes: this county must still come after 示例县's towns */
                "示例县-新区\n",
                NOW);
    seed_roster(c->st, "staff",
                "phone,name,role,region,department\n"
                "+8613800000001,甲村主任,director," JIA ",\n"
                "+8613800000002,乙村主任,director," YI ",\n"
                "+8613800000003,乙村主任二,director," YI ",\n"
                "+8613800000004,丙村主任,director," BING ",\n"
                "+8613800000101,东镇督导,supervisor,示例县/东镇,\n"
                "+8613800000201,值班民警,responder,示例县,police\n",
                NOW);

    /* 甲村: 32 children, all imported 2025-01-01 (a Wednesday): a first visit
     * was due on the 5th working day after, 2025-01-08. 7 (psych) and 9
     * (disabled) are on the raised cadence by their flags, 8 by an XL visit. */
    struct gw_buf csv = {0};
    gw_buf_puts(&csv, "code,name,sex,birth_date,region,categories,flags\n");
    for (int i = 1; i <= 32; i++) {
        char k[8];
        gw_buf_printf(&csv, "%s,甲%d,M,2015-01-01," JIA ",left_behind,%s\n", seed_code(k, "10", i), i,
                      i == 7 ? "psych" : i == 9 ? "child_disabled" : "");
    }
    seed_roster(c->st, "children", gw_buf_cstr(&csv), local_at("2025-01-01 09:00"));
    gw_buf_free(&csv);
    char k8[8];
    assert_int_equal(db_child_set_high_cadence(c->st, seed_child_id(c->st, seed_code(k8, "10", 8))), 0);
    const char *d1 = "+8613800000001";
    visit(c, "10", 1, d1, "2025-06-01", 1);  /* 14 days ago: in person */
    visit(c, "10", 2, d1, "2025-05-17", 2);  /* 29 days ago: still in the 30-day window */
    visit(c, "10", 3, d1, "2025-05-16", 3);  /* 30 days ago: due today, neither visited nor overdue */
    visit(c, "10", 4, d1, "2025-05-08", 1);  /* due 06-07: 8 days past, overdue_7 */
    visit(c, "10", 5, d1, "2025-05-09", 1);  /* due 06-08: 7 days past, not yet overdue_7 */
    visit(c, "10", 6, d1, "2025-04-01", 1);  /* due 05-01: 45 days past, overdue_30 ... */
    visit(c, "10", 6, d1, "2025-06-10", 4);  /* ... and a phone call: remote only, clock not reset */
    visit(c, "10", 7, d1, "2025-06-05", 1);  /* psych, 14-day cadence, 10 days ago: in person */
    visit(c, "10", 8, d1, "2025-06-01", 1);  /* raised cadence, 14 days ago: due today ... */
    visit(c, "10", 8, d1, "2025-06-14", 4);  /* ... video call yesterday: remote only */
    visit(c, "10", 9, d1, "2025-05-15", 1);  /* disabled, due 05-29: 17 days past, overdue_7 only */
    visit(c, "10", 10, d1, "2025-06-12", 4); /* only ever called: remote only, first visit overdue */
    visit(c, "10", 11, d1, "2025-06-20", 1); /* dated after today: not seen from now */
    /* children 12-32: never visited, overdue since 2025-01-08 */

    /* 乙村: four children, two directors. */
    /* Tue 06-10: first visit due Tue 06-17 */
    child(c, "20", 33, "乙33", "F", "2016-01-01", YI, "left_behind", "", local_at("2025-06-10 10:00"));
    /* Mon 06-02 00:30 local (Sunday in UTC): due Mon 06-09, 6 days past */
    child(c, "20", 34, "乙34", "F", "2016-01-01", YI, "left_behind", "", local_at("2025-06-02 00:30"));
    child(c, "20", 35, "乙35", "M", "2016-01-01", YI, "left_behind", "", local_at("2025-01-01 09:00"));
    /* Fri 05-30: due Fri 06-06, 9 days past */
    child(c, "20", 36, "乙36", "M", "2016-01-01", YI, "difficulty", "", local_at("2025-05-30 10:00"));
    visit(c, "20", 35, "+8613800000002", "2025-06-15", 1); /* today */

    /* 丙村: two children, one director. 丁村: nothing at all. */
    child(c, "30", 37, "丙37", "M", "2014-01-01", BING, "orphan", "", local_at("2025-01-01 09:00"));
    child(c, "30", 38, "丙38", "F", "2014-01-01", BING, "left_behind", "", local_at("2025-01-01 09:00"));
    visit(c, "30", 37, "+8613800000004", "2025-06-10", 1); /* in person */
    visit(c, "30", 38, "+8613800000004", "2025-03-01", 4); /* a call long ago: neither, overdue_30 */

    /* Guardians: g1 is away for a child in 甲村 and one in 乙村 (counted once
     * for 东镇); g3 is at home (never counted). */
    char k[7][8];
    gw_buf_puts(&csv, "phone,name,relation,child_code,away\n");
    gw_buf_printf(&csv, "+8613900000001,g1,父亲,%s,1\n", seed_code(k[0], "10", 1));
    gw_buf_printf(&csv, "+8613900000001,g1,父亲,%s,1\n", seed_code(k[1], "20", 33));
    gw_buf_printf(&csv, "+8613900000002,g2,母亲,%s,1\n", seed_code(k[2], "10", 2));
    gw_buf_printf(&csv, "+8613900000003,g3,祖母,%s,0\n", seed_code(k[3], "10", 3));
    gw_buf_printf(&csv, "+8613900000004,g4,父亲,%s,1\n", seed_code(k[4], "30", 37));
    gw_buf_printf(&csv, "+8613900000005,g5,母亲,%s,1\n", seed_code(k[5], "30", 38));
    gw_buf_printf(&csv, "+8613900000006,g6,父亲,%s,1\n", seed_code(k[6], "10", 4));
    seed_roster(c->st, "guardians", gw_buf_cstr(&csv), NOW);
    gw_buf_free(&csv);
    checkin(c, "+8613900000001", "20", 33, local_at("2025-06-13 12:00")); /* 2 days ago: in contact */
    checkin(c, "+8613900000002", "10", 2, local_at("2025-06-07 12:00"));  /* 8 days ago: not */
    checkin(c, "+8613900000002", "10", 2, local_at("2025-06-15 13:00"));  /* after now: not seen */
    checkin(c, "+8613900000003", "10", 3, local_at("2025-06-14 12:00"));  /* at home: not a parent away */
    checkin(c, "+8613900000004", "30", 37, local_at("2025-06-08 12:00")); /* exactly 7 days ago: out */
    checkin(c, "+8613900000005", "30", 38, local_at("2025-06-15 11:00")); /* an hour ago: in */
    checkin(c, "+8613900000006", "10", 4, local_at("2025-06-09 12:00"));  /* 6 days ago: in */

    /* Cases: the region the most precise region known, the county the county. */
    a_case(c, 4, 0, "示例县", JIA, local_at("2025-06-14 10:00"), 0, 0);
    a_case(c, 2, 1, "示例县", JIA, local_at("2025-06-01 00:10"), local_at("2025-06-01 00:20"), 0);
    a_case(c, 7, 2, "示例县", YI, local_at("2025-05-20 09:00"), local_at("2025-05-20 09:30"), 0);
    a_case(c, 9, 3, "示例县", "示例县/东镇", local_at("2025-06-13 09:00"), 0, 0);
    a_case(c, 5, 1, "示例县", BING, local_at("2025-06-10 08:00"), local_at("2025-06-10 08:20"), local_at("2025-06-11 08:00"));
    a_case(c, 9, 3, "示例县", NULL, local_at("2025-06-12 09:00"), 0, 0);
    /* no region and no county yet: in no row */
    a_case(c, 8, 2, NULL, NULL, local_at("2025-06-11 09:00"), 0, local_at("2025-06-12 01:40"));
    a_case(c, 6, 0, "示例县", BING, local_at("2025-04-01 10:00"), local_at("2025-04-01 10:05"), 0);
    /* closed without an acknowledgement first: closing sets acked_at */
    a_case(c, 1, 1, "示例县", JIA, local_at("2025-06-12 23:30"), 0, local_at("2025-06-13 00:30"));
}

#define HEADER                                                                                                   \
    "level,region,children_in_scope,aged_out,visited_in_person,visited_remote_only,overdue_7,overdue_30,"                 \
    "parents_contacted_7d,parents_away,directors,villages_over_30_one_director,open_p0,open_p1,open_p2,open_p3," \
    "median_minutes_to_ack\n"

/* Ack minutes: 甲村 10 and 60; 乙村 30; 丙村 20 and 5; the county has five. */
#define ROW_COUNTY "county,示例县,38,0,5,3,28,25,3,5,4,1,2,1,1,2,20.0\n"
#define ROW_EAST "town,示例县/东镇,36,0,4,3,27,24,2,3,3,1,1,1,1,1,30.0\n"
#define ROW_YI "village,示例县/东镇/乙村,4,0,1,0,1,0,1,1,2,0,0,0,1,0,30.0\n"
#define ROW_JIA "village,示例县/东镇/甲村,32,0,3,3,26,24,2,3,1,1,1,1,0,0,35.0\n"
#define ROW_WEST "town,示例县/西镇,2,0,1,0,1,1,1,2,1,0,1,0,0,0,12.5\n"
#define ROW_DING "village,示例县/西镇/丁村,0,0,0,0,0,0,0,0,0,0,0,0,0,0,\n"
#define ROW_BING "village,示例县/西镇/丙村,2,0,1,0,1,1,1,2,1,0,1,0,0,0,12.5\n"
#define ROW_NEW "county,示例县-新区,0,0,0,0,0,0,0,0,0,0,0,0,0,0,\n"

/* Runs the export into a temporary file and returns its whole text. */
static char *coverage(struct test_store *c, const struct gw_policy *pol, const char *from, const char *to, long *rows)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    char err[256] = "";
    int rc = export_coverage(c->st, pol, NOW, from, to, f, rows, err, sizeof err);
    if (rc != 0) print_error("coverage: %s\n", err);
    assert_int_equal(rc, 0);
    long n = ftell(f);
    assert_true(n >= 0);
    char *out = gw_malloc((size_t)n + 1);
    rewind(f);
    assert_int_equal(fread(out, 1, (size_t)n, f), (size_t)n);
    out[n] = '\0';
    fclose(f);
    return out;
}

/* Compares line by line, so a failure names the line that differs. */
static void expect_lines(const char *got, const char *want)
{
    int line = 1;
    while (*got || *want) {
        const char *g = strchr(got, '\n'), *w = strchr(want, '\n');
        size_t gn = g ? (size_t)(g - got) : strlen(got), wn = w ? (size_t)(w - want) : strlen(want);
        if (gn != wn || memcmp(got, want, gn) != 0) {
            print_error("line %d\n  got  %.*s\n  want %.*s\n", line, (int)gn, got, (int)wn, want);
            fail();
        }
        got += gn + (g != NULL);
        want += wn + (w != NULL);
        line++;
    }
}

/* ---- tests -------------------------------------------------------------------------- */

static void rows_for_every_region_in_tree_order(void **state)
{
    struct test_store *c = *state;
    seed(c);
    long rows = -1;
    char *out = coverage(c, NULL, NULL, NULL, &rows);
    expect_lines(out, HEADER ROW_COUNTY ROW_EAST ROW_YI ROW_JIA ROW_WEST ROW_DING ROW_BING ROW_NEW);
    assert_int_equal(rows, 8);
    /* no names, no phone numbers */
    assert_null(strstr(out, "甲1"));
    assert_null(strstr(out, "主任"));
    assert_null(strstr(out, "+86"));
    assert_null(strstr(out, "138"));
    free(out);
}

static void the_window_bounds_only_the_median(void **state)
{
    struct test_store *c = *state;
    seed(c);
    /* Opened 06-01 00:10 .. 06-12 23:30 local: cases 2 (10 min), 5 (20), 9 (60). */
    char *out = coverage(c, NULL, "2025-06-01", "2025-06-12", NULL);
    expect_lines(out, HEADER "county,示例县,38,0,5,3,28,25,3,5,4,1,2,1,1,2,20.0\n"
                             "town,示例县/东镇,36,0,4,3,27,24,2,3,3,1,1,1,1,1,35.0\n"
                             "village,示例县/东镇/乙村,4,0,1,0,1,0,1,1,2,0,0,0,1,0,\n"
                             "village,示例县/东镇/甲村,32,0,3,3,26,24,2,3,1,1,1,1,0,0,35.0\n"
                             "town,示例县/西镇,2,0,1,0,1,1,1,2,1,0,1,0,0,0,20.0\n" ROW_DING
                             "village,示例县/西镇/丙村,2,0,1,0,1,1,1,2,1,0,1,0,0,0,20.0\n" ROW_NEW);
    free(out);
    /* The bounds are local days: 06-02..06-12 loses case 2 (06-01 00:10). */
    out = coverage(c, NULL, "2025-06-02", NULL, NULL);
    assert_non_null(strstr(out, "\nvillage,示例县/东镇/甲村,32,0,3,3,26,24,2,3,1,1,1,1,0,0,60.0\n"));
    free(out);
    /* ... and up to 06-11 loses case 9 (opened 06-12 23:30), which up to
     * 06-12 kept; the county keeps 5, 10, 20, 30 minutes. */
    out = coverage(c, NULL, NULL, "2025-06-11", NULL);
    assert_non_null(strstr(out, "\nvillage,示例县/东镇/甲村,32,0,3,3,26,24,2,3,1,1,1,1,0,0,10.0\n"));
    assert_non_null(strstr(out, "\ncounty,示例县,38,0,5,3,28,25,3,5,4,1,2,1,1,2,15.0\n"));
    free(out);
}

/* Each policy changes only the due dates: the rows of 乙村 and 甲村 say how. */
static void the_policy_sets_the_due_dates(void **state)
{
    struct test_store *c = *state;
    seed(c);
    static const struct {
        struct gw_policy pol;
        const char *jia, *yi;
    } cases[] = {
        /* the defaults, spelled out */
        {{.visit_days = 30, .visit_days_high = 14, .first_visit_days = 5, .overdue_days = 7, .work_days = 0x1F},
         ROW_JIA, ROW_YI},
        /* no first-visit rule: due import day + 30; overdue after 10 days: 甲村 loses child 4 (8 days) */
        {{.visit_days = 30, .visit_days_high = 14, .first_visit_days = 0, .overdue_days = 10, .work_days = 0x1F},
         "village,示例县/东镇/甲村,32,0,3,3,25,24,2,3,1,1,1,1,0,0,35.0\n",
         "village,示例县/东镇/乙村,4,0,1,0,0,0,1,1,2,0,0,0,1,0,30.0\n"},
        /* every day a working day: 34 is due 06-07 (8 days past), 36 due 06-04 */
        {{.visit_days = 30, .visit_days_high = 14, .first_visit_days = 5, .overdue_days = 7, .work_days = 0x7F},
         ROW_JIA, "village,示例县/东镇/乙村,4,0,1,0,2,0,1,1,2,0,0,0,1,0,30.0\n"},
        /* a 40-day cadence: 3, 4, 5 are back in the window; 9 keeps its 14 days */
        {{.visit_days = 40, .visit_days_high = 14, .first_visit_days = 5, .overdue_days = 7, .work_days = 0x1F},
         "village,示例县/东镇/甲村,32,0,6,3,25,24,2,3,1,1,1,1,0,0,35.0\n", ROW_YI},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = coverage(c, &cases[i].pol, NULL, NULL, NULL);
        char jia[160], yi[160];
        snprintf(jia, sizeof jia, "\n%s", cases[i].jia);
        snprintf(yi, sizeof yi, "\n%s", cases[i].yi);
        if (!strstr(out, jia) || !strstr(out, yi)) print_error("policy %zu:\n%s", i, out);
        assert_non_null(strstr(out, jia));
        assert_non_null(strstr(out, yi));
        free(out);
    }
}

/* Children past their categories' age leave scope: counted as aged_out,
 * in no other column, and their parents are no longer parents away. */
static void aged_out_children_leave_scope(void **state)
{
    struct test_store *c = *state;
    seed(c);
    int64_t jan = local_at("2025-01-01 09:00");
    child(c, "30", 39, "丙39", "M", "2009-06-15", BING, "left_behind", "", jan); /* 16 today: out */
    /* 16 tomorrow: in, never visited (overdue_30) */
    child(c, "30", 40, "丙40", "F", "2009-06-16", BING, "left_behind", "", jan);
    /* past 16 but in difficulty too: the later age, 18, counts: in */
    child(c, "30", 41, "丙41", "M", "2009-01-01", BING, "left_behind|difficulty", "", jan);
    child(c, "30", 42, "丙42", "F", "2007-06-15", BING, "difficulty", "", jan); /* 18 today: out */
    child(c, "30", 43, "丙43", "M", "2006-12-01", BING, "orphan", "", jan);     /* an orphan of 18 and a half: out */
    /* g7 is away only from an aged-out child: not counted; g8 from one out
     * and one in: counted once, and in contact. */
    char k[3][8], csv[512];
    snprintf(csv, sizeof csv,
             "phone,name,relation,child_code,away\n+8613900000007,g7,父亲,%s,1\n+8613900000008,g8,母亲,%s,1\n"
             "+8613900000008,g8,母亲,%s,1\n",
             seed_code(k[0], "30", 39), seed_code(k[1], "30", 42), seed_code(k[2], "30", 40));
    seed_roster(c->st, "guardians", csv, NOW);
    checkin(c, "+8613900000007", "30", 39, local_at("2025-06-14 12:00"));
    checkin(c, "+8613900000008", "30", 42, local_at("2025-06-14 12:00"));
    char *out = coverage(c, NULL, NULL, NULL, NULL);
    expect_lines(out, HEADER "county,示例县,40,3,5,3,30,27,4,6,4,1,2,1,1,2,20.0\n" ROW_EAST ROW_YI ROW_JIA
                             "town,示例县/西镇,4,3,1,0,3,3,2,3,1,0,1,0,0,0,12.5\n" ROW_DING
                             "village,示例县/西镇/丙村,4,3,1,0,3,3,2,3,1,0,1,0,0,0,12.5\n" ROW_NEW);
    free(out);
    /* A left-behind child in scope until 17: child 39 is back. */
    struct gw_policy pol = {.visit_days = 30, .visit_days_high = 14, .first_visit_days = 5, .overdue_days = 7,
                            .work_days = 0x1F, .age_left_behind = 17, .age_difficulty = 18};
    out = coverage(c, &pol, NULL, NULL, NULL);
    assert_non_null(strstr(out, "\nvillage,示例县/西镇/丙村,5,2,1,0,4,4,3,4,1,0,1,0,0,0,12.5\n"));
    free(out);
}

static void an_empty_database_has_only_the_header(void **state)
{
    struct test_store *c = *state;
    long rows = -1;
    char *out = coverage(c, NULL, NULL, NULL, &rows);
    assert_string_equal(out, HEADER);
    assert_int_equal(rows, 0);
    free(out);
}

static void bad_dates_are_refused(void **state)
{
    struct test_store *c = *state;
    char err[256];
    FILE *f = tmpfile();
    assert_int_equal(export_coverage(c->st, NULL, NOW, "2025-02-30", NULL, f, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "--from '2025-02-30'"));
    assert_int_equal(export_coverage(c->st, NULL, NOW, NULL, "20250601", f, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "--to '20250601'"));
    assert_int_equal(export_coverage(c->st, NULL, NOW, "2025-06-02", "2025-06-01", f, NULL, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "after"));
    assert_int_equal(ftell(f), 0);
    fclose(f);
}

static void the_cli_exports_coverage(void **state)
{
    struct test_store *c = *state;
    seed(c);
    enum export_what w;
    assert_int_equal(export_what_parse("coverage", &w), 0);
    assert_int_equal(w, EXPORT_COVERAGE);

    char *out = NULL, *err = NULL;
    size_t outn = 0, errn = 0;
    FILE *o = open_memstream(&out, &outn), *e = open_memstream(&err, &errn);
    /* The CLI reads the real clock: only the shape and the columns that
     * do not depend on the day are checked here. */
    assert_int_equal(roster_export_cmd(c->st, NULL, "coverage", NULL, NULL, o, e), 0);
    assert_int_equal(roster_export_cmd(c->st, NULL, "coverage", "2025-06-03", "2025-06-01", o, e), 2);
    fclose(o);
    fclose(e);
    assert_memory_equal(out, HEADER, strlen(HEADER));
    assert_non_null(strstr(out, "\ncounty,示例县,38,0,"));
    assert_non_null(strstr(out, "\nvillage,示例县/西镇/丁村,0,0,0,0,0,0,0,0,0,0,0,0,0,0,\n"));
    assert_string_equal(err, "export coverage: 8 rows\nexport: --from 2025-06-03 is after --to 2025-06-01\n");
    free(out);
    free(err);
}

int main(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(rows_for_every_region_in_tree_order, setup, teardown),
        cmocka_unit_test_setup_teardown(the_window_bounds_only_the_median, setup, teardown),
        cmocka_unit_test_setup_teardown(the_policy_sets_the_due_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(aged_out_children_leave_scope, setup, teardown),
        cmocka_unit_test_setup_teardown(an_empty_database_has_only_the_header, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_dates_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(the_cli_exports_coverage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
