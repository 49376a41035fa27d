"""Risks and the risk matrix: every state change, one function per action.

Rules decided here (and shown to users as readable errors):

- Likelihood and impact are whole numbers from 1 to the size of the active matrix;
  an error names the field that is off the grid.
- Risk owners hold ``view_risk`` and ``change_risk`` on the risks they own (object
  permissions, moved by ``assign_risk_owner``). They may edit the description,
  ratings and plan of their risks. Naming or changing the owner, closing and
  reopening are for holders of the global ``governance.change_risk`` (risk managers:
  Administrators and Compliance officers).
- Acceptance (segregation of duties): a risk is accepted by an approver who holds
  ``governance.change_risk`` globally and is never the risk owner, until an expiry
  date in the future (at most three years ahead). The approver is the person who
  records the acceptance: nobody accepts a risk in someone else's name, so the
  trail shows the approver's own act. Recording, renewing (a new expiry date) or
  withdrawing an acceptance is a risk manager's act; editing anything else of an
  accepted risk keeps its approver and date, even once the acceptance has expired
  (an expired acceptance is shown and counted, never a lock on the risk).
- Transfer and avoid need a treatment plan saying how. Controls may be linked whatever
  the treatment (a mitigated-then-accepted risk keeps its controls); the actor must be
  able to see each control they link, and each asset they add must be an active one
  they may pick (the inventory, or for a risk owner the assets of their own risks).
- The residual score (likelihood x impact after treatment) is never above the
  inherent score: a treatment does not make a risk worse.
- Resizing the matrix never leaves a risk off the grid: shrinking is refused while any
  risk (open or closed) is rated above the new size, with the number of such risks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from access.models import User
from core.errors import DomainError, PermissionDeniedError, SegregationOfDutiesError
from core.permissions import require_perm
from governance.models import Asset, Control, Risk, RiskMatrix
from governance.scoping import check_may_own, hand_over_object_perms, scoped
from governance.selectors.pickers import assets_for_picker
from governance.selectors.risks import risk_matrix

MANAGE_RISKS = "governance.change_risk"
MAX_ACCEPTANCE_DAYS = 3 * 365
MAX_BANDS = 6
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
LEVEL_FIELDS = {
    "inherent_likelihood": "Inherent likelihood",
    "inherent_impact": "Inherent impact",
    "residual_likelihood": "Residual likelihood",
    "residual_impact": "Residual impact",
}


def is_risk_manager(user: User) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.has_perm(MANAGE_RISKS))


@dataclass
class RiskData:
    """What a person enters for a risk. ``from_risk`` + ``replace`` gives a partial update."""

    title: str
    ref: str = ""
    description: str = ""
    threat: str = ""
    vulnerability: str = ""
    owner: Any = None
    assets: Sequence[Asset] = ()
    inherent_likelihood: Any = 1
    inherent_impact: Any = 1
    residual_likelihood: Any = 1
    residual_impact: Any = 1
    treatment: str = Risk.Treatment.MITIGATE
    treatment_plan: str = ""
    controls: Sequence[Control] = ()
    accepted_by: Any = None
    acceptance_expires_on: date | None = None
    review_date: date | None = None

    @classmethod
    def from_risk(cls, risk: Risk) -> RiskData:
        values = {f.name: getattr(risk, f.name) for f in fields(cls) if f.name not in {"assets", "controls"}}
        return cls(**values, assets=list(risk.assets.all()), controls=list(risk.controls.all()))

    def updated(self, **changes: Any) -> RiskData:
        return replace(self, **changes)


# --- Validation ---


def _levels(data: RiskData, size: int) -> dict[str, int]:
    levels: dict[str, int] = {}
    errors: dict[str, str] = {}
    for name, label in LEVEL_FIELDS.items():
        raw = getattr(data, name)
        try:
            value = int(raw)
            if isinstance(raw, bool) or str(raw).strip() != str(value):
                raise ValueError
        except (TypeError, ValueError):
            errors[name] = f"{label} must be a whole number from 1 to {size}."
            continue
        if not 1 <= value <= size:
            errors[name] = f"{label} must be from 1 to {size} on the {size}x{size} risk matrix (got {value})."
            continue
        levels[name] = value
    if errors:
        raise ValidationError(errors)
    inherent = levels["inherent_likelihood"] * levels["inherent_impact"]
    residual = levels["residual_likelihood"] * levels["residual_impact"]
    if residual > inherent:
        message = (
            f"The residual score ({residual}) cannot be above the inherent score ({inherent}): "
            "rate the risk after its treatment no worse than before."
        )
        raise ValidationError({"residual_likelihood": message, "residual_impact": message})
    return levels


def _check_user(user: User, field_name: str, what: str) -> None:
    if user is not None and not user.is_active:
        raise ValidationError({field_name: f"This user is deactivated; choose an active user as the {what}."})


def _check_acceptance(approver: User, expires: date | None, owner: User | None) -> None:
    """``approver`` is the acting risk manager (``_with_treatment`` checked that): not the owner, a valid date."""
    if owner is not None and approver.pk == owner.pk:
        raise SegregationOfDutiesError(
            "The risk owner cannot accept their own risk; another risk manager must record the acceptance."
        )
    today = timezone.localdate()
    if expires is None:
        raise ValidationError({"acceptance_expires_on": "An accepted risk needs an expiry date for the acceptance."})
    if expires <= today:
        raise ValidationError({"acceptance_expires_on": "The acceptance must expire in the future."})
    if expires > today + timedelta(days=MAX_ACCEPTANCE_DAYS):
        raise ValidationError(
            {"acceptance_expires_on": "An acceptance lasts at most three years; pick an earlier date."}
        )


def _acceptance_changed(risk: Risk | None, data: RiskData) -> bool:
    """Whether ``data`` records, renews, re-signs or withdraws an acceptance."""
    accepting = data.treatment == Risk.Treatment.ACCEPT
    if risk is None:
        return accepting
    if accepting != (risk.treatment == Risk.Treatment.ACCEPT):
        return True
    return accepting and (
        risk.acceptance_expires_on != data.acceptance_expires_on
        or getattr(data.accepted_by, "pk", risk.accepted_by_id) != risk.accepted_by_id
    )


def _with_treatment(actor: User, risk: Risk | None, data: RiskData) -> RiskData:
    """``data`` checked for its treatment, with the approver decided: the actor when they accept now."""
    if data.treatment not in Risk.Treatment.values:
        raise ValidationError({"treatment": "Choose mitigate, accept, transfer or avoid."})
    if data.treatment in (Risk.Treatment.TRANSFER, Risk.Treatment.AVOID) and not data.treatment_plan.strip():
        label = Risk.Treatment(data.treatment).label.lower()
        raise ValidationError({"treatment_plan": f"Say how the risk is {label}ed: a treatment plan is required."})
    if data.treatment != Risk.Treatment.ACCEPT:
        if _acceptance_changed(risk, data) and not is_risk_manager(actor):
            raise PermissionDeniedError("Only a risk manager may withdraw the acceptance of a risk.")
        return data.updated(accepted_by=None, acceptance_expires_on=None)
    if risk is not None and not _acceptance_changed(risk, data):
        # The standing acceptance is kept as it was signed; only the owner rule still applies.
        if data.owner is not None and risk.accepted_by_id == data.owner.pk:
            raise SegregationOfDutiesError(
                f"{data.owner} accepted {risk.ref}; the approver of an accepted risk cannot become its owner."
            )
        return data.updated(accepted_by=risk.accepted_by, acceptance_expires_on=risk.acceptance_expires_on)
    if not is_risk_manager(actor):
        raise PermissionDeniedError("Only a risk manager may record, renew or withdraw the acceptance of a risk.")
    named = getattr(data.accepted_by, "pk", None)
    if named is not None and named != actor.pk and (risk is None or named != risk.accepted_by_id):
        raise ValidationError(
            {
                "accepted_by": f"An acceptance is recorded by the person who accepts the risk; "
                f"{data.accepted_by} must sign in and accept it themselves."
            }
        )
    _check_acceptance(actor, data.acceptance_expires_on, data.owner)
    return data.updated(accepted_by=actor)


def _check_controls(actor: User, controls: Sequence[Control]) -> None:
    if not controls:
        return
    ids = {c.pk for c in controls}
    visible = scoped(actor, Control.objects.filter(pk__in=ids)).count()
    if visible != len(ids):
        raise ValidationError({"controls": "You can link only controls you can see."})


def _check_assets(actor: User, risk: Risk | None, assets: Sequence[Asset]) -> None:
    """Newly linked assets must be active ones the actor may pick (the inventory, or a risk owner's own)."""
    ids = {a.pk for a in assets}
    new = ids - (set(risk.assets.values_list("pk", flat=True)) if risk is not None else set())
    if not new:
        return

    if assets_for_picker(actor, {"active": "1"}).filter(pk__in=new).count() != len(new):
        raise ValidationError({"assets": "You can link only active assets you can see."})


def _next_ref() -> str:
    highest = Risk.objects.filter(ref__regex=r"^RSK-[0-9]+$").aggregate(m=Max("ref"))["m"]
    number = int(highest[4:]) + 1 if highest else 1
    ref = f"RSK-{number:04d}"
    while Risk.objects.filter(ref=ref).exists():
        number += 1
        ref = f"RSK-{number:04d}"
    return ref


def _apply(risk: Risk, data: RiskData, levels: dict[str, int]) -> None:
    risk.title = data.title.strip()
    risk.description = data.description
    risk.threat = data.threat
    risk.vulnerability = data.vulnerability
    risk.owner = data.owner
    for name, value in levels.items():
        setattr(risk, name, value)
    risk.treatment = data.treatment
    risk.treatment_plan = data.treatment_plan
    risk.accepted_by = data.accepted_by
    risk.acceptance_expires_on = data.acceptance_expires_on
    risk.review_date = data.review_date


# --- Risks ---


@transaction.atomic
def create_risk(*, actor: User, data: RiskData) -> Risk:
    """Record a risk; its owner (if any) receives the owner's object permissions."""
    require_perm(actor, "governance.add_risk")
    levels = _levels(data, risk_matrix().size)
    _check_user(data.owner, "owner", "owner")
    check_may_own(data.owner, Risk)
    data = _with_treatment(actor, None, data)
    _check_controls(actor, data.controls)
    _check_assets(actor, None, data.assets)
    risk = Risk(ref=data.ref.strip() or _next_ref())
    _apply(risk, data, levels)
    risk.full_clean()
    risk.save()
    risk.assets.set(data.assets)
    risk.controls.set(data.controls)
    if risk.owner is not None:
        hand_over_object_perms(obj=risk, previous=None, new=risk.owner)
    return risk


@transaction.atomic
def update_risk(*, actor: User, risk: Risk, data: RiskData) -> Risk:
    """Change a risk. Owners may edit their own risks; the owner and acceptance need a risk manager."""
    require_perm(actor, MANAGE_RISKS, risk)
    risk = Risk.objects.select_for_update().get(pk=risk.pk)
    levels = _levels(data, risk_matrix().size)
    owner_changed = risk.owner_id != getattr(data.owner, "pk", None)
    if owner_changed and not is_risk_manager(actor):
        raise PermissionDeniedError("Only a risk manager may change the owner of a risk.")
    _check_user(data.owner, "owner", "owner")
    if owner_changed:
        check_may_own(data.owner, Risk)
    data = _with_treatment(actor, risk, data)
    _check_controls(actor, data.controls)
    _check_assets(actor, risk, data.assets)
    previous_owner = risk.owner
    new_ref = data.ref.strip()
    if new_ref and new_ref != risk.ref:
        if not is_risk_manager(actor):
            raise PermissionDeniedError("Only a risk manager may change the reference of a risk.")
        risk.ref = new_ref
    _apply(risk, data, levels)
    risk.full_clean()
    risk.save()
    risk.assets.set(data.assets)
    risk.controls.set(data.controls)
    if owner_changed:
        hand_over_object_perms(obj=risk, previous=previous_owner, new=risk.owner)
    return risk


@transaction.atomic
def assign_risk_owner(*, actor: User, risk: Risk, owner: Any) -> Risk:
    """Make ``owner`` (or nobody) the owner of ``risk``, moving the owner's object permissions."""
    require_perm(actor, MANAGE_RISKS)
    _check_user(owner, "owner", "owner")
    risk = Risk.objects.select_for_update().get(pk=risk.pk)
    if risk.owner_id == getattr(owner, "pk", None):
        return risk
    check_may_own(owner, Risk)
    if owner is not None and risk.treatment == Risk.Treatment.ACCEPT and risk.accepted_by_id == owner.pk:
        raise SegregationOfDutiesError(
            f"{owner} accepted {risk.ref}; the approver of an accepted risk cannot become its owner."
        )
    previous = risk.owner
    risk.owner = owner
    risk.save(update_fields=["owner", "updated_at"])
    hand_over_object_perms(obj=risk, previous=previous, new=owner)
    return risk


@transaction.atomic
def close_risk(*, actor: User, risk: Risk) -> Risk:
    require_perm(actor, MANAGE_RISKS)
    if risk.status == Risk.Status.CLOSED:
        raise DomainError(f"{risk.ref} is already closed.")
    risk.status = Risk.Status.CLOSED
    risk.save(update_fields=["status", "updated_at"])
    return risk


@transaction.atomic
def reopen_risk(*, actor: User, risk: Risk) -> Risk:
    require_perm(actor, MANAGE_RISKS)
    if risk.status == Risk.Status.OPEN:
        raise DomainError(f"{risk.ref} is already open.")
    risk.status = Risk.Status.OPEN
    risk.save(update_fields=["status", "updated_at"])
    return risk


# --- Matrix ---


def _clean_labels(labels: Sequence[Any]) -> list[str]:
    return [str(label).strip() for label in labels]


def _check_bands(bands: Sequence[Any]) -> list[dict[str, Any]]:
    if not isinstance(bands, list | tuple) or not bands:
        raise ValidationError({"bands": "Give at least one colour band."})
    if len(bands) > MAX_BANDS:
        raise ValidationError({"bands": f"Give at most {MAX_BANDS} colour bands."})
    cleaned: list[dict[str, Any]] = []
    for number, band in enumerate(bands, start=1):
        if not isinstance(band, dict) or not {"max_score", "label", "colour"} <= set(band):
            raise ValidationError({"bands": f"Band {number} needs max_score, label and colour."})
        label = str(band["label"]).strip()
        colour = str(band["colour"]).strip()
        if not label:
            raise ValidationError({"bands": f"Band {number} needs a label."})
        if not COLOUR.match(colour):
            raise ValidationError({"bands": f"Band {number}: colour must look like #c62828 (got {colour!r})."})
        cleaned.append({"max_score": band["max_score"], "label": label, "colour": colour.lower()})
    return cleaned


def risks_off_grid(size: int) -> int:
    """How many risks (open or closed) have a likelihood or impact above ``size``."""
    above = (
        Q(inherent_likelihood__gt=size)
        | Q(inherent_impact__gt=size)
        | Q(residual_likelihood__gt=size)
        | Q(residual_impact__gt=size)
    )
    return Risk.objects.filter(above).count()


@transaction.atomic
def update_risk_matrix(
    *,
    actor: User,
    size: int,
    likelihood_labels: Sequence[str],
    impact_labels: Sequence[str],
    bands: Sequence[dict[str, Any]],
) -> RiskMatrix:
    """Reconfigure the matrix. Shrinking is refused while risks are rated above the new size."""
    require_perm(actor, "governance.change_riskmatrix")
    matrix = RiskMatrix.objects.select_for_update().get(pk=risk_matrix().pk)
    if isinstance(size, bool) or not isinstance(size, int):
        raise ValidationError({"size": "The size is a whole number from 3 to 5."})
    matrix.size = size
    matrix.likelihood_labels = _clean_labels(likelihood_labels)
    matrix.impact_labels = _clean_labels(impact_labels)
    matrix.bands = _check_bands(bands)
    matrix.full_clean()
    stranded = risks_off_grid(size)
    if stranded:
        noun = "risk is" if stranded == 1 else "risks are"
        raise ValidationError(
            {
                "size": f"{stranded} {noun} rated above {size} for likelihood or impact. "
                f"Re-rate them on the {size}x{size} scale first, or keep the larger matrix."
            }
        )
    matrix.save()
    return matrix
