"""CSV contact import: read and check the file (surveys.import_file), map its columns, validate
every row (surveys.import_checks), then upsert in chunks in the background (here).

A file that cannot be read (empty, not UTF-8, binary, no header row, duplicate column names, too
large) is refused before anything is stored. Rows with errors (bad e-mail, duplicates within the
file, conflicts with other contacts, unknown owner or language) are skipped and reported; the
rest are imported. Cells are stored as the text they are: formula-looking values (=, +, -, @) are
neutralised where they leave the product, in the exports.
"""

from django.db import IntegrityError, OperationalError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.queue import enqueue_on_commit
from surveys.import_checks import (
    CHUNK,
    RowReport,
    Seen,
    account_ids,
    check_cells,
    owner_ids,
    validate_file,
    validate_rows,
)
from surveys.import_file import ImportFileError, check_mapping, parse_file
from surveys.models import Contact, ContactImport, ContactList


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
    if row.get("account_id"):  # an empty cell keeps the stored account (rows checked before #24 lack it)
        contact.account_id = row["account_id"]
    if row.get("account_role") is not None and (row.get("account_id") or contact.account_id):
        contact.account_role = row["account_role"]
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
    "account_id",
    "account_role",
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
    valid = check_cells(rows, match_on=match_on, report=report)
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
        owners, seen, report = owner_ids(), Seen(), RowReport()
        accounts = account_ids() if "account" in record.mapping.values() else {}
        created = updated = 0
        for start in range(0, len(parsed.rows), CHUNK):
            part = validate_rows(
                parsed,
                record.mapping,
                record.match_on,
                start=start,
                stop=start + CHUNK,
                seen=seen,
                owners=owners,
                accounts=accounts,
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
