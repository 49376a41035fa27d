"""The audit-trail pages: the filtered list, one entry, the list as CSV, the checkpoints and the public key."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import UTC
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from audits.checkpoints import download_lines, latest_checkpoint
from audits.display import describe_entries, summary
from audits.filters import TrailFilterSet
from audits.models import LogEntry
from audits.pagination import trail_paginator
from audits.selectors import VIEW_AUDIT_TRAIL, can_view_audit_trail, entries_visible_to, may_read_trail
from core import signing

PAGE_SIZE = 50
CSV_COLUMNS = [
    "sequence",
    "timestamp_utc",
    "actor",
    "actor_readable",
    "action",
    "object_type",
    "object_id",
    "object",
    "changes",
    "changes_readable",
    "remote_addr",
    "correlation_id",
    "entry_hash",
]
CSV_BATCH = 500
# A spreadsheet runs cells starting with these as formulas (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

can_view = permission_required(VIEW_AUDIT_TRAIL, raise_exception=True)


def _filters(request: HttpRequest) -> TrailFilterSet:
    params = request.GET.copy()
    params.pop("page", None)
    return TrailFilterSet(params or None, queryset=entries_visible_to(request.user), request=request)


def _may_read(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Trail readers, and auditors while an engagement they audit is in progress (its scope only); 403 others."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not may_read_trail(request.user):
            raise PermissionDenied("You may not read the audit trail.")
        return view(request, *args, **kwargs)

    return wrapped


@login_required
@_may_read
def trail(request: HttpRequest) -> HttpResponse:
    filterset = _filters(request)
    form = filterset.form
    valid = not filterset.is_bound or form.is_valid()
    filters = filterset.to_filters()
    entries = filterset.qs if valid else filterset.queryset.none()
    whole = can_view_audit_trail(request.user)  # an auditor's entries are a part of the chain
    paginator = trail_paginator(entries, PAGE_SIZE, whole_trail=whole and valid and filters.is_empty)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = describe_entries(page.object_list)  # labels and names, fetched once per page
    context = {
        "form": form,
        "page": page,
        "filtered": form.is_bound,
        "valid": valid,
        "whole_trail": whole,
        **({"checkpoint": latest_checkpoint(), **_public_key_context()} if whole else {}),
    }
    return render(request, "audits/trail.html", context)


def _public_key_context() -> dict[str, str]:
    """The key id and PEM for the page; a key folder that cannot be read must not hide the trail."""
    try:
        return {"key_id": signing.current_key_id(), "public_key": signing.public_key_pem()}
    except (signing.SigningKeyError, OSError) as exc:
        return {"key_error": str(exc)}


@login_required
@_may_read
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(entries_visible_to(request.user), pk=pk)
    describe_entries([entry])
    # The link is checked against the real previous entry; it is named only to whoever may read it.
    before = LogEntry.objects.filter(sequence=entry.sequence - 1).only("pk", "sequence", "entry_hash").first()
    whole = can_view_audit_trail(request.user)
    visible = before is not None and (whole or entries_visible_to(request.user).filter(pk=before.pk).exists())
    context = {
        "entry": entry,
        "previous": before if visible else None,
        "hash_ok": entry.hash_matches,
        "link_ok": (before.entry_hash == entry.prev_hash) if before else entry.sequence == 1,
    }
    return render(request, "audits/entry_detail.html", context)


class _Echo:
    """A file-like object whose ``write`` hands the line back, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _batches(entries: Any, size: int = CSV_BATCH) -> Iterator[list[Any]]:
    """The entries in described batches: the names their changes point to are fetched once per batch."""
    batch: list[Any] = []
    for entry in entries.iterator(chunk_size=2000):
        batch.append(entry)
        if len(batch) == size:
            yield describe_entries(batch)
            batch = []
    if batch:
        yield describe_entries(batch)


def _csv_rows(entries: Any) -> Iterator[str]:
    """Raw values (``actor``, ``changes``) for machines, and beside them the readable ones."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for batch in _batches(entries):
        for entry in batch:
            row = [
                entry.sequence,
                entry.timestamp.astimezone(UTC).isoformat(),
                entry.actor_label,
                entry.readable_actor,
                entry.get_action_display(),
                f"{entry.content_type.app_label}.{entry.content_type.model}",
                entry.object_pk,
                entry.object_repr,
                entry.changes_summary(limit=1000, width=10_000),
                summary(entry.readable_changes, entry.action, limit=1000, width=10_000),
                entry.remote_addr,
                entry.cid,
                entry.entry_hash,
            ]
            yield writer.writerow([_cell(v) for v in row])


@login_required
@_may_read
def trail_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The filtered list as CSV (every matching entry, not one page)."""
    filterset = _filters(request)
    form = filterset.form
    if filterset.is_bound and not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items())
        return HttpResponseBadRequest(f"Fix the filters first. {problems}", content_type="text/plain")
    entries: Any = filterset.qs
    response = StreamingHttpResponse(_csv_rows(entries), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    return response


@login_required
@can_view
def checkpoints_download(request: HttpRequest) -> StreamingHttpResponse:
    """The checkpoint file as this system holds it (JSON Lines), to keep outside Rampart."""
    response = StreamingHttpResponse(download_lines(), content_type="application/jsonl")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-checkpoints-{stamp}.jsonl"'
    return response


@login_required
@can_view
def public_key(request: HttpRequest) -> HttpResponse:
    """The current public signing key (PEM), which verifies checkpoints, evidence packs and backup manifests."""
    found = _public_key_context()
    if "key_error" in found:
        message = f"The signing key is not available: {found['key_error']}"
        return HttpResponse(message, status=503, content_type="text/plain")
    response = HttpResponse(found["public_key"], content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="rampart-{found["key_id"]}.pem"'
    return response
