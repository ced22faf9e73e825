#!/usr/bin/env bash
# GEMM and elementary functions of the runtime against OpenBLAS dgemm (bench/RESULTS.md).
# Needs OpenBLAS: tools/bootstrap.sh libopenblas0-pthread libopenblas-dev.
#   bench/gemm/run_gemm_bench.sh [repetitions]
# One thread each unless NOMA_THREADS / OPENBLAS_NUM_THREADS say otherwise; NOMA_CPU=avx2
# measures the AVX2 kernels on an AVX-512 CPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The runtime's kernel sources with the flags of noma/runtime/BUILD.bazel (RUNTIME_COPTS).
g++ -std=c++17 -O3 -ffp-contract=off -I. -o "$out/gemm_vs_openblas" bench/gemm/gemm_vs_openblas.cc \
  noma/runtime/internal/gemm.cc noma/runtime/internal/kernels.cc noma/runtime/internal/threads.cc \
  -lopenblas -lpthread
grep -m1 'model name' /proc/cpuinfo
echo "vector ISA flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(sse4_2|avx|avx2|fma|avx512f|avx512dq|avx512vl)$' | tr '\n' ' ')"
uptime
NOMA_THREADS=${NOMA_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} \
  "$out/gemm_vs_openblas" "${1:-7}"
