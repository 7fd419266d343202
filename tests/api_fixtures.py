"""Fixtures for the REST API tests: tokens made through the service, clients that send them.

Import the fixtures a module uses by name (`from tests.api_fixtures import api, token_for  # noqa: F401`)."""

import pytest
from rest_framework.test import APIClient

from api.scopes import SCOPES
from api.services import token_create


@pytest.fixture
def token_for(admin):
    """token_for(*scopes) -> the whole secret of a new token with those scopes (all by default)."""

    def make(*scopes, name="CRM sync"):
        _token, secret = token_create(name=name, scopes=list(scopes or SCOPES), actor=admin)
        return secret

    return make


@pytest.fixture
def api_as(token_for):
    """api_as(*scopes) -> an API client carrying a token with those scopes."""

    def make(*scopes):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(*scopes)}")
        return client

    return make


@pytest.fixture
def api(api_as):
    """A client whose token has every scope."""
    return api_as()
