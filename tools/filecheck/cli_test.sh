#!/usr/bin/env bash
# Tests the noma_filecheck command line: exit status 0 (match), 1 (mismatch), 2 (usage or
# broken directives), and the --print-args / --print-modes helpers used by tests/run_e2e.sh.
set -uo pipefail

FC=$1
dir=$(mktemp -d "${TEST_TMPDIR:-/tmp}/fc_cli.XXXXXX")
failures=0

expect() {  # expected-status description command...
  local want=$1 what=$2
  shift 2
  "$@" >"$dir/out" 2>"$dir/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: exit $got, expected $want" >&2
    sed 's/^/  stdout: /' "$dir/out" >&2
    sed 's/^/  stderr: /' "$dir/err" >&2
    failures=$((failures + 1))
  fi
}

cat >"$dir/p.noma" <<'NOMA'
// A test program.
fn main() {
    print(tensor [1, 2]);  // CHECK: [1, 2]
    print(0.1 + 0.2);      // CHECK: 0.{{30+}}4
}
// CHECK-ERR: tests/p.noma:{{[0-9]+}}:{{[0-9]+}}: warning: {{.*}}
// EXIT: 0
// ARGS: --seed 3 --check-nan
// MODES: run fast-run
NOMA
printf '[1, 2]\n0.30000000000000004\n' >"$dir/good.out"
printf '[1, 2]\n0.3\n' >"$dir/bad.out"
printf 'tests/p.noma:4:11: warning: something\n   4 | x\n' >"$dir/good.err"
: >"$dir/empty"

expect 0 "matching run" "$FC" --program "$dir/p.noma" --stdout "$dir/good.out" \
  --stderr "$dir/good.err" --exit-code 0
expect 1 "wrong stdout" "$FC" --program "$dir/p.noma" --stdout "$dir/bad.out" \
  --stderr "$dir/good.err" --exit-code 0
grep -q "stdout line 2 does not match the CHECK at $dir/p.noma:4" "$dir/err" ||
  { echo "FAIL: report does not locate the mismatch:" >&2; cat "$dir/err" >&2; failures=$((failures + 1)); }
expect 1 "missing stderr" "$FC" --program "$dir/p.noma" --stdout "$dir/good.out" \
  --stderr "$dir/empty" --exit-code 0
expect 1 "wrong exit code" "$FC" --program "$dir/p.noma" --stdout "$dir/good.out" \
  --stderr "$dir/good.err" --exit-code 1

expect 0 "--print-args" "$FC" --print-args "$dir/p.noma"
[ "$(cat "$dir/out")" = "--seed 3 --check-nan" ] ||
  { echo "FAIL: --print-args printed '$(cat "$dir/out")'" >&2; failures=$((failures + 1)); }
expect 0 "--print-modes" "$FC" --print-modes "$dir/p.noma"
[ "$(cat "$dir/out")" = "run fast-run" ] ||
  { echo "FAIL: --print-modes printed '$(cat "$dir/out")'" >&2; failures=$((failures + 1)); }

printf 'fn main() {}\n' >"$dir/plain.noma"
expect 0 "--print-args without ARGS" "$FC" --print-args "$dir/plain.noma"
[ "$(cat "$dir/out")" = "" ] || { echo "FAIL: expected no args" >&2; failures=$((failures + 1)); }
expect 0 "empty run of a program without directives" "$FC" --program "$dir/plain.noma" \
  --stdout "$dir/empty" --stderr "$dir/empty" --exit-code 0

printf '// CHECK: {{[0-9}}\n' >"$dir/broken.noma"
expect 2 "invalid regex" "$FC" --program "$dir/broken.noma" --stdout "$dir/empty" \
  --stderr "$dir/empty" --exit-code 0
grep -q "broken.noma:1:" "$dir/err" ||
  { echo "FAIL: broken directive not located:" >&2; cat "$dir/err" >&2; failures=$((failures + 1)); }
expect 2 "broken directive with --print-args" "$FC" --print-args "$dir/broken.noma"

expect 2 "no arguments" "$FC"
expect 2 "unknown option" "$FC" --frobnicate x
expect 2 "missing value" "$FC" --program
expect 2 "missing program file" "$FC" --program "$dir/nope.noma" --stdout "$dir/empty" \
  --stderr "$dir/empty" --exit-code 0
expect 2 "missing --exit-code" "$FC" --program "$dir/plain.noma" --stdout "$dir/empty" \
  --stderr "$dir/empty"
expect 2 "missing output file" "$FC" --program "$dir/plain.noma" --stdout "$dir/nope" \
  --stderr "$dir/empty" --exit-code 0
expect 0 "--help" "$FC" --help

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "all noma_filecheck CLI checks passed"
