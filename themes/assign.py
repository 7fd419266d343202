"""Reading comments: each comment's language and themes, written by the worker, read by the reports.

Two paths, one piece of code (`_analyse`):
- after an answer or its "why" arrives, the answer-processing path (followups.processing) queues
  `themes.tasks.analyse_comments` for the batch's answers with a new or changed comment;
- a nightly pass (`analyse_pending`) catches up on everything else, incrementally: comments never
  read (a lost task, an import), answers changed since they were read (a new score, an edited
  comment), comments read under an older version of the themes (a theme added, edited, merged),
  and forgets the themes of comments that were removed (retention, erasure).

An analysis remembers the answer's `updated_at` as it was read, not the clock: an answer that
changes while it is being read is read again next time. Writing is idempotent (delete, then insert
ignoring conflicts), so two workers reading the same answers change nothing twice.
"""

import logging
import threading

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from surveys.models import Response
from themes import text
from themes.matching import Matcher
from themes.models import CommentAnalysis, CommentTheme, Theme, ThemeRules

BATCH = 2000
FIELDS = (
    "pk",
    "comment",
    "language",
    "updated_at",
    "submitted_at",
    "category",
    "kind",
    "campaign_id",
    "touchpoint_id",
    "team_id",
    "channel",
)
COPIED = ("submitted_at", "category", "kind", "campaign_id", "touchpoint_id", "team_id", "channel", "language")
logger = logging.getLogger(__name__)
_matchers: dict[int, Matcher] = {}
_lock = threading.Lock()


def rules() -> ThemeRules:
    return ThemeRules.objects.get_or_create(pk=1)[0]


def matcher(version: int) -> Matcher:
    """The matcher of the active themes at `version`, built once per process and version."""
    with _lock:
        found = _matchers.get(version)
        if found is None:
            themes = list(Theme.objects.filter(active=True).values_list("pk", "phrases"))
            _matchers.clear()
            found = _matchers[version] = Matcher(themes)
        return found


def analyse_responses(*, response_ids: list[int]) -> int:
    """Read the comments of these answers now (the worker, right after they arrived). Returns how
    many comments were read; answers without a comment lose any themes they had."""
    done = 0
    for start in range(0, len(response_ids), BATCH):
        ids = response_ids[start : start + BATCH]
        rows = list(Response.objects.filter(pk__in=ids).exclude(comment="").values(*FIELDS))
        _forget([i for i in ids if i not in {row["pk"] for row in rows}])
        done += _analyse(rows)
    return done


def pending(version: int):
    """The answers whose comment needs reading: never read, changed since, or read under older rules."""
    return (
        Response.objects.exclude(comment="")
        .filter(
            Q(comment_analysis__isnull=True)
            | Q(comment_analysis__analysed_at__lt=F("updated_at"))
            | Q(comment_analysis__rules_version__lt=version)
        )
        .order_by("pk")
    )


def analyse_pending(*, limit: int = 200_000) -> int:
    """The nightly pass: forget the themes of removed comments, then read up to `limit` pending
    comments in batches (the rest the next night). Returns how many were read."""
    removed = list(CommentAnalysis.objects.filter(response__comment="").values_list("pk", flat=True)[:limit])
    _forget(removed)
    state = rules()
    done = 0
    while done < limit:
        rows = list(pending(state.version).values(*FIELDS)[: min(BATCH, limit - done)])
        if not rows:
            break
        done += _analyse(rows, version=state.version)
    ThemeRules.objects.filter(pk=state.pk).update(last_pass_at=timezone.now(), last_pass_count=done)
    return done


def _forget(ids: list[int]) -> None:
    if ids:
        with transaction.atomic():
            CommentTheme.objects.filter(response_id__in=ids).delete()
            CommentAnalysis.objects.filter(response_id__in=ids).delete()


def _analyse(rows: list[dict], *, version: int | None = None) -> int:
    """Detect each comment's language, match it to the themes, and store both."""
    if not rows:
        return 0
    version = version or rules().version
    match = matcher(version)
    analyses, assignments = [], []
    for row in rows:
        language = text.detect_language(row["comment"], row["language"])
        themes = match.themes_for(row["comment"], language)
        analyses.append(
            CommentAnalysis(
                response_id=row["pk"],
                language=language,
                analysed_at=row["updated_at"],
                rules_version=version,
                themed=bool(themes),
                submitted_at=row["submitted_at"],
            )
        )
        copied = {name: row[name] for name in COPIED}
        assignments += [CommentTheme(response_id=row["pk"], theme_id=theme, **copied) for theme in sorted(themes)]
    ids = [row["pk"] for row in rows]
    with transaction.atomic():
        CommentTheme.objects.filter(response_id__in=ids).delete()
        CommentAnalysis.objects.filter(response_id__in=ids).delete()
        CommentAnalysis.objects.bulk_create(analyses, ignore_conflicts=True)
        CommentTheme.objects.bulk_create(assignments, ignore_conflicts=True)
    return len(rows)
