#!/usr/bin/env bash
# Installs exactly the Debian 12 packages that building and testing NOMA needs, and the npm
# packages of the VS Code extension (editors/vscode, `npm ci` from its package-lock.json).
# Idempotent: prints nothing and exits 0 when everything is already present.
#   tools/bootstrap.sh            the build and test dependencies
#   tools/bootstrap.sh PKG...     those Debian packages instead (e.g. the benchmarks' baselines)
set -euo pipefail

PACKAGES=(
  bazel-bootstrap      # Bazel 4.2.3, WORKSPACE mode, works offline with the stand-ins in third_party/
  g++                  # Bazel's C++ toolchain
  llvm-19-dev          # LLVM 19 libraries and headers (codegen, JIT, NVPTX)
  clang-19             # libFuzzer builds of the parser fuzz target
  libclang-rt-19-dev   # sanitizer and fuzzer runtimes for clang-19
  lld-19               # linker used for standalone executables
  libabsl-dev          # Abseil
  libre2-dev           # RE2 (test checker, CLI filters)
  libgtest-dev         # GoogleTest / GoogleMock
  libgmock-dev
  libbenchmark-dev     # Google Benchmark
  clang-format         # tools/format.sh (Google style check)
  python3-matplotlib   # noma-plot (tools/plot/) and its test
  jupyter-nbconvert    # the %%noma notebook test (tools/jupyter/), executed headless
  python3-ipykernel
)
# Node.js and npm for the VS Code extension's tests (//editors/vscode:extension_test). A node
# that is already on PATH (e.g. a newer one from elsewhere) is used as it is.
NODE_PACKAGES=(nodejs npm)

npm_packages=1
if [ $# -gt 0 ]; then
  PACKAGES=("$@")
  npm_packages=0
elif ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=("${NODE_PACKAGES[@]}")
fi

# `npm ci` in editors/vscode unless node_modules already matches package-lock.json (a copy of
# the lock file it was installed from is kept in node_modules).
install_npm_packages() {
  [ "$npm_packages" -eq 1 ] || return 0
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/editors/vscode"
  if cmp -s "$dir/package-lock.json" "$dir/node_modules/.noma-package-lock.json"; then
    return 0
  fi
  echo "bootstrap: npm ci in editors/vscode" >&2
  if ! (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts >/tmp/noma-bootstrap-npm.log 2>&1); then
    echo "bootstrap: error: 'npm ci' failed in $dir; is the npm registry reachable? (log: /tmp/noma-bootstrap-npm.log)" >&2
    exit 1
  fi
  cp "$dir/package-lock.json" "$dir/node_modules/.noma-package-lock.json"
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  install_npm_packages
  exit 0
fi

echo "bootstrap: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "bootstrap: error: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq >/tmp/noma-bootstrap-apt.log 2>&1; then
  echo "bootstrap: error: 'apt-get update' failed; is Debian's archive reachable? (log: /tmp/noma-bootstrap-apt.log)" >&2
  exit 1
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/noma-bootstrap-apt.log 2>&1; then
  echo "bootstrap: error: could not install: ${missing[*]} (log: /tmp/noma-bootstrap-apt.log)" >&2
  exit 1
fi

for pkg in "${missing[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    echo "bootstrap: error: $pkg is still missing after installation" >&2
    exit 1
  fi
done
install_npm_packages
echo "bootstrap: done" >&2
