"""noma-plot: NOMA metrics files (`--metrics FILE`, JSON Lines) as a loss curve.

    noma-plot RUN.jsonl [RUN2.jsonl ...] -o loss.png [--label NAME ...] [--title T]
              [--size WxH] [--dpi N]

One line per metrics file: the loss of every optimizer step on a log axis, against the step
counted over the whole run (the loops of a program one after the other). Growth events are
dashed vertical lines labelled with the parameters' new shapes, optimizer resets dotted lines.
Several files are overlaid with a legend (e.g. preserved vs reset optimizer state). The
picture is a PNG or an SVG by the output's extension, exactly WxH inches at N dots per inch
(default 8x4.5 at 100: 800x450 pixels).
"""

import argparse
import json
import os
import sys


class Run:
    """The curve of one metrics file."""

    def __init__(self, label):
        self.label = label
        self.steps = []  # Global step numbers (1-based over the whole run).
        self.losses = []
        self.growth = []  # (global step, "w1 [2, 16]")
        self.resets = []  # global steps
        self.loops = 0


def read_run(path, label=None):
    """Reads a metrics file; raises ValueError with file:line for a bad record."""
    run = Run(label or os.path.splitext(os.path.basename(path))[0])
    offset = 0  # Steps of the loops that ended before.
    loop_steps = 0
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
                event = record["event"]
            except (ValueError, KeyError, TypeError) as e:
                # A run killed while writing may leave a partial last line: ignore only that.
                if f.readline() == "":
                    break
                raise ValueError(f"{path}:{number}: not a metrics record ({e})") from None
            if event == "step":
                loop_steps = record["step"]
                loss = record.get("loss")
                if isinstance(loss, (int, float)) and loss > 0:
                    run.steps.append(offset + loop_steps)
                    run.losses.append(loss)
            elif event == "growth":
                at = offset + record.get("step", loop_steps)
                shape = ", ".join(str(d) for d in record["new_shape"])
                run.growth.append((at, f"{record['parameter']} [{shape}]"))
            elif event == "reset_optimizer":
                run.resets.append(offset + record.get("step", loop_steps))
            elif event == "end":
                offset += record["steps"]
                loop_steps = 0
                run.loops += 1
    return run


def make_figure(runs, title=None, size=(8.0, 4.5), dpi=100):
    """The figure of `runs`: returns (figure, axes, lines), one line per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=size, dpi=dpi)
    last_step = max((run.steps[-1] for run in runs if run.steps), default=1)
    lines = []
    for index, run in enumerate(runs):
        color = f"C{index % 10}"
        (line,) = axes.plot(run.steps, run.losses, color=color, linewidth=1.5, label=run.label)
        lines.append(line)
        # Growth: one marker line per step, labelled with every parameter grown there.
        by_step = {}
        for at, what in run.growth:
            by_step.setdefault(at, []).append(what)
        for at, what in sorted(by_step.items()):
            axes.axvline(at, color=color, linestyle="--", linewidth=1, alpha=0.7)
            # Labels of late events go to the left of their line, so they stay inside.
            right = at > 0.6 * last_step
            axes.annotate(
                "grown:\n" + "\n".join(what),
                xy=(at, 1),
                xycoords=("data", "axes fraction"),
                xytext=(-3 if right else 3, -3 - 40 * index),
                textcoords="offset points",
                ha="right" if right else "left",
                va="top",
                fontsize=7,
                color=color,
            )
        for at in run.resets:
            axes.axvline(at, color=color, linestyle=":", linewidth=1, alpha=0.7)
    if any(run.losses for run in runs):
        axes.set_yscale("log")
    axes.set_xlabel("optimizer step")
    axes.set_ylabel("loss")
    axes.grid(True, which="major", alpha=0.3)
    if title:
        axes.set_title(title)
    if len(runs) > 1 or any(run.growth or run.resets for run in runs):
        axes.legend(loc="lower left", fontsize=8)
    figure.tight_layout()
    return figure, axes, lines


def parse_size(text):
    try:
        width, height = (float(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WxH in inches, e.g. 8x4.5, got '{text}'")
    if width <= 0 or height <= 0:
        raise argparse.ArgumentTypeError(f"the size must be positive, got '{text}'")
    return width, height


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="noma-plot",
        description="Plots NOMA metrics files (noma run/fast-run/executables --metrics FILE): "
        "the loss per step on a log axis, growth events and optimizer resets marked, several "
        "runs overlaid.",
    )
    parser.add_argument("files", nargs="+", metavar="METRICS.jsonl")
    parser.add_argument("-o", "--output", required=True, help="the picture: .png or .svg")
    parser.add_argument(
        "--label", action="append", default=[], help="legend name of each file, in order"
    )
    parser.add_argument("--title")
    parser.add_argument("--size", type=parse_size, default=(8.0, 4.5), help="WxH in inches")
    parser.add_argument("--dpi", type=int, default=100)
    args = parser.parse_args(argv)
    extension = os.path.splitext(args.output)[1].lower()
    if extension not in (".png", ".svg"):
        parser.error(f"the output must end in .png or .svg, got '{args.output}'")
    if len(args.label) > len(args.files):
        parser.error("more --label than metrics files")
    if args.dpi <= 0:
        parser.error("--dpi must be positive")
    runs = []
    for index, path in enumerate(args.files):
        label = args.label[index] if index < len(args.label) else None
        try:
            runs.append(read_run(path, label))
        except OSError as e:
            print(f"noma-plot: error: cannot read '{path}': {e.strerror}", file=sys.stderr)
            return 1
        except ValueError as e:
            print(f"noma-plot: error: {e}", file=sys.stderr)
            return 1
        if not runs[-1].steps:
            print(f"noma-plot: warning: '{path}' has no optimizer steps", file=sys.stderr)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(
            "noma-plot: error: matplotlib is missing (Debian: apt-get install python3-matplotlib)",
            file=sys.stderr,
        )
        return 1
    figure, _, _ = make_figure(runs, args.title, args.size, args.dpi)
    try:
        figure.savefig(args.output, dpi=args.dpi)
    except OSError as e:
        print(f"noma-plot: error: cannot write '{args.output}': {e.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
