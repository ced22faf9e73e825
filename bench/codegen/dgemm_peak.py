#!/usr/bin/env python3
"""Single-thread f64 matrix-multiply throughput of the BLAS that NumPy uses (OpenBLAS on Debian
after bench/codegen/setup_baselines.sh), at a large square size and at the exact shapes of the
matmuls in one training step of bench/codegen/mlp.noma, plus the MLP's FLOPs per step.

GFLOP/s counts 2*m*n*k per multiply. Each case repeats the multiply into a preallocated output
until about --seconds have passed, --runs times, and reports the best run.

  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/codegen/dgemm_peak.py
"""
import argparse
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

# The MLP of mlp.noma / mlp_torch.py: batch N, layers D -> H -> H -> 1.
N, D, H, OUT = 1024, 16, 64, 1


def mlp_matmuls():
    """(name, m, k, n, transpose_a, transpose_b) for every matmul of one training step.

    Forward: Z = A @ W per layer. Backward: dW = A^T @ dZ for every layer and dA = dZ @ W^T for
    every layer but the first (the input X needs no gradient).
    """
    layers = [("1", D, H), ("2", H, H), ("3", H, OUT)]
    out = []
    for name, fin, fout in layers:
        out.append(("fwd  A%s @ W%s" % (name, name), N, fin, fout, False, False))
    for name, fin, fout in reversed(layers):
        out.append(("bwd  A%s^T @ dZ%s" % (name, name), fin, N, fout, True, False))
        if name != "1":
            out.append(("bwd  dZ%s @ W%s^T" % (name, name), N, fout, fin, False, True))
    return out


def operands(rng, m, k, n, ta, tb):
    # A transposed operand is stored as the transpose of a contiguous array, the way the backward
    # pass gets it; NumPy passes it to dgemm with the transpose flag (no copy).
    a = rng.standard_normal((k, m)).T if ta else rng.standard_normal((m, k))
    b = rng.standard_normal((n, k)).T if tb else rng.standard_normal((k, n))
    return a, b, np.empty((m, n))


def measure(a, b, c, seconds, runs):
    np.dot(a, b, out=c)  # warm up
    # Calibrate the repeat count so that one run takes about `seconds`.
    reps = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            np.dot(a, b, out=c)
        dt = time.perf_counter() - t0
        if dt >= seconds / 4:
            break
        reps *= 4
    reps = max(1, int(reps * seconds / dt))
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(reps):
            np.dot(a, b, out=c)
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5, help="length of one timed run")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    print("numpy %s, OMP_NUM_THREADS=%s OPENBLAS_NUM_THREADS=%s"
          % (np.__version__, os.environ.get("OMP_NUM_THREADS"), os.environ.get("OPENBLAS_NUM_THREADS")))
    with open("/proc/self/maps") as f:
        libs = sorted({l.split()[5] for l in f if len(l.split()) >= 6 and "blas" in l.split()[5]})
    print("BLAS libraries mapped: " + ", ".join(libs))

    print("%-24s %6s %6s %6s %12s %10s" % ("case", "m", "k", "n", "us/multiply", "GFLOP/s"))
    cases = [("square", 1024, 1024, 1024, False, False),
             ("square", 256, 256, 256, False, False)] + mlp_matmuls()
    step_flops = 0
    step_seconds = 0.0
    for name, m, k, n, ta, tb in cases:
        a, b, c = operands(rng, m, k, n, ta, tb)
        t = measure(a, b, c, args.seconds, args.runs)
        flops = 2.0 * m * n * k
        print("%-24s %6d %6d %6d %12.2f %10.2f" % (name, m, k, n, t * 1e6, flops / t / 1e9))
        if not name.startswith("square"):
            step_flops += flops
            step_seconds += t

    fwd = sum(2.0 * m * n * k for name, m, k, n, _, _ in mlp_matmuls() if name.startswith("fwd"))
    print("mlp_matmul_flops_per_step=%d (forward %d, backward %d)" % (step_flops, fwd, step_flops - fwd))
    print("mlp_matmul_flops_2000_steps=%.4g" % (2000 * step_flops))
    print("mlp_blas_seconds_per_step=%.6f (sum of the best times of the step's matmuls)" % step_seconds)
    print("mlp_blas_seconds_2000_steps=%.4f" % (2000 * step_seconds))
    print("mlp_blas_gflops=%.2f" % (step_flops / step_seconds / 1e9))
    return 0


if __name__ == "__main__":
    sys.exit(main())
