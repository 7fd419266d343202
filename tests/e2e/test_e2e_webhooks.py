"""An admin registers a webhook in the browser, sends a test ping through the real worker to a
receiver on 127.0.0.1, and watches the delivery turn delivered; the pages pass axe and fit a phone."""

import pytest

from tests.e2e.conftest import LAPTOP, PHONE, axe_violations, login, shot
from tests.webhooks_support import Receiver
from webhooks import signing
from webhooks.models import Endpoint

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

OVERFLOW = """() => [...document.querySelectorAll('main *')].filter(el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > document.documentElement.clientWidth + 1 && !el.closest('.table-responsive, pre');
}).map(el => el.tagName + '.' + el.className + ': ' + el.textContent.trim().slice(0, 40)).slice(0, 5)"""


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def test_an_admin_registers_an_endpoint_and_pings_it(live_server, browser, admin, celery_worker, receiver):
    context = browser.new_context(**LAPTOP)
    page = context.new_page()
    login(page, live_server.url, admin.username)
    page.goto(f"{live_server.url}/webhooks/")
    page.click("text=New endpoint")
    page.fill("#id_url", receiver.url)
    page.fill("#id_description", "Helpdesk")
    page.check("input[value='followup.created']")
    page.click("main button[type=submit]")
    page.wait_for_selector("#signing-secret")
    endpoint = Endpoint.objects.get()
    assert page.inner_text("#signing-secret") == endpoint.secret
    assert axe_violations(page) == []
    shot(page, "webhook-endpoint")

    page.click("text=Send test ping")
    page.wait_for_selector("text=Delivered", timeout=20000)  # the page polls while the delivery is pending
    page.click("text=Request headers and answer")
    assert axe_violations(page) == []
    shot(page, "webhook-delivery")
    [request] = receiver.received
    assert request.headers["Kringloop-Event"] == "ping"
    assert signing.verify(endpoint.secret, request.body, request.headers["Kringloop-Signature"])

    for path in ("/webhooks/", f"/webhooks/{endpoint.pk}/", "/webhooks/new/"):
        page.goto(f"{live_server.url}{path}")
        assert axe_violations(page) == [], path
    context.close()

    phone = browser.new_context(**PHONE).new_page()
    login(phone, live_server.url, admin.username)
    for path in ("/webhooks/", f"/webhooks/{endpoint.pk}/", f"/webhooks/deliveries/{endpoint.deliveries.get().pk}/"):
        phone.goto(f"{live_server.url}{path}")
        assert phone.evaluate(OVERFLOW) == [], path
    shot(phone, "webhook-endpoint-phone")
