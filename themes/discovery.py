"""Discovering themes nobody defined yet, from the comments no theme covers.

Nightly, per language: the most recent uncovered comments (at most MAX_COMMENTS of the last
DAYS days) become stems without stop words (themes.text); TF-IDF and NMF (scikit-learn, in a
process of its own: themes.learning) find TOPICS groups of comments that share words. A group
becomes a proposal when it gathers at least MIN_SIZE comments and its top words are not already a
theme's phrases or a rejected proposal's words. Each proposal shows its top words (as the comments
write them, not as stems) and its 5 most typical comments. The run replaces the open proposals of
the night before; decided ones stay as the record.
"""

from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from surveys.models import Response
from themes import learning, text
from themes.models import CommentAnalysis, Theme, ThemeProposal, ThemeRules

DAYS = 90
MAX_COMMENTS = 20_000
MIN_COMMENTS = 30  # fewer uncovered comments in a language: nothing to learn from
MIN_SIZE = 5
TOPICS = 8
EXAMPLES = 5
TOP_TERMS = 8
OVERLAP = 2  # top stems shared with a theme or a rejected proposal that make a proposal known


def uncovered(language: str, *, since) -> list[tuple[int, str]]:
    """(answer id, comment) of the latest comments in `language` that no theme covers."""
    ids = CommentAnalysis.objects.filter(themed=False, language=language, submitted_at__gte=since).order_by(
        "-submitted_at"
    )
    ids = list(ids.values_list("pk", flat=True)[:MAX_COMMENTS])
    return list(Response.objects.filter(pk__in=ids).exclude(comment="").values_list("pk", "comment"))


def _known_stems(language: str) -> list[set]:
    """The stems of every theme phrase and of every rejected proposal: what is not new."""
    known = []
    for phrases in Theme.objects.values_list("phrases", flat=True):
        known += [set(text.stems(p, language)) for p in (phrases or {}).get(language, [])]
    rejected = ThemeProposal.objects.filter(status=ThemeProposal.Status.REJECTED, language=language)
    known += [set(stems[:TOP_TERMS]) for stems in rejected.values_list("stems", flat=True)]
    return [k for k in known if k]


def discover(*, now=None) -> list[ThemeProposal]:
    """Run discovery for each language and replace the open proposals. Returns the new proposals."""
    now = now or timezone.now()
    proposals, notes = [], {}
    for language in text.LANGUAGES:
        found, note = _discover(language, since=now - timedelta(days=DAYS))
        proposals += found
        if note:
            notes[language] = note
    with transaction.atomic():
        ThemeProposal.objects.filter(status=ThemeProposal.Status.OPEN).delete()
        ThemeProposal.objects.bulk_create(proposals)
        state = ThemeRules.objects.get_or_create(pk=1)[0]
        state.discovered_at, state.discovery_notes = now, notes
        state.save(update_fields=["discovered_at", "discovery_notes"])
    return proposals


def _discover(language: str, *, since) -> tuple[list[ThemeProposal], str]:
    comments = uncovered(language, since=since)
    if len(comments) < MIN_COMMENTS:
        return [], gettext_noop("too few comments without a theme")
    surface: dict[str, Counter] = {}
    documents = []
    for _pk, comment in comments:
        document = []
        for word in text.words(comment):
            if word in text.stop_words(language) or len(word) < 3:
                continue
            stem = text.stem(word, language)
            surface.setdefault(stem, Counter())[word] += 1
            document.append(stem)
        documents.append(document)
    result = learning.run({"job": "topics", "documents": documents, "topics": TOPICS})
    known = _known_stems(language)
    proposals = []
    for topic in result["topics"]:
        stems = topic["terms"][:TOP_TERMS]
        if len(topic["members"]) < MIN_SIZE or not stems:
            continue
        if any(len(set(stems[:4]) & k) >= min(OVERLAP, len(k)) for k in known):
            continue
        proposals.append(
            ThemeProposal(
                language=language,
                stems=stems,
                terms=[surface[s].most_common(1)[0][0] if s in surface else s for s in stems],
                examples=_distinct_examples(comments, topic["members"]),
                size=len(topic["members"]),
            )
        )
    return proposals, "" if proposals else gettext_noop("no new group of comments found")


def _distinct_examples(comments: list[tuple[int, str]], members: list[int]) -> list[int]:
    """The ids of the EXAMPLES most typical comments, each text once (customers repeat each other)."""
    seen, chosen = set(), []
    for i in members:
        key = " ".join(text.words(comments[i][1]))
        if key not in seen:
            seen.add(key)
            chosen.append(comments[i][0])
            if len(chosen) == EXAMPLES:
                break
    return chosen
