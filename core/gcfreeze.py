"""Keep the garbage collector off what a server process loads once and keeps.

A process of ours holds about 170,000 objects once Django, every app, view and URL pattern are
loaded; they live as long as the process. CPython's full collection walks every one of them each
time: 40–90 ms on this project's 2-core machines, with the GIL held, so all eight threads of a web
process stand still and the requests in flight get that pause on their latency (one in a few
thousand requests: the p99). `gc.freeze()` moves what exists into a generation the collector never
scans, as the Python documentation recommends for pre-fork servers (it also spares the shared
pages copy-on-write). What is made later is collected as always. README: Performance.
"""

import gc

from django.urls import get_resolver


def load_url_patterns() -> None:
    """Load what the first request, or the first e-mail's reverse(), would: the URL patterns import
    every view."""
    get_resolver().url_patterns  # noqa: B018  (importing the views is the point)


def freeze_loaded() -> None:
    """Collect what start-up left as garbage, then freeze the rest, the URL patterns and views loaded
    first (a web process serves them; a worker's e-mails link to them)."""
    load_url_patterns()
    gc.collect()
    gc.freeze()
