#!/usr/bin/env bash
# The four code generator figures of bench/RESULTS.md, measured in one run:
#   1. XOR growth: `noma build-exe` executable vs hand-written C++ (g++ -O2), whole process
#   2. MLP regression: `noma build-exe` executable (whole process) vs PyTorch eager (training
#      loop only), one thread each, then two threads each (NOMA's output must not change);
#      plus OpenBLAS dgemm throughput and NOMA's matmul FLOP/s
#   3. `noma build-exe` compile latency for the XOR example at -O2
#   4. the XOR executable's stripped size (and that it needs only libc and libm)
# Run from the repository root:  bench/codegen/run_codegen_bench.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-20}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
PY=/usr/bin/python3
work=$(mktemp -d /tmp/noma-codegen-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

bash bench/codegen/setup_baselines.sh >/dev/null
bazel build -c opt //tools:noma >/dev/null 2>&1
NOMA=$PWD/bazel-bin/tools/noma

# Median wall time of a command over N runs (seconds), output discarded.
median() {  # N COMMAND...
  "$PY" - "$@" <<'EOF'
import statistics, subprocess, sys, time
n = int(sys.argv[1]); cmd = sys.argv[2:]
times = []
for _ in range(n):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    times.append(time.perf_counter() - t)
print(f"{statistics.median(times):.6f}")
EOF
}

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc --all) cores; $(date -u +%F)"

echo "== 1. XOR growth: build-exe vs hand-written C++ =="
g++ -O2 -std=c++17 bench/codegen/xor_manual.cc -o "$work/xor_manual"
"$NOMA" build-exe examples/xor_growth.noma -o "$work/xor_noma"
noma_xor=$(median "$RUNS" "$work/xor_noma")
manual_xor=$(median "$RUNS" "$work/xor_manual")
echo "noma build-exe: ${noma_xor}s  manual C++ -O2: ${manual_xor}s  ratio: $("$PY" -c "print(f'{$noma_xor/$manual_xor:.2f}')")"
echo "steps: noma $("$work/xor_noma" | sed -n 2p) (growth step), manual: $("$work/xor_manual" 2>&1 >/dev/null)"

echo "== 2. MLP regression: build-exe vs PyTorch eager =="
"$NOMA" build-exe bench/codegen/mlp.noma -o "$work/mlp_noma"
mlp_runs=3
noma_mlp=$(median "$mlp_runs" "$work/mlp_noma" --threads 1)
noma_mlp2=$(median "$mlp_runs" "$work/mlp_noma" --threads 2)
torch_out=$("$PY" bench/codegen/mlp_torch.py)
torch_mlp=$(echo "$torch_out" | sed -n 's/^torch_train_seconds=//p')
torch_mlp2=$(OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 "$PY" bench/codegen/mlp_torch.py --threads 2 |
  sed -n 's/^torch_train_seconds=//p')
echo "noma build-exe (whole process): ${noma_mlp}s  torch (training loop): ${torch_mlp}s  speedup: $("$PY" -c "print(f'{$torch_mlp/$noma_mlp:.2f}')")x"
echo "2 threads: noma --threads 2: ${noma_mlp2}s ($("$PY" -c "print(f'{$noma_mlp/$noma_mlp2:.2f}')")x its 1-thread run)  torch: ${torch_mlp2}s"
cmp <("$work/mlp_noma" --threads 1 2>/dev/null) <("$work/mlp_noma" --threads 2 2>/dev/null) &&
  echo "noma --threads 1 and --threads 2 print the same bytes"
dgemm=$("$PY" bench/codegen/dgemm_peak.py)
echo "$dgemm" | sed -n '/^case/,$p'
flops_per_step=$(echo "$dgemm" | sed -n 's/^mlp_matmul_flops_per_step=\([0-9]*\).*/\1/p')
if [ -n "$flops_per_step" ]; then
  echo "NOMA matmul throughput over the whole process: $("$PY" -c "print(f'{$flops_per_step*2000/$noma_mlp/1e9:.1f}')") GFLOP/s (a lower bound: the process also does everything else)"
fi

echo "== 3. build-exe compile latency (XOR, -O2) =="
lat=$(median "$RUNS" "$NOMA" build-exe examples/xor_growth.noma -o "$work/xor_lat")
echo "median of $RUNS: ${lat}s"
obj=$(median "$RUNS" "$NOMA" compile examples/xor_growth.noma --emit=obj -o "$work/xor.o")
echo "of which compile to an object (no link): ${obj}s"

echo "== 4. executable size (XOR) =="
echo "stripped size: $(stat -c %s "$work/xor_noma") bytes"
echo "dependencies: $(ldd "$work/xor_noma" | awk '{print $1}' | tr '\n' ' ')"
