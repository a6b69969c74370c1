/* tests/unit/test_child_names.c - children by name (db_child_by_name,
 * db_child_named_in) and the shared visit-due rule (visit_due_day).
 *
 * A fresh migrated database in a temporary file, seeded through the roster
 * import: a county with two towns and three villages, children with
 * unique names, two children who share a name in one village, and a name
 * that exists in another county only.
 */
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
#include "../../handlers/visit_rule.h"
#include "../../db/sqlite.h"
#include "../../core/config.h"
#include "../../core/util.h"
#include "../common/seed.h"
#include "../common/teststore.h"

/* The county 示例县 (two towns, three villages), a neighbouring county, and
 * 示例县东, whose path starts like 示例县's and has its own 桃村. */
static const char regions[] = "path\n"
                              "示例县/东镇/桃村\n"
                              "示例县/东镇/李村\n"
                              "示例县/西镇/杏村\n"
                              "邻县/南镇/柳村\n"
                              "示例县东/北镇/桃村\n";

static const char children[] = "code,name,sex,birth_date,region,categories,flags\n"
                               "1000015,张小明,M,2014-05-01,示例县/东镇/桃村,left_behind,\n"
                               "1000028,李小红,F,2015-06-02,示例县/东镇/桃村,left_behind,\n"
                               "1000031,王小刚,M,2013-07-03,示例县/东镇/李村,left_behind,\n"
                               "1000044,王小刚,M,2016-08-04,示例县/东镇/李村,difficulty,\n"
                               "1000053,刘小军,M,2012-09-05,示例县/西镇/杏村,left_behind,psych\n"
                               "1000066,陈芳,F,2017-10-06,示例县/西镇/杏村,orphan,\n"
                               "1000077,周小玲,F,2014-12-08,邻县/南镇/柳村,left_behind,\n"
                               "1000089,陈芳芳,F,2014-12-08,示例县/西镇/杏村,left_behind,\n"
                               "1000090,马,M,2014-12-08,示例县/东镇/桃村,left_behind,\n"
                               "1000106,赵小丽,F,2016-08-04,示例县东/北镇/桃村,difficulty,\n";

#define SEED_NOW 1750000000LL /* 2025-06-15, after every birth date */

static int setup(void **state)
{
    if (test_store_setup(state, "gw-names", 0) != 0) return -1;
    struct test_store *c = *state;
    seed_roster(c->st, "regions", regions, SEED_NOW);
    seed_roster(c->st, "children", children, SEED_NOW);
    return 0;
}

static int teardown(void **state) { return test_store_teardown(state); }

/* One look-up: rc, and the code when found. */
static const struct {
    const char *name, *under;
    int rc;
    const char *code;
} by_name[] = {
    {"张小明", "示例县/东镇/桃村", 0, "1000015"}, /* the director's village */
    {"张小明", "示例县/东镇", 0, "1000015"},      /* a supervisor's town */
    {"张小明", "示例县", 0, "1000015"},           /* the county */
    {"张小明", "示例县/东镇/李村", 1, NULL},      /* another village: as if nobody had that name */
    {"张小明", "示例县/西镇", 1, NULL},
    {"张小明", "邻县", 1, NULL},
    {"王小刚", "示例县/东镇/李村", 2, NULL}, /* two children of that name */
    {"王小刚", "示例县/东镇/桃村", 1, NULL},
    {"周小玲", "示例县", 1, NULL}, /* registered in another county only */
    {"周小玲", "邻县/南镇/柳村", 0, "1000077"},
    {"赵小丽", "示例县", 1, NULL}, /* 示例县东 is not under 示例县 */
    {"赵小丽", "示例县东", 0, "1000106"},
    {"张小", "示例县", 1, NULL}, /* exact names only */
    {"张小明明", "示例县", 1, NULL},
    {"", "示例县", 1, NULL},
    {"张小明", "", 1, NULL},
};

static void test_by_name(void **state)
{
    struct test_store *c = *state;
    assert_int_equal(store_begin(c->st), 0);
    for (size_t i = 0; i < sizeof by_name / sizeof by_name[0]; i++) {
        struct db_child ch;
        memset(&ch, 0, sizeof ch);
        int rc = db_child_by_name(c->st, by_name[i].name, by_name[i].under, &ch);
        if (rc != by_name[i].rc) fail_msg("%s under %s: %d, want %d", by_name[i].name, by_name[i].under, rc, by_name[i].rc);
        if (rc == 0) {
            assert_string_equal(ch.code, by_name[i].code);
            assert_true(ch.id > 0);
            assert_int_equal(ch.region.level, 3);
            assert_true(ch.region.county_id > 0);
        }
    }
    assert_int_equal(store_rollback(c->st), 0);
}

static const struct {
    const char *text, *under;
    int rc;
    const char *code;
} named_in[] = {
    {"张小明被打了", "示例县", 0, "1000015"},
    {"邻居家的张小明三天没回家", "示例县", 0, "1000015"},
    {"张小明被打了", "邻县", 1, NULL},
    {"王小刚在河边", "示例县", 2, NULL},              /* two children named alike: for triage */
    {"张小明和李小红都没人管", "示例县", 2, NULL},    /* two names: for triage */
    {"陈芳芳被打了", "示例县", 2, NULL},              /* 陈芳 and 陈芳芳 both occur: never the wrong one */
    {"陈芳被打了", "示例县", 0, "1000066"},
    {"马上来人，孩子被打了", "示例县", 1, NULL},      /* one-character names never match */
    {"孩子被打了", "示例县", 1, NULL},
    {"", "示例县", 1, NULL},
};

static void test_named_in(void **state)
{
    struct test_store *c = *state;
    assert_int_equal(store_begin(c->st), 0);
    for (size_t i = 0; i < sizeof named_in / sizeof named_in[0]; i++) {
        struct db_child ch;
        memset(&ch, 0, sizeof ch);
        int rc = db_child_named_in(c->st, named_in[i].text, named_in[i].under, &ch);
        if (rc != named_in[i].rc) fail_msg("%s under %s: %d, want %d", named_in[i].text, named_in[i].under, rc,
                                           named_in[i].rc);
        if (rc == 0) assert_string_equal(ch.code, named_in[i].code);
    }
    assert_int_equal(store_rollback(c->st), 0);
}

/* The visit-due rule, by day numbers. Day 20254 is 2025-06-15, a Sunday. */
static void test_due_rule(void **state)
{
    (void)state;
    struct gw_policy pol = {.visit_days = 30, .visit_days_high = 14, .first_visit_days = 5, .work_days = 0x1F};
    const int64_t sun = 20254, mon = sun + 1, fri = sun + 5;
    assert_int_equal(visit_due_day(&pol, 0, sun, sun), sun + 30); /* last visit + cadence */
    assert_int_equal(visit_due_day(&pol, 1, sun, sun), sun + 14); /* the high cadence */
    assert_int_equal(visit_due_day(&pol, 0, sun, CAL_NO_DAY), sun + 30);
    /* no visit yet: the 5th working day after registration */
    assert_int_equal(visit_due_day(&pol, 0, CAL_NO_DAY, mon), mon + 7); /* Mon -> next Mon */
    assert_int_equal(visit_due_day(&pol, 0, CAL_NO_DAY, fri), fri + 7); /* Fri -> next Fri */
    assert_int_equal(visit_due_day(&pol, 0, CAL_NO_DAY, sun), sun + 5); /* Sun -> Fri */
    assert_int_equal(visit_due_day(&pol, 1, CAL_NO_DAY, sun), sun + 5); /* the cadence plays no part */
    pol.work_days = 0x7F;
    assert_int_equal(visit_due_day(&pol, 0, CAL_NO_DAY, sun), sun + 5);
    pol.work_days = 0; /* an empty mask: every day */
    assert_int_equal(visit_due_day(&pol, 0, CAL_NO_DAY, mon), mon + 5);
    pol.first_visit_days = 0; /* the rule off: the cadence from registration */
    assert_int_equal(visit_due_day(&pol, 0, CAL_NO_DAY, mon), mon + 30);
    assert_int_equal(visit_due_day(&pol, 1, CAL_NO_DAY, mon), mon + 14);
    assert_true(visit_due_day(&pol, 0, CAL_NO_DAY, CAL_NO_DAY) == CAL_NO_DAY);
    /* no policy: the config's defaults */
    assert_int_equal(visit_due_day(NULL, 0, sun, sun), sun + 30);
    assert_int_equal(visit_due_day(NULL, 0, CAL_NO_DAY, mon), mon + 7);
}

int main(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_by_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_named_in, setup, teardown),
        cmocka_unit_test(test_due_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
