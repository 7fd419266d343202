"""One account's page (#24): its figures under the filters (counted live: one account is small),
its contacts with their latest answers, every answer, the cases, the improvements that reached it,
the NPS by month and one timeline of all of it. Reads only."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from followups.models import FollowUp, Improvement, ImprovementNotice
from scoring.accounts import empty_counts, figures, live_counts
from scoring.days import local_day
from scoring.filters import Filters, dimension_q
from surveys import nps
from surveys.models import CUSTOMER_KINDS, Account, Contact, Response

ANSWER_LIMIT = 200


@dataclass
class Moment:
    """A line of the account's timeline."""

    at: datetime
    kind: str  # answer | case | improvement | churn
    text: str
    url: str = ""
    category: str = ""


def _answers(account: Account, filters: Filters):
    """The account's answers the viewer may see (their teams' only, for an agent), of any survey type."""
    scope = Q() if filters.teams is None else Q(team_id__in=filters.teams)
    return Response.objects.filter(scope, contact__account=account, kind__in=CUSTOMER_KINDS)


def account_summary(account: Account, filters: Filters) -> dict:
    """Everything the account page shows."""
    now, today = timezone.now(), timezone.localdate()
    counts = live_counts(filters, [account.pk]).get(account.pk, empty_counts())
    answers = list(
        _answers(account, filters)
        .select_related("contact", "campaign", "touchpoint")
        .order_by("-submitted_at", "-id")[:ANSWER_LIMIT]
    )
    cases = list(
        FollowUp.objects.filter(contact__account=account)
        .filter(Q() if filters.teams is None else Q(team_id__in=filters.teams) | Q(response__team_id__in=filters.teams))
        .select_related("owner", "contact", "response")
        .order_by("-created_at")
    )
    notices = list(
        ImprovementNotice.objects.filter(contact__account=account)
        .select_related("improvement", "contact")
        .order_by("-sent_at", "-id")
    )
    improvements = list(
        Improvement.objects.filter(Q(notices__contact__account=account) | Q(links__response__contact__account=account))
        .distinct()
        .order_by("-created_at")
    )
    return {
        "figures": figures(counts, renewal_date=account.renewal_date, now=now, today=today),
        "contacts": _contacts(account),
        "answers": answers,
        "cases": cases,
        "open_cases": sum(case.status in FollowUp.OPEN_STATUSES for case in cases),
        "improvements": improvements,
        "trend": monthly_nps(account, filters),
        "timeline": _timeline(account, answers, cases, notices),
    }


def _contacts(account: Account) -> list[Contact]:
    """The account's contacts, decision makers first, each with `.latest` (their latest answer or None)."""
    contacts = list(account.contacts.filter(erased_at__isnull=True).order_by("account_role", "name", "email"))
    contacts.sort(key=lambda c: (c.account_role != "decision_maker", c.account_role == "", c.name.lower()))
    latest = {}
    answers = Response.objects.filter(contact__in=contacts, kind__in=CUSTOMER_KINDS)
    for response in answers.select_related("campaign").order_by("contact_id", "-submitted_at", "-id"):
        latest.setdefault(response.contact_id, response)
    for contact in contacts:
        contact.latest = latest.get(contact.pk)
    return contacts


def monthly_nps(account: Account, filters: Filters) -> list[dict]:
    """The account's NPS per month of the period, over every answer of the survey type (the trend)."""
    answers = _answers(account, filters).filter(
        dimension_q(filters), submitted_at__gte=filters.start_dt, submitted_at__lt=filters.end_dt
    )
    months = defaultdict(lambda: {nps.PROMOTER: 0, nps.PASSIVE: 0, nps.DETRACTOR: 0})
    for day, category in answers.annotate(day=local_day("submitted_at")).values_list("day", "category"):
        months[day.replace(day=1)][category] += 1
    return [
        {
            "month": month,
            "result": nps.nps_from_counts(
                promoters=c[nps.PROMOTER], passives=c[nps.PASSIVE], detractors=c[nps.DETRACTOR]
            ),
        }
        for month, c in sorted(months.items())
    ]


def _timeline(account: Account, answers, cases, notices) -> list[Moment]:
    moments = [
        Moment(
            r.submitted_at,
            "answer",
            _("%(contact)s answered %(score)s (%(campaign)s)")
            % {"contact": r.contact, "score": r.score, "campaign": r.campaign.name},
            category=r.category,
        )
        for r in answers
    ]
    for case in cases:
        moments.append(
            Moment(
                case.created_at,
                "case",
                _("Case #%(id)s opened") % {"id": case.pk},
                reverse("followups:followup_detail", args=[case.pk]),
            )
        )
        if case.closed_at:
            moments.append(
                Moment(
                    case.closed_at,
                    "case",
                    _("Case #%(id)s closed") % {"id": case.pk},
                    reverse("followups:followup_detail", args=[case.pk]),
                )
            )
    for notice in notices:
        if notice.sent_at:
            moments.append(
                Moment(
                    notice.sent_at,
                    "improvement",
                    _("%(contact)s was told about “%(improvement)s”")
                    % {"contact": notice.contact, "improvement": notice.improvement.title},
                )
            )
    if account.churned_at:
        churned = datetime.combine(account.churned_at, datetime.min.time(), tzinfo=timezone.get_current_timezone())
        moments.append(
            Moment(churned, "churn", _("The account churned: %(reason)s") % {"reason": account.churn_reason or "—"})
        )
    return sorted(moments, key=lambda m: m.at, reverse=True)
