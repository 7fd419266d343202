"""The comment search (#27): any part of a word, in any case, on both databases (Django's icontains;
on PostgreSQL a trigram index of UPPER(comment) answers it), and a comment list whose count stops
at its cap so the first page costs the same however many comments match."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from scoring import queries, views
from scoring.filters import Filters
from surveys.models import Response
from tests.factories import CampaignFactory, ResponseFactory

COMMENTS = [
    "The invoice was wrong again.",
    "INVOICES arrive late",
    "Great support, quick answers.",
    "We got 50% off the first month",
    "We got 500 off",
    "",
]


@pytest.fixture
def comments(db):
    campaign = CampaignFactory(kind="transactional")
    moment = timezone.now() - timedelta(days=2)
    for i, text in enumerate(COMMENTS):
        ResponseFactory(campaign=campaign, score=5, comment=text, submitted_at=moment + timedelta(minutes=i))
    return campaign


def _search(word: str) -> list[str]:
    today = timezone.localdate()
    filters = Filters(start=today - timedelta(days=30), end=today, kind="transactional", search=word)
    return sorted(r.comment for r in queries.comment_list(filters))


def test_a_search_finds_any_part_of_a_word_in_any_case(comments):
    assert _search("invoice") == ["INVOICES arrive late", "The invoice was wrong again."]
    assert _search("VOIC") == _search("invoice")  # inside a word, whatever the case
    assert _search("support, quick") == ["Great support, quick answers."]  # across words and punctuation
    assert _search("50%") == ["We got 50% off the first month"]  # % and _ are plain characters
    assert _search("in_oice") == []
    assert _search("refund") == []


@pytest.mark.postgres("the trigram index and EXPLAIN are PostgreSQL's")
def test_the_search_is_answered_by_the_trigram_index(comments):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'response_comment_trgm'")
        (definition,) = cursor.fetchone()
    assert "gin_trgm_ops" in definition and "upper(comment)" in definition
    search = Response.objects.filter(comment__icontains="invoice").exclude(comment="")  # as the comment list has it
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: else a scan is cheapest
        plan = search.order_by().explain()
    assert "response_comment_trgm" in plan
    assert Response.objects.filter(comment__icontains="INVOICE").exclude(comment="").count() == 2


def test_the_comment_list_stops_counting_at_its_cap(client, admin, comments, monkeypatch):
    monkeypatch.setattr(views, "COMMENT_LIST_CAP", 3)
    client.force_login(admin)
    response = client.get("/dashboard/comments/?kind=transactional&period=30d")
    page = response.context["page"]
    assert (page.paginator.count, page.paginator.capped, len(page)) == (3, True, 3)
    assert [r.comment for r in page][0] == "We got 500 off"  # the newest first
    assert "More than 3 comments, the newest 3 listed" in response.content.decode()
    response = client.get("/dashboard/comments/?kind=transactional&period=30d&q=invoice")
    assert (response.context["page"].paginator.count, response.context["page"].paginator.capped) == (2, False)
    assert "2 comments" in response.content.decode()
