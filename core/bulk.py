"""Writing many plain rows at once, cheaper than the ORM's bulk_create.

bulk_create builds a model instance per row and prepares each of its values field by field; for
tens of thousands of rows (a wave's invitations, a batch's theme assignments) that cost more than
the database spent storing them, and the instances held the memory of the whole batch at once.
themes.assign._insert writes theme assignments the same way (with array_params and adapted), with columns copied
from their answer. update_rows marks many rows at once, each with a value of its own (a provider's
message id), where bulk_update builds a CASE per row.
"""

from django.db import connection
from django.db.models import Case, Value, When


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


def update_rows(model, column: str, values: dict, **fixed) -> None:
    """Set `column` of each row (by primary key, the keys of `values`) to its own value, and each
    field named in `fixed` to the same value for all of them. On PostgreSQL one statement of fixed
    text (UPDATE … FROM unnest of the ids and the values), which a connection prepares once whatever
    the batch's length; elsewhere the ORM's CASE with a WHEN per row."""
    if not values:
        return
    if connection.vendor != "postgresql":
        by_pk = Case(*[When(pk=pk, then=Value(value)) for pk, value in values.items()])
        model.objects.filter(pk__in=list(values)).update(**fixed, **{column: by_pk})
        return
    meta, quote = model._meta, connection.ops.quote_name
    field = meta.get_field(column)
    sets = [f"{quote(meta.get_field(name).column)} = %s" for name in fixed]
    sets.append(f"{quote(field.column)} = v.value")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} AS t SET {', '.join(sets)} "
            f"FROM unnest({array_params([meta.pk, field])}) AS v(id, value) WHERE t.{quote(meta.pk.column)} = v.id",
            [*fixed.values(), list(values), list(values.values())],
        )


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
