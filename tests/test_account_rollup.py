"""The accounts' rollup (#24, scoring.account_rollup): each account's stored figures, kept by the
rollup refresh, which the accounts list reads under its default filters (the hand computation of
Northwind is in tests/account_world.py)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scoring import account_rollup, freshness, recount
from scoring.accounts import stored_kind
from scoring.filters import parse_filters
from scoring.models import AccountScore, RollupState
from scoring.rollup import refresh_rollup
from surveys.models import Contact, Response
from tests.account_world import answer, northwind
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def _stored(account, kind="relational"):
    row = AccountScore.objects.get(account=account, kind=kind)
    return {name: getattr(row, name) for name in (*account_rollup.COUNTS, "nps", "change")}


def test_the_refresh_stores_each_accounts_counts_per_survey_type():
    account, _ann = northwind()
    refresh_rollup()
    assert _stored(account) == {
        "n": 5,
        "p": 2,
        "pa": 2,
        "d": 1,
        "dm_n": 2,
        "dm_p": 1,
        "dm_pa": 1,
        "dm_d": 0,
        "prev_n": 1,
        "prev_p": 0,
        "prev_d": 1,
        "nps": pytest.approx(20.0),
        "change": pytest.approx(120.0),
    }
    # Ann's transactional 0 is the transactional row; "all" counts both of her latest answers.
    assert (_stored(account, "transactional")["n"], _stored(account, "transactional")["d"]) == (1, 1)
    assert (_stored(account, "all")["n"], _stored(account, "all")["d"]) == (6, 2)
    state = RollupState.objects.get(pk=1)
    assert state.accounts_since == account_rollup.window_start(timezone.localdate())


def test_a_refresh_recounts_only_the_accounts_whose_contacts_changed():
    northwind_account, ann = northwind()
    other = AccountFactory(name="Other")
    answer(ContactFactory(account=other), 10)
    untouched = AccountFactory(name="Untouched")
    quiet = ContactFactory(account=untouched)
    answer(quiet, 9)
    # Changed long before: outside the late-commit margin the refresh takes again (scoring.changes).
    hour_ago = timezone.now() - timedelta(hours=1)
    Contact.objects.filter(pk=quiet.pk).update(updated_at=hour_ago)
    Response.objects.filter(contact=quiet).update(updated_at=hour_ago)
    refresh_rollup()
    kept = AccountScore.objects.get(account=untouched, kind="relational").pk
    ann.account = other  # Ann (a decision maker, latest 9) moves to Other
    ann.save()
    refresh_rollup()
    assert (_stored(northwind_account)["n"], _stored(northwind_account)["dm_n"]) == (4, 1)
    assert (_stored(other)["n"], _stored(other)["p"], _stored(other)["dm_n"]) == (2, 2, 1)
    assert AccountScore.objects.get(account=untouched, kind="relational").pk == kept  # not rewritten


def test_a_new_day_recounts_every_account_for_the_new_period():
    account = AccountFactory()
    answer(ContactFactory(account=account), 10, days_ago=2)
    refresh_rollup()
    RollupState.objects.filter(pk=1).update(accounts_since=timezone.localdate() - timedelta(days=400))
    kept = AccountScore.objects.get(account=account, kind="relational").pk
    refresh_rollup()  # nothing changed but the period's first day
    assert AccountScore.objects.get(account=account, kind="relational").pk != kept
    assert RollupState.objects.get(pk=1).accounts_since == account_rollup.window_start(timezone.localdate())


def test_an_answer_older_than_the_period_is_not_stored():
    account = AccountFactory()
    answer(ContactFactory(account=account), 10, days_ago=400)
    refresh_rollup()
    assert not AccountScore.objects.filter(account=account).exists()


def test_only_the_default_filters_read_the_stored_rows(admin):
    refresh_rollup()
    today = timezone.localdate()
    with freshness.one_look() as coverage:
        assert stored_kind(parse_filters({"period": "365d"}), coverage, today) == "relational"
        assert stored_kind(parse_filters({"period": "365d", "kind": "all"}), coverage, today) == "all"
        assert stored_kind(parse_filters({"period": "90d"}), coverage, today) is None
        assert stored_kind(parse_filters({"period": "365d", "touchpoint": "1"}), coverage, today) is None
        assert stored_kind(parse_filters({"period": "365d"}, teams=(1,)), coverage, today) is None


def _list_queries(client, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("scoring:account_list"), params or {})
    assert response.status_code == 200
    return response, [q["sql"] for q in queries if "scoring_accountscore" in q["sql"] or "GROUP BY" in q["sql"]]


def test_the_list_sorts_the_stored_rows_without_grouping_answers(client, admin):
    account, _ann = northwind()
    refresh_rollup()
    client.force_login(admin)
    response, sql = _list_queries(client)
    assert any("scoring_accountscore" in q for q in sql)
    assert not any("scoring_latestscore" in q and "GROUP BY" in q for q in sql)
    [row] = response.context["rows"]
    assert (row.figures.result.nps, row.figures.change) == (pytest.approx(20.0), pytest.approx(120.0))
    # Another period groups the latest answers instead, with the same figures here.
    response, sql = _list_queries(client, {"period": "90d"})
    assert any("scoring_latestscore" in q and "GROUP BY" in q for q in sql)
    assert response.context["rows"][0].figures.result.nps == pytest.approx(20.0)


def test_the_list_still_shows_right_figures_when_refreshes_fail(client, admin, monkeypatch):
    account, ann = northwind()
    refresh_rollup()
    answer(ann, 0, days_ago=0)  # a detractor decision maker now

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(recount, "count_latest", broken)
    with pytest.raises(RuntimeError):
        refresh_rollup()
    assert RollupState.objects.get(pk=1).error
    client.force_login(admin)
    response = client.get(reverse("scoring:account_list"))
    assert response.status_code == 200
    [row] = response.context["rows"]
    assert row.figures.label == "at_risk" and row.figures.dm_result.n == 2


def _mixed_accounts(count: int) -> None:
    """`count` accounts of every kind the list's order tells apart: ARR, none or in a currency
    without a rate; renewal soon, later or none; answers (with an earlier one, a change) or none;
    a detractor decision maker (with a renewal soon: urgent)."""
    today = timezone.localdate()
    for i in range(count):
        account = AccountFactory(
            arr=None if i % 5 == 0 else 1000 * (i % 4),  # ties on ARR: the id decides
            currency="XXX" if i % 7 == 3 else "EUR",
            renewal_date=None if i % 6 == 0 else today + timedelta(days=(i * 37) % 200),
        )
        if i % 4 == 1:
            continue  # no answers: no stored row
        contact = ContactFactory(account=account, account_role="decision_maker" if i % 3 else "user")
        if i % 2:
            answer(contact, (i * 3) % 11, days_ago=100)
        answer(contact, (i * 7) % 11)


@pytest.mark.parametrize("sort", ["-arr", "arr", "-nps", "nps", "-change", "change", "renewal", "-renewal", "-name"])
@pytest.mark.parametrize("deep", [False, True])
def test_every_page_of_the_stored_list_follows_the_one_sorted_order(sort, deep, monkeypatch):
    """The list reads a page in parts (urgent, then by the sort's index, then the empty values):
    page after page they give what one query sorting every account gives (scoring.accounts)."""
    from scoring import accounts

    _mixed_accounts(30)
    refresh_rollup()
    if deep:  # count the second part before walking it, as a deep page does
        monkeypatch.setattr(accounts, "DEEP_OFFSET", 0)
    today = timezone.localdate()
    qs = accounts.base_accounts(parse_filters({"period": "365d"}))
    whole = list(accounts.ranked_stored(qs, "relational", sort=sort, today=today).values_list("pk", flat=True))
    assert whole[0] != sorted(whole)[0] or sort in ("arr", "-name")  # the order is not just the ids
    paged = []
    for start in range(0, 36, 4):
        paged += accounts.stored_page_ids(qs, "relational", sort=sort, today=today, start=start, size=4)
    assert paged == whole


def test_the_lists_query_count_does_not_grow_with_the_accounts(client, admin):
    """Each view of the list runs as many statements for 12 accounts as for 48 (no N+1)."""
    client.force_login(admin)
    views = [{}, {"sort": "-nps"}, {"sort": "-change", "page": "1"}, {"sort": "renewal"}, {"touchpoint": "1"}]

    def statements():
        counts = []
        for params in views:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("scoring:account_list"), params).status_code == 200
            counts.append(len(queries))
        return counts

    _mixed_accounts(12)
    refresh_rollup()
    statements()  # first read: caches, not the data
    small = statements()
    _mixed_accounts(36)
    refresh_rollup()
    assert statements() == small
