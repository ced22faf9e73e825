#!/usr/bin/env bash
# A noma_binary under `bazel run` (BUILD_WORKING_DIRECTORY set, working directory elsewhere)
# writes a relative --metrics file into the user's directory.
#   exe_metrics_test.sh EXE
set -uo pipefail
exe=$(realpath "$1")
user=$(mktemp -d "${TEST_TMPDIR:-/tmp}/user.XXXXXX")
elsewhere=$(mktemp -d "${TEST_TMPDIR:-/tmp}/runfiles.XXXXXX")
cd "$elsewhere" || exit 1
BUILD_WORKING_DIRECTORY=$user "$exe" --seed 4 --metrics m.jsonl >out.txt 2>err.txt || {
  echo "FAIL: the executable failed: $(cat err.txt)" >&2
  exit 1
}
[ ! -e m.jsonl ] || { echo "FAIL: m.jsonl was written into the working directory" >&2; exit 1; }
grep -q '^{"event":"growth","parameter":"w1",' "$user/m.jsonl" || {
  echo "FAIL: no growth record in $user/m.jsonl: $(ls "$user")" >&2
  exit 1
}
tail -n 1 "$user/m.jsonl" | grep -q '^{"event":"end","loop":"examples/xor_growth.noma:14","reason":"condition",' || {
  echo "FAIL: the last record is not the loop's end: $(tail -n 1 "$user/m.jsonl")" >&2
  exit 1
}
echo "the metrics file is in the user's directory"
