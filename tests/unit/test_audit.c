/* tests/unit/test_audit.c - the audit trail's hash chain (handlers/audit.h):
 * the encoding pinned by known hashes, rows chained as appended, verify on
 * an intact trail, and what verify finds after tampering: an edited row, a
 * deleted middle or first row, a rewritten prev. A deleted LAST row is not
 * visible in the chain alone (the rest is a valid chain); the test shows
 * that, and that the newest hash kept from an earlier verify tells. Also
 * the CLI: `export` leaves its row, `audit verify` and `audit list` print.
 *
 * Tampering is raw SQL through a second connection on purpose (sqlite3, or
 * libpq when the store is PostgreSQL): it stands for someone editing the
 * database behind the gateway's back.
 * Every test gets a fresh migrated database (tests/common/seed.h); TZ is
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

#include <cmocka.h>

#include "../../core/sha256.h"
#include "../../core/store.h"
#include "../../core/util.h"
#include "../../gateway/audit_cmd.h"
#include "../../gateway/roster.h"
#include "../../handlers/audit.h"
#include "../common/seed.h"
#include "../common/streams.h"
#include "../common/teststore.h"

#define NOW 1749960000LL /* 2025-06-15T12:00:00+08:00 */

static const char zeros[] = "0000000000000000000000000000000000000000000000000000000000000000";

static int setup(void **state) { return test_store_setup(state, "gw-audit", 0); }

static int teardown(void **state) { return test_store_teardown(state); }

/* ---- helpers ---------------------------------------------------------------- */

/* Appends one row in a transaction of its own, as a caller would. */
static void record(struct test_store *c, const char *action, const char *records, int64_t at)
{
    assert_int_equal(store_begin(c->st), 0);
    assert_int_equal(audit_record(c->st, "staff:7", "supervisor", "10.0.0.5", action, records, "", at), 0);
    assert_int_equal(store_commit(c->st), 0);
}

/* Three rows: ids 1, 2, 3. */
static void three_rows(struct test_store *c)
{
    record(c, "read child", "child:1000015", NOW);
    record(c, "case ack", "case:2506150001", NOW + 60);
    record(c, "export visits", "", NOW + 120);
}

static void sql(struct test_store *c, const char *text)
{
    char err[512] = "";
    if (test_sql_exec(c->path, text, err, sizeof err) != 0) fail_msg("%s: %s", text, err);
}

struct copy {
    int n;
    int64_t id[8];
    char prev[8][65], hash[8][65], mine[8][65];
};

static int copy_row(void *arg, const struct store_audit_row *r)
{
    struct copy *k = arg;
    if (k->n >= 8) return 1;
    k->id[k->n] = r->id;
    gw_strlcpy(k->prev[k->n], r->prev, 65);
    gw_strlcpy(k->hash[k->n], r->hash, 65);
    assert_int_equal(audit_row_hash(r, k->mine[k->n]), 0);
    k->n++;
    return 0;
}

/* verify's verdict: the return value, *bad and *rows. */
static int verify(struct test_store *c, struct audit_problem *bad, long *rows, char *last)
{
    return audit_verify(c->st, bad, rows, last);
}

/* ---- the encoding --------------------------------------------------------------- */

static void sha256_known_answer(void **state)
{
    (void)state;
    char hex[GW_SHA256_HEX];
    assert_int_equal(gw_sha256_hex("abc", 3, hex), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(gw_sha256_hex(NULL, 0, hex), 0);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* Hashes computed outside C (Python hashlib over the documented encoding). */
static void the_encoding_is_pinned(void **state)
{
    (void)state;
    char h1[AUDIT_HASH_HEX], h2[AUDIT_HASH_HEX];
    struct store_audit_row r = {1, NOW, "cli", "admin", "cli", "export visits", "", "", zeros, NULL};
    assert_int_equal(audit_row_hash(&r, h1), 0);
    assert_string_equal(h1, "23a665a5ba9ae54fd05f336de380c315232f06b8b97e4ba815acdf87b3b57e01");
    struct store_audit_row r2 = {2,       NOW + 60,        "staff:7",        "supervisor", "10.0.0.5", "read child",
                                 "child:1000015", "家访 follow-up", h1, NULL};
    assert_int_equal(audit_row_hash(&r2, h2), 0);
    assert_string_equal(h2, "4577aa2694729995806875df2b8c3784aad45fe4bb534749f9e7f789e02adb32");
}

/* Moving bytes from one field to the next changes the hash. */
static void fields_cannot_slide(void **state)
{
    (void)state;
    char a[AUDIT_HASH_HEX], b[AUDIT_HASH_HEX];
    struct store_audit_row x = {1, NOW, "cli", "admin", "cli", "export", "visits", "", zeros, NULL};
    struct store_audit_row y = {1, NOW, "cli", "admin", "cli", "export visits", "", "", zeros, NULL};
    struct store_audit_row z = {1, NOW, "cli", "admin", "cli", "exportv", "isits", "", zeros, NULL};
    audit_row_hash(&x, a);
    audit_row_hash(&y, b);
    assert_string_not_equal(a, b);
    audit_row_hash(&z, b);
    assert_string_not_equal(a, b);
}

/* ---- the chain ---------------------------------------------------------------- */

static void rows_chain_as_appended(void **state)
{
    struct test_store *c = *state;
    three_rows(c);
    struct copy k = {0};
    assert_int_equal(store_audit_each(c->st, 0, copy_row, &k), 0);
    assert_int_equal(k.n, 3);
    assert_string_equal(k.prev[0], zeros);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(k.id[i], i + 1);
        assert_string_equal(k.hash[i], k.mine[i]);
        if (i) assert_string_equal(k.prev[i], k.hash[i - 1]);
    }
    char last[65];
    int64_t id = 0;
    assert_int_equal(store_audit_last(c->st, last, &id), 0);
    assert_int_equal(id, 3);
    assert_string_equal(last, k.hash[2]);
    /* from_id skips the older rows */
    struct copy k2 = {0};
    assert_int_equal(store_audit_each(c->st, 2, copy_row, &k2), 0);
    assert_int_equal(k2.n, 2);
    assert_int_equal(k2.id[0], 2);
}

static void an_empty_trail_is_intact(void **state)
{
    struct test_store *c = *state;
    char last[65] = "x";
    int64_t id = -1;
    assert_int_equal(store_audit_last(c->st, last, &id), 1);
    assert_int_equal(id, 0);
    long rows = -1;
    assert_int_equal(verify(c, NULL, &rows, last), 0);
    assert_int_equal(rows, 0);
    assert_string_equal(last, "");
}

static void verify_passes_an_intact_trail(void **state)
{
    struct test_store *c = *state;
    three_rows(c);
    struct audit_problem bad;
    long rows = 0;
    char last[65], want[65];
    int64_t id;
    assert_int_equal(verify(c, &bad, &rows, last), 0);
    assert_int_equal(rows, 3);
    assert_int_equal(bad.fault, AUDIT_OK);
    assert_int_equal(store_audit_last(c->st, want, &id), 0);
    assert_string_equal(last, want);
}

/* A rolled-back act leaves no row and no hole. */
static void a_rolled_back_row_leaves_no_hole(void **state)
{
    struct test_store *c = *state;
    record(c, "read child", "child:1000015", NOW);
    assert_int_equal(store_begin(c->st), 0);
    assert_int_equal(audit_record(c->st, "cli", "admin", "cli", "export cases", "", "", NOW + 1), 0);
    assert_int_equal(store_rollback(c->st), 0);
    record(c, "export visits", "", NOW + 2);
    long rows = 0;
    assert_int_equal(verify(c, NULL, &rows, NULL), 0);
    assert_int_equal(rows, 2);
}

/* ---- tampering ---------------------------------------------------------------- */

static void verify_finds_an_edited_row(void **state)
{
    struct test_store *c = *state;
    three_rows(c);
    sql(c, "UPDATE audit SET records = 'child:1000022' WHERE id = 2");
    struct audit_problem bad;
    long rows = 0;
    assert_int_equal(verify(c, &bad, &rows, NULL), 1);
    assert_int_equal(bad.id, 2);
    assert_int_equal(bad.fault, AUDIT_HASH);
    assert_non_null(strstr(bad.what, "content"));
    assert_int_equal(rows, 1);
}

static void verify_finds_a_deleted_middle_row(void **state)
{
    struct test_store *c = *state;
    three_rows(c);
    sql(c, "DELETE FROM audit WHERE id = 2");
    struct audit_problem bad;
    assert_int_equal(verify(c, &bad, NULL, NULL), 1);
    assert_int_equal(bad.id, 3);
    assert_int_equal(bad.fault, AUDIT_GAP);
    assert_string_equal(bad.what, "row 2 is missing (deleted)");
}

/* Deleting the middle row and renumbering the rest closes the gap, but
 * not the chain. */
static void verify_finds_a_deleted_and_renumbered_row(void **state)
{
    struct test_store *c = *state;
    three_rows(c);
    sql(c, "DELETE FROM audit WHERE id = 2; UPDATE audit SET id = 2 WHERE id = 3");
    struct audit_problem bad;
    assert_int_equal(verify(c, &bad, NULL, NULL), 1);
    assert_int_equal(bad.id, 2);
    assert_int_equal(bad.fault, AUDIT_PREV);
}

static void verify_finds_a_deleted_first_row(void **state)
{
    struct test_store *c = *state;
    three_rows(c);
    sql(c, "DELETE FROM audit WHERE id = 1");
    struct audit_problem bad;
    assert_int_equal(verify(c, &bad, NULL, NULL), 1);
    assert_int_equal(bad.id, 2);
    assert_int_equal(bad.fault, AUDIT_GAP);
    assert_string_equal(bad.what, "row 1 is missing (deleted)");
}

/* The limitation handlers/audit.h states: the chain alone cannot show that
 * the newest row is gone; the newest hash kept from an earlier verify can. */
static void a_deleted_last_row_shows_only_against_a_kept_hash(void **state)
{
    struct test_store *c = *state;
    three_rows(c);
    char kept[65], now_last[65];
    long rows = 0;
    assert_int_equal(verify(c, NULL, &rows, kept), 0);
    assert_int_equal(rows, 3);
    sql(c, "DELETE FROM audit WHERE id = 3");
    assert_int_equal(verify(c, NULL, &rows, now_last), 0); /* not detectable by the chain */
    assert_int_equal(rows, 2);
    assert_string_not_equal(now_last, kept);
}

static void verify_finds_a_rewritten_prev(void **state)
{
    struct test_store *c = *state;
    three_rows(c);
    sql(c, "UPDATE audit SET prev = '" "1111111111111111111111111111111111111111111111111111111111111111' WHERE id = 3");
    struct audit_problem bad;
    assert_int_equal(verify(c, &bad, NULL, NULL), 1);
    assert_int_equal(bad.id, 3);
    assert_int_equal(bad.fault, AUDIT_PREV);
    assert_non_null(strstr(bad.what, "row 2"));
}

/* Rewriting a row with a recomputed hash still breaks the next row's prev. */
static void a_recomputed_hash_breaks_the_next_prev(void **state)
{
    struct test_store *c = *state;
    three_rows(c);
    struct copy k = {0};
    assert_int_equal(store_audit_each(c->st, 0, copy_row, &k), 0);
    struct store_audit_row r = {2, NOW + 60, "staff:7", "supervisor", "10.0.0.5", "case ack", "", "", k.hash[0], NULL};
    char h[AUDIT_HASH_HEX], text[256];
    audit_row_hash(&r, h);
    snprintf(text, sizeof text, "UPDATE audit SET records = '', hash = '%s' WHERE id = 2", h);
    sql(c, text);
    struct audit_problem bad;
    assert_int_equal(verify(c, &bad, NULL, NULL), 1);
    assert_int_equal(bad.id, 3);
    assert_int_equal(bad.fault, AUDIT_PREV);
}

/* ---- the CLI ---------------------------------------------------------------- */

static void export_leaves_a_row_and_the_cli_prints(void **state)
{
    struct test_store *c = *state;
    struct streams s;
    streams_open(&s);
    assert_int_equal(roster_export_cmd(c->st, NULL, "visits", "2025-06-01", NULL, s.o, s.e), 0);
    assert_int_equal(roster_export_cmd(c->st, NULL, "coverage", NULL, NULL, s.o, s.e), 0);
    /* a refused export (bad kind) leaves none */
    assert_int_equal(roster_export_cmd(c->st, NULL, "nonsense", NULL, NULL, s.o, s.e), 2);
    streams_close(&s);
    streams_free(&s);

    streams_open(&s);
    assert_int_equal(audit_cmd(c->st, "verify", NULL, NULL, s.o, s.e), 0);
    streams_close(&s);
    assert_string_equal(s.out, "audit: 2 rows, chain intact\n");
    streams_free(&s);

    streams_open(&s);
    assert_int_equal(audit_cmd(c->st, "list", NULL, NULL, s.o, s.e), 0);
    streams_close(&s);
    const char *head = "id,at,actor,role,client,action,records,purpose\n";
    assert_memory_equal(s.out, head, strlen(head));
    assert_non_null(strstr(s.out, ",cli,admin,cli,export visits,from:2025-06-01,\n"));
    assert_non_null(strstr(s.out, ",cli,admin,cli,export coverage,,\n"));
    streams_free(&s);

    /* dates: bad ones are usage errors; a range before the rows lists none */
    streams_open(&s);
    assert_int_equal(audit_cmd(c->st, "list", "2025-13-01", NULL, s.o, s.e), 2);
    assert_int_equal(audit_cmd(c->st, "list", "2025-06-02", "2025-06-01", s.o, s.e), 2);
    assert_int_equal(audit_cmd(c->st, "frobnicate", NULL, NULL, s.o, s.e), 2);
    streams_close(&s);
    streams_free(&s);
    streams_open(&s);
    assert_int_equal(audit_cmd(c->st, "list", "2000-01-01", "2000-01-02", s.o, s.e), 0);
    streams_close(&s);
    assert_string_equal(s.out, head);
    streams_free(&s);

    sql(c, "UPDATE audit SET action = 'export cases' WHERE id = 1");
    streams_open(&s);
    assert_int_equal(audit_cmd(c->st, "verify", NULL, NULL, s.o, s.e), 1);
    streams_close(&s);
    assert_string_equal(s.out, "audit: row 1: hash does not match its content (row edited)\n");
    streams_free(&s);
}

/* list writes at in local time with offset and defuses formulas. */
static void list_formats_time_and_defuses_formulas(void **state)
{
    struct test_store *c = *state;
    assert_int_equal(store_begin(c->st), 0);
    assert_int_equal(audit_record(c->st, "token:ops", "auditor", "10.0.0.9", "read case", "case:1", "=HYPERLINK(1)",
                                  NOW),
                     0);
    assert_int_equal(store_commit(c->st), 0);
    struct streams s;
    streams_open(&s);
    assert_int_equal(audit_cmd(c->st, "list", "2025-06-15", "2025-06-15", s.o, s.e), 0);
    streams_close(&s);
    assert_string_equal(s.out, "id,at,actor,role,client,action,records,purpose\n"
                               "1,2025-06-15T12:00:00+08:00,token:ops,auditor,10.0.0.9,read case,case:1,'=HYPERLINK(1)\n");
    streams_free(&s);
}

int main(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_known_answer),
        cmocka_unit_test(the_encoding_is_pinned),
        cmocka_unit_test(fields_cannot_slide),
        cmocka_unit_test_setup_teardown(rows_chain_as_appended, setup, teardown),
        cmocka_unit_test_setup_teardown(an_empty_trail_is_intact, setup, teardown),
        cmocka_unit_test_setup_teardown(verify_passes_an_intact_trail, setup, teardown),
        cmocka_unit_test_setup_teardown(a_rolled_back_row_leaves_no_hole, setup, teardown),
        cmocka_unit_test_setup_teardown(verify_finds_an_edited_row, setup, teardown),
        cmocka_unit_test_setup_teardown(verify_finds_a_deleted_middle_row, setup, teardown),
        cmocka_unit_test_setup_teardown(verify_finds_a_deleted_and_renumbered_row, setup, teardown),
        cmocka_unit_test_setup_teardown(verify_finds_a_deleted_first_row, setup, teardown),
        cmocka_unit_test_setup_teardown(a_deleted_last_row_shows_only_against_a_kept_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(verify_finds_a_rewritten_prev, setup, teardown),
        cmocka_unit_test_setup_teardown(a_recomputed_hash_breaks_the_next_prev, setup, teardown),
        cmocka_unit_test_setup_teardown(export_leaves_a_row_and_the_cli_prints, setup, teardown),
        cmocka_unit_test_setup_teardown(list_formats_time_and_defuses_formulas, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
