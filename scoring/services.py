"""Writes of the scoring app."""

from django.db import transaction

from core.audit import audit_log
from scoring.models import CompanySettings


def company_target_set(*, actor, nps_target: int | None) -> CompanySettings:
    """Set (or clear, with None) the company-wide NPS target. Audit-logged."""
    if nps_target is not None and not -100 <= nps_target <= 100:
        raise ValueError("An NPS target lies between -100 and 100.")
    with transaction.atomic():
        company = CompanySettings.objects.select_for_update().filter(pk=1).first() or CompanySettings(pk=1)
        before = company.nps_target
        company.nps_target = nps_target
        company.save()
        audit_log(
            actor=actor, action="target.company", target=company, data={"before": before, "nps_target": nps_target}
        )
    return company


def company_target() -> int | None:
    company = CompanySettings.objects.filter(pk=1).first() or CompanySettings.objects.first()
    return company.nps_target if company else None
