"""The one-statement first answer (surveys.responses.response_submit_first, hand-written SQL) stores
exactly what the general way (response_submit, the ORM) stores: both run on twin links and the two
responses are compared field by field, for every field Response has. Its SQL follows the same
data as the general way (wording.LANGUAGE_SOURCES, responses.FROM_CAMPAIGN), and it refuses to run
when Response gained a field it does not fill."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from django.utils import timezone
from freezegun import freeze_time

from surveys import responses, wording
from surveys.models import Campaign, Invitation, Response
from surveys.nps import category_for
from surveys.responses import response_submit, response_submit_first
from tests.factories import CampaignFactory, InvitationFactory, TeamFactory
from tests.public_form_support import answer, invitation  # noqa: F401

on_postgresql = pytest.mark.postgres(
    "the one-statement first answer runs on PostgreSQL only (INSERT … SELECT with array parameters); "
    "on SQLite every answer goes the general way (test_sqlite_takes_the_general_way)"
)
TWINS_DIFFER = {"id", "invitation", "contact"}  # each twin has its own link and customer
TIMES = {"submitted_at", "updated_at"}  # the moment each was stored


def _twins(campaign, contact_language):
    return [InvitationFactory(campaign=campaign, contact__language=contact_language) for _ in range(2)]


def _both_ways(campaign, contact_language, score):
    """(fast, general): the responses the two ways store for the same answer on twin links."""
    fast_link, general_link = _twins(campaign, contact_language)
    fast = Response.objects.get(pk=response_submit_first(token=fast_link.token, score=str(score)))
    general = Response.objects.get(pk=response_submit(invitation=general_link, score=score).response.pk)
    return fast, general


def _assert_same(fast, general, *, linked=True):
    for field in Response._meta.concrete_fields:
        if field.name in TWINS_DIFFER | TIMES:
            continue
        assert getattr(fast, field.attname) == getattr(general, field.attname), field.name
    if linked:
        assert (fast.invitation.contact_id, general.invitation.contact_id) == (fast.contact_id, general.contact_id)
    for name in TIMES:
        assert getattr(fast, name).tzinfo is not None
        assert abs(getattr(fast, name) - getattr(general, name)) < timedelta(seconds=30)


@on_postgresql
@pytest.mark.parametrize("score", [0, 7, 10])
@pytest.mark.parametrize(
    "contact_language, campaign_language",
    [("nl", "en"), ("en", "nl"), ("xx", "nl"), ("", "en"), ("xx", "yy"), ("", "")],
)
def test_both_ways_store_the_same_response(db, score, contact_language, campaign_language):
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE, team=TeamFactory(), channel=Campaign.Channel.QR)
    Campaign.objects.filter(pk=campaign.pk).update(language=campaign_language)  # also codes nobody speaks
    campaign.refresh_from_db()
    fast, general = _both_ways(campaign, contact_language, score)
    _assert_same(fast, general)
    assert fast.language == wording.respondent_language(campaign, fast.contact)


@on_postgresql
def test_a_campaign_without_touchpoint_or_team_stores_the_same_too(db):
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE, touchpoint=None, team=None)
    _assert_same(*_both_ways(campaign, "nl", 4))


@on_postgresql
def test_reversing_the_language_preference_changes_both_ways_alike(db, monkeypatch):
    """The SQL's CASE is built from wording.LANGUAGE_SOURCES, not written again."""
    monkeypatch.setattr(wording, "LANGUAGE_SOURCES", ("campaign", "contact"))
    monkeypatch.setattr(responses._OneStatement, "_sql", {})  # built again from the changed rule
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE, language="en")
    fast, general = _both_ways(campaign, "nl", 9)
    assert fast.language == general.language == "en"


@on_postgresql
def test_the_fast_way_stores_nothing_when_the_general_way_must_decide(db):
    closed = InvitationFactory(campaign=CampaignFactory(status=Campaign.Status.CLOSED))
    answered = InvitationFactory(campaign=CampaignFactory(status=Campaign.Status.ACTIVE))
    assert response_submit_first(token=answered.token, score="8") is not None
    assert response_submit_first(token=answered.token, score="8") is None  # the same score: nothing to change
    assert response_submit_first(token=closed.token, score="8") is None
    assert response_submit_first(token="no-such-link", score="8") is None
    assert response_submit_first(token=InvitationFactory().token, score="11") is None
    assert Response.objects.count() == 1


def test_a_field_the_statement_does_not_fill_stops_it_with_an_error(db):
    """A real check, not an assert (python -O drops those): a new Response field fails loudly."""
    mood = models.CharField(max_length=10, default="")
    mood.set_attributes_from_name("mood")
    fields = [*Response._meta.concrete_fields, mood]
    with pytest.raises(ImproperlyConfigured, match="mood"):
        responses._OneStatement.build(connection, fields=fields)
    assert "INSERT INTO" in responses._OneStatement.build(connection)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="what the SQLite demo does")
def test_sqlite_takes_the_general_way(db):
    invitation = InvitationFactory(campaign=CampaignFactory(status=Campaign.Status.ACTIVE))
    assert response_submit_first(token=invitation.token, score="8") is None
    assert not Response.objects.exists()


@on_postgresql
def test_a_first_answer_is_one_statement_and_the_others_take_the_general_way(
    client, invitation, django_assert_num_queries
):
    with django_assert_num_queries(1):  # INSERT … SELECT: nothing else is read or written on the request
        assert answer(client, invitation, 3).status_code == 302
    with freeze_time(timedelta(minutes=1), tick=True):
        assert answer(client, invitation, 4).status_code == 302  # already answered: changed, not doubled
    assert list(Response.objects.values_list("invitation_id", "score")) == [(invitation.pk, 4)]
    Campaign.objects.filter(pk=invitation.campaign_id).update(status=Campaign.Status.CLOSED)
    assert answer(client, InvitationFactory(campaign=invitation.campaign), 3).status_code == 410


@on_postgresql
@pytest.mark.parametrize("first, then", [(9, 3), (3, 10), (0, 7)])
def test_a_changed_score_is_stored_alike_both_ways(db, first, then):
    """Within the edit window the one statement changes the answer as _response_change does: the
    same fields change, the others stay as they were; the answer is handed off again."""
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE, team=TeamFactory())
    fast_link, general_link = _twins(campaign, "nl")
    with freeze_time(timezone.now() - timedelta(days=1)):
        first_fast = response_submit_first(token=fast_link.token, score=str(first))
        response_submit(invitation=general_link, score=first)
    Response.objects.update(processed_at=timezone.now())  # both processed once
    assert response_submit_first(token=fast_link.token, score=str(then)) == first_fast
    general_link.refresh_from_db()
    response_submit(
        invitation=Invitation.objects.select_related("campaign", "contact", "response").get(pk=general_link.pk),
        score=then,
    )
    fast, general = Response.objects.get(pk=first_fast), Response.objects.get(invitation=general_link)
    _assert_same(fast, general)
    assert (fast.score, fast.category) == (then, category_for(then))
    assert fast.updated_at > fast.processed_at > fast.submitted_at  # the sweep would find it changed


@on_postgresql
def test_an_answer_past_the_edit_window_is_left_to_the_general_way(db):
    link = InvitationFactory(campaign=CampaignFactory(status=Campaign.Status.ACTIVE))
    with freeze_time(timezone.now() - responses.edit_window() - timedelta(minutes=1)):
        stored = response_submit_first(token=link.token, score="9")
    assert response_submit_first(token=link.token, score="2") is None
    assert Response.objects.get(pk=stored).score == 9
    with pytest.raises(responses.AlreadyAnswered):
        response_submit(invitation=link, score=2)


@on_postgresql
@pytest.mark.parametrize("channel", [Campaign.Channel.EMAIL, Campaign.Channel.QR, Campaign.Channel.WEB])
@pytest.mark.parametrize("campaign_language", ["nl", "xx", ""])
def test_a_public_link_answer_is_stored_alike_both_ways(db, channel, campaign_language):
    """The public link's one statement stores what response_submit_anonymous stores, channel and
    language included (the view passes the campaign's language as the respondent's)."""
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE, team=TeamFactory(), channel=channel)
    Campaign.objects.filter(pk=campaign.pk).update(language=campaign_language, anonymous_link_enabled=True)
    campaign.refresh_from_db()
    fast = Response.objects.get(pk=responses.response_submit_public(token=campaign.anonymous_token, score="6"))
    general = responses.response_submit_anonymous(
        campaign=campaign, score=6, language=wording.respondent_language(campaign)
    )
    general.refresh_from_db()
    _assert_same(fast, general, linked=False)
    assert fast.contact_id is fast.invitation_id is None
    assert fast.channel == responses.public_channel(channel)


@on_postgresql
def test_the_public_link_statement_stores_nothing_when_the_general_way_must_decide(db):
    off = CampaignFactory(status=Campaign.Status.ACTIVE)
    closed = CampaignFactory(status=Campaign.Status.CLOSED)
    Campaign.objects.filter(pk=closed.pk).update(anonymous_link_enabled=True)
    for token, score in [(off.anonymous_token, "8"), (closed.anonymous_token, "8"), ("no-such-link", "8")]:
        assert responses.response_submit_public(token=token, score=score) is None
    Campaign.objects.filter(pk=off.pk).update(anonymous_link_enabled=True)
    assert responses.response_submit_public(token=off.anonymous_token, score="11") is None
    assert responses.response_submit_public(token=off.anonymous_token, score="10") is not None
    assert Response.objects.count() == 1
