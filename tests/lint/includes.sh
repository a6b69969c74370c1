#!/bin/sh
# tests/lint/includes.sh - include direction: the layers include one way.
#
# core/ includes only core/; providers/, handlers/ and db/ include only
# core/ and their own folder; gateway/ and tests/ may include anything.
# Only quoted includes are project files: each is resolved against the
# including file's folder. System headers (<...>) are not checked. Prints
# every include that breaks the rule and exits 1 when there is one.
# Run from anywhere: it checks the repository it sits in.
set -eu
cd "$(dirname "$0")/../.."

files=$(find core providers handlers db -type f \( -name '*.c' -o -name '*.h' \) 2>/dev/null | sort)
[ -n "$files" ] || { echo "includes: no sources found" >&2; exit 1; }

# shellcheck disable=SC2086 # word splitting of $files is intended (no spaces in names)
awk '
function top(path) { sub(/\/.*/, "", path); return path }
# The repository-relative form of inc included from file, or "" when it
# leaves the repository.
function resolve(file, inc,    dir, parts, n, i, out, k, stack) {
    dir = file
    sub(/\/[^\/]*$/, "", dir)
    n = split(dir "/" inc, parts, "/")
    k = 0
    for (i = 1; i <= n; i++) {
        if (parts[i] == "" || parts[i] == ".") continue
        if (parts[i] == "..") { if (k == 0) return ""; k--; continue }
        stack[++k] = parts[i]
    }
    out = ""
    for (i = 1; i <= k; i++) out = out (i > 1 ? "/" : "") stack[i]
    return out
}
/^[ \t]*#[ \t]*include[ \t]*"/ {
    inc = $0
    sub(/^[^"]*"/, "", inc)
    sub(/".*$/, "", inc)
    layer = top(FILENAME)
    target = resolve(FILENAME, inc)
    to = target == "" ? "" : top(target)
    ok = (to == "core") || (layer != "core" && to == layer)
    if (!ok) {
        printf "%s:%d: %s includes \"%s\" (%s): %s may include only %s\n", FILENAME, FNR, layer, inc,
               target == "" ? "outside the repository" : target, layer,
               layer == "core" ? "core/" : "core/ and " layer "/"
        bad++
    }
}
END {
    if (bad) { printf "includes: %d include(s) against the layering\n", bad; exit 1 }
}
' $files
echo "includes: ok"
