"""The comment search (`comment__icontains`, the comments page and the dashboard's search) served by
a trigram index on PostgreSQL (#27): Django's icontains reads `UPPER(comment::text) LIKE
UPPER('%word%')`, which a GIN index of UPPER(comment) with pg_trgm's operator class answers as it
stands, so the search keeps its meaning (any part of a word, any case) on both databases. The index
covers every answer, not only those with a comment: ANALYZE then keeps statistics of UPPER(comment)
(a partial index's are not used for estimates), and with them the planner reads a common word's
newest matches along the time index and a rare word's through this one (estimated 20 matches where
there were 12,500, it joined and sorted all of them for a page of 25).

pg_trgm ships with PostgreSQL (contrib) and is a trusted extension since PostgreSQL 13: a database
owner may create it without being a superuser (README, "Comment search" says what a managed
PostgreSQL needs). The index is built CONCURRENTLY, so a large table keeps taking answers while it
is built (hence not atomic). SQLite has neither: nothing happens there.
"""

from django.db import migrations

INDEX = "response_comment_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:
        raise RuntimeError(
            "The comment search needs PostgreSQL's pg_trgm extension. Allow it for this database (on a "
            "managed PostgreSQL, in the provider's extension settings), or create it once as a superuser: "
            "CREATE EXTENSION pg_trgm; then run migrate again. README, Comment search."
        ) from exc
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON surveys_response "
        "USING gin (UPPER(comment) gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")  # the extension stays


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("surveys", "0019_widget_secret_shown_and_checks")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
