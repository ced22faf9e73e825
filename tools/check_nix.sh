#!/usr/bin/env bash
# Parses every .nix file of the repository with nix-instantiate --parse (Debian's nix-bin is
# installed on demand). Nothing can be fetched here, so evaluation and builds are not checked.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nix-instantiate >/dev/null 2>&1; then
  echo "check_nix: installing Debian's nix-bin" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nix-bin >/dev/null
fi
status=0
for f in $(git ls-files '*.nix'); do
  if nix-instantiate --parse "$f" >/dev/null; then
    echo "check_nix: $f parses"
  else
    echo "check_nix: $f does NOT parse" >&2
    status=1
  fi
done
exit $status
