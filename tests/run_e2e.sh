#!/usr/bin/env bash
# One end-to-end test (docs/testing.md): runs PROGRAM in every execution mode, checks each run
# against the expectations in the program's comments with noma_filecheck, and requires every
# mode to produce the identical stdout, stderr, exit status and written files.
#
#   run_e2e.sh PROGRAM [DATA_FILE...]
#
# PROGRAM and DATA_FILEs are paths relative to the workspace root (as `$(location)` gives them
# inside a test). The binaries come from the runfiles (//tools:noma,
# //tools/filecheck:noma_filecheck) unless NOMA_BIN / NOMA_FILECHECK name them.
# NOMA_E2E_MODES="run fast-run" overrides the list of enabled modes (for bringing up a mode:
# `bazel test //tests/... --test_env=NOMA_E2E_MODES="run fast-run"`).
set -uo pipefail

# ---------------------------------------------------------------------------------------------
# Execution modes: the ONE place they are listed. run_mode() below says how each one runs.
#
#   run        noma run FILE ARGS                            the interpreter
#   fast-run   noma fast-run FILE ARGS                       LLVM ORC JIT
#   build-exe  noma build-exe FILE -o EXE && EXE ARGS        standalone binary
#
# To enable a mode once `noma` implements it, add it to ENABLED_MODES; nothing else changes.
KNOWN_MODES=(run fast-run build-exe)
ENABLED_MODES=(run fast-run build-exe)
# ---------------------------------------------------------------------------------------------

if [ -n "${NOMA_E2E_MODES:-}" ]; then
  read -r -a ENABLED_MODES <<<"$NOMA_E2E_MODES"
fi

die() {
  echo "run_e2e.sh: $*" >&2
  exit 1
}

# Absolute path of a runfile of the "noma" workspace.
runfile() {
  local root
  for root in "${TEST_SRCDIR:-}" "${RUNFILES_DIR:-}" "$0.runfiles"; do
    if [ -n "$root" ] && [ -e "$root/noma/$1" ]; then
      echo "$root/noma/$1"
      return
    fi
  done
  [ -e "$1" ] && echo "$PWD/$1"
}

[ $# -ge 1 ] || die "usage: run_e2e.sh PROGRAM [DATA_FILE...]"
PROGRAM=$1
shift
[ -f "$PROGRAM" ] || die "no program '$PROGRAM'"

NOMA=${NOMA_BIN:-$(runfile tools/noma)}
FILECHECK=${NOMA_FILECHECK:-$(runfile tools/filecheck/noma_filecheck)}
[ -n "$NOMA" ] && [ -x "$NOMA" ] || die "cannot find the noma binary (//tools:noma)"
[ -n "$FILECHECK" ] && [ -x "$FILECHECK" ] || die "cannot find //tools/filecheck:noma_filecheck"
NOMA=$(realpath "$NOMA")
FILECHECK=$(realpath "$FILECHECK")

for mode in "${ENABLED_MODES[@]}"; do
  [[ " ${KNOWN_MODES[*]} " == *" $mode "* ]] || die "unknown mode '$mode' in the enabled modes"
done

# The path the program is run by (and that its diagnostics print): its workspace-relative path,
# e.g. tests/foo.noma.
rel=${PROGRAM#./}
case "$rel" in
  /* | ../*) rel="tests/$(basename "$PROGRAM")" ;;
esac
pkg=$(dirname "$rel")

args_line=$("$FILECHECK" --print-args "$PROGRAM") || die "broken directives in $PROGRAM"
modes_line=$("$FILECHECK" --print-modes "$PROGRAM") || die "broken directives in $PROGRAM"
read -r -a ARGS <<<"$args_line"
read -r -a ONLY <<<"$modes_line"
for mode in "${ONLY[@]}"; do
  [[ " ${KNOWN_MODES[*]} " == *" $mode "* ]] ||
    die "$PROGRAM: unknown mode '$mode' in // MODES: (known: ${KNOWN_MODES[*]})"
done

scratch=$(mktemp -d "${TEST_TMPDIR:-${TMPDIR:-/tmp}}/e2e.$(basename "$rel" .noma).XXXXXX") ||
  die "cannot create a temporary directory"

# A fresh working directory per mode: the program at its workspace-relative path, the data files
# at theirs (copies, so nothing can write into the source tree), and `data` -> PKG/data, so a
# program may say either "tests/data/x.csv" or "data/x.csv".
prepare() {  # DIR DATA_FILE...
  local dir=$1 data target
  shift
  mkdir -p "$dir/$pkg" && cp "$PROGRAM" "$dir/$rel" || return 1
  for data in "$@"; do
    target=${data#./}
    case "$target" in
      /* | ../*) target="$pkg/data/$(basename "$data")" ;;
    esac
    mkdir -p "$dir/$(dirname "$target")" && cp "$data" "$dir/$target" || return 1
  done
  if [ -d "$dir/$pkg/data" ] && [ ! -e "$dir/data" ]; then
    ln -s "$pkg/data" "$dir/data"
  fi
}

# Runs the program in MODE inside DIR; stdout, stderr and exit status go to OUT.{stdout,...}.
run_mode() {  # MODE DIR OUT
  local mode=$1 dir=$2 out=$3
  local exe_dir="$scratch/exe.$mode"
  (
    cd "$dir" || exit 125
    # Each mode on a different number of kernel threads: results must not depend on it
    # (docs/numerics.md), so every program checks that too.
    case "$mode" in
      run) NOMA_THREADS=1 exec "$NOMA" run "$rel" "${ARGS[@]}" ;;
      fast-run) NOMA_THREADS=2 exec "$NOMA" fast-run "$rel" "${ARGS[@]}" ;;
      build-exe)
        # The build's own output is part of the result: on a compile-time error it is the
        # diagnostics, exactly like `noma run`; on success it must print nothing.
        mkdir -p "$exe_dir" || exit 125
        "$NOMA" build-exe "$rel" -o "$exe_dir/program" || exit $?
        NOMA_THREADS=3 exec "$exe_dir/program" "${ARGS[@]}"
        ;;
      *) echo "run_e2e.sh: no recipe for mode '$mode'" >&2; exit 125 ;;
    esac
  ) </dev/null >"$out.stdout" 2>"$out.stderr"
  echo $? >"$out.exit"
  # Every file in the working directory afterwards (inputs included), with a checksum.
  (cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum) >"$out.files"
}

status=0
first=""
ran=()
for mode in "${ENABLED_MODES[@]}"; do
  if [ ${#ONLY[@]} -gt 0 ] && [[ " ${ONLY[*]} " != *" $mode "* ]]; then
    echo "mode $mode: skipped (// MODES: ${ONLY[*]})"
    continue
  fi
  dir="$scratch/work.$mode"
  out="$scratch/result.$mode"
  prepare "$dir" "$@" || die "cannot set up $dir"
  run_mode "$mode" "$dir" "$out"
  ran+=("$mode")
  if "$FILECHECK" --program "$PROGRAM" --stdout "$out.stdout" --stderr "$out.stderr" \
    --exit-code "$(cat "$out.exit")"; then
    echo "mode $mode: ok"
  else
    echo "mode $mode: FAILED ($rel, exit status $(cat "$out.exit"))" >&2
    status=1
  fi
  if [ -z "$first" ]; then
    first=$mode
    continue
  fi
  for part in stdout stderr exit files; do
    if ! cmp -s "$scratch/result.$first.$part" "$out.$part"; then
      echo "modes '$first' and '$mode' differ in $part ($rel):" >&2
      diff -u --label "$first" --label "$mode" "$scratch/result.$first.$part" "$out.$part" >&2
      status=1
    fi
  done
done

if [ ${#ran[@]} -eq 0 ]; then
  echo "no enabled mode (${ENABLED_MODES[*]}) is among the program's // MODES: ${ONLY[*]}"
fi
exit $status
