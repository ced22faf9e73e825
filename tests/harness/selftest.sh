#!/usr/bin/env bash
# Tests tests/run_e2e.sh itself with a fake `noma` (fake_noma.sh) in all three modes: passing
# and failing programs, cross-mode differences in stdout, stderr and written files, ARGS,
# MODES, data files, fresh working directories, broken directives.
set -uo pipefail

runfile() {
  local root
  for root in "${TEST_SRCDIR:-}" "${RUNFILES_DIR:-}"; do
    if [ -n "$root" ] && [ -e "$root/noma/$1" ]; then
      echo "$root/noma/$1"
      return
    fi
  done
  echo "$PWD/$1"
}

RUNNER=$(runfile tests/run_e2e.sh)
export NOMA_BIN=$(runfile tests/harness/fake_noma.sh)
export NOMA_FILECHECK=$(runfile tools/filecheck/noma_filecheck)
export NOMA_E2E_MODES="run fast-run build-exe"
log=$(mktemp "${TEST_TMPDIR:-/tmp}/selftest.XXXXXX")
failures=0

case_() {  # expected-status fixture [grep-pattern-the-log-must-contain]
  local want=$1 fixture=tests/harness/$2 pattern=${3:-}
  bash "$RUNNER" "$fixture" tests/harness/data/x.csv >"$log" 2>&1
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $fixture: runner exit $got, expected $want" >&2
    sed 's/^/  | /' "$log" >&2
    failures=$((failures + 1))
  elif [ -n "$pattern" ] && ! grep -q -e "$pattern" "$log"; then
    echo "FAIL: $fixture: the runner's output lacks '$pattern'" >&2
    sed 's/^/  | /' "$log" >&2
    failures=$((failures + 1))
  else
    echo "ok: $fixture -> $got"
  fi
}

case_ 0 pass.noma "mode build-exe: ok"
case_ 1 fail_stdout.noma "stdout line 1 does not match"
case_ 1 diverge.noma "modes 'run' and 'fast-run' differ in stdout"
case_ 1 diverge_stderr.noma "modes 'run' and 'build-exe' differ in stderr"
case_ 0 args.noma
case_ 0 data.noma
case_ 0 files_fresh.noma
case_ 1 files_differ.noma "modes 'run' and 'fast-run' differ in files"
case_ 0 modes_only.noma "mode fast-run: skipped"
case_ 1 modes_unknown.noma "unknown mode 'fastrun'"
case_ 0 error_exit.noma
case_ 1 wrong_exit.noma "exit code: expected 0, got 1"
case_ 0 path.noma
case_ 1 broken.noma "broken directives"
NOMA_E2E_MODES=run case_ 0 build_only.noma "no enabled mode"
NOMA_E2E_MODES="run jit" case_ 1 pass.noma "unknown mode 'jit'"

# The fixtures' data file was only copied, never written through.
if [ "$(cat "$(runfile tests/harness/data/x.csv)")" != "1,2" ]; then
  echo "FAIL: the runner let a program write into the source tree" >&2
  failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "all run_e2e.sh self-tests passed"
