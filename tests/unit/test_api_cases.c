/* tests/unit/test_api_cases.c - GET /api/v1/cases and /api/v1/cases/{number}
 * in-process: requests go through routes_handle, their jobs through a
 * stand-in writer (pipeline_batch on a real SQLite file, at once, on this
 * thread), over a roster imported as a county loads it and cases opened
 * through the store port. Checks each role's scope, the working order, the
 * cursor, the detail's privacy and its audit row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../core/clock.h"
#include "../../core/store.h"
#include "../../handlers/audit.h"
#include "../../handlers/auth.h"
#include "../../handlers/deadline.h"
#include "../common/apiclient.h"
#include "../common/harness.h"
#include "../common/seed.h"
#include "../common/teststore.h"

#define V_SW "示例县/东溪镇/上湾村"
#define V_SQ "示例县/东溪镇/石桥村"
#define V_ZY "示例县/南岭镇/竹园村"
#define V_NB "邻县/北镇/北村"

#define CHILD    "1000015" /* a Damm-valid code */
#define REPORTER "+8613900000001"

static struct apiclient api; /* api.now 0: jobs run at the real clock */
static int64_t t0; /* the first case's opening */

/* The cases, by their role in the checks. */
enum { C_P2_SW, C_P0_SQ, C_TRIAGE_ZY, C_INFERRED_SW, C_P0_NB, C_CLOSED_SQ, C_P0_SW_LATER, NCASES };
static char numbers[NCASES][DB_CASE_NO_MAX + 1];

/* ---- requests -------------------------------------------------------------------------- */

/* GET target with the bearer token (NULL: no Authorization header); the
 * answer's status, its JSON body into *body (NULL when not JSON). */
static int get(const char *token, const char *target, json_t **body)
{ return api_get(&api, token, target, body); }

/* The numbers of a list answer's cases, comma-separated, into out. */
static void list_numbers(const json_t *body, char *out, size_t outlen)
{
    out[0] = '\0';
    const json_t *cases = json_object_get(body, "cases");
    assert_true(json_is_array(cases));
    size_t i;
    const json_t *c;
    json_array_foreach(cases, i, c)
    {
        size_t n = strlen(out);
        snprintf(out + n, outlen - n, "%s%s", n ? "," : "", json_string_value(json_object_get(c, "number")));
    }
}

/* The expected list: the cases named by idx (ending in -1). */
static void expect_numbers(char *out, size_t outlen, ...)
{
    out[0] = '\0';
    va_list ap;
    va_start(ap, outlen);
    for (int i; (i = va_arg(ap, int)) >= 0;) {
        size_t n = strlen(out);
        snprintf(out + n, outlen - n, "%s%s", n ? "," : "", numbers[i]);
    }
    va_end(ap);
}

/* Asserts GET target by token lists exactly the cases idx... (ending in -1). */
#define assert_lists(token, target, ...)                                    \
    do {                                                                    \
        json_t *b_;                                                         \
        char got_[512], want_[512];                                         \
        assert_int_equal(get(token, target, &b_), 200);                     \
        list_numbers(b_, got_, sizeof got_);                                \
        expect_numbers(want_, sizeof want_, __VA_ARGS__, -1);               \
        assert_string_equal(got_, want_);                                   \
        assert_true(json_is_null(json_object_get(b_, "next")));             \
        json_decref(b_);                                                    \
    } while (0)

static void make_token(const char *name, const char *role, const char *region, const char *dept,
                       char token[AUTH_TOKEN_LEN])
{
    struct auth_token_spec spec = {.name = name, .role = role, .region = region, .department = dept};
    char err[256] = "";
    if (auth_token_create(api.st, &spec, gw_clock_now(), token, err, sizeof err) != 0) fail_msg("token %s: %s", name, err);
}

/* ---- the world --------------------------------------------------------------------------- */

static int64_t open_case(int idx, int category, int classified, int inferred, int priority, const char *dept,
                         const char *village, int64_t at)
{
    const char *depts[] = {dept, "education"};
    struct db_region r;
    assert_int_equal(db_region_by_path(api.st, village, &r), 0);
    struct db_case_new c = {.category = category,
                            .classified = classified,
                            .inferred = inferred,
                            .priority = priority,
                            .depts = depts,
                            .ndepts = idx == C_INFERRED_SW ? 2 : 1,
                            .county_id = r.county_id,
                            .region_id = r.id};
    if (idx == C_P2_SW) {
        c.child_id = seed_child_id(api.st, CHILD);
        c.description = "孩子在河边没人看管";
        c.reporter_id = seed_reporter(api.st, REPORTER, at);
    }
    return seed_case(api.st, &c, at, numbers[idx]);
}

static void seed_world(void)
{
    int64_t old = t0 - 100 * 86400;
    seed_roster(api.st, "regions", "path\n" V_SW "\n" V_SQ "\n" V_ZY "\n" V_NB "\n", old);
    seed_roster(api.st, "staff",
                "phone,name,role,region,department\n+8613800000101,甲,director," V_SW
                ",\n+8613800000201,乙,responder,示例县,police\n",
                old);
    seed_roster(api.st, "children",
                "code,name,sex,birth_date,region,categories,flags\n" CHILD ",小甲,M,2016-05-01," V_SW ",left_behind,\n",
                old);
    open_case(C_P2_SW, 3, 1, 0, 2, "police", V_SW, t0);
    open_case(C_P0_SQ, 1, 1, 0, 0, "police", V_SQ, t0 + 60);
    int64_t triage = open_case(C_TRIAGE_ZY, 9, 0, 0, 1, "civil_affairs", V_ZY, t0 + 120);
    open_case(C_INFERRED_SW, 2, 1, 1, 1, "police", V_SW, t0 + 180);
    open_case(C_P0_NB, 1, 1, 0, 0, "police", V_NB, t0 + 90);
    int64_t closed = open_case(C_CLOSED_SQ, 4, 1, 0, 1, "civil_affairs", V_SQ, t0 + 240);
    open_case(C_P0_SW_LATER, 1, 1, 0, 0, "police", V_SW, t0 + 300);
    /* The unclassified case was alerted to triage; one closed; a recording. */
    assert_int_equal(store_begin(api.st), 0);
    assert_int_equal(db_case_event(api.st, triage, "alerted", 0, "triage count=1", t0 + 121), 0);
    assert_int_equal(store_commit(api.st), 0);
    seed_case_close(api.st, closed, seed_staff_id(api.st, "+8613800000201"), 1, "done", t0 + 500);
    int64_t case_id = 0, media_id = 0;
    struct db_case c;
    assert_int_equal(store_begin(api.st), 0);
    assert_int_equal(db_case_by_number(api.st, numbers[C_P2_SW], &c), 0);
    case_id = c.id;
    assert_int_equal(store_media_add(api.st, "twilio", case_id, 0, "https://media.example/r1.wav", 30, t0 + 5, &media_id),
                     0);
    assert_int_equal(store_media_claim(api.st, media_id, t0 + 6), 0);
    assert_int_equal(store_media_fetched(api.st, media_id, "/var/media/r1.wav", "ab", 4096, "audio/wav", t0 + 7), 0);
    assert_int_equal(store_commit(api.st), 0);
}

/* ---- fixture ------------------------------------------------------------------------------- */

static int setup(void **state)
{
    if (apiclient_open(&api, "gw-apicases", APICLIENT_POLICY "ack_minutes_p0 = 15\nack_minutes_p1 = 30\n" APICLIENT_CHANNEL) != 0)
        return -1;
    t0 = gw_clock_now() - 600;
    seed_world();
    return 0;
}

static int teardown(void **state) { return apiclient_close(&api); }

/* ---- tests --------------------------------------------------------------------------------- */

static void county_sees_its_county_in_working_order(void **state)
{
    char token[AUTH_TOKEN_LEN];
    make_token("county", "county", "示例县", NULL, token);
    /* Unclassified, then inferred, then by priority and deadline; not the
     * neighbour county's P0, not the closed case. */
    assert_lists(token, "/api/v1/cases", C_TRIAGE_ZY, C_INFERRED_SW, C_P0_SQ, C_P0_SW_LATER, C_P2_SW);
    assert_lists(token, "/api/v1/cases?status=all", C_TRIAGE_ZY, C_INFERRED_SW, C_P0_SQ, C_P0_SW_LATER, C_CLOSED_SQ,
                 C_P2_SW);
    assert_lists(token, "/api/v1/cases?status=closed", C_CLOSED_SQ);
    assert_lists(token, "/api/v1/cases?priority=0", C_P0_SQ, C_P0_SW_LATER);
    assert_lists(token, "/api/v1/cases?region=%E7%A4%BA%E4%BE%8B%E5%8E%BF/%E4%B8%9C%E6%BA%AA%E9%95%87/"
                        "%E4%B8%8A%E6%B9%BE%E6%9D%91",
                 C_INFERRED_SW, C_P0_SW_LATER, C_P2_SW);
    char other[AUTH_TOKEN_LEN];
    make_token("neighbour", "county", "邻县", NULL, other);
    assert_lists(other, "/api/v1/cases", C_P0_NB);
    char admin[AUTH_TOKEN_LEN];
    make_token("admin", "admin", NULL, NULL, admin);
    assert_lists(admin, "/api/v1/cases", C_TRIAGE_ZY, C_INFERRED_SW, C_P0_SQ, C_P0_NB, C_P0_SW_LATER, C_P2_SW);
}

static void list_items_carry_the_deadline_and_no_personal_data(void **state)
{
    char token[AUTH_TOKEN_LEN];
    make_token("county2", "county", "示例县", NULL, token);
    json_t *b;
    int64_t before = gw_clock_now();
    assert_int_equal(get(token, "/api/v1/cases?status=all", &b), 200);
    int64_t after = gw_clock_now();
    char *text = json_dumps(b, 0);
    assert_null(strstr(text, "小甲"));
    assert_null(strstr(text, "河边"));
    assert_null(strstr(text, "13900000001"));
    assert_null(strstr(text, "r1.wav"));
    free(text);
    const json_t *cases = json_object_get(b, "cases");
    size_t i;
    const json_t *c;
    json_array_foreach(cases, i, c)
    {
        assert_null(json_object_get(c, "description"));
        assert_null(json_object_get(c, "reporter"));
        assert_null(json_object_get(c, "child"));
        const char *num = json_string_value(json_object_get(c, "number"));
        const char *opened = json_string_value(json_object_get(c, "opened_at"));
        assert_non_null(opened);
        assert_string_equal(opened + strlen(opened) - 6, "+08:00");
        const json_t *left = json_object_get(c, "seconds_left");
        if (!strcmp(num, numbers[C_P0_SQ])) {
            /* P0: 15 minutes from its opening. */
            assert_string_equal(json_string_value(json_object_get(c, "priority")), "P0");
            assert_true(json_integer_value(left) <= t0 + 60 + 900 - before);
            assert_true(json_integer_value(left) >= t0 + 60 + 900 - after);
            assert_string_equal(json_string_value(json_array_get(json_object_get(c, "departments"), 0)), "police");
            assert_string_equal(json_string_value(json_object_get(c, "region")), V_SQ);
        } else if (!strcmp(num, numbers[C_TRIAGE_ZY])) {
            /* Unclassified and alerted to triage: the P1 window. */
            assert_false(json_is_true(json_object_get(c, "classified")));
            assert_true(json_integer_value(left) <= t0 + 120 + 1800 - before);
            assert_true(json_integer_value(left) >= t0 + 120 + 1800 - after);
        } else if (!strcmp(num, numbers[C_INFERRED_SW])) {
            assert_true(json_is_true(json_object_get(c, "inferred")));
            assert_int_equal(json_array_size(json_object_get(c, "departments")), 2);
        } else if (!strcmp(num, numbers[C_P2_SW]) || !strcmp(num, numbers[C_CLOSED_SQ])) {
            /* P2, and a closed case: no deadline. */
            assert_true(json_is_null(json_object_get(c, "deadline")));
            assert_true(json_is_null(left));
            if (!strcmp(num, numbers[C_CLOSED_SQ])) {
                assert_string_equal(json_string_value(json_object_get(c, "status")), "closed");
                assert_non_null(json_string_value(json_object_get(c, "closed_at")));
            }
        }
    }
    json_decref(b);
}

static void the_deadline_rule_is_the_re_alert_jobs(void **state)
{
    const struct gw_policy *pol = &api.cfg->policy;
    assert_int_equal(case_ack_window(pol, 0, 0), 15 * 60);
    assert_int_equal(case_ack_window(pol, 1, 0), 30 * 60);
    assert_int_equal(case_ack_window(pol, 0, 1), 30 * 60);
    assert_int_equal(case_ack_window(pol, 3, 1), 30 * 60);
    assert_int_equal(case_ack_window(pol, 2, 0), 0);
    struct case_clock c = {.open = 1, .priority = 0, .since = 1000};
    assert_int_equal(case_ack_deadline(pol, &c), 1000 + 900);
    c.held = 1;
    assert_int_equal(case_ack_deadline(pol, &c), 0);
    c.held = 0;
    c.open = 0;
    assert_int_equal(case_ack_deadline(pol, &c), 0);
}

static void director_responder_supervisor_see_their_own(void **state)
{
    char dir_t[AUTH_TOKEN_LEN], pol_t[AUTH_TOKEN_LEN], civ_t[AUTH_TOKEN_LEN], sup_t[AUTH_TOKEN_LEN];
    make_token("director", "director", V_SW, NULL, dir_t);
    make_token("police", "responder", "示例县", "police", pol_t);
    make_token("civil", "responder", "示例县", "civil_affairs", civ_t);
    make_token("supervisor", "supervisor", "示例县/东溪镇", NULL, sup_t);
    assert_lists(dir_t, "/api/v1/cases", C_INFERRED_SW, C_P0_SW_LATER, C_P2_SW);
    assert_lists(pol_t, "/api/v1/cases", C_INFERRED_SW, C_P0_SQ, C_P0_SW_LATER, C_P2_SW);
    assert_lists(civ_t, "/api/v1/cases?status=all", C_TRIAGE_ZY, C_CLOSED_SQ);
    assert_lists(sup_t, "/api/v1/cases", C_INFERRED_SW, C_P0_SQ, C_P0_SW_LATER, C_P2_SW);
    /* Out of scope answers as missing. */
    json_t *b;
    char target[64];
    snprintf(target, sizeof target, "/api/v1/cases/%s", numbers[C_P0_SQ]);
    assert_int_equal(get(dir_t, target, &b), 404);
    assert_string_equal(json_string_value(json_object_get(b, "error")), "not found");
    json_decref(b);
    assert_int_equal(get(dir_t, "/api/v1/cases/260101999999", &b), 404);
    assert_string_equal(json_string_value(json_object_get(b, "error")), "not found");
    json_decref(b);
    snprintf(target, sizeof target, "/api/v1/cases/%s", numbers[C_TRIAGE_ZY]);
    assert_int_equal(get(pol_t, target, &b), 404);
    json_decref(b);
    assert_int_equal(get(civ_t, target, &b), 200);
    json_decref(b);
}

static void limit_and_cursor_page_without_repeats(void **state)
{
    char token[AUTH_TOKEN_LEN];
    make_token("pager", "county", "示例县", NULL, token);
    char all[512], want[512], target[256];
    expect_numbers(want, sizeof want, C_TRIAGE_ZY, C_INFERRED_SW, C_P0_SQ, C_P0_SW_LATER, C_CLOSED_SQ, C_P2_SW, -1);
    all[0] = '\0';
    snprintf(target, sizeof target, "/api/v1/cases?status=all&limit=2");
    int pages = 0;
    for (;;) {
        json_t *b;
        assert_int_equal(get(token, target, &b), 200);
        char got[512];
        list_numbers(b, got, sizeof got);
        assert_true(json_array_size(json_object_get(b, "cases")) <= 2);
        if (all[0] && got[0]) strncat(all, ",", sizeof all - strlen(all) - 1);
        strncat(all, got, sizeof all - strlen(all) - 1);
        pages++;
        const json_t *next = json_object_get(b, "next");
        if (json_is_null(next)) {
            json_decref(b);
            break;
        }
        snprintf(target, sizeof target, "/api/v1/cases?status=all&limit=2&cursor=%s", json_string_value(next));
        json_decref(b);
        assert_true(pages < 10);
    }
    assert_int_equal(pages, 3);
    assert_string_equal(all, want);
}

static void detail_is_audited_and_masks_for_others(void **state)
{
    char county[AUTH_TOKEN_LEN], dir_t[AUTH_TOKEN_LEN];
    make_token("county3", "county", "示例县", NULL, county);
    make_token("director2", "director", V_SW, NULL, dir_t);
    int64_t rows0 = tdb_int(api.dbpath, "SELECT count(*) FROM audit");
    char target[64];
    snprintf(target, sizeof target, "/api/v1/cases/%s", numbers[C_P2_SW]);
    json_t *b;
    assert_int_equal(get(county, target, &b), 200);
    assert_string_equal(json_string_value(json_object_get(b, "number")), numbers[C_P2_SW]);
    assert_string_equal(json_string_value(json_object_get(b, "description")), "孩子在河边没人看管");
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "child"), "code")), CHILD);
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "child"), "name")), "小甲");
    assert_string_equal(json_string_value(json_object_get(b, "reporter")), REPORTER);
    const json_t *events = json_object_get(b, "events");
    assert_true(json_array_size(events) >= 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "kind")), "opened");
    const json_t *rec = json_array_get(json_object_get(b, "recordings"), 0);
    assert_non_null(rec);
    assert_string_equal(json_string_value(json_object_get(rec, "status")), "fetched");
    assert_int_equal(json_integer_value(json_object_get(rec, "bytes")), 4096);
    assert_string_equal(json_string_value(json_object_get(rec, "content_type")), "audio/wav");
    char *text = json_dumps(b, 0);
    assert_null(strstr(text, "r1.wav"));
    assert_null(strstr(text, "/var/media"));
    free(text);
    json_decref(b);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM audit"), rows0 + 1);
    assert_int_equal(tdb_int(api.dbpath,
                            "SELECT count(*) FROM audit WHERE actor = 'token:county3' AND role = 'county' "
                            "AND client = '127.0.0.1' AND action = 'read case' AND records = 'case:%s'",
                            numbers[C_P2_SW]),
                     1);
    /* The director sees the reporter masked. */
    assert_int_equal(get(dir_t, target, &b), 200);
    const char *masked = json_string_value(json_object_get(b, "reporter"));
    assert_non_null(masked);
    assert_null(strstr(masked, "13900000001"));
    assert_non_null(strstr(masked, "****"));
    json_decref(b);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM audit"), rows0 + 2);
    /* A refused read leaves no row. */
    snprintf(target, sizeof target, "/api/v1/cases/%s", numbers[C_P0_NB]);
    assert_int_equal(get(dir_t, target, &b), 404);
    json_decref(b);
    assert_int_equal(tdb_int(api.dbpath, "SELECT count(*) FROM audit"), rows0 + 2);
    struct audit_problem bad;
    long rows = 0;
    assert_int_equal(store_begin(api.st), 0);
    assert_int_equal(audit_verify(api.st, &bad, &rows, NULL), 0);
    assert_int_equal(store_commit(api.st), 0);
    assert_int_equal(rows, rows0 + 2);
}

static void refusals_401_403_400(void **state)
{
    json_t *b;
    assert_int_equal(get(NULL, "/api/v1/cases", &b), 401);
    json_decref(b);
    assert_int_equal(get("gwt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "/api/v1/cases/1", &b), 401);
    json_decref(b);
    char auditor[AUTH_TOKEN_LEN], county[AUTH_TOKEN_LEN];
    make_token("auditor", "auditor", NULL, NULL, auditor);
    make_token("county4", "county", "示例县", NULL, county);
    assert_int_equal(get(auditor, "/api/v1/cases", &b), 403);
    json_decref(b);
    char target[64];
    snprintf(target, sizeof target, "/api/v1/cases/%s", numbers[C_P2_SW]);
    assert_int_equal(get(auditor, target, &b), 403);
    json_decref(b);
    static const char *const bad[] = {"status=opened", "priority=4", "priority=P1", "limit=0", "limit=201",
                                      "limit=x",       "cursor=abc", "cursor=1.2.3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char t[128];
        snprintf(t, sizeof t, "/api/v1/cases?%s", bad[i]);
        assert_int_equal(get(county, t, &b), 400);
        assert_non_null(json_string_value(json_object_get(b, "error")));
        json_decref(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(county_sees_its_county_in_working_order),
        cmocka_unit_test(list_items_carry_the_deadline_and_no_personal_data),
        cmocka_unit_test(the_deadline_rule_is_the_re_alert_jobs),
        cmocka_unit_test(director_responder_supervisor_see_their_own),
        cmocka_unit_test(limit_and_cursor_page_without_repeats),
        cmocka_unit_test(detail_is_audited_and_masks_for_others),
        cmocka_unit_test(refusals_401_403_400),
    };
    return cmocka_run_group_tests_name("api_cases", tests, setup, teardown);
}
