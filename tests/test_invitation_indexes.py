"""Invitations carry no pattern-matching (`…_like`) indexes on PostgreSQL (surveys migration 0022):
nothing looks their columns up with LIKE, and each one cost every invitation write an index entry."""

import pytest
from django.db import connection

from surveys.models import Invitation

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pattern indexes exist on PostgreSQL only")
def test_invitations_have_their_plain_indexes_and_no_pattern_ones():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [Invitation._meta.db_table])
        indexes = dict(cursor.fetchall())
    assert [name for name, definition in indexes.items() if "pattern_ops" in definition] == []
    unique = {name for name, definition in indexes.items() if definition.startswith("CREATE UNIQUE INDEX")}
    for column in ("token", "trigger_key"):  # still unique, and found by equality through that index
        assert any(f"({column})" in indexes[name] for name in unique), (column, sorted(unique))
    for column in ("status", "provider_message_id"):
        assert any(f"btree ({column})" in definition for definition in indexes.values()), column
