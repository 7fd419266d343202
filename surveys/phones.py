"""Contacts' phone numbers: one rule for what is stored (E.164, "+31612345678") and which numbers
can receive a text message.

Numbers are normalised where they come in (the CSV import and the API's contact upsert share the
row checks of surveys.import_checks; the contact form calls the same function), read in the
region of SMS["DEFAULT_REGION"] when written without a country code ("06 1234 5678" in NL).
"""

import zoneinfo

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from phonenumbers import PhoneNumberType
from phonenumbers import timezone as phone_timezone

MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.PAGER}


class PhoneError(ValueError):
    """Not a phone number we can store; the message says why, in the active language."""


def default_region() -> str:
    return settings.SMS["DEFAULT_REGION"]


def normalise_phone(raw: str, *, region: str | None = None) -> str:
    """The number in E.164 form ("" for an empty one), or PhoneError."""
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region or default_region())
    except phonenumbers.NumberParseException:
        raise PhoneError(_("“%(number)s” is not a phone number") % {"number": text[:40]}) from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(_("“%(number)s” is not a valid phone number") % {"number": text[:40]})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_problem(raw: str) -> str:
    """Why `raw` cannot be stored as a phone number ("" when it can)."""
    try:
        normalise_phone(raw)
    except PhoneError as error:
        return str(error)
    return ""


def _parsed(e164: str):
    try:
        return phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None


def can_receive_sms(phone: str) -> bool:
    """Is this stored number a valid mobile number (or one that may be mobile, as in the US)?"""
    if not phone or not phone.startswith("+"):
        return False
    number = _parsed(phone)
    return (
        number is not None and phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in MOBILE_TYPES
    )


def time_zone_of(*, phone: str, time_zone: str = "") -> zoneinfo.ZoneInfo:
    """The contact's time zone: the one stored with them, else the phone number's (when its country
    has one time zone, or the first for a number tied to a region), else the site's."""
    for name in (time_zone, *_phone_zones(phone), settings.TIME_ZONE):
        if not name:
            continue
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
    return zoneinfo.ZoneInfo("UTC")


def validate_time_zone(name: str) -> None:
    """A model field validator: an IANA time zone name, such as Europe/Amsterdam."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("“%(zone)s” is not a time zone such as Europe/Amsterdam.") % {"zone": name[:64]}
        ) from None


def _phone_zones(phone: str) -> tuple[str, ...]:
    number = _parsed(phone) if phone else None
    if number is None:
        return ()
    zones = tuple(z for z in phone_timezone.time_zones_for_number(number) if z != phone_timezone.UNKNOWN_TIMEZONE)
    return zones[:1]
