"""NPS arithmetic: the domain rules, pure functions, no database.

Score 0–10: promoter 9–10, passive 7–8, detractor 0–6. NPS = %promoters − %detractors over all
answers (passives count in the denominator), kept exact and rounded only for display. The 95 %
margin of error uses Var(NPS) = (p + d − (p − d)²) / n with p, d the promoter and detractor shares.

It lives in surveys, next to the Category it decides, so every layer that stores or reads a
category (surveys, followups, scoring, the demo) uses this one rule; scoring.nps re-exports it.
"""

import math
from dataclasses import dataclass

# The stored values of surveys.models.Category.
PROMOTER, PASSIVE, DETRACTOR = "promoter", "passive", "detractor"
# The thresholds, written once: a score of at least PROMOTER_MIN promotes, at most DETRACTOR_MAX detracts.
PROMOTER_MIN, DETRACTOR_MAX = 9, 6
# Inclusive score range of each category, for filters on the score itself (score__range=...).
SCORE_RANGES = {
    PROMOTER: (PROMOTER_MIN, 10),
    PASSIVE: (DETRACTOR_MAX + 1, PROMOTER_MIN - 1),
    DETRACTOR: (0, DETRACTOR_MAX),
}
Z95 = 1.96


def category_for(score: int) -> str:
    """The category of an NPS score: the one place the thresholds are applied."""
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise ValueError(f"An NPS score is a whole number from 0 to 10, not {score!r}.")
    return PROMOTER if score >= PROMOTER_MIN else DETRACTOR if score <= DETRACTOR_MAX else PASSIVE


def round_half_away(value: float) -> int:
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


@dataclass(frozen=True)
class NpsResult:
    n: int
    promoters: int
    passives: int
    detractors: int
    min_n: int = 30

    @property
    def promoter_share(self) -> float:
        return self.promoters / self.n if self.n else 0.0

    @property
    def passive_share(self) -> float:
        return self.passives / self.n if self.n else 0.0

    @property
    def detractor_share(self) -> float:
        return self.detractors / self.n if self.n else 0.0

    @property
    def nps(self) -> float | None:
        """The exact NPS in points (−100…100), or None without answers."""
        if not self.n:
            return None
        return (self.promoters - self.detractors) * 100.0 / self.n

    @property
    def nps_display(self) -> int | None:
        return None if self.nps is None else round_half_away(self.nps)

    @property
    def variance(self) -> float | None:
        """Variance of the NPS as a proportion difference (not in points)."""
        if not self.n:
            return None
        p, d = self.promoter_share, self.detractor_share
        return max(p + d - (p - d) ** 2, 0.0) / self.n

    @property
    def margin(self) -> float | None:
        """95 % margin of error, in NPS points."""
        if self.variance is None:
            return None
        return Z95 * math.sqrt(self.variance) * 100

    @property
    def too_few(self) -> bool:
        return self.n < self.min_n


def nps_from_counts(*, promoters: int, passives: int, detractors: int, min_n: int | None = None) -> NpsResult:
    """An NpsResult from category counts; `min_n` defaults to settings.KRINGLOOP["MIN_RESPONSES"]."""
    if min(promoters, passives, detractors) < 0:
        raise ValueError("Counts cannot be negative.")
    if min_n is None:
        from django.conf import settings

        min_n = settings.KRINGLOOP["MIN_RESPONSES"]
    return NpsResult(
        n=promoters + passives + detractors, promoters=promoters, passives=passives, detractors=detractors, min_n=min_n
    )


@dataclass(frozen=True)
class NpsChange:
    """The change from `previous` to `current`: z = Δ / √(Var₁ + Var₂), both in NPS points."""

    current: NpsResult
    previous: NpsResult

    @property
    def delta(self) -> float | None:
        if self.current.nps is None or self.previous.nps is None:
            return None
        return self.current.nps - self.previous.nps

    @property
    def z(self) -> float | None:
        if self.delta is None:
            return None
        spread = math.sqrt(self.current.variance + self.previous.variance) * 100
        if spread == 0:
            return 0.0 if self.delta == 0 else math.copysign(math.inf, self.delta)
        return self.delta / spread

    @property
    def significant(self) -> bool:
        """True when the change is real at 95 % and both periods have enough answers."""
        if self.z is None or self.current.too_few or self.previous.too_few:
            return False
        return abs(self.z) >= Z95
