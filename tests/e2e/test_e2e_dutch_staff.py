"""A Dutch-preferring admin reads the dashboard and the follow-up queue in Dutch, on a laptop and a
phone, without the longer Dutch words breaking the layout."""

import pytest
from django.core.management import call_command

from tests.e2e.conftest import LAPTOP, PHONE, login, shot, wait_for_js
from tests.helpers import prefers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OVERFLOW = """() => [...document.querySelectorAll('main *')].filter(el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > document.documentElement.clientWidth + 1
        && !el.closest('.table-responsive, canvas, datalist, option');
}).map(el => el.tagName + '.' + el.className + ': ' + el.textContent.trim().slice(0, 40)).slice(0, 5)"""


@pytest.fixture
def dutch_admin(admin):
    prefers(admin, "nl")
    return admin


@pytest.mark.parametrize("device", ["laptop", "phone"])
def test_the_dutch_dashboard_and_queue_keep_their_layout(live_server, browser, dutch_admin, device):
    call_command("seed_demo", responses=600, contacts=80)
    context = browser.new_context(**(LAPTOP if device == "laptop" else PHONE))
    page = context.new_page()
    login(page, live_server.url, dutch_admin.username)

    page.goto(f"{live_server.url}/dashboard/?period=365d")
    wait_for_js(page, "window.Chart && Chart.getChart(document.getElementById('trend-chart'))")
    page.wait_for_selector("text=Stand van de opvolging")
    page.wait_for_selector("#followup-health table")
    assert page.locator("h1").inner_text() == "NPS-dashboard"
    legend = page.evaluate("Chart.getChart(document.getElementById('trend-chart')).data.datasets[1].label")
    assert legend == "95 %-marge"
    assert page.evaluate(OVERFLOW) == []
    shot(page, f"nl-dashboard-{device}")

    page.goto(f"{live_server.url}/followups/queue/")
    assert page.locator("h1").inner_text() == "Teamwachtrij"
    assert page.evaluate(OVERFLOW) == []
    shot(page, f"nl-queue-{device}")
    context.close()
