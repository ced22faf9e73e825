#!/usr/bin/env python3
"""Growth vs reset vs fresh: median optimizer steps after growth to reach the XOR threshold.

Usage: bench/growth/run_growth_bench.py [--noma PATH] [--seeds N] [--grow-at K]
                                        [--figure PNG --figure-seed S]
Builds nothing itself: pass the noma binary (default bazel-bin/tools/noma). --figure draws the
loss curves of the three variants for one seed with noma-plot (from their --metrics logs).
"""
import argparse
import os
import statistics
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MODES = {"preserved": 0, "reset": 1, "fresh": 2}


def run(noma, template, mode, grow_at, seed, metrics=None):
    program = template.replace("MODE", str(MODES[mode])).replace("GROW_AT", str(grow_at))
    with tempfile.NamedTemporaryFile("w", suffix=".noma", delete=False) as f:
        f.write(program)
        path = f.name
    extra = ["--metrics", metrics] if metrics else []
    try:
        out = subprocess.run([noma, "run", path, "--seed", str(seed)] + extra,
                             capture_output=True, text=True, check=True)
    finally:
        os.unlink(path)
    converged = "reached max_iterations" not in out.stderr
    return int(out.stdout.split()[-1]), converged


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--noma", default="bazel-bin/tools/noma")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--grow-at", type=int, default=300)
    parser.add_argument("--figure", help="a PNG or SVG of the variants' loss curves")
    parser.add_argument("--figure-seed", type=int, default=0)
    args = parser.parse_args()
    with open(os.path.join(HERE, "xor_template.noma")) as f:
        template = f.read()
    if args.figure:
        with tempfile.TemporaryDirectory() as scratch:
            logs = []
            for mode in MODES:
                logs.append(os.path.join(scratch, mode + ".jsonl"))
                run(args.noma, template, mode, args.grow_at, args.figure_seed, logs[-1])
            plot = os.path.join(HERE, "..", "..", "tools", "plot", "noma-plot")
            labels = [arg for mode in MODES for arg in ("--label", mode)]
            title = f"XOR, growth 2 -> 16 hidden units at step {args.grow_at}, seed {args.figure_seed}"
            subprocess.run([plot, *logs, *labels, "--title", title, "-o", args.figure], check=True)
        return
    # Seeds whose 2-unit network reaches the threshold before the growth step say nothing
    # about growth; they are left out of every variant (counted in the last column).
    results = {mode: [run(args.noma, template, mode, args.grow_at, seed)
                      for seed in range(args.seeds)] for mode in MODES}
    early = {seed for seed in range(args.seeds) if results["preserved"][seed][0] <= 0}
    print("| variant | median steps after growth | min | max | converged | seeds used |")
    print("|---|---|---|---|---|---|")
    for mode in MODES:
        used = [results[mode][s] for s in range(args.seeds) if s not in early]
        steps = [n for n, _ in used]
        ok = sum(converged for _, converged in used)
        print(f"| {mode} | {statistics.median(steps):g} | {min(steps)} | {max(steps)} | "
              f"{ok}/{len(used)} | {len(used)} of {args.seeds} |")


if __name__ == "__main__":
    main()
