#!/usr/bin/env bash
# Formats every tracked C++ file with clang-format and the repository's .clang-format (Google
# style, 120 columns).
#   bash tools/format.sh          # rewrite the files in place
#   bash tools/format.sh --check  # change nothing; list the files that differ and fail (part of `tools/setup.sh test`)
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.h')
if [ "${1:-}" = --check ]; then
  unformatted=()
  for f in "${files[@]}"; do clang-format "$f" | cmp -s - "$f" || unformatted+=("$f"); done
  if [ ${#unformatted[@]} -gt 0 ]; then
    printf 'not formatted (run bash tools/format.sh): %s\n' "${unformatted[@]}" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files follow .clang-format"
else
  clang-format -i "${files[@]}"
fi
