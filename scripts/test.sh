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
# (procps) sends signals, `curl` with HTTP/2 is a client of the TLS tests, `openssl` makes the
# benchmark smoke check's TLS certificate (bench/certs.py).
missing=()
command -v ss >/dev/null 2>&1 || missing+=(iproute2)
command -v kill >/dev/null 2>&1 || missing+=(procps)
curl -V 2>/dev/null | grep -q '^Features:.* HTTP2' || missing+=(curl)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
        || fail "could not install ${missing[*]}"
fi

step "external tools (scripts/install-tools.sh: validators, schemathesis, chromium)"
bash scripts/install-tools.sh || fail "could not install the external tools" "bash scripts/install-tools.sh"

step "format (cargo fmt --check)"
cargo fmt --all -- --check || fail "formatting differs" "cargo fmt --all"

step "lints (cargo clippy -D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings || fail "clippy found problems" \
    "cargo clippy --workspace --all-targets -- -D warnings"

step "docs (cargo doc, warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet || fail "rustdoc warnings" \
    "RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps"

# Sums the `N passed` / `N failed` of every `test result:` line of a cargo test log.
count() { grep -Eo "^test result: .* [0-9]+ $1" "$2" | grep -Eo "[0-9]+ $1" | awk '{s+=$1} END {print s+0}'; }
# Prints the failing tests of a cargo test log, or says that none ran (a build failure).
failing() {
    grep -E '^test .* FAILED$' "$1" >&2 \
        || printf '  (no test failed: it did not build or crashed; see %s)\n' "$1" >&2
}

step "tests (unit, end-to-end over TCP, compile-fail, doctests)"
set +e
cargo test --workspace --locked 2>&1 | tee "$log_dir/cargo-test.log"
status=${PIPESTATUS[0]}
set -e
passed=$(count passed "$log_dir/cargo-test.log")
failed=$(count failed "$log_dir/cargo-test.log")

# Runs a cargo test command, its output kept in $log_dir/NAME.log, and sets NAME_status,
# NAME_passed and NAME_failed (a failing command counts as one failure if no test failed).
counted() {
    local name=$1
    shift
    set +e
    "$@" 2>&1 | tee "$log_dir/$name.log"
    local status=${PIPESTATUS[0]}
    set -e
    local passed_here failed_here
    passed_here=$(count passed "$log_dir/$name.log")
    failed_here=$(count failed "$log_dir/$name.log")
    if [ "$status" -ne 0 ] && [ "$failed_here" -eq 0 ]; then
        failed_here=1
    fi
    printf -v "${name}_status" '%s' "$status"
    printf -v "${name}_passed" '%s' "$passed_here"
    printf -v "${name}_failed" '%s' "$failed_here"
}

# The external checks: both OpenAPI validators on every example's document, headless Chromium
# on the docs pages, schemathesis against the running example. They are `#[ignore]`d in the
# plain run above, since they need the tools installed into .tools/.
step "external checks (openapi-spec-validator, redocly lint, chromium, schemathesis)"
OXAPI_TOOLS="$PWD/.tools" counted external \
    cargo test -p oxapi-tests --test e2e --locked -- --ignored external::

# examples/todo's end-to-end tests again, on PostgreSQL instead of SQLite files: a cluster of
# its own (scripts/postgres.sh installs Debian's package if missing, then runs it unprivileged
# in a temporary directory on a free loopback port), stopped by the trap whatever happens. If
# it cannot be installed or started, the step counts as failed.
step "todo end-to-end tests on PostgreSQL (scripts/postgres.sh)"
postgres_dir=$(mktemp -d "${TMPDIR:-/tmp}/oxapi-postgres.XXXXXX")
trap 'bash scripts/postgres.sh stop "$postgres_dir"' EXIT
if postgres_url=$(bash scripts/postgres.sh start "$postgres_dir"); then
    DATABASE_URL=$postgres_url counted postgres \
        cargo test -p oxapi-tests --test e2e --locked -- todo::
    postgres_problem=""
else
    postgres_status=1 postgres_passed=0 postgres_failed=1
    postgres_problem="PostgreSQL could not be installed or started (see its messages above)"
    printf '\n%s: the todo tests did not run on it\n' "$postgres_problem" >&2
fi
bash scripts/postgres.sh stop "$postgres_dir"

# Load: 10,000 keep-alive connections at once, then a burst of 5,000 new ones. Alone in its
# process, so that its sockets do not share the descriptor limit with the other tests.
step "load (10,000 keep-alive connections, a burst of 5,000)"
counted load cargo test -p oxapi-tests --test e2e --locked -- --ignored load:: --nocapture

# The blocking pool's wake protocol under every interleaving loom explores. `--cfg oxapi_loom`
# swaps the pool's locks and threads for loom's; its own target dir keeps the main build's
# cache intact.
step "loom models of the blocking pool (--cfg oxapi_loom)"
RUSTFLAGS="--cfg oxapi_loom" CARGO_TARGET_DIR=target/loom counted loom \
    cargo test -p oxapi --lib --release --locked pool::loom_models

# The fuzz target `request_path` (fuzz/, see fuzz/README.md): any request through the app's
# service must be answered below 500. A bounded run from the committed seeds; new inputs go to
# target/, so the committed corpus stays as it is. On stable without a sanitizer (safe Rust;
# `--dev` keeps overflow checks and builds in a few minutes); cargo-fuzz is installed if
# missing, and if it cannot be the step says so and counts as failed.
step "fuzz request_path (cargo fuzz run -s none --dev, 45 s or 100,000 runs)"
fuzz_status=0
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked || fuzz_status=$?
fi
if [ "$fuzz_status" -ne 0 ]; then
    printf '\nthe fuzz run did not start: cargo-fuzz could not be installed\n' >&2
else
    mkdir -p target/fuzz-corpus/request_path
    set +e
    (cd fuzz && cargo fuzz run -s none --dev request_path ../target/fuzz-corpus/request_path \
        corpus/request_path -- -max_total_time=45 -runs=100000) 2>&1 | tee "$log_dir/fuzz.log"
    fuzz_status=${PIPESTATUS[0]}
    set -e
fi

# The benchmark harness builds and its servers (oxapi, raw hyper, axum, actix-web, FastAPI)
# answer every endpoint correctly; no load is run and nothing is timed.
step "benchmark smoke check (python3 bench/run.py smoke)"
set +e
python3 bench/run.py smoke 2>&1 | tee "$log_dir/bench-smoke.log"
smoke_status=${PIPESTATUS[0]}
set -e
smoke_passed=$(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$log_dir/bench-smoke.log" | tail -1 | awk '{print $1+0}')
smoke_failed=$(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$log_dir/bench-smoke.log" | tail -1 | awk '{print $3+0}')
smoke_passed=${smoke_passed:-0}
smoke_failed=${smoke_failed:-0}
if [ "$smoke_status" -ne 0 ] && [ "$smoke_failed" -eq 0 ]; then
    smoke_failed=1
fi

# Three todo instances as three hosts (network namespaces) behind nginx on one PostgreSQL:
# SIGTERM one (zero client-visible errors), SIGKILL another (zero lost writes), restart both
# (they rejoin); deploy/'s files are checked against the running service. Needs root for
# `ip netns` (CI runs as root) and fails, rather than skips, without it; installs nginx if
# missing; cleans up everything it made whatever happens. Its report: target/cluster-report.json.
step "cluster proof (tests/cluster/proof.py: three hosts behind nginx, deploy/)"
cluster_python=python3
if ! python3 -c 'import yaml' 2>/dev/null && [ -x .tools/venv/bin/python ]; then
    cluster_python=.tools/venv/bin/python # PyYAML, a dependency of schemathesis
fi
set +e
"$cluster_python" tests/cluster/proof.py 2>&1 | tee "$log_dir/cluster.log"
cluster_status=${PIPESTATUS[0]}
set -e
cluster_passed=$(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$log_dir/cluster.log" | tail -1 | awk '{print $1+0}')
cluster_failed=$(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$log_dir/cluster.log" | tail -1 | awk '{print $3+0}')
cluster_passed=${cluster_passed:-0}
cluster_failed=${cluster_failed:-0}
if [ "$cluster_status" -ne 0 ] && [ "$cluster_failed" -eq 0 ]; then
    cluster_failed=1
fi

total_passed=$((passed + external_passed + postgres_passed + load_passed + loom_passed + smoke_passed + cluster_passed))
fuzz_failed=$((fuzz_status == 0 ? 0 : 1))
fuzz_passed=$((1 - fuzz_failed))
total_passed=$((total_passed + fuzz_passed))
total_failed=$((failed + external_failed + postgres_failed + load_failed + loom_failed + smoke_failed + fuzz_failed
    + cluster_failed))
if [ "$status" -ne 0 ]; then
    printf '\nFailing tests (cargo test --workspace):\n' >&2
    failing "$log_dir/cargo-test.log"
fi
if [ "$external_status" -ne 0 ]; then
    printf '\nFailing external checks:\n' >&2
    failing "$log_dir/external.log"
fi
if [ -n "$postgres_problem" ]; then
    printf '\n%s\n' "$postgres_problem" >&2
elif [ "$postgres_status" -ne 0 ]; then
    printf '\nFailing todo tests on PostgreSQL:\n' >&2
    failing "$log_dir/postgres.log"
fi
printf '\ntotal: %s passed, %s failed\n' "$total_passed" "$total_failed"
if [ "$status" -ne 0 ]; then
    fail "cargo test" "cargo test --workspace"
fi
if [ "$load_status" -ne 0 ]; then
    printf '\nFailing load test:\n' >&2
    failing "$log_dir/load.log"
fi
if [ "$loom_status" -ne 0 ]; then
    printf '\nFailing loom models:\n' >&2
    failing "$log_dir/loom.log"
fi
if [ "$smoke_status" -ne 0 ]; then
    printf '\nThe benchmark smoke check failed; see %s\n' "$log_dir/bench-smoke.log" >&2
fi
if [ "$cluster_status" -ne 0 ]; then
    printf '\nThe cluster proof failed (its FAILED lines above); logs in %s and target/cluster-logs/\n' \
        "$log_dir/cluster.log" >&2
fi
if [ "$external_status" -ne 0 ]; then
    fail "external checks" \
        "OXAPI_TOOLS=\$PWD/.tools cargo test -p oxapi-tests --test e2e -- --ignored external::"
fi
if [ "$postgres_status" -ne 0 ]; then
    fail "todo tests on PostgreSQL" \
        "bash scripts/postgres.sh run cargo test -p oxapi-tests --test e2e -- todo::"
fi
if [ "$load_status" -ne 0 ]; then
    fail "load test" "cargo test -p oxapi-tests --test e2e -- --ignored load:: --nocapture"
fi
if [ "$loom_status" -ne 0 ]; then
    fail "loom models" \
        "RUSTFLAGS='--cfg oxapi_loom' CARGO_TARGET_DIR=target/loom cargo test -p oxapi --lib --release pool::loom_models"
fi
if [ "$smoke_status" -ne 0 ]; then
    fail "benchmark smoke check" "python3 bench/run.py smoke"
fi
if [ "$cluster_status" -ne 0 ]; then
    fail "cluster proof" "python3 tests/cluster/proof.py"
fi
if [ "$fuzz_status" -ne 0 ]; then
    fail "fuzz run (a crash input, if any, is under fuzz/artifacts/request_path/)" \
        "cd fuzz && cargo fuzz run -s none --dev request_path corpus/request_path -- -max_total_time=45"
fi
if [ "$passed" -eq 0 ]; then
    fail "no test ran"
fi
if [ "$external_passed" -eq 0 ]; then
    fail "no external check ran"
fi
if [ "$postgres_passed" -eq 0 ]; then
    fail "no todo test ran on PostgreSQL"
fi
