"""`make bench`'s widget phase: the widget's answer call (POST /widget/v1/answer/, JSON from the host
page's origin, an identified contact's token) against the same bare baseline view, in alternating
rounds like the submit phase (tests/load/bench_submit.py), and the script's size gzipped.

`widget_submit_ratio` is the median of the rounds' ratios, each against the baseline just before it
(goal >= 0.5); `widget_gzip_bytes` is /widget/v1.js as the web serves it, gzipped (goal < 15,000).
"""

import gzip
import http.client
import json
import statistics
import threading

from tests.load.measure import hammer

ROUNDS = 3
ORIGIN = "https://shop.bench.example"


class WidgetPhase:
    def __init__(self, *, port: int, key: str, tokens: list[str], settle):
        self.port, self.key, self.settle = port, key, settle
        self.tokens = iter(tokens)
        self.lock = threading.Lock()

    def baseline(self, conn, i, state) -> bool:
        conn.request("POST", "/bench/baseline/", body="", headers={"Content-Length": "0"})
        response = conn.getresponse()
        response.read()
        return response.status == 204

    def answer(self, conn, i, state) -> bool:
        with self.lock:
            token = next(self.tokens, None)
        if token is None:
            return False
        body = json.dumps({"key": self.key, "token": token, "score": (3, 7, 9, 10, 10, 9)[i % 6]})
        conn.request("POST", "/widget/v1/answer/", body=body, headers={"Content-Type": "text/plain", "Origin": ORIGIN})
        response = conn.getresponse()
        response.read()
        return response.status == 200

    def script_gzip_bytes(self) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", "/widget/v1.js")
        body = conn.getresponse().read()
        conn.close()
        return len(gzip.compress(body, 9))

    def run(self, *, seconds: float) -> dict:
        from django.utils import timezone

        self.settle(timezone.now(), limit=60)
        share = seconds / ROUNDS
        baselines, answers = [], []
        for _round in range(ROUNDS):
            baselines.append(hammer(self.port, clients=32, seconds=share, make_request=self.baseline)[0])
            since = timezone.now()
            answers.append(hammer(self.port, clients=32, seconds=share, make_request=self.answer)[0])
            self.settle(since, limit=60)  # the worker's backlog is done before the next baseline (bounded)
        ratios = [a / b for b, a in zip(baselines, answers) if b]
        return {
            "widget_submit_rps": round(statistics.mean(answers), 1),
            "widget_submit_ratio": round(statistics.median(ratios), 2) if ratios else None,
            "widget_submit_ratio_rounds": [round(r, 2) for r in ratios],
            "widget_gzip_bytes": self.script_gzip_bytes(),
        }
