"""Accounts proposed from contacts' free-text `company` (#24), for an admin to confirm.

Nothing is merged without an admin: each distinct company (spellings that differ only in case and
spaces count as one) becomes one pending proposal; names that merely look alike ("Acme B.V." and
"Acme BV", by rapidfuzz's token-sort ratio on the names without punctuation) are only *listed*
beside each other as possible duplicates. Confirming creates the account and puts in it the
contacts without an account whose company is one of the proposal's spellings, plus those of the
look-alike proposals the admin ticked; rejecting keeps the company out of later proposals.

`group_companies` and `look_alikes` are pure (the migration that made the first proposals uses
them too); the rest writes.
"""

from collections import Counter, defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process, utils

from core.audit import audit_log
from surveys.models import Account, AccountProposal, Contact

LOOK_ALIKE = 88  # rapidfuzz token-sort ratio (0–100) from which two names are listed as possible duplicates
MAX_SIMILAR = 5


def company_key(company: str) -> str:
    """Spellings with this key are one company: case and runs of spaces do not count."""
    return " ".join(company.split()).casefold()


def group_companies(counts: dict[str, int]) -> list[dict]:
    """{company text: contacts} → [{"name", "companies", "contact_count"}], the most common
    spelling as name, largest first."""
    groups: dict[str, Counter] = defaultdict(Counter)
    for company, n in counts.items():
        if company.strip():
            groups[company_key(company)][company] += n
    found = [
        {
            "name": " ".join(spellings.most_common(1)[0][0].split()),
            "companies": sorted(spellings),
            "contact_count": sum(spellings.values()),
        }
        for spellings in groups.values()
    ]
    return sorted(found, key=lambda g: (-g["contact_count"], g["name"].casefold()))


def look_alikes(names: list[str]) -> dict[int, list[tuple[int, int]]]:
    """Index → [(other index, score)] for the names that look alike (LOOK_ALIKE and up), best first."""
    if len(names) < 2:
        return {}
    matrix = process.cdist(
        names, names, scorer=fuzz.token_sort_ratio, processor=utils.default_process, score_cutoff=LOOK_ALIKE
    )
    found = defaultdict(list)
    for i, row in enumerate(matrix):
        for j, score in enumerate(row):
            if i != j and score >= LOOK_ALIKE:
                found[i].append((j, int(score)))
    return {i: sorted(pairs, key=lambda p: -p[1])[:MAX_SIMILAR] for i, pairs in found.items()}


def proposals_refresh(*, actor=None) -> int:
    """Propose again from the contacts without an account: the pending proposals are replaced;
    confirmed and rejected companies are not proposed again. Returns the number pending."""
    decided = {
        company_key(company)
        for companies in AccountProposal.objects.exclude(status=AccountProposal.Status.PENDING).values_list(
            "companies", flat=True
        )
        for company in companies
    }
    counts = dict(
        Contact.objects.filter(account__isnull=True, erased_at__isnull=True)
        .exclude(company="")
        .values_list("company")
        .annotate(n=Count("pk"))
        .order_by()
    )
    groups = [g for g in group_companies(counts) if company_key(g["name"]) not in decided]
    with transaction.atomic():
        AccountProposal.objects.filter(status=AccountProposal.Status.PENDING).delete()
        made = AccountProposal.objects.bulk_create(
            [
                AccountProposal(name=g["name"][:200], companies=g["companies"], contact_count=g["contact_count"])
                for g in groups
            ]
        )
        similar = look_alikes([p.name for p in made])
        for index, pairs in similar.items():
            made[index].similar = [{"id": made[j].pk, "name": made[j].name, "score": score} for j, score in pairs]
        AccountProposal.objects.bulk_update([made[i] for i in similar], ["similar"])
        audit_log(actor=actor, action="account_proposals.refreshed", data={"pending": len(made)})
    return len(made)


def proposal_confirm(*, proposal: AccountProposal, actor, name: str = "", merge: list[int] = ()) -> Account:
    """Create the account of `proposal` (named `name`, else the proposal's) with the contacts of its
    companies and of the look-alike proposals in `merge` (explicitly chosen), all without an account."""
    with transaction.atomic():
        chosen = list(
            AccountProposal.objects.select_for_update()
            .filter(pk__in=[proposal.pk, *merge], status=AccountProposal.Status.PENDING)
            .order_by("pk")
        )
        if proposal.pk not in {p.pk for p in chosen}:
            raise ValidationError(_("This proposal was already decided."))
        account = Account.objects.create(name=(name.strip() or proposal.name)[:200])
        companies = [company for p in chosen for company in p.companies]
        moved = Contact.objects.filter(account__isnull=True, company__in=companies).update(
            account=account, updated_at=timezone.now()
        )
        now = timezone.now()
        AccountProposal.objects.filter(pk__in=[p.pk for p in chosen]).update(
            status=AccountProposal.Status.CONFIRMED, account=account, decided_by=actor, decided_at=now
        )
        audit_log(
            actor=actor,
            action="account_proposal.confirmed",
            target=account,
            data={"proposals": [p.pk for p in chosen], "companies": companies, "contacts": moved},
        )
    return account


def proposal_reject(*, proposal: AccountProposal, actor) -> bool:
    with transaction.atomic():
        changed = AccountProposal.objects.filter(pk=proposal.pk, status=AccountProposal.Status.PENDING).update(
            status=AccountProposal.Status.REJECTED, decided_by=actor, decided_at=timezone.now()
        )
        if changed:
            audit_log(actor=actor, action="account_proposal.rejected", target=proposal)
    return bool(changed)
