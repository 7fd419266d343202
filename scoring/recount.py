"""Counting the rollups (scoring.models Daily*, LatestScore) from the answers, set-based: each count
is one INSERT … SELECT … GROUP BY inside the database, never a Python loop over responses. Given
date ranges (scoring.days.day_ranges) a count replaces those days' rows; given ALL (None) it
replaces everything. scoring.rollup decides what to recount (scoring.changes) and when.
"""

import json

from django.db import connection
from django.db.models import Count, F, Q, Value, Window
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Lag, RowNumber

from scoring.days import local_day, on_days, within_days
from scoring.models import (
    AccountScore,
    DailyDriverAnswer,
    DailyInvitations,
    DailyScore,
    DailySegmentScore,
    LatestScore,
)
from surveys.models import Answer, Invitation, Question, Response

# An invitation is answered once its response exists; the worker sets the status a moment later.
ANSWERED = Q(status=Invitation.Status.ANSWERED) | Q(response__isnull=False)
# What DailyInvitations counts per day, and what a reader counts live for the days it does not cover.
INVITATION_COUNTS = {
    "invited": Count("id"),
    "bounced": Count("id", filter=Q(status=Invitation.Status.BOUNCED)),
    "delivered": Count("id", filter=~Q(status__in=[Invitation.Status.BOUNCED, Invitation.Status.FAILED])),
    "answered": Count("id", filter=ANSWERED),
    "commented": Count("id", filter=Q(response__isnull=False) & ~Q(response__comment="")),
}
SEGMENT_KEYS = ("plan", "region", "size")  # segment keys with a rollup; other keys are cut live
DIMENSIONS = ("kind", "campaign_id", "touchpoint_id", "team_id", "channel", "language")
ROLLUPS = (DailyScore, DailySegmentScore, DailyDriverAnswer, DailyInvitations, LatestScore, AccountScore)


def insert_from(model, qs) -> None:
    """INSERT INTO model's table the rows of a values()/annotate() queryset, inside the database.

    Columns are taken from the query by name (fields keep their column name, annotations their
    alias), so the SELECT's column order does not matter.
    """
    query = qs.query
    names = [*query.values_select, *query.annotation_select]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    picked = ", ".join(f"src.{quote(name)}" for name in names)
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT {picked} FROM ({sql}) src", params
        )


def _responses(days):
    qs = Response.objects.all()
    return qs if days is None else qs.filter(within_days("submitted_at", days))


def count_scores(days) -> None:
    _delete(DailyScore, days)
    insert_from(
        DailyScore,
        _responses(days).values(*DIMENSIONS, "score").annotate(day=local_day("submitted_at"), n=Count("id")).order_by(),
    )


def _insert_by_segment(
    model,
    qs,
    path: str,
    *,
    sums: tuple = ("n",),
    views=("", *SEGMENT_KEYS),
    key_field: str = "segment_key",
    value_field: str = "segment_value",
) -> None:
    """Insert `qs`'s groups once per segment view in one statement: "" (everything) and each key.

    The groups are counted once, by every rolled-up attribute at the same time, and then summed
    per view (WITH g AS (…) INSERT … SELECT … GROUP BY … UNION ALL …), so adding the segment
    views costs one pass over the answers instead of one per key.
    """
    seg = {f"seg_{key}": KeyTextTransform(key, path) for key in SEGMENT_KEYS}
    inner = qs.annotate(**seg, **{name: qs.query.annotations[name] for name in sums})
    columns = [
        name for name in (*qs.query.values_select, *qs.query.annotation_select) if name not in sums and name not in seg
    ]
    quote = connection.ops.quote_name
    group = ", ".join(f"g.{quote(c)}" for c in columns)
    totals = ", ".join(f"SUM(g.{quote(name)})" for name in sums)
    selects, params = [], []
    inner_sql, inner_params = inner.query.sql_with_params()
    for key in views:
        value = f"g.{quote('seg_' + key)}" if key else "NULL"
        selects.append(f"SELECT {group}, %s, {value}, {totals} FROM g GROUP BY {group}{', ' + value if key else ''}")
        params.append(key)
    names = [*columns, key_field, value_field, *sums]
    target = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH g AS ({inner_sql}) INSERT INTO {quote(model._meta.db_table)} ({target}) "
            + " UNION ALL ".join(selects),
            [*inner_params, *params],
        )


def count_segments(days) -> None:
    _delete(DailySegmentScore, days)
    _insert_by_segment(
        DailySegmentScore,
        _responses(days).values(*DIMENSIONS, "score").annotate(day=local_day("submitted_at"), n=Count("id")).order_by(),
        "contact__attributes",
        views=SEGMENT_KEYS,
        key_field="key",
        value_field="value",
    )


def contains_option(option: str) -> Q:
    if connection.vendor == "postgresql":
        return Q(choices__contains=[option])
    # SQLite (the demo) has no JSON containment: look for the option's JSON text inside the array.
    return Q(choices__icontains=json.dumps(option))


def count_drivers(days) -> None:
    _delete(DailyDriverAnswer, days)
    answers = (
        Answer.objects.all() if days is None else Answer.objects.filter(response__in=_responses(days).values("id"))
    )  # a semi-join the planner can drive by the days
    common = {
        "day": local_day("response__submitted_at"),
        **{name: F(f"response__{name}") for name in (*DIMENSIONS, "score")},
    }
    path = "response__contact__attributes"
    numeric = answers.filter(question__kind__in=[Question.Kind.CSAT, Question.Kind.EFFORT], number__isnull=False)
    _insert_by_segment(
        DailyDriverAnswer,
        numeric.values("question_id", "number").annotate(**common, value=Value(""), n=Count("id")).order_by(),
        path,
    )
    single = answers.filter(question__kind=Question.Kind.SINGLE).exclude(text="")
    _insert_by_segment(
        DailyDriverAnswer,
        single.values("question_id").annotate(**common, value=F("text"), n=Count("id")).order_by(),
        path,
    )
    # A multiple-choice answer counts once per option chosen: one grouped query per option.
    for question in (
        Question.objects.filter(kind=Question.Kind.MULTIPLE, answers__in=answers).distinct().only("pk", "choices")
    ):
        for option in question.choices:
            _insert_by_segment(
                DailyDriverAnswer,
                answers.filter(contains_option(option), question_id=question.pk)
                .values("question_id")
                .annotate(**common, value=Value(str(option)[:300]), n=Count("id"))
                .order_by(),
                path,
            )


def count_invitations(days) -> None:
    _delete(DailyInvitations, days)
    sent = Invitation.objects.filter(sent_at__isnull=False)
    if days is not None:
        sent = sent.filter(within_days("sent_at", days))
    _insert_by_segment(
        DailyInvitations,
        sent.values("campaign_id")
        .annotate(
            day=local_day("sent_at"),
            kind=F("campaign__kind"),
            touchpoint_id=F("campaign__touchpoint_id"),
            team_id=F("campaign__team_id"),
            channel=F("campaign__channel"),
            **INVITATION_COUNTS,
        )
        .order_by(),
        "contact__attributes",
        sums=tuple(INVITATION_COUNTS),
    )


def latest_rows(answers):
    """What LatestScore holds, read from `answers`: each contact's latest answer per kind and the
    one before it (LAG over their answers). Give it all of a contact's answers."""
    partition = [F("contact_id"), F("kind")]
    oldest_first = [F("submitted_at").asc(), F("id").asc()]
    return (
        answers.alias(
            newest_first=Window(
                RowNumber(), partition_by=partition, order_by=[F("submitted_at").desc(), F("id").desc()]
            ),
        )
        .annotate(
            response_id=F("id"),
            attributes=F("contact__attributes"),
            account_id=F("contact__account_id"),
            account_role=F("contact__account_role"),
            prev_score=Window(Lag("score"), partition_by=partition, order_by=oldest_first),
            prev_category=Window(Lag("category"), partition_by=partition, order_by=oldest_first),
        )
        .filter(newest_first=1)
        .values(
            "contact_id",
            *DIMENSIONS,
            "submitted_at",
            "score",
            "category",
            "response_id",
            "attributes",
            "account_id",
            "account_role",
            "prev_score",
            "prev_category",
        )
    )


def count_latest(contact_ids) -> None:
    if contact_ids is None:
        _delete(LatestScore, None)
        answers = Response.objects.filter(contact_id__isnull=False)
    else:
        LatestScore.objects.filter(contact_id__in=contact_ids).delete()
        answers = Response.objects.filter(contact_id__in=contact_ids)
    insert_from(LatestScore, latest_rows(answers))


def clear(model) -> None:
    """Empty a rollup table before counting all of it again."""
    _delete(model, None)


def _delete(model, days) -> None:
    if days is not None:
        model.objects.filter(on_days(days)).delete()
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # no dead rows left behind by a full recount
            # Foreign-key checks still pending in this transaction would block the TRUNCATE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {connection.ops.quote_name(model._meta.db_table)}")
    else:
        model.objects.all().delete()
