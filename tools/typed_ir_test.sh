#!/usr/bin/env bash
# Typed IR: after the whole front end (differentiation and the second inference included),
# no value of a program is typed `any`. The programs listed in KNOWN_UNTYPED still have some,
# for the two reasons docs/ir.md ("Types") gives: a function called with a scalar at one call
# site and a tensor at another, and optimizer state that starts as the scalar 0. Every other
# program must stay at zero, and a listed one that reaches zero must leave the list.
set -euo pipefail
noma=$1
shift
KNOWN_UNTYPED=" functions "
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
[ "$checked" -gt 90 ] || { echo "only $checked programs checked" >&2; exit 1; }
echo "ok: $checked programs"
