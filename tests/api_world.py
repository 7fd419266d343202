"""A database for the API's schema tests holding every optional value both set and null: a contact with
and one without an account owner (and an account), an account with every field and one with none,
an anonymous answer, answers without a touchpoint or a team, a text
answer (no number), a case without an owner or a team, and a case history with a staff member's and
the system's events (actor null), and a triggered invitation.

Import the fixture by name (`from tests.api_world import world  # noqa: F401`)."""

import pytest
from django.utils import timezone

from followups.models import FollowUpEvent
from followups.services import followup_add_note
from surveys.models import Invitation
from tests.factories import (
    AccountFactory,
    AnswerFactory,
    CampaignFactory,
    ContactFactory,
    FollowUpFactory,
    InvitationFactory,
    QuestionFactory,
    ResponseFactory,
    TeamFactory,
    TouchpointFactory,
    UserFactory,
)


@pytest.fixture
def world(db, token_for):
    owner = UserFactory(username="ann")
    team = TeamFactory(name="Care")
    support = CampaignFactory(
        kind="transactional",
        status="active",
        touchpoint=TouchpointFactory(name="Support"),
        team=team,
        quiet_period_days=0,
    )
    loose = CampaignFactory(kind="relational", status="active", touchpoint=None, team=None)
    account = AccountFactory(
        name="Northwind",
        external_id="acc-1",
        owner=owner,
        team=team,
        renewal_date=timezone.localdate(),
        health="passive",
        health_nps=20.0,
        attributes={"industry": "retail"},
    )
    bare = AccountFactory(name="Bare", external_id=None, arr=None, owner=None, team=None)
    owned = ContactFactory(external_id="crm-1", account_owner=owner, account=account, account_role="decision_maker")
    unowned = ContactFactory(external_id=None, account_owner=None, opted_out_at=timezone.now())
    third = ContactFactory(external_id="crm-3")

    csat = QuestionFactory(campaign=support, kind="csat")
    why = QuestionFactory(campaign=support, kind="text")
    responses = [
        ResponseFactory(campaign=support, contact=owned, score=2),  # touchpoint and team set
        ResponseFactory(campaign=loose, contact=unowned, score=8),  # no touchpoint, no team
        ResponseFactory(campaign=loose, contact=None, score=10, comment="Anonymous praise"),  # anonymous
        ResponseFactory(campaign=support, contact=third, score=4),
    ]
    AnswerFactory(response=responses[0], question=csat, number=2)
    AnswerFactory(response=responses[0], question=why, number=None, text="Too slow")

    assigned = FollowUpFactory(response=responses[0], owner=owner, team=team)
    FollowUpEvent.objects.create(followup=assigned, actor=owner, kind=FollowUpEvent.Kind.NOTE, text="Called")
    followup_add_note(followup=assigned, actor=None, text="From the helpdesk")  # the API writes as the system
    nobody = FollowUpFactory(response=responses[3], owner=None, team=None)
    FollowUpEvent.objects.create(followup=nobody, actor=None, kind=FollowUpEvent.Kind.ESCALATED, text="Overdue")

    invitation = InvitationFactory(
        campaign=support, contact=owned, trigger_key="ticket-1", status=Invitation.Status.QUEUED, sent_at=None
    )
    return {
        "secret": token_for(),
        "contact": [owned.pk, unowned.pk, third.pk],
        "campaign": [support.pk, loose.pk],
        "response": [r.pk for r in responses],
        "followup": [assigned.pk, nobody.pk],
        "invitation": [invitation.pk],
        "account": [account.pk, bare.pk],
    }
