#!/usr/bin/env bash
# Stoa benchmark harness: Stoa vs nginx (and vs one SHA-256 pass), side by side.
#
#   bench/run.sh            # the one documented command; see bench/README.md
#
# Measures, in one run:
#   1. 1 GiB LFS download throughput, Stoa vs nginx (sendfile on; tcp_nopush on)
#   2. 1 GiB LFS upload (signed PUT from the LFS batch API) vs one SHA-256 pass
#   3. peak Stoa RSS while 20 clients download the 1 GiB file concurrently
#   4. repo-info req/s and p99 over up to 10,000 repos vs nginx serving a static
#      JSON body of the same size
# and writes bench/RESULTS.md.  All traffic goes to 127.0.0.1 only; every load
# is bounded in time and count.  Knobs (environment variables) are listed in
# bench/README.md.
# Other harnesses run on their own and keep their own section of RESULTS.md, which this script
# carries over: bench/git, bench/scaleout, bench/collab, bench/access, bench/scanning, and
# bench/web/run.sh (the web pages of issue 9: p99 and weight of every page on a 10,000-file repo
# vs nginx serving the same HTML).
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=lib/common.sh
. "$REPO_ROOT/bench/lib/common.sh"
LIB="$BENCH_DIR/lib"
RESULTS_MD="$BENCH_DIR/RESULTS.md"
LOG_DIR="$BENCH_DIR/logs"

# ---- knobs -----------------------------------------------------------------
STOA_BIN=${STOA_BIN:-$REPO_ROOT/target/release/stoa}
STOA_NO_BUILD=${STOA_NO_BUILD:-0}
FILE_MIB=${BENCH_FILE_MIB:-1024}
DOWNLOAD_RUNS=${BENCH_DOWNLOAD_RUNS:-3}
UPLOAD_RUNS=${BENCH_UPLOAD_RUNS:-3}
CONCURRENT=${BENCH_CONCURRENT:-20}
RSS_INTERVAL=${BENCH_RSS_INTERVAL:-0.05}
REPO_COUNT=${BENCH_REPO_COUNT:-10000}
REPO_THREADS=${BENCH_REPO_THREADS:-16}
REPO_DEADLINE=${BENCH_REPO_DEADLINE:-240}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
WRK_CONNS=${BENCH_WRK_CONNS:-50}
WRK_DURATION=${BENCH_WRK_DURATION:-15}
WRK_WARMUP=${BENCH_WRK_WARMUP:-3}
TIME_BUDGET=${BENCH_TIME_BUDGET:-570}   # seconds for the benchmark proper (excl. install/build)
KEEP_TMP=${BENCH_KEEP_TMP:-0}

FILE_SIZE=$((FILE_MIB * 1024 * 1024))
if [ $((FILE_MIB % 1024)) = 0 ]; then SIZE_LABEL="$((FILE_MIB / 1024)) GiB"; else SIZE_LABEL="$FILE_MIB MiB"; fi
NS=bench            # user / namespace
BIG_REPO=big        # repo holding the LFS file
BIG_PATH=big.bin    # path of the LFS file in that repo

# ---- state -----------------------------------------------------------------
declare -A R=()      # results, key -> value
declare -A S=()      # section status, section -> "ok" | "FAILED: ..." | "skipped: ..."
NOTES=()             # free-text notes for RESULTS.md
PIDS=()              # processes we started (killed on exit)
TMP=""
STOA_PID=""
NGINX_PID=""
FC_PID=""
RESULTS_WRITTEN=0
T0=$(date +%s.%N)
BENCH_T0=""

now() { date +%s.%N; }
elapsed() { awk -v a="$(now)" -v b="$1" 'BEGIN{printf "%.1f", a-b}'; }
log() { printf '[%6ss] %s\n' "$(elapsed "$T0")" "$*"; }
abort() { note "run aborted: $*"; exit 1; }
fail() { S[$1]="FAILED: $2"; log "FAILED ($1): $2"; }
# float helpers (awk): div a b, mul a b, sub a b, min a b..., fmt digits x
div() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b+0 == 0) print "n/a"; else printf "%.3f", a/b }'; }
fmt() { awk -v d="$1" -v x="$2" 'BEGIN{ printf "%." d "f", x }'; }
minof() { printf '%s\n' "$@" | sort -g | head -n1; }
maxof() { printf '%s\n' "$@" | sort -g | tail -n1; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN{ exit !(a+0 >= b+0) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN{ exit !(a+0 <= b+0) }'; }
# value or "n/a"
v() { printf '%s' "${R[$1]:-n/a}"; }
status_of() { printf '%s' "${S[$1]:-not run}"; }
remaining() { awk -v a="$(now)" -v b="$BENCH_T0" -v t="$TIME_BUDGET" 'BEGIN{printf "%d", t-(a-b)}'; }

free_port() {
    python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# run a command in the background and wait for it: a trapped INT/TERM then ends the run at once
# (bash runs traps only between foreground commands), and cleanup kills the command
kill_tree() { # kill a pid we started, then wait for it
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
    exec 1>&3 2>&4   # a trap can fire inside a redirected command: write to the real stdout/stderr
    if [ "$RESULTS_WRITTEN" = 0 ]; then
        [ "$rc" != 0 ] && note "run ended early (exit status $rc); the figures above are partial"
        stop_foreign_cpu || true
        write_results || true
    fi
    local p
    for p in "${PIDS[@]}"; do kill_tree "$p"; done
    if [ -n "$TMP" ] && [ -d "$TMP" ]; then
        mkdir -p "$LOG_DIR"
        [ -f "$TMP/stoa.log" ] && tail -c 200000 "$TMP/stoa.log" > "$LOG_DIR/stoa.log"
        [ -f "$TMP/nginx/error.log" ] && tail -c 50000 "$TMP/nginx/error.log" > "$LOG_DIR/nginx-error.log"
        if [ "$KEEP_TMP" = 1 ]; then
            log "keeping $TMP (BENCH_KEEP_TMP=1)"
        else
            rm -rf "$TMP"
        fi
    fi
    log "done (exit $rc); results in $RESULTS_MD, logs in $LOG_DIR"
    exit "$rc"
}
exec 3>&1 4>&2
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- 0. dependencies -------------------------------------------------------
ensure_deps() {
    local missing=() cmd pkg
    for pair in nginx:nginx wrk:wrk jq:jq curl:curl python3:python3 lscpu:util-linux; do
        cmd=${pair%%:*}; pkg=${pair#*:}
        command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing with apt-get: ${missing[*]}"
        local sudo=""
        [ "$(id -u)" = 0 ] || sudo="sudo"
        $sudo apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null \
            || abort "apt-get install ${missing[*]} failed"
    fi
    export PATH="$PATH:/usr/sbin:/sbin"
}

# ---- 1. build --------------------------------------------------------------
ensure_binary() {
    local need=0
    if [ ! -x "$STOA_BIN" ]; then
        need=1
    elif [ -n "$(find "$REPO_ROOT/crates" "$REPO_ROOT/Cargo.toml" "$REPO_ROOT/Cargo.lock" \
                -newer "$STOA_BIN" -type f -print -quit 2>/dev/null)" ]; then
        need=1
    fi
    if [ "$need" = 1 ] && [ "$STOA_NO_BUILD" != 1 ]; then
        # shellcheck source=/dev/null
        [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
        log "building: cargo build --release -p stoa"
        local t; t=$(now)
        (cd "$REPO_ROOT" && cargo build --release -p stoa) || abort "cargo build --release -p stoa failed"
        R[build_s]=$(elapsed "$t")
        STOA_BIN=$REPO_ROOT/target/release/stoa
    elif [ "$need" = 1 ]; then
        note "STOA_NO_BUILD=1: using $STOA_BIN although it is missing or older than the sources"
    fi
    [ -x "$STOA_BIN" ] || abort "no Stoa binary at $STOA_BIN"
}

# ---- machine description ---------------------------------------------------
describe_machine() {
    R[cpu_model]=$(lscpu | awk -F: '/^Model name/{gsub(/^[ \t]+/,"",$2); print $2; exit}')
    R[cpus]=$(lscpu | awk -F: '/^CPU\(s\)/{gsub(/[ \t]/,"",$2); print $2; exit}')
    R[nproc]=$(nproc)
    R[ram]=$(awk '/^MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)
    R[kernel]="$(uname -sr)"
    R[date]=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
    R[sha_ni]=$(grep -qw sha_ni /proc/cpuinfo && echo yes || echo no)
    R[nginx_version]=$(nginx -v 2>&1 | sed 's/^nginx version: //')
    R[wrk_version]=$(wrk -v 2>&1 | head -n1 | awk '{print $1, $2}')
    R[curl_version]=$(curl --version | head -n1 | awk '{print $1, $2}')
    R[python_version]=$(python3 --version 2>&1)
    R[sha256sum_version]=$(sha256sum --version | head -n1)
    R[git_rev]=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    R[git_dirty]=$(git -C "$REPO_ROOT" status --porcelain -- crates Cargo.toml Cargo.lock 2>/dev/null | wc -l)
    R[stoa_bin]=$STOA_BIN
    R[stoa_bin_mtime]=$(date -u -r "$STOA_BIN" '+%Y-%m-%d %H:%M:%S UTC' 2>/dev/null || echo unknown)
}

# ---- the test file ---------------------------------------------------------
make_file() {
    log "writing $FILE_MIB MiB of random bytes"
    head -c "$FILE_SIZE" /dev/urandom > "$TMP/big.bin" || abort "cannot write the test file in $TMP"
    chmod 644 "$TMP/big.bin"
}

# one timed sha256sum pass -> "seconds hexdigest"
time_sha256sum_precise() {
    local t1 t2 out
    t1=$(now); out=$(sha256sum "$1" | awk '{print $1}'); t2=$(now)
    printf '%s %s\n' "$(awk -v a="$t2" -v b="$t1" 'BEGIN{printf "%.3f", a-b}')" "$out"
}

# copy FILE into the data dir's file system with dd ... conv=fdatasync -> seconds
time_durable_write() {
    local t1 t2 out="$TMP/data/.bench-dd.tmp"
    t1=$(now); dd if="$1" of="$out" bs=8M conv=fdatasync status=none; t2=$(now)
    rm -f "$out"
    awk -v a="$t2" -v b="$t1" 'BEGIN{printf "%.3f", a-b}'
}

stop_foreign_cpu() {
    [ -n "${FC_PID:-}" ] || return 0
    kill -TERM "$FC_PID" 2>/dev/null; wait "$FC_PID" 2>/dev/null; untrack "$FC_PID"; FC_PID=""
    [ -s "$TMP/foreign.json" ] || return 0
    local j; j=$(cat "$TMP/foreign.json")
    R[foreign_mean]=$(jq -r .mean_pct_of_one_core <<<"$j")
    R[foreign_max]=$(jq -r .max_pct_of_one_core <<<"$j")
    R[foreign_busy]=$(jq -r .busy_windows <<<"$j")
    R[foreign_windows]=$(jq -r .windows <<<"$j")
    R[foreign_top]=$(jq -r '[.top[] | select(.cpu_s > 0) | "\(.comm) \(.cpu_s) s"] | join(", ")' <<<"$j")
    local what="in ${R[foreign_busy]} of ${R[foreign_windows]} one-second windows they used more than 25 % of a core (max ${R[foreign_max]} %, mean ${R[foreign_mean]} %; most: ${R[foreign_top]})"
    if [ $((R[foreign_busy] * 10)) -gt "${R[foreign_windows]}" ] || awk -v m="${R[foreign_mean]}" 'BEGIN{exit !(m > 10)}'; then
        note "other processes used CPU during the run: $what; the figures may be depressed: repeat the run on an idle machine"
    elif [ "${R[foreign_busy]}" -gt 0 ]; then
        note "other processes briefly used CPU during the run: $what"
    fi
}

# ---- servers ---------------------------------------------------------------
wait_http_200() { # url timeout_s
    local url=$1 deadline code
    deadline=$(( $(date +%s) + $2 ))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
        [ "$code" = 200 ] && return 0
        sleep 0.2
    done
    return 1
}

stoa_admin() {
    local out
    out=$("$STOA_BIN" admin user create "$NS" --data-dir "$TMP/data" 2>&1) \
        || { log "admin user create: $out"; return 1; }
    out=$("$STOA_BIN" admin token create --user "$NS" --data-dir "$TMP/data" --role write 2>&1) \
        || { log "admin token create: $out"; return 1; }
    TOKEN=$(printf '%s\n' "$out" | grep -oE 'hf_[A-Za-z0-9_-]+' | head -n1)
    [ -n "$TOKEN" ] || { log "no hf_ token in: $out"; return 1; }
}

start_stoa() {
    STOA_PORT=$(free_port)
    STOA_URL="http://127.0.0.1:$STOA_PORT"
    mkdir -p "$TMP/data"
    local admin_first=1
    stoa_admin || admin_first=0
    log "starting stoa on $STOA_URL"
    STOA_RATE_LIMIT=off "$STOA_BIN" serve --data-dir "$TMP/data" --listen "127.0.0.1:$STOA_PORT" \
        --public-url "$STOA_URL" > "$TMP/stoa.log" 2>&1 &
    STOA_PID=$!
    PIDS+=("$STOA_PID")
    if ! wait_http_200 "$STOA_URL/api/models" 30; then
        log "stoa did not answer 200 on /api/models within 30 s; log tail:"
        tail -n 20 "$TMP/stoa.log"
        return 1
    fi
    if [ "$admin_first" = 0 ]; then
        log "retrying admin commands with the server running"
        stoa_admin || return 1
    fi
    R[stoa_port]=$STOA_PORT
}

start_nginx() {
    NGINX_PORT=$(free_port)
    NGINX_URL="http://127.0.0.1:$NGINX_PORT"
    local d="$TMP/nginx"
    mkdir -p "$d" "$TMP/www"
    chmod 755 "$TMP" "$TMP/www"
    ln "$TMP/big.bin" "$TMP/www/big.bin" 2>/dev/null || cp "$TMP/big.bin" "$TMP/www/big.bin"
    local user_line=""   # as root, workers run as nobody: $TMP and the files are made world-readable
    if [ "$(id -u)" = 0 ]; then
        if getent group nogroup >/dev/null; then user_line="user nobody nogroup;"; else user_line="user nobody;"; fi
    fi
    cat > "$d/nginx.conf" <<EOF
# generated by bench/run.sh
$user_line
worker_processes auto;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    client_body_temp_path $d/client_body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    types { application/octet-stream bin; application/json json; }
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $TMP/www;
        location = /$NS/$BIG_REPO/resolve/main/$BIG_PATH { rewrite ^ /big.bin break; }
        location /api/models/ { rewrite ^ /info.json break; }
    }
}
EOF
    log "starting nginx on $NGINX_URL"
    nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" > "$d/stdout.log" 2>&1 &
    NGINX_PID=$!
    PIDS+=("$NGINX_PID")
    if ! wait_http_200 "$NGINX_URL/$NS/$BIG_REPO/resolve/main/$BIG_PATH" 15; then
        log "nginx did not come up; error log:"; tail -n 20 "$d/error.log" "$d/stdout.log"
        return 1
    fi
}

# ---- 2. upload -------------------------------------------------------------
# lfs_upload FILE OID -> sets UP_TIME UP_CODE UP_NOTE; returns 0 on a timed PUT
lfs_upload() {
    local file=$1 oid=$2 body resp code href verify out
    UP_TIME=""; UP_CODE=""; UP_NOTE=""
    body=$(jq -nc --arg oid "$oid" --argjson size "$FILE_SIZE" \
        '{operation:"upload",transfers:["basic"],objects:[{oid:$oid,size:$size}],hash_algo:"sha256",ref:{name:"main"}}')
    resp=$(curl -sS --max-time 30 -X POST "$STOA_URL/$NS/$BIG_REPO.git/info/lfs/objects/batch" \
        -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/vnd.git-lfs+json' -H 'Accept: application/vnd.git-lfs+json' \
        --data "$body" -w '\n%{http_code}')
    code=${resp##*$'\n'}; resp=${resp%$'\n'*}
    if [ "$code" != 200 ]; then UP_NOTE="LFS batch answered HTTP $code: ${resp:0:300}"; return 1; fi
    if [ -n "$(jq -r '.objects[0].error // empty' <<<"$resp" 2>/dev/null)" ]; then
        UP_NOTE="LFS batch object error: $(jq -c '.objects[0].error' <<<"$resp")"; return 1
    fi
    href=$(jq -r '.objects[0].actions.upload.href // empty' <<<"$resp" 2>/dev/null)
    if [ -z "$href" ]; then
        UP_NOTE="LFS batch returned no upload action (object already stored?): ${resp:0:300}"; return 1
    fi
    if [ -n "$(jq -r '.objects[0].actions.upload.header.chunk_size // empty' <<<"$resp")" ]; then
        UP_NOTE="server asked for a multipart upload although only basic was offered"; return 1
    fi
    case $href in
        http://127.0.0.1:*|http://localhost:*) ;;
        *) UP_NOTE="upload href is not on loopback: $href"; return 1 ;;
    esac
    # Like huggingface_hub: raw PUT, no token, no extra headers.  'Expect:' disables
    # curl's 100-continue handshake (Python's requests never sends it).
    local cpu0; cpu0=$(stoa_cpu_ticks)
    out=$(curl -sS --max-time 600 -X PUT -H 'Expect:' --upload-file "$file" -o "$TMP/put.out" \
        -w '%{http_code} %{time_total} %{size_upload}' "$href")
    UP_CPU=$(awk -v a="$(stoa_cpu_ticks)" -v b="$cpu0" -v t="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (a-b)/t}')
    UP_CODE=${out%% *}
    UP_TIME=$(awk '{print $2}' <<<"$out")
    local sent; sent=$(awk '{print $3}' <<<"$out")
    if [ "${UP_CODE:0:1}" != 2 ]; then
        UP_NOTE="PUT answered HTTP $UP_CODE: $(head -c 300 "$TMP/put.out")"; return 1
    fi
    if [ "$sent" != "$FILE_SIZE" ]; then UP_NOTE="PUT sent $sent bytes, expected $FILE_SIZE"; return 1; fi
    verify=$(jq -r '.objects[0].actions.verify.href // empty' <<<"$resp")
    if [ -n "$verify" ]; then
        code=$(curl -sS --max-time 60 -o "$TMP/verify.out" -w '%{http_code}' -X POST "$verify" \
            -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/vnd.git-lfs+json' \
            --data "{\"oid\":\"$oid\",\"size\":$FILE_SIZE}")
        if [ "${code:0:1}" != 2 ]; then
            UP_NOTE="verify answered HTTP $code: $(head -c 300 "$TMP/verify.out")"; return 1
        fi
    fi
    return 0
}

section_upload() {
    local sec=upload code body i f oid t_sum t_py line
    log "== upload: create repo $NS/$BIG_REPO"
    code=$(curl -sS --max-time 30 -o "$TMP/create.out" -w '%{http_code}' -X POST "$STOA_URL/api/repos/create" \
        -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        --data "{\"name\":\"$BIG_REPO\",\"type\":\"model\"}")
    if [ "$code" != 200 ] && [ "$code" != 409 ]; then
        fail $sec "POST /api/repos/create answered HTTP $code: $(head -c 300 "$TMP/create.out")"; return 1
    fi
    local ups=() cpus=() sums=() pys=() dds=() errs=0 t_dd
    for i in $(seq 1 "$UPLOAD_RUNS"); do
        if [ "$i" = 1 ]; then
            f="$TMP/big.bin"
        else
            # a distinct object: same bytes except the first 32, so the server cannot dedupe it
            f="$TMP/up$i.bin"
            cp "$TMP/big.bin" "$f" && head -c 32 /dev/urandom | dd of="$f" conv=notrunc status=none
        fi
        # in the page cache for every pass, and no dirty pages left to compete with the
        # fsyncs of the timed durable write and upload
        cat "$f" > /dev/null; sync
        line=$(time_sha256sum_precise "$f"); t_sum=${line%% *}; oid=${line##* }
        line=$(python3 "$LIB/sha256_pass.py" "$f"); t_py=$(fmt 3 "${line%% *}")
        if [ "${line##* }" != "$oid" ]; then fail $sec "sha256sum and hashlib disagree on $f"; return 1; fi
        [ "$i" = 1 ] && { BIG_OID=$oid; R[oid]=$oid; }
        sums+=("$t_sum"); pys+=("$t_py")
        t_dd=$(time_durable_write "$f"); dds+=("$t_dd")
        sync
        if lfs_upload "$f" "$oid"; then
            UP_TIME=$(fmt 3 "$UP_TIME")
            ups+=("$UP_TIME"); cpus+=("$UP_CPU")
            log "upload $i: PUT ${UP_TIME}s (HTTP $UP_CODE, Stoa CPU ${UP_CPU}s) | sha256sum ${t_sum}s | hashlib ${t_py}s | write+fdatasync ${t_dd}s"
        else
            errs=$((errs + 1))
            log "upload $i failed: $UP_NOTE"
            R[upload_error]=$UP_NOTE
            [ "$i" = 1 ] && { fail $sec "$UP_NOTE"; return 1; }
        fi
        [ "$i" != 1 ] && rm -f "$f"
    done
    R[sha256sum_samples]="${sums[*]}"; R[hashlib_samples]="${pys[*]}"
    R[sha256sum_s]=$(minof "${sums[@]}"); R[hashlib_s]=$(minof "${pys[@]}")
    R[dd_samples]="${dds[*]}"; R[dd_s]=$(minof "${dds[@]}")
    if [ ${#ups[@]} -gt 0 ]; then
        R[upload_samples]="${ups[*]}"
        R[upload_cpu_samples]="${cpus[*]}"
        R[upload_s]=$(minof "${ups[@]}")
        R[upload_ratio_hashlib]=$(div "${R[upload_s]}" "${R[hashlib_s]}")
        R[upload_ratio_sha256sum]=$(div "${R[upload_s]}" "${R[sha256sum_s]}")
        R[upload_ratio_dd]=$(div "${R[upload_s]}" "${R[dd_s]}")
        R[upload_mbps]=$(awk -v s="$FILE_SIZE" -v t="${R[upload_s]}" 'BEGIN{printf "%.0f", s/t/1e6}')
    fi
    # commit the first object as big.bin so that it can be downloaded
    body=$(printf '%s\n%s\n' \
        '{"key":"header","value":{"summary":"add big.bin","description":""}}' \
        "$(jq -nc --arg oid "$BIG_OID" --argjson size "$FILE_SIZE" --arg p "$BIG_PATH" \
            '{key:"lfsFile",value:{path:$p,algo:"sha256",oid:$oid,size:$size}}')")
    code=$(curl -sS --max-time 60 -o "$TMP/commit.out" -w '%{http_code}' -X POST \
        "$STOA_URL/api/models/$NS/$BIG_REPO/commit/main" \
        -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/x-ndjson' --data-binary "$body")
    if [ "$code" != 200 ]; then
        fail $sec "commit answered HTTP $code: $(head -c 300 "$TMP/commit.out")"; return 1
    fi
    [ "$errs" = 0 ] && S[$sec]=ok || S[$sec]="partial: $errs of $UPLOAD_RUNS uploads failed (${R[upload_error]})"
    return 0
}

# ---- 3. download throughput ------------------------------------------------
# check_download NAME URL: full GET piped into hashlib; verifies size and sha256
check_download() {
    local name=$1 url=$2 got
    got=$(curl -sS -L --max-time 300 -H "Authorization: Bearer $TOKEN" "$url" | python3 -c '
import hashlib, sys
h = hashlib.sha256(); n = 0
for b in iter(lambda: sys.stdin.buffer.read(1 << 20), b""):
    h.update(b); n += len(b)
print(n, h.hexdigest())')
    if [ "$got" != "$FILE_SIZE $BIG_OID" ]; then
        log "$name download check: got '$got', expected '$FILE_SIZE $BIG_OID'"
        return 1
    fi
}

# speed_runs NAME URL -> sets SPEEDS (bytes/s) ; returns 1 on a bad transfer
speed_runs() {
    local name=$1 url=$2 i out
    SPEEDS=()
    for i in $(seq 1 "$DOWNLOAD_RUNS"); do
        out=$(curl -s -L --max-time 300 -o /dev/null -H "Authorization: Bearer $TOKEN" \
            -w '%{http_code} %{size_download} %{speed_download}' "$url")
        read -r code size speed <<<"$out"
        if [ "$code" != 200 ] || [ "$size" != "$FILE_SIZE" ]; then
            DL_NOTE="$name run $i: HTTP $code, $size bytes"
            return 1
        fi
        SPEEDS+=("$speed")
        log "$name download $i: $(awk -v s="$speed" 'BEGIN{printf "%.0f MB/s", s/1e6}')"
    done
}

section_download() {
    local sec=download su nu
    su="$STOA_URL/$NS/$BIG_REPO/resolve/main/$BIG_PATH"
    nu="$NGINX_URL/$NS/$BIG_REPO/resolve/main/$BIG_PATH"
    log "== download: warm-up (full GET, sha256 verified) + best of $DOWNLOAD_RUNS"
    if check_download stoa "$su"; then
        R[stoa_download_verified]=yes
        if speed_runs stoa "$su"; then
            R[stoa_dl_samples]=$(printf '%s ' "${SPEEDS[@]}")
            R[stoa_dl_Bps]=$(maxof "${SPEEDS[@]}")
        else
            fail $sec "$DL_NOTE"
        fi
    else
        R[stoa_download_verified]=no
        fail $sec "Stoa served wrong bytes or size for $su"
    fi
    if check_download nginx "$nu" && speed_runs nginx "$nu"; then
        R[nginx_dl_samples]=$(printf '%s ' "${SPEEDS[@]}")
        R[nginx_dl_Bps]=$(maxof "${SPEEDS[@]}")
    else
        fail $sec "nginx download failed: ${DL_NOTE:-checksum}"
    fi
    if [ -n "${R[stoa_dl_Bps]:-}" ] && [ -n "${R[nginx_dl_Bps]:-}" ]; then
        R[dl_ratio]=$(div "${R[stoa_dl_Bps]}" "${R[nginx_dl_Bps]}")
        [ -z "${S[$sec]:-}" ] && S[$sec]=ok
    fi
}

# ---- 4. RSS under concurrent downloads -------------------------------------
# concurrent NAME URL ROOTPID -> sets R[<name>_rss_*] and R[<name>_conc_*]
concurrent() {
    local name=$1 url=$2 pid=$3 i t bad=0 sampler out
    local dir="$TMP/conc-$name"
    mkdir -p "$dir"
    python3 "$LIB/rss_sampler.py" "$RSS_INTERVAL" "$dir/rss.json" "$pid" &
    sampler=$!
    PIDS+=("$sampler")
    sleep 0.3
    local cpids=()
    t=$(now)
    for i in $(seq 1 "$CONCURRENT"); do
        curl -s -L --max-time 300 -o /dev/null -H "Authorization: Bearer $TOKEN" \
            -w '%{http_code} %{size_download}' "$url" > "$dir/c$i.out" &
        cpids+=("$!")
    done
    PIDS+=("${cpids[@]}")
    for i in "${cpids[@]}"; do wait "$i"; untrack "$i"; done
    R[${name}_conc_s]=$(elapsed "$t")
    sleep 0.3
    kill -TERM "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null; untrack "$sampler"
    for i in $(seq 1 "$CONCURRENT"); do
        out=$(cat "$dir/c$i.out" 2>/dev/null)
        [ "$out" = "200 $FILE_SIZE" ] || bad=$((bad + 1))
    done
    R[${name}_conc_bad]=$bad
    R[${name}_conc_MBps]=$(awk -v n="$CONCURRENT" -v s="$FILE_SIZE" -v t="${R[${name}_conc_s]}" \
        'BEGIN{printf "%.0f", n*s/t/1e6}')
    if [ -s "$dir/rss.json" ]; then
        R[${name}_rss_peak_kB]=$(jq -r '.peak_kB.VmRSS' "$dir/rss.json")
        R[${name}_rss_anon_peak_kB]=$(jq -r '.peak_kB.RssAnon' "$dir/rss.json")
        R[${name}_rss_file_peak_kB]=$(jq -r '.peak_kB.RssFile' "$dir/rss.json")
        R[${name}_rss_first_kB]=$(jq -r '.first_kB.VmRSS' "$dir/rss.json")
        R[${name}_rss_samples]=$(jq -r '.samples' "$dir/rss.json")
        R[${name}_rss_procs]=$(jq -r '.processes' "$dir/rss.json")
    fi
    log "$name: $CONCURRENT concurrent downloads in ${R[${name}_conc_s]}s, $bad bad; peak RSS $(kb_mb "${R[${name}_rss_peak_kB]:-0}") MB"
}
# user+system CPU time of the Stoa process (all threads), in clock ticks
stoa_cpu_ticks() { awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$STOA_PID/stat" 2>/dev/null; }
stoa_status_kB() { awk -v k="$1:" '$1==k{print $2}' "/proc/$STOA_PID/status" 2>/dev/null; }
kb_mb() { awk -v k="$1" 'BEGIN{printf "%.1f", k*1024/1e6}'; }

section_rss() {
    local sec=rss
    log "== RSS: $CONCURRENT concurrent $SIZE_LABEL downloads, sampling every ${RSS_INTERVAL}s"
    concurrent stoa "$STOA_URL/$NS/$BIG_REPO/resolve/main/$BIG_PATH" "$STOA_PID"
    concurrent nginx "$NGINX_URL/$NS/$BIG_REPO/resolve/main/$BIG_PATH" "$NGINX_PID"
    if [ -z "${R[stoa_rss_peak_kB]:-}" ]; then fail $sec "no RSS samples for Stoa"; return 1; fi
    if [ "${R[stoa_conc_bad]}" != 0 ]; then
        fail $sec "${R[stoa_conc_bad]} of $CONCURRENT concurrent Stoa downloads failed or were short"
    else
        S[$sec]=ok
    fi
}

# ---- 5. repo info ----------------------------------------------------------
run_wrk() { # name base_url paths_file duration -> $TMP/wrk-NAME.out
    local name=$1 url=$2 paths=$3 dur=$4
    bgwait wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${dur}s" --timeout 5s -s "$LIB/rotate.lua" "$url" -- "$paths" \
        > "$TMP/wrk-$name.out" 2>&1
}
parse_kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1==k{print $2}'; }

wrk_pair_member() { # name url paths
    local name=$1 url=$2 paths=$3 line
    run_wrk "$name-warmup" "$url" "$paths" "$WRK_WARMUP"
    run_wrk "$name" "$url" "$paths" "$WRK_DURATION"
    line=$(grep '^BENCH ' "$TMP/wrk-$name.out" | tail -n1)
    if [ -z "$line" ]; then
        log "wrk against $name printed no result:"; tail -n 5 "$TMP/wrk-$name.out"; return 1
    fi
    cp "$TMP/wrk-$name.out" "$LOG_DIR/wrk-$name.out" 2>/dev/null
    R[${name}_rps]=$(parse_kv "$line" rps)
    R[${name}_p50_ms]=$(parse_kv "$line" p50_ms)
    R[${name}_p99_ms]=$(parse_kv "$line" p99_ms)
    R[${name}_requests]=$(parse_kv "$line" requests)
    local e=0 k detail=""
    for k in err_connect err_read err_write err_status err_timeout; do
        e=$((e + $(parse_kv "$line" $k)))
        detail+="${k#err_} $(parse_kv "$line" $k), "
    done
    R[${name}_errors]=$e
    R[${name}_error_detail]=${detail%, }
    log "$name: ${R[${name}_rps]} req/s, p50 ${R[${name}_p50_ms]} ms, p99 ${R[${name}_p99_ms]} ms, $e errors"
}

section_repo_info() {
    local sec=repoinfo budget out code size
    budget=$(( $(remaining) - 2 * (WRK_DURATION + WRK_WARMUP) - 30 ))
    [ "$budget" -gt "$REPO_DEADLINE" ] && budget=$REPO_DEADLINE
    if [ "$budget" -lt 10 ]; then
        S[$sec]="skipped: only $(remaining)s of the ${TIME_BUDGET}s budget left"; return 1
    fi
    sync
    log "== repo info: creating up to $REPO_COUNT repos ($REPO_THREADS parallel clients, ${budget}s cap)"
    bgwait python3 "$LIB/create_repos.py" "$STOA_URL" "$TOKEN" "$REPO_COUNT" "$REPO_THREADS" \
        "$budget" "$TMP/names.txt" > "$TMP/create.json"
    out=$(cat "$TMP/create.json")
    printf '%s\n' "$out" > "$LOG_DIR/create_repos.json"
    R[repos_available]=$(jq -r .available <<<"$out")
    R[repos_created]=$(jq -r .created <<<"$out")
    R[repos_failed]=$(jq -r .failed <<<"$out")
    R[create_s]=$(jq -r .elapsed_s <<<"$out")
    R[create_per_s]=$(jq -r .per_s <<<"$out")
    R[create_hit_deadline]=$(jq -r .hit_deadline <<<"$out")
    log "created ${R[repos_created]} repos in ${R[create_s]}s (${R[create_per_s]}/s), ${R[repos_failed]} failed, deadline hit: ${R[create_hit_deadline]}"
    [ "${R[repos_failed]}" != 0 ] && note "repo creation errors: $(jq -c .errors <<<"$out")"
    if [ "${R[repos_available]:-0}" -lt 1 ]; then fail $sec "no repo could be created"; return 1; fi
    R[stoa_rss_after_create_kB]=$(stoa_status_kB VmRSS)
    sed "s#^#/api/models/$NS/#" "$TMP/names.txt" > "$TMP/paths.txt"

    # the static body for nginx: a real repo-info response, byte for byte
    local first; first=$(head -n1 "$TMP/paths.txt")
    code=$(curl -sS --max-time 10 -o "$TMP/www/info.json" -w '%{http_code}' "$STOA_URL$first")
    if [ "$code" != 200 ] || ! jq -e --arg id "$NS/${first##*/}" '.id == $id' "$TMP/www/info.json" >/dev/null 2>&1; then
        fail $sec "GET $first answered HTTP $code with $(head -c 300 "$TMP/www/info.json")"; return 1
    fi
    chmod 644 "$TMP/www/info.json"
    local sizes=() p
    for p in $(shuf -n 20 "$TMP/paths.txt"); do
        sizes+=("$(curl -s --max-time 10 -o /dev/null -w '%{size_download}' "$STOA_URL$p")")
    done
    R[info_bytes]=$(stat -c %s "$TMP/www/info.json")
    R[info_bytes_range]="$(minof "${sizes[@]}")–$(maxof "${sizes[@]}")"
    size=$(curl -s --max-time 10 -o /dev/null -w '%{size_download}' "$NGINX_URL$first")
    [ "$size" = "${R[info_bytes]}" ] || { fail $sec "nginx static JSON is $size bytes, expected ${R[info_bytes]}"; return 1; }

    log "wrk: $WRK_THREADS threads, $WRK_CONNS connections, ${WRK_WARMUP}s warm-up + ${WRK_DURATION}s, rotating over ${R[repos_available]} paths"
    wrk_pair_member stoa_info "$STOA_URL" "$TMP/paths.txt" || { fail $sec "wrk against Stoa failed"; return 1; }
    R[stoa_rss_after_info_kB]=$(stoa_status_kB VmRSS)
    wrk_pair_member nginx_info "$NGINX_URL" "$TMP/paths.txt" || { fail $sec "wrk against nginx failed"; return 1; }
    R[info_rps_ratio]=$(div "${R[stoa_info_rps]}" "${R[nginx_info_rps]}")
    R[info_p99_ratio]=$(div "${R[stoa_info_p99_ms]}" "${R[nginx_info_p99_ms]}")
    if [ "${R[stoa_info_errors]}" != 0 ]; then
        S[$sec]="errors: ${R[stoa_info_errors]} of ${R[stoa_info_requests]} Stoa requests (${R[stoa_info_error_detail]}; status = non-2xx/3xx)"
        note "wrk saw errors against Stoa: ${R[stoa_info_error_detail]}"
    else
        S[$sec]=ok
    fi
}

# ---- RESULTS.md ------------------------------------------------------------
verdict() { # value op target
    local x=$1 op=$2 t=$3
    [ "$x" = n/a ] || [ -z "$x" ] && { echo "—"; return; }
    case $op in
        ge) ge "$x" "$t" && echo "yes" || echo "**no**" ;;
        le) le "$x" "$t" && echo "yes" || echo "**no**" ;;
        lt) lt "$x" "$t" && echo "yes" || echo "**no**" ;;
    esac
}
mbps() { [ -n "${1:-}" ] && [ "$1" != n/a ] && awk -v s="$1" 'BEGIN{printf "%.0f MB/s", s/1e6}' || echo n/a; }
secs() { [ -n "${1:-}" ] && [ "$1" != n/a ] && printf '%s s' "$1" || echo n/a; }

write_results() {
    RESULTS_WRITTEN=1
    # sections other harnesses keep in the same file (bench/git, bench/scaleout, bench/web, ...) are carried over
    local others=""
    [ -f "$RESULTS_MD" ] && others=$(awk '/^## /{keep = ($0 !~ /^## (Machine|Summary|Details|Notes)$/)} keep' "$RESULTS_MD")
    local total; total=$(elapsed "$T0")
    local bench_s=n/a
    [ -n "$BENCH_T0" ] && bench_s=$(elapsed "$BENCH_T0")
    local rss_mb=n/a rss_mib=n/a
    if [ -n "${R[stoa_rss_peak_kB]:-}" ]; then
        rss_mb=$(kb_mb "${R[stoa_rss_peak_kB]}")
        rss_mib=$(awk -v k="${R[stoa_rss_peak_kB]}" 'BEGIN{printf "%.1f", k/1024}')
    fi
    local nrss_mb=n/a
    [ -n "${R[nginx_rss_peak_kB]:-}" ] && nrss_mb=$(kb_mb "${R[nginx_rss_peak_kB]}")
    local repos_note="${R[repos_available]:-n/a} repos"
    if [ -n "${R[repos_available]:-}" ] && [ "${R[repos_available]}" -lt "$REPO_COUNT" ]; then
        repos_note="**${R[repos_available]} of the $REPO_COUNT requested repos** (see notes)"
    fi
    {
        echo "# Stoa benchmark results"
        echo
        echo "Generated by \`bench/run.sh\` — do not edit by hand; re-run to refresh. How each figure is measured: [README.md](README.md)."
        echo
        echo "## Machine"
        echo
        echo "| | |"
        echo "| --- | --- |"
        echo "| CPU (lscpu model name) | $(v cpu_model) (SHA-NI: $(v sha_ni)) |"
        echo "| cores | $(v cpus) (nproc: $(v nproc)) |"
        echo "| RAM | $(v ram) |"
        echo "| kernel | $(v kernel) |"
        echo "| date | $(v date) |"
        echo "| Stoa | git HEAD at run time $(v git_rev) ($(v git_dirty) uncommitted changes under crates/ and Cargo.*), binary $(v stoa_bin) built $(v stoa_bin_mtime) |"
        echo "| tools | $(v nginx_version), $(v wrk_version), $(v curl_version), $(v python_version), $(v sha256sum_version) |"
        echo "| CPU used by other processes during the run (1 s windows, % of one core) | mean $(v foreign_mean) %, max $(v foreign_max) %; most: $(v foreign_top) |"
        echo "| run time | ${total} s total, ${bench_s} s of benchmark proper (build: $(v build_s) s; not built this run if n/a) |"
        echo
        echo "## Summary"
        echo
        echo "| # | measurement | Stoa | baseline | ratio | target | met? | status |"
        echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
        echo "| 1 | $SIZE_LABEL download throughput (best of $DOWNLOAD_RUNS after warm-up) | $(mbps "${R[stoa_dl_Bps]:-}") | nginx $(mbps "${R[nginx_dl_Bps]:-}") | $(v dl_ratio) (Stoa/nginx) | ≥ 0.9 | $(verdict "$(v dl_ratio)" ge 0.9) | $(status_of download) |"
        echo "| 2a | $SIZE_LABEL LFS upload: PUT wall time (best of ${R[upload_samples]:+$(wc -w <<<"${R[upload_samples]}")}) vs Python hashlib SHA-256 pass | $(secs "${R[upload_s]:-}") | hashlib $(secs "${R[hashlib_s]:-}") | $(v upload_ratio_hashlib) (upload/hash) | ≤ 1.25 | $(verdict "$(v upload_ratio_hashlib)" le 1.25) | $(status_of upload) |"
        echo "| 2b | same, vs \`sha256sum\` pass | $(secs "${R[upload_s]:-}") | sha256sum $(secs "${R[sha256sum_s]:-}") | $(v upload_ratio_sha256sum) (upload/hash) | ≤ 1.25 | $(verdict "$(v upload_ratio_sha256sum)" le 1.25) | $(status_of upload) |"
        echo "| 2c | same, vs writing the file durably (\`dd conv=fdatasync\`, same file system) — context, not a target | $(secs "${R[upload_s]:-}") | dd $(secs "${R[dd_s]:-}") | $(v upload_ratio_dd) (upload/write) | — | — | $(status_of upload) |"
        echo "| 3 | peak RSS, $CONCURRENT concurrent $SIZE_LABEL downloads (VmRSS every ${RSS_INTERVAL}s) | $rss_mb MB ($rss_mib MiB) | nginx $nrss_mb MB (master+workers) | — | < 100 MB | $(verdict "$rss_mb" lt 100) | $(status_of rss) |"
        echo "| 4a | repo info req/s, $repos_note, wrk ${WRK_THREADS}t/${WRK_CONNS}c ${WRK_DURATION}s | $(v stoa_info_rps) | nginx $(v nginx_info_rps) | $(v info_rps_ratio) (Stoa/nginx) | — | — | $(status_of repoinfo) |"
        echo "| 4b | repo info p99 latency | $(v stoa_info_p99_ms) ms | nginx $(v nginx_info_p99_ms) ms | $(v info_p99_ratio) (Stoa/nginx) | — | — | $(status_of repoinfo) |"
        echo
        echo "The primary upload baseline (2a) is Python's hashlib (OpenSSL, uses SHA-NI when the CPU has it), the"
        echo "fastest single SHA-256 pass available here; Debian's \`sha256sum\` (2b) does not use SHA-NI and is slower."
        echo
        echo "## Details"
        echo
        echo "### 1. Download"
        echo "- file: $FILE_MIB MiB of random bytes, sha256 \`$(v oid)\`; Stoa URL \`/$NS/$BIG_REPO/resolve/main/$BIG_PATH\`, nginx serves the same bytes (hard link) at the same path"
        echo "- Stoa warm-up download verified (size and sha256): $(v stoa_download_verified)"
        echo "- Stoa samples (bytes/s): $(v stoa_dl_samples)"
        echo "- nginx samples (bytes/s): $(v nginx_dl_samples)"
        echo
        echo "### 2. Upload"
        echo "- PUT wall times (curl \`%{time_total}\`), s: $(v upload_samples) → best $(v upload_s) s ($(v upload_mbps) MB/s)"
        echo "- CPU time (user+system, all threads) the Stoa process used during each PUT, s: $(v upload_cpu_samples)"
        echo "- sha256sum passes, s: $(v sha256sum_samples) → best $(v sha256sum_s) s"
        echo "- hashlib passes, s: $(v hashlib_samples) → best $(v hashlib_s) s"
        echo "- durable writes of the same file (\`dd bs=8M conv=fdatasync\` into the data dir), s: $(v dd_samples) → best $(v dd_s) s"
        echo "- upload errors: $(v upload_error)"
        echo
        echo "### 3. Memory"
        echo "- Stoa: VmRSS before the downloads $(kb_mb "${R[stoa_rss_first_kB]:-0}") MB; peak VmRSS $rss_mb MB, of which RssAnon peak $(kb_mb "${R[stoa_rss_anon_peak_kB]:-0}") MB and RssFile peak $(kb_mb "${R[stoa_rss_file_peak_kB]:-0}") MB; $(v stoa_rss_samples) samples"
        echo "- Stoa lifetime peak (VmHWM at the end of the run, includes upload, repo creation and the repo-info load): $(kb_mb "${R[stoa_vmhwm_kB]:-0}") MB; VmRSS after creating the repos $(kb_mb "${R[stoa_rss_after_create_kB]:-0}") MB, after the repo-info load $(kb_mb "${R[stoa_rss_after_info_kB]:-0}") MB, at the end $(kb_mb "${R[stoa_rss_end_kB]:-0}") MB"
        echo "- Stoa: $CONCURRENT downloads took $(v stoa_conc_s) s (aggregate $(v stoa_conc_MBps) MB/s), failed/short: $(v stoa_conc_bad)"
        echo "- nginx: peak VmRSS over $(v nginx_rss_procs) processes $nrss_mb MB; $CONCURRENT downloads took $(v nginx_conc_s) s (aggregate $(v nginx_conc_MBps) MB/s), failed/short: $(v nginx_conc_bad)"
        echo
        echo "### 4. Repo info"
        echo "- repo creation: $(v repos_created) created, $(v repos_failed) failed, in $(v create_s) s ($(v create_per_s) repos/s, $REPO_THREADS parallel keep-alive clients); stopped by the time cap: $(v create_hit_deadline)"
        echo "- response body: $(v info_bytes) bytes (sizes of 20 random repos: $(v info_bytes_range) bytes); nginx serves that exact body for every path"
        echo "- Stoa: $(v stoa_info_requests) requests, $(v stoa_info_rps) req/s, p50 $(v stoa_info_p50_ms) ms, p99 $(v stoa_info_p99_ms) ms, errors $(v stoa_info_errors) ($(v stoa_info_error_detail))"
        echo "- nginx: $(v nginx_info_requests) requests, $(v nginx_info_rps) req/s, p50 $(v nginx_info_p50_ms) ms, p99 $(v nginx_info_p99_ms) ms, errors $(v nginx_info_errors) ($(v nginx_info_error_detail))"
        echo
        echo "## Notes"
        echo
        if [ ${#NOTES[@]} -eq 0 ]; then echo "- none"; else printf -- '- %s\n' "${NOTES[@]}"; fi
        if [ -n "$others" ]; then echo; printf '%s\n' "$others"; fi
    } > "$RESULTS_MD"
    echo
    sed -n '/^## Summary/,/^## Details/p' "$RESULTS_MD" | sed '$d'
}

# ---- main ------------------------------------------------------------------
main() {
    ensure_deps
    ensure_binary
    mkdir -p "$LOG_DIR"
    TMP=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/stoa-bench.XXXXXX")
    BENCH_T0=$(now)
    describe_machine
    # watch the CPU used by processes that are not ours, for the whole run
    python3 "$LIB/foreign_cpu.py" "$$" 1 "$TMP/foreign.json" &
    FC_PID=$!
    PIDS+=("$FC_PID")
    log "machine: ${R[cpu_model]}, ${R[cpus]} CPUs, ${R[ram]}, ${R[kernel]}; tmp $TMP"
    make_file
    start_stoa || abort "Stoa did not start (see bench/logs/stoa.log)"
    start_nginx || abort "nginx did not start (see bench/logs/nginx-error.log)"

    section_upload
    local up=${S[upload]:-}
    if [ "$up" = ok ] || [ "${up:0:7}" = partial ]; then
        section_download
        section_rss
    else
        S[download]="skipped: upload failed"; S[rss]="skipped: upload failed"
    fi
    section_repo_info
    if [ -n "$STOA_PID" ] && [ -r "/proc/$STOA_PID/status" ]; then
        R[stoa_vmhwm_kB]=$(stoa_status_kB VmHWM)
        R[stoa_rss_end_kB]=$(stoa_status_kB VmRSS)
    else
        note "the Stoa process was gone at the end of the run (crashed?); see bench/logs/stoa.log"
    fi
    stop_foreign_cpu
    [ "${R[create_hit_deadline]:-false}" = true ] && note "creating $REPO_COUNT repos did not fit in the time budget: ${R[repos_available]} repos existed when the cap hit after ${R[create_s]} s (${R[create_per_s]} repos/s); the repo-info test rotated over those"
    local b; b=$(elapsed "$BENCH_T0")
    awk -v b="$b" 'BEGIN{exit !(b > 600)}' && note "the benchmark proper took $b s, over the 10-minute goal"
    write_results
}

main "$@"
