/* tests/e2e/test_audit.c - the audit trail through the real binary, on the
 * demo roster (examples/roster/, imported by the harness):
 *   every CSV export leaves one audit row before its output (actor cli,
 *   role admin, action "export WHAT", records the date range);
 *   `gateway audit verify` says the chain is intact and exits 0;
 *   `gateway audit list` prints the rows as CSV, filtered by local day;
 *   after the database file is edited behind the gateway's back (an edited
 *   row, a deleted row), verify exits 1 naming the row.
 * Tampering is raw SQL on purpose: it stands for someone editing the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../common/harness.h"

#define DIRECTOR "+8613800000001" /* 上湾村 */

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

/* Runs `gateway CMD -c cfg ARGS...` expecting status want; returns stdout (owned). */
static char *run(int want, const char *const *args)
{
    char *out = NULL, *err = NULL;
    int rc = gwp_run(args, &out, &err);
    if (rc != want) fail_msg("%s %s: exit %d (want %d): %s", args[0], args[3], rc, want, err ? err : "");
    free(err);
    return out ? out : calloc(1, 1);
}

static void tamper(const char *sql) { assert_int_equal(db_exec(G.db, "%s", sql), 0); }

static void has(const char *out, const char *want)
{
    if (!strstr(out, want)) fail_msg("output \"%s\" lacks \"%s\"", out, want);
}

static void exports_are_audited_and_tampering_is_found(void **state)
{
    (void)state;
    /* some personal data to export */
    const char *sms[] = {"sms", "-c", G.cfg, "--from", DIRECTOR, "ZF 1110011 1", NULL};
    free(run(0, sms));
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM audit"), 0);

    const char *exp1[] = {"export", "-c", G.cfg, "visits", NULL};
    char *out = run(0, exp1);
    has(out, "1110011");
    free(out);
    const char *exp2[] = {"export", "-c", G.cfg, "cases", "--from", "2024-01-01", "--to", "2099-12-31", NULL};
    free(run(0, exp2));
    const char *exp3[] = {"export", "-c", G.cfg, "coverage", NULL};
    free(run(0, exp3));
    const char *bad[] = {"export", "-c", G.cfg, "nonsense", NULL};
    free(run(2, bad));
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM audit"), 3);

    const char *verify[] = {"audit", "-c", G.cfg, "verify", NULL};
    out = run(0, verify);
    assert_string_equal(out, "audit: 3 rows, chain intact\n");
    free(out);

    const char *list[] = {"audit", "-c", G.cfg, "list", NULL};
    out = run(0, list);
    has(out, "id,at,actor,role,client,action,records,purpose\n");
    has(out, "\n1,");
    has(out, ",cli,admin,cli,export visits,,\n");
    has(out, ",cli,admin,cli,export cases,from:2024-01-01 to:2099-12-31,\n");
    has(out, ",cli,admin,cli,export coverage,,\n");
    free(out);
    /* a day long past lists the header only */
    const char *old[] = {"audit", "-c", G.cfg, "list", "--from", "2001-01-01", "--to", "2001-01-31", NULL};
    out = run(0, old);
    assert_string_equal(out, "id,at,actor,role,client,action,records,purpose\n");
    free(out);
    const char *baddate[] = {"audit", "-c", G.cfg, "list", "--from", "2001-02-30", NULL};
    free(run(2, baddate));

    /* an edited row */
    tamper("UPDATE audit SET records = '' WHERE id = 2");
    out = run(1, verify);
    assert_string_equal(out, "audit: row 2: hash does not match its content (row edited)\n");
    free(out);
    tamper("UPDATE audit SET records = 'from:2024-01-01 to:2099-12-31' WHERE id = 2");
    out = run(0, verify);
    assert_string_equal(out, "audit: 3 rows, chain intact\n");
    free(out);

    /* a deleted row */
    tamper("DELETE FROM audit WHERE id = 2");
    out = run(1, verify);
    assert_string_equal(out, "audit: row 3: row 2 is missing (deleted)\n");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(exports_are_audited_and_tampering_is_found, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
