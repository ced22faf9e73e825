#!/usr/bin/env bash
# The IR dumpers: `noma-ir` (syntax+graph+autodiff only) and `noma run --dump-ir=...` agree,
# and print text IR with the generated step region, or a Graphviz graph.
set -euo pipefail
noma=$1 noma_ir=$2 program=$3
text=$("$noma_ir" "$program")
grep -q "^func main() {" <<<"$text" || { echo "no function in text IR" >&2; exit 1; }
grep -q "builtin.matmul" <<<"$text" || { echo "no matmul in IR" >&2; exit 1; }
grep -q "builtin.transpose" <<<"$text" || { echo "no backward matmul (transpose) in IR" >&2; exit 1; }
lowered=$("$noma_ir" "$program" --stage=lowered)
if grep -q "builtin.transpose" <<<"$lowered"; then echo "lowered IR has backward ops" >&2; exit 1; fi
[ "$text" = "$("$noma" run "$program" --dump-ir=grad)" ] || { echo "dumpers disagree" >&2; exit 1; }
[ "$lowered" = "$("$noma" run "$program" --dump-ir=lowered)" ] || { echo "dumpers disagree" >&2; exit 1; }
dot=$("$noma_ir" "$program" --format=dot)
[ "$(head -1 <<<"$dot")" = "digraph noma {" ] || { echo "not a DOT graph" >&2; exit 1; }
[ "$dot" = "$("$noma" run "$program" --dump-ir=dot)" ] || { echo "DOT dumpers disagree" >&2; exit 1; }
# The IR is deterministic across processes (hash-map order must not leak into it).
for _ in 1 2 3 4; do
  [ "$text" = "$("$noma_ir" "$program")" ] || { echo "IR differs between runs" >&2; exit 1; }
done
set +e
"$noma_ir" --bogus >/dev/null 2>&1
[ $? -eq 2 ] || { echo "bad usage must exit 2" >&2; exit 1; }
echo "ok"
