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
  # one clang-format process for all files (one per file took minutes on a loaded machine);
  # each difference is reported as FILE:LINE:COL: error: code should be clang-formatted
  out=$("$cf" --dry-run -Werror "${files[@]}" 2>&1)
  rc=$?
  mapfile -t bad < <(printf '%s\n' "$out" | sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' | sort -u)
  for f in "${bad[@]}"; do
    echo "format: $f differs from .clang-format (tools/format.sh fixes it)"
  done
  echo "format: ${#files[@]} files, ${#bad[@]} not formatted"
  if [ $rc -ne 0 ] && [ ${#bad[@]} -eq 0 ]; then
    printf '%s\n' "$out" | tail -5 >&2 # clang-format failed for another reason
    exit 1
  fi
  [ ${#bad[@]} -eq 0 ]
  exit
fi
"$cf" -i "${files[@]}"
