#!/usr/bin/env python3
"""The GPU's f64 matmul rate as cuBLAS reaches it (torch.matmul on 8192x8192 float64), the
practical f64 peak that NOMA's generated matmul kernel is compared with.
  python3 bench/gpu/dgemm_peak_cuda.py
"""
import time

import torch


def main():
    n = 8192
    a = torch.randn(n, n, dtype=torch.float64, device="cuda")
    b = torch.randn(n, n, dtype=torch.float64, device="cuda")
    torch.matmul(a, b)
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        torch.matmul(a, b)
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    print("%s: cuBLAS DGEMM %d^3: %.1f GFLOP/s" %
          (torch.cuda.get_device_name(0), n, 2 * n ** 3 / best / 1e9))


if __name__ == "__main__":
    main()
