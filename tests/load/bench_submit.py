"""`make bench`'s submit phase: the public answer POST against a bare view, measured fairly.

- **Rounds.** Baseline and submit take turns ROUNDS times, each round a share of --seconds. This
  shared 2-core machine's speed drifts by tens of percent within minutes, and one long baseline
  followed by one long submit phase measured that drift as much as the product (the same code gave
  ratios from 0.57 to 0.77). Each ratio is the median of the rounds' ratios, each against the
  baseline measured just before it; the rounds' ratios are printed too, so a noisy run shows itself.
- **End to end.** `submit_rps` counts answers accepted by the web; the worker (at nice 10) may still
  be working through them when the phase ends. `submit_e2e_rps` counts the same answers over the time
  from the round's first POST until the last of them is processed, every case they opened is routed
  and its owner e-mailed, and the queues are empty. The next baseline round starts only then, so the
  baseline never shares the cores with the product's backlog.
- **Mixed answers.** 80 % of POSTs are a link's first answer (one statement); 10 % change an answer
  given earlier in the run and 10 % answer through the campaign's public link (`/a/`), each from its
  own client address behind one trusted proxy hop, so that not every request takes the fast path.
- **Latency.** `submit_p99_ratio` is the submit p99 against the baseline p99 of the same rounds, at
  saturation (32 clients, each waiting for its answer before sending the next). There, latency is
  mostly the number of clients over the throughput (Little's law), so this ratio largely restates the
  rps ratio (0.6 of the baseline's rps alone gives about 1.7). Each round therefore also sends both,
  open loop, at the same offered loads, a quarter and a half of the rps the round's baseline reached
  (PACED_SHARES; measure.paced: a request's latency counts from when it was due, so waiting for a free
  client counts too): `baseline_paced_p99_ms_at25`, `submit_paced_p99_ms_at25`,
  `submit_paced_p99_ratio_at25` (and `_at50`) show what the answer's own work and the worker beside
  it add to the tail below saturation. At a half the product is at its end-to-end capacity already.
- **Priority.** The rounds run with the worker at --worker-nice (10 by default, as "Running in
  production" recommends) and again at the web's priority; the second set's keys end in `_nice0`.
"""

import os
import random
import statistics
import threading
import time
from collections import deque
from http.cookies import SimpleCookie

from tests.load.measure import children, cpu_seconds, hammer, p, paced, postgres_cpu_seconds

ROUNDS = 3
# The offered loads of the open-loop latency measure, as shares of the round's baseline rps. At a half,
# the answers and the work the worker does for them already need both cores (submit_e2e_ratio is about
# 0.5): that is the product at its end-to-end capacity. At a quarter it has room, as a machine should.
PACED_SHARES = (0.25, 0.5)
CPU_LABELS = ("web", "worker", "client", "postgres", "redis", "esp")  # esp: the mail provider's stand-in


class SubmitPhase:
    def __init__(
        self,
        *,
        port: int,
        redis_port: int,
        stack,
        tokens: list[str],
        anonymous_token: str,
        settle_limit: float = 300,
        esp_pid: int | None = None,
    ):
        self.port, self.redis_port, self.stack, self.esp_pid = port, redis_port, stack, esp_pid
        self.settle_limit = settle_limit
        self.tokens = iter(tokens)
        self.anonymous_path = f"/a/{anonymous_token}/"
        self.answered: deque[tuple[str, int]] = deque(maxlen=20_000)  # (token, score) answered in this run
        self.lock = threading.Lock()
        self.rng = random.Random(11)

    # --- requests --------------------------------------------------------------------------------
    def _post(self, conn, path: str, body: str, extra: dict | None = None) -> int:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://127.0.0.1:{self.port}{path}",
            **(extra or {}),
        }
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status

    def baseline(self, conn, i, state) -> bool:
        conn.request("POST", "/bench/baseline/", body="", headers={"Content-Length": "0"})
        response = conn.getresponse()
        response.read()
        return response.status == 204

    def first_answer(self, conn, i, state, token: str | None = None) -> bool:
        """A link's first answer, as the page's form sends it (the personal link needs no CSRF token)."""
        if token is None:
            with self.lock:
                token = next(self.tokens, None)
        if token is None:  # every open invitation answered: the phase ran longer than --open-invitations
            time.sleep(0.05)
            return False
        score = (3, 7, 9, 10, 10, 9)[i % 6]
        ok = self._post(conn, f"/s/{token}/", f"score={score}") == 302
        if ok:
            with self.lock:
                self.answered.append((token, score))
        return ok

    def changed_answer(self, conn, i, state) -> bool:
        """The same link again with another score: the general path (lookup, row lock, update)."""
        with self.lock:
            if not self.answered:
                picked = None
            else:
                picked = self.answered[self.rng.randrange(len(self.answered))]
        if picked is None:
            return self.first_answer(conn, i, state)
        token, score = picked
        return self._post(conn, f"/s/{token}/", f"score={(score + 5) % 11}") == 302

    def public_link_answer(self, conn, i, state) -> bool:
        """An anonymous answer through the campaign's public link, from a client address of its own,
        as a browser sends it: the page (once per client) gives the CSRF cookie the form posts back."""
        address = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        if "csrf" not in state:
            conn.request("GET", self.anonymous_path, headers={"X-Forwarded-For": address})
            response = conn.getresponse()
            response.read()
            cookies = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                cookies.load(header)
            if "csrftoken" not in cookies:
                return False
            state["csrf"] = cookies["csrftoken"].value
        score = (3, 7, 9, 10, 10, 9)[i % 6]
        headers = {"X-Forwarded-For": address, "Cookie": f"csrftoken={state['csrf']}", "X-CSRFToken": state["csrf"]}
        return self._post(conn, self.anonymous_path, f"score={score}", headers) == 302

    def mixed(self, conn, i, state) -> bool:
        kind = i % 10
        if kind == 0:
            return self.changed_answer(conn, i, state)
        if kind == 1:
            return self.public_link_answer(conn, i, state)
        return self.first_answer(conn, i, state)

    # --- measuring -------------------------------------------------------------------------------
    def cpu_split(self) -> tuple:
        web = children(self.stack.procs["web"].pid)
        worker_proc = self.stack.procs.get("worker")
        worker = children(worker_proc.pid) + [worker_proc.pid] if worker_proc else []
        return (
            cpu_seconds(web),
            cpu_seconds(worker),
            cpu_seconds([os.getpid()]),
            postgres_cpu_seconds(),
            cpu_seconds([self.stack.procs["redis"].pid]),
            cpu_seconds([self.esp_pid] if self.esp_pid else []),
        )

    def settle(self, since, limit: float | None = None) -> float:
        """Wait (bounded) until every answer is processed, every case opened since `since` has its
        owner e-mailed, and the broker's queues are empty; returns the monotonic time it happened."""
        import redis
        from django.utils import timezone

        from followups.queries import followups_missing_owner_alert
        from surveys.models import Response

        broker = redis.Redis(port=self.redis_port)
        deadline = time.monotonic() + (self.settle_limit if limit is None else limit)
        while time.monotonic() < deadline:
            if not (
                Response.objects.filter(processed_at__isnull=True).exists()
                or broker.llen("celery")
                or broker.llen("kringloop:answers")
                or followups_missing_owner_alert(created_from=since, created_before=timezone.now()).exists()
            ):
                break
            time.sleep(0.2)
        return time.monotonic()

    def run(self, *, seconds: float, suffix: str = "") -> dict:
        from django.utils import timezone

        figures = {}
        self.settle(timezone.now())
        hammer(self.port, clients=8, seconds=3, make_request=self.baseline)  # warm-up
        share = seconds / ROUNDS
        runs = {"baseline": [], "submit": []}
        at_pace = {(name, paced_share): [] for name in ("baseline", "submit") for paced_share in PACED_SHARES}
        cpu = {"baseline": [0.0] * len(CPU_LABELS), "submit": [0.0] * len(CPU_LABELS)}
        e2e = []
        for _round in range(ROUNDS):
            for name, make_request in (("baseline", self.baseline), ("submit", self.mixed)):
                before, since, started = self.cpu_split(), timezone.now(), time.monotonic()
                rps, latencies = hammer(self.port, clients=32, seconds=share, make_request=make_request)
                if name == "submit":  # until the worker has done everything these answers asked for
                    e2e.append(len(latencies) / (self.settle(since) - started))
                cpu[name] = [total + a - b for total, a, b in zip(cpu[name], self.cpu_split(), before)]
                runs[name].append((rps, latencies))
            for paced_share in PACED_SHARES:
                rate = paced_share * runs["baseline"][-1][0]
                for name, make_request in (("baseline", self.baseline), ("submit", self.mixed)):
                    since = timezone.now()
                    latencies = paced(self.port, rate=rate, seconds=share / 3, make_request=make_request)[1]
                    at_pace[name, paced_share] += latencies
                    self.settle(since)  # the next one starts with the worker idle
        for name in runs:
            latencies = [ms for _rps, round_latencies in runs[name] for ms in round_latencies]
            for label, used in zip(CPU_LABELS, cpu[name]):
                figures[f"{name}_{label}_cpu_ms{suffix}"] = round(used * 1000 / max(len(latencies), 1), 2)
            figures[f"{name}_rps{suffix}"] = round(statistics.mean(rps for rps, _ in runs[name]), 1)
            figures[f"{name}_p99_ms{suffix}"] = p(latencies, 99)
        baselines = [rps for rps, _ in runs["baseline"]]
        ratios = [s / b for b, (s, _) in zip(baselines, runs["submit"]) if b]
        e2e_ratios = [s / b for b, s in zip(baselines, e2e) if b]
        figures[f"submit_ratio{suffix}"] = round(statistics.median(ratios), 2) if ratios else None
        figures[f"submit_ratio_rounds{suffix}"] = [round(r, 2) for r in ratios]
        figures[f"submit_e2e_rps{suffix}"] = round(statistics.mean(e2e), 1) if e2e else None
        figures[f"submit_e2e_ratio{suffix}"] = round(statistics.median(e2e_ratios), 2) if e2e_ratios else None
        figures[f"submit_p99_ratio{suffix}"] = _ratio(
            figures[f"submit_p99_ms{suffix}"], figures[f"baseline_p99_ms{suffix}"]
        )
        for paced_share in PACED_SHARES:
            at = f"_at{round(paced_share * 100)}{suffix}"  # _at25, _at50
            base_p99, submit_p99 = p(at_pace["baseline", paced_share], 99), p(at_pace["submit", paced_share], 99)
            figures[f"baseline_paced_p99_ms{at}"], figures[f"submit_paced_p99_ms{at}"] = base_p99, submit_p99
            figures[f"submit_paced_p50_ms{at}"] = p(at_pace["submit", paced_share], 50)
            figures[f"submit_paced_p99_ratio{at}"] = _ratio(submit_p99, base_p99)
        return figures


def _ratio(measured, baseline):
    """measured / baseline to two places, or None when either is missing (or the baseline is 0)."""
    return round(measured / baseline, 2) if measured and baseline else None
