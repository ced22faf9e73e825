#!/usr/bin/env bash
# The NOMA rules' outputs are bit-for-bit reproducible: builds //examples/... twice from clean
# (one snapshot of the source tree, in two different directories, two fresh output bases, so
# every absolute path differs between the builds, and at two different times), then compares
# the sha256 of every output of the noma rules' actions — the executables of noma_binary and
# noma_test(mode = "exe"), the objects and headers of noma_library — and fails on any
# difference, or if an output contains an absolute path of its build. Also reports (without
# failing) how many of the other regular outputs under bin/examples match.
#
# Not part of `bazel test //...` (it runs Bazel itself, twice from scratch: ~10 minutes on 2
# cores). Run by hand:
#
#   tools/rules/check_reproducible.sh [TARGETS]      (default: //examples/...)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

targets=${1:-//examples/...}
scratch=$(mktemp -d /tmp/noma-repro.XXXXXX)
trap 'shutdown_and_remove "$scratch" "$scratch/first/output_base" "$scratch/second-build/output_base"' EXIT

fail() {
  echo "check_reproducible: FAILED: $*" >&2
  exit 1
}

build() {  # NAME: a clean build in $scratch/NAME; writes $scratch/NAME.sha256 (noma outputs)
  local name=$1
  local src="$scratch/$name/src" output_base="$scratch/$name/output_base"
  # One snapshot of the tree, copied for the second build: both build the same sources even
  # if the tree changes meanwhile.
  if [ -d "$scratch/first/src" ]; then
    mkdir -p "$scratch/$name"
    cp -a "$scratch/first/src" "$src"
  else
    snapshot "$src"
  fi
  echo "== clean build $name of $targets (source $src, output base $output_base)"
  if ! in_bazel "$src" "$output_base" build --symlink_prefix=/ "$targets" >"$scratch/$name.log" 2>&1; then
    tail -n 40 "$scratch/$name.log" >&2
    fail "the build $name failed"
  fi
  echo "   $(process_summary "$scratch/$name.log")"
  local execroot
  execroot=$(in_bazel "$src" "$output_base" info execution_root 2>/dev/null)
  noma_outputs "$src" "$output_base" "$targets" >"$scratch/$name.outputs"
  [ -s "$scratch/$name.outputs" ] || fail "no outputs of the noma rules in $targets"
  (cd "$execroot" && xargs -d '\n' sha256sum <"$scratch/$name.outputs") >"$scratch/$name.sha256"
  # No absolute path of this build (source tree, output base, scratch directory) in any output.
  local path
  while IFS= read -r path; do
    if grep -q -a -F -e "$scratch" -e "$src" -e "$output_base" "$execroot/$path"; then
      fail "$path contains an absolute path of its build"
    fi
  done <"$scratch/$name.outputs"
  # The other regular files under bin/examples (informational).
  (cd "$execroot" && find bazel-out/k8-opt/bin/examples -type f \
    ! -name '*.runfiles_manifest' ! -name '*.params' ! -path '*.runfiles/*' -print0 |
    LC_ALL=C sort -z | xargs -0 sha256sum) >"$scratch/$name.all.sha256"
  in_bazel "$src" "$output_base" shutdown >/dev/null 2>&1 || true
}

build first
sleep 2  # a later wall-clock second: a timestamp in an output would show
build second-build

echo "== sha256 of the outputs of the noma rules (first build)"
sed 's/^/  /' "$scratch/first.sha256"
if ! diff -u --label first --label second "$scratch/first.sha256" "$scratch/second-build.sha256"; then
  fail "the outputs of the noma rules differ between the two clean builds (diff above)"
fi
count=$(wc -l <"$scratch/first.sha256")
same_all=$(comm -12 <(LC_ALL=C sort "$scratch/first.all.sha256") \
  <(LC_ALL=C sort "$scratch/second-build.all.sha256") | wc -l)
total_all=$(wc -l <"$scratch/first.all.sha256")
echo "other outputs under bin/examples (not required): $same_all of $total_all identical"
comm -3 <(LC_ALL=C sort "$scratch/first.all.sha256") \
  <(LC_ALL=C sort "$scratch/second-build.all.sha256") | sed 's/^/  differs: /' | head -20
echo "check_reproducible: OK ($count outputs of the noma rules identical in two clean builds, no absolute paths)"
