#!/usr/bin/env bash
# Collaboration benchmark: duplicate_repo, merge_pull_request and the discussion listing, each
# side by side with a named baseline in the same run.
#
#   bench/collab/run.sh
#
# Starts the real `stoa` binary on a free 127.0.0.1 port with a temp data dir (user `bench` and a
# write token from `stoa admin`), then bench/collab/collab.py, with huggingface_hub (the project's
# .venv), builds and measures:
#   1. a model repo `bench/collab` with BENCH_COMMITS (300) commits on main: one 200 MB file of
#      random bytes uploaded with huggingface_hub `upload_file` (Xet when hf_xet is installed,
#      classic LFS with BENCH_DISABLE_XET=1), then small one-file commits (`create_commit`);
#      duplicate_repo (`POST /api/models/bench/collab/duplicate`) vs `git clone --bare --quiet
#      <the repo's bare dir under DATA/git/> DEST` (same machine, nothing else), BENCH_DUP_RUNS
#      (5) timed rounds after one warm-up, order alternating; wall time p50 and the growth of
#      `du -sb` (data dir and the baseline clones' dir counted together, so a hard link counts
#      once) per copy;
#   2. BENCH_PRS (10) pull requests on that repo, each changing BENCH_PR_FILES (10) existing files
#      (disjoint sets, all opened from the same main), merged one after the other: Stoa's
#      `POST .../discussions/N/merge` (squash via `git merge-tree`) vs `git merge-tree --write-tree
#      main refs/pr/N` run on the bare repo just before; p50 over the PRs;
#   3. a model repo `bench/talk` with BENCH_DISCUSSIONS (1000) discussions (created through the
#      API, 4 client threads): BENCH_REQUESTS (200) `GET /api/models/bench/talk/discussions?p=0`
#      vs as many `GET /api/models/bench/talk` (repo info), BENCH_CONCURRENCY (4) client threads
#      with keep-alive connections, in alternating blocks; p50/p99 (nearest rank) and req/s.
# Prints a Markdown section and replaces (or appends) the section
# "## Collaboration (bench/collab/run.sh)" of bench/RESULTS.md unless BENCH_WRITE_RESULTS=0.
# Everything listens on 127.0.0.1; the run is capped at BENCH_TIME_BUDGET seconds (540; the
# release build and the optional wait for a quiet machine are not counted); an EXIT trap stops
# what the script started (by PID) and deletes the temp dir.
#
# Knobs: STOA_BIN (target/release/stoa, built with `cargo build --release -p stoa` when missing or
# older than the sources unless STOA_NO_BUILD=1), BENCH_PYTHON (.venv/bin/python), BENCH_BIG_MB
# (200, in 10^6 bytes), BENCH_COMMITS, BENCH_DUP_RUNS, BENCH_PRS, BENCH_PR_FILES,
# BENCH_DISCUSSIONS, BENCH_REQUESTS, BENCH_CONCURRENCY, BENCH_DISABLE_XET (0),
# BENCH_WAIT_QUIET (120: seconds to wait for load average < BENCH_QUIET_LOAD (0.8) and no
# cargo/rustc/pytest; 0: do not wait), BENCH_TIME_BUDGET, BENCH_TMPDIR (/tmp), BENCH_KEEP_TMP,
# BENCH_WRITE_RESULTS, BENCH_RESULTS_MD.
set -uo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$REPO_ROOT/bench/lib/common.sh"
RESULTS_MD=${BENCH_RESULTS_MD:-$REPO_ROOT/bench/RESULTS.md}
LOG_DIR="$HERE/logs"
SECTION_TITLE="## Collaboration (bench/collab/run.sh)"

# ---- knobs -----------------------------------------------------------------
STOA_BIN=${STOA_BIN:-$REPO_ROOT/target/release/stoa}
STOA_NO_BUILD=${STOA_NO_BUILD:-0}
PY=${BENCH_PYTHON:-$REPO_ROOT/.venv/bin/python}
BIG_MB=${BENCH_BIG_MB:-200}
COMMITS=${BENCH_COMMITS:-300}
DUP_RUNS=${BENCH_DUP_RUNS:-5}
PRS=${BENCH_PRS:-10}
PR_FILES=${BENCH_PR_FILES:-10}
DISCUSSIONS=${BENCH_DISCUSSIONS:-1000}
REQUESTS=${BENCH_REQUESTS:-200}
CONCURRENCY=${BENCH_CONCURRENCY:-4}
DISABLE_XET=${BENCH_DISABLE_XET:-0}
WAIT_QUIET=${BENCH_WAIT_QUIET:-120}
QUIET_LOAD=${BENCH_QUIET_LOAD:-0.8}
QUIET_POLL=${BENCH_QUIET_POLL:-30}
TIME_BUDGET=${BENCH_TIME_BUDGET:-540}
WRITE_RESULTS=${BENCH_WRITE_RESULTS:-1}
KEEP_TMP=${BENCH_KEEP_TMP:-0}
TMP_PARENT=${BENCH_TMPDIR:-/tmp}

NS=bench
BIG_BYTES=$((BIG_MB * 1000 * 1000))
FILES=100   # small text files in the repo; the PRs change disjoint sets of them
if [ $((PRS * PR_FILES)) -gt $FILES ]; then FILES=$((PRS * PR_FILES)); fi

# ---- state -----------------------------------------------------------------
declare -A R=()
NOTES=()
PIDS=()
TMP=""
STOA_PID=""
FC_PID=""
WATCHDOG_PID=""
T0=$EPOCHREALTIME

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local p
    for p in "${PIDS[@]}"; do kill_pid "$p"; done
    if [ -n "$TMP" ] && [ -d "$TMP" ]; then
        mkdir -p "$LOG_DIR"
        [ -f "$TMP/stoa.log" ] && tail -c 300000 "$TMP/stoa.log" > "$LOG_DIR/stoa.log"
        [ -f "$TMP/collab.log" ] && cp "$TMP/collab.log" "$LOG_DIR/collab.log"
        [ -f "$TMP/collab.json" ] && cp "$TMP/collab.json" "$LOG_DIR/collab.json"
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
    for cmd in git curl jq du python3 lscpu; do
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
    R[git_version]=$(git --version | awk '{print $3}')
    R[python]=$("$PY" -c 'import sys, huggingface_hub as h; print(f"Python {sys.version.split()[0]}, huggingface_hub {h.__version__}")')
    R[hf_xet]=$("$PY" -c 'import importlib.metadata as m; print("hf_xet " + m.version("hf_xet"))' 2>/dev/null || echo "no hf_xet")
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
    [ "$DISABLE_XET" = 1 ] && export HF_HUB_DISABLE_XET=1
    return 0
}

# ---- measurements ------------------------------------------------------------------
run_driver() {
    local budget
    budget=$(awk -v b="$TIME_BUDGET" -v e="$(elapsed "$BENCH_T0")" 'BEGIN{d=b-e-20; if (d<30) d=30; printf "%d", d}')
    log "collab.py: setup, duplicate, merge, discussions (deadline ${budget}s)"
    bgwait "$PY" "$HERE/collab.py" --url "$STOA_URL" --token "$TOKEN" --ns "$NS" --data-dir "$TMP/data" \
        --work "$TMP" --big-file "$TMP/big.bin" --commits "$COMMITS" --files "$FILES" --dup-runs "$DUP_RUNS" \
        --prs "$PRS" --pr-files "$PR_FILES" --discussions "$DISCUSSIONS" --requests "$REQUESTS" \
        --concurrency "$CONCURRENCY" --deadline "$budget" \
        > "$TMP/collab.json" 2> >(tee "$TMP/collab.log" >&2)
    local rc=$?
    [ -s "$TMP/collab.json" ] || die "collab.py printed no result (exit $rc; see bench/collab/logs/collab.log)"
    J=$(cat "$TMP/collab.json")
    local e
    while IFS= read -r e; do [ -n "$e" ] && note "collab.py: $e"; done < <(jq -r '.errors[]' <<<"$J")
    return 0
}

# ---- report ----------------------------------------------------------------
j() { jq -r "$1 // \"n/a\" | if type == \"array\" then map(tostring) | join(\" \") else tostring end" <<<"$J"; }
mb() { awk -v b="$1" 'BEGIN{ if (b == "n/a" || b == "") print "n/a"; else printf "%.1f", b/1e6 }'; }
kb() { awk -v b="$1" 'BEGIN{ if (b == "n/a" || b == "") print "n/a"; else printf "%.1f", b/1e3 }'; }

section_md() {
    echo "$SECTION_TITLE"
    echo
    echo "Generated by \`bench/collab/run.sh\` (not by \`bench/run.sh\`); re-run it to refresh this section."
    echo "Stoa: \`${R[stoa_bin]}\`, ${R[profile]}, embedded defaults (SQLite + local files), on 127.0.0.1 with a temp data"
    echo "dir (${R[fs]}); client and server share the ${R[nproc]} cores. Setup through ${R[python]} (${R[hf_xet]});"
    echo "timed HTTP requests: Python http.client over keep-alive connections, latency = request sent → whole"
    echo "response read; timed git commands: one subprocess each (spawn included), git ${R[git_version]}."
    echo
    echo "Command: \`$CMDLINE\`"
    echo
    echo "| measurement | Stoa | baseline | Stoa/baseline |"
    echo "| --- | --- | --- | --- |"
    echo "| 1. duplicate_repo \`POST /api/models/$NS/collab/duplicate\`, p50 of $(j '.duplicate.stoa.n') (after 1 warm-up) | $(j '.duplicate.stoa.p50_ms') ms | \`git clone --bare --quiet <bare repo> DEST\` $(j '.duplicate.baseline.p50_ms') ms | **$(j '.duplicate.ratio_p50')** |"
    echo "| 1. growth of \`du -sb\` per copy (median) | $(kb "$(j '.duplicate.stoa_growth_median')") kB | $(kb "$(j '.duplicate.baseline_growth_median')") kB | $(awk -v a="$(j '.duplicate.stoa_growth_median')" -v b="$(j '.duplicate.baseline_growth_median')" 'BEGIN{ if (b+0 == 0) print "n/a"; else printf "%.3f", a/b }') |"
    echo "| 2. merge_pull_request (squash, \`POST …/discussions/N/merge\`), p50 of $(j '.merge.stoa.n') PRs × $PR_FILES files | $(j '.merge.stoa.p50_ms') ms | \`git merge-tree --write-tree main refs/pr/N\` $(j '.merge.baseline.p50_ms') ms | **$(j '.merge.ratio_p50')** |"
    echo "| 3. \`GET /api/models/$NS/talk/discussions?p=0\` ($(j '.discussions.count') discussions), p50 | $(j '.discussions.discussions.p50_ms') ms | repo info \`GET /api/models/$NS/talk\` $(j '.discussions.repo_info.p50_ms') ms | **$(j '.discussions.ratio_p50')** |"
    echo "| 3. same, p99 ($(j '.discussions.discussions.n') requests each, $CONCURRENCY client threads) | $(j '.discussions.discussions.p99_ms') ms | $(j '.discussions.repo_info.p99_ms') ms | **$(j '.discussions.ratio_p99')** |"
    echo "| 3. same, req/s | $(j '.discussions.discussions.req_per_s') | $(j '.discussions.repo_info.req_per_s') | $(j '.discussions.ratio_rps') |"
    echo
    echo "**1. duplicate_repo.** Source \`$NS/collab\`: $(j '.setup.commits_on_main') commits on main, $(j '.setup.files_on_main') files, among them"
    echo "\`weights/model.bin\`, $(mb "$(j '.setup.big_bytes')") MB of random bytes uploaded with \`upload_file\` via $(j '.setup.big_via') in $(j '.setup.big_upload_s') s"
    echo "(the $(j '.setup.small_commits') small one-file commits took $(j '.setup.small_commits_s') s). Its bare repo is $(kb "$(j '.setup.bare_repo_bytes')") kB"
    echo "($(j '.setup.bare_repo_objects')); the data dir $(mb "$(j '.setup.data_dir_bytes')") MB."
    echo "Each round: \`sync\`, \`du -sbc DATA CLONES\`, the copy, \`du -sbc DATA CLONES\` again (the baseline's clones go to"
    echo "CLONES, a dir beside the data dir on the same file system; measuring both dirs together counts a hard link once)."
    echo "Large files are shared, not copied: files under \`DATA/lfs\` $(j '.duplicate.lfs_files_before') ($(mb "$(j '.duplicate.lfs_bytes_before')") MB) before the copies,"
    echo "$(j '.duplicate.lfs_files_after') ($(mb "$(j '.duplicate.lfs_bytes_after')") MB) after $(( DUP_RUNS + 1 )) of them."
    echo "Median growth per copy, split: Stoa — git/ $(j '.duplicate.stoa_growth_split.git_growth_bytes') B, lfs/ $(j '.duplicate.stoa_growth_split.lfs_growth_bytes') B, the rest (SQLite database and WAL) $(j '.duplicate.stoa_growth_split.other_growth_bytes') B;"
    echo "baseline — the clone $(j '.duplicate.baseline_growth_split.git_growth_bytes') B. What git/ grows by is the copy's directories (\`du -b\` counts 4,096 B per directory: one per"
    echo "loose-object fan-out dir) and its refs/config files: the object files themselves are hard links (files under \`objects/\` with"
    echo "more than one link in the last copy: Stoa $(jq -r '.duplicate.stoa_objects_hardlinked | "\(.[0]) of \(.[1])"' <<<"$J" 2>/dev/null), \`git clone --bare\` $(jq -r '.duplicate.baseline_objects_hardlinked | "\(.[0]) of \(.[1])"' <<<"$J" 2>/dev/null))."
    echo "The last copy: same head as the source: $(j '.duplicate.copy_same_sha'), $(j '.duplicate.copy_commits') commits, \`weights/model.bin\` downloads with the right sha256: $(j '.duplicate.copy_big_file_sha256_ok')."
    echo
    echo "- Stoa, ms (rounds 1–$DUP_RUNS): $(j '.duplicate.stoa.samples_ms'); growth, bytes: $(j '.duplicate.stoa_growth_bytes')"
    echo "- \`git clone --bare\`, ms: $(j '.duplicate.baseline.samples_ms'); growth, bytes: $(j '.duplicate.baseline_growth_bytes')"
    echo "- warm-up round (not counted): Stoa $(jq -r '.duplicate.rounds[0].stoa.s * 1000 | floor' <<<"$J" 2>/dev/null) ms (+$(j '.duplicate.rounds[0].stoa.growth_bytes') B), baseline $(jq -r '.duplicate.rounds[0].baseline.s * 1000 | floor' <<<"$J" 2>/dev/null) ms (+$(j '.duplicate.rounds[0].baseline.growth_bytes') B); order alternates (even rounds Stoa first)"
    echo
    echo "**2. merge_pull_request.** $(j '.merge.prs | length') PRs opened with \`create_commit(create_pr=True)\` from the same main (files changed"
    echo "vs main: $(j '.merge.files_changed')), then merged in order, so from the second on main has moved since the PR forked"
    echo "(a real three-way merge). Per PR: \`git merge-tree --write-tree main refs/pr/N\` in the bare repo, then Stoa's merge, which"
    echo "takes the ref lock, runs the same merge-tree, writes the squash commit, moves main (commit intent, README tags) and"
    echo "records the status event. Stoa's merged tree equals the baseline's, parent = old main: $(j '.merge.same_tree_as_baseline') of $(j '.merge.prs | length');"
    echo "merged per the API: $(j '.merge.merged'); commits on main after: $(j '.merge.commits_on_main_after'). (The baseline runs first and writes the merged"
    echo "tree's objects, so Stoa's merge-tree finds those few objects present.)"
    echo
    echo "- Stoa, ms: $(j '.merge.stoa.samples_ms')"
    echo "- \`git merge-tree\`, ms: $(j '.merge.baseline.samples_ms')"
    echo
    echo "**3. Discussion listing.** \`$NS/talk\` (a README) with $(j '.discussions.create.n') discussions created by \`POST …/discussions\`"
    echo "from $CONCURRENCY threads in $(j '.discussions.create.wall_s') s ($(j '.discussions.create.per_s')/s; p50 $(j '.discussions.create.p50_ms') ms, p99 $(j '.discussions.create.p99_ms') ms per create)."
    echo "The listing's first page holds $(j '.discussions.first_page_items') items, \`count\` $(j '.discussions.count'). $(j '.discussions.warmup') warm-up requests each, then blocks of"
    echo "$(j '.discussions.block') requests alternating between the two URLs ($(j '.discussions.blocks') blocks each), $CONCURRENCY threads with one keep-alive connection each."
    echo "Response bodies: listing $(j '.discussions.discussions.bytes') B, repo info $(j '.discussions.repo_info.bytes') B."
    echo
    echo "Percentiles are nearest-rank over the $(j '.discussions.discussions.n') samples of each URL (p99 = the $(jq -r '.discussions.discussions.n * 0.99 | ceil' <<<"$J" 2>/dev/null)th fastest)."
    echo
    echo "- listing: p50 $(j '.discussions.discussions.p50_ms'), p99 $(j '.discussions.discussions.p99_ms'), mean $(j '.discussions.discussions.mean_ms'), min–max $(j '.discussions.discussions.min_ms')–$(j '.discussions.discussions.max_ms') ms"
    echo "- repo info: p50 $(j '.discussions.repo_info.p50_ms'), p99 $(j '.discussions.repo_info.p99_ms'), mean $(j '.discussions.repo_info.mean_ms'), min–max $(j '.discussions.repo_info.min_ms')–$(j '.discussions.repo_info.max_ms') ms"
    echo
    echo "| machine | |"
    echo "| --- | --- |"
    echo "| CPU (/proc/cpuinfo model name) | ${R[cpu_model]} |"
    echo "| nproc | ${R[nproc]} |"
    echo "| memory | ${R[mem]} (\`free -g\`: ${R[free_g]}) |"
    echo "| kernel | ${R[kernel]} |"
    echo "| date | ${R[date]} |"
    echo "| Stoa | git HEAD ${R[stoa_rev]} (${R[stoa_dirty]} uncommitted changes under crates/ and Cargo.*), binary ${R[stoa_bin]} built ${R[stoa_bin_mtime]} |"
    echo "| quiet machine? | ${R[quiet]:-n/a} |"
    echo "| CPU used by other processes during the run | ${R[foreign]:-n/a} |"
    echo "| run time | $(elapsed "$T0") s in all; collab.py $(j '.elapsed_s') s (phases: $(jq -r '.phases | to_entries | map("\(.key) \(.value) s") | join(", ")' <<<"$J" 2>/dev/null)); build: ${R[build_s]:+${R[build_s]} s (\`cargo build --release -p stoa\`)}${R[build_s]:-not built by this run} |"
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
    CMDLINE="bench/collab/run.sh"
    local k v
    for k in STOA_BIN STOA_NO_BUILD BENCH_BIG_MB BENCH_COMMITS BENCH_DUP_RUNS BENCH_PRS BENCH_PR_FILES \
             BENCH_DISCUSSIONS BENCH_REQUESTS BENCH_CONCURRENCY BENCH_DISABLE_XET BENCH_WAIT_QUIET BENCH_TIME_BUDGET; do
        v=$(printenv "$k") && CMDLINE="$k=${v#"$REPO_ROOT"/} $CMDLINE"
    done
    ensure_deps
    ensure_binary
    TMP=$(mktemp -d "$TMP_PARENT/stoa-collab.XXXXXX")
    wait_quiet || true
    BENCH_T0=$EPOCHREALTIME
    # a hard cap on the run (the build and the wait above are not counted)
    python3 -c 'import os, signal, sys, time; time.sleep(float(sys.argv[1])); os.kill(int(sys.argv[2]), signal.SIGTERM)' \
        "$TIME_BUDGET" "$$" </dev/null >/dev/null 2>&1 &
    WATCHDOG_PID=$!
    PIDS+=("$WATCHDOG_PID")
    describe_machine
    log "machine: ${R[cpu_model]}, nproc ${R[nproc]}, ${R[mem]}; tmp $TMP"
    python3 "$REPO_ROOT/bench/lib/foreign_cpu.py" "$$" 1 "$TMP/foreign.json" &
    FC_PID=$!
    PIDS+=("$FC_PID")
    log "writing $BIG_MB MB of random bytes"
    head -c "$BIG_BYTES" /dev/urandom > "$TMP/big.bin" || die "cannot write $TMP/big.bin"
    start_stoa
    client_env
    run_driver
    stop_foreign_cpu
    write_results
}

main "$@"
