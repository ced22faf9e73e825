# Helpers for the CLI's shell tests (sourced): count failures, check exit codes, report.
#   fail MESSAGE              records a failure
#   expect_exit CODE CMD...   runs CMD (stdout -> out.txt, stderr -> err.txt), wants exit CODE
#   finish OK_MESSAGE         exits 1 after any failure, else prints OK_MESSAGE
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
expect_exit() {  # CODE COMMAND...
  local want=$1
  shift
  "$@" >out.txt 2>err.txt
  local got=$?
  [ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want: $(cat err.txt)"
}
finish() {
  if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
  fi
  echo "$1"
}
