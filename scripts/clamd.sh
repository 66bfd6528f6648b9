#!/usr/bin/env bash
# A throwaway ClamAV daemon for the tests (the clamd client reads STOA_TEST_CLAMD), with a tiny
# custom signature database: freshclam cannot fetch the official one without network, so
#   stoa.hdb  EICAR by MD5 and size                        -> Stoa.Test.EICAR
#   stoa.ndb  the pickle bytes `cposix\nsystem\n` / `cos\nsystem\n` -> Stoa.Test.PickleSystem{,Os}
# (security.md §2.1).
#   eval "$(scripts/clamd.sh [DIR])"   start clamd on DIR/clamd.sock (default: a new temp dir),
#                                      or reuse the one already running there
#   scripts/clamd.sh stop DIR          stop it (rm -rf DIR afterwards)
# Progress goes to stderr; the last line on stdout is `export STOA_TEST_CLAMD=unix:DIR/clamd.sock`.
# Installs the Debian `clamav-daemon` package if clamd is missing (CI: root on Debian 12).
set -euo pipefail

log() { printf 'clamd.sh: %s\n' "$*" >&2; }
alive() { [[ -f $1/clamd.pid ]] && kill -0 "$(cat "$1/clamd.pid")" 2>/dev/null; }
clamd_bin() { command -v clamd 2>/dev/null || { [[ -x /usr/sbin/clamd ]] && echo /usr/sbin/clamd; } || true; }
# clamd answers `zPING\0` with `PONG\0` once its database is loaded.
pong() {
  python3 - "$1" <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(sys.argv[1])
s.sendall(b"zPING\0")
sys.exit(0 if s.recv(16).startswith(b"PONG") else 1)
EOF
}

if [[ ${1:-} == stop ]]; then
  dir=${2:?usage: scripts/clamd.sh stop DIR}
  if alive "$dir"; then
    pid=$(cat "$dir/clamd.pid")
    kill "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$dir/clamd.pid"
  exit 0
fi

bin=$(clamd_bin)
if [[ -z $bin ]]; then
  log "installing the clamav-daemon package"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq >&2
  # The package's services (freshclam, clamd) are not wanted: this script runs its own clamd.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clamav-daemon >&2
  bin=$(clamd_bin)
  [[ -n $bin ]] || { log "no clamd after installing clamav-daemon"; exit 1; }
fi

dir=${1:-$(mktemp -d /tmp/stoa-clamd.XXXXXX)}
mkdir -p "$dir/db"
dir=$(cd "$dir" && pwd)
socket=$dir/clamd.sock

if alive "$dir"; then
  log "reusing the clamd running in $dir"
  echo "export STOA_TEST_CLAMD=unix:$socket"
  exit 0
fi

# EICAR: the 68-byte standard test file.
echo '44d88612fea8a8f36de82e1278abb02f:68:Stoa.Test.EICAR' >"$dir/db/stoa.hdb"
{
  echo "Stoa.Test.PickleSystem:0:*:$(printf 'cposix\nsystem\n' | od -An -tx1 | tr -d ' \n')"
  echo "Stoa.Test.PickleSystemOs:0:*:$(printf 'cos\nsystem\n' | od -An -tx1 | tr -d ' \n')"
} >"$dir/db/stoa.ndb"

cat >"$dir/clamd.conf" <<EOF
LocalSocket $socket
LocalSocketMode 666
FixStaleSocket yes
Foreground yes
PidFile $dir/clamd.pid
DatabaseDirectory $dir/db
LogFile $dir/clamd.log
LogTime yes
SelfCheck 0
StreamMaxLength 100M
MaxThreads 4
EOF
# clamd drops to the clamav user when started as root: let it read and write DIR.
if [[ $(id -u) -eq 0 ]] && id clamav >/dev/null 2>&1; then
  chown -R clamav: "$dir"
fi

"$bin" --config-file="$dir/clamd.conf" </dev/null >"$dir/clamd.out" 2>&1 &
echo $! >"$dir/clamd.pid"

for _ in $(seq 300); do
  pong "$socket" && break
  alive "$dir" || { log "clamd exited, see $dir/clamd.out and $dir/clamd.log"; exit 1; }
  sleep 0.1
done
pong "$socket" || { log "clamd did not answer PING within 30 s, see $dir/clamd.log"; exit 1; }

log "running on $socket (stop: scripts/clamd.sh stop $dir)"
echo "export STOA_TEST_CLAMD=unix:$socket"
