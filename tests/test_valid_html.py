"""Every page validates with the Nu HTML Checker (vnu-jar from the npm registry, run with Java).

The pages are rendered by the test client, written to files and checked in one run of the checker;
the test fails listing each error with its page, line and message. It never skips: without Java or
the checker's jar (`npm ci` installs it) it fails and says which is missing.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from core.models import OutboxMessage
from surveys.models import Campaign, Question, ReviewSite
from surveys.unsubscribe import unsubscribe_token
from tests.factories import (
    CampaignFactory,
    ContactFactory,
    FollowUpFactory,
    InvitationFactory,
    ResponseFactory,
    RoutingRuleFactory,
)

VNU_JAR = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def nu_errors(pages: dict[str, str], folder: Path) -> list[str]:
    """The Nu checker's errors over the given pages (name -> HTML), as 'name:line: message'."""
    java = shutil.which("java")
    assert java, "Java is needed for the Nu HTML checker (apt-get install default-jre-headless)"
    assert VNU_JAR.exists(), f"{VNU_JAR} is missing: run `npm ci` (package.json lists vnu-jar)"
    names = {}
    for name, html in pages.items():
        path = folder / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        names[path.name] = name
    run = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *sorted(str(folder / n) for n in names)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode in (0, 1), run.stderr
    report = json.loads(run.stderr or run.stdout)
    return [
        f"{names.get(Path(m.get('url', '')).name, m.get('url'))}:{m.get('lastLine')}: {m['message']}"
        f" [{m.get('extract', '').strip()[:100]}]"
        for m in report["messages"]
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]


def _page(client, url, method="get", data=None, status=200, follow=False):
    response = getattr(client, method)(url, data or {}, follow=follow)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


@pytest.fixture
def respondent_pages(client, db):
    """The respondent's pages, in English and in Dutch: the form, the why, the thanks, unsubscribe."""
    pages = {}
    for language in ("en", "nl"):
        campaign = CampaignFactory(status=Campaign.Status.ACTIVE)
        ReviewSite.objects.create(campaign=campaign, name="Acme reviews", url="https://reviews.example.com/acme")
        Question.objects.create(campaign=campaign, order=1, kind=Question.Kind.CSAT, text="Satisfied?", required=True)
        Question.objects.create(
            campaign=campaign, order=2, kind=Question.Kind.MULTIPLE, text="What did you use?", choices=["App", "Web"]
        )
        Question.objects.create(campaign=campaign, order=3, kind=Question.Kind.EFFORT, text="How easy was it?")
        Question.objects.create(
            campaign=campaign, order=4, kind=Question.Kind.SINGLE, text="Which one?", choices=["A", "B"]
        )
        Question.objects.create(campaign=campaign, order=5, kind=Question.Kind.TEXT, text="Anything else?")
        invitation = InvitationFactory(campaign=campaign, contact__language=language)
        token = invitation.token
        pages[f"form-{language}"] = _page(client, f"/s/{token}/")
        pages[f"form-chosen-{language}"] = _page(client, f"/s/{token}/?score=9")
        pages[f"form-error-{language}"] = _page(client, f"/s/{token}/", "post", {"score": "11"}, status=400)
        _page(client, f"/s/{token}/", "post", {"score": "9"}, status=302)
        pages[f"why-{language}"] = _page(client, f"/s/{token}/why/")
        pages[f"why-error-{language}"] = _page(client, f"/s/{token}/why/", "post", {"comment": "x"}, status=400)
        pages[f"reopened-{language}"] = _page(client, f"/s/{token}/")
        pages[f"thanks-{language}"] = _page(client, f"/s/{token}/thanks/")
        unsubscribe = f"/u/{unsubscribe_token(invitation.contact)}/"
        pages[f"unsubscribe-{language}"] = _page(client, unsubscribe)
        pages[f"unsubscribed-{language}"] = _page(client, unsubscribe, "post")
    return pages


@pytest.fixture
def staff_pages(client, admin, settings):
    """The staff pages: login, the dashboard, a case, the campaign builder and its preview, the outbox."""
    settings.EMAIL_BACKEND = "core.mail.OutboxBackend"
    pages = {"login": _page(client, "/login/")}
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE, why_question="Why?")
    Question.objects.create(campaign=campaign, order=1, kind=Question.Kind.SINGLE, text="Which?", choices=["A", "B"])
    contact = ContactFactory(language="nl")
    for score in (2, 7, 10):
        ResponseFactory(campaign=campaign, contact=contact, score=score, comment="Slow <b>support</b>")
    case = FollowUpFactory(response__campaign=campaign)
    mail.EmailMultiAlternatives("Hallo", "Tekst", to=["x@example.com"]).send()
    client.force_login(admin)
    pages["dashboard"] = _page(client, "/dashboard/")
    pages["comments"] = _page(client, "/dashboard/comments/")
    pages["case"] = _page(client, f"/followups/{case.pk}/")
    pages["case-reply"] = _page(client, f"/followups/{case.pk}/?tab=reply")
    closing = {"action": "status", "status-status": "closed"}  # without the reason it needs
    pages["case-error"] = _page(client, f"/followups/{case.pk}/", "post", closing, status=400)
    rule = RoutingRuleFactory(name="Everything else")
    pages["routing"] = _page(client, "/routing/")
    pages["routing-delete"] = _page(client, f"/routing/{rule.pk}/delete/")
    pages["queue"] = _page(client, "/followups/queue/")
    pages["builder-new"] = _page(client, "/campaigns/new/")
    pages["builder"] = _page(client, f"/campaigns/{campaign.pk}/edit/")
    pages["builder-error"] = _page(client, f"/campaigns/{campaign.pk}/edit/", "post", {"name": ""}, status=400)
    pages["campaign"] = _page(client, f"/campaigns/{campaign.pk}/")
    pages["preview"] = _page(client, f"/campaigns/{campaign.pk}/preview/")
    pages["preview-form"] = _page(client, f"/campaigns/{campaign.pk}/preview/form/")
    pages["preview-why"] = _page(client, f"/campaigns/{campaign.pk}/preview/why/")
    pages["preview-thanks"] = _page(client, f"/campaigns/{campaign.pk}/preview/thanks/")
    pages["outbox"] = _page(client, "/outbox/")
    pages["outbox-message"] = _page(client, f"/outbox/{OutboxMessage.objects.latest('pk').pk}/")
    pages["contacts"] = _page(client, "/contacts/")
    pages["improvements"] = _page(client, "/improvements/")
    return pages


def test_every_page_validates_with_the_nu_checker(respondent_pages, staff_pages, tmp_path):
    errors = nu_errors({**respondent_pages, **staff_pages}, tmp_path)
    assert errors == [], "\n".join(errors)


def test_the_checker_finds_an_error_when_there_is_one(tmp_path):
    """The test above can fail: an htmx attribute without data- is an error to the checker."""
    page = '<!doctype html><html lang="en"><title>x</title><p hx-get="/">a</p><input type="radio" autocomplete="off">'
    errors = nu_errors({"broken": page}, tmp_path)
    assert len(errors) == 2 and all(e.startswith("broken:1:") for e in errors), errors
