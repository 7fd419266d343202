"""Scheduled reports (#25.2): the dashboard's filters e-mailed weekly or monthly, with the key
figures in the e-mail and the board report attached, once per period and recipient (the send-once
ledger, core.mail.send_once), with a one-click unsubscribe.

Each e-mail covers the period before it: a weekly report the Monday–Sunday week before the week it
is sent in, a monthly one the calendar month before. It goes out at the subscription's day and
hour in the company's time zone or, if the worker was down then, at the next run of beat (hourly)
within the same week or month. Every team lead gets a weekly report on their team by default
(Monday at DIGEST_HOUR): it replaced the fixed Monday digest.
"""

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.models import EmailDelivery, Team
from core.roles import ADMIN, has_role
from scoring import board_report, emails, report_jobs
from scoring.models import ReportSubscription

logger = logging.getLogger(__name__)
User = get_user_model()
F = ReportSubscription.Frequency
SALT = "kringloop.report-unsubscribe"


class ReportsFailed(Exception):
    """Some reports could not be sent; the task retries, and those sent are not sent twice."""


@dataclass(frozen=True)
class Period:
    start: date  # first day covered
    end: date  # last day covered (inclusive)
    moment: datetime  # when it is due


def _tz():
    return ZoneInfo(settings.TIME_ZONE)


def _month_start(day: date, months_back: int = 0) -> date:
    month = day.year * 12 + day.month - 1 - months_back
    return date(month // 12, month % 12 + 1, 1)


def latest_period(subscription: ReportSubscription, now: datetime) -> Period:
    """The newest period whose e-mail is due by `now` (its moment has passed)."""
    local = timezone.localtime(now, _tz())
    if subscription.frequency == F.MONTHLY:
        for back in (0, 1):
            first = _month_start(local.date(), back)
            moment = datetime.combine(
                first.replace(day=subscription.day_of_month), time(subscription.hour), tzinfo=_tz()
            )
            if moment <= local:
                start = _month_start(first, 1)
                return Period(start=start, end=first - timedelta(days=1), moment=moment)
    monday = local.date() - timedelta(days=local.weekday())
    moment = datetime.combine(monday + timedelta(days=subscription.weekday), time(subscription.hour), tzinfo=_tz())
    if moment > local:
        monday, moment = monday - timedelta(days=7), moment - timedelta(days=7)
    return Period(start=monday - timedelta(days=7), end=monday - timedelta(days=1), moment=moment)


def due_period(subscription: ReportSubscription, now: datetime) -> Period | None:
    """The period to send now, or None: never one whose moment came before the subscription did."""
    period = latest_period(subscription, now)
    return period if period.moment >= subscription.created_at else None


def recipients(subscription: ReportSubscription) -> list:
    """Who gets it: the user, or the team's lead and members less those who unsubscribed; active
    users with an address only."""
    if subscription.user_id:
        users = User.objects.filter(pk=subscription.user_id)
    else:
        team = subscription.team
        users = User.objects.filter(Q(pk=team.lead_id) | Q(teams=team)).exclude(
            pk__in=subscription.excluded.values("pk")
        )
    return list(users.filter(is_active=True).exclude(email="").distinct().order_by("pk"))


def ledger_key(subscription: ReportSubscription, user, period: Period) -> str:
    return f"report:{subscription.pk}:{user.pk}:{period.start.isoformat()}"


# --- Subscribing ----------------------------------------------------------------------------------
def _check(*, frequency, weekday, day_of_month, hour) -> None:
    if frequency not in F.values:
        raise ValidationError(_("Choose weekly or monthly."))
    if not (0 <= weekday <= 6 and 1 <= day_of_month <= 28 and 0 <= hour <= 23):
        raise ValidationError(_("Choose a day of the week, a day of the month from 1 to 28 and an hour from 0 to 23."))


def subscription_save(
    *, actor, query: str, frequency: str, weekday=0, day_of_month=1, hour=8, user=None, team=None
) -> ReportSubscription:
    """Subscribe `user` (default: the actor) or a `team` to the report under the filters in
    `query`. Only admins subscribe someone else or a team. Audit-logged."""
    user = user if user is not None or team is not None else actor
    if (team is not None or (user is not None and user.pk != actor.pk)) and not has_role(actor, ADMIN):
        raise PermissionDenied("Only admins subscribe others or a team.")
    if user is not None and team is not None:
        raise ValidationError(_("Send it to a person or to a team, not both."))
    _check(frequency=frequency, weekday=weekday, day_of_month=day_of_month, hour=hour)
    filters = report_jobs.reader_filters(user or actor, query)
    with transaction.atomic():
        subscription = ReportSubscription.objects.create(
            user=user,
            team=team,
            query=filters.as_query(period=None, start=None, end=None),
            frequency=frequency,
            weekday=weekday,
            day_of_month=day_of_month,
            hour=hour,
            created_by=actor,
        )
        audit_log(
            actor=actor,
            action="report.subscribed",
            target=subscription,
            data={"user": user.pk if user else None, "team": team.pk if team else None, "frequency": frequency},
        )
    return subscription


def visible_subscriptions(user):
    """The subscriptions `user` may see and remove: all for admins, else those they receive themselves."""
    qs = ReportSubscription.objects.filter(active=True).select_related("user", "team").order_by("pk")
    if has_role(user, ADMIN):
        return qs
    return qs.filter(Q(user=user) | (Q(team__members=user) | Q(team__lead=user))).exclude(excluded=user).distinct()


def subscription_stop(*, actor, subscription: ReportSubscription) -> None:
    """Stop a report for the actor: their own is switched off; a team's leaves out the actor only,
    unless an admin stops it for the whole team."""
    with transaction.atomic():
        if subscription.team_id and not has_role(actor, ADMIN):
            subscription.excluded.add(actor)
        else:
            ReportSubscription.objects.filter(pk=subscription.pk).update(active=False)
        audit_log(actor=actor, action="report.unsubscribed", target=subscription, data={"by": "page"})


def ensure_default_subscriptions() -> int:
    """Every team lead gets the weekly report on their team (Monday, DIGEST_HOUR): created once per
    lead and team (a lead who unsubscribed keeps it switched off), removed when they stop leading it."""
    _drop_former_leads()
    leads = Team.objects.exclude(lead=None).values_list("pk", "lead_id")
    made = ReportSubscription.objects.bulk_create(
        [
            ReportSubscription(
                user_id=lead_id,
                query=f"kind=all&team={team_id}",
                frequency=F.WEEKLY,
                weekday=settings.KRINGLOOP["DIGEST_WEEKDAY"],
                hour=settings.KRINGLOOP["DIGEST_HOUR"],
                default_for_team_id=team_id,
            )
            for team_id, lead_id in leads
        ],
        ignore_conflicts=True,
    )
    return len(made)


def _drop_former_leads() -> None:
    for subscription in ReportSubscription.objects.filter(default_for_team__isnull=False).select_related(
        "default_for_team"
    ):
        if subscription.default_for_team.lead_id != subscription.user_id:
            subscription.delete()


# --- Sending ----------------------------------------------------------------------------------------
def send_due_reports(*, now: datetime | None = None) -> int:
    """Send every report that is due and not yet sent to its recipient. Beat runs it hourly; the
    ledger key (subscription, recipient, period) makes each e-mail once, however often it runs."""
    now = now or timezone.now()
    ensure_default_subscriptions()
    sent, failed = 0, []
    for subscription in ReportSubscription.objects.filter(active=True).select_related("team").order_by("pk"):
        period = due_period(subscription, now)
        if period is None:
            continue
        for user in recipients(subscription):
            key = ledger_key(subscription, user, period)
            if EmailDelivery.objects.filter(key=key, status=EmailDelivery.Status.SENT).exists():
                continue
            try:
                send_report(subscription, user, period, key=key)
            except Exception:  # one bad address or provider error must not stop the others
                logger.exception("scheduled report %s to user %s failed", subscription.pk, user.pk)
                failed.append((subscription.pk, user.pk))
                continue
            sent += 1
    if failed:
        raise ReportsFailed(f"{len(failed)} report(s) failed: {failed[:20]}")
    return sent


def period_filters(subscription: ReportSubscription, user, period: Period):
    return replace(
        report_jobs.reader_filters(user, subscription.query), start=period.start, end=period.end, period="custom"
    )


def send_report(subscription: ReportSubscription, user, period: Period, *, key: str):
    """Make the report for `user` (their scope and language) and e-mail it, once (the ledger key)."""
    filters = period_filters(subscription, user, period)
    reader = report_jobs.reader_for(user)
    data = board_report.report_data(filters, reader)
    pdf = board_report.render_pdf(data)
    return emails.send_scheduled_report(
        subscription=subscription,
        user=user,
        period=period,
        key=key,
        data=data,
        pdf=pdf,
        file_name=f"nps-report-{period.start.isoformat()}-{period.end.isoformat()}.pdf",
        unsubscribe_token=unsubscribe_token(subscription, user),
    )


# --- Unsubscribing in one click --------------------------------------------------------------------
def unsubscribe_token(subscription: ReportSubscription, user) -> str:
    return signing.dumps([subscription.pk, user.pk], salt=SALT, compress=True)


def subscription_for_token(token: str):
    """(subscription, user) of an unsubscribe token, or None."""
    try:
        subscription_id, user_id = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    subscription = ReportSubscription.objects.filter(pk=subscription_id).select_related("team").first()
    user = User.objects.filter(pk=user_id).first()
    return (subscription, user) if subscription and user else None


def unsubscribe(*, subscription: ReportSubscription, user, via: str) -> bool:
    """Stop this report for this recipient (their own: off; a team's: without them). False when
    they already were."""
    with transaction.atomic():
        if subscription.team_id:
            if subscription.excluded.filter(pk=user.pk).exists():
                return False
            subscription.excluded.add(user)
        elif not ReportSubscription.objects.filter(pk=subscription.pk, active=True).update(active=False):
            return False
        audit_log(actor=user, action="report.unsubscribed", target=subscription, data={"by": via})
    return True


def is_unsubscribed(subscription: ReportSubscription, user) -> bool:
    if subscription.team_id:
        return subscription.excluded.filter(pk=user.pk).exists()
    return not subscription.active
