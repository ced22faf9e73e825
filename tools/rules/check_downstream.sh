#!/usr/bin/env bash
# Uses NOMA's Bazel rules from another workspace, exactly as a user's monorepo would:
# tests/downstream depends on this repository through local_repository(name = "noma") and
# declares NOMA's dependencies with noma_dependencies(). Builds everything there, runs the
# noma_binary and the C++ program that links a noma_library, checks their output, and runs the
# tests (noma_test in both modes, a cc_test of the library).
#
# It runs its own Bazel server with its own output base (the main workspace's server is not
# touched) and creates no convenience symlinks in tests/downstream. Not part of
# `bazel test //...` (it runs Bazel itself). Run by hand:
#
#   tools/rules/check_downstream.sh
#
# NOMA_RULES_OUTPUT_BASE=DIR keeps the output base in DIR (reused on the next run: faster);
# by default a temporary one is made and deleted at the end.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
workspace="$repo/tests/downstream"
scratch=$(mktemp -d /tmp/noma-downstream.XXXXXX)
output_base=${NOMA_RULES_OUTPUT_BASE:-$scratch/output_base}

ds_bazel() {
  (cd "$workspace" && bazel --output_base="$output_base" "$@")
}
cleanup() {
  ds_bazel shutdown >/dev/null 2>&1 || true
  if [ -z "${NOMA_RULES_OUTPUT_BASE:-}" ]; then
    chmod -R u+w "$scratch" 2>/dev/null || true
    rm -rf "$scratch"
  fi
}
trap cleanup EXIT

fail() {
  echo "check_downstream: FAILED: $*" >&2
  exit 1
}

# Every command line option that matters is in tests/downstream/.bazelrc, as a user would have
# it; here only: no bazel-* symlinks in the source tree.
flags=(--symlink_prefix=/)

echo "== bazel build //... in $workspace (output base $output_base)"
ds_bazel build "${flags[@]}" //...

echo "== bazel run //app:train (noma_binary)"
train=$(ds_bazel run "${flags[@]}" //app:train)
echo "$train"
[ "$train" = $'fitted:\n3\n-2' ] || fail "//app:train printed something else"

echo "== bazel run //app:app (C++ program linking the noma_library //app:model)"
app=$(ds_bazel run "${flags[@]}" //app:app)
echo "$app"
expected=$'w = [3.00, -2.00]\npredict([10, 1]) = 28.0\npredict([0, 5]) = -10.0'
[ "$app" = "$expected" ] || fail "//app:app printed something else; expected:"$'\n'"$expected"

echo "== bazel test //..."
ds_bazel test "${flags[@]}" //...

echo "== the generated header and the NOMA targets the build used"
header="$(ds_bazel info --symlink_prefix=/ bazel-bin)/app/model.h"
[ -f "$header" ] || fail "no generated header $header"
grep -n "namespace model\|absl::StatusOr<Tensor> \(predict\|main\)(" "$header"
ds_bazel query 'kind("noma_binary|_noma_library_compile|_noma_test", //...)' \
  --output=label_kind
ds_bazel query 'kind(rule, filter("^@noma//(tools|noma/runtime):", deps(//app:app) union deps(//app:train)))' | grep -E '^@noma//(tools:noma|noma/runtime:program.*)$'

echo "check_downstream: OK (built, ran and tested tests/downstream against @noma)"
