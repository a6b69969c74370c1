/* tests/e2e/test_danger_words.c - danger written in plain words, through the
 * real binary on the demo county: a stranger's "救命 孩子掉河里了" opens a P0
 * case whose alerts are queued at once and whose answer carries the 110/120
 * advice; "BG 孩子被人用车带走了" is P0 category 4; a category written as a
 * Chinese numeral or an invalid one still reaches the right people; a
 * negation is not read as danger; the flood rule still holds one number's
 * run of danger reports; a county's own lexicon file (beside the config)
 * adds and withdraws phrases. Every inferred case is marked so, and its
 * 'opened' event names the phrase, so triage sees why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>

#include "../common/harness.h"

#define STRANGER "+8613755550301"
#define OTHER    "+8613755550302"
#define FLOODER  "+8613755550303"
#define CALM     "+8613755550304"
#define LOCAL    "+8613755550305"

static struct gw_proc G;

static int setup(void **state)
{
    (void)state;
    /* The sender stays off: what is queued stays in the outbox to be read. */
    const char *extra = "[sender]\nenabled = no\n"
                        "[policy]\nflood_reports = 3\nflood_window = 600\n";
    if (gwp_init(&G, extra, 1) != 0) return -1;
    /* The county's own words, beside the config (a relative path). */
    char path[400];
    snprintf(path, sizeof path, "%s/示例县.txt", G.dir);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs("# 示例县: a fish pond is a pond here; 欺负 goes to triage, not to education\n"
          "掉进鱼塘\t6\tP0\n"
          "欺负\t-\n",
          f);
    fclose(f);
    f = fopen(G.cfg, "a");
    if (!f) return -1;
    fputs("[county 示例县]\nlexicon = 示例县.txt\n", f);
    fclose(f);
    return gwp_start(&G);
}

static int teardown(void **state)
{
    (void)state;
    gwp_cleanup(&G);
    return 0;
}

static void sms(const char *id, const char *from, const char *text)
{
    struct http_resp r;
    assert_int_equal(post_generic(G.port, id, from, text, &r), 0);
    assert_int_equal(r.status, 200);
    http_resp_free(&r);
}

/* The newest case reported by phone, as "category/Ppriority/classified/inferred". */
static char *last_case(const char *phone)
{
    return db_text(G.db,
                   "SELECT c.category || '/P' || c.priority || '/' || c.classified || '/' || c.inferred FROM cases c "
                   "JOIN reporter r ON r.id = c.reporter_id WHERE r.phone = %Q ORDER BY c.id DESC LIMIT 1",
                   phone);
}

static int64_t last_case_rows(const char *phone, const char *cond)
{
    return db_int(G.db,
                  "SELECT count(*) FROM outbox WHERE %s AND case_id = (SELECT c.id FROM cases c JOIN reporter r "
                  "ON r.id = c.reporter_id WHERE r.phone = %Q ORDER BY c.id DESC LIMIT 1)",
                  cond, phone);
}

static void expect_case(const char *phone, const char *shape)
{
    char *got = last_case(phone);
    if (!got || strcmp(got, shape) != 0) fprintf(stderr, "case of %s: %s, want %s\n", phone, got ? got : "-", shape);
    assert_non_null(got);
    assert_string_equal(got, shape);
    free(got);
}

static void a_cry_for_help_is_p0_at_once(void **state)
{
    (void)state;
    sms("dw-1", STRANGER, "救命 孩子掉河里了");
    expect_case(STRANGER, "6/P0/1/1");
    /* Alerts at once to police and civil affairs (two responders each), not held for hours. */
    assert_int_equal(last_case_rows(STRANGER, "kind = 'alert' AND template = 'case_alert' AND next_attempt_at <= "
                                              "created_at"),
                     4);
    char *body = db_text(G.db, "SELECT body FROM outbox WHERE recipient = %Q ORDER BY id DESC LIMIT 1", STRANGER);
    assert_non_null(body);
    assert_non_null(strstr(body, "110"));
    assert_non_null(strstr(body, "120"));
    free(body);
    /* Triage sees why. */
    char *ev = db_text(G.db, "SELECT detail FROM case_event WHERE kind = 'opened' ORDER BY id DESC LIMIT 1");
    assert_non_null(ev);
    assert_non_null(strstr(ev, "inferred=6 P0 phrase=救命"));
    free(ev);
    /* No alert names the category or the words. */
    assert_int_equal(last_case_rows(STRANGER, "kind = 'alert' AND (body LIKE '%河%' OR body LIKE '%救命%')"), 0);
}

static void reports_without_a_usable_category(void **state)
{
    (void)state;
    sms("dw-2", OTHER, "BG 孩子被人用车带走了");
    expect_case(OTHER, "4/P0/1/1");
    assert_int_equal(last_case_rows(OTHER, "kind = 'alert'"), 4);
    assert_int_equal(last_case_rows(OTHER, "template = 'report_ok_p0'"), 1);

    /* A category as a Chinese numeral: category 5 either way (coded, or read from 想死). */
    sms("dw-3", OTHER, "BG 五 孩子说想死");
    char *got = last_case(OTHER);
    assert_non_null(got);
    assert_int_equal(strncmp(got, "5/P1/1/", 7), 0);
    free(got);
    assert_true(last_case_rows(OTHER, "kind = 'alert'") >= 3); /* 卫健, 教育, 民政 */

    /* An invalid category with danger words: inferred, not left for triage. */
    sms("dw-4", OTHER, "BG 0 孩子掉进水库了");
    expect_case(OTHER, "6/P0/1/1");
    assert_int_equal(last_case_rows(OTHER, "template = 'report_ok_p0'"), 1);
}

static void negations_are_not_danger(void **state)
{
    (void)state;
    sms("dw-5", CALM, "孩子没有落水，已经找到了，谢谢");
    expect_case(CALM, "9/P3/0/0");
    assert_int_equal(last_case_rows(CALM, "template = 'case_alert'"), 0);
    assert_int_equal(last_case_rows(CALM, "template = 'unknown_case_opened'"), 1);
    sms("dw-6", CALM, "BG 邻居家孩子没被打，是摔的");
    expect_case(CALM, "9/P3/0/0");
}

static void a_county_lexicon_adds_and_withdraws(void **state)
{
    (void)state;
    sms("dw-7", LOCAL, "快来看看 有个孩子掉进鱼塘了");
    expect_case(LOCAL, "6/P0/1/1");
    char *ev = db_text(G.db, "SELECT detail FROM case_event WHERE kind = 'opened' ORDER BY id DESC LIMIT 1");
    assert_non_null(ev);
    assert_non_null(strstr(ev, "phrase=掉进鱼塘"));
    free(ev);
    sms("dw-8", LOCAL, "BG 有人在学校欺负孩子");
    expect_case(LOCAL, "9/P3/0/0"); /* withdrawn in this county: triage reads it */
}

static void the_flood_rule_holds_danger_words_too(void **state)
{
    (void)state;
    for (int i = 0; i < 5; i++) {
        char id[32];
        snprintf(id, sizeof id, "dw-flood-%d", i);
        sms(id, FLOODER, "救命！孩子掉河里了");
    }
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM cases c JOIN reporter r ON r.id = c.reporter_id WHERE "
                                  "r.phone = %Q AND c.inferred = 1 AND c.priority = 0",
                            FLOODER),
                     5);
    /* Three alerted one by one, then one summary per responder. */
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox o JOIN cases c ON c.id = o.case_id JOIN reporter r ON "
                                  "r.id = c.reporter_id WHERE r.phone = %Q AND o.template = 'case_alert'",
                            FLOODER),
                     12);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox o JOIN cases c ON c.id = o.case_id JOIN reporter r ON "
                                  "r.id = c.reporter_id WHERE r.phone = %Q AND o.template = 'case_flood_alert'",
                            FLOODER),
                     4);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE recipient = %Q", FLOODER), 4);
    /* A follow-up and thanks within the run: kept on the case, still no SMS to the number. */
    sms("dw-flood-more", FLOODER, "补充：孩子穿蓝色衣服");
    sms("dw-flood-thanks", FLOODER, "谢谢");
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM outbox WHERE recipient = %Q", FLOODER), 4);
    assert_int_equal(db_int(G.db, "SELECT count(*) FROM case_event WHERE kind = 'followup' AND detail = "
                                  "'补充：孩子穿蓝色衣服'"),
                     1);
    assert_int_equal(gwp_stop(&G, SIGTERM), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_cry_for_help_is_p0_at_once),
        cmocka_unit_test(reports_without_a_usable_category),
        cmocka_unit_test(negations_are_not_danger),
        cmocka_unit_test(a_county_lexicon_adds_and_withdraws),
        cmocka_unit_test(the_flood_rule_holds_danger_words_too),
    };
    return cmocka_run_group_tests_name("e2e danger words", tests, setup, teardown);
}
