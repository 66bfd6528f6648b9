#!/usr/bin/env bash
# Scanner benchmark: `stoa admin scan file` (Stoa's upload scanner, run on local files) side by
# side with picklescan and with the cost of reading the bytes, in one run.
#
#   bench/scanning/run.sh
#
# Writes its inputs into a temp dir on local disk (bench/scanning/mkfiles.py; torch is not needed)
# one case at a time, deleting each case's files before the next (peak about 1.1 GiB), and times
# each command with hyperfine (a shell per run, its start-up subtracted by hyperfine; the files are
# in the page cache for every tool):
#   1. a PyTorch zip checkpoint of BENCH_TORCH_MB (1024) MiB, BENCH_TORCH_TENSORS (256) float32
#      tensors (`archive/data.pkl` + `archive/data/N` storages of random bytes):
#      `stoa admin scan file F` vs `sha256sum F` (reading and hashing every byte) vs
#      `picklescan --path F`;
#   2. raw protocol 4 pickles, each vs `picklescan --path F` and vs the bare opcode walk
#      picklescan is built on (`python -c "...pickletools.genops(open(F,'rb'))..."`):
#      a. BENCH_PICKLE_ITEMS (5,000,000) 5-tuples (i, four floats) in a list: ~204 MiB, 40 M opcodes;
#      b. BENCH_SMALL_ITEMS (90,000) of the same tuples (~3.7 MiB, 0.72 M opcodes: within Stoa's
#         limits of 1 M opcodes and 100,000 memo entries per pickle);
#      c. a dict of BENCH_ARRAYS (50) float32 NumPy arrays, BENCH_ARRAYS_MB (200) MiB in all
#         (few opcodes, large payload: the shape of a pickled scikit-learn/NumPy model);
#   3. BENCH_SHARDS (64) safetensors files of BENCH_SHARD_MB (16) MiB of tensor data each:
#      `stoa admin scan file` of all of them (one process) vs one Python process reading each
#      header with the safetensors package (`safe_open(F, "np")`, `.keys()`, `.metadata()`) vs
#      `sha256sum` of all of them;
#   4. detection (not timed): joblib files with an object reducing to `os.system("true")`,
#      compressed (zlib, xz) and uncompressed after a NumPy array, plus controls; which of Stoa
#      and picklescan flags each (nothing is ever loaded).
# Each command runs once untimed first (/usr/bin/time: exit status, output, peak RSS; this run is
# the warm-up), then BENCH_RUNS (5) timed runs, or BENCH_SLOW_RUNS (2) when that first run took
# over BENCH_SLOW_S (10) s. Figures are medians of the timed runs.
# Prints a Markdown section and replaces (or appends) the section
# "## Scanning (bench/scanning/run.sh)" of bench/RESULTS.md unless BENCH_WRITE_RESULTS=0.
# The run is capped at BENCH_TIME_BUDGET seconds (1500; the release build, the tool installs and
# the optional wait for a quiet machine are not counted); an EXIT trap stops what the script
# started (by PID) and deletes the temp dir.
#
# Knobs: STOA_BIN (target/release/stoa, built with `cargo build --release -p stoa` when missing or
# older than the sources unless STOA_NO_BUILD=1), BENCH_PYTHON (.venv/bin/python; needs numpy,
# joblib, safetensors, else they are installed into the bench venv), BENCH_VENV
# (~/.cache/stoa-bench/scanning-venv: picklescan, from PyPI), BENCH_PICKLESCAN_VERSION (1.0.5),
# BENCH_TORCH_MB, BENCH_TORCH_TENSORS, BENCH_PICKLE_ITEMS, BENCH_SMALL_ITEMS, BENCH_ARRAYS,
# BENCH_ARRAYS_MB, BENCH_SHARDS, BENCH_SHARD_MB, BENCH_RUNS, BENCH_SLOW_RUNS, BENCH_SLOW_S,
# BENCH_WAIT_QUIET (120: seconds to wait for load average < BENCH_QUIET_LOAD (0.8) and no
# cargo/rustc/pytest; 0: do not wait), BENCH_TIME_BUDGET, BENCH_TMPDIR (/tmp; local disk),
# BENCH_KEEP_TMP, BENCH_WRITE_RESULTS, BENCH_RESULTS_MD.
set -uo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$REPO_ROOT/bench/lib/common.sh"
RESULTS_MD=${BENCH_RESULTS_MD:-$REPO_ROOT/bench/RESULTS.md}
LOG_DIR="$HERE/logs"
SECTION_TITLE="## Scanning (bench/scanning/run.sh)"

# ---- knobs -----------------------------------------------------------------
STOA_BIN=${STOA_BIN:-$REPO_ROOT/target/release/stoa}
STOA_NO_BUILD=${STOA_NO_BUILD:-0}
PY=${BENCH_PYTHON:-$REPO_ROOT/.venv/bin/python}
VENV=${BENCH_VENV:-$HOME/.cache/stoa-bench/scanning-venv}
PICKLESCAN_VERSION=${BENCH_PICKLESCAN_VERSION:-1.0.5}
TORCH_MB=${BENCH_TORCH_MB:-1024}
TORCH_TENSORS=${BENCH_TORCH_TENSORS:-256}
PICKLE_ITEMS=${BENCH_PICKLE_ITEMS:-5000000}
SMALL_ITEMS=${BENCH_SMALL_ITEMS:-90000}
ARRAYS=${BENCH_ARRAYS:-50}
ARRAYS_MB=${BENCH_ARRAYS_MB:-200}
SHARDS=${BENCH_SHARDS:-64}
SHARD_MB=${BENCH_SHARD_MB:-16}
RUNS=${BENCH_RUNS:-5}
SLOW_RUNS=${BENCH_SLOW_RUNS:-2}
SLOW_S=${BENCH_SLOW_S:-10}
WAIT_QUIET=${BENCH_WAIT_QUIET:-120}
QUIET_LOAD=${BENCH_QUIET_LOAD:-0.8}
QUIET_POLL=${BENCH_QUIET_POLL:-30}
TIME_BUDGET=${BENCH_TIME_BUDGET:-1500}
WRITE_RESULTS=${BENCH_WRITE_RESULTS:-1}
KEEP_TMP=${BENCH_KEEP_TMP:-0}
TMP_PARENT=${BENCH_TMPDIR:-/tmp}

GENOPS='import pickletools,sys; [None for _ in pickletools.genops(open(sys.argv[1],"rb"))]'
ST_HEADERS='import sys; from safetensors import safe_open; print(sum(len(f.keys()) for f in map(lambda p: safe_open(p, "np"), sys.argv[1:]) if f.metadata() is not None))'

# ---- state -----------------------------------------------------------------
declare -A R=()
declare -A J=()   # hyperfine JSON per measurement key
NOTES=()
PIDS=()
TMP=""
FC_PID=""
T0=$EPOCHREALTIME

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local p
    for p in "${PIDS[@]}"; do kill_pid "$p"; done
    if [ -n "$TMP" ] && [ -d "$TMP" ]; then
        mkdir -p "$LOG_DIR"
        rm -f "$LOG_DIR"/*.out "$LOG_DIR"/*.err "$LOG_DIR"/*.json "$LOG_DIR"/*.time
        find "$TMP" -maxdepth 1 -type f \( -name '*.out' -o -name '*.err' -o -name '*.json' -o -name '*.time' \) \
            -size -2M -exec cp {} "$LOG_DIR/" \;
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
    local cmd missing=()
    for cmd in jq python3 sha256sum lscpu; do
        command -v "$cmd" >/dev/null 2>&1 || die "$cmd is required"
    done
    command -v hyperfine >/dev/null 2>&1 || missing+=(hyperfine)
    [ -x /usr/bin/time ] || missing+=(time)
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing with apt-get: ${missing[*]}"
        local sudo=""
        [ "$(id -u)" = 0 ] || sudo="sudo"
        $sudo apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null \
            || die "apt-get install ${missing[*]} failed"
    fi
    # picklescan in its own venv (pure Python, no dependencies), pinned
    if [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("picklescan"))' 2>/dev/null)" \
         != "$PICKLESCAN_VERSION" ]; then
        log "installing picklescan==$PICKLESCAN_VERSION into $VENV"
        [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" || die "python3 -m venv $VENV failed"
        "$VENV/bin/pip" install -q --disable-pip-version-check "picklescan==$PICKLESCAN_VERSION" \
            || die "pip install picklescan==$PICKLESCAN_VERSION failed"
    fi
    PICKLESCAN=$VENV/bin/picklescan
    [ -x "$PICKLESCAN" ] || die "no $PICKLESCAN"
    # the generators and the safetensors baseline: the project's venv when it has what they need
    if ! { [ -x "$PY" ] && "$PY" -c 'import numpy, joblib, safetensors' 2>/dev/null; }; then
        log "$PY lacks numpy/joblib/safetensors: installing them into $VENV"
        "$VENV/bin/pip" install -q --disable-pip-version-check numpy joblib safetensors \
            || die "pip install numpy joblib safetensors failed"
        PY=$VENV/bin/python
    fi
}

# ---- machine -----------------------------------------------------------------
describe_machine() {
    R[cpu_model]=$(awk -F: '/^model name/{gsub(/^[ \t]+/,"",$2); print $2; exit}' /proc/cpuinfo)
    [ -n "${R[cpu_model]}" ] || R[cpu_model]=$(lscpu | awk -F: '/^Model name/{gsub(/^[ \t]+/,"",$2); print $2; exit}')
    R[sha_ni]=$(grep -qw sha_ni /proc/cpuinfo && echo yes || echo no)
    R[nproc]=$(nproc)
    R[mem]=$(awk '/^MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)
    R[free_g]=$(free -g | awk '/^Mem:/{printf "total %s GiB, used %s, free %s, buff/cache %s, available %s", $2, $3, $4, $6, $7}')
    R[kernel]="$(uname -sr)"
    R[date]=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
    R[fs]=$(df -PT "$TMP" | awk 'NR==2{print $2 " on " $1}')
    R[stoa_rev]=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    R[stoa_dirty]=$(git -C "$REPO_ROOT" status --porcelain -- crates Cargo.toml Cargo.lock 2>/dev/null | wc -l)
    R[stoa_bin]=${STOA_BIN#"$REPO_ROOT"/}
    R[stoa_bin_mtime]=$(date -u -r "$STOA_BIN" '+%Y-%m-%d %H:%M:%S UTC' 2>/dev/null || echo unknown)
    case "$STOA_BIN" in
        */debug/*) R[profile]="**debug build** (unoptimised; a release build is faster)" ;;
        */release/*) R[profile]="release build" ;;
        *) R[profile]="build profile unknown" ;;
    esac
    R[hyperfine]=$(hyperfine --version | awk '{print $2}')
    R[sha256sum]=$(sha256sum --version | head -n1)
    R[picklescan_py]=$("$VENV/bin/python" -c 'import sys, importlib.metadata as m; print("picklescan", m.version("picklescan"), "on Python", sys.version.split()[0])')
    R[py_libs]=$("$PY" -c 'import sys, numpy, joblib, safetensors; print(f"Python {sys.version.split()[0]}, numpy {numpy.__version__}, joblib {joblib.__version__}, safetensors {safetensors.__version__}")')
}

# ---- measuring -------------------------------------------------------------------
# measure KEY CMD: one untimed run (exit status, stdout/stderr, peak RSS), then hyperfine
measure() {
    local key=$1 cmd=$2 runs wall rss
    log "$key: $cmd"
    R[${key}_cmd]=$cmd
    bgwait /usr/bin/time -f '%e %M' -o "$TMP/$key.time" sh -c "$cmd" > "$TMP/$key.out" 2> "$TMP/$key.err"
    R[${key}_rc]=$?
    read -r wall rss < <(tail -n1 "$TMP/$key.time")
    R[${key}_first_s]=$wall
    R[${key}_rss]=$(awk -v k="$rss" 'BEGIN{printf "%.0f", k*1024/1e6}')
    if lt "$wall" "$SLOW_S"; then runs=$RUNS; else runs=$SLOW_RUNS; fi
    # the untimed run above is the warm-up
    bgwait hyperfine --style none --ignore-failure --runs "$runs" \
        --export-json "$TMP/$key.json" "$cmd" > "$TMP/$key.hyperfine" 2>&1 \
        || { note "hyperfine failed on $key: $(tail -n 3 "$TMP/$key.hyperfine" | tr '\n' ' ')"; return 0; }
    J[$key]=$(jq -c '.results[0] | {median, mean, stddev, min, max, user, system, n: (.times | length),
        times, exit_codes}' "$TMP/$key.json")
    log "$key: median $(t "$key") ($(jq -r '.n' <<<"${J[$key]}") runs), exit ${R[${key}_rc]}, peak RSS ${R[${key}_rss]} MB"
}

jget() { printf '%s' "${J[$1]:-"{}"}"; }
# t KEY: the median, formatted
t() { fmt_s "$(jget "$1" | jq -r '.median // empty')"; }
fmt_s() {
    awk -v s="$1" 'BEGIN{ if (s == "") print "n/a"; else if (s < 1) printf "%.1f ms", s*1000; else printf "%.2f s", s }'
}
# ratio A B: median(A) / median(B)
ratio() {
    local a b
    a=$(jget "$1" | jq -r '.median // empty'); b=$(jget "$2" | jq -r '.median // empty')
    awk -v a="$a" -v b="$b" 'BEGIN{ if (a == "" || b == "" || b+0 == 0) print "n/a"; else printf "%.3g", a/b }'
}
# spread KEY: min–max and the number of runs
spread() {
    [ -n "${J[$1]:-}" ] || { echo "n/a"; return; }
    printf '%s–%s, %s runs; first run %s s, peak RSS %s MB' "$(fmt_s "$(jq -r .min <<<"${J[$1]}")")" \
        "$(fmt_s "$(jq -r .max <<<"${J[$1]}")")" "$(jq -r .n <<<"${J[$1]}")" "${R[${1}_first_s]}" "${R[${1}_rss]}"
}

# what Stoa said: "status (format; imports …; unscannable: …)", or counts over several files
stoa_says() {
    local f="$TMP/$1.out" said
    if [ ! -s "$f" ]; then
        said="no output"
    elif [ "$(wc -l < "$f")" -gt 1 ]; then
        said=$(jq -rs '(group_by(.status) | map("\(length) × \(.[0].status)") | join(", "))
            + " (" + ([.[].report.format] | unique | join(", ")) + "; "
            + ([.[].report.safetensors.tensor_count // 0] | add | tostring) + " tensors in all)"' "$f")
    else
        said=$(jq -r '.status + " (" + (.report.format // "no format")
            + (if .report.pickle then "; imports: " + ([.report.pickle.imports[] | "\(.module).\(.name)"
                + (if .safety != "innocuous" then " [\(.safety)]" else "" end)] | if . == [] then "none" else join(", ") end)
               else "" end)
            + (if .report.pickle.unscannable then "; unscannable: " + .report.pickle.unscannable else "" end)
            + (if (.report.notes | length) > 0 then "; notes: " + (.report.notes | join(" / ") | .[0:200]) else "" end)
            + ")"' "$f")
    fi
    printf '%s, exit %s' "${said//|/\\|}" "${R[${1}_rc]}"
}

# what picklescan said
picklescan_says() {
    local out="$TMP/$1.out" err="$TMP/$1.err" d s problem
    d=$(awk -F': ' '/^Dangerous globals:/{print $2}' "$out")
    s=$(awk -F': ' '/^Suspicious globals:/{print $2}' "$out")
    problem=$(grep -hE '^(ERROR|WARNING)' "$out" "$err" | head -n1 | sed -e "s#$TMP/##g" -e 's/|/\\|/g' | cut -c1-140)
    printf '%s dangerous, %s suspicious globals, exit %s%s' "${d:-?}" "${s:-?}" "${R[${1}_rc]}" "${problem:+ ($problem)}"
}

case_torch() {
    local f="$TMP/model.pt" t0=$EPOCHREALTIME
    log "case 1: writing a $TORCH_MB MiB PyTorch zip"
    R[torch_made]=$("$PY" "$HERE/mkfiles.py" torch "$f" --bytes $((TORCH_MB << 20)) --tensors "$TORCH_TENSORS") \
        || die "mkfiles.py torch failed"
    R[torch_gen_s]=$(elapsed "$t0")
    measure torch_stoa "$STOA_BIN admin scan file $f"
    measure torch_sha "sha256sum $f"
    measure torch_ps "$PICKLESCAN --path $f"
    R[torch_sha_hex]=$(cut -c1-16 "$TMP/torch_sha.out")
    rm -f "$f"
}

case_pickles() {
    local name items f t0
    for name in tuples small; do
        f="$TMP/$name.pkl" t0=$EPOCHREALTIME
        items=$PICKLE_ITEMS; [ "$name" = small ] && items=$SMALL_ITEMS
        log "case 2: writing a pickle of $items tuples"
        R[${name}_made]=$("$PY" "$HERE/mkfiles.py" tuples "$f" --items "$items") || die "mkfiles.py tuples failed"
        R[${name}_gen_s]=$(elapsed "$t0")
        measure "${name}_stoa" "$STOA_BIN admin scan file $f"
        measure "${name}_ps" "$PICKLESCAN --path $f"
        measure "${name}_genops" "$VENV/bin/python -c '$GENOPS' $f"
        rm -f "$f"
    done
    f="$TMP/arrays.pkl" t0=$EPOCHREALTIME
    log "case 2: writing a pickle of $ARRAYS arrays"
    R[arrays_made]=$("$PY" "$HERE/mkfiles.py" arrays "$f" --bytes $((ARRAYS_MB << 20)) --arrays "$ARRAYS") \
        || die "mkfiles.py arrays failed"
    R[arrays_gen_s]=$(elapsed "$t0")
    measure arrays_stoa "$STOA_BIN admin scan file $f"
    measure arrays_ps "$PICKLESCAN --path $f"
    measure arrays_genops "$VENV/bin/python -c '$GENOPS' $f"
    rm -f "$f"
}

case_shards() {
    local d="$TMP/shards" t0=$EPOCHREALTIME
    log "case 3: writing $SHARDS safetensors files of $SHARD_MB MiB"
    R[shards_made]=$("$PY" "$HERE/mkfiles.py" shards "$d" --count "$SHARDS" --bytes $((SHARD_MB << 20)) --tensors 8) \
        || die "mkfiles.py shards failed"
    R[shards_gen_s]=$(elapsed "$t0")
    measure shards_stoa "$STOA_BIN admin scan file $d/*.safetensors"
    measure shards_st "$PY -c '$ST_HEADERS' $d/*.safetensors"
    measure shards_sha "sha256sum $d/*.safetensors"
    R[shards_st_tensors]=$(tail -n1 "$TMP/shards_st.out")
    R[shards_sha_lines]=$(wc -l < "$TMP/shards_sha.out")
    rm -rf "$d"
}

DETECTION_FILES=(evil-zlib3.joblib evil-xz3.joblib evil-after-array.joblib evil-before-array.joblib evil-plain.pkl benign-zlib3.joblib)
case_detection() {
    local d="$TMP/detection" f k
    log "case 4: detection set"
    R[det_made]=$("$PY" "$HERE/mkfiles.py" detection "$d") || die "mkfiles.py detection failed"
    for f in "${DETECTION_FILES[@]}"; do
        k=det_${f//[^a-z0-9]/_}
        "$STOA_BIN" admin scan file "$d/$f" > "$TMP/${k}_stoa.out" 2> "$TMP/${k}_stoa.err"
        R[${k}_stoa_rc]=$?
        "$PICKLESCAN" --path "$d/$f" > "$TMP/${k}_ps.out" 2> "$TMP/${k}_ps.err"
        R[${k}_ps_rc]=$?
    done
    rm -rf "$d"
}

# ---- report ----------------------------------------------------------------
# shellcheck disable=SC2016 # the backquotes are Markdown
build_text() {
    if [ -n "${R[build_s]:-}" ]; then printf '%s s (`cargo build --release -p stoa`)' "${R[build_s]}"; else printf 'not built by this run'; fi
}
status_of() { jq -r '.status' "$TMP/$1.out" 2>/dev/null | head -n1; }
mk() { jq -r "$2 // \"n/a\" | tostring" <<<"${R[$1]:-"{}"}"; }
mib() { awk -v b="$1" 'BEGIN{ if (b == "n/a" || b == "") print "n/a"; else printf "%.1f MiB", b/1048576 }'; }

det_row() { # file description
    local f=$1 k=det_${1//[^a-z0-9]/_} status imports d stoa_flag ps_flag
    status=$(status_of "${k}_stoa")
    imports=$(jq -r '[.report.pickle.imports[]? | select(.safety != "innocuous") | "\(.module).\(.name) [\(.safety)]"]
        + (if .report.pickle.unscannable then ["unscannable: " + .report.pickle.unscannable] else [] end)
        + (if .report.format then ["format " + .report.format] else [] end) | join("; ")' "$TMP/${k}_stoa.out" 2>/dev/null)
    d=$(awk -F': ' '/^Dangerous globals:/{print $2}' "$TMP/${k}_ps.out")
    case "$status" in unsafe) stoa_flag="**yes**" ;; unscannable) stoa_flag="unscannable" ;; *) stoa_flag=no ;; esac
    if [ "${d:-0}" -gt 0 ] 2>/dev/null; then ps_flag="**yes**"; else ps_flag=no; fi
    echo "| \`$f\` | $2 | $status, exit ${R[${k}_stoa_rc]} ($imports) | $stoa_flag | $(picklescan_says "${k}_ps") | $ps_flag |"
}

# a sentence on what the table says: the like-for-like caveat of 2a, and where Stoa is slower
reading() {
    local slower=() pair a b n joined
    for pair in torch_stoa:torch_sha:1 torch_stoa:torch_ps:1 small_stoa:small_ps:2b small_stoa:small_genops:2b \
                arrays_stoa:arrays_ps:2c arrays_stoa:arrays_genops:2c shards_stoa:shards_st:3 shards_stoa:shards_sha:3; do
        IFS=: read -r a b n <<<"$pair"
        awk -v r="$(ratio "$a" "$b")" 'BEGIN{ exit !(r != "n/a" && r+0 > 1) }' \
            && slower+=("$n vs ${b#*_} ($(ratio "$a" "$b")×)")
    done
    printf 'Reading: below 1 Stoa is faster. '
    if [ "$(status_of tuples_stoa)" = unscannable ]; then
        printf '2a is not like for like: Stoa stops at its bound (%s) and reports the file **unscannable** (exit %s), where picklescan and the genops walk go through all of it (picklescan: %s MB peak RSS) and find nothing. ' \
            "$(jq -r '.report.pickle.unscannable' "$TMP/tuples_stoa.out" | sed 's/ at byte.*//')" "${R[tuples_stoa_rc]}" "${R[tuples_ps_rss]}"
    fi
    if [ ${#slower[@]} -gt 0 ]; then
        joined=$(printf '%s; ' "${slower[@]}")
        printf 'Stoa is slower in: %s.\n' "${joined%; }"
    else
        printf 'Stoa is faster in every like-for-like row.\n'
    fi
}

section_md() {
    echo "$SECTION_TITLE"
    echo
    echo "Generated by \`bench/scanning/run.sh\` (not by \`bench/run.sh\`; how it works: [scanning/README.md](scanning/README.md)); re-run it to refresh this section."
    echo "Stoa: \`${R[stoa_bin]} admin scan file PATH...\` (${R[profile]}), the scanner a commit runs, on local files, no server."
    echo "Baselines: ${R[picklescan_py]} (\`picklescan --path F\`); \`python -c '$GENOPS' F\` (the opcode walk"
    echo "picklescan is built on, same Python); ${R[sha256sum]} (reads and hashes every byte; this CPU has SHA-NI: ${R[sha_ni]},"
    echo "coreutils does not use it); the safetensors package (${R[py_libs]})."
    echo "Timing: hyperfine ${R[hyperfine]}, one \`sh -c\` per run (its start-up subtracted), after one untimed run of the same"
    echo "command (its exit status, output and peak RSS are what the verdict columns show); $RUNS timed runs, $SLOW_RUNS when the"
    echo "first run took over $SLOW_S s; median wall time. Inputs written by \`bench/scanning/mkfiles.py\` into a temp dir (${R[fs]}),"
    echo "in the page cache for every tool (warm: no tool pays for the disk)."
    echo
    echo "Command: \`$CMDLINE\`"
    echo
    echo "| # | input | Stoa \`scan file\` | baseline | Stoa/baseline |"
    echo "| --- | --- | --- | --- | --- |"
    echo "| 1 | PyTorch zip, $(mib "$(mk torch_made .bytes)"), $(mk torch_made .tensors) tensors | $(t torch_stoa) | \`sha256sum\` $(t torch_sha) | **$(ratio torch_stoa torch_sha)** |"
    echo "| 1 | same | | picklescan $(t torch_ps) | **$(ratio torch_stoa torch_ps)** |"
    echo "| 2a | raw pickle, $(mib "$(mk tuples_made .bytes)"): list of $(mk tuples_made .items) 5-tuples (~$(mk tuples_made .opcodes_approx) opcodes) | $(t tuples_stoa)$([ "$(status_of tuples_stoa)" = unscannable ] && echo ' (stops at its bounds: unscannable)') | picklescan $(t tuples_ps) | $(ratio tuples_stoa tuples_ps) |"
    echo "| 2a | same | | \`pickletools.genops\` walk $(t tuples_genops) | $(ratio tuples_stoa tuples_genops) |"
    echo "| 2b | raw pickle, $(mib "$(mk small_made .bytes)"): $(mk small_made .items) 5-tuples (~$(mk small_made .opcodes_approx) opcodes) | $(t small_stoa) | picklescan $(t small_ps) | **$(ratio small_stoa small_ps)** |"
    echo "| 2b | same | | \`pickletools.genops\` walk $(t small_genops) | **$(ratio small_stoa small_genops)** |"
    echo "| 2c | raw pickle, $(mib "$(mk arrays_made .bytes)"): dict of $(mk arrays_made .arrays) float32 NumPy arrays | $(t arrays_stoa) | picklescan $(t arrays_ps) | **$(ratio arrays_stoa arrays_ps)** |"
    echo "| 2c | same | | \`pickletools.genops\` walk $(t arrays_genops) | **$(ratio arrays_stoa arrays_genops)** |"
    echo "| 3 | $(mk shards_made .files) safetensors files × $(mib "$(mk shards_made .bytes_each)") ($(mk shards_made .tensors_each) tensors each), one process | $(t shards_stoa) | safetensors \`safe_open\` headers $(t shards_st) | **$(ratio shards_stoa shards_st)** |"
    echo "| 3 | same | | \`sha256sum\` of all $(t shards_sha) | **$(ratio shards_stoa shards_sha)** |"
    echo
    reading
    echo
    echo "Verdicts (from the untimed first run) and spread:"
    echo
    echo "| # | tool | said | median; min–max; runs; first run; peak RSS |"
    echo "| --- | --- | --- | --- |"
    echo "| 1 | Stoa | $(stoa_says torch_stoa) | $(t torch_stoa); $(spread torch_stoa) |"
    echo "| 1 | sha256sum | \`${R[torch_sha_hex]:-n/a}…\`, exit ${R[torch_sha_rc]:-n/a} | $(t torch_sha); $(spread torch_sha) |"
    echo "| 1 | picklescan | $(picklescan_says torch_ps) | $(t torch_ps); $(spread torch_ps) |"
    local n
    declare -A case_no=([tuples]=2a [small]=2b [arrays]=2c)
    for n in tuples small arrays; do
        echo "| ${case_no[$n]} | Stoa | $(stoa_says "${n}_stoa") | $(t "${n}_stoa"); $(spread "${n}_stoa") |"
        echo "| ${case_no[$n]} | picklescan | $(picklescan_says "${n}_ps") | $(t "${n}_ps"); $(spread "${n}_ps") |"
        echo "| ${case_no[$n]} | genops walk | exit ${R[${n}_genops_rc]:-n/a} | $(t "${n}_genops"); $(spread "${n}_genops") |"
    done
    echo "| 3 | Stoa | $(stoa_says shards_stoa) | $(t shards_stoa); $(spread shards_stoa) |"
    echo "| 3 | safetensors | ${R[shards_st_tensors]:-n/a} tensor names read, exit ${R[shards_st_rc]:-n/a} | $(t shards_st); $(spread shards_st) |"
    echo "| 3 | sha256sum | ${R[shards_sha_lines]:-n/a} hashes, exit ${R[shards_sha_rc]:-n/a} | $(t shards_sha); $(spread shards_sha) |"
    echo
    echo "**4. Detection** (not timed; \`Evil.__reduce__\` returns \`(os.system, (\"true\",))\`; the files are never loaded;"
    echo "joblib $(mk det_made .joblib), numpy $(mk det_made .numpy)). \"Flagged\" = Stoa status \`unsafe\`; picklescan: at least one dangerous global."
    echo
    echo "| file | written with | Stoa \`scan file\` | Stoa flags | picklescan | picklescan flags |"
    echo "| --- | --- | --- | --- | --- | --- |"
    det_row evil-zlib3.joblib "\`joblib.dump(Evil(), f, compress=3)\` (zlib)"
    det_row evil-xz3.joblib "\`joblib.dump(Evil(), f, compress=(\"xz\", 3))\`"
    det_row evil-after-array.joblib "\`joblib.dump({\"w\": np.arange(1000), \"z\": Evil()}, f)\`"
    det_row evil-before-array.joblib "control: \`{\"z\": Evil(), \"w\": np.arange(1000)}\`"
    det_row evil-plain.pkl "control: \`pickle.dump(Evil(), f, protocol=4)\`"
    det_row benign-zlib3.joblib "control: \`joblib.dump({\"w\": np.arange(1000)}, f, compress=3)\`"
    echo
    echo "Inputs: 1: \`archive/data.pkl\` $(mk torch_made .data_pkl_bytes) B (protocol 2, OrderedDict state dict, \`torch._utils._rebuild_tensor_v2\`,"
    echo "persistent ids \`('storage', torch.FloatStorage, key, 'cpu', numel)\`), $(mk torch_made .tensors) storages of $(mib "$(mk torch_made .storage_bytes)") random bytes, stored and"
    echo "64-byte aligned as \`torch.save\` writes them (written in ${R[torch_gen_s]:-n/a} s). 2a/2b: \`[(i, i/2, -i/4, 1/(i+1), 3.75) for i in range(N)]\`,"
    echo "written opcode by opcode exactly as \`pickle.dumps(..., protocol=4)\` does (checked byte for byte on 2,345 items), every tuple"
    echo "memoized: $(mk tuples_made .memo_entries) memo entries in 2a. 2c: \`pickle.dump({name: float32 array}, f, protocol=4)\`."
    echo "3: hand-written headers (\`__metadata__\` {\"format\": \"pt\"}, F32 tensors), random tensor bytes."
    echo
    echo "| machine | |"
    echo "| --- | --- |"
    echo "| CPU (/proc/cpuinfo model name) | ${R[cpu_model]} (SHA-NI: ${R[sha_ni]}) |"
    echo "| nproc | ${R[nproc]} |"
    echo "| memory | ${R[mem]} (\`free -g\`: ${R[free_g]}) |"
    echo "| kernel | ${R[kernel]} |"
    echo "| date | ${R[date]} |"
    echo "| Stoa | git HEAD ${R[stoa_rev]} (${R[stoa_dirty]} uncommitted changes under crates/ and Cargo.*), binary ${R[stoa_bin]} built ${R[stoa_bin_mtime]} |"
    echo "| quiet machine? | ${R[quiet]:-n/a} |"
    echo "| CPU used by other processes during the run | ${R[foreign]:-n/a} |"
    echo "| run time | $(elapsed "$T0") s in all, $(elapsed "$BENCH_T0") s after the wait for a quiet machine; build: $(build_text) |"
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
    CMDLINE="bench/scanning/run.sh"
    local k v
    for k in STOA_BIN STOA_NO_BUILD BENCH_PICKLESCAN_VERSION BENCH_TORCH_MB BENCH_TORCH_TENSORS BENCH_PICKLE_ITEMS \
             BENCH_SMALL_ITEMS BENCH_ARRAYS BENCH_ARRAYS_MB BENCH_SHARDS BENCH_SHARD_MB BENCH_RUNS BENCH_SLOW_RUNS \
             BENCH_SLOW_S BENCH_WAIT_QUIET BENCH_TIME_BUDGET; do
        v=$(printenv "$k") && CMDLINE="$k=${v#"$REPO_ROOT"/} $CMDLINE"
    done
    ensure_deps
    ensure_binary
    "$STOA_BIN" admin scan file --help >/dev/null 2>&1 || die "$STOA_BIN has no \`admin scan file\`"
    local need_kb=$(( (TORCH_MB > SHARDS * SHARD_MB ? TORCH_MB : SHARDS * SHARD_MB) * 1024 + 262144 ))
    [ "$(df -Pk "$TMP_PARENT" | awk 'NR==2{print $4}')" -gt "$need_kb" ] \
        || die "less than $((need_kb / 1024)) MiB free in $TMP_PARENT"
    TMP=$(mktemp -d "$TMP_PARENT/stoa-scanning.XXXXXX")
    wait_quiet || true
    BENCH_T0=$EPOCHREALTIME
    # a hard cap on the run (the build, the installs and the wait above are not counted)
    python3 -c 'import os, signal, sys, time; time.sleep(float(sys.argv[1])); os.kill(int(sys.argv[2]), signal.SIGTERM)' \
        "$TIME_BUDGET" "$$" </dev/null >/dev/null 2>&1 &
    PIDS+=("$!")
    describe_machine
    log "machine: ${R[cpu_model]}, nproc ${R[nproc]}, ${R[mem]}; tmp $TMP"
    python3 "$REPO_ROOT/bench/lib/foreign_cpu.py" "$$" 1 "$TMP/foreign.json" &
    FC_PID=$!
    PIDS+=("$FC_PID")
    case_torch
    case_pickles
    case_shards
    case_detection
    stop_foreign_cpu
    write_results
}

main "$@"
