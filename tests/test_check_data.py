"""`manage.py check_data`: passes on data the product made, fails (exit 1, with a report) on data
broken on purpose, one way at a time, and never writes."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.utils import timezone

from core import consistency
from core.models import EmailDelivery, OutboxMessage
from followups.improvements import improvement_link, improvement_ship
from followups.models import FollowUp, Improvement, ImprovementNotice, RoutingRule
from followups.notices import notice_send
from followups.processing import response_process
from scoring.models import DailyScore
from scoring.rollup import refresh_rollup
from surveys.models import Invitation, Response
from tests.factories import ContactFactory, InvitationFactory, ResponseFactory, RoutingRuleFactory
from tests.webhooks_support import Receiver, make_endpoint
from webhooks.delivery import delivery_attempt
from webhooks.models import Delivery


@pytest.fixture
def made_by_the_product(db, settings, agent, team_a, admin):
    """Answers processed into cases with their owner alerts, a shipped improvement with its
    notices sent, webhook deliveries delivered, the rollups refreshed: all through the services."""
    settings.EMAIL_BACKEND = "core.mail.OutboxBackend"
    settings.KRINGLOOP = {**settings.KRINGLOOP, "OWNER_ALERT_HOLD_SECONDS": 0}
    receiver = Receiver().start()
    make_endpoint(url=receiver.url, events=["response.created", "followup.created"])
    RoutingRuleFactory(target=RoutingRule.Target.ACCOUNT_OWNER, team=team_a)
    responses = []
    for i, score in enumerate([0, 3, 6, 7, 8, 9, 10, 10, 4, 9]):
        contact = ContactFactory(account_owner=agent, attributes={"plan": "pro" if i % 2 else "free"})
        invitation = InvitationFactory(contact=contact, provider_message_id="")
        response = ResponseFactory(
            contact=contact,
            campaign=invitation.campaign,
            invitation=invitation,
            score=score,
            comment="slow support" if score < 7 else "",
            submitted_at=timezone.now() - timedelta(days=i * 20),
        )
        processed = response_process(response_id=response.pk)
        if processed.created:
            from followups.emails import send_owner_alerts

            send_owner_alerts(followup_ids=[processed.followup.pk])
        responses.append(response)
    for delivery in Delivery.objects.all():
        delivery_attempt(delivery_id=delivery.pk)
    improvement = Improvement.objects.create(title="Faster", description_en="We answer in 4 hours.")
    improvement_link(improvement=improvement, response_ids=[r.pk for r in responses if r.score < 7], actor=admin)
    improvement_ship(improvement=improvement, actor=admin)
    for notice in ImprovementNotice.objects.all():
        notice_send(notice_id=notice.pk)
    refresh_rollup()
    yield responses
    receiver.stop()


def _problems(**kwargs):
    return {
        name: [f.problem for f in found]
        for name, found in consistency.run(grace=timedelta(0), **kwargs).items()
        if found
    }


def test_data_the_product_made_passes_every_check(made_by_the_product, capsys):
    assert Delivery.objects.filter(status="delivered").count() > 10
    assert FollowUp.objects.count() == 6 and ImprovementNotice.objects.filter(status="sent").count() == 4
    assert _problems() == {}
    call_command("check_data", "--grace", "0")
    assert "all 8 checks passed" in capsys.readouterr().out


def _fails_with(problem_text: str, check: str, capsys) -> None:
    """check_data exits 1 and its JSON report names the problem under `check`."""
    with pytest.raises(SystemExit) as exit_:
        call_command("check_data", "--grace", "0", "--json", "--only", check)
    assert exit_.value.code == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert any(problem_text in found["problem"] for found in report["checks"][check]), report


def test_an_answer_without_its_case_fails(made_by_the_product, capsys):
    FollowUp.objects.filter(response__score=0).delete()
    _fails_with("answers that need a case and have none", "cases", capsys)


def test_a_rollup_figure_that_differs_from_the_answers_fails(made_by_the_product, capsys):
    row = DailyScore.objects.order_by("pk").first()
    DailyScore.objects.filter(pk=row.pk).update(n=row.n + 1)
    [found] = consistency.run(grace=timedelta(0), only=["rollups"])["rollups"]
    assert any("score distribution: shown" in example for example in found.examples)
    _fails_with("dashboard figures that differ", "rollups", capsys)


def test_a_row_pointing_at_nothing_fails(made_by_the_product, capsys):
    """Foreign keys are checked at commit (DEFERRABLE INITIALLY DEFERRED): inside the test's transaction
    an orphan can exist, as after a partial restore."""
    response = made_by_the_product[0]
    table = FollowUp._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # the fixture's first rollup build made them immediate
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(f"UPDATE {table} SET response_id = %s WHERE response_id = %s", [10**9, response.pk])
    try:
        _fails_with("followups.FollowUp.response points at a missing surveys.Response", "orphans", capsys)
    finally:
        with connection.cursor() as cursor:  # the test's end checks the constraints
            cursor.execute(f"UPDATE {table} SET response_id = %s WHERE response_id = %s", [response.pk, 10**9])


def test_a_notice_marked_sent_whose_email_never_went_out_fails(made_by_the_product, capsys):
    notice = ImprovementNotice.objects.first()
    EmailDelivery.objects.filter(key__startswith=f"improvement:{notice.improvement_id}:{notice.contact_id}").delete()
    OutboxMessage.objects.filter(headers__icontains=f"improvement:{notice.improvement_id}:{notice.contact_id}").delete()
    _fails_with("notices marked sent whose e-mail the ledger has not sent", "improvement_notices", capsys)


def test_an_email_stored_twice_under_one_key_fails(made_by_the_product, capsys):
    message = (
        OutboxMessage.objects.exclude(headers__icontains="followup-owner").first() or OutboxMessage.objects.first()
    )
    message.pk, message.message_id = None, "<copy@kringloop.outbox>"
    message.save()
    _fails_with("e-mails stored more than once under one ledger key", "mail_ledger", capsys)


def test_an_invitation_marked_answered_without_an_answer_fails(made_by_the_product, capsys):
    InvitationFactory(status=Invitation.Status.ANSWERED, answered_at=timezone.now())
    _fails_with("invitations marked answered without an answer", "invitations", capsys)


def test_a_category_that_does_not_follow_from_the_score_fails(made_by_the_product, capsys):
    Response.objects.filter(score=10).update(category="detractor")
    _fails_with("stored category does not follow from their score", "answers", capsys)


def test_a_webhook_marked_delivered_without_a_2xx_attempt_fails(made_by_the_product, capsys):
    delivery = Delivery.objects.filter(status="delivered").first()
    delivery.attempt_log.all().delete()
    _fails_with("delivered without a 2xx attempt", "webhook_deliveries", capsys)


def test_work_still_in_a_tasks_hands_is_not_counted_against_the_data(made_by_the_product):
    fresh = ResponseFactory(score=2)  # just answered: its task has not run yet
    assert consistency.run(grace=timedelta(minutes=5), only=["cases"])["cases"] == []
    [found] = consistency.run(grace=timedelta(0), only=["cases"])["cases"]
    assert found.examples == [str(fresh.pk)]


def test_the_check_reads_only(made_by_the_product):
    """Every check runs in a read-only transaction: a check that tried to write would fail."""

    def writes(context):
        Response.objects.update(comment="changed")
        return []

    consistency.register("writes", writes)
    try:
        with pytest.raises(DatabaseError):
            consistency.run(only=["writes"])
    finally:
        consistency._checks.pop("writes")
    assert not Response.objects.filter(comment="changed").exists()
    Response.objects.filter(pk=made_by_the_product[0].pk).update(comment="writable again afterwards")
