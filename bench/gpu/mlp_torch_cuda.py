#!/usr/bin/env python3
"""PyTorch CUDA baseline for bench/gpu/mlp_gpu.noma, on the same GPU.

Same workload: X 65536x256 ~ N(0, 1), Y = sin(sum(X, 1) / 16), two hidden layers of 1024 tanh
units with biases, one linear output, xavier uniform weights, zero biases, mean squared error,
Adam (lr 0.001), exactly 20 full-batch steps, float64 on the GPU. Only the training loop is
timed (after one warm-up step, with torch.cuda.synchronize around it).
  python3 bench/gpu/mlp_torch_cuda.py [--steps 20]
"""
import argparse
import time

import torch

N, D, H = 65536, 256, 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    device = torch.device("cuda")
    torch.manual_seed(0)
    x = torch.randn(N, D, dtype=torch.float64, device=device)
    y = torch.sin(x.sum(dim=1, keepdim=True) * 0.0625)
    model = torch.nn.Sequential(
        torch.nn.Linear(D, H), torch.nn.Tanh(),
        torch.nn.Linear(H, H), torch.nn.Tanh(),
        torch.nn.Linear(H, 1)).to(device=device, dtype=torch.float64)
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = torch.mean((model(x) - y) ** 2)
        loss.backward()
        optimizer.step()
        return loss

    step()  # Warm-up: cuBLAS handles, kernels loaded.
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    print("torch %s, %s" % (torch.__version__, torch.cuda.get_device_name(0)))
    print("final loss: %.6g" % loss.item())
    print("pytorch_cuda_train_seconds %.4f (%d steps, %.2f ms/step)" %
          (seconds, args.steps, 1000 * seconds / args.steps))


if __name__ == "__main__":
    main()
