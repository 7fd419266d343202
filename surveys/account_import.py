"""Bulk upsert of accounts on their external id: the accounts CSV (staff page) and the API's
upsert both come here, so both store the same things the same way (#24).

Each row is checked on its own: a bad row is reported with its line (or position) and skipped, the
others are stored. A field left empty keeps what is stored; attributes are merged. A row whose
status is "churned" records the churn through surveys.accounts.account_churn (the audit entry and
the `account.churned` webhook, once); "active" on a churned account makes it active again.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.models import Team
from surveys.accounts import account_churn, account_reactivate
from surveys.import_checks import owner_ids
from surveys.import_file import ImportFileError, parse_file
from surveys.models import Account

MAX_ROWS = 10_000
COLUMNS = {  # CSV header (lower case) → field
    "external_id": "external_id",
    "external id": "external_id",
    "id": "external_id",
    "account id": "external_id",
    "name": "name",
    "account": "name",
    "company": "name",
    "naam": "name",
    "segment": "segment",
    "arr": "arr",
    "annual revenue": "arr",
    "currency": "currency",
    "valuta": "currency",
    "owner": "owner",
    "account owner": "owner",
    "account manager": "owner",
    "accountmanager": "owner",
    "team": "team",
    "renewal_date": "renewal_date",
    "renewal date": "renewal_date",
    "renewal": "renewal_date",
    "status": "status",
    "churned_at": "churned_at",
    "churned at": "churned_at",
    "churn date": "churned_at",
    "churn_reason": "churn_reason",
    "churn reason": "churn_reason",
}
STATUS_WORDS = {"active": "active", "actief": "active", "churned": "churned", "opgezegd": "churned", "": ""}


@dataclass
class AccountUpsertResult:
    created: int = 0
    updated: int = 0
    churned: int = 0
    errors: list[dict] = field(default_factory=list)  # {"row": n, "errors": [...]}


def _date(value, name: str, problems: list[str]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(
            _("%(field)s must be a date like 2027-03-31, not “%(value)s”") % {"field": name, "value": str(value)[:20]}
        )
        return None


def check_row(row: dict, *, owners: dict, teams: dict) -> tuple[dict, list[str]]:
    """A row of plain values (strings from a file, or typed from the API) → (clean values, problems)."""
    problems, clean = [], {}
    external_id = str(row.get("external_id") or "").strip()
    if not external_id:
        problems.append(_("no external id"))
    elif len(external_id) > 100:
        problems.append(_("the external id is longer than 100 characters"))
    clean["external_id"] = external_id
    for name, limit in (("name", 200), ("segment", 80), ("churn_reason", 300)):
        value = str(row.get(name) or "").strip()
        if len(value) > limit:
            problems.append(_("%(field)s is longer than %(max)s characters") % {"field": name, "max": limit})
        clean[name] = value
    arr = row.get("arr")
    if arr not in (None, ""):
        text = str(arr).strip().replace(" ", "").replace("_", "")
        try:
            clean["arr"] = int(text) if isinstance(arr, int) else int(round(float(text)))
            if clean["arr"] < 0 or clean["arr"] >= 2**62:
                raise ValueError
        except ValueError:
            problems.append(_("ARR must be a whole amount of 0 or more, not “%(value)s”") % {"value": str(arr)[:20]})
    currency = str(row.get("currency") or "").strip().upper()
    if currency and (len(currency) != 3 or not currency.isalpha()):
        problems.append(_("currency must be a three-letter code like EUR, not “%(value)s”") % {"value": currency[:10]})
    clean["currency"] = currency
    owner = str(row.get("owner") or "").strip()
    if owner and owner.lower() not in owners:
        problems.append(_("no active user “%(owner)s” to be the account manager") % {"owner": owner[:80]})
    clean["owner_id"] = owners.get(owner.lower()) if owner else None
    team = str(row.get("team") or "").strip()
    if team and team.lower() not in teams:
        problems.append(_("no team “%(team)s”") % {"team": team[:80]})
    clean["team_id"] = teams.get(team.lower()) if team else None
    clean["renewal_date"] = _date(row.get("renewal_date"), "renewal_date", problems)
    status = STATUS_WORDS.get(str(row.get("status") or "").strip().lower())
    if status is None:
        problems.append(_("status must be active or churned, not “%(value)s”") % {"value": str(row.get("status"))[:20]})
    clean["status"] = status or ""
    clean["churned_at"] = _date(row.get("churned_at"), "churned_at", problems)
    if clean["churned_at"] and clean["churned_at"] > timezone.localdate():
        problems.append(_("A churn date cannot be in the future."))
    clean["attributes"] = {
        str(k)[:80]: str(v)[:200] for k, v in (row.get("attributes") or {}).items() if str(v).strip()
    }
    return clean, problems


def accounts_upsert(*, rows: list[tuple[int, dict]], actor, via: str) -> AccountUpsertResult:
    """Create or update accounts keyed by external id. `rows`: (line or position, plain values)."""
    result = AccountUpsertResult()
    owners = owner_ids()
    teams = {name.lower(): pk for pk, name in Team.objects.values_list("pk", "name")}
    seen: dict[str, int] = {}
    valid = []
    for line, row in rows:
        clean, problems = check_row(row, owners=owners, teams=teams)
        if clean["external_id"] in seen:
            problems.append(_("duplicate of line %(line)s (same external id)") % {"line": seen[clean["external_id"]]})
        if problems:
            result.errors.append({"row": line, "errors": problems})
            continue
        seen[clean["external_id"]] = line
        valid.append((line, clean))
    existing = {a.external_id: a for a in Account.objects.filter(external_id__in=[c["external_id"] for _l, c in valid])}
    for line, clean in valid:
        account = existing.get(clean["external_id"])
        if account is None and not clean["name"]:
            result.errors.append({"row": line, "errors": [_("a new account needs a name")]})
            continue
        with transaction.atomic():
            created = account is None
            account = _write(account or Account(external_id=clean["external_id"]), clean)
            if clean["status"] == Account.Status.CHURNED and account.status != Account.Status.CHURNED:
                result.churned += account_churn(
                    account=account, actor=actor, on=clean["churned_at"], reason=clean["churn_reason"], via=via
                )
            elif clean["status"] == Account.Status.ACTIVE and account.status == Account.Status.CHURNED:
                account_reactivate(account=account, actor=actor)
        if created:
            result.created += 1
        else:
            result.updated += 1
    audit_log(
        actor=actor,
        action="accounts.upserted",
        data={"created": result.created, "updated": result.updated, "errors": len(result.errors), "via": via},
    )
    return result


def _write(account: Account, clean: dict) -> Account:
    for name in ("name", "segment", "currency"):
        if clean[name]:  # an empty cell keeps what is stored
            setattr(account, name, clean[name])
    for name in ("arr", "owner_id", "team_id", "renewal_date"):
        if clean.get(name) is not None:
            setattr(account, name, clean[name])
    account.attributes = {**(account.attributes or {}), **clean["attributes"]}
    account.save()
    return account


def import_accounts_file(*, raw: bytes, actor) -> AccountUpsertResult:
    """The accounts CSV: a header row naming the columns (COLUMNS; any other column becomes a
    segment attribute), at most MAX_ROWS rows. Raises ImportFileError when the file cannot be read."""
    parsed = parse_file(raw)
    if len(parsed.rows) > MAX_ROWS:
        raise ImportFileError(_("At most %(max)s accounts per file; split it into parts.") % {"max": MAX_ROWS})
    targets = {header: COLUMNS.get(header.strip().lower()) for header in parsed.headers}
    if "external_id" not in targets.values():
        raise ImportFileError(_("Name one column external_id: accounts are matched on their external id."))
    rows = []
    for cells, line in zip(parsed.rows, parsed.lines):
        row, attributes = {}, {}
        for index, header in enumerate(parsed.headers):
            value = cells[index].strip() if index < len(cells) else ""
            if targets[header]:
                row[targets[header]] = value
            elif value:
                attributes[header] = value
        row["attributes"] = attributes
        rows.append((line, row))
    return accounts_upsert(rows=rows, actor=actor, via="csv")
