#!/usr/bin/env bash
# Access-control benchmark: rate limiting, authentication, the gate check and sign-in, each side
# by side with a named baseline in the same run.
#
#   bench/access/run.sh
#
# With `stoa admin` on a temp data dir: users `owner` and `reader`, organisations org01..org20
# with `reader` as a (read) member of each, a write token for each user and a fine-grained token
# of `reader` (`--scope model:owner/pub:repo.content.read`). Then the real `stoa serve` on a free
# 127.0.0.1 port with STOA_RATE_LIMIT=off, and bench/access/access.py (the project's .venv, with
# huggingface_hub) creates owner/pub, owner/gated and owner/open (README.md + file.txt each),
# gates owner/gated (manual) and accepts the reader's access request through the API, and signs
# up user `signer` with a password. The server stops; the data dir is copied twice, and three
# servers run side by side, one per copy: ON with the default limits (STOA_RATE_LIMIT_API and
# STOA_RATE_LIMIT_AUTH raised to BENCH_LIMIT_HIGH so nothing is refused), OFF and OFF2 with
# STOA_RATE_LIMIT=off (OFF2: an A/A control for measurement 1). access.py measures, BENCH_REQUESTS (2000) requests per target at
# BENCH_CONCURRENCY (4), Python http.client keep-alive connections, in alternating blocks:
#   1. `GET /api/models/owner/pub` (repo info), owner's write token: ON vs OFF (baseline), and
#      OFF2 vs OFF (how much two identical server processes differ);
#   2. the same on OFF: reader's write token and fine-grained token (reader: 20 organisations),
#      owner's write token (no organisation) vs anonymous;
#   3. `HEAD /owner/gated/resolve/main/file.txt` (accepted request) vs the same HEAD on the
#      ungated copy owner/open, reader's write token, on OFF;
#   4. on ON: BENCH_LOGINS (30) `POST /api/login` (Argon2id) vs as many with an unknown user name
#      (baseline; the server hashes there too) and with a wrong password, and `GET /api/whoami-v2`
#      with a token, one request at a time, interleaved.
# Prints a Markdown section and replaces (or appends) the section
# "## Access control (bench/access/run.sh)" of bench/RESULTS.md unless BENCH_WRITE_RESULTS=0.
# Everything listens on 127.0.0.1; the run is capped at BENCH_TIME_BUDGET seconds (480; the release
# build and the optional wait for a quiet machine are not counted); an EXIT trap stops what the
# script started (by PID) and deletes the temp dir.
#
# Knobs: STOA_BIN (target/release/stoa, built with `cargo build --release -p stoa` when missing or
# older than the sources unless STOA_NO_BUILD=1), BENCH_PYTHON (.venv/bin/python), BENCH_REQUESTS,
# BENCH_CONCURRENCY, BENCH_BLOCKS (8), BENCH_WARMUP (50), BENCH_LOGINS, BENCH_ORGS (20),
# BENCH_LIMIT_HIGH (10000000), BENCH_WAIT_QUIET (120: seconds to wait for load average <
# BENCH_QUIET_LOAD (0.8) and no cargo/rustc/pytest; 0: do not wait), BENCH_TIME_BUDGET,
# BENCH_TMPDIR (/tmp), BENCH_KEEP_TMP, BENCH_WRITE_RESULTS, BENCH_RESULTS_MD.
set -uo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$REPO_ROOT/bench/lib/common.sh"
RESULTS_MD=${BENCH_RESULTS_MD:-$REPO_ROOT/bench/RESULTS.md}
LOG_DIR="$HERE/logs"
SECTION_TITLE="## Access control (bench/access/run.sh)"

# ---- knobs -----------------------------------------------------------------
STOA_BIN=${STOA_BIN:-$REPO_ROOT/target/release/stoa}
STOA_NO_BUILD=${STOA_NO_BUILD:-0}
PY=${BENCH_PYTHON:-$REPO_ROOT/.venv/bin/python}
REQUESTS=${BENCH_REQUESTS:-2000}
CONCURRENCY=${BENCH_CONCURRENCY:-4}
BLOCKS=${BENCH_BLOCKS:-8}
WARMUP=${BENCH_WARMUP:-50}
LOGINS=${BENCH_LOGINS:-30}
ORGS=${BENCH_ORGS:-20}
LIMIT_HIGH=${BENCH_LIMIT_HIGH:-10000000}
WAIT_QUIET=${BENCH_WAIT_QUIET:-120}
QUIET_LOAD=${BENCH_QUIET_LOAD:-0.8}
QUIET_POLL=${BENCH_QUIET_POLL:-30}
TIME_BUDGET=${BENCH_TIME_BUDGET:-480}
WRITE_RESULTS=${BENCH_WRITE_RESULTS:-1}
KEEP_TMP=${BENCH_KEEP_TMP:-0}
TMP_PARENT=${BENCH_TMPDIR:-/tmp}

OWNER=owner
READER=reader
SIGNER=signer

# ---- state -----------------------------------------------------------------
declare -A R=()
NOTES=()
PIDS=()
TMP=""
FC_PID=""
# shellcheck disable=SC2034 # PID_on, PID_off and PID_off2 are read through ${!name}
URL_setup="" URL_on="" URL_off="" URL_off2="" PID_setup="" PID_on="" PID_off="" PID_off2=""
OWNER_TOKEN="" READER_TOKEN="" FG_TOKEN="" PASSWORD="" SETUP="{}" J="{}"
T0=$EPOCHREALTIME

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local p
    for p in "${PIDS[@]}"; do kill_pid "$p"; done
    if [ -n "$TMP" ] && [ -d "$TMP" ]; then
        mkdir -p "$LOG_DIR"
        local f
        for f in stoa-setup.log stoa-on.log stoa-off.log stoa-off2.log; do
            [ -f "$TMP/$f" ] && tail -c 300000 "$TMP/$f" > "$LOG_DIR/$f"
        done
        for f in setup.json setup.log access.json access.log; do
            [ -f "$TMP/$f" ] && cp "$TMP/$f" "$LOG_DIR/$f"
        done
        if [ "$KEEP_TMP" = 1 ]; then
            log "keeping $TMP (BENCH_KEEP_TMP=1)"
        else
            rm -rf "$TMP"
        fi
    fi
    log "done (exit $rc); logs in $LOG_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- dependencies and binary -----------------------------------------------
ensure_deps() {
    local cmd
    for cmd in curl jq python3 lscpu; do
        command -v "$cmd" >/dev/null 2>&1 || die "$cmd is required"
    done
    [ -x "$PY" ] || die "no Python at $PY (BENCH_PYTHON); it needs huggingface_hub"
    "$PY" -c 'import huggingface_hub' 2>/dev/null || die "$PY cannot import huggingface_hub"
}

# ---- machine -----------------------------------------------------------------
describe_machine() {
    R[cpu_model]=$(awk -F: '/^model name/{gsub(/^[ \t]+/,"",$2); print $2; exit}' /proc/cpuinfo)
    [ -n "${R[cpu_model]}" ] || R[cpu_model]=$(lscpu | awk -F: '/^Model name/{gsub(/^[ \t]+/,"",$2); print $2; exit}')
    R[nproc]=$(nproc)
    R[mem]=$(awk '/^MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)
    R[free_g]=$(free -g | awk '/^Mem:/{printf "total %s GiB, used %s, free %s, buff/cache %s, available %s", $2, $3, $4, $6, $7}')
    R[kernel]="$(uname -sr)"
    R[date]=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
    R[fs]=$(df -PT "$TMP" | awk 'NR==2{print $2 " on " $1}')
    R[python]=$("$PY" -c 'import sys, huggingface_hub as h; print(f"Python {sys.version.split()[0]}, huggingface_hub {h.__version__}")')
    R[stoa_rev]=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    R[stoa_dirty]=$(git -C "$REPO_ROOT" status --porcelain -- crates Cargo.toml Cargo.lock 2>/dev/null | wc -l)
    R[stoa_bin]=${STOA_BIN#"$REPO_ROOT"/}
    R[stoa_bin_mtime]=$(date -u -r "$STOA_BIN" '+%Y-%m-%d %H:%M:%S UTC' 2>/dev/null || echo unknown)
    case "$STOA_BIN" in
        */debug/*) R[profile]="**debug build** (unoptimised; a release build is faster)" ;;
        */release/*) R[profile]="release build" ;;
        *) R[profile]="build profile unknown" ;;
    esac
}

# ---- Stoa ------------------------------------------------------------------------
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

admin() { # admin ARGS... (on DATA1)
    local out
    out=$("$STOA_BIN" admin "$@" --data-dir "$TMP/data-on" 2>&1) || die "stoa admin $*: $out"
    printf '%s' "$out"
}

new_secret() { printf 'hf_%s' "$(python3 -c 'import secrets; print(secrets.token_hex(20))')"; }

make_accounts() {
    mkdir -p "$TMP/data-on"
    admin user create "$OWNER" >/dev/null
    admin user create "$READER" >/dev/null
    OWNER_TOKEN=$(new_secret); READER_TOKEN=$(new_secret); FG_TOKEN=$(new_secret)
    PASSWORD="bench-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
    admin token create --user "$OWNER" --role write --name bench-owner --value "$OWNER_TOKEN" >/dev/null
    admin token create --user "$READER" --role write --name bench-reader --value "$READER_TOKEN" >/dev/null
    admin token create --user "$READER" --role fineGrained --name bench-fine-grained \
        --scope "model:$OWNER/pub:repo.content.read" --value "$FG_TOKEN" >/dev/null
    local i t=$EPOCHREALTIME
    for i in $(seq -w 1 "$ORGS"); do
        admin org create "org$i" --member "$READER:read" >/dev/null
    done
    R[orgs_s]=$(elapsed "$t")
    log "accounts: $OWNER, $READER (member of $ORGS organisations, made in ${R[orgs_s]} s), 3 tokens"
}

start_stoa() { # name data_dir env... ; sets URL_<name>
    local name=$1 dir=$2 port url pid
    shift 2
    port=$(free_port)
    url="http://127.0.0.1:$port"
    log "starting stoa ($name: $*) on $url"
    env "$@" "$STOA_BIN" serve --data-dir "$dir" --listen "127.0.0.1:$port" --public-url "$url" \
        > "$TMP/stoa-$name.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    printf -v "PID_$name" '%s' "$pid"
    printf -v "URL_$name" '%s' "$url"
    wait_http_200 "$url/api/models" 30 || { tail -n 20 "$TMP/stoa-$name.log" >&2; die "stoa ($name) did not come up"; }
}

client_env() {
    # a private HOME and huggingface_hub cache; no user or system config changes what is measured
    export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/.config" GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
    mkdir -p "$HOME"
    local v
    for v in HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_TOKEN_PATH HUGGINGFACE_CO_STAGING HF_HUB_OFFLINE \
             HF_HUB_CACHE HUGGINGFACE_HUB_CACHE HF_XET_CACHE HF_ASSETS_CACHE; do
        unset "$v"
    done
    export HF_ENDPOINT="$URL_setup" HF_HOME="$TMP/hf-home" HF_HUB_CACHE="$TMP/hf-home/hub" HF_XET_CACHE="$TMP/hf-home/xet"
    export HF_HUB_DISABLE_TELEMETRY=1 HF_HUB_DISABLE_PROGRESS_BARS=1 HF_HUB_DISABLE_UPDATE_CHECK=1 DO_NOT_TRACK=1
    return 0
}

driver_args() {
    printf '%s\n' --owner "$OWNER" --reader "$READER" --signer "$SIGNER" --password "$PASSWORD" \
        --owner-token "$OWNER_TOKEN" --reader-token "$READER_TOKEN" --fg-token "$FG_TOKEN"
}

setup_repos() {
    start_stoa setup "$TMP/data-on" STOA_RATE_LIMIT=off
    client_env
    local args; mapfile -t args < <(driver_args)
    log "access.py setup"
    bgwait "$PY" "$HERE/access.py" setup --url "$URL_setup" "${args[@]}" \
        > "$TMP/setup.json" 2> >(tee "$TMP/setup.log" >&2)
    local rc=$?
    [ -s "$TMP/setup.json" ] || die "access.py setup printed no result (exit $rc)"
    SETUP=$(cat "$TMP/setup.json")
    [ "$(jq -r '.errors | length' <<<"$SETUP")" = 0 ] || die "setup failed: $(jq -r '.errors | join("; ")' <<<"$SETUP")"
    kill_pid "$PID_setup"; untrack "$PID_setup"
    # the same content for the second server: a copy of the stopped server's data dir
    cp -a "$TMP/data-on" "$TMP/data-off" || die "cannot copy the data dir"
    cp -a "$TMP/data-on" "$TMP/data-off2" || die "cannot copy the data dir"
    R[data_bytes]=$(du -sb "$TMP/data-on" | cut -f1)
}

run_driver() {
    local budget args
    budget=$(awk -v b="$TIME_BUDGET" -v e="$(elapsed "$BENCH_T0")" 'BEGIN{d=b-e-20; if (d<30) d=30; printf "%d", d}')
    mapfile -t args < <(driver_args)
    log "access.py measure (deadline ${budget}s)"
    bgwait "$PY" "$HERE/access.py" measure --url-on "$URL_on" --url-off "$URL_off" --url-off2 "$URL_off2" "${args[@]}" \
        --requests "$REQUESTS" --concurrency "$CONCURRENCY" --blocks "$BLOCKS" --warmup "$WARMUP" \
        --logins "$LOGINS" --deadline "$budget" \
        > "$TMP/access.json" 2> >(tee "$TMP/access.log" >&2)
    local rc=$?
    [ -s "$TMP/access.json" ] || die "access.py printed no result (exit $rc; see bench/access/logs/access.log)"
    J=$(cat "$TMP/access.json")
    local e
    while IFS= read -r e; do [ -n "$e" ] && note "access.py: $e"; done < <(jq -r '.errors[]' <<<"$J")
    # server CPU time (user+system) over the whole run, from /proc
    local name pid
    for name in on off off2; do
        pid=PID_$name; pid=${!pid}
        R[cpu_$name]=$(awk -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($14+$15)/t}' "/proc/$pid/stat" 2>/dev/null || echo n/a)
        R[rss_$name]=$(awk '/^VmHWM/{printf "%.1f MB", $2*1.024/1000}' "/proc/$pid/status" 2>/dev/null || echo n/a)
    done
    return 0
}

# ---- report ----------------------------------------------------------------
j() { jq -r "$1 // \"n/a\" | if type == \"array\" then map(tostring) | join(\" \") else tostring end" <<<"$J"; }
js() { jq -r "$1 // \"n/a\" | if type == \"array\" then map(tostring) | join(\" \") else tostring end" <<<"$SETUP"; }

row() { # phase target label baseline_target baseline_label
    local p=$1 t=$2 label=$3 b=$4 bl=$5
    echo "| $label, p50 | $(j ".$p.targets.$t.p50_ms") ms | $bl $(j ".$p.targets.$b.p50_ms") ms | **$(j ".$p.targets.$t.ratio_p50")** |"
    echo "| same, p99 | $(j ".$p.targets.$t.p99_ms") ms | $(j ".$p.targets.$b.p99_ms") ms | $(j ".$p.targets.$t.ratio_p99") |"
    echo "| same, req/s | $(j ".$p.targets.$t.req_per_s") | $(j ".$p.targets.$b.req_per_s") | $(j ".$p.targets.$t.ratio_rps") |"
}

detail() { # phase target label
    echo "- $3: \`$(j ".$1.targets.$2.path")\` — p50 $(j ".$1.targets.$2.p50_ms"), p99 $(j ".$1.targets.$2.p99_ms"), mean $(j ".$1.targets.$2.mean_ms"), min–max $(j ".$1.targets.$2.min_ms")–$(j ".$1.targets.$2.max_ms") ms; $(j ".$1.targets.$2.n") requests, $(j ".$1.targets.$2.req_per_s") req/s; body $(j ".$1.targets.$2.bytes") B"
}

# shellcheck disable=SC2016 # the backquotes are Markdown
build_text() {
    if [ -n "${R[build_s]:-}" ]; then printf '%s s (`cargo build --release -p stoa`)' "${R[build_s]}"; else printf 'not built by this run'; fi
}

section_md() {
    echo "$SECTION_TITLE"
    echo
    echo "Generated by \`bench/access/run.sh\` (not by \`bench/run.sh\`); re-run it to refresh this section."
    echo "Stoa: \`${R[stoa_bin]}\`, ${R[profile]}, embedded defaults (SQLite + local files), servers side by side on"
    echo "127.0.0.1, each on its own copy of one temp data dir (${R[fs]}): **ON** with the default rate limits"
    echo "(\`STOA_RATE_LIMIT_API=$LIMIT_HIGH STOA_RATE_LIMIT_AUTH=$LIMIT_HIGH\`, so nothing is refused), **OFF**"
    echo "and OFF2 (both \`STOA_RATE_LIMIT=off\`; OFF2 only in measurement 1). Client and servers share the ${R[nproc]} cores. Timed requests: ${R[python]%%,*} http.client over"
    echo "keep-alive connections, latency = request sent → whole response read; $REQUESTS requests per target at concurrency"
    echo "$CONCURRENCY (one connection per client thread) after $WARMUP warm-up requests, in $(j '.ratelimit.blocks') alternating blocks of"
    echo "$(j '.ratelimit.block') (the order rotates from block to block). p50 = median, p99 = nearest rank. Ratio = measured / baseline."
    echo
    echo "Command: \`$CMDLINE\`"
    echo
    echo "| measurement | measured | baseline | ratio |"
    echo "| --- | --- | --- | --- |"
    row ratelimit on "1. repo info \`GET /api/models/$OWNER/pub\`, write token, limits **ON**" off "limits OFF"
    row ratelimit off2 "1. control (A/A): the same, limits OFF, a second server process OFF2" off "limits OFF"
    row auth write "2. repo info, public repo, **write token** (user in $ORGS orgs), limits OFF" anonymous "anonymous"
    row auth fine_grained "2. same, **fine-grained token** (\`model:$OWNER/pub:repo.content.read\`)" anonymous "anonymous"
    row auth write_no_orgs "2. same, write token of \`$OWNER\` (in no org)" anonymous "anonymous"
    row gate gated "3. \`HEAD /$OWNER/gated/resolve/main/file.txt\`, **gated (manual), request accepted**" ungated "ungated copy \`$OWNER/open\`"
    echo "| 4. sign-in \`POST /api/login\` (Argon2id), p50 of $LOGINS | $(j '.signin.targets.sign_in.p50_ms') ms | unknown user name $(j '.signin.targets.unknown_user.p50_ms') ms | **$(j '.signin.sign_in_over_unknown_user_p50')** |"
    echo "| 4. wrong password, existing user, p50 of $LOGINS | $(j '.signin.targets.wrong_password.p50_ms') ms | unknown user name $(j '.signin.targets.unknown_user.p50_ms') ms | **$(j '.signin.wrong_password_over_unknown_user_p50')** |"
    echo "| 4. sign-in \`POST /api/login\`, p50 of $LOGINS | $(j '.signin.targets.sign_in.p50_ms') ms | \`GET /api/whoami-v2\` with a token $(j '.signin.targets.whoami.p50_ms') ms | **$(j '.signin.sign_in_over_whoami_p50')** |"
    echo
    echo "**1. Rate limiting.** Both servers answer the same repo (same bytes: ON $(j '.ratelimit.targets.on.bytes') B, OFF $(j '.ratelimit.targets.off.bytes') B)."
    echo "ON counted every request: its last answer carried \`RateLimit: $(j '.ratelimit.targets.on.ratelimit_header')\`,"
    echo "\`RateLimit-Policy: $(j '.ratelimit.targets.on.ratelimit_policy_header')\`; OFF and OFF2 sent no such header (checked)."
    echo "OFF2 is a third server, limits off, on a third copy of the data dir, measured in the same rotation: OFF2/OFF"
    echo "shows how far two identical server processes differ anyway; ON/OFF within that spread means no measurable cost."
    echo "The limiter hashes the token (SHA-256), then counts in one mutex-guarded \`HashMap\` per node."
    echo
    detail ratelimit on "ON"
    detail ratelimit off "OFF (baseline)"
    detail ratelimit off2 "OFF2 (control)"
    echo
    echo "**2. Authentication.** \`$OWNER/pub\` is public, so all three read it; with a token the server looks the"
    echo "token up by its SHA-256, loads the user and their memberships ($READER: $(js '.setup.reader_orgs') organisations per \`whoami-v2\`), then caps"
    echo "the account's level by the token's (fine-grained: its scopes, $(jq -c '.setup.fg_token.scoped' <<<"$SETUP" 2>/dev/null))."
    echo
    detail auth anonymous "anonymous (baseline)"
    detail auth write "write token"
    detail auth fine_grained "fine-grained token"
    detail auth write_no_orgs "write token of $OWNER (no organisation)"
    echo
    echo "**3. Gate check.** \`$OWNER/gated\` and \`$OWNER/open\` hold the same README.md and file.txt ($(js '.setup.file_bytes') B, a git blob; HEAD"
    echo "sends no body and, without \`X-HF-Download-Counter\`, counts no download). \`$OWNER/gated\` was gated with"
    echo "\`PUT /api/models/$OWNER/gated/settings {\"gated\":\"manual\"}\`; $READER's HEAD answered $(js '.setup.reader_before_request') before asking,"
    echo "$(js '.setup.reader_while_pending') while the request was $(js '.setup.request_status'), $(js '.setup.reader_after_accept') once the owner accepted it;"
    echo "anonymous: $(js '.setup.anonymous_on_gated'); $READER's fine-grained token (no \`canReadGatedRepos\`): $(js '.setup.fine_grained_on_gated')."
    echo "On the gated repo the check adds a lookup of the caller's access request."
    echo
    detail gate ungated "ungated (baseline)"
    detail gate gated "gated, accepted"
    echo
    echo "**4. Sign-in.** User \`$SIGNER\` signed up through \`POST /api/signup\` (Argon2id, the argon2 crate's defaults:"
    echo "m=19456 KiB, t=2, p=1). On ON, $(j '.signin.warmup_rounds') warm-up rounds then $LOGINS rounds, each sending, one at a time over"
    echo "one keep-alive connection per kind (order rotating): a right sign-in (200, \`Set-Cookie\`: a session is"
    echo "stored), one with an unknown user name (401; the server hashes the password anyway), one with a wrong"
    echo "password (401; verifies against the stored hash), and \`GET /api/whoami-v2\` with $OWNER's write token. The"
    echo "unknown-name and wrong-password ratios near 1.0 mean that the answer's timing does not tell whether a name exists."
    echo
    local k
    for k in sign_in unknown_user wrong_password whoami; do
        echo "- $k \`$(j ".signin.targets.$k.path")\` ($(j ".signin.targets.$k.status")): p50 $(j ".signin.targets.$k.p50_ms"), p99 $(j ".signin.targets.$k.p99_ms"), mean $(j ".signin.targets.$k.mean_ms"), min–max $(j ".signin.targets.$k.min_ms")–$(j ".signin.targets.$k.max_ms") ms"
    done
    echo "- unknown user / whoami-v2: $(j '.signin.unknown_user_over_whoami_p50'); the auth bucket after the run: \`RateLimit: $(j '.signin.targets.sign_in.ratelimit_header')\`"
    echo
    echo "| machine | |"
    echo "| --- | --- |"
    echo "| CPU (/proc/cpuinfo model name) | ${R[cpu_model]} |"
    echo "| nproc | ${R[nproc]} |"
    echo "| memory | ${R[mem]} (\`free -g\`: ${R[free_g]}) |"
    echo "| kernel | ${R[kernel]} |"
    echo "| date | ${R[date]} |"
    echo "| Stoa | git HEAD ${R[stoa_rev]} (${R[stoa_dirty]} uncommitted changes under crates/ and Cargo.*), binary ${R[stoa_bin]} built ${R[stoa_bin_mtime]} |"
    echo "| server CPU time over the run (user+system) / peak RSS (VmHWM) | ON ${R[cpu_on]:-n/a} s / ${R[rss_on]:-n/a}, OFF ${R[cpu_off]:-n/a} s / ${R[rss_off]:-n/a}, OFF2 ${R[cpu_off2]:-n/a} s / ${R[rss_off2]:-n/a} (only ON served the sign-ins, each hashing with 19 MiB of Argon2 memory) |"
    echo "| quiet machine? | ${R[quiet]:-n/a} |"
    echo "| CPU used by other processes during the run | ${R[foreign]:-n/a} |"
    echo "| run time | $(elapsed "$T0") s in all; setup $(js '.elapsed_s') s; access.py $(j '.elapsed_s') s (phases: $(jq -r '.phases | to_entries | map("\(.key) \(.value) s") | join(", ")' <<<"$J" 2>/dev/null)); build: $(build_text) |"
    echo
    if [ ${#NOTES[@]} -gt 0 ]; then
        echo "Notes:"
        echo
        printf -- '- %s\n' "${NOTES[@]}"
        echo
    fi
}

# ---- main ------------------------------------------------------------------
main() {
    CMDLINE="bench/access/run.sh"
    local k v
    for k in STOA_BIN STOA_NO_BUILD BENCH_REQUESTS BENCH_CONCURRENCY BENCH_BLOCKS BENCH_WARMUP BENCH_LOGINS \
             BENCH_ORGS BENCH_LIMIT_HIGH BENCH_WAIT_QUIET BENCH_TIME_BUDGET; do
        v=$(printenv "$k") && CMDLINE="$k=${v#"$REPO_ROOT"/} $CMDLINE"
    done
    # the servers' limits are what this script sets, whatever the caller's environment says
    unset STOA_RATE_LIMIT STOA_RATE_LIMIT_API STOA_RATE_LIMIT_RESOLVERS STOA_RATE_LIMIT_ANONYMOUS_API \
        STOA_RATE_LIMIT_ANONYMOUS_RESOLVERS STOA_RATE_LIMIT_AUTH STOA_CONFIG STOA_DATA_DIR
    ensure_deps
    ensure_binary
    TMP=$(mktemp -d "$TMP_PARENT/stoa-access.XXXXXX")
    wait_quiet || true
    BENCH_T0=$EPOCHREALTIME
    # a hard cap on the run (the build and the wait above are not counted)
    python3 -c 'import os, signal, sys, time; time.sleep(float(sys.argv[1])); os.kill(int(sys.argv[2]), signal.SIGTERM)' \
        "$TIME_BUDGET" "$$" </dev/null >/dev/null 2>&1 &
    PIDS+=("$!")
    describe_machine
    log "machine: ${R[cpu_model]}, nproc ${R[nproc]}, ${R[mem]}; tmp $TMP"
    python3 "$REPO_ROOT/bench/lib/foreign_cpu.py" "$$" 1 "$TMP/foreign.json" &
    FC_PID=$!
    PIDS+=("$FC_PID")
    make_accounts
    setup_repos
    start_stoa on "$TMP/data-on" "STOA_RATE_LIMIT_API=$LIMIT_HIGH" "STOA_RATE_LIMIT_AUTH=$LIMIT_HIGH"
    start_stoa off "$TMP/data-off" STOA_RATE_LIMIT=off
    start_stoa off2 "$TMP/data-off2" STOA_RATE_LIMIT=off
    run_driver
    stop_foreign_cpu
    write_results
}

main "$@"
