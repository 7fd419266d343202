"""The driver panel: per driver question, the average answer and the NPS of those who gave each
answer, from the DailyDriverAnswer rollup for the days it covers and live for the rest."""

from django.db.models import F

from scoring import freshness
from scoring.counts import ROLLUP_COUNTS, added, result, row_counts
from scoring.days import on_days
from scoring.filters import Filters, dimension_q, segment_q
from scoring.models import DailyDriverAnswer
from scoring.nps import nps_from_counts
from scoring.panels import reads_rollup, segment_rollup_q
from scoring.recount import contains_option
from surveys.models import Answer, Question


def driver_results(filters: Filters) -> list[dict]:
    """Per driver question: the average (CSAT 1–5, effort 1–7) and the NPS of those who gave each
    answer, so a team sees which answer pulls the score down."""
    coverage = freshness.current()
    answers = Answer.objects.filter(
        dimension_q(filters, "response__") & segment_q(filters, "response__"),
        response__submitted_at__gte=filters.start_dt,
        response__submitted_at__lt=filters.end_dt,
    )
    rows = []
    if reads_rollup(filters, coverage):
        qs = DailyDriverAnswer.objects.filter(
            dimension_q(filters), segment_rollup_q(filters), day__gte=filters.start, day__lte=filters.end
        )
        if coverage.days:
            qs = qs.exclude(on_days(coverage.days))
        rows += list(qs.values("question_id", "number", "value").annotate(**ROLLUP_COUNTS).order_by())
        answers = (
            answers.filter(freshness.stale_days_q(coverage.days, "response__submitted_at")) if coverage.days else None
        )
    if answers is not None:
        rows += _raw_driver_rows(answers)
    rows = added(rows, lambda r: (r["question_id"], r["number"], r["value"]))
    questions = Question.objects.filter(pk__in={row["question_id"] for row in rows}).select_related("campaign")
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row["question_id"], []).append(row)
    panels = []
    for question in sorted(questions, key=lambda q: (q.campaign.name, q.order, q.pk)):
        answers = [
            {
                "label": str(row["number"]) if row["number"] is not None else row["value"],
                "number": row["number"],
                "result": result(row),
            }
            for row in grouped[question.pk]
        ]
        numeric = [a for a in answers if a["number"] is not None]
        total = sum(a["result"].n for a in numeric)
        average = sum(a["number"] * a["result"].n for a in numeric) / total if total else None
        answers.sort(key=lambda a: (a["number"] is None, a["number"] or 0, str(a["label"])))
        overall = _impacts(answers)
        pulls_down = _pulls_down_most(answers)
        panels.append(
            {
                "question": question,
                "overall": overall,
                "average": average,
                "answers": answers,
                "pulls_down": pulls_down,
                "scale": 7 if question.kind == Question.Kind.EFFORT else 5,
            }
        )
    return panels


def _impacts(answers: list[dict]):
    """Set each answer's `impact`: its share of the question's respondents times how far its NPS
    lies from the question's overall NPS, in NPS points (share × gap). Returns the overall NPS.

    The impacts say how much each answer moves the question's NPS: a rare answer scoring -100 can
    cost less than a common one scoring -68."""
    overall = nps_from_counts(
        **{k: sum(getattr(a["result"], k) for a in answers) for k in ("promoters", "passives", "detractors")}
    )
    total = sum(a["result"].n for a in answers)
    for a in answers:
        a["share"] = a["result"].n / total if total else 0
        a["impact"] = (
            a["share"] * (a["result"].nps - overall.nps) if a["result"].n and overall.nps is not None else None
        )
    return overall.nps


def _pulls_down_most(answers: list[dict]):
    """The answer that costs the question's NPS the most: its share of respondents times how far
    its NPS lies below the question's overall NPS. None when no answer pulls it down."""
    overall = nps_from_counts(
        **{k: sum(getattr(a["result"], k) for a in answers) for k in ("promoters", "passives", "detractors")}
    )
    if len(answers) < 2 or overall.nps is None:
        return None
    cost = {a["label"]: a["result"].n * (a["result"].nps - overall.nps) for a in answers if a["result"].n}
    label = min(cost, key=cost.get)
    return label if cost[label] < 0 else None


def _raw_driver_rows(answers) -> list[dict]:
    """What DailyDriverAnswer holds, counted from the answers themselves (segment filters)."""
    counts = row_counts(path="response__")
    numeric = answers.filter(question__kind__in=[Question.Kind.CSAT, Question.Kind.EFFORT], number__isnull=False)
    rows = [{**row, "value": ""} for row in numeric.values("question_id", "number").annotate(**counts).order_by()]
    single = answers.filter(question__kind=Question.Kind.SINGLE).exclude(text="")
    rows += [
        {**row, "number": None} for row in single.values("question_id", value=F("text")).annotate(**counts).order_by()
    ]
    multiple = Question.objects.filter(kind=Question.Kind.MULTIPLE, answers__in=answers).distinct()
    for question in multiple.only("pk", "choices"):
        per_option = _option_counts(answers.filter(question=question), question.choices)
        rows += [
            {"question_id": question.pk, "number": None, "value": option, **counts}
            for option, counts in zip(question.choices, per_option)
            if sum(counts.values())
        ]
    return rows


def _option_counts(answers, options) -> list[dict]:
    """Promoters, passives and detractors per option of a multiple-choice question, in one query."""
    aggregates = {}
    for i, option in enumerate(options):
        for name, count in row_counts(contains_option(option), "response__").items():
            aggregates[f"o{i}_{name}"] = count
    row = answers.aggregate(**aggregates) if aggregates else {}
    return [
        {name: row[f"o{i}_{name}"] for name in ("promoters", "passives", "detractors")} for i in range(len(options))
    ]
