"""While the database is unreachable, people get a friendly 503 "try again in a moment" page with
Retry-After (core.unavailable), in their language, never a traceback, also with DEBUG on."""

import sys
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory

from core.views import server_error
from surveys.models import Response
from tests.factories import InvitationFactory

GONE = OperationalError("server closed the connection unexpectedly")
TRACEBACK = ("Traceback", "OperationalError", "server closed the connection")


def _friendly(response, *, language="en"):
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"].isdigit() and int(response["Retry-After"]) > 0
    assert not any(text in html for text in TRACEBACK)
    return html


@pytest.mark.parametrize("debug", [False, True])
def test_a_respondent_gets_try_again_in_a_moment_while_the_database_is_away(client, db, settings, debug):
    settings.DEBUG = debug
    invitation = InvitationFactory()
    with mock.patch("surveys.public_views.invitation_by_token", side_effect=GONE):
        response = client.get(f"/s/{invitation.token}/?score=3")
    html = _friendly(response)
    assert "Please try again in a moment." in html and f'href="/s/{invitation.token}/?score=3"' in html


def test_in_dutch_for_a_dutch_respondent(client, db):
    invitation = InvitationFactory()
    with mock.patch(
        "surveys.public_views.invitation_by_token", side_effect=InterfaceError("connection already closed")
    ):
        response = client.get(f"/s/{invitation.token}/", HTTP_ACCEPT_LANGUAGE="nl")
    html = _friendly(response)
    assert 'lang="nl"' in html and "Probeer het zo opnieuw" in html


def test_an_answer_that_could_not_be_stored_says_so(client, db):
    invitation = InvitationFactory()
    with mock.patch("surveys.public_views.response_submit_first", side_effect=GONE):
        response = client.post(f"/s/{invitation.token}/", {"score": "4"})
    html = _friendly(response)
    assert "has not been saved yet" in html
    assert not Response.objects.exists()


def test_a_staff_page_too(client, admin):
    client.force_login(admin)
    with mock.patch("scoring.queries.nps_summary", side_effect=GONE):
        response = client.get("/dashboard/")
    _friendly(response)


def test_the_api_answers_503_in_its_own_shape(client, db):
    with mock.patch("api.authentication.BearerTokenAuthentication.authenticate", side_effect=GONE):
        response = client.get("/api/responses/", HTTP_AUTHORIZATION="Bearer x")
    assert response.status_code == 503 and response["Retry-After"]
    assert "try again in a moment" in response.json()["detail"].lower()


def test_an_outage_outside_any_view_gets_the_page_not_a_500(db):
    """Raised by a middleware or a session save, the exception reaches handler500 (core.views.server_error)."""
    request = RequestFactory().get("/s/some-token/")
    try:
        raise GONE
    except OperationalError:
        assert sys.exc_info()[1] is GONE
        response = server_error(request)
    _friendly(response)
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(request).status_code == 500


@pytest.mark.postgres("cuts the connection with pg_terminate_backend")
def test_a_connection_the_server_cut_is_opened_again_before_a_request_uses_it(client, transactional_db):
    """Kept connections (CONN_MAX_AGE) are checked before reuse (CONN_HEALTH_CHECKS): after every
    connection was terminated, the next request is answered normally, not with a 5xx."""
    import psycopg
    from django.db import close_old_connections, connection

    invitation = InvitationFactory()
    assert client.get(f"/s/{invitation.token}/?score=9").status_code == 200
    pid = connection.connection.info.backend_pid
    settings_dict = connection.settings_dict
    with psycopg.connect(
        host=settings_dict["HOST"] or "localhost",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        dbname=settings_dict["NAME"],
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    close_old_connections()  # what every request starts with (Django's test client leaves it out)
    assert client.get(f"/s/{invitation.token}/?score=9").status_code == 200
    assert connection.connection.info.backend_pid != pid
