#!/usr/bin/env bash
# Installs the Debian 12 packages the codegen baselines need (PyTorch, NumPy, OpenBLAS) and checks
# that NumPy and PyTorch really run their f64 matrix multiplies on OpenBLAS, not on the reference
# BLAS. Idempotent: installs nothing when the packages are present; the checks always run.
# Uses /usr/bin/python3 (Debian's), not a pyenv python3 that may come first on PATH.
set -euo pipefail

PACKAGES=(
  python3-torch          # PyTorch baseline (bench/codegen/mlp_torch.py)
  python3-numpy          # data generation, dgemm measurement
  libopenblas0-pthread   # OpenBLAS as the libblas.so.3 / liblapack.so.3 alternative
)
PY=/usr/bin/python3
ALT=libblas.so.3-x86_64-linux-gnu

"$(dirname "$0")/../../tools/bootstrap.sh" "${PACKAGES[@]}"

fail() {
  echo "setup_baselines: ERROR: $*" >&2
  exit 1
}

# 1. The libblas.so.3 alternative must point at OpenBLAS (Debian selects it automatically because
#    OpenBLAS registers a higher priority than the reference BLAS, unless someone pinned it).
if ! command -v update-alternatives >/dev/null 2>&1; then
  fail "update-alternatives not found"
fi
current=$(update-alternatives --query "$ALT" 2>/dev/null | sed -n 's/^Value: //p')
if [ -z "$current" ]; then
  fail "no '$ALT' alternative is registered"
fi
case "$current" in
  *openblas*) ;;
  *)
    fail "$ALT points at $current, not OpenBLAS (see: update-alternatives --display $ALT;" \
      "fix: update-alternatives --auto $ALT)"
    ;;
esac

# 2. PyTorch's CPU library must resolve libblas.so.3 to OpenBLAS (Debian builds it with
#    BLAS_INFO=generic, i.e. against whatever libblas.so.3 the alternative selects).
torch_cpu=$("$PY" -c 'import glob, os, torch; print(sorted(glob.glob(os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so*")))[0])' 2>/dev/null) \
  || fail "cannot import torch with $PY"
torch_blas=$(ldd "$torch_cpu" | awk '$1 == "libblas.so.3" { print $3 }')
[ -n "$torch_blas" ] || fail "$torch_cpu does not link libblas.so.3 (ldd output changed?)"
case "$(readlink -f "$torch_blas")" in
  *openblas*) ;;
  *) fail "$torch_cpu: libblas.so.3 resolves to $(readlink -f "$torch_blas"), not OpenBLAS" ;;
esac

# 3. At run time NumPy and PyTorch must have OpenBLAS mapped after doing an f64 matmul.
[ -x "$PY" ] || fail "$PY not found"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$PY" - <<'PYEOF' || fail "NumPy/PyTorch are not using OpenBLAS (see above)"
import sys

def mapped_blas():
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and ("blas" in parts[5] or "lapack" in parts[5]):
                libs.add(parts[5])
    return sorted(libs)

import numpy as np
a = np.ones((64, 64))
a.dot(a)
np_libs = mapped_blas()
if not any("openblas" in p for p in np_libs):
    print("numpy %s: no OpenBLAS mapped; BLAS libraries mapped: %s" % (np.__version__, np_libs),
          file=sys.stderr)
    sys.exit(1)

import torch
t = torch.ones((64, 64), dtype=torch.float64)
t @ t
cfg = torch.__config__.show()
all_libs = mapped_blas()
if not any("openblas" in p for p in all_libs):
    print("torch %s: no OpenBLAS mapped; BLAS libraries mapped: %s" % (torch.__version__, all_libs),
          file=sys.stderr)
    sys.exit(1)
print("setup_baselines: numpy %s, torch %s; BLAS mapped: %s"
      % (np.__version__, torch.__version__, ", ".join(all_libs)), file=sys.stderr)
PYEOF
echo "setup_baselines: ok ($ALT -> $current)" >&2
