#!/usr/bin/env bash
# Compiles a fuzz target with clang-19 (-fsanitize=fuzzer,address,undefined); Bazel's toolchain
# is gcc, which has no libFuzzer. Usage: build.sh OUTPUT SOURCES...
# SOURCES: the target (e.g. parser_fuzz.cc) and the *.cc/*.h of the libraries it tests
# (headers are ignored here; they are listed so that Bazel rebuilds when they change). Abseil
# comes from NOMA_ABSL_PREFIX (/usr).
set -euo pipefail
output=$1
shift
clang=$(command -v clang++-19 || true)
if [ -z "$clang" ]; then
  echo "fuzz: clang++-19 is not installed (tools/bootstrap.sh installs it)" >&2
  exit 1
fi
sources=()
for f in "$@"; do
  case "$f" in
    *_test.cc) ;;
    *.cc) sources+=("$f") ;;
  esac
done
flags=()
absl_prefix=${NOMA_ABSL_PREFIX:-/usr}
if [ "$absl_prefix" != /usr ]; then
  flags+=(-I"$absl_prefix/include" -L"$absl_prefix/lib")
fi
# The Abseil libraries NOMA uses (strings, str_format, status, hash containers) and their
# dependencies.
absl_libs=(-labsl_raw_hash_set -labsl_hash -labsl_city -labsl_low_level_hash -labsl_status -labsl_statusor -labsl_str_format_internal -labsl_strings
  -labsl_strings_internal -labsl_cord -labsl_cord_internal -labsl_cordz_info
  -labsl_cordz_handle -labsl_cordz_functions -labsl_exponential_biased -labsl_synchronization
  -labsl_graphcycles_internal -labsl_stacktrace -labsl_symbolize -labsl_debugging_internal
  -labsl_demangle_internal -labsl_malloc_internal -labsl_time -labsl_time_zone -labsl_int128
  -labsl_throw_delegate -labsl_raw_logging_internal -labsl_base -labsl_spinlock_wait
  -labsl_bad_optional_access -labsl_strerror)
# UBSan's checks abort (-fno-sanitize-recover), so undefined behaviour is a finding too.
"$clang" -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -ffp-contract=off -Wall -Wextra -Wno-deprecated-declarations -pthread \
  -I. "${flags[@]}" "${sources[@]}" -o "$output" "${absl_libs[@]}"
