"""Alerts on real drops (#25.3): a team's or touchpoint's NPS that, in the period just ended,
- fell below its target (the team's target; for a touchpoint the company's), having been at or
  above it (or unmeasured) the period before, or
- is significantly lower than the period before,
with at least the minimum number of answers (NPS_MIN_RESPONSES) each time: never on noise. The
significance is the product's one test, surveys.nps.NpsChange.significant (z of the change at
95 %, both periods at the minimum n). Relational and transactional NPS are judged apart.

Each team or touchpoint gets at most one alert per period (a unique constraint), told once to its
team lead and every admin by e-mail (the send-once ledger) and to the team's Slack or Teams
channels that chose "alert.nps_drop" (webhooks.events.emit_scheduled, keyed by the alert). The
period is the week (Monday–Sunday) or calendar month just ended (NPS_ALERT_PERIOD); beat checks
hourly, so an alert comes within the hour after its period ends.
"""

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.mail import absolute_url
from core.models import Team
from scoring import emails, queries, services
from scoring.filters import Filters
from scoring.models import NpsAlert
from surveys.models import Campaign
from surveys.nps import NpsChange, nps_from_counts
from webhooks.events import emit_scheduled

logger = logging.getLogger(__name__)
User = get_user_model()
CHAT_EVENT = "alert.nps_drop"
BELOW_TARGET, SIGNIFICANT_DROP = "below_target", "significant_drop"
SCOPES = {NpsAlert.Scope.TEAM: "team", NpsAlert.Scope.TOUCHPOINT: "touchpoint"}
NONE = nps_from_counts(promoters=0, passives=0, detractors=0)  # no answers the period before


class AlertsFailed(Exception):
    """Some alerts could not be told; the task retries, and what was sent is not sent twice."""


def period_ended(now: datetime) -> tuple[date, date]:
    """The week (Monday–Sunday) or calendar month that ended last, in the company's time zone."""
    today = timezone.localdate(now)
    if settings.KRINGLOOP["ALERT_PERIOD"] == "month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(days=7), monday - timedelta(days=1)


def finding(change: NpsChange, target: int | None) -> list[str]:
    """Why this change is an alert (empty: it is not). The one rule: below a target it was not
    below, or a significant drop, each only with enough answers."""
    current, previous = change.current, change.previous
    reasons = []
    if (
        target is not None
        and not current.too_few
        and current.nps < target
        and (previous.nps is None or previous.too_few or previous.nps >= target)
    ):
        reasons.append(BELOW_TARGET)
    if change.significant and change.delta < 0:
        reasons.append(SIGNIFICANT_DROP)
    return reasons


def _findings(start: date, end: date) -> dict[tuple[str, int], list[dict]]:
    """{(scope, id): [finding per survey type]} for the period, company-wide, from the panels'
    readers (rollups plus the part they do not cover yet)."""
    found: dict[tuple[str, int], list[dict]] = {}
    company_target = services.company_target()
    targets = dict(Team.objects.exclude(nps_target=None).values_list("pk", "nps_target"))
    for kind in (Campaign.Kind.RELATIONAL, Campaign.Kind.TRANSACTIONAL):
        now_filters = Filters(start=start, end=end, kind=kind, period="custom")
        before = now_filters.previous()
        for scope, dimension in SCOPES.items():
            current = {row["key"]: row["result"] for row in queries.nps_by(now_filters, dimension) if row["key"]}
            previous = {row["key"]: row["result"] for row in queries.nps_by(before, dimension) if row["key"]}
            for key, result in current.items():
                change = NpsChange(current=result, previous=previous.get(key) or NONE)
                target = targets.get(key) if scope == NpsAlert.Scope.TEAM else company_target
                reasons = finding(change, target)
                if reasons:
                    found.setdefault((scope, key), []).append(
                        {
                            "kind": kind,
                            "reasons": reasons,
                            "nps": round(change.current.nps, 1),
                            "n": change.current.n,
                            "margin": round(change.current.margin, 1),
                            "previous_nps": None if change.previous.nps is None else round(change.previous.nps, 1),
                            "previous_n": change.previous.n,
                            "delta": None if change.delta is None else round(change.delta, 1),
                            "z": None if change.z is None else round(change.z, 2),
                            "target": target,
                        }
                    )
    return found


def check_alerts(*, now: datetime | None = None) -> int:
    """Make the alerts of the period that ended last (once each), then tell whoever was not told
    yet. Returns how many alerts were made now."""
    now = now or timezone.now()
    start, end = period_ended(now)
    made = 0
    with queries.one_look():
        found = _findings(start, end)
    for (scope, key), findings in found.items():
        try:
            with transaction.atomic():
                NpsAlert.objects.create(
                    scope=scope,
                    team_id=key if scope == NpsAlert.Scope.TEAM else None,
                    touchpoint_id=key if scope == NpsAlert.Scope.TOUCHPOINT else None,
                    period_start=start,
                    period_end=end,
                    findings=findings,
                )
            made += 1
        except IntegrityError:
            continue  # already alerted for this period
    tell_pending()
    return made


def recipients(alert: NpsAlert) -> list:
    """The team's lead (a team alert) and every admin, active, with an address."""
    admins = Q(is_superuser=True) | Q(groups__name="admin")
    lead = Q(pk=alert.team.lead_id) if alert.team_id and alert.team.lead_id else Q(pk__in=[])
    return list(User.objects.filter(admins | lead, is_active=True).exclude(email="").distinct().order_by("pk"))


def subject_name(alert: NpsAlert) -> str:
    return alert.team.name if alert.team_id else str(alert.touchpoint)


def dashboard_url(alert: NpsAlert) -> str:
    query = f"period=custom&start={alert.period_start.isoformat()}&end={alert.period_end.isoformat()}"
    query += f"&kind={alert.findings[0]['kind']}&{SCOPES[alert.scope]}={alert.team_id or alert.touchpoint_id}"
    return absolute_url(f"{reverse('scoring:dashboard')}?{query}")


def tell_pending() -> int:
    """E-mail and post every alert whose recipients were not all told; each e-mail once (the
    ledger), each channel once (the delivery's key). Returns how many alerts were finished."""
    done, failed = 0, []
    for alert in NpsAlert.objects.filter(notified_at__isnull=True).select_related("team", "touchpoint"):
        try:
            for user in recipients(alert):
                emails.send_nps_alert(alert=alert, user=user, name=subject_name(alert), url=dashboard_url(alert))
            emit_scheduled(
                CHAT_EVENT,
                key=str(alert.pk),
                data={"alert": chat_data(alert)},
                team_id=alert.team_id,
            )
        except Exception:  # one provider error must not keep the others from being told
            logger.exception("NPS alert %s could not be told", alert.pk)
            failed.append(alert.pk)
            continue
        NpsAlert.objects.filter(pk=alert.pk).update(notified_at=timezone.now())
        done += 1
    if failed:
        raise AlertsFailed(f"alerts not told yet: {failed[:20]}")
    return done


def chat_data(alert: NpsAlert) -> dict:
    """What the Slack or Teams card shows (webhooks.chat draws it in the channel's language)."""
    return {
        "scope": alert.scope,
        "name": subject_name(alert),
        "start": alert.period_start.isoformat(),
        "end": alert.period_end.isoformat(),
        "findings": alert.findings,
        "url": dashboard_url(alert),
    }


def visible_alerts(filters: Filters, *, limit: int = 10):
    """The alerts made in the dashboard's period that its reader may see: team alerts of their
    teams (agents), touchpoint alerts only to those who see company-wide figures."""
    alerts = NpsAlert.objects.filter(period_end__gte=filters.start, period_start__lte=filters.end)
    if filters.teams is not None:
        alerts = alerts.filter(scope=NpsAlert.Scope.TEAM, team_id__in=filters.teams)
    if filters.team:
        alerts = alerts.filter(team_id=filters.team)
    if filters.touchpoint:
        alerts = alerts.filter(touchpoint_id=filters.touchpoint)
    return list(alerts.select_related("team", "touchpoint")[:limit])
