#!/usr/bin/env bash
# Xet benchmark for Stoa: see bench/xet/README.md. One command: bench/xet/run.sh
# Loopback only; every process started here is stopped by PID and the temp dir removed on exit.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$REPO_ROOT/bench/lib/common.sh"
STOA_BIN=$REPO_ROOT/target/release/stoa
RESULTS_MD=$HERE/RESULTS.md
VENV=${XETBENCH_VENV:-/tmp/stoa-xet-venv}
SIM_DIR=${XETBENCH_SIM_DIR:-/tmp/xetsim}
SIM_BIN=$SIM_DIR/inst/bin/local_cas_server
XET_CLIENT_VERSION=1.8.0
BIG_SIZE=${XETBENCH_BIG_BYTES:-1073741824}   # 1 GiB
BASE_SIZE=${XETBENCH_BASE_BYTES:-500000000}  # 500 MB
MEASURE_BUDGET=${XETBENCH_BUDGET_S:-540}     # measurements are cut off after this many seconds

declare -A R=()
NOTES=()
PIDS=()
TMP=""
RESULTS_WRITTEN=0
exec 3>&1 4>&2

now() { date +%s.%N; }
log() { printf '[xet-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
v() { printf '%s' "${R[$1]:-n/a}"; }
fmt() { awk -v x="$1" 'BEGIN{ if (x=="" || x=="n/a") print "n/a"; else printf "%.2f", x }'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN{ if (s=="" || s=="n/a" || s<=0) print "n/a"; else printf "%.1f", b/s/1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a=="n/a"||b=="n/a"||a==""||b==""||b==0) print "n/a"; else printf "%.3f", a/b }'; }
jget() { "$VENV/bin/python" -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])' "$1"; }

kill_pid() {
    local pid=$1
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    return 0
}
wait_http() { # url seconds
    local i
    for i in $(seq 1 $(( $2 * 5 ))); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)" = 200 ] && return 0
        sleep 0.2
    done
    return 1
}
left() { awk -v a="$(now)" -v b="$T0" -v t="$MEASURE_BUDGET" 'BEGIN{printf "%d", t-(a-b)}'; }
budget_ok() { [ "$(left)" -gt "${1:-30}" ] || { note "time budget exhausted before: $2"; return 1; }; }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    exec 1>&3 2>&4
    [ "$RESULTS_WRITTEN" = 0 ] && { [ "$rc" != 0 ] && note "run ended early (exit $rc): figures are partial"; write_results || true; }
    local p
    for p in "${PIDS[@]}"; do kill_pid "$p"; done
    if [ -n "$TMP" ] && [ -d "$TMP" ]; then
        mkdir -p "$HERE/logs"
        for f in stoa.log sim.log stubhub.log client.log; do
            [ -f "$TMP/$f" ] && tail -c 200000 "$TMP/$f" > "$HERE/logs/$f"
        done
        rm -rf "$TMP"
    fi
    log "done (exit $rc); results in $RESULTS_MD, logs in $HERE/logs"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- setup ------------------------------------------------------------------------------------
setup() {
    [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
    command -v curl >/dev/null || apt-get install -y curl >/dev/null
    if ! "$VENV/bin/python" -c 'import huggingface_hub, hf_xet, sys; sys.exit(huggingface_hub.__version__!="2.4.0")' 2>/dev/null; then
        log "installing huggingface_hub==2.4.0 hf_xet==1.8.0 into $VENV"
        python3 -m venv "$VENV" && "$VENV/bin/pip" install -q huggingface_hub==2.4.0 hf_xet==1.8.0 || { log "pip install failed"; exit 1; }
    fi
    R[hfh]=$("$VENV/bin/python" -c 'import huggingface_hub; print(huggingface_hub.__version__)')
    R[hfxet]=$("$VENV/bin/pip" show hf_xet 2>/dev/null | awk '/^Version/{print $2}')
    # the CAS simulator: xet-client's own `local_cas_server` bin (feature `simulation`), built in a scratch dir
    if [ ! -x "$SIM_BIN" ] && [ "${XETBENCH_SKIP_SIM:-0}" != 1 ]; then
        log "building the xet-client $XET_CLIENT_VERSION simulator (cargo install --locked, target $SIM_DIR/target)"
        mkdir -p "$SIM_DIR"
        local t; t=$(now)
        CARGO_TARGET_DIR=$SIM_DIR/target cargo install --locked "xet-client@$XET_CLIENT_VERSION" \
            --features simulation --bin local_cas_server --root "$SIM_DIR/inst" > "$SIM_DIR/build.log" 2>&1 \
            || note "simulator build failed, see $SIM_DIR/build.log"
        R[sim_build_s]=$(awk -v a="$(now)" -v b="$t" 'BEGIN{printf "%.0f", a-b}')
    fi
    # Stoa release binary: rebuild only when missing or older than the sources, and never while
    # another cargo runs (someone else's CI): wait for it
    if [ "${XETBENCH_NO_BUILD:-0}" != 1 ] && { [ ! -x "$STOA_BIN" ] || [ -n "$(find "$REPO_ROOT/crates" "$REPO_ROOT/Cargo.toml" "$REPO_ROOT/Cargo.lock" -newer "$STOA_BIN" -type f -print -quit 2>/dev/null)" ]; }; then
        local w=0
        while pgrep -x cargo >/dev/null; do
            [ "$w" = 0 ] && log "waiting for another cargo to finish before building stoa"; w=1; sleep 5
        done
        log "building: cargo build --release -p stoa"
        local t; t=$(now)
        (cd "$REPO_ROOT" && cargo build --release -p stoa) >&2 || { log "stoa build failed"; exit 1; }
        R[stoa_build_s]=$(awk -v a="$(now)" -v b="$t" 'BEGIN{printf "%.0f", a-b}')
    fi
    R[stoa_rev]=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO_ROOT" diff --quiet HEAD -- crates 2>/dev/null || echo "+dirty")
    TMP=$(mktemp -d /tmp/stoa-xet-bench.XXXXXX)
}

# client env for one phase: fresh HF_HOME (hence fresh xet shard/chunk cache) unless $2 is given
client() { # hub_url token hf_home cmd args...
    local hub=$1 tok=$2 home=$3; shift 3
    mkdir -p "$home"
    env HF_ENDPOINT="$hub" HF_TOKEN="$tok" HF_HOME="$home" HF_HUB_CACHE="$home/hub" \
        HF_HUB_DISABLE_TELEMETRY=1 HF_HUB_DISABLE_PROGRESS_BARS=1 HF_XET_CHUNK_CACHE_SIZE_BYTES=0 \
        "${CLIENT_ENV[@]}" "$VENV/bin/python" "$HERE/xetbench.py" "$@" 2>>"$TMP/client.log" &
    local pid=$!; PIDS+=("$pid"); wait "$pid"
}
CLIENT_ENV=()

start_stoa() {
    STOA_PORT=$(free_port); STOA_URL=http://127.0.0.1:$STOA_PORT
    mkdir -p "$TMP/data"
    "$STOA_BIN" admin user create bench --data-dir "$TMP/data" >/dev/null 2>&1 || true
    local out; out=$("$STOA_BIN" admin token create --user bench --data-dir "$TMP/data" --role write 2>&1)
    STOA_TOKEN=$(printf '%s\n' "$out" | grep -oE 'hf_[A-Za-z0-9_-]+' | head -n1)
    STOA_RATE_LIMIT=off "$STOA_BIN" serve --data-dir "$TMP/data" --listen "127.0.0.1:$STOA_PORT" --public-url "$STOA_URL" > "$TMP/stoa.log" 2>&1 &
    STOA_PID=$!; PIDS+=("$STOA_PID")
    wait_http "$STOA_URL/api/models" 30 || { log "stoa not ready"; tail -20 "$TMP/stoa.log"; return 1; }
    if [ -z "$STOA_TOKEN" ]; then
        "$STOA_BIN" admin user create bench --data-dir "$TMP/data" >/dev/null 2>&1 || true
        out=$("$STOA_BIN" admin token create --user bench --data-dir "$TMP/data" --role write 2>&1)
        STOA_TOKEN=$(printf '%s\n' "$out" | grep -oE 'hf_[A-Za-z0-9_-]+' | head -n1)
    fi
    [ -n "$STOA_TOKEN" ] || { log "no token: $out"; return 1; }
}
start_sim() {
    [ "${XETBENCH_SKIP_SIM:-0}" != 1 ] && [ -x "$SIM_BIN" ] || return 1
    SIM_PORT=$(free_port); SIM_URL=http://127.0.0.1:$SIM_PORT
    "$SIM_BIN" --data-directory "$TMP/simdata" --host 127.0.0.1 --port "$SIM_PORT" > "$TMP/sim.log" 2>&1 &
    PIDS+=("$!")
    HUB_PORT=$(free_port); HUB_URL=http://127.0.0.1:$HUB_PORT
    python3 "$HERE/stubhub.py" "$HUB_PORT" "$SIM_URL" > "$TMP/stubhub.log" 2>&1 &
    PIDS+=("$!")
    wait_http "$SIM_URL/health" 30 || { note "simulator did not answer /health"; return 1; }
    wait_http "$HUB_URL/api/models/x/y/xet-read-token/main" 10 || { note "stub hub not ready"; return 1; }
}

# ---- 1. hf_xet upload/download, Stoa vs simulator ---------------------------------------------
bench_transfer() { # label hub token
    local label=$1 hub=$2 tok=$3 out
    budget_ok 60 "$label transfer" || return 1
    out=$(client "$hub" "$tok" "$TMP/home-$label-up" up "$hub" bench/big "$TMP/big.bin") || { note "$label upload failed (see logs/client.log)"; return 1; }
    R[${label}_up_s]=$(jget seconds <<<"$out")
    R[${label}_hash]=$(jget hash <<<"$out")
    R[${label}_sha_up]=$(jget sha256 <<<"$out")
    [ "${R[${label}_sha_up]}" = "$BIG_SHA" ] || note "$label: sha256 reported by hf_xet upload differs from the file's"
    log "$label upload: ${R[${label}_up_s]} s"
    if [ "$label" = stoa ]; then
        # commit it (not timed; the fresh-per-phase HF_HOME of the upload is reused so the client dedups)
        out=$(client "$hub" "$tok" "$TMP/home-$label-up" upload_file bench/big "$TMP/big.bin" big.bin) || { note "stoa commit of big.bin failed"; return 1; }
        R[stoa_commit_s]=$(jget seconds <<<"$out")
    fi
    out=$(client "$hub" "$tok" "$TMP/home-$label-down" down "$hub" bench/big "${R[${label}_hash]}" "$BIG_SIZE" "$TMP/dl-$label.bin" "$BIG_SHA") || { note "$label download failed"; return 1; }
    R[${label}_down_s]=$(jget seconds <<<"$out")
    [ "$(jget sha_ok <<<"$out")" = True ] || note "$label download: sha256 MISMATCH"
    rm -f "$TMP/dl-$label.bin"
    log "$label download: ${R[${label}_down_s]} s"
}

# ---- 2. dedup ---------------------------------------------------------------------------------
bench_dedup() {
    budget_ok 120 "dedup" || return 1
    head -c "$BASE_SIZE" /dev/urandom > "$TMP/base.bin"
    client "$STOA_URL" "$STOA_TOKEN" "$TMP/home-gen" finetunes "$TMP/base.bin" 5 0.05 42 "$TMP/ft" >/dev/null || return 1
    client "$STOA_URL" "$STOA_TOKEN" "$TMP/home-dedup" create_repo bench/dedup >/dev/null || return 1
    local before after i out
    xorbs() { find "$TMP/data/lfs/xorbs" -type f -printf '%s\n' 2>/dev/null | awk '{s+=$1} END{print s+0}'; }
    before=$(xorbs)
    R[dedup_steps]=""
    for i in base 1 2 3 4 5; do
        budget_ok 20 "dedup upload $i" || return 1
        local f=$TMP/ft$i.bin; [ "$i" = base ] && f=$TMP/base.bin
        out=$(client "$STOA_URL" "$STOA_TOKEN" "$TMP/home-dedup" upload_file bench/dedup "$f" "model-$i.bin") || { note "dedup upload $i failed"; return 1; }
        after=$(xorbs)
        R[dedup_steps]+="| $i | $(fmt "$(jget seconds <<<"$out")") | $(( after - before )) | $(ratio $(( after - before )) "$BASE_SIZE") |"$'\n'
        [ "$i" = base ] && R[dedup_base_bytes]=$(( after - before ))
        [ "$i" = base ] && [ $(( after - before )) = 0 ] && note "dedup: no xorb bytes stored after the base upload: upload_file did not use Xet"
        log "dedup $i: xorb bytes so far $(( after - before ))"
    done
    R[dedup_total]=$(( after - before ))
    R[dedup_ft_only]=$(( after - before - ${R[dedup_base_bytes]} ))
    R[dedup_ratio]=$(ratio "${R[dedup_total]}" "$BASE_SIZE")
    R[dedup_ft_ratio]=$(ratio "${R[dedup_ft_only]}" "$BASE_SIZE")
    rm -f "$TMP"/ft*.bin "$TMP/base.bin"
}

# ---- 3. plain GET /resolve: Xet-stored vs classic LFS -----------------------------------------
bench_resolve() {
    budget_ok 90 "resolve" || return 1
    client "$STOA_URL" "$STOA_TOKEN" "$TMP/home-lfs" create_repo bench/big-lfs >/dev/null || return 1
    local out
    CLIENT_ENV=(HF_HUB_DISABLE_XET=1)
    out=$(client "$STOA_URL" "$STOA_TOKEN" "$TMP/home-lfs" upload_file bench/big-lfs "$TMP/big.bin" big.bin) || { CLIENT_ENV=(); note "classic LFS upload failed"; return 1; }
    CLIENT_ENV=()
    R[lfs_upload_s]=$(jget seconds <<<"$out")
    local kind repo url sum best sp i
    for kind in xet lfs; do
        repo=bench/big; [ "$kind" = lfs ] && repo=bench/big-lfs
        url=$STOA_URL/$repo/resolve/main/big.bin
        sum=$(curl -s -L -H "Authorization: Bearer $STOA_TOKEN" "$url" | sha256sum | cut -d' ' -f1)
        [ "$sum" = "$BIG_SHA" ] || note "GET /resolve ($kind): sha256 mismatch ($sum)"
        best=0
        for i in 1 2 3; do
            sp=$(curl -s -L -H "Authorization: Bearer $STOA_TOKEN" -o /dev/null -w '%{speed_download}' "$url")
            R[resolve_${kind}_runs]+="$(mbps "$sp" 1) "
            best=$(awk -v a="$best" -v b="$sp" 'BEGIN{print (b>a)?b:a}')
        done
        R[resolve_${kind}_best]=$best
        log "resolve $kind best $(mbps "$best" 1) MB/s"
    done
    R[resolve_ratio]=$(ratio "${R[resolve_xet_best]}" "${R[resolve_lfs_best]}")
}

write_results() {
    RESULTS_WRITTEN=1
    local cpu cores ram
    cpu=$(lscpu | awk -F: '/^Model name/{gsub(/^[ \t]+/,"",$2); print $2; exit}')
    cores=$(nproc); ram=$(awk '/^MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)
    local su sd mu md
    su=$(mbps "$BIG_SIZE" "$(v stoa_up_s)"); sd=$(mbps "$BIG_SIZE" "$(v stoa_down_s)")
    mu=$(mbps "$BIG_SIZE" "$(v sim_up_s)"); md=$(mbps "$BIG_SIZE" "$(v sim_down_s)")
    {
        echo "# Stoa Xet benchmark results"
        echo
        echo "Written by \`bench/xet/run.sh\` (see [README.md](README.md)). MB = 10⁶ bytes."
        echo
        echo "| machine | |"
        echo "| --- | --- |"
        echo "| CPU | $cpu |"
        echo "| cores | $cores |"
        echo "| RAM | $ram |"
        echo "| kernel | $(uname -r) |"
        echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC') |"
        echo "| Stoa revision | $(v stoa_rev) |"
        echo "| huggingface_hub / hf_xet | $(v hfh) / $(v hfxet) |"
        echo "| reference | xet-client $XET_CLIENT_VERSION \`local_cas_server\` (feature \`simulation\`, disk-backed) + stub hub for tokens |"
        echo "| measurement wall time | $(v wall_s) s |"
        echo
        echo "## 1. hf_xet transfer of a 1 GiB random file (fresh client cache per step)"
        echo
        echo "Timed: one \`XetSession.new_upload_commit\` / \`new_file_download_group\` block in a fresh process"
        echo "(token fetch from the hub, chunking, xorb + shard upload / reconstruction + fetch + write); the hub commit is not timed."
        echo
        echo "| | Stoa | simulator | Stoa/simulator (time) | Stoa/simulator (throughput) |"
        echo "| --- | --- | --- | --- | --- |"
        echo "| upload | $(fmt "$(v stoa_up_s)") s ($su MB/s) | $(fmt "$(v sim_up_s)") s ($mu MB/s) | $(ratio "$(v stoa_up_s)" "$(v sim_up_s)") | $(ratio "$su" "$mu") |"
        echo "| download | $(fmt "$(v stoa_down_s)") s ($sd MB/s) | $(fmt "$(v sim_down_s)") s ($md MB/s) | $(ratio "$(v stoa_down_s)" "$(v sim_down_s)") | $(ratio "$sd" "$md") |"
        echo
        echo "Stoa commit of the same file via \`HfApi.upload_file\` right after (client shard cache warm, so no bytes re-sent): $(fmt "$(v stoa_commit_s)") s."
        echo
        echo "## 2. Dedup: base (500 MB random) then five fine-tunes (5 % of 64 KiB regions rewritten), \`upload_file\` one after another, same HF_HOME"
        echo
        echo "| upload | seconds | cumulative xorb bytes on disk | / 500 MB |"
        echo "| --- | --- | --- | --- |"
        printf '%s' "$(v dedup_steps)"
        echo
        echo
        echo "Total stored xorb bytes / 500 MB: **$(v dedup_ratio)** (target ≤ 1.3) — base + 5 fine-tunes."
        echo "The five fine-tunes alone added $(v dedup_ft_only) bytes = $(v dedup_ft_ratio) × 500 MB."
        echo
        echo "## 3. Plain \`GET /resolve\` of the 1 GiB file (curl, best of 3)"
        echo
        echo "| stored as | runs (MB/s) | best MB/s |"
        echo "| --- | --- | --- |"
        echo "| Xet (rebuilt on the fly) | $(v resolve_xet_runs) | $(mbps "$(v resolve_xet_best)" 1) |"
        echo "| classic LFS (\`HF_HUB_DISABLE_XET=1\`) | $(v resolve_lfs_runs) | $(mbps "$(v resolve_lfs_best)" 1) |"
        echo
        echo "Ratio Xet/LFS: **$(v resolve_ratio)** (target ≥ 0.7)."
        if [ "${#NOTES[@]}" -gt 0 ]; then
            echo; echo "## Notes"; echo
            local n; for n in "${NOTES[@]}"; do echo "* $n"; done
        fi
        [ -n "${R[stoa_build_s]:-}" ] && { echo; echo "Stoa release build before the run: ${R[stoa_build_s]} s (not counted)."; }
        [ -n "${R[sim_build_s]:-}" ] && { echo; echo "Simulator build before the run: ${R[sim_build_s]} s (not counted)."; }
    } > "$RESULTS_MD"
    cat "$RESULTS_MD" >&3
}

# ---- main -------------------------------------------------------------------------------------
setup
T0=$(now)
log "writing the 1 GiB random file"
head -c "$BIG_SIZE" /dev/urandom > "$TMP/big.bin"
BIG_SHA=$(sha256sum "$TMP/big.bin" | cut -d' ' -f1)
start_stoa || exit 1
client "$STOA_URL" "$STOA_TOKEN" "$TMP/home-admin" create_repo bench/big >/dev/null || { log "create_repo failed"; exit 1; }
if start_sim; then
    bench_transfer sim "$HUB_URL" dummy || true
else
    note "simulator not available: only Stoa's absolute figures in section 1"
fi
bench_transfer stoa "$STOA_URL" "$STOA_TOKEN" || true
bench_resolve || true
bench_dedup || true
R[wall_s]=$(awk -v a="$(now)" -v b="$T0" 'BEGIN{printf "%.0f", a-b}')
write_results
