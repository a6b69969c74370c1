/* tests/e2e/test_child_record.c - the fuller child record through the real
 * binary: a national ID number imported with [privacy] id_key never lies
 * in clear in the database file or its WAL (read byte by byte; on
 * PostgreSQL, in no table's rows), `export children` shows it masked and
 * is audited, a bad or missing key is refused, and a director updates a
 * child's school and carer by SMS (GX) while another village's director is
 * refused.
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

#include "../common/harness.h"

#define KEY_HEX   "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define ID_NUMBER "21010220150301100X" /* GB 11643, born 2015-03-01 */
#define ID_MASKED "210102********100X"
#define DIRECTOR  "+8613800000001" /* 上湾村 */
#define OTHER_DIR "+8613800000002" /* 石桥村 */
#define CHILD     "1110011"        /* a child of 上湾村 in examples/roster/ */

#define PRIVACY_INI "[privacy]\nid_key = env:GATEWAY_ID_KEY\n"

static struct gw_proc G;

static int setup(void **state)
{
    (void)state;
    setenv("GATEWAY_ID_KEY", KEY_HEX, 1);
    return gwp_init(&G, PRIVACY_INI, 1);
}

/* The same on SQLite even when GATEWAY_TEST_PG is set: for a test that
 * reads SQLite's database file and WAL byte by byte. */
static int setup_sqlite(void **state)
{
    gwp_force_sqlite(1);
    int rc = setup(state);
    gwp_force_sqlite(0);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    gwp_cleanup(&G);
    unsetenv("GATEWAY_ID_KEY");
    return 0;
}

/* Writes text to a file in the test's folder; returns its path (static). */
static const char *write_csv(const char *name, const char *text)
{
    static char path[400];
    snprintf(path, sizeof path, "%s/%s", G.dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* 1 when needle occurs in the n bytes at hay. */
static int has_bytes(const char *hay, size_t n, const char *needle)
{
    return hay && memmem(hay, n, needle, strlen(needle)) != NULL;
}

#define NEW_CHILD                                                                                                      \
    "code,name,sex,birth_date,region,categories,flags,id_number,school,carer_name,carer_phone,carer_relation,"       \
    "care_agreement,care_agreement_date,hukou,guardianship\n"                                                         \
    "1000015,李小明,M,2015-03-01,示例县/东溪镇/上湾村,left_behind|single_parent,," ID_NUMBER                           \
    ",东关小学,王芳,13900000009,祖母,yes,2024-09-01,示例县东溪镇上湾村8号,良好\n"

/* How many of the PostgreSQL database's tables hold text in a row (any
 * column, as the row's text) that contains needle. */
static int64_t pg_tables_holding(const char *needle)
{
    return db_int(G.db,
                  "SELECT count(*) FROM information_schema.tables t WHERE t.table_schema = 'public' AND "
                  "t.table_type = 'BASE TABLE' AND strpos(query_to_xml(format('SELECT * FROM %%I', t.table_name), "
                  "true, false, '')::text, %Q) > 0",
                  needle);
}

/* The number is nowhere in clear where the store keeps its data, masked
 * it is. SQLite: the database file and the WAL, byte by byte (whole: also
 * the masked form and the lower-case x; else the WAL beside a running
 * gateway). PostgreSQL: every table's rows. */
static void assert_not_in_clear(int whole)
{
    if (db_is_pg(G.db)) {
        assert_int_equal(pg_tables_holding(ID_NUMBER), 0);
        assert_int_equal(pg_tables_holding("21010220150301100x"), 0);
        assert_int_equal(pg_tables_holding("2101022015030110"), 0); /* not even its first 16 digits */
        assert_true(pg_tables_holding(ID_MASKED) >= 1);
        return;
    }
    char wal[320];
    snprintf(wal, sizeof wal, "%s-wal", G.db);
    size_t dn = 0, wn = 0;
    char *wb = read_file(wal, &wn);
    if (!whole) {
        assert_false(has_bytes(wb, wn, ID_NUMBER));
        free(wb);
        return;
    }
    /* the import's process has closed the database (a checkpoint); read
     * the file and whatever WAL is left, byte by byte */
    char *db = read_file(G.db, &dn);
    assert_non_null(db);
    assert_false(has_bytes(db, dn, ID_NUMBER));
    assert_false(has_bytes(db, dn, "21010220150301100x"));
    assert_false(has_bytes(db, dn, "2101022015030110")); /* not even its first 16 digits */
    assert_false(has_bytes(wb, wn, ID_NUMBER));
    assert_false(has_bytes(wb, wn, "2101022015030110"));
    assert_true(has_bytes(db, dn, ID_MASKED) || has_bytes(wb, wn, ID_MASKED)); /* the file is the one written */
    free(db);
    free(wb);
}

static void the_id_number_is_never_in_clear_on_disk(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    const char *csv = write_csv("new-child.csv", NEW_CHILD);
    const char *imp[] = {"import", "-c", G.cfg, "children", csv, NULL};
    assert_int_equal(gwp_run(imp, &out, &err), 0);
    assert_non_null(strstr(out, "1 inserted"));
    assert_null(strstr(err ? err : "", ID_NUMBER));
    free(out);
    free(err);

    assert_not_in_clear(1);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM child WHERE code = '1000015' AND id_number LIKE 'v1:%%'"), 1);

    /* a running gateway's WAL holds no number either */
    assert_int_equal(gwp_start(&G), 0);
    assert_int_equal(gwp_run(imp, &out, &err), 0); /* unchanged: written again beside the server */
    free(out);
    free(err);
    assert_not_in_clear(0);
    assert_int_equal(gwp_stop(&G, 15), 0);

    /* export children: masked, phones masked, audited */
    const char *exp[] = {"export", "-c", G.cfg, "children", NULL};
    assert_int_equal(gwp_run(exp, &out, &err), 0);
    assert_non_null(strstr(out, "code,name,sex,birth_date,region,categories,flags,id_masked,hukou,school,"));
    assert_non_null(strstr(out, "\n1000015,李小明,M,2015-03-01,示例县/东溪镇/上湾村,left_behind|single_parent,," ID_MASKED
                                ",示例县东溪镇上湾村8号,东关小学,王芳,+86139****0009,祖母,yes,2024-09-01,良好,no,"));
    assert_null(strstr(out, ID_NUMBER));
    assert_null(strstr(out, "13900000009"));
    assert_non_null(strstr(err, "export children:"));
    free(out);
    free(err);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM audit WHERE action = 'export children'"), 1);
    const char *ranged[] = {"export", "-c", G.cfg, "children", "--from", "2024-01-01", NULL};
    assert_int_equal(gwp_run(ranged, &out, &err), 2);
    free(out);
    free(err);
}

static void a_bad_or_missing_key_is_refused(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    /* a bad key: a start-up error naming the key, never its value */
    setenv("GATEWAY_ID_KEY", "not-a-key-0123456789", 1);
    const char *mig[] = {"migrate", "-c", G.cfg, NULL};
    assert_int_not_equal(gwp_run(mig, &out, &err), 0);
    assert_non_null(strstr(err, "id_key"));
    assert_null(strstr(err, "not-a-key-0123456789"));
    free(out);
    free(err);
    unsetenv("GATEWAY_ID_KEY");
    assert_int_not_equal(gwp_run(mig, &out, &err), 0);
    assert_non_null(strstr(err, "GATEWAY_ID_KEY"));
    free(out);
    free(err);

    /* no [privacy] at all: the row with a number is refused, with its line */
    struct gw_proc plain;
    assert_int_equal(gwp_init(&plain, NULL, 1), 0);
    char path[400];
    snprintf(path, sizeof path, "%s/new-child.csv", plain.dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(NEW_CHILD, f);
    fclose(f);
    const char *imp[] = {"import", "-c", plain.cfg, "children", path, NULL};
    assert_int_equal(gwp_run(imp, &out, &err), 1);
    assert_non_null(strstr(err, "new-child.csv:2: id_number needs [privacy] id_key"));
    assert_non_null(strstr(err, "nothing imported"));
    assert_null(strstr(err, ID_NUMBER));
    free(out);
    free(err);
    assert_int_equal(db_int(plain.db, "SELECT count(*) FROM child WHERE code = '1000015'"), 0);
    gwp_cleanup(&plain);
    setenv("GATEWAY_ID_KEY", KEY_HEX, 1);
}

/* One SMS through `gateway sms`; returns its output (owned). */
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

static void a_director_updates_school_and_carer_by_sms(void **state)
{
    (void)state;
    char *out = sms(DIRECTOR, "GX " CHILD " 学校 东关小学");
    assert_non_null(strstr(out, "已更新儿童" CHILD "的就读学校"));
    assert_null(strstr(out, "东关小学"));
    free(out);
    out = sms(DIRECTOR, "更新 " CHILD " 照料人 王芳 13900000009 奶奶");
    assert_non_null(strstr(out, "已更新儿童" CHILD "的照料人信息"));
    assert_null(strstr(out, "王芳"));
    free(out);
    char *v = db_text(G.db, "SELECT school || '|' || carer_name || '|' || carer_phone || '|' || carer_relation "
                            "FROM child WHERE code = '" CHILD "'");
    assert_non_null(v);
    assert_string_equal(v, "东关小学|王芳|+8613900000009|奶奶");
    free(v);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM child_change x JOIN child c ON c.id = x.child_id "
                                  "WHERE c.code = '" CHILD "' AND x.source = 'sms'"),
                     4);

    /* another village's director: refused, nothing changed */
    out = sms(OTHER_DIR, "GX " CHILD " 学校 西关中学");
    assert_non_null(strstr(out, "不在您负责的村"));
    free(out);
    v = db_text(G.db, "SELECT school FROM child WHERE code = '" CHILD "'");
    assert_string_equal(v, "东关小学");
    free(v);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM child_change"), 4);

    /* the export shows the update */
    const char *exp[] = {"export", "-c", G.cfg, "children", NULL};
    char *err = NULL;
    assert_int_equal(gwp_run(exp, &out, &err), 0);
    assert_non_null(strstr(out, "\n" CHILD ","));
    assert_non_null(strstr(out, ",东关小学,王芳,+86139****0009,奶奶,"));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_id_number_is_never_in_clear_on_disk, setup_sqlite, teardown),
        /* the same on the store under test (PostgreSQL when GATEWAY_TEST_PG is set) */
        cmocka_unit_test_setup_teardown(the_id_number_is_never_in_clear_on_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(a_bad_or_missing_key_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(a_director_updates_school_and_carer_by_sms, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
