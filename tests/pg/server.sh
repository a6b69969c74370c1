#!/usr/bin/env bash
# tests/pg/server.sh - a throwaway PostgreSQL 15 server for the tests.
#
#   tests/pg/server.sh start DIR   initdb in DIR/data (trust auth, UTF8, locale C), start it on a
#                                  free TCP port of 127.0.0.1 with its unix socket in DIR, wait until
#                                  it accepts connections, print its base URL
#                                  postgresql://postgres@127.0.0.1:PORT (also written to DIR/url)
#   tests/pg/server.sh stop DIR    stop it (pg_ctl stop -m fast) and remove DIR
#
# DIR is created when missing. PostgreSQL refuses to run as root: as root, DIR is given to the
# postgres user and every PostgreSQL program runs through runuser -u postgres --. The server's log
# is DIR/log. PGBIN overrides /usr/lib/postgresql/15/bin.
set -u

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
START_TIMEOUT=30 # seconds for the server to accept connections

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
    for b in initdb pg_ctl pg_isready postgres; do
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

cmd_start()
{
    local dir=$1 port
    check_bin
    mkdir -p "$dir" || die "cannot create $dir"
    dir=$(cd "$dir" && pwd) || die "cannot enter $dir"
    [ -e "$dir/data" ] && die "$dir/data exists already: stop that server first (server.sh stop $dir)"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir" || die "cannot give $dir to the postgres user"
    fi
    chmod 700 "$dir"
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
*)
    echo "usage: $0 start DIR | stop DIR" >&2
    exit 2
    ;;
esac
