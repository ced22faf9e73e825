#!/usr/bin/env bash
# Static shapes (docs/language.md, "Static shapes"), beyond what the e2e runs check:
#  - every tests/shape_err_*.noma is rejected by `noma check` (exit 1) with exactly the
#    diagnostics `noma run` gives, `noma run` prints nothing on stdout (nothing ran), and
#    `noma build-exe` exits 1 without leaving an output file;
#  - every tests/shape_ok_*.noma passes `noma check`;
#  - `noma check --shapes` lists the expected shapes for the programs in tests/shapes/.
#
#   static_shapes_test.sh NOMA TESTLIB PROGRAM...
set -uo pipefail
noma=$(realpath "$1")
source "$2"
shift 2

work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/static_shapes.XXXXXX")
errors=0 oks=0 listings=0
for program in "$@"; do
  [[ "$program" == *.noma ]] || continue
  name=$(basename "$program" .noma)
  case "$name" in
    shape_err_*)
      errors=$((errors + 1))
      expect_exit 1 "$noma" check "$program"
      cp err.txt "$work/check.err"
      [ -s "$work/check.err" ] || fail "$name: noma check printed no diagnostics"
      expect_exit 1 "$noma" run "$program"
      cmp -s err.txt "$work/check.err" || fail "$name: check and run report differently"
      [ -s out.txt ] && fail "$name: noma run printed output before rejecting the program"
      expect_exit 1 "$noma" build-exe "$program" -o "$work/$name.exe"
      [ -e "$work/$name.exe" ] && fail "$name: build-exe left $work/$name.exe behind"
      ;;
    shape_ok_*)
      oks=$((oks + 1))
      expect_exit 0 "$noma" check "$program"
      ;;
  esac
done
# Listings: tests/shapes/NAME.shapes holds the expected output for the program it names on its
# first line ("# PROGRAM").
for program in "$@"; do
  case "$program" in
    *.shapes) ;;
    *) continue ;;
  esac
  listings=$((listings + 1))
  source_program=$(head -1 "$program" | sed 's/^# //')
  expect_exit 0 "$noma" check --shapes "$source_program"
  if ! diff <(tail -n +2 "$program") out.txt >"$work/diff.txt"; then
    fail "$program: check --shapes differs from the expected listing: $(cat "$work/diff.txt")"
  fi
done
[ "$errors" -ge 20 ] || fail "expected at least 20 shape_err programs, got $errors"
[ "$oks" -ge 5 ] || fail "expected at least 5 shape_ok programs, got $oks"
[ "$listings" -ge 3 ] || fail "expected at least 3 listings, got $listings"
finish "ok: $errors rejected programs, $oks accepted, $listings listings"
