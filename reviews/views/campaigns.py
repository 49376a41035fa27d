"""Review campaigns: start, follow, decide a line, complete, download the signed evidence."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from access.models import User
from core.errors import DomainError
from core.listing import ListSpec, build_list
from reviews import selectors
from reviews.filters import CampaignFilterSet, ReviewItemFilterSet
from reviews.forms import CampaignForm, DecisionForm
from reviews.models import ReviewCampaign, ReviewItem
from reviews.services.campaigns import (
    CampaignScope,
    complete_review_campaign,
    decide_review_item,
    start_review_campaign,
)

CAMPAIGN_LIST = ListSpec(CampaignFilterSet)
ITEM_LIST = ListSpec(ReviewItemFilterSet, page_size=100)
MY_LINES = 100  # lines shown at once on "My reviews"; deciding them brings the next ones


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _campaign(request: HttpRequest, pk: int) -> ReviewCampaign:
    try:
        return selectors.campaign_for(_user(request), pk)
    except ReviewCampaign.DoesNotExist as exc:
        raise Http404("No such campaign.") from exc


@login_required
@permission_required(selectors.VIEW_CAMPAIGNS, raise_exception=True)
def campaign_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    listing = build_list(CAMPAIGN_LIST, selectors.campaigns_visible_to(user), request)
    return render(
        request,
        "reviews/campaign_list.html",
        {"listing": listing, "can_start": user.has_perm("reviews.add_reviewcampaign")},
    )


@login_required
@permission_required("reviews.add_reviewcampaign", raise_exception=True)
def campaign_create(request: HttpRequest) -> HttpResponse:
    initial = {"findings": request.GET.getlist("finding")} if request.method == "GET" else None
    form = CampaignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        scope = CampaignScope(
            name=data["name"],
            systems=tuple(data["systems"]),
            include_rampart=data["include_rampart"],
            entitlements=form.entitlement_list(),
            reviewer=data["reviewer"],
            due_on=data["due_on"],
            recur_days=data["recur_days"],
            findings=tuple(data["findings"]),
        )
        try:
            campaign = start_review_campaign(actor=_user(request), scope=scope)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Campaign {campaign.name} started.")
            return redirect("reviews:campaign_detail", pk=campaign.pk)
    status = 400 if form.errors else 200
    return render(request, "reviews/campaign_form.html", {"form": form}, status=status)


@login_required
@permission_required(selectors.VIEW_CAMPAIGNS, raise_exception=True)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    campaign = _campaign(request, pk)
    listing = build_list(ITEM_LIST, selectors.campaign_items(campaign), request)
    progress = selectors.progress_by_reviewer(campaign)
    context = {
        "campaign": campaign,
        "listing": listing,
        "progress": progress,
        "total": sum(p["total"] for p in progress),
        "can_complete": user.has_perm("reviews.change_reviewcampaign") and campaign.status == "open",
    }
    return render(request, "reviews/campaign_detail.html", context)


@require_POST
@login_required
@permission_required("reviews.change_reviewcampaign", raise_exception=True)
def campaign_complete(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    try:
        complete_review_campaign(actor=_user(request), campaign=campaign)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Campaign completed; its signed evidence is ready.")
    return redirect("reviews:campaign_detail", pk=campaign.pk)


@login_required
@permission_required(selectors.VIEW_CAMPAIGNS, raise_exception=True)
def campaign_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """The signed CSV of a completed campaign; the Ed25519 signature and key id are in headers."""
    campaign = _campaign(request, pk)
    if campaign.status != ReviewCampaign.Status.COMPLETED:
        raise Http404("The campaign is not completed yet.")
    response = HttpResponse(campaign.evidence_csv, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="access-review-{campaign.pk}.csv"'
    response["X-Rampart-Signature"] = campaign.evidence_signature
    response["X-Rampart-Key-Id"] = campaign.evidence_key_id
    return response


@login_required
def my_reviews(request: HttpRequest) -> HttpResponse:
    items = selectors.items_for_reviewer(_user(request))
    return render(
        request,
        "reviews/my_reviews.html",
        {"items": items[:MY_LINES], "pending": items.filter(decision="pending").count(), "shown": MY_LINES},
    )


@require_POST
@login_required
def item_decide(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(ReviewItem.objects.select_related("campaign"), pk=pk)
    user = _user(request)
    if item.reviewer_id != user.pk:
        raise Http404("No such line to review.")
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose certify, revoke or change.")
        return redirect("reviews:my_reviews")
    try:
        decide_review_item(actor=user, item=item, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("reviews:my_reviews")
    messages.success(request, f"{item.account_name} on {item.system_name}: {form.cleaned_data['decision']}.")
    return redirect("reviews:my_reviews")
