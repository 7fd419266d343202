"""Single sign-on with OpenID Connect against a real provider: django-oauth-toolkit's, running in its
own process (tests/idp/). Discovery, the authorisation-code flow with PKCE, the ID token's signature
and nonce, matching by verified e-mail, just-in-time users, and SSO-only sign-in."""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from accounts import sso
from accounts.models import FailedLogin, SecuritySettings
from core.models import AuditLog
from core.roles import user_role

ROOT = Path(__file__).resolve().parents[1]
CLIENT_ID = "kringloop-test"
CLIENT_SECRET = "a-client-secret-for-the-test-provider"
PASSWORD = "idp-password"


def _private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="module")
def idp():
    """The provider's issuer URL; its people: arthur (verified, an agent here), mallory (claims the
    viewer's address, unverified), nina (verified, no account here)."""
    folder = tempfile.mkdtemp(prefix="kringloop-idp-")
    setup = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": f"{django_settings.SITE_URL}/login/sso/callback/",
        "users": [
            {"username": "arthur", "password": PASSWORD, "email": "arthur@example.com"},
            {"username": "mallory", "password": PASSWORD, "email": "vera@example.com", "verified": False},
            {"username": "nina", "password": PASSWORD, "email": "nina.new@example.com"},
        ],
    }
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env.update(IDP_DATABASE=os.path.join(folder, "idp.sqlite3"), IDP_RSA_PRIVATE_KEY=_private_key_pem())
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.idp.serve", json.dumps(setup)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if not line.startswith("ready "):
        process.kill()
        pytest.fail(f"the test identity provider did not start: {line!r}")
    yield f"http://127.0.0.1:{int(line.split()[1])}/o"
    process.terminate()
    process.wait(10)


@pytest.fixture
def oidc(settings, idp):
    settings.OIDC = {
        "ISSUER": idp,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "SCOPES": "openid email profile",
        "PROVIDER_NAME": "Test IdP",
        "CREATE_USERS": False,
        "DEFAULT_ROLE": "viewer",
    }
    cache.clear()
    yield settings.OIDC
    cache.clear()


@pytest.fixture
def arthur(agent):
    agent.email = "arthur@example.com"
    agent.save()
    return agent


def _at_provider(authorize_url: str, username: str) -> str:
    """Sign in at the provider as a person would; the URL it sends the browser back to."""
    browser = requests.Session()
    page = browser.get(authorize_url, timeout=10)
    assert "/login/" in page.url, page.url
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    next_url = re.search(r'name="next" value="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    signed_in = browser.post(
        page.url,
        {"csrfmiddlewaretoken": csrf, "username": username, "password": PASSWORD, "next": next_url},
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 302, signed_in.text[:300]
    back = browser.get(urljoin(page.url, signed_in.headers["Location"]), allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text[:300]
    return back.headers["Location"]


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _start(client, next_url: str = "") -> str:
    response = client.get("/login/sso/" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302
    return response["Location"]


def test_it_discovers_the_provider_and_sends_an_authorisation_request_with_pkce_and_a_nonce(client, oidc, db):
    url = _start(client)
    assert url.startswith(f"{oidc['ISSUER']}/authorize/")
    query = parse_qs(urlsplit(url).query)
    flow = client.session[sso.SESSION_KEY]
    assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [f"{django_settings.SITE_URL}/login/sso/callback/"]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}
    assert query["state"] == [flow["state"]] and query["nonce"] == [flow["nonce"]]
    assert query["code_challenge_method"] == ["S256"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(flow["verifier"].encode()).digest()).rstrip(b"=").decode()
    assert query["code_challenge"] == [challenge]


def test_a_verified_email_signs_in_the_matching_user(client, oidc, arthur):
    back = _at_provider(_start(client, "/improvements/"), "arthur")
    response = client.get(_local(back))
    assert response.status_code == 302 and response["Location"] == "/improvements/"
    assert client.session["_auth_user_id"] == str(arthur.pk)
    assert client.session["kr_sso"] is True
    entry = AuditLog.objects.get(action="sso.login")
    assert entry.actor == arthur and entry.data["issuer"] == oidc["ISSUER"]


def test_an_unverified_email_is_refused(client, oidc, viewer):
    viewer.email = "vera@example.com"
    viewer.save()
    response = client.get(_local(_at_provider(_start(client), "mallory")))
    assert response.status_code == 403
    assert "did not confirm your e-mail address" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert FailedLogin.objects.filter(username="vera@example.com", reason=FailedLogin.Reason.SSO).exists()
    assert AuditLog.objects.get(action="sso.refused").data["reason"] == "unverified_email"


def test_without_an_account_and_without_just_in_time_creation_it_is_refused(client, oidc, db):
    response = client.get(_local(_at_provider(_start(client), "nina")))
    assert response.status_code == 403
    assert "There is no Kringloop account for nina.new@example.com" in response.content.decode()


def test_just_in_time_creation_makes_a_user_with_the_default_role(client, oidc, db):
    oidc["CREATE_USERS"] = True
    oidc["DEFAULT_ROLE"] = "agent"
    response = client.get(_local(_at_provider(_start(client), "nina")))
    assert response.status_code == 302
    user = get_user_model().objects.get(email="nina.new@example.com")
    assert user.username == "nina.new" and user_role(user) == "agent"
    assert not user.has_usable_password()
    assert AuditLog.objects.filter(action="sso.user_created", target_id=str(user.pk)).exists()


def test_a_callback_with_another_state_is_refused(client, oidc, arthur):
    back = _at_provider(_start(client), "arthur")
    forged = re.sub(r"state=[^&]+", "state=forged", _local(back))
    assert client.get(forged).status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_callback_in_a_browser_that_did_not_start_the_flow_is_refused(client, oidc, arthur):
    back = _at_provider(_start(client), "arthur")
    other = Client()
    assert other.get(_local(back)).status_code == 403
    assert "_auth_user_id" not in other.session


def test_the_provider_refuses_the_code_without_the_right_pkce_verifier(client, oidc, arthur):
    back = _at_provider(_start(client), "arthur")
    session = client.session
    session[sso.SESSION_KEY] = {**session[sso.SESSION_KEY], "verifier": "x" * 86}
    session.save()
    response = client.get(_local(back))
    assert response.status_code == 403
    assert AuditLog.objects.get(action="sso.refused").data["reason"] == "token"


@pytest.fixture
def real_id_token(client, oidc, arthur):
    """An ID token the provider issued for arthur (the code exchanged here, as the server would),
    with the provider's keys and the nonce the flow sent."""
    back = _at_provider(_start(client), "arthur")
    flow = client.session[sso.SESSION_KEY]
    meta = sso.metadata()
    code = parse_qs(urlsplit(back).query)["code"][0]
    token = requests.post(
        meta["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": sso.callback_url(),
            "code_verifier": flow["verifier"],
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    ).json()
    keys = requests.get(meta["jwks_uri"], timeout=10).json()
    return token["id_token"], keys, meta["issuer"], flow["nonce"]


def test_a_genuine_id_token_is_accepted(real_id_token):
    id_token, keys, issuer, nonce = real_id_token
    claims = sso.verify_id_token(id_token, key_set=keys, issuer=issuer, audience=CLIENT_ID, nonce=nonce)
    assert claims["email"] == "arthur@example.com" and claims["email_verified"] is True


def test_an_id_token_with_a_changed_payload_fails_the_signature_check(real_id_token):
    id_token, keys, issuer, nonce = real_id_token
    header, payload, signature = id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["email"] = "alice@example.com"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(sso.SSOError) as refused:
        sso.verify_id_token(
            f"{header}.{forged}.{signature}", key_set=keys, issuer=issuer, audience=CLIENT_ID, nonce=nonce
        )
    assert refused.value.code.startswith("id_token")


def test_an_id_token_signed_with_another_key_is_refused(real_id_token):
    id_token, keys, issuer, nonce = real_id_token
    token = jwt.decode(id_token, KeySet.import_key_set(keys))
    other = RSAKey.generate_key(2048, parameters={"kid": token.header["kid"]})
    forged = jwt.encode({"alg": "RS256", "kid": token.header["kid"]}, token.claims, other)
    with pytest.raises(sso.SSOError):
        sso.verify_id_token(forged, key_set=keys, issuer=issuer, audience=CLIENT_ID, nonce=nonce)


def test_an_id_token_with_another_nonce_or_audience_is_refused(real_id_token):
    id_token, keys, issuer, nonce = real_id_token
    with pytest.raises(sso.SSOError):
        sso.verify_id_token(id_token, key_set=keys, issuer=issuer, audience=CLIENT_ID, nonce="another-nonce")
    with pytest.raises(sso.SSOError):
        sso.verify_id_token(id_token, key_set=keys, issuer=issuer, audience="another-client", nonce=nonce)
    with pytest.raises(sso.SSOError):
        sso.verify_id_token(id_token, key_set=keys, issuer="https://evil.example", audience=CLIENT_ID, nonce=nonce)


def test_an_unsigned_id_token_is_refused(real_id_token):
    id_token, keys, issuer, nonce = real_id_token
    _header, payload, _signature = id_token.split(".")
    none_header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    with pytest.raises(sso.SSOError):
        sso.verify_id_token(f"{none_header}.{payload}.", key_set=keys, issuer=issuer, audience=CLIENT_ID, nonce=nonce)


def test_sso_sign_ins_skip_the_2fa_set_up_the_provider_does_its_own(client, oidc, arthur):
    SecuritySettings.objects.update_or_create(pk=1, defaults={"require_2fa": True})
    client.get(_local(_at_provider(_start(client), "arthur")))
    assert client.get("/followups/").status_code == 200


def test_the_login_page_offers_sso_when_configured(client, oidc, db):
    page = client.get("/login/").content.decode()
    assert 'href="/login/sso/"' in page and "Sign in with Test IdP" in page


def test_without_configuration_there_is_no_sso(client, db):
    assert client.get("/login/sso/").status_code == 404
    assert "/login/sso/" not in client.get("/login/").content.decode()


def test_sso_only_turns_the_password_login_off_except_for_the_break_glass_admin(client, settings, oidc, agent, admin):
    settings.SSO_ONLY = True
    settings.BREAK_GLASS_USERNAME = "alice-admin"
    cache.clear()
    response = client.post("/login/", {"username": "arthur-agent", "password": "pw-for-tests"})
    assert response.status_code == 200
    assert "Password sign-in is turned off" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert FailedLogin.objects.filter(username="arthur-agent", reason=FailedLogin.Reason.SSO_ONLY).exists()
    assert client.post("/login/", {"username": "alice-admin", "password": "pw-for-tests"}).status_code == 302


def test_sso_only_without_a_break_glass_admin_refuses_to_start(monkeypatch):
    monkeypatch.setenv("KRINGLOOP_ENV", "test")
    env = {**os.environ, "SSO_ONLY": "true", "OIDC_ISSUER": "https://id.example", "OIDC_CLIENT_ID": "x"}
    env.pop("BREAK_GLASS_USERNAME", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django; from django.conf import settings; settings.SSO_ONLY"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "BREAK_GLASS_USERNAME" in result.stderr


def test_sso_only_turns_passkey_sign_in_off_too(client, settings, oidc, db):
    settings.SSO_ONLY = True
    settings.BREAK_GLASS_USERNAME = "alice-admin"
    response = client.post("/account/passkeys/authentication/begin/", "{}", content_type="application/json")
    assert response.status_code == 403
    assert "Sign in with a passkey" not in client.get("/login/").content.decode()
    settings.SSO_ONLY = False
    ok = client.post("/account/passkeys/authentication/begin/", "{}", content_type="application/json")
    assert ok.status_code == 200 and "challenge" in ok.json()
