"""Derived data never takes a page down (#17): the dashboard, the breakdown CSV, the API summary,
the digest and the exports answer with the right numbers (compared with a live count) right after
each kind of change and again after the worker's refresh, on SQLite and PostgreSQL; a refresh that
fails leaves the pages up, shows on /healthz and to admins, and the next refresh heals it."""

import csv
import io
from collections import Counter
from datetime import date, datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from scoring import emails, freshness, queries, subscriptions
from scoring.days import MAX_RANGES, day_ranges
from scoring.models import DailyScore, ReportSubscription, RollupState
from scoring.rollup import refresh_rollup
from surveys.imports import import_run
from surveys.models import Contact, ContactImport, Invitation, Response
from tests.api_fixtures import api, api_as, token_for  # noqa: F401
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

PERIOD = "period=365d&kind=all"


def test_consecutive_days_become_one_range_and_the_ranges_stay_few():
    d = date(2026, 1, 1)
    assert day_ranges([d, d + timedelta(days=1), d + timedelta(days=2), d + timedelta(days=5)]) == [
        (d, d + timedelta(days=2)),
        (d + timedelta(days=5), d + timedelta(days=5)),
    ]
    every_other = [d + timedelta(days=2 * i) for i in range(1000)]
    ranges = day_ranges(every_other)
    assert len(ranges) == MAX_RANGES
    assert ranges[0][0] == every_other[0] and ranges[-1][1] == every_other[-1]  # a superset, never fewer days
    assert all(any(a <= day <= b for a, b in ranges) for day in every_other)
    assert day_ranges([]) == []


# --- The data: one answer a day, over many days --------------------------------------------------
def _seed(days: int, people: int = 40) -> dict:
    team = TeamFactory(name="Care")
    support = CampaignFactory(kind="transactional", touchpoint=TouchpointFactory(name="Support"), team=team)
    renewal = CampaignFactory(kind="relational", touchpoint=TouchpointFactory(name="Renewal"), team=team)
    speed = QuestionFactory(campaign=support, kind="single", choices=["Fast", "Slow"])
    contacts = [
        ContactFactory(email=f"c{i}@example.com", attributes={"plan": "pro" if i % 2 else "free"})
        for i in range(people)
    ]
    now = timezone.now()
    for day in range(days):
        campaign = renewal if day % 3 == 0 else support
        contact = contacts[day % people]
        invitation = InvitationFactory(
            campaign=campaign, contact=contact, status="answered", sent_at=now - timedelta(days=day, hours=2)
        )
        response = ResponseFactory(
            campaign=campaign,
            contact=contact,
            invitation=invitation,
            score=(day * 7) % 11,
            comment=f"day {day}",
            submitted_at=now - timedelta(days=day, hours=1),
        )
        if campaign == support:
            AnswerFactory(response=response, question=speed, text="Fast" if day % 2 else "Slow")
    InvitationFactory(campaign=support, contact=contacts[0], status="sent", sent_at=now - timedelta(days=10))
    refresh_rollup()  # as the worker does
    return {"support": support, "renewal": renewal, "team": team, "contacts": contacts}


def _start(days: int = 365) -> datetime:
    return datetime.combine(
        timezone.localdate() - timedelta(days=days - 1), time.min, tzinfo=timezone.get_current_timezone()
    )


def _live(days: int = 365):
    """The answers of the period, counted from the responses themselves."""
    answers = Response.objects.filter(submitted_at__gte=_start(days)).select_related("contact")
    by_category = Counter(answers.values_list("category", flat=True))
    by_plan = Counter((r.contact.attributes or {}).get("plan") if r.contact else None for r in answers)
    return answers.count(), by_category, by_plan


# --- What may happen to the data -----------------------------------------------------------------
def change_every_contact(client, admin, api, tmp_path):
    for contact in Contact.objects.all():
        contact.attributes = {"plan": "team" if contact.pk % 3 else "free"}
        contact.save()


def import_10000_rows(client, admin, api, tmp_path):
    rows = ["email,name,plan"]
    rows += [f"c{i}@example.com,Old {i},{'gold' if i % 2 else 'silver'}" for i in range(40)]
    rows += [f"new{i}@example.com,New {i},pro" for i in range(10_000 - 40)]
    client.force_login(admin)
    client.post("/contacts/import/", {"file": SimpleUploadedFile("c.csv", "\n".join(rows).encode(), "text/csv")})
    record = ContactImport.objects.latest("pk")
    mapping = {"match_on": "email", "col_0": "email", "col_1": "name", "col_2": "attribute"}
    client.post(f"/contacts/import/{record.pk}/", {**mapping, "action": "import"})
    assert import_run(import_id=record.pk).status == "done"
    assert Contact.objects.count() == 10_000


def upsert_1000_contacts_through_the_api(client, admin, api, tmp_path):
    contacts = [{"email": f"c{i}@example.com", "attributes": {"plan": "enterprise"}} for i in range(40)]
    contacts += [{"email": f"api{i}@example.com", "attributes": {"plan": "pro"}} for i in range(960)]
    response = api.post("/api/contacts/upsert/", {"contacts": contacts}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["errors"] == [] and response.json()["updated"] == 40


def erase_a_contact(client, admin, api, tmp_path):
    contact = Contact.objects.get(email="c1@example.com")
    client.force_login(admin)
    client.post(f"/contacts/{contact.pk}/erase/", {"confirm": contact.email})
    contact.refresh_from_db()
    assert contact.erased_at is not None


def rescore_answers_across_the_years(client, admin, api, tmp_path):
    for response in Response.objects.order_by("submitted_at")[::3]:  # a changed answer every third day
        response.score = 10 - response.score
        response.category = "promoter" if response.score >= 9 else "passive" if response.score >= 7 else "detractor"
        response.save()


CHANGES = {
    "every contact changed": (change_every_contact, 450),
    "10,000-row import": (import_10000_rows, 450),
    "API upsert of 1,000 contacts": (upsert_1000_contacts_through_the_api, 450),
    "an erasure": (erase_a_contact, 450),
    "3 years of days": (rescore_answers_across_the_years, 3 * 366),
}


def _pages_agree_with_a_live_count(client, api, lead):
    n, by_category, by_plan = _live()
    dashboard = client.get(f"/dashboard/?{PERIOD}&by=plan")
    assert dashboard.status_code == 200
    current = dashboard.context["summary"].current
    assert (current.n, current.promoters, current.passives, current.detractors) == (
        n,
        by_category["promoter"],
        by_category["passive"],
        by_category["detractor"],
    )
    assert sum(dashboard.context["distribution"]) == n
    assert sum(point["n"] for point in dashboard.context["trend_data"]) == n
    assert {row["key"]: row["result"].n for row in dashboard.context["by_segment"]} == dict(by_plan)
    speed = Response.objects.filter(submitted_at__gte=_start(), answers__text__in=["Fast", "Slow"]).count()
    assert sum(a["result"].n for d in dashboard.context["drivers"] for a in d["answers"]) == speed
    sent = Invitation.objects.filter(sent_at__gte=_start())
    assert (dashboard.context["rate"]["delivered"], dashboard.context["rate"]["answered"]) == (
        sent.count(),
        sent.exclude(response=None).count(),
    )
    assert client.get("/dashboard/").status_code == 200

    breakdown = client.get(f"/dashboard/breakdown.csv?{PERIOD}&by=plan")
    assert breakdown.status_code == 200
    table = list(csv.reader(io.StringIO(breakdown.content.decode("utf-8-sig"))))[1:]
    assert {row[0]: int(row[1]) for row in table} == {plan or "(none)": count for plan, count in by_plan.items()}

    summary = api.get(f"/api/nps/summary/?{PERIOD}")
    assert summary.status_code == 200 and summary.json()["current"]["n"] == n

    export = client.get(f"/dashboard/export.csv?{PERIOD}")
    assert export.status_code == 200
    assert len(list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))) == n + 1
    assert client.get(f"/dashboard/export.xlsx?{PERIOD}").status_code == 200

    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    start, end = monday - timedelta(days=7), monday - timedelta(days=1)
    rows = emails.key_figures(
        subscriptions.period_filters(
            subscriptions.ReportSubscription(query="kind=all"), lead, subscriptions.Period(start, end, None)
        )
    )
    week = Response.objects.filter(
        submitted_at__gte=datetime.combine(start, time.min, tzinfo=timezone.get_current_timezone()),
        submitted_at__lt=datetime.combine(monday, time.min, tzinfo=timezone.get_current_timezone()),
    )
    assert sum(row["change"].current.n for row in rows) == week.count()


@pytest.mark.parametrize("change", CHANGES)
def test_every_page_answers_with_the_right_numbers_after(change, client, admin, api, lead, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    make_change, days = CHANGES[change]
    data = _seed(days)
    data["team"].lead = lead
    data["team"].save()
    make_change(client, admin, api, tmp_path)
    client.force_login(admin)
    _pages_agree_with_a_live_count(client, api, lead)  # before the worker's refresh: the stale part live
    assert DailyScore.objects.exists()
    refresh_rollup()  # the worker's next refresh
    state = RollupState.objects.get()
    assert state.error == "" and state.refreshed_at is not None
    _pages_agree_with_a_live_count(client, api, lead)  # from the rollups
    with queries.one_look() as coverage:
        assert coverage.current and not coverage.lagging
    # A scheduled report (the lead's weekly one) is made from the same panels and goes out.
    subscription = ReportSubscription.objects.create(user=lead, query="kind=all")
    period = subscriptions.latest_period(subscription, timezone.now())
    assert subscriptions.send_report(subscription, lead, period, key=f"test:{change}").status == "sent"


def test_changing_every_contact_over_hundreds_of_days_keeps_the_dashboard_up(client, admin):
    """The bug of issue #17: a change to every contact made the refresh OR one range per day (380
    here) and SQLite refused the query ("Expression tree is too large"); the refresh ran in the
    reader's request, so every page answered 500 and the watermark never moved."""
    campaign = CampaignFactory(kind="relational")
    contacts = [ContactFactory(attributes={"plan": "pro"}) for _ in range(20)]
    now = timezone.now()
    for day in range(380):
        ResponseFactory(
            campaign=campaign, contact=contacts[day % 20], score=day % 11, submitted_at=now - timedelta(days=day)
        )
    refresh_rollup()
    for contact in Contact.objects.all():
        contact.attributes = {"plan": "free"}
        contact.save()
    client.force_login(admin)
    page = client.get("/dashboard/?period=365d")
    assert page.status_code == 200 and page.context["summary"].current.n == 365
    with freeze_minutes(1):  # past the worker's contact check interval
        assert refresh_rollup() == 380
        page = client.get("/dashboard/?period=365d")
        assert page.status_code == 200
        assert page.context["summary"].current.n == 365
        assert [(row["label"], row["result"].n) for row in page.context["by_segment"]] == [("free", 365)]


def freeze_minutes(minutes: int):
    from freezegun import freeze_time

    return freeze_time(timezone.now() + timedelta(minutes=minutes))


# --- A refresh that fails ------------------------------------------------------------------------
def _break_the_refresh():
    """Make every insert into DailyScore fail, as a broken refresh would (the database refuses)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION kr_broken_refresh() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'refresh broken on purpose'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER kr_broken_refresh BEFORE INSERT ON scoring_dailyscore "
                "FOR EACH ROW EXECUTE FUNCTION kr_broken_refresh()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER kr_broken_refresh BEFORE INSERT ON scoring_dailyscore "
                "BEGIN SELECT RAISE(ABORT, 'refresh broken on purpose'); END"
            )


def _mend_the_refresh():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER kr_broken_refresh ON scoring_dailyscore")
            cursor.execute("DROP FUNCTION kr_broken_refresh()")
        else:
            cursor.execute("DROP TRIGGER kr_broken_refresh")


def test_a_failed_refresh_keeps_the_pages_up_and_the_next_one_heals(client, admin, viewer, api, caplog):
    campaign = CampaignFactory(kind="relational")
    for day in range(30):
        ResponseFactory(campaign=campaign, score=10, submitted_at=timezone.now() - timedelta(days=day))
    refresh_rollup()
    assert client.get("/healthz").json()["derived"]["rollups"]["status"] == "ok"
    ResponseFactory(campaign=campaign, score=0, submitted_at=timezone.now() - timedelta(days=40))
    _break_the_refresh()
    with pytest.raises(Exception, match="refresh broken on purpose"):
        refresh_rollup()
    state = RollupState.objects.get()
    assert "refresh broken on purpose" in state.error and state.failed_at is not None
    assert "rollup refresh failed" in caplog.text

    client.force_login(admin)
    page = client.get("/dashboard/?period=90d")
    assert page.status_code == 200
    assert (page.context["summary"].current.n, page.context["summary"].current.detractors) == (31, 1)  # live
    assert b'data-testid="rollups-lagging"' in page.content and b"refresh broken on purpose" in page.content
    assert "counting the stale part live" in caplog.text
    assert api.get("/api/nps/summary/?period=90d").json()["current"]["n"] == 31
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["derived"]["rollups"]["status"] == "failing"
    client.force_login(viewer)
    assert b'data-testid="rollups-lagging"' not in client.get("/dashboard/?period=90d").content  # admins only
    assert DailyScore.objects.filter(score=0).count() == 0  # nothing half-written

    _mend_the_refresh()
    assert refresh_rollup() >= 1  # the next refresh picks up what the failed one left, by itself
    assert RollupState.objects.get().error == ""
    assert DailyScore.objects.filter(score=0).count() == 1
    client.force_login(admin)
    page = client.get("/dashboard/?period=90d")
    assert page.context["summary"].current.n == 31 and b"rollups-lagging" not in page.content
    assert client.get("/healthz").json()["derived"]["rollups"]["status"] == "ok"


def test_a_reader_never_writes(client, admin):
    campaign = CampaignFactory(kind="relational")
    ResponseFactory(campaign=campaign, score=9)
    client.force_login(admin)
    from django.test.utils import CaptureQueriesContext

    for refreshed in (False, True):
        with CaptureQueriesContext(connection) as queries_run:
            assert client.get("/dashboard/").status_code == 200
            assert client.get("/dashboard/breakdown.csv?by=team").status_code == 200
        writes = [
            q["sql"]
            for q in queries_run.captured_queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
            and "django_session" not in q["sql"]
            and "core_auditlog" not in q["sql"]
            and "auth_user" not in q["sql"]
        ]
        assert writes == [] and not any("FOR UPDATE" in q["sql"] for q in queries_run.captured_queries)
        if not refreshed:
            refresh_rollup()


@pytest.mark.postgres("row locks: SQLite has none, its writers take turns")
@pytest.mark.django_db(transaction=True)
def test_the_beat_refresh_leaves_at_once_when_another_refresh_is_at_work():
    import threading

    from django.db import transaction

    ResponseFactory(score=9)
    refresh_rollup()
    ResponseFactory(score=0)
    held, release = threading.Event(), threading.Event()

    def another_refresh():
        with transaction.atomic():
            RollupState.objects.select_for_update().get(pk=1)
            held.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=another_refresh)
    thread.start()
    try:
        assert held.wait(10)
        assert refresh_rollup(wait=False) == 0  # the task does not queue up behind it
    finally:
        release.set()
        thread.join()
    assert refresh_rollup(wait=False) >= 1
    assert DailyScore.objects.filter(score=0).exists()


def test_after_a_bulk_load_a_reader_counts_only_what_is_new_live(db):
    """Rows within the late-commit margin were counted by the refresh: a reader counts live only
    what lies past the watermark, unless something committed late behind it."""
    from scoring import freshness
    from scoring.changes import LATE_COMMIT_MARGIN

    campaign = CampaignFactory(kind="relational")
    now = timezone.now()
    old = [ResponseFactory(campaign=campaign, submitted_at=now - timedelta(days=day + 2)) for day in range(50)]
    refresh_rollup()
    assert freshness.measure().current
    ResponseFactory(campaign=campaign, score=0, submitted_at=now)
    assert freshness.measure().days == [(timezone.localdate(), timezone.localdate())]
    watermark = RollupState.objects.get().watermark
    # A transaction that stamped its row a little before the watermark and committed after it.
    late = ResponseFactory(campaign=campaign, score=0, submitted_at=now - timedelta(days=30))
    Response.objects.filter(pk=late.pk).update(updated_at=watermark - LATE_COMMIT_MARGIN / 2)
    days = freshness.measure().days  # every row within the margin, then: a superset, as ranges
    assert days[0][0] <= timezone.localtime(old[-1].submitted_at).date() and days[-1][1] == timezone.localdate()
    page = queries.nps_summary(queries.parse_filters({"period": "90d"})).current
    assert (page.n, page.detractors) == (52, 2)


def test_healthz_says_failing_when_even_the_first_refresh_fails(client, admin):
    ResponseFactory(score=3)
    _break_the_refresh()
    with pytest.raises(Exception, match="refresh broken on purpose"):
        refresh_rollup()
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["derived"]["rollups"] == {"status": "failing", "lag_seconds": None}
    client.force_login(admin)
    page = client.get("/dashboard/")
    assert page.status_code == 200 and page.context["summary"].current.n == 1  # counted live
    assert b"refresh broken on purpose" in page.content


def test_contacts_are_indexed_by_when_they_changed(db):
    """Every refresh and every dashboard read asks for the contacts changed since a mark."""
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, Contact._meta.db_table)
    assert indexes["contact_updated"]["index"] and indexes["contact_updated"]["columns"] == ["updated_at"]


@pytest.mark.postgres("reads PostgreSQL's query plan")
def test_a_reader_finds_the_changed_contacts_by_the_index(db):
    ContactFactory()
    refresh_rollup()
    ContactFactory()  # changed past the mark
    with CaptureQueriesContext(connection) as queries_run:
        freshness.measure()
    asked = [q["sql"] for q in queries_run.captured_queries if 'FROM "surveys_contact" WHERE' in q["sql"]]
    assert asked
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test's table is tiny: it would be scanned anyway
        cursor.execute("EXPLAIN " + asked[0])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "contact_updated" in plan, plan
