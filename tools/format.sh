#!/usr/bin/env bash
# Checks (default) or applies (--fix) clang-format's Google style on all project C++ files.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=check
case "${1:-}" in
  --fix) mode=fix ;;
  --check | "") ;;
  *) echo "usage: tools/format.sh [--check|--fix]" >&2; exit 2 ;;
esac
files=$(git ls-files '*.cc' '*.h' | grep -v '^third_party/' || true)
[ -n "$files" ] || exit 0
if [ "$mode" = fix ]; then
  clang-format -i $files
  exit 0
fi
bad=0
for f in $files; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "format: $f is not clang-formatted (run tools/format.sh --fix)" >&2
    bad=1
  fi
done
exit $bad
