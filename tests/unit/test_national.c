/* tests/unit/test_national.c - the national system feed
 * (gateway/export_national.c): an [export national] mapping loaded from a
 * config file, applied to children seeded by the roster import, written as
 * UTF-8 with a byte-order mark and as GB18030 (decoded again with iconv and
 * compared), the national ID opened with the [privacy] key, and the
 * refusals: a value GB18030 cannot take, a mapping naming an unknown field. */
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../core/calendar.h"
#include "../../core/config.h"
#include "../../core/secret.h"
#include "../../core/store.h"
#include "../../core/util.h"
#include "../../gateway/config_load.h"
#include "../../gateway/export_national.h"
#include "../common/harness.h"
#include "../common/seed.h"
#include "../common/teststore.h"

#define JIA     "示例县/东镇/甲村"
#define KEY_HEX "0707070707070707070707070707070707070707070707070707070707070707"
#define ID_FULL "110105201501010012"

/* The mapping of the tests, up to the encoding line. */
#define MAPPING                                                                                                        \
    "[privacy]\nid_key = " KEY_HEX "\n"                                                                                \
    "[export national]\n"                                                                                              \
    "columns = 姓名:name,身份证号:id_number,性别:sex,出生日期:birth_date,\n"                                          \
    "  乡镇:town,村:village,类别:categories,户籍:hukou,监护人电话:guardian_phone,\n"                                   \
    "  照料人:carer_name,协议:care_agreement,编号:code\n"                                                              \
    "date_format = %Y%m%d\n"                                                                                           \
    "sex_map = M:男,F:女\n"                                                                                            \
    "category_map = left_behind:农村留守儿童,difficulty:困境儿童\n"                                                   \
    "care_agreement_map = 1:是,0:否\n"

static struct store *st;
static char path[SEED_PATH_MAX];
static int64_t now;

static int world(void **state)
{
    st = seed_store_new("gw-national", path);
    int64_t day = 0;
    assert_int_equal(cal_date_parse("2025-06-15", &day), 0);
    now = cal_local_at(day, 10 * 60);
    seed_roster(st, "regions", "path\n" JIA "\n", now);
    seed_roster(st, "children",
                "code,name,sex,birth_date,region,categories,flags,hukou,carer_name,care_agreement\n"
                "1000015,张小红,F,2015-01-01," JIA ",left_behind|difficulty,,\"东镇甲村8号,西院\",张奶奶,yes\n"
                "1000028,李明,M,2016-02-03," JIA ",left_behind,,,,\n",
                now);
    seed_roster(st, "guardians", "phone,name,relation,child_code,away\n+8613900000001,张父,父亲,1000015,1\n", now);
    unsigned char key[GW_SECRET_KEY_LEN];
    char sealed[GW_SECRET_TEXT_MAX], sql[512];
    assert_int_equal(gw_secret_key_parse(KEY_HEX, key), 0);
    assert_int_equal(gw_secret_seal(key, ID_FULL, sealed, sizeof sealed), 0);
    snprintf(sql, sizeof sql, "UPDATE child SET id_number = '%s' WHERE code = '1000015'", sealed);
    tdb_exec(path, "%s", sql);
    return 0;
}

/* world on SQLite even under GATEWAY_TEST_PG: only SQLite stores a name
 * that is not valid UTF-8 (PostgreSQL refuses the bytes). */
static int world_sqlite(void **state)
{
    seed_force_sqlite(1);
    int rc = world(state);
    seed_force_sqlite(0);
    return rc;
}

static int unworld(void **state)
{
    seed_store_free(st, path);
    return 0;
}

/* Loads a config of text (written to a temporary file): the config, or NULL with err. */
static struct gw_config *load(const char *text, char *err, size_t errlen)
{
    char file[] = "/tmp/gw-national-XXXXXX";
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    seed_store_ini(f, path);
    fputs(text, f);
    fclose(f);
    struct gw_config *cfg = NULL;
    int rc = gw_config_load(file, &cfg, err, errlen);
    unlink(file);
    return rc == 0 ? cfg : NULL;
}

/* Runs the export with the mapping and encoding: the exit status, the bytes written (owned) and their length. */
static int run(const char *encoding, char **out, size_t *len, char *err, size_t errlen)
{
    char text[2048], lerr[256];
    snprintf(text, sizeof text, "%sencoding = %s\n", MAPPING, encoding);
    struct gw_config *cfg = load(text, lerr, sizeof lerr);
    if (!cfg) fail_msg("config: %s", lerr);
    char *e = NULL;
    size_t elen = 0;
    FILE *o = open_memstream(out, len), *ef = open_memstream(&e, &elen);
    int rc = export_national_cmd(st, cfg, now, o, ef);
    fclose(o);
    fclose(ef);
    gw_strlcpy(err, e, errlen);
    free(e);
    gw_config_free(cfg);
    return rc;
}

/* The GB18030 bytes [s, s + n) decoded to UTF-8 (owned). */
static char *from_gb18030(const char *s, size_t n)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    assert_true(cd != (iconv_t)-1);
    size_t cap = n * 2 + 16, left = cap;
    char *out = calloc(1, cap), *in = (char *)s, *o = out;
    assert_int_not_equal(iconv(cd, &in, &n, &o, &left), (size_t)-1);
    iconv_close(cd);
    return out;
}

static const char WANT[] =
    "姓名,身份证号,性别,出生日期,乡镇,村,类别,户籍,监护人电话,照料人,协议,编号\r\n"
    "张小红," ID_FULL ",女,20150101,东镇,甲村,农村留守儿童、困境儿童,\"东镇甲村8号,西院\",13900000001,张奶奶,是,1000015\r\n"
    "李明,,男,20160203,东镇,甲村,农村留守儿童,,,,,1000028\r\n";

static void utf8_with_bom(void **state)
{
    char *out, err[256];
    size_t len;
    assert_int_equal(run("utf-8-bom", &out, &len, err, sizeof err), 0);
    assert_true(len > 3);
    assert_memory_equal(out, "\xEF\xBB\xBF", 3);
    assert_string_equal(out + 3, WANT);
    assert_int_equal(tdb_int(path, "SELECT count(*) FROM audit WHERE action = 'export national' AND "
                                  "records = 'children:2'"),
                     1);
    free(out);
}

static void gb18030_decodes_to_the_same(void **state)
{
    char *out, err[256];
    size_t len;
    assert_int_equal(run("gb18030", &out, &len, err, sizeof err), 0);
    assert_memory_not_equal(out, "\xEF\xBB\xBF", 3);
    assert_non_null(memmem(out, len, "\xC5\xAE", 2)); /* 女 in GB18030 */
    assert_null(memmem(out, len, "女", strlen("女")));
    char *text = from_gb18030(out, len);
    assert_string_equal(text, WANT);
    free(text);
    free(out);
}

static void unencodable_value_names_the_child(void **state)
{
    tdb_exec(path, "UPDATE child SET name = CAST(X'E69D8EFF' AS TEXT) WHERE code = '1000028'");
    char *out, err[256];
    size_t len;
    assert_int_equal(run("gb18030", &out, &len, err, sizeof err), 1);
    assert_int_equal(len, 0);
    assert_non_null(strstr(err, "child 1000028"));
    assert_int_equal(tdb_int(path, "SELECT count(*) FROM audit WHERE action = 'export national'"), 0);
    free(out);
}

static void mapping_is_checked_at_load(void **state)
{
    char err[256];
    assert_null(load("[export national]\ncolumns = 姓名:nmae\n", err, sizeof err));
    assert_non_null(strstr(err, "unknown source field 'nmae'"));
    assert_null(load("[export national]\nencoding = latin1\n", err, sizeof err));
    assert_non_null(strstr(err, "expected utf-8-bom or gb18030"));
    assert_null(load("[export national]\ndate_format = %d.%m.%Y\n", err, sizeof err));
    assert_null(load("[retention]\nreporter_days = -1\n", err, sizeof err));
    struct gw_config *cfg = load("[retention]\nmessage_days = 0\n", err, sizeof err);
    assert_non_null(cfg);
    assert_int_equal(cfg->retention.message_days, 0);
    assert_int_equal(cfg->retention.reporter_days, 1095);
    gw_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(utf8_with_bom, world, unworld),
        cmocka_unit_test_setup_teardown(gb18030_decodes_to_the_same, world, unworld),
        cmocka_unit_test_setup_teardown(unencodable_value_names_the_child, world_sqlite, unworld),
        cmocka_unit_test_setup_teardown(mapping_is_checked_at_load, world, unworld),
    };
    setenv("TZ", "Asia/Shanghai", 1);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
