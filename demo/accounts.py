"""The demo's customer accounts (#24): about 150 companies with ARR, account managers, teams,
renewal dates and segments; most contacts belong to one (a decision maker first, then users and a
champion now and then), the rest keep only their free-text company so the proposals page has
something to propose; a few accounts have no contacts yet, so they are silent. Some accounts
churned, more often those whose customers were unhappy, so the churn report shows the link.
Health and today's revenue figures are counted as the worker does."""

from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from demo.chance import weighted
from surveys.account_health import account_health_refresh
from surveys.models import Account, Contact

PREFIXES = ["Noord", "Zuid", "Oost", "West", "Polder", "Delta", "Haven", "Duin", "Rijn", "Maas", "Eem", "Vecht"]
TRADES = ["Logistiek", "Bouw", "Zorg", "Retail", "Media", "Energie", "Techniek", "Finance", "Foods", "Mobility"]
FORMS = ["BV", "Groep", "& Co", "Holding", "NV"]
ARR_BANDS = [((2_000, 20_000), 0.55), ((20_000, 100_000), 0.33), ((100_000, 450_000), 0.12)]
CHURN_CHANCE = {"detractor": 0.4, "at_risk": 0.45, "passive": 0.15, "promoter": 0.05, "silent": 0.12}


def _segment(arr: int) -> str:
    return "Enterprise" if arr >= 100_000 else "Mid-market" if arr >= 20_000 else "SMB"


def make_accounts(rng, people, *, count: int = 150) -> list[Account]:
    """Accounts for the demo's contacts (at most one for every three contacts)."""
    contacts = list(Contact.objects.filter(account__isnull=True).order_by("pk"))
    count = min(count, len(contacts) // 3)
    if count == 0:
        return []
    today = timezone.localdate()
    managers = [people["lena"], people["mila"], people["agent"], people["joris"]]
    teams = {people["lena"].pk: "success", people["mila"].pk: "success", people["agent"].pk: "success"}
    names = set()
    accounts = []
    for number in range(count):
        for _attempt in range(50):  # 600 names to draw from: a free one comes quickly
            name = f"{rng.choice(PREFIXES)} {rng.choice(TRADES)} {rng.choice(FORMS)}"
            if name not in names:
                break
        else:
            name = f"{name} {number}"
        names.add(name)
        low, high = weighted(rng, ARR_BANDS)
        arr = round(rng.randint(low, high), -2)
        owner = rng.choice(managers)
        accounts.append(
            Account(
                name=name,
                external_id=f"ACC-{5000 + number}",
                segment=_segment(arr),
                attributes={"industry": name.split()[1].lower()},
                arr=arr,
                currency="EUR",
                owner=owner,
                team=people[teams.get(owner.pk, "support")],
                renewal_date=today + timedelta(days=rng.randint(-20, 380)),
            )
        )
    Account.objects.bulk_create(accounts)
    members = rng.sample(contacts, k=min(len(contacts), round(len(contacts) * 0.8)))
    # One account in fifteen has no contact in Kringloop yet (known from the CRM only): silent.
    silent = set(rng.sample(range(count), k=count // 15))
    surveyed = [account for number, account in enumerate(accounts) if number not in silent]
    for index, contact in enumerate(members):
        account = surveyed[index % len(surveyed)] if index < len(surveyed) else rng.choice(surveyed)
        contact.account, contact.company = account, account.name
        contact.account_role = "decision_maker" if index < len(surveyed) else weighted(rng, ROLES)
    Contact.objects.bulk_update(members, ["account", "company", "account_role"], batch_size=1000)
    account_health_refresh()
    _churn(rng, today)
    # The revenue trend: each past month's figures as the worker would have stored them then
    # (over today's active accounts), then today's.
    now = timezone.now()
    for months_ago in range(11, 0, -1):
        account_health_refresh(now=now - relativedelta(months=months_ago))
    account_health_refresh(now=now)
    return accounts


ROLES = [("user", 0.6), ("decision_maker", 0.15), ("champion", 0.15), ("", 0.1)]


def _churn(rng, today) -> None:
    """Some accounts left in the last year, more often the unhappy ones."""
    churned = []
    for account in Account.objects.order_by("pk"):
        if rng.random() < CHURN_CHANCE.get(account.health, 0.1):
            account.status, account.churned_at = Account.Status.CHURNED, today - timedelta(days=rng.randint(5, 330))
            account.churn_reason = rng.choice(["Price", "Moved to a competitor", "Budget cut", "Product gaps", ""])
            churned.append(account)
    Account.objects.bulk_update(churned, ["status", "churned_at", "churn_reason"])
