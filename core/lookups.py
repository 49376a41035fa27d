"""``__in`` on integer columns that never sends the database a number it cannot hold.

Django (5.0+) already turns ``pk=10**30`` into "no row" instead of an error, but not
``pk__in=[10**30]``: SQLite raises ``OverflowError`` and PostgreSQL may raise ``DataError``,
so a form with a multiple choice of objects (``ModelMultipleChoiceField`` checks the posted
ids with ``__in``) answered 500 to a huge id. Here such values are left out of the list,
as no row can have them; an empty list matches nothing, so the form says the choice is not
valid, like any unknown id.
"""

from __future__ import annotations

from typing import Any

from django.db.models import IntegerField
from django.db.models.lookups import In


def _outside(value: Any, low: int | None, high: int | None) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    return (low is not None and value < low) or (high is not None and value > high)


class InWithinIntegerRange(In):
    """``in`` that drops integers outside the column's range (``connection.ops.integer_field_range``)."""

    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        if self.rhs_is_direct_value():
            field_type = self.lhs.output_field.get_internal_type()
            low, high = connection.ops.integer_field_range(field_type)
            self.rhs = [value for value in self.rhs if not _outside(value, low, high)]
        return super().process_rhs(compiler, connection)


def register() -> None:
    """Install the lookup on every integer field (auto and big auto fields included)."""
    IntegerField.register_lookup(InWithinIntegerRange)
