"""A small, bounded HTTP load generator for localhost: respondents answering their invitations."""

import http.client
import queue
import re
import threading
import time
from dataclasses import dataclass, field

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Result:
    accepted: set = field(default_factory=set)  # tokens whose answer was accepted (redirect after POST)
    errors: dict = field(default_factory=dict)  # status or exception name -> count
    latencies_ms: list = field(default_factory=list)  # of the POSTs
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, key: str) -> None:
        with self.lock:
            self.errors[key] = self.errors.get(key, 0) + 1


class Respondent:
    """One client with its own keep-alive connection and cookie jar."""

    def __init__(self, port: int):
        self.port = port
        self.conn = None
        self.cookies: dict[str, str] = {}

    def _request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                all_headers = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
                if self.cookies:
                    all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
                self.conn.request(method, path, body=body, headers=all_headers)
                response = self.conn.getresponse()
                data = response.read()
                for value in response.headers.get_all("Set-Cookie") or []:
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
                return response.status, data
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def answer(self, token: str, score: int, result: Result) -> None:
        status, page = self._request("GET", f"/s/{token}/?score={score}")
        if status != 200:
            result.error(f"GET {status}")
            return
        match = CSRF_INPUT.search(page.decode("utf-8", "replace"))  # the personal link's form has none
        body = (f"csrfmiddlewaretoken={match.group(1)}&" if match else "") + f"score={score}"
        started = time.perf_counter()
        status, _ = self._request(
            "POST",
            f"/s/{token}/",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{self.port}/s/{token}/",
            },
        )
        elapsed = (time.perf_counter() - started) * 1000
        with result.lock:
            result.latencies_ms.append(elapsed)
            if status in (302, 303):
                result.accepted.add(token)
        if status not in (302, 303):
            result.error(f"POST {status}")


def run_load(*, port: int, work: list[tuple[str, int]], clients: int, time_limit: float, on_progress=None) -> Result:
    """Answer each (token, score) once, from `clients` threads; stops when done or after `time_limit` s."""
    result = Result()
    jobs: queue.Queue = queue.Queue()
    for item in work:
        jobs.put(item)
    deadline = time.monotonic() + time_limit

    def client_loop():
        respondent = Respondent(port)
        while time.monotonic() < deadline:
            try:
                token, score = jobs.get_nowait()
            except queue.Empty:
                return
            try:
                respondent.answer(token, score, result)
            except Exception as exc:
                result.error(type(exc).__name__)
            if on_progress:
                on_progress(result)

    threads = [threading.Thread(target=client_loop, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.1, deadline - time.monotonic() + 35))
    return result
