"""ORM queries compiled to SQL once and then run with new parameters, for the few hot paths where
building the SQL costs more than running it (a three-way join compiles in ~2 ms and runs in 0.15).

The SQL still comes from the ORM, so it follows the models, and so do the values: each row goes
through the converters the ORM itself would apply (a queryset's rows and a compiled query's are
equal, on PostgreSQL and SQLite alike; tests/test_compiled.py). Only the compiling is cached.

    by_token = CompiledQuery(lambda token: Invitation.objects.filter(token=token).values_list("id", "status"))
    locked = CompiledQuery(lambda pk: Response.objects.select_for_update().filter(pk=pk).values_list("id"), kinds=(int,))
    by_token.first("abc")  # -> (12, "sent") or None

CompiledInsert does the same for `Model.objects.create()`: the INSERT's text is built once from the
model's fields; each call only prepares the values, as the ORM would (pre_save, get_db_prep_save).
"""

from threading import Lock

from django.db import connections


class CompiledQuery:
    def __init__(self, build, *, kinds: tuple = (str,), using: str = "default"):
        """`build` takes one argument per entry of `kinds` (str or int: what the query compares them with)
        and returns a queryset whose parameters are those arguments as they are (no `__contains`)."""
        self._build = build
        self._kinds = kinds
        self._using = using
        self._compiled: tuple[str, list, list] | None = None
        self._lock = Lock()

    def _compile(self, arity: int) -> tuple[str, list, list]:
        """(SQL, [(argument index or None, fixed value)] per parameter, [(position, converters,
        expression)] per column that the ORM converts), from the queryset built with markers."""
        if arity != len(self._kinds):
            raise TypeError(f"expected {len(self._kinds)} parameters, got {arity}")
        markers = [
            -(2**62) - i if kind is int else f"\x1fcompiled-query-parameter-{i}\x1f"
            for i, kind in enumerate(self._kinds)
        ]
        compiler = self._build(*markers).query.get_compiler(using=self._using)
        sql, params = compiler.as_sql()
        slots = [markers.index(p) if type(p) in (str, int) and p in markers else None for p in params]
        missing = set(range(arity)) - {s for s in slots if s is not None}
        if missing:
            raise ValueError(f"parameters {sorted(missing)} are not plain values of the query")
        # The ORM's own converters for each selected column (as its results_iter finds them): the
        # database's (SQLite's text datetimes become aware datetimes) and the field's (JSON, UUID).
        converters = compiler.get_converters([column for column, *_rest in compiler.select[: compiler.col_count]])
        return sql, list(zip(slots, params)), [(pos, functions, expr) for pos, (functions, expr) in converters.items()]

    def rows(self, *args) -> list[tuple]:
        """The rows, their values converted as the queryset would give them."""
        if self._compiled is None:
            with self._lock:
                if self._compiled is None:
                    self._compiled = self._compile(len(args))
        elif len(args) != len(self._kinds):
            raise TypeError(f"expected {len(self._kinds)} parameters, got {len(args)}")
        sql, template, converters = self._compiled
        params = [args[slot] if slot is not None else value for slot, value in template]
        connection = connections[self._using]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for pos, functions, expression in converters:
                value = row[pos]
                for function in functions:
                    value = function(value, expression, connection)
                row[pos] = value
            converted.append(tuple(row))
        return converted

    def first(self, *args) -> tuple | None:
        rows = self.rows(*args)
        return rows[0] if rows else None


class CompiledInsert:
    def __init__(self, model, *, using: str = "default"):
        if not model._meta.pk.db_returning:  # the statement leaves the key to the database
            raise TypeError(f"{model.__name__}: CompiledInsert needs a primary key the database generates")
        self._model = model
        self._using = using
        self._fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
        self._sql: str | None = None

    def _compile(self, connection) -> str:
        quote = connection.ops.quote_name
        meta = self._model._meta
        return (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in self._fields)}) "
            f"VALUES ({', '.join(['%s'] * len(self._fields))}) RETURNING {quote(meta.pk.column)}"
        )

    def create(self, **values):
        """Like `Model.objects.create(**values)` (no signals are sent: nothing here listens to them)."""
        connection = connections[self._using]
        if self._sql is None:
            self._sql = self._compile(connection)
        instance = self._model(**values)
        params = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in self._fields]
        with connection.cursor() as cursor:
            cursor.execute(self._sql, params)
            instance.pk = cursor.fetchone()[0]
        # As Model.save() leaves it (Model._state.adding and .db are documented, public attributes).
        instance._state.adding = False
        instance._state.db = self._using
        return instance


def field_paths(model, prefix: str = "") -> list[str]:
    """The `values_list` paths of every concrete field of `model`, in model order."""
    return [f"{prefix}{field.attname}" for field in model._meta.concrete_fields]


def instances_from_row(row, *models, using: str = "default") -> list:
    """Model instances from a CompiledQuery row made of field_paths() runs, one per model in order,
    as the ORM would load them (Model.from_db with the row's converted values); None for a model
    whose primary key is NULL (an outer join found none)."""
    instances, start = [], 0
    for model in models:
        attnames = _attnames(model)
        values = row[start : start + len(attnames)]
        start += len(attnames)
        instances.append(None if values[0] is None else model.from_db(using, attnames, values))
    return instances


def _attnames(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]
