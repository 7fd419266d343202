"""Security headers on every response (#20.10): a strict Content-Security-Policy (scripts only
from our own files, never inline), Permissions-Policy and Cross-Origin-Opener-Policy; and no
template holds an inline script or event handler the policy would block."""

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize(
    "url,persona",
    [
        ("/login/", None),
        ("/dashboard/", "admin"),
        ("/followups/", "agent"),
        ("/api/contacts/", None),
        ("/api/docs/", None),
        ("/s/no-such-token/", None),
        ("/no-such-page/", None),
        ("/healthz", None),
    ],
)
def test_every_response_carries_the_security_headers(client, personas, url, persona):
    if persona:
        client.force_login(personas[persona])
    response = client.get(url)
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"]
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_api_docs_load_their_script_as_a_file(client, db):
    page = client.get("/api/docs/").content.decode()
    assert re.findall(r"<script>", page) == []
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_the_email_preview_keeps_its_own_stricter_policy(client, admin):
    from tests.factories import CampaignFactory

    client.force_login(admin)
    campaign = CampaignFactory()
    response = client.get(f"/campaigns/{campaign.pk}/preview/email/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "script-src 'none'" in response["Content-Security-Policy"]


def test_no_template_has_an_inline_script_or_event_handler():
    inline = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and "application/json" not in tag and "application/ld+json" not in tag:
                inline.append(f"{path.relative_to(TEMPLATES)}: {tag}")
        for handler in re.findall(r"<[a-zA-Z][^>]*\son[a-z]+=", text):
            inline.append(f"{path.relative_to(TEMPLATES)}: {handler[:80]}")
        if "javascript:" in text:
            inline.append(f"{path.relative_to(TEMPLATES)}: javascript: URL")
    assert inline == []
