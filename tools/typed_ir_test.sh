#!/usr/bin/env bash
# Typed IR: after the whole front end (differentiation and the second inference included),
# no value of any program of tests/ and examples/ is typed `any`. KNOWN_UNTYPED may name a
# program that is allowed some; a listed one that reaches zero must leave it.
# grad_zero_adjoint: the adjoint slot of a value used only inside an `if` holds the scalar 0
# on one path and a tensor on the other (the runtime broadcasts the 0), so inference joins
# them to `any`; typing such a slot with its value's type would make it fully typed.
set -euo pipefail
noma=$1
shift
KNOWN_UNTYPED="grad_zero_adjoint"
KNOWN_UNTYPED=" $(echo $KNOWN_UNTYPED) "  # One space between names.
checked=0
for program in "$@"; do
  name=$(basename "$program" .noma)
  ir=$("$noma" run "$program" --dump-ir=grad 2>/dev/null) || continue  # Programs that must fail.
  untyped=$(grep -c ': any = ' <<<"$ir" || true)
  if [[ "$KNOWN_UNTYPED" == *" $name "* ]]; then
    [ "$untyped" -gt 0 ] || { echo "$name is fully typed now: remove it from KNOWN_UNTYPED" >&2; exit 1; }
  elif [ "$untyped" -gt 0 ]; then
    echo "$program: $untyped values typed 'any' after differentiation:" >&2
    grep ': any = ' <<<"$ir" | head -5 >&2
    exit 1
  fi
  checked=$((checked + 1))
done
[ "$checked" -ge 100 ] || { echo "only $checked programs checked" >&2; exit 1; }
echo "ok: $checked programs"
