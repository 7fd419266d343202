"""`field__any=[...]`: the values travel as one array, `field = ANY(%s)`, on PostgreSQL.

`__in` writes a placeholder per value, so each length of list is another statement: PostgreSQL
plans it anew every time and psycopg never prepares it. A batch task's queries (a hundred ids one
time, ninety-seven the next) keep one text with `__any`, so each connection prepares them once
(settings: prepared statements) and PostgreSQL plans them once. Other databases get the IN list.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup


@ForeignObject.register_lookup  # foreign keys take only their own class's lookups, not Field's
@Field.register_lookup
class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        field = self.lhs.output_field
        return [field.get_prep_value(value) for value in self.rhs]

    def _values(self, connection) -> list:
        field = self.lhs.output_field
        return [field.get_db_prep_value(value, connection, prepared=True) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        values = self._values(connection)
        if not values:
            raise EmptyResultSet
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*params, *values]

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        array_type = self.lhs.output_field.cast_db_type(connection)
        return f"{lhs} = ANY(%s::{array_type}[])", [*params, self._values(connection)]
