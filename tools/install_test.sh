#!/usr/bin/env bash
# tools/install.sh end to end: install into a prefix, move the tree elsewhere (it must not
# depend on where it was installed), then from an unrelated directory and with a clean
# environment (no NOMA_* variables, no Bazel runfiles) build and run an executable.
#   install_test.sh INSTALL PROGRAM
set -uo pipefail
source "$(dirname "$0")/testlib.sh" || exit 1
install=$(realpath "$1")
program=$(realpath "$2")
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/install.XXXXXX")
cd "$work" || exit 1

expect_exit 0 "$install" --prefix "$work/first"
for f in bin/noma bin/noma-plot lib/noma/libnoma_program.a lib/noma/libnoma_program_cuda.a \
  lib/noma/python/noma_plot.py lib/noma/python/noma_jupyter.py share/doc/noma/LICENSE; do
  [ -f "first/$f" ] || fail "the install has no $f"
done
[ -x first/bin/noma ] && [ -x first/bin/noma-plot ] || fail "bin/ is not executable"
expect_exit 2 "$install"
grep -q "no --prefix" err.txt || fail "install without --prefix: $(cat err.txt)"

# Relocated, and run from elsewhere with nothing but PATH (for the linker) in the environment.
mv first moved
mkdir elsewhere && cp "$program" elsewhere/xor.noma
clean() { (cd "$work/elsewhere" && env -i PATH=/usr/bin:/bin "$@"); }
grep -rq "$work/first" moved/bin moved/lib && fail "the installed tree names its install path"
clean "$work/moved/bin/noma" build-exe xor.noma >out.txt 2>err.txt ||
  fail "the relocated noma cannot build-exe: $(cat err.txt)"
[ -x elsewhere/xor ] || fail "build-exe from another directory wrote no ./xor"
clean ./xor --seed 4 >out.txt 2>err.txt || fail "the executable failed: $(cat err.txt)"
grep -qx "hidden units:" out.txt && grep -qx "16" out.txt ||
  fail "the executable's output: $(cat out.txt)"
clean "$work/moved/bin/noma" run xor.noma --seed 4 --metrics m.jsonl >run.txt 2>err.txt ||
  fail "the relocated noma cannot run: $(cat err.txt)"
cmp -s out.txt run.txt || fail "run and the executable differ"
# A link to bin/noma (as in /usr/local/bin) finds the tree through the link.
ln -s "$work/moved/bin/noma" "$work/noma-link"
clean "$work/noma-link" build-exe xor.noma -o linked >out.txt 2>err.txt ||
  fail "noma through a symlink cannot build-exe: $(cat err.txt)"
if python3 -c 'import matplotlib' 2>/dev/null; then
  clean "$work/moved/bin/noma-plot" m.jsonl -o loss.png >out.txt 2>err.txt ||
    fail "the installed noma-plot failed: $(cat err.txt)"
  [ -s elsewhere/loss.png ] || fail "the installed noma-plot wrote no picture"
fi
finish "the installed tree works from anywhere"
