#!/usr/bin/env python3
"""PyTorch baseline for bench/codegen/mlp.noma.

Same workload as the NOMA program: X 1024x16 ~ N(0, 1), Y = sin(X @ a) + 0.5 * cos(X @ b) with the
same fixed a and b, two hidden layers of 64 tanh units with biases, one linear output, xavier
uniform weights, zero biases, mean squared error, Adam (lr 0.001, betas 0.9/0.999, eps 1e-8),
exactly 2000 full-batch steps, everything in float64 on one CPU thread. The data come from
NumPy's generator, so the numbers differ from NOMA's; shapes, layers, steps, optimizer and
precision are the same.

Only the training loop is timed (time.perf_counter). Run with Debian's Python, one thread:
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/codegen/mlp_torch.py
"""
import argparse
import contextlib
import io
import os
import sys

# One thread everywhere, also when the caller forgot the environment (must precede the imports).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

N, D, H = 1024, 16, 64
A = np.array([1, -0.5, 0.25, 0.75] + [0] * 12, dtype=np.float64).reshape(D, 1)
B = np.array([0, 0, 0, 0, 0.5, 1, -1, 0.3] + [0] * 8, dtype=np.float64).reshape(D, 1)


def make_data(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D))
    y = np.sin(x @ A) + 0.5 * np.cos(x @ B)
    return x, y


def blas_report():
    lines = ["torch " + torch.__version__, "numpy " + np.__version__]
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        lines.append("%s=%s" % (var, os.environ.get(var)))
    lines.append("torch.get_num_threads()=%d" % torch.get_num_threads())
    for line in torch.__config__.show().splitlines():
        if "BLAS" in line or "LAPACK" in line:
            # The build-settings line is long; keep only its BLAS/LAPACK entries.
            if "Build settings" in line:
                keep = [f.strip() for f in line.split(",") if "BLAS" in f or "LAPACK" in f]
                line = "  - Build settings: " + ", ".join(k.split(": ")[-1] for k in keep)
            lines.append("torch config:" + line)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        np.show_config()
    section = None
    for line in buf.getvalue().splitlines():
        if line and not line.startswith(" "):
            section = line.strip()
        # Only the sections that found a BLAS (Debian's numpy: blas_info / blas_opt_info, which
        # name the generic libblas.so.3 that the alternatives system points at OpenBLAS).
        if section in ("blas_info:", "blas_opt_info:") and "NOT AVAILABLE" not in line:
            lines.append("numpy config: " + line)
    mapped = set()
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and "blas" in parts[5]:
                mapped.add(parts[5])
    lines.append("BLAS libraries mapped: " + ", ".join(sorted(mapped)))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    # More than one thread also needs OMP_NUM_THREADS / OPENBLAS_NUM_THREADS set by the caller
    # (this script defaults them to 1 before importing torch).
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    for line in blas_report():
        print(line)

    x_np, y_np = make_data(args.seed)
    x = torch.from_numpy(x_np)  # float64
    y = torch.from_numpy(y_np)

    model = torch.nn.Sequential(
        torch.nn.Linear(D, H), torch.nn.Tanh(),
        torch.nn.Linear(H, H), torch.nn.Tanh(),
        torch.nn.Linear(H, 1),
    ).to(torch.float64)
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            # U(-a, a), a = sqrt(6 / (fan_in + fan_out)), as NOMA's xavier_init; biases 0.
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    opt = torch.optim.Adam(model.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-8)

    loss = None
    start = time.perf_counter()
    for _ in range(args.steps):
        opt.zero_grad(set_to_none=True)
        pred = model(x)
        loss = torch.mean((pred - y) ** 2)
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start

    print("steps=%d" % args.steps)
    print("final_loss=%r" % loss.item())  # loss of the last forward pass, as NOMA's `loss`
    print("torch_train_seconds=%.4f" % seconds)
    print("torch_ms_per_step=%.4f" % (1000 * seconds / args.steps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
