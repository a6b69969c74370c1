/* tests/unit/test_roster.c - roster import and CSV export: good files, the
 * upsert on re-import, a table of bad files (each must change nothing and
 * name the line), exact export lines with date filters, the CLI wrappers,
 * and the demo roster in examples/roster/.
 *
 * Every test gets a fresh migrated database in a temporary file; rows are
 * seeded through the import and the store port (tests/common/seed.h), and
 * a second plain sqlite3 connection to the same file reads them to check.
 * The clock is fixed at 2025-06-15T12:00:00+08:00 and TZ is Asia/Shanghai.
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
#include <sqlite3.h>

#include "../../core/store.h"
#include "../../db/sqlite.h"
#include "../../gateway/export.h"
#include "../../gateway/roster.h"
#include "../../handlers/roster_import.h"
#include "../../core/util.h"
#include "../common/seed.h"
#include "../common/streams.h"
#include "../common/teststore.h"

#define NOW 1749960000LL /* 2025-06-15T12:00:00+08:00 */

static int setup(void **state) { return test_store_setup(state, "gw-roster", 1); }

static int teardown(void **state) { return test_store_teardown(state); }

/* ---- helpers ---------------------------------------------------------------- */

static void collect(void *arg, long line, const char *reason)
{
    gw_buf_printf(arg, "%ld: %s\n", line, reason);
}

/* Writes text to a temporary file; returns its path (static buffer). */
static const char *write_tmp(const char *text, size_t len)
{
    static char p[64];
    snprintf(p, sizeof p, "/tmp/gw-roster-csv-XXXXXX");
    int fd = mkstemp(p);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return p;
}

/* Imports text as a file of the given kind; errors go to errs (may be NULL). */
static int imp_n(struct test_store *c, enum roster_kind kind, const char *text, size_t len,
                 struct roster_import_result *res, struct gw_buf *errs)
{
    const char *p = write_tmp(text, len);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    struct gw_buf local = {0};
    struct roster_import_opts o = {.country_code = "86", .on_error = collect, .arg = errs ? errs : &local};
    char err[256] = "";
    int rc = roster_import(c->st, kind, f, NOW, &o, res, err, sizeof err);
    fclose(f);
    unlink(p);
    if (rc < 0) print_error("roster_import: %s\n", err);
    if (!errs && local.len) print_error("unexpected errors:\n%s", gw_buf_cstr(&local));
    gw_buf_free(&local);
    return rc;
}

static int imp(struct test_store *c, enum roster_kind kind, const char *text, struct roster_import_result *res,
               struct gw_buf *errs)
{
    return imp_n(c, kind, text, strlen(text), res, errs);
}

/* Every row of the roster tables, as text: equal snapshots = nothing changed. */
static char *snapshot(struct test_store *c)
{
    static const char *const tables[] = {"region", "staff", "child", "guardian", "guardian_child"};
    struct gw_buf b = {0};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY 1, 2", tables[t]);
        char *rows = test_sql_rows(c->path, sql);
        gw_buf_printf(&b, "[%s]\n%s", tables[t], rows);
        free(rows);
    }
    return gw_buf_steal(&b);
}

static const char *REGIONS = "path\n"
                             "示例县/东镇/甲村\n"
                             "示例县/东镇/乙村\n"
                             "示例县/西镇/丙村\n";
static const char *STAFF = "phone,name,role,region,department\n"
                           "13800000001,甲村主任,director,示例县/东镇/甲村,\n"
                           "13800000101,东镇督导,supervisor,示例县/东镇,民政\n"
                           "+86 138-0000-0201,值班民警,responder,示例县,公安\n"
                           "13800000202,民政干部,responder,示例县,civil_affairs\n"
                           "13800000301,管理员,admin,示例县,\n";
static const char *CHILDREN = "code,name,sex,birth_date,region,categories,flags\n"
                              "1000015,小明,M,2015-03-01,示例县/东镇/甲村,left_behind,\n"
                              "1000028,小红,女,2018-07-20,示例县/东镇/甲村,difficulty|left_behind,psych\n"
                              "2000012,小刚,男,2012-12-31,示例县/西镇/丙村,orphan,\n";
static const char *GUARDIANS = "phone,name,relation,child_code,away\n"
                               "13900000001,明爸,父亲,1000015,yes\n"
                               "13900000001,明爸,父亲,1000028,是\n"
                               "13900000002,奶奶,祖母,1000015,no\n"
                               "13900000003,刚叔,叔叔,2000012,0\n";

static void seed(struct test_store *c)
{
    struct roster_import_result r;
    assert_int_equal(imp(c, ROSTER_REGIONS, REGIONS, &r, NULL), 0);
    assert_int_equal(imp(c, ROSTER_STAFF, STAFF, &r, NULL), 0);
    assert_int_equal(imp(c, ROSTER_CHILDREN, CHILDREN, &r, NULL), 0);
    assert_int_equal(imp(c, ROSTER_GUARDIANS, GUARDIANS, &r, NULL), 0);
}

/* ---- good files ------------------------------------------------------------- */

static void imports_a_small_roster(void **state)
{
    struct test_store *c = *state;
    struct roster_import_result r;
    assert_int_equal(imp(c, ROSTER_REGIONS, REGIONS, &r, NULL), 0);
    assert_int_equal(r.rows, 3);
    assert_int_equal(r.inserted, 6); /* 3 villages, 2 towns and the county they imply */
    test_expect_q(c, "SELECT level || ' ' || name FROM region WHERE path = '示例县/东镇'", "2 东镇");
    test_expect_q(c, "SELECT p.path FROM region r JOIN region p ON p.id = r.parent_id WHERE r.path = '示例县/西镇/丙村'",
             "示例县/西镇");

    assert_int_equal(imp(c, ROSTER_STAFF, STAFF, &r, NULL), 0);
    assert_int_equal(r.rows, 5);
    assert_int_equal(r.inserted, 5);
    test_expect_q(c, "SELECT role || ' ' || department FROM staff WHERE phone = '+8613800000201'", "responder police");
    test_expect_q(c, "SELECT department FROM staff WHERE phone = '+8613800000202'", "civil_affairs");
    test_expect_q(c, "SELECT department FROM staff WHERE phone = '+8613800000001'", "NULL");
    test_expect_q(c, "SELECT r.path FROM staff s JOIN region r ON r.id = s.region_id WHERE s.phone = '+8613800000101'",
             "示例县/东镇");

    assert_int_equal(imp(c, ROSTER_CHILDREN, CHILDREN, &r, NULL), 0);
    assert_int_equal(r.inserted, 3);
    test_expect_q(c, "SELECT sex || ' ' || categories || ' ' || flags || ' ' || high_cadence FROM child "
                "WHERE code = '1000028'",
             "F left_behind|difficulty psych 1");
    test_expect_q(c, "SELECT sex || ' ' || birth_date || ' [' || flags || '] ' || high_cadence FROM child "
                "WHERE code = '2000012'",
             "M 2012-12-31 [] 0");

    assert_int_equal(imp(c, ROSTER_GUARDIANS, GUARDIANS, &r, NULL), 0);
    assert_int_equal(r.rows, 4);
    assert_int_equal(r.inserted, 4);
    test_expect_q(c, "SELECT count(*) FROM guardian", "3");
    test_expect_q(c, "SELECT group_concat(c.code || ':' || gc.away, ' ') FROM guardian g "
                "JOIN guardian_child gc ON gc.guardian_id = g.id JOIN child c ON c.id = gc.child_id "
                "WHERE g.phone = '+8613900000001'",
             "1000015:1 1000028:1");
    test_expect_q(c, "SELECT gc.relation || ' ' || gc.away FROM guardian g JOIN guardian_child gc "
                "ON gc.guardian_id = g.id WHERE g.phone = '+8613900000003'",
             "叔叔 0");
}

static void reimport_is_an_idempotent_upsert(void **state)
{
    struct test_store *c = *state;
    struct roster_import_result r;
    seed(c);
    char *before = snapshot(c);
    assert_int_equal(imp(c, ROSTER_REGIONS, REGIONS, &r, NULL), 0);
    assert_int_equal(r.inserted + r.updated, 0);
    assert_int_equal(r.unchanged, 3);
    assert_int_equal(imp(c, ROSTER_STAFF, STAFF, &r, NULL), 0);
    assert_int_equal(r.unchanged, 5);
    assert_int_equal(imp(c, ROSTER_CHILDREN, CHILDREN, &r, NULL), 0);
    assert_int_equal(r.unchanged, 3);
    assert_int_equal(imp(c, ROSTER_GUARDIANS, GUARDIANS, &r, NULL), 0);
    assert_int_equal(r.unchanged, 4);
    char *after = snapshot(c);
    assert_string_equal(before, after);
    free(before);
    free(after);

    /* A moved director, a renamed child, a parent who came home, a new link. */
    assert_int_equal(imp(c, ROSTER_STAFF,
                         "phone,name,role,region,department\n"
                         "13800000001,甲村主任,director,示例县/东镇/乙村,\n"
                         "13800000009,乙村主任,director,示例县/东镇/乙村,\n",
                         &r, NULL),
                     0);
    assert_int_equal(r.inserted, 1);
    assert_int_equal(r.updated, 1);
    test_expect_q(c, "SELECT r.path FROM staff s JOIN region r ON r.id = s.region_id WHERE s.phone = '+8613800000001'",
             "示例县/东镇/乙村");
    test_expect_q(c, "SELECT count(*) FROM staff", "6");

    assert_int_equal(imp(c, ROSTER_CHILDREN,
                         "code,name,sex,birth_date,region,categories,flags\n"
                         "1000015,王小明,M,2015-03-01,示例县/东镇/甲村,left_behind,\n",
                         &r, NULL),
                     0);
    assert_int_equal(r.updated, 1);
    test_expect_q(c, "SELECT name FROM child WHERE code = '1000015'", "王小明");

    assert_int_equal(imp(c, ROSTER_GUARDIANS,
                         "phone,name,relation,child_code,away\n"
                         "13900000001,明爸,父亲,1000015,no\n"
                         "13900000002,奶奶,祖母,1000028,no\n",
                         &r, NULL),
                     0);
    assert_int_equal(r.updated, 1);
    assert_int_equal(r.inserted, 1);
    test_expect_q(c, "SELECT gc.away FROM guardian g JOIN guardian_child gc ON gc.guardian_id = g.id "
                "JOIN child k ON k.id = gc.child_id WHERE g.phone = '+8613900000001' AND k.code = '1000015'",
             "0");
    test_expect_q(c, "SELECT count(*) FROM guardian_child", "5");
}

static void xl_visit_keeps_the_high_cadence(void **state)
{
    struct test_store *c = *state;
    struct roster_import_result r;
    seed(c);
    /* An XL visit raises the child, as the visit handler does. */
    seed_visit(c->st, "1000015", "+8613800000001", "2025-06-01", 2, "JH|XL", 1748736000);
    assert_int_equal(db_child_set_high_cadence(c->st, seed_child_id(c->st, "1000015")), 0);
    /* Flags dropped for both: the XL child stays raised, the other comes down. */
    assert_int_equal(imp(c, ROSTER_CHILDREN,
                         "code,name,sex,birth_date,region,categories,flags\n"
                         "1000015,小明,M,2015-03-01,示例县/东镇/甲村,left_behind,\n"
                         "1000028,小红,女,2018-07-20,示例县/东镇/甲村,difficulty|left_behind,\n",
                         &r, NULL),
                     0);
    assert_int_equal(r.unchanged, 1);
    assert_int_equal(r.updated, 1);
    test_expect_q(c, "SELECT group_concat(code || ':' || high_cadence, ' ') FROM (SELECT * FROM child ORDER BY code) AS t",
             "1000015:1 1000028:0 2000012:0");
}

static void bom_crlf_quotes_and_spaces_are_fine(void **state)
{
    struct test_store *c = *state;
    struct roster_import_result r;
    assert_int_equal(imp(c, ROSTER_REGIONS, REGIONS, &r, NULL), 0);
    const char *text = "\xEF\xBB\xBF"
                       " department , Phone,name,role , region\r\n"
                       "\r\n"
                       ", 13800000009 , \"新 主任\" ,director, 示例县 / 东镇 / 乙村 \r\n"
                       "   \r\n"
                       "公安,\"008613800000208\",\"民警, 二\",RESPONDER,示例县\r\n"
                       ",,,,\r\n";
    assert_int_equal(imp(c, ROSTER_STAFF, text, &r, NULL), 0);
    assert_int_equal(r.rows, 2);
    assert_int_equal(r.inserted, 2);
    test_expect_q(c, "SELECT s.name || '|' || r.path FROM staff s JOIN region r ON r.id = s.region_id "
                "WHERE s.phone = '+8613800000009'",
             "新 主任|示例县/东镇/乙村");
    test_expect_q(c, "SELECT name || '|' || role || '|' || department FROM staff WHERE phone = '+8613800000208'",
             "民警, 二|responder|police");
}

static void birth_date_today_is_accepted(void **state)
{
    struct test_store *c = *state;
    struct roster_import_result r;
    assert_int_equal(imp(c, ROSTER_REGIONS, REGIONS, &r, NULL), 0);
    assert_int_equal(imp(c, ROSTER_CHILDREN,
                         "code,name,sex,birth_date,region,categories,flags\n"
                         "1000044,新生儿,F,2025-06-15,示例县/东镇/乙村,unsupported|orphan|orphan,child_disabled\n",
                         &r, NULL),
                     0);
    test_expect_q(c, "SELECT categories || ' ' || high_cadence FROM child WHERE code = '1000044'", "orphan|unsupported 1");
}

/* Children's optional columns (tests/unit/test_child_record.c has the
 * details): any order, any subset, single_parent a category; a column that
 * is neither required nor optional is still refused. */
static void children_take_optional_columns_and_single_parent(void **state)
{
    struct test_store *c = *state;
    struct roster_import_result r;
    assert_int_equal(imp(c, ROSTER_REGIONS, REGIONS, &r, NULL), 0);
    assert_int_equal(imp(c, ROSTER_CHILDREN,
                         "school,code,name,sex,birth_date,region,categories,flags,carer_relation\n"
                         "东关小学,1000015,小明,M,2015-03-01,示例县/东镇/甲村,single_parent|left_behind,,祖母\n",
                         &r, NULL),
                     0);
    assert_int_equal(r.inserted, 1);
    test_expect_q(c, "SELECT categories || ' ' || school || ' ' || carer_relation FROM child",
             "left_behind|single_parent 东关小学 祖母");

    struct gw_buf errs = {0};
    char *before = snapshot(c);
    assert_int_equal(imp(c, ROSTER_CHILDREN,
                         "code,name,sex,birth_date,region,categories,flags,id_card\n"
                         "1000028,小红,F,2018-07-20,示例县/东镇/甲村,left_behind,,x\n",
                         &r, &errs),
                     1);
    assert_string_equal(gw_buf_cstr(&errs),
                        "1: unknown column 'id_card' in the header\n"
                        "1: a children file starts with the header code,name,sex,birth_date,region,categories,flags "
                        "(any order; optional: id_number,hukou,school,carer_name,carer_phone,carer_relation,"
                        "care_agreement,care_agreement_date,guardianship)\n");
    char *after = snapshot(c);
    assert_string_equal(before, after);
    free(before);
    free(after);
    gw_buf_free(&errs);
}

static void a_header_only_file_imports_nothing(void **state)
{
    struct test_store *c = *state;
    struct roster_import_result r;
    assert_int_equal(imp(c, ROSTER_REGIONS, "path\n", &r, NULL), 0);
    assert_int_equal(r.rows, 0);
    test_expect_q(c, "SELECT count(*) FROM region", "0");
}

/* ---- bad files -------------------------------------------------------------- */

#define STAFF_H "phone,name,role,region,department\n"
#define CHILD_H "code,name,sex,birth_date,region,categories,flags\n"
#define GUARD_H "phone,name,relation,child_code,away\n"
#define NEW_STAFF "13800000009,新主任,director,示例县/东镇/乙村,\n" /* a good row before the bad one */
#define NEW_CHILD "1000044,新孩子,F,2016-01-01,示例县/东镇/乙村,left_behind,\n"

struct bad_case {
    const char *name;
    enum roster_kind kind;
    const char *csv;
    const char *expect[3]; /* substrings of the "LINE: reason" lines, NULL-terminated */
};

static const struct bad_case bad_cases[] = {
    {"phone too short", ROSTER_STAFF, STAFF_H NEW_STAFF "12345,坏号码,director,示例县/东镇/乙村,\n",
     {"3: phone '12345' is not a valid phone number"}},
    {"phone with letters", ROSTER_STAFF, STAFF_H "138abc00001,坏号码,director,示例县/东镇/乙村,\n",
     {"2: phone '138abc00001' is not a phone number"}},
    {"not a mobile", ROSTER_STAFF, STAFF_H "1380000000,坏号码,director,示例县/东镇/乙村,\n",
     {"2: phone '1380000000' is not a mobile number"}},
    {"unknown role", ROSTER_STAFF, STAFF_H NEW_STAFF "13800000010,某人,boss,示例县,\n",
     {"3: role 'boss' is not one of director|supervisor|responder|admin|county|auditor"}},
    {"unknown region", ROSTER_STAFF, STAFF_H NEW_STAFF "13800000010,某人,director,示例县/北镇/丁村,\n",
     {"3: unknown region '示例县/北镇/丁村'"}},
    {"county officer not at a county", ROSTER_STAFF, STAFF_H "13800000010,某人,county,示例县/东镇,\n",
     {"2: a county officer belongs to a county, but region '示例县/东镇' is a town"}},
    {"director not at a village", ROSTER_STAFF, STAFF_H "13800000010,某人,director,示例县/东镇,\n",
     {"2: a director belongs to a village, but region '示例县/东镇' is a town"}},
    {"supervisor at a village", ROSTER_STAFF, STAFF_H "13800000010,某人,supervisor,示例县/东镇/甲村,\n",
     {"2: a supervisor belongs to a town or a county, but region '示例县/东镇/甲村' is a village"}},
    {"bad department", ROSTER_STAFF, STAFF_H "13800000010,某人,responder,示例县,外交\n",
     {"2: department '外交' is not one of 公安|民政"}},
    {"responder without department", ROSTER_STAFF, STAFF_H "13800000010,某人,responder,示例县,\n",
     {"2: department is required for a responder"}},
    {"bad check digit", ROSTER_CHILDREN, CHILD_H NEW_CHILD "1000016,某童,M,2016-01-01,示例县/东镇/乙村,left_behind,\n",
     {"3: code '1000016' has a wrong check digit"}},
    {"code not 7 digits", ROSTER_CHILDREN, CHILD_H "100001,某童,M,2016-01-01,示例县/东镇/乙村,left_behind,\n",
     {"2: code '100001' must be 7 digits"}},
    {"bad sex", ROSTER_CHILDREN, CHILD_H "1000044,某童,X,2016-01-01,示例县/东镇/乙村,left_behind,\n",
     {"2: sex 'X' is not one of M|F|男|女"}},
    {"impossible birth date", ROSTER_CHILDREN, CHILD_H "1000044,某童,M,2019-02-29,示例县/东镇/乙村,left_behind,\n",
     {"2: birth_date '2019-02-29' is not a real date written YYYY-MM-DD"}},
    {"birth date in another format", ROSTER_CHILDREN,
     CHILD_H "1000044,某童,M,2019/02/01,示例县/东镇/乙村,left_behind,\n", {"2: birth_date '2019/02/01' is not a real date"}},
    {"future birth date", ROSTER_CHILDREN, CHILD_H "1000044,某童,M,2025-06-16,示例县/东镇/乙村,left_behind,\n",
     {"2: birth_date 2025-06-16 is in the future"}},
    {"unknown category", ROSTER_CHILDREN, CHILD_H "1000044,某童,M,2016-01-01,示例县/东镇/乙村,left_behind|poor,\n",
     {"2: category 'poor' is not one of left_behind|difficulty|orphan|unsupported"}},
    {"no category", ROSTER_CHILDREN, CHILD_H "1000044,某童,M,2016-01-01,示例县/东镇/乙村,,\n",
     {"2: categories is empty"}},
    {"unknown flag", ROSTER_CHILDREN, CHILD_H "1000044,某童,M,2016-01-01,示例县/东镇/乙村,orphan,psych|sick\n",
     {"2: flag 'sick' is not one of parent_disabled|child_disabled|psych"}},
    {"child not at a village", ROSTER_CHILDREN, CHILD_H "1000044,某童,M,2016-01-01,示例县/东镇,orphan,\n",
     {"2: a child belongs to a village, but region '示例县/东镇' is a town"}},
    {"unknown child for a guardian", ROSTER_GUARDIANS,
     GUARD_H "13900000009,某家长,母亲,1000015,yes\n13900000009,某家长,母亲,9999990,yes\n",
     {"3: unknown child_code 9999990 (import the children first)"}},
    {"guardian child code with a bad check digit", ROSTER_GUARDIANS,
     GUARD_H "13900000009,某家长,母亲,1000016,yes\n", {"2: child_code '1000016' has a wrong check digit"}},
    {"bad away", ROSTER_GUARDIANS, GUARD_H "13900000009,某家长,母亲,1000015,maybe\n",
     {"2: away 'maybe' is not one of yes|no|是|否|1|0"}},
    {"staff phone twice, written two ways", ROSTER_STAFF,
     STAFF_H NEW_STAFF "13800000010,某人,admin,示例县,\n+86 13800000009,新主任,director,示例县/东镇/乙村,\n",
     {"4: phone +8613800000009 repeats line 2"}},
    {"child code twice", ROSTER_CHILDREN, CHILD_H NEW_CHILD NEW_CHILD, {"3: code 1000044 repeats line 2"}},
    {"guardian and child twice", ROSTER_GUARDIANS,
     GUARD_H "13900000009,某家长,母亲,1000015,yes\n13900000009,某家长,母亲,1000028,yes\n"
             "013900000009,某家长,母亲,1000015,no\n",
     {"4: phone +8613900000009 with child_code 1000015 repeats line 2"}},
    {"one guardian phone, two names", ROSTER_GUARDIANS,
     GUARD_H "13900000009,张三,父亲,1000015,yes\n13900000009,李四,父亲,1000028,yes\n",
     {"3: phone +8613900000009 is named '李四' here but '张三' on line 2"}},
    {"region path twice", ROSTER_REGIONS, "path\n示例县/南镇\n 示例县 / 南镇 \n",
     {"3: path '示例县/南镇' repeats line 2"}},
    {"region four levels deep", ROSTER_REGIONS, "path\n示例县/南镇/丁村/一组\n",
     {"2: path '示例县/南镇/丁村/一组' has more than 3 levels"}},
    {"region with an empty level", ROSTER_REGIONS, "path\n示例县//丁村\n", {"2: path '示例县//丁村' has an empty level"}},
    {"missing column", ROSTER_STAFF, "phone,name,role,region\n13800000010,某人,admin,示例县\n",
     {"1: missing column 'department' in the header"}},
    {"wrong header", ROSTER_STAFF, "telephone,name,role,region,department\n13800000010,某人,admin,示例县,\n",
     {"1: unknown column 'telephone' in the header\n1: missing column 'phone' in the header\n"
      "1: a staff file starts with the header phone,name,role,region,department (any order)\n"}},
    {"column twice", ROSTER_REGIONS, "path,path\n示例县,示例县\n", {"1: column 'path' appears twice"}},
    {"no header at all", ROSTER_REGIONS, "示例县/南镇\n", {"1: unknown column '示例县/南镇' in the header"}},
    {"empty file", ROSTER_REGIONS, "", {"1: the file is empty; a regions file starts with the header path"}},
    {"too few values", ROSTER_STAFF, STAFF_H NEW_STAFF "13800000010,某人,admin\n", {"3: expected 5 values, found 3"}},
    {"an extra value", ROSTER_STAFF, STAFF_H "13800000010,某人,admin,示例县,,多余\n",
     {"2: expected 5 values, found 6"}},
    {"value too long", ROSTER_REGIONS,
     "path\n示例县/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
     {"2: path is longer than 200 bytes"}},
    {"misplaced quote", ROSTER_STAFF, STAFF_H NEW_STAFF "13800000010,某\"人,admin,示例县,\n" NEW_STAFF,
     {"3: misplaced quote", "4: phone +8613800000009 repeats line 2"}},
    {"quote never closed", ROSTER_STAFF, STAFF_H NEW_STAFF "13800000010,\"某人,admin,示例县,\n",
     {"3: a quoted value is never closed"}},
    {"line break inside a value; lines still counted", ROSTER_STAFF,
     STAFF_H "13800000010,\"某\n人\",admin,示例县,\n13800000011,某人,boss,示例县,\n",
     {"2: name holds control characters or a line break", "4: role 'boss'"}},
    {"GBK bytes in a value", ROSTER_STAFF, STAFF_H "13800000010,\xd6\xf7\xc8\xce,admin,示例县,\n",
     {"2: name is not valid UTF-8"}},
    {"GBK header", ROSTER_STAFF, "\xb5\xe7\xbb\xb0,name,role,region,department\n", {"1: the file is not UTF-8"}},
    {"blank lines and CRLF counted", ROSTER_STAFF,
     "phone,name,role,region,department\r\n\r\n" NEW_STAFF "  \r\n12345,某人,admin,示例县,\r\n",
     {"5: phone '12345'"}},
    {"every bad row reported", ROSTER_CHILDREN,
     CHILD_H "1000016,某童,M,2016-01-01,示例县/东镇/乙村,left_behind,\n" NEW_CHILD
             "1000053,某童,M,2016-01-01,示例县/东镇/乙村,left_behind,\n"
             "1000066,,Q,2016-13-01,示例县/东镇/乙村,left_behind,\n",
     {"2: code '1000016'", "5: name is empty", "5: birth_date '2016-13-01'"}},
};

static void every_bad_file_changes_nothing_and_names_the_line(void **state)
{
    struct test_store *c = *state;
    seed(c);
    char *before = snapshot(c);
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *bc = &bad_cases[i];
        struct gw_buf errs = {0};
        struct roster_import_result r;
        int rc = imp(c, bc->kind, bc->csv, &r, &errs);
        int ok = rc == 1 && r.bad_rows > 0;
        for (int k = 0; ok && k < 3 && bc->expect[k]; k++)
            if (!strstr(gw_buf_cstr(&errs), bc->expect[k])) ok = 0;
        char *after = snapshot(c);
        if (strcmp(before, after) != 0) ok = 0;
        if (!ok)
            print_error("case '%s': rc %d, bad_rows %ld, errors:\n%s(expected '%s')\n", bc->name, rc, r.bad_rows,
                        gw_buf_cstr(&errs), bc->expect[0]);
        free(after);
        gw_buf_free(&errs);
        assert_true(ok);
    }
    free(before);
}

static void multiple_bad_rows_are_all_counted(void **state)
{
    struct test_store *c = *state;
    seed(c);
    struct gw_buf errs = {0};
    struct roster_import_result r;
    const char *text = STAFF_H "12345,某人,admin,示例县,\n" NEW_STAFF "13800000010,某人,boss,北县,\n"
                               "13800000011,某人,admin,示例县,\n" "13800000012,,admin,示例县,\n";
    assert_int_equal(imp(c, ROSTER_STAFF, text, &r, &errs), 1);
    assert_int_equal(r.rows, 5);
    assert_int_equal(r.bad_rows, 3);
    /* row 4 has two problems: both are reported */
    assert_string_equal(gw_buf_cstr(&errs),
                        "2: phone '12345' is not a valid phone number (8 to 15 digits with the country code)\n"
                        "4: role 'boss' is not one of director|supervisor|responder|admin|county|auditor\n"
                        "4: unknown region '北县' (import it with the regions first)\n"
                        "6: name is empty\n");
    gw_buf_free(&errs);
}

static void an_oversized_row_stops_the_import(void **state)
{
    struct test_store *c = *state;
    struct gw_buf big = {0}, errs = {0};
    gw_buf_puts(&big, "path\n\"");
    for (int i = 0; i < 2000; i++) gw_buf_puts(&big, "示例县/");
    gw_buf_puts(&big, "\n");
    struct roster_import_result r;
    assert_int_equal(imp_n(c, ROSTER_REGIONS, big.p, big.len, &r, &errs), 1);
    assert_non_null(strstr(gw_buf_cstr(&errs), "2: row longer than 8192 bytes"));
    test_expect_q(c, "SELECT count(*) FROM region", "0");
    gw_buf_free(&big);
    gw_buf_free(&errs);
}

/* ---- export ------------------------------------------------------------------ */

/* A visit of child code by staff phone with its note, recorded at `at`. */
static void visit(struct test_store *c, const char *code, const char *phone, const char *date, int result,
                  const char *problems, const char *note, int64_t at)
{
    struct db_visit v = {.child_id = seed_child_id(c->st, code),
                         .staff_id = seed_staff_id(c->st, phone),
                         .result = result,
                         .problems = problems,
                         .note = note};
    gw_strlcpy(v.visit_date, date, sizeof v.visit_date);
    assert_int_equal(db_visit_insert(c->st, &v, at, NULL), 0);
}

/* A check-in of guardian phone for child code with its return date and
 * note (both may be NULL), recorded at `at`. */
static void checkin(struct test_store *c, const char *phone, const char *code, int status, const char *return_date,
                    const char *note, int64_t at)
{
    struct db_checkin k = {.guardian_id = seed_guardian_id(c->st, phone),
                           .child_id = seed_child_id(c->st, code),
                           .status = status,
                           .return_date = return_date,
                           .note = note};
    assert_int_equal(db_checkin_insert(c->st, &k, at, NULL), 0);
}

static void seed_activity(struct test_store *c)
{
    seed(c);
    visit(c, "1000015", "+8613800000001", "2024-05-01", 1, "", "all well", 1714527000);
    visit(c, "1000028", "+8613800000001", "2024-05-03", 2, "XL|QG", "cries, \"misses mum\"", 1714702500);
    visit(c, "2000012", "+8613800000101", "2024-05-04", 3, "", "=1+2", 1714816800);
    /* 23:30 and 00:10 local: the same UTC day, two local days */
    checkin(c, "+8613900000001", "1000015", 1, NULL, NULL, 1714577400);
    checkin(c, "+8613900000001", "1000028", 3, "2024-05-20", NULL, 1714579800);
    checkin(c, "+8613900000003", "2000012", 2, NULL, "needs help", 1714694400);
    int64_t reporter = 0;
    assert_int_equal(db_reporter_upsert(c->st, "+8613912345678", 1714527000, &reporter), 0);
    static const char *const both[] = {"police", "civil_affairs"}, *const civil[] = {"civil_affairs"};
    struct db_case_new k1 = {.category = 2,
                             .classified = 1,
                             .priority = 1,
                             .depts = both,
                             .ndepts = 2,
                             .county_id = seed_region_id(c->st, "示例县"),
                             .region_id = seed_region_id(c->st, "示例县/东镇/甲村"),
                             .child_id = seed_child_id(c->st, "1000015"),
                             .description = "secret details",
                             .reporter_id = reporter};
    char number[DB_CASE_NO_MAX + 1];
    int64_t id = seed_case(c->st, &k1, 1714527000, number);
    assert_string_equal(number, "2405010001");
    seed_case_ack(c->st, id, seed_staff_id(c->st, "+8613800000201"), 1714528800);
    /* free text from an unknown number: no child, no region, no county yet */
    struct db_case_new k2 = {.category = 9,
                             .classified = 0,
                             .priority = 3,
                             .depts = civil,
                             .ndepts = 1,
                             .reporter_id = reporter};
    id = seed_case(c->st, &k2, 1714694400, number);
    assert_string_equal(number, "2405030001");
    int64_t civil_staff = seed_staff_id(c->st, "+8613800000202");
    seed_case_ack(c->st, id, civil_staff, 1714698000);
    seed_case_close(c->st, id, civil_staff, 3, "nothing found", 1714816800);
}

static char *export(struct test_store *c, enum export_what what, const char *from, const char *to, long *rows)
{
    char *p = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&p, &n);
    char err[256] = "";
    int rc = export_csv(c->st, what, NULL, 0, from, to, f, rows, err, sizeof err);
    fclose(f);
    if (rc != 0) print_error("export: %s\n", err);
    assert_int_equal(rc, 0);
    return p;
}

#define VISITS_H "id,visit_date,child_code,region,result,problems,note,recorded_by,recorded_at\n"
#define VISIT_1 "1,2024-05-01,1000015,示例县/东镇/甲村,1,,all well,+86138****0001,2024-05-01T09:30:00+08:00\n"
#define VISIT_2                                                                                                    \
    "2,2024-05-03,1000028,示例县/东镇/甲村,2,XL|QG,\"cries, \"\"misses mum\"\"\",+86138****0001,"                 \
    "2024-05-03T10:15:00+08:00\n"
#define VISIT_3 "3,2024-05-04,2000012,示例县/西镇/丙村,3,,\"'=1+2\",+86138****0101,2024-05-04T18:00:00+08:00\n"

#define CHECKINS_H "id,checkin_date,child_code,region,status,return_date,note,guardian,relation,recorded_at\n"
#define CHECKIN_1 "1,2024-05-01,1000015,示例县/东镇/甲村,1,,,+86139****0001,父亲,2024-05-01T23:30:00+08:00\n"
#define CHECKIN_2                                                                                                  \
    "2,2024-05-02,1000028,示例县/东镇/甲村,3,2024-05-20,,+86139****0001,父亲,2024-05-02T00:10:00+08:00\n"
#define CHECKIN_3                                                                                                  \
    "3,2024-05-03,2000012,示例县/西镇/丙村,2,,needs help,+86139****0003,叔叔,2024-05-03T08:00:00+08:00\n"

#define CASES_H                                                                                                    \
    "case_number,opened_at,category,classified,priority,status,departments,child_code,region,county,"             \
    "acknowledged_at,closed_at,outcome\n"
#define CASE_1                                                                                                     \
    "2405010001,2024-05-01T09:30:00+08:00,2,1,P1,acknowledged,police|civil_affairs,1000015,示例县/东镇/甲村,"      \
    "示例县,2024-05-01T10:00:00+08:00,,\n"
#define CASE_2                                                                                                     \
    "2405030001,2024-05-03T08:00:00+08:00,9,0,P3,closed,civil_affairs,,,,2024-05-03T09:00:00+08:00,"               \
    "2024-05-04T18:00:00+08:00,3\n"

static void exports_visits_with_date_filters(void **state)
{
    struct test_store *c = *state;
    seed_activity(c);
    long rows = -1;
    char *out = export(c, EXPORT_VISITS, NULL, NULL, &rows);
    assert_string_equal(out, VISITS_H VISIT_1 VISIT_2 VISIT_3);
    assert_int_equal(rows, 3);
    free(out);
    out = export(c, EXPORT_VISITS, "2024-05-02", "2024-05-03", &rows);
    assert_string_equal(out, VISITS_H VISIT_2);
    free(out);
    out = export(c, EXPORT_VISITS, "2024-05-03", NULL, &rows);
    assert_string_equal(out, VISITS_H VISIT_2 VISIT_3);
    free(out);
    out = export(c, EXPORT_VISITS, NULL, "2024-04-30", &rows);
    assert_string_equal(out, VISITS_H);
    assert_int_equal(rows, 0);
    free(out);
}

static void exports_checkins_by_local_day(void **state)
{
    struct test_store *c = *state;
    seed_activity(c);
    long rows = -1;
    char *out = export(c, EXPORT_CHECKINS, NULL, NULL, &rows);
    assert_string_equal(out, CHECKINS_H CHECKIN_1 CHECKIN_2 CHECKIN_3);
    free(out);
    out = export(c, EXPORT_CHECKINS, "2024-05-02", "2024-05-02", &rows);
    assert_string_equal(out, CHECKINS_H CHECKIN_2);
    assert_int_equal(rows, 1);
    free(out);
    out = export(c, EXPORT_CHECKINS, NULL, "2024-05-01", &rows);
    assert_string_equal(out, CHECKINS_H CHECKIN_1);
    free(out);
}

static void exports_cases_without_the_reporter(void **state)
{
    struct test_store *c = *state;
    seed_activity(c);
    long rows = -1;
    char *out = export(c, EXPORT_CASES, NULL, NULL, &rows);
    assert_string_equal(out, CASES_H CASE_1 CASE_2);
    assert_null(strstr(out, "5678"));
    assert_null(strstr(out, "+86139"));
    assert_null(strstr(out, "secret details"));
    assert_null(strstr(out, "nothing found"));
    free(out);
    out = export(c, EXPORT_CASES, "2024-05-02", "2024-05-31", &rows);
    assert_string_equal(out, CASES_H CASE_2);
    free(out);
    out = export(c, EXPORT_CASES, "2024-05-01", "2024-05-01", &rows);
    assert_string_equal(out, CASES_H CASE_1);
    free(out);
}

static void export_refuses_bad_dates(void **state)
{
    struct test_store *c = *state;
    char err[256];
    long rows;
    FILE *f = fopen("/dev/null", "w");
    assert_int_equal(export_csv(c->st, EXPORT_VISITS, NULL, 0, "2024-02-30", NULL, f, &rows, err, sizeof err), -1);
    assert_non_null(strstr(err, "--from '2024-02-30'"));
    assert_int_equal(export_csv(c->st, EXPORT_VISITS, NULL, 0, NULL, "20240201", f, &rows, err, sizeof err), -1);
    assert_int_equal(export_csv(c->st, EXPORT_CASES, NULL, 0, "2024-05-02", "2024-05-01", f, &rows, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "after"));
    fclose(f);
}

/* ---- CLI wrappers ---------------------------------------------------------------- */

static void import_cmd_prints_path_line_reason(void **state)
{
    struct test_store *c = *state;
    struct streams s;
    char path[64], want[320];
    seed(c);

    const char *text = STAFF_H NEW_STAFF "13800000010,某人,boss,示例县,\n";
    const char *p = write_tmp(text, strlen(text));
    gw_strlcpy(path, p, sizeof path);
    streams_open(&s);
    assert_int_equal(roster_import_cmd(c->st, NULL, "staff", path, s.o, s.e), 1);
    streams_close(&s);
    snprintf(want, sizeof want,
             "%s:3: role 'boss' is not one of director|supervisor|responder|admin|county|auditor\n"
             "%s: 1 bad row; nothing imported\n",
             path, path);
    assert_string_equal(s.err, want);
    assert_string_equal(s.out, "");
    streams_free(&s);
    unlink(path);

    p = write_tmp(STAFF_H NEW_STAFF, strlen(STAFF_H NEW_STAFF));
    gw_strlcpy(path, p, sizeof path);
    streams_open(&s);
    assert_int_equal(roster_import_cmd(c->st, NULL, "staff", path, s.o, s.e), 0);
    streams_close(&s);
    assert_string_equal(s.out, "staff: 1 rows: 1 inserted, 0 updated, 0 unchanged\n");
    assert_string_equal(s.err, "");
    streams_free(&s);
    unlink(path);

    p = write_tmp("phone,name\n", 11);
    gw_strlcpy(path, p, sizeof path);
    streams_open(&s);
    assert_int_equal(roster_import_cmd(c->st, NULL, "guardians", path, s.o, s.e), 1);
    streams_close(&s);
    snprintf(want, sizeof want, "%s: bad header; nothing imported\n", path);
    assert_non_null(strstr(s.err, want));
    assert_non_null(strstr(s.err, ":1: missing column 'child_code' in the header\n"));
    streams_free(&s);
    unlink(path);

    streams_open(&s);
    assert_int_equal(roster_import_cmd(c->st, NULL, "teachers", path, s.o, s.e), 2);
    assert_int_equal(roster_import_cmd(c->st, NULL, "staff", "/nonexistent/staff.csv", s.o, s.e), 1);
    streams_close(&s);
    assert_non_null(strstr(s.err, "unknown kind 'teachers'"));
    assert_non_null(strstr(s.err, "/nonexistent/staff.csv: No such file or directory; nothing imported"));
    streams_free(&s);
}

static void export_cmd_checks_its_arguments(void **state)
{
    struct test_store *c = *state;
    struct streams s;
    seed_activity(c);
    streams_open(&s);
    assert_int_equal(roster_export_cmd(c->st, NULL, "children_names", NULL, NULL, s.o, s.e), 2);
    assert_int_equal(roster_export_cmd(c->st, NULL, "visits", "yesterday", NULL, s.o, s.e), 2);
    assert_int_equal(roster_export_cmd(c->st, NULL, "visits", NULL, "2024-13-01", s.o, s.e), 2);
    assert_int_equal(roster_export_cmd(c->st, NULL, "visits", "2024-05-04", "2024-05-01", s.o, s.e), 2);
    streams_close(&s);
    assert_string_equal(s.out, "");
    assert_non_null(strstr(s.err, "unknown export 'children_names'"));
    assert_non_null(strstr(s.err, "--from 'yesterday'"));
    assert_non_null(strstr(s.err, "--to '2024-13-01'"));
    assert_non_null(strstr(s.err, "--from 2024-05-04 is after --to 2024-05-01"));
    streams_free(&s);

    streams_open(&s);
    assert_int_equal(roster_export_cmd(c->st, NULL, "visits", "2024-05-02", "2024-05-03", s.o, s.e), 0);
    streams_close(&s);
    assert_string_equal(s.out, VISITS_H VISIT_2);
    assert_string_equal(s.err, "export visits: 1 rows\n");
    streams_free(&s);

    /* coverage (tests/unit/test_coverage.c has the details): one row per
     * region; on the real clock, so only columns that do not move with it. */
    streams_open(&s);
    assert_int_equal(roster_export_cmd(c->st, NULL, "coverage", NULL, NULL, s.o, s.e), 0);
    streams_close(&s);
    assert_non_null(strstr(s.out, "level,region,children_in_scope,"));
    /* 甲村: 2 children ... 1 director, not flagged, one open P1, acknowledged in 30 minutes */
    const char *jia = strstr(s.out, "\nvillage,示例县/东镇/甲村,2,"), *tail = ",1,0,0,1,0,0,30.0\n";
    assert_non_null(jia);
    const char *eol = strchr(jia + 1, '\n');
    assert_non_null(eol);
    assert_true((size_t)(eol + 1 - jia) > strlen(tail));
    assert_memory_equal(eol + 1 - strlen(tail), tail, strlen(tail));
    assert_string_equal(s.err, "export coverage: 6 rows\n");
    streams_free(&s);
}

/* ---- the demo roster ------------------------------------------------------------- */

static void demo_roster_imports_cleanly(void **state)
{
    struct test_store *c = *state;
    static const char *const kinds[] = {"regions", "staff", "children", "guardians"};
    for (int i = 0; i < 4; i++) {
        char path[64];
        snprintf(path, sizeof path, "examples/roster/%s.csv", kinds[i]);
        FILE *f = fopen(path, "rb");
        if (!f) print_error("%s: run the tests from the repository root\n", path);
        assert_non_null(f);
        enum roster_kind k;
        assert_int_equal(roster_kind_parse(kinds[i], &k), 0);
        struct gw_buf errs = {0};
        struct roster_import_opts o = {.country_code = "86", .on_error = collect, .arg = &errs};
        struct roster_import_result r;
        char err[256] = "";
        int rc = roster_import(c->st, k, f, NOW, &o, &r, err, sizeof err);
        fclose(f);
        if (rc != 0) print_error("%s: rc %d %s\n%s", path, rc, err, gw_buf_cstr(&errs));
        assert_int_equal(rc, 0);
        if (k == ROSTER_CHILDREN) assert_int_equal(r.inserted, 200);
        gw_buf_free(&errs);
    }
    test_expect_q(c, "SELECT count(*) FROM child", "200");
    test_expect_q(c, "SELECT count(*) FROM region WHERE level = 2", "3");
    test_expect_q(c, "SELECT count(*) >= 10 FROM region WHERE level = 3", "1");
    /* a director in every village */
    test_expect_q(c, "SELECT count(*) FROM region r WHERE level = 3 AND NOT EXISTS "
                "(SELECT 1 FROM staff s WHERE s.region_id = r.id AND s.role = 'director')",
             "0");
    /* a supervisor in every town */
    test_expect_q(c, "SELECT count(*) FROM region r WHERE level = 2 AND NOT EXISTS "
                "(SELECT 1 FROM staff s WHERE s.region_id = r.id AND s.role = 'supervisor')",
             "0");
    test_expect_q(c, "SELECT group_concat(department || ':' || n, ' ') FROM (SELECT department, count(*) AS n FROM staff "
                "WHERE role = 'responder' GROUP BY department ORDER BY department) AS t",
             "civil_affairs:2 education:2 health:1 police:2");
    test_expect_q(c, "SELECT count(*) FROM staff WHERE role = 'admin'", "1");
    /* the county office: an officer and an auditor, who sign in to the dashboard */
    test_expect_q(c, "SELECT group_concat(role, ' ') FROM (SELECT role FROM staff WHERE role IN ('county','auditor') "
                "ORDER BY role) AS t",
             "auditor county");
    test_expect_q(c, "SELECT max(n) > 30 FROM (SELECT count(*) AS n FROM child GROUP BY region_id) AS t", "1");
    /* every child has a guardian; some guardians have two children */
    test_expect_q(c, "SELECT count(*) FROM child c WHERE NOT EXISTS "
                "(SELECT 1 FROM guardian_child gc WHERE gc.child_id = c.id)",
             "0");
    test_expect_q(c, "SELECT count(*) > 10 FROM (SELECT guardian_id FROM guardian_child GROUP BY guardian_id "
                "HAVING count(*) = 2) AS t",
             "1");
    test_expect_q(c, "SELECT sum(away) > count(*) / 2 FROM guardian_child", "1");
}

int main(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(imports_a_small_roster, setup, teardown),
        cmocka_unit_test_setup_teardown(reimport_is_an_idempotent_upsert, setup, teardown),
        cmocka_unit_test_setup_teardown(xl_visit_keeps_the_high_cadence, setup, teardown),
        cmocka_unit_test_setup_teardown(bom_crlf_quotes_and_spaces_are_fine, setup, teardown),
        cmocka_unit_test_setup_teardown(birth_date_today_is_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(a_header_only_file_imports_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(children_take_optional_columns_and_single_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(every_bad_file_changes_nothing_and_names_the_line, setup, teardown),
        cmocka_unit_test_setup_teardown(multiple_bad_rows_are_all_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(an_oversized_row_stops_the_import, setup, teardown),
        cmocka_unit_test_setup_teardown(exports_visits_with_date_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(exports_checkins_by_local_day, setup, teardown),
        cmocka_unit_test_setup_teardown(exports_cases_without_the_reporter, setup, teardown),
        cmocka_unit_test_setup_teardown(export_refuses_bad_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(import_cmd_prints_path_line_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(export_cmd_checks_its_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(demo_roster_imports_cleanly, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
