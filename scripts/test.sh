#!/usr/bin/env bash
# The whole oxapi test suite, on a fresh machine: installs what the tests need, then runs
# every check. A second run skips what is already installed.
#
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

log_dir=target/test-logs
mkdir -p "$log_dir"

step() { printf '\n==> %s\n' "$*"; }
fail() {
    printf '\nFAILED: %s\n' "$1" >&2
    [ $# -gt 1 ] && printf '  to reproduce: %s\n' "$2" >&2
    exit 1
}

# System tools the process tests call: `ss` (iproute2) reads the listen backlog, `kill`
# (procps) sends signals.
missing=()
command -v ss >/dev/null 2>&1 || missing+=(iproute2)
command -v kill >/dev/null 2>&1 || missing+=(procps)
if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
        || fail "could not install ${missing[*]}"
fi

step "format (cargo fmt --check)"
cargo fmt --all -- --check || fail "formatting differs" "cargo fmt --all"

step "lints (cargo clippy -D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings || fail "clippy found problems" \
    "cargo clippy --workspace --all-targets -- -D warnings"

step "docs (cargo doc, warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet || fail "rustdoc warnings" \
    "RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps"

step "tests (unit, end-to-end over TCP, compile-fail, doctests)"
set +e
cargo test --workspace --locked 2>&1 | tee "$log_dir/cargo-test.log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -Eo '^test result: .* ([0-9]+) passed' "$log_dir/cargo-test.log" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '^test result: .* ([0-9]+) failed' "$log_dir/cargo-test.log" | grep -Eo '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
if [ "$status" -ne 0 ]; then
    printf '\nFailing tests:\n' >&2
    grep -E '^test .* FAILED$|^    [a-z_:]+$' "$log_dir/cargo-test.log" >&2 || true
    printf '\ntotal: %s passed, %s failed\n' "$passed" "$failed"
    fail "cargo test" "cargo test --workspace"
fi
if [ "$passed" -eq 0 ]; then
    fail "no test ran"
fi
printf '\ntotal: %s passed, %s failed\n' "$passed" "$failed"
