"""API authentication and scopes: a bearer token per integration, only its hash stored, revocable;
each operation needs its scope. Also the staff pages that create, list and revoke tokens."""

import hashlib

import pytest
from rest_framework.test import APIClient

from api.models import ApiToken
from api.scopes import CONTACTS_READ, CONTACTS_WRITE, NPS_READ, SCOPES
from api.services import token_revoke
from core.models import AuditLog
from surveys.models import Contact
from tests.api_fixtures import api, api_as, token_for  # noqa: F401

pytestmark = pytest.mark.django_db

# Every operation of the API with the scope it needs (a new endpoint must be added here).
OPERATIONS = [
    ("get", "/api/contacts/", CONTACTS_READ),
    ("get", "/api/contacts/1/", CONTACTS_READ),
    ("post", "/api/contacts/upsert/", CONTACTS_WRITE),
    ("post", "/api/contacts/1/opt-out/", CONTACTS_WRITE),
    ("post", "/api/surveys/trigger/", "surveys:trigger"),
    ("get", "/api/invitations/1/", "surveys:trigger"),
    ("get", "/api/responses/", "responses:read"),
    ("get", "/api/responses/1/", "responses:read"),
    ("get", "/api/followups/", "followups:read"),
    ("get", "/api/followups/1/", "followups:read"),
    ("patch", "/api/followups/1/", "followups:write"),
    ("post", "/api/followups/1/notes/", "followups:write"),
    ("get", "/api/nps/summary/", NPS_READ),
    ("get", "/api/accounts/", "accounts:read"),
    ("get", "/api/accounts/1/", "accounts:read"),
    ("get", "/api/accounts/revenue/", "accounts:read"),
    ("post", "/api/accounts/upsert/", "accounts:write"),
]


def _call(client, method, url):
    return getattr(client, method)(url, {} if method == "get" else {}, format=None if method == "get" else "json")


def test_the_operation_list_covers_every_api_route():
    from django.urls import get_resolver

    api_urls = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == "api")
    api_patterns = next(p for p in api_urls.url_patterns if str(p.pattern) == "api/").url_patterns
    names = {p.name for p in api_patterns} - {"schema", "docs"}
    covered = {p.name for p in api_patterns for _m, url, _s in OPERATIONS if p.pattern.match(url.removeprefix("/api/"))}
    assert names == covered


@pytest.mark.parametrize("method,url,scope", OPERATIONS)
def test_it_refuses_a_call_without_a_token(method, url, scope):
    response = _call(APIClient(), method, url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["detail"]


@pytest.mark.parametrize("method,url,scope", OPERATIONS)
def test_it_refuses_a_token_without_the_scope(api_as, method, url, scope):
    others = [s for s in SCOPES if s != scope]
    response = _call(api_as(*others), method, url)
    assert response.status_code == 403
    assert scope in response.json()["detail"]


@pytest.mark.parametrize("method,url,scope", OPERATIONS)
def test_a_token_with_the_scope_gets_past_the_check(api_as, method, url, scope):
    response = _call(api_as(scope), method, url)
    assert response.status_code not in (401, 403)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer kl_00000000_" + "A" * 43,  # well-formed, unknown
        "Bearer not-a-token",
        "Bearer",
        "Bearer a b",
        "Token kl_00000000_" + "A" * 43,  # another scheme: not ours
        "Basic YWRtaW46ZGVtbw==",
    ],
)
def test_it_refuses_a_forged_or_malformed_token(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/contacts/")
    assert response.status_code == 401


def test_it_refuses_a_token_whose_secret_was_changed(token_for):
    secret = token_for()
    forged = secret[:-1] + ("A" if secret[-1] != "A" else "B")  # same prefix, other secret
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert client.get("/api/contacts/").status_code == 401


def test_it_refuses_a_revoked_token(token_for, admin):
    secret = token_for()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/contacts/").status_code == 200
    token_revoke(token=ApiToken.objects.get(), actor=admin)
    response = client.get("/api/contacts/")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_session_login_is_not_enough(client, admin):
    """The API is exempt from CSRF only because a browser's cookies never authenticate it."""
    client.force_login(admin)
    assert client.get("/api/contacts/").status_code == 401
    response = client.post(
        "/api/contacts/upsert/", {"contacts": [{"email": "x@example.com"}]}, content_type="application/json"
    )
    assert response.status_code == 401
    assert not Contact.objects.exists()


def test_only_a_hash_of_the_secret_is_stored(token_for):
    secret = token_for()
    token = ApiToken.objects.get()
    assert secret.startswith(f"kl_{token.prefix}_")
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = " ".join(str(value) for value in ApiToken.objects.values_list().get())
    assert secret.split("_", 2)[2] not in stored


def test_a_call_records_when_the_token_was_last_used(api):
    assert ApiToken.objects.get().last_used_at is None
    api.get("/api/contacts/")
    assert ApiToken.objects.get().last_used_at is not None


def test_a_token_over_its_rate_limit_gets_429(api, settings):
    settings.API_RATE_LIMIT = 3
    codes = [api.get("/api/contacts/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = api.get("/api/contacts/")
    assert 0 < int(response["Retry-After"]) <= 60


# --- Staff pages -----------------------------------------------------------------------------------
def test_an_admin_creates_a_token_and_sees_the_secret_once(client, admin):
    client.force_login(admin)
    response = client.post("/api-tokens/new/", {"name": "Helpdesk", "scopes": ["surveys:trigger", "contacts:read"]})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    token = ApiToken.objects.get()
    assert (token.name, token.scopes, token.created_by) == ("Helpdesk", ["contacts:read", "surveys:trigger"], admin)
    listing = client.get("/api-tokens/").content.decode()
    assert "Helpdesk" in listing and f"kl_{token.prefix}_" in listing
    assert secret not in listing
    entry = AuditLog.objects.get(action="api_token.created")
    assert (entry.actor, entry.target_id) == (admin, str(token.pk))
    assert secret not in str(entry.data)
    api_client = APIClient()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api_client.get("/api/contacts/").status_code == 200


def test_a_token_needs_a_name_and_a_scope(client, admin):
    client.force_login(admin)
    response = client.post("/api-tokens/new/", {"name": "", "scopes": []})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()
    response = client.post("/api-tokens/new/", {"name": "X", "scopes": ["admin:everything"]})
    assert response.status_code == 400


def test_an_admin_revokes_a_token(client, admin, token_for):
    token_for()
    token = ApiToken.objects.get()
    client.force_login(admin)
    response = client.post(f"/api-tokens/{token.pk}/revoke/", follow=True)
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditLog.objects.filter(action="api_token.revoked", actor=admin, target_id=str(token.pk)).count() == 1
    client.post(f"/api-tokens/{token.pk}/revoke/")  # twice: nothing more
    assert AuditLog.objects.filter(action="api_token.revoked").count() == 1


def test_revoking_needs_a_post(client, admin, token_for):
    token_for()
    client.force_login(admin)
    assert client.get(f"/api-tokens/{ApiToken.objects.get().pk}/revoke/").status_code == 405


@pytest.mark.parametrize("persona", ["agent", "viewer", "outsider"])
def test_only_admins_manage_tokens(client, personas, persona, token_for):
    token_for()
    client.force_login(personas[persona])
    pk = ApiToken.objects.get().pk
    assert client.get("/api-tokens/").status_code == 403
    assert client.post("/api-tokens/new/", {"name": "x", "scopes": ["nps:read"]}).status_code == 403
    assert client.post(f"/api-tokens/{pk}/revoke/").status_code == 403
    assert ApiToken.objects.get().revoked_at is None


def test_the_admin_menu_links_to_the_tokens(client, admin):
    client.force_login(admin)
    items = client.get("/api-tokens/").context["admin_items"]
    assert any(item["url"] == "/api-tokens/" for item in items)
