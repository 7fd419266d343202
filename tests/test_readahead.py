"""core.readahead: a generator read one step ahead in a thread of its own (the streamed export reads
its next chunk while the last one is formatted)."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from core.readahead import read_ahead
from scoring.exports import HEADER, rows
from scoring.filters import Filters
from tests.factories import CampaignFactory, ResponseFactory


def _threads() -> int:
    return sum(thread.name == "read-ahead" for thread in threading.enumerate())


def _settle(expected: int) -> int:
    deadline = time.monotonic() + 10
    while _threads() != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return _threads()


def test_the_items_come_in_order_from_another_thread():
    made_in = []

    def numbers():
        for i in range(5):
            made_in.append(threading.current_thread().name)
            yield i

    assert list(read_ahead(numbers(), depth=2)) == [0, 1, 2, 3, 4]
    assert set(made_in) == {"read-ahead"}


def test_an_error_while_reading_ahead_reaches_the_caller():
    def failing():
        yield 1
        raise ValueError("the database went away")

    items = read_ahead(failing())
    assert next(items) == 1
    with pytest.raises(ValueError, match="went away"):
        next(items)


def test_a_caller_that_stops_early_stops_the_thread():
    before = _threads()
    made = []

    def endless():
        i = 0
        while True:
            made.append(i)
            yield i
            i += 1

    items = read_ahead(endless())
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    items.close()  # a download cancelled
    assert _settle(before) == before
    assert len(made) <= 3 + 2  # the items handed over, the one waiting and the one being made


@pytest.mark.django_db
def test_inside_a_transaction_the_items_are_made_here():
    """Another connection would not see the transaction's rows: no thread then."""
    made_in = []

    def one():
        made_in.append(threading.current_thread().name)
        yield 1

    assert list(read_ahead(one())) == [1]
    assert made_in == [threading.current_thread().name]


@pytest.mark.django_db(transaction=True)
def test_the_export_reads_ahead_on_its_own_connection_and_closes_it(monkeypatch):
    from scoring import exports

    monkeypatch.setattr(exports, "CHUNK", 2)
    campaign = CampaignFactory(kind="transactional")
    moment = timezone.now() - timedelta(days=1)
    for i in range(5):
        ResponseFactory(campaign=campaign, score=i, comment=f"c{i}", submitted_at=moment + timedelta(minutes=i))
    today = timezone.localdate()
    filters = Filters(start=today - timedelta(days=7), end=today, kind="transactional")
    assert not any(c.in_atomic_block for c in connections.all(initialized_only=True))
    assert [row[HEADER.index("comment")] for row in rows(filters)] == [f"c{i}" for i in range(5)]
    assert _settle(0) == 0  # the thread ended, its connection closed with it
