"""The framework format as a page, and the shipped library loaded with one button.

``framework_format`` renders ``docs/framework-format.md`` (the same text the repository
keeps) as a page, so the import page links to something the application serves.
``framework_load_library`` calls the service ``manage.py load_library`` calls.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import cast

import nh3
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST
from markdown_it import MarkdownIt

from access.models import User
from core.errors import DomainError
from governance.services import frameworks as services

FORMAT_DOC = Path(settings.BASE_DIR) / "docs" / "framework-format.md"


@functools.lru_cache(maxsize=4)
def _rendered(path: Path, modified: float) -> tuple[str, SafeString]:
    """The document's first heading and its HTML, sanitised (cached until the file changes)."""
    text = path.read_text(encoding="utf-8")
    title = next((line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("# ")), path.stem)
    html = MarkdownIt("commonmark").enable("table").render(text)
    clean = nh3.clean(html, link_rel="noopener noreferrer")
    return title, mark_safe(clean)  # noqa: S308 - sanitised by nh3 just above


@login_required
@permission_required("governance.view_framework", raise_exception=True)
def framework_format(request: HttpRequest) -> HttpResponse:
    try:
        title, body = _rendered(FORMAT_DOC, FORMAT_DOC.stat().st_mtime)
    except OSError as exc:
        raise Http404("The format description is not installed.") from exc
    return render(request, "governance/frameworks/framework_format.html", {"title": title, "body": body})


@require_POST
@login_required
@permission_required("governance.add_framework", raise_exception=True)
def framework_load_library(request: HttpRequest) -> HttpResponse:
    """Import (or update) the frameworks shipped with Rampart, as ``manage.py load_library`` does."""
    try:
        reports = services.import_library(actor=cast(User, request.user))
    except DomainError as exc:
        messages.error(request, f"The shipped library was not loaded: {exc}")
        return redirect("governance:framework_import")
    for report in reports:
        messages.success(request, report.summary())
    if len(reports) == 1:
        return redirect("governance:framework_detail", pk=reports[0].framework.pk)
    return redirect("governance:framework_list")
