#!/usr/bin/env bash
# Runs the web tests: the real `stoa` binary driven by headless Chromium (Selenium with Debian's
# chromium and chromedriver, installed by scripts/browser.sh). Screenshots of every step, and on a
# failure the page source and browser console, go to tests/web/artifacts/.
#
# Usage: tests/web/run.sh [extra pytest args...]
# Env:   STOA_BIN     server binary (default: <repo>/target/debug/stoa; build it first)
#        PYTHON       interpreter used to create <repo>/.venv if it is missing (default: python3)
#        STOA_WEB_KEEP_DATA=1   keep the server's temp data dir
# Exit code: pytest's (0 all passed, 1 failures, 2+ errors).
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

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  "$REPO_ROOT/scripts/browser.sh" || { echo "ERROR: could not install chromium (scripts/browser.sh)" >&2; exit 2; }
fi

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  log "creating virtualenv $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" || { echo "ERROR: could not create $VENV" >&2; exit 2; }
fi

log "installing $(grep -v '^#' "$HERE/requirements.txt" | tr '\n' ' ')"
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$HERE/requirements.txt"; then
  echo "ERROR: pip install -r $HERE/requirements.txt failed" >&2
  exit 2
fi
if ! "$VENV/bin/python" -c 'import huggingface_hub' >/dev/null 2>&1; then
  # One pin for the client: the compat suite's.
  log "installing huggingface_hub as pinned in tests/compat/requirements.txt"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REPO_ROOT/tests/compat/requirements.txt" || {
    echo "ERROR: pip install -r tests/compat/requirements.txt failed" >&2; exit 2; }
fi
"$VENV/bin/python" -c 'import selenium, pytest, huggingface_hub; print("selenium", selenium.__version__, "| pytest", pytest.__version__, "| huggingface_hub", huggingface_hub.__version__)'
/usr/bin/chromium --version 2>/dev/null | head -1

mkdir -p "$HERE/artifacts"
rm -f "$HERE"/artifacts/*.png "$HERE"/artifacts/*.html "$HERE"/artifacts/*.console.txt
cd "$HERE"

# Never let a developer's own Hub settings leak into the run.
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_ENDPOINT HF_HUB_OFFLINE HUGGINGFACE_CO_STAGING HF_HUB_DISABLE_XET \
      HF_HOME HF_HUB_CACHE 2>/dev/null || true

log "web tests (headless Chromium) against $STOA_BIN"
rm -f "$HERE/artifacts/junit-web.xml"
"$VENV/bin/python" -m pytest --junitxml="$HERE/artifacts/junit-web.xml" "$@"
rc=$?
echo "screenshots, page sources and the server log: $HERE/artifacts"
# One closing line with the counts (failures and errors together), as tests/compat/run.sh prints.
"$VENV/bin/python" - "$HERE/artifacts/junit-web.xml" "$rc" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print("web: 0 passed, 1 failed")  # pytest did not get as far as writing its report
    sys.exit()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = f = e = s = 0
for su in suites:
    t += int(su.get("tests", 0)); f += int(su.get("failures", 0))
    e += int(su.get("errors", 0)); s += int(su.get("skipped", 0))
failed = f + e
if failed == 0 and sys.argv[2] != "0":
    failed = 1  # a run that failed without a failing test (usage error, no tests) is never green
print(f"web: {t - f - e - s} passed, {failed} failed" + (f", {s} skipped" if s else ""))
PY
exit $rc
