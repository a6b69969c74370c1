#!/usr/bin/env bash
# tests/bench/run.sh - `make bench`: the gateway (durable commits, demo
# roster) against a bare libmicrohttpd responder, same load, same run.
# Usage: run.sh GATEWAY_BIN BENCH_BUILD_DIR
#   (env: BENCH_N, BENCH_C, BENCH_STORE, BENCH_LARGE, BENCH_SOAK, BENCH_SOAK_RPS)
#
# "writer alone" (SQLite) hands the same mix of messages, parsed as the
# HTTP threads parse them, straight to the pipeline (tests/bench/writer.c)
# in batches of the run's mean size: the writer's CPU per message with
# nothing else running. "store floor" then stores the rows that run
# stored again, on their own (tests/bench/floor.c): what SQLite needs for
# them with this schema, one statement per row.
#
# BENCH_STORE picks the store under test:
#   sqlite    (default) a SQLite file, synchronous=full
#   postgres  a throwaway PostgreSQL 15 (tests/pg/server.sh; fsync = on,
#             synchronous_commit = on), stopped on exit whatever happens
#   both      sqlite, then postgres, then the two side by side
# Each store's run measures the bare responder again, so every ratio
# compares figures taken minutes apart at most on the same machine.
#
# After the lines it has always printed, each store's bench adds:
#   provider refusing  the same load on two copies of the store as the first
#             run left it (its replies queued), with the sender on: once
#             delivering to the stand-in, once with every channel's url on a
#             loopback port nothing listens on (each attempt refused and
#             retried under the default backoff); plus the sender off
#   large store (SQLite; BENCH_LARGE messages, default 1000000, 0 skips)
#             the store grown by tests/bench/grow.sh, then the same load
#             with new message ids, against the empty-store rate
#   soak      BENCH_SOAK seconds (default 600, 0 skips) on a new store at
#             BENCH_SOAK_RPS requests/s (default half the inbound rate with
#             the send API working), the sender delivering to the stand-in;
#             the gateway's VmRSS every 10 s and its growth after the
#             warm-up
set -eu
gw=$1
bdir=$2
n=${BENCH_N:-20000}
c=${BENCH_C:-64}
which=${BENCH_STORE:-sqlite}
large=${BENCH_LARGE:-1000000}
soak=${BENCH_SOAK:-600}
soak_rps=${BENCH_SOAK_RPS:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/gw-bench-XXXXXX)
pgdir=""
pids=()
cleanup()
{
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -n "$pgdir" ] && "$root/tests/pg/server.sh" stop "$pgdir"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

case $which in
sqlite | postgres) stores=$which ;;
both) stores="sqlite postgres" ;;
*)
    echo "bench: STORE=$which: expected sqlite, postgres or both" >&2
    exit 2
    ;;
esac

# The store under test, set by each run: store (sqlite|postgres), db (the
# SQLite file; for postgres the side file that feeds load.c the roster),
# dburl (postgres only).
store=""
db=""
dburl=""

store_ini() { # the [store] keys of the store under test
    if [ "$store" = postgres ]; then
        printf 'backend = postgres\nurl = %s\n' "$dburl"
    else
        printf 'path = %s\nsynchronous = full\n' "$db"
    fi
}

count() { # SQL -> its one value, read from the store under test
    if [ "$store" = postgres ]; then
        psql -XqtA -d "$dburl" -c "$1"
    else
        sqlite3 "$db" "$1"
    fi
}

write_ini() { # $1 = file, $2 = send URL or "" (inbound only), $3 = [store] keys
cat >"$1" <<INI
[server]
listen = 127.0.0.1:0
public_url = https://gw.example.com
max_body = 65536
threads = 2
log_level = info
[store]
$3
[policy]
timezone = Asia/Shanghai
default_region = 示例县
[sender]
enabled = $([ -n "$2" ] && echo yes || echo no)
max_in_flight = 64
[channel generic]
provider = generic
secret = bench-generic-secret
default = yes
tps = 100000
$([ -n "$2" ] && echo "url = $2")
[channel twilio]
provider = twilio
account_sid = AC00000000000000000000000000000001
auth_token = fake_auth_token_0123456789abcdef
number = +12025550100
tps = 100000
$([ -n "$2" ] && echo "url = $2")
INI
}

import_roster() { # $1 = config file; stderr (the migration's log line) shown
    local k
    for k in regions staff children guardians; do
        "$gw" import -c "$1" "$k" "$root/examples/roster/$k.csv" >/dev/null || return 1
    done
}

wait_port() { # file -> port, polling the process's output
    local f=$1
    for _ in $(seq 1 500); do
        p=$(sed -n 's/.*listening on [^:]*:\([0-9]*\).*/\1/p' "$f" | head -1)
        [ -n "$p" ] && { echo "$p"; return 0; }
        read -rt 0.01 <> <(:) || true
    done
    return 1
}

# Starts the throwaway PostgreSQL server (once) and creates an empty
# database "bench<k>" on it sorting text byte by byte, as the gateway needs;
# sets dburl and prints the store line.
pg_setup() {
    if [ -z "$pgdir" ]; then
        # Its own directory: the server runs as the postgres user, who cannot enter $tmp.
        pgdir=$(mktemp -d /tmp/gw-bench-pg-XXXXXX)
        pgbase=$("$root/tests/pg/server.sh" start "$pgdir")
    fi
    local name=bench$((++pgdbs))
    psql -Xq -d "$pgbase/postgres" -c \
        "CREATE DATABASE $name TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C.UTF-8' ENCODING 'UTF8'"
    dburl=$pgbase/$name
    local version fsync commit
    version=$(psql -XqtA -d "$dburl" -c 'SHOW server_version' | cut -d' ' -f1)
    fsync=$(psql -XqtA -d "$dburl" -c 'SHOW fsync')
    commit=$(psql -XqtA -d "$dburl" -c 'SHOW synchronous_commit')
    durable="fsync=$fsync, synchronous_commit=$commit"
    echo "store: postgres $version, $durable" \
        "(throwaway local server, tests/pg/server.sh)"
}
pgdbs=0

# Keeps a gateway log that recorded failed requests beyond the run.
keep_log() { # $1 = log, $2 = what failed
    local kept
    kept=/tmp/gw-bench-$store-$(basename "$1")
    cp "$1" "$kept"
    echo "$2: gateway log kept in $kept" >&2
}

val() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# The value of the metric $2 in the /metrics text $1 (0 when absent).
metric() { echo "$1" | awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }'; }

# CPU seconds (user + system) process $1 has used so far.
proc_cpu() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}

# a/b as a percentage with one decimal.
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f%%", 100 * a / b; else print "-" }'; }

# Starts the gateway on config $1 (its log in $2); sets gw_pid and gw_port.
gw_start() {
    "$gw" serve -c "$1" 2>"$2" &
    gw_pid=$!
    pids+=("$gw_pid")
    gw_port=$(wait_port "$2")
}

gw_stop() { kill "$gw_pid"; wait "$gw_pid" || true; }

# Starts the bare responder (its output in $1); sets bare_pid and bare_port.
bare_start() {
    "$bdir/bare" >"$1" &
    bare_pid=$!
    pids+=("$bare_pid")
    bare_port=$(wait_port "$1")
}

# A loopback TCP port nothing listens on (connections to it are refused).
closed_port() {
    local p
    for p in 1 9 47 61 63 81; do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# Send attempts with result $2 (ok, retry, failed) in the /metrics text $1,
# every channel's summed.
send_count() {
    echo "$1" | awk -v r="result=\"$2\"" 'index($1, "gateway_send_attempts_total{") == 1 && index($1, r) { s += $2 }
        END { print s + 0 }'
}

# Keeps a copy of the store under test (the gateway stopped) for restore.
snapshot() { # $1 = the store's bench directory
    if [ "$store" = postgres ]; then
        pg_copy "${dburl##*/}" "${dburl##*/}q"
    else
        sqlite3 "$db" ".backup '$1/queued.db'"
    fi
}

# Sets db (SQLite) or dburl (postgres; db stays the roster's side file) to
# a new copy, named $2, of what snapshot kept. Call with db and dburl local.
restore() { # $1 = the store's bench directory, $2 = a name for the copy
    if [ "$store" = postgres ]; then
        pg_copy "${dburl##*/}q" "${dburl##*/}$2"
        dburl=$dburl$2
    else
        cp "$1/queued.db" "$1/$2.db"
        db=$1/$2.db
    fi
}

# CREATE DATABASE $2 TEMPLATE $1 on the throwaway server, retried while a
# stopped gateway's sessions are still closing.
pg_copy() {
    local i
    for i in $(seq 1 50); do
        psql -Xq -d "$pgbase/postgres" -c "CREATE DATABASE $2 TEMPLATE $1" 2>/dev/null && return 0
        read -rt 0.1 <> <(:) || true
    done
    psql -Xq -d "$pgbase/postgres" -c "CREATE DATABASE $2 TEMPLATE $1"
}

# The bench load (N webhooks, run tag $1) against the gateway at gw_port
# (its log $2, kept when a request failed); sets run_line (load.c's line;
# its errors do not stop the bench), run_ok/run_retry/run_failed (the send
# attempts the gateway counted meanwhile) and run_wcpu (its writer's CPU
# microseconds per message).
inbound_run() {
    local m0 m1
    m0=$(curl -s "http://127.0.0.1:$gw_port/metrics")
    run_line=$("$bdir/load" "$gw_port" "$db" "$n" "$c" https://gw.example.com "$1") || true
    m1=$(curl -s "http://127.0.0.1:$gw_port/metrics")
    local bad=$(($(val "$run_line" errors) + $(val "$run_line" non2xx)))
    [ "$bad" = 0 ] || keep_log "$2" "$bad requests of run $1 failed"
    run_ok=$(($(send_count "$m1" ok) - $(send_count "$m0" ok)))
    run_retry=$(($(send_count "$m1" retry) - $(send_count "$m0" retry)))
    run_failed=$(($(send_count "$m1" failed) - $(send_count "$m0" failed)))
    run_wcpu=$(awk -v c0="$(metric "$m0" gateway_writer_cpu_seconds_total)" \
        -v c1="$(metric "$m1" gateway_writer_cpu_seconds_total)" \
        -v a="$(metric "$m0" gateway_messages_stored_total)" -v b="$(metric "$m1" gateway_messages_stored_total)" \
        'BEGIN { printf "%.1f", (b > a) ? 1e6 * (c1 - c0) / (b - a) : 0 }')
}

# "p50 X ms, p99 Y ms, errors E, non-2xx N" of the load.c line $1.
lat_errs() {
    echo "p50 $(val "$1" p50_ms) ms, p99 $(val "$1" p99_ms) ms, errors $(val "$1" errors), non-2xx $(val "$1" non2xx)"
}

# Inbound while a provider's send API refuses connections, against the
# same run with it working and with the sender off: three copies of the
# store as the first run left it ($2 replies queued), the same load on
# each. Prints the "provider refusing:" lines; sets ext_refuse and
# work_rps (the rate with the send API working).
refusing_provider() {
    local dir=$1 queued=$2 db0=$db dburl0=$dburl off work refuse cport
    local db=$db0 dburl=$dburl0
    local w_ok w_retry w_failed
    work_rps=""
    cport=$(closed_port) || { echo "provider refusing: skipped (no closed loopback port found)"; ext_refuse=-; return 0; }
    bare_start "$dir/bare-refuse.out"

    restore "$dir" off
    write_ini "$dir/off.ini" "" "$(store_ini)"
    gw_start "$dir/off.ini" "$dir/off.log"
    inbound_run run4 "$dir/off.log"
    off=$run_line
    gw_stop

    db=$db0 dburl=$dburl0
    restore "$dir" work
    write_ini "$dir/work.ini" "http://127.0.0.1:$bare_port" "$(store_ini)"
    gw_start "$dir/work.ini" "$dir/work.log"
    inbound_run run5 "$dir/work.log"
    work=$run_line w_ok=$run_ok w_retry=$run_retry w_failed=$run_failed
    gw_stop
    kill "$bare_pid"; wait "$bare_pid" || true

    db=$db0 dburl=$dburl0
    restore "$dir" refuse
    write_ini "$dir/refuse.ini" "http://127.0.0.1:$cport" "$(store_ini)"
    gw_start "$dir/refuse.ini" "$dir/refuse.log"
    inbound_run run6 "$dir/refuse.log"
    refuse=$run_line
    gw_stop

    work_rps=$(val "$work" rps)
    ext_refuse=$(pct "$(val "$refuse" rps)" "$work_rps")
    echo "provider refusing: inbound $(val "$refuse" rps) req/s = $ext_refuse of the rate with the send API working" \
        "($(val "$work" rps) req/s); $(lat_errs "$refuse")"
    echo "  each run: $n webhooks on a copy of the store the first run left ($queued replies queued), sender on," \
        "default backoff; working = delivering to the bare stand-in, refusing = every channel's url" \
        "http://127.0.0.1:$cport where nothing listens"
    echo "  send attempts during the run: refusing $((run_ok + run_retry + run_failed)) (retry $run_retry," \
        "failed $run_failed, ok $run_ok); working $((w_ok + w_retry + w_failed)) (ok $w_ok, retry $w_retry," \
        "failed $w_failed); sender off on the same store: $(val "$off" rps) req/s" \
        "($(pct "$(val "$refuse" rps)" "$(val "$off" rps)") of it)"
    if [ $((run_ok + run_retry + run_failed)) = 0 ] || [ $((w_ok + w_retry + w_failed)) = 0 ]; then
        echo "  (a run counted no send attempt: its sender did not get to the queue, so the ratio compares little)"
    fi
}

# Inbound on a store grown to about BENCH_LARGE messages (from what the
# runs so far stored), against the empty-store rate grps. Prints the
# "large store:" line; sets ext_large.
large_store() {
    local dir=$1 grow before after
    grow=$("$root/tests/bench/grow.sh" "$db" "$large")
    before=$(count 'SELECT count(*) FROM inbox')
    gw_start "$dir/gateway.ini" "$dir/large.log"
    inbound_run run3 "$dir/large.log"
    gw_stop
    after=$(count 'SELECT count(*) FROM inbox')
    ext_large=$(pct "$(val "$run_line" rps)" "$grps")
    echo "large store: $before messages stored before; inbound $(val "$run_line" rps) req/s = $ext_large of the" \
        "empty-store rate ($grps req/s); $(lat_errs "$run_line"); inbox +$((after - before)); writer $run_wcpu us" \
        "CPU per message"
    echo "  built in $(val "$grow" seconds) s by tests/bench/grow.sh: $(val "$grow" copies) copies of the stored" \
        "messages and the rows they left (outbox $(count 'SELECT count(*) FROM outbox'), visits, check-ins," \
        "cases, send attempts), spread over the past year; $(du -m "$db" | cut -f1) MB"
}

rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# A sustained paced run on a new store, the sender delivering to the bare
# stand-in, the gateway's VmRSS (and the replies still queued) sampled
# every 10 s. Prints the "soak:", "rss samples", "replies queued" and
# "rss:" lines; sets ext_rss.
soak_run() {
    local dir=$1/soak db=$db dburl=$dburl rate total line t0 i warm base last max
    mkdir -p "$dir"
    local why="BENCH_SOAK_RPS"
    if [ -z "$soak_rps" ]; then
        why="half the inbound rate with the send API working, from provider refusing"
        [ -n "$work_rps" ] || why="half the empty-store inbound rate"
    fi
    rate=${soak_rps:-$(awk -v r="${work_rps:-$grps}" 'BEGIN { printf "%.0f", r / 2 }')}
    total=$(awk -v r="$rate" -v s="$soak" 'BEGIN { printf "%.0f", r * s }')
    if [ "$store" = postgres ]; then
        pg_setup >/dev/null
    else
        db=$dir/soak.db
    fi
    bare_start "$dir/bare.out"
    write_ini "$dir/soak.ini" "http://127.0.0.1:$bare_port" "$(store_ini)"
    import_roster "$dir/soak.ini" 2>/dev/null
    gw_start "$dir/soak.ini" "$dir/gw.log"
    "$bdir/load" "$gw_port" "$db" "$total" "$c" https://gw.example.com soak "$rate" >"$dir/load.out" &
    local lpid=$!
    pids+=("$lpid")
    local samples=() backlog=() queued="SELECT count(*) FROM outbox WHERE status = 'queued'"
    t0=$(date +%s.%N)
    samples+=("$(rss_mb "$gw_pid")")
    backlog+=("$(count "$queued" 2>/dev/null || echo '?')")
    for ((i = 1; i * 10 <= soak; i++)); do
        sleep "$(awk -v t0="$t0" -v i="$i" -v now="$(date +%s.%N)" 'BEGIN { d = t0 + 10 * i - now; print (d > 0 ? d : 0) }')"
        samples+=("$(rss_mb "$gw_pid")")
        backlog+=("$(count "$queued" 2>/dev/null || echo '?')")
    done
    wait "$lpid" || true
    line=$(cat "$dir/load.out")
    local sent left
    sent=$(count "SELECT count(*) FROM outbox WHERE status = 'sent'")
    left=$(count "SELECT count(*) FROM outbox WHERE status IN ('queued', 'sending')")
    gw_stop
    kill "$bare_pid"; wait "$bare_pid" || true
    # Warm-up: the first minute (the first third, at least 10 s, of a soak
    # under 3 minutes).
    warm=60
    [ "$soak" -ge 180 ] || warm=$((soak / 30 * 10))
    [ "$warm" -gt 0 ] || [ "$soak" -lt 20 ] || warm=10
    base=${samples[$((warm / 10))]}
    last=${samples[-1]}
    max=$(printf '%s\n' "${samples[@]}" | sort -n | tail -1)
    ext_rss=$(awk -v a="$base" -v b="$last" 'BEGIN { if (a > 0) printf "%+.1f%%", 100 * (b - a) / a; else print "-" }')
    echo "soak: $soak s at $rate req/s ($why)," \
        "sender on delivering to the bare stand-in, a new store: $(val "$line" requests) webhooks at" \
        "$(val "$line" rps) req/s, $(lat_errs "$line"); replies sent $sent, still queued $left"
    echo "rss samples (MB, every 10 s): ${samples[*]}"
    echo "replies queued at each sample: ${backlog[*]}"
    echo "rss: first ${samples[0]} MB, last $last MB, max $max MB, growth $ext_rss from the $warm s mark to the end" \
        "(before it: warm-up, not counted)$(awk -v g="${ext_rss%\%}" 'BEGIN { if (g == "-") exit;
            print ((g <= 10 && g >= -10) ? "; flat within 10%" : "; NOT flat within 10%") }')"
}

# One whole bench on the store $1: prints the store line, then the lines
# the SQLite bench has always printed, and appends one row to $tmp/summary.
# durable: how the store under test commits, as the output names it.
bench_store() {
    store=$1
    local dir=$tmp/$store
    mkdir -p "$dir"
    db=$dir/bench.db
    if [ "$store" = postgres ]; then
        pg_setup
        # load.c reads the roster's phones and codes from a SQLite file:
        # the same roster, imported into a side file only it reads.
        write_ini "$dir/roster.ini" "" "$(printf 'path = %s\nsynchronous = normal' "$db")"
        import_roster "$dir/roster.ini" 2>"$dir/roster.log" || { cat "$dir/roster.log" >&2; return 1; }
    else
        durable="synchronous=full"
        echo "store: sqlite $(sqlite3 --version | cut -d' ' -f1), $durable"
    fi
    write_ini "$dir/gateway.ini" "" "$(store_ini)"
    import_roster "$dir/gateway.ini"

    "$gw" serve -c "$dir/gateway.ini" 2>"$dir/gw.log" &
    local gpid=$!
    pids+=("$gpid")
    gport=$(wait_port "$dir/gw.log")
    before=$(count 'SELECT count(*) FROM inbox')
    local m0 m1 cpu0 cpu1
    m0=$(curl -s "http://127.0.0.1:$gport/metrics")
    cpu0=$(proc_cpu "$gpid")
    gw_line=$("$bdir/load" "$gport" "$db" "$n" "$c" https://gw.example.com run1)
    cpu1=$(proc_cpu "$gpid")
    m1=$(curl -s "http://127.0.0.1:$gport/metrics")
    after=$(count 'SELECT count(*) FROM inbox')
    outbox=$(count 'SELECT count(*) FROM outbox')
    local qcount
    qcount=$(count "SELECT count(*) FROM outbox WHERE status = 'queued'")
    batches=$(metric "$m1" gateway_store_batch_size_count)
    # The writer thread's time per message and its share of the run, and
    # the whole gateway process's CPU per request.
    local msgs wsecs
    msgs=$(awk -v a="$(metric "$m0" gateway_messages_stored_total)" -v b="$(metric "$m1" gateway_messages_stored_total)" \
        -v c="$(metric "$m0" gateway_messages_duplicate_total)" -v d="$(metric "$m1" gateway_messages_duplicate_total)" \
        'BEGIN { print (b - a) + (d - c) }')
    wsecs=$(val "$gw_line" seconds)
    writer_line=$(awk -v c0="$(metric "$m0" gateway_writer_cpu_seconds_total)" \
        -v c1="$(metric "$m1" gateway_writer_cpu_seconds_total)" \
        -v b0="$(metric "$m0" gateway_writer_busy_seconds_total)" \
        -v b1="$(metric "$m1" gateway_writer_busy_seconds_total)" \
        -v m="$msgs" -v s="$wsecs" -v p0="$cpu0" -v p1="$cpu1" -v r="$n" 'BEGIN {
            if (m <= 0) m = 1
            printf "writer: %.1f us CPU per message (%.1f us wall), %.0f%% of a core over the run; ", \
                1e6 * (c1 - c0) / m, 1e6 * (b1 - b0) / m, 100 * (c1 - c0) / s
            printf "gateway process: %.1f us CPU per request, %.0f%% of a core", 1e6 * (p1 - p0) / r, 100 * (p1 - p0) / s
        }')
    kill "$gpid"; wait "$gpid" || true
    snapshot "$dir"
    # The writer's work alone (SQLite): the same mix straight into the
    # pipeline in batches of the run's mean size, on a store of its own.
    alone_line="" floor_line=""
    if [ "$store" = sqlite ]; then
        local abatch
        abatch=$(awk -v m="$msgs" -v b="$batches" 'BEGIN { v = b > 0 ? m / b : 1; printf "%.0f", v < 1 ? 1 : v }')
        mkdir -p "$dir/alone"
        write_ini "$dir/alone/gateway.ini" "" "$(printf 'path = %s\nsynchronous = full\n' "$dir/alone/alone.db")"
        import_roster "$dir/alone/gateway.ini" 2>/dev/null
        sqlite3 "$dir/alone/alone.db" ".backup '$dir/alone/seed.db'"
        write_ini "$dir/alone/floor.ini" "" "$(printf 'path = %s\nsynchronous = full\n' "$dir/alone/seed.db")"
        alone_line=$("$bdir/writer" "$dir/alone/gateway.ini" "$n" "$abatch" 2>/dev/null) || alone_line=""
        # The store's floor: the rows the writer stored, stored again on
        # their own (tests/bench/floor.c) on the store as it was before.
        [ -z "$alone_line" ] ||
            floor_line=$("$bdir/floor" "$dir/alone/floor.ini" "$dir/alone/alone.db" "$abatch" 2>"$dir/alone/floor.err") ||
            floor_line="failed: $(grep -m1 'floor:' "$dir/alone/floor.err" || echo "it ended without saying why")"
    fi

    "$bdir/bare" >"$dir/bare.out" &
    local bpid=$!
    pids+=("$bpid")
    bport=$(wait_port "$dir/bare.out")
    bare_line=$("$bdir/load" "$bport" "$db" "$n" "$c" https://gw.example.com run2)

    # Outbound: the replies the inbound run queued, delivered to the bare
    # responder standing in for both providers' send APIs.
    queued=$(count "SELECT count(*) FROM outbox WHERE status = 'queued'")
    last=$(count "SELECT coalesce(max(id), 0) FROM outbox")
    write_ini "$dir/send.ini" "http://127.0.0.1:$bport" "$(store_ini)"
    t0=$(date +%s.%N)
    "$gw" serve -c "$dir/send.ini" 2>"$dir/send.log" &
    local spid=$!
    pids+=("$spid")
    for _ in $(seq 1 6000); do
        left=$(count "SELECT count(*) FROM outbox WHERE status IN ('queued','sending')" 2>/dev/null || echo 1)
        [ "$left" = 0 ] && break
        read -rt 0.05 <> <(:) || true
    done
    t1=$(date +%s.%N)
    kill "$spid"; wait "$spid" || true
    kill "$bpid"; wait "$bpid" || true
    sent=$(count "SELECT count(*) FROM outbox WHERE status = 'sent' AND id <= $last")
    failed=$(count "SELECT count(*) FROM outbox WHERE status = 'failed' AND id <= $last")

    grps=$(val "$gw_line" rps); brps=$(val "$bare_line" rps)
    gerr=$(( $(val "$gw_line" errors) + $(val "$gw_line" non2xx) ))
    ratio=$(awk -v a="$grps" -v b="$brps" 'BEGIN { printf "%.1f%%", 100 * a / b }')
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    orate=$(awk -v n="$sent" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
    echo "bench: $n signed webhooks (visits, check-ins, reports; generic form/JSON and Twilio)," \
        "concurrency $c, loopback"
    printf '%-8s %10s %10s %10s %8s\n' "" "req/s" "p50 ms" "p99 ms" "errors"
    printf '%-8s %10s %10s %10s %8s\n' gateway "$grps" "$(val "$gw_line" p50_ms)" "$(val "$gw_line" p99_ms)" \
        "$gerr"
    printf '%-8s %10s %10s %10s %8s\n' bare "$brps" "$(val "$bare_line" p50_ms)" "$(val "$bare_line" p99_ms)" \
        "$(( $(val "$bare_line" errors) + $(val "$bare_line" non2xx) ))"
    echo "ratio: gateway/bare = $ratio"
    echo "rows stored: inbox +$((after - before)), outbox $outbox, store transactions $batches ($durable; sender off)"
    echo "$writer_line"
    [ -z "$alone_line" ] || echo "writer alone: the same mix straight into the pipeline in batches of" \
        "$(val "$alone_line" batch), no HTTP: $(val "$alone_line" cpu_us_per_msg) us CPU per message" \
        "($(val "$alone_line" us_per_msg) us wall)"
    case "$floor_line" in
    "") ;;
    failed:*) echo "store floor: not measured (${floor_line#failed: })" ;;
    *) echo "store floor: the $(val "$floor_line" rows) rows the writer stored for them," \
        "inserted again alone (one INSERT each, no look-up, no handler, the inbox row with its result), same batches:" \
        "$(val "$floor_line" cpu_us_per_msg) us CPU per message" ;;
    esac
    echo "outbound: $sent of $queued queued replies delivered to a local stand-in send API in $secs s" \
         "= $orate messages/s (start-up included; failed $failed)"
    [ "$gerr" = 0 ] || keep_log "$dir/gw.log" "$gerr inbound requests failed"
    if [ "$failed" != 0 ] || [ "$sent" != "$queued" ]; then
        keep_log "$dir/send.log" "$((queued - sent)) replies not sent"
    fi
    printf '%s %s %s %s %s %s %s %s\n' "$store" "$grps" "$(val "$gw_line" p50_ms)" "$(val "$gw_line" p99_ms)" \
        "$gerr" "$brps" "$ratio" "$orate" >>"$tmp/summary"

    refusing_provider "$dir" "$qcount"
    if [ "$store" != sqlite ]; then
        echo "large store: skipped on $store (tests/bench/grow.sh grows a SQLite store)"
        ext_large=-
    elif [ "$large" = 0 ]; then
        echo "large store: skipped (BENCH_LARGE=0)"
        ext_large=-
    else
        large_store "$dir"
    fi
    if [ "$soak" = 0 ]; then
        echo "soak: skipped (BENCH_SOAK=0)"
        ext_rss=-
    else
        soak_run "$dir"
    fi
    printf '%s %s %s %s\n' "$store" "$ext_refuse" "$ext_large" "$ext_rss" >>"$tmp/summary2"
}

first=1
for s in $stores; do
    [ $first = 1 ] || echo
    first=0
    bench_store "$s"
done

if [ "$which" = both ]; then
    echo
    echo "side by side: $n webhooks at concurrency $c; each store's bare figure from its own run; durable commits"
    printf '%-9s %8s %8s %8s %7s %10s %8s %15s\n' store "req/s" "p50 ms" "p99 ms" errors "bare req/s" "of bare" \
        "outbound SMS/s"
    while read -r s r p5 p9 e b q o; do
        printf '%-9s %8s %8s %8s %7s %10s %8s %15s\n' "$s" "$r" "$p5" "$p9" "$e" "$b" "$q" "$o"
    done <"$tmp/summary"
    printf '%-9s %26s %24s %22s\n' store "refusing/working inbound" "large/empty-store inbound" "rss growth after warm-up"
    while read -r s r l g; do
        printf '%-9s %26s %24s %22s\n' "$s" "$r" "$l" "$g"
    done <"$tmp/summary2"
fi
