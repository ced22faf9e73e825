#!/usr/bin/env bash
# Runs one .noma program in every execution mode, checks each run against the expectations in
# the program's comments (noma_filecheck), and requires identical stdout, stderr and exit code
# across modes. Usage: run_e2e.sh NOMA FILECHECK PROGRAM [DATA_FILE...]
set -uo pipefail

# Execution modes, in one place. Each later mode is compared with the first.
# Future modes (codegen issue): fast-run ("$NOMA" fast-run FILE ARGS) and build-exe
# ("$NOMA" build-exe FILE -o exe && ./exe ARGS) are added here.
MODES=(run)

NOMA=$(realpath "$1")
FILECHECK=$(realpath "$2")
PROGRAM=$3
shift 3

name=$(basename "$PROGRAM" .noma)
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/e2e.$name.XXXXXX")
mkdir -p "$work/tests/data"
cp "$PROGRAM" "$work/tests/$name.noma"
for data in "$@"; do cp "$data" "$work/tests/data/"; done

read -r -a ARGS <<<"$("$FILECHECK" --print-args "$PROGRAM")"
read -r -a ONLY <<<"$("$FILECHECK" --print-modes "$PROGRAM")"

run_mode() {  # mode, output prefix
  local mode=$1 out=$2
  (
    cd "$work" || exit 99
    case "$mode" in
      run) "$NOMA" run "tests/$name.noma" "${ARGS[@]}" ;;
      *) echo "unknown mode $mode" >&2; exit 99 ;;
    esac
  ) >"$out.stdout" 2>"$out.stderr"
  echo $? >"$out.exit"
}

status=0
first=""
for mode in "${MODES[@]}"; do
  if [ ${#ONLY[@]} -gt 0 ] && [[ ! " ${ONLY[*]} " =~ " $mode " ]]; then continue; fi
  out="$work/result.$mode"
  run_mode "$mode" "$out"
  if ! "$FILECHECK" --program "$PROGRAM" --stdout "$out.stdout" --stderr "$out.stderr" \
      --exit-code "$(cat "$out.exit")"; then
    echo "FAILED in mode '$mode': $PROGRAM" >&2
    status=1
  fi
  if [ -z "$first" ]; then
    first=$mode
  else
    for part in stdout stderr exit; do
      if ! cmp -s "$work/result.$first.$part" "$out.$part"; then
        echo "modes '$first' and '$mode' differ in $part for $PROGRAM" >&2
        diff "$work/result.$first.$part" "$out.$part" >&2
        status=1
      fi
    done
  fi
done
exit $status
