#!/usr/bin/env bash
# Fuzzes Stoa's untrusted-input parsers with cargo fuzz (libFuzzer + AddressSanitizer).
#   scripts/fuzz.sh [TARGET...] [--seconds N] [--build-only]
# TARGET: any of `cargo fuzz list` (default: all). Each target is built, then run for N seconds
# (default 600) one after the other, from fuzz/seeds/TARGET plus the growing working corpus
# fuzz/corpus/TARGET, with -rss_limit_mb=2048 -timeout=10. Per target it prints runs, exec/s,
# coverage (cov, ft), peak RSS and the crash / hang / OOM inputs found (kept in fuzz/artifacts/TARGET).
# Full libFuzzer logs: ${FUZZ_LOG_DIR:-/tmp/fuzz-logs}/TARGET.log. Exit status 1 when anything was found.
# Toolchain: nightly when rustup has one, else stable with RUSTC_BOOTSTRAP=1 (override: FUZZ_TOOLCHAIN).
# On a shared machine: nice -n 19 scripts/fuzz.sh ...
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
seconds=600
build_only=0
targets=()
while (($#)); do
    case $1 in
        --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
        --seconds=*) seconds=${1#*=}; shift ;;
        --build-only) build_only=1; shift ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[[ $seconds =~ ^[0-9]+$ ]] || { echo "fuzz.sh: --seconds takes a whole number" >&2; exit 2; }

log() { printf 'fuzz.sh: %s\n' "$*" >&2; }

if ! cargo fuzz --version >/dev/null 2>&1; then
    log "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

# cargo fuzz passes -Zsanitizer=address and other unstable flags: nightly, or stable told to allow them.
cargo_fuzz=(cargo fuzz)
# (rust-toolchain.toml pins the stable release the workspace uses, hence the explicit +toolchain.)
if [[ -n ${FUZZ_TOOLCHAIN:-} ]]; then
    cargo_fuzz=(cargo "+$FUZZ_TOOLCHAIN" fuzz)
    [[ $FUZZ_TOOLCHAIN == nightly* ]] || export RUSTC_BOOTSTRAP=1
elif command -v rustup >/dev/null && rustup toolchain list | grep -q '^nightly'; then
    cargo_fuzz=(cargo +nightly fuzz)
else
    log "no nightly toolchain: using the pinned stable with RUSTC_BOOTSTRAP=1"
    export RUSTC_BOOTSTRAP=1
fi

if ((${#targets[@]} == 0)); then
    mapfile -t targets < <("${cargo_fuzz[@]}" list)
fi

log_dir=${FUZZ_LOG_DIR:-/tmp/fuzz-logs}
mkdir -p "$log_dir"
# -a: debug assertions, so integer overflow panics too. Builds go to fuzz/target.
build_flags=(-a --target-dir "$root/fuzz/target")
found_any=0
summary=()

for target in "${targets[@]}"; do
    log "building $target"
    "${cargo_fuzz[@]}" build "${build_flags[@]}" "$target"
    ((build_only)) && continue

    corpus=$root/fuzz/corpus/$target
    seeds=$root/fuzz/seeds/$target
    artifacts=$root/fuzz/artifacts/$target
    mkdir -p "$corpus" "$seeds" "$artifacts"
    before=$(ls "$artifacts" | sort)
    log_file=$log_dir/$target.log
    started=$(date -u +%FT%TZ)
    log "running $target for ${seconds}s (log: $log_file)"
    status=0
    # New inputs go to the first directory (the working corpus); seeds are only read.
    "${cargo_fuzz[@]}" run "${build_flags[@]}" "$target" "$corpus" "$seeds" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" >"$log_file" 2>&1 || status=$?

    final_stat() { sed -n "s/^stat::$1: *//p" "$log_file" | tail -1; }
    last=$(grep -E '^#[0-9]+' "$log_file" | tail -1 || true)
    runs=$(final_stat number_of_executed_units)
    [[ -n $runs ]] || runs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
    eps=$(final_stat average_exec_per_sec)
    [[ -n $eps ]] || eps=$(sed -nE 's/.*exec\/s: ([0-9]+).*/\1/p' <<<"$last")
    rss=$(final_stat peak_rss_mb)
    [[ -n $rss ]] || rss=$(sed -nE 's/.*rss: ([0-9]+)Mb.*/\1/p' <<<"$last")
    cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<<"$last")
    corpus_size=$(sed -nE 's/.*corp: ([0-9]+\/[0-9]+[a-zA-Z]*).*/\1/p' <<<"$last")
    new=$(comm -13 <(printf '%s\n' "$before") <(ls "$artifacts" | sort) | sed '/^$/d' || true)
    crashes=$(sed '/^$/d' <<<"$new" | wc -l)
    line="$target: started $started, ${seconds}s, runs ${runs:-?}, exec/s ${eps:-?}, cov ${cov:-?}, ft ${ft:-?}, corpus ${corpus_size:-?}, peak RSS ${rss:-?} MB, findings $crashes (exit $status)"
    summary+=("$line")
    echo "$line"
    if ((status != 0 || crashes > 0)); then
        found_any=1
        grep -E 'panicked at|ERROR: libFuzzer|ERROR: AddressSanitizer|SUMMARY:' "$log_file" | head -5 | sed 's/^/    /' || true
        for file in $new; do
            echo "    $artifacts/$file: $(head -c 256 "$artifacts/$file" | od -An -tx1 -v | tr -d ' \n')"
            echo "    reproduce: ${cargo_fuzz[*]} run -a $target $artifacts/$file"
            echo "    minimise:  ${cargo_fuzz[*]} tmin -a $target $artifacts/$file"
        done
    fi
done

if ((${#summary[@]} > 1)); then
    echo "--- summary"
    printf '%s\n' "${summary[@]}"
fi
exit "$found_any"
