"""The "why" question per category and language (#23.6): a detractor, a passive and a promoter
are asked their own question, in their language, and reports show which one each comment answered."""

import pytest
from django.urls import reverse
from django.utils import translation

from surveys import wording
from surveys.models import Campaign, Response
from tests.factories import CampaignFactory, InvitationFactory

WHY = {
    "why_question": "Why that score?",
    "why_detractor": "What disappointed you?",
    "why_passive": "What would make it a 10?",
    "translations": {"nl": {"why_detractor": "Wat viel u tegen?", "why_passive": "Wat maakt er een 10 van?"}},
}


@pytest.mark.parametrize(
    ("category", "language", "expected"),
    [
        ("detractor", "en", "What disappointed you?"),
        ("passive", "nl", "Wat maakt er een 10 van?"),
        ("promoter", "en", "Why that score?"),  # no question of its own: the general one
        ("", "en", "Why that score?"),
    ],
)
def test_each_category_is_asked_its_own_why(db, category, language, expected):
    campaign = CampaignFactory(language="en", **WHY)
    with translation.override(language):
        assert wording.why_question(campaign, category) == expected


def test_the_respondent_reads_their_categorys_question_and_reports_show_it(db, client, admin):
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE, language="en", **WHY)
    invitation = InvitationFactory(campaign=campaign, contact__language="nl")
    client.post(f"/s/{invitation.token}/", {"score": 7})
    page = client.get(f"/s/{invitation.token}/why/")
    assert "Wat maakt er een 10 van?" in page.content.decode()
    client.post(f"/s/{invitation.token}/why/", {"comment": "Sneller antwoorden graag."})
    response = Response.objects.get()
    assert (response.comment, response.why_asked) == ("Sneller antwoorden graag.", "Wat maakt er een 10 van?")
    client.force_login(admin)
    listing = client.get(reverse("scoring:comment_list"), {"period": "30d", "kind": "all"}).content.decode()
    assert "in answer to “Wat maakt er een 10 van?”" in listing


def test_admins_set_the_questions_per_category_on_the_campaign(db, admin, client):
    campaign = CampaignFactory(language="en")
    client.force_login(admin)
    page = client.get(reverse("surveys:campaign_edit", args=[campaign.pk])).content.decode()
    assert 'name="why_detractor"' in page and 'name="why_passive"' in page and 'name="why_promoter"' in page
