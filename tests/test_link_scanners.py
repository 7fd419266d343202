"""Mail scanners follow links with GET and HEAD: both show the page, neither records anything."""

import pytest

from surveys.models import Campaign, Contact, Response
from surveys.unsubscribe import unsubscribe_token
from tests.factories import CampaignFactory, InvitationFactory, ResponseFactory


@pytest.mark.parametrize("method", ["get", "head"])
def test_a_scanner_on_an_answer_link_records_nothing(client, db, method):
    invitation = InvitationFactory()
    for query in ("", "?score=0", "?score=10"):
        response = getattr(client, method)(f"/s/{invitation.token}/{query}")
        assert response.status_code == 200, (query, response.status_code)
        assert response["Content-Language"] == "en"
    assert getattr(client, method)(f"/s/{invitation.token}/why/").status_code == 302  # nothing answered yet
    assert not Response.objects.exists()


def test_head_on_the_why_and_thanks_pages_of_an_answer_changes_nothing(client, db):
    invitation = InvitationFactory()
    answer = ResponseFactory(invitation=invitation, campaign=invitation.campaign, contact=invitation.contact, score=4)
    for page in ("", "why/", "thanks/"):
        response = client.head(f"/s/{invitation.token}/{page}")
        assert response.status_code == 200, page
        assert response.content == b""
    answer.refresh_from_db()
    assert answer.score == 4 and answer.comment == ""


def test_head_on_the_public_link_records_nothing(client, db):
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE, anonymous_link_enabled=True)
    assert client.head(f"/a/{campaign.anonymous_token}/?score=9").status_code == 200
    assert not Response.objects.exists()


def test_head_on_an_unsubscribe_link_does_not_unsubscribe(client, db):
    invitation = InvitationFactory()
    assert client.head(f"/u/{unsubscribe_token(invitation.contact)}/").status_code == 200
    assert Contact.objects.get(pk=invitation.contact_id).opted_out_at is None
