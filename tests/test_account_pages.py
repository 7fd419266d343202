"""The accounts list and an account's page (#24): who may open them, the figures they show
(tests/account_world.py has the hand computation), the order, and the admin's changes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from scoring.rollup import refresh_rollup
from surveys.models import Account
from tests.account_world import answer, northwind
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def _rows(response):
    return [row.pk for row in response.context["rows"]]


@pytest.mark.parametrize("rolled_up", [False, True], ids=["live", "rollup"])
def test_the_list_shows_each_accounts_nps_decision_makers_and_change(client, admin, rolled_up):
    account, _ann = northwind()
    if rolled_up:
        refresh_rollup()
    client.force_login(admin)
    response = client.get(reverse("scoring:account_list"))
    assert response.status_code == 200
    assert response.context["live"] is not rolled_up
    [row] = response.context["rows"]
    figures = row.figures
    assert (figures.result.n, figures.result.nps) == (5, pytest.approx(20.0))
    assert (figures.dm_result.n, figures.dm_result.nps) == (2, pytest.approx(50.0))
    assert figures.change == pytest.approx(120.0)
    assert figures.label == "passive"
    assert "Northwind" in response.content.decode()


@pytest.mark.parametrize("rolled_up", [False, True], ids=["live", "rollup"])
def test_a_detractor_decision_maker_with_a_renewal_soon_comes_first(client, admin, rolled_up):
    today = timezone.localdate()
    big = AccountFactory(name="Big", arr=900_000)
    answer(ContactFactory(account=big), 10)
    small = AccountFactory(name="Small", arr=1_000, renewal_date=today + timedelta(days=30))
    answer(ContactFactory(account=small, account_role="decision_maker"), 2)
    later = AccountFactory(name="Later", arr=2_000, renewal_date=today + timedelta(days=200))
    answer(ContactFactory(account=later, account_role="decision_maker"), 2)
    if rolled_up:
        refresh_rollup()
    client.force_login(admin)
    assert _rows(client.get(reverse("scoring:account_list"))) == [small.pk, big.pk, later.pk]
    assert _rows(client.get(reverse("scoring:account_list"), {"sort": "arr"})) == [small.pk, later.pk, big.pk]
    assert _rows(client.get(reverse("scoring:account_list"), {"sort": "-nps"})) == [small.pk, big.pk, later.pk]
    assert _rows(client.get(reverse("scoring:account_list"), {"sort": "renewal"})) == [small.pk, later.pk, big.pk]


def test_an_answer_given_after_the_refresh_shows_at_once(client, admin):
    account, ann = northwind()
    refresh_rollup()
    answer(ann, 0, days_ago=0)  # the rollup does not hold it yet
    client.force_login(admin)
    [row] = client.get(reverse("scoring:account_list")).context["rows"]
    assert row.figures.label == "at_risk" and row.figures.result.n == 5


def test_the_account_page_shows_contacts_answers_and_timeline(client, admin):
    account, ann = northwind()
    client.force_login(admin)
    response = client.get(reverse("scoring:account_detail", args=[account.pk]))
    assert response.status_code == 200
    assert response.context["figures"].result.nps == pytest.approx(20.0)
    assert response.context["contacts"][0].account_role == "decision_maker"
    assert len(response.context["answers"]) == 7
    assert len(response.context["timeline"]) == 7


def test_viewers_and_outsiders_may_not_open_accounts(client, viewer, outsider):
    account = AccountFactory()
    for user in (viewer, outsider):
        client.force_login(user)
        assert client.get(reverse("scoring:account_list")).status_code == 403
        assert client.get(reverse("scoring:account_detail", args=[account.pk])).status_code == 403


def test_an_admin_records_a_churn_and_undoes_it(client, admin):
    account = AccountFactory()
    client.force_login(admin)
    day = timezone.localdate() - timedelta(days=3)
    response = client.post(reverse("surveys:account_churn", args=[account.pk]), {"churned_at": day, "reason": "Price"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.status, account.churned_at, account.churn_reason) == ("churned", day, "Price")
    future = timezone.localdate() + timedelta(days=3)
    assert client.post(reverse("surveys:account_churn", args=[account.pk]), {"churned_at": future}).status_code == 400
    client.post(reverse("surveys:account_reactivate", args=[account.pk]))
    assert Account.objects.get(pk=account.pk).status == "active"


def test_an_admin_creates_an_account_and_adds_a_contact(client, admin):
    contact = ContactFactory(email="ann@example.com")
    client.force_login(admin)
    response = client.post(
        reverse("surveys:account_create"),
        {"name": "Acme", "external_id": "crm-1", "segment": "SMB", "arr": "5000", "currency": "eur", "owner": admin.pk},
    )
    account = Account.objects.get(external_id="crm-1")
    assert response.status_code == 302 and account.currency == "EUR" and account.owner == admin
    client.post(
        reverse("surveys:account_member_add", args=[account.pk]), {"email": "ANN@example.com", "role": "champion"}
    )
    contact.refresh_from_db()
    assert (contact.account, contact.account_role) == (account, "champion")


def test_the_contact_form_puts_a_contact_in_an_account_with_a_role(client, admin):
    account = AccountFactory(name="Acme", external_id="crm-acme")
    contact = ContactFactory(email="ann@example.com", name="Ann")
    client.force_login(admin)
    url = reverse("surveys:contact_edit", args=[contact.pk])
    fields = {"email": "ann@example.com", "name": "Ann", "language": "en", "time_zone": ""}
    response = client.post(url, {**fields, "account": "ACME", "account_role": "decision_maker"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.account, contact.account_role) == (account, "decision_maker")
    assert 'value="Acme"' in client.get(url).content.decode()  # the form shows the account by name
    detail = client.get(reverse("surveys:contact_detail", args=[contact.pk])).content.decode()
    assert reverse("scoring:account_detail", args=[account.pk]) in detail
    client.post(url, {**fields, "account": "", "account_role": ""})
    contact.refresh_from_db()
    assert (contact.account, contact.account_role) == (None, "")


def test_the_contact_form_explains_an_unknown_or_ambiguous_account(client, admin):
    AccountFactory(name="Twin", external_id="t-1")
    AccountFactory(name="Twin", external_id="t-2")
    contact = ContactFactory(email="ann@example.com")
    client.force_login(admin)
    url = reverse("surveys:contact_edit", args=[contact.pk])
    fields = {"email": "ann@example.com", "language": "en", "time_zone": ""}
    unknown = client.post(url, {**fields, "account": "Nobody Inc"})
    assert unknown.status_code == 400 and "No account has the external id or name" in unknown.content.decode()
    twin = client.post(url, {**fields, "account": "twin"})
    assert twin.status_code == 400 and "give its external id" in twin.content.decode()
    lonely_role = client.post(url, {**fields, "account": "", "account_role": "champion"})
    assert lonely_role.status_code == 400 and "choose the account too" in lonely_role.content.decode()
    assert client.post(url, {**fields, "account": "T-2"}).status_code == 302
    contact.refresh_from_db()
    assert contact.account.external_id == "t-2"


def test_adding_an_unknown_address_to_an_account_is_a_400_with_the_reason(client, admin):
    account = AccountFactory()
    client.force_login(admin)
    url = reverse("surveys:account_member_add", args=[account.pk])
    response = client.post(url, {"email": "nobody@example.com", "role": ""})
    assert response.status_code == 400 and "No contact has the address nobody@example.com" in response.content.decode()
    assert client.post(url, {"email": "ann@example.com", "role": "boss"}).status_code == 400
    other = AccountFactory(name="Elsewhere")
    ContactFactory(email="bob@example.com", account=other)
    moved = client.post(url, {"email": "bob@example.com", "role": "user"}, follow=True)
    assert "no longer in Elsewhere" in moved.content.decode()
    stranger = ContactFactory(account=other)
    remove = reverse("surveys:account_member_remove", args=[account.pk, stranger.pk])
    assert client.post(remove).status_code == 404  # not in this account


def test_the_account_page_lists_decision_makers_first(client, admin):
    account = AccountFactory()
    ContactFactory(account=account, name="Zoe", account_role="")
    ContactFactory(account=account, name="Yan", account_role="champion")
    ContactFactory(account=account, name="Xia", account_role="decision_maker")
    client.force_login(admin)
    contacts = client.get(reverse("scoring:account_detail", args=[account.pk])).context["contacts"]
    assert [c.name for c in contacts] == ["Xia", "Yan", "Zoe"]
