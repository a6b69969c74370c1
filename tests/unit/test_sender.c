/* tests/unit/test_sender.c - channel choice, each channel's share of the
 * sends on the wire, retry backoff, the start-up template lint and the
 * approved template codes of template-only providers: tables of inputs and
 * expected answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../gateway/config_load.h"
#include "../../gateway/sender.h"
#include "../../handlers/templates.h"
#include "../../providers/provider.h"

static char path[64];

static struct gw_config *load(const char *text, char *err, size_t errlen)
{
    snprintf(path, sizeof path, "/tmp/gw-sender-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct gw_config *c = NULL;
    gw_config_load(path, &c, err, errlen);
    unlink(path);
    return c;
}

static const char *CHANNELS = "[channel cn]\nprovider = twilio\naccount_sid = AC1\nauth_token = t\nnumber = +1\n"
                              "route = +86\n"
                              "[channel cn138]\nprovider = twilio\naccount_sid = AC2\nauth_token = t\nnumber = +1\n"
                              "route = +86138\n"
                              "[channel ke]\nprovider = twilio\naccount_sid = AC3\nauth_token = t\nnumber = +1\n"
                              "route = +254\n"
                              "[channel intl]\nprovider = twilio\naccount_sid = AC4\nauth_token = t\nnumber = +1\n"
                              "default = yes\n"
                              "[channel sim]\nprovider = generic\nsecret = s\n";

static void routes_by_longest_prefix_then_default(void **state)
{
    char err[256] = "";
    struct gw_config *c = load(CHANNELS, err, sizeof err);
    if (!c) fail_msg("%s", err);
    static const struct {
        const char *wanted, *to, *expect;
    } cases[] = {
        {NULL, "+8613900000001", "cn"},
        {NULL, "+8613800000001", "cn138"},
        {NULL, "+254711000001", "ke"},
        {NULL, "+12025550100", "intl"},
        {"ke", "+8613900000001", "ke"},     /* a reply goes back the way it came */
        {"nosuch", "+8613900000001", "cn"}, /* a channel that is gone: route */
        {"sim", "+8613900000001", "cn"},    /* generic without a url cannot send: route */
        {"cli", "+254711000001", "ke"},     /* the command line's messages route */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct gw_channel *ch = sender_route(c, cases[i].wanted, cases[i].to);
        if (!ch || strcmp(ch->name, cases[i].expect) != 0)
            fail_msg("case %zu: %s, expected %s", i, ch ? ch->name : "(none)", cases[i].expect);
    }
    gw_config_free(c);
}

static void no_channel_when_none_can_send(void **state)
{
    char err[256] = "";
    struct gw_config *c = load("[channel sim]\nprovider = generic\nsecret = s\ndefault = yes\n", err, sizeof err);
    assert_non_null(c);
    assert_null(sender_route(c, "sim", "+8613900000001"));
    gw_config_free(c);
    c = load("[channel sim]\nprovider = generic\nsecret = s\ndefault = yes\nurl = http://127.0.0.1:9/\n", err,
             sizeof err);
    assert_non_null(c);
    assert_non_null(sender_route(c, NULL, "+8613900000001"));
    gw_config_free(c);
}

static void each_channel_has_its_share_of_sends_in_flight(void **state)
{
    static const struct {
        const char *ini;
        const char *channel;
        int expect;
    } cases[] = {
        /* Five channels can send (sim cannot): a quarter of 64 stays for the others. */
        {"", "cn", 48},
        {"", "sim", 48},
        {"[sender]\nmax_in_flight = 16\n", "ke", 12},
        {"[sender]\nmax_in_flight = 3\n", "ke", 2}, /* at least one stays for the others */
        {"[sender]\nmax_in_flight = 1\n", "ke", 1}, /* and at least one for each */
        {"[channel ke]\nmax_in_flight = 40\n", "ke", 40},
        {"[channel ke]\nmax_in_flight = 40\n", "cn", 48},
        {"[channel ke]\nmax_in_flight = 500\n", "ke", 64}, /* never above [sender] */
        {"[channel ke]\nmax_in_flight = 1\n", "ke", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char ini[2048], err[256] = "";
        snprintf(ini, sizeof ini, "%s[channel x]\nprovider = twilio\naccount_sid = AC5\nauth_token = t\n"
                 "number = +1\n%s", CHANNELS, cases[i].ini);
        struct gw_config *c = load(ini, err, sizeof err);
        if (!c) fail_msg("case %zu: %s", i, err);
        int got = sender_channel_cap(c, gw_config_channel(c, cases[i].channel));
        if (got != cases[i].expect) fail_msg("case %zu: %d, expected %d", i, got, cases[i].expect);
        gw_config_free(c);
    }
    /* One channel alone keeps every slot. */
    char err[256] = "";
    struct gw_config *c = load("[channel one]\nprovider = twilio\naccount_sid = AC1\nauth_token = t\nnumber = +1\n",
                               err, sizeof err);
    assert_non_null(c);
    assert_int_equal(sender_channel_cap(c, &c->channels[0]), 64);
    gw_config_free(c);
}

static void backoff_doubles_to_the_cap_with_jitter(void **state)
{
    struct gw_sender_cfg sc = {.backoff = 2, .backoff_max = 60};
    static const struct {
        int attempt;
        double jitter;
        int expect;
    } cases[] = {
        {1, 1.0, 2}, {2, 1.0, 4}, {3, 1.0, 8}, {5, 1.0, 32}, {6, 1.0, 60}, {30, 1.0, 60},
        {1, 0.5, 1}, {3, 1.49, 11}, {6, 0.5, 30}, {100, 1.49, 89},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = sender_backoff(&sc, cases[i].attempt, cases[i].jitter);
        if (got != cases[i].expect) fail_msg("attempt %d jitter %.2f: %d, expected %d", cases[i].attempt,
                                             cases[i].jitter, got, cases[i].expect);
    }
}

static void template_lint_refuses_at_start_up(void **state)
{
    static const struct {
        const char *ini, *expect;
    } cases[] = {
        {"[template visit_ok]\ntext = 【儿童关爱】已记录${code}的走访\n", "must not contain 【】"},
        {"[template visit_ok]\ntext = 已记录${code}，详情见 https://example.org/v\n", "must not carry a link"},
        {"[template visit_ok]\ntext = 已记录${code}${nosuch}\n", "variable nosuch not given"},
        {"[template visit_ok]\ntext = 已记录儿童${code}在${date}的走访，谢谢您对留守儿童的关心和帮助，\n"
         "  请继续按时走访并记录每一次情况，如有问题请及时联系乡镇督导员，谢谢！\n",
         "one SMS holds 70"},
        {"[channel ali]\nprovider = twilio\naccount_sid = A\nauth_token = t\nnumber = +1\n[sender]\nmax_attempts = 0\n",
         "max_attempts = 0"},
        {"[sender]\nbogus = 1\n", "unknown key 'bogus' in [sender]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        struct gw_config *c = load(cases[i].ini, err, sizeof err);
        if (c || !strstr(err, cases[i].expect)) fail_msg("case %zu: '%s', expected '%s'", i, err, cases[i].expect);
    }
    /* A long text continued on an indented line is joined, and a good override loads. */
    char err[256] = "";
    struct gw_config *c = load("[template visit_ok]\ntext = 已记录儿童${code}\n  在${date}的走访。\n", err, sizeof err);
    if (!c) fail_msg("%s", err);
    assert_string_equal(c->templates[0].text, "已记录儿童${code}在${date}的走访。");
    gw_config_free(c);
}

#define ALIYUN_CHANNEL                                                                                             \
    "[channel ali]\nprovider = aliyun\naccess_key_id = id\naccess_key_secret = s\nsign_name = 示例\ntoken = t\n"
#define TENCENT_CHANNEL                                                                                            \
    "[channel tx]\nprovider = tencent\nsecret_id = id\nsecret_key = k\nsdk_app_id = 1400000000\nsign_name = 示例\n" \
    "token = t\n"

/* Each template-only provider reads its own [template] key (its
 * template_key); start-up names the key a channel misses; the codes are
 * found per provider, a later line replacing an earlier one. */
static void template_codes_are_per_provider(void **state)
{
    size_t n;
    const struct tmpl_def *defs = tmpl_builtin(&n);
    char err[256] = "";
    assert_null(load(ALIYUN_CHANNEL, err, sizeof err));
    assert_non_null(strstr(err, "[channel ali] sends only approved templates: [template "));
    assert_non_null(strstr(err, "needs aliyun_code"));
    assert_null(load(TENCENT_CHANNEL, err, sizeof err));
    assert_non_null(strstr(err, "needs tencent_id"));
    assert_null(load("[template visit_ok]\nbaidu_code = 1\n", err, sizeof err));
    assert_non_null(strstr(err, "unknown key 'baidu_code' in [template visit_ok]"));

    struct gw_buf ini = {0};
    gw_buf_puts(&ini, ALIYUN_CHANNEL TENCENT_CHANNEL);
    for (size_t i = 0; i < n; i++)
        gw_buf_printf(&ini, "[template %s]\naliyun_code = SMS_OLD\ntencent_id = %zu\naliyun_code = SMS_%zu\n",
                      defs[i].name, 100 + i, 500 + i);
    struct gw_config *c = load(gw_buf_cstr(&ini), err, sizeof err);
    gw_buf_free(&ini);
    if (!c) fail_msg("%s", err);
    const struct provider_ops *al = prov_find("aliyun"), *tx = prov_find("tencent");
    assert_ptr_equal(prov_find_template_key("aliyun_code"), al);
    assert_ptr_equal(prov_find_template_key("tencent_id"), tx);
    assert_null(prov_find_template_key("text"));
    for (size_t i = 0; i < n; i++) {
        const struct gw_template *t = gw_config_template(c, defs[i].name);
        char want[32];
        snprintf(want, sizeof want, "SMS_%zu", 500 + i);
        assert_string_equal(prov_template_code(al, t), want);
        snprintf(want, sizeof want, "%zu", 100 + i);
        assert_string_equal(prov_template_code(tx, t), want);
        assert_null(prov_template_code(prov_find("generic"), t));
    }
    assert_null(prov_template_code(al, NULL));
    gw_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes_by_longest_prefix_then_default),
        cmocka_unit_test(no_channel_when_none_can_send),
        cmocka_unit_test(each_channel_has_its_share_of_sends_in_flight),
        cmocka_unit_test(backoff_doubles_to_the_cap_with_jitter),
        cmocka_unit_test(template_lint_refuses_at_start_up),
        cmocka_unit_test(template_codes_are_per_provider),
    };
    return cmocka_run_group_tests_name("sender", tests, NULL, NULL);
}
