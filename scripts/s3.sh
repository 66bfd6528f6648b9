#!/usr/bin/env bash
# A throwaway S3-compatible server for the tests: s3s-fs (crates.io), which keeps each bucket
# as a directory and each object as a file under DIR/root.
#   eval "$(scripts/s3.sh [DIR])"   start a server under DIR (default: a new temp dir), or
#                                   reuse the one already running there
#   scripts/s3.sh stop DIR          stop it (rm -rf DIR afterwards to drop the data)
# Progress goes to stderr; the last lines on stdout are `export STOA_TEST_S3_*=...`
# (ENDPOINT, REGION, BUCKET, ACCESS_KEY_ID, SECRET_ACCESS_KEY; also STOA_TEST_S3_DIR).
# First run builds s3s-fs into ${STOA_TOOLS_DIR:-~/.cache/stoa-tools}/s3s-fs (~3-6 min on 2 cores).
# Path-style requests only (no --domain): clients must disable virtual-hosted style.
set -euo pipefail

version=0.14.1 # newest s3s-fs whose rust-version fits rustc 1.95 (0.15+ need 1.96)
root=${STOA_TOOLS_DIR:-$HOME/.cache/stoa-tools}/s3s-fs
bin=$root/bin/s3s-fs
region=us-east-1 # s3s-fs accepts any region in the signature scope
bucket=stoa-test

log() { printf 's3.sh: %s\n' "$*" >&2; }
alive() { [[ -f $1/s3s-fs.pid ]] && kill -0 "$(cat "$1/s3s-fs.pid")" 2>/dev/null; }

if [[ ${1:-} == stop ]]; then
  dir=${2:?usage: scripts/s3.sh stop DIR}
  if alive "$dir"; then
    pid=$(cat "$dir/s3s-fs.pid")
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$dir/s3s-fs.pid"
  exit 0
fi

if [[ ! -x $bin || $("$bin" --version) != "s3s-fs $version" ]]; then
  log "building s3s-fs $version into $root"
  cargo install s3s-fs --version "$version" --locked --features binary --root "$root" >&2
fi

dir=${1:-$(mktemp -d /tmp/stoa-s3.XXXXXX)}
mkdir -p "$dir/root"
dir=$(cd "$dir" && pwd)

if alive "$dir"; then
  log "reusing the server running in $dir"
  cat "$dir/env"
  exit 0
fi

key=$(head -c 10 /dev/urandom | od -An -tx1 | tr -d ' \n')
secret=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
# --port 0: the kernel picks a free port; s3s-fs logs the address it bound.
RUST_LOG=s3s_fs=info "$bin" --host 127.0.0.1 --port 0 --access-key "$key" --secret-key "$secret" \
  "$dir/root" </dev/null >"$dir/s3s-fs.log" 2>&1 &
echo $! >"$dir/s3s-fs.pid"

endpoint=""
for _ in $(seq 100); do
  endpoint=$(grep -so 'server is running at http://[0-9.:]*' "$dir/s3s-fs.log" | sed 's/.* //') || true
  [[ -z $endpoint ]] || break
  alive "$dir" || { log "s3s-fs exited, see $dir/s3s-fs.log"; exit 1; }
  sleep 0.1
done
[[ -n $endpoint ]] || { log "s3s-fs did not start, see $dir/s3s-fs.log"; exit 1; }

# CreateBucket (PUT /bucket); s3s-fs insists on x-amz-content-sha256, which curl doesn't add.
if [[ ! -d $dir/root/$bucket ]]; then
  curl -fsS --aws-sigv4 "aws:amz:$region:s3" --user "$key:$secret" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -X PUT "$endpoint/$bucket" >&2
fi

cat >"$dir/env" <<EOF
export STOA_TEST_S3_DIR=$dir
export STOA_TEST_S3_ENDPOINT=$endpoint
export STOA_TEST_S3_REGION=$region
export STOA_TEST_S3_BUCKET=$bucket
export STOA_TEST_S3_ACCESS_KEY_ID=$key
export STOA_TEST_S3_SECRET_ACCESS_KEY=$secret
EOF
log "running at $endpoint in $dir (stop: scripts/s3.sh stop $dir)"
cat "$dir/env"
