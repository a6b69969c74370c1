#!/usr/bin/env bash
# tests/bench/run.sh - `make bench`: the gateway (synchronous=full, demo
# roster) against a bare libmicrohttpd responder, same load, same run.
# Usage: run.sh GATEWAY_BIN BENCH_BUILD_DIR   (env: BENCH_N, BENCH_C)
set -eu
gw=$1
bdir=$2
n=${BENCH_N:-20000}
c=${BENCH_C:-64}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/gw-bench-XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

write_ini() { # $1 = file, $2 = send URL or "" (inbound only)
cat >"$1" <<INI
[server]
listen = 127.0.0.1:0
public_url = https://gw.example.com
max_body = 65536
threads = 2
log_level = info
[store]
path = $tmp/bench.db
synchronous = full
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
write_ini "$tmp/gateway.ini" ""
for k in regions staff children guardians; do
    "$gw" import -c "$tmp/gateway.ini" "$k" "$root/examples/roster/$k.csv" >/dev/null
done

wait_port() { # file -> port, polling the process's output
    local f=$1 i
    for i in $(seq 1 500); do
        p=$(sed -n 's/.*listening on [^:]*:\([0-9]*\).*/\1/p' "$f" | head -1)
        [ -n "$p" ] && { echo "$p"; return 0; }
        read -rt 0.01 <> <(:) || true
    done
    return 1
}

"$gw" serve -c "$tmp/gateway.ini" 2>"$tmp/gw.log" &
pids+=($!)
gport=$(wait_port "$tmp/gw.log")
before=$(sqlite3 "$tmp/bench.db" 'SELECT count(*) FROM inbox')
gw_line=$("$bdir/load" "$gport" "$tmp/bench.db" "$n" "$c" https://gw.example.com run1)
after=$(sqlite3 "$tmp/bench.db" 'SELECT count(*) FROM inbox')
outbox=$(sqlite3 "$tmp/bench.db" 'SELECT count(*) FROM outbox')
batches=$(curl -s "http://127.0.0.1:$gport/metrics" | sed -n 's/^gateway_store_batch_size_count \(.*\)/\1/p')
kill "${pids[0]}"; wait "${pids[0]}" || true

"$bdir/bare" >"$tmp/bare.out" &
pids+=($!)
bport=$(wait_port "$tmp/bare.out")
bare_line=$("$bdir/load" "$bport" "$tmp/bench.db" "$n" "$c" https://gw.example.com run2)

# Outbound: the replies the inbound run queued, delivered to the bare
# responder standing in for both providers' send APIs.
queued=$(sqlite3 "$tmp/bench.db" "SELECT count(*) FROM outbox WHERE status = 'queued'")
last=$(sqlite3 "$tmp/bench.db" "SELECT coalesce(max(id), 0) FROM outbox")
write_ini "$tmp/send.ini" "http://127.0.0.1:$bport"
t0=$(date +%s.%N)
"$gw" serve -c "$tmp/send.ini" 2>"$tmp/send.log" &
pids+=($!)
for i in $(seq 1 6000); do
    left=$(sqlite3 "$tmp/bench.db" "SELECT count(*) FROM outbox WHERE status IN ('queued','sending')" 2>/dev/null || echo 1)
    [ "$left" = 0 ] && break
    read -rt 0.05 <> <(:) || true
done
t1=$(date +%s.%N)
kill "${pids[2]}"; wait "${pids[2]}" || true
sent=$(sqlite3 "$tmp/bench.db" "SELECT count(*) FROM outbox WHERE status = 'sent' AND id <= $last")
failed=$(sqlite3 "$tmp/bench.db" "SELECT count(*) FROM outbox WHERE status = 'failed' AND id <= $last")

val() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
grps=$(val "$gw_line" rps); brps=$(val "$bare_line" rps)
echo "bench: $n signed webhooks (visits, check-ins, reports; generic form/JSON and Twilio), concurrency $c, loopback"
printf '%-8s %10s %10s %10s %8s\n' "" "req/s" "p50 ms" "p99 ms" "errors"
printf '%-8s %10s %10s %10s %8s\n' gateway "$grps" "$(val "$gw_line" p50_ms)" "$(val "$gw_line" p99_ms)" \
    "$(( $(val "$gw_line" errors) + $(val "$gw_line" non2xx) ))"
printf '%-8s %10s %10s %10s %8s\n' bare "$brps" "$(val "$bare_line" p50_ms)" "$(val "$bare_line" p99_ms)" \
    "$(( $(val "$bare_line" errors) + $(val "$bare_line" non2xx) ))"
echo "ratio: gateway/bare = $(awk -v a="$grps" -v b="$brps" 'BEGIN { printf "%.1f%%", 100 * a / b }')"
echo "rows stored: inbox +$((after - before)), outbox $outbox, store transactions $batches (synchronous=full; sender off)"
echo "outbound: $sent of $queued queued replies delivered to a local stand-in send API in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s" \
     "= $(awk -v n="$sent" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }') messages/s (start-up included; failed $failed)"
