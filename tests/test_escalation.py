"""Overdue cases escalate to the team lead, then to the admins; once per level, recorded on the case."""

from datetime import timedelta

from django.core import mail
from django.utils import timezone
from freezegun import freeze_time

from followups.escalation import escalate_case, escalate_overdue
from followups.models import EscalationNotice, FollowUp
from tests.factories import FollowUpFactory


def _case(team, **kwargs):
    with freeze_time("2026-11-02 10:00"):
        return FollowUpFactory(team=team, due_at=timezone.now() + timedelta(hours=48), **kwargs)


def test_escalation_goes_to_the_lead_once_then_to_admins(db, lead, admin, team_a, mailoutbox):
    case = _case(team_a)
    with freeze_time("2026-11-04 09:59"):  # not yet due
        assert escalate_overdue() == 0
    with freeze_time("2026-11-04 11:00"):  # overdue
        assert escalate_overdue() == 1
        assert escalate_overdue() == 0  # the same level never twice
    assert [m.to for m in mailoutbox] == [[lead.email]]
    assert f"/followups/{case.pk}/" in mailoutbox[0].body
    with freeze_time("2026-11-06 09:59"):  # not yet late by a whole SLA again
        assert escalate_overdue() == 0
    with freeze_time("2026-11-06 11:00"):
        assert escalate_overdue() == 1
        assert escalate_overdue() == 0
    case.refresh_from_db()
    assert case.escalation_level == 2
    assert mailoutbox[-1].to == [admin.email]
    assert list(case.events.filter(kind="escalated").values_list("data__level", flat=True)) == [1, 2]
    with freeze_time("2026-11-20 11:00"):
        assert escalate_overdue() == 0  # there is no level 3


def test_without_a_team_lead_the_admins_get_the_first_level(db, admin, team_b, mailoutbox):
    first, second = _case(team_b), _case(None)
    with freeze_time("2026-11-04 11:00"):
        assert escalate_overdue() == 2
    assert [m.to for m in mailoutbox] == [[admin.email]]  # one e-mail listing both cases
    assert f"/followups/{first.pk}/" in mailoutbox[0].body and f"/followups/{second.pk}/" in mailoutbox[0].body


def test_closed_cases_never_escalate(db, lead, team_a, mailoutbox):
    _case(team_a, status=FollowUp.Status.RESOLVED)
    _case(team_a, status=FollowUp.Status.CLOSED)
    with freeze_time("2026-11-10 11:00"):
        assert escalate_overdue() == 0
    assert mailoutbox == []


def test_a_second_run_racing_the_first_does_not_escalate_again(db, lead, team_a, mailoutbox):
    case = _case(team_a)
    stale = FollowUp.objects.get(pk=case.pk)  # what a concurrent run read before the first one wrote
    with freeze_time("2026-11-04 11:00"):
        assert escalate_overdue() == 1
        assert escalate_case(stale, level=1) is False
    assert len(mailoutbox) == 1
    assert case.events.filter(kind="escalated").count() == 1


def test_a_failed_email_is_sent_by_the_next_run(db, lead, team_a, settings):
    case = _case(team_a)
    settings.EMAIL_BACKEND = "tests.test_escalation.FailingBackend"
    with freeze_time("2026-11-04 11:00"):
        assert escalate_overdue() == 1  # the level is reached and recorded; the e-mail waits
    case.refresh_from_db()
    assert case.escalation_level == 1 and case.events.filter(kind="escalated").count() == 1
    assert EscalationNotice.objects.get(followup=case).sent_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with freeze_time("2026-11-04 11:05"):
        assert escalate_overdue() == 0
        assert escalate_overdue() == 0
    assert [m.to for m in mail.outbox] == [[lead.email]]
    assert f"/followups/{case.pk}/" in mail.outbox[0].body


def test_a_backlog_at_level_one_does_not_crowd_out_new_overdue_cases(db, lead, team_a):
    for _ in range(3):
        _case(team_a, escalation_level=1)  # overdue, level 1, level 2 not yet due
    newest = _case(team_a)
    with freeze_time("2026-11-04 11:00"):
        assert escalate_overdue(limit=1) == 1
    newest.refresh_from_db()
    assert newest.escalation_level == 1


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionError("The mail server is down.")
