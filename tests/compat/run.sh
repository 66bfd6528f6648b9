#!/usr/bin/env bash
# Runs the huggingface_hub compatibility suite against the real `stoa` binary, twice:
#   (a) default environment (hf_xet installed, Xet available): the server answers `regular` in
#       preupload, so uploads go inline in the commit. Runs every test not marked `lfs`.
#   (b) HF_HUB_DISABLE_XET=1: the classic LFS path (preupload -> LFS batch -> PUT -> verify ->
#       commit with lfsFile). Runs the tests marked `lfs`.
# Both must pass for this script to exit 0.
#
# Usage: tests/compat/run.sh [extra pytest args...]
# Env:   STOA_BIN        server binary (default: <repo>/target/debug/stoa; build it first)
#        PYTHON          interpreter used to create <repo>/.venv (default: python3)
#        STOA_COMPAT_SKIP_SLOW=1   leave out the 200 MB upload test (marked `slow`)
#        STOA_COMPAT_KEEP_DATA=1   keep the server's temp data dir after the run
set -u -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$REPO_ROOT/.venv"
PYTHON="${PYTHON:-python3}"
export STOA_BIN="${STOA_BIN:-$REPO_ROOT/target/debug/stoa}"

log() { printf '\n==> %s\n' "$*"; }

if [ ! -x "$STOA_BIN" ]; then
  echo "ERROR: stoa binary not found or not executable at $STOA_BIN" >&2
  echo "       build it first (cargo build -p stoa) or set STOA_BIN." >&2
  exit 2
fi

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  log "creating virtualenv $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" || { echo "ERROR: could not create $VENV" >&2; exit 2; }
fi

log "installing $(tr '\n' ' ' < "$HERE/requirements.txt" | sed 's/#[^ ]* //g')"
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$HERE/requirements.txt"; then
  echo "ERROR: pip install -r $HERE/requirements.txt failed" >&2
  exit 2
fi
"$VENV/bin/python" -c 'import huggingface_hub, hf_xet, pytest; print("huggingface_hub", huggingface_hub.__version__, "| hf_xet", getattr(hf_xet, "__version__", "?"), "| pytest", pytest.__version__)'

mkdir -p "$HERE/artifacts"
rm -f "$HERE/artifacts/junit-default.xml" "$HERE/artifacts/junit-lfs.xml"
cd "$HERE"

# Never let a developer's own Hub settings leak into the runs.
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_ENDPOINT HF_HUB_OFFLINE HUGGINGFACE_CO_STAGING HF_HUB_DISABLE_XET \
      HF_HOME HF_HUB_CACHE STOA_INLINE_UPLOAD_MAX_BYTES 2>/dev/null || true

default_marker="not lfs"
if [ "${STOA_COMPAT_SKIP_SLOW:-}" = "1" ]; then
  default_marker="not lfs and not slow"
fi

log "run (a): default environment (Xet available: large files go through the CAS) -m '$default_marker'"
start_a=$(date +%s)
"$VENV/bin/python" -m pytest -p no:randomly -m "$default_marker" \
  --junitxml="$HERE/artifacts/junit-default.xml" "$@"
rc_a=$?
dur_a=$(( $(date +%s) - start_a ))

log "run (b): HF_HUB_DISABLE_XET=1 (classic LFS) -m lfs"
start_b=$(date +%s)
HF_HUB_DISABLE_XET=1 "$VENV/bin/python" -m pytest -p no:randomly -m lfs \
  --junitxml="$HERE/artifacts/junit-lfs.xml" "$@"
rc_b=$?
dur_b=$(( $(date +%s) - start_b ))

describe() {
  case "$1" in
    0) echo "PASSED" ;;
    1) echo "FAILED (some tests failed)" ;;
    2) echo "INTERRUPTED" ;;
    3) echo "INTERNAL ERROR" ;;
    4) echo "USAGE ERROR" ;;
    5) echo "NO TESTS COLLECTED" ;;
    *) echo "ERROR (exit $1)" ;;
  esac
}

counts() {
  # "<passed> <failed> <errors> <skipped>" from a junit xml (empty if missing)
  local xml="$1"
  [ -f "$xml" ] || { echo "0 0 0 0"; return; }
  "$VENV/bin/python" - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = f = e = s = 0
for su in suites:
    t += int(su.get("tests", 0)); f += int(su.get("failures", 0))
    e += int(su.get("errors", 0)); s += int(su.get("skipped", 0))
print(t - f - e - s, f, e, s)
PY
}

read -r pa fa ea sa <<< "$(counts "$HERE/artifacts/junit-default.xml")"
read -r pb fb eb sb <<< "$(counts "$HERE/artifacts/junit-lfs.xml")"

echo
echo "=================== stoa compatibility summary ==================="
printf '  (a) default / Xet available : %-26s %s passed, %s failed, %s errors, %s skipped  [%ss]\n' \
  "$(describe $rc_a)" "$pa" "$fa" "$ea" "$sa" "$dur_a"
printf '  (b) HF_HUB_DISABLE_XET=1    : %-26s %s passed, %s failed, %s errors, %s skipped  [%ss]\n' \
  "$(describe $rc_b)" "$pb" "$fb" "$eb" "$sb" "$dur_b"
echo "  server logs: $HERE/artifacts/stoa-server-default.log, $HERE/artifacts/stoa-server-lfs.log"
echo "=================================================================="
total_passed=$(( pa + pb ))
total_failed=$(( fa + ea + fb + eb ))
if [ "$rc_a" -eq 0 ] && [ "$rc_b" -eq 0 ]; then
  echo "compat: ${total_passed} passed, ${total_failed} failed"
  exit 0
fi
if [ "$total_failed" -eq 0 ]; then
  total_failed=1  # a run failed without a test failure (usage error, no tests, crash): never report green
fi
echo "compat: ${total_passed} passed, ${total_failed} failed"
exit 1
