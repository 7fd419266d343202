"""An admin reads the dashboard: filters by touchpoint without a reload, sees the trend, exports CSV
(answer exports carry personal data: admins only, #20.5); a viewer reads it on a phone."""

from pathlib import Path

import pytest
from django.core.management import call_command

from tests.e2e.conftest import axe_violations, login, shot, wait_for_js

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_admin_filters_the_dashboard_and_exports(live_server, browser, admin):
    call_command("seed_demo", responses=1500, contacts=150)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    login(page, live_server.url, "alice-admin")
    page.goto(f"{live_server.url}/dashboard/?kind=transactional&period=365d")
    wait_for_js(page, "window.Chart && Chart.getChart(document.getElementById('trend-chart'))")
    before = page.locator("[data-testid=headline-nps]").inner_text()
    assert axe_violations(page) == []
    shot(page, "5-dashboard")

    page.select_option("#f-touchpoint", label="Support")
    page.wait_for_url("**touchpoint=*")
    wait_for_js(page, "window.Chart && Chart.getChart(document.getElementById('trend-chart'))")
    after = page.locator("[data-testid=headline-nps]").inner_text()
    assert after != "—"
    points = page.evaluate("Chart.getChart(document.getElementById('trend-chart')).data.labels.length")
    assert points >= 6
    assert page.locator("text=Change vs previous").is_visible()
    shot(page, "5-dashboard-support")
    assert before != after or "touchpoint=" in page.url

    with page.expect_download() as download:
        page.click("#export-csv")
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert content.startswith("submitted_at,campaign")
    assert "Support ticket closed" in content and "Onboarding completed" not in content


def test_the_dashboard_works_on_a_phone(live_server, browser, viewer):
    call_command("seed_demo", responses=300, contacts=50)
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    login(phone, live_server.url, "vera-viewer")
    phone.goto(f"{live_server.url}/dashboard/?period=365d")
    wait_for_js(phone, "window.Chart && Chart.getChart(document.getElementById('trend-chart'))")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(phone, "5-dashboard-phone")
