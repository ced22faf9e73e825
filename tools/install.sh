#!/usr/bin/env bash
# Installs NOMA into a relocatable tree:
#
#   bazel run //tools:install -- --prefix DIR
#
#   DIR/bin/noma                          the compiler
#   DIR/bin/noma-plot                     metrics files -> PNG/SVG (Python + matplotlib)
#   DIR/lib/noma/noma-codegen             the code generator (fast-run, build-exe, compile)
#   DIR/lib/noma/libnoma_program.a        the runtime executables link (build-exe)
#   DIR/lib/noma/libnoma_program_cuda.a   the same for --target=cuda
#   DIR/lib/noma/python/                  noma_plot and the Jupyter extension noma_jupyter
#   DIR/share/doc/noma/                   README.md, CHANGELOG.md, LICENSE
#
# Nothing in the tree names DIR: `noma` finds noma-codegen and the runtime archives in
# ../lib/noma beside itself, and noma-plot its Python modules in ../lib/noma/python, so the
# tree can be moved or copied anywhere (and bin/ linked from PATH). A relative DIR is taken from the directory
# `bazel run` was started in. The code generator needs Debian's LLVM 19 shared library
# (llvm-19-dev's libLLVM), and build-exe a C++ linker (c++).
set -euo pipefail

usage() {
  echo "usage: bazel run //tools:install -- --prefix DIR" >&2
  exit 2
}

prefix=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix)
      [ $# -ge 2 ] || usage
      prefix=$2
      shift 2
      ;;
    --prefix=*)
      prefix=${1#--prefix=}
      shift
      ;;
    -h | --help)
      sed -n '2,17s/^# \{0,1\}//p' "$0"
      exit 0
      ;;
    *)
      echo "install: error: unknown argument '$1'" >&2
      usage
      ;;
  esac
done
[ -n "$prefix" ] || { echo "install: error: no --prefix DIR" >&2; usage; }
case "$prefix" in
  /*) ;;
  *) prefix="${BUILD_WORKING_DIRECTORY:-$PWD}/$prefix" ;;
esac

# The files to install, from this script's runfiles.
runfile() {
  local root
  for root in "${RUNFILES_DIR:-}" "$0.runfiles" "${TEST_SRCDIR:-}"; do
    if [ -n "$root" ] && [ -e "$root/noma/$1" ]; then
      echo "$root/noma/$1"
      return
    fi
  done
  echo "install: error: cannot find $1 (run this through 'bazel run //tools:install')" >&2
  exit 1
}

noma=$(runfile tools/noma)
codegen=$(runfile tools/noma-codegen)
archive=$(runfile noma/runtime/libnoma_program.a)
cuda_archive=$(runfile noma/gpu/libnoma_program_cuda.a)
plot=$(runfile tools/plot/noma-plot)
plot_module=$(runfile tools/plot/noma_plot.py)
jupyter_module=$(runfile tools/jupyter/noma_jupyter.py)
docs=("$(runfile README.md)" "$(runfile CHANGELOG.md)" "$(runfile LICENSE)")

mkdir -p "$prefix/bin" "$prefix/lib/noma/python" "$prefix/share/doc/noma" || {
  echo "install: error: cannot create '$prefix'" >&2
  exit 1
}
install -m 755 "$noma" "$prefix/bin/noma"
install -m 755 "$plot" "$prefix/bin/noma-plot"
install -m 755 "$codegen" "$prefix/lib/noma/noma-codegen"
install -m 644 "$archive" "$cuda_archive" "$prefix/lib/noma/"
install -m 644 "$plot_module" "$jupyter_module" "$prefix/lib/noma/python/"
install -m 644 "${docs[@]}" "$prefix/share/doc/noma/"
echo "installed NOMA in $prefix (add $prefix/bin to PATH)"
