#!/usr/bin/env bash
# Watching training (--metrics FILE, --progress, --no-progress) in every execution mode:
#  - tests/watch/events.noma writes exactly the records of tests/watch/events.jsonl (steps with
#    hand-computed dyadic losses, an optimizer reset, max_iterations, growth, a batch loop with
#    epochs), identical in run, fast-run and build-exe once the "time" field is dropped;
#  - the growth example logs its growth events (the same in every mode);
#  - a run killed with SIGKILL keeps every record written before (each line complete);
#  - --progress draws the tqdm-like line on a pipe and clears it, --no-progress and a pipe
#    draw nothing; a bad --metrics path is a clear error (exit 1), a missing one a usage error.
#
#   metrics_test.sh NOMA TESTLIB EVENTS EVENTS_JSONL FOREVER XOR_GROWTH
set -uo pipefail
noma=$(realpath "$1")
source "$2"
events=$(realpath "$3")
expected=$(realpath "$4")
forever=$(realpath "$5")
xor=$(realpath "$6")

work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/metrics.XXXXXX")
cd "$work" || exit 1
mkdir -p tests/watch
cp "$events" tests/watch/events.noma
cp "$forever" tests/watch/forever.noma
cp "$xor" xor_growth.noma

# Runs PROGRAM in MODE with ARGS (stdout -> out.txt, stderr -> err.txt), wants exit CODE.
run_in() {  # MODE CODE PROGRAM ARGS...
  local mode=$1 code=$2 program=$3
  shift 3
  case "$mode" in
    run | fast-run) expect_exit "$code" "$noma" "$mode" "$program" "$@" ;;
    build-exe)
      expect_exit 0 "$noma" build-exe "$program" -o "exe.$(basename "$program" .noma)"
      expect_exit "$code" "./exe.$(basename "$program" .noma)" "$@"
      ;;
  esac
}

# The records without their trailing "time" (which must be a number).
strip_time() {  # FILE
  local bad
  bad=$(grep -cvE ',"time":[0-9.e+-]+}$' "$1")
  [ "$bad" -eq 0 ] || fail "$1: $bad record(s) without a trailing numeric time"
  sed -E 's/,"time":[0-9.e+-]+}$/}/' "$1"
}

for mode in run fast-run build-exe; do
  run_in "$mode" 0 tests/watch/events.noma --metrics "events.$mode.jsonl"
  [ "$(cat out.txt)" = $'1.71875\n0.9375' ] || fail "$mode: events.noma printed $(cat out.txt)"
  grep -q $'\r' err.txt && fail "$mode: a progress line on a pipe without --progress"
  strip_time "events.$mode.jsonl" >"events.$mode.records"
  diff -u "$expected" "events.$mode.records" >diff.txt ||
    fail "$mode: the metrics records differ from events.jsonl: $(cat diff.txt)"

  run_in "$mode" 0 xor_growth.noma --metrics "xor.$mode.jsonl"
  strip_time "xor.$mode.jsonl" >"xor.$mode.records"
  grep -q '^{"event":"growth","parameter":"w1","old_shape":\[2,2\],"new_shape":\[2,16\],"loop":"xor_growth.noma:14","step":[0-9]*}$' \
    "xor.$mode.records" || fail "$mode: no growth record for w1: $(grep growth "xor.$mode.records")"
  [ "$(grep -c '"event":"growth"' "xor.$mode.records")" -eq 3 ] ||
    fail "$mode: expected 3 growth records (w1, b1, w2)"
  tail -n 1 "xor.$mode.records" | grep -q '^{"event":"end","loop":"xor_growth.noma:14","reason":"condition","steps":[0-9]*}$' ||
    fail "$mode: the growth run does not end with its end record"
  if [ "$mode" != run ]; then
    cmp -s "xor.run.records" "xor.$mode.records" || fail "run and $mode log the growth run differently"
  fi

  # --progress on a pipe: the line is drawn (at the first step at least) and cleared.
  run_in "$mode" 0 tests/watch/events.noma --progress
  grep -qE $'\r\033\\[Koptimize tests/watch/events.noma:6  1/1000 \\[0%\\]  [0-9.e+]+ it/s  ETA [0-9:?]+  loss 1.000e\\+00' err.txt ||
    fail "$mode: --progress drew no progress line: $(od -c err.txt | head -5)"
  grep -qE 'optimize tests/watch/events.noma:19  1/2 epochs \[50%\]' err.txt ||
    fail "$mode: the batch loop's line does not count epochs: $(od -c err.txt | head -5)"
  grep -q '^warning: optimize at tests/watch/events.noma:11 reached max_iterations (2) with cond false$' \
    <(tr '\r' '\n' <err.txt | sed 's/^\x1b\[K//') || fail "$mode: the warning is not on a line of its own"
  run_in "$mode" 0 xor_growth.noma --progress
  grep -q 'optimize xor_growth.noma:14  1/20000 \[0%\]' err.txt || fail "$mode: xor: no progress line"
  [ "$(tail -c 4 err.txt | od -An -c | tr -d ' ')" = '\r033[K' ] ||
    fail "$mode: the progress line is not cleared when the loop ends"
  run_in "$mode" 0 tests/watch/events.noma --progress --no-progress
  grep -q $'\r' err.txt && fail "$mode: --no-progress still drew a progress line"

  # Bad paths.
  run_in "$mode" 1 tests/watch/events.noma --metrics no_such_dir/m.jsonl
  grep -qx "error: --metrics: cannot write 'no_such_dir/m.jsonl': No such file or directory" err.txt ||
    fail "$mode: unwritable --metrics: $(cat err.txt)"
  [ -s out.txt ] && fail "$mode: the program ran although its metrics file cannot be written"
  run_in "$mode" 2 tests/watch/events.noma --metrics
  grep -q "error: --metrics needs a file name (see --help)" err.txt ||
    fail "$mode: --metrics without a file: $(cat err.txt)"

  # A killed run keeps what it logged: wait for 50 records, SIGKILL, check every line.
  case "$mode" in
    build-exe)
      expect_exit 0 "$noma" build-exe tests/watch/forever.noma -o exe.forever
      ./exe.forever --metrics "killed.$mode.jsonl" >/dev/null 2>&1 &
      ;;
    *) "$noma" "$mode" tests/watch/forever.noma --metrics "killed.$mode.jsonl" >/dev/null 2>&1 & ;;
  esac
  pid=$!
  for _ in $(seq 600); do
    [ -f "killed.$mode.jsonl" ] && [ "$(wc -l <"killed.$mode.jsonl")" -ge 50 ] && break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  lines=$(wc -l <"killed.$mode.jsonl")
  [ "$lines" -ge 50 ] || fail "$mode: the killed run logged only $lines records"
  strip_time "killed.$mode.jsonl" >"killed.$mode.records"
  head -n 1 "killed.$mode.records" | grep -qx '{"event":"step","loop":"tests/watch/forever.noma:4","step":1,"loss":1,"lr":0.01}' ||
    fail "$mode: the killed run's first record: $(head -n 1 "killed.$mode.records")"
  # Every complete line is a step in order (the last may be cut only if the kill came mid-write,
  # which a flushed record never is).
  awk -F'"step":' '{split($2, a, ","); if (a[1] != NR) { print "line " NR ": " $0; exit 1 }}' \
    "killed.$mode.records" >awk.txt || fail "$mode: killed run records out of order: $(cat awk.txt)"
done

# The same records in every mode.
for mode in fast-run build-exe; do
  cmp -s events.run.records "events.$mode.records" || fail "run and $mode write different records"
done

finish "metrics and progress agree in run, fast-run and build-exe"
