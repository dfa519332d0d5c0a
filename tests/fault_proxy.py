"""A small fault-injecting HTTP proxy on 127.0.0.1, in front of moto's server.

It forwards every request unchanged, except as its rules say: answer the first N requests
to a path with an error (throttling, as Security Hub sends it: HTTP 429 and
`x-amzn-ErrorType: TooManyRequestsException`), or damage one named finding in a
BatchImportFindings body so that moto itself rejects it in `FailedFindings`. It is
bounded: it serves at most `max_requests` and stops by itself after `lifetime` seconds,
so a test that goes wrong cannot leave it running.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Faults:
    throttle: dict[str, int] = field(default_factory=dict)  # path -> how many requests to refuse
    reject_ids: set[str] = field(default_factory=set)  # finding Ids to damage in /findings/import
    seen: list[tuple[str, int]] = field(default_factory=list)  # (path, status answered)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refused(self, path: str) -> int:
        return sum(1 for p, status in self.seen if p == path and status == 429)


@contextmanager
def fault_proxy(upstream: str, faults: Faults, max_requests: int = 500, lifetime: float = 60.0) -> Iterator[str]:
    target = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?")[0]
            with faults.lock:
                left = faults.throttle.get(path, 0)
                if left:
                    faults.throttle[path] = left - 1
            if left:
                payload = json.dumps({"message": "Too Many Requests"}).encode()
                self._answer(429, {"x-amzn-ErrorType": "TooManyRequestsException", "Content-Type": "application/json"}, payload)
                faults.seen.append((path, 429))
                return
            if path == "/findings/import" and faults.reject_ids:
                doc = json.loads(body)
                for finding in doc.get("Findings", []):
                    if finding.get("Id") in faults.reject_ids:
                        finding["Resources"] = []  # moto answers: at least one resource is required
                body = json.dumps(doc).encode()
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            headers["Content-Length"] = str(len(body))
            conn = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port or 80, timeout=30)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
                passed = {k: v for k, v in answer.getheaders() if k.lower() not in ("content-length", "transfer-encoding", "connection")}
                self._answer(answer.status, passed, data)
                faults.seen.append((path, answer.status))
            finally:
                conn.close()

        def _answer(self, status: int, headers: dict[str, str], data: bytes) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.timeout = 0.2
    stop = threading.Event()
    deadline = time.monotonic() + lifetime

    def serve() -> None:
        while not stop.is_set() and len(faults.seen) < max_requests and time.monotonic() < deadline:
            server.handle_request()  # returns after server.timeout when idle

    thread = threading.Thread(target=serve, name="fault-proxy", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        server.server_close()
