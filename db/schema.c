/* db/schema.c - the schema and its migrations.
 *
 * Migrations are an append-only list: migration i brings the schema from
 * version i to i+1 and runs in its own transaction with the version bump.
 * Never edit a migration that has shipped; add the next one.
 *
 * Phone numbers are E.164 text. Times are unix seconds (UTC); calendar
 * dates (visit_date, birth_date) are 'YYYY-MM-DD' in the policy time zone.
 * Reporters live apart from cases: a case holds only reporter_id.
 */
#include "schema.h"

/* One SQL line per source line, its comment aligned beside it. */
/* clang-format off */
static const char *const migrations[] = {
    /* 1: the foundation */
    "CREATE TABLE region ("
    "  id INTEGER PRIMARY KEY,"
    "  parent_id INTEGER REFERENCES region(id),"
    "  name TEXT NOT NULL,"
    "  path TEXT NOT NULL UNIQUE,"        /* 县/镇/村 */
    "  level INTEGER NOT NULL"            /* 1 county, 2 town, 3 village */
    ");"
    "CREATE INDEX region_parent ON region(parent_id);"
    "CREATE TABLE staff ("
    "  id INTEGER PRIMARY KEY,"
    "  phone TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('director','supervisor','responder','admin')),"
    "  region_id INTEGER NOT NULL REFERENCES region(id),"
    "  department TEXT,"                  /* responders: police|civil_affairs|education|health|cyberspace|women|youth */
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX staff_region ON staff(region_id);"
    "CREATE TABLE child ("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL UNIQUE,"        /* 7 digits, Damm-checked */
    "  name TEXT NOT NULL,"
    "  sex TEXT NOT NULL CHECK (sex IN ('M','F')),"
    "  birth_date TEXT NOT NULL,"
    "  region_id INTEGER NOT NULL REFERENCES region(id),"
    "  categories TEXT NOT NULL,"         /* left_behind|difficulty|orphan|unsupported */
    "  flags TEXT NOT NULL DEFAULT '',"   /* parent_disabled|child_disabled|psych */
    "  high_cadence INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX child_region ON child(region_id);"
    "CREATE TABLE guardian ("
    "  id INTEGER PRIMARY KEY,"
    "  phone TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE TABLE guardian_child ("
    "  guardian_id INTEGER NOT NULL REFERENCES guardian(id),"
    "  child_id INTEGER NOT NULL REFERENCES child(id),"
    "  relation TEXT NOT NULL,"
    "  away INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (guardian_id, child_id)"
    ");"
    "CREATE INDEX guardian_child_child ON guardian_child(child_id);"
    "CREATE TABLE inbox ("
    "  id INTEGER PRIMARY KEY,"
    "  channel TEXT NOT NULL,"
    "  provider_id TEXT NOT NULL,"
    "  sender TEXT NOT NULL,"
    "  recipient TEXT,"
    "  raw_text TEXT NOT NULL,"
    "  norm_text TEXT NOT NULL,"
    "  intent TEXT,"
    "  result TEXT,"
    "  detail TEXT,"
    "  received_at INTEGER NOT NULL,"
    "  stored_at INTEGER NOT NULL,"
    "  UNIQUE (channel, provider_id)"
    ");"
    "CREATE INDEX inbox_sender ON inbox(sender, received_at);"
    "CREATE TABLE visit ("
    "  id INTEGER PRIMARY KEY,"
    "  child_id INTEGER NOT NULL REFERENCES child(id),"
    "  staff_id INTEGER NOT NULL REFERENCES staff(id),"
    "  visit_date TEXT NOT NULL,"
    "  result INTEGER NOT NULL CHECK (result BETWEEN 1 AND 4),"
    "  problems TEXT NOT NULL DEFAULT '',"  /* JH|XL|... */
    "  note TEXT,"
    "  inbox_id INTEGER REFERENCES inbox(id),"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX visit_child ON visit(child_id, visit_date);"
    "CREATE TABLE checkin ("
    "  id INTEGER PRIMARY KEY,"
    "  guardian_id INTEGER NOT NULL REFERENCES guardian(id),"
    "  child_id INTEGER NOT NULL REFERENCES child(id),"
    "  status INTEGER NOT NULL CHECK (status BETWEEN 1 AND 4),"
    "  return_date TEXT,"
    "  note TEXT,"
    "  inbox_id INTEGER REFERENCES inbox(id),"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX checkin_child ON checkin(child_id, created_at);"
    "CREATE INDEX checkin_guardian ON checkin(guardian_id, created_at);"
    "CREATE TABLE reporter ("
    "  id INTEGER PRIMARY KEY,"
    "  phone TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE TABLE cases ("
    "  id INTEGER PRIMARY KEY,"
    "  number TEXT NOT NULL UNIQUE,"      /* YYMMDD + 4-digit daily sequence */
    "  category INTEGER NOT NULL CHECK (category BETWEEN 1 AND 9),"
    "  classified INTEGER NOT NULL DEFAULT 1," /* 0: no category named (free text, BG without one) */
    "  priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 3),"
    "  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','acknowledged','closed')),"
    "  child_id INTEGER REFERENCES child(id),"
    "  county_id INTEGER REFERENCES region(id),"          /* NULL: no county known yet; an admin routes it */
    "  region_id INTEGER REFERENCES region(id),"          /* most precise region known, or NULL */
    "  description TEXT,"
    "  reporter_id INTEGER REFERENCES reporter(id),"
    "  inbox_id INTEGER REFERENCES inbox(id),"
    "  opened_at INTEGER NOT NULL,"
    "  acked_at INTEGER,"
    "  acked_by INTEGER REFERENCES staff(id),"
    "  closed_at INTEGER,"
    "  closed_by INTEGER REFERENCES staff(id),"
    "  outcome INTEGER CHECK (outcome BETWEEN 1 AND 4),"
    "  outcome_note TEXT"
    ");"
    "CREATE INDEX cases_status ON cases(status, priority);"
    "CREATE INDEX cases_child ON cases(child_id);"
    "CREATE INDEX cases_county ON cases(county_id, status);"
    "CREATE INDEX cases_reporter ON cases(reporter_id);"
    "CREATE TABLE case_dept ("
    "  case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  department TEXT NOT NULL,"
    "  PRIMARY KEY (case_id, department)"
    ");"
    "CREATE TABLE case_event ("
    "  id INTEGER PRIMARY KEY,"
    "  case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  at INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"               /* opened|acknowledged|closed|status_query|... */
    "  staff_id INTEGER REFERENCES staff(id),"
    "  detail TEXT"
    ");"
    "CREATE INDEX case_event_case ON case_event(case_id, at);"
    "CREATE TABLE case_seq ("
    "  day TEXT PRIMARY KEY,"             /* YYMMDD */
    "  seq INTEGER NOT NULL"
    ");"
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  channel TEXT,"
    "  recipient TEXT NOT NULL,"
    "  template TEXT NOT NULL,"
    "  vars TEXT NOT NULL DEFAULT '{}',"
    "  body TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  priority INTEGER NOT NULL DEFAULT 1,"
    "  status TEXT NOT NULL DEFAULT 'queued',"
    "  inbox_id INTEGER REFERENCES inbox(id),"
    "  case_id INTEGER REFERENCES cases(id),"
    "  dedupe_key TEXT UNIQUE,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at INTEGER NOT NULL DEFAULT 0,"
    "  provider_msg_id TEXT,"
    "  last_error TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX outbox_pending ON outbox(status, priority, next_attempt_at);"
    "CREATE INDEX outbox_inbox ON outbox(inbox_id);"
    "CREATE TABLE opt_out ("
    "  phone TEXT PRIMARY KEY,"
    "  at INTEGER NOT NULL,"
    "  channel TEXT"
    ");",
    /* 2: delivery: attempts, receipts that arrive before the send returns */
    "ALTER TABLE outbox ADD COLUMN sent_at INTEGER;"
    "ALTER TABLE outbox ADD COLUMN done_at INTEGER;"
    "CREATE INDEX outbox_provider ON outbox(channel, provider_msg_id);"
    "CREATE TABLE send_attempt ("
    "  id INTEGER PRIMARY KEY,"
    "  outbox_id INTEGER NOT NULL REFERENCES outbox(id),"
    "  attempt INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  channel TEXT NOT NULL,"
    "  http_status INTEGER,"
    "  result TEXT NOT NULL,"             /* ok|retry|failed */
    "  provider_msg_id TEXT,"
    "  error TEXT"
    ");"
    "CREATE INDEX send_attempt_outbox ON send_attempt(outbox_id);"
    "CREATE TABLE receipt_pending ("
    "  id INTEGER PRIMARY KEY,"
    "  channel TEXT NOT NULL,"
    "  provider_msg_id TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  raw_status TEXT,"
    "  error TEXT,"
    "  received_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX receipt_pending_msg ON receipt_pending(channel, provider_msg_id);",
    /* 3: parts of concatenated SMS the provider delivers one by one */
    "CREATE TABLE sms_part ("
    "  id INTEGER PRIMARY KEY,"
    "  channel TEXT NOT NULL,"
    "  provider_id TEXT NOT NULL,"
    "  sender TEXT NOT NULL,"
    "  recipient TEXT,"
    "  ref TEXT NOT NULL,"
    "  total INTEGER NOT NULL,"
    "  part INTEGER NOT NULL,"
    "  text TEXT NOT NULL,"
    "  received_at INTEGER NOT NULL,"
    "  inbox_id INTEGER REFERENCES inbox(id),"   /* the whole message, once assembled */
    "  UNIQUE (channel, provider_id)"
    ");"
    "CREATE INDEX sms_part_group ON sms_part(channel, sender, ref, inbox_id);",
    /* 4: no index on the inbox by sender: nothing reads it that way, and on
     * the hot path it costs a scattered page write per message. */
    "DROP INDEX inbox_sender;",
    /* 5: USSD sessions, voice calls and their recordings */
    "CREATE TABLE ussd_session ("
    "  id INTEGER PRIMARY KEY,"
    "  channel TEXT NOT NULL,"
    "  session_id TEXT NOT NULL,"
    "  phone TEXT NOT NULL,"              /* E.164 */
    "  service_code TEXT,"
    "  state TEXT NOT NULL DEFAULT '',"   /* the flow's own state (handlers/ussd.c) */
    "  last_text TEXT,"                   /* the provider's `text` of the last step answered */
    "  last_screen TEXT,"                 /* what that step answered, for a retried step */
    "  last_end INTEGER NOT NULL DEFAULT 0," /* 1: the last answer was END */
    "  case_id INTEGER REFERENCES cases(id),"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (channel, session_id)"
    ");"
    "CREATE TABLE call ("
    "  id INTEGER PRIMARY KEY,"
    "  channel TEXT NOT NULL,"
    "  call_id TEXT NOT NULL,"            /* CallSid / sessionId */
    "  caller TEXT NOT NULL,"             /* E.164 */
    "  callee TEXT,"
    "  path TEXT NOT NULL DEFAULT '',"    /* the steps taken, e.g. menu>report_cat>report_rec */
    "  state TEXT NOT NULL DEFAULT '',"   /* the flow's own state (handlers/voice.c) */
    "  last_step TEXT,"
    "  last_key TEXT,"                    /* step + digits of the last request, for a retried step */
    "  last_doc TEXT,"                    /* what that request answered */
    "  case_id INTEGER REFERENCES cases(id),"
    "  started_at INTEGER NOT NULL,"
    "  ended_at INTEGER,"
    "  duration INTEGER,"                 /* seconds, from the provider's final callback */
    "  final_status TEXT,"                /* completed, busy, no-answer, ... */
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (channel, call_id)"
    ");"
    "CREATE TABLE media ("
    "  id INTEGER PRIMARY KEY,"
    "  channel TEXT NOT NULL,"
    "  case_id INTEGER REFERENCES cases(id),"
    "  call_row_id INTEGER REFERENCES call(id),"
    "  url TEXT NOT NULL,"                /* kept until fetched, whatever happens */
    "  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','fetching','fetched','failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at INTEGER NOT NULL DEFAULT 0,"
    "  path TEXT,"                        /* file in the media folder once fetched */
    "  sha256 TEXT,"
    "  bytes INTEGER,"
    "  content_type TEXT,"
    "  duration INTEGER,"                 /* seconds, as the provider reported */
    "  last_error TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (channel, url)"
    ");"
    "CREATE INDEX media_due ON media(status, next_attempt_at);"
    "CREATE INDEX media_case ON media(case_id);",
    /* 6: who was told about a case (recording notices, re-alerts) */
    "CREATE INDEX outbox_case ON outbox(case_id) WHERE case_id IS NOT NULL;",
    /* 7: one row the health check rewrites, to prove a transaction can commit */
    "CREATE TABLE health ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  checked_at INTEGER NOT NULL"
    ");",
    /* 8: one number's flood of reports: each report still opens its case,
     * but beyond [policy] flood_reports in flood_window its alerts are held
     * and summarised (handlers/report.c); the reporter's recent cases are
     * counted on every report */
    "ALTER TABLE cases ADD COLUMN flood_of INTEGER REFERENCES cases(id);" /* held: the first held case of its run (itself for that one); NULL: alerted as usual */
    "CREATE INDEX cases_reporter_opened ON cases(reporter_id, opened_at);",
    /* 9: reminders are digests (handlers/jobs.c): one SMS per recipient and day
     * lists children, and each child (or silent parent) it covered is an
     * item under its period's key, so "one reminder per child per period"
     * still holds; the per-child reminders already sent count as covered */
    "CREATE TABLE digest_item ("
    "  key TEXT PRIMARY KEY,"             /* visit_due:<code>:<due>:<phone> | visit_overdue:... | checkin_silent:<guardian id>:<since>:<phone> */
    "  recipient TEXT NOT NULL,"          /* E.164 */
    "  digest TEXT NOT NULL,"             /* dedupe key of the outbox row that carried it */
    "  at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "INSERT OR IGNORE INTO digest_item(key, recipient, digest, at) SELECT dedupe_key, recipient, dedupe_key, created_at "
    "  FROM outbox WHERE dedupe_key LIKE 'visit\\_due:%' ESCAPE '\\' OR dedupe_key LIKE 'visit\\_overdue:%' ESCAPE '\\' "
    "  OR dedupe_key LIKE 'checkin\\_silent:%' ESCAPE '\\';",
    /* danger words: a case whose category and priority were read from the
     * words of a report or free text (handlers/lexicon.h), not named */
    "ALTER TABLE cases ADD COLUMN inferred INTEGER NOT NULL DEFAULT 0;", /* 1: inferred (classified is 1 too); the 'opened' event names the phrase */
    /* children named instead of coded (ZF 张小明 1): an exact name within a region */
    "CREATE INDEX child_name ON child(name);",
    /* 12: the office side: the audit trail of every read of personal data
     * and every write through the API, each row chained to the one before
     * by its hash (core/store_audit.h); and the bearer tokens integrations
     * use, stored hashed (core/store_token.h) */
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  at INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"              /* who: "token:<name>", "staff:<id>", "cli" */
    "  role TEXT NOT NULL,"               /* their role then */
    "  client TEXT NOT NULL,"             /* client address, or "cli" */
    "  action TEXT NOT NULL,"             /* what: "export children", "read child", "case ack", ... */
    "  records TEXT NOT NULL,"            /* record ids: "child:1000015 case:2403140001", "" when none */
    "  purpose TEXT NOT NULL,"            /* the purpose chosen when opening a file, "" when none */
    "  prev TEXT NOT NULL,"               /* hash of the row before (64 zeros for the first) */
    "  hash TEXT NOT NULL"                /* SHA-256 over prev and this row's fields */
    ");"
    "CREATE TABLE api_token ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL CHECK (role IN ('admin','county','supervisor','responder','director','auditor')),"
    "  region_id INTEGER REFERENCES region(id)," /* scope; NULL: everywhere (admin, auditor) */
    "  department TEXT,"                  /* responders: their department */
    "  hash TEXT NOT NULL UNIQUE,"        /* SHA-256 of the token; the token itself is never stored */
    "  created_at INTEGER NOT NULL,"
    "  revoked_at INTEGER,"
    "  last_used_at INTEGER"
    ");",
    /* 13: staff sign in without passwords (handlers/session.h): a one-time
     * code sent by SMS to the phone the roster registered, stored hashed;
     * every request is a row (hash '' when the phone is no staff member's),
     * so the rate limits count both alike; and the sessions it opens,
     * known by the SHA-256 of their cookie */
    "CREATE TABLE login_code ("
    "  id INTEGER PRIMARY KEY,"
    "  phone TEXT NOT NULL,"              /* E.164, as asked for */
    "  hash TEXT NOT NULL,"               /* <salt hex>$<SHA-256 hex of salt and code>; '' when no code was sent */
    "  client TEXT NOT NULL,"             /* client address of the request */
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  tries INTEGER NOT NULL DEFAULT 0," /* wrong codes tried against it */
    "  used_at INTEGER"                   /* signed in with it; NULL: not used */
    ");"
    "CREATE INDEX login_code_phone ON login_code(phone, created_at);"
    "CREATE INDEX login_code_client ON login_code(client, created_at);"
    "CREATE TABLE session ("
    "  id INTEGER PRIMARY KEY,"
    "  hash TEXT NOT NULL UNIQUE,"        /* SHA-256 of the cookie; the cookie itself is never stored */
    "  staff_id INTEGER NOT NULL REFERENCES staff(id),"
    "  csrf_hash TEXT NOT NULL,"          /* SHA-256 of its CSRF token */
    "  client TEXT NOT NULL,"             /* client address at sign-in */
    "  created_at INTEGER NOT NULL,"
    "  last_seen_at INTEGER NOT NULL,"    /* idle expiry counts from here */
    "  expires_at INTEGER NOT NULL,"      /* absolute expiry */
    "  ended_at INTEGER"                  /* logged out; NULL: not ended */
    ");",
    /* 14: the office roles in the roster: a county officer (county) and an
     * auditor (auditor) sign in to the dashboard like any staff member;
     * they have no SMS commands. The table is rebuilt to widen its CHECK
     * (the migration runs with foreign keys off and checks them after). */
    "CREATE TABLE staff_new ("
    "  id INTEGER PRIMARY KEY,"
    "  phone TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  role TEXT NOT NULL CHECK (role IN ('director','supervisor','responder','admin','county','auditor')),"
    "  region_id INTEGER NOT NULL REFERENCES region(id),"
    "  department TEXT,"
    "  created_at INTEGER NOT NULL"
    ");"
    "INSERT INTO staff_new(id, phone, name, role, region_id, department, created_at) "
    "  SELECT id, phone, name, role, region_id, department, created_at FROM staff;"
    "DROP TABLE staff;"
    "ALTER TABLE staff_new RENAME TO staff;"
    "CREATE INDEX staff_region ON staff(region_id);",
    /* 15: one child, one file: the fuller child record (all optional; the
     * national ID only encrypted, with its masked form for display), a log
     * of every change to a child's record (so a report over a past period
     * reads the record as it was then), broadcasts, and retention marks */
    "ALTER TABLE child ADD COLUMN id_number TEXT;"          /* encrypted (core/secret.h); NULL: none */
    "ALTER TABLE child ADD COLUMN id_masked TEXT;"          /* 210102********123X; NULL: none */
    "ALTER TABLE child ADD COLUMN hukou TEXT;"              /* household registration address */
    "ALTER TABLE child ADD COLUMN school TEXT;"
    "ALTER TABLE child ADD COLUMN carer_name TEXT;"         /* who cares for the child day to day */
    "ALTER TABLE child ADD COLUMN carer_phone TEXT;"        /* E.164 */
    "ALTER TABLE child ADD COLUMN carer_relation TEXT;"
    "ALTER TABLE child ADD COLUMN care_agreement INTEGER;"  /* 1 a written entrusted-care agreement, 0 none, NULL unknown */
    "ALTER TABLE child ADD COLUMN care_agreement_date TEXT;" /* YYYY-MM-DD */
    "ALTER TABLE child ADD COLUMN guardianship TEXT;"       /* a short assessment */
    "ALTER TABLE child ADD COLUMN updated_at INTEGER;"
    "CREATE TABLE child_change ("
    "  id INTEGER PRIMARY KEY,"
    "  child_id INTEGER NOT NULL REFERENCES child(id),"
    "  at INTEGER NOT NULL,"
    "  field TEXT NOT NULL,"              /* categories|flags|region_id|school|carer_name|... */
    "  old_value TEXT,"                   /* as stored before (id_number: never; '' marks a change) */
    "  new_value TEXT,"
    "  source TEXT NOT NULL"              /* import|sms|api */
    ");"
    "CREATE INDEX child_change_child ON child_change(child_id, at);"
    "CREATE TABLE broadcast ("
    "  id INTEGER PRIMARY KEY,"
    "  template TEXT NOT NULL,"           /* an outbound template's name */
    "  vars TEXT NOT NULL DEFAULT '{}',"  /* its variables, JSON */
    "  audience TEXT NOT NULL,"           /* directors:<region path>|away_parents:<path>|guardians:<category>:<path> */
    "  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','approved','cancelled')),"
    "  created_by INTEGER NOT NULL REFERENCES staff(id),"
    "  created_at INTEGER NOT NULL,"
    "  approved_by INTEGER REFERENCES staff(id),"  /* never the one who created it */
    "  approved_at INTEGER,"
    "  cancelled_at INTEGER,"
    "  recipients INTEGER,"               /* queued when approved */
    "  opted_out INTEGER"                 /* left out: opted out */
    ");"
    "ALTER TABLE outbox ADD COLUMN broadcast_id INTEGER REFERENCES broadcast(id);"
    "CREATE INDEX outbox_broadcast ON outbox(broadcast_id);"
    "ALTER TABLE cases ADD COLUMN reporter_purged_at INTEGER;"  /* retention: the reporter's contact removed */
    "ALTER TABLE inbox ADD COLUMN purged_at INTEGER;"           /* retention: the text and sender anonymised */
    "ALTER TABLE outbox ADD COLUMN purged_at INTEGER;",         /* retention: the body and recipient anonymised */
    /* 16: who has a send or a fetch on the wire (several gateways on one
     * PostgreSQL store; a SQLite file has one process and leaves it NULL) */
    "ALTER TABLE outbox ADD COLUMN claimed_by INTEGER;"
    "ALTER TABLE media ADD COLUMN claimed_by INTEGER;",
    /* 17: outbox indexes that hold only the rows that need them: a new row
     * has no provider id (it gets one when sent) and is seldom part of a
     * broadcast, so storing it touches two indexes fewer */
    "DROP INDEX outbox_provider;"
    "CREATE INDEX outbox_provider ON outbox(channel, provider_msg_id) WHERE provider_msg_id IS NOT NULL;"
    "DROP INDEX outbox_broadcast;"
    "CREATE INDEX outbox_broadcast ON outbox(broadcast_id) WHERE broadcast_id IS NOT NULL;"
    /* the queue as the sender reads it, channel by channel, most urgent
     * first, oldest first: only queued rows, so a read stops after the
     * rows it takes however many were sent before or wait for a busy
     * channel; and the rows on the wire, by channel */
    "DROP INDEX outbox_pending;"
    "CREATE INDEX outbox_due ON outbox(channel, priority, id, next_attempt_at, kind) WHERE status = 'queued';"
    "CREATE INDEX outbox_sending ON outbox(channel) WHERE status = 'sending';"
    /* a case's reporter: cases_reporter_opened (reporter_id, opened_at)
     * serves every look-up by reporter, one index fewer per case */
    "DROP INDEX cases_reporter;",
    /* 18: fewer index entries per outbox row. Reminders, re-alerts and
     * broadcasts carry a dedupe key, replies do not; a UNIQUE column
     * indexed every NULL too, so the unique index now holds only the rows
     * with a key. SQLite cannot drop a column constraint's index, so the
     * table is rebuilt (with foreign keys off and checked after, as for 14).
     * outbox_inbox goes: no query of the running gateway reads replies by
     * their message (`gateway sms` reads only the rows written since it
     * handled its message). */
    "CREATE TABLE outbox_new ("
    "  id INTEGER PRIMARY KEY,"
    "  channel TEXT,"
    "  recipient TEXT NOT NULL,"
    "  template TEXT NOT NULL,"
    "  vars TEXT NOT NULL DEFAULT '{}',"
    "  body TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  priority INTEGER NOT NULL DEFAULT 1,"
    "  status TEXT NOT NULL DEFAULT 'queued',"
    "  inbox_id INTEGER REFERENCES inbox(id),"
    "  case_id INTEGER REFERENCES cases(id),"
    "  dedupe_key TEXT,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at INTEGER NOT NULL DEFAULT 0,"
    "  provider_msg_id TEXT,"
    "  last_error TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  sent_at INTEGER,"
    "  done_at INTEGER,"
    "  broadcast_id INTEGER REFERENCES broadcast(id),"
    "  purged_at INTEGER,"
    "  claimed_by INTEGER"
    ");"
    "INSERT INTO outbox_new(id, channel, recipient, template, vars, body, kind, priority, status, inbox_id, case_id, dedupe_key, attempts, next_attempt_at, provider_msg_id, last_error, created_at, updated_at, sent_at, done_at, broadcast_id, purged_at, claimed_by) "
    "  SELECT id, channel, recipient, template, vars, body, kind, priority, status, inbox_id, case_id, dedupe_key, attempts, next_attempt_at, provider_msg_id, last_error, created_at, updated_at, sent_at, done_at, broadcast_id, purged_at, claimed_by FROM outbox;"
    "DROP TABLE outbox;"
    "ALTER TABLE outbox_new RENAME TO outbox;"
    "CREATE UNIQUE INDEX outbox_dedupe ON outbox(dedupe_key) WHERE dedupe_key IS NOT NULL;"
    "CREATE INDEX outbox_case ON outbox(case_id) WHERE case_id IS NOT NULL;"
    "CREATE INDEX outbox_provider ON outbox(channel, provider_msg_id) WHERE provider_msg_id IS NOT NULL;"
    "CREATE INDEX outbox_broadcast ON outbox(broadcast_id) WHERE broadcast_id IS NOT NULL;"
    "CREATE INDEX outbox_due ON outbox(channel, priority, id, next_attempt_at, kind) WHERE status = 'queued';"
    "CREATE INDEX outbox_sending ON outbox(channel) WHERE status = 'sending';",
};

/* clang-format on */

int schema_count(void) { return (int)(sizeof migrations / sizeof migrations[0]); }

const char *schema_migration(int i) { return i >= 0 && i < schema_count() ? migrations[i] : 0; }
