#!/usr/bin/env bash
# Bazel test: 200 random programs through every oracle (fuzz/gen/noma_gen.cc), from
# NOMA_GEN_SEED or a seed taken from the clock. The seed is printed; a failing program is
# shrunk and printed. Usage: campaign_test.sh NOMA_GEN NOMA
set -euo pipefail
gen=$1
noma=$2
seed=${NOMA_GEN_SEED:-time}
exec "$gen" --seed "$seed" --count "${NOMA_GEN_COUNT:-200}" --exe-every 50 --noma "$noma" \
  --reduce --scratch "${TEST_TMPDIR:-/tmp}/noma_gen"
