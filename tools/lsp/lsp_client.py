"""A minimal LSP client over a child process's stdio, for the tests of `noma lsp`."""

import json
import queue
import subprocess
import threading

# Only a guard against a hung server: a reply that takes this long is a failure.
HANG_SECONDS = 120


class LspClient:
    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.messages = queue.Queue()
        self.notifications = []
        self.next_id = 1
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.messages.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = out.read(length)
            self.messages.put(json.loads(body))

    def send_raw(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message):
        body = json.dumps(message).encode()
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def receive(self):
        try:
            message = self.messages.get(timeout=HANG_SECONDS)
        except queue.Empty:
            raise AssertionError("no message from the server (hung?)")
        if message is None:
            raise AssertionError("the server closed its output (crashed?)")
        return message

    def wait_response(self, request_id):
        """Reads until the response to request_id; keeps notifications."""
        while True:
            message = self.receive()
            if "method" in message:
                self.notifications.append(message)
                continue
            assert message.get("id") == request_id, message
            return message

    def request(self, method, params):
        request_id = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        return self.wait_response(request_id)

    def wait_diagnostics(self, uri):
        while True:
            for i, message in enumerate(self.notifications):
                if (message["method"] == "textDocument/publishDiagnostics"
                        and message["params"]["uri"] == uri):
                    del self.notifications[i]
                    return message["params"]
            message = self.receive()
            assert "method" in message, message
            self.notifications.append(message)

    def close(self):
        """shutdown + exit; returns the exit status."""
        response = self.request("shutdown", None)
        assert response.get("result", "missing") is None, response
        self.notify("exit", None)
        self.proc.stdin.close()
        return self.proc.wait(timeout=HANG_SECONDS)
