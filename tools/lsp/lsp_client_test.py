#!/usr/bin/env python3
"""Drives the real `noma lsp` through an editing session on real programs.

usage: lsp_client_test.py NOMA LINEAR_REGRESSION.noma XOR_GROWTH.noma
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lsp_client import LspClient  # noqa: E402


def position_of(text, needle, occurrence=0, delta=0):
    """The LSP position (UTF-16 columns) of the occurrence-th `needle` in text, plus delta."""
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(needle, index + 1)
    index += delta
    line = text.count("\n", 0, index)
    line_start = text.rfind("\n", 0, index) + 1
    character = len(text[line_start:index].encode("utf-16-le")) // 2
    return {"line": line, "character": character}


def apply_edits(text, edits):
    lines = text.split("\n")
    for edit in sorted(edits, key=lambda e: (e["range"]["start"]["line"],
                                             e["range"]["start"]["character"]), reverse=True):
        def offset(pos):
            before = "\n".join(lines[:pos["line"]])
            units = lines[pos["line"]] if pos["line"] < len(lines) else ""
            prefix = units.encode("utf-16-le")[:pos["character"] * 2].decode("utf-16-le")
            return len(before) + (1 if pos["line"] > 0 else 0) + len(prefix)
        joined = "\n".join(lines)
        start, end = offset(edit["range"]["start"]), offset(edit["range"]["end"])
        joined = joined[:start] + edit["newText"] + joined[end:]
        lines = joined.split("\n")
    return "\n".join(lines)


def main():
    noma, linear_path, xor_path = sys.argv[1:4]
    linear = open(linear_path, encoding="utf-8").read()
    xor = open(xor_path, encoding="utf-8").read()
    client = LspClient([noma, "lsp"])

    init = client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    caps = init["result"]["capabilities"]
    for capability in ("hoverProvider", "definitionProvider", "documentFormattingProvider",
                       "documentSymbolProvider", "completionProvider"):
        assert caps.get(capability), (capability, caps)
    assert caps["textDocumentSync"]["change"] == 1, caps
    client.notify("initialized", {})

    uri = "file:///work/linear_regression.noma"
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "noma", "version": 1, "text": linear}})
    diagnostics = client.wait_diagnostics(uri)
    assert diagnostics["diagnostics"] == [], diagnostics

    # Hover on a matmul result shows its inferred shape; on matmul, the registry's doc.
    hover = client.request("textDocument/hover", {
        "textDocument": {"uri": uri}, "position": position_of(linear, "pred", 1, 2)})
    value = hover["result"]["contents"]["value"]
    assert "let pred" in value and "[5, 1]" in value, value
    hover = client.request("textDocument/hover", {
        "textDocument": {"uri": uri}, "position": position_of(linear, "matmul", 0, 1)})
    value = hover["result"]["contents"]["value"]
    assert "matmul(A, B)" in value and "matrix product" in value, value
    hover = client.request("textDocument/hover", {
        "textDocument": {"uri": uri}, "position": position_of(linear, "w)", 0)})
    value = hover["result"]["contents"]["value"]
    assert "learn w" in value and "[1, 1]" in value and "line 5 (learn)" in value, value

    # Definition of `w` in matmul(x, w) jumps to its `learn`.
    definition = client.request("textDocument/definition", {
        "textDocument": {"uri": uri}, "position": position_of(linear, "x, w", 0, 3)})
    target = definition["result"]
    assert target["uri"] == uri, target
    assert target["range"]["start"] == position_of(linear, "learn w", 0, 6), target

    # Symbols: main with its variables.
    symbols = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    main_symbol = symbols["result"][0]
    assert main_symbol["name"] == "main", main_symbol
    names = [child["name"] for child in main_symbol["children"]]
    assert names == ["x", "y", "w", "b", "pred", "loss"], names

    # An edit that breaks a name: a located error with a hint appears ...
    broken = linear.replace("matmul(x, w)", "matmul(x, ww)")
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": broken}]})
    diagnostics = client.wait_diagnostics(uri)
    assert diagnostics["version"] == 2, diagnostics
    assert len(diagnostics["diagnostics"]) == 1, diagnostics
    error = diagnostics["diagnostics"][0]
    assert error["severity"] == 1 and "unknown name 'ww'" in error["message"], error
    assert "did you mean 'w'" in error["message"], error
    assert error["range"]["start"] == position_of(broken, "ww"), error
    assert error["range"]["end"] == position_of(broken, "ww", 0, 2), error
    # ... and clears when the edit is undone.
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": linear}]})
    assert client.wait_diagnostics(uri)["diagnostics"] == []

    # Completion after `sig` offers sigmoid, also while the line does not parse yet.
    typing = linear.replace("    print(\"trained:\");", "    let s = sig\n    print(\"trained:\");")
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": 4}, "contentChanges": [{"text": typing}]})
    assert client.wait_diagnostics(uri)["diagnostics"], "a syntax error is expected"
    completion = client.request("textDocument/completion", {
        "textDocument": {"uri": uri}, "position": position_of(typing, "= sig", 0, 5)})
    labels = [item["label"] for item in completion["result"]["items"]]
    assert "sigmoid" in labels, labels
    assert "relu" not in labels, labels
    completion = client.request("textDocument/completion", {
        "textDocument": {"uri": uri}, "position": position_of(typing, "let s = ", 0, 8)})
    labels = [item["label"] for item in completion["result"]["items"]]
    for expected in ("pred", "loss", "w", "matmul", "optimize", "adam", "max_iterations"):
        assert expected in labels, (expected, labels)
    # Formatting refuses a file with syntax errors.
    formatting = client.request("textDocument/formatting", {
        "textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": True}})
    assert formatting["error"]["code"] == -32803, formatting

    # Formatting returns what `noma fmt` prints.
    messy_uri = "file:///work/xor%20growth.noma"
    messy = "\n".join(line.strip() for line in xor.split("\n")).replace(" = ", "=")
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": messy_uri, "languageId": "noma", "version": 1, "text": messy}})
    assert client.wait_diagnostics(messy_uri)["diagnostics"] == []
    formatting = client.request("textDocument/formatting", {
        "textDocument": {"uri": messy_uri}, "options": {"tabSize": 4, "insertSpaces": True}})
    expected = subprocess.run([noma, "fmt", xor_path], check=True, capture_output=True,
                              text=True).stdout
    assert apply_edits(messy, formatting["result"]) == expected, formatting

    # Columns count UTF-16 code units: the emoji is two.
    emoji_uri = "file:///work/emoji.noma"
    emoji = 'fn main() {\n    print("\U0001F600 é"); print(zz);\n}\n'
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": emoji_uri, "languageId": "noma", "version": 1, "text": emoji}})
    error = client.wait_diagnostics(emoji_uri)["diagnostics"][0]
    assert error["range"]["start"] == position_of(emoji, "zz"), (error, position_of(emoji, "zz"))
    assert error["range"]["start"]["character"] == 25, error  # 4 + 7 + 2 + 2 + 3 + 7

    # Closing a document clears its diagnostics; requests on it then fail.
    client.notify("textDocument/didClose", {"textDocument": {"uri": emoji_uri}})
    assert client.wait_diagnostics(emoji_uri)["diagnostics"] == []
    hover = client.request("textDocument/hover", {
        "textDocument": {"uri": emoji_uri}, "position": {"line": 0, "character": 0}})
    assert hover["error"]["code"] == -32803, hover

    status = client.close()
    assert status == 0, status
    print("PASS: lsp client session")


if __name__ == "__main__":
    main()
