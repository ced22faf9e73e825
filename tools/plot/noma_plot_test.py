#!/usr/bin/env python3
"""noma-plot end to end: a real run's metrics (the growth example, trained by `noma run`)
become a PNG of the requested size whose pixels show the run's points, and an SVG; several
runs overlay; bad input is a clear error.

    noma_plot_test.py NOMA NOMA_PLOT XOR_GROWTH
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

NOMA, NOMA_PLOT, XOR = (os.path.realpath(p) for p in sys.argv[1:4])
sys.path.insert(0, os.path.dirname(NOMA_PLOT))
import noma_plot  # noqa: E402

try:
    import matplotlib  # noqa: F401
except ImportError:
    sys.exit("matplotlib is missing: tools/bootstrap.sh installs Debian's python3-matplotlib")

import matplotlib.colors  # noqa: E402
import matplotlib.image  # noqa: E402


def plot(*args):
    return subprocess.run(
        [sys.executable, NOMA_PLOT, *args], capture_output=True, text=True, check=False
    )


class NomaPlotTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        shutil.copy(XOR, os.path.join(cls.dir, "xor_growth.noma"))
        for seed, name in ((0, "grows.jsonl"), (1, "small.jsonl")):
            subprocess.run(
                [NOMA, "run", "xor_growth.noma", "--seed", str(seed), "--metrics", name],
                cwd=cls.dir,
                check=True,
                capture_output=True,
            )
        cls.grows = os.path.join(cls.dir, "grows.jsonl")
        cls.small = os.path.join(cls.dir, "small.jsonl")

    def test_reads_steps_and_growth(self):
        run = noma_plot.read_run(self.grows)
        self.assertEqual(run.label, "grows")
        self.assertGreater(len(run.steps), 100)
        self.assertEqual(run.steps[:3], [1, 2, 3])
        self.assertEqual(run.loops, 1)
        self.assertEqual([what for _, what in run.growth], ["w1 [2, 16]", "b1 [1, 16]", "w2 [16, 1]"])
        self.assertTrue(all(0 < at < run.steps[-1] for at, _ in run.growth))

    def test_png_has_the_size_and_the_points(self):
        out = os.path.join(self.dir, "loss.png")
        result = plot(self.grows, "-o", out, "--size", "6x4", "--dpi", "80")
        self.assertEqual(result.returncode, 0, result.stderr)
        image = matplotlib.image.imread(out)
        self.assertEqual(image.shape[:2], (320, 480))  # 4 x 80 rows, 6 x 80 columns.
        # Draw the same figure here and look, at every 25th point's pixel, for the line's color.
        run = noma_plot.read_run(self.grows)
        figure, axes, lines = noma_plot.make_figure([run], None, (6, 4), 80)
        figure.canvas.draw()
        color = matplotlib.colors.to_rgb(lines[0].get_color())
        height = image.shape[0]
        checked = 0
        for step, loss in list(zip(run.steps, run.losses))[::25]:
            x, y = axes.transData.transform((step, loss))
            row, column = int(round(height - y)), int(round(x))
            patch = image[max(row - 2, 0) : row + 3, max(column - 2, 0) : column + 3, :3]
            distance = ((patch - color) ** 2).sum(axis=2).min()
            self.assertLess(distance, 0.05, f"no line pixel near step {step}, loss {loss}")
            checked += 1
        self.assertGreater(checked, 10)
        # And the line is not everywhere: a corner of the plot area is background.
        x, y = axes.transData.transform((run.steps[-1], max(run.losses)))
        corner = image[int(round(height - y)) + 2, int(round(x)) - 2, :3]
        self.assertGreater(((corner - color) ** 2).sum(), 0.05)

    def test_overlay_and_svg(self):
        out = os.path.join(self.dir, "both.svg")
        result = plot(self.grows, self.small, "-o", out, "--label", "grows", "--label", "stays")
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(out, encoding="utf-8") as f:
            svg = f.read()
        self.assertIn("<svg", svg)
        self.assertIn("stays", svg)  # The legend (text is kept as paths or text; ids hold it).
        runs = [noma_plot.read_run(self.grows), noma_plot.read_run(self.small)]
        _, _, lines = noma_plot.make_figure(runs)
        self.assertEqual(len(lines), 2)
        self.assertEqual(len(lines[1].get_xdata()), len(runs[1].steps))

    def test_errors(self):
        result = plot(os.path.join(self.dir, "missing.jsonl"), "-o", os.path.join(self.dir, "x.png"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("cannot read", result.stderr)
        self.assertIn("No such file or directory", result.stderr)
        result = plot(self.grows, "-o", os.path.join(self.dir, "x.gif"))
        self.assertEqual(result.returncode, 2)
        self.assertIn(".png or .svg", result.stderr)
        bad = os.path.join(self.dir, "bad.jsonl")
        with open(bad, "w", encoding="utf-8") as f:
            f.write('{"event":"step","step":1,"loss":1}\nnot json\n{"event":"end","steps":1}\n')
        result = plot(bad, "-o", os.path.join(self.dir, "x.png"))
        self.assertEqual(result.returncode, 1)
        self.assertIn("bad.jsonl:2: not a metrics record", result.stderr)

    def test_killed_run_partial_last_line_is_ignored(self):
        cut = os.path.join(self.dir, "cut.jsonl")
        with open(self.grows, encoding="utf-8") as f:
            text = f.read()
        with open(cut, "w", encoding="utf-8") as f:
            f.write(text[:2000] + text[2000:2030].split("\n")[0])
        run = noma_plot.read_run(cut)
        self.assertGreater(len(run.steps), 5)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
