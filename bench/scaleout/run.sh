#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2154  # PG_ENV/SQLITE_ENV are read through namerefs, URL_* are set by printf -v
# Stoa scale-out benchmark: PostgreSQL + S3 against the embedded defaults, side by side.
#
#   bench/scaleout/run.sh
#
# Measures, in one run, against target/release/stoa (built with `cargo build --release -p stoa`
# when missing or older than the sources):
#   1. a BENCH_SIZE_MB (default 1024) LFS file downloaded, alternating the variants each round
#      (BENCH_ROUNDS, default 7):
#        redirect  Stoa on PostgreSQL + S3, downloads=redirect: `curl -L` on the resolve URL,
#                  302 to a presigned S3 URL, GET from the S3 server
#        direct    the same object straight from the S3 server with a presigned URL (the
#                  Location of one 302, reused)
#        sigv4     the same object with `curl --aws-sigv4` (header-signed), for information
#        proxy     a second Stoa node on the same database, bucket and data dir with
#                  downloads=proxy: Stoa streams the object from S3 to the client
#        local     for reference: the same file on the embedded node (local files, no S3)
#      timed transfers go to -o /dev/null; one untimed full download of each variant is written
#      to a file on disk and its sha256 checked first.
#   2. sequential small commits (one new 100-byte file each, HTTP commit API, ndjson) against
#      a node on the embedded defaults (SQLite + local files) and the PostgreSQL + S3 node,
#      BENCH_COMMITS (default 200) each, alternating in batches of BENCH_BATCH (default 20).
# PostgreSQL and the S3 server (s3s-fs) come from scripts/postgres.sh and scripts/s3.sh, in a
# temp dir, and are stopped at exit. Everything listens on 127.0.0.1. The run is capped at
# BENCH_TIME_BUDGET seconds (default 1200, excluding the build). Prints a Markdown section and,
# unless BENCH_WRITE_RESULTS=0, puts it into bench/RESULTS.md as "## Scale-out (PostgreSQL + S3)"
# (replacing the previous one). Logs of the last run: bench/scaleout/logs/ (git-ignored).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$REPO_ROOT/bench/lib/common.sh"
RESULTS_MD=${BENCH_RESULTS_MD:-$REPO_ROOT/bench/RESULTS.md}
LOG_DIR="$HERE/logs"
SECTION_TITLE="## Scale-out (PostgreSQL + S3)"

# ---- knobs -----------------------------------------------------------------
STOA_BIN=${STOA_BIN:-$REPO_ROOT/target/release/stoa}
STOA_NO_BUILD=${STOA_NO_BUILD:-0}
SIZE_MB=${BENCH_SIZE_MB:-1024}          # MiB
ROUNDS=${BENCH_ROUNDS:-7}
COMMITS=${BENCH_COMMITS:-200}
BATCH=${BENCH_BATCH:-20}
WARMUP_COMMITS=${BENCH_WARMUP_COMMITS:-5}
TIME_BUDGET=${BENCH_TIME_BUDGET:-1200}
WRITE_RESULTS=${BENCH_WRITE_RESULTS:-1}
KEEP_TMP=${BENCH_KEEP_TMP:-0}
PY=${BENCH_PYTHON:-$REPO_ROOT/.venv/bin/python}
[ -x "$PY" ] || PY=python3

SIZE=$((SIZE_MB * 1024 * 1024))
if [ $((SIZE_MB % 1024)) = 0 ]; then SIZE_LABEL="$((SIZE_MB / 1024)) GiB"; else SIZE_LABEL="$SIZE_MB MiB"; fi
NS=bench
S3_PREFIX=scaleout-bench
VARIANTS=(redirect direct sigv4 proxy local)

# ---- state -----------------------------------------------------------------
declare -A R=()
declare -A T=()        # download samples per variant: "s1 s2 ..."
NOTES=()
PIDS=()
TMP=""
FC_PID=""
WATCHDOG_PID=""
T0=$(date +%s.%N)
CLK_TCK=$(getconf CLK_TCK)

now() { date +%s.%N; }
elapsed() { awk -v a="$(now)" -v b="$1" 'BEGIN{printf "%.1f", a-b}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b+0 == 0) print "n/a"; else printf "%.2f", a/b }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{ if (NR==0) print "n/a"; else if (NR%2) printf "%.3f", a[(NR+1)/2]; else printf "%.3f", (a[NR/2]+a[NR/2+1])/2 }'; }
minof() { printf '%s\n' "$@" | sort -g | head -n1; }
maxof() { printf '%s\n' "$@" | sort -g | tail -n1; }
mbps() { awk -v s="$SIZE" -v t="$1" 'BEGIN{ if (t+0 == 0) print "n/a"; else printf "%.0f", s/t/1e6 }'; }

# run a command in the background and wait for it, so that a TERM from the watchdog or the
# user is handled at once (bash runs traps only between foreground commands)
kill_pid() {
    local pid=$1
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    return 0
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [ -n "$WATCHDOG_PID" ] && { kill "$WATCHDOG_PID" 2>/dev/null; wait "$WATCHDOG_PID" 2>/dev/null; untrack "$WATCHDOG_PID"; }
    local p
    for p in "${PIDS[@]}"; do kill_pid "$p"; done
    if [ -n "$TMP" ] && [ -d "$TMP" ]; then
        "$REPO_ROOT/scripts/postgres.sh" stop "$TMP/pg" >/dev/null 2>&1 || true
        "$REPO_ROOT/scripts/s3.sh" stop "$TMP/s3" >/dev/null 2>&1 || true
        mkdir -p "$LOG_DIR"
        for f in stoa-sqlite.log stoa-redirect.log stoa-proxy.log commits.json; do
            [ -f "$TMP/$f" ] && tail -c 200000 "$TMP/$f" > "$LOG_DIR/$f"
        done
        [ -f "$TMP/pg/server.log" ] && tail -c 100000 "$TMP/pg/server.log" > "$LOG_DIR/postgres.log"
        [ -f "$TMP/s3/s3s-fs.log" ] && tail -c 100000 "$TMP/s3/s3s-fs.log" > "$LOG_DIR/s3s-fs.log"
        if [ "$KEEP_TMP" = 1 ]; then log "keeping $TMP (BENCH_KEEP_TMP=1)"; else rm -rf "$TMP"; fi
    fi
    [ "$rc" = 0 ] || log "run failed (exit $rc); logs in $LOG_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'log "time budget or TERM: stopping"; exit 143' TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_http_200() { # url timeout_s pid
    local deadline=$(( $(date +%s) + $2 ))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" || true)" = 200 ] && return 0
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}

# ---- build -----------------------------------------------------------------
ensure_binary() {
    local stale=0
    if [ ! -x "$STOA_BIN" ] || [ -n "$(find "$REPO_ROOT/crates" "$REPO_ROOT/Cargo.toml" "$REPO_ROOT/Cargo.lock" \
            -newer "$STOA_BIN" -type f -print -quit 2>/dev/null)" ]; then
        stale=1
    fi
    if [ "$stale" = 1 ] && [ "$STOA_NO_BUILD" != 1 ]; then
        # shellcheck source=/dev/null
        [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
        log "building: cargo build --release -p stoa"
        (cd "$REPO_ROOT" && cargo build --release -p stoa) >&2 || die "cargo build --release -p stoa failed"
        STOA_BIN=$REPO_ROOT/target/release/stoa
    elif [ "$stale" = 1 ]; then
        note "STOA_NO_BUILD=1: $STOA_BIN is missing or older than the sources"
    fi
    [ -x "$STOA_BIN" ] || die "no Stoa binary at $STOA_BIN"
}

describe_machine() {
    R[cpu_model]=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)
    R[nproc]=$(nproc)
    R[free_g]=$(free -g | awk '/^Mem:/{printf "%s GiB total, %s GiB available", $2, $7}')
    R[kernel]=$(uname -sr)
    R[date]=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
    R[git_rev]=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    R[git_dirty]=$(git -C "$REPO_ROOT" status --porcelain -- crates Cargo.toml Cargo.lock 2>/dev/null | wc -l)
    R[stoa_bin]=${STOA_BIN#"$REPO_ROOT/"}
    R[stoa_mtime]=$(date -u -r "$STOA_BIN" '+%Y-%m-%d %H:%M:%S UTC' 2>/dev/null || echo unknown)
    R[curl]=$(curl --version | head -n1 | awk '{print $1, $2}')
}

# ---- services --------------------------------------------------------------
start_services() {
    log "starting PostgreSQL (scripts/postgres.sh $TMP/pg)"
    bgwait "$REPO_ROOT/scripts/postgres.sh" "$TMP/pg" > "$TMP/postgres.env" 2> "$TMP/postgres-start.log" \
        || { cat "$TMP/postgres-start.log" >&2; die "scripts/postgres.sh failed"; }
    eval "$(grep '^export STOA_TEST_' "$TMP/postgres.env")"
    [ -n "${STOA_TEST_DATABASE_URL:-}" ] || die "scripts/postgres.sh printed no STOA_TEST_DATABASE_URL"
    R[pg_version]=$(psql "$STOA_TEST_DATABASE_URL" -tAc 'SHOW server_version' 2>/dev/null | awk '{print $1}')
    R[pg_settings]=$(psql "$STOA_TEST_DATABASE_URL" -tAc "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync','synchronous_commit','shared_buffers','wal_sync_method')" 2>/dev/null)
    R[postmaster_pid]=$(head -n1 "$TMP/pg/data/postmaster.pid" 2>/dev/null)
    log "starting s3s-fs (scripts/s3.sh $TMP/s3)"
    bgwait "$REPO_ROOT/scripts/s3.sh" "$TMP/s3" > "$TMP/s3.env" 2> "$TMP/s3-start.log" \
        || { cat "$TMP/s3-start.log" >&2; die "scripts/s3.sh failed"; }
    eval "$(grep '^export STOA_TEST_' "$TMP/s3.env")"
    [ -n "${STOA_TEST_S3_ENDPOINT:-}" ] || die "scripts/s3.sh printed no STOA_TEST_S3_ENDPOINT"
    R[s3_pid]=$(cat "$TMP/s3/s3s-fs.pid" 2>/dev/null)
    R[s3_version]=$("$(readlink -f "/proc/${R[s3_pid]}/exe" 2>/dev/null || echo false)" --version 2>/dev/null || echo "s3s-fs")
}

# environment of the PostgreSQL + S3 nodes (and their admin commands), and of the embedded node
UNSET_ENV=(-u STOA_DATABASE_URL -u STOA_DATABASE_URL_FILE -u STOA_S3_ENDPOINT -u STOA_S3_REGION -u STOA_S3_BUCKET
    -u STOA_S3_ACCESS_KEY_ID -u STOA_S3_SECRET_ACCESS_KEY -u STOA_S3_PREFIX -u STOA_S3_DOWNLOADS
    -u STOA_CONFIG -u STOA_DATA_DIR -u STOA_LISTEN -u STOA_PUBLIC_URL)
PG_ENV=()
SQLITE_ENV=()
set_envs() {
    PG_ENV=("${UNSET_ENV[@]}" STOA_DATABASE_URL="$STOA_TEST_DATABASE_URL"
        STOA_S3_ENDPOINT="$STOA_TEST_S3_ENDPOINT" STOA_S3_REGION="$STOA_TEST_S3_REGION"
        STOA_S3_BUCKET="$STOA_TEST_S3_BUCKET" STOA_S3_ACCESS_KEY_ID="$STOA_TEST_S3_ACCESS_KEY_ID"
        STOA_S3_SECRET_ACCESS_KEY="$STOA_TEST_S3_SECRET_ACCESS_KEY" STOA_S3_PREFIX="$S3_PREFIX")
    SQLITE_ENV=("${UNSET_ENV[@]}")
}

make_token() { # pg|sqlite datadir -> prints hf_ token
    local -n envs=${1^^}_ENV
    local dir=$2 out
    out=$(env "${envs[@]}" "$STOA_BIN" admin user create "$NS" --data-dir "$dir" 2>&1) || { log "admin user create: $out"; return 1; }
    out=$(env "${envs[@]}" "$STOA_BIN" admin token create --user "$NS" --role write --data-dir "$dir" 2>&1) \
        || { log "admin token create: $out"; return 1; }
    grep -oE -m1 'hf_[A-Za-z0-9_-]+' <<<"$out"
}

start_node() { # name pg|sqlite datadir [extra env...] ; sets URL_<name>
    local name=$1 dir=$3
    local -n envs=${2^^}_ENV
    shift 3
    local port url pid
    port=$(free_port); url="http://127.0.0.1:$port"
    env STOA_RATE_LIMIT=off "${envs[@]}" "$@" "$STOA_BIN" serve --data-dir "$dir" --listen "127.0.0.1:$port" --public-url "$url" \
        > "$TMP/stoa-$name.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait_http_200 "$url/api/models" 60 "$pid" || { tail -n 20 "$TMP/stoa-$name.log" >&2; die "stoa ($name) did not start"; }
    printf -v "URL_$name" '%s' "$url"
    printf -v "PID_$name" '%s' "$pid"
    log "stoa ($name) on $url"
}

# ---- 1. the large file -----------------------------------------------------
make_big() {
    log "writing $SIZE_LABEL of random bytes"
    head -c "$SIZE" /dev/urandom > "$TMP/big.bin" || die "cannot write $TMP/big.bin"
    BIG_OID=$(sha256sum "$TMP/big.bin" | awk '{print $1}'); R[oid]=$BIG_OID
}

# upload_big LABEL URL TOKEN: repo $NS/big on that node, big.bin uploaded with the classic LFS
# batch API (basic transfer: the object is stored whole under lfs/objects/<oid>), then committed
upload_big() {
    local label=$1 url=$2 token=$3 f="$TMP/big.bin" oid=$BIG_OID resp href verify code out body
    code=$(curl -sS --max-time 30 -o "$TMP/create.out" -w '%{http_code}' -X POST "$url/api/repos/create" \
        -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data '{"name":"big","type":"model"}')
    [ "$code" = 200 ] || die "$label: create repo big: HTTP $code $(head -c 300 "$TMP/create.out")"
    resp=$(curl -sS --max-time 60 -X POST "$url/$NS/big.git/info/lfs/objects/batch" \
        -H "Authorization: Bearer $token" -H 'Accept: application/vnd.git-lfs+json' \
        -H 'Content-Type: application/vnd.git-lfs+json' \
        --data "{\"operation\":\"upload\",\"transfers\":[\"basic\"],\"objects\":[{\"oid\":\"$oid\",\"size\":$SIZE}],\"hash_algo\":\"sha256\",\"ref\":{\"name\":\"main\"}}") \
        || die "$label: LFS batch request failed"
    href=$(jq -r '.objects[0].actions.upload.href // empty' <<<"$resp")
    [ -n "$href" ] || die "$label: LFS batch gave no upload href: $(head -c 500 <<<"$resp")"
    if [ "${href#"$STOA_TEST_S3_ENDPOINT"}" != "$href" ]; then R[put_to_$label]="a presigned S3 PUT URL"; else R[put_to_$label]="Stoa's signed PUT URL"; fi
    log "$label: PUT $SIZE_LABEL to ${R[put_to_$label]}"
    bgwait curl -sS --max-time 600 -X PUT -H 'Expect:' --upload-file "$f" -o "$TMP/put.out" \
        -w '%{http_code} %{time_total}' "$href" > "$TMP/put.w" || die "$label: PUT failed"
    out=$(cat "$TMP/put.w")
    [ "${out:0:1}" = 2 ] || die "$label: PUT answered HTTP ${out%% *}: $(head -c 300 "$TMP/put.out")"
    R[put_s_$label]=$(awk '{printf "%.2f", $2}' <<<"$out")
    verify=$(jq -r '.objects[0].actions.verify.href // empty' <<<"$resp")
    R[verify_s_$label]="none"
    if [ -n "$verify" ]; then
        bgwait curl -sS --max-time 600 -o "$TMP/verify.out" -w '%{http_code} %{time_total}' -X POST "$verify" \
            -H "Authorization: Bearer $token" -H 'Content-Type: application/vnd.git-lfs+json' \
            --data "{\"oid\":\"$oid\",\"size\":$SIZE}" > "$TMP/verify.w" || die "$label: verify failed"
        out=$(cat "$TMP/verify.w")
        [ "${out:0:1}" = 2 ] || die "$label: verify answered HTTP ${out%% *}: $(head -c 300 "$TMP/verify.out")"
        R[verify_s_$label]="$(awk '{printf "%.2f", $2}' <<<"$out") s"
    fi
    body=$(printf '%s\n%s\n' '{"key":"header","value":{"summary":"add big.bin","description":""}}' \
        "{\"key\":\"lfsFile\",\"value\":{\"path\":\"big.bin\",\"algo\":\"sha256\",\"oid\":\"$oid\",\"size\":$SIZE}}")
    code=$(curl -sS --max-time 60 -o "$TMP/commit.out" -w '%{http_code}' -X POST "$url/api/models/$NS/big/commit/main" \
        -H "Authorization: Bearer $token" -H 'Content-Type: application/x-ndjson' --data-binary "$body")
    [ "$code" = 200 ] || die "$label: commit big.bin: HTTP $code $(head -c 300 "$TMP/commit.out")"
    log "$label: uploaded and committed big.bin; PUT ${R[put_s_$label]} s, verify ${R[verify_s_$label]}"
}

upload_all() {
    make_big
    upload_big s3 "$URL_redirect" "$TOKEN_PG"
    # the object must be one whole S3 object (s3s-fs keeps each object as one file)
    local objfile="$TMP/s3/root/$STOA_TEST_S3_BUCKET/$S3_PREFIX/lfs/objects/$BIG_OID"
    [ "$(stat -c %s "$objfile" 2>/dev/null)" = "$SIZE" ] || die "no whole S3 object of $SIZE bytes at $objfile"
    R[s3_key]="$S3_PREFIX/lfs/objects/$BIG_OID"
    upload_big local "$URL_sqlite" "$TOKEN_SQLITE"
    rm -f "$TMP/big.bin"   # the copies in the bucket and in the embedded node are the only ones from here on
}

# variant outfile -> FETCH=(curl arguments); curl prints
# "http_code size time_total time_redirect num_redirects time_starttransfer"
RESOLVE_PATH="/$NS/big/resolve/main/big.bin"
fetch_args() {
    FETCH=(-sS --max-time 300 -o "$2" -w '%{http_code} %{size_download} %{time_total} %{time_redirect} %{num_redirects} %{time_starttransfer}')
    case $1 in
        redirect) FETCH+=(-L -H "Authorization: Bearer $TOKEN_PG" "$URL_redirect$RESOLVE_PATH") ;;
        proxy)    FETCH+=(-L -H "Authorization: Bearer $TOKEN_PG" "$URL_proxy$RESOLVE_PATH") ;;
        local)    FETCH+=(-L -H "Authorization: Bearer $TOKEN_SQLITE" "$URL_sqlite$RESOLVE_PATH") ;;
        direct)   FETCH+=("$PRESIGNED") ;;
        sigv4)    FETCH+=(--aws-sigv4 "aws:amz:$STOA_TEST_S3_REGION:s3"
                      --user "$STOA_TEST_S3_ACCESS_KEY_ID:$STOA_TEST_S3_SECRET_ACCESS_KEY"
                      -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD'
                      "$STOA_TEST_S3_ENDPOINT/$STOA_TEST_S3_BUCKET/${R[s3_key]}") ;;
    esac
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
fetch() { # variant outfile -> OUT (curl's -w line), CPU_S3 / CPU_STOA (CPU seconds used meanwhile)
    local s0 n0 node=""
    case $1 in redirect) node=$PID_redirect ;; proxy) node=$PID_proxy ;; local) node=$PID_sqlite ;; esac
    fetch_args "$1" "$2"
    s0=$(cpu_ticks "${R[s3_pid]}"); n0=$( [ -n "$node" ] && cpu_ticks "$node" || echo 0)
    bgwait curl "${FETCH[@]}" > "$TMP/fetch.out" || return 1
    CPU_S3=$(awk -v a="$(cpu_ticks "${R[s3_pid]}")" -v b="$s0" -v t="$CLK_TCK" 'BEGIN{printf "%.2f", (a-b)/t}')
    CPU_STOA=""
    [ -n "$node" ] && CPU_STOA=$(awk -v a="$(cpu_ticks "$node")" -v b="$n0" -v t="$CLK_TCK" 'BEGIN{printf "%.2f", (a-b)/t}')
    OUT=$(cat "$TMP/fetch.out")
}

section_download() {
    local hdr code v sum r i sz t tred nred ttfb
    # the 302 itself, and the presigned URL it carries (reused for the "direct" variant)
    hdr=$(curl -sS --max-time 30 -o /dev/null -D - -H "Authorization: Bearer $TOKEN_PG" "$URL_redirect$RESOLVE_PATH" | tr -d '\r')
    code=$(awk 'NR==1{print $2}' <<<"$hdr")
    [ "$code" = 302 ] || die "resolve on the redirect node answered $code, expected 302"
    PRESIGNED=$(awk -F': ' 'tolower($1)=="location"{print $2}' <<<"$hdr")
    [ "${PRESIGNED#"$STOA_TEST_S3_ENDPOINT"}" != "$PRESIGNED" ] || die "302 Location is not on the S3 endpoint: $PRESIGNED"
    R[location_shape]=$(sed -E 's/(X-Amz-(Credential|Signature))=[^&]*/\1=…/g; s#^https?://[^/]+#<S3>#; s#/lfs/objects/[0-9a-f]{64}#/lfs/objects/<oid>#' <<<"$PRESIGNED")
    code=$(curl -sS --max-time 30 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN_PG" "$URL_proxy$RESOLVE_PATH" -r 0-0)
    [ "$code" = 206 ] || die "the proxy node answered $code to a 1-byte range, expected 206 (not a redirect)"

    # one untimed full download of each variant, written to disk and hashed
    for v in "${VARIANTS[@]}"; do
        fetch "$v" "$TMP/check.bin" || die "$v: download failed"
        read -r code sz _ _ nred _ <<<"$OUT"
        sum=$(sha256sum "$TMP/check.bin" | awk '{print $1}')
        rm -f "$TMP/check.bin"
        if [ "$code" != 200 ] || [ "$sz" != "$SIZE" ] || [ "$sum" != "$BIG_OID" ]; then
            die "$v: check download gave HTTP $code, $sz bytes, sha256 $sum (expected $SIZE bytes, $BIG_OID)"
        fi
        R[verified_$v]="yes ($nred redirect$( [ "$nred" = 1 ] || echo s))"
        log "$v: full download written to disk, sha256 verified"
    done

    # timed rounds, to /dev/null; the order rotates every round
    local n=${#VARIANTS[@]}
    for r in $(seq 1 "$ROUNDS"); do
        local line=""
        for i in $(seq 0 $((n - 1))); do
            v=${VARIANTS[$(( (i + r - 1) % n ))]}
            fetch "$v" /dev/null || die "$v: download failed in round $r"
            read -r code sz t tred _ ttfb <<<"$OUT"
            if [ "$code" != 200 ] || [ "$sz" != "$SIZE" ]; then die "$v round $r: HTTP $code, $sz bytes"; fi
            T[$v]+="$(printf '%.3f' "$t") "
            T[ttfb_$v]+="$ttfb "
            T[cpus3_$v]+="$CPU_S3 "
            [ -n "$CPU_STOA" ] && T[cpustoa_$v]+="$CPU_STOA "
            [ "$v" = redirect ] && T[hop]+="$tred "
            line+="$v $(printf '%.3f' "$t")s  "
        done
        log "round $r: $line"
    done
    for v in "${VARIANTS[@]}"; do
        # shellcheck disable=SC2086  # word splitting of the sample list is wanted
        R[med_$v]=$(median ${T[$v]})
        # shellcheck disable=SC2086
        R[min_$v]=$(minof ${T[$v]})
        # shellcheck disable=SC2086
        R[max_$v]=$(maxof ${T[$v]})
        R[mbps_$v]=$(mbps "${R[med_$v]}")
        # shellcheck disable=SC2086
        R[ttfb_$v]=$(awk -v s="$(median ${T[ttfb_$v]})" 'BEGIN{printf "%.1f", s*1000}')
        # shellcheck disable=SC2086
        R[cpus3_$v]=$(printf '%.2f' "$(median ${T[cpus3_$v]})")
        # shellcheck disable=SC2086
        [ -n "${T[cpustoa_$v]:-}" ] && R[cpustoa_$v]=$(printf '%.2f' "$(median ${T[cpustoa_$v]})")
    done
    # shellcheck disable=SC2086
    R[hop_ms]=$(awk -v s="$(median ${T[hop]})" 'BEGIN{printf "%.1f", s*1000}')
    R[ratio_redirect]=$(div "${R[med_redirect]}" "${R[med_direct]}")
    R[ratio_proxy]=$(div "${R[med_proxy]}" "${R[med_direct]}")
    R[ratio_sigv4]=$(div "${R[med_sigv4]}" "${R[med_direct]}")
    R[ratio_local]=$(div "${R[med_local]}" "${R[med_direct]}")
    R[bratio_redirect]=$(div "${R[min_redirect]}" "${R[min_direct]}")
    R[bratio_proxy]=$(div "${R[min_proxy]}" "${R[min_direct]}")
    # share of the direct transfer time s3s-fs spent on a CPU
    R[s3_busy]=$(awk -v c="${R[cpus3_direct]}" -v t="${R[med_direct]}" 'BEGIN{ if (t+0 == 0) print "n/a"; else printf "%.0f", 100*c/t }')
}

# ---- 2. commit latency -----------------------------------------------------
pg_xid() { # the cluster's transaction id counter (every writing transaction takes one; so does this query)
    psql "$STOA_TEST_DATABASE_URL" -tAc "SELECT pg_current_xact_id()" 2>/dev/null
}

section_commits() {
    log "commits: $COMMITS per server, batches of $BATCH, $WARMUP_COMMITS warm-up each"
    local x0 x1
    x0=$(pg_xid)
    local deadline; deadline=$(awk -v b="$TIME_BUDGET" -v e="$(elapsed "$T0")" 'BEGIN{d=b-e-30; if (d<30) d=30; printf "%d", d}')
    bgwait "$PY" "$HERE/commits.py" --commits "$COMMITS" --batch "$BATCH" --warmup "$WARMUP_COMMITS" \
        --deadline "$deadline" \
        "sqlite=$URL_sqlite,$TOKEN_SQLITE,$NS/commits" \
        "postgres=$URL_redirect,$TOKEN_PG,$NS/commits" > "$TMP/commits.json" \
        || die "commits.py failed (exit $?)"
    x1=$(pg_xid)
    if [ -n "$x0" ] && [ -n "$x1" ]; then
        R[c_pg_xacts]=$(awk -v a="$x1" -v b="$x0" -v n="$((COMMITS + WARMUP_COMMITS))" 'BEGIN{printf "%.1f", (a-b-1)/n}')
    fi
    local j; j=$(cat "$TMP/commits.json")
    for s in sqlite postgres; do
        for k in n p50_ms p95_ms mean_ms min_ms max_ms connections head_verified; do
            R[c_${s}_$k]=$(jq -r ".servers.$s.$k | if . == true then \"yes\" elif . == false then \"no\" else . end" <<<"$j")
        done
    done
    R[c_client]=$(jq -r .client <<<"$j")
    R[c_wall]=$(jq -r .wall_s <<<"$j")
    for k in p50_ms p95_ms mean_ms; do R[c_ratio_$k]=$(div "${R[c_postgres_$k]}" "${R[c_sqlite_$k]}"); done
}

# ---- report ----------------------------------------------------------------
section_md() {
    local v
    echo "$SECTION_TITLE"
    echo
    echo "Generated by \`bench/scaleout/run.sh\` (not by \`bench/run.sh\`); re-run it to refresh this section."
    echo
    echo "- command: \`$CMDLINE\`"
    echo "- date: ${R[date]}; machine: ${R[cpu_model]}, \`nproc\` ${R[nproc]}, \`free -g\`: ${R[free_g]}; ${R[kernel]}"
    echo "- Stoa: binary \`${R[stoa_bin]}\` built ${R[stoa_mtime]}, git HEAD ${R[git_rev]} (${R[git_dirty]} uncommitted changes under crates/ and Cargo.*)"
    echo "- services, all on 127.0.0.1 (loopback, same machine, client and servers share the ${R[nproc]} cores):"
    echo "  PostgreSQL ${R[pg_version]:-?} from \`scripts/postgres.sh\` (${R[pg_settings]:-settings n/a});"
    echo "  S3 = **s3s-fs** (${R[s3_version]}, from \`scripts/s3.sh\`; one file per object on the local disk), not Garage"
    echo "- CPU used by other processes during the run: ${R[foreign]:-n/a}"
    echo
    echo "### $SIZE_LABEL download: Stoa redirect / proxy vs straight from S3"
    echo
    echo "One file of $SIZE_LABEL (random bytes) committed as \`$NS/big\` \`big.bin\` on the PostgreSQL + S3 nodes, uploaded"
    echo "with the classic LFS batch API, basic transfer (PUT to ${R[put_to_s3]:-?} in ${R[put_s_s3]:-?} s, then Stoa's"
    echo "verify, which reads the object back from S3, in ${R[verify_s_s3]:-?}); stored whole as the S3 object"
    echo "\`${R[s3_key]:-?}\`. The same file went to the embedded node the same way (PUT to ${R[put_to_local]:-?}"
    echo "in ${R[put_s_local]:-?} s) for the reference row. $ROUNDS rounds, each variant once per round, the order rotating;"
    echo "\`curl\` (${R[curl]}), one process per transfer, timed with \`%{time_total}\`, **body to \`-o /dev/null\`**."
    echo "Before the rounds, one full download of each variant was written to a file on disk and its sha256 checked."
    echo
    echo "| variant | how | median s | median MB/s | min–max s | time vs direct | first byte ms | CPU s: s3s-fs / Stoa | sha256 checked |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    for v in "${VARIANTS[@]}"; do
        local how ratio
        case $v in
            redirect) how="Stoa (PostgreSQL + S3, \`downloads=redirect\`): \`curl -L\` resolve URL → 302 → presigned GET on s3s-fs"; ratio="${R[ratio_redirect]:-n/a}" ;;
            direct)   how="s3s-fs, the presigned URL from a 302's \`Location\` (query-signed)"; ratio="1.00" ;;
            sigv4)    how="s3s-fs, \`curl --aws-sigv4\` (header-signed, \`x-amz-content-sha256: UNSIGNED-PAYLOAD\`)"; ratio="${R[ratio_sigv4]:-n/a}" ;;
            proxy)    how="second Stoa node, same DB/bucket/data dir, \`STOA_S3_DOWNLOADS=proxy\`: Stoa streams from s3s-fs"; ratio="${R[ratio_proxy]:-n/a}" ;;
            local)    how="for reference: the embedded node (SQLite + local files), same bytes from its data dir, no S3"; ratio="${R[ratio_local]:-n/a}" ;;
        esac
        echo "| $v | $how | ${R[med_$v]:-n/a} | ${R[mbps_$v]:-n/a} | ${R[min_$v]:-?}–${R[max_$v]:-?} | $ratio | ${R[ttfb_$v]:-n/a} | ${R[cpus3_$v]:-?} / ${R[cpustoa_$v]:-—} | ${R[verified_$v]:-no} |"
    done
    echo
    echo "- ratio of median times, redirect/direct: **${R[ratio_redirect]:-n/a}**; proxy/direct: **${R[ratio_proxy]:-n/a}** (above 1 = slower than direct; MB/s = 10⁶ B/s); of the fastest runs: redirect/direct ${R[bratio_redirect]:-n/a}, proxy/direct ${R[bratio_proxy]:-n/a}"
    echo "- s3s-fs was on a CPU ${R[s3_busy]:-n/a} % of a direct transfer's time: the S3 server, not Stoa, sets the pace of every S3 variant."
    echo "  s3s-fs 0.14.1 streams a GetObject body through \`ReaderStream::with_capacity(file, 4096)\` on a \`tokio::fs::File\`"
    echo "  (src/s3.rs), i.e. 4 KiB reads each handed to tokio's blocking pool: about 262,000 of them per GiB"
    echo "- first byte = curl \`%{time_starttransfer}\` (for redirect: including the 302 hop); CPU s = user+system seconds the s3s-fs process and the Stoa node serving the request used during the transfer (medians; the receiving curl is not counted)"
    echo "- the 302 hop in the redirect variant (curl \`%{time_redirect}\`, median): ${R[hop_ms]:-n/a} ms"
    echo "- proxy: the Stoa node streaming the object used ${R[cpustoa_proxy]:-?} CPU s per transfer (the redirect node ${R[cpustoa_redirect]:-?} s)."
    echo "  With s3s-fs holding one of the ${R[nproc]} cores, that mostly runs on another, so the extra copy largely overlaps"
    echo "  with the S3 server's work here (proxy/direct ${R[ratio_proxy]:-n/a}); against an S3 server that is not the bottleneck it would cost more"
    echo "- upload with S3 storage: PUT ${R[put_s_s3]:-?} s straight into the bucket, then ${R[verify_s_s3]:-?} of verify, in which Stoa"
    echo "  reads the object back from s3s-fs to check its sha256; on the embedded node: PUT ${R[put_s_local]:-?} s (Stoa hashes while"
    echo "  receiving), verify ${R[verify_s_local]:-?}"
    echo "- samples (s, in round order): redirect ${T[redirect]:-}; direct ${T[direct]:-}; sigv4 ${T[sigv4]:-}; proxy ${T[proxy]:-}; local ${T[local]:-}"
    echo
    echo "### Commit latency: PostgreSQL vs SQLite"
    echo
    echo "Sequential commits, each adding one new 100-byte file (an inline git blob) through"
    echo "\`POST /api/models/$NS/commits/commit/main\` (\`application/x-ndjson\`: a \`header\` line and a base64 \`file\` line)."
    echo "Client: ${R[c_client]:-?} ($(bench_conn_note)). $WARMUP_COMMITS warm-up commits per server, then $COMMITS timed"
    echo "commits each, alternating servers in batches of $BATCH; latency = request sent → whole response read. The"
    echo "PostgreSQL node is the redirect node above (metadata in PostgreSQL, large objects in S3); git repositories"
    echo "live in its local data dir on both nodes, and a 100-byte file never reaches the object store, so this"
    echo "compares the metadata stores (SQLite: WAL, \`synchronous=FULL\`)."
    echo
    echo "| server | n | p50 ms | p95 ms | mean ms | min–max ms | head verified |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    echo "| embedded (SQLite + local files) | ${R[c_sqlite_n]:-n/a} | ${R[c_sqlite_p50_ms]:-n/a} | ${R[c_sqlite_p95_ms]:-n/a} | ${R[c_sqlite_mean_ms]:-n/a} | ${R[c_sqlite_min_ms]:-?}–${R[c_sqlite_max_ms]:-?} | ${R[c_sqlite_head_verified]:-n/a} |"
    echo "| PostgreSQL + S3 | ${R[c_postgres_n]:-n/a} | ${R[c_postgres_p50_ms]:-n/a} | ${R[c_postgres_p95_ms]:-n/a} | ${R[c_postgres_mean_ms]:-n/a} | ${R[c_postgres_min_ms]:-?}–${R[c_postgres_max_ms]:-?} | ${R[c_postgres_head_verified]:-n/a} |"
    echo "| **ratio PostgreSQL/SQLite** | | **${R[c_ratio_p50_ms]:-n/a}** | **${R[c_ratio_p95_ms]:-n/a}** | **${R[c_ratio_mean_ms]:-n/a}** | | |"
    echo
    echo "- PostgreSQL writing transactions per commit: ${R[c_pg_xacts]:-n/a} (transaction ids used over the commit phase, \`pg_current_xact_id()\`,"
    echo "  incl. the repo creation and any background job of the two PostgreSQL nodes meanwhile; read-only transactions take none)"
    echo
    if [ ${#NOTES[@]} -gt 0 ]; then
        echo "Notes:"
        echo
        printf -- '- %s\n' "${NOTES[@]}"
        echo
    fi
}

bench_conn_note() {
    echo "TCP connections used: SQLite ${R[c_sqlite_connections]:-?}, PostgreSQL ${R[c_postgres_connections]:-?}"
}

# ---- main ------------------------------------------------------------------
main() {
    CMDLINE="bench/scaleout/run.sh"
    local k
    for k in BENCH_SIZE_MB BENCH_ROUNDS BENCH_COMMITS BENCH_BATCH BENCH_WARMUP_COMMITS BENCH_TIME_BUDGET; do
        [ -n "${!k:-}" ] && CMDLINE="$k=${!k} $CMDLINE"
    done
    for k in jq curl psql python3; do command -v "$k" >/dev/null || die "$k is required"; done
    ensure_binary
    # a hard cap on the run (the build above is not counted)
    # (one process, so that killing it at the end leaves no `sleep` behind holding our stdout)
    python3 -c 'import os, signal, sys, time; time.sleep(float(sys.argv[1])); os.kill(int(sys.argv[2]), signal.SIGTERM)' \
        "$TIME_BUDGET" "$$" </dev/null >/dev/null 2>&1 &
    WATCHDOG_PID=$!
    TMP=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/stoa-scaleout.XXXXXX")
    chmod 755 "$TMP"   # as root, PostgreSQL runs as `postgres` and must reach $TMP/pg
    describe_machine
    log "machine: ${R[cpu_model]}, nproc ${R[nproc]}, ${R[free_g]}; tmp $TMP"
    start_services
    # other processes' CPU use, leaving out ours, the postmaster's and s3s-fs's trees
    local others=()
    [ -n "${R[postmaster_pid]:-}" ] && others+=("${R[postmaster_pid]}")
    [ -n "${R[s3_pid]:-}" ] && others+=("${R[s3_pid]}")
    python3 "$REPO_ROOT/bench/lib/foreign_cpu.py" "$$" 1 "$TMP/foreign.json" "${others[@]}" &
    FC_PID=$!
    PIDS+=("$FC_PID")

    mkdir -p "$TMP/sqlite-data" "$TMP/pg-data"
    set_envs
    TOKEN_SQLITE=$(make_token sqlite "$TMP/sqlite-data") || die "no token (SQLite)"
    TOKEN_PG=$(make_token pg "$TMP/pg-data") || die "no token (PostgreSQL)"
    if [ -z "$TOKEN_SQLITE" ] || [ -z "$TOKEN_PG" ]; then die "admin token create printed no hf_ token"; fi
    start_node sqlite sqlite "$TMP/sqlite-data"
    start_node redirect pg "$TMP/pg-data" STOA_S3_DOWNLOADS=redirect
    start_node proxy pg "$TMP/pg-data" STOA_S3_DOWNLOADS=proxy

    upload_all
    section_download
    section_commits
    stop_foreign_cpu
    write_results
}

main "$@"
