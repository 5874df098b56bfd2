"""Model instances from a hand-written join: what select_related() gives, without the ORM
building and compiling the query on every request; and the values and INSERT of a row as the
ORM would write them.

For the few statements that run on every screen and every grade (cards.queries, Card.review).
The SELECT list names every concrete column of each model in field order (`columns`);
`instances` cuts a row into one instance per model, with the same conversions Django applies
to a query's results (SQLite's dates and booleans, JSON), so the instances are as the ORM
would have made them; `db_values` and `insert` prepare each value as the ORM's save() does.
"""

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, Any], Any]


def columns(model: type[Model], alias: str) -> str:
    """Every concrete column of `model`, in field order, from the table named `alias`."""
    return ", ".join(f"{alias}.{field.column}" for field in model._meta.concrete_fields)


@cache
def _converters(model: type[Model], vendor: str) -> tuple[tuple[int, list, Any], ...]:
    """For each column of `model` that the database returns in another form: its position,
    the converters Django's query compiler would apply, and the expression they expect."""
    found = []
    for position, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        # django-stubs does not declare Field.get_db_converters.
        own = field.get_db_converters(connection)  # type: ignore[attr-defined]
        functions = connection.ops.get_db_converters(column) + own
        if functions:
            found.append((position, functions, column))
    return tuple(found)


@cache
def _pk_position(model: type[Model]) -> int:
    return model._meta.concrete_fields.index(model._meta.pk)


def instance(model: type[M], values: Sequence[Any]) -> M | None:
    """An instance of `model` from its columns' values as `columns` lists them; None for a
    LEFT JOIN that found no row."""
    values = list(values)
    if values[_pk_position(model)] is None:
        return None
    for position, functions, column in _converters(model, connection.vendor):
        for convert in functions:
            values[position] = convert(values[position], column, connection)
    names = [field.attname for field in model._meta.concrete_fields]
    return model.from_db(connection.alias, names, values)


def instances(row: Sequence[Any], *models: type[Model]) -> list[Model | None]:
    """One instance of each model, from consecutive slices of `row`."""
    found: list[Model | None] = []
    start = 0
    for model in models:
        end = start + len(model._meta.concrete_fields)
        found.append(instance(model, row[start:end]))
        start = end
    return found


# --- writes -------------------------------------------------------------------------------------


def db_values(model: type[Model], values: dict[str, Any]) -> dict[str, Any]:
    """By column, each of `values` (by field name) as Django would save it to its field."""
    prepared = {}
    for name, value in values.items():
        field = model._meta.get_field(name)
        assert isinstance(field, Field)  # a column, not a relation's other side
        prepared[field.column] = field.get_db_prep_save(value, connection)
    return prepared


def inserted_fields(model: type[Model]) -> list[Field]:
    """The fields an INSERT of a new instance writes, in order: every concrete field but the
    automatic primary key."""
    meta = model._meta
    return [field for field in meta.concrete_fields if field is not meta.auto_field]


def new_row(obj: Model) -> dict[str, Any]:
    """By column, the values an INSERT of a new instance writes (inserted_fields), as the
    ORM's save() prepares them."""
    return {
        field.column: field.get_db_prep_save(field.pre_save(obj, True), connection)
        for field in inserted_fields(type(obj))
    }


def saved(obj: Model, pk: Any) -> None:
    """The new instance, as the ORM leaves it once written: its primary key, no longer adding."""
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias


def insert(obj: Model) -> None:
    """INSERT a new instance (every concrete field but its automatic primary key, which comes
    back and is set)."""
    values = new_row(obj)
    sql = (
        f"INSERT INTO {obj._meta.db_table} ({', '.join(values)})"
        f" VALUES ({', '.join(['%s'] * len(values))}) RETURNING {obj._meta.pk.column}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(values.values()))
        saved(obj, cursor.fetchone()[0])
