#!/usr/bin/env bash
# Installs the external tools the test suite checks oxapi against, into `.tools/` (ignored by
# git), on a fresh machine:
#
#   .tools/venv   Python venv: openapi-spec-validator, schemathesis, prometheus-client (its
#                 text-format parser reads the metrics page), websockets (the WebSocket
#                 conformance set's client)
#   .tools/npm    npm prefix: @redocly/cli
#   chromium      Debian package, system-wide (headless browser for the docs pages)
#
# Idempotent: what is already installed at the pinned version is skipped, so a second run
# takes about a second and changes nothing.
#
#   bash scripts/install-tools.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned versions. Changing one reinstalls that tool on the next run.
OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0
SCHEMATHESIS_VERSION=4.32.5
WEBSOCKETS_VERSION=17.4
PROMETHEUS_CLIENT_VERSION=0.26.0
REDOCLY_CLI_VERSION=2.77.0

tools="$PWD/.tools"
mkdir -p "$tools"

# shellcheck source=scripts/lib.sh
source scripts/lib.sh
log="$tools/install.log"

# --- Python: openapi-spec-validator, schemathesis and websockets, in a venv -----------------
venv="$tools/venv"
want_python="openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION schemathesis==$SCHEMATHESIS_VERSION websockets==$WEBSOCKETS_VERSION prometheus-client==$PROMETHEUS_CLIENT_VERSION"
stamp="$venv/.oxapi-installed"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want_python" ] \
    && [ -x "$venv/bin/openapi-spec-validator" ] && [ -x "$venv/bin/schemathesis" ]; then
    say "python tools present ($want_python)"
else
    command -v python3 >/dev/null 2>&1 || die "python3 is not on PATH"
    say "installing $want_python into .tools/venv"
    rm -rf "$venv"
    python3 -m venv "$venv" >"$log" 2>&1 || die "python3 -m venv .tools/venv" "$log"
    # shellcheck disable=SC2086  # word splitting of the package list is intended
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $want_python \
        >"$log" 2>&1 || die "pip install $want_python" "$log"
    "$venv/bin/openapi-spec-validator" --help >/dev/null 2>&1 \
        || die "openapi-spec-validator does not run"
    "$venv/bin/schemathesis" --version >"$log" 2>&1 || die "schemathesis does not run" "$log"
    "$venv/bin/python" -c "import websockets" >"$log" 2>&1 || die "websockets does not import" "$log"
    "$venv/bin/python" -c "import prometheus_client.parser" >"$log" 2>&1 \
        || die "prometheus_client does not import" "$log"
    printf '%s' "$want_python" >"$stamp"
    say "installed: $("$venv/bin/schemathesis" --version 2>/dev/null | head -n 1)," \
        "openapi-spec-validator $OPENAPI_SPEC_VALIDATOR_VERSION, websockets $WEBSOCKETS_VERSION"
fi

# --- npm: @redocly/cli, in a local prefix --------------------------------------------------
npm_prefix="$tools/npm"
redocly_json="$npm_prefix/node_modules/@redocly/cli/package.json"
installed_redocly=""
if [ -f "$redocly_json" ]; then
    installed_redocly=$(node -p "require(process.argv[1]).version" "$redocly_json" 2>/dev/null || true)
fi
if [ "$installed_redocly" = "$REDOCLY_CLI_VERSION" ] && [ -x "$npm_prefix/node_modules/.bin/redocly" ]; then
    say "@redocly/cli present ($REDOCLY_CLI_VERSION)"
else
    command -v npm >/dev/null 2>&1 || die "npm is not on PATH"
    say "installing @redocly/cli@$REDOCLY_CLI_VERSION into .tools/npm"
    mkdir -p "$npm_prefix"
    npm install --prefix "$npm_prefix" --no-audit --no-fund --no-update-notifier --loglevel=error \
        --save-exact "@redocly/cli@$REDOCLY_CLI_VERSION" >"$log" 2>&1 \
        || die "npm install @redocly/cli@$REDOCLY_CLI_VERSION" "$log"
    REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
        "$npm_prefix/node_modules/.bin/redocly" --version >"$log" 2>&1 \
        || die "redocly does not run" "$log"
    say "installed: @redocly/cli $(cat "$log" | tail -n 1)"
fi

# --- Chromium: Debian's package ------------------------------------------------------------
if command -v chromium >/dev/null 2>&1; then
    say "chromium present ($(chromium --version 2>/dev/null | head -n 1))"
else
    command -v apt-get >/dev/null 2>&1 || die "chromium is missing and apt-get is not available"
    say "installing chromium (apt-get)"
    apt-get update -qq >"$log" 2>&1 || die "apt-get update" "$log"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >"$log" 2>&1 \
        || die "apt-get install chromium" "$log"
    command -v chromium >/dev/null 2>&1 || die "chromium is still not on PATH after apt-get install"
    say "installed: $(chromium --version 2>/dev/null | head -n 1)"
fi

rm -f "$log"
say "all tools ready in $tools"
