"""Replying to the customer from the case: sent once, with unsubscribe headers, logged on the case,
never to a customer who may not be e-mailed."""

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from followups.models import FollowUpEvent
from followups.services import followup_reply
from followups.tasks import send_reply, sweep_unrouted_responses
from tests.factories import ContactFactory, FollowUpFactory, ResponseFactory


@pytest.fixture
def case(db, agent, team_a):
    contact = ContactFactory(name="Jan <b>de Vries</b>", language="nl")
    return FollowUpFactory(owner=agent, team=team_a, response=ResponseFactory(score=2, contact=contact))


def _reply(client, case, **data):
    return client.post(
        f"/followups/{case.pk}/",
        {
            "action": "reply",
            "reply-subject": "Uw factuur",
            "reply-body": "We hebben het bedrag <b>terugbetaald</b>.",
            **data,
        },
    )


def test_a_reply_is_sent_once_with_unsubscribe_headers_and_logged(client, agent, case, mailoutbox):
    client.force_login(agent)
    assert _reply(client, case).status_code == 302
    event = FollowUpEvent.objects.get(followup=case, kind="reply")
    assert event.actor == agent and event.data["sent"] is False
    send_reply(event.pk)
    send_reply(event.pk)  # a duplicate delivery
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [case.contact.email] and message.subject == "Uw factuur"
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["Reply-To"] == agent.email
    assert "Beste Jan <b>de Vries</b>," in message.body  # the customer's language; plain text is not escaped
    html = message.alternatives[0][0]
    assert "terugbetaald" in html and "<b>terugbetaald</b>" not in html
    event.refresh_from_db()
    assert event.data["sent"] is True
    page = client.get(f"/followups/{case.pk}/").content.decode()
    assert "Uw factuur" in page and "sent" in page


def test_an_opted_out_customer_gets_no_reply(client, agent, case, mailoutbox):
    case.contact.opted_out_at = timezone.now()
    case.contact.save()
    client.force_login(agent)
    response = _reply(client, case)
    assert response.status_code == 400
    assert "This customer opted out of e-mails on" in response.content.decode()
    assert not FollowUpEvent.objects.filter(kind="reply").exists()


def test_a_customer_who_opts_out_before_the_send_gets_nothing(agent, case, mailoutbox):
    event = followup_reply(followup=case, actor=agent, subject="Hi", body="About your answer")
    case.contact.opted_out_at = timezone.now()
    case.contact.save()
    send_reply(event.pk)
    assert mailoutbox == []
    event.refresh_from_db()
    assert event.data["skipped"] == "opted out"


def test_an_anonymous_answer_cannot_be_replied_to(client, agent, team_a):
    anonymous = FollowUpFactory(owner=agent, team=team_a, response=ResponseFactory(score=1, contact=None))
    client.force_login(agent)
    page = client.get(f"/followups/{anonymous.pk}/").content.decode()
    assert "nobody to reply to" in page
    assert _reply(client, anonymous).status_code == 400


def test_an_empty_reply_is_refused(client, agent, case):
    client.force_login(agent)
    assert _reply(client, case, **{"reply-body": "   "}).status_code == 400


def test_the_sweep_sends_a_reply_whose_task_was_lost(agent, case, mailoutbox):
    with freeze_time(timezone.now() - timedelta(minutes=3)):
        followup_reply(followup=case, actor=agent, subject="Hi", body="Sorry about that")
    sweep_unrouted_responses()
    sweep_unrouted_responses()
    assert [m.to for m in mailoutbox] == [[case.contact.email]]


def test_the_reply_starts_with_a_subject_in_the_language_the_customer_answered_in(client, agent, case, settings):
    from surveys.models import Response

    client.force_login(agent)
    Response.objects.filter(pk=case.response_id).update(language="nl")
    page = client.get(f"/followups/{case.pk}/").content.decode()
    assert f'value="Over uw feedback aan {settings.COMPANY_NAME}"' in page
    english = FollowUpFactory(owner=agent, team=case.team, response=ResponseFactory(score=3, language="en"))
    page = client.get(f"/followups/{english.pk}/").content.decode()
    assert f'value="About your feedback to {settings.COMPANY_NAME}"' in page


def test_the_case_page_offers_the_customers_phone_as_a_link_to_call(client, agent, case):
    from surveys.models import Contact

    client.force_login(agent)
    assert "tel:" not in client.get(f"/followups/{case.pk}/").content.decode()
    Contact.objects.filter(pk=case.contact_id).update(phone="+31 6 1234 5678")
    page = client.get(f"/followups/{case.pk}/").content.decode()
    assert page.count('href="tel:+31612345678"') == 2  # the customer card, and first thing on a phone
    assert "Call Jan &lt;b&gt;de Vries&lt;/b&gt; · +31 6 1234 5678" in page
