#!/usr/bin/env bash
# tests/browser/run.sh - run the office dashboard's browser tests (runner.js) against $GATEWAY_BIN.
# Prints one line per test and the cmocka-style summary that tests/run.sh counts.
set -u
# Relative paths are taken from where the script was called, before the cd below.
case "${GATEWAY_BIN:-}" in /* | '') ;; *) GATEWAY_BIN="$PWD/$GATEWAY_BIN" ;; esac
case "${BROWSER_ARTIFACTS:-}" in /* | '') ;; *) BROWSER_ARTIFACTS="$PWD/$BROWSER_ARTIFACTS" ;; esac
export GATEWAY_BIN BROWSER_ARTIFACTS
cd "$(dirname "$0")" || exit 1
if [ ! -d node_modules/playwright-core ]; then
    echo "tests/browser: node_modules is missing: run make deps (npm ci --prefix tests/browser)" >&2
    exit 1
fi
exec node runner.js "$@"
