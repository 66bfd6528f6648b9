#!/usr/bin/env bash
# Git clone benchmark: Stoa's smart HTTP + LFS against `git http-backend` behind nginx + fcgiwrap.
#
#   bench/git/run.sh
#
# One repository, BENCH_FILES (default 1,000) small text files of 1-6 KB in five folders plus
# BENCH_LFS_COUNT (default 3) LFS files of BENCH_LFS_MB MiB (default 100) of random bytes, is
# created on Stoa through the API and filled by `git push` with git-lfs. The baseline serves a
# `git clone --mirror` of it with `git http-backend` (same git binary) behind nginx + fcgiwrap,
# and answers the LFS batch call with a fixed JSON pointing at nginx static files holding the
# same objects (hard links of the files that were pushed). The clone command is the same for both:
#
#   git clone -q http://127.0.0.1:PORT/bench/gitbench DEST
#
# with git-lfs installed (`git lfs install` in a private HOME), so the LFS files are downloaded
# and smudged. For BENCH_ROUNDS rounds (default 5), alternating which server goes first, each
# server gets: a full clone; then a clone with GIT_LFS_SKIP_SMUDGE=1 (the git part), `git lfs
# fetch` in it (the LFS part: batch call + downloads) and `git lfs checkout` (local only), once
# with the clones on disk (the temp dir) and once into tmpfs (/dev/shm; BENCH_CLONE_TARGETS). Fresh
# target dir every time, removed and `sync`ed after each (untimed). Medians and the ratio
# Stoa/baseline are printed as a Markdown section, which also replaces the section
# "## Git clone (smart HTTP + LFS) vs git http-backend + nginx" of bench/RESULTS.md unless
# BENCH_WRITE_RESULTS=0. Before measuring, the script waits (up to BENCH_WAIT_QUIET seconds,
# default 2400, polling every 30 s) for a quiet machine: 1-minute load average below
# BENCH_QUIET_LOAD (0.8) and no cargo, rustc or pytest process. Nothing is dropped from the page
# cache: both servers read warm files. Everything listens on 127.0.0.1; an EXIT trap stops what
# the script started (by PID) and deletes the temp dir. Knobs and details: bench/git/README.md.
set -uo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$REPO_ROOT/bench/lib/common.sh"
RESULTS_MD=${BENCH_RESULTS_MD:-$REPO_ROOT/bench/RESULTS.md}
LOG_DIR="$HERE/logs"
SECTION_TITLE="## Git clone (smart HTTP + LFS) vs git http-backend + nginx"

# ---- knobs -----------------------------------------------------------------
STOA_BIN=${STOA_BIN:-$REPO_ROOT/target/release/stoa}
STOA_NO_BUILD=${STOA_NO_BUILD:-0}
FILES=${BENCH_FILES:-1000}
LFS_MB=${BENCH_LFS_MB:-100}            # MiB per LFS file
LFS_COUNT=${BENCH_LFS_COUNT:-3}
ROUNDS=${BENCH_ROUNDS:-5}
WAIT_QUIET=${BENCH_WAIT_QUIET:-2400}   # max seconds to wait for a quiet machine (0: do not wait)
QUIET_LOAD=${BENCH_QUIET_LOAD:-0.8}
QUIET_POLL=${BENCH_QUIET_POLL:-30}
CLONE_TARGETS=${BENCH_CLONE_TARGETS:-disk tmpfs}  # where clones go: disk ($TMP, under BENCH_TMPDIR), tmpfs (/dev/shm)
PROFILE=${BENCH_PROFILE:-auto}         # auto: traced clones when the ratio is above TARGET; 1: always; 0: never
TARGET=1.2
WRITE_RESULTS=${BENCH_WRITE_RESULTS:-1}
KEEP_TMP=${BENCH_KEEP_TMP:-0}
TMP_PARENT=${BENCH_TMPDIR:-/tmp}

NS=bench
REPO=gitbench
LFS_BYTES=$((LFS_MB * 1024 * 1024))

# ---- state -----------------------------------------------------------------
declare -A R=()
declare -A T=()        # samples: key "<server>_<phase>" -> "s1 s2 ..."
NOTES=()
PIDS=()
TMP=""
STOA_PID=""
NGINX_PID=""
FCGI_PID=""
FC_PID=""
SHM=""
TARGETS=()            # clone targets in use
declare -A CLONE_BASE=()
T0=$EPOCHREALTIME

sub() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a-b}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b+0 == 0) print "n/a"; else printf "%.3f", a/b }'; }
median() { # "v1 v2 ..." -> median (mean of the two middle values for an even count)
    [ -n "${*// /}" ] || { echo n/a; return; }
    tr -s ' ' '\n' <<<"$*" | grep . | sort -g | awk '{v[NR]=$1} END{ if (NR%2) printf "%.3f", v[(NR+1)/2]; else printf "%.3f", (v[NR/2]+v[NR/2+1])/2 }'
}
maxof() { tr -s ' ' '\n' <<<"$*" | grep . | sort -g | tail -n1; }
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local p kids k
    for p in "${PIDS[@]}"; do
        if [ "$p" = "$FCGI_PID" ]; then
            # fcgiwrap's preforked workers outlive their parent: stop the parent (no respawn), then them, by PID
            kids=$(pgrep -P "$p" 2>/dev/null)
            kill_pid "$p"
            for k in $kids; do kill -TERM "$k" 2>/dev/null; done
        else
            kill_pid "$p"
        fi
    done
    if [ -n "$TMP" ] && [ -d "$TMP" ]; then
        mkdir -p "$LOG_DIR"
        [ -f "$TMP/stoa.log" ] && tail -c 300000 "$TMP/stoa.log" > "$LOG_DIR/stoa.log"
        [ -f "$TMP/nginx/error.log" ] && tail -c 50000 "$TMP/nginx/error.log" > "$LOG_DIR/nginx-error.log"
        [ -f "$TMP/nginx/access.log" ] && tail -c 300000 "$TMP/nginx/access.log" > "$LOG_DIR/nginx-access.log"
        [ -f "$TMP/stoa-nodelay.log" ] && tail -c 100000 "$TMP/stoa-nodelay.log" > "$LOG_DIR/stoa-nodelay.log"
        [ -f "$TMP/clone.log" ] && tail -c 100000 "$TMP/clone.log" > "$LOG_DIR/clone.log"
        if [ "$KEEP_TMP" = 1 ]; then
            log "keeping $TMP (BENCH_KEEP_TMP=1)"
        else
            rm -rf "$TMP"
        fi
    fi
    [ -n "$SHM" ] && [ -d "$SHM" ] && rm -rf "$SHM"
    log "done (exit $rc); logs in $LOG_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- dependencies and binary -----------------------------------------------
ensure_deps() {
    export PATH="$PATH:/usr/sbin:/sbin"
    local missing=() pair cmd
    for pair in git:git git-lfs:git-lfs nginx:nginx fcgiwrap:fcgiwrap curl:curl python3:python3 lscpu:util-linux; do
        cmd=${pair%%:*}
        command -v "$cmd" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing with apt-get: ${missing[*]}"
        local sudo=""
        [ "$(id -u)" = 0 ] || sudo="sudo"
        $sudo apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null \
            || die "apt-get install ${missing[*]} failed"
    fi
    GIT_HTTP_BACKEND="$(git --exec-path)/git-http-backend"
    [ -x "$GIT_HTTP_BACKEND" ] || die "no git-http-backend next to $(command -v git) ($GIT_HTTP_BACKEND)"
}

# ---- quiet machine ----------------------------------------------------------
busy_reason() { # prints why the machine is not quiet, or nothing
    local load why=()
    load=$(cut -d' ' -f1 /proc/loadavg)
    lt "$load" "$QUIET_LOAD" || why+=("load average $load")
    local procs
    procs=$( { pgrep -x 'cargo|rustc' -l; pgrep -f -l 'pytest'; } 2>/dev/null | awk '{print $2}' | sort | uniq -c \
        | awk '{printf "%s%s x%s", (NR>1?", ":""), $2, $1}')
    [ -n "$procs" ] && why+=("running: $procs")
    [ ${#why[@]} -gt 0 ] && printf '%s' "${why[*]}"
    return 0
}

wait_quiet() { # max_seconds label -> R[quiet_<label>]
    local max=$1 label=$2 start=$EPOCHREALTIME why
    while :; do
        why=$(busy_reason)
        if [ -z "$why" ]; then
            R[quiet_$label]="quiet after $(elapsed "$start") s of waiting (load average $(cut -d' ' -f1-3 /proc/loadavg))"
            log "machine quiet ($label): ${R[quiet_$label]}"
            return 0
        fi
        if ! lt "$(elapsed "$start")" "$max"; then
            R[quiet_$label]="**not quiet** after $(elapsed "$start") s of waiting ($why); measured anyway"
            note "the machine never became quiet ($label phase, waited $(elapsed "$start") s, max $max s): $why; measured anyway"
            return 1
        fi
        log "waiting for a quiet machine ($label): $why"
        sleep "$QUIET_POLL"
    done
}

start_foreign_cpu() {
    python3 "$REPO_ROOT/bench/lib/foreign_cpu.py" "$$" 1 "$TMP/foreign.json" &
    FC_PID=$!
    PIDS+=("$FC_PID")
}

stop_foreign_cpu() {
    [ -n "$FC_PID" ] || return 0
    kill -TERM "$FC_PID" 2>/dev/null; wait "$FC_PID" 2>/dev/null; untrack "$FC_PID"; FC_PID=""
    [ -s "$TMP/foreign.json" ] || return 0
    R[foreign]=$(python3 - "$TMP/foreign.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
top = ", ".join(f"{t['comm']} {t['cpu_s']} s" for t in j["top"] if t["cpu_s"] > 0) or "none"
print(f"mean {j['mean_pct_of_one_core']} %, max {j['max_pct_of_one_core']} % of one core; "
      f"{j['busy_windows']} of {j['windows']} one-second windows above 25 %; most: {top}")
PY
)
    R[foreign_busy]=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["busy_windows"], j["windows"], j["mean_pct_of_one_core"])' "$TMP/foreign.json")
}

# ---- machine -----------------------------------------------------------------
describe_machine() {
    R[cpu_model]=$(lscpu | awk -F: '/^Model name/{gsub(/^[ \t]+/,"",$2); print $2; exit}')
    R[nproc]=$(nproc)
    R[free_g]=$(free -g | awk '/^Mem:/{printf "total %s GiB, used %s, free %s, buff/cache %s, available %s", $2, $3, $4, $6, $7}')
    R[kernel]="$(uname -sr)"
    R[date]=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
    R[git_version]=$(git --version | awk '{print $3}')
    R[git_path]=$(command -v git)
    R[lfs_version]=$(git lfs version | awk '{print $1}')
    R[nginx_version]=$(nginx -v 2>&1 | sed 's/^nginx version: //')
    R[fcgiwrap_version]=$(dpkg-query -W -f='${Version}' fcgiwrap 2>/dev/null || echo unknown)
    R[stoa_rev]=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    R[stoa_dirty]=$(git -C "$REPO_ROOT" status --porcelain -- crates Cargo.toml Cargo.lock 2>/dev/null | wc -l)
    R[stoa_bin]=$STOA_BIN
    R[stoa_bin_mtime]=$(date -u -r "$STOA_BIN" '+%Y-%m-%d %H:%M:%S UTC' 2>/dev/null || echo unknown)
}

# ---- git environment ------------------------------------------------------------
setup_git_env() {
    # a private HOME: no user or system config changes what is measured
    export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/.config" GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
    mkdir -p "$HOME"
    git config --global user.name "Stoa bench"
    git config --global user.email "bench@example.org"
    git config --global init.defaultBranch main
    git config --global advice.detachedHead false
    git lfs install --skip-repo >/dev/null || die "git lfs install failed"
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

# ---- the repository -----------------------------------------------------------
make_repo() {
    log "creating $NS/$REPO on Stoa (API)"
    local code
    code=$(curl -s -o "$TMP/create.json" -w '%{http_code}' -X POST "$STOA_URL/api/repos/create" \
        -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d "{\"name\":\"$REPO\",\"type\":\"model\"}")
    [ "$code" = 200 ] || die "repo create answered $code: $(cat "$TMP/create.json")"

    git clone -q "$STOA_URL/$NS/$REPO" "$TMP/work" >>"$TMP/setup.log" 2>&1 || die "cloning the new repo failed"
    local w="$TMP/work"
    log "writing $FILES small files and $LFS_COUNT x $LFS_MB MiB of random bytes"
    R[small_files]=$(python3 "$HERE/mkfiles.py" "$w" "$FILES" 1) || die "mkfiles.py failed"
    mkdir -p "$TMP/www/lfs" "$w/weights"
    LFS_PATHS=(); LFS_OIDS=()
    local i name oid
    for i in $(seq 1 "$LFS_COUNT"); do
        name=$(printf 'weights/model-%05d-of-%05d.bin' "$i" "$LFS_COUNT")
        head -c "$LFS_BYTES" /dev/urandom > "$w/$name" || die "cannot write $name"
        oid=$(sha256sum "$w/$name" | awk '{print $1}')
        # nginx serves the very bytes that are pushed, under their oid
        ln "$w/$name" "$TMP/www/lfs/$oid" 2>/dev/null || cp "$w/$name" "$TMP/www/lfs/$oid"
        chmod 644 "$TMP/www/lfs/$oid"
        LFS_PATHS+=("$name"); LFS_OIDS+=("$oid")
    done
    (
        cd "$w" || exit 1
        git lfs install --local >/dev/null
        git lfs track '*.bin' >/dev/null
        printf 'protocol=http\nhost=127.0.0.1:%s\nusername=%s\npassword=%s\n' "$STOA_PORT" "$NS" "$TOKEN" \
            | git credential-store --file "$TMP/credentials" store
        git config credential.helper "store --file=$TMP/credentials"
        git add -A && git commit -q -m "bench: $FILES small files, $LFS_COUNT LFS files" \
            && git lfs ls-files | wc -l | grep -qx "$LFS_COUNT"
    ) >>"$TMP/setup.log" 2>&1 || die "preparing the commit failed (see $TMP/setup.log)"
    log "pushing to Stoa (git push with git-lfs)"
    local t=$EPOCHREALTIME
    git -C "$w" push -q origin main >>"$TMP/setup.log" 2>&1 || die "git push to Stoa failed"
    R[push_s]=$(elapsed "$t")
    R[head]=$(git -C "$w" rev-parse HEAD)
    R[tracked_files]=$(git -C "$w" ls-files | wc -l)
    rm -rf "$w/.git/lfs"   # the pushed copies; the sources stay as nginx's hard links
    log "pushed ${R[head]} (${R[tracked_files]} files) in ${R[push_s]} s"
}

# ---- the baseline: nginx + fcgiwrap + git http-backend ---------------------------------
make_mirror() {
    local bare="$TMP/srv/$NS/$REPO"
    mkdir -p "$TMP/srv/$NS"
    GIT_LFS_SKIP_SMUDGE=1 git clone -q --mirror "$STOA_URL/$NS/$REPO" "$bare" >>"$TMP/setup.log" 2>&1 \
        || die "git clone --mirror from Stoa failed"
    # what Stoa passes to its upload-pack, for parity (neither matters for a full clone)
    git -C "$bare" config uploadpack.allowFilter true
    git -C "$bare" config uploadpack.allowAnySHA1InWant true
    local stoa_bare
    stoa_bare=$(find "$TMP/data/git" -mindepth 1 -maxdepth 1 -name '*.git' -type d | head -n1)
    R[pack_stoa]=$(git -C "$stoa_bare" count-objects -v | awk '/^(count|packs|size-pack)/{printf "%s%s", (n++?", ":""), $0}')
    R[pack_base]=$(git -C "$bare" count-objects -v | awk '/^(count|packs|size-pack)/{printf "%s%s", (n++?", ":""), $0}')
}

start_baseline() {
    NGINX_PORT=$(free_port)
    NGINX_URL="http://127.0.0.1:$NGINX_PORT"
    local d="$TMP/nginx" sock="$TMP/nginx/fcgiwrap.sock"
    mkdir -p "$d"
    chmod 755 "$TMP" "$TMP/www" "$TMP/www/lfs"
    local objs=() i
    for i in "${!LFS_OIDS[@]}"; do objs+=("${LFS_OIDS[$i]}:$LFS_BYTES"); done
    local json
    json=$(python3 "$HERE/lfs_batch_json.py" "$NGINX_URL/lfs-objects" "${objs[@]}") || die "lfs_batch_json.py failed"
    FCGI_N=$(nproc)
    /usr/sbin/fcgiwrap -c "$FCGI_N" -s "unix:$sock" > "$d/fcgiwrap.log" 2>&1 &
    FCGI_PID=$!
    PIDS+=("$FCGI_PID")
    for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.1; done
    [ -S "$sock" ] || die "fcgiwrap did not create $sock"
    chmod 666 "$sock"   # nginx workers run as nobody
    local user_line=""
    if [ "$(id -u)" = 0 ]; then
        if getent group nogroup >/dev/null; then user_line="user nobody nogroup;"; else user_line="user nobody;"; fi
    fi
    cat > "$d/nginx.conf" <<EOF
# generated by bench/git/run.sh
$user_line
worker_processes auto;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 1024; }
http {
    log_format timing '\$request_method \$uri \$status \$body_bytes_sent \$request_time \$upstream_header_time';
    access_log $d/access.log timing;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    client_max_body_size 0;
    client_body_temp_path $d/client_body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        # git-lfs derives the LFS endpoint <remote>.git/info/lfs from the clone URL
        location ~ ^/$NS/$REPO(\.git)?/info/lfs/objects/batch\$ {
            default_type application/vnd.git-lfs+json;
            return 200 '$json';
        }
        location /lfs-objects/ {
            alias $TMP/www/lfs/;
        }
        location ~ ^/.+/(info/refs|git-upload-pack)\$ {
            fastcgi_pass unix:$sock;
            fastcgi_param SCRIPT_FILENAME $GIT_HTTP_BACKEND;
            fastcgi_param GIT_PROJECT_ROOT $TMP/srv;
            fastcgi_param GIT_HTTP_EXPORT_ALL 1;
            fastcgi_param PATH /usr/local/bin:/usr/bin:/bin;
            fastcgi_param PATH_INFO \$uri;
            fastcgi_param QUERY_STRING \$query_string;
            fastcgi_param REQUEST_METHOD \$request_method;
            fastcgi_param CONTENT_TYPE \$content_type;
            fastcgi_param CONTENT_LENGTH \$content_length;
            fastcgi_param GIT_PROTOCOL \$http_git_protocol;
            fastcgi_param REMOTE_ADDR \$remote_addr;
            fastcgi_param SERVER_PROTOCOL \$server_protocol;
            fastcgi_param GATEWAY_INTERFACE CGI/1.1;
        }
    }
}
EOF
    log "starting nginx + fcgiwrap ($FCGI_N processes) + git http-backend on $NGINX_URL"
    nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" > "$d/stdout.log" 2>&1 &
    NGINX_PID=$!
    PIDS+=("$NGINX_PID")
    wait_http_200 "$NGINX_URL/$NS/$REPO/info/refs?service=git-upload-pack" 15 \
        || { tail -n 20 "$d/error.log" "$d/stdout.log" >&2; die "nginx + git http-backend did not come up"; }
}

# ---- checks ---------------------------------------------------------------------
server_agent() { # url -> the agent git's upload-pack advertises (protocol v2)
    GIT_TRACE_PACKET=1 git ls-remote "$1" 2>&1 >/dev/null | grep -F 'git< ' | grep -o 'agent=[^ ]*' | head -n1
}

verify_clone() { # label dir -> R[verify_<label>]
    local label=$1 dir=$2 tracked files i ok=1 bad=()
    tracked=$(git -C "$dir" ls-files | wc -l)
    files=$(cd "$dir" && find . -path ./.git -prune -o -type f -print | wc -l)
    [ "$tracked" = "${R[tracked_files]}" ] && [ "$files" = "${R[tracked_files]}" ] || ok=0
    [ "$(git -C "$dir" rev-parse HEAD)" = "${R[head]}" ] || { ok=0; bad+=("HEAD differs"); }
    local sums=()
    for i in "${!LFS_PATHS[@]}"; do
        local got
        got=$(sha256sum "$dir/${LFS_PATHS[$i]}" | awk '{print $1}')
        sums+=("${LFS_PATHS[$i]##*/} ${got:0:12}…")
        [ "$got" = "${LFS_OIDS[$i]}" ] || { ok=0; bad+=("${LFS_PATHS[$i]} sha256 $got"); }
    done
    R[verify_$label]="files in the work tree $files, tracked $tracked (expected ${R[tracked_files]}); sha256 of the LFS files match: $([ ${#bad[@]} = 0 ] && echo yes || echo "**no** (${bad[*]})") ($(IFS=';'; echo "${sums[*]}"))"
    R[verify_${label}_ok]=$ok
    log "verify $label: ${R[verify_$label]}"
    [ "$ok" = 1 ]
}

lfs_sizes_ok() { # dir: every LFS file has its full size (not a pointer)
    local p
    for p in "${LFS_PATHS[@]}"; do
        [ "$(stat -c %s "$1/$p" 2>/dev/null)" = "$LFS_BYTES" ] || return 1
    done
}

# ---- measurements ----------------------------------------------------------------
# timed CMD...: runs it with its output to clone.log and sets LAST to its wall seconds
timed() {
    local t0=$EPOCHREALTIME rc
    "$@" >>"$TMP/clone.log" 2>&1
    rc=$?
    LAST=$(sub "$EPOCHREALTIME" "$t0")
    return $rc
}

url_of() { case $1 in stoa) echo "$STOA_URL/$NS/$REPO" ;; base) echo "$NGINX_URL/$NS/$REPO" ;; esac; }

add_sample() { T[$1]="${T[$1]:-}${T[$1]:+ }$2"; }

setup_targets() {
    local t
    for t in $CLONE_TARGETS; do
        case $t in
            disk)
                CLONE_BASE[disk]="$TMP/clones"; TARGETS+=(disk)
                R[fs_disk]="$TMP_PARENT: $(df -T "$TMP" | awk 'NR==2{print $2 " on " $1}') ($(findmnt -n -o OPTIONS -T "$TMP" 2>/dev/null | cut -c1-60))"
                ;;
            tmpfs)
                if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
                    SHM=$(mktemp -d /dev/shm/stoa-gitbench.XXXXXX) || die "mktemp in /dev/shm failed"
                    CLONE_BASE[tmpfs]=$SHM; TARGETS+=(tmpfs)
                    R[fs_tmpfs]="/dev/shm: tmpfs (RAM)"
                else
                    note "/dev/shm is not a tmpfs: the tmpfs clone target is skipped"
                fi
                ;;
            *) die "unknown clone target '$t' in BENCH_CLONE_TARGETS (disk, tmpfs)" ;;
        esac
    done
    [ ${#TARGETS[@]} -gt 0 ] || die "no clone target"
    # the profile uses the quietest target
    PROFILE_TGT=${TARGETS[0]}
    [ -n "${CLONE_BASE[tmpfs]:-}" ] && PROFILE_TGT=tmpfs
}

scrub() { # dir target: delete the clone, then sync (timed, for the notes only)
    rm -rf "$1"
    local t0=$EPOCHREALTIME
    sync
    add_sample "sync_$2" "$(sub "$EPOCHREALTIME" "$t0")"
}

measure_full() { # server round target
    local s=$1 r=$2 g=$3 dest="${CLONE_BASE[$3]}/$1-full-$2"
    echo "== $s full clone, round $r, $g" >>"$TMP/clone.log"
    timed git clone -q "$(url_of "$s")" "$dest" || die "$s: full clone failed in round $r (see $LOG_DIR/clone.log)"
    local t=$LAST
    lfs_sizes_ok "$dest" || die "$s: the LFS files of the clone in round $r are not all $LFS_BYTES bytes"
    add_sample "${g}_${s}_full" "$t"
    log "round $r $g $s: full clone $t s"
    scrub "$dest" "$g"
}

measure_split() { # server round target
    local s=$1 r=$2 g=$3 dest="${CLONE_BASE[$3]}/$1-split-$2" tg tf tc
    echo "== $s split clone, round $r, $g" >>"$TMP/clone.log"
    GIT_LFS_SKIP_SMUDGE=1 timed git clone -q "$(url_of "$s")" "$dest" || die "$s: GIT_LFS_SKIP_SMUDGE clone failed"
    tg=$LAST
    timed git -C "$dest" lfs fetch || die "$s: git lfs fetch failed in round $r"
    tf=$LAST
    timed git -C "$dest" lfs checkout || die "$s: git lfs checkout failed in round $r"
    tc=$LAST
    lfs_sizes_ok "$dest" || die "$s: git lfs checkout did not write full files in round $r"
    add_sample "${g}_${s}_git" "$tg"; add_sample "${g}_${s}_fetch" "$tf"; add_sample "${g}_${s}_checkout" "$tc"
    log "round $r $g $s: git part $tg s, git lfs fetch $tf s, git lfs checkout $tc s"
    scrub "$dest" "$g"
}

# ---- profile (traced clones) ----------------------------------------------------------
profile_clone() { # server -> R[profile_<server>]
    local s=$1 dest="${CLONE_BASE[$PROFILE_TGT]}/$1-trace" tr="$LOG_DIR/trace-$1"
    rm -f "$tr".*
    # GIT_TRACE_CURL: git's own HTTP requests (no data); GIT_TRACE: git and git-lfs (timestamps)
    GIT_TRACE_CURL="$tr.curl" GIT_TRACE_CURL_NO_DATA=1 GIT_TRACE="$tr.trace" \
        timed git clone -q "$(url_of "$s")" "$dest" || { note "traced $s clone failed"; return 1; }
    R[profile_total_$s]=$LAST
    scrub "$dest" "$PROFILE_TGT"
    R[profile_$s]=$(python3 "$HERE/trace_phases.py" "$tr.curl" "$tr.trace" 2>&1)
    log "profile $s (traced clone ${R[profile_total_$s]} s): ${R[profile_$s]}"
}

nodelay_probe() { # ls-refs round trips, then Stoa restarted with TCP_NODELAY forced (LD_PRELOAD)
    local n=20 r s
    R[probe_stoa]=$(python3 "$HERE/lsrefs_probe.py" "$(url_of stoa)" $n) || R[probe_stoa]="failed"
    R[probe_base]=$(python3 "$HERE/lsrefs_probe.py" "$(url_of base)" $n) || R[probe_base]="failed"
    log "ls-refs POST x$n (median min max ms, status, bytes): Stoa ${R[probe_stoa]}; baseline ${R[probe_base]}"
    local cc
    cc=$(command -v cc || command -v gcc) || { note "no C compiler: the TCP_NODELAY probe was skipped"; return 0; }
    "$cc" -shared -fPIC -O2 -o "$TMP/nodelay_shim.so" "$HERE/nodelay_shim.c" -ldl 2>>"$TMP/setup.log" \
        || { note "compiling nodelay_shim.c failed: the TCP_NODELAY probe was skipped"; return 0; }
    log "restarting Stoa with LD_PRELOAD=nodelay_shim.so (TCP_NODELAY on accepted sockets; diagnostic only)"
    kill_pid "$STOA_PID"; untrack "$STOA_PID"
    LD_PRELOAD="$TMP/nodelay_shim.so" STOA_RATE_LIMIT=off "$STOA_BIN" serve --data-dir "$TMP/data" --listen "127.0.0.1:$STOA_PORT" \
        --public-url "$STOA_URL" >> "$TMP/stoa-nodelay.log" 2>&1 &
    STOA_PID=$!
    PIDS+=("$STOA_PID")
    wait_http_200 "$STOA_URL/api/models" 30 || { note "Stoa did not restart with the shim"; return 0; }
    R[probe_stoa_nodelay]=$(python3 "$HERE/lsrefs_probe.py" "$(url_of stoa)" $n) || R[probe_stoa_nodelay]="failed"
    log "ls-refs POST x$n with TCP_NODELAY forced: Stoa ${R[probe_stoa_nodelay]}"
    for r in 1 2 3; do
        for s in stoa base; do
            local dest="${CLONE_BASE[$PROFILE_TGT]}/$s-nd-$r"
            GIT_LFS_SKIP_SMUDGE=1 timed git clone -q "$(url_of "$s")" "$dest" || { note "probe clone failed"; return 0; }
            add_sample "nd_${s}_git" "$LAST"; scrub "$dest" "$PROFILE_TGT"
            timed git clone -q "$(url_of "$s")" "$dest" || { note "probe clone failed"; return 0; }
            lfs_sizes_ok "$dest" || { note "probe clone: LFS files not at full size"; return 0; }
            add_sample "nd_${s}_full" "$LAST"; scrub "$dest" "$PROFILE_TGT"
        done
        log "probe round $r: git part Stoa(nodelay) / baseline ${T[nd_stoa_git]##* } / ${T[nd_base_git]##* } s; full ${T[nd_stoa_full]##* } / ${T[nd_base_full]##* } s"
    done
}

server_side_times() { # -> R[server_times]: median per request kind, from Stoa's log and nginx's access log
    R[server_times]=$(python3 - "$TMP/stoa.log" "$TMP/nginx/access.log" "$STOA_MARK" "$NGINX_MARK" <<'PY'
import re, statistics, sys
stoa_log, nginx_log, stoa_mark, nginx_mark = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def kind(method, path):
    if path.endswith("/info/refs"): return "info/refs"
    if path.endswith("/git-upload-pack"): return "git-upload-pack"
    if path.endswith("/objects/batch"): return "LFS batch"
    if "/lfs/download/" in path or "/lfs-objects/" in path: return "LFS object GET"
    return None
stoa, base = {}, {}
with open(stoa_log, errors="replace") as f:
    for n, line in enumerate(f):
        if n < stoa_mark: continue
        m = re.search(r"http\.method=(\S+) http\.path=(\S+?)\}.*served http\.status=(\d+) elapsed_ms=(\d+)", line)
        if m and (k := kind(m[1], m[2])): stoa.setdefault(k, []).append(int(m[4]))
with open(nginx_log, errors="replace") as f:
    for n, line in enumerate(f):
        if n < nginx_mark: continue
        p = line.split()
        if len(p) >= 6 and (k := kind(p[0], p[1])):
            up = p[5] if p[5] != "-" else None
            base.setdefault(k, []).append((float(p[4]) * 1000, float(up) * 1000 if up else None))
out = []
for k in ["info/refs", "git-upload-pack", "LFS batch", "LFS object GET"]:
    s = stoa.get(k, []); b = base.get(k, [])
    bs = f"{statistics.median(x for x, _ in b):.0f} ms" if b else "n/a"
    bu = [u for _, u in b if u is not None]
    if bu: bs += f", of which {statistics.median(bu):.0f} ms until git http-backend's headers"
    ss = f"{statistics.median(s):.1f} ms" if s else "n/a"
    out.append(f"{k} — Stoa {ss} ({len(s)} requests), nginx {bs} ({len(b)} requests)")
print("; ".join(out))
PY
)
}

# ---- results ------------------------------------------------------------------------
reading() { # a short interpretation, from the figures of this run
    local g parts=()
    for g in "${TARGETS[@]}"; do
        parts+=("$g $(div "$(median "${T[${g}_stoa_full]:-}")" "$(median "${T[${g}_base_full]:-}")")")
    done
    local joined
    joined=$(printf '%s, ' "${parts[@]}"); joined=${joined%, }
    printf '%s' "Reading: full clone Stoa/baseline $joined (target ≤ $TARGET)."
    local p=${PROFILE_TGT:-disk}
    if [ -n "${R[probe_stoa_nodelay]:-}" ] && [ -n "${T[nd_stoa_git]:-}" ]; then
        local a b c gap
        a=${R[probe_stoa]%% *}; b=${R[probe_stoa_nodelay]%% *}; c=${R[probe_base]%% *}
        gap=$(awk -v x="$(median "${T[${p}_stoa_git]:-}")" -v y="$(median "${T[${p}_base_git]:-}")" 'BEGIN{printf "%.0f", (x-y)*1000}')
        echo " The git part differs by $gap ms ($p medians, Stoa minus baseline)."
        if awk -v a="$a" -v b="$b" 'BEGIN{exit !(a - b > 20)}'; then
            echo "Stoa's answer to the \`ls-refs\` POST (the first \`git-upload-pack\` request of a clone) takes $a ms (median) against $b ms once"
            echo "TCP_NODELAY is forced on its sockets, and $c ms from the baseline: Nagle's algorithm holds the small streamed body until the"
            echo "client's delayed ACK (about 40 ms on Linux), once per clone. With TCP_NODELAY forced, the git part is $(median "${T[nd_stoa_git]}") s vs"
            echo "$(median "${T[nd_base_git]}") s ($(div "$(median "${T[nd_stoa_git]}")" "$(median "${T[nd_base_git]}")")) and the full clone $(median "${T[nd_stoa_full]}") s vs $(median "${T[nd_base_full]}") s ($(div "$(median "${T[nd_stoa_full]}")" "$(median "${T[nd_base_full]}")"))."
        else
            echo "No Nagle stall on the \`ls-refs\` POST: $a ms, $b ms with TCP_NODELAY forced, $c ms from the baseline."
        fi
    else
        echo
    fi
}

write_section() {
    local f="$LOG_DIR/section.md" rounds_done
    rounds_done=$(wc -w <<<"${T[${TARGETS[0]:-disk}_stoa_full]:-}")
    local cmd="bench/git/run.sh"
    local knobs=()
    [ "$FILES" != 1000 ] && knobs+=("BENCH_FILES=$FILES")
    [ "$LFS_MB" != 100 ] && knobs+=("BENCH_LFS_MB=$LFS_MB")
    [ "$LFS_COUNT" != 3 ] && knobs+=("BENCH_LFS_COUNT=$LFS_COUNT")
    [ "$ROUNDS" != 5 ] && knobs+=("BENCH_ROUNDS=$ROUNDS")
    [ "$WAIT_QUIET" != 2400 ] && knobs+=("BENCH_WAIT_QUIET=$WAIT_QUIET")
    [ "$CLONE_TARGETS" != "disk tmpfs" ] && knobs+=("BENCH_CLONE_TARGETS='$CLONE_TARGETS'")
    [ "$PROFILE" != auto ] && knobs+=("BENCH_PROFILE=$PROFILE")
    [ ${#knobs[@]} -gt 0 ] && cmd="${knobs[*]} $cmd"
    row() { # label key_stoa key_base target
        local a b ratio met="—"
        a=$(median "${T[$2]:-}"); b=$(median "${T[$3]:-}"); ratio=$(div "$a" "$b")
        if [ -n "$4" ] && [ "$ratio" != n/a ]; then
            if awk -v r="$ratio" -v t="$TARGET" 'BEGIN{exit !(r <= t)}'; then met=yes; else met="**no**"; fi
        fi
        echo "| $1 | $a s | $b s | $ratio | ${4:-—} | $met |"
    }
    {
        echo "$SECTION_TITLE"
        echo
        echo "Generated by \`bench/git/run.sh\` (how it works: [git/README.md](git/README.md)); replace by re-running it."
        echo "One repository: $FILES small text files (1–6 KB, five folders; ${R[small_files]:-n/a}) and $LFS_COUNT LFS"
        echo "files of $LFS_MB MiB ($LFS_BYTES bytes) of random bytes, $(( ${R[tracked_files]:-0} )) tracked files in all (with \`.gitattributes\`),"
        echo "one commit on top of Stoa's initial one. **Stoa**: release binary, embedded defaults (SQLite + local files), repo created"
        echo "through the API and filled by \`git push\` with git-lfs. **Baseline**: \`git http-backend\` (the same git ${R[git_version]:-}) behind"
        echo "${R[nginx_version]:-nginx} + fcgiwrap ${R[fcgiwrap_version]:-} ($FCGI_N processes), serving a \`git clone --mirror\` of the Stoa repo; nginx answers"
        echo "\`POST …/info/lfs/objects/batch\` with a fixed JSON (\`return 200\`) whose download hrefs are nginx static files: hard links of"
        echo "the very files that were pushed. Client: git ${R[git_version]:-} + ${R[lfs_version]:-} (default settings, private \`HOME\`),"
        echo "on the same 2 cores as the servers, everything on 127.0.0.1."
        echo
        echo "Command: \`$cmd\` — $rounds_done rounds; the clone is \`git clone -q http://127.0.0.1:PORT/$NS/$REPO DEST\` for both servers."
        echo
        echo "| median wall time over $rounds_done rounds | Stoa | baseline | Stoa/baseline | target | met? |"
        echo "| --- | --- | --- | --- | --- | --- |"
        local g where
        for g in "${TARGETS[@]}"; do
            case $g in disk) where="clone on disk" ;; tmpfs) where="clone into tmpfs" ;; esac
            row "**full \`git clone\`** (git + LFS download and smudge), $where" "${g}_stoa_full" "${g}_base_full" "≤ $TARGET"
            row "git part: \`GIT_LFS_SKIP_SMUDGE=1 git clone\`, $where" "${g}_stoa_git" "${g}_base_git" ""
            row "LFS part: \`git lfs fetch\` in that clone (batch + $LFS_COUNT downloads), $where" "${g}_stoa_fetch" "${g}_base_fetch" ""
            row "\`git lfs checkout\` (local, no server; context), $where" "${g}_stoa_checkout" "${g}_base_checkout" ""
        done
        echo
        echo "Clone targets: disk = ${R[fs_disk]:-n/a}, the usual case; tmpfs = ${R[fs_tmpfs]:-not used}, which takes the VM's disk (and git's"
        echo "fsync of the received pack) out of the measurement, so that what remains is the servers, the network stack and the client's CPU."
        echo
        reading
        echo
        for g in "${TARGETS[@]}"; do
            echo "- Samples on $g (s, round order) — full: Stoa ${T[${g}_stoa_full]:-}, baseline ${T[${g}_base_full]:-};"
            echo "  git part: Stoa ${T[${g}_stoa_git]:-}, baseline ${T[${g}_base_git]:-}; LFS fetch: Stoa ${T[${g}_stoa_fetch]:-}, baseline ${T[${g}_base_fetch]:-};"
            echo "  checkout: Stoa ${T[${g}_stoa_checkout]:-}, baseline ${T[${g}_base_checkout]:-}. \`sync\` after each clone (untimed): median $(median "${T[sync_$g]:-}") s, max $(maxof "${T[sync_$g]:-0}") s."
        done
        echo "- Order: odd rounds Stoa first, even rounds baseline first; in each round, per target, both full clones, then both split clones."
        echo "  Fresh target dir each time; after each clone it is deleted and \`sync\` is run (untimed), so no writeback of one clone"
        echo "  lands in the next. Nothing is dropped from the page cache: the repositories and the LFS objects are warm for both servers."
        echo "- Verified (one untimed clone of each, before the rounds): Stoa — ${R[verify_stoa]:-n/a}; baseline — ${R[verify_base]:-n/a}."
        echo "  Every timed full clone and \`git lfs checkout\` was also checked to leave the $LFS_COUNT files at full size."
        echo "- Server git: Stoa's upload-pack advertises \`${R[agent_stoa]:-n/a}\`, http-backend's \`${R[agent_base]:-n/a}\`."
        echo "  Packs — Stoa: ${R[pack_stoa]:-n/a}; mirror: ${R[pack_base]:-n/a}."
        echo "- Per request, server side, medians over the timed rounds (Stoa: \`elapsed_ms\` of its access log, measured until the response"
        echo "  headers, so a streamed body is not included; nginx: \`\$request_time\`, until the last byte): ${R[server_times]:-n/a}."
        if [ -n "${R[probe_stoa]:-}" ]; then
            echo "- Profile: one small round trip, the protocol-v2 \`ls-refs\` POST a clone starts with (\`lsrefs_probe.py\`, 20 on one keep-alive"
            echo "  connection; median/min/max ms, status, bytes): Stoa ${R[probe_stoa]}; baseline ${R[probe_base]}; Stoa restarted with"
            echo "  TCP_NODELAY forced on its accepted sockets (\`LD_PRELOAD\` of \`nodelay_shim.c\`, diagnostic only, server code unchanged):"
            echo "  ${R[probe_stoa_nodelay]:-n/a}. \`git upload-pack --stateless-rpc\` itself answers it in about 2 ms."
            if [ -n "${T[nd_stoa_git]:-}" ]; then
                echo "  Then 3 more rounds against that Stoa, clones into $PROFILE_TGT (medians): git part $(median "${T[nd_stoa_git]}") s vs baseline $(median "${T[nd_base_git]}") s"
                echo "  ($(div "$(median "${T[nd_stoa_git]}")" "$(median "${T[nd_base_git]}")")); full clone $(median "${T[nd_stoa_full]}") s vs $(median "${T[nd_base_full]}") s ($(div "$(median "${T[nd_stoa_full]}")" "$(median "${T[nd_base_full]}")"))."
                echo "  Samples — git part: Stoa ${T[nd_stoa_git]}, baseline ${T[nd_base_git]}; full: Stoa ${T[nd_stoa_full]}, baseline ${T[nd_base_full]}."
            fi
        fi
        if [ -n "${R[profile_stoa]:-}" ]; then
            echo "- Traced clones into $PROFILE_TGT (GIT_TRACE + GIT_TRACE_CURL, one per server, not in the medians): Stoa ${R[profile_total_stoa]} s — ${R[profile_stoa]}; baseline ${R[profile_total_base]:-n/a} s — ${R[profile_base]:-n/a}."
        fi
        echo "- Setup (not timed in the table): \`git push\` of the repo to Stoa took ${R[push_s]:-n/a} s."
        echo
        echo "| machine | |"
        echo "| --- | --- |"
        echo "| CPU (lscpu model name) | ${R[cpu_model]:-n/a} |"
        echo "| nproc | ${R[nproc]:-n/a} |"
        echo "| free -g | ${R[free_g]:-n/a} |"
        echo "| kernel | ${R[kernel]:-n/a} |"
        echo "| date | ${R[date]:-n/a} |"
        echo "| Stoa | git HEAD ${R[stoa_rev]:-n/a} ($([ "${R[stoa_dirty]:-0}" = 0 ] && echo "no uncommitted changes under crates/ and Cargo.*" || echo "${R[stoa_dirty]} uncommitted changes under crates/ and Cargo.*")), binary ${R[stoa_bin]:-n/a} built ${R[stoa_bin_mtime]:-n/a} |"
        echo "| tools | git ${R[git_version]:-} (${R[git_path]:-}), ${R[lfs_version]:-}, ${R[nginx_version]:-}, fcgiwrap ${R[fcgiwrap_version]:-} |"
        echo "| quiet machine? | before setup: ${R[quiet_pre]:-not checked}; before the rounds: ${R[quiet_rounds]:-not checked} |"
        echo "| CPU used by other processes during the rounds | ${R[foreign]:-n/a} |"
        echo "| run time | $(elapsed "$T0") s in all (rounds: ${R[rounds_s]:-n/a} s; build: $([ -n "${R[build_s]:-}" ] && echo "${R[build_s]} s" || echo "not built by this run")) |"
        if [ ${#NOTES[@]} -gt 0 ]; then
            echo
            echo "Notes:"
            local n
            for n in "${NOTES[@]}"; do echo "- $n"; done
        fi
    } > "$f"
    cat "$f"
    if [ "$WRITE_RESULTS" != 1 ]; then
        log "BENCH_WRITE_RESULTS=$WRITE_RESULTS: $RESULTS_MD left unchanged"
        return 0
    fi
    # replace our section (from its title to the next level-2 title or the end), else append; the
    # file is re-read right before writing, so other sections written meanwhile are kept
    python3 - "$RESULTS_MD" "$f" "$SECTION_TITLE" <<'PY'
import os, sys
path, section_path, title = sys.argv[1:4]
section = open(section_path).read().rstrip("\n") + "\n"
try:
    text = open(path).read()
except FileNotFoundError:
    text = "# Stoa benchmark results\n"
lines = text.splitlines(keepends=True)
start = next((i for i, l in enumerate(lines) if l.rstrip("\n") == title), None)
if start is None:
    new = text.rstrip("\n") + "\n\n" + section
else:
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    tail = "".join(lines[end:])
    new = "".join(lines[:start]) + section + ("\n" + tail if tail else "")
tmp = path + ".gitbench.tmp"
open(tmp, "w").write(new)
os.replace(tmp, path)
PY
    log "section written to $RESULTS_MD"
}

# ---- main -------------------------------------------------------------------------
main() {
    ensure_deps
    ensure_binary
    mkdir -p "$LOG_DIR"
    if [ "$WAIT_QUIET" != 0 ]; then wait_quiet "$WAIT_QUIET" pre; fi
    TMP=$(mktemp -d "$TMP_PARENT/stoa-gitbench.XXXXXX") || die "mktemp failed"
    mkdir -p "$TMP/clones" "$TMP/www"
    setup_targets
    describe_machine
    setup_git_env
    start_stoa
    make_repo
    make_mirror
    start_baseline
    R[agent_stoa]=$(server_agent "$(url_of stoa)")
    R[agent_base]=$(server_agent "$(url_of base)")
    [ "$(git ls-remote "$(url_of stoa)" | sort)" = "$(git ls-remote "$(url_of base)" | sort)" ] \
        || die "Stoa and the baseline advertise different refs"

    log "verification clones (untimed, also warm both servers)"
    local s
    for s in stoa base; do
        git clone -q "$(url_of "$s")" "$TMP/clones/$s-verify" >>"$TMP/clone.log" 2>&1 || die "$s: verification clone failed"
        verify_clone "$s" "$TMP/clones/$s-verify" || note "$s: the verification clone differs from what was pushed"
        scrub "$TMP/clones/$s-verify" setup
    done

    if [ "$WAIT_QUIET" != 0 ]; then wait_quiet "$(( WAIT_QUIET < 300 ? WAIT_QUIET : 300 ))" rounds; fi
    STOA_MARK=$(wc -l < "$TMP/stoa.log")
    NGINX_MARK=$(wc -l < "$TMP/nginx/access.log")
    start_foreign_cpu
    local r g t=$EPOCHREALTIME order
    for r in $(seq 1 "$ROUNDS"); do
        if [ $((r % 2)) = 1 ]; then order="stoa base"; else order="base stoa"; fi
        for g in "${TARGETS[@]}"; do
            for s in $order; do measure_full "$s" "$r" "$g"; done
            for s in $order; do measure_split "$s" "$r" "$g"; done
        done
    done
    R[rounds_s]=$(elapsed "$t")
    stop_foreign_cpu
    if [ -n "${R[foreign_busy]:-}" ]; then
        read -r busy windows mean <<<"${R[foreign_busy]}"
        if [ $((busy * 10)) -gt "$windows" ] || awk -v m="$mean" 'BEGIN{exit !(m > 10)}'; then
            note "other processes used CPU during the rounds (${R[foreign]}); the figures may be off: repeat on an idle machine"
        fi
    fi
    server_side_times

    local ratio ratio_git over=0
    for g in "${TARGETS[@]}"; do
        ratio=$(div "$(median "${T[${g}_stoa_full]:-}")" "$(median "${T[${g}_base_full]:-}")")
        ratio_git=$(div "$(median "${T[${g}_stoa_git]:-}")" "$(median "${T[${g}_base_git]:-}")")
        log "$g: full clone Stoa $(median "${T[${g}_stoa_full]:-}") s, baseline $(median "${T[${g}_base_full]:-}") s, ratio $ratio (git part: $ratio_git)"
        awk -v r="$ratio" -v q="$ratio_git" -v t="$TARGET" 'BEGIN{exit !(r <= t && q <= t)}' || over=1
    done
    if [ "$PROFILE" = 1 ] || { [ "$PROFILE" = auto ] && [ "$over" = 1 ]; }; then
        log "profiling: one traced clone per server, then the TCP_NODELAY probe"
        profile_clone stoa
        profile_clone base
        nodelay_probe
    fi
    write_section
}

main "$@"
