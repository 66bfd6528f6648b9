#!/usr/bin/env bash
# Runs the huggingface_hub compatibility suite against the real `stoa` binary, in two
# configurations (embedded SQLite + local files; PostgreSQL + S3) and two upload paths each:
#   (a) default environment (hf_xet installed, Xet available): the server answers `regular` in
#       preupload, so uploads go inline in the commit. Runs every test not marked `lfs`.
#   (b) HF_HUB_DISABLE_XET=1: the classic LFS path (preupload -> LFS batch -> PUT -> verify ->
#       commit with lfsFile). Runs the tests marked `lfs`.
#   (c), (d) the same two on PostgreSQL and S3 (fresh database and key prefix per run), plus
#       the tests marked `scaleout` (several nodes sharing them).
# All must pass for this script to exit 0.
#
# Usage: tests/compat/run.sh [extra pytest args...]
# Env:   STOA_BIN        server binary (default: <repo>/target/debug/stoa; build it first)
#        PYTHON          interpreter used to create <repo>/.venv (default: python3)
#        STOA_COMPAT_SKIP_SLOW=1   leave out the 200 MB upload test (marked `slow`)
#        STOA_COMPAT_KEEP_DATA=1   keep the server's temp data dir after the run
#        STOA_TEST_DATABASE_URL, STOA_TEST_S3_*   the services of runs (c) and (d)
#        STOA_COMPAT_EMBEDDED_ONLY=1   run (a) and (b) only
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
cd "$HERE"

# Never let a developer's own Hub settings leak into the runs.
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_ENDPOINT HF_HUB_OFFLINE HUGGINGFACE_CO_STAGING HF_HUB_DISABLE_XET \
      HF_HOME HF_HUB_CACHE STOA_INLINE_UPLOAD_MAX_BYTES 2>/dev/null || true

slow=""
if [ "${STOA_COMPAT_SKIP_SLOW:-}" = "1" ]; then
  slow=" and not slow"
fi

# Runs (c) and (d) need PostgreSQL and S3: scripts/test.sh starts both (scripts/postgres.sh,
# scripts/s3.sh). Leaving them out takes an explicit STOA_COMPAT_EMBEDDED_ONLY=1.
scaleout=1
if [ -z "${STOA_TEST_DATABASE_URL:-}" ] || [ -z "${STOA_TEST_S3_ENDPOINT:-}" ]; then
  if [ "${STOA_COMPAT_EMBEDDED_ONLY:-}" = "1" ]; then
    scaleout=0
    log "NOT running the PostgreSQL + S3 runs (c) and (d): STOA_COMPAT_EMBEDDED_ONLY=1"
  else
    echo "ERROR: STOA_TEST_DATABASE_URL and STOA_TEST_S3_* are not set." >&2
    echo "       Start the services first: eval \"\$(scripts/postgres.sh)\"; eval \"\$(scripts/s3.sh)\"" >&2
    echo "       or set STOA_COMPAT_EMBEDDED_ONLY=1 to run only the embedded configuration." >&2
    exit 2
  fi
fi

# One pytest run: label, marker expression, then extra VAR=value settings for the server.
run_suite() {
  local label="$1" marker="$2"
  shift 2
  # Settings are shown without their values' secrets.
  log "run ($label): -m '$marker' $(printf '%s ' "$@" | sed -E 's/(SECRET[A-Z_]*=)[^ ]*/\1***/g')"
  local started
  started=$(date +%s)
  env STOA_COMPAT_LABEL="$label" "$@" "$VENV/bin/python" -m pytest -p no:randomly -m "$marker" \
    --junitxml="$HERE/artifacts/junit-$label.xml" "${PYTEST_ARGS[@]}"
  local rc=$?
  RESULTS+=("$label|$rc|$(( $(date +%s) - started ))")
}

# A fresh database and key prefix per scale-out run.
scaleout_env() {
  local name="stoa_compat_$1_$$"
  psql "$STOA_TEST_DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >&2
  echo "STOA_DATABASE_URL=${STOA_TEST_DATABASE_URL%/*}/$name"
  echo "STOA_S3_ENDPOINT=$STOA_TEST_S3_ENDPOINT"
  echo "STOA_S3_REGION=$STOA_TEST_S3_REGION"
  echo "STOA_S3_BUCKET=$STOA_TEST_S3_BUCKET"
  echo "STOA_S3_ACCESS_KEY_ID=$STOA_TEST_S3_ACCESS_KEY_ID"
  echo "STOA_S3_SECRET_ACCESS_KEY=$STOA_TEST_S3_SECRET_ACCESS_KEY"
  echo "STOA_S3_PREFIX=compat-$1-$$"
}

PYTEST_ARGS=("$@")
RESULTS=()
rm -f "$HERE"/artifacts/junit-*.xml
run_suite a-embedded "not lfs and not scaleout$slow"
run_suite b-embedded-lfs "lfs and not scaleout$slow" HF_HUB_DISABLE_XET=1
if [ "$scaleout" = "1" ]; then
  mapfile -t env_c < <(scaleout_env c)
  run_suite c-postgres-s3 "not lfs$slow" "${env_c[@]}"
  # Multipart above 50 MB, so hf_hub's multipart path goes straight to S3 as well.
  mapfile -t env_d < <(scaleout_env d)
  run_suite d-postgres-s3-lfs "lfs$slow" HF_HUB_DISABLE_XET=1 STOA_LFS_MULTIPART_THRESHOLD_BYTES=52428800 \
    STOA_LFS_MULTIPART_CHUNK_BYTES=16777216 "${env_d[@]}"
fi

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

echo
echo "=================== stoa compatibility summary ==================="
total_passed=0
total_failed=0
all_ok=1
for result in "${RESULTS[@]}"; do
  IFS='|' read -r label rc seconds <<< "$result"
  read -r p f e k <<< "$(counts "$HERE/artifacts/junit-$label.xml")"
  printf '  (%s) %-26s %s passed, %s failed, %s errors, %s skipped  [%ss]\n' \
    "$label" "$(describe "$rc")" "$p" "$f" "$e" "$k" "$seconds"
  total_passed=$(( total_passed + p ))
  total_failed=$(( total_failed + f + e ))
  [ "$rc" -eq 0 ] || all_ok=0
done
echo "  server logs: $HERE/artifacts/stoa-server-<run>.log"
echo "=================================================================="
if [ "$all_ok" = "1" ]; then
  echo "compat: ${total_passed} passed, ${total_failed} failed"
  exit 0
fi
if [ "$total_failed" -eq 0 ]; then
  total_failed=1  # a run failed without a test failure (usage error, no tests, crash): never report green
fi
echo "compat: ${total_passed} passed, ${total_failed} failed"
exit 1
