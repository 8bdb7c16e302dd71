"""A hostile web server on a random loopback port: endless bodies, dripping bytes, redirects, forged text."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nagios4"
ESCAPES = "\x1b[2J\x1b]0;owned\x07"
FORGED = "query invalid | forged=1;;;; " + ESCAPES


def programstatus() -> bytes:
    document = json.loads((FIXTURES / "programstatus.json").read_text())
    now = int(time.time() * 1000)
    document["result"].update(query_time=now, last_data_update=now)
    document["data"]["programstatus"]["program_start"] = now // 1000 * 1000 - 3600_000
    return json.dumps(document).encode()


def cgi_error() -> bytes:
    document = json.loads((FIXTURES / "error-query-invalid.json").read_text())
    document["result"]["message"] = FORGED
    return json.dumps(document).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        path = self.path.split("?")[0]
        try:
            getattr(self, "_" + path.strip("/"))()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _endless(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        block = b"[" * 65536
        while not self.server.stopping.is_set():  # type: ignore[attr-defined]
            self.wfile.write(block)

    def _drip(self) -> None:
        self.send_response(200)
        self.end_headers()
        while not self.server.stopping.is_set():  # type: ignore[attr-defined]
            self.wfile.write(b" ")
            self.wfile.flush()
            time.sleep(0.2)

    def _headerdrip(self) -> None:
        self.wfile.write(b"HTTP/1.0 200 OK\r\n")
        while not self.server.stopping.is_set():  # type: ignore[attr-defined]
            self.wfile.write(b"X: y\r\n")
            self.wfile.flush()
            time.sleep(0.2)

    def _redirect(self) -> None:
        self._send(302, b"", Location=f"http://127.0.0.1:{self.server.server_port}/fine{ESCAPES}")

    def _fine(self) -> None:
        self._send(200, programstatus(), Content_Type="application/json")

    def _error(self) -> None:
        self._send(200, cgi_error(), Content_Type="application/json")


class HostileServer:
    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.stopping = threading.Event()  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{path}"

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stopping.set()  # type: ignore[attr-defined]
        self.server.shutdown()
        self.server.server_close()
