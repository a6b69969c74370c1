#!/usr/bin/env bash
# tests/pg/server.sh - a throwaway PostgreSQL 15 server for the tests.
#
#   tests/pg/server.sh start DIR   initdb in DIR/data (trust auth, UTF8, locale C), start it on a
#                                  free TCP port of 127.0.0.1 with its unix socket in DIR, wait until
#                                  it accepts connections, print its base URL
#                                  postgresql://postgres@127.0.0.1:PORT (also written to DIR/url)
#   tests/pg/server.sh stop DIR    stop it (pg_ctl stop -m fast) and remove DIR
#
# Failover (a primary, its synchronous streaming standby, a crash, a promotion):
#   tests/pg/server.sh start-primary DIR
#                                  as start, configured for streaming replication (wal_level replica,
#                                  replication from 127.0.0.1 trusted) with synchronous replication to
#                                  the standby named standby1: until start-standby has attached it,
#                                  every commit on the primary waits
#   tests/pg/server.sh start-standby PRIMARY_DIR DIR
#                                  pg_basebackup -R of the primary into DIR/data, started on its own
#                                  free port as standby1 (without synchronous_standby_names of its own,
#                                  so that once promoted its commits do not wait for a standby); waits
#                                  until it accepts connections and the primary reports it streaming
#                                  and synchronous; prints its URL (also in DIR/url)
#   tests/pg/server.sh kill DIR    crash the server (pg_ctl stop -m immediate); stop still removes DIR
#   tests/pg/server.sh promote DIR promote the standby (pg_ctl promote -w) and wait until it leaves
#                                  recovery (pg_is_in_recovery() false)
#
# DIR is created when missing. PostgreSQL refuses to run as root: as root, DIR is given to the
# postgres user and every PostgreSQL program runs through runuser -u postgres --. The server's log
# is DIR/log. PGBIN overrides /usr/lib/postgresql/15/bin.
set -u

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
START_TIMEOUT=30 # seconds for the server to accept connections, a standby to stream, a promotion
STANDBY_NAME=standby1

die()
{
    echo "server.sh: $*" >&2
    exit 1
}

# Runs a command as the user PostgreSQL runs as: postgres when we are root, else ourselves.
as_pg()
{
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

check_bin()
{
    local b
    for b in initdb pg_ctl pg_isready postgres pg_basebackup psql; do
        [ -x "$PGBIN/$b" ] || die "$PGBIN/$b not found: PostgreSQL 15 is not installed (apt-get install postgresql-15)"
    done
    if [ "$(id -u)" = 0 ]; then
        id -u postgres >/dev/null 2>&1 || die "running as root but there is no postgres user (apt-get install postgresql-15)"
        command -v runuser >/dev/null || die "running as root but runuser is missing (apt-get install util-linux)"
    fi
}

# Prints a TCP port of 127.0.0.1 that nobody listens on now (the kernel's pick, else a random probe).
free_port()
{
    if command -v python3 >/dev/null; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' &&
            return 0
    fi
    local p i
    for i in $(seq 1 100); do
        p=$((20000 + RANDOM % 40000))
        # A refused connection means the port is free.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# Polls pg_isready every 0.1 s until the server on 127.0.0.1:$1 accepts connections or
# START_TIMEOUT passes.
wait_ready()
{
    local port=$1 i
    for ((i = 0; i < START_TIMEOUT * 10; i++)); do
        as_pg "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres -U postgres && return 0
        sleep 0.1
    done
    return 1
}

# Runs one query on the server on 127.0.0.1:$1 (database postgres) and prints its value (psql -At).
query()
{
    as_pg "$PGBIN/psql" -X -q -At -h 127.0.0.1 -p "$1" -U postgres -d postgres -c "$2" 2>/dev/null
}

# Polls query $2 on the server on 127.0.0.1:$1 every 0.1 s until it prints $3 or START_TIMEOUT passes.
wait_value()
{
    local i
    for ((i = 0; i < START_TIMEOUT * 10; i++)); do
        [ "$(query "$1" "$2")" = "$3" ] && return 0
        sleep 0.1
    done
    return 1
}

# The port of the server whose folder is $1 (from its url file).
dir_port()
{
    local url
    url=$(cat "$1/url" 2>/dev/null) || die "no server in $1 (no $1/url)"
    echo "${url##*:}"
}

# Creates DIR (given to the postgres user as root, mode 700) and prints its absolute path.
make_dir()
{
    local dir=$1
    mkdir -p "$dir" || die "cannot create $dir"
    dir=$(cd "$dir" && pwd) || die "cannot enter $dir"
    [ -e "$dir/data" ] && die "$dir/data exists already: stop that server first (server.sh stop $dir)"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir" || die "cannot give $dir to the postgres user"
    fi
    chmod 700 "$dir"
    echo "$dir"
}

# initdb in $1/data (trust auth, UTF8, locale C) and the settings every test server has.
init_data()
{
    local dir=$1
    if ! as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C \
        >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        die "initdb in $dir/data failed"
    fi
    cat >>"$dir/data/postgresql.conf" <<EOF

# tests/pg/server.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
EOF
}

# Starts the server of $1/data on a free port of 127.0.0.1, waits until it accepts connections and
# writes its URL to $1/url and stdout.
start_server()
{
    local dir=$1 port
    # The port is free when probed but may be taken before the server binds it: try another then.
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        port=$(free_port) || die "no free TCP port on 127.0.0.1"
        rm -f "$dir/log"
        if as_pg "$PGBIN/pg_ctl" start -D "$dir/data" -l "$dir/log" -w -t "$START_TIMEOUT" -o "-p $port" \
            >/dev/null 2>&1; then
            if wait_ready "$port"; then
                echo "postgresql://postgres@127.0.0.1:$port" | as_pg tee "$dir/url" >/dev/null
                cat "$dir/url"
                return 0
            fi
            as_pg "$PGBIN/pg_ctl" stop -D "$dir/data" -m immediate >/dev/null 2>&1
            tail -n 20 "$dir/log" >&2
            die "the server in $dir/data started but did not accept connections within ${START_TIMEOUT}s"
        fi
        grep -q 'could not bind\|could not create any TCP/IP sockets\|Address already in use' "$dir/log" 2>/dev/null ||
            break
    done
    tail -n 20 "$dir/log" >&2
    die "could not start the server in $dir/data (log: $dir/log)"
}

cmd_start()
{
    local dir
    check_bin
    dir=$(make_dir "$1") || exit 1
    init_data "$dir"
    start_server "$dir"
}

cmd_start_primary()
{
    local dir
    check_bin
    dir=$(make_dir "$1") || exit 1
    init_data "$dir"
    cat >>"$dir/data/postgresql.conf" <<EOF
wal_level = replica
max_wal_senders = 5
wal_keep_size = '128MB'
hot_standby = on
synchronous_standby_names = '$STANDBY_NAME'
EOF
    # Explicit, whatever initdb's template holds: the standby streams over TCP from 127.0.0.1.
    echo "host replication all 127.0.0.1/32 trust" >>"$dir/data/pg_hba.conf"
    start_server "$dir"
}

cmd_start_standby()
{
    local primary=$1 dir pport state
    check_bin
    primary=$(cd "$primary" 2>/dev/null && pwd) || die "no primary in $1"
    pport=$(dir_port "$primary") || exit 1
    dir=$(make_dir "$2") || exit 1
    if ! as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$pport" -U postgres -D "$dir/data" -R -X stream -c fast \
        >"$dir/basebackup.log" 2>&1; then
        cat "$dir/basebackup.log" >&2
        die "pg_basebackup from $primary failed"
    fi
    # The copy's settings name the primary's socket folder and its standby: its own instead, and no
    # synchronous standby (once promoted, alone, it must not wait for one). postgresql.auto.conf
    # (where -R wrote primary_conninfo) is read last and its later lines win: this one names the
    # standby for synchronous_standby_names.
    cat >>"$dir/data/postgresql.conf" <<EOF

# tests/pg/server.sh start-standby
unix_socket_directories = '$dir'
synchronous_standby_names = ''
EOF
    echo "primary_conninfo = 'host=127.0.0.1 port=$pport user=postgres application_name=$STANDBY_NAME'" |
        as_pg tee -a "$dir/data/postgresql.auto.conf" >/dev/null
    start_server "$dir" || exit 1
    if ! wait_value "$pport" \
        "SELECT state || ',' || sync_state FROM pg_stat_replication WHERE application_name = '$STANDBY_NAME'" \
        "streaming,sync"; then
        state=$(query "$pport" "SELECT application_name, state, sync_state FROM pg_stat_replication")
        tail -n 20 "$dir/log" >&2
        die "the standby in $dir/data is not streaming synchronously after ${START_TIMEOUT}s (primary: ${state:-no standby})"
    fi
}

cmd_kill()
{
    local dir=$1
    check_bin
    [ -f "$dir/data/postmaster.pid" ] || die "no server runs in $dir/data"
    as_pg "$PGBIN/pg_ctl" stop -D "$dir/data" -m immediate -w >/dev/null ||
        die "could not kill the server in $dir/data (log: $dir/log)"
}

cmd_promote()
{
    local dir=$1 port
    check_bin
    port=$(dir_port "$dir") || exit 1
    as_pg "$PGBIN/pg_ctl" promote -D "$dir/data" -w -t "$START_TIMEOUT" >/dev/null ||
        die "could not promote the server in $dir/data (log: $dir/log)"
    wait_value "$port" "SELECT pg_is_in_recovery()" "f" ||
        die "the server in $dir/data is still in recovery ${START_TIMEOUT}s after its promotion"
}

cmd_stop()
{
    local dir=$1
    [ -d "$dir" ] || return 0
    if [ -f "$dir/data/postmaster.pid" ]; then
        check_bin
        as_pg "$PGBIN/pg_ctl" status -D "$dir/data" >/dev/null 2>&1 ||
            { rm -rf "$dir"; return 0; } # a stale pid file: nothing runs
        as_pg "$PGBIN/pg_ctl" stop -D "$dir/data" -m fast -w >/dev/null ||
            die "could not stop the server in $dir/data (log: $dir/log)"
    fi
    rm -rf "$dir"
}

case "${1:-}:${2:-}" in
start:?*) cmd_start "$2" ;;
stop:?*) cmd_stop "$2" ;;
start-primary:?*) cmd_start_primary "$2" ;;
start-standby:?*) [ -n "${3:-}" ] || { echo "usage: $0 start-standby PRIMARY_DIR DIR" >&2; exit 2; }
    cmd_start_standby "$2" "$3" ;;
kill:?*) cmd_kill "$2" ;;
promote:?*) cmd_promote "$2" ;;
*)
    echo "usage: $0 start DIR | stop DIR | start-primary DIR | start-standby PRIMARY_DIR DIR | kill DIR | promote DIR" >&2
    exit 2
    ;;
esac
