#!/usr/bin/env bash
# The Jupyter extension headless: tools/jupyter/demo.ipynb executed with
# `jupyter nbconvert --execute` (Debian's jupyter-nbconvert and python3-ipykernel, installed by
# tools/bootstrap.sh) must show the programs' output, the loss curve as an image, arrays passed
# in and out, and a compile error located in its cell.
#   notebook_test.sh NOMA NOTEBOOK EXTENSION NOMA_PLOT_MODULE
set -uo pipefail
noma=$(realpath "$1")
notebook=$(realpath "$2")
extension_dir=$(dirname "$(realpath "$3")")
plot_dir=$(dirname "$(realpath "$4")")
command -v jupyter-nbconvert >/dev/null && python3 -c 'import ipykernel, matplotlib' 2>/dev/null || {
  echo "FAIL: jupyter-nbconvert, python3-ipykernel or python3-matplotlib is missing: run tools/bootstrap.sh" >&2
  exit 1
}

work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/notebook.XXXXXX")
cd "$work" || exit 1
cp "$notebook" demo.ipynb
# Jupyter writes its runtime files under HOME; keep everything inside the test's directory.
export HOME=$work/home JUPYTER_RUNTIME_DIR=$work/runtime IPYTHONDIR=$work/ipython MPLCONFIGDIR=$work/mpl
mkdir -p "$HOME"
export NOMA=$noma PYTHONPATH=$extension_dir:$plot_dir${PYTHONPATH:+:$PYTHONPATH}
if ! jupyter-nbconvert --to notebook --execute --ExecutePreprocessor.timeout=300 \
  --output executed.ipynb demo.ipynb >nbconvert.log 2>&1; then
  echo "FAIL: nbconvert --execute failed:" >&2
  cat nbconvert.log >&2
  exit 1
fi

python3 - executed.ipynb <<'PY'
import json
import sys

cells = json.load(open(sys.argv[1]))["cells"]
code = [c for c in cells if c["cell_type"] == "code"]
failures = []

def text(cell, stream):
    return "".join("".join(o.get("text", "")) for o in cell["outputs"]
                   if o.get("output_type") == "stream" and o.get("name") == stream)

def check(condition, message):
    if not condition:
        failures.append(message)

train, from_notebook, _, exe, error = code[1], code[2], code[3], code[4], code[5]
check(text(train, "stdout") == "fitted:\n2\n", f"training cell stdout: {text(train, 'stdout')!r}")
images = [o for o in train["outputs"] if "image/png" in o.get("data", {})]
check(len(images) == 1, f"expected one inline image, got {len(images)}")
if images:
    import base64
    png = base64.b64decode(images[0]["data"]["image/png"])
    check(png[:8] == b"\x89PNG\r\n\x1a\n", "the image is not a PNG")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    check((width, height) == (640, 360), f"the loss curve is {width}x{height}, expected 640x360")
check(text(from_notebook, "stdout") == "w from the notebook: 2.0\n",
      f"--out: {text(from_notebook, 'stdout')!r}")
check(text(exe, "stdout") == "10\n", f"--in with --mode exe: {text(exe, 'stdout')!r}")
err = text(error, "stderr")
check(text(error, "stdout") == "", f"a program with a compile error printed {text(error, 'stdout')!r}")
check("cell.noma:3:11: error: unknown function 'maen'" in err, f"error cell stderr: {err!r}")
check(" 3 |     print(maen(tensor [1, 2]));" in err and "^" in err, f"no caret: {err!r}")
check("did you mean 'mean'?" in err, f"no hint: {err!r}")
check("exited with status 1" in err, f"exit status not shown: {err!r}")
for message in failures:
    print("FAIL:", message, file=sys.stderr)
sys.exit(1 if failures else 0)
PY
status=$?
[ $status -eq 0 ] && echo "the notebook ran headless with the programs' output and an image"
exit $status
