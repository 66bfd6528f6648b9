#!/usr/bin/env bash
# Opt-in: a throwaway single-node Garage 2.5.0 (the reference S3 engine) for the S3 tests.
# Same contract as scripts/s3.sh, but Garage takes ~15-30 min to build on 2 cores, so it is
# not part of scripts/test.sh.
#   scripts/garage.sh install               build garage into ${STOA_TOOLS_DIR:-~/.cache/stoa-tools}/garage
#   eval "$(scripts/garage.sh start [DIR])"  start a node under DIR (default: a new temp dir), or
#                                           reuse the one already running there
#   scripts/garage.sh stop DIR              stop it (rm -rf DIR afterwards to drop the data)
# Progress goes to stderr; the last lines on stdout are `export STOA_TEST_S3_*=...`
# (ENDPOINT, REGION, BUCKET, ACCESS_KEY_ID, SECRET_ACCESS_KEY; also STOA_TEST_S3_DIR).
# Garage checks the region in signatures: clients must use region "garage", path-style.
set -euo pipefail

version=2.5.0
root=${STOA_TOOLS_DIR:-$HOME/.cache/stoa-tools}/garage
bin=$root/bin/garage
bucket=stoa-test

log() { printf 'garage.sh: %s\n' "$*" >&2; }
alive() { [[ -f $1/garage.pid ]] && kill -0 "$(cat "$1/garage.pid")" 2>/dev/null; }
hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
install() {
  if [[ ! -x $bin || $("$bin" --version 2>/dev/null) != *"cargo:$version "* ]]; then
    log "building garage $version into $root (~15-30 min)"
    cargo install garage --version "$version" --locked --root "$root" >&2
  fi
}

case ${1:-} in
  install) install; exit 0 ;;
  stop)
    dir=${2:?usage: scripts/garage.sh stop DIR}
    if alive "$dir"; then
      pid=$(cat "$dir/garage.pid")
      kill "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$dir/garage.pid"
    exit 0 ;;
  start) ;;
  *) echo "usage: scripts/garage.sh install | start [DIR] | stop DIR" >&2; exit 2 ;;
esac

install
dir=${2:-$(mktemp -d /tmp/stoa-garage.XXXXXX)}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if alive "$dir"; then
  log "reusing the node running in $dir"
  cat "$dir/env"
  exit 0
fi

if [[ ! -f $dir/garage.toml ]]; then
  rpc=127.0.0.1:$(free_port)
  cat >"$dir/garage.toml" <<EOF
metadata_dir = "$dir/meta"
data_dir = "$dir/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "$rpc"
rpc_public_addr = "$rpc"
rpc_secret = "$(hex 32)"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$(free_port)"

[admin]
api_bind_addr = "127.0.0.1:$(free_port)"
admin_token = "$(hex 32)"
EOF
fi
garage() { "$bin" -c "$dir/garage.toml" "$@"; }

"$bin" -c "$dir/garage.toml" server </dev/null >"$dir/garage.log" 2>&1 &
echo $! >"$dir/garage.pid"
for _ in $(seq 100); do
  garage status >/dev/null 2>&1 && break
  alive "$dir" || { log "garage exited, see $dir/garage.log"; exit 1; }
  sleep 0.2
done

if ! garage layout show 2>/dev/null | grep -q 'Current cluster layout version: [1-9]'; then
  node=$(garage node id -q | cut -d@ -f1)
  garage layout assign -z dc1 -c 1G "$node" >&2
  garage layout apply --version 1 >&2
fi
if ! garage bucket info "$bucket" >/dev/null 2>&1; then
  garage bucket create "$bucket" >&2
  keyinfo=$(garage key create stoa-test-key)
  key=$(awk '$1 == "Key" && $2 == "ID:" { print $3 }' <<<"$keyinfo")
  secret=$(awk '$1 == "Secret" && $2 == "key:" { print $3 }' <<<"$keyinfo")
  garage bucket allow --read --write --owner "$bucket" --key "$key" >&2
  printf '%s %s\n' "$key" "$secret" >"$dir/key"
fi
read -r key secret <"$dir/key"
endpoint=http://$(sed -n '/^\[s3_api\]/,/^\[/s/^api_bind_addr = "\(.*\)"/\1/p' "$dir/garage.toml")

# The S3 API answers once the layout and the key's permissions have propagated.
ready=""
for _ in $(seq 100); do
  curl -fsS -o /dev/null --aws-sigv4 "aws:amz:garage:s3" --user "$key:$secret" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$endpoint/$bucket?list-type=2" 2>/dev/null && { ready=1; break; }
  sleep 0.2
done
[[ -n $ready ]] || { log "the S3 API does not answer, see $dir/garage.log"; exit 1; }

cat >"$dir/env" <<EOF
export STOA_TEST_S3_DIR=$dir
export STOA_TEST_S3_ENDPOINT=$endpoint
export STOA_TEST_S3_REGION=garage
export STOA_TEST_S3_BUCKET=$bucket
export STOA_TEST_S3_ACCESS_KEY_ID=$key
export STOA_TEST_S3_SECRET_ACCESS_KEY=$secret
EOF
log "running at $endpoint in $dir (stop: scripts/garage.sh stop $dir)"
cat "$dir/env"
