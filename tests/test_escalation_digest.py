"""Escalation without the flood (#19.16): one e-mail per recipient per run, listing their cases;
each case and level still reaches each recipient exactly once, also with runs on a real worker."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import OutboxMessage
from followups.escalation import escalate_overdue
from followups.models import EscalationNotice, FollowUp
from followups.tasks import escalate_overdue as escalate_task
from tests.factories import FollowUpFactory, TeamFactory
from tests.helpers import wait_for


def _overdue(team, count):
    """Cases an hour overdue whose second level is days away."""
    now = timezone.now()
    cases = [FollowUpFactory(team=team, due_at=now - timedelta(hours=1)) for _ in range(count)]
    FollowUp.objects.filter(pk__in=[c.pk for c in cases]).update(created_at=now - timedelta(days=3))
    return cases


def test_one_email_per_recipient_per_run_listing_their_cases(db, lead, admin, team_a, mailoutbox):
    led = _overdue(team_a, 12)
    unled = _overdue(TeamFactory(name="No lead"), 3)
    assert escalate_overdue() == 15
    assert sorted(m.to[0] for m in mailoutbox) == sorted([lead.email, admin.email])
    to_lead = next(m for m in mailoutbox if m.to == [lead.email])
    to_admin = next(m for m in mailoutbox if m.to == [admin.email])
    assert to_lead.subject == "12 overdue follow-ups need you"
    assert all(f"/followups/{case.pk}/" in to_lead.body for case in led)
    assert all(f"/followups/{case.pk}/" in to_admin.body for case in unled)
    assert not any(f"/followups/{case.pk}/" in to_admin.body for case in led)
    assert escalate_overdue() == 0 and len(mailoutbox) == 2  # nothing new: nothing sent


def test_a_later_run_tells_only_the_newly_overdue(db, lead, team_a, mailoutbox):
    first = _overdue(team_a, 2)
    escalate_overdue()
    later = _overdue(team_a, 1)
    escalate_overdue()
    assert len(mailoutbox) == 2
    assert mailoutbox[1].subject == "1 overdue follow-up needs you"
    assert f"/followups/{later[0].pk}/" in mailoutbox[1].body
    assert not any(f"/followups/{case.pk}/" in mailoutbox[1].body for case in first)


@pytest.mark.worker
def test_runs_on_a_real_worker_at_once_send_each_case_and_level_once(settings, lead, admin, team_a, celery_worker):
    settings.EMAIL_BACKEND = "core.mail.OutboxBackend"
    cases = _overdue(team_a, 20)
    for _ in range(3):  # three beat runs at once, on two worker threads
        escalate_task.delay()
    assert wait_for(
        lambda: (
            FollowUp.objects.filter(escalation_level=1).count() == 20
            and EscalationNotice.objects.count() == 20
            and not EscalationNotice.objects.filter(sent_at=None).exists()
        ),
        timeout=60,
    )
    time.sleep(2)  # let the other runs finish: they find nothing left to send
    messages = list(OutboxMessage.objects.all())
    assert {m.to for m in messages} == {lead.email}
    listed = [case.pk for case in cases for m in messages if f"/followups/{case.pk}/" in m.body_text]
    assert sorted(listed) == sorted(case.pk for case in cases)  # every case in exactly one e-mail
    assert len(messages) <= 3
    escalate_task.delay()
    time.sleep(2)
    assert OutboxMessage.objects.count() == len(messages)
    assert FollowUp.objects.filter(escalation_level=1).count() == 20
