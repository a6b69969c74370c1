/* tests/unit/test_child_record.c - the fuller child record: the ID number
 * cipher (core/secret.h), the roster's optional children columns (every
 * field round-tripped through `export children`, an old-format file, bad
 * values refused with their line), the change log on re-import, and the
 * directors' GX update by SMS (parser and handler).
 *
 * Every test gets a fresh migrated database in a temporary file, seeded
 * through the roster import; a second plain sqlite3 connection reads it to
 * check. The clock is fixed at 2025-06-15T12:00:00+08:00 and TZ is
 * Asia/Shanghai.
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

#include "../../core/secret.h"
#include "../../core/store.h"
#include "../../core/util.h"
#include "../../gateway/export.h"
#include "../../gateway/roster.h"
#include "../../handlers/codebook.h"
#include "../../handlers/handler.h"
#include "../../handlers/roster_import.h"
#include "../../handlers/templates.h"
#include "../common/seed.h"
#include "../common/streams.h"
#include "../common/teststore.h"

#define NOW  1749960000LL /* 2025-06-15T12:00:00+08:00 */
#define NOW2 (NOW + 86400)

#define KEY_HEX   "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define OTHER_HEX "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

/* Valid GB 11643 numbers: born 2015-03-01 (check digit X, typed lower-case
 * below), 2015-03-01 again, and 2018-06-15. */
#define ID_A      "21010220150301100X"
#define ID_A_MASK "210102********100X"
#define ID_B      "210102201503011237"
#define ID_C      "110105201806150029"

#define D1  "+8613800000001" /* director of 甲村 */
#define D2  "+8613800000002" /* director of 乙村 */
#define SUP "+8613800000003" /* supervisor of 东镇 */
#define G1  "+8613900000001" /* a guardian */

static unsigned char id_key[GW_SECRET_KEY_LEN]; /* KEY_HEX, the test's ID key */

static int setup(void **state)
{
    if (test_store_setup(state, "gw-child", 1) != 0) return -1;
    struct test_store *c = *state;
    if (gw_secret_key_parse(KEY_HEX, id_key) != 0) return -1;
    seed_roster(c->st, "regions", "path\n示例县/东镇/甲村\n示例县/东镇/乙村\n", NOW);
    seed_roster(c->st, "staff",
                "phone,name,role,region,department\n"
                "13800000001,刘一,director,示例县/东镇/甲村,\n"
                "13800000002,王二,director,示例县/东镇/乙村,\n"
                "13800000003,张三,supervisor,示例县/东镇,\n",
                NOW);
    return 0;
}

static int teardown(void **state) { return test_store_teardown(state); }

/* ---- helpers ---------------------------------------------------------------- */

static void collect(void *arg, long line, const char *reason) { gw_buf_printf(arg, "%ld: %s\n", line, reason); }

/* Imports a children file as of now with the test key (or none); the
 * reasons go to errs (may be NULL: then there must be none). */
static int import_children(struct test_store *c, const char *csv, int with_key, int64_t now,
                           struct roster_import_result *res, struct gw_buf *errs)
{
    FILE *in = fmemopen((void *)csv, strlen(csv), "r");
    assert_non_null(in);
    struct gw_buf local = {0};
    struct roster_import_opts o = {.country_code = "86",
                                   .on_error = collect,
                                   .arg = errs ? errs : &local,
                                   .id_key = with_key ? id_key : NULL};
    char err[256] = "";
    int rc = roster_import(c->st, ROSTER_CHILDREN, in, now, &o, res, err, sizeof err);
    fclose(in);
    if (rc < 0) print_error("roster_import: %s\n", err);
    if (!errs && local.len) print_error("unexpected errors:\n%s", gw_buf_cstr(&local));
    gw_buf_free(&local);
    return rc;
}

/* The child's change log as "field:old>new:source;" (NULL as ~). */
static char *changes(struct test_store *c, const char *code)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT group_concat(field || ':' || coalesce(old_value, '~') || '>' || coalesce(new_value, '~') || ':' "
             "|| source, ';') FROM (SELECT x.* FROM child_change x JOIN child c ON c.id = x.child_id "
             "WHERE c.code = '%s' ORDER BY x.id) AS t",
             code);
    return test_q1(c, sql);
}

static void expect_changes(struct test_store *c, const char *code, const char *want)
{
    char *got = changes(c, code);
    if (strcmp(got, want) != 0) print_error("changes of %s\n  got  %s\n  want %s\n", code, got, want);
    assert_string_equal(got, want);
    free(got);
}

/* `export children` into an owned string. */
static char *export_children_csv(struct test_store *c)
{
    struct streams s;
    streams_open(&s);
    long rows = 0;
    char err[128] = "";
    assert_int_equal(export_csv(c->st, EXPORT_CHILDREN, NULL, NOW, NULL, NULL, s.o, &rows, err, sizeof err), 0);
    streams_close(&s);
    char *out = gw_strdup(s.out);
    streams_free(&s);
    return out;
}

/* ---- the cipher -------------------------------------------------------------- */

static void secret_round_trip_tamper_and_wrong_key(void **state)
{
    (void)state;
    unsigned char key[GW_SECRET_KEY_LEN], other[GW_SECRET_KEY_LEN];
    char a[GW_SECRET_TEXT_MAX], b[GW_SECRET_TEXT_MAX], back[64];
    assert_int_equal(gw_secret_key_parse(KEY_HEX, key), 0);
    assert_int_equal(gw_secret_key_parse(OTHER_HEX, other), 0);
    assert_int_equal(gw_secret_seal(key, ID_A, a, sizeof a), 0);
    assert_int_equal(gw_secret_seal(key, ID_A, b, sizeof b), 0);
    assert_memory_equal(a, "v1:", 3);
    assert_string_not_equal(a, b); /* a fresh nonce each time */
    assert_null(strstr(a, ID_A));
    assert_null(strstr(a, "20150301"));
    assert_int_equal(gw_secret_open(key, a, back, sizeof back), 0);
    assert_string_equal(back, ID_A);
    assert_int_equal(gw_secret_open(key, b, back, sizeof back), 0);
    assert_string_equal(back, ID_A);

    /* another key fails */
    assert_int_equal(gw_secret_open(other, a, back, sizeof back), -1);
    assert_string_equal(back, "");
    /* every changed character of the text fails (or decodes to other bytes, which the tag catches) */
    for (size_t i = 3; i < strlen(a); i++) {
        char t[GW_SECRET_TEXT_MAX];
        memcpy(t, a, sizeof t);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        if (strcmp(t, a) == 0) continue;
        assert_int_equal(gw_secret_open(key, t, back, sizeof back), -1);
    }
    /* not a sealed value; a cut one; a small output */
    assert_int_equal(gw_secret_open(key, ID_A, back, sizeof back), -1);
    a[strlen(a) - 4] = '\0';
    assert_int_equal(gw_secret_open(key, a, back, sizeof back), -1);
    assert_int_equal(gw_secret_open(key, b, back, 10), -1);
    assert_int_equal(gw_secret_seal(key, ID_A, a, 20), -1);

    /* keys: exactly 64 hex digits */
    assert_int_equal(gw_secret_key_parse(KEY_HEX "0", key), -1);
    assert_int_equal(gw_secret_key_parse("00112233", key), -1);
    assert_int_equal(gw_secret_key_parse("zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", key), -1);
    assert_int_equal(gw_secret_key_parse(NULL, key), -1);
    assert_int_equal(gw_secret_key_parse("00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF", key), 0);
}

/* ---- the import ---------------------------------------------------------------- */

#define FULL_HEADER                                                                                                    \
    "guardianship,code,name,id_number,sex,birth_date,school,region,categories,flags,hukou,carer_name,carer_phone,"    \
    "carer_relation,care_agreement,care_agreement_date\n"

static void every_new_field_round_trips_through_export(void **state)
{
    struct test_store *c = *state;
    struct roster_import_result res;
    const char *csv = FULL_HEADER
        "监护到位,1000015,李小明,21010220150301100x,男,2015-03-01,东关小学,示例县/东镇/甲村,left_behind|single_parent,,"
        "\"辽宁省沈阳市和平区 1号\",王芳,13900000009,祖母,是,2024-09-01\n"
        "=SUM(A1),1000028,赵小红,,F,2008-01-01,,示例县/东镇/乙村,left_behind,psych,,,,,no,\n"
        "\"\",1000031,孙小兵,,M,2018-06-15,,示例县/东镇/乙村,单亲,,,,,,,\n";
    struct gw_buf errs = {0};
    /* 单亲 is the gloss, not the category's name */
    assert_int_equal(import_children(c, csv, 1, NOW, &res, &errs), 1);
    assert_non_null(strstr(gw_buf_cstr(&errs), "4: category '单亲' is not one of left_behind|difficulty|orphan|"
                                                "unsupported|single_parent"));
    gw_buf_free(&errs);
    test_expect_q(c, "SELECT count(*) FROM child", "0");

    csv = FULL_HEADER
        "监护到位,1000015,李小明,21010220150301100x,男,2015-03-01,东关小学,示例县/东镇/甲村,left_behind|single_parent,,"
        "\"辽宁省沈阳市和平区 1号\",王芳,13900000009,祖母,是,2024-09-01\n"
        "=SUM(A1),1000028,赵小红,,F,2008-01-01,,示例县/东镇/乙村,left_behind,psych,,,,,no,\n"
        "\"\",1000031,孙小兵,,M,2018-06-15,,示例县/东镇/乙村,single_parent,,,,,,,\n";
    assert_int_equal(import_children(c, csv, 1, NOW, &res, NULL), 0);
    assert_int_equal(res.inserted, 3);

    /* stored: the ID only sealed, and masked */
    test_expect_q(c, "SELECT id_masked FROM child WHERE code = '1000015'", ID_A_MASK);
    test_expect_q(c, "SELECT substr(id_number, 1, 3) FROM child WHERE code = '1000015'", "v1:");
    test_expect_q(c, "SELECT count(*) FROM child WHERE instr(upper(id_number), '" ID_A "') > 0", "0");
    test_expect_q(c, "SELECT carer_phone || ' ' || care_agreement || ' ' || categories FROM child WHERE code = '1000015'",
             "+8613900000009 1 left_behind|single_parent");
    test_expect_q(c, "SELECT coalesce(id_number, 'none') || ' ' || care_agreement FROM child WHERE code = '1000028'",
             "none 0");
    test_expect_q(c, "SELECT coalesce(CAST(care_agreement AS TEXT), 'NULL') FROM child WHERE code = '1000031'", "NULL");
    char sealed[GW_SECRET_TEXT_MAX], back[64];
    assert_int_equal(store_child_sealed_id(c->st, "1000015", sealed, sizeof sealed), 0);
    assert_int_equal(gw_secret_open(id_key, sealed, back, sizeof back), 0);
    assert_string_equal(back, ID_A);
    expect_changes(c, "1000015", "NULL"); /* a new child has no change rows */

    char *out = export_children_csv(c);
    assert_string_equal(out, "code,name,sex,birth_date,region,categories,flags,id_masked,hukou,school,carer_name,"
                             "carer_phone,carer_relation,care_agreement,care_agreement_date,guardianship,aged_out,"
                             "created\n"
                             "1000015,李小明,M,2015-03-01,示例县/东镇/甲村,left_behind|single_parent,," ID_A_MASK
                             ",辽宁省沈阳市和平区 1号,东关小学,王芳,+86139****0009,祖母,yes,2024-09-01,监护到位,no,"
                             "2025-06-15T12:00:00+08:00\n"
                             "1000028,赵小红,F,2008-01-01,示例县/东镇/乙村,left_behind,psych,,,,,,,no,,\"'=SUM(A1)\","
                             "yes,2025-06-15T12:00:00+08:00\n"
                             "1000031,孙小兵,M,2018-06-15,示例县/东镇/乙村,single_parent,,,,,,,,,,,no,"
                             "2025-06-15T12:00:00+08:00\n");
    assert_null(strstr(out, ID_A));
    assert_null(strstr(out, "13900000009"));
    free(out);

    /* the same file again changes nothing: the sealed text stays as it was */
    assert_int_equal(import_children(c, csv, 1, NOW2, &res, NULL), 0);
    assert_int_equal(res.unchanged, 3);
    char sealed2[GW_SECRET_TEXT_MAX];
    assert_int_equal(store_child_sealed_id(c->st, "1000015", sealed2, sizeof sealed2), 0);
    assert_string_equal(sealed, sealed2);
    test_expect_q(c, "SELECT count(*) FROM child_change", "0");
    test_expect_q(c, "SELECT count(*) FROM child WHERE updated_at IS NOT NULL", "0");
}

static void an_old_format_file_imports_as_before_and_leaves_new_fields_alone(void **state)
{
    struct test_store *c = *state;
    struct roster_import_result res;
    const char *old = "code,name,sex,birth_date,region,categories,flags\n"
                      "1000015,李小明,M,2015-03-01,示例县/东镇/甲村,left_behind,\n";
    assert_int_equal(import_children(c, old, 0, NOW, &res, NULL), 0);
    assert_int_equal(res.inserted, 1);
    test_expect_q(c,
             "SELECT coalesce(id_number, '~') || coalesce(id_masked, '~') || coalesce(school, '~') || "
             "coalesce(CAST(care_agreement AS TEXT), '~') || coalesce(CAST(updated_at AS TEXT), '~') FROM child",
             "~~~~~");
    /* a file with some of the new columns fills them ... */
    assert_int_equal(import_children(c,
                                     "code,name,sex,birth_date,region,categories,flags,school,id_number\n"
                                     "1000015,李小明,M,2015-03-01,示例县/东镇/甲村,left_behind,,东关小学," ID_B "\n",
                                     1, NOW, &res, NULL),
                     0);
    assert_int_equal(res.updated, 1);
    /* ... and the old format again (no key needed) leaves them as they are */
    assert_int_equal(import_children(c, old, 0, NOW2, &res, NULL), 0);
    assert_int_equal(res.unchanged, 1);
    test_expect_q(c, "SELECT school || ' ' || id_masked FROM child", "东关小学 210102********1237");
}

static void bad_values_are_refused_with_their_line(void **state)
{
    struct test_store *c = *state;
    struct roster_import_result res;
    struct gw_buf errs = {0};
    const char *csv = "code,name,sex,birth_date,region,categories,flags,id_number,care_agreement,"
                      "care_agreement_date,carer_phone\n"
                      "1000015,甲,M,2015-03-01,示例县/东镇/甲村,left_behind,,210102201503011238,,,\n" /* 2: check digit */
                      "1000028,乙,M,2015-03-02,示例县/东镇/甲村,left_behind,,210102201503011237,,,\n" /* 3: birth */
                      "1000031,丙,M,2015-03-01,示例县/东镇/甲村,left_behind,,2101022015030112,,,\n"   /* 4: length */
                      "1000044,丁,M,2015-03-01,示例县/东镇/甲村,left_behind,,21010220150301123A,,,\n" /* 5: digit */
                      "1000057,戊,M,2015-03-01,示例县/东镇/甲村,left_behind,,,maybe,2024-02-30,12345\n"; /* 6 */
    assert_int_equal(import_children(c, csv, 1, NOW, &res, &errs), 1);
    const char *e = gw_buf_cstr(&errs);
    assert_non_null(strstr(e, "2: id_number has a wrong check digit"));
    assert_non_null(strstr(e, "3: id_number holds the birth date 2015-03-01 but birth_date is 2015-03-02"));
    assert_non_null(strstr(e, "4: id_number must be 18 characters"));
    assert_non_null(strstr(e, "5: id_number must be 17 digits followed by a check digit 0-9 or X"));
    assert_non_null(strstr(e, "6: care_agreement 'maybe' is not one of yes|no|是|否|1|0"));
    assert_non_null(strstr(e, "6: care_agreement_date '2024-02-30' is not a real date"));
    assert_non_null(strstr(e, "6: carer_phone '12345' is not"));
    assert_null(strstr(e, "2101022015030112")); /* a reason never repeats the number */
    assert_int_equal(res.bad_rows, 5);
    test_expect_q(c, "SELECT count(*) FROM child", "0");
    gw_buf_free(&errs);

    /* a good number without a key is an error for that row */
    struct gw_buf e2 = {0};
    assert_int_equal(import_children(c,
                                     "code,name,sex,birth_date,region,categories,flags,id_number\n"
                                     "1000015,甲,M,2015-03-01,示例县/东镇/甲村,left_behind,,\n"
                                     "1000028,乙,F,2018-06-15,示例县/东镇/甲村,left_behind,," ID_C "\n",
                                     0, NOW, &res, &e2),
                     1);
    assert_string_equal(gw_buf_cstr(&e2), "3: id_number needs [privacy] id_key (the key it is stored encrypted with)\n");
    test_expect_q(c, "SELECT count(*) FROM child", "0");
    gw_buf_free(&e2);
}

static void reimport_logs_each_changed_field(void **state)
{
    struct test_store *c = *state;
    struct roster_import_result res;
    const char *v1 = "code,name,sex,birth_date,region,categories,flags,school,id_number,care_agreement\n"
                     "1000015,李小明,M,2015-03-01,示例县/东镇/甲村,left_behind,,东关小学," ID_A ",yes\n";
    assert_int_equal(import_children(c, v1, 1, NOW, &res, NULL), 0);
    char *region_a = test_q1(c, "SELECT id FROM region WHERE path = '示例县/东镇/甲村'");
    char *region_b = test_q1(c, "SELECT id FROM region WHERE path = '示例县/东镇/乙村'");
    /* moved to 乙村, a second category, a flag, a new school, a new ID number, no agreement */
    const char *v2 = "code,name,sex,birth_date,region,categories,flags,school,id_number,care_agreement\n"
                     "1000015,李小明,M,2015-03-01,示例县/东镇/乙村,left_behind|orphan,psych,西关中学," ID_B ",no\n";
    assert_int_equal(import_children(c, v2, 1, NOW2, &res, NULL), 0);
    assert_int_equal(res.updated, 1);
    char want[512];
    snprintf(want, sizeof want,
             "region_id:%s>%s:import;categories:left_behind>left_behind|orphan:import;flags:>psych:import;"
             "id_number:>:import;id_masked:" ID_A_MASK ">210102********1237:import;school:东关小学>西关中学:import;"
             "care_agreement:1>0:import",
             region_a, region_b);
    expect_changes(c, "1000015", want);
    test_expect_q(c, "SELECT count(*) FROM child_change WHERE at = 1750046400", "7");
    test_expect_q(c, "SELECT updated_at FROM child", "1750046400");
    /* the log never holds the number, sealed or masked or in clear */
    test_expect_q(c, "SELECT count(*) FROM child_change WHERE instr(coalesce(old_value, '') || coalesce(new_value, ''), "
                "'v1:') > 0 OR instr(coalesce(old_value, '') || coalesce(new_value, ''), '20150301') > 0",
             "0");
    /* again: nothing more */
    assert_int_equal(import_children(c, v2, 1, NOW2 + 60, &res, NULL), 0);
    assert_int_equal(res.unchanged, 1);
    test_expect_q(c, "SELECT count(*) FROM child_change", "7");
    /* an empty cell clears the value, and says so */
    const char *v3 = "code,name,sex,birth_date,region,categories,flags,school\n"
                     "1000015,李小明,M,2015-03-01,示例县/东镇/乙村,left_behind|orphan,psych,\n";
    assert_int_equal(import_children(c, v3, 1, NOW2 + 120, &res, NULL), 0);
    test_expect_q(c, "SELECT field || ':' || old_value || '>' || coalesce(new_value, '~') FROM child_change ORDER BY id "
                "DESC LIMIT 1",
             "school:西关中学>~");
    free(region_a);
    free(region_b);
}

/* ---- GX by SMS ------------------------------------------------------------------ */

static void gx_parses_school_and_carer(void **state)
{
    (void)state;
    struct cb_cmd cmd;
    assert_int_equal(cb_parse("GX 1000015 学校 东关小学 三年级", strlen("GX 1000015 学校 东关小学 三年级"), NOW, &cmd),
                     CB_UPDATE);
    assert_int_equal(cmd.error, CB_OK);
    assert_int_equal(cmd.update, CB_U_SCHOOL);
    assert_string_equal(cmd.child, "1000015");
    assert_string_equal(cmd.note, "东关小学 三年级");
    cb_cmd_free(&cmd);

    const char *t = "gx1000015学校东关小学";
    assert_int_equal(cb_parse(t, strlen(t), NOW, &cmd), CB_UPDATE);
    assert_int_equal(cmd.error, CB_OK);
    assert_int_equal(cmd.update, CB_U_SCHOOL);
    assert_string_equal(cmd.note, "东关小学");
    cb_cmd_free(&cmd);

    t = "更新 1000015 照料人：王芳，电话 139-0000-0009，关系 奶奶";
    assert_int_equal(cb_parse(t, strlen(t), NOW, &cmd), CB_UPDATE);
    assert_int_equal(cmd.error, CB_OK);
    assert_int_equal(cmd.update, CB_U_CARER);
    assert_string_equal(cmd.name, "王芳");
    assert_string_equal(cmd.phone, "13900000009");
    assert_string_equal(cmd.note, "奶奶");
    cb_cmd_free(&cmd);

    t = "ＧＸ　１００００１５　照料　王芳　１３９ ０００００００９";
    assert_int_equal(cb_parse(t, strlen(t), NOW, &cmd), CB_UPDATE);
    assert_int_equal(cmd.error, CB_OK);
    assert_string_equal(cmd.phone, "13900000009");
    assert_null(cmd.note);
    cb_cmd_free(&cmd);

    static const struct {
        const char *in;
        enum cb_error error;
    } bad[] = {
        {"GX", CB_E_CHILD_MISSING},
        {"GX 1000016 学校 东关小学", CB_E_CHILD_CHECK},
        {"GX 1000015", CB_E_FIELD_MISSING},
        {"GX 1000015 东关小学", CB_E_FIELD_MISSING},
        {"GX 1000015 学校", CB_E_VALUE_MISSING},
        {"GX 1000015 照料 13900000009", CB_E_VALUE_MISSING},
        {"GX 1000015 照料 王芳", CB_E_PHONE_MISSING},
        {"GX 1000015 照料 王芳 12345", CB_E_PHONE_BAD},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(cb_parse(bad[i].in, strlen(bad[i].in), NOW, &cmd), CB_UPDATE);
        if (cmd.error != bad[i].error) print_error("%s: %s\n", bad[i].in, cb_error_name(cmd.error));
        assert_int_equal(cmd.error, bad[i].error);
        cb_cmd_free(&cmd);
    }
    /* 更新 inside words stays free text */
    t = "更新一下孩子的情况";
    assert_int_equal(cb_parse(t, strlen(t), NOW, &cmd), CB_UNKNOWN);
    cb_cmd_free(&cmd);
    assert_string_equal(cb_intent_name(CB_UPDATE), "update");
    assert_string_equal(cb_error_name(CB_E_PHONE_BAD), "phone_bad");
}

/* Runs one SMS from `from` through the handlers in a transaction of its own. */
static void sms(struct test_store *c, const char *from, const char *text, int64_t now, struct h_result *res)
{
    struct gw_policy pol = gw_policy_defaults();
    pol.country_code = "86";
    struct h_env env = {.st = c->st, .pol = &pol};
    struct h_msg m = {.channel = "test", .from = from, .text = text, .len = strlen(text), .now = now};
    char err[128] = "";
    assert_int_equal(store_begin(c->st), 0);
    if (handlers_run(&env, &m, res, err, sizeof err) != 0) {
        store_rollback(c->st);
        fail_msg("handlers_run: %s", err);
    }
    assert_int_equal(store_commit(c->st), 0);
}

/* The first reply's template and its rendered text (static buffer). */
static const char *reply(const struct h_result *res, const char *tmpl)
{
    static char text[512];
    assert_true(res->nreplies >= 1);
    if (strcmp(res->replies[0].tmpl, tmpl) != 0) print_error("reply %s, want %s\n", res->replies[0].tmpl, tmpl);
    assert_string_equal(res->replies[0].tmpl, tmpl);
    struct gw_buf b = {0};
    char err[128];
    assert_int_equal(tmpl_render(NULL, tmpl, res->replies[0].vars, res->replies[0].nvars, &b, err, sizeof err), 0);
    assert_true(tmpl_ucs2_len(gw_buf_cstr(&b)) <= 70);
    snprintf(text, sizeof text, "%s", gw_buf_cstr(&b));
    gw_buf_free(&b);
    return text;
}

static void gx_updates_only_for_the_childs_director_or_supervisor(void **state)
{
    struct test_store *c = *state;
    struct h_result res;
    seed_roster(c->st, "children",
                "code,name,sex,birth_date,region,categories,flags\n"
                "1000015,李小明,M,2015-03-01,示例县/东镇/甲村,left_behind,\n"
                "1000028,赵小红,F,2016-03-01,示例县/东镇/乙村,left_behind,\n",
                NOW);
    seed_roster(c->st, "guardians", "phone,name,relation,child_code,away\n13900000001,李父,父亲,1000015,yes\n", NOW);

    sms(c, D1, "GX 1000015 学校 东关小学", NOW, &res);
    assert_int_equal(res.intent, CB_UPDATE);
    assert_string_equal(res.result, "ok");
    const char *t = reply(&res, "update_school_ok");
    assert_non_null(strstr(t, "1000015"));
    assert_null(strstr(t, "东关小学"));
    assert_null(strstr(t, "李小明"));
    test_expect_q(c, "SELECT school || ' ' || updated_at FROM child WHERE code = '1000015'", "东关小学 1749960000");
    expect_changes(c, "1000015", "school:~>东关小学:sms");

    sms(c, D1, "GX 1000015 照料 王芳 13900000009 奶奶", NOW + 60, &res);
    t = reply(&res, "update_carer_ok");
    assert_null(strstr(t, "王芳"));
    assert_null(strstr(t, "13900000009"));
    test_expect_q(c, "SELECT carer_name || ' ' || carer_phone || ' ' || carer_relation FROM child WHERE code = '1000015'",
             "王芳 +8613900000009 奶奶");
    expect_changes(c, "1000015",
                   "school:~>东关小学:sms;carer_name:~>王芳:sms;carer_phone:~>+8613900000009:sms;"
                   "carer_relation:~>奶奶:sms");
    assert_string_equal(res.detail, "child=1 changed=3");

    /* the same again: the same answer, nothing logged */
    sms(c, D1, "GX 1000015 照料 王芳 13900000009 奶奶", NOW + 120, &res);
    reply(&res, "update_carer_ok");
    assert_string_equal(res.detail, "child=1 changed=0");
    test_expect_q(c, "SELECT count(*) FROM child_change", "4");

    /* another village's director: refused, as for a code nobody has */
    sms(c, D2, "GX 1000015 学校 西关中学", NOW + 180, &res);
    assert_string_equal(res.result, "refused");
    t = reply(&res, "update_not_allowed");
    assert_non_null(strstr(t, "1000015"));
    sms(c, D2, "GX 1000031 学校 西关中学", NOW + 180, &res);
    assert_string_equal(res.result, "invalid");
    reply(&res, "update_not_allowed");
    /* a guardian, and an unregistered number */
    sms(c, G1, "GX 1000015 学校 西关中学", NOW + 180, &res);
    reply(&res, "update_not_staff");
    sms(c, "+8613700000000", "GX 1000015 学校 西关中学", NOW + 180, &res);
    reply(&res, "update_not_staff");
    test_expect_q(c, "SELECT school FROM child WHERE code = '1000015'", "东关小学");
    test_expect_q(c, "SELECT count(*) FROM child_change", "4");

    /* the town's supervisor may */
    sms(c, SUP, "GX 1000028 学校 西关中学", NOW + 240, &res);
    reply(&res, "update_school_ok");
    expect_changes(c, "1000028", "school:~>西关中学:sms");

    /* errors of form */
    sms(c, D1, "GX 1000015", NOW + 300, &res);
    reply(&res, "update_field_missing");
    sms(c, D1, "GX 1000015 照料 王芳 139000", NOW + 300, &res);
    reply(&res, "update_phone_bad");
    sms(c, D1, "GX 1000015 照料 王芳 23900000009", NOW + 300, &res);
    reply(&res, "update_phone_bad");
    sms(c, D1, "GX 1000015 学校", NOW + 300, &res);
    reply(&res, "update_school_missing");
    sms(c, D1, "GX 1000016 学校 东关小学", NOW + 300, &res);
    reply(&res, "child_check");
    test_expect_q(c, "SELECT count(*) FROM child_change", "5");

    /* the directors' help names the command */
    sms(c, D1, "BZ", NOW + 360, &res);
    assert_non_null(strstr(reply(&res, "help_director"), "GX"));
}

int main(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(secret_round_trip_tamper_and_wrong_key),
        cmocka_unit_test_setup_teardown(every_new_field_round_trips_through_export, setup, teardown),
        cmocka_unit_test_setup_teardown(an_old_format_file_imports_as_before_and_leaves_new_fields_alone, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(bad_values_are_refused_with_their_line, setup, teardown),
        cmocka_unit_test_setup_teardown(reimport_logs_each_changed_field, setup, teardown),
        cmocka_unit_test(gx_parses_school_and_carer),
        cmocka_unit_test_setup_teardown(gx_updates_only_for_the_childs_director_or_supervisor, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
