"""The Content-Security-Policy holds in a real browser (#20.10): the API docs (Swagger UI, its own
script loaded as a file) and the sign-in page render without a violation; the autouse check in
conftest.py does the same for every page every other browser test visits."""

import pytest

from tests.e2e.conftest import CSP_VIOLATIONS, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_and_staff_pages_render_without_a_violation(live_server, laptop, admin):
    response = laptop.goto(f"{live_server.url}/api/docs/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    laptop.wait_for_selector("#swagger-ui .info")
    login(laptop, live_server, "alice-admin")
    for path in ("/dashboard/", "/contacts/", "/campaigns/", "/improvements/", "/webhooks/", "/retention/"):
        laptop.goto(f"{live_server.url}{path}")
        laptop.wait_for_load_state("networkidle")
    # An inline script would be refused: the policy is really enforced, not only sent.
    laptop.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = 1'; document.body.append(s); }"
    )
    laptop.wait_for_timeout(200)
    assert laptop.evaluate("() => window.ran") is None
    assert any("inline script" in v for v in CSP_VIOLATIONS)
    CSP_VIOLATIONS.clear()  # that one was ours
