"""Reply templates (#21.2): admins keep them per language and category with placeholders; the agent
picks one on the case, edits it, sees the e-mail and sends it."""

import pytest

from core.models import AuditLog
from followups.models import FollowUpEvent, ReplyTemplate
from followups.reply_templates import fill, render_for, templates_for
from tests.factories import ContactFactory, FollowUpFactory, ResponseFactory


@pytest.fixture
def case(db, agent, team_a):
    contact = ContactFactory(name="Jan de Vries", language="nl")
    response = ResponseFactory(score=3, contact=contact, comment="De factuur was <b>fout</b>.")
    return FollowUpFactory(owner=agent, team=team_a, response=response)


@pytest.fixture
def templates(db):
    return {
        "apology": ReplyTemplate.objects.create(
            name="Excuses",
            language="nl",
            category="detractor",
            subject="Onze excuses, {customer_name}",
            body="Beste {customer_name},\n\nU gaf ons een {score}: ‘{comment}’. Spijt me.\n\n{agent_name}, {company}",
        ),
        "any": ReplyTemplate.objects.create(
            name="Algemeen", language="nl", category="", subject="Uw feedback", body="Dank."
        ),
        "english": ReplyTemplate.objects.create(
            name="Apology", language="en", category="detractor", subject="Sorry", body="Sorry."
        ),
        "promoter": ReplyTemplate.objects.create(
            name="Review", language="nl", category="promoter", subject="Een review?", body="Wilt u…"
        ),
        "inactive": ReplyTemplate.objects.create(
            name="Oud", language="nl", category="detractor", subject="x", body="y", active=False
        ),
    }


def test_the_case_offers_the_templates_of_its_language_and_category(case, templates):
    assert [t.name for t in templates_for(case)] == ["Excuses", "Algemeen"]


def test_placeholders_are_filled_with_the_cases_values(case, templates, agent, settings):
    agent.first_name, agent.last_name = "Arthur", "Agent"
    subject, body = render_for(templates["apology"], case, agent)
    assert subject == "Onze excuses, Jan de Vries"
    assert "U gaf ons een 3: ‘De factuur was <b>fout</b>.’" in body
    assert body.endswith(f"Arthur Agent, {settings.COMPANY_NAME}")
    assert fill("{unknown} {score}", {"score": "3"}) == "{unknown} 3"


def test_the_agent_picks_edits_previews_and_sends(client, case, templates, agent, mailoutbox):
    client.force_login(agent)
    page = client.get(f"/followups/{case.pk}/?tab=reply").content.decode()
    assert "Excuses" in page and "Algemeen" in page and "Apology" not in page and "Review" not in page
    picked = client.post(
        f"/followups/{case.pk}/",
        {
            "action": "reply",
            "use_template": "1",
            "reply-template": templates["apology"].pk,
            "reply-subject": "",
            "reply-body": "",
        },
    )
    html = picked.content.decode()
    assert picked.status_code == 200
    assert 'value="Onze excuses, Jan de Vries"' in html
    assert "U gaf ons een 3" in html and "De factuur was &lt;b&gt;fout&lt;/b&gt;" in html  # escaped in the page
    assert "The e-mail as it will be sent" in html and not FollowUpEvent.objects.filter(kind="reply").exists()
    # The agent edits the message, then sends.
    sent = client.post(
        f"/followups/{case.pk}/",
        {"action": "reply", "reply-subject": "Onze excuses, Jan de Vries", "reply-body": "Beste Jan, ik bel u morgen."},
    )
    assert sent.status_code == 302
    event = FollowUpEvent.objects.get(kind="reply")
    assert event.data["subject"] == "Onze excuses, Jan de Vries" and event.text == "Beste Jan, ik bel u morgen."


def test_a_template_from_another_case_cannot_be_used(client, case, templates, agent):
    client.force_login(agent)
    response = client.post(
        f"/followups/{case.pk}/", {"action": "reply", "use_template": "1", "reply-template": templates["english"].pk}
    )
    assert "Choose one of the templates offered." in response.content.decode()


def test_admins_keep_templates_and_unknown_placeholders_are_refused(client, admin, agent):
    client.force_login(agent)
    assert client.get("/followups/reply-templates/").status_code == 403
    client.force_login(admin)
    values = {
        "name": "Bedankt",
        "language": "nl",
        "category": "passive",
        "subject": "Dank, {customer}",
        "body": "Hoi",
        "active": "on",
    }
    refused = client.post("/followups/reply-templates/new/", values)
    assert refused.status_code == 400 and "Unknown placeholder {customer}" in refused.content.decode()
    assert (
        client.post("/followups/reply-templates/new/", {**values, "subject": "Dank, {customer_name}"}).status_code
        == 302
    )
    template = ReplyTemplate.objects.get(name="Bedankt")
    assert AuditLog.objects.filter(action="reply_template.created").count() == 1
    listing = client.get("/followups/reply-templates/").content.decode()
    assert "Bedankt" in listing and "{customer_name}" in listing
    assert client.post(f"/followups/reply-templates/{template.pk}/delete/").status_code == 302
    assert not ReplyTemplate.objects.exists()
