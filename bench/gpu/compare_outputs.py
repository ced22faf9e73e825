#!/usr/bin/env python3
"""Compares two program outputs: equal text, where numbers may differ by a relative tolerance
(default 1e-12, the GPU issue's criterion). Exit 0 when they match, 1 with the first difference.
  compare_outputs.py CPU_OUTPUT GPU_OUTPUT [--rtol 1e-12]
"""
import argparse
import math
import re
import sys

NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|-?inf|nan")


def tokens(text):
    out, pos = [], 0
    for match in NUMBER.finditer(text):
        out.append(("text", text[pos:match.start()]))
        out.append(("number", float(match.group())))
        pos = match.end()
    out.append(("text", text[pos:]))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cpu")
    parser.add_argument("gpu")
    parser.add_argument("--rtol", type=float, default=1e-12)
    args = parser.parse_args()
    a = tokens(open(args.cpu).read())
    b = tokens(open(args.gpu).read())
    if [k for k, _ in a] != [k for k, _ in b]:
        print("outputs have a different structure")
        return 1
    for (kind, x), (_, y) in zip(a, b):
        if kind == "text" and x != y:
            print("text differs: %r vs %r" % (x, y))
            return 1
        if kind == "number" and not (x == y or (math.isnan(x) and math.isnan(y)) or
                                     abs(x - y) <= args.rtol * max(abs(x), abs(y))):
            print("numbers differ: %r vs %r" % (x, y))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
