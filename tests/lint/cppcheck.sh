#!/bin/sh
# tests/lint/cppcheck.sh - static analysis of the gateway's sources.
#
# cppcheck reads core/, providers/, handlers/, db/ and gateway/ with the
# posix, gnu, libcurl, sqlite3 and openssl library models, at the
# warning and portability levels as well as errors. Every finding is
# printed; the check fails (exit 1) on error-level findings. Findings that
# are wrong are suppressed by id and file in
# tests/lint/cppcheck-suppressions.txt (or inline: cppcheck-suppress id).
set -eu
cd "$(dirname "$0")/../.."
command -v cppcheck >/dev/null || { echo "cppcheck: not found (make deps installs it)" >&2; exit 1; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
cppcheck -q --std=c11 -D_GNU_SOURCE -j "${CPPCHECK_JOBS:-2}" \
    --library=posix,gnu,libcurl,sqlite3,openssl --enable=warning,portability \
    --inline-suppr --suppressions-list=tests/lint/cppcheck-suppressions.txt \
    --template='{severity}: {file}:{line}: {message} [{id}]' \
    core providers handlers db gateway >"$out" 2>&1 || rc=$?
cat "$out"
if [ "${rc:-0}" -ne 0 ]; then
    echo "cppcheck: failed to run (exit $rc)"
    exit 1
fi
errors=$(grep -c '^error: ' "$out" || true)
others=$(grep -c '^[a-z]*: ' "$out" || true)
if [ "$errors" -gt 0 ]; then
    echo "cppcheck: $errors error(s), $((others - errors)) other finding(s)"
    exit 1
fi
echo "cppcheck: no errors ($others other finding(s))"
