"""Every read operation's real answers, checked by a third-party validator (openapi-core) against the
published schema, made strict: an object may hold only the properties the schema declares, every
type, format, enum and nullability is checked. The data holds every optional value both set and
null (tests/api_world.py), so a field the schema calls non-null that the API leaves empty fails."""

import copy
import json

import pytest
import yaml
from django.test import Client
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse

from api.scopes import CONTACTS_WRITE
from tests.api_fixtures import token_for  # noqa: F401
from tests.api_world import world  # noqa: F401


def strict(node):
    """The schema with `additionalProperties: false` on every object that lists its properties."""
    if isinstance(node, dict):
        node = {key: strict(value) for key, value in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [strict(value) for value in node]
    return node


@pytest.fixture
def openapi(db):
    schema = yaml.safe_load(Client().get("/api/schema/").content)
    return OpenAPI.from_dict(strict(copy.deepcopy(schema)))


@pytest.fixture
def call(openapi):
    """call(path, secret=…) -> the JSON body, after openapi-core validated the answer against the
    operation's documented answer for its status code."""

    def send(path, *, secret, status=200, method="get", body=None, **headers):
        if secret:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        if body is not None and not isinstance(body, str):
            body = json.dumps(body)
        kwargs = {"data": body, "content_type": headers.pop("content_type", "application/json")} if body else {}
        response = getattr(Client(), method)(path, **kwargs, **headers)
        assert response.status_code == status, (path, response.status_code, response.content[:300])
        openapi.validate_response(DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response))
        return response.json()

    return send


def test_the_validator_is_strict(openapi, world, call):
    """The check itself can fail: an undeclared property, a wrong type and a null where none is allowed."""
    from openapi_core.validation.response.exceptions import InvalidData

    schema = strict(yaml.safe_load(Client().get("/api/schema/").content))
    contact = schema["components"]["schemas"]["Contact"]
    contact["properties"].pop("phone")
    contact["required"].remove("phone")
    tightened = OpenAPI.from_dict(schema)
    response = Client().get(f"/api/contacts/{world['contact'][0]}/", HTTP_AUTHORIZATION=f"Bearer {world['secret']}")
    with pytest.raises(InvalidData):
        tightened.validate_response(DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response))
    schema["components"]["schemas"]["Contact"]["properties"]["phone"] = {"type": "string"}
    schema["components"]["schemas"]["Contact"]["properties"]["id"] = {"type": "string"}
    retyped = OpenAPI.from_dict(schema)
    with pytest.raises(InvalidData):
        retyped.validate_response(DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response))


def test_every_read_operation_answers_as_the_schema_says_with_nulls(world, call):
    secret = world["secret"]
    contacts = call("/api/contacts/", secret=secret)["results"]
    assert {c["account_owner"] for c in contacts} == {"ann", None}
    assert None in {c["external_id"] for c in contacts} and None in {c["opted_out_at"] for c in contacts}
    for pk in world["contact"]:
        call(f"/api/contacts/{pk}/", secret=secret)

    responses = call("/api/responses/", secret=secret)["results"]
    assert None in {r["contact"] for r in responses}  # an anonymous answer
    assert None in {r["touchpoint"] for r in responses} and None in {r["team"] for r in responses}
    assert None in {r["invitation"] for r in responses}
    details = [call(f"/api/responses/{pk}/", secret=secret) for pk in world["response"]]
    numbers = [answer["number"] for detail in details for answer in detail["answers"]]
    assert 2 in numbers and None in numbers  # a text answer has no number

    cases = call("/api/followups/", secret=secret)["results"]
    assert {c["owner"] for c in cases} == {"ann", None}
    assert None in {c["team"] for c in cases}
    events = [event for pk in world["followup"] for event in call(f"/api/followups/{pk}/", secret=secret)["events"]]
    assert {event["actor"] for event in events} == {"ann", None}  # a staff member and the system

    invitation = call(f"/api/invitations/{world['invitation'][0]}/", secret=secret)
    assert invitation["sent_at"] is None and invitation["key"] == "ticket-1"

    accounts = call("/api/accounts/", secret=secret)["results"]
    assert {a["owner"] for a in accounts} == {"ann", None} and None in {a["arr"] for a in accounts}
    for pk in world["account"]:
        call(f"/api/accounts/{pk}/", secret=secret)
    assert None in {c["account"] for c in contacts} and "decision_maker" in {c["account_role"] for c in contacts}
    revenue = call("/api/accounts/revenue/", secret=secret)
    assert revenue["currency"] == "EUR" and revenue["total"]["weighted_nps"] == 20.0  # Northwind's alone

    summary = call("/api/nps/summary/?period=30d", secret=secret)
    assert summary["current"]["n"] > 0
    empty = call("/api/nps/summary/?period=30d&campaign=999999", secret=secret)
    assert empty["current"]["nps"] is None and empty["delta"] is None


def test_every_read_operation_errors_as_the_schema_says(world, call, token_for):
    """The error answers of the read operations, in the documented `Error` shape."""
    secret = world["secret"]
    unknown = call("/api/nps/summary/?colour=blue", secret=secret, status=400)
    assert unknown["errors"] == {"colour": ["Unknown parameter."]} and "colour" in unknown["detail"]
    for path in ("/api/contacts/?colour=blue", "/api/responses/?score=x", "/api/followups/?page_size=0"):
        assert set(call(path, secret=secret, status=400)) == {"detail", "errors"}
    for path in ("/api/contacts/", "/api/responses/999999/", "/api/nps/summary/"):
        assert set(call(path, secret="", status=401)) == {"detail"}
        assert set(call(path, secret="kl_nonsense", status=401)) == {"detail"}
    writer = token_for(CONTACTS_WRITE)
    for path in ("/api/contacts/", f"/api/followups/{world['followup'][0]}/", "/api/invitations/1/"):
        assert set(call(path, secret=writer, status=403)) == {"detail"}
    for path in (
        "/api/contacts/999999/",
        "/api/responses/999999/",
        "/api/followups/999999/",
        "/api/invitations/999999/",
    ):
        assert set(call(path, secret=secret, status=404)) == {"detail"}


def test_every_write_operation_answers_as_the_schema_says_with_nulls(world, call, openapi, settings):
    secret = world["secret"]
    unowned = world["contact"][1]
    opted = call(f"/api/contacts/{unowned}/opt-out/", secret=secret, method="post")
    assert opted["account_owner"] is None and opted["external_id"] is None
    upsert = {"contacts": [{"email": "new@example.com"}, {"email": "not an address"}]}
    result = call("/api/contacts/upsert/", secret=secret, method="post", body=upsert)
    assert (result["created"], [row["row"] for row in result["errors"]]) == (1, [2])
    accounts = {"accounts": [{"external_id": "acc-9", "name": "New BV", "arr": 5}, {"external_id": "acc-1", "arr": -1}]}
    result = call("/api/accounts/upsert/", secret=secret, method="post", body=accounts)
    assert (result["created"], result["churned"], [row["row"] for row in result["errors"]]) == (1, 0, [2])

    trigger = {"touchpoint": "support", "contact": world["contact"][2], "key": "ticket-9"}
    created = call("/api/surveys/trigger/", secret=secret, method="post", body=trigger, status=201)
    assert created["sent_at"] is None
    assert call("/api/surveys/trigger/", secret=secret, method="post", body=trigger)["id"] == created["id"]

    unassigned = world["followup"][1]
    note = call(f"/api/followups/{unassigned}/notes/", secret=secret, method="post", body={"text": "Hi"}, status=201)
    assert note["actor"] is None  # the API writes as the system
    case = call(f"/api/followups/{unassigned}/", secret=secret, method="patch", body={"status": "in_progress"})
    assert case["owner"] is None and case["team"] is None

    # Errors of the writes, each in the documented Error shape.
    missing = call("/api/followups/999999/notes/", secret=secret, method="post", body={"text": "Hi"}, status=404)
    assert set(missing) == {"detail"}
    assert set(
        call(f"/api/followups/{unassigned}/notes/", secret=secret, method="post", body={"x": 1}, status=400)["errors"]
    ) == {"text"}
    call("/api/contacts/upsert/", secret=secret, method="post", body="{bad", status=400)
    call("/api/contacts/upsert/", secret=secret, method="post", body="a=b", content_type="text/plain", status=415)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"contacts": [{"email": f"c{i}@example.com"} for i in range(100)]})
    response = Client().post(
        "/api/contacts/upsert/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 413 and "1000" in response.json()["detail"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10**6  # so the validator may read the body it checks
    openapi.validate_response(DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response))
    assert set(call("/api/contacts/", secret=secret, HTTP_ACCEPT="text/html", status=406)) == {"detail"}
