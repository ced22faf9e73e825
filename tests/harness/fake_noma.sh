#!/usr/bin/env bash
# A stand-in for `noma` used by selftest.sh: it "runs" a program by obeying the program's
# `// FAKE <mode|*> <action> [text]` comments, so the runner can be tested without a compiler.
#   out TEXT          print TEXT on stdout          err TEXT      print TEXT on stderr
#   exit N            exit with status N            args          print "args: <arguments>"
#   path              print the FILE argument       cat FILE      copy FILE to stdout
#   write FILE TEXT   print "fresh" or "stale" (did FILE exist?), then write TEXT into FILE
# Commands: run FILE ARGS, fast-run FILE ARGS, build-exe FILE -o EXE (EXE ARGS runs it).
set -u
self=$(realpath "$0")
cmd=${1:-}
shift || true
case "$cmd" in
  run | fast-run)
    mode=$cmd
    prog=$1
    shift
    ;;
  build-exe)
    prog=$1
    [ "${2:-}" = "-o" ] && [ -n "${3:-}" ] || { echo "usage: noma build-exe FILE -o EXE" >&2; exit 2; }
    [ -f "$prog" ] || { echo "$prog: no such file" >&2; exit 1; }
    printf '#!/usr/bin/env bash\nexec "%s" exe-run "%s" "$@"\n' "$self" "$prog" >"$3"
    chmod +x "$3"
    exit 0
    ;;
  exe-run)
    mode=build-exe
    prog=$1
    shift
    ;;
  *)
    echo "usage: noma run|fast-run|build-exe FILE ..." >&2
    exit 2
    ;;
esac
[ -f "$prog" ] || { echo "$prog: no such file" >&2; exit 1; }

code=0
while read -r which action text; do
  [ "$which" = "*" ] || [ "$which" = "$mode" ] || continue
  case "$action" in
    out) printf '%s\n' "$text" ;;
    err) printf '%s\n' "$text" >&2 ;;
    exit) code=$text ;;
    args) echo "args: $*" ;;
    path) echo "$prog" ;;
    cat) cat "$text" ;;
    write)
      file=${text%% *}
      if [ -e "$file" ]; then echo stale; else echo fresh; fi
      printf '%s\n' "${text#* }" >"$file"
      ;;
  esac
done < <(sed -n 's|^// FAKE ||p' "$prog")
exit "$code"
