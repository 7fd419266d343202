"""core/compiled.py: a compiled query gives exactly the rows its queryset gives (the ORM's own
converters: aware datetimes on SQLite, JSON, UUIDs, booleans), on PostgreSQL and SQLite alike; its
SQL is built once and run with new parameters; a compiled insert stores what Model.objects.create
stores; misuse fails loudly."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.compiled import CompiledInsert, CompiledQuery, field_paths, instances_from_row
from surveys.models import Campaign, Contact, Invitation, Response
from tests.factories import CampaignFactory, ContactFactory, InvitationFactory, ResponseFactory
from tests.webhooks_support import make_endpoint
from webhooks.models import Delivery


@pytest.fixture
def contact(db):
    return ContactFactory(
        attributes={"plan": "pro", "seats": 12, "tags": ["a", "b"], "nested": {"x": None}},
        opted_out_at=timezone.now() - timedelta(days=3),
    )


def _same_rows(build, *args, kinds=(str,)):
    """The compiled query's rows and the queryset's, for `args`."""
    return CompiledQuery(build, kinds=kinds).rows(*args), [tuple(row) for row in build(*args)]


def test_json_datetimes_and_foreign_keys_come_back_as_the_queryset_gives_them(contact):
    compiled, orm = _same_rows(
        lambda email: Contact.objects.filter(email=email).values_list(*field_paths(Contact)), contact.email
    )
    assert compiled == orm and len(compiled) == 1
    row = dict(zip(field_paths(Contact), compiled[0]))
    assert row["attributes"] == {"plan": "pro", "seats": 12, "tags": ["a", "b"], "nested": {"x": None}}
    assert row["opted_out_at"] == Contact.objects.get(pk=contact.pk).opted_out_at
    assert all(row[name].tzinfo is not None for name in ("opted_out_at", "created_at", "updated_at"))


def test_booleans_and_json_lists_of_a_joined_table_too(db):
    invitation = InvitationFactory(campaign=CampaignFactory(followup_promoters=True, anonymous_link_enabled=False))
    compiled, orm = _same_rows(
        lambda token: Invitation.objects.filter(token=token).values_list(
            "id", "campaign__followup_promoters", "campaign__anonymous_link_enabled", "campaign__created_at"
        ),
        invitation.token,
    )
    assert compiled == orm
    assert compiled[0][1:3] == (True, False) and type(compiled[0][1]) is bool


def test_uuids_come_back_as_uuids(db):
    endpoint = make_endpoint(events=["ping"])
    delivery = Delivery.objects.create(endpoint=endpoint, event="ping", body="{}")
    compiled, orm = _same_rows(
        lambda event: Delivery.objects.filter(event=event).values_list("id", "created_at", "endpoint__events"), "ping"
    )
    assert compiled == orm == [(delivery.pk, delivery.created_at, ["ping"])]
    assert isinstance(compiled[0][0], uuid.UUID)


def test_instances_from_a_row_equal_the_orms_and_a_missing_outer_join_is_none(db, contact):
    invitation = InvitationFactory(contact=contact)
    query = CompiledQuery(
        lambda token: Invitation.objects.filter(token=token).values_list(
            *field_paths(Invitation), *field_paths(Contact, "contact__"), *field_paths(Response, "response__")
        )
    )
    loaded, loaded_contact, response = instances_from_row(query.first(invitation.token), Invitation, Contact, Response)
    assert response is None
    for model, mine, orm in ((Invitation, loaded, invitation), (Contact, loaded_contact, contact)):
        orm.refresh_from_db()
        for field in model._meta.concrete_fields:
            assert getattr(mine, field.attname) == getattr(orm, field.attname), field.name
    assert loaded.pk == invitation.pk and not loaded._state.adding

    answer = ResponseFactory(invitation=invitation, contact=contact, campaign=invitation.campaign, score=4)
    *_rest, response = instances_from_row(query.first(invitation.token), Invitation, Contact, Response)
    answer.refresh_from_db()
    assert [getattr(response, f.attname) for f in Response._meta.concrete_fields] == [
        getattr(answer, f.attname) for f in Response._meta.concrete_fields
    ]


def test_the_sql_is_built_once_and_run_with_each_new_parameter(db):
    built = []

    def build(pk):
        built.append(pk)
        return Campaign.objects.filter(pk=pk).values_list("name")

    query = CompiledQuery(build, kinds=(int,))
    campaigns = [CampaignFactory(name=f"Campaign {i}") for i in range(3)]
    with CaptureQueriesContext(connection) as queries:
        names = [query.first(campaign.pk) for campaign in campaigns]
    assert names == [(c.name,) for c in campaigns]
    assert len(built) == 1  # with a marker, not a real id
    assert len(queries) == 3 and len({q["sql"].split(" WHERE ")[0] for q in queries}) == 1
    assert query.first(-1) is None and query.rows(-1) == []


def test_fixed_values_of_the_query_stay_as_they_were_built(db):
    CampaignFactory(name="Open", status=Campaign.Status.ACTIVE)
    CampaignFactory(name="Shut", status=Campaign.Status.CLOSED)
    query = CompiledQuery(
        lambda name: Campaign.objects.filter(name=name, status=Campaign.Status.ACTIVE).values_list("name")
    )
    assert query.rows("Open") == [("Open",)] and query.rows("Shut") == []


def test_a_wrong_number_of_parameters_is_refused_before_and_after_compiling(db):
    query = CompiledQuery(lambda a, b: Campaign.objects.filter(name=a, language=b).values_list("id"), kinds=(str, str))
    with pytest.raises(TypeError, match="expected 2 parameters, got 1"):
        query.rows("x")
    assert query.rows("x", "en") == []
    with pytest.raises(TypeError, match="expected 2 parameters, got 3"):
        query.rows("x", "en", "nl")


def test_a_parameter_the_query_changes_is_refused(db):
    """`name__contains=x` sends "%x%": the compiled SQL could not take a new x, so it is refused."""
    query = CompiledQuery(lambda text: Campaign.objects.filter(name__contains=text).values_list("id"))
    with pytest.raises(ValueError, match=r"parameters \[0\] are not plain values"):
        query.rows("spring")


def test_a_compiled_insert_stores_what_create_stores(db):
    invitation = InvitationFactory()
    now = timezone.now()
    values = {
        "campaign": invitation.campaign,
        "contact": invitation.contact,
        "score": 9,
        "category": "promoter",
        "kind": "relational",
        "channel": "email",
        "language": "nl",
        "submitted_at": now,
    }
    made = CompiledInsert(Response).create(invitation=invitation, **values)
    plain = Response.objects.create(invitation=InvitationFactory(campaign=invitation.campaign), **values)
    assert made.pk is not None and not made._state.adding and made._state.db == "default"
    assert made.updated_at is not None and made.updated_at.tzinfo is not None  # auto_now, as save() sets it
    stored, expected = Response.objects.get(pk=made.pk), Response.objects.get(pk=plain.pk)
    for field in Response._meta.concrete_fields:
        if field.name not in {"id", "invitation", "updated_at"}:
            assert getattr(stored, field.attname) == getattr(expected, field.attname), field.name
    assert stored.invitation_id == invitation.pk and stored.comment == "" and stored.processed_at is None
    assert abs(stored.updated_at - made.updated_at) < timedelta(seconds=1)


def test_a_compiled_insert_needs_a_key_the_database_makes(db):
    with pytest.raises(TypeError, match="Delivery"):
        CompiledInsert(Delivery)
