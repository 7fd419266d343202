"""Owner alerts in batches (followups.emails.send_owner_alerts, the notify_owners task): the same
e-mail as one at a time, in each recipient's language, once per case and recipient, and a number
of queries that does not grow with the number of cases."""

import threading
import time
from datetime import timedelta

import pytest
from anymail.exceptions import AnymailAPIError
from django.core import mail
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.mail import OutboxBackend
from core.models import EmailDelivery, OutboxMessage
from followups.emails import owner_alert_key, send_owner_alert, send_owner_alerts
from followups.models import FollowUp
from surveys.models import Answer, Question, Response
from tests.factories import CampaignFactory, ContactFactory, FollowUpFactory, ResponseFactory, TeamFactory, UserFactory
from tests.helpers import wait_for


def _case(*, contact=None, days_ago=0, **kwargs):
    """A new unhappy answer and its case (owner/team as given)."""
    response = ResponseFactory(
        score=2,
        comment="Still broken",
        contact=contact or ContactFactory(),
        submitted_at=timezone.now() - timedelta(days=days_ago),
    )
    return FollowUpFactory(response=response, **kwargs)


def _rich_contact(owner):
    """A customer with a long history: seven earlier answers, seven open cases and driver answers; two
    new cases, and one whose answer is older than all of those (its alert went missing)."""
    contact = ContactFactory(name="Rita Rich", company="Rich BV")
    campaign = CampaignFactory(name="Support survey")
    for days in range(10, 17):
        ResponseFactory(
            contact=contact, campaign=campaign, score=days - 8, submitted_at=timezone.now() - timedelta(days=days)
        )
    for days in range(7):
        FollowUpFactory(
            response=ResponseFactory(
                contact=contact, campaign=campaign, score=4, submitted_at=timezone.now() - timedelta(days=20 + days)
            ),
            owner=owner,
            due_at=timezone.now() + timedelta(days=3 + days),
        )
    first = _case(contact=contact, owner=owner, due_at=timezone.now() + timedelta(hours=5), at_risk=True)
    second = _case(contact=contact, owner=owner, days_ago=1, due_at=timezone.now() + timedelta(hours=1))
    late = _case(contact=contact, owner=owner, days_ago=40, due_at=timezone.now() + timedelta(days=30))
    for order, text in ((2, "How easy was paying?"), (1, "How was the product?")):
        question = Question.objects.create(campaign=first.response.campaign, text=text, kind="csat", order=order)
        Answer.objects.create(response=first.response, question=question, number=order + 2)
    return contact, first, second, late


def _parts(message):
    return {
        "to": message.to,
        "from": message.from_email,
        "subject": message.subject,
        "body": message.body,
        "html": message.alternatives[0][0],
        "headers": message.extra_headers,
        "tags": message.tags,
    }


# --- Who gets what ---------------------------------------------------------------------------
def test_each_case_alerts_its_owner_or_its_team_lead_and_nobody_else(db, agent, lead, team_a, mailoutbox):
    leaderless = TeamFactory(name="No lead")
    mailless = UserFactory(username="no-mail", email="")
    owned = _case(owner=agent)
    queued = _case(team=team_a)
    cases = [owned, queued, _case(team=leaderless), _case(owner=mailless), _case()]

    assert send_owner_alerts(followup_ids=[c.pk for c in cases]) == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted([agent.email, lead.email])
    assert set(EmailDelivery.objects.values_list("key", "kind", "status")) == {
        (owner_alert_key(owned.pk, agent.pk), "followup_owner", "sent"),
        (owner_alert_key(queued.pk, lead.pk), "followup_owner", "sent"),
    }


def test_a_dutch_owner_gets_dutch_and_an_english_owner_english_in_the_same_batch(db, agent, dutch_admin, mailoutbox):
    send_owner_alerts(followup_ids=[_case(owner=dutch_admin).pk, _case(owner=agent).pk])
    by_address = {m.to[0]: m for m in mailoutbox}
    dutch, english = by_address[dutch_admin.email], by_address[agent.email]
    assert dutch.subject.startswith("Nieuwe zaak:")
    assert "Deze klant moet worden teruggebeld." in dutch.body and "Open de zaak" in dutch.alternatives[0][0]
    assert english.subject.startswith("New follow-up:")
    assert "A customer needs a call back." in english.body and "Open the case" in english.alternatives[0][0]


def test_the_batch_sends_exactly_what_send_owner_alert_sends(db, agent, dutch_admin, team_a, lead, mailoutbox):
    contact, first, second, late = _rich_contact(agent)
    cases = [
        first,
        second,
        late,
        _case(owner=dutch_admin),
        _case(team=team_a),
        _case(contact=ContactFactory(name=""), owner=agent),
    ]
    related = ("owner", "team__lead", "contact", "response__campaign")
    for case in FollowUp.objects.select_related(*related).filter(pk__in=[c.pk for c in cases]):
        send_owner_alert(followup=case)
    one_by_one = {m.extra_headers["X-Kringloop-Key"]: _parts(m) for m in mailoutbox}
    EmailDelivery.objects.all().delete()
    mailoutbox.clear()

    assert send_owner_alerts(followup_ids=[c.pk for c in cases]) == 6
    batched = {m.extra_headers["X-Kringloop-Key"]: _parts(m) for m in mailoutbox}
    assert batched == one_by_one and len(batched) == 6


def test_each_case_of_a_customer_lists_their_other_answers_and_cases_not_itself(db, agent, mailoutbox):
    contact, first, second, late = _rich_contact(agent)
    send_owner_alerts(followup_ids=[first.pk, second.pk, late.pk, _case(owner=agent).pk])  # two customers
    bodies = {m.extra_headers["X-Kringloop-Key"]: m.body for m in mailoutbox}
    for case in (first, second, late):
        body = bodies[owner_alert_key(case.pk, agent.pk)]
        # What the e-mail showed when each case ran its own queries: the last five other answers...
        history = Response.objects.filter(contact=contact).exclude(pk=case.response_id).order_by("-submitted_at")[:5]
        shown = body.split("Previous scores:\n")[1].split("\n\n")[0].splitlines()
        assert shown == [
            f"- {timezone.localtime(r.submitted_at):%Y-%m-%d}: {r.score} ({r.campaign.name})" for r in history
        ]
        # ...and the first five other open cases by due date (the other new case among them).
        others = FollowUp.objects.filter(contact=contact, status__in=FollowUp.OPEN_STATUSES).exclude(pk=case.pk)
        listed = body.split("Other open cases:\n")[1].split("\n\n")[0].splitlines()
        assert [line.split()[1] for line in listed] == [f"#{c.pk}" for c in others.order_by("due_at")[:5]]
        assert f"#{case.pk} " not in body
    first_body = bodies[owner_alert_key(first.pk, agent.pk)]
    assert "- How was the product?: 3\n- How easy was paying?: 4\n" in first_body
    assert "At risk" in first_body and "How was the product?" not in bodies[owner_alert_key(second.pk, agent.pk)]


def test_a_case_that_no_longer_exists_is_skipped(db, agent, mailoutbox):
    case = _case(owner=agent)
    assert send_owner_alerts(followup_ids=[case.pk, case.pk + 1000]) == 1
    assert send_owner_alerts(followup_ids=[]) == 0
    assert len(mailoutbox) == 1


# --- Exactly once ----------------------------------------------------------------------------
def test_running_the_same_batch_twice_sends_nothing_the_second_time(db, agent, lead, team_a, mailoutbox):
    ids = [_case(owner=agent).pk, _case(team=team_a).pk, _case(owner=agent).pk]
    assert send_owner_alerts(followup_ids=ids) == 3
    assert send_owner_alerts(followup_ids=ids + ids) == 0
    assert len(mailoutbox) == 3


def test_a_case_already_alerted_on_its_own_is_not_alerted_again_by_the_batch(db, agent, mailoutbox):
    alone, other = _case(owner=agent), _case(owner=agent)
    send_owner_alert(followup=FollowUp.objects.select_related("owner").get(pk=alone.pk))
    assert send_owner_alerts(followup_ids=[alone.pk, other.pk]) == 1
    assert sorted(m.extra_headers["X-Kringloop-Key"] for m in mailoutbox) == sorted(
        [owner_alert_key(alone.pk, agent.pk), owner_alert_key(other.pk, agent.pk)]
    )


def test_a_reassigned_case_alerts_its_new_owner_once_too(db, agent, admin, mailoutbox):
    case = _case(owner=agent)
    send_owner_alerts(followup_ids=[case.pk])
    FollowUp.objects.filter(pk=case.pk).update(owner=admin)
    assert send_owner_alerts(followup_ids=[case.pk]) == 1
    assert send_owner_alerts(followup_ids=[case.pk]) == 0
    assert [m.to for m in mailoutbox] == [[agent.email], [admin.email]]


def test_a_provider_outage_for_one_address_leaves_the_others_sent_and_that_one_for_the_retry(db, provider):
    down = UserFactory(username="down-owner", email="down-owner@staff.example.com")
    flaky = UserFactory(username="flaky-owner", email="flaky-owner@staff.example.com")
    fine = [UserFactory(username=f"fine-{i}") for i in range(2)]
    cases = {user.email: _case(owner=user) for user in (fine[0], down, flaky, fine[1])}
    ids = [c.pk for c in cases.values()]

    with pytest.raises(AnymailAPIError):
        send_owner_alerts(followup_ids=ids)
    status = dict(EmailDelivery.objects.values_list("to", "status"))
    assert status == {fine[0].email: "sent", fine[1].email: "sent", down.email: "pending", flaky.email: "pending"}

    with pytest.raises(AnymailAPIError):  # the retry: the flaky address goes through, the outage goes on
        send_owner_alerts(followup_ids=ids)
    assert dict(EmailDelivery.objects.values_list("to", "status"))[flaky.email] == "sent"
    attempts = [m.to[0] for m in provider]
    assert sorted(attempts) == sorted([fine[0].email, fine[1].email, down.email, down.email, flaky.email, flaky.email])
    assert EmailDelivery.objects.get(to=down.email).status == "pending"


def test_sending_one_message_that_fails_raises_and_records_nothing_as_sent(db, provider):
    down = UserFactory(username="down-alone", email="down-alone@staff.example.com")
    case = _case(owner=down)
    with pytest.raises(AnymailAPIError):
        send_owner_alert(followup=FollowUp.objects.select_related("owner").get(pk=case.pk))
    assert not EmailDelivery.objects.filter(status="sent").exists()


class SlowOutbox(OutboxBackend):
    """The outbox, taking its time per message, so that two batches surely overlap."""

    def send_messages(self, email_messages):
        time.sleep(0.05)
        return super().send_messages(email_messages)


@pytest.mark.postgres("two workers at once: row locks, which SQLite has not (its writers take turns)")
@pytest.mark.parametrize("earlier_attempt", [False, True])
def test_two_workers_running_the_same_batch_at_once_send_each_alert_once(
    transactional_db, settings, agent, earlier_attempt
):
    settings.EMAIL_BACKEND = "tests.test_owner_alerts_batch.SlowOutbox"
    ids = [_case(owner=agent).pk for _ in range(6)]
    if earlier_attempt:  # a failed attempt left the ledger rows pending: only their lock keeps the workers apart
        EmailDelivery.objects.bulk_create(
            [EmailDelivery(key=owner_alert_key(pk, agent.pk), kind="followup_owner", to=agent.email) for pk in ids]
        )
    start, sent = threading.Barrier(2), []

    def worker(batch):
        start.wait()
        try:
            sent.append(send_owner_alerts(followup_ids=batch))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(batch,)) for batch in (ids, ids[::-1])]  # any order: no deadlock
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(sent) == [0, 6]  # the second waited for the first's locks, then found everything sent
    assert OutboxMessage.objects.count() == 6


# --- Cost ------------------------------------------------------------------------------------
def _queries_for(count, owner, team):
    ids = []
    for i in range(count):
        contact = ContactFactory()
        ResponseFactory(contact=contact, score=8, submitted_at=timezone.now() - timedelta(days=30))
        FollowUpFactory(
            response=ResponseFactory(contact=contact, score=4, submitted_at=timezone.now() - timedelta(days=9)),
            owner=owner,
        )
        case = _case(contact=contact, **({"owner": owner} if i % 2 else {"team": team}))
        question = Question.objects.create(campaign=case.response.campaign, text="Why?", kind="text", order=1)
        Answer.objects.create(response=case.response, question=question, text="Slow")
        ids.append(case.pk)
    with CaptureQueriesContext(connection) as queries:
        assert send_owner_alerts(followup_ids=ids) == count
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_number_of_cases(db, agent, dutch_admin, lead, team_a, mailoutbox):
    few = _queries_for(3, dutch_admin, team_a)
    many = _queries_for(30, agent, team_a)
    assert few == many <= 10
    assert len(mailoutbox) == 33


# --- Through the real worker -----------------------------------------------------------------
@pytest.mark.worker
def test_notify_owners_sends_each_alert_once_even_if_delivered_twice(
    celery_worker, outbox_backend, agent, lead, team_a
):
    from core.queue import send_task_now

    ids = [_case(owner=agent).pk for _ in range(5)] + [_case(team=team_a).pk]
    # By name, as followups.processing enqueues it; twice, as a redelivery would (two worker threads).
    send_task_now("followups.tasks.notify_owners", ids)
    send_task_now("followups.tasks.notify_owners", ids)
    assert wait_for(lambda: OutboxMessage.objects.count() >= 6)
    time.sleep(1)  # give the duplicate time to run
    assert sorted(OutboxMessage.objects.values_list("to", flat=True)) == sorted([agent.email] * 5 + [lead.email])
    assert EmailDelivery.objects.filter(kind="followup_owner", status="sent").count() == 6
    assert not mail.outbox  # the outbox backend stores, it does not use the test outbox


def test_an_anonymous_answer_in_the_batch_is_alerted_too_and_breaks_no_other_alert(db, agent, mailoutbox):
    """An answer through the public link has no contact: its alert names "an anonymous respondent",
    and the cases alerted with it still get theirs (the whole batch once failed on it)."""
    anonymous = ResponseFactory(contact=None, invitation=None, score=2)
    cases = [
        FollowUpFactory(response=anonymous, contact=None, owner=agent),
        FollowUpFactory(response=ResponseFactory(score=3, contact=ContactFactory(name="Ann Smith")), owner=agent),
    ]
    assert send_owner_alerts(followup_ids=[case.pk for case in cases]) == 2
    subjects = sorted(message.subject for message in mailoutbox)
    assert any("an anonymous respondent" in subject for subject in subjects), subjects
    assert any("Ann Smith" in subject for subject in subjects), subjects


def test_a_customer_without_a_name_is_named_by_their_address_alone(db, agent, mailoutbox):
    """No empty name before the address ("Customer:  <ann@…>"): the address stands alone."""
    unnamed = _case(contact=ContactFactory(name="", email="nameless@example.com", company=""), owner=agent)
    named = _case(contact=ContactFactory(name="Ann Smith", email="ann@example.com", company=""), owner=agent)
    assert send_owner_alerts(followup_ids=[unnamed.pk, named.pk]) == 2
    by_address = {"nameless" if "nameless@" in m.body else "named": m for m in mailoutbox}
    assert "Customer: nameless@example.com\n" in by_address["nameless"].body
    assert "<td>nameless@example.com</td>" in by_address["nameless"].alternatives[0][0]
    assert "Customer: Ann Smith <ann@example.com>\n" in by_address["named"].body
    assert "<td>Ann Smith &lt;ann@example.com&gt;</td>" in by_address["named"].alternatives[0][0]
