"""An account's NPS and health label (#24), against a hand computation (tests/account_world.py),
and the worker's recount that keeps them, with its webhook."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from surveys import account_rules
from surveys.account_health import account_health_refresh
from surveys.models import Account, AccountRevenueDay
from tests.account_world import answer, northwind
from tests.factories import AccountFactory, ContactFactory
from tests.webhooks_support import make_endpoint
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db


def test_the_health_label_rules():
    now = timezone.now()
    label = account_rules.health_label
    assert label(nps_value=50, dm_detractors=0, last_answer_at=now, now=now) == "promoter"
    assert label(nps_value=30, dm_detractors=0, last_answer_at=now, now=now) == "promoter"
    assert label(nps_value=29.9, dm_detractors=0, last_answer_at=now, now=now) == "passive"
    assert label(nps_value=0, dm_detractors=0, last_answer_at=now, now=now) == "passive"
    assert label(nps_value=-0.1, dm_detractors=0, last_answer_at=now, now=now) == "detractor"
    assert label(nps_value=80, dm_detractors=1, last_answer_at=now, now=now) == "at_risk"
    assert label(nps_value=None, dm_detractors=0, last_answer_at=None, now=now) == "silent"
    long_ago = now - timedelta(days=400)
    assert label(nps_value=80, dm_detractors=0, last_answer_at=long_ago, now=now) == "silent"


def test_an_accounts_nps_counts_each_contacts_latest_relational_answer():
    account, _ann = northwind()
    quiet = AccountFactory(name="Quiet BV")
    old = AccountFactory(name="Long ago BV")
    answer(ContactFactory(account=old), 10, days_ago=400)  # older than 12 months: silent

    account_health_refresh()

    account.refresh_from_db()
    assert (account.health, account.health_n) == ("passive", 5)
    assert account.health_nps == pytest.approx(20.0)
    assert Account.objects.get(pk=quiet.pk).health == "silent"
    assert Account.objects.get(pk=old.pk).health == "silent"


def test_a_detractor_decision_maker_puts_the_account_at_risk_and_says_so_once(settings):
    settings.SITE_URL = "https://nps.example.com"
    endpoint = make_endpoint(events=["account.health_changed"])
    account, ann = northwind()
    account_health_refresh()  # the first label: no event
    assert not Delivery.objects.filter(endpoint=endpoint).exists()

    answer(ann, 4, days_ago=1)  # the decision maker now detracts
    assert account_health_refresh() == 1
    assert account_health_refresh() == 0  # a second run changes nothing and sends nothing

    account.refresh_from_db()
    assert account.health == "at_risk"
    [delivery] = Delivery.objects.filter(endpoint=endpoint)
    data = json.loads(delivery.body)["data"]["account"]
    assert (data["health"], data["previous_health"], data["name"]) == ("at_risk", "passive", "Northwind")
    assert data["url"] == f"https://nps.example.com/accounts/{account.pk}/"


def test_the_refresh_stores_the_days_revenue_by_team_and_segment(team_a):
    """Northwind (120,000, passive, NPS +20) in team A; Acme (30,000, a 0: detractor, NPS −100) in
    team A; Quiet (50,000, silent, Enterprise); Dollar (in USD: left out).
    Team A, SMB: ARR 150,000, weighted NPS (120,000 × 20 + 30,000 × −100) / 150,000 = −4,
    at risk 30,000. Enterprise: 50,000 silent."""
    northwind(team=team_a)
    acme = AccountFactory(name="Acme", arr=30_000, team=team_a)
    answer(ContactFactory(account=acme), 0)
    AccountFactory(name="Quiet", arr=50_000, segment="Enterprise")
    AccountFactory(name="Dollar", arr=99_000, currency="USD")
    account_health_refresh()

    smb = AccountRevenueDay.objects.get(team_id=team_a.pk, segment="SMB")
    assert (smb.accounts, smb.arr, smb.arr_answered, smb.arr_at_risk, smb.arr_silent) == (
        2,
        150_000,
        150_000,
        30_000,
        0,
    )
    assert smb.arr_nps / smb.arr_answered == pytest.approx(-4.0)
    enterprise = AccountRevenueDay.objects.get(segment="Enterprise")
    assert (enterprise.arr, enterprise.arr_silent, enterprise.arr_answered) == (50_000, 50_000, 0)
    assert not AccountRevenueDay.objects.filter(arr=99_000).exists()


def test_a_churned_account_keeps_its_last_health(db):
    account, ann = northwind()
    account_health_refresh()
    Account.objects.filter(pk=account.pk).update(status="churned", churned_at=timezone.localdate())
    answer(ann, 0, days_ago=0)
    account_health_refresh()
    assert Account.objects.get(pk=account.pk).health == "passive"
