#!/usr/bin/env bash
# NOMA's GPU path on a machine with an NVIDIA GPU, in one command (bench/gpu/README.md):
#   1. builds the CLI and runs the GPU tests (ptxas, fake driver, simulated GPU, no-GPU CLI);
#   2. runs every program of tests/ and examples/ with `noma fast-run --target=cuda` on the GPU
#      and compares it with `noma run` (same exit status; stdout and stderr equal, numbers
#      within 1e-12 relative);
#   3. benchmarks mlp_gpu.noma (build-exe --target=cuda; generated matmul and cuBLAS) against
#      PyTorch CUDA on the same GPU,
#      and measures cuBLAS DGEMM as the device's practical f64 peak.
#   bench/gpu/run_on_device.sh [OUT_DIR]     (default: $OUT, else /tmp/noma-gpu)
# Needs the project's toolchain (tools/bootstrap.sh) and, for step 3, PyTorch with CUDA.
# Prints a summary and writes it to OUT_DIR/summary.txt.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
root=$PWD
out=${1:-${OUT:-/tmp/noma-gpu}}
mkdir -p "$out"
summary="$out/summary.txt"
: >"$summary"
say() { echo "$*" | tee -a "$summary"; }

command -v nvidia-smi >/dev/null && nvidia-smi -L | tee -a "$summary"
command -v bazel >/dev/null || tools/bootstrap.sh || { say "bootstrap failed"; exit 1; }

# 1. Build and the GPU tests.
bazel build //tools:noma || { say "build failed"; exit 1; }
if bazel test //noma/gpu/... //tests:simulated_gpu_test //tools:gpu_tools_test; then
  say "GPU tests: pass"
else
  say "GPU tests: FAIL"
fi
NOMA=$root/bazel-bin/tools/noma

# 2. Every program on the GPU against the interpreter.
pass=0
fail=0
for program in tests/*.noma examples/*.noma; do
  grep -q '^// MODES:' "$program" && ! grep -q '^// MODES:.*fast-run' "$program" && continue
  read -r -a args <<<"$(sed -n 's|^// ARGS:||p' "$program" | head -1)"
  for mode in cpu gpu; do
    work="$out/work.$mode"
    rm -rf "$work" && mkdir -p "$work/tests" && cp -r tests/data "$work/tests/data" &&
      ln -s tests/data "$work/data" && mkdir -p "$work/$(dirname "$program")" &&
      cp "$program" "$work/$program"
    (
      cd "$work" || exit 125
      if [ "$mode" = cpu ]; then
        "$NOMA" run "$program" "${args[@]}"
      else
        "$NOMA" fast-run --target=cuda "$program" "${args[@]}"
      fi
    ) </dev/null >"$out/$mode.stdout" 2>"$out/$mode.stderr"
    echo $? >"$out/$mode.exit"
  done
  if cmp -s "$out/cpu.exit" "$out/gpu.exit" &&
    python3 bench/gpu/compare_outputs.py "$out/cpu.stdout" "$out/gpu.stdout" >"$out/why" &&
    python3 bench/gpu/compare_outputs.py "$out/cpu.stderr" "$out/gpu.stderr" >>"$out/why"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    say "DIFFERS on the GPU: $program: $(cat "$out/why") (exit $(cat "$out/cpu.exit") vs $(cat "$out/gpu.exit"))"
  fi
done
say "programs on the GPU: $pass match the CPU, $fail differ"

# 3. Benchmarks.
"$NOMA" build-exe --target=cuda bench/gpu/mlp_gpu.noma -o "$out/mlp_gpu" || say "build-exe failed"
for matmul in generated cublas; do
  for run in 1 2 3; do
    start=$(date +%s.%N)
    "$out/mlp_gpu" --gpu-matmul=$matmul >"$out/mlp_gpu.stdout" 2>"$out/mlp_gpu.stderr"
    code=$?
    end=$(date +%s.%N)
    say "noma mlp_gpu --gpu-matmul=$matmul (whole process, 20 steps) run $run:" \
      "$(python3 -c "print(round($end - $start, 3))") s, exit $code, $(tail -1 "$out/mlp_gpu.stdout")"
  done
done
python3 bench/gpu/mlp_torch_cuda.py 2>&1 | tee -a "$summary"
python3 bench/gpu/dgemm_peak_cuda.py 2>&1 | tee -a "$summary"
echo "summary: $summary"
[ "$fail" -eq 0 ]
