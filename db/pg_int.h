/* db/pg_int.h - internals shared by the PostgreSQL implementation files of
 * the store port (core/store.h). Not for use outside db/.
 *
 * One struct pg_store is one libpq connection used by one thread. A
 * statement is prepared once per connection, named after its slot in the
 * cache, which is keyed by the identity of its static SQL string (as the
 * SQLite backend's is); parameters go as text ($1, $2, ...), built with
 * struct pg_args. A statement that fails with the connection gone resets
 * the connection once before reporting the failure, so a store survives a
 * failover: the operation fails (the caller answers 503, a provider
 * retries) and the next one runs on the new primary.
 */
#ifndef PG_INT_H
#define PG_INT_H

#include <libpq-fe.h>
#include <stdint.h>

#include "../core/store.h"
#include "../core/util.h"
#include "pg.h"

#define PG_STMT_CACHE 384
#define PG_ARGS_MAX   24

struct pg_store {
    struct store base; /* base.ops: the table in pg_ops.c */
    PGconn *conn;      /* owned; used by one thread */
    char *url;         /* owned */
    struct {
        const char *sql; /* static string; identity is the cache key */
        int prepared;    /* prepared on the current connection */
    } cache[PG_STMT_CACHE];
    int ncache;
    int depth;             /* open transaction (1) and savepoints (more); 0 outside */
    int64_t claimant;      /* this connection's claimant number (outbox/media claimed_by), see pg_core.c */
    double reconnected_at; /* gw_clock_mono() of the last reconnect; 0 when never */
    int leading;           /* holds the timed jobs' lock on the current connection */
    int down;              /* the connection was lost and no reconnect has succeeded yet */
    char err[256];         /* the last error, for store_errmsg */
    char state[6];         /* the last error's SQLSTATE, "" when none */
};

/* Parameters of one statement, as text. */
struct pg_args {
    const char *v[PG_ARGS_MAX];
    char buf[PG_ARGS_MAX][24]; /* numbers are written here */
    int n;
};

/* Appends s (NULL: SQL NULL) / an integer / NULL when v is 0. */
void pg_arg_text(struct pg_args *a, const char *s);
void pg_arg_int(struct pg_args *a, int64_t v);
void pg_arg_int_or_null(struct pg_args *a, int64_t v);

/* Runs the statement sql (static string) with a's parameters (a may be
 * NULL). Returns the result (PQclear it) when it succeeded
 * (PGRES_COMMAND_OK or PGRES_TUPLES_OK), NULL on failure with the error in
 * the store (store_errmsg) and its SQLSTATE in pg_state(st). */
PGresult *pg_run(struct store *st, const char *sql, const struct pg_args *a);
/* Runs sql and returns 0, or -1 (the result discarded). */
int pg_run_done(struct store *st, const char *sql, const struct pg_args *a);
/* Runs sql (plain text, no parameters, not prepared: DDL, transaction
 * control). 0 or -1. */
int pg_exec(struct store *st, const char *sql);

/* The SQLSTATE of the last failure ("23505" a unique violation), "" none. */
const char *pg_state(struct store *st);
/* 1 when the last failure was a unique violation. */
int pg_unique_violation(struct store *st);

/* Column readers: the integer at (row, col) (0 when NULL), whether it is
 * NULL, and the text copied into out (len bytes, "" when NULL). */
int64_t pg_int(const PGresult *r, int row, int col);
int pg_null(const PGresult *r, int row, int col);
void pg_text(const PGresult *r, int row, int col, char *out, size_t len);

/* The advisory-lock keys (the classid of the two-key form for the
 * claimants). One value per purpose across the whole schema. */
#define PG_LOCK_MIGRATE  7311001 /* pg_advisory_xact_lock: one migration at a time */
#define PG_LOCK_LEADER   7311002 /* session lock: the process that runs the timed jobs */
#define PG_LOCK_CLAIMANT 7311003 /* (key, claimant) session lock: a claimant's connection is alive */

/* Seconds a store waits, after its own connection was re-established, before
 * it takes another claimant's missing lock as that claimant's death: after a
 * failover every process reconnects and takes its lock again. */
#define PG_RECOVER_GRACE 30

/* A subquery: the claimant numbers whose connection is alive (holds its
 * claimant lock) in this database. */
#define PG_LIVE_CLAIMANTS                                                                                              \
    "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND classid = " GW_STR(                            \
        PG_LOCK_CLAIMANT) " AND objsubid = 2 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = " \
                          "current_database())"

/* 1 when claims of other connections may be judged now (see
 * PG_RECOVER_GRACE), 0 while this connection is newly re-established. */
int pg_may_recover(struct store *st);

/* Opens the PostgreSQL store at url with ops as its table (pg_store_open,
 * in pg_ops.c, passes the backend's own once it is complete). */
int pg_store_open_ops(const struct store_ops *ops, const char *url, struct store **out, char *err, size_t errlen);

/* The backend's table (pg_ops.c); NULL where an operation is missing. */
extern const struct store_ops pg_store_ops;
/* The names of the operations db/pg_*.c does not define yet,
 * NULL-terminated (pg_ops.c). */
extern const char *const pg_ops_missing[];

/* The PostgreSQL handle behind st, which pg_store_open returned. */
static inline struct pg_store *pg_of(struct store *st) { return (struct pg_store *)st; }

/* BEGIN generated by db/gen_store_ops.py: the PostgreSQL implementations of the store operations. */
void pg_store_close(struct store *st);
const char *pg_store_errmsg(struct store *st);
int pg_store_migrate(struct store *st, int *from, int *to, char *err, size_t errlen);
int pg_store_schema_version(struct store *st);
int pg_store_begin(struct store *st);
int pg_store_commit(struct store *st);
int pg_store_rollback(struct store *st);
int pg_store_savepoint(struct store *st);
int pg_store_release(struct store *st);
int pg_store_rollback_to(struct store *st);
int pg_store_lead(struct store *st);
int pg_store_health_write(struct store *st, int64_t now);
int pg_store_check_writable(struct store *st, int64_t now, char *err, size_t errlen);
int pg_store_inbox_insert(struct store *st, const struct gw_msg *m, const char *norm_text, int64_t now, int64_t *id);
int pg_store_inbox_set_result(struct store *st, int64_t id, const char *intent, const char *result, const char *detail);
int64_t pg_store_inbox_count(struct store *st);
int pg_store_outbox_insert(struct store *st, const struct store_outbox_row *r, int64_t now, int64_t *id);
int64_t pg_store_outbox_last_id(struct store *st);
int pg_store_outbox_for_inbox(struct store *st, int64_t inbox_id, int64_t after_id,
                              int (*fn)(void *arg, const char *recipient, const char *body), void *arg);
int pg_db_region_by_id(struct store *st, int64_t id, struct db_region *out);
int pg_db_region_by_path(struct store *st, const char *path, struct db_region *out);
int pg_db_region_only_county(struct store *st, int64_t *county_id);
int pg_db_region_under(struct store *st, int64_t a, int64_t b);
int pg_db_staff_by_phone(struct store *st, const char *phone, struct db_staff *out);
int pg_db_county_responders(struct store *st, int64_t county_id, const char *dept, char (*out)[DB_PHONE_LEN], int max);
int pg_db_village_directors(struct store *st, int64_t region_id, char (*out)[DB_PHONE_LEN], int max);
int pg_db_guardian_by_phone(struct store *st, const char *phone, int64_t *guardian_id);
int pg_db_child_by_code(struct store *st, const char *code, struct db_child *out);
int pg_db_guardian_children(struct store *st, int64_t guardian_id, struct db_child *out, int max);
int pg_db_guardian_linked(struct store *st, int64_t guardian_id, int64_t child_id);
int pg_db_visit_insert(struct store *st, const struct db_visit *v, int64_t now, int64_t *id);
int pg_db_child_set_high_cadence(struct store *st, int64_t child_id);
int pg_db_checkin_insert(struct store *st, const struct db_checkin *c, int64_t now, int64_t *id);
int pg_db_reporter_upsert(struct store *st, const char *phone, int64_t now, int64_t *id);
int pg_db_reporter_by_phone(struct store *st, const char *phone, int64_t *id);
int pg_db_reporter_phone(struct store *st, int64_t reporter_id, char *out, size_t outlen);
int pg_db_case_open(struct store *st, const struct db_case_new *c, int64_t now, int64_t *id, char *number);
int pg_db_case_by_number(struct store *st, const char *number, struct db_case *out);
int pg_db_case_depts(struct store *st, int64_t case_id, char (*out)[24], int max);
int pg_db_case_has_dept(struct store *st, int64_t case_id, const char *dept);
int pg_db_case_ack(struct store *st, int64_t case_id, int64_t staff_id, int64_t now);
int pg_db_case_close(struct store *st, int64_t case_id, int64_t staff_id, int outcome, const char *note, int64_t now);
int pg_db_case_event(struct store *st, int64_t case_id, const char *kind, int64_t staff_id, const char *detail,
                     int64_t now);
int pg_db_reporter_flood(struct store *st, int64_t reporter_id, int64_t since, struct db_flood *out);
int pg_db_case_set_flood(struct store *st, int64_t case_id, int64_t first_id);
int pg_db_case_flood_run(struct store *st, int64_t case_id, int64_t since, struct db_flood *out);
int pg_db_case_classify(struct store *st, int64_t case_id, int category, int priority, const char *const *depts,
                        int ndepts, int64_t staff_id, const char *detail, int64_t now, int *phase);
int pg_db_phone_unacked_cases(struct store *st, const char *phone, char (*out)[DB_CASE_NO_MAX + 1], int max);
int pg_db_reporter_open_case(struct store *st, int64_t reporter_id, int64_t since, struct db_case *out);
int pg_db_case_alerted(struct store *st, int64_t case_id, char (*out)[DB_PHONE_LEN], int max);
int pg_db_reminder_since(struct store *st, int64_t guardian_id, int64_t since);
int pg_db_region_supervisors(struct store *st, int64_t region_id, char (*out)[DB_PHONE_LEN], int max);
int pg_db_guardian_relation(struct store *st, int64_t guardian_id, int64_t child_id, char *out, size_t outlen);
int pg_db_guardian_child_names(struct store *st, int64_t guardian_id, struct db_child_name *out, int max);
int pg_db_region_child_names(struct store *st, int64_t region_id, struct db_child_name *out, int max);
int pg_db_message_queued(struct store *st, const char *dedupe_key);
int pg_db_optout_set(struct store *st, const char *phone, const char *channel, int64_t now);
int pg_db_optout_clear(struct store *st, const char *phone);
int pg_db_optout_check(struct store *st, const char *phone);
int pg_db_jobs_unacked_cases(struct store *st, int64_t p0_since, int64_t p1_since,
                             int (*fn)(void *arg, const struct db_job_case *c), void *arg);
int pg_db_jobs_children_due(struct store *st, const char *last_before, const char *last_before_high,
                            int64_t created_before, int (*fn)(void *arg, const struct db_job_child *c), void *arg);
int pg_db_jobs_staff(struct store *st, const char *role,
                     int (*fn)(void *arg, const char *phone, const char *region_path), void *arg);
int pg_db_jobs_silent_guardians(struct store *st, int64_t before, int (*fn)(void *arg, const struct db_job_guardian *g),
                                void *arg);
int pg_db_jobs_guardian_wards(struct store *st, int64_t guardian_id, int (*fn)(void *arg, const struct db_job_ward *w),
                              void *arg);
int pg_db_digest_item_exists(struct store *st, const char *key);
int pg_db_digest_item_add(struct store *st, const char *key, const char *recipient, const char *digest, int64_t now);
int pg_db_jobs_capped_today(struct store *st, const char *phone, const char *day_iso, int64_t day_start,
                            int64_t day_end);
int pg_db_jobs_triage_counts(struct store *st, int (*fn)(void *arg, const char *phone, int count), void *arg);
int pg_store_media_add(struct store *st, const char *channel, int64_t case_id, int64_t call_row_id, const char *url,
                       long duration, int64_t now, int64_t *id);
int pg_store_media_recover(struct store *st, int64_t *n);
int pg_store_media_due(struct store *st, int64_t now, int limit, struct store_media **rows, size_t *n);
int pg_store_media_claim(struct store *st, int64_t id, int64_t now);
int pg_store_media_fetched(struct store *st, int64_t id, const char *path, const char *sha256, int64_t bytes,
                           const char *content_type, int64_t now);
int pg_store_media_failed(struct store *st, int64_t id, int retry, const char *error, int64_t next_attempt_at,
                          int64_t now);
int pg_store_media_release(struct store *st, int64_t id, int64_t now);
int pg_store_media_case_recipients(struct store *st, int64_t case_id, struct store_media_recipient *out, int max);
int pg_store_outbox_recover(struct store *st, int64_t *n);
int pg_store_outbox_due(struct store *st, int64_t now, int limit, const int64_t *skip, size_t nskip,
                        struct store_send **rows, size_t *n);
int pg_store_outbox_due_open(struct store *st, int64_t now, int limit, const char *const *busy, size_t nbusy,
                             const char *const *bulk, size_t nbulk, struct store_send **rows, size_t *n);
int pg_store_outbox_assign(struct store *st, int64_t id, const char *channel);
int pg_store_outbox_next_due(struct store *st, int64_t *at);
int pg_store_outbox_claim(struct store *st, int64_t id, const char *channel, int64_t now);
int pg_store_outbox_finish(struct store *st, int64_t id, const char *status, const char *provider_msg_id,
                           const char *error, int64_t next_attempt_at, int64_t now);
int pg_store_send_attempt(struct store *st, int64_t outbox_id, int attempt, const char *channel, long http,
                          const char *result, const char *provider_msg_id, const char *error, int64_t now);
int pg_store_outbox_receipt(struct store *st, const char *channel, const char *provider_msg_id, int64_t ref,
                            const char *status, const char *raw_status, const char *error, int64_t now,
                            char *recipient);
int pg_store_receipts_expire(struct store *st, int64_t before);
int pg_store_part_insert(struct store *st, const struct gw_msg *m, int64_t now);
int pg_store_part_assemble(struct store *st, const char *channel, const char *sender, const char *ref, int total,
                           int64_t stale_before, struct gw_msg *whole);
int pg_store_part_done(struct store *st, const char *channel, const char *sender, const char *ref, int64_t inbox_id);
int pg_store_part_stale(struct store *st, int64_t stale_before,
                        void (*fn)(void *arg, const char *channel, const char *sender, const char *ref, int total),
                        void *arg);
int pg_db_ussd_get(struct store *st, const char *channel, const char *session_id, struct db_ussd_session *out);
int pg_db_ussd_put(struct store *st, const char *channel, const char *session_id, const char *service_code,
                   const struct db_ussd_session *s, int64_t now);
int pg_db_case_attach_child(struct store *st, int64_t case_id, const struct db_child *child);
int pg_db_case_attach_description(struct store *st, int64_t case_id, const char *desc);
int pg_db_call_get(struct store *st, const char *channel, const char *call_id, struct db_call *out);
int pg_db_call_start(struct store *st, const char *channel, const char *call_id, const char *caller, const char *callee,
                     int64_t now, int64_t *id);
int pg_db_call_save(struct store *st, const struct db_call *c, int64_t now);
int pg_db_call_end(struct store *st, int64_t id, const char *status, long duration, int64_t now);
int pg_store_region_find(struct store *st, const char *path, int64_t *id, int *level);
int pg_store_region_insert(struct store *st, int64_t parent_id, const char *name, const char *path, int level,
                           int64_t *id);
int pg_store_staff_upsert(struct store *st, const struct store_staff_row *r, int64_t now);
int pg_store_child_id(struct store *st, const char *code, int64_t *id);
int pg_store_guardian_upsert(struct store *st, const struct store_guardian_row *r, int64_t now);
int pg_store_export_visits(struct store *st, const char *from_day, const char *to_day,
                           int (*fn)(void *arg, const struct store_visit_rec *r), void *arg);
int pg_store_export_checkins(struct store *st, int64_t from, int64_t until,
                             int (*fn)(void *arg, const struct store_checkin_rec *r), void *arg);
int pg_store_export_cases(struct store *st, int64_t from, int64_t until,
                          int (*fn)(void *arg, const struct store_case_rec *r), void *arg);
int pg_store_export_outbox(struct store *st, int64_t from, int64_t until,
                           int (*fn)(void *arg, const struct store_outbox_rec *r), void *arg);
int pg_store_read_begin(struct store *st);
int pg_store_read_end(struct store *st, int began);
int pg_store_regions_each(struct store *st, int (*fn)(void *arg, const struct store_region_rec *r), void *arg);
int pg_store_children_each(struct store *st, const char *today, int (*fn)(void *arg, const struct store_child_rec *r),
                           void *arg);
int pg_store_directors_each(struct store *st, int (*fn)(void *arg, int64_t region_id, long directors), void *arg);
int pg_store_away_links_each(struct store *st, int64_t from, int64_t until,
                             int (*fn)(void *arg, const struct store_away_rec *r), void *arg);
int pg_store_cases_brief_each(struct store *st, int64_t from, int64_t until,
                              int (*fn)(void *arg, const struct store_case_brief *r), void *arg);
int pg_db_child_by_name(struct store *st, const char *name, const char *under, struct db_child *out);
int pg_db_child_named_in(struct store *st, const char *text, const char *under, struct db_child *out);
int pg_store_audit_append(struct store *st, const struct store_audit_row *r);
int pg_store_audit_last(struct store *st, char *hash, int64_t *id);
int pg_store_audit_each(struct store *st, int64_t from_id, int (*fn)(void *arg, const struct store_audit_row *r),
                        void *arg);
int pg_store_token_insert(struct store *st, const struct store_token_row *r, int64_t now, int64_t *id);
int pg_store_token_by_hash(struct store *st, const char *hash, struct store_token_row *out);
int pg_store_token_revoke(struct store *st, const char *name, int64_t now);
int pg_store_token_touch(struct store *st, int64_t id, int64_t now);
int pg_store_tokens_each(struct store *st, int (*fn)(void *arg, const struct store_token_row *r), void *arg);
int pg_db_cases_list(struct store *st, const struct db_case_query *q, int (*fn)(void *arg, const struct db_case_row *c),
                     void *arg);
int pg_db_case_get(struct store *st, const struct db_case_scope *scope, const char *number, int64_t ack_p0,
                   int64_t ack_p1, struct db_case_detail *out);
int pg_db_case_events_list(struct store *st, int64_t case_id, int (*fn)(void *arg, const struct db_case_event_row *e),
                           void *arg);
int pg_db_case_media_list(struct store *st, int64_t case_id, int (*fn)(void *arg, const struct db_case_media_row *m),
                          void *arg);
int pg_store_files_children_each(struct store *st, const char *under, const char *q, const char *after, int limit,
                                 const char *today, int (*fn)(void *arg, const struct store_file_child *r), void *arg);
int pg_store_files_child(struct store *st, const char *code, const char *under, const char *today,
                         int (*fn)(void *arg, const struct store_file_child *r), void *arg);
int pg_store_files_guardians_each(struct store *st, int64_t child_id,
                                  int (*fn)(void *arg, const struct store_file_guardian *r), void *arg);
int pg_store_files_visits_each(struct store *st, int64_t child_id,
                               int (*fn)(void *arg, const struct store_file_visit *r), void *arg);
int pg_store_files_checkins_each(struct store *st, int64_t child_id,
                                 int (*fn)(void *arg, const struct store_file_checkin *r), void *arg);
int pg_store_files_cases_each(struct store *st, int64_t child_id, int (*fn)(void *arg, const struct store_file_case *r),
                              void *arg);
int pg_store_files_messages_each(struct store *st, int64_t child_id,
                                 int (*fn)(void *arg, const struct store_file_message *r), void *arg);
int pg_store_login_code_insert(struct store *st, const struct store_login_code_row *r, int64_t *id);
int pg_store_login_code_counts(struct store *st, const char *phone, const char *client, int64_t since,
                               struct store_login_counts *out);
int pg_store_login_code_last(struct store *st, const char *phone, struct store_login_code_row *out);
int pg_store_login_code_try(struct store *st, int64_t id);
int pg_store_login_code_use(struct store *st, int64_t id, int64_t now);
int pg_store_session_insert(struct store *st, const struct store_session_row *r, int64_t *id);
int pg_store_session_by_hash(struct store *st, const char *hash, struct store_session_row *out);
int pg_store_session_touch(struct store *st, int64_t id, int64_t now);
int pg_store_session_end(struct store *st, const char *hash, int64_t now);
int pg_store_sign_in_purge(struct store *st, int64_t codes_before, int64_t sessions_before);
int pg_db_case_assign(struct store *st, int64_t case_id, const char *const *depts, int ndepts, int64_t staff_id,
                      const char *detail, int64_t now);
int pg_store_report_children_each(struct store *st, int64_t until,
                                  int (*fn)(void *arg, const struct store_report_child *c), void *arg);
int pg_store_report_visits_each(struct store *st, const char *from_date, const char *to_date,
                                int (*fn)(void *arg, const struct store_report_visit *v), void *arg);
int pg_store_report_checkins_each(struct store *st, int64_t from, int64_t until,
                                  int (*fn)(void *arg, int64_t guardian_id, int64_t child_id), void *arg);
int pg_store_report_away_each(struct store *st, int64_t until,
                              int (*fn)(void *arg, int64_t guardian_id, int64_t child_id), void *arg);
int pg_store_report_cases_each(struct store *st, int64_t from, int64_t until,
                               int (*fn)(void *arg, const struct store_report_case *c), void *arg);
int pg_store_report_directors_each(struct store *st, int64_t until,
                                   int (*fn)(void *arg, int64_t region_id, long directors), void *arg);
int pg_store_child_records_each(struct store *st, const char *code,
                                int (*fn)(void *arg, const struct store_child_record *r), void *arg);
int pg_store_retention_count(struct store *st, int64_t reporter_before, int64_t message_before,
                             struct store_purge_counts *out);
int pg_store_retention_purge(struct store *st, int64_t reporter_before, int64_t message_before, int64_t now,
                             struct store_purge_counts *out);
int pg_store_retention_scrub(struct store *st);
int pg_store_child_upsert(struct store *st, const struct store_child_row *r, int64_t now);
int pg_store_child_sealed_id(struct store *st, const char *code, char *out, size_t outlen);
int pg_store_child_set(struct store *st, int64_t child_id, const char *field, const char *value, const char *source,
                       int64_t now);
int pg_store_children_export(struct store *st, int (*fn)(void *arg, const struct store_child_export_rec *r), void *arg);
int pg_store_child_changes_each(struct store *st, const char *code,
                                int (*fn)(void *arg, const struct store_child_change_rec *r), void *arg);
int pg_store_broadcast_insert(struct store *st, const char *tmpl, const char *vars_json, const char *audience,
                              int64_t created_by, int64_t now, int64_t *id);
int pg_store_broadcast_get(struct store *st, int64_t id, struct store_broadcast *out);
int pg_store_broadcasts_each(struct store *st, int (*fn)(void *arg, const struct store_broadcast *b), void *arg);
int pg_store_broadcast_approve(struct store *st, int64_t id, int64_t approved_by, int64_t recipients, int64_t opted_out,
                               int64_t now);
int pg_store_broadcast_cancel(struct store *st, int64_t id, int64_t now, int64_t *unsent);
int pg_store_audience_each(struct store *st, enum store_audience who, const char *category, const char *under,
                           int (*fn)(void *arg, const char *phone), void *arg);
int pg_store_broadcast_queue(struct store *st, const struct store_broadcast_msg *m, int64_t now, int64_t *id);
int pg_store_broadcast_progress(struct store *st, int64_t id, struct store_broadcast_progress *out);
/* END generated by db/gen_store_ops.py */

#endif
