#!/usr/bin/env bash
# Bazel test: fuzz a clang-built target (the parser's, the front end's) for 20 seconds,
# starting from the seed corpus.
# Usage (from BUILD.bazel): smoke_test.sh BINARY DICT SEEDS...
set -euo pipefail
binary=$1
shift
exec fuzz/run.sh "$binary" 20 "${TEST_TMPDIR:-/tmp}/$(basename "$binary")" "$@"
