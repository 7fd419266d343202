"""Reading the themes for their staff pages: each theme with how many comments name it, the open
proposals with their example comments, and the state of the nightly pass."""

from datetime import timedelta

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import Response
from themes.models import CommentAnalysis, Theme, ThemeDay, ThemeProposal, ThemeRules

RECENT_DAYS = 90


def theme_rows() -> list[Theme]:
    """Every theme with `recent`: the comments of the last 90 days that name it (from the daily
    rollup the reports read)."""
    since = timezone.localdate() - timedelta(days=RECENT_DAYS)
    counts = dict(
        ThemeDay.objects.filter(day__gt=since)
        .values_list("theme_id")
        .annotate(n=Sum(F("promoters") + F("passives") + F("detractors")))
        .order_by()
    )
    themes = list(Theme.objects.all())
    for theme in themes:
        theme.recent = counts.get(theme.pk, 0)
    return themes


def coverage() -> dict:
    """Of the comments of the last 90 days read so far: how many, and how many no theme covers."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    return CommentAnalysis.objects.filter(submitted_at__gte=since).aggregate(
        read=Count("pk"), uncovered=Count("pk", filter=Q(themed=False))
    )


def open_proposals() -> list[ThemeProposal]:
    """The open proposals, each with `comments`: its example comments (those still there)."""
    proposals = list(ThemeProposal.objects.filter(status=ThemeProposal.Status.OPEN))
    ids = {pk for proposal in proposals for pk in proposal.examples}
    comments = dict(Response.objects.filter(pk__in=ids).exclude(comment="").values_list("pk", "comment"))
    for proposal in proposals:
        proposal.comments = [comments[pk] for pk in proposal.examples if pk in comments]
    return proposals


def state() -> ThemeRules:
    """The nightly pass's state, with `notes`: why discovery proposed nothing in a language."""
    found = ThemeRules.objects.get_or_create(pk=1)[0]
    found.notes = [f"{language.upper()}: {_(note)}" for language, note in sorted(found.discovery_notes.items())]
    return found
