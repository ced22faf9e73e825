#!/usr/bin/env bash
# Runs noma_test scripts that must fail (tools/rules/BUILD.bazel): each must exit with status 1
# and explain why (a diff of the standard output, or the exit statuses).
#
#   noma_test_selftest.sh TEST_SCRIPT...
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: noma_test_selftest.sh TEST_SCRIPT..." >&2; exit 2; }
failures=0
for script in "$@"; do
  log="$TEST_TMPDIR/$(basename "$script").log"
  status=0
  "$script" >"$log" 2>&1 || status=$?
  if [ "$status" -ne 1 ]; then
    echo "FAIL: $script exited with status $status, expected 1 (a failing noma_test):" >&2
    cat "$log" >&2
    failures=$((failures + 1))
    continue
  fi
  if ! grep -q -e "differs from the expected output" -e "exited with status" "$log"; then
    echo "FAIL: $script failed without saying why:" >&2
    cat "$log" >&2
    failures=$((failures + 1))
    continue
  fi
  echo "ok: $script fails as it should:"
  sed 's/^/    /' "$log"
done
[ "$failures" -eq 0 ]
