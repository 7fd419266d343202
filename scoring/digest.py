"""The weekly digest: each team lead and each opted-in user gets last week's NPS for their team(s)
(company-wide without a team), new detractors, overdue follow-ups and the three best and three
worst comments, once per week."""

import logging
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.mail import absolute_url
from core.models import Team, UserProfile
from followups.models import FollowUp
from scoring import emails, queries
from scoring.models import DigestDelivery
from surveys.models import Campaign, Category

logger = logging.getLogger(__name__)
User = get_user_model()


class DigestsFailed(Exception):
    """Some digests could not be sent; the task retries, and the others are not sent twice."""


def week_bounds(today: date) -> tuple[date, date]:
    """Monday–Sunday of the week before `today`."""
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(days=7), this_monday - timedelta(days=1)


def is_digest_time(now) -> bool:
    """Monday (DIGEST_WEEKDAY) from DIGEST_HOUR on, in the company's time zone."""
    local = timezone.localtime(now, ZoneInfo(settings.TIME_ZONE))
    return local.weekday() == settings.KRINGLOOP["DIGEST_WEEKDAY"] and local.hour >= settings.KRINGLOOP["DIGEST_HOUR"]


def recipients():
    lead_ids = Team.objects.exclude(lead=None).values("lead_id")
    opted = UserProfile.objects.filter(weekly_digest=True).values("user_id")
    return User.objects.filter(Q(pk__in=lead_ids) | Q(pk__in=opted), is_active=True).exclude(email="").order_by("pk")


def digest_context(user, start: date, end: date) -> dict:
    teams = list(Team.objects.filter(Q(lead=user) | Q(members=user)).distinct().order_by("name"))
    week = queries.Filters(start=start, end=end, kind="all", period="custom")
    rows = []
    for team in teams or [None]:
        # Relational and transactional NPS are different questions: reported apart, never mixed.
        for kind, label in Campaign.Kind.choices:
            change = queries.nps_summary(
                queries.Filters(start=start, end=end, kind=kind, period="custom", team=team.pk if team else None)
            )
            if change.current.n or change.previous.n:
                rows.append({"team": team, "kind": label, "change": change})
    scope = Q(team_id__in=[t.pk for t in teams]) if teams else Q()
    answers = queries.responses(week).filter(scope)
    commented = answers.exclude(comment="").select_related("campaign", "contact")
    # Best: the happiest of promoters and passives; worst: the unhappiest detractors.
    best = list(commented.exclude(category=Category.DETRACTOR).order_by("-score", "-submitted_at")[:3])
    worst = list(commented.filter(category=Category.DETRACTOR).order_by("score", "-submitted_at")[:3])
    overdue = FollowUp.objects.filter(scope, status__in=FollowUp.OPEN_STATUSES, due_at__lt=timezone.now())
    return {
        "user": user,
        "start": start,
        "end": end,
        "teams": teams,
        "rows": rows,
        "new_detractors": answers.filter(category=Category.DETRACTOR).count(),
        "overdue": overdue.count(),
        "best": best,
        "worst": worst,
        "dashboard_url": absolute_url(reverse("scoring:dashboard")),
        "detractors_url": absolute_url(
            f"{reverse('scoring:comment_list')}?{week.as_query(category=Category.DETRACTOR)}"
        ),
    }


def send_weekly_digests(*, now=None, force: bool = False) -> int:
    """Send last week's digest to each recipient who has not had it yet. Returns how many were sent.

    Acts only on Monday from DIGEST_HOUR (beat runs it hourly). The unique (user, week) row and the
    send_once key make it once per recipient per week, however often it runs, even concurrently.
    """
    now = now or timezone.now()
    if not force and not is_digest_time(now):
        return 0
    start, end = week_bounds(timezone.localtime(now, ZoneInfo(settings.TIME_ZONE)).date())
    sent, failed = 0, []
    with queries.one_look():
        for user in recipients():
            try:
                with transaction.atomic():
                    DigestDelivery.objects.create(user=user, week_start=start)
                    emails.send_weekly_digest(user=user, week_start=start, context=digest_context(user, start, end))
            except IntegrityError:
                continue  # already sent this week
            except Exception:  # one bad address or provider error must not stop the others
                logger.exception("weekly digest to user %s failed", user.pk)
                failed.append(user.pk)
                continue
            sent += 1
    if failed:
        raise DigestsFailed(f"{len(failed)} digest(s) failed: users {failed[:20]}")
    return sent
