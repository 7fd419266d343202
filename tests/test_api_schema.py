"""The OpenAPI schema is valid, documents every operation with its scope and errors, and a
property-based run of schemathesis against it finds no server error (5xx)."""

from collections import defaultdict

import pytest
import schemathesis
import yaml
from django.core.management import call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis import GenerationMode

from tests.api_fixtures import api, api_as, token_for  # noqa: F401
from tests.factories import (
    AnswerFactory,
    CampaignFactory,
    ContactFactory,
    FollowUpFactory,
    QuestionFactory,
    ResponseFactory,
    TouchpointFactory,
)

EXAMPLES = 40  # per operation: 13 operations take about 30 s


def test_the_schema_is_valid_openapi_3_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")
    bearer = schema["components"]["securitySchemes"]["bearerToken"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    assert set(bearer) == {"type", "scheme", "description"}
    assert "API token" in bearer["description"] and "scope" in bearer["description"], bearer["description"]


@pytest.mark.django_db
def test_every_operation_names_its_scope_and_its_errors():
    schema = yaml.safe_load(APIClient().get("/api/schema/").content)
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    assert len(operations) == 13
    for path, method, operation in operations:
        assert "Required scope: `" in operation["description"], (path, method)
        assert {"401", "403", "429"} <= set(operation["responses"]), (path, method)
        assert operation["security"] == [{"bearerToken": []}]
        if "{id}" in path:
            assert "404" in operation["responses"], (path, method)
        if method in ("post", "patch") and "requestBody" in operation:
            assert "400" in operation["responses"], (path, method)
    lists = [
        op for path, item in schema["paths"].items() for op in item.values() if op["operationId"].endswith("_list")
    ]
    assert len(lists) == 3
    for operation in lists:
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"cursor", "page_size"} <= names
    trigger = schema["paths"]["/api/surveys/trigger/"]["post"]
    assert {"200", "201", "409"} <= set(trigger["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in trigger["parameters"])


@pytest.mark.django_db
def test_the_docs_page_serves_swagger_ui_from_our_own_static_files():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert "/api/schema/" in html


# --- schemathesis -------------------------------------------------------------------------------------
@pytest.fixture
def api_schema(db, settings):
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from config.wsgi import application

    settings.API_RATE_LIMIT = 100_000
    # As Django's test client does: the app must not close the test's connection after each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, token_for):
    """Some of everything, so generated ids and bodies also meet real objects."""
    support = CampaignFactory(
        kind="transactional", status="active", touchpoint=TouchpointFactory(name="Support"), quiet_period_days=0
    )
    contacts = [ContactFactory(external_id=f"crm-{i}") for i in range(3)]
    question = QuestionFactory(campaign=support, kind="csat")
    responses = [
        ResponseFactory(campaign=support, contact=contacts[i], score=score) for i, score in enumerate((2, 8, 10))
    ]
    AnswerFactory(response=responses[0], question=question, number=2)
    cases = [FollowUpFactory(response=response) for response in responses[:2]]
    return {
        "secret": token_for(),
        "contact": [c.pk for c in contacts],
        "campaign": [support.pk],
        "response": [r.pk for r in responses],
        "followup": [c.pk for c in cases],
    }


REAL = {"/api/contacts/": "contact", "/api/responses/": "response", "/api/followups/": "followup"}


def _point_at_real_objects(case, world):
    """Small generated ids are mapped onto existing objects; large ones stay (and must give a 404)."""
    kind = next((name for prefix, name in REAL.items() if case.operation.path.startswith(prefix)), None)
    ids = world.get(kind) or []
    value = (case.path_parameters or {}).get("id")
    if ids and isinstance(value, int) and 0 <= value < 2 * len(ids):
        case.path_parameters["id"] = ids[value % len(ids)]
    if isinstance(case.body, dict):
        for name in ("contact", "campaign"):
            if isinstance(case.body.get(name), int) and 0 <= case.body[name] < 4:
                case.body[name] = world[name][case.body[name] % len(world[name])]


def test_no_generated_request_gets_a_server_error(api_schema, world):
    """Valid and invalid requests for every operation (schemathesis's strategies, run by Hypothesis),
    with a valid token: none may answer 5xx. Bounded to about half a minute."""
    headers = {"Authorization": f"Bearer {world['secret']}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    seen = defaultdict(set)
    assert len(operations) == 13
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
        )

        @given(case=strategy)
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case):
            _point_at_real_objects(case, world)
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                case.method,
                case.formatted_path,
                case.query,
                case.body,
                response.text[:500],
            )
            seen[operation.path].add(response.status_code)  # noqa: B023

        no_server_error()
    # The token works (negative cases may drop it on purpose, so a 401 alone proves nothing).
    for path in ("/api/contacts/", "/api/responses/", "/api/followups/", "/api/nps/summary/"):
        assert 200 in seen[path], (path, seen[path])
