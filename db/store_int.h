/* db/store_int.h - internals shared by the SQLite implementation files of
 * the store port (core/store.h). Not for use outside db/. */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "../core/store.h"
#include "sqlite.h"

#define STORE_STMT_CACHE 320

/* The SQLite backend's handle: the port's head first, so that a struct
 * store * that sqlite_store_open returned is one of these. */
struct sqlite_store {
    struct store base; /* base.ops: the table in sqlite_ops.c */
    sqlite3 *db;       /* owned; used by one thread */
    char *path;        /* owned */
    struct {
        const char *sql;  /* static string; identity is the cache key */
        sqlite3_stmt *st; /* prepared once, persistent */
    } cache[STORE_STMT_CACHE];
    int ncache;
    struct checkpointer *ckpt; /* background checkpoints, or NULL */
    int wal_fd;                /* the -wal file for sqlite_sync_wal, -1 until first needed */
    pthread_mutex_t wal_lock;  /* guards wal_fd (sqlite_sync_wal runs on another thread) */
    int deferred;              /* sqlite_defer_sync was called */
    struct write_gate *gate;   /* this file's turns at writing, shared by the process's connections */
    int gated;                 /* this connection holds its turn (between begin and commit or rollback) */
    int busy_ms;               /* how long a write waits for its turn, and for SQLite's lock */
    int in_begin;              /* inside a transaction store_begin opened */
    int roster_written;        /* a roster row changed since the mark last moved (the update hook) */
    struct memo *memo;         /* roster look-ups remembered (sqlite_roster_memo), or NULL */
    int64_t memo_mark;         /* the database's roster mark (user_version) the memo was filled under */
    double memo_since;         /* monotonic time the memo was last emptied */
};

/* The memo of st's look-ups: only inside a transaction store_begin opened
 * (where it was checked against the roster mark); NULL otherwise. */
static inline struct memo *memo_of(struct store *st)
{
    struct sqlite_store *sq = (struct sqlite_store *)st;
    return sq->in_begin ? sq->memo : NULL;
}

/* Look-ups the memo keeps (the op of memo_get and memo_put). */
enum { MEMO_STAFF = 1, MEMO_CHILD, MEMO_GUARDIAN, MEMO_REGION_ID, MEMO_REGION_PATH, MEMO_RESPONDERS };

/* The memo (db/sqlite_memo.c). memo_get: 1 with *rc and the answer copied
 * into out (at most outlen bytes) when op+key is held, else 0. memo_put
 * keeps rc and vlen bytes of val for op+key, unless rc < 0 (an error).
 * Both do nothing on NULL. */
struct memo *memo_new(void);
void memo_free(struct memo *m);
void memo_clear(struct memo *m);
int memo_get(struct memo *m, int op, const void *key, size_t klen, int *rc, void *out, size_t outlen);
void memo_put(struct memo *m, int op, const void *key, size_t klen, int rc, const void *val, size_t vlen);

/* Opens the SQLite store at path with ops as its table (sqlite_store_open,
 * in sqlite_ops.c, passes the backend's own): sqlite_store_open's contract
 * (db/sqlite.h). */
int sqlite_store_open_ops(const struct store_ops *ops, const char *path, int sync_full, struct store **out, char *err,
                          size_t errlen);

/* The name of the VFS that writes a transaction's WAL frames with one
 * system call (db/sqlite_walbuf.c), registered on first use; NULL (the
 * default VFS) if it could not be. */
const char *sqlite_walbuf_vfs(void);

/* Links the WAL file of db (opened through that VFS, in WAL mode, its WAL
 * open) to its database file: only then are its writes gathered. 0, or -1
 * when db's files are not the VFS's or its WAL is not open (writes then
 * go straight to the file). */
int sqlite_walbuf_link(sqlite3 *db);

/* Sets how long st's writes wait for their turn and for SQLite's lock
 * (5000 ms after opening). */
void sqlite_busy_timeout(struct store *st, int ms);

/* The SQLite handle behind st, which sqlite_store_open returned. */
static inline struct sqlite_store *sqlite_of(struct store *st) { return (struct sqlite_store *)st; }

/* The connection of st, for the implementation files' own calls
 * (sqlite3_changes, sqlite3_last_insert_rowid...). */
static inline sqlite3 *store_db(struct store *st) { return sqlite_of(st)->db; }

/* Returns the cached prepared statement for a static SQL string, reset and
 * with bindings cleared, preparing it on first use. NULL on error (logged
 * in the connection's errmsg). sql must be a string literal or otherwise
 * outlive the store. */
sqlite3_stmt *store_stmt(struct store *st, const char *sql);

/* Runs SQL text with no results (DDL, pragmas). 0 or -1. */
int store_exec(struct store *st, const char *sql);

/* Steps a statement with no result rows and resets it: 0 or -1. */
int store_step_done(sqlite3_stmt *s);
/* Steps an UPDATE or DELETE and resets it: 0 when it changed a row, 1 when
 * none, -1 on error. */
int store_step_changed(struct store *st, sqlite3_stmt *s);
/* Column i as text, NULL for SQL NULL; valid until the next step. */
static inline const char *store_col(sqlite3_stmt *s, int i) { return (const char *)sqlite3_column_text(s, i); }

/* The columns a child row of the office reads starts with, CH the child and R its village; read them with
 * STORE_CHILD_HEAD. */
#define STORE_CHILD_HEAD_COLS "CH.id, CH.code, CH.name, CH.sex, CH.birth_date, R.path, CH.categories, CH.flags"
/* The designated initialisers of the fields id, code, name, sex, birth_date, region, categories and flags ("" for
 * none) of a row struct, from the columns STORE_CHILD_HEAD_COLS put first in statement s. */
#define STORE_CHILD_HEAD(s)                                                                                            \
    .id = sqlite3_column_int64(s, 0), .code = store_col(s, 1), .name = store_col(s, 2), .sex = store_col(s, 3),        \
    .birth_date = store_col(s, 4), .region = store_col(s, 5), .categories = store_col(s, 6),                           \
    .flags = store_col_or_empty(s, 7)

/* Column i as text, "" for SQL NULL; valid until the next step. */
static inline const char *store_col_or_empty(sqlite3_stmt *s, int i)
{
    const char *v = store_col(s, i);
    return v ? v : "";
}

/* Binds helpers: NULL text binds SQL NULL. */
int store_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Copies column i as text into out (size outlen), "" for NULL. */
void store_col_text(sqlite3_stmt *s, int i, char *out, size_t outlen);

/* BEGIN generated by db/gen_store_ops.py: the SQLite implementations of the store operations. */
void sqlite_store_close(struct store *st);
const char *sqlite_store_errmsg(struct store *st);
int sqlite_store_migrate(struct store *st, int *from, int *to, char *err, size_t errlen);
int sqlite_store_schema_version(struct store *st);
int sqlite_store_begin(struct store *st);
int sqlite_store_commit(struct store *st);
int sqlite_store_rollback(struct store *st);
int sqlite_store_savepoint(struct store *st);
int sqlite_store_release(struct store *st);
int sqlite_store_rollback_to(struct store *st);
int sqlite_store_lead(struct store *st);
int sqlite_store_health_write(struct store *st, int64_t now);
int sqlite_store_check_writable(struct store *st, int64_t now, char *err, size_t errlen);
int sqlite_store_inbox_insert(struct store *st, const struct gw_msg *m, const char *norm_text, int64_t now,
                              int64_t *id);
int sqlite_store_inbox_set_result(struct store *st, int64_t id, const char *intent, const char *result,
                                  const char *detail);
int64_t sqlite_store_inbox_count(struct store *st);
int sqlite_store_outbox_insert(struct store *st, const struct store_outbox_row *r, int64_t now, int64_t *id);
int64_t sqlite_store_outbox_last_id(struct store *st);
int sqlite_store_outbox_for_inbox(struct store *st, int64_t inbox_id, int64_t after_id,
                                  int (*fn)(void *arg, const char *recipient, const char *body), void *arg);
int sqlite_db_region_by_id(struct store *st, int64_t id, struct db_region *out);
int sqlite_db_region_by_path(struct store *st, const char *path, struct db_region *out);
int sqlite_db_region_only_county(struct store *st, int64_t *county_id);
int sqlite_db_region_under(struct store *st, int64_t a, int64_t b);
int sqlite_db_staff_by_phone(struct store *st, const char *phone, struct db_staff *out);
int sqlite_db_county_responders(struct store *st, int64_t county_id, const char *dept, char (*out)[DB_PHONE_LEN],
                                int max);
int sqlite_db_village_directors(struct store *st, int64_t region_id, char (*out)[DB_PHONE_LEN], int max);
int sqlite_db_guardian_by_phone(struct store *st, const char *phone, int64_t *guardian_id);
int sqlite_db_child_by_code(struct store *st, const char *code, struct db_child *out);
int sqlite_db_guardian_children(struct store *st, int64_t guardian_id, struct db_child *out, int max);
int sqlite_db_guardian_linked(struct store *st, int64_t guardian_id, int64_t child_id);
int sqlite_db_visit_insert(struct store *st, const struct db_visit *v, int64_t now, int64_t *id);
int sqlite_db_child_set_high_cadence(struct store *st, int64_t child_id);
int sqlite_db_checkin_insert(struct store *st, const struct db_checkin *c, int64_t now, int64_t *id);
int sqlite_db_reporter_upsert(struct store *st, const char *phone, int64_t now, int64_t *id);
int sqlite_db_reporter_by_phone(struct store *st, const char *phone, int64_t *id);
int sqlite_db_reporter_phone(struct store *st, int64_t reporter_id, char *out, size_t outlen);
int sqlite_db_case_open(struct store *st, const struct db_case_new *c, int64_t now, int64_t *id, char *number);
int sqlite_db_case_by_number(struct store *st, const char *number, struct db_case *out);
int sqlite_db_case_depts(struct store *st, int64_t case_id, char (*out)[24], int max);
int sqlite_db_case_has_dept(struct store *st, int64_t case_id, const char *dept);
int sqlite_db_case_ack(struct store *st, int64_t case_id, int64_t staff_id, int64_t now);
int sqlite_db_case_close(struct store *st, int64_t case_id, int64_t staff_id, int outcome, const char *note,
                         int64_t now);
int sqlite_db_case_event(struct store *st, int64_t case_id, const char *kind, int64_t staff_id, const char *detail,
                         int64_t now);
int sqlite_db_reporter_flood(struct store *st, int64_t reporter_id, int64_t since, struct db_flood *out);
int sqlite_db_case_set_flood(struct store *st, int64_t case_id, int64_t first_id);
int sqlite_db_case_flood_run(struct store *st, int64_t case_id, int64_t since, struct db_flood *out);
int sqlite_db_case_classify(struct store *st, int64_t case_id, int category, int priority, const char *const *depts,
                            int ndepts, int64_t staff_id, const char *detail, int64_t now, int *phase);
int sqlite_db_phone_unacked_cases(struct store *st, const char *phone, char (*out)[DB_CASE_NO_MAX + 1], int max);
int sqlite_db_reporter_open_case(struct store *st, int64_t reporter_id, int64_t since, struct db_case *out);
int sqlite_db_case_alerted(struct store *st, int64_t case_id, char (*out)[DB_PHONE_LEN], int max);
int sqlite_db_reminder_since(struct store *st, int64_t guardian_id, int64_t since);
int sqlite_db_region_supervisors(struct store *st, int64_t region_id, char (*out)[DB_PHONE_LEN], int max);
int sqlite_db_guardian_relation(struct store *st, int64_t guardian_id, int64_t child_id, char *out, size_t outlen);
int sqlite_db_guardian_child_names(struct store *st, int64_t guardian_id, struct db_child_name *out, int max);
int sqlite_db_region_child_names(struct store *st, int64_t region_id, struct db_child_name *out, int max);
int sqlite_db_message_queued(struct store *st, const char *dedupe_key);
int sqlite_db_optout_set(struct store *st, const char *phone, const char *channel, int64_t now);
int sqlite_db_optout_clear(struct store *st, const char *phone);
int sqlite_db_optout_check(struct store *st, const char *phone);
int sqlite_db_jobs_unacked_cases(struct store *st, int64_t p0_since, int64_t p1_since,
                                 int (*fn)(void *arg, const struct db_job_case *c), void *arg);
int sqlite_db_jobs_children_due(struct store *st, const char *last_before, const char *last_before_high,
                                int64_t created_before, int (*fn)(void *arg, const struct db_job_child *c), void *arg);
int sqlite_db_jobs_staff(struct store *st, const char *role,
                         int (*fn)(void *arg, const char *phone, const char *region_path), void *arg);
int sqlite_db_jobs_silent_guardians(struct store *st, int64_t before,
                                    int (*fn)(void *arg, const struct db_job_guardian *g), void *arg);
int sqlite_db_jobs_guardian_wards(struct store *st, int64_t guardian_id,
                                  int (*fn)(void *arg, const struct db_job_ward *w), void *arg);
int sqlite_db_digest_item_exists(struct store *st, const char *key);
int sqlite_db_digest_item_add(struct store *st, const char *key, const char *recipient, const char *digest,
                              int64_t now);
int sqlite_db_jobs_capped_today(struct store *st, const char *phone, const char *day_iso, int64_t day_start,
                                int64_t day_end);
int sqlite_db_jobs_triage_counts(struct store *st, int (*fn)(void *arg, const char *phone, int count), void *arg);
int sqlite_store_media_add(struct store *st, const char *channel, int64_t case_id, int64_t call_row_id, const char *url,
                           long duration, int64_t now, int64_t *id);
int sqlite_store_media_recover(struct store *st, int64_t *n);
int sqlite_store_media_due(struct store *st, int64_t now, int limit, struct store_media **rows, size_t *n);
int sqlite_store_media_claim(struct store *st, int64_t id, int64_t now);
int sqlite_store_media_fetched(struct store *st, int64_t id, const char *path, const char *sha256, int64_t bytes,
                               const char *content_type, int64_t now);
int sqlite_store_media_failed(struct store *st, int64_t id, int retry, const char *error, int64_t next_attempt_at,
                              int64_t now);
int sqlite_store_media_release(struct store *st, int64_t id, int64_t now);
int sqlite_store_media_case_recipients(struct store *st, int64_t case_id, struct store_media_recipient *out, int max);
int sqlite_store_outbox_recover(struct store *st, int64_t *n);
int sqlite_store_outbox_due(struct store *st, int64_t now, int limit, const int64_t *skip, size_t nskip,
                            struct store_send **rows, size_t *n);
int sqlite_store_outbox_due_open(struct store *st, int64_t now, int limit, const char *const *busy, size_t nbusy,
                                 const char *const *bulk, size_t nbulk, struct store_send **rows, size_t *n);
int sqlite_store_outbox_assign(struct store *st, int64_t id, const char *channel);
int sqlite_store_outbox_next_due(struct store *st, int64_t *at);
int sqlite_store_outbox_claim(struct store *st, int64_t id, const char *channel, int64_t now);
int sqlite_store_outbox_finish(struct store *st, int64_t id, const char *status, const char *provider_msg_id,
                               const char *error, int64_t next_attempt_at, int64_t now);
int sqlite_store_send_attempt(struct store *st, int64_t outbox_id, int attempt, const char *channel, long http,
                              const char *result, const char *provider_msg_id, const char *error, int64_t now);
int sqlite_store_outbox_receipt(struct store *st, const char *channel, const char *provider_msg_id, int64_t ref,
                                const char *status, const char *raw_status, const char *error, int64_t now,
                                char *recipient);
int sqlite_store_receipts_expire(struct store *st, int64_t before);
int sqlite_store_part_insert(struct store *st, const struct gw_msg *m, int64_t now);
int sqlite_store_part_assemble(struct store *st, const char *channel, const char *sender, const char *ref, int total,
                               int64_t stale_before, struct gw_msg *whole);
int sqlite_store_part_done(struct store *st, const char *channel, const char *sender, const char *ref,
                           int64_t inbox_id);
int sqlite_store_part_stale(struct store *st, int64_t stale_before,
                            void (*fn)(void *arg, const char *channel, const char *sender, const char *ref, int total),
                            void *arg);
int sqlite_db_ussd_get(struct store *st, const char *channel, const char *session_id, struct db_ussd_session *out);
int sqlite_db_ussd_put(struct store *st, const char *channel, const char *session_id, const char *service_code,
                       const struct db_ussd_session *s, int64_t now);
int sqlite_db_case_attach_child(struct store *st, int64_t case_id, const struct db_child *child);
int sqlite_db_case_attach_description(struct store *st, int64_t case_id, const char *desc);
int sqlite_db_call_get(struct store *st, const char *channel, const char *call_id, struct db_call *out);
int sqlite_db_call_start(struct store *st, const char *channel, const char *call_id, const char *caller,
                         const char *callee, int64_t now, int64_t *id);
int sqlite_db_call_save(struct store *st, const struct db_call *c, int64_t now);
int sqlite_db_call_end(struct store *st, int64_t id, const char *status, long duration, int64_t now);
int sqlite_store_region_find(struct store *st, const char *path, int64_t *id, int *level);
int sqlite_store_region_insert(struct store *st, int64_t parent_id, const char *name, const char *path, int level,
                               int64_t *id);
int sqlite_store_staff_upsert(struct store *st, const struct store_staff_row *r, int64_t now);
int sqlite_store_child_id(struct store *st, const char *code, int64_t *id);
int sqlite_store_guardian_upsert(struct store *st, const struct store_guardian_row *r, int64_t now);
int sqlite_store_export_visits(struct store *st, const char *from_day, const char *to_day,
                               int (*fn)(void *arg, const struct store_visit_rec *r), void *arg);
int sqlite_store_export_checkins(struct store *st, int64_t from, int64_t until,
                                 int (*fn)(void *arg, const struct store_checkin_rec *r), void *arg);
int sqlite_store_export_cases(struct store *st, int64_t from, int64_t until,
                              int (*fn)(void *arg, const struct store_case_rec *r), void *arg);
int sqlite_store_export_outbox(struct store *st, int64_t from, int64_t until,
                               int (*fn)(void *arg, const struct store_outbox_rec *r), void *arg);
int sqlite_store_read_begin(struct store *st);
int sqlite_store_read_end(struct store *st, int began);
int sqlite_store_regions_each(struct store *st, int (*fn)(void *arg, const struct store_region_rec *r), void *arg);
int sqlite_store_children_each(struct store *st, const char *today,
                               int (*fn)(void *arg, const struct store_child_rec *r), void *arg);
int sqlite_store_directors_each(struct store *st, int (*fn)(void *arg, int64_t region_id, long directors), void *arg);
int sqlite_store_away_links_each(struct store *st, int64_t from, int64_t until,
                                 int (*fn)(void *arg, const struct store_away_rec *r), void *arg);
int sqlite_store_cases_brief_each(struct store *st, int64_t from, int64_t until,
                                  int (*fn)(void *arg, const struct store_case_brief *r), void *arg);
int sqlite_db_child_by_name(struct store *st, const char *name, const char *under, struct db_child *out);
int sqlite_db_child_named_in(struct store *st, const char *text, const char *under, struct db_child *out);
int sqlite_store_audit_append(struct store *st, const struct store_audit_row *r);
int sqlite_store_audit_last(struct store *st, char *hash, int64_t *id);
int sqlite_store_audit_each(struct store *st, int64_t from_id, int (*fn)(void *arg, const struct store_audit_row *r),
                            void *arg);
int sqlite_store_token_insert(struct store *st, const struct store_token_row *r, int64_t now, int64_t *id);
int sqlite_store_token_by_hash(struct store *st, const char *hash, struct store_token_row *out);
int sqlite_store_token_revoke(struct store *st, const char *name, int64_t now);
int sqlite_store_token_touch(struct store *st, int64_t id, int64_t now);
int sqlite_store_tokens_each(struct store *st, int (*fn)(void *arg, const struct store_token_row *r), void *arg);
int sqlite_db_cases_list(struct store *st, const struct db_case_query *q,
                         int (*fn)(void *arg, const struct db_case_row *c), void *arg);
int sqlite_db_case_get(struct store *st, const struct db_case_scope *scope, const char *number, int64_t ack_p0,
                       int64_t ack_p1, struct db_case_detail *out);
int sqlite_db_case_events_list(struct store *st, int64_t case_id,
                               int (*fn)(void *arg, const struct db_case_event_row *e), void *arg);
int sqlite_db_case_media_list(struct store *st, int64_t case_id,
                              int (*fn)(void *arg, const struct db_case_media_row *m), void *arg);
int sqlite_store_files_children_each(struct store *st, const char *under, const char *q, const char *after, int limit,
                                     const char *today, int (*fn)(void *arg, const struct store_file_child *r),
                                     void *arg);
int sqlite_store_files_child(struct store *st, const char *code, const char *under, const char *today,
                             int (*fn)(void *arg, const struct store_file_child *r), void *arg);
int sqlite_store_files_guardians_each(struct store *st, int64_t child_id,
                                      int (*fn)(void *arg, const struct store_file_guardian *r), void *arg);
int sqlite_store_files_visits_each(struct store *st, int64_t child_id,
                                   int (*fn)(void *arg, const struct store_file_visit *r), void *arg);
int sqlite_store_files_checkins_each(struct store *st, int64_t child_id,
                                     int (*fn)(void *arg, const struct store_file_checkin *r), void *arg);
int sqlite_store_files_cases_each(struct store *st, int64_t child_id,
                                  int (*fn)(void *arg, const struct store_file_case *r), void *arg);
int sqlite_store_files_messages_each(struct store *st, int64_t child_id,
                                     int (*fn)(void *arg, const struct store_file_message *r), void *arg);
int sqlite_store_login_code_insert(struct store *st, const struct store_login_code_row *r, int64_t *id);
int sqlite_store_login_code_counts(struct store *st, const char *phone, const char *client, int64_t since,
                                   struct store_login_counts *out);
int sqlite_store_login_code_last(struct store *st, const char *phone, struct store_login_code_row *out);
int sqlite_store_login_code_try(struct store *st, int64_t id);
int sqlite_store_login_code_use(struct store *st, int64_t id, int64_t now);
int sqlite_store_session_insert(struct store *st, const struct store_session_row *r, int64_t *id);
int sqlite_store_session_by_hash(struct store *st, const char *hash, struct store_session_row *out);
int sqlite_store_session_touch(struct store *st, int64_t id, int64_t now);
int sqlite_store_session_end(struct store *st, const char *hash, int64_t now);
int sqlite_store_sign_in_purge(struct store *st, int64_t codes_before, int64_t sessions_before);
int sqlite_db_case_assign(struct store *st, int64_t case_id, const char *const *depts, int ndepts, int64_t staff_id,
                          const char *detail, int64_t now);
int sqlite_store_report_children_each(struct store *st, int64_t until,
                                      int (*fn)(void *arg, const struct store_report_child *c), void *arg);
int sqlite_store_report_visits_each(struct store *st, const char *from_date, const char *to_date,
                                    int (*fn)(void *arg, const struct store_report_visit *v), void *arg);
int sqlite_store_report_checkins_each(struct store *st, int64_t from, int64_t until,
                                      int (*fn)(void *arg, int64_t guardian_id, int64_t child_id), void *arg);
int sqlite_store_report_away_each(struct store *st, int64_t until,
                                  int (*fn)(void *arg, int64_t guardian_id, int64_t child_id), void *arg);
int sqlite_store_report_cases_each(struct store *st, int64_t from, int64_t until,
                                   int (*fn)(void *arg, const struct store_report_case *c), void *arg);
int sqlite_store_report_directors_each(struct store *st, int64_t until,
                                       int (*fn)(void *arg, int64_t region_id, long directors), void *arg);
int sqlite_store_child_records_each(struct store *st, const char *code,
                                    int (*fn)(void *arg, const struct store_child_record *r), void *arg);
int sqlite_store_retention_count(struct store *st, int64_t reporter_before, int64_t message_before,
                                 struct store_purge_counts *out);
int sqlite_store_retention_purge(struct store *st, int64_t reporter_before, int64_t message_before, int64_t now,
                                 struct store_purge_counts *out);
int sqlite_store_retention_scrub(struct store *st);
int sqlite_store_child_upsert(struct store *st, const struct store_child_row *r, int64_t now);
int sqlite_store_child_sealed_id(struct store *st, const char *code, char *out, size_t outlen);
int sqlite_store_child_set(struct store *st, int64_t child_id, const char *field, const char *value, const char *source,
                           int64_t now);
int sqlite_store_children_export(struct store *st, int (*fn)(void *arg, const struct store_child_export_rec *r),
                                 void *arg);
int sqlite_store_child_changes_each(struct store *st, const char *code,
                                    int (*fn)(void *arg, const struct store_child_change_rec *r), void *arg);
int sqlite_store_broadcast_insert(struct store *st, const char *tmpl, const char *vars_json, const char *audience,
                                  int64_t created_by, int64_t now, int64_t *id);
int sqlite_store_broadcast_get(struct store *st, int64_t id, struct store_broadcast *out);
int sqlite_store_broadcasts_each(struct store *st, int (*fn)(void *arg, const struct store_broadcast *b), void *arg);
int sqlite_store_broadcast_approve(struct store *st, int64_t id, int64_t approved_by, int64_t recipients,
                                   int64_t opted_out, int64_t now);
int sqlite_store_broadcast_cancel(struct store *st, int64_t id, int64_t now, int64_t *unsent);
int sqlite_store_audience_each(struct store *st, enum store_audience who, const char *category, const char *under,
                               int (*fn)(void *arg, const char *phone), void *arg);
int sqlite_store_broadcast_queue(struct store *st, const struct store_broadcast_msg *m, int64_t now, int64_t *id);
int sqlite_store_broadcast_progress(struct store *st, int64_t id, struct store_broadcast_progress *out);
/* END generated by db/gen_store_ops.py */

#endif
