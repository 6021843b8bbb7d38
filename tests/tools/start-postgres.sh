#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tracker's PostgreSQL tests (tests/conftest.py, `store_url`).
#
#   start-postgres.sh start       prints "FOLDER URL" on stdout when a server is running (one line on stderr says
#                                 so, with the version, port and start time), or nothing when it could not start
#                                 (one line on stderr says why: "PostgreSQL tests will be skipped: ...").
#   start-postgres.sh stop FOLDER stops that server and removes its folder.
#
# The cluster lives in a new temporary folder, listens on 127.0.0.1 only, on a free port, with its unix socket in
# that folder, and trusts loopback connections (nobody else can reach it). When initdb/pg_ctl are missing and we are
# root with apt-get (as in CI), Debian's `postgresql` package is installed. PostgreSQL refuses to run as root, so
# as root the server runs as the `postgres` user. Never fails: the rest of the suite does not depend on it.
# BALANCE_TRAINER_NO_POSTGRES=1 skips the server (to see the suite, or this message, without one).
set -u

say() { echo "make test: $*" >&2; }
skip() { say "PostgreSQL tests will be skipped: $*"; exit 0; }

find_bin() {
  local dir
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
    return 0
  fi
  # Debian keeps them out of PATH, one folder per major version: take the newest.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4,4 -n -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

install_postgres() {
  say "installing Debian's postgresql package for the PostgreSQL tests"
  export DEBIAN_FRONTEND=noninteractive
  local quiet="-y -qq --no-install-recommends"
  # The package lists may be missing or stale on a fresh machine: update only when the install fails.
  apt-get install $quiet postgresql >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install $quiet postgresql >/dev/null 2>&1; }
}

# Run a command as the server's owner: the postgres user when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" != 0 ]; then
    "$@"
  elif command -v runuser >/dev/null 2>&1; then
    runuser -u postgres -- "$@"
  else
    setpriv --reuid=postgres --regid="$(id -g postgres)" --init-groups "$@"
  fi
}

free_port() {
  # Ask the kernel for a free loopback port. Another program could take it before the server binds it; start()
  # then tries again with a new port.
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null
}

start() {
  [ "${BALANCE_TRAINER_NO_POSTGRES:-}" = 1 ] && skip "BALANCE_TRAINER_NO_POSTGRES=1"
  local began bin
  began=$(date +%s.%N)
  if ! bin=$(find_bin); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      install_postgres || skip "could not install Debian's postgresql package"
      bin=$(find_bin) || skip "the postgresql package installed no initdb/pg_ctl"
    else
      skip "no initdb/pg_ctl in PATH or /usr/lib/postgresql/*/bin (install PostgreSQL, e.g. sudo apt-get install postgresql)"
    fi
  fi

  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || skip "running as root and there is no 'postgres' user to run the server as"
  fi

  local folder
  folder=$(mktemp -d "${TMPDIR:-/tmp}/balance-trainer-pg.XXXXXX") || skip "cannot make a temporary folder"
  [ "$(id -u)" = 0 ] && chown postgres: "$folder"
  # The server's own processes must be able to read their working folder (ours may be a root-only checkout).
  cd "$folder" || skip "cannot enter $folder"

  # trust: only loopback and this folder's socket can reach the server, and it lives for one test run.
  # --no-sync and fsync=off: the data is thrown away after the run, so durability only costs time.
  if ! as_owner "$bin/initdb" -D "$folder/data" -U postgres --auth=trust --encoding=UTF8 --locale=C \
      --no-sync >"$folder/initdb.log" 2>&1; then
    rm -rf "$folder"
    skip "initdb failed"
  fi
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$folder/data/pg_hba.conf"

  local port="" attempt
  for attempt in 1 2 3; do
    port=$(free_port) || { rm -rf "$folder"; skip "cannot find a free port (python3 is needed)"; }
    if as_owner "$bin/pg_ctl" -D "$folder/data" -l "$folder/server.log" -w -t 30 -s start \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$folder -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off" >/dev/null 2>&1; then
      local version seconds
      version=$("$bin/pg_ctl" --version | sed 's/^pg_ctl (PostgreSQL) //')
      seconds=$(echo "$(date +%s.%N) $began" | awk '{printf "%.1f", $1 - $2}')
      say "PostgreSQL $version started on 127.0.0.1:$port in ${seconds} s (a throwaway server in $folder)"
      echo "$folder postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
      exit 0
    fi
  done
  local why
  why=$(tail -n 1 "$folder/server.log" 2>/dev/null)
  rm -rf "$folder"
  skip "the server did not start${why:+ ($why)}"
}

stop() {
  local folder="${1:-}"
  # Only ever remove a folder this script made.
  case "$folder" in */balance-trainer-pg.*) ;; *) exit 0 ;; esac
  [ -d "$folder/data" ] || { rm -rf "$folder"; exit 0; }
  local bin
  bin=$(find_bin) || { rm -rf "$folder"; exit 0; }
  cd "$folder" || exit 0
  # immediate: nothing in it needs to survive.
  as_owner "$bin/pg_ctl" -D "$folder/data" -m immediate -w -s stop >/dev/null 2>&1
  cd / && rm -rf "$folder"
  exit 0
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop FOLDER" >&2; exit 2 ;;
esac
