"""NPS arithmetic for the reports. The rules themselves (category thresholds, NPS, margin of
error, significance of a change) live in surveys.nps, below followups and scoring, so that every
path uses one copy; this module re-exports them for scoring's readers."""

from surveys.nps import (
    DETRACTOR,
    DETRACTOR_MAX,
    PASSIVE,
    PROMOTER,
    PROMOTER_MIN,
    SCORE_RANGES,
    Z95,
    NpsChange,
    NpsResult,
    category_for,
    nps_from_counts,
    round_half_away,
)

__all__ = [
    "DETRACTOR",
    "DETRACTOR_MAX",
    "PASSIVE",
    "PROMOTER",
    "PROMOTER_MIN",
    "SCORE_RANGES",
    "Z95",
    "NpsChange",
    "NpsResult",
    "category_for",
    "nps_from_counts",
    "round_half_away",
]
