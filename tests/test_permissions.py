"""Every staff URL × every role: anonymous users go to login, the wrong role gets 403.

URLs are discovered from the URLconf. A view is either decorated with core.roles.role_required
(its `required_role` is read) or listed in PUBLIC below; a new view that is neither fails here.
URLs with parameters are checked by the tests of their own app (with objects to point at).
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from core.roles import has_role

# Views anyone may open, by URL name.
PUBLIC = {
    "login",
    "login_verify",
    "sso_login",
    "sso_callback",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "twofactor",
    "twofactor_recovery_codes",
    "twofactor_disable",
    "passkey_remove",
    # Passkey ceremonies (django-otp-webauthn; accounts/passkeys.py): JSON for its script, CSRF-checked.
    "credential-registration-begin",
    "credential-registration-complete",
    "credential-authentication-begin",
    "credential-authentication-complete",
    "js-i18n-catalog",
    "healthz",
    "favicon",
    "password_change",
    "password_change_done",
    "profile",
    "home",
    # Respondent-facing pages, authenticated by their unguessable token.
    "survey_answer",
    "survey_details",
    "survey_thanks",
    "survey_anonymous",
    "unsubscribe",
    "anymail_webhook",
    "improvement_resurvey",
}
LOGIN_ONLY = {
    "password_change",
    "password_change_done",
    "profile",
    "home",
    "twofactor",
    "twofactor_recovery_codes",
    "twofactor_disable",
    "passkey_remove",
}


def _patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if getattr(entry, "namespace", None) == "admin" or str(entry.pattern).startswith(
                ("django-admin", "anymail")
            ):
                continue
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def staff_urls():
    rows = []
    for route, entry in _patterns():
        role = getattr(entry.callback, "required_role", None)
        if role and "<" not in route:
            rows.append(("/" + route, role))
    return rows


def test_every_view_is_either_role_protected_or_explicitly_public():
    unprotected = []
    for route, entry in _patterns():
        if getattr(entry.callback, "required_role", None):
            continue
        if entry.name in PUBLIC or route.startswith(("static/", "api/", "anymail/")):
            continue
        unprotected.append(route)
    assert unprotected == []


@pytest.mark.parametrize("persona", ["anonymous", "admin", "agent", "agent_b", "viewer", "outsider"])
def test_role_by_url_matrix(client, personas, persona):
    urls = staff_urls()
    assert urls, "no staff URLs discovered"
    user = personas.get(persona)
    if user is not None:
        client.force_login(user)
    for url, role in urls:
        response = client.get(url)
        if user is None:
            assert response.status_code == 302 and "/login/" in response["Location"], url
        elif has_role(user, role):
            assert response.status_code in (200, 302, 405), (url, persona, response.status_code)
        else:
            assert response.status_code == 403, (url, persona, response.status_code)


def test_anonymous_user_is_sent_to_login_for_the_start_page(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_outsider_sees_no_staff_navigation(client, outsider):
    client.force_login(outsider)
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert response.context["nav_items"] == []


def test_only_token_authorised_public_pages_skip_the_csrf_check():
    # The REST API (api/) is exempt as DRF makes it: it ignores session cookies and accepts only a
    # bearer token (tests/test_api_auth.py checks a logged-in session gets 401 there). The others
    # are authorised by the unguessable token in their URL, never by a cookie (surveys/public_views.py).
    exempt = sorted(
        entry.name
        for _route, entry in _patterns()
        if getattr(entry.callback, "csrf_exempt", False) and not _route.startswith(("anymail/", "api/"))
    )
    assert exempt == ["survey_answer", "survey_details", "unsubscribe"]
