#!/usr/bin/env bash
# Web-page benchmark (issue 9): "every page answered in < 20 ms at p99 on a repo with 10,000
# files; no page heavier than 300 KB before images", each page side by side with nginx serving
# the very same HTML as a static file, in one run.
#
#   bench/web/run.sh
#
# Starts the real `stoa` binary on a free 127.0.0.1 port with a temp data dir (user `bench` and a
# write token from `stoa admin`; a password set through `POST /api/settings/password`, a session
# cookie from `POST /api/login`), then bench/web/setup.py (the project's .venv, huggingface_hub,
# git + git-lfs) builds the model repo bench/webbench-10k: BENCH_FILES (10,000) files in one
# `git push` (README card, config, ~300-line modeling_stoa.py, model.safetensors and two other LFS
# files, samples/ with BENCH_BIG_FOLDER (1,000) files, part_NN/ folders of BENCH_FOLDER_FILES
# (100)), four commits, discussion #1 with comments, PR #2, and BENCH_OTHER_REPOS (200) small
# repos. Once the server is idle (background scans done), for each page: one `curl` saves the
# HTML (status, bytes, bytes with `--compressed`, and the same-origin CSS/JS/fonts it loads:
# the weight "before images"), then `wrk -t BENCH_WRK_THREADS -c BENCH_WRK_CONNS` runs
# BENCH_WRK_WARMUP s of warm-up and BENCH_WRK_DURATION s measured against Stoa, then the same
# against nginx serving the saved HTML at /p/<page>.html. Pages are anonymous, except the repo's
# settings page (owner's session cookie, set by bench/web/page.lua).
# Prints a Markdown section and replaces (or appends) the section
# "## Web pages (bench/web/run.sh)" of bench/RESULTS.md unless BENCH_WRITE_RESULTS=0.
# Everything listens on 127.0.0.1; the run is capped at BENCH_TIME_BUDGET seconds (480; the
# release build and the optional wait for a quiet machine are not counted); an EXIT trap stops
# what the script started (by PID) and deletes the temp dir.
#
# Knobs: STOA_BIN (target/release/stoa, built with `cargo build --release -p stoa` when missing or
# older than the sources unless STOA_NO_BUILD=1), BENCH_PYTHON (.venv/bin/python), BENCH_FILES,
# BENCH_FOLDER_FILES, BENCH_BIG_FOLDER, BENCH_OTHER_REPOS, BENCH_COMMENTS (8), BENCH_WRK_THREADS
# (2), BENCH_WRK_CONNS (8), BENCH_WRK_DURATION (8), BENCH_WRK_WARMUP (1), BENCH_WRK_SINGLE (2: seconds
# of `wrk -t1 -c1` against Stoa per page, for the latency without concurrent requests; 0: skip), BENCH_PAGES (all;
# space-separated page names to measure a subset), BENCH_EXTRA_PAGES (space-separated NAME=PATH
# pairs: more anonymous pages to measure), BENCH_TARGET_P99_MS (20), BENCH_TARGET_BYTES
# (300000), BENCH_WAIT_QUIET (120: seconds to wait for load average < BENCH_QUIET_LOAD (0.8) and
# no cargo/rustc/pytest; 0: do not wait), BENCH_TIME_BUDGET, BENCH_TMPDIR (/tmp), BENCH_KEEP_TMP,
# BENCH_WRITE_RESULTS, BENCH_RESULTS_MD.
set -uo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$REPO_ROOT/bench/lib/common.sh"
RESULTS_MD=${BENCH_RESULTS_MD:-$REPO_ROOT/bench/RESULTS.md}
LOG_DIR="$HERE/logs"
SECTION_TITLE="## Web pages (bench/web/run.sh)"

# ---- knobs -----------------------------------------------------------------
STOA_BIN=${STOA_BIN:-$REPO_ROOT/target/release/stoa}
STOA_NO_BUILD=${STOA_NO_BUILD:-0}
PY=${BENCH_PYTHON:-$REPO_ROOT/.venv/bin/python}
FILES=${BENCH_FILES:-10000}
FOLDER_FILES=${BENCH_FOLDER_FILES:-100}
BIG_FOLDER=${BENCH_BIG_FOLDER:-1000}
OTHER_REPOS=${BENCH_OTHER_REPOS:-200}
COMMENTS=${BENCH_COMMENTS:-8}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
WRK_CONNS=${BENCH_WRK_CONNS:-8}
WRK_DURATION=${BENCH_WRK_DURATION:-8}
WRK_WARMUP=${BENCH_WRK_WARMUP:-1}
WRK_SINGLE=${BENCH_WRK_SINGLE:-2}
PAGES_WANTED=${BENCH_PAGES:-}
EXTRA_PAGES=${BENCH_EXTRA_PAGES:-}
TARGET_P99_MS=${BENCH_TARGET_P99_MS:-20}
TARGET_BYTES=${BENCH_TARGET_BYTES:-300000}
WAIT_QUIET=${BENCH_WAIT_QUIET:-120}
QUIET_LOAD=${BENCH_QUIET_LOAD:-0.8}
QUIET_POLL=${BENCH_QUIET_POLL:-30}
TIME_BUDGET=${BENCH_TIME_BUDGET:-480}
WRITE_RESULTS=${BENCH_WRITE_RESULTS:-1}
KEEP_TMP=${BENCH_KEEP_TMP:-0}
TMP_PARENT=${BENCH_TMPDIR:-/tmp}

NS=bench
REPO=webbench-10k

# ---- state -----------------------------------------------------------------
declare -A R=()
NOTES=()
PIDS=()
TMP=""
STOA_PID=""
NGINX_PID=""
FC_PID=""
TOKEN=""
COOKIE=""
SETUP="{}"
RESULTS_WRITTEN=0
PAGE_NAMES=()          # in measuring order
declare -A PAGE_PATH=() PAGE_AUTH=() PAGE_DESC=()
T0=$EPOCHREALTIME
BENCH_T0=$EPOCHREALTIME

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ "$rc" != 0 ] && [ "$RESULTS_WRITTEN" = 0 ] && [ -s "${TMP:-/nonexistent}/pages.tsv" ]; then
        note "run ended early (exit status $rc); the table is partial"
        stop_foreign_cpu || true
        write_results || true
    fi
    local p
    for p in "${PIDS[@]}"; do kill_pid "$p"; done
    if [ -n "$TMP" ] && [ -d "$TMP" ]; then
        mkdir -p "$LOG_DIR"
        [ -f "$TMP/stoa.log" ] && tail -c 300000 "$TMP/stoa.log" > "$LOG_DIR/stoa.log"
        [ -f "$TMP/nginx/error.log" ] && tail -c 50000 "$TMP/nginx/error.log" > "$LOG_DIR/nginx-error.log"
        local f
        for f in setup.json setup.log wrk.log pages.tsv; do
            [ -f "$TMP/$f" ] && cp "$TMP/$f" "$LOG_DIR/$f"
        done
        if [ -d "$TMP/www/p" ]; then
            rm -rf "$LOG_DIR/html"; cp -r "$TMP/www/p" "$LOG_DIR/html"
        fi
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
    export PATH="$PATH:/usr/sbin:/sbin"
    local missing=() pair cmd pkg
    for pair in nginx:nginx wrk:wrk jq:jq curl:curl git:git git-lfs:git-lfs python3:python3 lscpu:util-linux; do
        cmd=${pair%%:*}; pkg=${pair#*:}
        command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing with apt-get: ${missing[*]}"
        local sudo=""
        [ "$(id -u)" = 0 ] || sudo="sudo"
        $sudo apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null \
            || die "apt-get install ${missing[*]} failed"
    fi
    [ -x "$PY" ] || die "no Python at $PY (BENCH_PYTHON); it needs huggingface_hub"
    "$PY" -c 'import huggingface_hub' 2>/dev/null || die "$PY cannot import huggingface_hub"
}

# ---- machine -----------------------------------------------------------------
describe_machine() {
    R[cpu_model]=$(awk -F: '/^model name/{gsub(/^[ \t]+/,"",$2); print $2; exit}' /proc/cpuinfo)
    [ -n "${R[cpu_model]}" ] || R[cpu_model]=$(lscpu | awk -F: '/^Model name/{gsub(/^[ \t]+/,"",$2); print $2; exit}')
    R[nproc]=$(nproc)
    R[mem]=$(awk '/^MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)
    R[kernel]="$(uname -sr)"
    R[date]=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
    R[fs]=$(df -PT "$TMP" | awk 'NR==2{print $2 " on " $1}')
    R[nginx_version]=$(nginx -v 2>&1 | sed 's/^nginx version: //')
    R[wrk_version]=$(wrk -v 2>&1 | head -n1 | awk '{print $2}')
    R[curl_version]=$(curl --version | head -n1 | awk '{print $1, $2}')
    R[git_version]=$(git --version | awk '{print $3}')
    R[lfs_version]=$(git lfs version 2>/dev/null | awk '{print $1}')
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

# ---- servers -----------------------------------------------------------------
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

start_stoa() {
    STOA_PORT=$(free_port)
    STOA_URL="http://127.0.0.1:$STOA_PORT"
    mkdir -p "$TMP/data"
    local out
    out=$("$STOA_BIN" admin user create "$NS" --data-dir "$TMP/data" 2>&1) || die "admin user create: $out"
    out=$("$STOA_BIN" admin token create --user "$NS" --data-dir "$TMP/data" --role write 2>&1) \
        || die "admin token create: $out"
    TOKEN=$(printf '%s\n' "$out" | grep -oE 'hf_[A-Za-z0-9_-]+' | head -n1)
    [ -n "$TOKEN" ] || die "no hf_ token in the output of admin token create"
    log "starting stoa on $STOA_URL"
    STOA_RATE_LIMIT=off "$STOA_BIN" serve --data-dir "$TMP/data" --listen "127.0.0.1:$STOA_PORT" --public-url "$STOA_URL" \
        > "$TMP/stoa.log" 2>&1 &
    STOA_PID=$!
    PIDS+=("$STOA_PID")
    wait_http_200 "$STOA_URL/api/models" 30 || { tail -n 20 "$TMP/stoa.log" >&2; die "stoa did not come up"; }
}

# the owner's password (through the API, with the token) and a session cookie from POST /api/login
sign_in() {
    local password code
    password="bench-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
    code=$(curl -s -o "$TMP/password.json" -w '%{http_code}' -X POST "$STOA_URL/api/settings/password" \
        -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d "$(jq -nc --arg p "$password" '{newPassword: $p}')")
    [ "$code" = 200 ] || die "POST /api/settings/password answered $code: $(head -c 300 "$TMP/password.json")"
    code=$(curl -s -o "$TMP/login.json" -D "$TMP/login.headers" -w '%{http_code}' -X POST "$STOA_URL/api/login" \
        -H 'Content-Type: application/json' -d "$(jq -nc --arg u "$NS" --arg p "$password" '{username: $u, password: $p}')")
    [ "$code" = 200 ] || die "POST /api/login answered $code: $(head -c 300 "$TMP/login.json")"
    COOKIE=$(tr -d '\r' < "$TMP/login.headers" | sed -n 's/^[Ss]et-[Cc]ookie: *\(stoa_session=[^;]*\).*/\1/p' | head -n1)
    [ -n "$COOKIE" ] || die "POST /api/login set no stoa_session cookie"
    log "signed in as $NS (session cookie)"
}

client_env() {
    # a private HOME and huggingface_hub cache; no user or system config changes what is measured
    export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/.config" GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
    mkdir -p "$HOME"
    local v
    for v in HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_TOKEN_PATH HUGGINGFACE_CO_STAGING HF_HUB_OFFLINE \
             HF_HUB_CACHE HUGGINGFACE_HUB_CACHE HF_XET_CACHE HF_ASSETS_CACHE HF_HUB_DISABLE_XET; do
        unset "$v"
    done
    export HF_ENDPOINT="$STOA_URL" HF_HOME="$TMP/hf-home" HF_HUB_CACHE="$TMP/hf-home/hub" HF_XET_CACHE="$TMP/hf-home/xet"
    export HF_HUB_DISABLE_TELEMETRY=1 HF_HUB_DISABLE_PROGRESS_BARS=1 HF_HUB_DISABLE_UPDATE_CHECK=1 DO_NOT_TRACK=1
    git config --global user.name "Stoa bench"
    git config --global user.email "bench@example.org"
    git config --global init.defaultBranch main
    git lfs install --skip-repo >/dev/null || die "git lfs install failed"
}

setup_content() {
    log "setup.py: repo $NS/$REPO ($FILES files), discussion, PR, $OTHER_REPOS other repos"
    mkdir -p "$TMP/work"
    bgwait "$PY" "$HERE/setup.py" --url "$STOA_URL" --token "$TOKEN" --ns "$NS" --repo "$REPO" --work "$TMP/work" \
        --files "$FILES" --folder-files "$FOLDER_FILES" --big-folder "$BIG_FOLDER" --other-repos "$OTHER_REPOS" \
        --comments "$COMMENTS" > "$TMP/setup.json" 2> >(tee "$TMP/setup.log" >&2)
    local rc=$?
    [ -s "$TMP/setup.json" ] || die "setup.py failed (exit $rc; see bench/web/logs/setup.log)"
    SETUP=$(cat "$TMP/setup.json")
    rm -rf "$TMP/work/repo"   # the working tree (10,000 files); the server has its own copy
    R[data_bytes]=$(du -sb "$TMP/data" | cut -f1)
}

stoa_cpu_ticks() { awk '{print $14 + $15}' "/proc/$STOA_PID/stat" 2>/dev/null || echo 0; }

# background work the push started (the commit scans) must not run during the measurements:
# wait until the server used < 2 % of a core over 2 s (at most 90 s)
wait_server_idle() {
    local t=$EPOCHREALTIME a b hz
    hz=$(getconf CLK_TCK)
    while lt "$(elapsed "$t")" 90; do
        a=$(stoa_cpu_ticks); sleep 2; b=$(stoa_cpu_ticks)
        if [ $(( (b - a) * 100 )) -le $(( hz * 2 * 2 )) ]; then
            R[idle_wait_s]=$(elapsed "$t")
            log "server idle after ${R[idle_wait_s]} s"
            return 0
        fi
    done
    R[idle_wait_s]=$(elapsed "$t")
    note "the server was still busy (background work after the push) after ${R[idle_wait_s]} s; measured anyway"
}

start_nginx() {
    NGINX_PORT=$(free_port)
    NGINX_URL="http://127.0.0.1:$NGINX_PORT"
    local d="$TMP/nginx"
    mkdir -p "$d" "$TMP/www/p"
    chmod 755 "$TMP" "$TMP/www" "$TMP/www/p"
    local user_line=""   # as root, workers run as nobody: $TMP and the files are made world-readable
    if [ "$(id -u)" = 0 ]; then
        if getent group nogroup >/dev/null; then user_line="user nobody nogroup;"; else user_line="user nobody;"; fi
    fi
    cat > "$d/nginx.conf" <<EOF
# generated by bench/web/run.sh
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
    types { text/html html; }
    default_type text/html;
    charset utf-8;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $TMP/www;
        # the security headers Stoa sends on every page, so both answers carry similar headers
        add_header Content-Security-Policy "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" always;
        add_header X-Content-Type-Options nosniff always;
        add_header X-Frame-Options DENY always;
        add_header Referrer-Policy same-origin always;
        location = /ready { return 200 "ok\n"; }
    }
}
EOF
    log "starting nginx on $NGINX_URL"
    nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" > "$d/stdout.log" 2>&1 &
    NGINX_PID=$!
    PIDS+=("$NGINX_PID")
    wait_http_200 "$NGINX_URL/ready" 15 || { tail -n 20 "$d/error.log" "$d/stdout.log" >&2; die "nginx did not come up"; }
}

# ---- the pages -----------------------------------------------------------------
js() { jq -r "$1 // \"n/a\" | tostring" <<<"$SETUP"; }

add_page() { # name auth(anon|owner) path description
    PAGE_NAMES+=("$1"); PAGE_AUTH[$1]=$2; PAGE_PATH[$1]=$3; PAGE_DESC[$1]=$4
}

define_pages() {
    local r="/$NS/$REPO" folder big py search disc
    folder=$(js .folder); big=$(js .big_folder); py=$(js .python_file); search=$(js .search); disc=$(js .discussion)
    add_page home anon "/" "home"
    add_page search anon "/models?search=$search" "model search, $(js .search_matches) matches"
    add_page repo anon "$r" "repo page (model card)"
    add_page tree_root anon "$r/tree/main" "file tree, root ($(js .folders) folders, $(js .root_files) files)"
    add_page tree_folder anon "$r/tree/main/$folder" "file tree, a folder of $(js .folder_entries) files"
    add_page tree_big anon "$r/tree/main/$big" "file tree, the largest folder ($(js .big_folder_entries) files)"
    add_page blob_readme anon "$r/blob/main/README.md" "README.md ($(js .readme_bytes) B)"
    add_page blob_py anon "$r/blob/main/$py" "$py ($(js .python_lines) lines)"
    add_page commits anon "$r/commits/main" "commit list ($(js .commits) commits)"
    add_page commit anon "$r/commit/$(js .head)" "one commit's diff (2 files)"
    add_page discussions anon "$r/discussions" "discussion list"
    add_page discussion anon "$r/discussions/$disc" "discussion #$disc ($COMMENTS comments)"
    add_page user anon "/$NS" "user page ($(( $(js .other_repos) + 1 )) repos)"
    add_page login anon "/login" "sign-in form"
    add_page settings owner "$r/settings" "repo settings, **signed in** (owner's session cookie)"
    local extra
    for extra in $EXTRA_PAGES; do
        add_page "${extra%%=*}" anon "${extra#*=}" "extra page \`${extra%%=*}\`"
    done
    if [ -n "$PAGES_WANTED" ]; then
        local keep=() n
        for n in "${PAGE_NAMES[@]}"; do
            [[ " $PAGES_WANTED " == *" $n "* ]] && keep+=("$n")
        done
        PAGE_NAMES=("${keep[@]}")
    fi
}

curl_page() { # url auth out_file -> "status bytes content_type"
    local args=(-s --max-time 20 -o "$3" -w '%{http_code} %{size_download} %{content_type}')
    [ "$2" = owner ] && args+=(-H "Cookie: $COOKIE")
    curl "${args[@]}" "$1"
}

# the page's weight before images: the HTML plus the same-origin CSS, JS and fonts it loads
page_weight() { # name url auth html_file
    local name=$1 url=$2 html=$4 total sub path bytes css list=() i=0
    local -A seen=()
    total=$(stat -c %s "$html")
    mapfile -t list < <(python3 "$HERE/assets.py" "$html" "$url")
    while [ "$i" -lt "${#list[@]}" ]; do   # the list grows by the fonts a stylesheet loads
        sub=${list[$i]}; i=$((i + 1))
        [ -n "${seen[$sub]:-}" ] && continue
        seen[$sub]=1
        if [ -z "${ASSET_BYTES[$sub]:-}" ]; then
            path="$TMP/assets/$(printf '%s' "$sub" | tr -c 'A-Za-z0-9._-' '_')"
            mkdir -p "$TMP/assets"
            read -r _ bytes _ < <(curl_page "$STOA_URL$sub" anon "$path")
            ASSET_BYTES[$sub]=${bytes:-0}
            if [[ "$sub" == *.css* ]]; then
                while IFS= read -r css; do list+=("$css"); done < <(python3 "$HERE/assets.py" --css "$path" "$STOA_URL$sub")
            fi
        fi
        total=$((total + ASSET_BYTES[$sub]))
    done
    R[${name}_assets]=$(printf '%s ' "${list[@]}")
    R[${name}_weight]=$total
}
declare -A ASSET_BYTES=()

run_wrk() { # label url cookie duration -> sets W (the BENCH line)
    local label=$1 url=$2 cookie=$3 dur=$4 out
    out=$(bgwait wrk -t "$WRK_THREADS" -c "$WRK_CONNS" -d "${dur}s" --timeout 5s -s "$HERE/page.lua" "$url" -- "$cookie" 2>&1)
    printf '=== %s %s (%s s)\n%s\n' "$label" "$url" "$dur" "$out" >> "$TMP/wrk.log"
    W=$(printf '%s\n' "$out" | grep '^BENCH ' | head -n1)
}

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }

measure_page() {
    local name=$1 path=${PAGE_PATH[$1]} auth=${PAGE_AUTH[$1]} url html status bytes ctype cookie="" k
    url="$STOA_URL$path"
    html="$TMP/www/p/$name.html"
    read -r status bytes ctype < <(curl_page "$url" "$auth" "$html")
    R[${name}_status]=$status; R[${name}_bytes]=$bytes; R[${name}_ctype]=$ctype
    chmod 644 "$html" 2>/dev/null
    if [ "$status" != 200 ]; then
        R[${name}_skip]="HTTP $status"
        log "$name: $path answered $status; not measured"
        return 0
    fi
    if [[ "$name" == tree_* ]]; then   # how many entries the listing shows (a pager may cut it)
        PAGE_DESC[$name]+="; $(grep -c '<tr class="entry' "$html") rows shown$(grep -q 'id="next-page"' "$html" && printf ', then a pager')"
    fi
    grep -q 'id="content"' "$html" || note "$name: the HTML of $path has no id=\"content\" (not a rendered page?)"
    if [ "$auth" = owner ] && ! grep -q 'id="user-menu"' "$html"; then
        note "$name: the page shows no user menu although the session cookie was sent (not signed in?)"
    fi
    local gz=(-s --compressed --max-time 20 -o /dev/null -w '%{size_download}')
    [ "$auth" = owner ] && gz+=(-H "Cookie: $COOKIE")
    R[${name}_gz]=$(curl "${gz[@]}" "$url")
    page_weight "$name" "$url" "$auth" "$html"
    [ "$auth" = owner ] && cookie=$COOKIE
    run_wrk "$name stoa warm-up" "$url" "$cookie" "$WRK_WARMUP"
    run_wrk "$name stoa" "$url" "$cookie" "$WRK_DURATION"
    for k in requests rps p50_ms p99_ms max_ms bytes_per_req err_connect err_read err_write err_status err_timeout; do
        R[${name}_stoa_$k]=$(field "$W" "$k")
    done
    if [ "$WRK_SINGLE" -gt 0 ]; then   # context: one connection, no queueing behind other requests
        W=$(bgwait wrk -t 1 -c 1 -d "${WRK_SINGLE}s" --timeout 5s -s "$HERE/page.lua" "$url" -- "$cookie" 2>&1 | grep '^BENCH ' | head -n1)
        printf '=== %s stoa, 1 connection\n%s\n' "$name" "$W" >> "$TMP/wrk.log"
        R[${name}_single_p50_ms]=$(field "$W" p50_ms); R[${name}_single_p99_ms]=$(field "$W" p99_ms)
    fi
    run_wrk "$name nginx warm-up" "$NGINX_URL/p/$name.html" "" "$WRK_WARMUP"
    run_wrk "$name nginx" "$NGINX_URL/p/$name.html" "" "$WRK_DURATION"
    for k in requests rps p50_ms p99_ms max_ms bytes_per_req err_connect err_read err_write err_status err_timeout; do
        R[${name}_nginx_$k]=$(field "$W" "$k")
    done
    local errs
    errs=$(( ${R[${name}_stoa_err_connect]:-0} + ${R[${name}_stoa_err_read]:-0} + ${R[${name}_stoa_err_write]:-0} \
        + ${R[${name}_stoa_err_status]:-0} + ${R[${name}_stoa_err_timeout]:-0} ))
    R[${name}_stoa_errors]=$errs
    [ "$errs" -gt 0 ] && note "$name: wrk counted $errs errors against Stoa (connect ${R[${name}_stoa_err_connect]}, read ${R[${name}_stoa_err_read]}, write ${R[${name}_stoa_err_write]}, status ${R[${name}_stoa_err_status]}, timeout ${R[${name}_stoa_err_timeout]})"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$path" "$bytes" "${R[${name}_weight]}" \
        "${R[${name}_stoa_p50_ms]}" "${R[${name}_stoa_p99_ms]}" "${R[${name}_stoa_rps]}" \
        "${R[${name}_nginx_p99_ms]}" "${R[${name}_nginx_rps]}" >> "$TMP/pages.tsv"
    log "$name: $bytes B (weight ${R[${name}_weight]} B); Stoa p50 ${R[${name}_stoa_p50_ms]} p99 ${R[${name}_stoa_p99_ms]} ms ${R[${name}_stoa_rps]} req/s; nginx p99 ${R[${name}_nginx_p99_ms]} ms ${R[${name}_nginx_rps]} req/s"
}

measure_all() {
    local name
    printf 'page\tpath\thtml_bytes\tweight_bytes\tstoa_p50_ms\tstoa_p99_ms\tstoa_rps\tnginx_p99_ms\tnginx_rps\n' > "$TMP/pages.tsv"
    for name in "${PAGE_NAMES[@]}"; do
        measure_page "$name"
    done
    R[stoa_rss]=$(awk '/^VmHWM/{printf "%.1f MB", $2*1.024/1000}' "/proc/$STOA_PID/status" 2>/dev/null || echo n/a)
}

# ---- report ----------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "" || b == "" || b+0 == 0) print "n/a"; else printf "%.2f", a/b }'; }
kb() { awk -v b="$1" 'BEGIN{ if (b == "" || b == "n/a") print "n/a"; else printf "%.1f", b/1000 }'; }
yesno() { if [ "$1" = 1 ]; then echo yes; else echo "**no**"; fi; }

section_md() {
    local name met_all=0 n_meas=0 n_p99=0 n_size=0 worst_p99=0 worst_p99_page="" heaviest=0 heaviest_page=""
    local rows=() p99 weight ok_p99 ok_size status
    for name in "${PAGE_NAMES[@]}"; do
        status=${R[${name}_skip]:-}
        weight=${R[${name}_weight]:-0}
        if [ -n "$status" ] || [ -z "${R[${name}_stoa_p99_ms]:-}" ]; then
            rows+=("| ${PAGE_DESC[$name]} | \`${PAGE_PATH[$name]}\` | ${status:-not measured} | | | | | | | | | | |")
            continue
        fi
        n_meas=$((n_meas + 1))
        p99=${R[${name}_stoa_p99_ms]}
        ok_p99=0; lt "$p99" "$TARGET_P99_MS" && ok_p99=1 && n_p99=$((n_p99 + 1))
        ok_size=0; [ "$weight" -le "$TARGET_BYTES" ] && ok_size=1 && n_size=$((n_size + 1))
        lt "$worst_p99" "$p99" && { worst_p99=$p99; worst_p99_page=$name; }
        [ "$weight" -gt "$heaviest" ] && { heaviest=$weight; heaviest_page=$name; }
        rows+=("| ${PAGE_DESC[$name]} | \`${PAGE_PATH[$name]}\` | $(kb "${R[${name}_bytes]}") / $(kb "$weight") / $(kb "${R[${name}_gz]:-}") | ${R[${name}_stoa_p50_ms]} | **$p99** | ${R[${name}_stoa_rps]} | ${R[${name}_nginx_p50_ms]} | ${R[${name}_nginx_p99_ms]} | ${R[${name}_nginx_rps]} | **$(ratio "$p99" "${R[${name}_nginx_p99_ms]}")** | $(yesno $ok_p99) | $(yesno $ok_size) | ${R[${name}_single_p50_ms]:-n/a} / ${R[${name}_single_p99_ms]:-n/a} |")
    done
    [ "$n_meas" -gt 0 ] && [ "$n_p99" = "$n_meas" ] && [ "$n_size" = "$n_meas" ] && [ "$n_meas" = "${#PAGE_NAMES[@]}" ] && met_all=1

    echo "$SECTION_TITLE"
    echo
    echo "Generated by \`bench/web/run.sh\` (not by \`bench/run.sh\`); re-run it to refresh this section. How it works: [web/README.md](web/README.md)."
    echo "Issue 9's target: every page answered in **< $TARGET_P99_MS ms at p99** on a repo with $(js .files) files; no page heavier than"
    echo "**$((TARGET_BYTES / 1000)) KB before images**. Stoa: \`${R[stoa_bin]}\`, ${R[profile]}, embedded defaults (SQLite + local files),"
    echo "\`STOA_RATE_LIMIT=off\`. Baseline: nginx ${R[nginx_version]#nginx/} serving the same HTML (saved with curl just before) as a static file."
    echo "Load: \`wrk -t$WRK_THREADS -c$WRK_CONNS -d${WRK_DURATION}s\` per page and server after ${WRK_WARMUP} s of warm-up, keep-alive, no"
    echo "compression asked; latency = wrk's (request written → response read) over $WRK_CONNS concurrent connections, so p99 includes"
    echo "queueing on the ${R[nproc]} cores that wrk, Stoa and nginx share. Everything on 127.0.0.1."
    echo
    echo "Command: \`$CMDLINE\`"
    echo
    echo "Target met for all pages: **$(yesno $met_all | tr -d "*")** — p99 < $TARGET_P99_MS ms: $n_p99 of $n_meas measured pages (slowest: ${worst_p99_page:-n/a} $worst_p99 ms);"
    echo "≤ $((TARGET_BYTES / 1000)) KB: $n_size of $n_meas (heaviest: ${heaviest_page:-n/a} $(kb "$heaviest") KB); pages defined: ${#PAGE_NAMES[@]}."
    echo
    echo "| page | path | KB: HTML / before images / compressed | Stoa p50 ms | Stoa p99 ms | Stoa req/s | nginx p50 ms | nginx p99 ms | nginx req/s | p99 Stoa/nginx | p99 < $TARGET_P99_MS ms? | ≤ $((TARGET_BYTES / 1000)) KB? | Stoa, 1 connection: p50 / p99 ms |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    printf '%s\n' "${rows[@]}"
    echo
    echo "KB = 1000 bytes. *HTML*: the page's body as curl received it (no compression asked). *Before images*: the HTML plus"
    echo "the same-origin stylesheets, scripts and fonts it loads (images excluded; checked against the target). *Compressed*:"
    echo "the HTML's bytes on the wire with \`curl --compressed\` (equal to HTML when the server does not compress)."
    local assets=""
    for name in "${!ASSET_BYTES[@]}"; do assets+="${assets:+, }\`$name\` ${ASSET_BYTES[$name]} B"; done
    echo "Sub-resources seen: ${assets:-none}. The target is checked on the p99 under load ($WRK_CONNS connections); the last column"
    echo "(\`wrk -t1 -c1 -d${WRK_SINGLE}s\` against Stoa, right after the measured run) shows the latency of a request that waits for no other."
    echo
    echo "**The repo** \`$NS/$REPO\`: $(js .files) files in one \`git push\` (git ${R[git_version]}, ${R[lfs_version]}) in $(js .phases.push_s) s:"
    echo "README.md (card: YAML metadata, two tables, four code blocks; $(js .readme_bytes) B), config files, \`$(js .python_file)\` ($(js .python_lines) lines),"
    echo "LFS files $(jq -r '.lfs_files | join(", ")' <<<"$SETUP" 2>/dev/null) (\`model.safetensors\` has a valid header), \`$(js .big_folder)/\` with $(js .big_folder_entries) files"
    echo "and \`part_NN/\` folders of $FOLDER_FILES files ($(js .folders) folders in the root). $(js .commits) commits on main (the server's initial one, the bulk commit,"
    echo "a card edit, a code + config edit: the commit page shows that last one). Discussion #$(js .discussion) has $COMMENTS comments (Markdown with"
    echo "a table and a code block); PR #$(js .pr) changes one file and has one comment. $(js .other_repos) other model repos of \`$NS\` (a card on every"
    echo "tenth) fill the home page, the search (\`$(js .search)\`: $(js .search_matches) matches) and the user page. Setup took $(js .elapsed_s) s; the"
    echo "data dir holds $(kb "${R[data_bytes]:-}") KB. Before measuring, the harness waited ${R[idle_wait_s]:-n/a} s for the server to finish its background work (commit scans)."
    echo
    echo "| machine | |"
    echo "| --- | --- |"
    echo "| CPU (/proc/cpuinfo model name) | ${R[cpu_model]} |"
    echo "| nproc | ${R[nproc]} |"
    echo "| memory | ${R[mem]} |"
    echo "| kernel | ${R[kernel]} |"
    echo "| date | ${R[date]} |"
    echo "| Stoa | git HEAD ${R[stoa_rev]} (${R[stoa_dirty]} uncommitted changes under crates/ and Cargo.*), binary ${R[stoa_bin]} built ${R[stoa_bin_mtime]}; peak RSS (VmHWM) ${R[stoa_rss]:-n/a} |"
    echo "| tools | ${R[nginx_version]}, wrk ${R[wrk_version]}, ${R[curl_version]}, ${R[python]} |"
    echo "| quiet machine? | ${R[quiet]:-n/a} |"
    echo "| CPU used by other processes during the run | ${R[foreign]:-n/a} |"
    echo "| run time | $(elapsed "$T0") s in all, $(elapsed "$BENCH_T0") s after the wait for a quiet machine; setup $(js .elapsed_s) s; build: $(if [ -n "${R[build_s]:-}" ]; then echo "${R[build_s]} s (\`cargo build --release -p stoa\`)"; else echo "not built by this run"; fi) |"
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
    CMDLINE="bench/web/run.sh"
    local k v
    for k in STOA_BIN STOA_NO_BUILD BENCH_FILES BENCH_FOLDER_FILES BENCH_BIG_FOLDER BENCH_OTHER_REPOS BENCH_COMMENTS \
             BENCH_WRK_THREADS BENCH_WRK_CONNS BENCH_WRK_DURATION BENCH_WRK_WARMUP BENCH_WRK_SINGLE BENCH_PAGES BENCH_EXTRA_PAGES BENCH_WAIT_QUIET BENCH_TIME_BUDGET; do
        v=$(printenv "$k") && CMDLINE="$k=${v#"$REPO_ROOT"/} $CMDLINE"
    done
    unset STOA_RATE_LIMIT STOA_CONFIG STOA_DATA_DIR STOA_ALLOW_SIGNUP
    ensure_deps
    ensure_binary
    TMP=$(mktemp -d "$TMP_PARENT/stoa-web.XXXXXX")
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
    start_stoa
    sign_in
    client_env
    setup_content
    define_pages
    start_nginx
    wait_server_idle
    measure_all
    stop_foreign_cpu
    RESULTS_WRITTEN=1
    write_results
}

main "$@"
