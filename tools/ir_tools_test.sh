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
# The named pipeline: listed in order; --dump-ir-after stops there and prints that IR.
passes=$("$noma" run --print-passes | awk '{print $1}' | tr '\n' ' ')
[ "$passes" = "parse lower infer check-shapes specialize differentiate infer-grad verify " ] ||
  { echo "unexpected pass list: $passes" >&2; exit 1; }
[ "$("$noma_ir" --print-passes)" = "$("$noma" compile --print-passes)" ] ||
  { echo "pass lists disagree" >&2; exit 1; }
[ "$("$noma" run "$program" --dump-ir-after=infer-grad)" = "$text" ] ||
  { echo "--dump-ir-after=infer-grad is not the final IR" >&2; exit 1; }
[ "$("$noma_ir" "$program" --dump-ir-after=infer)" = "$lowered" ] ||
  { echo "--dump-ir-after=infer is not the lowered IR" >&2; exit 1; }
after_lower=$("$noma" compile "$program" --dump-ir-after=lower)
grep -q "builtin.matmul" <<<"$after_lower" || { echo "no IR after lower" >&2; exit 1; }
status=0
"$noma" run "$program" --dump-ir-after=bogus >/dev/null 2>&1 || status=$?
[ "$status" = 2 ] || { echo "unknown pass: exit $status, expected 2" >&2; exit 1; }
echo "ok"
