"""Pages of evidence, audit engagements, evidence requests and evidence packs (thin: selectors and services)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from audits.engagements import packs as pack_services
from audits.engagements import services
from audits.engagements.filters import EvidenceFilterSet, EvidenceRequestFilterSet
from audits.engagements.forms import (
    EngagementForm,
    EvidenceForm,
    RequestForm,
    RequestImportForm,
    ReviewForm,
    SubmitForm,
)
from audits.engagements.pack import packs_dir
from audits.engagements.selectors import (
    engagements_visible_to,
    evidence_visible_to,
    may_browse_audits,
    may_download_pack,
    outstanding_by_owner,
    packs_of,
    requests_visible_to,
    with_expired_flag,
)
from audits.models import Evidence, EvidenceRequest
from audits.scope import in_scope, trail_entries_in_scope
from core import signing
from core.errors import DomainError, NotFoundError
from core.evidence import collect_evidence
from core.listing import ListSpec, build_list
from governance.models import ComplianceException, Control, ControlTest, Requirement, Risk
from governance.scoping import scoped
from governance.selectors.pickers import control_tests_for_picker, requirements_for_picker

View = Callable[..., HttpResponseBase]
SCOPE_ROWS = 200
EVIDENCE_LIST = ListSpec(EvidenceFilterSet, page_size=50)
REQUEST_LIST = ListSpec(EvidenceRequestFilterSet, page_size=50)
TRAIL_ROWS = 50


def browsing(view: View) -> View:
    """Signed in, and someone the audit pages are for (officers, owners, auditors while engaged)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not may_browse_audits(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _domain_error(form: Any, exc: DomainError) -> None:
    form.add_error(None, str(exc))


# --- Evidence -----------------------------------------------------------------------


@browsing
def evidence_list(request: HttpRequest) -> HttpResponse:
    """Current versions of the evidence the user sees, filtered, sorted and paged like every list."""
    rows = evidence_visible_to(request.user).filter(is_current=True)
    listing = build_list(EVIDENCE_LIST, rows, request)
    return render(request, "audits/evidence_list.html", {"listing": listing, "today": timezone.localdate()})


@browsing
def evidence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = get_object_or_404(evidence_visible_to(request.user), pk=pk)
    versions = evidence_visible_to(request.user).filter(series=evidence.series).order_by("-version")
    context = {
        "evidence": evidence,
        "versions": versions,
        "controls": evidence.controls.all(),
        "requirements": evidence.requirements.select_related("framework"),
        "tests": evidence.control_tests.select_related("control"),
        "expired": evidence.is_expired(),
        "may_add_version": request.user.has_perm("audits.add_evidence"),
    }
    return render(request, "audits/evidence_detail.html", context)


def _version_initial(previous: Evidence | None) -> dict[str, Any]:
    """A new version starts with the previous one's title, kind and links."""
    if previous is None:
        return {}
    return {
        "title": previous.title,
        "kind": previous.kind,
        "controls": [c.pk for c in previous.controls.all()],
        "requirements": [r.pk for r in previous.requirements.all()],
        "control_tests": [t.pk for t in previous.control_tests.all()],
    }


def _evidence_form_page(request: HttpRequest, previous: Evidence | None) -> HttpResponse:
    if not request.user.has_perm("audits.add_evidence"):
        raise PermissionDenied
    user: Any = request.user
    initial = _version_initial(previous)
    form = EvidenceForm(
        request.POST or None,
        request.FILES or None,
        controls=scoped(user, Control.objects.all(), "change"),
        requirements=requirements_for_picker(user),
        control_tests=control_tests_for_picker(user),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data.get("file")
        try:
            evidence = services.add_evidence(
                actor=request.user,
                title=data["title"],
                kind=data["kind"],
                upload=upload,
                filename=getattr(upload, "name", "") if upload else "",
                url=data.get("url") or "",
                note=data.get("note") or "",
                description=data.get("description") or "",
                collected_on=data.get("collected_on"),
                valid_until=data.get("valid_until"),
                controls=list(data.get("controls") or []),
                requirements=list(data.get("requirements") or []),
                control_tests=list(data.get("control_tests") or []),
                previous=previous,
            )
        except DomainError as exc:
            _domain_error(form, exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved {evidence}.")
            return redirect("audits:evidence_detail", pk=evidence.pk)
    return render(request, "audits/evidence_form.html", {"form": form, "previous": previous}, status=200)


@browsing
def evidence_upload(request: HttpRequest) -> HttpResponse:
    return _evidence_form_page(request, None)


@browsing
def evidence_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    previous = get_object_or_404(evidence_visible_to(request.user), pk=pk)
    return _evidence_form_page(request, previous)


@browsing
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """The stored file, always as a download: never rendered from our origin (HTML, SVG cannot run)."""
    evidence = get_object_or_404(evidence_visible_to(request.user).exclude(file=""), pk=pk)
    handle = evidence.file.storage.open(str(evidence.file.name), "rb")
    response = FileResponse(
        handle, as_attachment=True, filename=evidence.filename or "evidence", content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    pack_services.record_download(request.user, evidence, what="evidence file")
    return response


# --- Engagements --------------------------------------------------------------------


@browsing
def engagement_list(request: HttpRequest) -> HttpResponse:
    rows = engagements_visible_to(request.user).prefetch_related("auditors").order_by("-start", "name")
    context = {
        "rows": rows,
        "today": timezone.localdate(),
        "may_create": request.user.has_perm("audits.add_engagement"),
    }
    return render(request, "audits/engagement_list.html", context)


@login_required
def engagement_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("audits.add_engagement"):
        raise PermissionDenied
    form = EngagementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            engagement = services.create_engagement(actor=request.user, **data)
        except (DomainError, ValidationError) as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("audits:engagement_detail", pk=engagement.pk)
    return render(request, "audits/engagement_form.html", {"form": form})


@browsing
def engagement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    engagement = get_object_or_404(engagements_visible_to(request.user), pk=pk)
    user: Any = request.user
    auditing = engagement.auditors.filter(pk=user.pk).exists()
    context = {
        "engagement": engagement,
        "active": engagement.is_active(),
        "auditors": engagement.auditors.order_by("email"),
        "requirements": in_scope(Requirement, engagement)
        .select_related("framework")
        .order_by("framework__key", "ref_id")[:SCOPE_ROWS],
        "controls": with_expired_flag(
            in_scope(Control, engagement).select_related("owner").order_by("ref")[:SCOPE_ROWS]
        ),
        "tests": in_scope(ControlTest, engagement).select_related("control").order_by("-due_date")[:SCOPE_ROWS],
        "risks": in_scope(Risk, engagement).order_by("ref")[:SCOPE_ROWS],
        "exceptions": in_scope(ComplianceException, engagement).order_by("expires_on")[:SCOPE_ROWS],
        "evidence": in_scope(Evidence, engagement).filter(is_current=True).order_by("title")[:SCOPE_ROWS],
        "requests": engagement.requests.select_related("owner", "requirement", "control").order_by("due_date", "pk"),
        "outstanding": outstanding_by_owner(engagement),
        "system_evidence": collect_evidence(engagement.start, min(engagement.end, timezone.localdate())),
        "packs": packs_of(engagement)[:20],
        "trail": trail_entries_in_scope(engagement).select_related("actor").order_by("-sequence")[:TRAIL_ROWS],
        "may_build": may_download_pack(user, engagement),
        "may_request": user.has_perm("audits.add_evidencerequest")
        and (auditing or user.has_perm("audits.change_engagement")),
        "may_close": user.has_perm("audits.change_engagement") and engagement.closed_at is None,
        "today": timezone.localdate(),
    }
    return render(request, "audits/engagement_detail.html", context)


@require_POST
@login_required
def engagement_close(request: HttpRequest, pk: int) -> HttpResponse:
    engagement = get_object_or_404(engagements_visible_to(request.user), pk=pk)
    try:
        services.close_engagement(actor=request.user, engagement=engagement)
    except DomainError as exc:
        if exc.status_code == 403:
            raise PermissionDenied from exc
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{engagement} is closed; its auditors' access has ended and its scope is frozen.")
    return redirect("audits:engagement_detail", pk=pk)


# --- Evidence packs -------------------------------------------------------------------


@require_POST
@login_required
def pack_request(request: HttpRequest, pk: int) -> HttpResponse:
    engagement = get_object_or_404(engagements_visible_to(request.user), pk=pk)
    try:
        pack = pack_services.request_pack(actor=request.user, engagement=engagement)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        raise PermissionDenied(str(exc)) from exc
    messages.success(request, "The evidence pack is queued; its progress shows below.")
    if pack.run_id:
        return redirect("jobs:task_progress", run_id=pack.run_id)
    return redirect("audits:engagement_detail", pk=pk)


@login_required
def pack_download(request: HttpRequest, pk: int) -> FileResponse:
    try:
        pack = pack_services.pack_for_download(request.user, pk)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        raise PermissionDenied(str(exc)) from exc
    response = FileResponse(
        open(packs_dir() / pack.path, "rb"),  # noqa: SIM115 (FileResponse closes it)
        as_attachment=True,
        filename=f"{pack.engagement.name}-pack-{pack.pk}.zip".replace(" ", "-"),
        content_type="application/zip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@browsing
def signing_public_key(request: HttpRequest) -> HttpResponse:
    """The instance's public key, for checking packs offline (anyone the audit pages are for)."""
    try:
        pem, key_id = signing.public_key_pem(), signing.current_key_id()
    except (signing.SigningKeyError, OSError) as exc:
        return HttpResponse(f"The signing key is not available: {exc}", status=503, content_type="text/plain")
    response = HttpResponse(pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="rampart-{key_id}.pem"'
    return response


# --- Evidence requests ----------------------------------------------------------------


@browsing
def request_list(request: HttpRequest) -> HttpResponse:
    """The evidence requests the user sees (an owner: those assigned to them), filtered and paged."""
    listing = build_list(REQUEST_LIST, requests_visible_to(request.user), request)
    return render(request, "audits/request_list.html", {"listing": listing, "today": timezone.localdate()})


@browsing
def request_create(request: HttpRequest, pk: int) -> HttpResponse:
    engagement = get_object_or_404(engagements_visible_to(request.user), pk=pk)
    if not request.user.has_perm("audits.add_evidencerequest"):
        raise PermissionDenied
    form = RequestForm(
        request.POST or None,
        requirements=in_scope(Requirement, engagement).order_by("ref_id"),
        controls=in_scope(Control, engagement).order_by("ref"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_request(actor=request.user, engagement=engagement, **form.cleaned_data)
        except DomainError as exc:
            if exc.status_code == 403:
                raise PermissionDenied(str(exc)) from exc
            _domain_error(form, exc)
        else:
            messages.success(request, f"Requested '{created.title}' from {created.owner or 'nobody yet'}.")
            return redirect("audits:request_detail", pk=created.pk)
    return render(request, "audits/request_form.html", {"form": form, "engagement": engagement})


@browsing
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(requests_visible_to(request.user), pk=pk)
    user: Any = request.user
    submit_form = review_form = None
    if item.outstanding and (user.pk == item.owner_id or user.has_perm("audits.change_evidencerequest")):
        submit_form = SubmitForm(evidence=evidence_visible_to(user).filter(is_current=True))
    if item.status == EvidenceRequest.Status.SUBMITTED and user.has_perm("audits.review_evidencerequest"):
        review_form = ReviewForm()
    if request.method == "POST":
        try:
            if request.POST.get("action") == "submit" and submit_form is not None:
                submit_form = SubmitForm(request.POST, evidence=evidence_visible_to(user).filter(is_current=True))
                if submit_form.is_valid():
                    services.submit_request(
                        actor=user,
                        request=item,
                        evidence=list(submit_form.cleaned_data["evidence"]),
                        comment=submit_form.cleaned_data["comment"],
                    )
                    messages.success(request, "Submitted; the auditor is told by email.")
                    return redirect("audits:request_detail", pk=pk)
            elif request.POST.get("action") == "review" and review_form is not None:
                review_form = ReviewForm(request.POST)
                if review_form.is_valid():
                    services.review_request(
                        actor=user,
                        request=item,
                        accept=review_form.cleaned_data["decision"] == EvidenceRequest.Status.ACCEPTED,
                        comment=review_form.cleaned_data["comment"],
                    )
                    messages.success(request, "Recorded; the owner is told by email.")
                    return redirect("audits:request_detail", pk=pk)
            else:
                raise PermissionDenied
        except DomainError as exc:
            if exc.status_code == 403:
                raise PermissionDenied(str(exc)) from exc
            messages.error(request, str(exc))
    context = {
        "item": item,
        "comments": item.comments.select_related("author"),
        "evidence": item.evidence.all(),
        "submit_form": submit_form,
        "review_form": review_form,
    }
    return render(request, "audits/request_detail.html", context)


IMPORT_COLUMNS = ("title", "description", "requirement", "control", "owner", "due_date")


@browsing
def request_import(request: HttpRequest, pk: int) -> HttpResponse:
    """A request list from CSV: every line is checked first, then all are created or none."""
    engagement = get_object_or_404(engagements_visible_to(request.user), pk=pk)
    if not request.user.has_perm("audits.add_evidencerequest"):
        raise PermissionDenied
    form = RequestImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            text = form.cleaned_data["file"].read(2_000_000).decode("utf-8-sig")
        except UnicodeDecodeError:
            errors.append("The file is not UTF-8 text; save it as CSV UTF-8.")
        else:
            try:
                count = services.import_requests(actor=request.user, engagement=engagement, rows=_csv_rows(text))
            except services.ImportErrors as exc:
                errors.extend(exc.errors)
            except DomainError as exc:
                if exc.status_code == 403:
                    raise PermissionDenied(str(exc)) from exc
                errors.append(str(exc))
            else:
                messages.success(request, f"Imported {count} evidence requests.")
                return redirect("audits:engagement_detail", pk=pk)
    context = {"form": form, "engagement": engagement, "errors": errors, "columns": IMPORT_COLUMNS}
    return render(request, "audits/request_import.html", context)


def _csv_rows(text: str) -> list[dict[str, str]]:
    return [
        {k.strip().lower(): (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(io.StringIO(text))
    ]
