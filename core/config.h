/* core/config.h - the configuration's plain types, read by every layer.
 *
 * gateway/config_load.h fills them from the INI file (gw_config_load reads
 * it with inih, resolves "env:NAME" values, checks every section, key and
 * value and refuses unknown ones with "file:line: reason"). After loading,
 * the config is read-only and shared by every thread.
 */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stddef.h>

#define ROUTING_MAX_DEPTS 7 /* every department there is */
#define ROUTING_NDEPTS    7 /* departments routing_dept_code knows */

/* One routing rule: a report category's priority and the departments its
 * case goes to (handlers/routing.h reads them). */
struct routing_rule {
    int category;                         /* 1-9 */
    int priority;                         /* 0 (P0, imminent danger) .. 3 (P3, information) */
    int ndepts;                           /* 1..ROUTING_MAX_DEPTS, no department twice */
    const char *depts[ROUTING_MAX_DEPTS]; /* canonical department codes (static), most responsible first */
};

struct provider_ops;
struct lexicon; /* handlers/lexicon.h */

struct gw_kv {
    char *key;   /* owned */
    char *value; /* owned; env: already resolved */
};

struct gw_channel {
    char *name;                     /* section name after "channel " */
    char *provider;                 /* provider name */
    const struct provider_ops *ops; /* never NULL after a successful load */
    char *url;                      /* send-API base URL override; may be NULL */
    int tps;                        /* outbound rate limit, > 0 */
    char *route;                    /* outbound prefix ("+86"); may be NULL */
    int is_default;                 /* default outbound channel */
    int max_in_flight;              /* sends on the wire at once on this channel; 0 = the sender's
                                       default share (gateway/sender.h: sender_channel_cap) */
    char **media_hosts;             /* NULL-terminated lower-case host patterns recordings may come
                                       from ("api.twilio.com", "*.example.com"), owned; NULL = the
                                       provider's defaults (provider_ops.media_hosts); {NULL} = none */
    int media_test_local;           /* 1: media_allow_local_for_tests (tests only): recordings may
                                       also come over plain http and from loopback addresses */
    struct gw_kv *keys;             /* provider-specific keys (secret, auth_token...) */
    size_t nkeys;
};

struct gw_template {
    char *name;          /* template name */
    char *text;          /* zh-CN text with ${var}; may be NULL (built-in kept) */
    struct gw_kv *codes; /* approved template codes, keyed by a provider's template_key
                            ("aliyun_code" -> "SMS_1"), at most one per key; owned, may be NULL */
    size_t ncodes;
};

/* Case routing per county (the built-in table is the default):
 *
 *   [routing]                      ; every county
 *   category_8 = P2 教育 民政       ; priority P0-P3, then 1-7 departments, most
 *                                  ; responsible first: 公安 民政 教育 卫健 网信 妇联 团委
 *                                  ; or police civil_affairs education health
 *                                  ; cyberspace women youth (',' '，' '、' also separate)
 *   village_excluded = 1 2         ; categories whose village is never told
 *                                  ; (default 1 2; "none" tells it of every one)
 *   [routing 示例县]               ; one county (its path: the first level only);
 *   category_7 = P1 公安 教育       ; its lines win over [routing], which wins
 *                                  ; over the default, category by category
 *   [county 示例县]
 *   duty_contact = +8613800000099  ; added to an alert nobody acknowledged in time;
 *                                  ; alerted at once when the case's departments
 *                                  ; have nobody at all in the county
 *   city_contact = +8613800000096  ; the second level, after a second miss
 *   duty_police = ...              ; duty_<department code>: the department's duty
 *                                  ; phone, alerted when it has no responder there
 *   lexicon = 示例县.txt           ; danger words of this county, over the built-in and
 *                                  ; [policy] lexicon (handlers/lexicon.h: the format);
 *                                  ; a relative path is read beside this file
 *
 * Numbers may be national (13800000099) and are stored in E.164 with
 * [policy] country_code. Unknown keys, departments, priorities and
 * categories are refused with the line.
 *
 * One county's routing and contacts: [routing COUNTY] and [county COUNTY]
 * fill the same entry; [routing] (every county) is the entry whose county
 * is NULL. Read through handlers/routing.h (routing_for and friends). */
struct gw_county {
    char *county;                    /* county path, e.g. "示例县" (no '/'); NULL for [routing] */
    struct routing_rule rules[9];    /* rules[c-1] is category c's; valid only when routed has bit c-1 */
    unsigned routed;                 /* bit c-1: category_c was given here */
    int village_excluded_set;        /* 1: village_excluded was given here */
    unsigned village_excluded;       /* bit c-1: the village is not told of category c */
    char *duty_contact;              /* E.164 or NULL: the county duty contact, added to a missed alert */
    char *city_contact;              /* E.164 or NULL: the city level, after a second miss */
    char *dept_duty[ROUTING_NDEPTS]; /* E.164 or NULL, by routing_dept_index: a department's duty
                                        phone, alerted when the department has no responder there */
    struct lexicon *lexicon;         /* owned: this county's danger words (the built-in, the [policy]
                                        file, then [county COUNTY] lexicon over them); NULL = the
                                        policy's */
};

struct gw_policy {
    char *timezone;            /* IANA name, e.g. Asia/Shanghai */
    int visit_days;            /* normal cadence */
    int visit_days_high;       /* flagged children */
    int checkin_days;          /* parent silent -> reminder */
    int checkin_escalate_days; /* -> tell the director */
    int ack_minutes_p0;
    int ack_minutes_p1;
    char *default_region;       /* region path for reports that name no child/known sender; may be NULL */
    char *country_code;         /* digits, e.g. "86" */
    int first_visit_days;       /* working days after import a new child's first visit is due */
    int overdue_days;           /* days past due for the second reminder and the supervisors' digest */
    int flood_reports;          /* reports one number may make within flood_window that alert one by one;
                                   its further reports there are summarised (0: no limit) */
    int flood_window;           /* seconds, >= 1: the window of flood_reports */
    int work_start, work_end;   /* working hours, minutes after local midnight [start, end) */
    unsigned work_days;         /* bit 0 Monday ... bit 6 Sunday */
    int digest_minute;          /* local minute of the day the daily digests go out */
    int daily_cap;              /* reminders and notices of the timed jobs one recipient gets a day at most
                                   (the rest waits for the next day's digest); 0: no cap. Alerts and
                                   replies are never capped */
    int age_left_behind;        /* a left-behind child leaves scope (reminders, coverage) at this age */
    int age_difficulty;         /* ... a child in difficulty, an orphan, an unsupported child at this one */
    char *hotline;              /* the human hotline the voice menu's 0 connects to, or NULL */
    char *media_dir;            /* folder for fetched recordings (default: "media" beside the database) */
    int reply_window_days;      /* days after a check-in reminder within which a guardian's message
                                   (好的, 收到, 1, any text) is recorded as a check-in; 0: off */
    int followup_hours;         /* hours after an unregistered number's report within which its free
                                   text is added to that open case; 0: off */
    struct lexicon *lexicon;    /* owned: danger words, the built-in with the [policy] lexicon file
                                   over it (handlers/lexicon.h); NULL = the built-in alone */
    struct gw_county *counties; /* [routing], [routing COUNTY], [county COUNTY]; owned, may be NULL */
    size_t ncounties;           /* at most one entry per county and one with county NULL */
};

/* [sender]: outbound delivery. */
struct gw_sender_cfg {
    int enabled;       /* 0: this process stores and answers but sends nothing */
    int max_attempts;  /* attempts before a transient failure becomes final */
    int max_age;       /* seconds after which an unsent row fails */
    int backoff;       /* first retry delay, seconds (doubles, with jitter) */
    int backoff_max;   /* longest retry delay, seconds */
    int timeout;       /* seconds one send request may take */
    int max_in_flight; /* requests on the wire at once, all channels */
};

/* [privacy]: the key national ID numbers are sealed with (core/secret.h).
 *
 *   [privacy]
 *   id_key = env:GATEWAY_ID_KEY    ; 64 hex digits (32 bytes); without it no ID
 *                                  ; number can be imported or read
 */
struct gw_privacy {
    int has_id_key;           /* 1: id_key was given (and is 64 hex digits) */
    unsigned char id_key[32]; /* GW_SECRET_KEY_LEN bytes; zeros without a key; wiped when freed */
};

/* [export national]: the national child-welfare system's import layout.
 *
 *   [export national]
 *   columns = 姓名:name,身份证号:id_number,性别:sex     ; output column : source field, in order
 *   date_format = %Y-%m-%d                           ; or %Y%m%d, %Y/%m/%d
 *   sex_map = M:男,F:女                               ; a code table: <field>_map (category_map,
 *   category_map = left_behind:农村留守儿童               ; flag_map for the lists)
 *   encoding = utf-8-bom                             ; or gb18030
 *
 * A long value goes on indented continuation lines; each adds its items. */
struct gw_national_col {
    char *name;  /* the output column's heading */
    char *field; /* a source field (gateway/export_national.c lists them) */
};
struct gw_code_pair {
    char *from; /* the gateway's value */
    char *to;   /* the national system's */
};
struct gw_code_map {
    char *field; /* the source field it applies to (categories, flags, sex...) */
    struct gw_code_pair *pairs;
    size_t npairs;
};
struct gw_national_cfg {
    struct gw_national_col *cols; /* none: `export national` refuses to run */
    size_t ncols;
    char *date_format; /* strftime format of the dates: "%Y-%m-%d" (default), "%Y%m%d" or "%Y/%m/%d" */
    struct gw_code_map *maps;
    size_t nmaps;
    int gb18030; /* 1: GB18030; 0: UTF-8 with a byte-order mark (default) */
};

/* [retention]: days after which personal data that is no longer needed
 * goes (bin/gateway purge); 0 keeps it forever. */
struct gw_retention {
    int reporter_days; /* a closed case's reporter contact, after its closing (default 1095) */
    int message_days;  /* message texts and phones, after they were stored (default 1095) */
};

/* [broadcast]: a template sent to a group (bin/gateway broadcast).
 *
 *   [broadcast]
 *   tps = 1     ; broadcast messages per second one channel takes at most
 *               ; (never more than half the channel's own tps), so that a
 *               ; broadcast never uses a channel's whole rate */
struct gw_broadcast_cfg {
    int tps; /* >= 1, default 1 */
};

/* [store] backend. */
enum { GW_STORE_SQLITE = 0, GW_STORE_POSTGRES = 1 };

struct gw_config {
    char *path; /* the file it was loaded from */
    /* [server] */
    char *listen_host; /* "127.0.0.1" */
    int listen_port;   /* 0 = pick a free port */
    char *public_url;  /* base URL providers call, without trailing '/' */
    size_t max_body;   /* bytes; bodies above get 413 */
    int threads;       /* HTTP worker threads, >= 1 */
    int job_interval;  /* seconds between runs of the timed jobs */
    char *log_level;   /* debug|info|warn|error */
    /* [server], slow clients */
    int max_connections_per_ip; /* connections one client address may hold open at once; 0 = no limit */
    int request_timeout;        /* seconds from a request's start (connection opened, or previous answer
                                   sent) to its last body byte; a slower one is closed; >= 1 */
    /* [store] */
    char *store_path;
    int sync_full;     /* 1: synchronous=FULL, 0: NORMAL */
    int store_backend; /* GW_STORE_SQLITE (store_path) or GW_STORE_POSTGRES (store_url) */
    char *store_url;   /* [store] url: a libpq connection string; NULL unless postgres */
    int batch_max;     /* most messages one store transaction takes */
    /* [policy] */
    struct gw_policy policy;
    struct gw_sender_cfg sender;
    struct gw_broadcast_cfg broadcast; /* [broadcast] */
    struct gw_channel *channels;
    size_t nchannels;
    struct gw_template *templates;
    size_t ntemplates;
    struct gw_privacy privacy;       /* [privacy] */
    struct gw_national_cfg national; /* [export national] */
    struct gw_retention retention;   /* [retention] */
};

/* Lookups; NULL when absent. Borrowed pointers, valid while cfg lives. */
const struct gw_channel *gw_config_channel(const struct gw_config *cfg, const char *name);
const char *gw_channel_key(const struct gw_channel *ch, const char *key);
const struct gw_template *gw_config_template(const struct gw_config *cfg, const char *name);

/* The [policy] defaults, the only copy: the numbers a gateway runs with when
 * the configuration leaves a setting out (30/14-day visit cadence, first
 * visit within 5 working days Monday-Friday, overdue after 7 days, scope
 * ending at 16 for left-behind children and 18 for the others, ...). Its
 * strings and owned pointers are NULL: the config loader sets those. */
struct gw_policy gw_policy_defaults(void);

#endif
