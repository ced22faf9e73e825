#!/usr/bin/env bash
# Builds the parser fuzz target with clang-19 (-fsanitize=fuzzer,address) and runs it for a
# bounded time on the seed corpus. Usage: build_and_run.sh SECONDS OUT_DIR SOURCES...
# Fails on any crash, leak, timeout or round-trip mismatch the fuzzer finds.
set -euo pipefail
seconds=$1
out=$2
shift 2
clang=$(command -v clang++-19 || true)
if [ -z "$clang" ]; then
  echo "fuzz: clang++-19 is not installed (tools/bootstrap.sh installs it)" >&2
  exit 1
fi
mkdir -p "$out/corpus"
sources=()
corpus=()
for f in "$@"; do
  case "$f" in
    *.cc) sources+=("$f") ;;
    *corpus/*) corpus+=("$f") ;;
  esac
done
cp "${corpus[@]}" "$out/corpus/" 2>/dev/null || true
absl_libs="-labsl_strings -labsl_strings_internal -labsl_str_format_internal -labsl_status \
  -labsl_statusor -labsl_int128 -labsl_throw_delegate -labsl_raw_logging_internal \
  -labsl_base -labsl_spinlock_wait -labsl_cord -labsl_cord_internal -labsl_cordz_info \
  -labsl_cordz_handle -labsl_cordz_functions -labsl_synchronization -labsl_time \
  -labsl_time_zone -labsl_stacktrace -labsl_symbolize -labsl_debugging_internal \
  -labsl_demangle_internal -labsl_malloc_internal -labsl_graphcycles_internal \
  -labsl_exponential_biased -labsl_raw_hash_set -labsl_hash -labsl_city -labsl_low_level_hash \
  -labsl_bad_optional_access -labsl_strerror"
# shellcheck disable=SC2086
"$clang" -std=c++17 -O1 -g -fsanitize=fuzzer,address -Wno-deprecated-declarations -I. "${sources[@]}" \
  -o "$out/parser_fuzz" $absl_libs
"$out/parser_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$out/corpus" 2>"$out/fuzz.log" || {
  tail -40 "$out/fuzz.log" >&2
  exit 1
}
grep -E "stat::number_of_executed_units|Done" "$out/fuzz.log" >&2 || true
