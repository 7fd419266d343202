"""CSV contact import: read and check the file, map its columns, validate every row, then upsert in
chunks in the background. A file that cannot be read changes nothing; rows with errors are
skipped and reported, the rest imported."""

import csv
import io
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from core.audit import audit_log
from surveys.models import Contact, ContactImport, ContactList

User = get_user_model()

FIELDS = {
    "email": "E-mail", "name": "Name", "external_id": "External id", "company": "Company",
    "language": "Language (en/nl)", "account_owner": "Account owner (username or e-mail)",
    "opted_out": "Opted out (yes/no)", "attribute": "Segment attribute", "ignore": "Ignore",
}
GUESSES = {"email": "email", "e-mail": "email", "mail": "email", "email address": "email", "name": "name",
           "full name": "name", "naam": "name", "external_id": "external_id", "external id": "external_id",
           "id": "external_id", "customer id": "external_id", "company": "company", "account": "company",
           "bedrijf": "company", "language": "language", "taal": "language", "lang": "language",
           "account_owner": "account_owner", "owner": "account_owner", "account owner": "account_owner",
           "opted_out": "opted_out", "opted out": "opted_out", "unsubscribed": "opted_out"}
TRUE, FALSE = {"yes", "y", "true", "1", "ja"}, {"no", "n", "false", "0", "nee", ""}
CHUNK = 1000
REPORT_LIMIT = 1000
MAX_BYTES = 50 * 1024 * 1024


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why."""


def _decode(raw: bytes) -> str:
    if not raw.strip():
        raise ImportFileError("The file is empty.")
    if b"\x00" in raw[:4096]:
        raise ImportFileError("This is not a CSV text file (it contains binary data). Export it as CSV UTF-8.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"The file is not UTF-8 text (a byte at position {error.start} cannot be read). "
            "Save it as “CSV UTF-8” and upload it again.") from None


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


def parse_file(raw: bytes) -> ParsedFile:
    if len(raw) > MAX_BYTES:
        raise ImportFileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it into parts.")
    try:
        rows = list(_reader(_decode(raw)))
    except csv.Error as error:
        raise ImportFileError(f"The file is not valid CSV: {error}.") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise ImportFileError("The file is empty.")
    headers = [h.strip() for h in rows[0]]
    if any(not h for h in headers):
        raise ImportFileError("The first row must name every column (a header row); some names are empty.")
    lowered = [h.lower() for h in headers]
    duplicates = sorted({h for h in headers if lowered.count(h.lower()) > 1})
    if duplicates:
        raise ImportFileError(f"Column names must be unique; these appear twice: {', '.join(duplicates)}.")
    if len(rows) < 2:
        raise ImportFileError("The file has a header row but no contacts.")
    return ParsedFile(headers=headers, rows=rows[1:])


def guess_mapping(headers: list[str]) -> dict[str, str]:
    return {h: GUESSES.get(h.strip().lower(), "attribute") for h in headers}


def check_mapping(mapping: dict[str, str], match_on: str) -> None:
    targets = [t for t in mapping.values() if t not in ("attribute", "ignore")]
    for target in set(targets):
        if targets.count(target) > 1:
            raise ImportFileError(f"Two columns are mapped to {FIELDS[target]}; map each field once.")
    if match_on not in ("email", "external_id"):
        raise ImportFileError("Match contacts on e-mail or on external id.")
    if "email" not in targets:
        raise ImportFileError("Map one column to E-mail: every contact needs an address.")
    if match_on == "external_id" and "external_id" not in targets:
        raise ImportFileError("To match on external id, map a column to External id.")


@dataclass
class RowReport:
    valid: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"row": n, "errors": [...]}
    error_count: int = 0
    unknown_columns: list[str] = field(default_factory=list)  # not a contact field: kept as segments


def _owners() -> dict[str, int]:
    owners = {}
    for pk, username, email in User.objects.filter(is_active=True).values_list("pk", "username", "email"):
        owners[username.lower()] = pk
        if email:
            owners[email.lower()] = pk
    return owners


def validate_rows(rows, headers, mapping, match_on, *, start_line: int = 2, seen: dict | None = None,
                  owners: dict | None = None) -> RowReport:
    """Turn CSV rows into clean contact dicts; collect per-row errors (line numbers as in the file)."""
    owners = owners if owners is not None else _owners()
    seen = seen if seen is not None else {}
    report = RowReport()
    index = {h: i for i, h in enumerate(headers)}
    for offset, row in enumerate(rows):
        line = start_line + offset
        data, attributes, problems = {}, {}, []
        if len(row) > len(headers):
            problems.append(f"{len(row)} cells but only {len(headers)} columns")
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
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"“{email[:80] or '(empty)'}” is not a valid e-mail address")
        key = email if match_on == "email" else data.get("external_id", "")
        if match_on == "external_id" and not key:
            problems.append("no external id")
        if key and key in seen:
            problems.append(f"duplicate of line {seen[key]}")
        elif key:
            seen[key] = line
        language = data.get("language", "").lower()
        if language and language not in ("en", "nl"):
            problems.append(f"language “{language[:10]}” is not en or nl")
        owner = data.get("account_owner", "")
        if owner and owner.lower() not in owners:
            problems.append(f"no active user “{owner[:80]}” to be the account owner")
        opted = data.get("opted_out", "").lower()
        if "opted_out" in data and opted not in TRUE | FALSE:
            problems.append(f"opted out must be yes or no, not “{opted[:10]}”")
        if problems:
            report.error_count += 1
            if len(report.errors) < REPORT_LIMIT:
                report.errors.append({"row": line, "errors": problems})
            continue
        report.valid.append({
            "email": email, "name": data.get("name", "")[:200], "external_id": data.get("external_id") or None,
            "company": data.get("company", "")[:200], "language": language or None,
            "account_owner_id": owners.get(owner.lower()) if owner else None,
            "opted_out": (opted in TRUE) if "opted_out" in data else None, "attributes": attributes,
        })
    return report


def import_prepare(*, import_record: ContactImport, mapping: dict, match_on: str, list_name: str) -> RowReport:
    """Check mapping and every row (a dry run) and remember the choices. Writes no contacts."""
    parsed = parse_file(import_record.file.open("rb").read())
    unknown = set(mapping) - set(parsed.headers)
    if unknown:
        raise ImportFileError(f"Unknown columns in the mapping: {', '.join(sorted(unknown))}.")
    check_mapping(mapping, match_on)
    report = validate_rows(parsed.rows, parsed.headers, mapping, match_on)
    report.unknown_columns = [h for h, target in mapping.items()
                              if target == "attribute" and h.strip().lower() not in GUESSES]
    import_record.mapping, import_record.match_on = mapping, match_on
    import_record.total_rows = len(parsed.rows)
    import_record.error_count = report.error_count
    import_record.report = report.errors
    import_record.status = ContactImport.Status.MAPPED
    if list_name:
        import_record.target_list = ContactList.objects.create(name=list_name[:200])
    import_record.save()
    return report


def _upsert(chunk: list[dict], match_on: str, target_list_id: int | None) -> tuple[int, int]:
    now = timezone.now()
    if match_on == "email":
        existing = {c.email.lower(): c for c in Contact.objects.annotate(e=Lower("email"))
                    .filter(e__in=[r["email"] for r in chunk], erased_at__isnull=True)}
        key_of = lambda r: r["email"]  # noqa: E731
    else:
        existing = {c.external_id: c for c in Contact.objects.filter(
            external_id__in=[r["external_id"] for r in chunk])}
        key_of = lambda r: r["external_id"]  # noqa: E731
    new, changed = [], []
    for row in chunk:
        contact = existing.get(key_of(row))
        if contact is None:
            contact = Contact(email=row["email"], attributes={})
            new.append(contact)
        else:
            changed.append(contact)
        contact.email = row["email"]
        for name in ("name", "company"):
            if row[name]:
                setattr(contact, name, row[name])
        if row["external_id"]:
            contact.external_id = row["external_id"]
        if row["language"]:
            contact.language = row["language"]
        if row["account_owner_id"]:
            contact.account_owner_id = row["account_owner_id"]
        if row["opted_out"] is True and contact.opted_out_at is None:
            contact.opted_out_at = now
        elif row["opted_out"] is False:
            contact.opted_out_at = None
        contact.attributes = {**(contact.attributes or {}), **row["attributes"]}
        contact.updated_at = now
    Contact.objects.bulk_create(new, batch_size=CHUNK)
    Contact.objects.bulk_update(changed, ["email", "name", "company", "external_id", "language", "account_owner_id",
                                          "opted_out_at", "attributes", "updated_at"], batch_size=CHUNK)
    if target_list_id:
        through = ContactList.contacts.through
        through.objects.bulk_create([through(contactlist_id=target_list_id, contact_id=c.pk) for c in new + changed],
                                    ignore_conflicts=True, batch_size=CHUNK)
    return len(new), len(changed)


def import_run(*, import_id: int) -> ContactImport:
    """Import the valid rows in chunks, updating progress after each. Safe to re-run: upserts."""
    with transaction.atomic():
        record = ContactImport.objects.select_for_update().get(pk=import_id)
        if record.status not in (ContactImport.Status.MAPPED, ContactImport.Status.RUNNING):
            return record
        if record.finished_at is not None:
            return record
        record.status = ContactImport.Status.RUNNING
        record.processed_rows = record.created_count = record.updated_count = 0
        record.save(update_fields=["status", "processed_rows", "created_count", "updated_count"])
    try:
        parsed = parse_file(record.file.open("rb").read())
    except ImportFileError as error:
        ContactImport.objects.filter(pk=import_id).update(status=ContactImport.Status.FAILED, error=str(error))
        raise
    owners, seen = _owners(), {}
    created = updated = 0
    for start in range(0, len(parsed.rows), CHUNK):
        rows = parsed.rows[start:start + CHUNK]
        report = validate_rows(rows, parsed.headers, record.mapping, record.match_on, start_line=start + 2,
                               seen=seen, owners=owners)
        with transaction.atomic():
            c, u = _upsert(report.valid, record.match_on, record.target_list_id)
        created, updated = created + c, updated + u
        ContactImport.objects.filter(pk=import_id).update(processed_rows=start + len(rows), created_count=created,
                                                          updated_count=updated)
    ContactImport.objects.filter(pk=import_id).update(status=ContactImport.Status.DONE, finished_at=timezone.now())
    record.refresh_from_db()
    audit_log(actor=record.created_by, action="contacts.imported", target=record,
              data={"created": created, "updated": updated, "errors": record.error_count})
    return record
