#!/usr/bin/env python3
"""Feeds `noma lsp` malformed and random messages: it must answer every request and exit
cleanly. The seed is fixed for reproducible runs; NOMA_LSP_FUZZ_SEED picks another.

usage: lsp_fuzz_test.py NOMA PROGRAM.noma...
"""

import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lsp_client import LspClient  # noqa: E402

METHODS = [
    "textDocument/hover", "textDocument/definition", "textDocument/completion",
    "textDocument/documentSymbol", "textDocument/formatting", "textDocument/rename",
    "initialize", "workspace/symbol", "$/cancelRequest", "textDocument/didOpen",
    "textDocument/didChange", "textDocument/didClose", "", "x" * 300,
]


def random_json(rng, depth=0):
    choice = rng.randrange(8 if depth < 4 else 5)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, 1, 2**31, -2**63, 2**64, 1.5, 1e308])
    if choice == 3:
        return "".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randrange(12)))
    if choice == 4:
        return rng.choice(["file:///a.noma", "file:///b.noma", "", "nope:"])
    if choice == 5:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["textDocument", "uri", "position", "line", "character", "text", "version",
            "contentChanges", "range", "start", "end", "options"]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randrange(5))}


def mutate(rng, text):
    data = bytearray(text.encode("utf-8"))
    for _ in range(rng.randrange(1, 20)):
        op = rng.randrange(3)
        pos = rng.randrange(len(data) + 1)
        if op == 0 and data:
            del data[pos:pos + rng.randrange(1, 30)]
        elif op == 1:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
        else:
            data[pos:pos] = rng.choice([b"{", b"}", b"(", b"matmul(", b"learn ", b"\n",
                                        b"optimize(w) until ", b"\"", b"/*", b"\x00"])
    return data.decode("utf-8", errors="replace")


def main():
    noma = sys.argv[1]
    corpus = [open(p, encoding="utf-8", errors="replace").read() for p in sys.argv[2:]]
    seed = int(os.environ.get("NOMA_LSP_FUZZ_SEED", "19"))
    rng = random.Random(seed)
    print("seed", seed)
    client = LspClient([noma, "lsp"])
    client.request("initialize", {"capabilities": {}})
    uris = ["file:///a.noma", "file:///b.noma", "file:///c%20d.noma"]
    pending = set()
    frame_errors = 0

    def request(method, params):
        request_id = rng.choice([client.next_id, "s%d" % client.next_id])
        client.next_id += 1
        pending.add(request_id)
        client.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})

    for step in range(1500):
        kind = rng.randrange(12)
        uri = rng.choice(uris)
        if kind == 0:    # Garbage bytes in a well-formed frame.
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
            client.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            frame_errors += 1
        elif kind == 1:  # Broken headers.
            client.send_raw(rng.choice([b"Content-Length: x\r\n\r\n", b"Foo: 1\r\n\r\n",
                                        b"content-length: -5\r\n\r\n"]))
            frame_errors += 1
        elif kind == 2:  # Valid JSON that is not a request.
            body = json.dumps(random_json(rng)).encode()
            if body.startswith(b"{"):
                body = b"[" + body + b"]"
            client.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            frame_errors += 1
        elif kind in (3, 4):  # Open or change a document to a mutated program.
            text = mutate(rng, rng.choice(corpus))
            if kind == 3:
                client.notify("textDocument/didOpen", {"textDocument": {
                    "uri": uri, "languageId": "noma", "version": step, "text": text}})
            else:
                client.notify("textDocument/didChange", {
                    "textDocument": {"uri": uri, "version": step},
                    "contentChanges": [{"text": text}]})
        elif kind == 5:
            client.notify(rng.choice(METHODS), random_json(rng))
        elif kind == 6:
            request(rng.choice(METHODS), random_json(rng))
        else:  # A plausible request at a random position, maybe on a closed document.
            position = {"line": rng.choice([0, 1, 3, 10, 40, 10**6, -1]),
                        "character": rng.choice([0, 2, 9, 17, 300, 2**32])}
            request(rng.choice(METHODS[:6]), {"textDocument": {"uri": uri}, "position": position,
                                              "options": {"tabSize": 4, "insertSpaces": True}})
    # Extremes: a huge document, random binary text, deep nesting, an oversized frame.
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uris[0], "version": 1, "text": "let x = 1;\n" * 900000}})
    binary = bytes(rng.randrange(256) for _ in range(1 << 20)).decode("latin-1")
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uris[1], "version": 1,
                                                            "text": binary}})
    deep = "fn main() { print(" + "(" * 100000 + "1" + ")" * 100000 + "); }\n"
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uris[2], "version": 1,
                                                            "text": deep}})
    for uri in uris:
        for method in ("textDocument/hover", "textDocument/completion",
                       "textDocument/documentSymbol", "textDocument/formatting"):
            request(method, {"textDocument": {"uri": uri},
                             "position": {"line": 0, "character": 5}})
    client.send_raw(b"Content-Length: 1000\r\n\r\n" + b"[" * 1000)
    frame_errors += 1

    final_id = "last"
    client.send({"jsonrpc": "2.0", "id": final_id, "method": "shutdown"})
    answered = set()
    errors = 0
    while True:
        message = client.receive()
        if "method" in message:
            continue
        if message.get("id") is None:
            assert "error" in message, message
            errors += 1
            continue
        assert message["id"] not in answered, ("answered twice", message)
        assert "result" in message or "error" in message, message
        answered.add(message["id"])
        if message["id"] == final_id:
            break
    missing = pending - answered
    assert not missing, ("requests never answered", sorted(map(str, missing))[:10])
    assert errors == frame_errors, (errors, frame_errors)
    client.notify("exit", None)
    client.proc.stdin.close()
    status = client.proc.wait(timeout=120)
    assert status == 0, status
    print("PASS: %d requests answered, %d frame errors reported" % (len(answered), errors))


if __name__ == "__main__":
    main()
