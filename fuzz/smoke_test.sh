#!/usr/bin/env bash
# Bazel test: fuzz the parser for 20 seconds, starting from the seed corpus.
# Usage (from BUILD.bazel): smoke_test.sh BINARY DICT SEEDS...
set -euo pipefail
binary=$1
shift
exec fuzz/run.sh "$binary" 20 "${TEST_TMPDIR:-/tmp}/parser_fuzz" "$@"
