#!/usr/bin/env bash
# tests/bench/grow.sh - grows a bench store (SQLite) to about TARGET stored
# messages in seconds, for `make bench`'s large-store run.
# Usage: grow.sh DB TARGET   (no process may have DB open meanwhile)
# Prints: copies=K messages=N seconds=S
#
# The messages already stored (a bench run's) are the pattern: K copies of
# them and of every row they left -- visits, check-ins, reporters, cases
# with their departments and events, replies and alerts, send attempts --
# are inserted in one transaction with new ids (foreign keys point into the
# same copy), unique provider ids, phones, case numbers, dedupe keys and
# provider message ids, and times spread over the year before the day of
# the first stored message (copy k in the k-th slice of the year, each row
# placed by its message's position in the pattern). Replies that were still
# queued are copied as sent, and the copies' cases as acknowledged and
# closed, as a year-old store's would be; each day's case_seq covers the
# copies' case numbers. Columns it does not know are copied as they are,
# so a schema that gains a column still grows.
set -eu
db=$1
target=$2
t0=$(date +%s.%N)
q() { sqlite3 "$db" "$1"; }

n=$(q 'SELECT count(*) FROM inbox')
[ "$n" -gt 0 ] || { echo "grow: $db holds no messages to copy" >&2; exit 1; }
copies=$(( (target - n + n / 2) / n ))
if [ "$copies" -lt 1 ]; then
    echo "copies=0 messages=$n seconds=0.0"
    exit 0
fi
# Id offsets: copy k adds k * (the table's largest id + 1).
off() { q "SELECT coalesce(max(id), 0) + 1 FROM $1"; }
off_inbox=$(off inbox) off_visit=$(off visit) off_checkin=$(off checkin) off_reporter=$(off reporter)
off_cases=$(off cases) off_case_event=$(off case_event) off_outbox=$(off outbox) off_send_attempt=$(off send_attempt)
# The year before the local (UTC+8) day of the first message, in slices.
first=$(q 'SELECT min(received_at) FROM inbox')
end=$(( (first + 8 * 3600) / 86400 * 86400 - 8 * 3600 - 1 ))
span=$(( 365 * 86400 / copies ))
staff=$(q 'SELECT min(id) FROM staff')

# The new time of a row of copy k whose message sits at position $1 of
# $off_inbox in the pattern; and the shift of the row's times ($2: the
# column the position's time replaces).
newtime() { echo "($end - ($copies - k + 1) * $span + ($1) * $span / $off_inbox)"; }
shift_of() { echo "($(newtime "$1") - T.$2)"; }

# INSERT INTO $1 SELECT each column of $1 from the pattern row T of copy k:
# as it is, or by the expression given as "column=expression" in $2...
copy_table() {
    local t=$1 c names="" exprs=""
    shift
    declare -A set=()
    local kv
    for kv in "$@"; do set[${kv%%=*}]=${kv#*=}; done
    for c in $(q "SELECT name FROM pragma_table_info('$t') ORDER BY cid"); do
        names+="${names:+, }$c"
        exprs+="${exprs:+, }${set[$c]:-T.$c}"
    done
    echo "INSERT INTO $t ($names) SELECT $exprs FROM copies CROSS JOIN temp.base_$t T;"
}

d=$(shift_of T.id received_at)
sql="PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; PRAGMA temp_store=MEMORY;
BEGIN;
CREATE TEMP TABLE copies(k INTEGER PRIMARY KEY);
WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < $copies) INSERT INTO copies SELECT k FROM c;"
for t in inbox visit checkin reporter cases case_dept case_event outbox send_attempt; do
    sql+="CREATE TEMP TABLE base_$t AS SELECT * FROM main.$t;"
done
sql+=$(copy_table inbox "id=T.id + k * $off_inbox" "provider_id=T.provider_id || '~' || k" \
    "received_at=T.received_at + $d" "stored_at=T.stored_at + $d")
d=$(shift_of T.inbox_id created_at)
sql+=$(copy_table visit "id=T.id + k * $off_visit" "inbox_id=T.inbox_id + k * $off_inbox" \
    "created_at=T.created_at + $d" "visit_date=date(T.created_at + $d, 'unixepoch', '+8 hours')")
sql+=$(copy_table checkin "id=T.id + k * $off_checkin" "inbox_id=T.inbox_id + k * $off_inbox" \
    "created_at=T.created_at + $d")
d=$(shift_of "T.id * $off_inbox / $off_reporter" created_at)
sql+=$(copy_table reporter "id=T.id + k * $off_reporter" "phone=printf('+86135%08d', T.id + k * $off_reporter)" \
    "created_at=T.created_at + $d")
d=$(shift_of "coalesce(T.inbox_id, T.id * $off_inbox / $off_cases)" opened_at)
day="substr(strftime('%Y%m%d', T.opened_at + $d, 'unixepoch', '+8 hours'), 3)"
sql+=$(copy_table cases "id=T.id + k * $off_cases" \
    "number=$day || printf('%04d', row_number() OVER (PARTITION BY $day ORDER BY k, T.id))" \
    "status='closed'" "reporter_id=T.reporter_id + k * $off_reporter" "inbox_id=T.inbox_id + k * $off_inbox" \
    "flood_of=T.flood_of + k * $off_cases" "opened_at=T.opened_at + $d" "acked_at=T.opened_at + $d + 3600" \
    "acked_by=$staff" "closed_at=min(T.opened_at + $d + 7 * 86400, $end)" "closed_by=$staff" "outcome=1")
sql+=$(copy_table case_dept "case_id=T.case_id + k * $off_cases")
d=$(shift_of "T.case_id * $off_inbox / $off_cases" at)
sql+=$(copy_table case_event "id=T.id + k * $off_case_event" "case_id=T.case_id + k * $off_cases" "at=T.at + $d")
d=$(shift_of "coalesce(T.inbox_id, T.id * $off_inbox / $off_outbox)" created_at)
sql+=$(copy_table outbox "id=T.id + k * $off_outbox" "inbox_id=T.inbox_id + k * $off_inbox" \
    "case_id=T.case_id + k * $off_cases" "dedupe_key=T.dedupe_key || '~' || k" \
    "status=CASE WHEN T.status IN ('queued', 'sending') THEN 'sent' ELSE T.status END" \
    "attempts=max(T.attempts, 1)" "next_attempt_at=0" "claimed_by=NULL" \
    "provider_msg_id=printf('bench-%09d', T.id + k * $off_outbox)" "created_at=T.created_at + $d" \
    "updated_at=T.updated_at + $d" "sent_at=coalesce(T.sent_at, T.updated_at) + $d" "done_at=T.done_at + $d")
d=$(shift_of "T.outbox_id * $off_inbox / $off_outbox" at)
sql+=$(copy_table send_attempt "id=T.id + k * $off_send_attempt" "outbox_id=T.outbox_id + k * $off_outbox" \
    "at=T.at + $d" "provider_msg_id=printf('bench-%09d', T.outbox_id + k * $off_outbox)")
sql+="INSERT INTO case_seq(day, seq) SELECT substr(number, 1, 6), count(*) FROM cases WHERE id >= $off_cases
    GROUP BY 1 ON CONFLICT(day) DO UPDATE SET seq = max(seq, excluded.seq);
COMMIT;
PRAGMA journal_mode=WAL;"
echo "$sql" | sqlite3 "$db" >/dev/null
# The copy is written without syncs; left to the kernel, hundreds of MB
# would be written back during the run that follows, behind its fsyncs.
# A store of this size is on disk already when a gateway starts.
sync "$db"
echo "copies=$copies messages=$(q 'SELECT count(*) FROM inbox')" \
    "seconds=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"
