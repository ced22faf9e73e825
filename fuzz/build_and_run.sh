#!/usr/bin/env bash
# Builds a fuzz target with clang-19 (libFuzzer + ASan + UBSan, fuzz/build.sh) and runs it by
# hand, e.g. a 10-minute run of the CSV reader's target:
#   fuzz/build_and_run.sh csv 600 /tmp/noma-fuzz-csv
# TARGET: parser (the front end's syntax), pipeline (the whole front end, `noma check`), csv,
# safetensors. The corpus in OUT_DIR persists between runs; a finding is saved there.
# Usage: build_and_run.sh [TARGET] SECONDS OUT_DIR     (TARGET defaults to parser)
set -euo pipefail
cd "$(dirname "$0")/.."
target=parser
if [[ ! "$1" =~ ^[0-9]+$ ]]; then
  target=$1
  shift
fi
seconds=$1
out=$2
mkdir -p "$out"
runtime_sources() { ls noma/runtime/*.cc noma/runtime/internal/*.cc | grep -v -e _test -e program.cc; }
case "$target" in
  parser)
    sources=(noma/syntax/*.cc noma/syntax/internal/*.cc)
    seeds=(fuzz/noma.dict fuzz/corpus/*)
    ;;
  pipeline)
    mapfile -t sources < <(ls noma/syntax/*.cc noma/syntax/internal/*.cc noma/graph/*.cc \
      noma/graph/internal/*.cc noma/autodiff/*.cc noma/autodiff/internal/*.cc noma/driver/pipeline.cc |
      grep -v -e _test -e runtime_kernels)
    seeds=(fuzz/noma.dict fuzz/corpus/* tests/*.noma examples/*.noma)
    ;;
  csv)
    mapfile -t sources < <(runtime_sources)
    sources+=(fuzz/scratch.cc)
    seeds=(fuzz/corpus_csv/*)
    ;;
  safetensors)
    mapfile -t sources < <(runtime_sources)
    sources+=(fuzz/scratch.cc)
    seeds=(fuzz/safetensors.dict fuzz/corpus_safetensors/*)
    ;;
  *)
    echo "build_and_run.sh: unknown target '$target' (parser, pipeline, csv, safetensors)" >&2
    exit 2
    ;;
esac
binary="$out/${target}_fuzz"
fuzz/build.sh "$binary" "fuzz/${target}_fuzz.cc" "${sources[@]}"
fuzz/run.sh "$binary" "$seconds" "$out" "${seeds[@]}"
