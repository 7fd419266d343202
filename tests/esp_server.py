"""A local HTTP server that speaks two mail providers' send APIs as their documentation describes,
for tests and `make bench`: it checks each request and counts calls and recipients.

- Mailgun: `POST /v3/<domain>/messages`, HTTP Basic auth `api:<key>`, form fields `from`, `to`
  (repeated), `subject`, `text`/`html`, and for a batch `recipient-variables`, a JSON object with an
  entry for every `to` address; answers `{"id": "<…@domain>", "message": "Queued. Thank you."}`.
- SendGrid: `POST /v3/mail/send`, `Authorization: Bearer <key>`, JSON with `from`, `subject`,
  `content` and `personalizations` (1 to 1,000, each with its own `to`); answers 202 with an
  `X-Message-Id` header.

`fail_next` makes the next calls answer 503 (an outage), to test retries. Localhost only.

Tests start it in a thread of their own process (EspServer). `make bench` starts it as a process of
its own (EspServerProcess, `python -m tests.esp_server`): a provider runs elsewhere, and in a thread of
the bench it held the GIL that the bench's client threads measure latencies with, so its work showed
as the product's latency. `GET /_recorder` then tells the calls and recipients counted so far.
"""

import email
import email.utils
import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
import uuid
from base64 import b64decode
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

KEY = "test-key-not-a-secret"


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls = 0
        self.recipients: list[str] = []
        self.requests: list[dict] = []  # the last requests, parsed (kept when keep_requests)
        self.problems: list[str] = []  # requests that broke the documented rules
        self.fail_next = 0
        self.keep_requests = True


class _Handler(BaseHTTPRequestHandler):
    recorder: Recorder
    # Keep-alive, as the providers' APIs do: a client's session sends many calls over one connection
    # (with HTTP/1.0 every call cost a new connection and a new server thread, which a real provider
    # never puts on our machine). Every answer says its Content-Length (_answer).
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # the headers and the body are two writes: no 40 ms wait between them

    def log_message(self, *args):
        pass

    def _answer(self, status: int, body: dict, headers: dict | None = None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path != "/_recorder":
            return self._answer(404, {"message": "no such endpoint"})
        rec = self.recorder
        with rec.lock:
            counts = {"calls": rec.calls, "recipients": len(rec.recipients), "problems": list(rec.problems)}
        return self._answer(200, counts)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        rec = self.recorder
        with rec.lock:
            rec.calls += 1
            if rec.fail_next > 0:
                rec.fail_next -= 1
                return self._answer(503, {"message": "Service Unavailable"})
        if self.path.startswith("/v3/") and self.path.endswith("/messages"):
            return self._mailgun(body)
        if self.path == "/v3/mail/send":
            return self._sendgrid(body)
        return self._answer(404, {"message": "no such endpoint"})

    def _problem(self, text: str):
        with self.recorder.lock:
            self.recorder.problems.append(text)
        self._answer(400, {"message": text})

    def _mailgun(self, body: bytes):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Basic ") or b64decode(auth[6:]).decode() != f"api:{KEY}":
            return self._answer(401, {"message": "Forbidden"})
        fields = _form(self.headers, body)
        to = fields.get("to", [])
        has_body = fields.get("text") or fields.get("html")
        if not fields.get("from") or not to or not fields.get("subject") or not has_body:
            return self._problem("from, to, subject and text or html are required")
        if len(to) > 1000:
            return self._problem("at most 1,000 recipients per call")
        if len(to) > 1:
            variables = json.loads(fields.get("recipient-variables", ["{}"])[0])
            missing = [address for address in to if address not in variables]
            if missing:  # without them every recipient would see the others' addresses
                return self._problem(f"recipient-variables lacks {missing[:3]}")
        self._record(to, {"provider": "mailgun", "fields": fields})
        domain = self.path.split("/")[2]
        return self._answer(200, {"id": f"<{uuid.uuid4().hex}@{domain}>", "message": "Queued. Thank you."})

    def _sendgrid(self, body: bytes):
        if self.headers.get("Authorization") != f"Bearer {KEY}":
            return self._answer(401, {"errors": [{"message": "unauthorized"}]})
        data = json.loads(body)
        personalizations = data.get("personalizations") or []
        if not data.get("from") or not data.get("subject") or not data.get("content"):
            return self._problem("from, subject and content are required")
        if not 1 <= len(personalizations) <= 1000:
            return self._problem("1 to 1,000 personalizations")
        to = [address["email"] for p in personalizations for address in p.get("to", [])]
        if len(to) != len(personalizations):
            return self._problem("each personalization needs exactly one recipient in a batch")
        self._record(to, {"provider": "sendgrid", "json": data})
        return self._answer(202, {}, {"X-Message-Id": uuid.uuid4().hex})

    def _record(self, to: list[str], parsed: dict):
        rec = self.recorder
        with rec.lock:
            rec.recipients.extend(to)
            if rec.keep_requests:
                rec.requests.append(parsed)


def mailgun_deliveries(fields: dict[str, list[str]]) -> list[dict]:
    """What each recipient of one recorded Mailgun call receives, as Mailgun documents its batch
    sending: every `%recipient.<name>%` in the subject, the bodies and the `h:` headers replaced by
    that recipient's value in `recipient-variables`. A dict per recipient: to, from, subject, text,
    html, headers (name: value), tags."""
    variables = json.loads(fields.get("recipient-variables", ["{}"])[0])

    def merge(text: str, mine: dict) -> str:  # one pass: a value is never merged into again
        return re.sub(r"%recipient\.([^%]+)%", lambda found: str(mine.get(found[1], found[0])), text)

    deliveries = []
    for address in fields["to"]:
        mine = variables.get(email.utils.parseaddr(address)[1], {})
        deliveries.append(
            {
                "to": address,
                "from": fields["from"][0],
                "subject": merge(fields["subject"][0], mine),
                "text": merge(fields.get("text", [""])[0], mine),
                "html": merge(fields.get("html", [""])[0], mine),
                "headers": {
                    name[2:].lower(): merge(values[0], mine) for name, values in fields.items() if name[:2] == "h:"
                },
                "tags": fields.get("o:tag", []),
            }
        )
    return deliveries


def _form(headers, body: bytes) -> dict[str, list[str]]:
    kind = headers.get("Content-Type", "")
    if kind.startswith("multipart/form-data"):
        fields: dict[str, list[str]] = {}
        parsed = email.message_from_bytes(f"Content-Type: {kind}\r\n\r\n".encode() + body)
        for part in parsed.get_payload():
            name = part.get_param("name", header="content-disposition")
            fields.setdefault(name, []).append(part.get_payload(decode=True).decode())
        return fields
    return parse_qs(body.decode(), keep_blank_values=True)


class EspServer:
    """Started in a thread on a free localhost port; `url` is the base for both providers' API URLs."""

    def __init__(self):
        self.recorder = Recorder()
        handler = type("Handler", (_Handler,), {"recorder": self.recorder})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def settings_for(self, provider: str) -> dict:
        return settings_for(self.url, provider)


def settings_for(url: str, provider: str) -> dict:
    """EMAIL_BACKEND and ANYMAIL settings that send to the server at `url` as `provider`."""
    if provider == "mailgun":
        return {
            "EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend",
            "ANYMAIL": {"MAILGUN_API_KEY": KEY, "MAILGUN_API_URL": f"{url}/v3"},
        }
    return {
        "EMAIL_BACKEND": "anymail.backends.sendgrid.EmailBackend",
        "ANYMAIL": {"SENDGRID_API_KEY": KEY, "SENDGRID_API_URL": f"{url}/v3/"},
    }


class EspServerProcess:
    """The same server in a process of its own (`make bench`); it keeps no requests, only counts."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.url = ""

    @property
    def pid(self) -> int:
        return self.proc.pid

    def __enter__(self):
        root = Path(__file__).resolve().parent.parent
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.esp_server"], cwd=root, stdout=subprocess.PIPE, text=True
        )
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.__exit__()
            raise RuntimeError("the ESP server process did not start")
        return self

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def counts(self) -> dict:
        """{"calls", "recipients", "problems"} counted so far."""
        with urllib.request.urlopen(f"{self.url}/_recorder", timeout=10) as response:
            return json.loads(response.read())

    def settings_for(self, provider: str) -> dict:
        return settings_for(self.url, provider)


def main() -> None:
    """Serve until SIGTERM (or the parent closes our output); print the URL first."""
    with EspServer() as server:
        server.recorder.keep_requests = False
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        print(server.url, flush=True)
        while not stop.wait(1.0):
            if os.getppid() == 1:  # the bench is gone: so are we
                break


if __name__ == "__main__":
    main()
