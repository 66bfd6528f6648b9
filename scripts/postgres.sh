#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (crates/stoa-db/tests read STOA_TEST_DATABASE_URL).
#   eval "$(scripts/postgres.sh [DIR])"   start a server under DIR (default: a new temp dir), or
#                                         reuse the one already running there (as root, DIR
#                                         must be reachable by the postgres user: /tmp/x is)
#   scripts/postgres.sh stop DIR          stop it (rm -rf DIR afterwards to drop the data)
# Progress goes to stderr; the last line on stdout is `export STOA_TEST_DATABASE_URL=...`.
# Installs the Debian `postgresql` package if no server is found (CI: root on Debian 12).
# The server trusts every connection, so it listens on 127.0.0.1 only: tests only.
set -euo pipefail

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
pg_bin() { find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1; }
# initdb and postgres refuse to run as root.
as_owner() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + RANDOM % 40000))
}

if [[ ${1:-} == stop ]]; then
  dir=${2:?usage: scripts/postgres.sh stop DIR}
  bin=$(pg_bin)
  if [[ -n $bin && -f $dir/data/postmaster.pid ]]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >&2 || true
  fi
  exit 0
fi

bin=$(pg_bin)
if [[ -z $bin ]]; then
  log "installing the postgresql package"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >&2
  bin=$(pg_bin)
  [[ -n $bin ]] || { log "no PostgreSQL server binaries under /usr/lib/postgresql after install"; exit 1; }
fi

dir=${1:-$(mktemp -d /tmp/stoa-pg.XXXXXX)}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[[ $(id -u) -ne 0 ]] || chown postgres: "$dir"
data=$dir/data

if [[ ! -s $data/PG_VERSION ]]; then
  log "initdb in $data"
  # Role `stoa` is the bootstrap superuser: the tests create a database per test with it.
  as_owner "$bin/initdb" -D "$data" -U stoa --auth=trust --encoding=UTF8 --no-locale --no-sync >&2
fi

if as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  port=$(cat "$dir/port")
  log "reusing the server running on port $port"
else
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    # The socket goes to $dir: /var/run/postgresql may not exist without the packaged service.
    if as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300" >&2; then
      echo "$port" >"$dir/port"
      break
    fi
    log "start on port $port failed, retrying (see $dir/server.log)"
    port=""
  done
  [[ -n $port ]] || { log "could not start PostgreSQL"; exit 1; }
fi

psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U stoa -d postgres -v ON_ERROR_STOP=1 -tAq)
if [[ $("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'stoa_test'") != 1 ]]; then
  "${psql[@]}" -c "CREATE DATABASE stoa_test" >&2
fi
log "running in $dir (stop: scripts/postgres.sh stop $dir)"
echo "export STOA_TEST_DATABASE_URL=postgres://stoa@127.0.0.1:$port/stoa_test"
