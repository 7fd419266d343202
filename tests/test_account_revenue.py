"""Revenue-weighted NPS, revenue at risk (#24), and NPS against churn on a known history."""

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from config.env import env_rates
from scoring.churn import churn_by_category
from scoring.revenue import revenue_summary
from scoring.rollup import refresh_rollup
from surveys.account_health import account_health_refresh
from tests.account_world import answer, northwind
from tests.api_fixtures import api, api_as, token_for  # noqa: F401
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(team_a):
    """Northwind (120,000, NPS +20, team A), Acme (30,000, one 0: NPS −100, detractor, team A), Quiet
    (50,000, silent, Enterprise, no team), Dollar (99,000 USD: left out of the sums).
    Revenue-weighted NPS = (120,000 × 20 + 30,000 × −100) ÷ 150,000 = −4; at risk 30,000; silent 50,000."""
    northwind(team=team_a)
    acme = AccountFactory(name="Acme", arr=30_000, team=team_a)
    answer(ContactFactory(account=acme), 0)
    AccountFactory(name="Quiet", arr=50_000, segment="Enterprise")
    AccountFactory(name="Dollar", arr=99_000, currency="USD")
    account_health_refresh()


def test_revenue_weighted_nps_and_revenue_at_risk_by_hand(book, team_a):
    revenue = revenue_summary()
    total = revenue["total"]
    assert (total.accounts, total.arr_total, total.arr_answered) == (3, 200_000, 150_000)
    assert total.weighted_nps == pytest.approx(-4.0)
    assert (total.arr_at_risk, total.arr_silent) == (30_000, 50_000)
    assert total.at_risk_share == pytest.approx(15.0)
    assert revenue["other_currency"] == 1
    teams = {row.label: row for row in revenue["by_team"]}
    assert teams["Team A"].arr_total == 150_000 and teams["Team A"].weighted_nps == pytest.approx(-4.0)
    assert teams["—"].arr_silent == 50_000 and teams["—"].weighted_nps is None
    segments = {row.label: row for row in revenue["by_segment"]}
    assert segments["SMB"].arr_at_risk == 30_000 and segments["Enterprise"].arr_silent == 50_000
    [point] = revenue["trend"]
    assert point["day"] == timezone.localdate() and point["revenue"].arr_at_risk == 30_000


def test_the_api_and_the_dashboard_show_the_same_revenue(book, api, client, viewer):
    body = api.get("/api/accounts/revenue/").json()
    assert body["total"]["weighted_nps"] == pytest.approx(-4.0) and body["total"]["arr_at_risk"] == 30_000
    client.force_login(viewer)
    panel = client.get("/dashboard/revenue/")
    assert panel.status_code == 200
    assert panel.context["revenue"]["total"].arr_silent == 50_000
    assert 'data-figure="weighted-nps">−4<' in panel.content.decode()
    assert 'id="dashboard-revenue"' in client.get("/dashboard/").content.decode()


# --- NPS against churn ----------------------------------------------------------------------------
def _ago(**delta):
    return timezone.localdate() - relativedelta(**delta)


@pytest.fixture
def history():
    """Categories a year ago (answers 13–14 months ago) and what happened since:
    promoters P1 (10,000, churned 3 months ago) and P2 (20,000, stayed); passive S (5,000, stayed);
    detractors D1 (30,000, churned 2 months ago) and D2 (40,000, churned 8 months ago); N (1,000,
    no answer, stayed); G (no answer, churned 14 months ago: not a customer a year ago)."""

    def account(name, arr, score=None, churned_months=None):
        record = AccountFactory(name=name, arr=arr)
        if score is not None:
            answer(ContactFactory(account=record), score, days_ago=400)
        if churned_months is not None:
            record.status, record.churned_at = "churned", _ago(months=churned_months)
            record.save()
        return record

    account("P1", 10_000, 10, churned_months=3)
    account("P2", 20_000, 9)
    account("S", 5_000, 8)
    account("D1", 30_000, 2, churned_months=2)
    account("D2", 40_000, 0, churned_months=8)
    account("N", 1_000)
    account("G", 7_000, churned_months=14)


def _rows(report):
    return {row.category: (row.accounts, row.churned, row.arr, row.arr_churned) for row in report.rows}


def test_churn_over_12_months_by_the_category_a_year_ago(history):
    report = churn_by_category(months=12)
    assert _rows(report) == {
        "promoter": (2, 1, 30_000, 10_000),
        "passive": (1, 0, 5_000, 0),
        "detractor": (2, 2, 70_000, 70_000),
        "none": (1, 0, 1_000, 0),
    }
    promoters = report.rows[0]
    assert promoters.rate == 0.5
    # Wilson, 1 of 2, z = 1.96: (0.5 + z²/4 ± z·√(0.25/2 + z²/16)) ÷ (1 + z²/2) = 0.0945 to 0.9055
    low, high = promoters.interval
    assert (round(low, 4), round(high, 4)) == (0.0945, 0.9055)
    assert report.rows[2].rate == 1.0 and report.rows[1].interval[0] == 0.0


def test_churn_over_6_months_leaves_out_accounts_that_had_left_before(history):
    assert _rows(churn_by_category(months=6)) == {
        "promoter": (2, 1, 30_000, 10_000),
        "passive": (1, 0, 5_000, 0),
        "detractor": (1, 1, 30_000, 30_000),  # D2 churned 8 months ago: not in the 6-month cohort
        "none": (1, 0, 1_000, 0),
    }


def test_the_churn_page_is_for_admins(history, client, admin, agent):
    client.force_login(agent)
    assert client.get("/accounts/churn/").status_code == 403
    client.force_login(admin)
    page = client.get("/accounts/churn/")
    assert page.status_code == 200 and [r.months for r in page.context["reports"]] == [6, 12]
    assert "9 % – 91 %" in page.content.decode()  # the promoters' interval


# --- ARR in other currencies ------------------------------------------------------------------------
@pytest.fixture
def rates(settings):
    settings.KRINGLOOP = {**settings.KRINGLOOP, "CURRENCY": "EUR", "EXCHANGE_RATES": {"USD": 0.9}}


@pytest.fixture
def currencies(rates, team_a):
    """Northwind (120,000 EUR, NPS +20), Acme (30,000 EUR, NPS −100), Quiet (50,000 EUR, silent),
    Dollar (99,000 USD at 0.9 = 89,100 EUR, one 10: NPS +100), Pound (10,000 GBP, one 0: no rate,
    left out). Revenue-weighted NPS = (120,000 × 20 + 30,000 × −100 + 89,100 × 100) ÷
    (120,000 + 30,000 + 89,100) = 8,310,000 ÷ 239,100 = 34.7553…; at risk 30,000 (Pound's
    detractor is left out); silent 50,000; total ARR 289,100 EUR."""
    northwind(team=team_a)
    acme = AccountFactory(name="Acme", arr=30_000, team=team_a)
    answer(ContactFactory(account=acme), 0)
    AccountFactory(name="Quiet", arr=50_000, segment="Enterprise")
    dollar = AccountFactory(name="Dollar", arr=99_000, currency="USD")
    answer(ContactFactory(account=dollar), 10)
    pound = AccountFactory(name="Pound", arr=10_000, currency="GBP")
    answer(ContactFactory(account=pound), 0)
    account_health_refresh()
    return dollar, pound


def test_arr_in_another_currency_counts_at_its_fixed_rate(currencies):
    revenue = revenue_summary()
    total = revenue["total"]
    assert (total.accounts, total.arr_total, total.arr_answered) == (4, 289_100, 239_100)
    assert total.weighted_nps == pytest.approx(8_310_000 / 239_100)
    assert (total.arr_at_risk, total.arr_silent) == (30_000, 50_000)
    assert (revenue["other_currency"], revenue["left_out"], revenue["rates"]) == (1, {"GBP": 1}, {"USD": 0.9})


def test_the_api_and_the_accounts_page_say_which_currencies_were_left_out(currencies, api, client, admin):
    body = api.get("/api/accounts/revenue/").json()
    assert body["total"]["arr_total"] == 289_100 and body["left_out"] == {"GBP": 1} and body["rates"] == {"USD": 0.9}
    client.force_login(admin)
    page = client.get("/accounts/").content.decode()
    assert "1 USD = 0.9 EUR" in page and "(GBP)" in page


@pytest.mark.parametrize("rolled_up", [False, True], ids=["live", "rollup"])
def test_the_list_orders_arr_in_the_reporting_currency(currencies, client, admin, rolled_up):
    """Dollar's 99,000 USD is 89,100 EUR: below Northwind's 120,000, above Quiet's 50,000; Pound
    has no rate, so no comparable ARR: last."""
    if rolled_up:
        refresh_rollup()
    client.force_login(admin)
    names = [row.name for row in client.get("/accounts/").context["rows"]]
    assert names == ["Northwind", "Dollar", "Quiet", "Acme", "Pound"]


def test_exchange_rates_are_read_strictly(monkeypatch):
    monkeypatch.setenv("EXCHANGE_RATES", "usd=0.92, GBP=1.17")
    assert env_rates("EXCHANGE_RATES") == {"USD": 0.92, "GBP": 1.17}
    for bad in ("USD", "USD=", "USD=-1", "DOLLAR=0.9", "USD=abc"):
        monkeypatch.setenv("EXCHANGE_RATES", bad)
        with pytest.raises(ImproperlyConfigured, match="EXCHANGE_RATES"):
            env_rates("EXCHANGE_RATES")
