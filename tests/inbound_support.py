"""Customers' e-mails in tests: inbound mail switched on, a case whose customer writes back, and the
webhook's credentials. Import the fixtures by name
(`from tests.inbound_support import case, inbound_on  # noqa: F401`)."""

import base64

import pytest
from django.conf import settings

from core import reply_address
from tests.factories import ContactFactory, FollowUpFactory, ResponseFactory

CUSTOMER = "jan.devries@example.nl"
MAILGUN_KEY = "key-for-inbound-tests"
REPLY_TEXT = "Dank u. De factuur klopt nog steeds niet.\n\nGroet,\nJan"
FULL_TEXT = (
    f"{REPLY_TEXT}\n\n-- \nJan de Vries\nDe Vries BV\n\n"
    "Op 5 dec. 2026 om 10:15 schreef Acme <nps@acme.example>:\n> Beste Jan,\n> Wij hebben het bedrag terugbetaald.\n"
)


@pytest.fixture(autouse=True)
def inbound_on(settings):
    settings.INBOUND_DOMAIN = "replies.example.com"
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}


@pytest.fixture
def case(db, agent, team_a):
    contact = ContactFactory(name="Jan de Vries", email=CUSTOMER, language="nl")
    return FollowUpFactory(
        owner=agent, team=team_a, status="contacted", response=ResponseFactory(score=3, contact=contact)
    )


def webhook_auth() -> dict:
    """The basic auth every anymail webhook of ours asks (ANYMAIL_WEBHOOK_SECRET)."""
    secret = settings.ANYMAIL["WEBHOOK_SECRET"]
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def case_address(case) -> str:
    return reply_address.reply_address("c", case.pk)
