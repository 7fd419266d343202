"""The NPS arithmetic: hand-computed cases and properties."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveys.nps import SCORE_RANGES, NpsChange, category_for, nps_from_counts, round_half_away


@pytest.mark.parametrize(
    "score,category",
    [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"), (9, "promoter"), (10, "promoter")],
)
def test_category_from_score(score, category):
    assert category_for(score) == category


def test_one_rule_for_the_category_of_a_score():
    import scoring.nps
    from surveys.models import Category

    assert scoring.nps.category_for is category_for  # scoring re-exports the rule, it keeps no copy
    assert {c.value for c in Category} == set(SCORE_RANGES)
    for category, (low, high) in SCORE_RANGES.items():
        assert {category_for(score) for score in range(low, high + 1)} == {category}
    assert sorted(score for low, high in SCORE_RANGES.values() for score in range(low, high + 1)) == list(range(11))


@pytest.mark.parametrize("bad", [-1, 11, 3.5, "7", None, True])
def test_it_rejects_a_score_outside_0_to_10(bad):
    with pytest.raises(ValueError):
        category_for(bad)


def test_a_hand_computed_nps_and_margin():
    result = nps_from_counts(promoters=50, passives=30, detractors=20)
    assert result.nps == 30.0
    # p = .5, d = .2: Var = (.7 - .09) / 100 = .0061; margin = 1.96 * sqrt(.0061) * 100
    assert result.margin == pytest.approx(1.96 * math.sqrt(0.0061) * 100)
    assert round(result.margin, 2) == 15.31
    assert not result.too_few


def test_passives_count_in_the_denominator():
    assert nps_from_counts(promoters=1, passives=2, detractors=1).nps == 0.0
    assert nps_from_counts(promoters=3, passives=1, detractors=0).nps == 75.0


def test_the_exact_value_is_kept_and_only_display_rounds():
    result = nps_from_counts(promoters=2, passives=0, detractors=1)
    assert result.nps == pytest.approx(33.3333, rel=1e-4)
    assert result.nps_display == 33
    assert round_half_away(-2.5) == -3 and round_half_away(2.5) == 3


def test_below_the_minimum_n_it_is_flagged():
    assert nps_from_counts(promoters=10, passives=5, detractors=5).too_few
    assert nps_from_counts(promoters=0, passives=0, detractors=0).nps is None


def test_a_real_change_is_significant_and_noise_is_not():
    before = nps_from_counts(promoters=400, passives=300, detractors=300)  # +10
    after = nps_from_counts(promoters=500, passives=300, detractors=200)  # +30
    assert NpsChange(after, before).significant and NpsChange(after, before).delta == 20
    small_before = nps_from_counts(promoters=14, passives=10, detractors=10)
    small_after = nps_from_counts(promoters=16, passives=10, detractors=8)
    assert not NpsChange(small_after, small_before).significant


counts = st.integers(min_value=0, max_value=5000)


@given(counts, counts, counts)
def test_nps_lies_between_minus_100_and_100(p, pa, d):
    result = nps_from_counts(promoters=p, passives=pa, detractors=d)
    if result.n:
        assert -100 <= result.nps <= 100
        assert result.margin >= 0


@given(st.integers(1, 50), st.integers(0, 50), st.integers(0, 50), st.integers(2, 20))
def test_the_margin_shrinks_as_n_grows_for_the_same_shares(p, pa, d, factor):
    small = nps_from_counts(promoters=p, passives=pa, detractors=d)
    large = nps_from_counts(promoters=p * factor, passives=pa * factor, detractors=d * factor)
    assert large.nps == pytest.approx(small.nps)
    assert large.margin <= small.margin + 1e-9


@given(counts, counts, counts)
def test_swapping_promoters_and_detractors_flips_the_sign(p, pa, d):
    a = nps_from_counts(promoters=p, passives=pa, detractors=d)
    b = nps_from_counts(promoters=d, passives=pa, detractors=p)
    if a.n:
        assert a.nps == pytest.approx(-b.nps)
        assert a.margin == pytest.approx(b.margin)


def test_the_change_z_is_hand_computed():
    before = nps_from_counts(promoters=400, passives=300, detractors=300)  # p .4, d .3: Var = .69 / 1000
    after = nps_from_counts(promoters=500, passives=300, detractors=200)  # p .5, d .2: Var = .61 / 1000
    assert NpsChange(after, before).z == pytest.approx(20 / (math.sqrt(0.0013) * 100))  # 5.547
    assert round(NpsChange(after, before).z, 3) == 5.547


def test_a_change_is_never_significant_with_too_few_answers():
    before = nps_from_counts(promoters=0, passives=0, detractors=20)
    after = nps_from_counts(promoters=20, passives=0, detractors=0)
    assert abs(NpsChange(after, before).z) > 1.96 and not NpsChange(after, before).significant
    assert NpsChange(after, nps_from_counts(promoters=0, passives=0, detractors=0)).delta is None


def test_the_minimum_comes_from_the_settings(settings):
    settings.KRINGLOOP = {**settings.KRINGLOOP, "MIN_RESPONSES": 5}
    assert not nps_from_counts(promoters=3, passives=1, detractors=1).too_few
    assert nps_from_counts(promoters=3, passives=0, detractors=1).too_few


@given(counts, counts, counts, counts, counts, counts)
def test_the_change_is_antisymmetric_and_significance_needs_enough_answers(p1, pa1, d1, p2, pa2, d2):
    a = nps_from_counts(promoters=p1, passives=pa1, detractors=d1, min_n=30)
    b = nps_from_counts(promoters=p2, passives=pa2, detractors=d2, min_n=30)
    if a.n and b.n:
        forward, backward = NpsChange(a, b), NpsChange(b, a)
        assert forward.delta == pytest.approx(-backward.delta)
        assert forward.z == pytest.approx(-backward.z) or math.isinf(forward.z)
        assert forward.significant == backward.significant
        if forward.significant:
            assert a.n >= 30 and b.n >= 30 and abs(forward.delta) > 0
