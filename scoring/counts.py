"""Counting promoters, passives and detractors in SQL, from rollup rows (the sum of n per score) or
from answers (by their stored category), and adding up counts that came from both."""

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from scoring.nps import DETRACTOR, PASSIVE, PROMOTER, NpsResult, category_for, nps_from_counts

NAMES = ("promoters", "passives", "detractors")
CATEGORIES = dict(zip(NAMES, (PROMOTER, PASSIVE, DETRACTOR)))
# The scores of each category, from the one rule (scoring.nps.category_for): rollups store scores.
SCORES = {name: [s for s in range(11) if category_for(s) == category] for name, category in CATEGORIES.items()}
EVERYTHING = Q()  # a filter that keeps every row


def rollup_counts(within: Q = EVERYTHING) -> dict:
    return {name: Coalesce(Sum("n", filter=within & Q(score__in=SCORES[name])), 0) for name in NAMES}


def row_counts(within: Q = EVERYTHING, path: str = "") -> dict:
    return {name: Count("id", filter=within & Q(**{f"{path}category": CATEGORIES[name]})) for name in NAMES}


ROLLUP_COUNTS = rollup_counts()
COUNTS = row_counts()


def result(row) -> NpsResult:
    return nps_from_counts(
        promoters=row["promoters"],
        passives=row["passives"],
        detractors=row["detractors"],
        min_n=settings.KRINGLOOP["MIN_RESPONSES"],
    )


def added(rows, key) -> list[dict]:
    """Rows with the same key(row) added up (their counts; other values from the first row), in
    the order of their first appearance: rollup rows and live rows become one table."""
    totals: dict = {}
    for row in rows:
        total = totals.get(key(row))
        if total is None:
            totals[key(row)] = dict(row)
        else:
            for name in NAMES:
                total[name] += row[name]
    return list(totals.values())
