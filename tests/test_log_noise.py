"""Noise (#19.17): a refused page is one INFO line in the log, and the browser's icon is found."""

import io
import logging.config
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders


@pytest.fixture
def log_output(monkeypatch):
    """What the configured console handler writes, with the project's LOGGING applied as at start-up."""
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    logging.config.dictConfig(django_settings.LOGGING)
    yield stream
    monkeypatch.undo()
    logging.config.dictConfig(django_settings.LOGGING)


@pytest.mark.parametrize("debug", [False, True])
def test_a_403_is_one_info_line_without_a_traceback(client, viewer, settings, log_output, debug):
    settings.DEBUG = debug
    client.force_login(viewer)
    response = client.get("/routing/")
    assert response.status_code == 403
    lines = [line for line in log_output.getvalue().splitlines() if line.strip()]
    forbidden = [line for line in lines if "Forbidden" in line]
    assert forbidden == ["INFO django.request Forbidden (Permission denied): /routing/"]
    assert "Traceback" not in log_output.getvalue()


def test_a_server_error_keeps_its_traceback(log_output):
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("django.request").error(
            "Internal Server Error: /x", exc_info=True, extra={"status_code": 500}
        )
    assert "ERROR django.request Internal Server Error: /x" in log_output.getvalue()
    assert "Traceback" in log_output.getvalue()


def test_pages_link_a_favicon_and_favicon_ico_leads_to_it(client, admin):
    client.force_login(admin)
    html = client.get("/routing/").content.decode()
    assert 'rel="icon"' in html and "img/favicon.svg" in html
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("favicon.svg")
    assert finders.find("img/favicon.svg")
