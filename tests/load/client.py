"""A small, bounded HTTP load generator for localhost: respondents answering their invitations, some
adding their "why". A respondent who gets the "try again in a moment" page (503, Retry-After) waits
and tries again, as a person would; every 5xx is counted."""

import http.client
import queue
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import quote_plus

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TRIES = 8  # per request, while the service answers 5xx or the connection fails
WAIT_CAP = 3.0  # seconds at most between tries (Retry-After may say more)


@dataclass
class Result:
    accepted: set = field(default_factory=set)  # tokens whose answer was accepted (redirect after POST)
    commented: set = field(default_factory=set)  # tokens whose "why" was accepted
    errors: dict = field(default_factory=dict)  # status or exception name -> count
    http_5xx: int = 0
    http_5xx_without_retry_after: int = 0  # a 5xx that is not the friendly page (a traceback, a bare 500)
    latencies_ms: list = field(default_factory=list)  # of the answer POSTs
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, key: str) -> None:
        with self.lock:
            self.errors[key] = self.errors.get(key, 0) + 1


class Respondent:
    """One client with its own keep-alive connection and cookie jar."""

    def __init__(self, port: int, result: Result):
        self.port = port
        self.result = result
        self.conn = None
        self.cookies: dict[str, str] = {}

    def _once(self, method: str, path: str, body: str | None, headers: dict | None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        all_headers = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = None
            raise
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.headers, data

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        """(status, body); a 5xx or a failed connection is tried again after a pause, up to TRIES times."""
        for attempt in range(TRIES):
            try:
                status, response_headers, data = self._once(method, path, body, headers)
            except (http.client.HTTPException, OSError) as exc:
                self.result.error(type(exc).__name__)
                time.sleep(min(WAIT_CAP, 0.5 * (attempt + 1)))
                continue
            if status < 500:
                return status, data
            with self.result.lock:
                self.result.http_5xx += 1
                if not response_headers.get("Retry-After"):
                    self.result.http_5xx_without_retry_after += 1
            self.result.error(f"{method} {status}")
            retry_after = response_headers.get("Retry-After", "")
            wait = float(retry_after) if retry_after.isdigit() else 1.0
            time.sleep(min(WAIT_CAP, wait))
        return 0, b""

    def answer(self, token: str, score: int, comment: str = "") -> None:
        result = self.result
        status, page = self.request("GET", f"/s/{token}/?score={score}")
        if status != 200:
            result.error(f"GET {status}")
            return
        match = CSRF_INPUT.search(page.decode("utf-8", "replace"))  # the personal link's form has none
        body = (f"csrfmiddlewaretoken={match.group(1)}&" if match else "") + f"score={score}"
        form = {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{self.port}/"}
        started = time.perf_counter()
        status, _ = self.request("POST", f"/s/{token}/", body=body, headers=form)
        elapsed = (time.perf_counter() - started) * 1000
        with result.lock:
            result.latencies_ms.append(elapsed)
            if status in (302, 303):
                result.accepted.add(token)
        if status not in (302, 303):
            result.error(f"POST {status}")
            return
        if comment:
            status, _ = self.request("POST", f"/s/{token}/why/", body=f"comment={quote_plus(comment)}", headers=form)
            if status in (302, 303):
                with result.lock:
                    result.commented.add(token)
            else:
                result.error(f"why {status}")


def run_load(
    *, port: int, work: list[tuple], clients: int, time_limit: float, on_progress=None, result: Result | None = None
) -> Result:
    """Answer each (token, score[, comment]) once, from `clients` threads; stops when done or after
    `time_limit` s."""
    result = result or Result()
    jobs: queue.Queue = queue.Queue()
    for item in work:
        jobs.put(item)
    deadline = time.monotonic() + time_limit

    def client_loop():
        respondent = Respondent(port, result)
        while time.monotonic() < deadline:
            try:
                token, score, *rest = jobs.get_nowait()
            except queue.Empty:
                return
            try:
                respondent.answer(token, score, rest[0] if rest else "")
            except Exception as exc:
                result.error(type(exc).__name__)
            if on_progress:
                on_progress(result)

    threads = [threading.Thread(target=client_loop, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.1, deadline - time.monotonic() + 35 + TRIES * WAIT_CAP))
    return result
