/* tests/unit/test_report_period.c - a report over a period computed against
 * a hand-made table: a small county seeded through the roster import and
 * the store port, with records before, inside and after the period
 * 2024-01-01 .. 2024-03-31 (Q1), a child registered after it, a child
 * aged out during it, a child whose category changed after it (a later
 * import, which logs the change), an away parent registered after it, cases
 * acknowledged, closed and their reporter told before and after its end.
 * Every expected figure is worked out by hand in the comments next to the
 * seed and the rows. Then the period's rules (--year, bad dates), the
 * region filter, the HTML page (its SVG and its escaping), and the CLI
 * wrapper with its audit row.
 *
 * TZ is Asia/Shanghai; "today" is 2025-06-15, long after the period.
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
#include "../../core/config.h"
#include "../../core/damm.h"
#include "../../core/store.h"
#include "../../core/util.h"
#include "../../gateway/report_cmd.h"
#include "../../handlers/report_period.h"
#include "../common/localtime.h"
#include "../common/seed.h"
#include "../common/teststore.h"

#define NOW 1749960000LL /* 2025-06-15T12:00:00+08:00 */

static int setup(void **state) { return test_store_setup(state, "gw-report", 0); }

static int teardown(void **state) { return test_store_teardown(state); }

static void child(struct test_store *c, const char *prefix, int n, const char *birth, const char *village,
                  const char *categories, const char *flags, int64_t at)
{
    char k[8], csv[512];
    snprintf(csv, sizeof csv, "code,name,sex,birth_date,region,categories,flags\n%s,儿童%s%d,M,%s,%s,%s,%s\n",
             seed_code(k, prefix, n), prefix, n, birth, village, categories, flags);
    seed_roster(c->st, "children", csv, at);
}

static void visit(struct test_store *c, const char *prefix, int n, const char *phone, const char *date, int result,
                  const char *problems)
{
    char k[8];
    seed_visit(c->st, seed_code(k, prefix, n), phone, date, result, problems, local_at("2025-01-01 00:00"));
}

static void checkin(struct test_store *c, const char *phone, const char *prefix, int n, int64_t at)
{
    char k[8];
    seed_checkin(c->st, phone, seed_code(k, prefix, n), 1, at);
}

/* A case opened at `opened` in region (the county 示例县 always),
 * acknowledged at acked (0: never) and closed with outcome at closed (0:
 * not closed) by the police responder; reporter (a phone, NULL: none) told
 * the outcome at told (0: never). */
static void a_case(struct test_store *c, int category, int priority, const char *region, int64_t opened, int64_t acked,
                   int64_t closed, int outcome, const char *reporter, int64_t told)
{
    static const char *const depts[] = {"police"};
    struct db_case_new n = {.category = category,
                            .classified = 1,
                            .priority = priority,
                            .depts = depts,
                            .ndepts = 1,
                            .county_id = seed_region_id(c->st, "示例县"),
                            .region_id = region ? seed_region_id(c->st, region) : 0,
                            .reporter_id = reporter ? seed_reporter(c->st, reporter, opened) : 0};
    int64_t id = seed_case(c->st, &n, opened, NULL), police = seed_staff_id(c->st, "+8613800000201");
    if (acked) seed_case_ack(c->st, id, police, acked);
    if (closed) seed_case_close(c->st, id, police, outcome, NULL, closed);
    if (told) {
        assert_int_equal(store_begin(c->st), 0);
        assert_int_equal(db_case_event(c->st, id, "reporter_told", police, "closed", told), 0);
        assert_int_equal(store_commit(c->st), 0);
    }
}

#define JIA  "示例县/东镇/甲村"
#define YI   "示例县/东镇/乙村"
#define BING "示例县/西镇/丙村"

static int on_change(void *arg, const struct store_child_change_rec *r)
{
    if (!strcmp(r->field, "categories") && !strcmp(r->old_value, "difficulty") && !strcmp(r->new_value, "orphan"))
        ++*(int *)arg;
    return 0;
}

static void seed(struct test_store *c)
{
    int64_t r0 = local_at("2023-12-01 09:00");
    seed_roster(c->st, "regions", "path\n" JIA "\n" YI "\n" BING "\n", r0);
    seed_roster(c->st, "staff",
                "phone,name,role,region,department\n"
                "+8613800000001,甲村主任,director," JIA ",\n"
                "+8613800000002,乙村主任,director," YI ",\n"
                "+8613800000201,值班民警,responder,示例县,police\n",
                r0);
    /* 丙村's director came after the period: 丙村 had none. */
    seed_roster(c->st, "staff", "phone,name,role,region,department\n+8613800000003,丙村主任,director," BING ",\n",
                local_at("2024-06-01 09:00"));

    /* 甲村: counted 1, 2, 3, 6 (4 children). */
    child(c, "10", 1, "2015-01-01", JIA, "left_behind", "psych", r0);
    child(c, "10", 2, "2015-01-01", JIA, "left_behind|single_parent", "", r0);
    child(c, "10", 3, "2012-01-01", JIA, "difficulty", "parent_disabled", r0);
    /* registered after the period: not counted, nor its visit */
    child(c, "10", 4, "2015-01-01", JIA, "left_behind", "", local_at("2024-04-10 09:00"));
    /* left-behind, 16 on 2024-02-01: aged out by the end, not counted */
    child(c, "10", 5, "2008-02-01", JIA, "left_behind", "", r0);
    /* registered during the period (February): every month from February */
    child(c, "10", 6, "2015-01-01", JIA, "left_behind", "", local_at("2024-02-15 09:00"));
    /* 10-3 became an orphan after the period (an import logs the change):
     * it counts as difficulty */
    child(c, "10", 3, "2012-01-01", JIA, "orphan", "parent_disabled", local_at("2024-05-01 09:00"));
    char k3[8];
    int changes = 0;
    assert_int_equal(store_child_changes_each(c->st, seed_code(k3, "10", 3), on_change, &changes), 0);
    assert_int_equal(changes, 1);

    /* 乙村: 31 left-behind children and one director: over the 30 rule. */
    struct gw_buf csv = {0};
    gw_buf_puts(&csv, "code,name,sex,birth_date,region,categories,flags\n");
    for (int i = 1; i <= 31; i++) {
        char k[8];
        gw_buf_printf(&csv, "%s,乙%d,F,2016-01-01," YI ",left_behind,\n", seed_code(k, "20", i), i);
    }
    seed_roster(c->st, "children", gw_buf_cstr(&csv), r0);
    gw_buf_free(&csv);

    /* 丙村: an orphan, and an unsupported child with a disability. */
    child(c, "30", 1, "2014-01-01", BING, "orphan", "", r0);
    child(c, "30", 2, "2014-01-01", BING, "unsupported", "child_disabled", r0);

    const char *d1 = "+8613800000001", *d2 = "+8613800000002";
    /* 10-1: 3 in the period (r1, r2 XL|JK, r1), every month; two outside */
    visit(c, "10", 1, d1, "2023-12-28", 1, NULL);
    visit(c, "10", 1, d1, "2024-01-05", 1, NULL);
    visit(c, "10", 1, d1, "2024-02-10", 2, "XL|JK");
    visit(c, "10", 1, d1, "2024-03-20", 1, NULL);
    visit(c, "10", 1, d1, "2024-04-02", 1, NULL);
    /* 10-2: r3 in January, r4 in March, none in February */
    visit(c, "10", 2, d1, "2024-01-15", 3, NULL);
    visit(c, "10", 2, d1, "2024-03-01", 4, NULL);
    /* 10-3: one r2 JH, on the leap day */
    visit(c, "10", 3, d1, "2024-02-29", 2, "JH");
    /* 10-4 and 10-5 are not counted: neither are their visits */
    visit(c, "10", 4, d1, "2024-03-15", 1, NULL);
    visit(c, "10", 5, d1, "2024-01-10", 1, NULL);
    /* 10-6: February and March, r1 and r2 QG|JH */
    visit(c, "10", 6, d1, "2024-02-20", 1, NULL);
    visit(c, "10", 6, d1, "2024-03-05", 2, "QG|JH");
    /* 20-1: on the edges of each month, every month; 20-2 only outside */
    visit(c, "20", 1, d2, "2024-01-31", 1, NULL);
    visit(c, "20", 1, d2, "2024-02-01", 1, NULL);
    visit(c, "20", 1, d2, "2024-03-31", 1, NULL);
    visit(c, "20", 2, d2, "2023-12-31", 1, NULL);
    visit(c, "20", 2, d2, "2024-04-01", 1, NULL);

    /* Guardians: g1 away (10-1); g2 away for two children of 甲村 (once);
     * g3 at home; g4 away (20-1); g5 away, registered after the period;
     * g6 away for the aged-out 10-5. */
    char k[7][8];
    gw_buf_puts(&csv, "phone,name,relation,child_code,away\n");
    gw_buf_printf(&csv, "+8613900000001,g1,父亲,%s,1\n", seed_code(k[0], "10", 1));
    gw_buf_printf(&csv, "+8613900000002,g2,母亲,%s,1\n", seed_code(k[1], "10", 2));
    gw_buf_printf(&csv, "+8613900000002,g2,母亲,%s,1\n", seed_code(k[2], "10", 6));
    gw_buf_printf(&csv, "+8613900000003,g3,祖母,%s,0\n", seed_code(k[3], "10", 3));
    gw_buf_printf(&csv, "+8613900000004,g4,父亲,%s,1\n", seed_code(k[4], "20", 1));
    gw_buf_printf(&csv, "+8613900000006,g6,父亲,%s,1\n", seed_code(k[5], "10", 5));
    seed_roster(c->st, "guardians", gw_buf_cstr(&csv), r0);
    gw_buf_reset(&csv);
    gw_buf_puts(&csv, "phone,name,relation,child_code,away\n");
    gw_buf_printf(&csv, "+8613900000005,g5,母亲,%s,1\n", seed_code(k[6], "10", 1));
    seed_roster(c->st, "guardians", gw_buf_cstr(&csv), local_at("2024-06-01 09:00"));
    gw_buf_free(&csv);
    checkin(c, "+8613900000001", "10", 1, local_at("2024-02-01 12:00"));  /* in: g1 checked in */
    checkin(c, "+8613900000002", "10", 2, local_at("2023-12-20 12:00"));  /* before: g2 silent ... */
    checkin(c, "+8613900000002", "10", 6, local_at("2024-04-05 12:00"));  /* ... after, still silent */
    checkin(c, "+8613900000003", "10", 3, local_at("2024-03-01 12:00"));  /* in, a check-in, not a parent away */
    checkin(c, "+8613900000004", "20", 1, local_at("2024-01-20 12:00"));  /* in */
    checkin(c, "+8613900000004", "20", 1, local_at("2024-03-31 23:59"));  /* in: the last minute */
    checkin(c, "+8613900000004", "20", 1, local_at("2024-04-01 00:00"));  /* out: the first minute after */
    checkin(c, "+8613900000005", "10", 1, local_at("2024-06-02 12:00"));  /* g5: after */

    /* Cases (minutes to acknowledge / to close):
     * C1 甲村 cat 2 P1: ack 30, close 1440, outcome 1, reporter told.
     * C2 乙村 cat 2 P0: ack 10, close 240, outcome 2, reporter not told.
     * C3 甲村 cat 7 P2: ack 60; closed after the end (not closed then).
     * C4 东镇 cat 9 P3: acknowledged after the end (neither).
     * C5 丙村 cat 4: opened before the period; C6 丙村 cat 5: after.
     * C7 county only, cat 1 P1: closed at once without an ack (60, 60),
     *    outcome 4, no reporter.
     * C8 丙村 cat 3 P2: ack 20, close 41760 (29 days: a leap year), outcome 1, reporter
     *    told after the end (not told then). */
    a_case(c, 2, 1, JIA, local_at("2024-01-10 10:00"), local_at("2024-01-10 10:30"), local_at("2024-01-11 10:00"), 1, "+8613700000001",
           local_at("2024-01-11 10:00"));
    a_case(c, 2, 0, YI, local_at("2024-02-01 08:00"), local_at("2024-02-01 08:10"), local_at("2024-02-01 12:00"), 2, "+8613700000002", 0);
    a_case(c, 7, 2, JIA, local_at("2024-03-30 09:00"), local_at("2024-03-30 10:00"), local_at("2024-04-02 09:00"), 3, NULL, 0);
    a_case(c, 9, 3, "示例县/东镇", local_at("2024-03-15 12:00"), local_at("2024-04-01 08:00"), 0, 0, NULL, 0);
    a_case(c, 4, 0, BING, local_at("2023-12-31 23:00"), local_at("2023-12-31 23:30"), 0, 0, NULL, 0);
    a_case(c, 5, 1, BING, local_at("2024-04-01 00:00"), 0, 0, 0, NULL, 0);
    a_case(c, 1, 1, NULL, local_at("2024-03-01 10:00"), 0, local_at("2024-03-01 11:00"), 4, NULL, 0);
    a_case(c, 3, 2, BING, local_at("2024-02-10 10:00"), local_at("2024-02-10 10:20"), local_at("2024-03-10 10:00"), 1, "+8613700000003",
           local_at("2024-04-10 10:00"));
}

/* The report written as CSV into a string (the caller frees it). */
static char *csv_of(const struct report *rep)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    report_write_csv(rep, f);
    fclose(f);
    return buf;
}

/* Asserts the CSV text equals want; on a difference, first prints each
 * differing field (line, column name, got, want) so a failure says which
 * figure moved. */
static void assert_csv(const char *got, const char *want)
{
    if (strcmp(got, want) != 0) {
        const char *g = got, *w = want;
        for (int line = 1; *g || *w; line++) {
            size_t gl = strcspn(g, "\n"), wl = strcspn(w, "\n");
            const char *h = REPORT_CSV_HEADER;
            for (int col = 0; gl && wl; col++) {
                size_t gf = strcspn(g, ",\n"), wf = strcspn(w, ",\n"), hf = strcspn(h, ",");
                if (gf != wf || memcmp(g, w, gf) != 0)
                    fprintf(stderr, "line %d %.*s: got '%.*s' want '%.*s'\n", line, (int)hf, h, (int)gf, g, (int)wf, w);
                g += gf, w += wf, h += hf + (h[hf] == ',');
                gl -= gl > gf ? gf : gl, wl -= wl > wf ? wf : wl;
                if (*g == ',') g++, gl--;
                if (*w == ',') w++, wl--;
                if (!gl || !wl) break;
            }
            g += strcspn(g, "\n"), w += strcspn(w, "\n");
            if (*g) g++;
            if (*w) w++;
        }
    }
    assert_string_equal(got, want);
}

static void compute(struct test_store *c, const char *from, const char *to, const char *region, struct report *rep)
{
    struct report_period p;
    char err[160];
    assert_int_equal(report_period_resolve(NULL, from, to, cal_local_day(NOW), &p, err, sizeof err), 0);
    assert_int_equal(report_compute(c->st, NULL, &p, region, rep), 0);
}

#define P "2024-01-01,2024-03-31,1,"

/* Column by column (REPORT_CSV_HEADER): children, categories (left_behind
 * difficulty orphan unsupported single_parent), flags (parent_disabled
 * child_disabled psych); visits, visited, every month, %, per child,
 * results 1-4, problems JH XL XX JK SH AQ QG; check-ins, away, checked in,
 * silent; cases, categories 1-9, P0-P3, acknowledged, median, closed,
 * outcomes 1-4, median, with a reporter, told, %; directors, children per
 * director, villages over.
 *
 * 甲村: 4 children (1 2 3 6): left_behind 1 2 6, difficulty 3 (as it was),
 * single_parent 2; psych 1, parent_disabled 3. Visits 3+2+1+2 = 8 by 4
 * children, every month 1 and 6 (2/4 = 50%), 8/4 = 2.00 a child; r1 2+1,
 * r2 1+1+1, r3 1, r4 1; JH 3 and 6, XL 1, JK 1, QG 6. Check-ins g1 and g3;
 * away g1 and g2, g1 checked in. Cases C1 C3: ack 30 60 (45), closed C1
 * (1440), told. One director: 4 children. */
#define ROW_JIA                                                                                                        \
    P "village," JIA ",4,3,1,0,0,1,1,0,1,8,4,2,50.0,2.00,3,3,1,1,2,1,0,1,0,0,1,2,2,1,1,2,0,1,0,0,0,0,1,0,0,0,1,1,0,2,"  \
      "45.0,1,1,0,0,0,1440.0,1,1,100.0,1,4.0,0\n"
/* 乙村: 31 children; 20-1 visited 3 times, every month: 1/31 = 3.2%, 3/31 =
 * 0.10 a child. Check-ins 2 (the third after the end), g4 checked in. C2:
 * ack 10, closed 240, not told (0.0%). 31 children to one director:
 * flagged. */
#define ROW_YI                                                                                                         \
    P "village," YI ",31,31,0,0,0,0,0,0,0,3,1,1,3.2,0.10,3,0,0,0,0,0,0,0,0,0,0,2,1,1,0,1,0,1,0,0,0,0,0,0,0,1,0,0,0,1,"  \
      "10.0,1,0,1,0,0,240.0,1,0,0.0,1,31.0,1\n"
/* 东镇: 甲村 + 乙村 + C4 (its own): 35 children, 11 visits, 5 visited, 3
 * every month (8.6%), 11/35 = 0.31; 4 check-ins, 3 away (g1 g2 g4), 2 in;
 * cases C1 C2 C3 C4: ack 10 30 60 (30), closed C1 C2 (median of 240 and
 * 1440: 840), 1 told of 2. Two directors: 17.5; one village over. */
#define ROW_EAST                                                                                                       \
    P "town,示例县/东镇,35,34,1,0,0,1,1,0,1,11,5,3,8.6,0.31,6,3,1,1,2,1,0,1,0,0,1,4,3,2,1,4,0,2,0,0,0,0,1,0,1,1,1,1,"  \
      "1,3,30.0,2,1,1,0,0,840.0,2,1,50.0,2,17.5,1\n"
/* 丙村: 2 children (orphan; unsupported, child_disabled), no visits (0.0%,
 * 0.00), no away parents. C8 only (C5 before, C6 after): ack 20, closed
 * 41760, told after the end: 0.0%. No director by the end. */
#define BING_FIGURES                                                                                                   \
    ",2,0,0,1,1,0,0,1,0,0,0,0,0.0,0.00,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,1,0,0,0,0,0,0,0,0,1,0,1,20.0,1,1,0,0,0,"    \
    "41760.0,1,0,0.0,0,,0\n"
#define ROW_BING P "village," BING BING_FIGURES
/* 西镇: 丙村 alone. */
#define ROW_WEST P "town,示例县/西镇" BING_FIGURES
/* The county: 东镇 + 西镇 + C7: 37 children, 11 visits (8.1%, 0.30); cases
 * C1 C2 C3 C4 C7 C8: ack 10 20 30 60 60 (30), closed 60 240 1440 41760
 * (840); outcomes 1: C1 C8, 2: C2, 4: C7; with a reporter C1 C2 C8, told 1
 * (33.3%). Two directors: 18.5. */
#define ROW_COUNTY                                                                                                     \
    P "county,示例县,37,34,1,1,1,1,1,1,1,11,5,3,8.1,0.30,6,3,1,1,2,1,0,1,0,0,1,4,3,2,1,6,1,2,1,0,0,0,1,0,1,1,2,2,1,5,"  \
      "30.0,4,2,1,0,1,840.0,3,1,33.3,2,18.5,1\n"

static void a_period_counts_only_its_records(void **state)
{
    struct test_store *c = *state;
    seed(c);
    struct report rep;
    compute(c, "2024-01-01", "2024-03-31", NULL, &rep);
    char *csv = csv_of(&rep);
    assert_csv(csv, REPORT_CSV_HEADER "\n" ROW_COUNTY ROW_EAST ROW_YI ROW_JIA ROW_WEST ROW_BING);
    free(csv);
    report_free(&rep);
}


/* Only the region asked for and what is under it; an unknown region is 1. */
static void a_region_limits_the_rows(void **state)
{
    struct test_store *c = *state;
    seed(c);
    struct report rep;
    compute(c, "2024-01-01", "2024-03-31", "示例县/西镇", &rep);
    char *csv = csv_of(&rep);
    assert_csv(csv, REPORT_CSV_HEADER "\n" ROW_WEST ROW_BING);
    free(csv);
    report_free(&rep);
    struct report_period p = {local_day("2024-01-01"), local_day("2024-03-31"), 1};
    assert_int_equal(report_compute(c->st, NULL, &p, "示例县/北镇", &rep), 1);
    assert_int_equal(rep.n, 0);
}

/* The same records seen over a later period: 10-3 is an orphan now (no
 * change after 2024-06-30), 10-4 and g5 count, 10-5 is still out, the
 * cases closed or told in April count as such. Only the figures that move
 * are checked. */
static void a_later_period_sees_later_records(void **state)
{
    struct test_store *c = *state;
    seed(c);
    struct report rep;
    compute(c, "2024-04-01", "2024-06-30", JIA, &rep);
    assert_int_equal(rep.n, 1);
    const struct report_row *r = &rep.rows[0];
    assert_int_equal(r->children, 5);     /* 1 2 3 4 6 */
    assert_int_equal(r->category[1], 0);  /* difficulty: none */
    assert_int_equal(r->category[2], 1);  /* orphan: 10-3 */
    assert_int_equal(r->visits, 1);       /* 10-1 on 04-02 */
    assert_int_equal(r->visited_monthly, 0);
    assert_int_equal(r->checkins, 2);     /* g2 04-05, g5 06-02 */
    assert_int_equal(r->away, 3);         /* g1 g2 g5 */
    assert_int_equal(r->checked_in, 2);   /* g2 g5 */
    assert_int_equal(r->silent, 1);       /* g1 */
    assert_int_equal(r->cases, 0);        /* C3 was opened in March */
    report_free(&rep);
    /* 甲村 from March to April: C3 (opened 03-30) closed on 04-02, three days. */
    compute(c, "2024-03-01", "2024-04-30", JIA, &rep);
    r = &rep.rows[0];
    assert_int_equal(r->cases, 1);
    assert_int_equal(r->closed, 1);
    assert_int_equal(r->outcome[2], 1);
    assert_true(r->median_close_minutes == 4320.0);
    assert_int_equal(r->closed_reporter, 0);
    report_free(&rep);
    /* The county from February to April: C2 C3 C4 C6 C7 C8; closed by the
     * end C2 C3 C7 C8; with a reporter C2 C8, told C8 (04-10); acks 10 20 60
     * 60 and C4's 16 days 20 hours: the median 60. */
    compute(c, "2024-02-01", "2024-04-30", "示例县", &rep);
    r = &rep.rows[0];
    assert_string_equal(r->path, "示例县");
    assert_int_equal(r->cases, 6);
    assert_int_equal(r->closed, 4);
    assert_int_equal(r->closed_reporter, 2);
    assert_int_equal(r->reporter_told, 1);
    assert_int_equal(r->acks, 5);
    assert_true(r->median_ack_minutes == 60.0);
    report_free(&rep);
}

/* --year: the whole year, or to today when it is not over; bad input. */
static void the_period_rules(void **state)
{
    (void)state;
    struct report_period p;
    char err[160];
    int64_t today = local_day("2025-06-15");
    assert_int_equal(report_period_resolve("2024", NULL, NULL, today, &p, err, sizeof err), 0);
    assert_int_equal(p.from_day, local_day("2024-01-01"));
    assert_int_equal(p.to_day, local_day("2024-12-31"));
    assert_int_equal(p.complete, 1);
    assert_int_equal(report_period_resolve("2025", NULL, NULL, today, &p, err, sizeof err), 0);
    assert_int_equal(p.from_day, local_day("2025-01-01"));
    assert_int_equal(p.to_day, today);
    assert_int_equal(p.complete, 0);
    assert_int_equal(report_period_resolve(NULL, "2025-06-01", "2025-07-31", today, &p, err, sizeof err), 0);
    assert_int_equal(p.to_day, today);
    assert_int_equal(p.complete, 0);
    assert_int_equal(report_period_resolve(NULL, "2025-06-15", "2025-06-15", today, &p, err, sizeof err), 0);
    assert_int_equal(p.complete, 1);
    static const char *const bad[][3] = {
        {"2026", NULL, NULL},          /* not begun */
        {"24", NULL, NULL},            /* not a year */
        {"2024x", NULL, NULL},         /* not a year */
        {"2024", "2024-01-01", NULL},  /* both */
        {NULL, "2024-01-01", NULL},    /* no --to */
        {NULL, NULL, NULL},            /* nothing */
        {NULL, "2024-02-30", "2024-03-01"}, /* not a date */
        {NULL, "2024-03-02", "2024-03-01"}, /* from after to */
        {NULL, "2025-06-16", "2025-07-01"}, /* begins after today */
        {NULL, "2010-01-01", "2020-12-31"}, /* more than 120 months */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(report_period_resolve(bad[i][0], bad[i][1], bad[i][2], today, &p, err, sizeof err), -1);
        assert_true(err[0] != '\0');
    }
}

/* The HTML page: Chinese headings, print styles, no script, the SVG charts,
 * and a region name with markup in it escaped everywhere. */
static void the_html_page_escapes_and_draws(void **state)
{
    (void)state;
    struct report_row rows[2] = {
        {.level = 1, .path = "示例县", .children = 4, .visited_monthly = 2, .cases = 3, .case_category = {[1] = 3}},
        {.level = 3, .path = "示例县/<b>镇&\"村'", .children = 4, .visited_monthly = 1},
    };
    struct report rep = {.period = {local_day("2025-01-01"), local_day("2025-06-15"), 0}, .months = 6, .rows = rows, .n = 2};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    report_write_html(&rep, "示例县", f);
    fclose(f);
    assert_non_null(strstr(buf, "<!DOCTYPE html>"));
    assert_non_null(strstr(buf, "@media print"));
    assert_non_null(strstr(buf, "一、儿童情况"));
    assert_non_null(strstr(buf, "2025-01-01 至 2025-06-15"));
    assert_non_null(strstr(buf, "统计期间尚未结束"));
    assert_null(strstr(buf, "<script"));
    assert_null(strstr(buf, "http"));
    assert_null(strstr(buf, "src="));
    assert_null(strstr(buf, "href"));
    assert_null(strstr(buf, "<b>"));
    assert_non_null(strstr(buf, "&lt;b&gt;镇&amp;&quot;村&#39;"));
    /* two charts: the village's share (1 of 4: a 25% bar of 360 px = 90)
     * and the county's cases by category (3 of category 2, the longest) */
    const char *svg = strstr(buf, "<svg");
    assert_non_null(svg);
    assert_non_null(strstr(svg + 1, "<svg"));
    assert_non_null(strstr(svg, "text-anchor=\"end\">&lt;b&gt;镇&amp;&quot;村&#39;</text>"));
    assert_non_null(strstr(svg, "width=\"90\" height=\"16\""));
    assert_non_null(strstr(svg, "25.0%"));
    assert_non_null(strstr(buf, "width=\"360\" height=\"16\""));
    free(buf);
}

struct audit_seen {
    int n;
    char action[32], records[128];
};

static int on_audit(void *arg, const struct store_audit_row *r)
{
    struct audit_seen *a = arg;
    a->n++;
    gw_strlcpy(a->action, r->action, sizeof a->action);
    gw_strlcpy(a->records, r->records, sizeof a->records);
    return 0;
}

/* The command: bad arguments exit 2 and audit nothing; a report is audited
 * (action report, the period and the region) before it is written. */
static void the_command_audits_before_output(void **state)
{
    struct test_store *c = *state;
    seed(c);
    static const struct report_args bad[] = {
        {.year = "2024", .format = "pdf"},
        {.from = "2024-03-01", .to = "2024-02-01"},
        {.year = "abcd"},
        {.year = "2024", .region = "示例县/北镇"},
    };
    char *buf = NULL;
    size_t len = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *out = open_memstream(&buf, &len), *err = fopen("/dev/null", "w");
        assert_int_equal(report_cmd(c->st, NULL, &bad[i], NOW, out, err), 2);
        fclose(out);
        fclose(err);
        assert_int_equal(len, 0);
        free(buf);
    }
    char hash[65];
    int64_t last = -1;
    assert_int_equal(store_audit_last(c->st, hash, &last), 1);
    struct report_args a = {.from = "2024-01-01", .to = "2024-03-31", .region = "示例县/西镇"};
    FILE *out = open_memstream(&buf, &len), *err = fopen("/dev/null", "w");
    assert_int_equal(report_cmd(c->st, NULL, &a, NOW, out, err), 0);
    fclose(out);
    fclose(err);
    assert_csv(buf, REPORT_CSV_HEADER "\n" ROW_WEST ROW_BING);
    free(buf);
    struct audit_seen seen = {0};
    assert_int_equal(store_audit_each(c->st, 0, on_audit, &seen), 0);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.action, "report");
    assert_string_equal(seen.records, "from:2024-01-01 to:2024-03-31 region:示例县/西镇");
}

int main(void)
{
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_period_counts_only_its_records, setup, teardown),
        cmocka_unit_test_setup_teardown(a_region_limits_the_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(a_later_period_sees_later_records, setup, teardown),
        cmocka_unit_test(the_period_rules),
        cmocka_unit_test(the_html_page_escapes_and_draws),
        cmocka_unit_test_setup_teardown(the_command_audits_before_output, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
