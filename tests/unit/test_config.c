/* tests/unit/test_config.c - the configuration loader: defaults, env:
 * values, and every kind of bad input refused with file:line. Also phone
 * normalisation and log masking, which the config's country code drives. */
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
#include "../../handlers/routing.h"
#include "../../core/log.h"
#include "../../core/message.h"
#include "../../handlers/lexicon.h"

static char path[64];

static const char *write_ini(const char *text)
{
    snprintf(path, sizeof path, "/tmp/gw-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static const char *GOOD = "[server]\n"
                          "listen = 127.0.0.1:0   ; a free port\n"
                          "public_url = https://gw.example.org/\n"
                          "max_body = 8192\n"
                          "[store]\npath = /tmp/x.db\nsynchronous = normal\n"
                          "[policy]\ntimezone = Asia/Shanghai\nvisit_days = 28\ncountry_code = 86\n"
                          "default_region = 示例县\n"
                          "[channel gen]\nprovider = generic\nsecret = env:GW_TEST_SECRET\ndefault = yes\n"
                          "[channel tw]\nprovider = twilio\naccount_sid = AC1\nauth_token = t\nnumber = +1202\n"
                          "route = +1\ntps = 5\n";

static void loads_a_good_file(void **state)
{
    setenv("GW_TEST_SECRET", "s3cret", 1);
    struct gw_config *c;
    char err[256] = "";
    assert_int_equal(gw_config_load(write_ini(GOOD), &c, err, sizeof err), 0);
    assert_string_equal(c->listen_host, "127.0.0.1");
    assert_int_equal(c->listen_port, 0);
    assert_string_equal(c->public_url, "https://gw.example.org");
    assert_int_equal(c->max_body, 8192);
    assert_int_equal(c->max_connections_per_ip, 256); /* default */
    assert_int_equal(c->request_timeout, 30);         /* default */
    assert_int_equal(c->sync_full, 0);
    assert_int_equal(c->policy.visit_days, 28);
    assert_int_equal(c->policy.visit_days_high, 14); /* default */
    assert_int_equal(c->policy.flood_reports, 3);    /* default */
    assert_int_equal(c->policy.flood_window, 600);   /* default */
    assert_string_equal(c->policy.default_region, "示例县");
    assert_int_equal(c->nchannels, 2);
    const struct gw_channel *g = gw_config_channel(c, "gen");
    assert_non_null(g);
    assert_string_equal(gw_channel_key(g, "secret"), "s3cret");
    assert_true(g->is_default);
    const struct gw_channel *t = gw_config_channel(c, "tw");
    assert_int_equal(t->tps, 5);
    assert_string_equal(t->route, "+1");
    assert_null(gw_config_channel(c, "none"));
    gw_config_free(c);
    unlink(path);
}

static void loads_flood_settings(void **state)
{
    struct gw_config *c;
    char err[256] = "";
    assert_int_equal(gw_config_load(write_ini("[policy]\nflood_reports = 0   ; no limit\nflood_window = 60\n"), &c, err,
                                    sizeof err),
                     0);
    assert_int_equal(c->policy.flood_reports, 0);
    assert_int_equal(c->policy.flood_window, 60);
    gw_config_free(c);
    unlink(path);
}

static void loads_digest_and_age_settings(void **state)
{
    struct gw_config *c;
    char err[256] = "";
    assert_int_equal(gw_config_load(write_ini("[policy]\ndaily_cap = 0   ; no cap\nage_left_behind = 14\n"), &c, err,
                                    sizeof err),
                     0);
    assert_int_equal(c->policy.daily_cap, 0);
    assert_int_equal(c->policy.age_left_behind, 14);
    assert_int_equal(c->policy.age_difficulty, 18); /* default */
    gw_config_free(c);
    assert_int_equal(gw_config_load(write_ini("[policy]\n"), &c, err, sizeof err), 0);
    assert_int_equal(c->policy.daily_cap, 3); /* defaults */
    assert_int_equal(c->policy.age_left_behind, 16);
    gw_config_free(c);
    unlink(path);
}

struct bad_case {
    const char *ini;
    const char *expect; /* substring of the error, including file line */
};

static void refuses_bad_files(void **state)
{
    unsetenv("GW_MISSING_VAR");
    static const struct bad_case cases[] = {
        {"[server]\nlisten = 127.0.0.1:8080\nbogus = 1\n", ":3: unknown key 'bogus' in [server]"},
        {"[nonsense]\na = b\n", ":2: unknown section [nonsense]"},
        {"[server]\nlisten = 127.0.0.1:99999\n", ":2: listen port = 99999"},
        {"[server]\nlisten = nohost\n", ":2: listen = nohost: expected HOST:PORT"},
        {"[server]\nmax_body = lots\n", ":2: max_body = lots"},
        {"[server]\nmax_connections_per_ip = -1\n", ":2: max_connections_per_ip = -1: expected a whole number from 0"},
        {"[server]\nmax_connections_per_ip = many\n", ":2: max_connections_per_ip = many"},
        {"[server]\nrequest_timeout = 0\n", ":2: request_timeout = 0: expected a whole number from 1 to 3600"},
        {"[server]\nrequest_timeout = 3601\n", ":2: request_timeout = 3601"},
        {"[server]\npublic_url = ftp://x\n", ":2: public_url"},
        {"[store]\nsynchronous = sometimes\n", ":2: synchronous = sometimes: expected full or normal"},
        {"[policy]\ntimezone = Mars/Olympus\n", ":2: timezone = Mars/Olympus: unknown time zone"},
        {"[policy]\nvisit_days = 0\n", ":2: visit_days = 0"},
        {"[policy]\nflood_reports = -1\n", ":2: flood_reports = -1"},
        {"[policy]\nflood_reports = many\n", ":2: flood_reports = many"},
        {"[policy]\nflood_window = 0\n", ":2: flood_window = 0"},
        {"[policy]\ndaily_cap = -1\n", ":2: daily_cap = -1"},
        {"[policy]\ndaily_cap = 101\n", ":2: daily_cap = 101"},
        {"[policy]\nage_left_behind = 0\n", ":2: age_left_behind = 0"},
        {"[policy]\nage_difficulty = 19\n", ":2: age_difficulty = 19"},
        {"[policy]\ncountry_code = +86\n", ":2: country_code = +86"},
        {"[channel a]\nprovider = carrierpigeon\n", ":2: provider = carrierpigeon: unknown provider"},
        {"[channel a]\nprovider = generic\nsecret = env:GW_MISSING_VAR\n", ":3: secret = env:GW_MISSING_VAR"},
        {"[channel a]\nprovider = generic\nauth_token = x\n", ":3: unknown key 'auth_token' for provider generic"},
        {"[channel a]\nprovider = twilio\naccount_sid = AC1\n", ":2: [channel a]: auth_token is required"},
        {"[channel a]\nsecret = x\n", ":2: [channel a]: set provider before"},
        {"[channel a]\nprovider = generic\nsecret = x\nroute = 86\n", ":4: route = 86"},
        {"[channel a]\nprovider = generic\nsecret = x\ndefault = maybe\n", ":4: default = maybe"},
        {"[channel a]\nprovider = generic\nsecret = x\ndefault = yes\n[channel b]\nprovider = generic\nsecret = y\n"
         "default = yes\n",
         "more than one channel has default = yes"},
        {"[channel cli]\nprovider = generic\nsecret = x\n", "invalid channel name"},
        {"[channel a]\nprovider = generic\nsecret = x\nmax_in_flight = 0\n", ":4: max_in_flight = 0"},
        {"[channel a]\nprovider = twilio\nmedia_hosts = api.twilio.com/x\n", ":3: media_hosts: 'api.twilio.com/x'"},
        {"[channel a]\nprovider = twilio\nmedia_hosts = *.\n", ":3: media_hosts: '*.'"},
        {"[channel a]\nprovider = twilio\nmedia_hosts = a..b\n", ":3: media_hosts: 'a..b'"},
        {"[channel a]\nprovider = twilio\nmedia_hosts = https://api.twilio.com\n", ":3: media_hosts: 'https:"},
        {"[channel a]\nprovider = twilio\nmedia_hosts = none api.twilio.com\n", ":3: media_hosts = none api"},
        {"[channel a]\nprovider = twilio\nmedia_hosts = ,\n", ":3: media_hosts = ,: expected host names"},
        {"[channel a]\nprovider = twilio\nmedia_allow_local_for_tests = sure\n", ":3: media_allow_local_for_tests"},
        {"[channel v]\nprovider = vonage\napi_key = k\napi_secret = s\nnumber = 1\nsignature_method = sha3\n",
         "[channel v]: signature_method = sha3: expected md5hash"},
        {"[template nosuch]\ntext = hi\n", ":2: [template nosuch]: no such template"},
        {"[template case_alert]\ntext = 案件${case}（家暴）${priority}${cat}${place}\n",
         "[template case_alert]: text must not name a risk category ('家暴')"},
        {"key = value\n", ":1: key 'key' outside any section"},
        {"[server\n", ":1: syntax error"},
        {"[policy]\ncheckin_days = 20\ncheckin_escalate_days = 10\n", "checkin_escalate_days must not be less"},
        /* routing and county contacts */
        {"[routing]\ncategory_1 = P1 公安 外交部\n", ":2: category_1 = P1 公安 外交部: unknown department '外交部'"},
        {"[routing 示例县]\ncategory_7 = 教育 公安\n", ":2: category_7 = 教育 公安: expected a priority P0-P3"},
        {"[routing 示例县]\ncategory_7 = P5 教育\n", ":2: category_7 = P5 教育: expected a priority P0-P3"},
        {"[routing 示例县]\ncategory_7 = P2\n", ":2: category_7 = P2: expected a priority P0-P3 and then departments"},
        {"[routing]\ncategory_2 = P1 公安 police\n", ":2: category_2 = P1 公安 police: department 'police' given twice"},
        {"[routing]\ncategory_2 = P1 公安 民政 教育 卫健 网信 妇联 团委 公安\n", ":2: category_2 = P1 公安 民政 教育 卫健 网信 妇联 团委 公安: at most 7 departments"},
        {"[routing]\ncategory_0 = P1 公安\n", ":2: unknown key 'category_0' in [routing]"},
        {"[routing]\ncategory_10 = P1 公安\n", ":2: unknown key 'category_10' in [routing]"},
        {"[routing 示例县]\n\ncategory_3 = P1 民政\ncategory_3 = P0 公安\n", ":4: [routing 示例县]: category_3 given twice"},
        {"[routing 示例县]\nvillage_excluded = 1 二\n", ":2: village_excluded = 1 二: expected categories 1-9"},
        {"[routing 示例县]\nvillage_excluded = 10\n", ":2: village_excluded = 10: expected categories 1-9"},
        {"[routing 示例县]\nnotify_village = yes\n", ":2: unknown key 'notify_village' in [routing 示例县]"},
        {"[routing 示例县/东镇]\ncategory_1 = P1 公安\n", ":2: [routing 示例县/东镇]: routing is set per county"},
        {"[routing  ]\ncategory_1 = P1 公安\n", ":2: [routing ]: expected a county"},
        {"[county 示例县]\nduty_contact = 110 or 120\n", ":2: duty_contact = 110 or 120: expected a phone number"},
        {"[county 示例县]\n\nduty_contact = 12\n", ":3: duty_contact = 12: expected a phone number"},
        {"[county 示例县]\nduty_police = +86 138 0000 0001 0001 0001\n", ":2: duty_police = +86 138 0000 0001 0001 0001: expected a phone number"},
        {"[county 示例县]\nduty_army = 13800000001\n", ":2: unknown key 'duty_army' in [county 示例县]"},
        {"[county 示例县]\nduty_contact = 13800000001\nduty_contact = 13800000002\n", ":3: [county 示例县]: duty_contact given twice"},
        {"[county 示例县]\ncity_contact = env:GW_MISSING_VAR\n", ":2: city_contact = env:GW_MISSING_VAR"},
        {"[county]\nduty_contact = 13800000001\n", ":2: [county]: name the county"},
        /* conversation windows and danger words */
        {"[policy]\nreply_window_days = 31\n", ":2: reply_window_days = 31: expected a whole number from 0 to 30"},
        {"[policy]\nfollowup_hours = -1\n", ":2: followup_hours = -1"},
        {"[policy]\nlexicon = /nonexistent/lex.txt\n", ":2: lexicon = /nonexistent/lex.txt: /nonexistent/lex.txt: cannot open"},
        {"[policy]\nlexicon =\n", ":2: lexicon: expected a file of danger words"},
        {"[county 示例县]\nlexicon = /nonexistent/c.txt\n", ":2: lexicon = /nonexistent/c.txt: /nonexistent/c.txt: cannot open"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gw_config *c = NULL;
        char err[256] = "";
        const char *p = write_ini(cases[i].ini);
        int rc = gw_config_load(p, &c, err, sizeof err);
        if (rc == 0 || !strstr(err, cases[i].expect) || strncmp(err, p, strlen(p)) != 0)
            fail_msg("case %zu: rc=%d err='%s', expected '%s'", i, rc, err, cases[i].expect);
        assert_null(c);
        unlink(p);
    }
}

static void loads_channel_sending_and_media_settings(void **state)
{
    struct gw_config *c;
    char err[256] = "";
    const char *ini = "[channel tw]\nprovider = twilio\naccount_sid = AC1\nauth_token = t\nnumber = +1\n"
                      "max_in_flight = 4\nmedia_hosts = API.Twilio.com, *.Example.org [::1]\t127.0.0.1\n"
                      "[channel at]\nprovider = africastalking\nusername = u\napi_key = k\ntoken = t\n"
                      "media_allow_local_for_tests = yes\n"
                      "[channel off]\nprovider = twilio\naccount_sid = AC1\nauth_token = t\nnumber = +1\n"
                      "media_hosts = none\n";
    if (gw_config_load(write_ini(ini), &c, err, sizeof err) != 0) fail_msg("%s", err);
    const struct gw_channel *tw = gw_config_channel(c, "tw"), *at = gw_config_channel(c, "at"),
                            *off = gw_config_channel(c, "off");
    assert_int_equal(tw->max_in_flight, 4);
    assert_int_equal(at->max_in_flight, 0); /* the sender's default share */
    static const char *const want[] = {"api.twilio.com", "*.example.org", "[::1]", "127.0.0.1", NULL};
    for (int i = 0; want[i] || tw->media_hosts[i]; i++) {
        if (!want[i] || !tw->media_hosts[i] || strcmp(want[i], tw->media_hosts[i]))
            fail_msg("media_hosts[%d]: %s, expected %s", i, tw->media_hosts[i] ? tw->media_hosts[i] : "(end)",
                     want[i] ? want[i] : "(end)");
    }
    assert_int_equal(tw->media_test_local, 0);
    assert_null(at->media_hosts); /* the provider's own list */
    assert_int_equal(at->media_test_local, 1);
    assert_non_null(off->media_hosts);
    assert_null(off->media_hosts[0]); /* none */
    gw_config_free(c);
    unlink(path);
}

static void loads_routing_and_county_contacts(void **state)
{
    static const char ini[] = "[county 示例县]\n"
                              "duty_contact = 13800000099   ; bare national numbers get the country code\n"
                              "duty_education = 0086-138-0000-0098\n"
                              "duty_卫健 = 13800000097\n"
                              "[routing]\n"
                              "category_8 = p2 education, 民政\n"
                              "village_excluded = 1，2、4\n"
                              "[routing 示例县]\n"
                              "category_7 = P1 公安 教育\n"
                              "village_excluded = none\n"
                              "[policy]\n"
                              "country_code = 254\n"
                              "[routing  示例县 ]\n"
                              "category_9 = P3 民政\n";
    struct gw_config *c = NULL;
    char err[256] = "";
    if (gw_config_load(write_ini(ini), &c, err, sizeof err) != 0) fail_msg("%s", err);
    const struct gw_policy *p = &c->policy;
    assert_int_equal(p->ncounties, 2);
    /* Numbers take the country code of the whole file, wherever it is set. */
    const struct gw_county *k = routing_county(p, "示例县");
    assert_non_null(k);
    assert_string_equal(k->duty_contact, "+25413800000099");
    assert_string_equal(routing_dept_duty(p, "示例县", "education"), "+8613800000098");
    assert_string_equal(routing_dept_duty(p, "示例县", "health"), "+25413800000097");
    assert_null(k->city_contact);
    const struct routing_rule *r = routing_for(p, "示例县", 7);
    assert_int_equal(r->category, 7);
    assert_int_equal(r->priority, 1);
    assert_int_equal(r->ndepts, 2);
    assert_string_equal(r->depts[0], "police");
    assert_string_equal(r->depts[1], "education");
    assert_int_equal(routing_for(p, "示例县", 9)->priority, 3); /* the same county, a second section */
    r = routing_for(p, "示例县", 8);                            /* from [routing] */
    assert_int_equal(r->priority, 2);
    assert_string_equal(r->depts[1], "civil_affairs");
    assert_ptr_equal(routing_for(p, "示例县", 1), routing_default(1));
    assert_true(routing_village_told(p, "示例县", 1)); /* none excluded there */
    assert_false(routing_village_told(p, "邻县", 4));
    assert_true(routing_village_told(p, "邻县", 3));
    gw_config_free(c);
    unlink(path);

    /* No routing sections: the default table, and no county entries. */
    assert_int_equal(gw_config_load(write_ini("[policy]\nvisit_days = 30\n"), &c, err, sizeof err), 0);
    assert_int_equal(c->policy.ncounties, 0);
    assert_ptr_equal(routing_for(&c->policy, "示例县", 4), routing_default(4));
    assert_false(routing_village_told(&c->policy, "示例县", 2));
    gw_config_free(c);
    unlink(path);
}

static void long_lines_are_refused_with_advice(void **state)
{
    char ini[600];
    char longv[400];
    memset(longv, 'x', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    snprintf(ini, sizeof ini, "[server]\npublic_url = https://%s\n", longv);
    struct gw_config *c = NULL;
    char err[256] = "";
    assert_int_equal(gw_config_load(write_ini(ini), &c, err, sizeof err), -1);
    assert_non_null(strstr(err, ":2: line too long"));
    unlink(path);
}

static void server_limits_are_read(void **state)
{
    struct gw_config *c = NULL;
    char err[256] = "";
    const char *ini = "[server]\nmax_connections_per_ip = 0   ; no limit\nrequest_timeout = 5\n";
    assert_int_equal(gw_config_load(write_ini(ini), &c, err, sizeof err), 0);
    assert_int_equal(c->max_connections_per_ip, 0);
    assert_int_equal(c->request_timeout, 5);
    gw_config_free(c);
    unlink(path);
}

/* [policy] lexicon and [county COUNTY] lexicon: read beside the config,
 * laid over the built-in (the county's over [policy]'s), errors named by
 * the lexicon file's own line; the conversation windows' defaults. */
static void loads_lexicons(void **state)
{
    char dir[] = "/tmp/gw-lexicon-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char all[128], county[128], bad[128], ini[128];
    snprintf(all, sizeof all, "%s/all.txt", dir);
    snprintf(county, sizeof county, "%s/county.txt", dir);
    snprintf(bad, sizeof bad, "%s/bad.txt", dir);
    snprintf(ini, sizeof ini, "%s/gw.ini", dir);
    FILE *f = fopen(all, "w");
    fputs("# every county\n掉进鱼塘\t6\tP0\n欺负 -\n", f);
    fclose(f);
    f = fopen(county, "w");
    fputs("欺负 7 P2\n", f);
    fclose(f);
    f = fopen(bad, "w");
    fputs("落水 6 P0\n\n溺水 10 P0\n", f);
    fclose(f);

    f = fopen(ini, "w");
    fputs("[policy]\nlexicon = all.txt\nreply_window_days = 0\nfollowup_hours = 48\n[county 示例县]\nlexicon = "
          "county.txt\n",
          f);
    fclose(f);
    struct gw_config *c = NULL;
    char err[256] = "";
    assert_int_equal(gw_config_load(ini, &c, err, sizeof err), 0);
    assert_int_equal(c->policy.reply_window_days, 0);
    assert_int_equal(c->policy.followup_hours, 48);
    struct lex_match m;
    const char *t1 = "孩子掉进鱼塘了", *t2 = "孩子被同学欺负";
    assert_int_equal(lex_scan(c->policy.lexicon, t1, strlen(t1), &m), 1);
    assert_int_equal(lex_scan(c->policy.lexicon, t2, strlen(t2), &m), 0); /* withdrawn for every county */
    const struct gw_county *k = NULL;
    for (size_t i = 0; i < c->policy.ncounties; i++)
        if (c->policy.counties[i].county && !strcmp(c->policy.counties[i].county, "示例县")) k = &c->policy.counties[i];
    assert_non_null(k);
    assert_int_equal(lex_scan(k->lexicon, t2, strlen(t2), &m), 1); /* back in this one */
    assert_int_equal(lex_scan(k->lexicon, t1, strlen(t1), &m), 1); /* over [policy]'s */
    gw_config_free(c);

    /* Defaults, and a bad lexicon file named with its own line. */
    assert_int_equal(gw_config_load(write_ini("[policy]\nvisit_days = 30\n"), &c, err, sizeof err), 0);
    assert_int_equal(c->policy.reply_window_days, 3);
    assert_int_equal(c->policy.followup_hours, 24);
    assert_null(c->policy.lexicon);
    gw_config_free(c);
    unlink(path);
    f = fopen(ini, "w");
    fputs("[policy]\n\nlexicon = bad.txt\n", f);
    fclose(f);
    c = NULL;
    assert_int_equal(gw_config_load(ini, &c, err, sizeof err), -1);
    assert_null(c);
    assert_non_null(strstr(err, "gw.ini:3: lexicon = bad.txt: "));
    assert_non_null(strstr(err, "bad.txt:3: expected 'phrase category priority'"));
    unlink(all);
    unlink(county);
    unlink(bad);
    unlink(ini);
    rmdir(dir);
}

static void missing_file(void **state)
{
    struct gw_config *c = NULL;
    char err[256] = "";
    assert_int_equal(gw_config_load("/nonexistent/gw.ini", &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/gw.ini: cannot open"));
}

static void phone_numbers_become_e164(void **state)
{
    static const struct {
        const char *in, *out;
        int rc;
    } cases[] = {
        {"+8613800000001", "+8613800000001", 0}, {"8613800000001", "+8613800000001", 0},
        {"13800000001", "+8613800000001", 0},    {"138 0000 0001", "+8613800000001", 0},
        {"0086-138-0000-0001", "+8613800000001", 0}, {"+254711000001", "+254711000001", 0},
        {"010 12345678", "+861012345678", 0},    {"Twilio", "Twilio", -1},
        {"", "", -1},                            {"12", "12", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[40];
        int rc = gw_phone_e164(cases[i].in, "86", out, sizeof out);
        if (rc != cases[i].rc || strcmp(out, cases[i].out) != 0)
            fail_msg("'%s' -> '%s' (%d), expected '%s' (%d)", cases[i].in, out, rc, cases[i].out, cases[i].rc);
    }
}

static void log_masks_phone_numbers(void **state)
{
    char m[GW_MASK_LEN];
    assert_string_equal(gw_mask_phone("13800000001", m), "138****0001");
    assert_string_equal(gw_mask_phone("+8613800000001", m), "+86138****0001");
    assert_string_equal(gw_mask_phone("12345", m), "***45");
    assert_string_equal(gw_mask_phone(NULL, m), "-");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loads_a_good_file),
        cmocka_unit_test(refuses_bad_files),
        cmocka_unit_test(loads_flood_settings),
        cmocka_unit_test(loads_digest_and_age_settings),
        cmocka_unit_test(loads_routing_and_county_contacts),
        cmocka_unit_test(loads_channel_sending_and_media_settings),
        cmocka_unit_test(long_lines_are_refused_with_advice),
        cmocka_unit_test(server_limits_are_read),
        cmocka_unit_test(loads_lexicons),
        cmocka_unit_test(missing_file),
        cmocka_unit_test(phone_numbers_become_e164),
        cmocka_unit_test(log_masks_phone_numbers),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
