#!/bin/sh
# tests/lint/format.sh - the format check: every C source and header is
# clang-format clean under the repository's .clang-format.
#
# Files that were not clean when the check was introduced are listed in
# tests/lint/format-exclude.txt and skipped; every other file, a new one
# included, must be clean. Reformat a listed file whole (clang-format -i)
# and remove it from the list; the check names listed files that have
# become clean. Prints the files that are not clean and exits 1 when there
# is one. CLANG_FORMAT picks the binary (default clang-format).
set -eu
cd "$(dirname "$0")/../.."
cf=${CLANG_FORMAT:-clang-format}
command -v "$cf" >/dev/null || { echo "format: $cf not found (make deps installs it)" >&2; exit 1; }
exclude=tests/lint/format-exclude.txt

bad=0
checked=0
for f in $(find core providers handlers db gateway tests -type f \( -name '*.c' -o -name '*.h' \) | sort); do
    if grep -qxF "$f" "$exclude"; then
        if "$cf" --dry-run --Werror "$f" >/dev/null 2>&1; then
            echo "format: $f is clean now: remove it from $exclude"
        fi
        continue
    fi
    checked=$((checked + 1))
    if ! "$cf" --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "format: $f is not clang-format clean (see: $cf $f | diff $f -)"
        bad=$((bad + 1))
    fi
done
for f in $(grep -v '^#' "$exclude"); do
    [ -f "$f" ] || echo "format: $f is listed in $exclude but does not exist"
done
if [ "$bad" -gt 0 ]; then
    echo "format: $bad of $checked files not clean"
    exit 1
fi
echo "format: $checked files clean ($(grep -vc '^#' "$exclude") listed as not yet formatted)"
