"""Checking the rows of a contact import, on their own and against the stored contacts.

Rows with errors (bad e-mail, duplicates within the file, conflicts with other contacts, unknown
owner or language) are reported with the line they are on and skipped; the rest come back as
clean contact dicts for surveys.imports to write. Nothing here writes.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from surveys.account_rules import role_from_text
from surveys.addresses import address_problem, normalise
from surveys.import_file import ParsedFile, unknown_columns
from surveys.models import Account, Contact
from surveys.phones import PhoneError, normalise_phone

User = get_user_model()

TRUE, FALSE = {"yes", "y", "true", "1", "ja"}, {"no", "n", "false", "0", "nee", ""}
# Rows checked (and written) per round of lookups.
CHUNK = 1000
REPORT_LIMIT = 1000
LANGUAGES = {code for code, _name in settings.LANGUAGES}


@dataclass
class RowReport:
    valid: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"row": line, "errors": [...]}, the first REPORT_LIMIT
    error_count: int = 0
    unknown_columns: list[str] = field(default_factory=list)  # not a contact field: kept as segments

    def add_error(self, line: int, problems: list[str]) -> None:
        self.error_count += 1
        if len(self.errors) < REPORT_LIMIT:
            self.errors.append({"row": line, "errors": problems})

    def merge(self, other: "RowReport") -> None:
        for entry in other.errors:
            self.add_error(entry["row"], entry["errors"])
        self.error_count += other.error_count - len(other.errors)


@dataclass
class Seen:
    """Keys already met earlier in the file (across chunks): a second row with one is a duplicate."""

    emails: dict[str, int] = field(default_factory=dict)
    external_ids: dict[str, int] = field(default_factory=dict)


def owner_ids() -> dict[str, int]:
    """Active users by lower-case username and e-mail: who may be named as an account owner."""
    owners = {}
    for pk, username, email in User.objects.filter(is_active=True).values_list("pk", "username", "email"):
        owners[username.lower()] = pk
        if email:
            owners[email.lower()] = pk
    return owners


def account_ids(matching: str | None = None) -> dict[str, int | None]:
    """Accounts by lower-case external id and name, as a contact row may name them (a name two
    accounts share maps to None: ambiguous). `matching`: only those a row naming it may mean."""
    accounts = Account.objects.all()
    if matching is not None:
        accounts = accounts.filter(Q(external_id__iexact=matching) | Q(name__iexact=matching))
    found: dict[str, int | None] = {}
    for pk, external_id, name in accounts.values_list("pk", "external_id", "name"):
        if external_id:
            found[external_id.lower()] = pk
        key = name.strip().lower()
        found[key] = None if key in found and found[key] != pk else pk
    return found


MISSING, AMBIGUOUS = "missing", "ambiguous"


def find_account(text: str, accounts: dict | None = None) -> tuple[int | None, str]:
    """The account `text` names, by external id or exact name (case aside), as the contacts CSV,
    the API and the contact form name one: (its id, "") or (None, MISSING or AMBIGUOUS)."""
    text = text.strip()
    accounts = accounts if accounts is not None else account_ids(matching=text)
    account_id = accounts.get(text.lower(), MISSING)
    if account_id == MISSING:
        return None, MISSING
    return (None, AMBIGUOUS) if account_id is None else (account_id, "")


def _account(data: dict, accounts: dict | None, problems: list[str]) -> tuple[int | None, str | None]:
    """The row's account id and role (None: the cell was empty, keep what is stored)."""
    name, role_text = data.get("account", ""), data.get("account_role", "")
    account_id = None
    if name:
        account_id, problem = find_account(name, accounts)
        if problem == MISSING:
            problems.append(_("no account “%(account)s”: import the accounts first") % {"account": name[:80]})
        elif problem == AMBIGUOUS:
            problems.append(_("two accounts are named “%(account)s”: use its external id") % {"account": name[:80]})
    role = role_from_text(role_text) if role_text else None
    if role_text and role is None:
        problems.append(_("role must be decision maker, user or champion, not “%(role)s”") % {"role": role_text[:30]})
    return account_id, role


def _check_row(row, line, index, mapping, match_on, seen: Seen, owners, accounts=None) -> tuple[dict | None, list[str]]:
    data, attributes, problems = {}, {}, []
    if len(row) > len(index):
        problems.append(_("%(cells)s cells but only %(columns)s columns") % {"cells": len(row), "columns": len(index)})
    for header, target in mapping.items():
        value = row[index[header]].strip() if index[header] < len(row) else ""
        if target == "ignore":
            continue
        if target == "attribute":
            if value:
                attributes[header[:80]] = value[:200]
        else:
            data[target] = value
    email = normalise(data.get("email", ""))
    problem = address_problem(email)
    if problem:
        problems.append(problem)
    external_id = data.get("external_id", "")
    if len(external_id) > 100:
        problems.append(_("the external id is longer than 100 characters"))
    if match_on == "external_id" and not external_id:
        problems.append(_("no external id"))
    # Both keys are unique among contacts, so a repeat of either would collide.
    for key, known, problem in (
        (email, seen.emails, _("duplicate of line %(line)s (same e-mail)")),
        (external_id, seen.external_ids, _("duplicate of line %(line)s (same external id)")),
    ):
        if key and key in known:
            problems.append(problem % {"line": known[key]})
    language = data.get("language", "").lower()
    if language and language not in LANGUAGES:
        codes = sorted(LANGUAGES)
        known = _("%(first)s or %(last)s") % {"first": ", ".join(codes[:-1]), "last": codes[-1]}
        problems.append(
            _("language “%(language)s” is not %(languages)s") % {"language": language[:10], "languages": known}
        )
    try:  # stored in E.164 form, so a text message can reach it and the case page can call it
        phone = normalise_phone(data.get("phone", ""))
    except PhoneError as error:
        phone = ""
        problems.append(str(error))
    owner = data.get("account_owner", "")
    if owner and owner.lower() not in owners:
        problems.append(_("no active user “%(owner)s” to be the account owner") % {"owner": owner[:80]})
    account_id, role = _account(data, accounts, problems)
    opted = data.get("opted_out", "").lower()
    if "opted_out" in data and opted not in TRUE | FALSE:
        problems.append(_("opted out must be yes or no, not “%(value)s”") % {"value": opted[:10]})
    if problems:
        return None, problems
    seen.emails.setdefault(email, line)
    if external_id:
        seen.external_ids.setdefault(external_id, line)
    return {
        "line": line,
        "email": email,
        "name": data.get("name", "")[:200],
        "external_id": external_id or None,
        "company": data.get("company", "")[:200],
        "phone": phone,
        "language": language or None,
        "account_owner_id": owners.get(owner.lower()) if owner else None,
        "opted_out": (opted in TRUE) if "opted_out" in data else None,
        "account_id": account_id,
        "account_role": role,
        "attributes": attributes,
    }, []


def _conflicts(rows: list[dict], match_on: str) -> dict[int, str]:
    """Rows that would give a contact an e-mail address or external id another contact holds
    (both are unique): line → problem.

    Matching on e-mail, a row's external id must be free or the matched contact's own. Matching on
    external id, a row's address must be free or the matched contact's own; a contact with that
    address and no external id yet is taken over (it gets the id) when no other contact has the id.
    """
    if not rows:
        return {}
    by_email = {
        e: (pk, external_id)
        for pk, e, external_id in Contact.objects.annotate(e=Lower("email"))
        .filter(e__in=[r["email"] for r in rows], erased_at__isnull=True)
        .values_list("pk", "e", "external_id")
    }
    by_external_id = dict(
        Contact.objects.filter(external_id__in=[r["external_id"] for r in rows if r["external_id"]]).values_list(
            "external_id", "pk"
        )
    )
    problems = {}
    for row in rows:
        email_holder = by_email.get(row["email"])
        id_holder = by_external_id.get(row["external_id"]) if row["external_id"] else None
        if match_on == "email":
            if id_holder is not None and (email_holder is None or email_holder[0] != id_holder):
                problems[row["line"]] = _("external id “%(id)s” belongs to another contact") % {
                    "id": row["external_id"][:40]
                }
        elif (
            email_holder is not None
            and email_holder[0] != id_holder
            and (id_holder is not None or email_holder[1] is not None)
        ):
            problems[row["line"]] = _("the e-mail address belongs to another contact (with another external id)")
    return problems


def validate_rows(
    parsed: ParsedFile,
    mapping,
    match_on,
    *,
    start: int = 0,
    stop: int | None = None,
    seen: Seen | None = None,
    owners: dict | None = None,
    accounts: dict | None = None,
) -> RowReport:
    """Check rows [start:stop] of the file, on their own and against the stored contacts.

    Valid rows come back as clean contact dicts; errors name the row's line in the file."""
    owners = owners if owners is not None else owner_ids()
    seen = seen if seen is not None else Seen()
    index = {h: i for i, h in enumerate(parsed.headers)}
    report = RowReport()
    stop = len(parsed.rows) if stop is None else stop
    for row, line in zip(parsed.rows[start:stop], parsed.lines[start:stop]):
        clean, problems = _check_row(row, line, index, mapping, match_on, seen, owners, accounts)
        if problems:
            report.add_error(line, problems)
        else:
            report.valid.append(clean)
    conflicts = _conflicts(report.valid, match_on)
    if conflicts:
        report.valid = [r for r in report.valid if r["line"] not in conflicts]
        for line, problem in sorted(conflicts.items()):
            report.add_error(line, [problem])
        report.errors.sort(key=lambda e: e["row"])
    return report


def validate_file(parsed: ParsedFile, mapping, match_on) -> RowReport:
    """The dry run over the whole file, a chunk at a time (each chunk is one round of lookups)."""
    owners, seen, report = owner_ids(), Seen(), RowReport()
    accounts = account_ids() if "account" in mapping.values() else {}
    for start in range(0, len(parsed.rows), CHUNK):
        part = validate_rows(
            parsed, mapping, match_on, start=start, stop=start + CHUNK, seen=seen, owners=owners, accounts=accounts
        )
        report.valid.extend(part.valid)
        report.merge(part)
    report.unknown_columns = unknown_columns(mapping)
    return report


def check_cells(rows, *, match_on: str, report: RowReport) -> list[dict]:
    """Check rows that come from elsewhere than a file: (line, headers, mapping, cells) each, the
    cells as a file row would hold them. Problems go to `report`; returns the clean rows."""
    owners, seen, valid, accounts = owner_ids(), Seen(), [], None
    for line, headers, mapping, cells in rows:
        index = {header: i for i, header in enumerate(headers)}
        if accounts is None and any(cells[index[h]] for h, t in mapping.items() if t == "account"):
            accounts = account_ids()
        clean, problems = _check_row(cells, line, index, mapping, match_on, seen, owners, accounts)
        if problems:
            report.add_error(line, problems)
        else:
            valid.append(clean)
    conflicts = _conflicts(valid, match_on)
    for line, problem in conflicts.items():
        report.add_error(line, [problem])
    return [row for row in valid if row["line"] not in conflicts]
