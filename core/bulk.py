"""Writing many plain rows at once, cheaper than the ORM's bulk_create.

bulk_create builds a model instance per row and prepares each of its values field by field; for
tens of thousands of rows (a wave's invitations, a batch's theme assignments) that cost more than
the database spent storing them, and the instances held the memory of the whole batch at once.
themes.assign._insert writes theme assignments the same way (with array_params and adapted), with columns copied
from their answer.
"""

from django.db import connection


def insert_rows(model, columns: tuple, rows: list[tuple]) -> None:
    """Insert plain rows (one value per name in `columns`: field names or attnames), ignoring rows
    that conflict with existing ones (another worker inserted them meanwhile). Columns not named get
    NULL, so every NOT NULL column without a database default must be named. On PostgreSQL one
    statement for all the rows (INSERT … SELECT FROM unnest of one array per column), elsewhere one
    prepared statement run for each row."""
    if not rows:
        return
    ops = connection.ops
    fields = [model._meta.get_field(name) for name in columns]
    names = ", ".join(ops.quote_name(field.column) for field in fields)
    table = ops.quote_name(model._meta.db_table)
    if connection.vendor == "postgresql":  # arrays in binary: psycopg formats text arrays value by value
        arrays = array_params(fields)
        sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING"
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(column) for column in zip(*rows)])
        return
    values = adapted(fields, rows)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING", values)


def array_params(fields) -> str:
    """The placeholders of one binary array per field, cast to the column's type ("%b::int[], …"):
    psycopg formats a text array element by element, which cost more than storing the rows."""
    return ", ".join(
        f"%b::{field.rel_db_type(connection) if field.is_relation else field.db_type(connection)}[]" for field in fields
    )


def adapted(fields, rows: list[tuple]) -> list[list]:
    """The rows' values as the database driver takes them one statement at a time (off PostgreSQL):
    date-times adapted as the ORM would."""
    adapt = [
        connection.ops.adapt_datetimefield_value if field.get_internal_type() == "DateTimeField" else None
        for field in fields
    ]
    return [[a(v) if a else v for a, v in zip(adapt, row)] for row in rows]
