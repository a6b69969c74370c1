/* tests/unit/test_jobs.c - the policy engine's timed jobs over sixty
 * simulated days on a real SQLite file, driven through pipeline_run_jobs
 * with a moved clock (TZ=Asia/Shanghai), with the messages people send
 * going through pipeline_batch like any webhook's.
 *
 * The roster is one county, two towns, three villages; six children whose
 * visit histories are chosen so that every rule shows: due and overdue
 * reminders, the high cadence of flagged children and after an XL visit,
 * a phone visit (result 4) that does not reset the clock, a new child's
 * first visit due five working days after registration, and a ten-day
 * stop (days 40-49) after which each reminder that fell due is sent once.
 * Five migrant parents keep or break the weekly contact; four cases miss
 * or meet their acknowledgement deadlines; two cases wait for triage.
 * Reminders to directors are digests: at most one visit digest and one
 * silent-parent digest a working day each, built at the 08:10 tick, and
 * with daily_cap = 1 a director never gets two of them on one day: the
 * second waits for the next working day (days 35-36 and 50-52 show it).
 * Every tick runs twice and the second run must write nothing; the
 * store is closed and reopened half-way (a restart). At the end the
 * outbox must hold exactly the table `expected`, derived by hand in the
 * comments next to the timeline. The roster is imported and the visits and
 * check-ins people do not send by SMS are written through the store port
 * (tests/common/seed.h), never as SQL text.
 *
 * Day 0 is Monday 2 March 2026. Ticks run at 00:30, 08:10 (the digests,
 * due from 08:00), 12:30 and 20:00 local time, plus minutes around the
 * deadlines of day 2. People act at 12:00 unless the timeline says.
 * Working days (the directors' digests are built on them) are Monday to
 * Friday: days 5, 6, 12, 13, 19, 20, 26, 27, 33, 34 and 54, 55 are weekends.
 */
#include <setjmp.h>
#include "../../core/calendar.h"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../core/store.h"
#include "../../db/sqlite.h"
#include "../../gateway/config_load.h"
#include "../../core/message.h"
#include "../../gateway/pipeline.h"
#include "../../handlers/jobs_int.h"
#include "../common/harness.h"
#include "../common/seed.h"
#include "../common/teststore.h"

/* ---- the roster --------------------------------------------------------------- */

#define D1 "+8613800000001"   /* director, 上湾村 (children A, B, E) */
#define D2 "+8613800000002"   /* director, 石桥村 (children C, F) */
#define D2B "+8613800000012"  /* second director, 石桥村 */
#define D3 "+8613800000003"   /* director, 竹园村 (child D) */
#define S0 "+8613800001000"   /* supervisor, the county */
#define S1 "+8613800001001"   /* supervisor, 东溪镇 (上湾村, 石桥村) */
#define S2 "+8613800001002"   /* supervisor, 南岭镇 (竹园村) */
#define POLICE "+8613800002001"
#define CIVIL "+8613800002003"
#define EDU "+8613800002005"
#define DUTY "+8613900009001" /* [county 示例县] duty_contact */
#define CITY "+8613900009002" /* [county 示例县] city_contact */
#define G1 "+8613900000101"   /* away, child A: checks in weekly, but not during the stop */
#define G2 "+8613900000102"   /* away, child C (registered day 3): never checks in */
#define G3 "+8613900000103"   /* at home, child D: never checks in, never reminded */
#define G4 "+8613900000104"   /* away, child D, opted out of reminders */
#define G5 "+8613900000105"   /* away, children A, B (上湾村) and D (竹园村) */
#define PUB1 "+8613700000001" /* members of the public */
#define PUB2 "+8613700000002"
#define PUB3 "+8613700000003"

#define A "1000015" /* 上湾村, normal cadence */
#define B "1000028" /* 上湾村, flagged psych: 14 days */
#define C "1000031" /* 石桥村, registered on day 3, never visited in person */
#define D "1000044" /* 竹园村, never visited before day 5 */
#define E "1000053" /* 上湾村, normal until an XL visit on day 11 */
#define F "1000066" /* 石桥村, flagged parent_disabled: 14 days */

static char dir[64], dbpath[128];
static struct gw_config *cfg;
static struct store *st;
static int64_t day0; /* day number of 2026-03-02 */

/* Unix time of local hh:mm on day d of the simulation. */
static int64_t at(int d, int hh, int mm)
{
    return cal_local_midnight(day0 + d) + hh * 3600 + mm * 60;
}

static void day_iso(int d, char *out)
{
    cal_date_iso(day0 + d, out, 11);
}

/* A counting or phone visit dated day d, recorded by the village's director at noon. */
static void visit(const char *code, const char *director, int d, int result)
{
    char date[11];
    day_iso(d, date);
    seed_visit(st, code, director, date, result, NULL, at(d, 12, 0));
}

static void checkin(const char *guardian, const char *code, int64_t when) { seed_checkin(st, guardian, code, 1, when); }

#define V_SW "示例县/东溪镇/上湾村"
#define V_SQ "示例县/东溪镇/石桥村"
#define V_ZY "示例县/南岭镇/竹园村"

/* The roster as the county imported it 100 days before day 0. */
static void seed(void)
{
    int64_t old = at(-100, 9, 0);
    seed_roster(st, "regions", "path\n" V_SW "\n" V_SQ "\n" V_ZY "\n", old);
    seed_roster(st, "staff",
                "phone,name,role,region,department\n" D1 ",甲,director," V_SW ",\n" D2 ",乙,director," V_SQ
                ",\n" D2B ",丙,director," V_SQ ",\n" D3 ",丁,director," V_ZY ",\n" S0 ",戊,supervisor,示例县,\n" S1
                ",己,supervisor,示例县/东溪镇,\n" S2 ",庚,supervisor,示例县/南岭镇,\n" POLICE
                ",辛,responder,示例县,police\n" CIVIL ",壬,responder,示例县,civil_affairs\n" EDU
                ",癸,responder,示例县,education\n",
                old);
    seed_roster(st, "children",
                "code,name,sex,birth_date,region,categories,flags\n" A ",小甲,M,2016-05-01," V_SW ",left_behind,\n" B
                ",小乙,F,2015-07-01," V_SW ",left_behind,psych\n" D ",小丁,M,2014-01-09," V_ZY ",difficulty,\n" E
                ",小戊,F,2017-03-03," V_SW ",orphan,\n" F ",小己,M,2013-11-11," V_SQ
                ",unsupported,parent_disabled\n",
                old);
    seed_roster(st, "guardians",
                "phone,name,relation,child_code,away\n" G1 ",家长一,父亲," A ",1\n" G3 ",家长三,祖母," D ",0\n" G4
                ",家长四,母亲," D ",1\n" G5 ",家长五,舅舅," A ",1\n" G5 ",家长五,舅舅," B ",1\n" G5 ",家长五,舅舅," D
                ",1\n",
                old);
    /* G4 opted out of reminders (as a TD message records it). */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(db_optout_set(st, G4, NULL, old), 0);
    assert_int_equal(store_commit(st), 0);
    /* The last counting visits before day 0: A due day 20, B (14 days)
     * due day 13, E due day 10, F (14 days) due day 0. D has none: its
     * first visit fell due 5 working days after 2025-11-22, long ago. */
    visit(A, D1, -10, 1);
    visit(B, D1, -1, 1);
    visit(E, D1, -20, 1);
    visit(F, D2, -14, 1);
    /* The last check-ins before day 0. */
    checkin(G1, A, at(-7, 12, 0));
    checkin(G4, D, at(-3, 10, 0));
    checkin(G5, A, at(-2, 10, 0));
}

/* Child C and its migrant parent G2 are registered on day 3 (a Thursday). */
static void register_c(int64_t when)
{
    seed_roster(st, "children",
                "code,name,sex,birth_date,region,categories,flags\n" C ",小丙,F,2018-02-02," V_SQ ",left_behind,\n",
                when);
    seed_roster(st, "guardians", "phone,name,relation,child_code,away\n" G2 ",家长二,母亲," C ",1\n", when);
}

static int setup(void **state)
{
    (void)state;
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    if (cal_date_parse("2026-03-02", &day0) != 0) return -1;
    snprintf(dir, sizeof dir, "/tmp/gw-jobs-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    char ini[160];
    snprintf(ini, sizeof ini, "%s/gw.ini", dir);
    char file[sizeof dbpath];
    snprintf(file, sizeof file, "%s/gw.db", dir);
    seed_store_where(dbpath, file);
    FILE *f = fopen(ini, "w");
    if (!f) return -1;
    seed_store_ini(f, dbpath);
    fprintf(f,
            "[policy]\ntimezone = Asia/Shanghai\nvisit_days = 30\nvisit_days_high = 14\ncheckin_days = 7\n"
            "checkin_escalate_days = 14\ndaily_cap = 1\nack_minutes_p0 = 15\nack_minutes_p1 = 30\nfirst_visit_days = 5\n"
            "overdue_days = 7\nwork_hours = 08:30-17:30\nwork_days = 1-5\ndigest_time = 08:00\n"
            "default_region = 示例县\n"
            "[county 示例县]\nduty_contact = %s\ncity_contact = %s\n"
            "[channel gen]\nprovider = generic\nsecret = s\ndefault = yes\n",
            DUTY, CITY);
    fclose(f);
    char err[256];
    if (gw_config_load(ini, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "config: %s\n", err);
        return -1;
    }
    if (seed_store_open(dbpath, 1, &st, err, sizeof err) != 0) return -1;
    if (store_migrate(st, NULL, NULL, err, sizeof err) != 0) return -1;
    seed();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_close(st);
    seed_store_drop(dbpath);
    gw_config_free(cfg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* One SMS through the webhook path, received at `when`. */
static void sms(const char *from, const char *text, int64_t when)
{
    static int seq;
    char id[32];
    snprintf(id, sizeof id, "sim-%d", ++seq);
    struct pipeline_job job = {0};
    struct gw_msg *m = gw_msgv_push(&job.msgs);
    m->channel = strdup("gen");
    m->provider_id = strdup(id);
    m->from = strdup(from);
    m->text = strdup(text);
    m->received_at = when;
    struct pipeline_job *jobs[] = {&job};
    int rc = pipeline_batch(st, cfg, jobs, 1, when);
    if (rc != 0 || !job.ok) fail_msg("message '%s' from %s not stored", text, from);
    pipeline_job_clear(&job);
}

/* ---- the timeline --------------------------------------------------------------- */

enum ev_kind { EV_SMS, EV_VISIT, EV_CHECKIN, EV_REGISTER_C, EV_RESTART };

struct ev {
    int d, hh, mm;
    enum ev_kind kind;
    const char *who;  /* sender, director (visit) or guardian (check-in) */
    const char *what; /* text, or the child's code */
    int result;       /* visit result */
};

/* Case numbers are YYMMDD + the day's sequence: day 2 is 2026-03-04. */
static const struct ev timeline[] = {
    /* Cases. 2603040001 (P0, police + civil affairs) misses 10:15 and
     * 10:30: the responders and the duty contact, then all of them and the
     * city contact. 2603040002 (P1) misses 11:30 only: acknowledged at
     * 11:40, nothing at 12:05. 2603050001 (P1) is acknowledged in time.
     * 2603220001 (P1, day 20 23:00) is first seen at 00:30 the next day,
     * past both deadlines: the second level only, once. */
    {2, 10, 0, EV_SMS, PUB1, "BG 4 " A " 孩子从早上到现在找不到了", 0},
    {2, 10, 45, EV_SMS, POLICE, "QR 2603040001", 0},
    {2, 11, 0, EV_SMS, PUB1, "BG 2 " B " 孩子身上经常有伤", 0},
    {2, 11, 40, EV_SMS, CIVIL, "QR 2603040002", 0},
    {3, 9, 0, EV_SMS, PUB2, "BG 5 " E " 孩子说不想活了", 0},
    {3, 9, 10, EV_SMS, EDU, "QR 2603050001", 0},
    {20, 23, 0, EV_SMS, PUB2, "BG 1 " E " 有人对孩子不轨", 0},
    {25, 12, 0, EV_SMS, POLICE, "JA 2603220001 4", 0},
    /* Triage: a P3 case on day 4 (Friday), free text from a stranger on
     * day 6 (2603080001, no danger words: unclassified, so civil affairs
     * is alerted at once, with the P1 deadlines); the P3 case is closed
     * on day 20. */
    {4, 10, 0, EV_SMS, PUB2, "BG 9 村口有个孩子天黑了还一个人在外面", 0},
    {6, 10, 0, EV_SMS, PUB3, "请问村里留守儿童的补助找谁申请", 0},
    {20, 12, 0, EV_SMS, CIVIL, "JA 2603060001 3", 0},
    /* Registration of C (first visit due day 10) and its parent G2. */
    {3, 10, 0, EV_REGISTER_C, NULL, NULL, 0},
    /* Visits (a digest names a child on the first working day its
     * reminder is due). A: due 20 (Sunday: in Monday 21's digest) -> visit
     *   21 -> due 51 -> visit 52.
     * B (14): due 13 (Saturday) -> visit 13: never in a digest -> due 27
     *   (Sunday: day 28) -> phone visit 27 (no reset) -> overdue 34
     *   (Sunday: day 35) -> visit 36 -> due 50 -> overdue 57.
     * C: due 10, overdue 17, a phone visit on 30 changes nothing.
     * D: overdue at the first digest -> visit 5 -> due 35 -> overdue 42,
     *   seen on day 50.
     * E: due 10 -> XL visit 11 (now 14 days) -> due 25 -> visit 25 -> due
     *   39 -> overdue 46, seen on day 50 -> visit 52.
     * F (14): due 0 -> visit 2 -> due 16 -> visit 16 -> due 30 -> visit 30
     *   -> due 44, seen on day 50 (6 days late: the due reminder) ->
     *   overdue 51 -> visit 53. */
    {13, 12, 0, EV_SMS, D1, "ZF " B " 1", 0},
    {21, 12, 0, EV_SMS, D1, "ZF " A " 正常", 0},
    {27, 12, 0, EV_SMS, D1, "ZF " B " 4", 0},
    {36, 12, 0, EV_SMS, D1, "ZF " B " 1", 0},
    {52, 12, 0, EV_SMS, D1, "ZF " A " 1", 0},
    {30, 12, 0, EV_SMS, D2, "ZF " C " 电话", 0},
    {5, 12, 0, EV_VISIT, D3, D, 1},
    {11, 12, 0, EV_SMS, D1, "走访" E " 有问题 心理", 0},
    {25, 12, 0, EV_SMS, D1, "ZF " E " 1", 0},
    {52, 12, 0, EV_SMS, D1, "ZF " E " 1", 0},
    {2, 12, 0, EV_VISIT, D2, F, 1},
    {16, 12, 0, EV_VISIT, D2, F, 1},
    {30, 12, 0, EV_VISIT, D2, F, 1},
    {53, 12, 0, EV_VISIT, D2, F, 1},
    /* Parents. G1 weekly on days 0-35 and 50, 57 (none during the stop:
     * on day 50 it is 15 days silent: a reminder at 00:30; its directors'
     * notice, held by the cap behind the visit digests of days 50 and 51,
     * is moot once G1 checks in at noon on day 50).
     * G2 never: reminder day 11, notice day 18. G4 (opted out): silent
     * since day -3: reminder 5, notice 12 (Saturday: day 14, with G5's);
     * checks in on 20: reminder 28, notice 35, held behind D3's visit
     * digest to day 36. G5 silent since day -2: reminder 6, notice 13
     * (Sunday: day 14; two villages); checks in on 30: reminder 38, notice
     * (45) seen on 50, held: D3 gets it on 51, D1 on 52. */
    {0, 12, 0, EV_SMS, G1, "QD", 0},
    {7, 12, 0, EV_SMS, G1, "QD 平安", 0},
    {14, 12, 0, EV_SMS, G1, "签到", 0},
    {21, 12, 0, EV_SMS, G1, "QD", 0},
    {28, 12, 0, EV_SMS, G1, "QD", 0},
    {35, 12, 0, EV_SMS, G1, "报平安", 0},
    {50, 12, 0, EV_SMS, G1, "QD", 0},
    {57, 12, 0, EV_SMS, G1, "QD", 0},
    {20, 12, 0, EV_SMS, G4, "QD", 0},
    {30, 10, 0, EV_CHECKIN, G5, A, 0},
    /* A restart half-way: nothing is held in memory. */
    {31, 6, 0, EV_RESTART, NULL, NULL, 0},
};

#define GAP_FIRST 40 /* the process is down on days 40-49 */
#define GAP_LAST 49
#define DAYS 60

static const int tick_minutes[] = {0 * 60 + 30, 8 * 60 + 10, 12 * 60 + 30, 20 * 60};
/* Extra ticks on day 2, around the deadlines (minutes after midnight). */
static const int day2_minutes[] = {10 * 60 + 10, 10 * 60 + 16, 10 * 60 + 20, 10 * 60 + 31, 10 * 60 + 40,
                                   11 * 60 + 31, 12 * 60 + 5};

struct step {
    int64_t t;
    const struct ev *ev; /* NULL: a tick */
};

static int step_cmp(const void *a, const void *b)
{
    const struct step *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return (x->ev ? 0 : 1) - (y->ev ? 0 : 1); /* at the same time, people act first */
}

static size_t tick_rows; /* rows the ticks wrote, in all */

static void tick(int64_t now)
{
    size_t n = 0, again = 0;
    assert_int_equal(pipeline_run_jobs(st, cfg, now, &n), 0);
    tick_rows += n;
    /* The same run again writes nothing. */
    assert_int_equal(pipeline_run_jobs(st, cfg, now, &again), 0);
    if (again != 0) fail_msg("a repeated run at %lld wrote %zu rows", (long long)now, again);
}

static void run_event(const struct ev *e, int64_t t)
{
    char err[256];
    switch (e->kind) {
    case EV_SMS: sms(e->who, e->what, t); break;
    case EV_VISIT: visit(e->what, e->who, e->d, e->result); break;
    case EV_CHECKIN: checkin(e->who, e->what, t); break;
    case EV_REGISTER_C: register_c(t); break;
    case EV_RESTART:
        store_close(st);
        st = NULL;
        assert_int_equal(seed_store_open(dbpath, 1, &st, err, sizeof err), 0);
        break;
    }
}

/* Spot checks at given moments of the timeline. */
static void check_at(int64_t t)
{
    char since[11];
    if (t == at(2, 10, 16)) {
        assert_int_equal(
            tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE dedupe_key LIKE 'realert:2603040001:1:%%'"), 3);
        assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE dedupe_key = "
                                        "'realert:2603040001:1:" DUTY "' AND template = 'case_alert' "
                                        "AND kind = 'alert'"),
                         1);
    }
    if (t == at(2, 10, 31))
        assert_int_equal(
            tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE dedupe_key = 'realert:2603040001:2:" CITY "'"), 1);
    if (t == at(10, 0, 30)) /* digests are built from the digest time on */
        assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM digest_item WHERE key LIKE 'visit_due:" C ":%%'"), 0);
    if (t == at(10, 8, 10)) {
        /* C's first visit: registered Thursday 5 March, due Thursday 12 March:
         * in each of its directors' digest, with E in D1's. */
        assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM digest_item WHERE key IN "
                                        "('visit_due:" C ":2026-03-12:" D2 "', 'visit_due:" C ":2026-03-12:" D2B "')"),
                         2);
        char *v = tdb_text(dbpath, "SELECT vars FROM outbox WHERE dedupe_key = 'visit_digest:" D2 ":2026-03-12'");
        assert_non_null(v);
        assert_string_equal(v, "{\"count\":\"1\",\"late\":\"0\",\"list\":\"" C "\"}");
        free(v);
        /* Digests wait for working hours: 08:30 the same day. */
        assert_int_equal(tdb_int(dbpath, "SELECT next_attempt_at FROM outbox WHERE dedupe_key = "
                                        "'visit_digest:" D2 ":2026-03-12'"),
                         at(10, 8, 30));
    }
    if (t == at(0, 8, 10)) {
        /* D's first visit fell due 5 working days after Saturday 22 November. */
        assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM digest_item WHERE key = "
                                        "'visit_overdue:" D ":2025-11-28:" D3 "' AND digest = 'visit_digest:" D3
                                        ":2026-03-02'"),
                         1);
        assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM digest_item WHERE key LIKE 'visit_due:" D ":%%'"), 0);
        char *w = tdb_text(dbpath, "SELECT body FROM outbox WHERE dedupe_key = 'visit_digest:" D3 ":2026-03-02'");
        assert_non_null(w);
        assert_string_equal(w, "走访提醒：1名儿童应走访，其中逾期1名：" D "。走访后请发：ZF 编号 结果");
        free(w);
        char *v = tdb_text(dbpath, "SELECT vars FROM outbox WHERE dedupe_key = 'digest:" S2 ":2026-03-02'");
        assert_non_null(v);
        assert_string_equal(v, "{\"count\":\"1\",\"days\":\"7\",\"list\":\"" D "\"}");
        free(v);
    }
    if (t == at(35, 8, 10)) {
        char *v = tdb_text(dbpath, "SELECT vars FROM outbox WHERE dedupe_key = 'digest:" S1 ":2026-04-06'");
        assert_non_null(v);
        assert_string_equal(v, "{\"count\":\"2\",\"days\":\"7\",\"list\":\"" C "、" B "\"}"); /* most overdue first */
        free(v);
    }
    if (t == at(50, 0, 30)) {
        /* After the stop: G1, silent since day 35, gets one reminder, not one
         * per missed day; no digest before the digest time. */
        day_iso(35, since);
        assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE created_at = %lld", (long long)t), 1);
        assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE created_at = %lld AND recipient = '" G1
                                        "' AND template = 'checkin_reminder' AND dedupe_key LIKE 'checkin_remind:%%:%q'",
                                (long long)t, since),
                         1);
    }
    if (t == at(50, 8, 10)) {
        /* One visit digest per director: B due and E overdue (once, without
         * the due reminder E had before the stop) to D1, F due to D2 and
         * D2B, D overdue to D3; the silent-parent digests wait (cap 1). */
        static const struct {
            const char *to, *vars;
        } digests[] = {
            {D1, "{\"count\":\"2\",\"late\":\"1\",\"list\":\"" E "、" B "\"}"},
            {D2, "{\"count\":\"1\",\"late\":\"0\",\"list\":\"" F "\"}"},
            {D2B, "{\"count\":\"1\",\"late\":\"0\",\"list\":\"" F "\"}"},
            {D3, "{\"count\":\"1\",\"late\":\"1\",\"list\":\"" D "\"}"},
        };
        assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE created_at = %lld AND template LIKE "
                                        "'visit\\_digest%%' ESCAPE '\\'", (long long)t),
                         4);
        for (size_t i = 0; i < sizeof digests / sizeof digests[0]; i++) {
            char *v = tdb_text(dbpath, "SELECT vars FROM outbox WHERE created_at = %lld AND recipient = %Q AND "
                                      "template = 'visit_digest'", (long long)t, digests[i].to);
            assert_non_null(v);
            assert_string_equal(v, digests[i].vars);
            free(v);
        }
        assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE created_at = %lld AND template = "
                                        "'checkin_silent_digest'", (long long)t),
                         0);
    }
    if (t == at(51, 8, 10)) {
        /* D3 gets the held notice (G5 silent since day 30); D1 has A due: its notice waits again. */
        char *v = tdb_text(dbpath, "SELECT vars FROM outbox WHERE dedupe_key = 'silent_digest:" D3 ":2026-04-22'");
        assert_non_null(v);
        assert_string_equal(v, "{\"count\":\"1\",\"days\":\"14\",\"list\":\"" D "\"}");
        free(v);
        assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE recipient = '" D1 "' AND created_at = %lld",
                                (long long)t),
                         1);
    }
    if (t == at(52, 8, 10)) {
        /* Two working days late, the notice comes, covering G5's children in 上湾村 once. */
        char *v = tdb_text(dbpath, "SELECT vars FROM outbox WHERE dedupe_key = 'silent_digest:" D1 ":2026-04-23'");
        assert_non_null(v);
        assert_string_equal(v, "{\"count\":\"2\",\"days\":\"14\",\"list\":\"" A "、" B "\"}");
        free(v);
        day_iso(30, since);
        assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM digest_item WHERE key LIKE 'checkin\\_silent:%%:%q:" D1
                                        "' ESCAPE '\\' AND digest = 'silent_digest:" D1 ":2026-04-23'",
                                since),
                         1);
    }
    if (t == at(35, 8, 10) || t == at(36, 8, 10)) {
        /* D3: D due on Monday 35 and G4's notice the same day: the notice on 36. */
        int d = t == at(35, 8, 10) ? 35 : 36;
        assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE recipient = '" D3 "' AND created_at = %lld",
                                (long long)t),
                         1);
        assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE recipient = '" D3 "' AND created_at = %lld "
                                        "AND template = %Q",
                                (long long)t, d == 35 ? "visit_digest" : "checkin_silent_digest"),
                         1);
    }
    if (t == at(50, 8, 10)) {
        char *v = tdb_text(dbpath, "SELECT vars FROM outbox WHERE dedupe_key = 'digest:" S0 ":2026-04-21'");
        assert_non_null(v);
        assert_string_equal(v, "{\"count\":\"3\",\"days\":\"7\",\"list\":\"" C "、" D "、" E "\"}");
        free(v);
    }
    if (t == at(7, 8, 10)) {
        char *v = tdb_text(dbpath, "SELECT vars FROM outbox WHERE dedupe_key = 'triage:" CIVIL ":2026-03-09'");
        assert_non_null(v);
        assert_string_equal(v, "{\"count\":\"2\"}");
        free(v);
    }
    if (t == at(14, 8, 10)) {
        /* G5's two villages (and G4's): one digest each, naming that village's children once. */
        char *v = tdb_text(dbpath, "SELECT vars FROM outbox WHERE template = 'checkin_silent_digest' "
                                  "AND recipient = '" D1 "'");
        assert_non_null(v);
        assert_string_equal(v, "{\"count\":\"2\",\"days\":\"14\",\"list\":\"" A "、" B "\"}");
        free(v);
        v = tdb_text(dbpath, "SELECT vars FROM outbox WHERE template = 'checkin_silent_digest' AND recipient = '" D3 "'");
        assert_non_null(v);
        assert_string_equal(v, "{\"count\":\"1\",\"days\":\"14\",\"list\":\"" D "\"}");
        free(v);
        assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM digest_item WHERE key LIKE 'checkin\\_silent:%%:" D3
                                        "' ESCAPE '\\'"),
                         2); /* G4 and G5 */
    }
}

/* ---- what the outbox must hold at the end ------------------------------------ */

struct expect {
    const char *what; /* template, or "realert" for case_alert rows of the re-alert job */
    const char *to;
    int n;
};

static const struct expect expected[] = {
    /* Working days with a child's reminder due: E 10, A 21, E 25, B 28, B
     * 35, E 39, B and E 50, A 51, B 57. */
    {"visit_digest", D1, 9},
    /* F 0, C 10, F 16, C 17, F 30, F 50, F 51 (each to both directors). */
    {"visit_digest", D2, 7},
    {"visit_digest", D2B, 7},
    /* D 0, 35, 50. */
    {"visit_digest", D3, 3},
    /* G5 14, G5 (held from 50) 52. */
    {"checkin_silent_digest", D1, 2},
    /* G2 18. */
    {"checkin_silent_digest", D2, 1},
    {"checkin_silent_digest", D2B, 1},
    /* G4 and G5 14, G4 (held from 35) 36, G5 (held from 50) 51. */
    {"checkin_silent_digest", D3, 3},
    /* Days with a child more than 7 days overdue in the area, outside the
     * stop: S1 (C from day 18): days 18-39 and 50-59; S2 (D): days 0-5
     * (visited at noon on day 5, after the 08:10 digest) and 50-59; S0:
     * both. */
    {"supervisor_digest", S0, 6 + 22 + 10},
    {"supervisor_digest", S1, 22 + 10},
    {"supervisor_digest", S2, 6 + 10},
    {"checkin_reminder", G1, 1},
    {"checkin_reminder", G2, 1},
    {"checkin_reminder", G4, 2}, /* written; the sender suppresses them */
    {"checkin_reminder", G5, 2},
    /* Every day from day 4 (at 12:30) to 59 outside the stop. */
    {"triage_digest", CIVIL, 36 + 10},
    /* 2603040001 levels 1 and 2, 2603040002 level 1, 2603220001 level 2;
     * to triage (civil affairs), the unclassified 2603080001, past both P1
     * deadlines at the 12:30 tick of its day: level 2 only. */
    {"realert", CIVIL, 4 + 1},
    {"realert", POLICE, 4},
    {"realert", DUTY, 4 + 1},
    {"realert", CITY, 2 + 1},
};

static void check_outbox(void)
{
    char *rows = test_sql_rows(dbpath, "SELECT CASE WHEN dedupe_key LIKE 'realert:%' THEN 'realert' WHEN template = "
                                       "'visit_digest_more' THEN 'visit_digest' ELSE template END AS w, "
                                       "recipient, count(*) FROM outbox WHERE dedupe_key LIKE 'realert:%' OR template IN "
                                       "('visit_digest', 'visit_digest_more', 'supervisor_digest', 'checkin_reminder', "
                                       "'checkin_silent_digest', 'triage_digest') GROUP BY 1, 2 ORDER BY 1, 2");
    size_t n = sizeof expected / sizeof expected[0], seen = 0;
    int bad = 0;
    long total = 0;
    for (char *line = strtok(rows, "\n"); line; line = strtok(NULL, "\n")) {
        char *w = line, *to = strchr(w, '|');
        assert_non_null(to);
        *to++ = '\0';
        char *c = strchr(to, '|');
        assert_non_null(c);
        *c++ = '\0';
        int cnt = atoi(c);
        total += cnt;
        const struct expect *x = NULL;
        for (size_t i = 0; i < n && !x; i++)
            if (!strcmp(expected[i].what, w) && !strcmp(expected[i].to, to)) x = &expected[i];
        if (!x) {
            fprintf(stderr, "unexpected: %s to %s x%d\n", w, to, cnt);
            bad = 1;
        } else {
            seen++;
            if (x->n != cnt) {
                fprintf(stderr, "%s to %s: %d rows, expected %d\n", w, to, cnt, x->n);
                bad = 1;
            }
        }
    }
    free(rows);
    if (seen != n) {
        fprintf(stderr, "%zu of %zu expected (template, recipient) pairs have no rows\n", n - seen, n);
        bad = 1;
    }
    if (bad) fail_msg("the outbox does not hold exactly the expected reminders");
    /* Everything the ticks wrote is in that table. */
    assert_int_equal((long)tick_rows, total);
}

static void sixty_days(void **state)
{
    (void)state;
    size_t cap = DAYS * 4 + 16 + sizeof timeline / sizeof timeline[0], n = 0;
    struct step *steps = calloc(cap, sizeof *steps);
    assert_non_null(steps);
    for (int d = 0; d < DAYS; d++) {
        if (d >= GAP_FIRST && d <= GAP_LAST) continue;
        for (size_t i = 0; i < sizeof tick_minutes / sizeof tick_minutes[0]; i++)
            steps[n++] = (struct step){at(d, 0, tick_minutes[i]), NULL};
    }
    for (size_t i = 0; i < sizeof day2_minutes / sizeof day2_minutes[0]; i++)
        steps[n++] = (struct step){at(2, 0, day2_minutes[i]), NULL};
    for (size_t i = 0; i < sizeof timeline / sizeof timeline[0]; i++) {
        const struct ev *e = &timeline[i];
        steps[n++] = (struct step){at(e->d, e->hh, e->mm), e};
    }
    qsort(steps, n, sizeof *steps, step_cmp);
    for (size_t i = 0; i < n; i++) {
        if (steps[i].ev) run_event(steps[i].ev, steps[i].t);
        else {
            tick(steps[i].t);
            check_at(steps[i].t);
        }
    }
    free(steps);
    check_outbox();

    /* Each deadline is one case event. */
    static const struct {
        const char *number;
        int events;
    } realerted[] = {{"2603040001", 2}, {"2603040002", 1}, {"2603050001", 0}, {"2603220001", 2}, {"2603080001", 2}};
    for (size_t i = 0; i < sizeof realerted / sizeof realerted[0]; i++)
        assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM case_event E JOIN cases C ON C.id = E.case_id "
                                        "WHERE C.number = '%q' AND E.kind = 'realerted'", realerted[i].number),
                         realerted[i].events);
    /* The case past both deadlines at once got the second level only. */
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE dedupe_key LIKE 'realert:2603220001:1:%%'"), 0);
    /* The unclassified case: alerted to triage at once, re-alerted as a triage alert. */
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE dedupe_key = 'alert:2603080001:" CIVIL ":0' "
                                    "AND template = 'triage_alert' AND kind = 'alert' AND created_at = %lld",
                            (long long)at(6, 10, 0)),
                     1);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE dedupe_key LIKE 'realert:2603080001:2:%%' AND "
                                    "template = 'triage_alert'"),
                     3);
    /* Reminders are reminders (the sender suppresses them for opted-out
     * numbers); notices and digests are notices. */
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE template IN ('visit_digest', "
                                    "'visit_digest_more', 'checkin_reminder') AND kind <> 'reminder'"),
                     0);
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE template IN ('supervisor_digest', "
                                    "'triage_digest', 'checkin_silent_digest') AND kind <> 'notice'"),
                     0);
    /* No message names a child: only codes. */
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM outbox WHERE body LIKE '%%小%%' AND (template IN "
                                    "('visit_digest', 'visit_digest_more', 'supervisor_digest', 'checkin_reminder', "
                                    "'checkin_silent_digest', 'triage_digest') OR dedupe_key LIKE 'realert:%%')"),
                     0);
    /* The cap: no recipient got two reminders or notices of the jobs on
     * one local day; alerts are not counted (D1..D3 never get any). */
    assert_int_equal(tdb_int(dbpath, "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM outbox WHERE kind IN "
                                    "('reminder', 'notice') AND inbox_id IS NULL AND case_id IS NULL GROUP BY "
                                    "recipient, (created_at + 8 * 3600) / 86400) AS t"),
                     1);
    /* Each child a digest covered is one item per reminder and period:
     * as many visit items as (child, due date, kind, director) periods. */
    assert_int_equal(tdb_int(dbpath, "SELECT count(*) FROM digest_item WHERE key LIKE 'visit%%'"),
                     9 + 1 + 7 + 7 + 3);
}

/* ---- calendar arithmetic ------------------------------------------------------- */

static void work_days(void **state)
{
    (void)state;
    static const struct {
        const char *from;
        int n;
        unsigned mask;
        const char *want;
    } rows[] = {
        {"2026-03-05", 5, 0x1F, "2026-03-12"}, /* Thursday + 5 = next Thursday */
        {"2026-03-06", 5, 0x1F, "2026-03-13"}, /* Friday */
        {"2026-03-07", 1, 0x1F, "2026-03-09"}, /* Saturday: Monday is the first */
        {"2026-03-08", 5, 0x1F, "2026-03-13"}, /* Sunday */
        {"2026-03-02", 0, 0x1F, "2026-03-02"}, /* no days: the day itself */
        {"2026-03-06", 2, 0x3F, "2026-03-09"}, /* Monday to Saturday */
        {"2026-03-06", 1, 0x40, "2026-03-08"}, /* Sundays only */
        {"2026-12-30", 3, 0x00, "2027-01-02"}, /* no mask: every day counts */
        {"2026-12-31", 2, 0x1F, "2027-01-04"}, /* across the year */
        {"2028-02-28", 1, 0x1F, "2028-02-29"}, /* leap day */
        {"2028-02-25", 3, 0x1F, "2028-03-01"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int64_t d;
        char got[11];
        assert_int_equal(cal_date_parse(rows[i].from, &d), 0);
        cal_date_iso(cal_add_work_days(d, rows[i].n, rows[i].mask), got, sizeof got);
        if (strcmp(got, rows[i].want)) fail_msg("%s + %d: %s, expected %s", rows[i].from, rows[i].n, got, rows[i].want);
    }
    int64_t d;
    assert_int_equal(cal_date_parse("2026-03-02", &d), 0);
    assert_int_equal(cal_weekday(d), 0);
    assert_int_equal(cal_weekday(d + 6), 6);
    assert_int_equal(cal_weekday(d - 1), 6);
    assert_true(cal_is_work_day(0x1F, d + 4));
    assert_false(cal_is_work_day(0x1F, d + 5));
    static const char *const bad[] = {"2026-02-30", "2026-2-03", "2026-13-01", "20260302", "2026-03-0x", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_int_equal(cal_date_parse(bad[i], &d), -1);
    assert_int_equal(cal_date_parse("1969-12-31", &d), 0);
    assert_int_equal(d, -1);
}

/* Local days in Asia/Shanghai (UTC+8, no DST). */
static void local_days(void **state)
{
    (void)state;
    int64_t d, start;
    assert_int_equal(cal_date_parse("2026-03-02", &d), 0);
    start = cal_local_midnight(d);
    assert_int_equal(start, 1772380800LL); /* 2026-03-01T16:00:00Z */
    assert_int_equal(cal_local_day(start), d);
    assert_int_equal(cal_local_day(start - 1), d - 1);
    assert_int_equal(cal_local_day(start + 86399), d);
    char zh[32];
    jobs_day_zh(d, zh, sizeof zh);
    assert_string_equal(zh, "2026年3月2日");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(work_days),
        cmocka_unit_test(local_days),
        cmocka_unit_test(sixty_days),
    };
    return cmocka_run_group_tests_name("jobs", tests, setup, teardown);
}
