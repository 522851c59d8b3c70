#!/usr/bin/env bash
# tools/format.sh - formats every C/C++ source of the tree with the pinned .clang-format
# (clang-format 14, Debian 12's `clang-format` package; tools/setup.sh installs it).
#
#   tools/format.sh            rewrite the files that differ
#   tools/format.sh --check    change nothing; list the files that differ, exit 1 if any
set -uo pipefail
cd "$(dirname "$0")/.."
cf=${CLANG_FORMAT:-clang-format}
if ! command -v "$cf" >/dev/null; then
  echo "format: $cf not found (Debian package clang-format; tools/setup.sh installs it)" >&2
  exit 2
fi
version=$("$cf" --version)
case "$version" in
  *"version 14."*) ;;
  *) echo "format: .clang-format is pinned for clang-format 14, not: $version" >&2; exit 2 ;;
esac
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cc' 2>/dev/null || find engine kernels io coord tools bench tests include -name '*.[ch]' -o -name '*.cc')
if [ "${1:-}" = "--check" ]; then
  bad=0
  for f in "${files[@]}"; do
    if ! "$cf" --dry-run -Werror "$f" >/dev/null 2>&1; then
      echo "format: $f differs from .clang-format (tools/format.sh fixes it)"
      bad=$((bad + 1))
    fi
  done
  echo "format: ${#files[@]} files, $bad not formatted"
  [ $bad -eq 0 ]
  exit
fi
"$cf" -i "${files[@]}"
