#!/usr/bin/env bash
# Steady-state training makes no heap allocations in compiled programs (docs/runtime.md):
# each program in tests/alloc/ reads its step count from steps.csv at run time, so the same
# compiled code runs 200 and then 1000 steps; `--alloc-stats` must report the same count for
# both from a build-exe executable, and (the JIT's own compilation varies by a few allocations
# from run to run, by about ten) within 32 of each other from fast-run: the 800 extra steps
# would add at least 800 if a step allocated anything.
#
#   alloc_steady_state_test.sh NOMA TESTLIB PROGRAM...
set -uo pipefail
noma=$(realpath "$1")
source "$2"
shift 2

work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/alloc.XXXXXX")
count() {  # prints the number from the alloc-stats line of err.txt
  sed -n 's/^alloc-stats: \([0-9]*\) heap allocations$/\1/p' err.txt
}
programs=0
for program in "$@"; do
  program=$(realpath "$program")
  name=$(basename "$program" .noma)
  programs=$((programs + 1))
  (cd "$work" && "$noma" build-exe "$program" -o "$work/$name") || fail "$name: build-exe failed"
  declare -A exe fast
  for steps in 200 1000; do
    echo "$steps" >"$work/steps.csv"
    cd "$work" || exit 1
    expect_exit 0 "$work/$name" --alloc-stats
    exe[$steps]=$(count)
    [ -n "${exe[$steps]}" ] || fail "$name: no alloc-stats line from the executable: $(cat err.txt)"
    exe_out=$(cat out.txt)
    expect_exit 0 "$noma" fast-run "$program" --alloc-stats
    fast[$steps]=$(count)
    [ -n "${fast[$steps]}" ] || fail "$name: no alloc-stats line from fast-run: $(cat err.txt)"
    [ "$(cat out.txt)" = "$exe_out" ] || fail "$name: fast-run and the executable print differently"
    cd - >/dev/null || exit 1
  done
  [ "${exe[200]}" = "${exe[1000]}" ] ||
    fail "$name: the executable made ${exe[200]} allocations in 200 steps, ${exe[1000]} in 1000"
  diff=$((fast[1000] - fast[200]))
  [ "${diff#-}" -le 32 ] ||
    fail "$name: fast-run made ${fast[200]} allocations in 200 steps, ${fast[1000]} in 1000"
  echo "$name: executable ${exe[200]} / ${exe[1000]}, fast-run ${fast[200]} / ${fast[1000]}"
done
[ "$programs" -ge 2 ] || fail "expected at least 2 programs, got $programs"
finish "ok: no allocations per step in $programs programs"
