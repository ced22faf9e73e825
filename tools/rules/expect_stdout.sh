#!/usr/bin/env bash
# Runs PROGRAM [ARGS...] and compares its standard output with the file EXPECTED: prints a
# unified diff and fails on any difference or a non-zero exit status. Used by sh_tests of
# programs that link a noma_library (examples/BUILD.bazel).
#
#   expect_stdout.sh PROGRAM EXPECTED [ARGS...]
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: expect_stdout.sh PROGRAM EXPECTED [ARGS...]" >&2; exit 2; }
program=$1
expected=$2
shift 2
actual=$(mktemp "${TEST_TMPDIR:-${TMPDIR:-/tmp}}/stdout.XXXXXX")
status=0
"$program" "$@" </dev/null >"$actual" || status=$?
if ! diff -u --label "expected stdout" --label "actual stdout" "$expected" "$actual"; then
  echo "expect_stdout: the output of $program differs from $expected (diff above)" >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "expect_stdout: $program exited with status $status" >&2
  exit 1
fi
echo "expect_stdout: PASS ($program)"
