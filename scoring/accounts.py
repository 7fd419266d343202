"""The accounts list (#24): each account's NPS over its contacts' latest answers under the
dashboard's filters, with the decision makers' NPS, the change, the last answer and a health label
(surveys.account_rules), sorted by ARR, NPS, change or renewal, urgent accounts first.

Fast path: under the default filters (the last 12 months, any survey type, no answer filter, a
viewer who sees every team) each account's figures are one stored row (scoring.account_rollup,
kept by the worker's rollup refresh), and a page is read in parts that indexes serve with a LIMIT
(stored_page_ids), no grouping and no sort of every account. Under other filters the counts come
from the latest-answer rollup (scoring.models.LatestScore, which copies each contact's account and
role), grouped by account inside the database. The accounts on the page whose contacts changed since the last refresh
(scoring.freshness) get their figures counted live either way, so the figures shown are right at
once; their place in the order follows at the next refresh (30 seconds). Before the rollup is
first built everything is counted live (`live_rows`), with the same rules: tests compare the ways.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Case, F, FilteredRelation, Q, Value, When
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from scoring import account_rollup, freshness
from scoring.account_rollup import COUNTS
from scoring.filters import Filters, attribute_text, dimension_q, kind_matches
from scoring.recount import latest_rows
from surveys import account_money, nps
from surveys.account_rules import RENEWAL_SOON_DAYS, health_label, urgent
from surveys.models import Account, Contact, Response, Role

SORTS = {
    "arr": "arr",
    "nps": "nps",
    "change": "change",
    "renewal": "renewal_date",
    "name": "name",
}
DEEP_OFFSET = 10_000  # stored_page_ids: from this offset on a page counts before it walks
LIST_FIELDS = ("name", "segment", "arr", "currency", "owner", "team", "renewal_date", "status")


@dataclass
class Figures:
    """One account's figures under the filters."""

    result: nps.NpsResult
    dm_result: nps.NpsResult
    previous: nps.NpsResult
    last_answer_at: datetime | None
    label: str
    urgent: bool

    @property
    def change(self) -> float | None:
        if self.result.nps is None or self.previous.nps is None:
            return None
        return self.result.nps - self.previous.nps


def figures(counts: dict, *, renewal_date: date | None, now: datetime, today: date) -> Figures:
    """Figures from an account's counts (COUNTS and last_at), however they were counted."""
    result = nps.nps_from_counts(promoters=counts["p"], passives=counts["pa"], detractors=counts["d"])
    dm = nps.nps_from_counts(promoters=counts["dm_p"], passives=counts["dm_pa"], detractors=counts["dm_d"])
    prev_passives = counts["prev_n"] - counts["prev_p"] - counts["prev_d"]
    previous = nps.nps_from_counts(promoters=counts["prev_p"], passives=prev_passives, detractors=counts["prev_d"])
    last = counts["last_at"]
    label = health_label(nps_value=result.nps, dm_detractors=counts["dm_d"], last_answer_at=last, now=now)
    return Figures(
        result, dm, previous, last, label, urgent(dm_detractors=counts["dm_d"], renewal_date=renewal_date, today=today)
    )


# --- Which accounts ----------------------------------------------------------------------------
def base_accounts(filters: Filters, *, status: str = "active", search: str = "", team: int | None = None):
    """The accounts the list shows before counting: by status, name or external id, the account's
    team, and the dashboard's segment filter read on the account (`segment=…` is its segment)."""
    qs = Account.objects.all()
    if status in Account.Status.values:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(external_id__iexact=search))
    if team:
        qs = qs.filter(team_id=team)
    if filters.segment_key == "segment":
        qs = qs.filter(segment__iexact=filters.segment_value)
    elif filters.segment_key:
        qs = qs.annotate(_seg=attribute_text(filters.segment_key, "attributes")).filter(_seg=filters.segment_value)
    return qs


def _latest_q(filters: Filters) -> Q:
    """The rollup rows the filters count: each contact's latest answer of the survey type, given in
    the period, matching the answer filters (the viewer's teams included)."""
    return dimension_q(filters) & Q(submitted_at__gte=filters.start_dt, submitted_at__lt=filters.end_dt)


def _prefixed(q: Q, prefix: str) -> Q:
    """`q` with every lookup under `prefix` (a FilteredRelation's condition names the relation)."""
    children = [
        _prefixed(child, prefix) if isinstance(child, Q) else (prefix + child[0], child[1]) for child in q.children
    ]
    return Q(*children, _connector=q.connector, _negated=q.negated)


def _ordered(qs, soon: Q, sort: str):
    """Accounts with a detractor decision maker and a renewal within 90 days first (`soon`), then by
    `sort` ("-" descending; empty values last: ARR compares in the reporting currency, so an ARR
    in a currency without a rate counts as empty), then by id."""
    qs = qs.annotate(first=Case(When(soon, then=Value(0)), default=Value(1)))
    field = SORTS.get(sort.lstrip("-"), "arr")
    key = {"name": Lower("name"), "arr": account_money.reporting_arr()}.get(field, F(field))
    key = key.desc(nulls_last=True) if sort.startswith("-") else key.asc(nulls_last=True)
    return qs.order_by("first", key, "pk")


def _renewal_soon(today: date) -> Q:
    return Q(renewal_date__gte=today, renewal_date__lte=today + timedelta(days=RENEWAL_SOON_DAYS))


def ranked(qs, filters: Filters, *, sort: str = "-arr", today: date | None = None):
    """`qs` (base_accounts) with the counts grouped from the latest-answer rollup under any filters,
    sorted (_ordered)."""
    today = today or timezone.localdate()
    latest = FilteredRelation("latest_scores", condition=_prefixed(_latest_q(filters), "latest_scores__"))
    qs = (
        qs.alias(latest=latest)
        .annotate(**account_rollup.count_annotations("latest__"))
        .annotate(**account_rollup.sort_keys())
    )
    return _ordered(qs, Q(dm_d__gt=0) & _renewal_soon(today), sort)


def stored_kind(filters: Filters, coverage, today: date) -> str | None:
    """The AccountScore rows (their kind) that hold the figures under `filters`, or None when the
    stored rows cannot answer them: a period other than the default one (or the rollup has not
    counted today's yet), an answer filter, or a viewer limited to some teams."""
    since = account_rollup.window_start(today)
    if coverage.accounts_since != since or (filters.start, filters.end) != (since, today):
        return None
    if filters.teams is not None or any(
        (filters.campaign, filters.touchpoint, filters.team, filters.channel, filters.language)
    ):
        return None
    return account_rollup.ALL_KINDS if filters.kind == "all" else filters.kind


def ranked_stored(qs, kind: str, *, sort: str = "-arr", today: date | None = None):
    """`qs` with each account's stored figures (AccountScore of `kind`: one row, no grouping), sorted
    (_ordered): what `ranked` gives under the default filters."""
    today = today or timezone.localdate()
    qs = (
        qs.alias(score=FilteredRelation("scores", condition=Q(scores__kind=kind)))
        .annotate(
            **{name: Coalesce(F(f"score__{name}"), 0) for name in COUNTS},
            last_at=F("score__last_at"),
            nps=F("score__nps"),
            change=F("score__change"),
        )
        .alias(stored_dm_d=F("score__dm_d"))
    )
    return _ordered(qs, Q(score__dm_d__gt=0) & _renewal_soon(today), sort)


def _present(sort: str) -> tuple[Q, Q, object] | None:
    """For the stored rows' index walk: the condition of the accounts that have a value to sort by
    (`sort`'s key not empty), its opposite, and the key to order them by, which an index serves
    (AccountScore's (kind, nps) and (kind, change), Account's arr, renewal date and lowercase
    name). None when no index can: an ARR sort over several currencies with rates (the database
    then sorts the accounts, as under other filters)."""
    field = SORTS.get(sort.lstrip("-"), "arr")
    if field == "name":
        return Q(pk__isnull=False), Q(pk__isnull=True), Lower("name")
    if field == "arr":
        currencies = list(account_money.rates())
        if len(currencies) != 1:
            return None
        # One currency with a rate (the reporting one, rate 1): the ARR itself orders them.
        present = Q(currency=currencies[0], arr__isnull=False)
        return present, ~Q(currency=currencies[0]) | Q(arr__isnull=True), F("arr")
    # NPS and change: ranked_stored's annotations of the stored row's columns (no second join).
    return Q(**{f"{field}__isnull": False}), Q(**{f"{field}__isnull": True}), F(field)


def stored_page_ids(qs, kind: str, *, sort: str, today: date, start: int, size: int) -> list[int]:
    """The ids of one page of `ranked_stored`'s order, read in three parts that indexes serve with
    a LIMIT, so no query sorts every account: the urgent accounts (a detractor decision maker and
    a renewal within 90 days: few), sorted; then the others with a value to sort by, walked in
    the key's index order; then those without one, by id. The counts of the earlier parts place
    the page; the second part is counted only when the page lies past it."""
    ranked_qs = ranked_stored(qs, kind, sort=sort, today=today)
    parts = _present(sort)
    if parts is None:
        return list(ranked_qs.values_list("pk", flat=True)[start : start + size])
    present, absent, key = parts
    # The urgent ones by their renewal date's index (the condition of `first`, as _ordered's `soon`).
    urgent = list(ranked_qs.filter(_renewal_soon(today), stored_dm_d__gt=0).values_list("pk", flat=True))
    ids = urgent[start : start + size]
    if len(ids) == size:
        return ids
    # The others, as a condition the planner can estimate (`first` = 1 is a CASE to it).
    soon_to = today + timedelta(days=RENEWAL_SOON_DAYS)
    rest = ranked_qs.filter(
        Q(renewal_date__isnull=True)
        | Q(renewal_date__lt=today)
        | Q(renewal_date__gt=soon_to)
        | Q(stored_dm_d__isnull=True)
        | Q(stored_dm_d=0)
    )
    offset = max(start - len(urgent), 0)
    key = key.desc() if sort.startswith("-") else key.asc()
    need = size - len(ids)
    # A deep page counts the second part first: walking to its offset costs as much as counting
    # it, and the page may lie past it.
    walked_total = rest.filter(present).count() if offset >= DEEP_OFFSET else None
    walked = []
    if walked_total is None or offset < walked_total:
        walked = list(rest.filter(present).order_by(key, "pk").values_list("pk", flat=True)[offset : offset + need])
    ids += walked
    if len(ids) == size:
        return ids
    if walked_total is None:
        walked_total = offset + len(walked) if walked else rest.filter(present).count()
    offset = max(offset - walked_total, 0)
    return ids + list(
        rest.filter(absent).order_by("pk").values_list("pk", flat=True)[offset : offset + size - len(ids)]
    )


def counts_of(account) -> dict:
    """The counts `ranked` annotated on an account."""
    return {name: getattr(account, name) for name in (*COUNTS, "last_at")}


# --- Live counting -----------------------------------------------------------------------------
def _matches(row: dict, filters: Filters) -> bool:
    """Whether a latest-answer row passes the answer filters (as _latest_q does in SQL)."""
    if not filters.start_dt <= row["submitted_at"] < filters.end_dt:
        return False
    if not kind_matches(filters, row["kind"]):
        return False
    for name in ("campaign", "touchpoint", "team"):
        if getattr(filters, name) and row[f"{name}_id"] != getattr(filters, name):
            return False
    if filters.teams is not None and row["team_id"] not in filters.teams:
        return False
    return not (
        (filters.channel and row["channel"] != filters.channel)
        or (filters.language and row["language"] != filters.language)
    )


def empty_counts() -> dict:
    return dict.fromkeys(COUNTS, 0) | {"last_at": None}


def live_counts(filters: Filters, account_ids=None) -> dict[int, dict]:
    """Account id → counts, counted from the answers as the rollup counts them (latest_rows)."""
    answers = Response.objects.filter(contact__account__isnull=False)
    if account_ids is not None:
        answers = answers.filter(contact__account_id__in=list(account_ids))
    found: dict[int, dict] = {}
    short = {nps.PROMOTER: "p", nps.PASSIVE: "pa", nps.DETRACTOR: "d"}
    for row in latest_rows(answers).iterator(chunk_size=2000):
        if row["account_id"] is None or not _matches(row, filters):
            continue
        counts = found.setdefault(row["account_id"], empty_counts())
        counts["n"] += 1
        counts[short[row["category"]]] += 1
        if row["account_role"] == Role.DECISION_MAKER:
            counts["dm_n"] += 1
            counts["dm_" + short[row["category"]]] += 1
        if row["prev_category"] is not None:
            counts["prev_n"] += 1
            if row["prev_category"] != nps.PASSIVE:
                counts["prev_" + short[row["prev_category"]]] += 1
        if counts["last_at"] is None or row["submitted_at"] > counts["last_at"]:
            counts["last_at"] = row["submitted_at"]
    return found


def live_rows(qs, filters: Filters, *, sort: str = "-arr", today: date | None = None) -> list:
    """`ranked` counted live and sorted in Python, for when the rollup was never built."""
    today, now = today or timezone.localdate(), timezone.now()
    accounts = list(qs.select_related("owner", "team").order_by("pk"))  # ties stay in id order, as in SQL
    counted = live_counts(filters, [a.pk for a in accounts]) if accounts else {}
    for account in accounts:
        for name, value in counted.get(account.pk, empty_counts()).items():
            setattr(account, name, value)
        account.figures = figures(counts_of(account), renewal_date=account.renewal_date, now=now, today=today)
        account.nps, account.change = account.figures.result.nps, account.figures.change
    field = SORTS.get(sort.lstrip("-"), "arr")

    def value(account):
        raw = account_money.account_arr(account) if field == "arr" else getattr(account, field)
        return raw.lower() if isinstance(raw, str) else raw

    present = sorted((a for a in accounts if value(a) is not None), key=value, reverse=sort.startswith("-"))
    rows = present + [a for a in accounts if value(a) is None]
    rows.sort(key=lambda a: not a.figures.urgent)  # stable: urgent first, the order kept within each part
    return rows


# --- The page ----------------------------------------------------------------------------------
def account_page(filters: Filters, *, status="active", search="", team=None, sort="-arr", page=1, size=50):
    """One page of the list: (accounts with `.figures`, total, live) — live: counted without the rollup."""
    today, now = timezone.localdate(), timezone.now()
    qs = base_accounts(filters, status=status, search=search, team=team)
    coverage = freshness.current()
    start = (max(page, 1) - 1) * size
    if coverage.contacts is freshness.EVERYONE:
        rows = live_rows(qs, filters, sort=sort, today=today)
        return rows[start : start + size], len(rows), True
    total = qs.count()
    kind = stored_kind(filters, coverage, today)
    # The order first, as ids only. Then the page's accounts with their figures (LIST_FIELDS), and
    # their owners and teams in a query each.
    if kind is not None:  # the default filters: each account's stored row (scoring.account_rollup)
        ranked_qs = ranked_stored(qs.only(*LIST_FIELDS), kind, sort=sort, today=today)
        ids = stored_page_ids(qs, kind, sort=sort, today=today, start=start, size=size) if start < total else []
    else:  # grouped: the database sorts narrow rows (id and sort keys; wide ones spill to disk)
        ranked_qs = ranked(qs.only(*LIST_FIELDS), filters, sort=sort, today=today)
        ids = list(ranked_qs.values_list("pk", flat=True)[start : start + size]) if start < total else []
    found = {
        account.pk: account for account in ranked_qs.filter(pk__in=ids).order_by().prefetch_related("owner", "team")
    }
    accounts = [found[pk] for pk in ids if pk in found]
    stale = _stale_accounts([a.pk for a in accounts], coverage)
    live = live_counts(filters, stale) if stale else {}
    for account in accounts:
        counts = live.get(account.pk, empty_counts()) if account.pk in stale else counts_of(account)
        account.figures = figures(counts, renewal_date=account.renewal_date, now=now, today=today)
    return accounts, total, False


def _stale_accounts(account_ids: list[int], coverage) -> set[int]:
    """Those of `account_ids` with a contact whose latest answers the rollup may not hold yet."""
    if not account_ids or coverage.contacts == []:
        return set()
    return set(
        Contact.objects.filter(freshness.stale_contacts_q(coverage.contacts, "pk"), account_id__in=account_ids)
        .values_list("account_id", flat=True)
        .distinct()
    )
