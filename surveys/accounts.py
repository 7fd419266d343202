"""Account writes: create and change accounts, record a churn, put contacts in an account.

Bulk upserts (the accounts CSV and the API) are surveys.account_import; proposals from contacts'
`company` are surveys.account_proposals; the derived health is surveys.account_health.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from surveys.models import Account, Contact, Role
from webhooks import events

ACCOUNT_FIELDS = ("name", "external_id", "segment", "arr", "currency", "owner", "team", "renewal_date")


def account_save(*, actor, account_id: int | None = None, attributes: dict | None = None, **values) -> Account:
    """Create an account (`account_id` None) or change one, from plain values named in
    ACCOUNT_FIELDS (owner and team as instances or None) and its segment attributes."""
    unknown = sorted(set(values) - set(ACCOUNT_FIELDS))
    if unknown:
        raise TypeError(f"Not fields of an account: {', '.join(unknown)}")
    if attributes is not None:
        values["attributes"] = attributes
    if values.get("external_id") == "":
        values["external_id"] = None
    if "currency" in values:
        values["currency"] = (values["currency"] or "EUR").upper()
    with transaction.atomic():
        if account_id is None:
            account, before = Account(), None
        else:
            account = Account.objects.select_for_update().get(pk=account_id)
            before = {name: account.serializable_value(name) for name in values}
        for name, value in values.items():
            setattr(account, name, value)
        account.full_clean(exclude=["health"])
        account.save()
        if before is None:
            changed = sorted(name for name, value in values.items() if value not in (None, "", {}))
        else:
            changed = [name for name in values if account.serializable_value(name) != before[name]]
        audit_log(
            actor=actor,
            action="account.created" if before is None else "account.updated",
            target=account,
            data={"changed": changed},
        )
    return account


def account_churn(*, account: Account, actor, on: date | None = None, reason: str = "", via: str = "") -> bool:
    """Record that the account churned on `on` (today by default), with its reason; sends
    `account.churned` once. Returns False when it had already churned (nothing changes)."""
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError(_("A churn date cannot be in the future."))
    with transaction.atomic():
        locked = Account.objects.select_for_update(of=("self",)).select_related("owner", "team").get(pk=account.pk)
        if locked.status == Account.Status.CHURNED:
            return False
        locked.status, locked.churned_at, locked.churn_reason = Account.Status.CHURNED, on, reason.strip()[:300]
        locked.save(update_fields=["status", "churned_at", "churn_reason", "updated_at"])
        audit_log(
            actor=actor,
            action="account.churned",
            target=locked,
            data={"on": on.isoformat(), "reason": locked.churn_reason, "via": via},
        )
        events.emit("account.churned", locked)
    account.status, account.churned_at, account.churn_reason = locked.status, locked.churned_at, locked.churn_reason
    return True


def account_reactivate(*, account: Account, actor) -> bool:
    """Undo a churn (a win-back, or a churn recorded by mistake): active again, churn date cleared."""
    with transaction.atomic():
        changed = Account.objects.filter(pk=account.pk, status=Account.Status.CHURNED).update(
            status=Account.Status.ACTIVE, churned_at=None, churn_reason="", updated_at=timezone.now()
        )
        if changed:
            audit_log(actor=actor, action="account.reactivated", target=account)
    return bool(changed)


def contact_set_account(*, actor, contact: Contact, account: Account | None, role: str = "") -> Contact:
    """Put `contact` in `account` (None: in none) with a role ("" for none)."""
    if role not in ("", *Role.values):
        raise ValidationError(_("Unknown role."))
    with transaction.atomic():
        Contact.objects.filter(pk=contact.pk).update(
            account=account, account_role=role if account else "", updated_at=timezone.now()
        )
        audit_log(
            actor=actor,
            action="contact.account_set",
            target=contact,
            data={"account": account.pk if account else None, "role": role},
        )
    contact.account, contact.account_role = account, role if account else ""
    return contact
