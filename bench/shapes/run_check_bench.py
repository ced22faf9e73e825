#!/usr/bin/env python3
"""Times `noma check` (the whole front end, shape check included) on generated programs of
1 000 and 10 000 lines, to show that static shape inference stays close to linear.

    python3 bench/shapes/run_check_bench.py [--noma bazel-bin/tools/noma] [--runs 7]

Each program is a chain of small functions (tensors, matmuls, broadcasting, loops, a realloc
in a loop, calls with two different shapes) called from `main`; the median of --runs timings
is reported per size, with the time per line above that of a 3-line program (the process's
start-up: loading the LLVM libraries the CLI links).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

FUNCTION = """fn layer{i}(x, w) {{
    let h = tanh(matmul(x, w) + 0.5);
    let s = sum(h, 0);
    let k = 0;
    alloc grow = [1, 2];
    while k < 3 {{
        k = k + 1;
        realloc grow = [1, k + 2];
    }}
    return h * 2 + sum(s) + sum(grow);
}}
"""
LINES_PER_FUNCTION = FUNCTION.count("\n")


def program(lines):
    functions = max(1, (lines - 8) // (LINES_PER_FUNCTION + 2))
    out = []
    for i in range(functions):
        out.append(FUNCTION.format(i=i))
    out.append("fn main() {")
    out.append("    let x = rand_tensor(16, 8);")
    out.append("    let w = rand_tensor(8, 8);")
    out.append("    let total = 0;")
    for i in range(functions):
        # Two shapes per function: each call site is checked with its own.
        shape = "x" if i % 2 == 0 else "rand_tensor(4, 8)"
        out.append(f"    total = total + sum(layer{i}({shape}, w));")
    out.append("    print(total);")
    out.append("}")
    return "\n".join(out) + "\n"


def median_seconds(noma, path, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run([noma, "check", path], capture_output=True)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            sys.exit(f"noma check failed on {path}:\n{result.stderr.decode()}")
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noma", default="bazel-bin/tools/noma")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        hello = os.path.join(tmp, "hello.noma")
        with open(hello, "w") as f:
            f.write("fn main() {\n    print(1);\n}\n")
        base = median_seconds(args.noma, hello, args.runs)
        print(f"     3 lines: median {base * 1000:8.1f} ms over {args.runs} runs (start-up)")
        for lines in (1000, 10000):
            path = os.path.join(tmp, f"program_{lines}.noma")
            text = program(lines)
            with open(path, "w") as f:
                f.write(text)
            actual = text.count("\n")
            median = median_seconds(args.noma, path, args.runs)
            rows.append((actual, median - base))
            print(f"{actual:6d} lines: median {median * 1000:8.1f} ms over {args.runs} runs, "
                  f"{(median - base) * 1000:.1f} ms above start-up "
                  f"({(median - base) / actual * 1e6:.1f} us/line)")
    (small_lines, small), (big_lines, big) = rows
    print(f"ratio 10k/1k above start-up: {big / small:.1f}x for {big_lines / small_lines:.1f}x "
          f"the lines")


if __name__ == "__main__":
    main()
