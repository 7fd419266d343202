"""The respondent's form in tests: a campaign with two driver questions and a personal link to it.

Import the fixture by name (`from tests.public_form_support import answer, invitation  # noqa: F401`)."""

import pytest

from surveys.models import Campaign, Question, ReviewSite
from tests.factories import CampaignFactory, InvitationFactory


@pytest.fixture
def invitation(db):
    campaign = CampaignFactory(status=Campaign.Status.ACTIVE, why_question="Why that score?")
    ReviewSite.objects.create(campaign=campaign, name="Acme reviews", url="https://reviews.example.com/acme")
    Question.objects.create(
        campaign=campaign, order=1, kind=Question.Kind.CSAT, text="How satisfied are you?", required=True
    )
    Question.objects.create(
        campaign=campaign, order=2, kind=Question.Kind.MULTIPLE, text="What did you use?", choices=["App", "Web"]
    )
    return InvitationFactory(campaign=campaign, contact__language="en")


def answer(client, invitation, score):
    """The score step's POST, as the page's form sends it."""
    return client.post(f"/s/{invitation.token}/", {"score": score})
