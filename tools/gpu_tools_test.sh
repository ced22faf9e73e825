#!/usr/bin/env bash
# `--target=cuda` end to end on a machine without a GPU: the executable needs only libc and
# libm, says clearly that there is no GPU (exit 1), and with --device=auto (or cpu) prints the
# CPU's output after a one-line notice; fast-run does the same; bad flags are usage errors;
# `compile --target=cuda` embeds the PTX and starts through noma_gpu_main.
#   gpu_tools_test.sh NOMA PROGRAM LIBDEVICE
set -uo pipefail
source "$(dirname "$0")/testlib.sh" || exit 1
NOMA=$(realpath "$1")
PROGRAM=$(realpath "$2")
CUDA=$(realpath "$(dirname "$3")/../..")
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/gpu.XXXXXX")
cd "$work" || exit 1
# A machine with a CUDA driver would run the GPU path here; the no-GPU checks need none.
has_driver=0
if ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1'; then has_driver=1; fi

expect_exit 0 "$NOMA" run "$PROGRAM"
cp out.txt reference.txt
[ -s reference.txt ] || fail "noma run printed nothing"

# build-exe --target=cuda
expect_exit 0 "$NOMA" build-exe "$PROGRAM" --target=cuda --cuda-path="$CUDA" -o gpu_exe
[ -x gpu_exe ] || fail "no executable"
libs=$(ldd gpu_exe | awk '{print $1}' | grep -v -e linux-vdso -e ld-linux -e '^libc\.so' -e '^libm\.so')
[ -z "$libs" ] || fail "the GPU executable needs more than libc and libm: $libs"
if [ "$has_driver" -eq 0 ]; then
  expect_exit 1 ./gpu_exe
  grep -q "runs on an NVIDIA GPU, but there is none: no CUDA driver" err.txt ||
    fail "no clear no-GPU error: $(cat err.txt)"
  grep -q -- "--device=auto" err.txt || fail "the error does not suggest --device=auto"
  [ ! -s out.txt ] || fail "the failed GPU run printed output"
  expect_exit 0 ./gpu_exe --device=auto
  cmp -s out.txt reference.txt || fail "--device=auto differs from run: $(diff reference.txt out.txt)"
  [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "running on the CPU" err.txt ||
    fail "--device=auto should print one notice line: $(cat err.txt)"
fi
expect_exit 0 ./gpu_exe --device=cpu
cmp -s out.txt reference.txt || fail "--device=cpu differs from run"
[ ! -s err.txt ] || fail "--device=cpu printed on stderr: $(cat err.txt)"
expect_exit 2 ./gpu_exe --device=tpu
grep -q "device must be cuda, auto or cpu" err.txt || fail "bad --device: $(cat err.txt)"
expect_exit 2 ./gpu_exe --gpu-matmul=mkl
grep -q "gpu-matmul must be generated or cublas" err.txt || fail "bad --gpu-matmul: $(cat err.txt)"
expect_exit 0 ./gpu_exe --device=cpu --gpu-matmul=cublas
cmp -s out.txt reference.txt || fail "--gpu-matmul=cublas on the CPU differs from run"
expect_exit 0 ./gpu_exe --help
grep -q -- "--device=cuda|auto|cpu" out.txt || fail "the GPU executable's help lacks --device"

# fast-run --target=cuda
if [ "$has_driver" -eq 0 ]; then
  expect_exit 0 "$NOMA" fast-run "$PROGRAM" --target=cuda --cuda-path="$CUDA" --device=auto
  cmp -s out.txt reference.txt || fail "fast-run --device=auto differs from run"
  grep -q "running on the CPU" err.txt || fail "fast-run --device=auto gave no notice"
  expect_exit 1 "$NOMA" fast-run "$PROGRAM" --target=cuda --cuda-path="$CUDA"
  grep -q "there is none" err.txt || fail "fast-run --target=cuda: no clear error: $(cat err.txt)"
fi
expect_exit 2 "$NOMA" fast-run "$PROGRAM" --device=auto
grep -q "need a program compiled with --target=cuda" err.txt || fail "--device without cuda"
expect_exit 2 "$NOMA" fast-run "$PROGRAM" --gpu-matmul=cublas
grep -q "need a program compiled with --target=cuda" err.txt || fail "--gpu-matmul without cuda"

# Bad flags and a missing toolkit.
expect_exit 2 "$NOMA" build-exe "$PROGRAM" --target=tpu -o x
expect_exit 2 "$NOMA" build-exe "$PROGRAM" --gpu-arch=sm_70 --target=cuda -o x
expect_exit 1 "$NOMA" build-exe "$PROGRAM" --target=cuda --cuda-path=/nonexistent -o missing_exe
grep -q "libdevice" err.txt || fail "a missing CUDA toolkit should name libdevice: $(cat err.txt)"
[ ! -e missing_exe ] || fail "a failed GPU build left an executable"

# compile: the PTX is embedded and main starts on the GPU; --emit=ptx defaults to sm_80.
expect_exit 0 "$NOMA" compile "$PROGRAM" --target=cuda --cuda-path="$CUDA" --emit=llvm -o gpu.ll
grep -q "noma_gpu_main" gpu.ll || fail "compile --target=cuda does not start through noma_gpu_main"
grep -q "noma_matmul" gpu.ll || fail "compile --target=cuda does not embed the kernels"
expect_exit 0 "$NOMA" compile "$PROGRAM" --cuda-path="$CUDA" --emit=ptx -o kernels.ptx
grep -q "^.target sm_80" kernels.ptx || fail "the PTX is not for sm_80 by default"
expect_exit 0 "$NOMA" compile "$PROGRAM" --cuda-path="$CUDA" --emit=ptx --gpu-arch=sm_90 -o k90.ptx
grep -q "^.target sm_90" k90.ptx || fail "--gpu-arch=sm_90 ignored"

finish "gpu_tools_test: OK"
