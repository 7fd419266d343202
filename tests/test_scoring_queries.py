"""The named queries against a hand-built data set: exact counts and NPS for every cut.

The shop, March 2026 (transactional unless said otherwise):
  Support (team Care, e-mail):  10 pro/en, 10 pro/nl, 9 starter/en, 7 starter/en, 3 no-attributes/en
                                → 3P 1Pa 1D, n 5, NPS +40
  Billing (team Money, web):     2 pro/en, 5 anonymous/nl, 9 starter/en → 1P 2D, n 3, NPS −33.3
  All transactional:             n 8, 4P 1Pa 3D, NPS +12.5
  Relational (Renewal):          10 pro, 0 starter → kept apart
  Outside the period:            Support 0 on 10 Feb (the previous period), Support 10 on 5 Apr.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from scoring import queries
from scoring.rollup import refresh_rollup
from tests.factories import (
    AnswerFactory,
    CampaignFactory,
    ContactFactory,
    InvitationFactory,
    QuestionFactory,
    ResponseFactory,
    TeamFactory,
    TouchpointFactory,
)

AMS = ZoneInfo("Europe/Amsterdam")


def at(day: str, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=AMS)


def march(**params):
    return queries.parse_filters(
        {"period": "custom", "start": "2026-03-01", "end": "2026-03-31", "kind": "transactional", **params}
    )


@pytest.fixture
def shop(db):
    care, money = TeamFactory(name="Care"), TeamFactory(name="Money")
    support = CampaignFactory(
        name="Support survey",
        kind="transactional",
        channel="email",
        team=care,
        touchpoint=TouchpointFactory(name="Support"),
    )
    billing = CampaignFactory(
        name="Billing survey",
        kind="transactional",
        channel="web",
        team=money,
        touchpoint=TouchpointFactory(name="Billing"),
    )
    relational = CampaignFactory(name="Yearly", kind="relational", touchpoint=TouchpointFactory(name="Renewal"))
    pro = ContactFactory(attributes={"plan": "pro", "region": "EU", "tier": "gold"})
    starter = ContactFactory(attributes={"plan": "starter", "region": "NA", "tier": "gold"})
    bare = ContactFactory(attributes={})
    answers = {}
    for name, campaign, score, contact, language, day in (
        ("s10a", support, 10, pro, "en", "2026-03-03"),
        ("s10b", support, 10, pro, "nl", "2026-03-04"),
        ("s9", support, 9, starter, "en", "2026-03-10"),
        ("s7", support, 7, starter, "en", "2026-03-11"),
        ("s3", support, 3, bare, "en", "2026-03-20"),
        ("b2", billing, 2, pro, "en", "2026-03-05"),
        ("b5", billing, 5, None, "nl", "2026-03-06"),
        ("b9", billing, 9, starter, "en", "2026-03-25"),
        ("r10", relational, 10, pro, "en", "2026-03-07"),
        ("r0", relational, 0, starter, "en", "2026-03-08"),
        ("before", support, 0, pro, "en", "2026-02-10"),
        ("after", support, 10, pro, "en", "2026-04-05"),
    ):
        answers[name] = ResponseFactory(
            campaign=campaign,
            score=score,
            contact=contact,
            language=language,
            channel=campaign.channel,
            submitted_at=at(day),
            comment=f"comment {name}",
        )
    refresh_rollup()  # as the worker does: the panels read the rollups
    return {
        "support": support,
        "billing": billing,
        "relational": relational,
        "care": care,
        "money": money,
        "pro": pro,
        "starter": starter,
        "answers": answers,
    }


def _table(rows):
    return {
        row["label"]: (row["result"].n, row["result"].promoters, row["result"].passives, row["result"].detractors)
        for row in rows
    }


def _nps(rows):
    return {row["label"]: row["result"].nps for row in rows}


def test_it_counts_the_period_and_keeps_relational_apart(shop):
    current = queries.nps_summary(march()).current
    assert (current.n, current.promoters, current.passives, current.detractors) == (8, 4, 1, 3)
    assert current.nps == pytest.approx(12.5)
    relational = queries.nps_summary(march(kind="relational")).current
    assert (relational.n, relational.nps) == (2, 0.0)
    both = queries.nps_summary(march(kind="all")).current
    assert both.n == 10


def test_it_compares_with_the_period_before(shop):
    change = queries.nps_summary(march())
    assert change.previous.n == 1 and change.previous.nps == -100  # the 0 on 10 February
    assert change.delta == pytest.approx(112.5)
    assert not change.significant  # 8 and 1 answers: too few to call anything


def test_it_breaks_down_by_touchpoint_campaign_and_team(shop):
    assert _table(queries.nps_by(march(), "touchpoint")) == {"Support": (5, 3, 1, 1), "Billing": (3, 1, 0, 2)}
    assert _nps(queries.nps_by(march(), "touchpoint")) == {
        "Support": pytest.approx(40.0),
        "Billing": pytest.approx(-100 / 3),
    }
    assert _table(queries.nps_by(march(), "campaign")) == {
        "Support survey": (5, 3, 1, 1),
        "Billing survey": (3, 1, 0, 2),
    }
    assert _table(queries.nps_by(march(), "team")) == {"Care": (5, 3, 1, 1), "Money": (3, 1, 0, 2)}


def test_it_breaks_down_by_channel_and_language(shop):
    assert _table(queries.nps_by(march(), "channel")) == {"email": (5, 3, 1, 1), "web": (3, 1, 0, 2)}
    languages = queries.nps_by(march(), "language")
    assert _table(languages) == {"en": (6, 3, 1, 2), "nl": (2, 1, 0, 1)}
    assert _nps(languages)["en"] == pytest.approx(100 / 6)


def test_it_cuts_by_segment_attribute(shop):
    plans = queries.nps_by_segment(march(), "plan")
    assert _table(plans) == {"pro": (3, 2, 0, 1), "starter": (3, 2, 1, 0), "(none)": (2, 0, 0, 2)}
    assert _nps(plans) == {"pro": pytest.approx(100 / 3), "starter": pytest.approx(200 / 3), "(none)": -100}
    # A key without a rollup is cut live, with the same answer shape.
    assert _table(queries.nps_by_segment(march(), "tier")) == {"gold": (6, 4, 1, 1), "(none)": (2, 0, 0, 2)}


def test_a_segment_filter_narrows_every_panel(shop):
    pro = march(segment="plan=pro")
    assert queries.uses_rollup(pro)
    assert _table([{"label": "all", "result": queries.nps_summary(pro).current}]) == {"all": (3, 2, 0, 1)}
    assert queries.score_distribution(pro) == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2]
    assert _table(queries.nps_by(pro, "touchpoint")) == {"Support": (2, 2, 0, 0), "Billing": (1, 0, 0, 1)}
    assert _table(queries.nps_by_segment(pro, "plan")) == {"pro": (3, 2, 0, 1)}
    gold = march(segment="tier=gold")  # no rollup for this key: counted from the responses
    assert not queries.uses_rollup(gold)
    assert queries.nps_summary(gold).current.nps == pytest.approx(50.0)
    assert _table(queries.nps_by(gold, "touchpoint")) == {"Support": (4, 3, 1, 0), "Billing": (2, 1, 0, 1)}
    assert _table(queries.nps_by_segment(gold, "region")) == {"EU": (3, 2, 0, 1), "NA": (3, 2, 1, 0)}


def test_the_other_filters_narrow_the_summary(shop):
    assert queries.nps_summary(march(touchpoint=shop["support"].touchpoint_id)).current.n == 5
    assert queries.nps_summary(march(team=shop["money"].pk)).current.n == 3
    assert queries.nps_summary(march(campaign=shop["billing"].pk)).current.nps == pytest.approx(-100 / 3)
    assert queries.nps_summary(march(channel="web")).current.n == 3
    assert queries.nps_summary(march(language="nl")).current.n == 2


def test_the_distribution_counts_each_score(shop):
    assert queries.score_distribution(march()) == [0, 0, 1, 1, 0, 1, 0, 1, 0, 2, 2]


def test_periods_are_bucketed_in_the_configured_time_zone(db):
    campaign = CampaignFactory(kind="transactional")
    # Sunday 1 March 23:30 in Amsterdam is still March 1 there (22:30 UTC) …
    ResponseFactory(campaign=campaign, score=10, submitted_at=at("2026-03-01", 23, 30))
    # … and Monday 2 March 00:30 in Amsterdam is a new week, though it is still Sunday in UTC.
    ResponseFactory(campaign=campaign, score=0, submitted_at=at("2026-03-02", 0, 30))
    ResponseFactory(campaign=campaign, score=9, submitted_at=at("2026-03-31", 23, 30))  # 21:30 UTC, summer time
    ResponseFactory(campaign=campaign, score=8, submitted_at=at("2026-04-01", 0, 30))
    filters = queries.parse_filters(
        {"period": "custom", "start": "2026-02-01", "end": "2026-04-30", "kind": "transactional"}
    )
    weeks = {row["period"]: row["result"].n for row in queries.nps_by_period(filters, "week")}
    assert weeks == {date(2026, 2, 23): 1, date(2026, 3, 2): 1, date(2026, 3, 30): 2}
    days = {row["period"]: row["result"].nps for row in queries.nps_by_period(filters, "day")}
    assert days[date(2026, 3, 1)] == 100 and days[date(2026, 3, 2)] == -100
    months = {row["period"]: row["result"].n for row in queries.nps_by_period(filters, "month")}
    assert months == {date(2026, 3, 1): 3, date(2026, 4, 1): 1}
    quarters = {row["period"]: row["result"].n for row in queries.nps_by_period(filters, "quarter")}
    assert quarters == {date(2026, 1, 1): 3, date(2026, 4, 1): 1}
    raw = queries.parse_filters(
        {
            "period": "custom",
            "start": "2026-02-01",
            "end": "2026-04-30",
            "kind": "transactional",
            "segment": "tier=none",
        }
    )
    assert queries.nps_by_period(raw, "week") == []  # the live path takes the same filters


def test_the_bucket_follows_the_length_of_the_period_and_the_answers(db):
    month, quarter, year = (queries.parse_filters({"period": p}) for p in ("30d", "90d", "365d"))
    assert (month.bucket(), quarter.bucket(), year.bucket()) == ("day", "week", "month")
    assert queries.trend_bucket(month, 30 * 30) == "day"  # thirty answers a day: a point a day
    assert queries.trend_bucket(month, 100) == "week"  # too few for days; months would be one point
    assert queries.trend_bucket(year, 100) == "quarter"
    assert queries.trend_bucket(year, 100, "day") == "day"  # asked for explicitly
    assert queries.trend_bucket(year, 100, "hour") == "quarter"


def test_the_response_rate_is_answered_over_delivered(shop):
    support = shop["support"]
    for status in ("sent", "sent", "answered", "answered", "answered", "bounced"):
        InvitationFactory(campaign=support, status=status, sent_at=at("2026-03-12"))
    InvitationFactory(campaign=support, status="answered", sent_at=at("2026-02-12"))  # sent before the period
    InvitationFactory(campaign=shop["relational"], status="answered", sent_at=at("2026-03-12"))  # other kind
    rate = queries.response_rate(march())
    assert (rate["delivered"], rate["answered"]) == (5, 3) and rate["rate"] == pytest.approx(0.6)
    assert queries.response_rate(march(kind="relational"))["rate"] == 1.0
    assert queries.response_rate(march(team=shop["money"].pk))["rate"] is None
    assert queries.response_rate(march(segment="plan=pro"))["delivered"] == 5  # factory contacts are pro


def test_an_answer_counts_for_the_response_rate_before_the_worker_marks_the_invitation(shop):
    """The answer request writes only the response; the status follows from the worker."""
    invitation = InvitationFactory(campaign=shop["support"], status="sent", sent_at=at("2026-03-12"))
    ResponseFactory(
        campaign=shop["support"],
        contact=invitation.contact,
        invitation=invitation,
        score=9,
        submitted_at=at("2026-03-12", 13),
    )
    raw = queries.response_rate(march(language="en"))  # a language filter is cut live, not from the rollup
    counted = queries.response_rate(march())  # settled days from the rollup
    assert (raw["delivered"], raw["answered"]) == (counted["delivered"], counted["answered"]) == (1, 1)


def test_the_response_rate_reads_the_last_days_live(db):
    from django.utils import timezone

    campaign = CampaignFactory(kind="relational")
    queries.response_rate(queries.parse_filters({"period": "30d"}))  # the rollup is built
    InvitationFactory(campaign=campaign, status="sent", sent_at=timezone.now())
    InvitationFactory(campaign=campaign, status="answered", sent_at=timezone.now())
    assert queries.response_rate(queries.parse_filters({"period": "30d"}))["rate"] == 0.5
    InvitationFactory(campaign=campaign, status="bounced", sent_at=timezone.now())
    assert queries.response_rate(queries.parse_filters({"period": "30d"}))["delivered"] == 2


@pytest.fixture
def drivers(shop):
    support, a = shop["support"], shop["answers"]
    csat = QuestionFactory(campaign=support, kind="csat", text="How satisfied were you?", order=1)
    speed = QuestionFactory(campaign=support, kind="single", text="How fast?", choices=["Fast", "Slow"], order=2)
    topics = QuestionFactory(
        campaign=support, kind="multiple", text="What mattered?", choices=["Price", "Staff", "App"], order=3
    )
    note = QuestionFactory(campaign=support, kind="text", text="Anything else?", order=4)
    for name, number, chosen, picked in (
        ("s10a", 5, "Fast", ["Staff", "App"]),
        ("s10b", 4, "Fast", ["Staff"]),
        ("s9", 4, "Slow", []),
        ("s7", 3, "Slow", ["Price"]),
        ("s3", 1, "Slow", ["Price", "App"]),
    ):
        AnswerFactory(response=a[name], question=csat, number=number)
        AnswerFactory(response=a[name], question=speed, text=chosen)
        AnswerFactory(response=a[name], question=topics, choices=picked)
        AnswerFactory(response=a[name], question=note, text=f"free text {name}")
    refresh_rollup(full=True)  # driver answers added to answers already counted
    return {"csat": csat, "speed": speed, "topics": topics, "note": note}


def _panel(results, question):
    panel = next(p for p in results if p["question"].pk == question.pk)
    return panel, {a["label"]: (a["result"].n, a["result"].nps) for a in panel["answers"]}


def test_driver_results_give_averages_and_the_nps_behind_each_answer(drivers):
    results = queries.driver_results(march())
    assert drivers["note"].pk not in {p["question"].pk for p in results}  # free text is not a driver cut
    panel, rows = _panel(results, drivers["csat"])
    assert panel["average"] == pytest.approx(3.4)
    assert rows == {"1": (1, -100), "3": (1, 0), "4": (2, 100), "5": (1, 100)}
    assert panel["pulls_down"] == "1"
    panel, rows = _panel(results, drivers["speed"])
    assert rows == {"Fast": (2, 100), "Slow": (3, 0)} and panel["average"] is None and panel["pulls_down"] == "Slow"
    panel, rows = _panel(results, drivers["topics"])
    assert rows == {"Staff": (2, 100), "App": (2, 0), "Price": (2, -50)} and panel["pulls_down"] == "Price"


def test_driver_results_under_a_segment_filter_count_live(drivers):
    results = queries.driver_results(march(segment="plan=starter"))
    _, rows = _panel(results, drivers["csat"])
    assert rows == {"3": (1, 0), "4": (1, 100)}
    _, rows = _panel(results, drivers["topics"])
    assert rows == {"Price": (1, 0)}
    assert _panel(queries.driver_results(march(segment="tier=gold")), drivers["speed"])[1] == {
        "Fast": (2, 100),
        "Slow": (2, 50),
    }


def test_comments_filter_by_category_touchpoint_and_text(shop):
    assert [r.score for r in queries.comment_list(march(category="detractor"))] == [3, 5, 2]
    assert [r.score for r in queries.comment_list(march(touchpoint=shop["billing"].touchpoint_id))] == [9, 5, 2]
    assert [r.comment for r in queries.comment_list(march(q="S10B"))] == ["comment s10b"]
    praise = queries.latest_comments(march(), category="promoter", limit=2)
    assert [r.score for r in praise] == [9, 9]


def test_bad_filter_values_are_ignored_and_reported(db):
    filters = queries.parse_filters(
        {
            "period": "custom",
            "start": "2026-13-45",
            "end": "x",
            "kind": "both",
            "campaign": "abc",
            "team": "-3",
            "touchpoint": "99999999999999999999",
            "segment": "plan",
            "channel": "fax",
            "category": "angry",
            "language": "xx",
        }
    )
    assert (filters.period, filters.kind, filters.campaign, filters.team, filters.touchpoint) == (
        "90d",
        "relational",
        None,
        None,
        None,
    )
    assert (filters.segment_key, filters.channel, filters.category, filters.language) == ("", "", "", "")
    assert len(filters.errors) == 9
    assert queries.parse_filters({"segment": "bad\x00key=1"}).segment_key == ""
    assert queries.parse_filters({"segment": "k" * 81 + "=1"}).segment_key == ""
    # Any printable name is a key: it is a query parameter, never SQL or a lookup path.
    hostile = queries.parse_filters({"segment": "x'); drop table--=1", "kind": "all"})
    assert hostile.segment_key == "x'); drop table--" and queries.nps_summary(hostile).current.n == 0


def test_the_filters_round_trip_through_the_url(db):
    filters = queries.parse_filters(
        {
            "period": "custom",
            "start": "2026-03-01",
            "end": "2026-03-31",
            "kind": "all",
            "team": "4",
            "segment": "plan=pro",
            "q": "slow",
        }
    )
    from django.http import QueryDict

    assert queries.parse_filters(QueryDict(filters.as_query())) == filters


def test_any_attribute_name_can_be_a_segment(db):
    campaign = CampaignFactory(kind="transactional")
    odd = ContactFactory(attributes={"Customer tier": "gold", "contains": "x", "size": 50})
    ResponseFactory(campaign=campaign, contact=odd, score=10, submitted_at=at("2026-03-10"), comment="odd one")
    ResponseFactory(campaign=campaign, contact=ContactFactory(attributes={}), score=0, submitted_at=at("2026-03-10"))
    for segment in ("Customer tier=gold", "contains=x", "size=50"):  # size is rolled up, the others live
        filters = march(segment=segment)
        assert filters.segment_key == segment.split("=")[0]
        assert queries.nps_summary(filters).current.n == 1, segment
        assert queries.comment_list(filters).count() == 1
    assert _table(queries.nps_by_segment(march(), "Customer tier")) == {"gold": (1, 1, 0, 0), "(none)": (1, 0, 0, 1)}
    assert _table(queries.nps_by_segment(march(), "size")) == {"50": (1, 1, 0, 0), "(none)": (1, 0, 0, 1)}
