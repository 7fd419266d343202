"""The website and in-app widget's server side (#22.1): CORS to listed origins only, signed users,
anonymous answers where allowed, when it asks (quiet period shared with e-mail, dismissal, days
since first seen, sample), the answer through the same pipeline, its script and its size."""

import gzip
import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from surveys.models import Campaign, Contact, Invitation, Response, WidgetSettings
from surveys.widget import signature_for
from tests.factories import CampaignFactory, ContactFactory, InvitationFactory, QuestionFactory

ORIGIN = "https://shop.example.com"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def widget(db):
    campaign = CampaignFactory(channel=Campaign.Channel.WIDGET, status=Campaign.Status.ACTIVE, quiet_period_days=30)
    return WidgetSettings.objects.create(campaign=campaign, origins=[ORIGIN], anonymous=False)


def post(client, path, body, origin=ORIGIN):
    return client.post(f"/widget/v1/{path}/", json.dumps(body), content_type="text/plain", HTTP_ORIGIN=origin)


def user(widget, user_id="crm-42", email="ann@example.com", signature=None):
    return {"id": user_id, "email": email, "signature": signature or signature_for(widget.secret, user_id)}


def test_calls_are_answered_only_to_the_listed_origins(client, widget):
    allowed = post(client, "config", {"key": widget.public_key})
    assert allowed.status_code == 200 and allowed["Access-Control-Allow-Origin"] == ORIGIN
    assert allowed.json()["config"]["quietDays"] == 30
    blocked = post(client, "ask", {"key": widget.public_key, "user": user(widget)}, origin="https://evil.example")
    assert blocked.status_code == 403 and "Access-Control-Allow-Origin" not in blocked
    assert not Contact.objects.exists() and not Invitation.objects.exists()
    assert post(client, "config", {"key": "kl_nope"}).status_code == 404
    assert post(client, "config", {"key": widget.public_key}, origin="").status_code == 403
    assert "Set-Cookie" not in allowed and not allowed.cookies


def test_an_identified_user_answers_as_their_contact_through_the_same_pipeline(client, widget):
    QuestionFactory(campaign=widget.campaign, kind="csat", text="How easy was ordering?")
    contact = ContactFactory(external_id="crm-42", email="ann@example.com", language="nl")
    asked = post(client, "ask", {"key": widget.public_key, "user": user(widget), "path": "/thanks"})
    data = asked.json()
    assert data["ask"] is True and data["texts"]["language"] == "nl"
    invitation = Invitation.objects.get(token=data["token"])
    assert (invitation.contact, invitation.status, invitation.campaign) == (contact, "sent", widget.campaign)
    answered = post(client, "answer", {"key": widget.public_key, "token": data["token"], "score": 4})
    assert answered.status_code == 200 and answered.json()["category"] == "detractor"
    question = widget.campaign.questions.get()
    details = post(
        client,
        "details",
        {
            "key": widget.public_key,
            "response": answered.json()["response"],
            "comment": "Delivery was late",
            "answers": {str(question.pk): {"number": 2}},
        },
    )
    assert details.status_code == 200, details.json()
    response = Response.objects.get()
    assert (response.contact, response.channel, response.score, response.comment) == (
        contact,
        "widget",
        4,
        "Delivery was late",
    )
    assert response.invitation == invitation and response.answers.get().number == 2


def test_a_signed_user_without_a_contact_gets_one_but_an_email_alone_never_picks_one(client, widget):
    post(client, "ask", {"key": widget.public_key, "user": user(widget, "crm-7", "new@example.com")})
    assert Contact.objects.get(external_id="crm-7").email == "new@example.com"
    ContactFactory(email="victim@example.com")
    refused = post(client, "ask", {"key": widget.public_key, "user": user(widget, "crm-8", "victim@example.com")})
    assert refused.json() == {"ok": True, "ask": False, "reason": "signature"}
    assert Contact.objects.get(email="victim@example.com").external_id is None


def test_a_forged_signature_never_answers_as_the_contact(client, widget):
    contact = ContactFactory(external_id="crm-42")
    forged = user(widget, signature="0" * 64)
    assert post(client, "ask", {"key": widget.public_key, "user": forged}).json()["reason"] == "signature"
    # Where anonymous answers are allowed, the visitor answers anonymously, never as that contact.
    WidgetSettings.objects.filter(pk=widget.pk).update(anonymous=True)
    data = post(client, "ask", {"key": widget.public_key, "user": forged}).json()
    assert data["ask"] is True and data["token"] == ""
    answered = post(client, "answer", {"key": widget.public_key, "token": "", "score": 9, "language": "en"})
    assert answered.status_code == 200
    response = Response.objects.get()
    assert response.contact is None and response.channel == "widget"
    assert not Invitation.objects.filter(contact=contact).exists()


def test_anonymous_answers_are_refused_unless_allowed_and_rate_limited(client, widget):
    assert post(client, "answer", {"key": widget.public_key, "score": 9}).status_code == 403
    WidgetSettings.objects.filter(pk=widget.pk).update(anonymous=True)
    statuses = [post(client, "answer", {"key": widget.public_key, "score": 9}).status_code for _ in range(20)]
    # 20 anonymous attempts a minute per address, the refused one above included (as the public link).
    assert statuses[:19] == [200] * 19 and statuses[19] == 429
    assert Response.objects.filter(contact__isnull=True).count() == 19


def test_the_quiet_period_is_shared_with_email(client, widget):
    contact = ContactFactory(external_id="crm-42")
    InvitationFactory(contact=contact, sent_at=timezone.now() - timedelta(days=3))  # an e-mail campaign's
    assert post(client, "ask", {"key": widget.public_key, "user": user(widget)}).json()["reason"] == "quiet-period"
    # …and the other way round: a widget invitation counts for the e-mail waves' quiet period.
    other = ContactFactory(external_id="crm-43")
    post(client, "ask", {"key": widget.public_key, "user": user(widget, "crm-43")})
    from surveys.sending_queries import audience_decisions

    email = CampaignFactory(quiet_period_days=30)
    assert dict(audience_decisions(email, now=timezone.now()))[other.pk] == "surveyed in the last 30 days"


def test_a_reload_asks_with_the_same_invitation_and_dismissal_snoozes(client, widget):
    ContactFactory(external_id="crm-42")
    first = post(client, "ask", {"key": widget.public_key, "user": user(widget)}).json()
    again = post(client, "ask", {"key": widget.public_key, "user": user(widget)}).json()
    assert first["token"] == again["token"] and Invitation.objects.count() == 1
    assert post(client, "dismiss", {"key": widget.public_key, "user": user(widget)}).status_code == 200
    assert post(client, "ask", {"key": widget.public_key, "user": user(widget)}).json()["reason"] == "dismissed"


def test_days_since_first_seen_sample_and_pages(client, widget):
    ContactFactory(external_id="crm-42")
    WidgetSettings.objects.filter(pk=widget.pk).update(after_days=7)
    assert post(client, "ask", {"key": widget.public_key, "user": user(widget)}).json()["reason"] == "too-soon"
    WidgetSettings.objects.filter(pk=widget.pk).update(after_days=0, sample_percent=0)
    assert post(client, "ask", {"key": widget.public_key, "user": user(widget)}).json()["reason"] == "not-sampled"
    WidgetSettings.objects.filter(pk=widget.pk).update(sample_percent=100, url_patterns=["/checkout/*"])
    body = {"key": widget.public_key, "user": user(widget), "path": "/account"}
    assert post(client, "ask", body).json()["reason"] == "page"
    assert post(client, "ask", {**body, "path": "/checkout/done"}).json()["ask"] is True


def test_a_closed_campaign_does_not_ask(client, widget):
    Campaign.objects.filter(pk=widget.campaign_id).update(status=Campaign.Status.CLOSED)
    ContactFactory(external_id="crm-42")
    assert post(client, "ask", {"key": widget.public_key, "user": user(widget)}).json()["reason"] == "not-active"


def test_bad_input_gets_a_clear_4xx(client, widget):
    assert client.post("/widget/v1/ask/", "{nope", content_type="text/plain", HTTP_ORIGIN=ORIGIN).status_code == 400
    assert post(client, "answer", {"key": widget.public_key, "token": "nope", "score": 3}).status_code == 403
    ContactFactory(external_id="crm-42")
    token = post(client, "ask", {"key": widget.public_key, "user": user(widget)}).json()["token"]
    assert post(client, "answer", {"key": widget.public_key, "token": token, "score": 11}).status_code == 400
    assert post(client, "details", {"key": widget.public_key, "response": "forged"}).status_code == 403


def test_the_script_is_served_small_cacheable_and_built_from_the_source(client):
    response = client.get("/widget/v1.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert "max-age=604800" in response["Cache-Control"]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert len(gzip.compress(body, 9)) < 15_000
    assert b"eval(" not in body and b"new Function" not in body and b"document.cookie" not in body
    esbuild = ROOT / "node_modules" / ".bin" / "esbuild"
    if not esbuild.exists() and not shutil.which("esbuild"):
        pytest.skip("esbuild is not installed (npm ci): the committed build was not compared with its source")
    built = subprocess.run(
        [
            str(esbuild if esbuild.exists() else shutil.which("esbuild")),
            str(ROOT / "static_src" / "widget" / "widget.js"),
            "--minify",
            "--target=es2017",
            "--legal-comments=none",
        ],
        capture_output=True,
        check=True,
    ).stdout
    assert built == (ROOT / "static" / "widget" / "v1.js").read_bytes(), "run `make widget` and commit the build"


def test_a_new_widget_campaign_gets_its_key_and_secret_and_its_page_shows_the_tag_not_the_secret(client, admin, db):
    from surveys.services import campaign_save

    campaign = campaign_save(actor=admin, name="In the app", kind="relational", channel="widget", language="en")
    widget = WidgetSettings.objects.get(campaign=campaign)
    assert widget.public_key.startswith("kl_") and len(widget.secret) > 40
    client.force_login(admin)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f'data-campaign="{widget.public_key}"' in page
    assert widget.secret not in page  # shown once, on request (tests/test_widget_setup.py)
    assert "/widget/v1.js" in page


def test_the_dashboard_cuts_by_the_widget_and_sms_channels(db):
    from scoring.filters import parse_filters
    from scoring.panels import nps_summary
    from tests.factories import ResponseFactory

    for channel, score in (("widget", 10), ("widget", 9), ("sms", 2), ("email", 8)):
        ResponseFactory(campaign=CampaignFactory(channel=channel), score=score, kind="relational")
    for channel, n in (("widget", 2), ("sms", 1)):
        filters = parse_filters({"channel": channel, "period": "30d", "kind": "all"})
        assert filters.channel == channel
        summary = nps_summary(filters)
        assert summary.current.n == n, (channel, summary)
