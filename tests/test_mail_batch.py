"""Many e-mails in few calls to Mailgun (core.mail_batch, through core.mail.send_many_once), against a
local server that speaks Mailgun's and SendGrid's send APIs as documented (tests/esp_server.py): each
recipient still receives exactly the message made for them, once per key, and a refused call leaves its
messages pending for the retry while the others are recorded as sent."""

from datetime import timedelta

import pytest
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from core.mail import send_many_once
from core.models import EmailDelivery
from followups.emails import send_owner_alerts
from tests.esp_server import EspServer, mailgun_deliveries
from tests.factories import ContactFactory, FollowUpFactory, ResponseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def esp():
    with EspServer() as server:
        yield server


def _use(settings, esp, provider):
    for name, value in esp.settings_for(provider).items():
        setattr(settings, name, value)


def _message(to: str, n: int, **kwargs) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=f"Case {n} for {to}",
        body=f"Text {n}: 100% sure, %recipient.html% stays as written",
        from_email=kwargs.pop("from_email", "Kringloop <nps@example.com>"),
        to=[to],
        **kwargs,
    )
    message.attach_alternative(f"<p>Case <b>{n}</b> &amp; more</p>", "text/html")
    message.tags = ["followup_owner"]
    return message


def _delivered(esp) -> list[dict]:
    return [delivery for request in esp.recorder.requests for delivery in mailgun_deliveries(request["fields"])]


def _expected(items) -> list[tuple]:
    return sorted(
        (message.to[0], message.subject, message.body, message.alternatives[0][0], key) for key, _kind, message in items
    )


def _received(esp) -> list[tuple]:
    return sorted(
        (d["to"], d["subject"], d["text"], d["html"], d["headers"]["x-kringloop-key"]) for d in _delivered(esp)
    )


def test_messages_to_three_addresses_go_in_as_many_calls_as_one_address_has_messages(settings, esp):
    _use(settings, esp, "mailgun")
    addresses = ["ann@example.com"] * 3 + ["bob@example.com"] * 2 + ["cas@example.com"]
    items = [(f"batch-test:{n}", "followup_owner", _message(to, n)) for n, to in enumerate(addresses)]

    sent = send_many_once(items)

    assert len(sent) == 6 and esp.recorder.problems == []
    assert esp.recorder.calls == 3  # ann's three messages need three calls; bob and cas ride along
    assert sorted(esp.recorder.recipients) == sorted(addresses)
    assert _received(esp) == _expected(items)  # each recipient gets their own subject, text, HTML and key
    assert all(d["tags"] == ["followup_owner"] and d["from"] == "Kringloop <nps@example.com>" for d in _delivered(esp))
    rows = EmailDelivery.objects.filter(key__startswith="batch-test:")
    assert {row.status for row in rows} == {EmailDelivery.Status.SENT}
    assert all(row.message_id for row in rows)  # the provider's id of the call each went in

    assert send_many_once(items) == [] and esp.recorder.calls == 3  # once per key


def test_a_message_that_cannot_be_merged_goes_alone_and_another_sender_in_a_call_of_its_own(settings, esp):
    _use(settings, esp, "mailgun")
    with_file = _message("ann@example.com", 1)
    with_file.attach("report.csv", "a,b\n", "text/csv")
    copied = _message("bob@example.com", 2, cc=["boss@example.com"])
    other_sender = _message("cas@example.com", 3, from_email="Other <other@example.com>")
    threaded = _message("dan@example.com", 4, headers={"Message-ID": "<notice-4@kringloop.example>"})
    plain = [_message(f"p{n}@example.com", n) for n in range(5, 8)]
    items = [(f"alone-test:{n}", "test", m) for n, m in enumerate([with_file, copied, other_sender, threaded, *plain])]

    assert len(send_many_once(items)) == 7

    sizes = sorted(len(request["fields"]["to"]) for request in esp.recorder.requests)
    assert sizes == [1, 1, 1, 1, 3]
    alone = [request for request in esp.recorder.requests if request["fields"]["to"] == ["ann@example.com"]]
    assert alone and "recipient-variables" not in alone[0]["fields"]  # sent as it was made
    [dan] = [request["fields"] for request in esp.recorder.requests if request["fields"]["to"] == ["dan@example.com"]]
    assert dan["h:Message-Id"] == ["<notice-4@kringloop.example>"]  # a reply finds its thread by it


@pytest.mark.parametrize("choice, provider", [("off", "mailgun"), ("auto", "sendgrid")])
def test_without_mailgun_batching_each_message_is_its_own_call(settings, esp, choice, provider):
    _use(settings, esp, provider)
    settings.ESP_BATCH = choice
    items = [(f"single-test:{n}", "test", _message(f"r{n}@example.com", n)) for n in range(3)]
    assert len(send_many_once(items)) == 3
    assert esp.recorder.calls == 3


def test_a_refused_call_leaves_its_messages_pending_and_the_retry_sends_only_those(settings, esp):
    _use(settings, esp, "mailgun")
    addresses = ["ann@example.com", "bob@example.com", "ann@example.com", "bob@example.com"]
    items = [(f"retry-test:{n}", "test", _message(to, n)) for n, to in enumerate(addresses)]
    esp.recorder.fail_next = 1  # the first call answers 503

    with pytest.raises(Exception, match="503"):
        send_many_once(items)
    status = dict(EmailDelivery.objects.filter(key__startswith="retry-test:").values_list("key", "status"))
    assert sorted(status.values()) == ["pending", "pending", "sent", "sent"]

    assert len(send_many_once(items)) == 2
    assert sorted(esp.recorder.recipients) == sorted(addresses)  # each delivered once in all
    assert set(EmailDelivery.objects.filter(key__startswith="retry-test:").values_list("status", flat=True)) == {"sent"}


def test_owner_alerts_of_a_batch_of_cases_reach_each_owner_whole_in_few_calls(settings, esp):
    _use(settings, esp, "mailgun")
    owners = [UserFactory(username=f"owner{i}", email=f"owner{i}@staff.example.com") for i in range(2)]
    cases = [
        FollowUpFactory(
            owner=owners[n % 2],
            response=ResponseFactory(
                score=2,
                comment=f"Complaint number {n} <script>alert(1)</script>",
                contact=ContactFactory(name=f"Customer {n}"),
                submitted_at=timezone.now() - timedelta(minutes=n),
            ),
        )
        for n in range(5)
    ]

    assert send_owner_alerts(followup_ids=[case.pk for case in cases]) == 5

    assert esp.recorder.calls == 3  # owner0 has three cases, owner1 two
    delivered = _delivered(esp)
    for n, case in enumerate(cases):
        key = f"followup-owner:{case.pk}:{case.owner_id}"
        [mine] = [d for d in delivered if d["headers"]["x-kringloop-key"] == key]
        assert mine["to"] == case.owner.email
        assert f"Customer {n}" in mine["subject"]
        assert f"Complaint number {n}" in mine["text"] and "<script>" in mine["text"]  # plain text, as written
        assert f"Complaint number {n} &lt;script&gt;" in mine["html"]  # the HTML part escaped, as rendered
        assert f"/followups/{case.pk}/" in mine["html"]
        assert "%recipient." not in mine["subject"] + mine["text"] + mine["html"]
