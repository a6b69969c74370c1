#!/usr/bin/env bash
# tests/run.sh - run test binaries, count cmocka results, print "N passed, N failed".
# A binary that dies without a cmocka summary counts as one failure.
set -u
passed=0
failed=0
for t in "$@"; do
    name=$(basename "$t")
    out=$(mktemp)
    "$t" >"$out" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
    if ! grep -q '^\[  PASSED  \]\|^\[  FAILED  \]' "$out"; then
        f=$((f + 1))
    elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
        echo "---- $name: $p passed, $f failed (exit $rc)"
        cat "$out"
    else
        echo "ok   $name: $p passed"
    fi
    rm -f "$out"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
