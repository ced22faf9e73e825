#!/usr/bin/env bash
# Runs a fuzz target for a bounded time. Fails on any crash, leak, timeout, runaway
# allocation or broken property (see parser_fuzz.cc).
# Usage: run.sh BINARY SECONDS OUT_DIR [FILE.dict] [SEED_INPUTS...]
# OUT_DIR receives the growing corpus, fuzz.log and, on a finding, the input (crash-*, ...).
set -euo pipefail
binary=$(realpath "$1")
seconds=$2
out=$3
shift 3
mkdir -p "$out/corpus"
dict=()
for f in "$@"; do
  case "$f" in
    *.dict) dict=("-dict=$(realpath "$f")") ;;
    *) cp "$f" "$out/corpus/" ;;
  esac
done
cd "$out"
# -max_len bounds one input (deeper nesting than that allows is covered by unit tests);
# -timeout and -rss_limit_mb turn a hang or a runaway allocation into a finding.
if ! "$binary" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "${dict[@]}" corpus >fuzz.log 2>&1; then
  tail -60 fuzz.log >&2
  echo "fuzz: FINDING; the input is saved in $out" >&2
  exit 1
fi
grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" fuzz.log >&2 || true
