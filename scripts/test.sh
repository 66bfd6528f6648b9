#!/usr/bin/env bash
# Runs every test of Stoa, installing what the tests need first:
#   system packages (git, git-lfs, curl), a Python venv with pinned huggingface_hub,
#   then format and lint gates, Rust unit and integration tests, and the compatibility
#   suite that drives the real `stoa` binary with the real clients.
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

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test (unit and in-process integration tests)"
cargo test --workspace

step "building the stoa binary"
cargo build -p stoa

step "compatibility suite (real huggingface_hub, curl)"
tests/compat/run.sh

step "all tests passed"
