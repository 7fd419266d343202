"""/healthz reports the database and the broker."""

from django.db import connection


def test_it_answers_200_when_database_and_broker_are_up(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "derived": {"rollups": {"status": "not built", "lag_seconds": None}},  # never a reason for 503
        "replica": {"configured": False},  # DATABASE_REPLICA_URL unset (tests/test_replica_routing.py)
    }


def test_it_answers_503_when_the_broker_is_down(client, db, settings):
    from config.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["broker"] != "ok"
    assert response.json()["database"] == "ok"


def test_it_answers_503_when_the_database_is_down(client, db, monkeypatch):
    class UnreachableDatabase:
        def cursor(self):
            raise connection.Database.OperationalError("connection refused")

    # The health check sees a connection whose server is gone, as after a PostgreSQL crash.
    monkeypatch.setattr("core.health.connection", UnreachableDatabase())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "OperationalError"
