"""The audit trail as people read it: field labels, names instead of ids, choice labels.

The entries keep what django-auditlog recorded (field names and raw values as text,
hashed into the chain); this module only reads them. ``describe_entries`` works on a
page of entries at once: the people and objects the changes point to are fetched with
one query per related model, not one per entry.

- a change reads ``Label: before → after``; a creation lists the values it set
  (``Label: value``), a deletion the values it had;
- a foreign key shows the object (a person's name, a control's reference and title),
  a choice its label, a yes/no field "yes" or "no", a date or time in the page format;
- the actor is the person, or for a failed sign-in the email that was typed, or the
  command line or scheduler that made the change (with the operating-system user).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst

from audits.models import LogEntry

NONE_TEXTS = {"None", "", "null"}
SUMMARY_LIMIT = 3
SUMMARY_WIDTH = 80


@dataclass(frozen=True)
class Change:
    """One field of an entry: its label and the values before and after, as people read them."""

    field: str
    label: str
    before: str
    after: str
    many: bool = False  # a many-to-many change: ``before`` says what was removed, ``after`` what was added

    def text(self, action: int) -> str:
        if self.many:
            return f"{self.label}: {self.after or self.before}"
        if action == LogEntry.Action.CREATE:
            return f"{self.label}: {self.after}"
        if action == LogEntry.Action.DELETE:
            return f"{self.label}: {self.before}"
        if not self.before:
            return f"{self.label}: set to {self.after}"
        if not self.after:
            return f"{self.label}: {self.before} removed"
        return f"{self.label}: {self.before} → {self.after}"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "label": self.label, "before": self.before, "after": self.after}


def _raw(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return None if text in NONE_TEXTS else text


def _model_field(model: type[models.Model] | None, name: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def _reverse_relation(model: type[models.Model] | None, name: str) -> bool:
    """A relation seen from the other side (a control's tests): auditlog records it as noise on creation."""
    if model is None:
        return False
    try:
        return not isinstance(model._meta.get_field(name), models.Field)
    except FieldDoesNotExist:
        return False


def _is_relation(field: models.Field[Any, Any] | None) -> bool:
    return field is not None and bool(field.many_to_one or field.one_to_one) and field.related_model is not None


def _when(field: models.Field[Any, Any], text: str) -> str:
    if isinstance(field, models.DateTimeField):
        return _readable_moment(text, timezone.get_current_timezone(), translation.get_language())
    if isinstance(field, models.DateField):
        return _readable_day(text[:10], translation.get_language())
    return text


@functools.lru_cache(maxsize=4096)
def _readable_moment(text: str, zone: tzinfo, language: str | None) -> str:
    """A stored moment as the pages write it, in ``zone``: ``date_format`` costs 30 microseconds, and a
    page of entries repeats the same moments (``created_at`` and ``updated_at`` of each object)."""
    moment = parse_datetime(text)
    if moment is None:
        return text
    if timezone.is_naive(moment):  # auditlog writes datetimes in UTC without the offset
        moment = moment.replace(tzinfo=UTC)
    return formats.date_format(timezone.localtime(moment, zone), "DATETIME_FORMAT")


@functools.lru_cache(maxsize=4096)
def _readable_day(text: str, language: str | None) -> str:
    day = parse_date(text)
    return formats.date_format(day, "DATE_FORMAT") if day is not None else text


class _Names:
    """Names of the objects that foreign-key values point to, fetched per related model."""

    def __init__(self) -> None:
        self.wanted: dict[type[models.Model], set[str]] = defaultdict(set)
        self.found: dict[tuple[type[models.Model], str], str] = {}

    def want(self, model: type[models.Model], value: str | None) -> None:
        if value is not None:
            self.wanted[model].add(value)

    def fetch(self) -> None:
        for model, keys in self.wanted.items():
            valid = [k for k in keys if k.isdigit()] if isinstance(model._meta.pk, models.AutoField) else list(keys)
            for obj in model._base_manager.filter(pk__in=valid):
                self.found[(model, str(obj.pk))] = str(obj)

    def name(self, model: type[models.Model], value: str) -> str:
        return self.found.get((model, value), f"#{value} (no longer exists)")


def _value(field: models.Field[Any, Any] | None, raw: str | None, names: _Names) -> str:
    if raw is None:
        return ""
    if field is None:
        return raw
    if _is_relation(field):
        return names.name(field.related_model, raw)  # type: ignore[arg-type]
    if field.choices:
        labels = {str(key): str(label) for key, label in field.flatchoices}
        return labels.get(raw, raw)
    if isinstance(field, models.BooleanField):
        return {"True": "yes", "False": "no"}.get(raw, raw)
    if isinstance(field, models.DateField | models.DateTimeField):
        return _when(field, raw)
    return raw


def _m2m(name: str, label: str, value: dict[str, Any]) -> Change:
    objects = ", ".join(str(o) for o in value.get("objects", []))
    if value.get("operation") == "add":
        return Change(name, label, "", f"added {objects}", many=True)
    return Change(name, label, f"removed {objects}", "", many=True)


def _pairs(entry: LogEntry) -> list[tuple[str, Any]]:
    return list((entry.changes or {}).items()) if isinstance(entry.changes, dict) else []


def _changes(entry: LogEntry, model: type[models.Model] | None, names: _Names) -> list[Change]:
    rows: list[Change] = []
    for name, value in _pairs(entry):
        field = _model_field(model, name)
        if _reverse_relation(model, name) or (field is not None and field.primary_key):
            continue
        if entry.action == LogEntry.Action.CREATE and field is not None and not field.editable:
            continue  # set by the system on creation (``created_at``): noise in the list
        label = capfirst(str(field.verbose_name)) if field is not None else capfirst(name)
        if isinstance(value, dict) and value.get("type") == "m2m":
            rows.append(_m2m(name, label, value))
            continue
        if not (isinstance(value, list | tuple) and len(value) == 2):
            rows.append(Change(name, label, "", str(value)))
            continue
        before, after = (_value(field, _raw(v), names) for v in value)
        if entry.action == LogEntry.Action.CREATE and not after:
            continue  # a creation lists the values it set, not the empty ones
        rows.append(Change(name, label, before, after))
    return rows


def actor_label(entry: LogEntry) -> str:
    """Who made the change, as people read it."""
    if entry.actor_id is not None:
        actor = entry.actor
        return f"{actor.get_full_name()} <{actor.email}>" if actor.full_name else actor.email  # type: ignore[union-attr]
    if entry.actor_email:
        return f"{entry.actor_email} (not signed in)"
    extra = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    via, os_user = str(extra.get("via", "")), extra.get("os_user")
    by = f", operating-system user {os_user}" if os_user else ""
    if via.startswith("command:"):
        return f"command line ({via.removeprefix('command:')}{by})"
    if via.startswith("job:") or via == "scheduler":
        return f"scheduler ({via.removeprefix('job:')})"
    return "system"


def describe_entries(entries: Iterable[LogEntry]) -> list[LogEntry]:
    """The entries, each with ``readable_changes``, ``readable_summary`` and ``readable_actor`` set."""
    rows = list(entries)
    names = _Names()
    models_of: dict[int, type[models.Model] | None] = {}
    for entry in rows:
        model = models_of.setdefault(entry.content_type_id, entry.content_type.model_class())
        for name, value in _pairs(entry):
            field = _model_field(model, name)
            if _is_relation(field) and isinstance(value, list | tuple) and len(value) == 2:
                for raw in value:
                    names.want(field.related_model, _raw(raw))  # type: ignore[union-attr,arg-type]
    names.fetch()
    for entry in rows:
        changes = _changes(entry, models_of[entry.content_type_id], names)
        entry.readable_changes = changes  # type: ignore[attr-defined]
        entry.readable_summary = summary(changes, entry.action)  # type: ignore[attr-defined]
        entry.readable_actor = actor_label(entry)  # type: ignore[attr-defined]
    return rows


def summary(changes: list[Change], action: int, limit: int = SUMMARY_LIMIT, width: int = SUMMARY_WIDTH) -> str:
    """One line for lists: the first ``limit`` changes, each cut at ``width`` characters."""
    parts = [_shorten(change.text(action), width) for change in changes]
    more = len(parts) - limit
    text = "; ".join(parts[:limit])
    return f"{text}; and {more} more" if more > 0 else text


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
