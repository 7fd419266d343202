"""Root causes suggested from the install's own agents' tags (#23.2).

Learning (nightly, `retrain`): every case with at least one root cause and a comment is a
document (its comment as stems, themes.text, in the comment's language) labelled with its root
causes. Root causes with fewer than MIN_PER_CAUSE cases are left out. Below MIN_CASES tagged cases
the suggester switches itself off and the root causes page says so. Otherwise a linear classifier
(one-vs-rest logistic regression on TF-IDF features, scikit-learn in a process of its own:
themes.learning) is cross-validated in FOLDS folds, and its precision at 1 and at 3 (how many of
the first one or three suggestions were tags the agent chose, on cases the model had not seen),
and the same for always suggesting the most frequent root causes (the baseline), are kept with the
model fitted on every case.

Suggesting (`suggest`, on the case page): the stored model scores the case's comment with plain
arithmetic (no scikit-learn in the web process): TF-IDF as the learner computed it, one dot
product per root cause. The three best that the case does not have yet are offered; accepting one
is the agent's click, so every tag stays a human decision.
"""

import math
from collections import Counter

from django.db.models import Count
from django.utils import timezone

from followups.models import FollowUp, RootCauseModel, RootCauseTag
from themes import learning, text
from themes.models import CommentAnalysis

MIN_CASES = 50
MIN_PER_CAUSE = 3
FOLDS = 5
SUGGESTIONS = 3


def state() -> RootCauseModel:
    return RootCauseModel.objects.get_or_create(pk=1)[0]


def _document(comment: str, language: str) -> list[str]:
    return text.stems(comment, language if language in text.LANGUAGES else "en")


def training_cases() -> list[tuple[list[str], list[str]]]:
    """(stems of the comment, root-cause ids as text) of every tagged case with a comment."""
    cases = (
        FollowUp.objects.filter(tags__isnull=False)
        .exclude(response__comment="")
        .annotate(n=Count("tags"))
        .values_list("pk", "response_id", "response__comment", "response__language")
    )
    rows = list(cases)
    tags: dict[int, list[str]] = {}
    for case_id, tag_id in FollowUp.tags.through.objects.filter(followup_id__in=[r[0] for r in rows]).values_list(
        "followup_id", "rootcausetag_id"
    ):
        tags.setdefault(case_id, []).append(str(tag_id))
    languages = dict(CommentAnalysis.objects.filter(pk__in=[r[1] for r in rows]).values_list("response_id", "language"))
    return [
        (_document(comment, languages.get(response_id, answered_in)), sorted(tags.get(case_id, [])))
        for case_id, response_id, comment, answered_in in rows
    ]


def retrain(*, now=None) -> RootCauseModel:
    """Learn from the tagged cases again (the nightly task). Off below MIN_CASES."""
    cases = training_cases()
    frequent = {tag for tag, n in Counter(t for _doc, tags in cases for t in tags).items() if n >= MIN_PER_CAUSE}
    cases = [(doc, [t for t in tags if t in frequent]) for doc, tags in cases]
    cases = [(doc, tags) for doc, tags in cases if doc and tags]
    found = state()
    found.trained_at, found.cases = now or timezone.now(), len(cases)
    if len(cases) < MIN_CASES or len(frequent) < 2:
        found.active, found.metrics, found.model = False, {}, {}
    else:
        result = learning.run(
            {"job": "classifier", "documents": [d for d, _t in cases], "labels": [t for _d, t in cases], "folds": FOLDS}
        )
        found.active, found.metrics, found.model = True, result["metrics"], result["model"]
    found.save()
    return found


def scores(model: dict, document: list[str]) -> dict[str, float]:
    """The model's decision value per root cause for a document of stems (TF-IDF with sublinear tf
    and L2 norm, as themes.fit learned it)."""
    idf, weights = model["idf"], model["weights"]
    vector = {term: (1 + math.log(n)) * idf[term] for term, n in Counter(document).items() if term in idf}
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    totals = list(model["intercept"])
    for term, value in vector.items():
        for i, weight in enumerate(weights.get(term, ())):
            totals[i] += weight * value / norm
    return dict(zip(model["classes"], totals))


def suggest(followup: FollowUp, *, limit: int = SUGGESTIONS) -> list[RootCauseTag]:
    """The root causes most likely for the case's comment that it does not have yet (none while
    the suggester is off or the case has no comment)."""
    current = state()
    comment = followup.response.comment
    if not current.active or not comment:
        return []
    analysis = CommentAnalysis.objects.filter(pk=followup.response_id).values_list("language", flat=True).first()
    ranked = scores(current.model, _document(comment, analysis or followup.response.language))
    have = {str(pk) for pk in followup.tags.values_list("pk", flat=True)}
    order = [int(tag) for tag, _score in sorted(ranked.items(), key=lambda item: -item[1]) if tag not in have]
    tags = RootCauseTag.objects.filter(active=True).in_bulk(order)
    return [tags[pk] for pk in order if pk in tags][:limit]
