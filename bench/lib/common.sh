# Helpers shared by the benchmark scripts (sourced after they set their variables: T0, NOTES,
# PIDS, R, TMP, STOA_BIN, REPO_ROOT, STOA_NO_BUILD, the BENCH_* quiet-machine knobs, FC_PID,
# RESULTS_MD, SECTION_TITLE, WRITE_RESULTS). A script that needs another behaviour defines the
# function again after sourcing this file.
# shellcheck shell=bash

elapsed() { awk -v a="$EPOCHREALTIME" -v b="$1" 'BEGIN{printf "%.1f", a-b}'; }

log() { printf '[%6ss] %s\n' "$(elapsed "$T0")" "$*" >&2; }

note() { NOTES+=("$*"); log "NOTE: $*"; }

die() { note "run aborted: $*"; exit 1; }

lt() { awk -v a="$1" -v b="$2" 'BEGIN{ exit !(a+0 < b+0) }'; }

untrack() { local p keep=(); for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done; PIDS=("${keep[@]}"); }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

kill_pid() { # a pid this script started: TERM, then KILL after 5 s
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

# run a command in the background and wait for it, so that a trapped INT/TERM ends the run at once
bgwait() {
    "$@" &
    local pid=$! rc
    PIDS+=("$pid")
    wait "$pid"; rc=$?
    untrack "$pid"
    return $rc
}

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
        local t=$EPOCHREALTIME
        (cd "$REPO_ROOT" && cargo build --release -p stoa) || die "cargo build --release -p stoa failed"
        R[build_s]=$(elapsed "$t")
        STOA_BIN=$REPO_ROOT/target/release/stoa
    elif [ "$need" = 1 ]; then
        note "STOA_NO_BUILD=1: using $STOA_BIN although it is missing or older than the sources"
    fi
    [ -x "$STOA_BIN" ] || die "no Stoa binary at $STOA_BIN"
}

# ---- quiet machine ----------------------------------------------------------
busy_reason() {
    local load why=() procs
    load=$(cut -d' ' -f1 /proc/loadavg)
    lt "$load" "$QUIET_LOAD" || why+=("load average $load")
    procs=$( { pgrep -x 'cargo|rustc' -l; pgrep -f -l 'pytest'; } 2>/dev/null | awk '{print $2}' | sort | uniq -c \
        | awk '{printf "%s%s x%s", (NR>1?", ":""), $2, $1}')
    [ -n "$procs" ] && why+=("running: $procs")
    [ ${#why[@]} -gt 0 ] && printf '%s' "${why[*]}"
    return 0
}

wait_quiet() {
    local start=$EPOCHREALTIME why
    [ "$WAIT_QUIET" -gt 0 ] || { R[quiet]="not checked (BENCH_WAIT_QUIET=0)"; return 0; }
    while :; do
        why=$(busy_reason)
        if [ -z "$why" ]; then
            R[quiet]="quiet after $(elapsed "$start") s of waiting (load average $(cut -d' ' -f1-3 /proc/loadavg))"
            log "machine quiet: ${R[quiet]}"
            return 0
        fi
        if ! lt "$(elapsed "$start")" "$WAIT_QUIET"; then
            R[quiet]="**not quiet** after $(elapsed "$start") s of waiting ($why); measured anyway"
            note "the machine never became quiet (waited $(elapsed "$start") s, max $WAIT_QUIET s): $why; measured anyway"
            return 1
        fi
        log "waiting for a quiet machine: $why"
        sleep "$QUIET_POLL"
    done
}

stop_foreign_cpu() {
    [ -n "$FC_PID" ] || return 0
    kill -TERM "$FC_PID" 2>/dev/null; wait "$FC_PID" 2>/dev/null; untrack "$FC_PID"; FC_PID=""
    [ -s "$TMP/foreign.json" ] || return 0
    local j; j=$(cat "$TMP/foreign.json")
    R[foreign]="mean $(jq -r .mean_pct_of_one_core <<<"$j") %, max $(jq -r .max_pct_of_one_core <<<"$j") % of one core; $(jq -r .busy_windows <<<"$j") of $(jq -r .windows <<<"$j") one-second windows above 25 %; most: $(jq -r '[.top[] | select(.cpu_s > 0) | "\(.comm) \(.cpu_s) s"] | join(", ") | if . == "" then "none" else . end' <<<"$j")"
    if [ "$(jq -r '(.busy_windows * 10 > .windows) or (.mean_pct_of_one_core > 10)' <<<"$j")" = true ]; then
        note "other processes used CPU during the run (${R[foreign]}): the figures may be off; repeat on an idle machine"
    fi
}

write_results() {
    local section="$TMP/section.md"
    section_md > "$section"
    cat "$section"
    if [ "$WRITE_RESULTS" != 1 ]; then
        log "BENCH_WRITE_RESULTS=$WRITE_RESULTS: $RESULTS_MD left unchanged"
        return 0
    fi
    # replace the previous section (from its title to the next level-2 title or the end), else append
    python3 - "$RESULTS_MD" "$section" "$SECTION_TITLE" <<'PY'
import sys
path, section_path, title = sys.argv[1:4]
try:
    lines = open(path, encoding="utf-8").read().splitlines()
except FileNotFoundError:
    lines = []
section = open(section_path, encoding="utf-8").read().rstrip("\n").splitlines()
out, skipping = [], False
for line in lines:
    if line.strip() == title:
        skipping = True
        continue
    if skipping and line.startswith("## "):
        skipping = False
    if not skipping:
        out.append(line)
while out and out[-1] == "":
    out.pop()
out += [""] + section if out else section
open(path, "w", encoding="utf-8").write("\n".join(out) + "\n")
PY
    log "section written to $RESULTS_MD"
}
