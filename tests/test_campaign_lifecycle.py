import pytest
from django.core.exceptions import ValidationError

from core.models import AuditLog
from surveys.lifecycle import campaign_transition, can_transition
from surveys.models import Campaign
from tests.factories import CampaignFactory

S = Campaign.Status


@pytest.mark.parametrize(
    "current,target",
    [
        (S.DRAFT, S.SCHEDULED),
        (S.SCHEDULED, S.SENDING),
        (S.SENDING, S.ACTIVE),
        (S.ACTIVE, S.PAUSED),
        (S.PAUSED, S.ACTIVE),
        (S.ACTIVE, S.CLOSED),
    ],
)
def test_it_allows_the_forward_path(current, target):
    assert can_transition(current, target)


@pytest.mark.parametrize(
    "current,target", [(S.CLOSED, S.ACTIVE), (S.CLOSED, S.DRAFT), (S.SENDING, S.DRAFT), (S.ACTIVE, S.DRAFT)]
)
def test_it_refuses_going_back(current, target):
    assert not can_transition(current, target)


def test_it_records_the_change_in_the_audit_log(db, admin):
    campaign = CampaignFactory(status=S.DRAFT)
    campaign_transition(campaign=campaign, to=S.SCHEDULED, actor=admin)
    campaign.refresh_from_db()
    assert campaign.status == S.SCHEDULED
    entry = AuditLog.objects.get(action="campaign.status")
    assert entry.data == {"from": "draft", "to": "scheduled"} and entry.actor == admin


def test_it_raises_a_clear_error_for_a_refused_change(db):
    campaign = CampaignFactory(status=S.CLOSED)
    with pytest.raises(ValidationError, match="A closed campaign cannot become active"):
        campaign_transition(campaign=campaign, to=S.ACTIVE)
    campaign.refresh_from_db()
    assert campaign.status == S.CLOSED
