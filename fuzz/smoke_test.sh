#!/usr/bin/env bash
# Bazel test: build the fuzz target and fuzz the parser for 20 seconds.
set -euo pipefail
exec fuzz/build_and_run.sh 20 "${TEST_TMPDIR:-/tmp}/parser_fuzz" "$@"
