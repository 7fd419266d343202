"""The bench's reads at scale (#27): the streamed CSV export, the comment search and the API's NPS
summary, each measured over HTTP against the bench's gunicorn.

`tests/load/bench.py` calls these in its reads phase (1M answers) and the 10M mode calls them again;
the signatures stay stable. Everything here is bounded: one export, a few GETs.
"""

import http.client
import threading
import time

from tests.load.measure import children, get_page, median_ms
from tests.load.sampling import rss_mb

# Every answer of the seed: the bench spreads them over the past 365 days, both customer kinds.
EXPORT_QUERY = "period=365d&kind=all"
SEARCH_QUERY = "period=365d&kind=all"
# A word of one of the seed's sixteen comments (tests/load/seed_bulk.COMMENTS): one answer in 80.
SEARCH_WORD = "wachttijd"
SUMMARY_QUERY = "period=365d&kind=all"
READ_BYTES = 1 << 20


class _RssSampler(threading.Thread):
    """The largest resident set any of the given processes had while it ran, sampled every 20 ms
    (the processes' VmHWM would also count whatever they did before the export)."""

    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids, self.peak, self.stopping = list(pids), 0.0, threading.Event()

    def run(self):
        while not self.stopping.is_set():
            self.peak = max([self.peak, *(rss_mb(pid) for pid in self.pids)])
            self.stopping.wait(0.02)

    def stop(self) -> float:
        self.stopping.set()
        self.join(5)
        return round(self.peak, 1)


def measure_export(port: int, session: str, *, web_master: int, query: str = EXPORT_QUERY) -> dict:
    """Stream /dashboard/export.csv once: rows per second from the request until the last byte
    (`export_1m_rows_s`, whatever the row count: per second, not per million) and the peak RSS of
    gunicorn's workers meanwhile (`export_rss_mb`). Rows are counted as line ends (the seed's
    comments hold none), less the header; the body is read in 1 MB pieces and never kept."""
    sampler = _RssSampler(children(web_master))
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    lines = size = 0
    t = time.perf_counter()
    try:
        conn.request("GET", f"/dashboard/export.csv?{query}", headers={"Cookie": f"sessionid={session}"})
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"export: {response.status} {response.read(300)!r}")
        while piece := response.read(READ_BYTES):
            lines += piece.count(b"\n")
            size += len(piece)
    finally:
        conn.close()
        elapsed = time.perf_counter() - t
        rss = sampler.stop()
    rows = max(lines - 1, 0)
    return {
        "export_rows": rows,
        "export_mb": round(size / 2**20, 1),
        "export_s": round(elapsed, 2),
        "export_1m_rows_s": round(rows / elapsed),
        "export_rss_mb": rss,
    }


def measure_comment_search(
    port: int, session: str, *, word: str = SEARCH_WORD, query: str = SEARCH_QUERY, runs: int = 5
) -> float:
    """The comments page searched for one word over every comment, its first page: the median ms of
    `runs` after one warm-up (which also checks that it found comments). `session`: an agent's or
    admin's (comments name their writers)."""
    path = f"/dashboard/comments/?{query}&q={word}"
    if b'class="comment-text' not in get_page(port, path, session=session):
        raise RuntimeError(f"the comment search for {word!r} found nothing")
    return median_ms(lambda: get_page(port, path, session=session), runs)


def measure_api_summary(port: int, token: str, *, query: str = SUMMARY_QUERY, runs: int = 5) -> float:
    """GET /api/nps/summary/ with a token of the NPS scope: the median ms of `runs` after one warm-up."""
    path, headers = f"/api/nps/summary/?{query}", {"Authorization": f"Bearer {token}"}
    get_page(port, path, headers=headers)
    return median_ms(lambda: get_page(port, path, headers=headers), runs)
