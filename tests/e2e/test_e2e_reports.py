"""Share and act (#25) in a real browser, with a real Celery worker: an admin downloads the board
report of the dashboard's filters (the worker makes it while the page shows its progress) and
subscribes to a weekly report of the same filters."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from scoring.models import ReportSubscription
from tests.e2e.conftest import axe_violations, login, shot

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def test_an_admin_downloads_the_board_report_and_subscribes_to_a_weekly_report(
    live_server, celery_worker, browser, admin, tmp_path
):
    call_command("seed_demo", responses=600, contacts=80)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    login(page, live_server.url, "alice-admin")
    page.goto(f"{live_server.url}/dashboard/?kind=transactional&period=365d")

    page.click("#board-report")  # the worker makes it; the page shows its progress, then the link
    page.wait_for_url("**/dashboard/board-report/*/")
    page.locator("[data-testid=board-report-ready]").wait_for(timeout=60_000)
    assert axe_violations(page) == []
    shot(page, "25-board-report-ready")
    with page.expect_download() as download:
        page.click("#board-report-download")
    pdf = Path(download.value.path())
    assert pdf.read_bytes().startswith(b"%PDF")
    assert download.value.suggested_filename.startswith("nps-board-report-")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "NPS board report" in text and "Survey type: Transactional" in text

    page.goto(f"{live_server.url}/dashboard/?kind=transactional&period=365d")
    page.click("#subscribe-report")
    page.wait_for_url("**/reports/new/**")
    assert "Survey type: Transactional" in page.locator("main").inner_text()
    page.select_option("#id_frequency", "weekly")
    page.select_option("#id_weekday", "0")
    page.fill("#id_hour", "7")
    assert axe_violations(page) == []
    page.click("#subscribe-form button[type=submit]")
    page.wait_for_url("**/reports/")
    assert "weekly, Monday at 7:00" in page.locator("#subscriptions").inner_text()
    shot(page, "25-scheduled-reports")
    subscription = ReportSubscription.objects.get(user=admin)
    assert (subscription.frequency, subscription.weekday, subscription.hour) == ("weekly", 0, 7)
    assert subscription.query == "kind=transactional"
