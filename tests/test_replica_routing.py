"""Which reads go to the replica (core/replica.py), and the fall-back to the primary.

The replica here is a second connection to the test database under the alias `replica`, the way
Django mirrors a replica in tests. Whether that connection is a usable replica (in recovery, not
lagging) is PostgreSQL's answer on a real streaming replica, which tests/test_replica_real.py
starts; here `_check` is told the answer, except where the replica is really unreachable.
"""

import threading

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from core import replica
from surveys.models import Response
from tests.api_fixtures import api, api_as, token_for  # noqa: F401
from tests.factories import FollowUpFactory, ResponseFactory

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

USABLE = {"configured": True, "usable": True, "lag_seconds": 0.0}


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup):
    """A `replica` connection to the test database, known before each test's database access is set up."""
    default = connections["default"].settings_dict
    connections.settings[replica.REPLICA] = {**default, "TEST": {**default["TEST"], "MIRROR": "default"}}
    yield
    connections[replica.REPLICA].close()
    del connections[replica.REPLICA]
    del connections.settings[replica.REPLICA]


@pytest.fixture
def mirror(settings):
    """The replica configured (settings.DATABASES names it), its queries counted apart from the primary's."""
    settings.DATABASE_REPLICA_URL = "(the test database, under a second connection)"
    replica.forget_replica_status()
    yield connections[replica.REPLICA]
    replica.forget_replica_status()


@pytest.fixture
def usable(mirror, monkeypatch):
    monkeypatch.setattr(replica, "_check", lambda: dict(USABLE))
    return mirror


@pytest.fixture
def routed_elsewhere(monkeypatch):
    """The models read on the replica from other threads: the streamed export reads its next chunk
    ahead in a thread with its own connections (core.readahead), which this thread's
    CaptureQueriesContext does not see."""
    seen = []
    original = replica.ReplicaRouter.db_for_read

    def recording(self, model, **hints):
        alias = original(self, model, **hints)
        if alias == replica.REPLICA and threading.current_thread() is not threading.main_thread():
            seen.append(model)
        return alias

    monkeypatch.setattr(replica.ReplicaRouter, "db_for_read", recording)
    return seen


def _whole(response):
    """The response, its body read (a streamed export reads the database as it is sent)."""
    b"".join(response.streaming_content) if response.streaming else response.content
    return response


def _read_on_replica(mirror, request) -> tuple[int, int]:
    """(status, queries the replica ran) for one request."""
    with CaptureQueriesContext(mirror) as on_replica:
        response = request()
    return response.status_code, len(on_replica.captured_queries)


def test_without_a_replica_nothing_is_routed_and_healthz_says_so(client, viewer):
    client.force_login(viewer)
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/healthz").json()["replica"] == {"configured": False}


def test_the_dashboard_comments_and_exports_read_from_the_replica(client, admin, usable, routed_elsewhere):
    ResponseFactory.create_batch(3, score=9)
    client.force_login(admin)
    for path in ("/dashboard/", "/dashboard/comments/", "/dashboard/breakdown.csv", "/dashboard/export.csv"):
        routed_elsewhere.clear()
        status, queries = _read_on_replica(usable, lambda path=path: _whole(client.get(path)))
        assert status == 200, path
        assert queries + len(routed_elsewhere) > 0, f"{path} read nothing from the replica"


def test_a_streamed_export_reads_from_the_replica_while_it_is_sent(client, admin, usable, routed_elsewhere):
    ResponseFactory.create_batch(3, score=9)
    client.force_login(admin)
    response = client.get("/dashboard/export.csv")
    assert response.streaming and routed_elsewhere == []  # nothing read yet
    body = b"".join(response.streaming_content)
    assert body.count(b"\n") >= 4
    assert Response in routed_elsewhere  # the rows, read ahead on the replica while the body was sent


def test_a_case_page_and_sign_in_stay_on_the_primary(client, agent, usable):
    followup = FollowUpFactory(owner=agent)
    client.force_login(agent)
    status, queries = _read_on_replica(usable, lambda: client.get(f"/followups/{followup.pk}/"))
    assert status == 200
    assert queries == 0


def test_the_api_reads_lists_and_the_summary_from_the_replica_and_writes_on_the_primary(api, usable):
    ResponseFactory.create_batch(2, score=3)
    for path in ("/api/nps/summary/", "/api/responses/", "/api/contacts/"):
        status, queries = _read_on_replica(usable, lambda path=path: api.get(path))
        assert (status, queries > 0) == (200, True), path
    status, queries = _read_on_replica(
        usable, lambda: api.post("/api/contacts/upsert/", {"contacts": [{"email": "new@example.com"}]}, format="json")
    )
    assert status in (200, 201)
    assert queries == 0


def test_an_unreachable_replica_falls_back_to_the_primary_and_healthz_reports_it(client, viewer, mirror, settings):
    good = connections.settings[replica.REPLICA]
    broken = {**good}
    if broken["ENGINE"].endswith("sqlite3"):
        broken["NAME"] = "/nonexistent/folder/replica.sqlite3"
    else:
        broken["PORT"] = 1  # nothing listens there
    connections[replica.REPLICA].close()
    del connections[replica.REPLICA]
    connections.settings[replica.REPLICA] = broken
    replica.forget_replica_status()
    try:
        _unreachable_replica_falls_back(client, viewer)
    finally:
        connections[replica.REPLICA].close()
        del connections[replica.REPLICA]
        connections.settings[replica.REPLICA] = good


def _unreachable_replica_falls_back(client, viewer):
    ResponseFactory(score=10)
    client.force_login(viewer)
    assert client.get("/dashboard/").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["replica"]["usable"] is False
    assert health.json()["replica"]["reason"] == "unreachable"


@pytest.mark.parametrize(
    "status",
    [
        {"configured": True, "usable": False, "reason": "lagging", "lag_seconds": 42.0},
        {"configured": True, "usable": False, "reason": "not a replica", "lag_seconds": 0.0},
    ],
)
def test_a_lagging_replica_is_not_read(client, viewer, mirror, monkeypatch, status):
    monkeypatch.setattr(replica, "_check", lambda: dict(status))
    client.force_login(viewer)
    code, queries = _read_on_replica(mirror, lambda: client.get("/dashboard/"))
    assert (code, queries) == (200, 0)
    assert client.get("/healthz").json()["replica"] == status


def test_the_status_is_checked_at_most_every_replica_check_s(mirror, monkeypatch, settings):
    calls = []
    monkeypatch.setattr(replica, "_check", lambda: calls.append(1) or dict(USABLE))
    settings.REPLICA_CHECK_S = 3600
    for _ in range(5):
        replica.replica_status()
    assert len(calls) == 1
    settings.REPLICA_CHECK_S = 0
    replica.replica_status()
    assert len(calls) == 2
