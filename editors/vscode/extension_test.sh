#!/usr/bin/env bash
# The VS Code extension's checks: the TextMate grammar tokenizes every tests/ and examples/
# program with the expected scopes (test/grammar_test.js), and `vsce package` builds the .vsix.
# The npm packages come from `npm ci` in editors/vscode (run by tools/bootstrap.sh); the test
# finds them beside the real package.json (the runfile links lead there).
#
# usage: extension_test.sh PACKAGE_JSON BUILTINS_DEF PROGRAM.noma...
set -euo pipefail

package_json="$1"
builtins_def="$2"
shift 2
ext_dir="$(dirname "$(readlink -f "$package_json")")"
node_modules="$ext_dir/node_modules"
for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "FAIL: '$tool' is not installed; run tools/bootstrap.sh" >&2
    exit 1
  fi
done
for package in vscode-textmate vscode-oniguruma @vscode/vsce vscode-languageclient; do
  if [ ! -f "$node_modules/$package/package.json" ]; then
    echo "FAIL: $node_modules/$package is missing; run tools/bootstrap.sh (npm ci in editors/vscode)" >&2
    exit 1
  fi
done

# The checks run in the extension's own directory, where npm sees node_modules as `npm ci`
# installed it (vsce's `npm list` rejects a linked node_modules); nothing is written there.
work="$ext_dir"

node "$work/test/grammar_test.js" "$builtins_def" "$@"

# Every snippet and the configuration files are valid JSON with the fields VS Code reads.
node -e '
  const fs = require("fs");
  const dir = process.argv[1];
  const snippets = JSON.parse(fs.readFileSync(dir + "/snippets/noma.json", "utf8"));
  const prefixes = Object.values(snippets).map((s) => s.prefix);
  for (const p of ["main", "fn", "learn", "optimize", "batch", "let"]) {
    if (!prefixes.includes(p)) throw new Error("no snippet " + p);
  }
  for (const [name, s] of Object.entries(snippets)) {
    if (!Array.isArray(s.body) || !s.description) throw new Error("bad snippet " + name);
  }
  const config = JSON.parse(fs.readFileSync(dir + "/language-configuration.json", "utf8"));
  if (config.comments.lineComment !== "//") throw new Error("line comments");
  const pkg = JSON.parse(fs.readFileSync(dir + "/package.json", "utf8"));
  const commands = pkg.contributes.commands.map((c) => c.command);
  for (const c of ["noma.run", "noma.check", "noma.buildExe", "noma.format"]) {
    if (!commands.includes(c)) throw new Error("no command " + c);
  }
  console.log("PASS: " + prefixes.length + " snippets, " + commands.length + " commands");
' "$work"

# Package the extension; vsce must not ask questions (no terminal here).
vsix="${TEST_TMPDIR:-$(mktemp -d)}/noma.vsix"
(cd "$work" && node "$node_modules/@vscode/vsce/vsce" package --out "$vsix" </dev/null)
python3 - "$vsix" <<'PY'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
for required in ("extension/package.json", "extension/extension.js",
                 "extension/syntaxes/noma.tmLanguage.json", "extension/snippets/noma.json",
                 "extension/language-configuration.json",
                 "extension/node_modules/vscode-languageclient/package.json"):
    assert required in names, (required, sorted(names)[:20])
assert not any(n.startswith("extension/node_modules/@vscode/vsce/") for n in names), \
    "a dev dependency was packaged"
assert not any(n.startswith("extension/test/") for n in names), "the tests were packaged"
print("PASS: %s (%d files)" % (sys.argv[1], len(names)))
PY
