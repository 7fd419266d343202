"""A local stand-in for the SMS providers' REST APIs (Twilio, MessageBird), for tests.

It listens on 127.0.0.1 on a free port, checks each request as the provider documents it (path,
authentication, fields) and answers like the provider: 201 with an id, or the status codes queued
with `fail_next(…)` (429, 503, 400 …). Every request is kept in `requests`, with its problems:
a request the real provider would refuse is recorded with the reason, and answered 401/400.
"""

import base64
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TWILIO_SID, TWILIO_TOKEN = "AC" + "0" * 32, "twilio-auth-token"
MESSAGEBIRD_KEY, MESSAGEBIRD_SIGNING_KEY = "live_mb_access_key", "mb-signing-key"


@dataclass
class Seen:
    provider: str
    method: str
    path: str
    headers: dict
    fields: dict
    problems: list[str] = field(default_factory=list)


class SimulatedSmsApi:
    def __init__(self):
        self.requests: list[Seen] = []
        self._failures: list[tuple[int, dict]] = []
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, body = api.handle(self.path, dict(self.headers), raw)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, *statuses: int, body: dict | None = None):
        """Answer the next requests with these HTTP statuses (then normally again)."""
        with self._lock:
            self._failures.extend((status, body or {}) for status in statuses)

    def handle(self, path: str, headers: dict, raw: bytes) -> tuple[int, dict]:
        headers = {k.lower(): v for k, v in headers.items()}
        if path.startswith("/2010-04-01/"):
            seen = self._twilio(path, headers, raw)
        else:
            seen = self._messagebird(path, headers, raw)
        with self._lock:
            self.requests.append(seen)
            failure = self._failures.pop(0) if self._failures else None
        if seen.problems:
            return (401 if "auth" in seen.problems[0] else 400), {"message": "; ".join(seen.problems)}
        if failure:
            return failure[0], failure[1] or {"message": f"simulated {failure[0]}", "code": 20429}
        if seen.provider == "twilio":
            return 201, {"sid": "SM" + uuid.uuid4().hex, "status": "queued", "to": seen.fields["To"]}
        return 201, {"id": uuid.uuid4().hex, "recipients": {"totalCount": 1, "items": []}}

    def _twilio(self, path, headers, raw) -> Seen:
        fields = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        seen = Seen("twilio", "POST", path, headers, fields)
        expected_auth = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if headers.get("authorization") != expected_auth:
            seen.problems.append("auth: HTTP basic with AccountSid:AuthToken expected")
        if urlsplit(path).path != f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json":
            seen.problems.append("path: /2010-04-01/Accounts/{AccountSid}/Messages.json expected")
        if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            seen.problems.append("Twilio takes form-encoded fields")
        if not fields.get("To", "").startswith("+"):
            seen.problems.append("To must be E.164")
        if not fields.get("Body"):
            seen.problems.append("Body is required")
        if not (fields.get("From") or fields.get("MessagingServiceSid")):
            seen.problems.append("From or MessagingServiceSid is required")
        return seen

    def _messagebird(self, path, headers, raw) -> Seen:
        try:
            fields = json.loads(raw or b"{}")
        except ValueError:
            fields = {}
        seen = Seen("messagebird", "POST", path, headers, fields)
        if headers.get("authorization") != f"AccessKey {MESSAGEBIRD_KEY}":
            seen.problems.append("auth: Authorization: AccessKey <key> expected")
        if path != "/messages":
            seen.problems.append("path: /messages expected")
        if not headers.get("content-type", "").startswith("application/json"):
            seen.problems.append("MessageBird takes JSON")
        recipients = fields.get("recipients") or []
        if not recipients or any(not str(r).isdigit() for r in recipients):
            seen.problems.append("recipients: numbers with country code, digits only")
        if not fields.get("originator") or not fields.get("body"):
            seen.problems.append("originator and body are required")
        return seen
