/* tests/unit/test_auth.c - the office API's bearer tokens through the store
 * port (make, check, revoke, list), the role table and the region scope
 * of each role. The world is the example roster's regions, imported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../core/store.h"
#include "../../core/util.h"
#include "../../handlers/auth.h"
#include "../common/seed.h"
#include "../common/teststore.h"

#define NOW 1749960000LL /* 2025-06-15T12:00:00+08:00 */

static int setup(void **state)
{
    if (test_store_setup(state, "gw-auth", 0) != 0) return -1;
    struct test_store *c = *state;
    char *csv = NULL;
    size_t len = 0;
    FILE *f = fopen("examples/roster/regions.csv", "r");
    if (!f) return -1;
    csv = gw_malloc(1 << 16);
    len = fread(csv, 1, (1 << 16) - 1, f);
    fclose(f);
    csv[len] = '\0';
    seed_roster(c->st, "regions", csv, NOW);
    free(csv);
    return 0;
}

static int teardown(void **state) { return test_store_teardown(state); }

/* Makes a token; asserts the verdict rc. */
static void create(struct store *st, const char *name, const char *role, const char *region, const char *dept,
                   int rc, char token[AUTH_TOKEN_LEN])
{
    struct auth_token_spec spec = {.name = name, .role = role, .region = region, .department = dept};
    char err[256] = "";
    int got = auth_token_create(st, &spec, NOW, token, err, sizeof err);
    if (got != rc) fail_msg("create %s: %d, expected %d (%s)", name, got, rc, err);
    if (rc != 0) assert_true(err[0] != '\0');
}

static void token_is_shown_once_and_stored_hashed(void **state)
{
    struct test_store *c = *state;
    char token[AUTH_TOKEN_LEN], again[AUTH_TOKEN_LEN];
    create(c->st, "crm", "admin", NULL, NULL, 0, token);
    create(c->st, "crm2", "admin", NULL, NULL, 0, again);
    assert_int_equal(strlen(token), AUTH_TOKEN_LEN - 1);
    assert_memory_equal(token, "gwt_", 4);
    assert_int_equal(strspn(token + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
    assert_string_not_equal(token, again);
    char hash[GW_SHA256_HEX];
    assert_int_equal(auth_token_hash(token, hash), 0);
    struct store_token_row row;
    assert_int_equal(store_token_by_hash(c->st, hash, &row), 0);
    assert_string_equal(row.name, "crm");
    assert_string_equal(row.role, "admin");
    assert_int_equal(row.region_id, 0);
    assert_string_equal(row.hash, hash);
    assert_null(strstr(row.hash, token + 4));
    assert_int_equal(row.created_at, NOW);
    assert_int_equal(row.last_used_at, 0);
}

static void check_finds_the_principal_and_records_the_use(void **state)
{
    struct test_store *c = *state;
    char token[AUTH_TOKEN_LEN];
    create(c->st, "police-feed", "responder", "示例县", "公安", 0, token);
    struct auth_principal p;
    assert_int_equal(auth_check_token(c->st, token, NOW + 60, &p), 0);
    assert_int_equal(p.kind, AUTH_TOKEN);
    assert_string_equal(p.name, "police-feed");
    assert_int_equal(p.role, AUTH_RESPONDER);
    assert_string_equal(p.region, "示例县");
    assert_int_equal(p.region_id, seed_region_id(c->st, "示例县"));
    assert_string_equal(p.department, "police");
    char hash[GW_SHA256_HEX];
    auth_token_hash(token, hash);
    struct store_token_row row;
    assert_int_equal(store_token_by_hash(c->st, hash, &row), 0);
    assert_int_equal(row.last_used_at, NOW + 60);
    /* A token one character off, and nonsense, are unknown. */
    token[10] = token[10] == 'A' ? 'B' : 'A';
    assert_int_equal(auth_check_token(c->st, token, NOW, &p), 1);
    assert_int_equal(auth_check_token(c->st, "gwt_", NOW, &p), 1);
    assert_int_equal(auth_check_token(c->st, NULL, NOW, &p), 1);
}

static void revoked_tokens_are_unknown(void **state)
{
    struct test_store *c = *state;
    char token[AUTH_TOKEN_LEN];
    struct auth_principal p;
    create(c->st, "old", "auditor", NULL, NULL, 0, token);
    assert_int_equal(auth_check_token(c->st, token, NOW, &p), 0);
    assert_int_equal(store_token_revoke(c->st, "old", NOW + 5), 0);
    assert_int_equal(auth_check_token(c->st, token, NOW + 6, &p), 1);
    assert_int_equal(store_token_revoke(c->st, "old", NOW + 9), 0); /* again: keeps the first time */
    assert_int_equal(store_token_revoke(c->st, "nobody", NOW), 1);
    assert_int_equal(store_token_touch(c->st, 999999, NOW), 1);
}

struct listed {
    int n;
    char names[8][STORE_TOKEN_NAME];
    int64_t revoked[8];
};

static int collect(void *arg, const struct store_token_row *r)
{
    struct listed *l = arg;
    if (l->n < 8) {
        gw_strlcpy(l->names[l->n], r->name, sizeof l->names[0]);
        l->revoked[l->n] = r->revoked_at;
    }
    l->n++;
    return 0;
}

static void list_is_by_name_with_revoked_ones(void **state)
{
    struct test_store *c = *state;
    char token[AUTH_TOKEN_LEN];
    create(c->st, "zeta", "director", "示例县/东溪镇/上湾村", NULL, 0, token);
    create(c->st, "alpha", "supervisor", "示例县/东溪镇", NULL, 0, token);
    create(c->st, "mid", "county", "示例县", NULL, 0, token);
    assert_int_equal(store_token_revoke(c->st, "mid", NOW + 1), 0);
    struct listed l = {0};
    assert_int_equal(store_tokens_each(c->st, collect, &l), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.names[0], "alpha");
    assert_string_equal(l.names[1], "mid");
    assert_string_equal(l.names[2], "zeta");
    assert_int_equal(l.revoked[1], NOW + 1);
    assert_int_equal(l.revoked[0], 0);
}

static void bad_requests_are_refused(void **state)
{
    struct test_store *c = *state;
    char token[AUTH_TOKEN_LEN];
    create(c->st, "dup", "admin", NULL, NULL, 0, token);
    create(c->st, "dup", "auditor", NULL, NULL, 1, token);                     /* name taken */
    assert_string_equal(token, "");                                              /* nothing shown */
    create(c->st, "x1", "boss", NULL, NULL, 1, token);                          /* unknown role */
    create(c->st, "x2", "county", NULL, NULL, 1, token);                        /* no region */
    create(c->st, "x3", "county", "示例县/东溪镇", NULL, 1, token);              /* a town, not a county */
    create(c->st, "x4", "supervisor", "示例县", NULL, 1, token);                /* a county, not a town */
    create(c->st, "x5", "director", "示例县/东溪镇", NULL, 1, token);            /* a town, not a village */
    create(c->st, "x6", "director", "示例县/无此镇/无此村", NULL, 1, token);     /* unknown */
    create(c->st, "x7", "responder", "示例县", NULL, 1, token);                 /* no department */
    create(c->st, "x8", "responder", "示例县", "astrology", 1, token);          /* unknown department */
    create(c->st, "x9", "admin", "示例县", NULL, 1, token);                     /* admin is not scoped */
    create(c->st, "x10", "county", "示例县", "police", 1, token);               /* only responders */
    create(c->st, "", "admin", NULL, NULL, 1, token);                           /* no name */
    create(c->st, "a b", "admin", NULL, NULL, 1, token);                        /* bad name */
    struct listed l = {0};
    assert_int_equal(store_tokens_each(c->st, collect, &l), 0);
    assert_int_equal(l.n, 1);
}

static void bearer_header_is_read(void **state)
{
    const char *t;
    assert_int_equal(auth_bearer("Bearer gwt_abc", &t), 0);
    assert_string_equal(t, "gwt_abc");
    assert_int_equal(auth_bearer("  bearer   gwt_abc", &t), 0);
    assert_string_equal(t, "gwt_abc");
    assert_int_equal(auth_bearer(NULL, &t), -1);
    assert_int_equal(auth_bearer("Bearer", &t), -1);
    assert_int_equal(auth_bearer("Bearer ", &t), -1);
    assert_int_equal(auth_bearer("Basic dXNlcjpwYXNz", &t), -1);
    assert_int_equal(auth_bearer("Bearergwt_abc", &t), -1);
    assert_int_equal(auth_bearer("Bearer a b", &t), -1);
}

static void role_table(void **state)
{
    enum auth_role r;
    for (int i = 0; i < AUTH_NROLES; i++) {
        assert_int_equal(auth_allows((enum auth_role)i, AUTH_ME), 1);
        assert_int_equal(auth_role_parse(auth_role_name((enum auth_role)i), &r), 0);
        assert_int_equal(r, i);
    }
    assert_int_equal(auth_role_parse("root", &r), -1);
    assert_null(auth_role_name(AUTH_NROLES));
    assert_string_equal(auth_action_name(AUTH_ME), "me");
    /* role x action, rows in enum auth_action order, columns in enum auth_role order */
    static const char *const want[AUTH_NACTIONS] = {
        "111111", /* me */
        "111110", /* cases.read */
        "111100", /* cases.write */
        "111010", /* children.read */
        "110000", /* roster.write */
        "110000", /* export */
        "100001", /* audit.read */
    };
    for (int a = 0; a < AUTH_NACTIONS; a++)
        for (int i = 0; i < AUTH_NROLES; i++)
            if (auth_allows((enum auth_role)i, (enum auth_action)a) != (want[a][i] == '1'))
                fail_msg("%s may%s %s", auth_role_name((enum auth_role)i), want[a][i] == '1' ? "" : " not",
                         auth_action_name((enum auth_action)a));
    assert_int_equal(auth_allows(AUTH_NROLES, AUTH_ME), 0);
    assert_int_equal(auth_allows(AUTH_ADMIN, AUTH_NACTIONS), 0);
}

static struct auth_principal who(enum auth_role role, const char *region, const char *dept)
{
    struct auth_principal p = {.kind = AUTH_TOKEN, .role = role};
    gw_strlcpy(p.region, region, sizeof p.region);
    gw_strlcpy(p.department, dept, sizeof p.department);
    return p;
}

static void scope_per_role(void **state)
{
    const char *village = "示例县/东溪镇/上湾村", *town = "示例县/东溪镇", *county = "示例县";
    const char *other_village = "示例县/南岭镇/竹园村", *other_county = "邻县/某镇/某村";
    struct auth_principal p = who(AUTH_ADMIN, "", "");
    assert_true(auth_in_scope(&p, other_county, NULL));
    assert_true(auth_in_scope(&p, "", NULL));
    p = who(AUTH_AUDITOR, "", "");
    assert_true(auth_in_scope(&p, village, "police"));
    p = who(AUTH_COUNTY, county, "");
    assert_true(auth_in_scope(&p, village, NULL));
    assert_true(auth_in_scope(&p, county, NULL));
    assert_false(auth_in_scope(&p, other_county, NULL));
    assert_false(auth_in_scope(&p, "示例县二/某镇", NULL)); /* a prefix of the name is not under it */
    assert_false(auth_in_scope(&p, "", NULL));
    p = who(AUTH_SUPERVISOR, town, "");
    assert_true(auth_in_scope(&p, village, NULL));
    assert_true(auth_in_scope(&p, town, NULL));
    assert_false(auth_in_scope(&p, other_village, NULL));
    assert_false(auth_in_scope(&p, county, NULL));
    p = who(AUTH_DIRECTOR, village, "");
    assert_true(auth_in_scope(&p, village, NULL));
    assert_false(auth_in_scope(&p, other_village, NULL));
    assert_false(auth_in_scope(&p, town, NULL));
    p = who(AUTH_RESPONDER, county, "police");
    assert_true(auth_in_scope(&p, village, "police"));
    assert_true(auth_in_scope(&p, county, "police"));
    assert_false(auth_in_scope(&p, village, "civil_affairs"));
    assert_false(auth_in_scope(&p, village, NULL));
    assert_false(auth_in_scope(&p, other_county, "police"));
    p = who(AUTH_COUNTY, "", ""); /* a scoped role without its region sees nothing */
    assert_false(auth_in_scope(&p, village, NULL));
}

/* A staff session's principal: the role from the staff row, a supervisor
 * registered at a county acting as county, admin and auditor everywhere. */
static void staff_principal_per_role(void **state)
{
    (void)state;
    struct auth_principal p;
    assert_int_equal(auth_staff_principal(7, "supervisor", 1, 1, "示例县", "", &p), 0);
    assert_int_equal(p.kind, AUTH_SESSION);
    assert_int_equal(p.role, AUTH_COUNTY);
    assert_string_equal(p.name, "staff:7");
    assert_int_equal(p.staff_id, 7);
    assert_string_equal(p.region, "示例县");
    assert_int_equal(auth_staff_principal(8, "supervisor", 2, 2, "示例县/东溪镇", "", &p), 0);
    assert_int_equal(p.role, AUTH_SUPERVISOR);
    assert_int_equal(auth_staff_principal(9, "responder", 1, 1, "示例县", "police", &p), 0);
    assert_int_equal(p.role, AUTH_RESPONDER);
    assert_string_equal(p.department, "police");
    assert_int_equal(auth_staff_principal(10, "director", 3, 3, "示例县/东溪镇/上湾村", "", &p), 0);
    assert_int_equal(p.role, AUTH_DIRECTOR);
    assert_int_equal(auth_staff_principal(11, "admin", 1, 1, "示例县", "", &p), 0);
    assert_int_equal(p.role, AUTH_ADMIN);
    assert_string_equal(p.region, "");
    assert_int_equal(p.region_id, 0);
    char actor[80];
    auth_actor(&p, actor, sizeof actor);
    assert_string_equal(actor, "staff:11");
    /* The county office's roles: an officer scoped to the county, an
     * auditor everywhere (the audit log has no region). */
    assert_int_equal(auth_staff_principal(12, "county", 1, 1, "示例县", "", &p), 0);
    assert_int_equal(p.role, AUTH_COUNTY);
    assert_string_equal(p.region, "示例县");
    assert_int_equal(p.region_id, 1);
    assert_int_equal(auth_staff_principal(13, "auditor", 1, 1, "示例县", "", &p), 0);
    assert_int_equal(p.role, AUTH_AUDITOR);
    assert_string_equal(p.region, "");
    /* Not a role. */
    assert_int_equal(auth_staff_principal(14, "mayor", 1, 1, "示例县", "", &p), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(token_is_shown_once_and_stored_hashed, setup, teardown),
        cmocka_unit_test_setup_teardown(check_finds_the_principal_and_records_the_use, setup, teardown),
        cmocka_unit_test_setup_teardown(revoked_tokens_are_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(list_is_by_name_with_revoked_ones, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_requests_are_refused, setup, teardown),
        cmocka_unit_test(bearer_header_is_read),
        cmocka_unit_test(role_table),
        cmocka_unit_test(scope_per_role),
        cmocka_unit_test(staff_principal_per_role),
    };
    return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
