#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: Debian's `postgresql` package (installed with apt-get
# if no `initdb` is found under /usr/lib/postgresql/*/bin), a cluster initialised in DIR by an
# unprivileged user, listening on 127.0.0.1 (and POSTGRES_EXTRA_LISTEN's addresses, below) on a
# free port, with its unix socket inside DIR. Nothing outside DIR is touched once the package
# is there.
#
#   bash scripts/postgres.sh start DIR   # DIR empty or missing; prints the DATABASE_URL
#   bash scripts/postgres.sh stop DIR    # stops the server and removes DIR (no-op if gone)
#   bash scripts/postgres.sh run CMD...  # start in a temporary DIR, run CMD with
#                                        # DATABASE_URL set, stop whatever happens
#
# `POSTGRES_EXTRA_LISTEN="ADDR/PREFIX ..."` (optional) makes the server listen on each ADDR too
# and accept password logins from its network (ADDR/PREFIX), e.g. `10.203.0.1/24` for network
# namespaces on a bridge (tests/cluster/proof.py). Each ADDR must already exist on this host.
#
# Progress and errors go to stderr; `start` prints only the URL on stdout. PostgreSQL refuses
# to run as root, so as root the cluster belongs to the package's `postgres` user (or to
# `nobody` if there is none); otherwise to the caller.
set -euo pipefail

# The role and database the URL names. Its password is random per cluster; the bootstrap
# superuser has none, so it can connect only through the socket in DIR.
DB_NAME=todo
DB_ROLE=todo
# Marks a DIR this script made, so that `stop` never removes anything else.
MARKER=.oxapi-postgres

# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

# The newest installed server's bin directory, or nothing.
pg_bin() {
    local initdb
    initdb=$(find /usr/lib/postgresql -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1)
    [ -n "$initdb" ] && dirname "$initdb"
}

# Installs Debian's server package. The package would otherwise create a `main` cluster on
# port 5432 and, where services may start, run it: `create_main_cluster = false` is set in
# postgresql-common's config before the server package is installed, so nothing starts.
install_postgres() {
    [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed, and installing it needs root: apt-get install postgresql"
    command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and apt-get is not available"
    local log
    log=$(mktemp)
    say "installing PostgreSQL (apt-get install postgresql)"
    apt-get update -qq >"$log" 2>&1 || die "apt-get update" "$log"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-common >"$log" 2>&1 \
        || die "apt-get install postgresql-common" "$log"
    sed -i -E 's/^#? *create_main_cluster *=.*/create_main_cluster = false/' \
        /etc/postgresql-common/createcluster.conf
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >"$log" 2>&1 \
        || die "apt-get install postgresql" "$log"
    rm -f "$log"
}

# The user the cluster runs as.
cluster_user() {
    if [ "$(id -u)" -ne 0 ]; then
        id -un
    elif id postgres >/dev/null 2>&1; then
        echo postgres
    else
        echo nobody
    fi
}

# Runs a command as the cluster's user, from DIR (that user may not be able to enter the
# caller's directory, and initdb fails where it cannot read the current one).
as_owner() {
    local dir=$1
    shift
    if [ "$(id -u)" -eq 0 ]; then
        (cd "$dir" && runuser -u "$(cluster_user)" -- "$@")
    else
        (cd "$dir" && "$@")
    fi
}

# A TCP port free on 127.0.0.1 at this moment (the kernel's pick for port 0). Another process
# may take it before the server binds it; `start` then retries with a new one.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    local dir=$1
    mkdir -p "$dir"
    [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
    dir=$(cd "$dir" && pwd)
    touch "$dir/$MARKER"

    local bin
    bin=$(pg_bin) || true
    if [ -z "$bin" ]; then
        install_postgres
        bin=$(pg_bin) || die "no initdb under /usr/lib/postgresql/*/bin after installing postgresql"
    fi
    command -v python3 >/dev/null 2>&1 || die "python3 (to pick a free port) is not on PATH"

    local user
    user=$(cluster_user)
    [ "$(id -u)" -ne 0 ] || chown "$user:" "$dir"
    chmod 700 "$dir"
    as_owner / test -w "$dir" -a -x "$dir" \
        || die "$user cannot enter $dir: give a DIR it can reach (as mktemp -d under /tmp is)"

    # Extra addresses to listen on, and the networks allowed to log in through them.
    local listen=127.0.0.1 entry network
    for entry in ${POSTGRES_EXTRA_LISTEN:-}; do
        network=$(python3 -c 'import ipaddress, sys; print(ipaddress.ip_interface(sys.argv[1]).network)' \
            "$entry" 2>/dev/null) || die "POSTGRES_EXTRA_LISTEN: \`$entry\` is not ADDR/PREFIX"
        listen="$listen,${entry%/*}"
        printf 'host all all %s scram-sha-256\n' "$network" >>"$dir/hba-extra"
    done

    local password
    password=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')

    # `--locale=C`: text compares bytewise, as SQLite's does, so `ORDER BY title` sorts alike
    # on both backends (and the machine's locales do not matter). `--no-sync`: a throwaway.
    # Over TCP only the password is accepted; the socket, in DIR (mode 700), trusts its owner.
    as_owner "$dir" "$bin/initdb" --pgdata="$dir/data" --username=postgres --locale=C \
        --encoding=UTF8 --auth-local=trust --auth-host=scram-sha-256 --no-sync \
        >"$dir/initdb.log" 2>&1 || die "initdb (as $user) in $dir/data" "$dir/initdb.log"
    if [ -f "$dir/hba-extra" ]; then
        cat "$dir/hba-extra" >>"$dir/data/pg_hba.conf"
    fi

    # Durability is off (fsync, synchronous_commit, full_page_writes): a crash loses only a
    # test database, and the tests' many small transactions do not wait on the disk. Passwords
    # are stored as SCRAM, which the TCP rule asks for (PostgreSQL 13 and older store MD5).
    local port attempt
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if as_owner "$dir" "$bin/pg_ctl" start --pgdata="$dir/data" --log="$dir/postgres.log" \
            --wait --timeout=60 --silent -o "-c listen_addresses='$listen' -c port=$port \
            -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off \
            -c full_page_writes=off -c password_encryption=scram-sha-256" >&2; then
            break
        fi
        grep -q 'could not bind\|Address already in use' "$dir/postgres.log" 2>/dev/null \
            || die "pg_ctl start (as $user) in $dir/data" "$dir/postgres.log"
        say "port $port was taken meanwhile (attempt $attempt); trying another"
        port=""
    done
    [ -n "$port" ] || die "no free port found for PostgreSQL in 5 attempts" "$dir/postgres.log"

    local psql=("$bin/psql" --host="$dir" --port="$port" --username=postgres --dbname=postgres
        --no-psqlrc --quiet --set=ON_ERROR_STOP=1)
    # On stdin, so that the password is not in any process's arguments.
    printf "CREATE ROLE %s LOGIN PASSWORD '%s';\n" "$DB_ROLE" "$password" \
        | as_owner "$dir" "${psql[@]}" >&2 || die "creating the role $DB_ROLE" "$dir/postgres.log"
    # template0, so that the database takes the locale given here, whatever template1 has.
    as_owner "$dir" "$bin/createdb" --host="$dir" --port="$port" --username=postgres \
        --template=template0 --locale=C --encoding=UTF8 --owner="$DB_ROLE" "$DB_NAME" \
        >&2 || die "createdb $DB_NAME" "$dir/postgres.log"

    # The role can connect as the tests will: over TCP, with the password.
    PGPASSWORD=$password "$bin/psql" --host=127.0.0.1 --port="$port" --username="$DB_ROLE" \
        --dbname="$DB_NAME" --no-psqlrc --quiet --tuples-only --command='SELECT 1' >/dev/null \
        || die "connecting to 127.0.0.1:$port as $DB_ROLE with its password" "$dir/postgres.log"
    say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') as $user on 127.0.0.1:$port, data in $dir"
    printf 'postgres://%s:%s@127.0.0.1:%s/%s\n' "$DB_ROLE" "$password" "$port" "$DB_NAME"
}

stop() {
    local dir=$1
    [ -e "$dir" ] || return 0
    if [ ! -f "$dir/$MARKER" ]; then
        # Empty (made for `start`, which never ran): removed; else not ours to remove.
        rmdir -- "$dir" 2>/dev/null || die "$dir was not made by scripts/postgres.sh; not removing it"
        return 0
    fi
    local bin
    bin=$(pg_bin) || true
    if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$dir" "$bin/pg_ctl" stop --pgdata="$dir/data" --mode=fast --wait --timeout=60 \
            --silent >&2 \
            || as_owner "$dir" "$bin/pg_ctl" stop --pgdata="$dir/data" --mode=immediate --wait \
                --silent >&2 \
            || say "could not stop the server in $dir/data (see $dir/postgres.log)"
    fi
    rm -rf -- "$dir"
}

run() {
    [ $# -gt 0 ] || die "run needs a command"
    local dir url
    dir=$(mktemp -d "${TMPDIR:-/tmp}/oxapi-postgres.XXXXXX")
    # shellcheck disable=SC2064  # $dir is expanded now, on purpose
    trap "stop '$dir'" EXIT
    url=$(start "$dir")
    DATABASE_URL=$url "$@"
}

case "${1:-}" in
start | stop)
    [ $# -eq 2 ] || die "usage: $0 $1 DIR"
    "$1" "$2"
    ;;
run)
    shift
    run "$@"
    ;;
*) die "usage: $0 start DIR | stop DIR | run CMD..." ;;
esac
