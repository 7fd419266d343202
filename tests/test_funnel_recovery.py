"""The numbers beside NPS (#19.19, 20): the delivery funnel and recovery after the loop, both under
the dashboard's filters. Recovery is defined in scoring/recovery.py and the README."""

from datetime import timedelta

import pytest
from django.utils import timezone

from scoring.filters import parse_filters
from scoring.panels import delivery_funnel, response_rate
from scoring.recovery import recovery
from surveys.models import Invitation
from tests.factories import (
    CampaignFactory,
    ContactFactory,
    FollowUpFactory,
    InvitationFactory,
    ResponseFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _filters(**params):
    return parse_filters({"period": "30d", "kind": "all", **params})


# --- Funnel -----------------------------------------------------------------------------------
def test_the_funnel_counts_each_step_with_rates_under_the_filters(client, viewer):
    team_a, team_b = TeamFactory(name="A"), TeamFactory(name="B")
    ours, theirs = CampaignFactory(team=team_a), CampaignFactory(team=team_b)
    for status in ("sent", "sent", "sent", "bounced", "failed"):
        InvitationFactory(campaign=ours, status=status)
    answered = [InvitationFactory(campaign=ours, status=Invitation.Status.ANSWERED) for _ in range(3)]
    for invitation, comment in zip(answered, ("Great", "", "Slow")):
        ResponseFactory(campaign=ours, contact=invitation.contact, invitation=invitation, comment=comment)
    InvitationFactory(campaign=ours, status=Invitation.Status.SKIPPED, sent_at=None)  # never sent: not in it
    InvitationFactory(campaign=ours, sent_at=NOW - timedelta(days=60))  # before the period
    InvitationFactory(campaign=theirs)  # another team

    funnel = delivery_funnel(_filters(team=str(team_a.pk)))

    assert (funnel["invited"], funnel["delivered"], funnel["bounced"], funnel["answered"], funnel["commented"]) == (
        8,
        6,
        1,
        3,
        2,
    )
    assert funnel["rates"]["delivered"] == pytest.approx(6 / 8)
    assert funnel["rates"]["bounced"] == pytest.approx(1 / 8)
    assert funnel["rates"]["answered"] == pytest.approx(3 / 6)
    assert funnel["rates"]["commented"] == pytest.approx(2 / 3)
    assert delivery_funnel(_filters())["invited"] == 9
    assert delivery_funnel(_filters(campaign=str(theirs.pk)))["invited"] == 1

    client.force_login(viewer)
    html = client.get(f"/dashboard/?period=30d&kind=all&team={team_a.pk}").content.decode()
    assert 'id="delivery-funnel"' in html
    assert 'data-testid="funnel-invited">8<' in html and 'data-testid="funnel-commented">2<' in html


def test_the_funnel_reads_the_rollup_and_what_changed_since_the_last_refresh_live():
    """At 1M answers a live count of the period's invitations costs most of the dashboard: the days
    come from DailyInvitations, the invitations sent since the last refresh are counted live."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from scoring.freshness import one_look
    from scoring.rollup import refresh_rollup

    campaign = CampaignFactory()
    old = NOW - timedelta(days=20)
    for status in ("sent", "bounced", "failed"):
        InvitationFactory(campaign=campaign, status=status, sent_at=old)
    for comment in ("Great", ""):
        invitation = InvitationFactory(campaign=campaign, status=Invitation.Status.ANSWERED, sent_at=old)
        ResponseFactory(campaign=campaign, contact=invitation.contact, invitation=invitation, comment=comment)
    refresh_rollup(full=True)
    fresh = InvitationFactory(campaign=campaign, status=Invitation.Status.ANSWERED, sent_at=NOW)
    ResponseFactory(campaign=campaign, contact=fresh.contact, invitation=fresh, comment="Quick")

    with one_look(), CaptureQueriesContext(connection) as queries:
        funnel = delivery_funnel(_filters())
    assert (funnel["invited"], funnel["delivered"], funnel["bounced"], funnel["failed"]) == (6, 4, 1, 1)
    assert (funnel["answered"], funnel["commented"]) == (3, 2)
    assert any("scoring_dailyinvitations" in q["sql"] for q in queries.captured_queries)
    rate = response_rate(_filters())
    assert (rate["delivered"], rate["answered"], rate["rate"]) == (4, 3, funnel["rate"])


def test_the_last_days_bounces_show_after_the_next_refresh_and_at_once_while_refreshes_lag():
    """The last days' invitations still bounce, which leaves no mark: every refresh recounts them, so
    while the refreshes keep up a page reads them from the rollup (at 10M answers a year a live count
    of three days' invitations grew the dashboard with the data); while they lag it counts them live."""
    from scoring.freshness import one_look
    from scoring.models import RollupState
    from scoring.rollup import refresh_rollup

    campaign = CampaignFactory()
    yesterday = InvitationFactory(campaign=campaign, status="sent", sent_at=NOW - timedelta(days=1))
    InvitationFactory(campaign=campaign, status="sent", sent_at=NOW - timedelta(days=20))
    refresh_rollup(full=True)

    def funnel():
        with one_look():
            return delivery_funnel(_filters())

    assert (funnel()["invited"], funnel()["bounced"]) == (2, 0)
    Invitation.objects.filter(pk=yesterday.pk).update(status=Invitation.Status.BOUNCED)
    assert funnel()["bounced"] == 0  # until the next refresh (beat: every 30 s)
    refresh_rollup()
    assert (funnel()["invited"], funnel()["bounced"], funnel()["delivered"]) == (2, 1, 1)

    Invitation.objects.filter(pk=yesterday.pk).update(status=Invitation.Status.SENT)
    RollupState.objects.filter(pk=1).update(refreshed_at=timezone.now() - timedelta(minutes=5))  # worker down
    assert (funnel()["invited"], funnel()["bounced"], funnel()["delivered"]) == (2, 0, 2)


def test_an_empty_funnel_has_no_rates():
    funnel = delivery_funnel(_filters())
    assert funnel["invited"] == 0 and all(rate is None for rate in funnel["rates"].values())


# --- Recovery ----------------------------------------------------------------------------------
def _closed_case(*, score, closed_days_ago=5, later_score=None, later_days_ago=2, campaign=None, before_score=None):
    """A case for an answer of `score`, closed `closed_days_ago`; the contact's later answer (if any)."""
    campaign = campaign or CampaignFactory()
    contact = ContactFactory()
    if before_score is not None:  # an answer before the case was closed: never counts
        ResponseFactory(contact=contact, campaign=campaign, score=before_score, submitted_at=NOW - timedelta(days=9))
    case = FollowUpFactory(
        response=ResponseFactory(
            contact=contact, campaign=campaign, score=score, submitted_at=NOW - timedelta(days=closed_days_ago + 1)
        ),
        status="resolved",
        closed_at=NOW - timedelta(days=closed_days_ago),
    )
    if later_score is not None:
        ResponseFactory(
            contact=contact,
            campaign=CampaignFactory(),
            score=later_score,
            submitted_at=NOW - timedelta(days=later_days_ago),
        )
    return case


def test_recovery_counts_the_first_later_answer_of_closed_detractor_and_passive_cases():
    _closed_case(score=2, later_score=8)  # detractor → passive: recovered
    _closed_case(score=4, later_score=10)  # detractor → promoter: recovered
    _closed_case(score=7, later_score=9)  # passive → promoter: recovered
    _closed_case(score=3, later_score=1)  # detractor → detractor
    _closed_case(score=8, later_score=4)  # passive → detractor
    _closed_case(score=1, before_score=10)  # only an answer before closing: did not answer again
    _closed_case(score=5)  # no later answer
    open_case = FollowUpFactory(response=ResponseFactory(score=2))  # not closed: not counted
    ResponseFactory(contact=open_case.contact, score=10)
    _closed_case(score=2, closed_days_ago=45, later_score=10, later_days_ago=40)  # closed before the period

    result = recovery(_filters())
    overall = result["overall"]
    assert (overall["closed"], overall["answered_again"], overall["recovered"]) == (7, 5, 3)
    assert overall["rate"] == pytest.approx(3 / 5) and overall["answer_again_rate"] == pytest.approx(5 / 7)
    rows = {row["from"]: row for row in result["migration"]}
    assert (rows["detractor"]["detractor"], rows["detractor"]["passive"], rows["detractor"]["promoter"]) == (1, 1, 1)
    assert rows["detractor"]["none"] == 2
    assert (rows["passive"]["detractor"], rows["passive"]["promoter"], rows["passive"]["none"]) == (1, 1, 0)


def test_only_the_first_later_answer_counts():
    case = _closed_case(score=2, later_score=3, later_days_ago=3)
    ResponseFactory(contact=case.contact, score=10, submitted_at=NOW - timedelta(days=1))  # later still
    assert recovery(_filters())["overall"]["recovered"] == 0


def test_recovery_follows_the_dashboard_filters_and_splits_by_team():
    team_a, team_b = TeamFactory(name="Alpha"), TeamFactory(name="Beta")
    alpha, beta = CampaignFactory(team=team_a, kind="transactional"), CampaignFactory(team=team_b)
    _closed_case(score=2, later_score=9, campaign=alpha)
    _closed_case(score=2, later_score=2, campaign=alpha)
    _closed_case(score=7, later_score=10, campaign=beta)

    everything = recovery(_filters())
    assert [(t["team"], t["closed"], t["recovered"]) for t in everything["by_team"]] == [
        ("Alpha", 2, 1),
        ("Beta", 1, 1),
    ]
    assert recovery(_filters(team=str(team_a.pk)))["overall"]["closed"] == 2
    assert recovery(_filters(kind="transactional"))["overall"]["closed"] == 2
    assert recovery(_filters(campaign=str(beta.pk)))["overall"]["recovered"] == 1
    scoped = recovery(parse_filters({"period": "30d", "kind": "all"}, teams=(team_b.pk,)))
    assert scoped["overall"]["closed"] == 1


def test_recovery_follows_the_segment_filter():
    contact_campaign = CampaignFactory()
    case = _closed_case(score=2, later_score=9, campaign=contact_campaign)
    case.contact.attributes = {"plan": "enterprise"}
    case.contact.save()
    _closed_case(score=2, later_score=9, campaign=contact_campaign)
    assert recovery(_filters(segment="plan=enterprise"))["overall"]["closed"] == 1
    assert recovery(_filters(segment="plan=pro"))["overall"]["closed"] == 1


def test_the_follow_up_panel_shows_recovery_under_the_filters(client, admin):
    team = TeamFactory(name="Alpha")
    _closed_case(score=2, later_score=9, campaign=CampaignFactory(team=team))
    _closed_case(score=2, later_score=9)
    client.force_login(admin)
    html = client.get(f"/dashboard/followups/?period=30d&kind=all&team={team.pk}").content.decode()
    assert 'data-testid="recovery"' in html and "1 of the 1 customers who answered again" in html
    assert 'id="recovery-migration"' in html and 'id="recovery-by-team"' in html
