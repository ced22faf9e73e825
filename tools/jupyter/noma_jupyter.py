"""IPython extension: NOMA programs in notebook cells.

    %load_ext noma_jupyter

    %%noma [--mode run|fast-run|exe] [--seed N] [--plot] [--in NAME ...] [--out NAME ...]
    fn main() { ... }

The cell is a NOMA program, run in the notebook's working directory (so relative file names
in it mean what they mean to the notebook) with `noma run` (default), `noma fast-run`, or
`noma build-exe` and the built executable (`exe`). Its stdout and stderr are shown; errors
are located in the cell (`cell.noma:LINE:COL: error: ...` with the caret).

  --plot      trains with `--metrics` and shows the loss curve (noma_plot) below the output
  --in NAME   writes the notebook's NumPy array NAME to NAME.safetensors first, for the
              program's `load_safetensors NAME = "NAME.safetensors";`
  --out NAME  after the run, loads NAME.safetensors (the program's `save_safetensors`) into
              the notebook: NAME is the array, or a dict of arrays when the file holds several
  --seed N    the program's --seed; other program options go after `--`: `%%noma -- --threads 2`

The `noma` binary is $NOMA, else the one of the installed tree this file belongs to
(lib/noma/python/ -> bin/noma), else `noma` on PATH. The exit status of the last cell is
`noma_jupyter.last_exit_code`.
"""

import argparse
import io
import json
import os
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile

last_exit_code = None

_DTYPES = {"F64": ("d", 8), "F32": ("f", 4), "I64": ("q", 8), "I32": ("i", 4)}


def find_noma():
    """The noma binary: $NOMA, the installed tree's, or PATH's."""
    env = os.environ.get("NOMA")
    if env:
        return env
    here = os.path.dirname(os.path.realpath(__file__))
    installed = os.path.normpath(os.path.join(here, "..", "..", "..", "bin", "noma"))
    if os.access(installed, os.X_OK):
        return installed
    return shutil.which("noma")


def write_safetensors(path, name, array):
    """One float64 tensor `name` in a safetensors file (what NOMA's load_safetensors reads)."""
    import numpy

    data = numpy.ascontiguousarray(numpy.asarray(array, dtype="<f8"))
    header = {name: {"dtype": "F64", "shape": list(data.shape), "data_offsets": [0, data.nbytes]}}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(data.tobytes())


def read_safetensors(path):
    """The tensors of a safetensors file as NumPy arrays, by key."""
    import numpy

    with open(path, "rb") as f:
        blob = f.read()
    (size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + size])
    body = blob[8 + size :]
    tensors = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        if info["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor '{key}' has unsupported dtype {info['dtype']}")
        code, width = _DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        values = numpy.frombuffer(body[begin:end], dtype="<" + code)
        tensors[key] = values.reshape(info["shape"]).astype(numpy.float64)
    return tensors


def _parser():
    parser = argparse.ArgumentParser(prog="%%noma", add_help=True)
    parser.add_argument("--mode", choices=["run", "fast-run", "exe"], default="run")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--plot", action="store_true")
    parser.add_argument("--in", dest="inputs", action="append", default=[], metavar="NAME")
    parser.add_argument("--out", dest="outputs", action="append", default=[], metavar="NAME")
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def run_cell(line, cell, namespace=None, display=None):
    """Runs `cell` as a NOMA program with the options of `line`; returns the exit status.

    `namespace` is where --in reads and --out writes variables (the notebook's); `display`
    shows a PNG (bytes) inline."""
    global last_exit_code
    namespace = namespace if namespace is not None else {}
    try:
        args = _parser().parse_args(shlex.split(line))
    except SystemExit:
        return 2
    noma = find_noma()
    if not noma:
        print("%%noma: error: cannot find the noma binary (set $NOMA or put noma on PATH)",
              file=sys.stderr)
        return 2
    options = list(args.rest[1:] if args.rest[:1] == ["--"] else args.rest)
    if args.seed is not None:
        options += ["--seed", str(args.seed)]
    for name in args.inputs:
        if name not in namespace:
            print(f"%%noma: error: --in {name}: no such variable in the notebook", file=sys.stderr)
            return 2
        write_safetensors(f"{name}.safetensors", name, namespace[name])
    with tempfile.TemporaryDirectory(prefix="noma-cell-") as scratch:
        source = os.path.join(scratch, "cell.noma")
        with open(source, "w", encoding="utf-8") as f:
            f.write(cell)
        metrics = os.path.join(scratch, "metrics.jsonl")
        options += ["--no-progress"]
        if args.plot:
            options += ["--metrics", metrics]
        if args.mode == "exe":
            exe = os.path.join(scratch, "cell")
            build = subprocess.run([noma, "build-exe", source, "-o", exe], capture_output=True,
                                   text=True, check=False)
            if build.returncode != 0:
                result = build
            else:
                result = subprocess.run([exe] + options, capture_output=True, text=True,
                                        check=False)
        else:
            result = subprocess.run([noma, args.mode, source] + options, capture_output=True,
                                    text=True, check=False)
        # Diagnostics name the cell, not the scratch file.
        stdout = result.stdout.replace(source, "cell.noma")
        stderr = result.stderr.replace(source, "cell.noma")
        sys.stdout.write(stdout)
        sys.stdout.flush()
        if stderr:
            sys.stderr.write(stderr)
            sys.stderr.flush()
        last_exit_code = result.returncode
        if result.returncode != 0:
            print(f"%%noma: the program exited with status {result.returncode}", file=sys.stderr)
        if args.plot and os.path.exists(metrics):
            _show_plot(metrics, display)
    for name in args.outputs:
        path = f"{name}.safetensors"
        if not os.path.exists(path):
            print(f"%%noma: error: --out {name}: the program wrote no {path}", file=sys.stderr)
            continue
        tensors = read_safetensors(path)
        namespace[name] = next(iter(tensors.values())) if len(tensors) == 1 else tensors
    return result.returncode


def _show_plot(metrics, display):
    here = os.path.dirname(os.path.realpath(__file__))
    for candidate in (here, os.path.join(here, "..", "plot")):
        if os.path.exists(os.path.join(candidate, "noma_plot.py")) and candidate not in sys.path:
            sys.path.insert(0, candidate)
    import noma_plot

    run = noma_plot.read_run(metrics, "loss")
    if not run.steps:
        print("%%noma: --plot: the program took no optimizer steps", file=sys.stderr)
        return
    figure, _, _ = noma_plot.make_figure([run], size=(6.4, 3.6), dpi=100)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    import matplotlib.pyplot

    matplotlib.pyplot.close(figure)
    if display is not None:
        display(buffer.getvalue())


def load_ipython_extension(ipython):
    from IPython.core.magic import register_cell_magic  # noqa: F401
    from IPython.display import Image
    from IPython.display import display as show

    def noma(line, cell):
        run_cell(line, cell, ipython.user_ns, lambda png: show(Image(data=png, format="png")))

    ipython.register_magic_function(noma, magic_kind="cell", magic_name="noma")
