"""Reading a contact CSV and mapping its columns: the first steps of an import (surveys.imports).

A file that cannot be read (empty, not UTF-8, binary, no header row, duplicate column names, too
large) is refused here, with a message that says why, before anything is stored.
"""

import csv
import io
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FIELDS = {
    "email": gettext_lazy("E-mail"),
    "name": gettext_lazy("Name"),
    "external_id": gettext_lazy("External id"),
    "company": gettext_lazy("Company"),
    "phone": gettext_lazy("Phone"),
    "language": gettext_lazy("Language (en/nl)"),
    "account_owner": gettext_lazy("Account owner (username or e-mail)"),
    "opted_out": gettext_lazy("Opted out (yes/no)"),
    "account": gettext_lazy("Account (external id or name)"),
    "account_role": gettext_lazy("Role in the account (decision maker, user, champion)"),
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
    "account": "account",
    "account id": "account",
    "account_id": "account",
    "role": "account_role",
    "account_role": "account_role",
    "account role": "account_role",
    "rol": "account_role",
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


MAX_COLUMNS = 500  # a contact file has a few dozen; more is a mistake (or an attack on the mapping page)
MAX_HEADER_CHARS = 200
PREVIEW_ROWS = 10


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

    def preview(self) -> list[list[str]]:
        """The first rows, each cut to the header's columns: what the mapping page shows."""
        return [row[: len(self.headers)] for row in self.rows[:PREVIEW_ROWS]]


def looks_like_email(value: str) -> bool:
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
            if len(row) > MAX_COLUMNS:
                # Refused as soon as such a row is read: nothing after it is parsed, and no page
                # with a hundred thousand column selectors is ever rendered.
                raise ImportFileError(
                    _(
                        "Line %(line)s has %(count)s columns; a contact file may have at most %(max)s. "
                        "Remove the columns you do not need and upload it again."
                    )
                    % {"line": line, "count": len(row), "max": MAX_COLUMNS}
                )
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
    if any(looks_like_email(h) for h in headers):  # at most MAX_COLUMNS short names
        example = next(h for h in headers if looks_like_email(h))
        raise ImportFileError(
            _(
                "The first row holds a contact (“%(example)s”), not column names: the header row is missing. "
                "Add a first row naming the columns, for example email,name,company."
            )
            % {"example": example[:80]}
        )
    if any(not h for h in headers):
        raise ImportFileError(_("The first row must name every column (a header row); some names are empty."))
    if any(len(h) > MAX_HEADER_CHARS for h in headers):
        raise ImportFileError(
            _("A column name may have at most %(max)s characters; the header row holds a longer one.")
            % {"max": MAX_HEADER_CHARS}
        )
    counts = Counter(h.lower() for h in headers)
    duplicates = sorted({h for h in headers if counts[h.lower()] > 1})
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
