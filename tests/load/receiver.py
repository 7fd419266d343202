"""A webhook receiver on localhost for `make chaos`: it answers 500 or times out (answers only after
the sender's time limit) for a share of the calls, 200 otherwise, and records which events it
accepted and under which delivery ids (the `Kringloop-Delivery` header), so lost and doubled events
can be counted."""

import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FlakyReceiver:
    def __init__(self, *, fail_share: float = 0.2, slow_seconds: float = 1.5, seed: int = 11):
        self.fail_share = fail_share
        self.slow_seconds = slow_seconds  # longer than the sender's WEBHOOK_TIMEOUT: a timeout
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.calls = 0
        self.failed = {"500": 0, "timeout": 0}
        self.accepted: dict[tuple[str, int], set[str]] = {}  # (event, object id) -> delivery ids answered 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def _fate(self) -> str:
        with self.lock:
            self.calls += 1
            roll = self.rng.random()
        if roll < self.fail_share / 2:
            return "500"
        if roll < self.fail_share:
            return "timeout"
        return "ok"

    def _accept(self, body: bytes, delivery_id: str) -> None:
        try:
            event = json.loads(body)
            kind = event["type"]
            data = next(iter(event["data"].values()))
            key = (kind, int(data["id"]))
        except (ValueError, KeyError, TypeError, StopIteration):
            key = ("unreadable", 0)
        with self.lock:
            self.accepted.setdefault(key, set()).add(delivery_id)

    def start(self, port: int = 0) -> "FlakyReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fate = receiver._fate()
                if fate == "timeout":
                    time.sleep(receiver.slow_seconds)  # the sender has given up by now
                    with receiver.lock:
                        receiver.failed["timeout"] += 1
                    self._answer(200)  # too late: not counted as accepted
                    return
                if fate == "500":
                    with receiver.lock:
                        receiver.failed["500"] += 1
                    self._answer(500)
                    return
                receiver._accept(body, self.headers.get("Kringloop-Delivery", ""))
                self._answer(200)

            def _answer(self, status: int) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def snapshot(self) -> dict[tuple[str, int], set[str]]:
        with self.lock:
            return {key: set(ids) for key, ids in self.accepted.items()}
