"""CSV contact import: read and check the file, map its columns, validate every row, then upsert in
chunks in the background.

A file that cannot be read (empty, not UTF-8, binary, no header row, duplicate column names, too
large) is refused before anything is stored. Rows with errors (bad e-mail, duplicates within the
file, conflicts with other contacts, unknown owner or language) are skipped and reported; the
rest are imported. Cells are stored as the text they are: formula-looking values (=, +, -, @) are
neutralised where they leave the product, in the exports.
"""

import csv
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, OperationalError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit_log
from surveys.models import Contact, ContactImport, ContactList

User = get_user_model()

FIELDS = {
    "email": gettext_lazy("E-mail"),
    "name": gettext_lazy("Name"),
    "external_id": gettext_lazy("External id"),
    "company": gettext_lazy("Company"),
    "phone": gettext_lazy("Phone"),
    "language": gettext_lazy("Language (en/nl)"),
    "account_owner": gettext_lazy("Account owner (username or e-mail)"),
    "opted_out": gettext_lazy("Opted out (yes/no)"),
    "attribute": gettext_lazy("Segment attribute"),
    "ignore": gettext_lazy("Ignore"),
}
GUESSES = {
    "email": "email",
    "e-mail": "email",
    "mail": "email",
    "email address": "email",
    "name": "name",
    "full name": "name",
    "naam": "name",
    "external_id": "external_id",
    "external id": "external_id",
    "id": "external_id",
    "customer id": "external_id",
    "company": "company",
    "account": "company",
    "bedrijf": "company",
    "phone": "phone",
    "telephone": "phone",
    "phone number": "phone",
    "mobile": "phone",
    "tel": "phone",
    "telefoon": "phone",
    "telefoonnummer": "phone",
    "mobiel": "phone",
    "language": "language",
    "taal": "language",
    "lang": "language",
    "account_owner": "account_owner",
    "owner": "account_owner",
    "account owner": "account_owner",
    "opted_out": "opted_out",
    "opted out": "opted_out",
    "unsubscribed": "opted_out",
}
TRUE, FALSE = {"yes", "y", "true", "1", "ja"}, {"no", "n", "false", "0", "nee", ""}
CHUNK = 1000
REPORT_LIMIT = 1000
LANGUAGES = {code for code, _name in settings.LANGUAGES}


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why."""


def max_bytes() -> int:
    return settings.CONTACT_IMPORT_MAX_BYTES


def too_large_message() -> str:
    return _("The file is larger than %(size)s MB; split it into parts and import each.") % {
        "size": max_bytes() // (1024 * 1024)
    }


def _decode(raw: bytes) -> str:
    if not raw.strip():
        raise ImportFileError(_("The file is empty."))
    if b"\x00" in raw[:4096]:
        raise ImportFileError(_("This is not a CSV text file (it contains binary data). Export it as CSV UTF-8."))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            _(
                "The file is not UTF-8 text (a byte at position %(position)s cannot be read). "
                "Save it as “CSV UTF-8” and upload it again."
            )
            % {"position": error.start}
        ) from None


def _reader(text: str):
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO(text, newline=""), dialect)


@dataclass
class ParsedFile:
    headers: list[str]
    rows: list[list[str]]
    lines: list[int]  # the file line each row starts on, for the report


def _looks_like_email(value: str) -> bool:
    try:
        validate_email(value.strip())
    except ValidationError:
        return False
    return True


def parse_file(raw: bytes) -> ParsedFile:
    if len(raw) > max_bytes():
        raise ImportFileError(too_large_message())
    reader = _reader(_decode(raw))
    rows, lines, line = [], [], 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):  # blank lines are not contacts
                rows.append(row)
                lines.append(line)
            line = reader.line_num + 1
    except csv.Error as error:
        raise ImportFileError(
            _("The file is not valid CSV (line %(line)s): %(error)s.") % {"line": reader.line_num, "error": error}
        ) from None
    if not rows:
        raise ImportFileError(_("The file is empty."))
    headers = [h.strip() for h in rows[0]]
    if any(_looks_like_email(h) for h in headers):
        example = next(h for h in headers if _looks_like_email(h))
        raise ImportFileError(
            _(
                "The first row holds a contact (“%(example)s”), not column names: the header row is missing. "
                "Add a first row naming the columns, for example email,name,company."
            )
            % {"example": example[:80]}
        )
    if any(not h for h in headers):
        raise ImportFileError(_("The first row must name every column (a header row); some names are empty."))
    lowered = [h.lower() for h in headers]
    duplicates = sorted({h for h in headers if lowered.count(h.lower()) > 1})
    if duplicates:
        raise ImportFileError(
            _("Column names must be unique; these appear twice: %(columns)s.") % {"columns": ", ".join(duplicates)}
        )
    if len(rows) < 2:
        raise ImportFileError(_("The file has a header row but no contacts."))
    return ParsedFile(headers=headers, rows=rows[1:], lines=lines[1:])


def guess_mapping(headers: list[str]) -> dict[str, str]:
    return {h: GUESSES.get(h.strip().lower(), "attribute") for h in headers}


def check_mapping(mapping: dict[str, str], match_on: str) -> None:
    targets = [t for t in mapping.values() if t not in ("attribute", "ignore")]
    for target in set(targets):
        if targets.count(target) > 1:
            raise ImportFileError(
                _("Two columns are mapped to %(field)s; map each field once.") % {"field": FIELDS[target]}
            )
    if match_on not in ("email", "external_id"):
        raise ImportFileError(_("Match contacts on e-mail or on external id."))
    if "email" not in targets:
        raise ImportFileError(_("Map one column to E-mail: every contact needs an address."))
    if match_on == "external_id" and "external_id" not in targets:
        raise ImportFileError(_("To match on external id, map a column to External id."))


def unknown_columns(mapping: dict[str, str]) -> list[str]:
    """Columns whose name is not a contact field we know: they become segment attributes."""
    return [h for h, target in mapping.items() if target == "attribute" and h.strip().lower() not in GUESSES]


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


def _owners() -> dict[str, int]:
    owners = {}
    for pk, username, email in User.objects.filter(is_active=True).values_list("pk", "username", "email"):
        owners[username.lower()] = pk
        if email:
            owners[email.lower()] = pk
    return owners


def _check_row(row, line, index, mapping, match_on, seen: Seen, owners) -> tuple[dict | None, list[str]]:
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
    email = data.get("email", "").lower()
    if len(email) > 254 or not _looks_like_email(email):
        problems.append(_("“%(email)s” is not a valid e-mail address") % {"email": email[:80] or _("(empty)")})
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
    owner = data.get("account_owner", "")
    if owner and owner.lower() not in owners:
        problems.append(_("no active user “%(owner)s” to be the account owner") % {"owner": owner[:80]})
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
        "phone": data.get("phone", "")[:40],
        "language": language or None,
        "account_owner_id": owners.get(owner.lower()) if owner else None,
        "opted_out": (opted in TRUE) if "opted_out" in data else None,
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
) -> RowReport:
    """Check rows [start:stop] of the file, on their own and against the stored contacts.

    Valid rows come back as clean contact dicts; errors name the row's line in the file."""
    owners = owners if owners is not None else _owners()
    seen = seen if seen is not None else Seen()
    index = {h: i for i, h in enumerate(parsed.headers)}
    report = RowReport()
    stop = len(parsed.rows) if stop is None else stop
    for row, line in zip(parsed.rows[start:stop], parsed.lines[start:stop]):
        clean, problems = _check_row(row, line, index, mapping, match_on, seen, owners)
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
    owners, seen, report = _owners(), Seen(), RowReport()
    for start in range(0, len(parsed.rows), CHUNK):
        part = validate_rows(parsed, mapping, match_on, start=start, stop=start + CHUNK, seen=seen, owners=owners)
        report.valid.extend(part.valid)
        report.merge(part)
    report.unknown_columns = unknown_columns(mapping)
    return report


def import_prepare(*, import_record: ContactImport, mapping: dict, match_on: str) -> RowReport:
    """Check the mapping and every row (a dry run) and remember the choices. Writes no contacts."""
    parsed = parse_file(import_record.file.open("rb").read())
    unknown = set(mapping) - set(parsed.headers)
    if unknown:
        raise ImportFileError(
            _("Unknown columns in the mapping: %(columns)s.") % {"columns": ", ".join(sorted(unknown))}
        )
    check_mapping(mapping, match_on)
    report = validate_file(parsed, mapping, match_on)
    with transaction.atomic():
        import_record.mapping, import_record.match_on = mapping, match_on
        import_record.total_rows = len(parsed.rows)
        import_record.error_count = report.error_count
        import_record.report = report.errors
        import_record.status = ContactImport.Status.MAPPED
        import_record.save()
    return report


def import_confirm(*, import_record: ContactImport, actor, list_name: str = "") -> None:
    """Mark a checked import as running, with a new target list if named, and queue the
    background task (after commit). Confirming twice starts it once."""
    from core.queue import enqueue_on_commit

    with transaction.atomic():
        record = ContactImport.objects.select_for_update().get(pk=import_record.pk)
        if record.status != ContactImport.Status.MAPPED:
            return
        record.status = ContactImport.Status.RUNNING
        record.target_list = ContactList.objects.create(name=list_name[:200]) if list_name else None
        record.save(update_fields=["status", "target_list"])
        audit_log(
            actor=actor,
            action="contacts.import_started",
            target=record,
            data={"rows": record.total_rows, "match_on": record.match_on, "list": record.target_list_id},
        )
        enqueue_on_commit("surveys.tasks_import.run_contact_import", record.pk)
    import_record.status, import_record.target_list = record.status, record.target_list


def _apply(contact: Contact, row: dict, now) -> None:
    contact.email = row["email"]
    for name in ("name", "company", "phone"):
        if row.get(name):  # an empty cell keeps what we have (rows checked before "phone" existed lack it)
            setattr(contact, name, row[name])
    if row["external_id"]:
        contact.external_id = row["external_id"]
    if row["language"]:
        contact.language = row["language"]
    if row["account_owner_id"]:
        contact.account_owner_id = row["account_owner_id"]
    # "yes" opts the contact out; "no" never opts anyone back in: a CRM export saying "no" must not
    # undo an unsubscribe the contact made here.
    if row["opted_out"] is True and contact.opted_out_at is None:
        contact.opted_out_at = now
    contact.attributes = {**(contact.attributes or {}), **row["attributes"]}
    contact.updated_at = now


UPDATED_FIELDS = [
    "email",
    "name",
    "company",
    "phone",
    "external_id",
    "language",
    "account_owner_id",
    "opted_out_at",
    "attributes",
    "updated_at",
]


def _upsert(rows: list[dict], match_on: str, target_list_id: int | None) -> tuple[int, int]:
    """Create or update the contacts of one chunk of valid rows: a few queries for the whole chunk."""
    now = timezone.now()
    by_email = {
        c.e: c
        for c in Contact.objects.annotate(e=Lower("email")).filter(
            e__in=[r["email"] for r in rows], erased_at__isnull=True
        )
    }
    if match_on == "email":
        existing = by_email
    else:
        existing = {c.external_id: c for c in Contact.objects.filter(external_id__in=[r["external_id"] for r in rows])}
    new, changed = [], []
    for row in rows:
        if match_on == "email":
            contact = existing.get(row["email"])
        else:  # the contact with this id, else one with this address and no id yet
            contact = existing.get(row["external_id"])
            if (
                contact is None
                and by_email.get(row["email"]) is not None
                and by_email[row["email"]].external_id is None
            ):
                contact = by_email[row["email"]]
        if contact is None:
            contact = Contact(email=row["email"], attributes={})
            new.append(contact)
        else:
            changed.append(contact)
        _apply(contact, row, now)
    Contact.objects.bulk_create(new, batch_size=CHUNK)
    Contact.objects.bulk_update(changed, UPDATED_FIELDS, batch_size=CHUNK)
    if target_list_id:
        through = ContactList.contacts.through
        through.objects.bulk_create(
            [through(contactlist_id=target_list_id, contact_id=c.pk) for c in new + changed],
            ignore_conflicts=True,
            batch_size=CHUNK,
        )
    return len(new), len(changed)


def _upsert_chunk(rows: list[dict], record: ContactImport, report: RowReport) -> tuple[int, int]:
    """One chunk in one transaction. If a contact changed since the check and a row now collides
    (a unique e-mail or external id), the chunk is redone row by row so only that row is skipped."""
    try:
        with transaction.atomic():
            return _upsert(rows, record.match_on, record.target_list_id)
    except IntegrityError:
        created = updated = 0
        for row in rows:
            try:
                with transaction.atomic():
                    c, u = _upsert([row], record.match_on, record.target_list_id)
            except IntegrityError:
                report.add_error(row["line"], [_("conflicts with another contact's e-mail or external id")])
            else:
                created, updated = created + c, updated + u
        return created, updated


def upsert_rows(rows, *, match_on: str, report: RowReport) -> tuple[int, int]:
    """Check and write contact rows that come from elsewhere than a file (the API's upsert), with
    the file import's row checks and chunk writer, so both store the same things the same way.

    `rows`: (line, headers, mapping, cells) each, the cells as a file row would hold them. Errors go
    to `report` (sorted by line); the valid rows are written in one transaction, and a row that
    collides with a change made meanwhile is reported and skipped. Returns (created, updated)."""
    owners, seen, valid = _owners(), Seen(), []
    for line, headers, mapping, cells in rows:
        index = {header: i for i, header in enumerate(headers)}
        clean, problems = _check_row(cells, line, index, mapping, match_on, seen, owners)
        if problems:
            report.add_error(line, problems)
        else:
            valid.append(clean)
    conflicts = _conflicts(valid, match_on)
    for line, problem in conflicts.items():
        report.add_error(line, [problem])
    valid = [row for row in valid if row["line"] not in conflicts]
    created, updated = _upsert_chunk(valid, ContactImport(match_on=match_on), report) if valid else (0, 0)
    report.errors.sort(key=lambda entry: entry["row"])
    return created, updated


def import_run(*, import_id: int) -> ContactImport:
    """Import the valid rows in chunks, updating progress after each. Rows are checked again (the
    contacts may have changed since the dry run), so the final report is what happened.

    Safe to run twice: a finished import is left alone, and an interrupted one starts again from the
    top, which only upserts what it already wrote."""
    with transaction.atomic():
        record = ContactImport.objects.select_for_update().get(pk=import_id)
        if (
            record.status not in (ContactImport.Status.MAPPED, ContactImport.Status.RUNNING)
            or record.finished_at is not None
        ):
            return record
        record.status = ContactImport.Status.RUNNING
        record.processed_rows = record.created_count = record.updated_count = 0
        record.save(update_fields=["status", "processed_rows", "created_count", "updated_count"])
    try:
        parsed = parse_file(record.file.open("rb").read())
        owners, seen, report = _owners(), Seen(), RowReport()
        created = updated = 0
        for start in range(0, len(parsed.rows), CHUNK):
            part = validate_rows(
                parsed, record.mapping, record.match_on, start=start, stop=start + CHUNK, seen=seen, owners=owners
            )
            report.merge(part)
            c, u = _upsert_chunk(part.valid, record, report)
            created, updated = created + c, updated + u
            ContactImport.objects.filter(pk=import_id).update(
                processed_rows=min(start + CHUNK, len(parsed.rows)), created_count=created, updated_count=updated
            )
    except OperationalError:
        raise  # the database went away: the task retries, and the run starts again from the top
    except (ImportFileError, FileNotFoundError) as error:
        ContactImport.objects.filter(pk=import_id).update(
            status=ContactImport.Status.FAILED, error=str(error), finished_at=timezone.now()
        )
        raise ImportFileError(str(error)) from None
    except Exception:
        ContactImport.objects.filter(pk=import_id).update(
            status=ContactImport.Status.FAILED,
            finished_at=timezone.now(),
            error=_("An unexpected error stopped the import; the contacts imported so far are kept."),
        )
        raise
    report.errors.sort(key=lambda e: e["row"])
    ContactImport.objects.filter(pk=import_id).update(
        status=ContactImport.Status.DONE,
        finished_at=timezone.now(),
        total_rows=len(parsed.rows),
        error_count=report.error_count,
        report=report.errors,
    )
    record.refresh_from_db()
    audit_log(
        actor=record.created_by,
        action="contacts.imported",
        target=record,
        data={"created": created, "updated": updated, "errors": record.error_count, "list": record.target_list_id},
    )
    return record
