"""A customer's answer to the "you said, we did" e-mail lands in their case (#21.1 with #14): the
notice carries the case's Reply-To and is threaded on the case's conversation."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from followups.improvements import improvement_link, improvement_ship
from followups.models import FollowUp, Improvement, ImprovementNotice, InboundMessage
from followups.notices import notice_send
from tests.factories import ContactFactory, FollowUpFactory, ResponseFactory
from tests.inbound_support import CUSTOMER, case, case_address, inbound_on, webhook_auth  # fixtures


@pytest.fixture
def improvement(db):
    return Improvement.objects.create(
        title="Clearer invoices",
        description_en="Invoices now list every line.",
        description_nl="Facturen tonen nu elke regel.",
    )


def _postmark(to: str, *, message_id: str, in_reply_to: str = "", text: str = "Dank u, dit is veel beter.") -> str:
    headers = [{"Name": "Message-ID", "Value": message_id}]
    if in_reply_to:
        headers += [{"Name": "In-Reply-To", "Value": in_reply_to}, {"Name": "References", "Value": in_reply_to}]
    return json.dumps(
        {
            "From": CUSTOMER,
            "FromFull": {"Email": CUSTOMER, "Name": "Jan de Vries", "MailboxHash": ""},
            "To": to,
            "ToFull": [{"Email": to, "Name": "", "MailboxHash": ""}],
            "OriginalRecipient": to,
            "Subject": "Re: Dankzij uw feedback",
            "MessageID": message_id.strip("<>"),
            "TextBody": text,
            "Headers": headers,
            "Attachments": [],
        }
    )


def _ship_and_send(improvement, admin) -> None:
    improvement_ship(improvement=improvement, actor=admin)
    for notice in ImprovementNotice.objects.all():
        notice_send(notice_id=notice.pk)


def test_the_notice_carries_the_case_reply_to_and_the_answer_lands_in_the_case(
    client, improvement, case, admin, mailoutbox
):
    improvement_link(improvement=improvement, response_ids=[case.response_id], actor=admin)
    # The customer wrote on the case before: the notice answers their last e-mail.
    earlier = "<earlier-1@mail.example.nl>"
    post = client.post(
        "/anymail/postmark/inbound/",
        _postmark(case_address(case), message_id=earlier, text="De factuur klopt niet."),
        content_type="application/json",
        **webhook_auth(),
    )
    assert post.status_code == 200
    FollowUp.objects.filter(pk=case.pk).update(status=FollowUp.Status.RESOLVED)

    _ship_and_send(improvement, admin)
    [notice] = mailoutbox
    headers = notice.extra_headers
    assert headers["Reply-To"] == case_address(case)
    ours = headers["Message-ID"]
    assert ours == f"<kringloop.improvement.{improvement.pk}.{case.contact_id}@replies.example.com>"
    assert headers["In-Reply-To"] == earlier and headers["References"] == earlier
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"  # still there

    # The customer answers the notice: it joins the case, threaded after it.
    answer = _postmark(headers["Reply-To"], message_id="<answer-2@mail.example.nl>", in_reply_to=ours)
    assert client.post("/anymail/postmark/inbound/", answer, content_type="application/json", **webhook_auth())
    inbound = InboundMessage.objects.get(message_id="<answer-2@mail.example.nl>")
    assert (inbound.status, inbound.followup, inbound.in_reply_to) == ("matched", case, ours)


def test_the_newest_linked_answer_with_a_case_decides(improvement, admin, agent, team_a, mailoutbox):
    contact = ContactFactory(email="ann@example.com")
    now = timezone.now()

    def case_answered(days_ago: int):
        answer = ResponseFactory(contact=contact, score=3, submitted_at=now - timedelta(days=days_ago))
        return FollowUpFactory(owner=agent, team=team_a, response=answer)

    older, newer, _unlinked = case_answered(3), case_answered(2), case_answered(1)
    improvement_link(improvement=improvement, response_ids=[newer.response_id, older.response_id], actor=admin)
    _ship_and_send(improvement, admin)
    [notice] = mailoutbox
    assert notice.extra_headers["Reply-To"] == case_address(newer)
    assert "In-Reply-To" not in notice.extra_headers  # they never wrote on it


def test_without_a_case_or_inbound_mail_the_notice_has_no_reply_to(settings, improvement, admin, mailoutbox):
    answer = ResponseFactory(contact=ContactFactory(email="pia@example.com"), score=6)  # no case opened
    improvement_link(improvement=improvement, response_ids=[answer.pk], actor=admin)
    _ship_and_send(improvement, admin)
    assert "Reply-To" not in mailoutbox[0].extra_headers

    settings.INBOUND_DOMAIN = ""  # inbound mail off: threaded, but replies go where they always went
    other = Improvement.objects.create(title="Faster", description_en="Faster now.")
    case = FollowUpFactory(response=ResponseFactory(contact=ContactFactory(email="bo@example.com"), score=2))
    improvement_link(improvement=other, response_ids=[case.response_id], actor=admin)
    improvement_ship(improvement=other, actor=admin)
    notice_send(notice_id=ImprovementNotice.objects.get(improvement=other).pk)
    headers = mailoutbox[-1].extra_headers
    assert "Reply-To" not in headers and headers["Message-ID"].startswith(f"<kringloop.improvement.{other.pk}.")
