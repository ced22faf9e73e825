#!/usr/bin/env bash
# Builds and runs the parser fuzz target by hand, e.g. for a 10-minute run:
#   fuzz/build_and_run.sh 600 /tmp/noma-fuzz
# The corpus in OUT_DIR persists between runs. Usage: build_and_run.sh SECONDS OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=$1
out=$2
mkdir -p "$out"
fuzz/build.sh "$out/parser_fuzz" fuzz/parser_fuzz.cc noma/syntax/*.cc noma/syntax/internal/*.cc
fuzz/run.sh "$out/parser_fuzz" "$seconds" "$out" fuzz/noma.dict fuzz/corpus/*
