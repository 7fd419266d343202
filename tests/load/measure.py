"""What the load tools measure with: CPU and memory of processes, and a bounded HTTP load loop."""

import http.client
import os
import statistics
import threading
import time
from pathlib import Path


def peak_rss_mb(pids) -> float:
    """Peak resident memory (VmHWM) of the given processes, the largest one, in MB."""
    peak = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            continue
    return round(peak / 1024, 1)


def cpu_seconds(pids) -> float:
    """User + system CPU time the given processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
        except OSError:
            continue
    return total / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU of the machine's PostgreSQL: every postgres process, plus the backends that have exited
    (the postmaster reaps them, so their time is in its children's counters)."""
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            head, rest = (proc / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        if not head.endswith("(postgres"):
            continue
        fields = rest.split()
        total += int(fields[11]) + int(fields[12])
        if int(fields[1]) == 1 or (proc / "cmdline").read_bytes().find(b"-D") >= 0:  # the postmaster
            total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    result = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            result += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return result


def _clients(port: int, *, clients: int, join_after: float, start_of, make_request) -> list[float]:
    """Run `make_request(conn, i, state)` from `clients` threads, each on a connection of its own, for
    i = 0, 1, … while `start_of(i)` gives the moment request i's latency counts from (it may wait
    for it first); None stops the thread. Returns the latencies of the requests that succeeded, in ms."""
    latencies, lock = [], threading.Lock()
    counter = iter(range(10**9))

    def loop():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        state = {}
        while (since := start_of(i := next(counter))) is not None:
            try:
                ok = make_request(conn, i, state)
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            if ok:
                with lock:
                    latencies.append((time.monotonic() - since) * 1000)

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(join_after)
    return latencies


def hammer(port: int, *, clients: int, seconds: float, make_request) -> tuple[float, list[float]]:
    """Closed loop: `clients` threads each send their next request as soon as the last is answered,
    for `seconds`; returns (rps, latencies)."""
    started = time.monotonic()
    stop_at = started + seconds

    def start_of(_i):
        now = time.monotonic()
        return now if now < stop_at else None

    latencies = _clients(port, clients=clients, join_after=seconds + 60, start_of=start_of, make_request=make_request)
    return len(latencies) / (time.monotonic() - started), latencies


def paced(port: int, *, rate: float, seconds: float, make_request, clients: int = 32) -> tuple[float, list[float]]:
    """Open loop: request i is due at start + i / rate whatever became of the earlier ones, sent by
    whichever of `clients` threads is free, and its latency counts from when it was due, so a request
    that had to wait for a free client counts that wait too (no coordinated omission). Bounded: at
    most rate × seconds requests, and no later than seconds + 60. Returns (rps, latencies)."""
    total = max(int(rate * seconds), 1)
    started = time.monotonic()
    give_up = started + seconds + 60

    def start_of(i):
        due = started + i / rate
        if i >= total or due > give_up:
            return None
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        return due

    latencies = _clients(port, clients=clients, join_after=seconds + 90, start_of=start_of, make_request=make_request)
    return len(latencies) / (time.monotonic() - started), latencies


def p(values, q):
    return round(statistics.quantiles(values, n=100)[q - 1], 1) if len(values) >= 2 else None


def median_ms(fn, runs: int = 5) -> float:
    """The median of `runs` calls of `fn`, in milliseconds."""
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(samples), 1)


def get_page(port: int, path: str, *, session: str = "", headers: dict | None = None, timeout: float = 120) -> bytes:
    """GET `path` from the local server (with the session cookie or the headers given); fails unless 200."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", path, headers={**({"Cookie": f"sessionid={session}"} if session else {}), **(headers or {})})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status == 200, (path, response.status)
    return body
