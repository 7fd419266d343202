"""A small known history of accounts, for the account tests (#24): every figure the tests expect
is worked out by hand in the docstrings below."""

from datetime import timedelta

from django.utils import timezone

from surveys.models import Campaign
from tests.factories import AccountFactory, CampaignFactory, ContactFactory, ResponseFactory


def answer(contact, score, *, days_ago=10, campaign=None, kind=Campaign.Kind.RELATIONAL):
    campaign = campaign or CampaignFactory(kind=kind)
    return ResponseFactory(
        contact=contact, campaign=campaign, score=score, submitted_at=timezone.now() - timedelta(days=days_ago)
    )


def northwind(**fields):
    """Northwind: five contacts, latest relational answers 9 (decision maker, earlier 3), 10, 7,
    2 and 8 (decision maker); a transactional 0 does not count for the relational NPS.
    Latest: promoters 2, passives 2, detractors 1, n = 5: NPS = (2 − 1) / 5 = +20, a passive
    account (below +30). Decision makers: 9 and 8: NPS (1 − 0) / 2 = +50, no detractor.
    Previous answers: only the first decision maker had one (3, a detractor): previous NPS −100,
    change +120."""
    account = AccountFactory(name="Northwind", external_id="crm-nw", arr=120_000, **fields)
    relational = CampaignFactory(kind=Campaign.Kind.RELATIONAL)
    ann = ContactFactory(account=account, account_role="decision_maker")
    answer(ann, 3, days_ago=200, campaign=relational)
    answer(ann, 9, days_ago=20, campaign=relational)
    for score, role in ((10, "user"), (7, "champion"), (2, "user"), (8, "decision_maker")):
        answer(ContactFactory(account=account, account_role=role), score, days_ago=30, campaign=relational)
    answer(ann, 0, days_ago=5, kind=Campaign.Kind.TRANSACTIONAL)
    return account, ann
