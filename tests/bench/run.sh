#!/usr/bin/env bash
# tests/bench/run.sh - `make bench`: the gateway (durable commits, demo
# roster) against a bare libmicrohttpd responder, same load, same run.
# Usage: run.sh GATEWAY_BIN BENCH_BUILD_DIR   (env: BENCH_N, BENCH_C, BENCH_STORE)
#
# BENCH_STORE picks the store under test:
#   sqlite    (default) a SQLite file, synchronous=full
#   postgres  a throwaway PostgreSQL 15 (tests/pg/server.sh; fsync = on,
#             synchronous_commit = on), stopped on exit whatever happens
#   both      sqlite, then postgres, then the two side by side
# Each store's run measures the bare responder again, so every ratio
# compares figures taken minutes apart at most on the same machine.
set -eu
gw=$1
bdir=$2
n=${BENCH_N:-20000}
c=${BENCH_C:-64}
which=${BENCH_STORE:-sqlite}
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
    echo "outbound: $sent of $queued queued replies delivered to a local stand-in send API in $secs s" \
         "= $orate messages/s (start-up included; failed $failed)"
    [ "$gerr" = 0 ] || keep_log "$dir/gw.log" "$gerr inbound requests failed"
    if [ "$failed" != 0 ] || [ "$sent" != "$queued" ]; then
        keep_log "$dir/send.log" "$((queued - sent)) replies not sent"
    fi
    printf '%s %s %s %s %s %s %s %s\n' "$store" "$grps" "$(val "$gw_line" p50_ms)" "$(val "$gw_line" p99_ms)" \
        "$gerr" "$brps" "$ratio" "$orate" >>"$tmp/summary"
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
fi
