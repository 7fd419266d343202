"""The weekly digest: each team lead and each opted-in user gets last week's NPS for their team(s),
new detractors, overdue follow-ups and the best and worst comments, once per week."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.mail import absolute_url, render_email, send_once
from core.models import Team, UserProfile
from followups.models import FollowUp
from scoring import queries
from scoring.models import DigestDelivery
from surveys.models import Category, Response

User = get_user_model()


def week_bounds(today: date) -> tuple[date, date]:
    """Monday–Sunday of the week before `today`."""
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(days=7), this_monday - timedelta(days=1)


def recipients():
    lead_ids = Team.objects.exclude(lead=None).values_list("lead_id", flat=True)
    opted = UserProfile.objects.filter(weekly_digest=True).values_list("user_id", flat=True)
    return User.objects.filter(Q(pk__in=lead_ids) | Q(pk__in=opted), is_active=True).exclude(email="").distinct()


def digest_context(user, start: date, end: date) -> dict:
    teams = list(Team.objects.filter(Q(lead=user) | Q(members=user)).distinct())
    team_ids = [t.pk for t in teams]
    filters = queries.Filters(start=start, end=end, kind="all", period="custom")
    tz = ZoneInfo(settings.TIME_ZONE)
    since = datetime.combine(start, time.min, tzinfo=tz)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    week = Response.objects.filter(submitted_at__gte=since, submitted_at__lt=until)
    if team_ids:
        week = week.filter(team_id__in=team_ids)
    rows = []
    for team in teams or [None]:
        team_filters = filters if team is None else queries.Filters(start=start, end=end, kind="all",
                                                                    period="custom", team=team.pk)
        rows.append({"team": team, "change": queries.nps_summary(team_filters)})
    overdue = FollowUp.objects.filter(status__in=FollowUp.OPEN_STATUSES, due_at__lt=timezone.now())
    if team_ids:
        overdue = overdue.filter(team_id__in=team_ids)
    commented = week.exclude(comment="").select_related("campaign", "contact")
    return {
        "user": user, "start": start, "end": end, "rows": rows,
        "new_detractors": week.filter(category=Category.DETRACTOR).count(),
        "overdue": overdue.count(),
        "best": list(commented.order_by("-score", "-submitted_at")[:3]),
        "worst": list(commented.order_by("score", "-submitted_at")[:3]),
        "dashboard_url": absolute_url("/dashboard/"),
    }


def send_weekly_digests(*, now=None, force: bool = False) -> int:
    """Send last week's digest to each recipient who has not had it. Acts on Monday from DIGEST_HOUR."""
    now = timezone.localtime(now or timezone.now(), ZoneInfo(settings.TIME_ZONE))
    if not force and (now.weekday() != settings.KRINGLOOP["DIGEST_WEEKDAY"] or now.hour < settings.KRINGLOOP["DIGEST_HOUR"]):
        return 0
    start, end = week_bounds(now.date())
    sent = 0
    for user in recipients():
        try:
            with transaction.atomic():
                # The unique (user, week) row is the once-per-week guarantee, whatever runs twice.
                DigestDelivery.objects.create(user=user, week_start=start)
                profile = UserProfile.objects.filter(user=user).first()
                message = render_email(template="digest", context=digest_context(user, start, end), to=user.email,
                                       language=profile.language if profile else "en")
                send_once(key=f"digest:{user.pk}:{start.isoformat()}", kind="digest", message=message)
        except IntegrityError:
            continue
        sent += 1
    return sent
