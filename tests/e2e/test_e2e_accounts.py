"""An admin reads the accounts list and opens an account's page, on a laptop and on a phone
(#24): the urgent renewal first, the figures shown, no axe violation, nothing wider than a phone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.account_world import answer, northwind
from tests.e2e.conftest import OVERFLOW, axe_violations, login, shot
from tests.factories import AccountFactory, ContactFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_accounts_list_and_an_account_page(live_server, device, admin, agent, team_a):
    name, page = device
    account, _ann = northwind(owner=agent, team=team_a)
    urgent = AccountFactory(name="Renewing Soon BV", arr=2_000, renewal_date=timezone.localdate() + timedelta(days=20))
    answer(ContactFactory(account=urgent, account_role="decision_maker"), 3)
    AccountFactory(name="Quiet Harbour BV", arr=40_000)

    login(page, live_server.url, "alice-admin")
    page.goto(f"{live_server.url}/accounts/")
    rows = page.locator("#account-table tbody tr")
    assert rows.count() == 3
    assert "Renewing Soon BV" in rows.nth(0).inner_text()  # a detractor decision maker, renewal in 20 days
    assert "Northwind" in rows.nth(1).inner_text()  # then by ARR
    assert "+20" in rows.nth(1).locator("[data-nps]").inner_text()
    assert axe_violations(page) == []
    assert page.evaluate(OVERFLOW) == []
    shot(page, f"24-accounts-{name}")

    page.locator("[data-sort=nps]").click()
    page.wait_for_url("**sort=*")
    page.get_by_role("link", name="Northwind").click()
    page.wait_for_url(f"**/accounts/{account.pk}/**")
    assert page.locator("[data-figure=account-nps]").inner_text() == "+20"
    assert page.locator("#account-timeline li").count() == 7
    assert axe_violations(page) == []
    assert page.evaluate(OVERFLOW) == []
    shot(page, f"24-account-{name}")
