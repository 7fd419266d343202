"""Read ahead: a generator's next items made in a thread of its own while the caller uses the last one."""

import contextvars
import queue
import threading

from django.db import connections

_END = object()
_WAIT_S = 0.5  # how often a blocked producer looks whether the consumer has gone


def read_ahead(items, *, depth: int = 1):
    """Yield what the generator `items` yields, made up to `depth` items ahead in another thread:
    the database works on the next chunk while this thread formats the last one (a long export's
    time was their sum). The thread runs in this context (the replica routing follows it), uses
    database connections of its own and closes them when it ends; memory holds at most depth + 1
    items. Inside a transaction the items are made here, one by one: another connection would not
    see the transaction's rows. When the caller stops early (a download cancelled), the thread stops
    after the item it is making."""
    if any(connection.in_atomic_block for connection in connections.all(initialized_only=True)):
        yield from items
        return
    ahead: queue.Queue = queue.Queue(maxsize=depth)
    gone = threading.Event()

    def put(entry) -> bool:
        while not gone.is_set():
            try:
                ahead.put(entry, timeout=_WAIT_S)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((_END, None))
        except BaseException as exc:  # handed to the caller, raised there
            put((_END, exc))
        finally:
            items.close()
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=contextvars.copy_context().run, args=(produce,), name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, error = ahead.get()
            if item is _END:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        gone.set()
