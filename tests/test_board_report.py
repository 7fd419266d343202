"""The board report (#25.1): the dashboard's figures under its filters as an A4 PDF made by the
worker, in the reader's language, with the period and page numbers on every page; its text read
back with pdftotext and its first page turned into a PNG with pdftoppm (poppler-utils)."""

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from followups.models import Improvement, RootCauseTag
from scoring import board_report, report_jobs
from scoring.filters import parse_filters
from scoring.models import BoardReport
from tests.factories import CampaignFactory, ContactFactory, FollowUpFactory, ResponseFactory

POPPLER = "pdftotext and pdftoppm (Debian's poppler-utils; .ci/run installs them)"


def pdf_pages(pdf: bytes, tmp_path) -> list[str]:
    """The text of each page, as pdftotext reads it."""
    assert shutil.which("pdftotext"), f"the board report tests need {POPPLER}"
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def first_page_ink(pdf: bytes, tmp_path) -> float:
    """The share of page 1's pixels that are not white, from pdftoppm's PNG."""
    assert shutil.which("pdftoppm"), f"the board report tests need {POPPLER}"
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True
    )
    (png,) = tmp_path.glob("page*.png")
    image = Image.open(png).convert("L")
    assert image.size[0] < image.size[1], "A4 portrait"
    histogram = image.histogram()  # 256 counts, one per grey level
    return sum(histogram[:240]) / sum(histogram)


@pytest.fixture
def answers(db, team_a, team_b):
    support = CampaignFactory(team=team_a, name="Support desk")
    billing = CampaignFactory(team=team_b, name="Billing run")
    now = timezone.now()
    for days_ago, score, comment in [(3, 10, "Wonderful helpdesk"), (4, 9, ""), (5, 2, "Nobody called me back")]:
        ResponseFactory(
            campaign=support,
            score=score,
            comment=comment,
            submitted_at=now - timedelta(days=days_ago),
            contact=ContactFactory(name=f"Named Person {score}"),
        )
    ResponseFactory(campaign=billing, score=1, comment="Team B invoice chaos", submitted_at=now - timedelta(days=2))
    case = FollowUpFactory(response__campaign=support, response__submitted_at=now - timedelta(days=6), team=team_a)
    case.tags.add(RootCauseTag.objects.get_or_create(slug="price", defaults={"name": "Price"})[0])
    Improvement.objects.create(
        title="Callbacks within a day", status=Improvement.Status.SHIPPED, shipped_at=now - timedelta(days=1)
    )
    return support


def make(user, query="period=30d", **options) -> bytes:
    data = board_report.report_data(report_jobs.reader_filters(user, query), report_jobs.reader_for(user, **options))
    return board_report.render_pdf(data)


def test_the_pdf_holds_the_figures_with_period_and_page_numbers_on_every_page(admin, answers, tmp_path):
    pdf = make(admin)
    assert pdf.startswith(b"%PDF")
    pages = pdf_pages(pdf, tmp_path)
    assert len(pages) >= 2
    filters = parse_filters({"period": "30d"})
    period = f"{filters.start.day} {filters.start:%B} {filters.start.year}"
    for number, page in enumerate(pages, start=1):
        assert period in page, number
        assert f"Page {number} / {len(pages)}" in page
    text = "\n".join(pages)
    assert "NPS board report" in text and "n = 5" in text  # 4 answers + the case's answer
    headings = ["NPS over time", "By touchpoint", "By team", "Targets", "Top themes", "Top root causes"]
    headings.append("Follow-up health")
    for heading in headings:
        assert heading in text, heading
    assert "Price" in text  # the root cause tagged on the period's case
    assert "Callbacks within a day" in text  # shipped in the period
    assert "Wonderful helpdesk" in text and "Nobody called me back" in text
    assert "Named Person" not in text  # no names unless an admin chooses
    assert first_page_ink(pdf, tmp_path) > 0.01


def test_an_admin_may_name_the_customers_quoted(admin, answers, tmp_path):
    text = "\n".join(pdf_pages(make(admin, name_customers=True), tmp_path))
    assert "Named Person 10" in text


def test_it_is_in_the_readers_language(admin, answers, tmp_path):
    pages = pdf_pages(make(admin, language="nl"), tmp_path)
    assert f"Pagina 1 / {len(pages)}" in pages[0]
    assert "NPS-verloop" in pages[0]


def test_a_viewer_gets_figures_without_comments_and_an_agent_their_teams_only(viewer, agent, answers, tmp_path):
    viewer_text = "\n".join(pdf_pages(make(viewer), tmp_path))
    assert "Team B" in viewer_text and "Wonderful helpdesk" not in viewer_text
    assert "Comments are not part of reports for your role" in viewer_text
    agent_text = "\n".join(pdf_pages(make(agent, name_customers=True), tmp_path))
    assert "Wonderful helpdesk" in agent_text and "Team B invoice chaos" not in agent_text
    assert "Named Person" not in agent_text  # naming customers is an admin's choice only


def test_the_dashboard_asks_the_worker_and_its_reader_downloads_it(client, admin, agent, answers, tmp_path):
    client.force_login(admin)
    dashboard = client.get("/dashboard/?period=30d&kind=relational").content.decode()
    assert 'id="board-report"' in dashboard
    response = client.post("/dashboard/board-report/?period=30d&kind=relational&team=999999", {})
    report = BoardReport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/dashboard/board-report/{report.token}/"
    page = client.get(response["Location"])
    assert "Waiting for a worker" in page.content.decode()
    assert client.get(f"/dashboard/board-report/{report.token}/report.pdf").status_code == 404  # not made yet

    assert report_jobs.board_report_render(report.pk) is True
    assert report_jobs.board_report_render(report.pk) is False  # a duplicated task makes nothing twice
    report.refresh_from_db()
    assert report.status == "done" and report.progress == 100
    assert "Download the PDF" in client.get(f"/dashboard/board-report/{report.token}/").content.decode()
    pdf = client.get(f"/dashboard/board-report/{report.token}/report.pdf")
    assert pdf["Content-Type"] == "application/pdf" and "attachment" in pdf["Content-Disposition"]
    assert pdf_pages(pdf.content, tmp_path)

    client.force_login(agent)  # someone else's report is not there for them
    assert client.get(f"/dashboard/board-report/{report.token}/").status_code == 404
    assert client.get(f"/dashboard/board-report/{report.token}/report.pdf").status_code == 404


def test_a_failed_report_says_so(client, admin, answers, monkeypatch):
    client.force_login(admin)
    client.post("/dashboard/board-report/?period=30d", {})
    report = BoardReport.objects.get()

    def broken(*args, **kwargs):
        raise RuntimeError("typesetting failed")

    monkeypatch.setattr(board_report, "render_pdf", broken)
    assert report_jobs.board_report_render(report.pk) is False
    assert BoardReport.objects.get().status == "failed"
    assert "could not be made" in client.get(f"/dashboard/board-report/{report.token}/").content.decode()


def test_a_report_whose_task_was_lost_is_queued_again(admin, answers, broker, django_capture_on_commit_callbacks):
    report = BoardReport.objects.create(requested_by=admin, query="period=30d")
    BoardReport.objects.filter(pk=report.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert report_jobs.sweep_stuck_reports() == 1
    assert broker(report_jobs.TASK) == [(report_jobs.TASK, [report.pk])]
