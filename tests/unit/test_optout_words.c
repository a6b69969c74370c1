/* tests/unit/test_optout_words.c - opt-out asked for in words: whole
 * messages as people write them -> an opt-out or not. Only a message that is
 * all opt-out counts; one that says anything else is read as what it says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../handlers/intents.h"

struct row {
    const char *text;
    int optout;
};

/* clang-format off */
static const struct row rows[] = {
    {"别再发了", 1},
    {"别发了", 1},
    {"不要再发", 1},
    {"不要再发了", 1},
    {"取消短信", 1},
    {"不要发短信了", 1},
    {"退订", 1},
    {"退订短信", 1},
    {"请不要再给我发短信了，谢谢", 1},
    {"以后别再发短信了，谢谢", 1},
    {"你们别再发了！烦死了", 1},
    {"TD 我不要短信了", 1},
    {"td,不要再发了", 1},
    {"不用再发提醒了", 1},
    {"取消提醒", 1},
    {"不想再收到这种短信", 1},
    {"停止发送", 1},
    {"别打扰我了", 1},
    {"拒收", 1},
    {"ＳＴＯＰ", 1},
    {"垃圾短信不要再发了", 1},
    {"不要了", 0},
    {"不要", 0},
    {"谢谢", 0},
    {"好的", 0},
    {"别再发了，孩子被打了", 0},
    {"不要再发了 我家孩子不见了", 0},
    {"发", 0},
    {"再发一次", 0},
    {"我不要孩子了", 0},
    {"别发愁", 0},
    {"取消 1000015", 0},
    {"", 0},
    {"   ", 0},
    {"😀", 0},
};
/* clang-format on */

static void whole_messages(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int got = h_optout_words(rows[i].text, strlen(rows[i].text));
        if (got != rows[i].optout) {
            fprintf(stderr, "row %zu \"%s\": %d, want %d\n", i + 1, rows[i].text, got, rows[i].optout);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
    assert_int_equal(h_optout_words(NULL, 0), 0);
    /* Only len bytes are read. */
    assert_int_equal(h_optout_words("别再发了孩子落水", strlen("别再发了")), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(whole_messages)};
    return cmocka_run_group_tests_name("opt-out in words", tests, NULL, NULL);
}
