#!/usr/bin/env bash
# Runs every test of Stoa, installing what the tests need first:
#   system packages (git, git-lfs, curl, PostgreSQL, ClamAV's clamd), a local S3 server (s3s-fs, built once
#   into ~/.cache/stoa-tools), a Python venv with pinned huggingface_hub; then format and lint
#   gates, Rust unit and integration tests (stores against SQLite, PostgreSQL, files, memory
#   and S3), and the compatibility suite that drives the real `stoa` binary with the real
#   clients, on the embedded defaults and on PostgreSQL + S3; then the web pages in headless Chromium
#   (scripts/browser.sh installs Debian's chromium and chromium-driver; tests/web/run.sh).
# Usage: scripts/test.sh          (from anywhere; CI runs exactly this via .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

need_packages=()
for tool in git git-lfs curl; do
  command -v "$tool" >/dev/null 2>&1 || need_packages+=("$tool")
done
if ((${#need_packages[@]})); then
  step "installing system packages: ${need_packages[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_packages[@]}" >/dev/null
fi

# Throwaway PostgreSQL and S3 servers on loopback, stopped when this script ends.
services=$(mktemp -d /tmp/stoa-test-services.XXXXXX)
chmod 755 "$services" # PostgreSQL runs as its own user and must reach its data dir below
stop_services() {
  scripts/postgres.sh stop "$services/pg" >/dev/null 2>&1 || true
  scripts/s3.sh stop "$services/s3" >/dev/null 2>&1 || true
  scripts/clamd.sh stop "$services/clamd" >/dev/null 2>&1 || true
  rm -rf "$services"
}
trap stop_services EXIT
step "starting PostgreSQL, S3 and ClamAV (clamd) for the tests"
# Assigned first so that a service that fails to start stops this script (set -e).
pg_env=$(scripts/postgres.sh "$services/pg")
s3_env=$(scripts/s3.sh "$services/s3")
clamd_env=$(scripts/clamd.sh "$services/clamd")
eval "$pg_env"
eval "$s3_env"
eval "$clamd_env"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test (unit and in-process integration tests)"
cargo test --workspace

step "building the stoa binary"
cargo build -p stoa

step "compatibility suite (real huggingface_hub, curl; embedded, then PostgreSQL + S3)"
tests/compat/run.sh

step "web tests (headless Chromium)"
scripts/browser.sh
tests/web/run.sh

step "all tests passed"
