#!/usr/bin/env bash
# Speed, accuracy and cross-family identity of the runtime's elementary functions
# (bench/RESULTS.md). One thread.
#   bench/elementary/run_elementary_bench.sh [repetitions] [sweep points]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The runtime's kernel sources with the flags of noma/runtime/BUILD.bazel (RUNTIME_COPTS).
g++ -std=c++17 -O3 -ffp-contract=off -Wno-psabi -I. -o "$out/elementary_bench" \
  bench/elementary/elementary_bench.cc noma/runtime/internal/kernels.cc \
  noma/runtime/internal/threads.cc -lpthread
grep -m1 'model name' /proc/cpuinfo
uptime
"$out/elementary_bench" "${1:-9}" "${2:-4000000}"
