// Tokenizes NOMA programs with the extension's TextMate grammar (vscode-textmate with the
// Oniguruma regex engine, as VS Code does) and checks the scopes of keywords, builtins,
// numbers, strings and comments against a small independent scanner.
//
// usage: node grammar_test.js BUILTINS_DEF PROGRAM.noma...
'use strict';

const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const KEYWORDS = new Set(('fn let learn return if else while optimize until minimize tensor ' +
  'alloc realloc free load_csv save_csv load_safetensors save_safetensors batch in with as ' +
  'reset_optimizer import').split(' '));

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exitCode = 1;
}

// Labels every character of `text` with what it is: comment, string, number, keyword,
// builtin (a registry name followed by `(`), or null.
function scan(text, builtins) {
  const labels = new Array(text.length).fill(null);
  let i = 0;
  const mark = (from, to, label) => labels.fill(label, from, to);
  while (i < text.length) {
    const rest = text.slice(i);
    let m;
    if (rest.startsWith('//')) {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      mark(i, stop, 'comment');
      i = stop;
    } else if (rest.startsWith('/*')) {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      mark(i, stop, 'comment');
      i = stop;
    } else if (text[i] === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      const stop = Math.min(j + 1, text.length);
      mark(i, stop, 'string');
      i = stop;
    } else if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) {
      const word = m[0];
      if (KEYWORDS.has(word)) mark(i, i + word.length, 'keyword');
      // A builtin called; `fn relu(x)` defines a function that shadows it instead.
      else if (builtins.has(word) && /^\s*\(/.test(rest.slice(word.length)) &&
               !/\bfn\s+$/.test(text.slice(Math.max(0, i - 8), i))) {
        mark(i, i + word.length, 'builtin');
      }
      i += word.length;
    } else if ((m = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(rest))) {
      mark(i, i + m[0].length, 'number');
      i += m[0].length;
    } else {
      i += 1;
    }
  }
  return labels;
}

const EXPECTED_SCOPE = {
  comment: /^comment\./,
  string: /^string\.quoted\.double/,
  number: /^constant\.numeric/,
  keyword: /^keyword\.(control|declaration|other)/,
  builtin: /^support\.function\.builtin/,
};

async function main() {
  const [defPath, ...programs] = process.argv.slice(2);
  const builtins = new Set(
    [...fs.readFileSync(defPath, 'utf8').matchAll(
      /^NOMA_(?:BUILTIN|UNARY_ELEMENTWISE|BINARY_ELEMENTWISE)\(\w+, "(\w+)"/gm)].map((m) => m[1]));
  if (builtins.size < 20) throw new Error(`only ${builtins.size} builtins in ${defPath}`);

  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm')).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== 'source.noma') return null;
      const file = path.join(__dirname, '..', 'syntaxes', 'noma.tmLanguage.json');
      return vsctm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file);
    },
  });
  const grammar = await registry.loadGrammar('source.noma');

  // Scopes of the characters of `text`, line by line as an editor tokenizes.
  function scopesOf(text) {
    const scopes = [];
    let state = vsctm.INITIAL;
    for (const line of text.split('\n')) {
      const result = grammar.tokenizeLine(line, state);
      for (const token of result.tokens) {
        for (let k = token.startIndex; k < Math.min(token.endIndex, line.length); ++k) {
          scopes.push(token.scopes);
        }
      }
      scopes.push(['source.noma']);  // The newline.
      state = result.ruleStack;
    }
    return scopes;
  }

  const counts = { comment: 0, string: 0, number: 0, keyword: 0, builtin: 0 };
  const seenBuiltins = new Set();
  let failures = 0;
  function check(name, text) {
    const labels = scan(text, builtins);
    const scopes = scopesOf(text);
    for (let i = 0; i < text.length; ++i) {
      const label = labels[i];
      if (label === null || text[i] === '\n') continue;
      if (i === 0 || labels[i - 1] !== label) {
        counts[label] += 1;
        if (label === 'builtin') seenBuiltins.add(/^\w+/.exec(text.slice(i))[0]);
      }
      const innermost = scopes[i].slice(1);
      if (!innermost.some((s) => EXPECTED_SCOPE[label].test(s))) {
        const line = text.slice(0, i).split('\n').length;
        if (failures++ < 20) {
          fail(`${name}:${line}: '${text.slice(i, i + 12)}' is ${label} but has scopes ` +
               `${JSON.stringify(scopes[i])}`);
        }
      }
    }
  }

  for (const program of programs) check(program, fs.readFileSync(program, 'utf8'));

  // Every builtin of the registry and every escape, also where the programs have none.
  const every = [...builtins].map((b) => `    let v = ${b}(x);`).join('\n');
  check('<builtins>', `fn main() {\n${every}\n}\n`);
  check('<escapes>', 'fn main() { print("a\\n\\t\\r\\\\\\"b"); /* multi\nline */ }\n');
  const escapes = grammar.tokenizeLine('print("a\\nb\\q");', vsctm.INITIAL).tokens;
  const scopeAt = (needle) => {
    const at = 'print("a\\nb\\q");'.indexOf(needle);
    return escapes.find((t) => t.startIndex <= at && at < t.endIndex).scopes;
  };
  if (!scopeAt('\\n').includes('constant.character.escape.noma')) fail('\\n is not an escape');
  if (!scopeAt('\\q').includes('invalid.illegal.escape.noma')) fail('\\q is not marked invalid');
  const fnLine = grammar.tokenizeLine('fn train(x) {', vsctm.INITIAL).tokens;
  if (!fnLine.some((t) => t.scopes.includes('entity.name.function.noma'))) {
    fail('a function definition has no entity.name.function scope');
  }
  for (const b of builtins) if (!seenBuiltins.has(b)) fail(`builtin ${b} was not checked`);
  for (const [label, n] of Object.entries(counts)) {
    if (n === 0) fail(`no ${label} was found in the programs`);
  }
  if (process.exitCode) return;
  console.log(`PASS: ${programs.length} programs; checked ` +
              Object.entries(counts).map(([k, n]) => `${n} ${k}s`).join(', '));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
