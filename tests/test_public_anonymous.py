"""The campaign's public link (/a/, web and QR): anonymous answers, each its own response, with the
why page behind a signed key; CSRF kept; rate limited per client."""

from datetime import timedelta

import pytest
from freezegun import freeze_time

from surveys.models import Answer, Campaign, Invitation, Question, Response
from tests.factories import CampaignFactory, InvitationFactory
from tests.public_form_support import answer, invitation  # noqa: F401


def test_the_public_campaign_link_still_needs_a_csrf_token(db):
    # Shared by many: another site must not make its visitors' browsers answer through it.
    from django.test import Client

    campaign = CampaignFactory(anonymous_link_enabled=True, status="active")
    strict = Client(enforce_csrf_checks=True)
    page = strict.get(f"/a/{campaign.anonymous_token}/")
    assert "csrfmiddlewaretoken" in page.content.decode()
    strict.cookies.clear()
    assert strict.post(f"/a/{campaign.anonymous_token}/", {"score": 5}).status_code == 403
    assert Response.objects.count() == 0


def test_the_anonymous_link_records_an_answer_without_a_contact(client, db):
    campaign = CampaignFactory(anonymous_link_enabled=True)
    response = client.post(f"/a/{campaign.anonymous_token}/", {"score": 9})
    assert response.status_code == 302
    stored = Response.objects.get()
    assert stored.contact is None and stored.invitation is None and stored.score == 9
    assert client.post(response["Location"], {"comment": "Great"}).status_code == 302
    assert Response.objects.get().comment == "Great"


def test_a_disabled_anonymous_link_is_a_404(client, db):
    campaign = CampaignFactory(anonymous_link_enabled=False)
    assert client.get(f"/a/{campaign.anonymous_token}/").status_code == 404


def test_a_forged_anonymous_key_is_a_404(client, db):
    assert client.get("/s/a1:forged:signature/why/").status_code == 404


@freeze_time("2026-11-24 10:00:01", tick=True)  # the limit counts per clock minute: stay inside one
def test_the_anonymous_link_is_rate_limited_per_client(client, db):
    from django.core.cache import cache

    cache.clear()
    campaign = CampaignFactory(anonymous_link_enabled=True)
    statuses = [client.post(f"/a/{campaign.anonymous_token}/", {"score": 5}).status_code for _ in range(22)]
    assert statuses.count(302) == 20
    assert statuses[-1] == 429
    cache.clear()


def test_the_anonymous_details_and_thanks_work_with_the_signed_key(client, db):
    campaign = CampaignFactory(anonymous_link_enabled=True, language="nl")
    first = client.post(f"/a/{campaign.anonymous_token}/", {"score": 2})
    assert first["Location"].startswith("/s/a")
    second = client.post(first["Location"], {"comment": "Te duur"})
    assert second.status_code == 302
    assert "Bedankt" in client.get(second["Location"]).content.decode()
    stored = Response.objects.get()
    assert (stored.comment, stored.channel, stored.language) == ("Te duur", "web", "nl")


def test_each_anonymous_post_is_its_own_response(client, db):
    campaign = CampaignFactory(anonymous_link_enabled=True)
    client.post(f"/a/{campaign.anonymous_token}/", {"score": 2})
    client.post(f"/a/{campaign.anonymous_token}/", {"score": 9})
    assert sorted(Response.objects.values_list("score", flat=True)) == [2, 9]


def test_a_bad_anonymous_score_gets_the_form_again(client, db):
    campaign = CampaignFactory(anonymous_link_enabled=True)
    response = client.post(f"/a/{campaign.anonymous_token}/", {"score": "11"})
    assert response.status_code == 400 and "Choose a score from 0 to 10." in response.content.decode()
    assert Response.objects.count() == 0


def test_a_closed_anonymous_link_is_a_410(client, db):
    campaign = CampaignFactory(anonymous_link_enabled=True, status=Campaign.Status.CLOSED)
    assert client.get(f"/a/{campaign.anonymous_token}/").status_code == 410
    assert client.post(f"/a/{campaign.anonymous_token}/", {"score": 5}).status_code == 410
    assert Response.objects.count() == 0


@freeze_time("2026-11-24 10:00:01", tick=True)  # the limit counts per clock minute: stay inside one
def test_the_rate_limit_page_is_friendly_and_counts_per_client(client, db):
    from django.core.cache import cache
    from django.test import Client

    cache.clear()
    campaign = CampaignFactory(anonymous_link_enabled=True)
    for _ in range(20):
        client.post(f"/a/{campaign.anonymous_token}/", {"score": 5})
    limited = client.post(f"/a/{campaign.anonymous_token}/", {"score": 5})
    assert limited.status_code == 429 and "Please try again in a minute." in limited.content.decode()
    assert 1 <= int(limited["Retry-After"]) <= 60  # the window slides: until the oldest answer leaves it
    other = Client(REMOTE_ADDR="203.0.113.9").post(f"/a/{campaign.anonymous_token}/", {"score": 5})
    assert other.status_code == 302  # another client is not limited
    assert Response.objects.count() == 21
    cache.clear()


@freeze_time("2026-11-24 10:00:01", tick=True)  # the limit counts per clock minute: stay inside one
def test_behind_a_proxy_the_limit_counts_the_forwarded_address(client, db, settings):
    from django.core.cache import cache

    cache.clear()
    settings.TRUSTED_PROXY_HOPS = 1
    campaign = CampaignFactory(anonymous_link_enabled=True)
    url = f"/a/{campaign.anonymous_token}/"
    for _ in range(20):
        client.post(url, {"score": 5}, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client.post(url, {"score": 5}, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    # A client cannot escape by forging the header: the proxy appends the real address last.
    assert client.post(url, {"score": 5}, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1").status_code == 429
    assert client.post(url, {"score": 5}, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302
    cache.clear()
