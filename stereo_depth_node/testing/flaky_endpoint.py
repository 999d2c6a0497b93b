# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""An HTTP endpoint in front of another that answers some requests with errors, for a while.

For the object-storage faults of ``stereo-depth batch``: put in front of an
S3-compatible server, it answers every ``every``-th request of the first
``failing`` with ``503 SlowDown`` (S3's "reduce your request rate") and
forwards the others unchanged.
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_DOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
             b"<Message>Please reduce your request rate.</Message></Error>")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade",
              "expect"}


class FlakyEndpoint:
    """Listens on 127.0.0.1 (``port``) and forwards to ``target_port`` there; a context manager."""

    def __init__(self, target_port: int, failing: int, every: int = 2) -> None:
        self.requests = self.failed = 0
        lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # answers "Expect: 100-continue" before a body

            def _handle(self) -> None:
                with lock:
                    endpoint.requests += 1
                    fail = (endpoint.requests <= failing
                            and endpoint.requests % every == 0)
                    endpoint.failed += fail
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if fail:
                    self.send_response(503)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(SLOW_DOWN)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(SLOW_DOWN)
                    return
                connection = http.client.HTTPConnection("127.0.0.1", target_port, timeout=60)
                headers = {key: value for key, value in self.headers.items()
                           if key.lower() not in HOP_BY_HOP}
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                self.send_response(response.status, response.reason)
                kept = HOP_BY_HOP if self.command == "HEAD" else HOP_BY_HOP | {"content-length"}
                for key, value in response.getheaders():
                    if key.lower() not in kept:
                        self.send_header(key, value)
                if self.command != "HEAD":  # a HEAD answer keeps the object's length
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                connection.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FlakyEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
