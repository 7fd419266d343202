"""field__any: one array parameter instead of an IN list, so a batch query keeps one text."""

import pytest

from surveys.models import Contact
from tests.factories import ContactFactory


@pytest.mark.postgres("an array parameter keeps one statement text; on SQLite the lookup is a plain IN list")
@pytest.mark.django_db
def test_any_finds_the_same_rows_as_in_with_one_statement_text_for_every_length():
    contacts = [ContactFactory() for _ in range(4)]
    ids = [c.pk for c in contacts]
    two = Contact.objects.filter(pk__any=ids[:2]).values_list("pk", flat=True)
    three = Contact.objects.filter(pk__any=ids[1:] + [10**12]).values_list("pk", flat=True)
    assert set(two) == set(ids[:2]) and set(three) == set(ids[1:])
    (sql_two, _), (sql_three, _) = two.query.sql_with_params(), three.query.sql_with_params()
    assert sql_two == sql_three and "= ANY(%s::bigint[])" in sql_two  # one text whatever the number of ids


@pytest.mark.django_db
def test_any_works_on_text_columns_and_with_no_values():
    a, b = ContactFactory(email="a@example.com"), ContactFactory(email="b@example.com")
    assert list(Contact.objects.filter(email__any={"b@example.com", "x@example.com"})) == [b]
    assert list(Contact.objects.filter(pk__any=[])) == []
    assert Contact.objects.exclude(pk__any=[a.pk]).get() == b


@pytest.mark.django_db
def test_any_works_on_foreign_keys():
    from surveys.models import Invitation
    from tests.factories import InvitationFactory

    first, second = InvitationFactory(), InvitationFactory()
    assert list(Invitation.objects.filter(contact_id__any=[second.contact_id])) == [second]
    assert list(Invitation.objects.filter(contact__any=[first.contact_id])) == [first]
