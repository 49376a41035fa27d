"""The audit-trail pages: the filtered list, one entry, and the list as CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from audits.forms import TrailFilterForm
from audits.pagination import trail_paginator
from audits.selectors import VIEW_AUDIT_TRAIL, TrailFilters, entries_visible_to

PAGE_SIZE = 50
CSV_COLUMNS = [
    "sequence",
    "timestamp_utc",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object",
    "changes",
    "remote_addr",
    "correlation_id",
    "entry_hash",
]
# A spreadsheet runs cells starting with these as formulas (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

can_view = permission_required(VIEW_AUDIT_TRAIL, raise_exception=True)


def _filter_form(request: HttpRequest) -> TrailFilterForm:
    params = request.GET.copy()
    params.pop("page", None)
    return TrailFilterForm(params or None)


@login_required
@can_view
def trail(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    valid = not form.is_bound or form.is_valid()
    filters = form.to_filters() if form.is_bound and valid else TrailFilters()
    entries = entries_visible_to(request.user, filters)
    if not valid:
        entries = entries.none()
    paginator = trail_paginator(entries, PAGE_SIZE, whole_trail=valid and filters.is_empty)
    page = paginator.get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "filtered": form.is_bound, "valid": valid}
    return render(request, "audits/trail.html", context)


@login_required
@can_view
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(entries_visible_to(request.user), pk=pk)
    previous = entries_visible_to(request.user).filter(sequence=entry.sequence - 1).first()
    context = {
        "entry": entry,
        "previous": previous,
        "hash_ok": entry.hash_matches,
        "link_ok": (previous.entry_hash == entry.prev_hash) if previous else entry.sequence == 1,
    }
    return render(request, "audits/entry_detail.html", context)


class _Echo:
    """A file-like object whose ``write`` hands the line back, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _csv_rows(entries: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for entry in entries.iterator(chunk_size=2000):
        row = [
            entry.sequence,
            entry.timestamp.astimezone(UTC).isoformat(),
            entry.actor_label,
            entry.get_action_display(),
            f"{entry.content_type.app_label}.{entry.content_type.model}",
            entry.object_pk,
            entry.object_repr,
            entry.changes_summary(limit=1000, width=10_000),
            entry.remote_addr,
            entry.cid,
            entry.entry_hash,
        ]
        yield writer.writerow([_cell(v) for v in row])


@login_required
@can_view
def trail_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The filtered list as CSV (every matching entry, not one page)."""
    form = _filter_form(request)
    if form.is_bound and not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items())
        return HttpResponseBadRequest(f"Fix the filters first. {problems}", content_type="text/plain")
    filters = form.to_filters() if form.is_bound else TrailFilters()
    entries: Any = entries_visible_to(request.user, filters)
    response = StreamingHttpResponse(_csv_rows(entries), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    return response
