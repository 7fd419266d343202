"""Invitations lose the pattern-matching indexes that Django adds on PostgreSQL beside each indexed or
unique CharField (`…_like`, varchar_pattern_ops: token, status, provider message id, trigger key).
They serve only LIKE 'prefix%' lookups, which nothing makes on these columns (the equality lookups use
the plain indexes), yet every invitation written or updated wrote an entry into each of them: the
worker's statement that marks a batch of 250 answered invitations wrote 1.6–3.4 MB of WAL with them
and 0.9–1.8 MB without (#27, 200,000 answers), and the token's alone was as large as its unique index.

Django's migration state never lists these indexes, so it stays as it is; a later AlterField of one of
these columns may create its pattern index again, which tests/test_invitation_indexes.py would catch.
Dropped CONCURRENTLY, so a large table keeps taking writes (hence not atomic). SQLite has none.
"""

from django.db import migrations

TABLE = "surveys_invitation"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
            "AND indexdef LIKE '%%varchar_pattern_ops%%'",
            [TABLE],
        )
        names = [name for (name,) in cursor.fetchall()]
    for name in names:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in ("token", "status", "provider_message_id", "trigger_key"):
        schema_editor.execute(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{TABLE}_{column}_like" '
            f'ON "{TABLE}" ("{column}" varchar_pattern_ops)'
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("surveys", "0021_accounts_list_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
