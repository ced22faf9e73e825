#!/usr/bin/env bash
# Proves the third-party prefix indirection (third_party/system_libs.bzl): builds the CLI with
# every NOMA_*_PREFIX variable pointed at a different directory of symlinks to the Debian
# files, in a separate Bazel output base, checks that the generated repositories use those
# prefixes, and runs the built tool. Not part of `bazel test //...` (it runs Bazel itself).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(mktemp -d /tmp/noma-prefixes.XXXXXX)
trap 'rm -rf "$root"' EXIT
multiarch=/usr/lib/x86_64-linux-gnu

make_prefix() {  # name, include entries..., then '--', library globs...
  local dir="$root/$1"
  shift
  mkdir -p "$dir/include" "$dir/lib"
  while [ "$1" != "--" ]; do ln -s "/usr/include/$1" "$dir/include/$1"; shift; done
  shift
  for pattern in "$@"; do
    for lib in $multiarch/$pattern; do ln -s "$lib" "$dir/lib/"; done
  done
}

mkdir -p "$root/llvm"
ln -s /usr/lib/llvm-19/include "$root/llvm/include"
ln -s /usr/lib/llvm-19/lib "$root/llvm/lib"
make_prefix absl absl -- 'libabsl_*.so*'
make_prefix re2 re2 -- 'libre2.so*'
make_prefix gtest gtest gmock -- 'libgtest*.a' 'libgmock*.a'
make_prefix benchmark benchmark -- 'libbenchmark*'

export NOMA_LLVM_PREFIX="$root/llvm" NOMA_ABSL_PREFIX="$root/absl" NOMA_RE2_PREFIX="$root/re2"
export NOMA_GTEST_PREFIX="$root/gtest" NOMA_BENCHMARK_PREFIX="$root/benchmark"
output_base="$root/output_base"
bazel --output_base="$output_base" build --jobs=2 //tools:noma //noma/graph:verifier_test //bench:syntax_bench \
  //third_party:llvm_smoke_test //tools/filecheck:noma_filecheck
external="$output_base/external"
for lib in llvm absl re2 gtest benchmark; do
  if ! grep -q "$root/$lib" "$external/$lib/BUILD.bazel"; then
    echo "check_prefixes: @$lib does not use $root/$lib" >&2
    exit 1
  fi
done
out=$("$output_base"/execroot/noma/bazel-out/k8-opt/bin/tools/noma run examples/linear_regression.noma)
echo "$out"
[ "$(echo "$out" | tail -n 1)" = "1" ] || { echo "check_prefixes: example failed" >&2; exit 1; }
bazel --output_base="$output_base" shutdown
echo "check_prefixes: OK (every library came from its NOMA_*_PREFIX)"
