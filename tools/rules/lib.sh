# Helpers shared by check_reproducible.sh and check_remote_cache.sh (sourced, not run).
#
# Both build //examples/... in Bazel servers of their own (`bazel --output_base=...`), so the
# main workspace's server and its outputs are never touched, from snapshots of the source tree
# (so that edits made in the tree while they run cannot change what they compare).

# The repository root.
RULES_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# The actions of the rules of noma/defs.bzl.
NOMA_MNEMONICS="NomaBuildExe|NomaCompileLibrary"

# snapshot DIR: copies the source tree (the files git tracks or would track: no bazel-* links,
# no build outputs) into DIR.
snapshot() {
  local dest=$1
  mkdir -p "$dest"
  if git -C "$RULES_REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$RULES_REPO" && git ls-files -z --cached --others --exclude-standard |
      tar --null --files-from=- --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$dest"
  else
    (cd "$RULES_REPO" && tar --exclude='./bazel-*' -cf - .) | tar -xf - -C "$dest"
  fi
}

# in_bazel SRC OUTPUT_BASE ARGS...: runs `bazel ARGS...` in the workspace SRC with its own
# output base.
in_bazel() {
  local src=$1 output_base=$2
  shift 2
  (cd "$src" && bazel --output_base="$output_base" "$@")
}

# noma_outputs SRC OUTPUT_BASE TARGETS: the outputs of the NOMA rules' actions among TARGETS'
# dependencies, one execroot-relative path a line (from `bazel aquery`).
noma_outputs() {
  local src=$1 output_base=$2 targets=$3
  in_bazel "$src" "$output_base" aquery --output=text \
    "mnemonic(\"$NOMA_MNEMONICS\", deps($targets))" 2>/dev/null |
    sed -n 's/^ *Outputs: \[\(.*\)\]$/\1/p' | tr ',' '\n' | sed 's/^ *//' | LC_ALL=C sort -u
}

# process_summary LOG: Bazel's "INFO: N processes: ..." line of the build whose output is LOG.
process_summary() {
  grep -E '^INFO: [0-9]+ processes?:' "$1" | tail -n 1
}

# shutdown_and_remove DIR OUTPUT_BASE...: stops the servers of the output bases, deletes DIR.
shutdown_and_remove() {
  local dir=$1 output_base
  shift
  for output_base in "$@"; do
    if [ -d "$output_base" ]; then
      bazel --output_base="$output_base" shutdown >/dev/null 2>&1 || true
    fi
  done
  chmod -R u+w "$dir" 2>/dev/null || true
  rm -rf "$dir"
}
