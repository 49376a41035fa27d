"""Scale data of the risk register for benchmarks: assets, risks (a tenth accepted, most mitigated ones
linked to controls), exceptions in every state and findings, by the scale users."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from access.models import Role, User
from governance.models import (
    Asset,
    ComplianceException,
    Control,
    ControlTest,
    Finding,
    Outcome,
    Requirement,
    Risk,
    RiskMatrix,
    RiskUserObjectPermission,
)

MIT, ACC, TRA, AVO = Risk.Treatment.MITIGATE, Risk.Treatment.ACCEPT, Risk.Treatment.TRANSFER, Risk.Treatment.AVOID
SCALE_KINDS = list(Asset.Kind.values)
EXCEPTIONS_PER_FACTOR = 30
FINDINGS_PER_FACTOR = 50
ACCEPTED_SHARE = 10  # one risk in ten is accepted
LINKED_PERCENT = 60  # of mitigated risks, linked to 1-3 controls
EXC = ComplianceException.Status
# Mostly running exceptions, then requests waiting for a decision, ended ones and a few refused.
EXCEPTION_STATES = [EXC.APPROVED] * 8 + [EXC.REQUESTED] * 5 + [EXC.EXPIRED] * 4 + [EXC.REVOKED] * 2 + [EXC.REJECTED]
FINDING_STATES = [Finding.Status.OPEN] * 4 + [Finding.Status.IN_REMEDIATION] * 3 + [Finding.Status.CLOSED] * 3
SEV = Finding.Severity
FINDING_SEVERITIES = [SEV.LOW] * 2 + [SEV.MEDIUM] * 4 + [SEV.HIGH] * 3 + [SEV.CRITICAL]


@dataclass(frozen=True)
class ScalePeople:
    """Who the bulk rows name: risk owners, and the risk managers who accept, request and decide."""

    owners: list[int]
    managers: list[int]

    @classmethod
    def load(cls) -> ScalePeople:
        active = User.objects.filter(is_active=True)
        owners = list(active.filter(groups__name=Role.CONTROL_OWNER).order_by("pk").values_list("pk", flat=True))
        owners = owners or list(active.order_by("pk").values_list("pk", flat=True)[:50])
        managers = active.filter(groups__name__in=[Role.COMPLIANCE_OFFICER, Role.ADMINISTRATOR])
        return cls(owners, sorted(set(managers.values_list("pk", flat=True))))

    def manager_other_than(self, rng: random.Random, *others: int | None) -> int | None:
        """A risk manager who is none of ``others`` (segregation of duties), or None if there is none."""
        choices = [pk for pk in self.managers if pk not in others]
        return rng.choice(choices) if choices else None


def seed_scale_risks(ctx: Any) -> None:
    """``factor x`` 100 assets, 200 risks (a tenth accepted, most mitigated ones linked to controls),
    30 exceptions and 50 findings, with owners, approvers and object permissions."""
    factor = max(int(getattr(ctx, "factor", 1)), 1)
    rng = random.Random(4242)  # noqa: S311 - reproducible test data, not security
    extra = random.Random(4243)  # noqa: S311 - acceptances, links, exceptions and findings
    size = RiskMatrix.objects.get(pk=1).size
    people = ScalePeople.load()
    with transaction.atomic():
        asset_ids = _scale_assets(ctx, factor * 100, people.owners, rng)
        _scale_risks(ctx, factor * 200, people, asset_ids, size, rng, extra)
        _scale_exceptions(ctx, factor * EXCEPTIONS_PER_FACTOR, people, extra)
        _scale_findings(ctx, factor * FINDINGS_PER_FACTOR, people, extra)


def _scale_assets(ctx: Any, count: int, owners: list[int], rng: random.Random) -> list[int]:
    names = [f"Scale system {i:06d}" for i in range(count)]
    existing = set(Asset.objects.filter(name__in=names).values_list("name", flat=True))
    rows = [
        Asset(
            name=name,
            kind=rng.choice(SCALE_KINDS),
            owner_id=rng.choice(owners) if owners and i % 4 else None,
            data_classification=rng.choice(Asset.Classification.values),
            criticality=rng.choice(Asset.Criticality.values),
            vendor=f"Vendor {i % 37}",
        )
        for i, name in enumerate(names)
        if name not in existing
    ]
    Asset.objects.bulk_create(rows, batch_size=1000)
    ctx.record("assets", len(rows))
    return list(Asset.objects.filter(name__in=names).values_list("pk", flat=True))


def _accept(risk: Risk, people: ScalePeople, extra: random.Random) -> None:
    """Accept ``risk`` as it stands: signed by a risk manager who is not its owner, for 60 days ago to 2 years on."""
    approver = people.manager_other_than(extra, risk.owner_id)
    if approver is None:
        return
    risk.treatment, risk.treatment_plan = ACC, "Accepted as it stands; reviewed before the acceptance ends."
    risk.accepted_by_id = approver
    risk.acceptance_expires_on = timezone.localdate() + timedelta(days=extra.randint(-60, 730))
    risk.residual_likelihood, risk.residual_impact = risk.inherent_likelihood, risk.inherent_impact
    risk.residual_score = risk.inherent_score


def _scale_risks(
    ctx: Any,
    count: int,
    people: ScalePeople,
    asset_ids: list[int],
    size: int,
    rng: random.Random,
    extra: random.Random,
) -> None:
    owners = people.owners
    refs = [f"SCL-{i:06d}" for i in range(count)]
    existing = set(Risk.objects.filter(ref__in=refs).values_list("ref", flat=True))
    today = timezone.localdate()
    rows = []
    for i, ref in enumerate(refs):
        if ref in existing:
            continue
        il, ii = rng.randint(1, size), rng.randint(1, size)
        rl, ri = rng.randint(1, il), rng.randint(1, ii)
        risk = Risk(
            ref=ref,
            title=f"Scale risk {i:06d}: {rng.choice(['data loss', 'fraud', 'outage', 'leak', 'misuse'])}",
            threat="Generated for benchmarks",
            owner_id=rng.choice(owners) if owners else None,
            inherent_likelihood=il,
            inherent_impact=ii,
            inherent_score=il * ii,  # bulk_create skips save(), which computes scores
            residual_likelihood=rl,
            residual_impact=ri,
            residual_score=rl * ri,
            treatment=rng.choice([MIT, MIT, MIT, TRA, AVO]),
            treatment_plan="Generated plan",
            review_date=today + timedelta(days=rng.randint(-60, 365)),
            status=Risk.Status.CLOSED if i % 10 == 0 else Risk.Status.OPEN,
        )
        if i % ACCEPTED_SHARE == ACCEPTED_SHARE // 2:
            _accept(risk, people, extra)
        rows.append(risk)
    Risk.objects.bulk_create(rows, batch_size=1000)
    created = list(Risk.objects.filter(ref__in=[r.ref for r in rows]).values_list("pk", "owner_id", "treatment"))
    through = Risk.assets.through
    links = []
    perms = list(
        Permission.objects.filter(content_type__app_label="governance", codename__in=["view_risk", "change_risk"])
    )
    grants = []
    for pk, owner_id, _ in created:
        for asset_id in rng.sample(asset_ids, k=min(2, len(asset_ids))):
            links.append(through(risk_id=pk, asset_id=asset_id))
        if owner_id is not None:
            grants += [RiskUserObjectPermission(user_id=owner_id, permission=p, content_object_id=pk) for p in perms]
    through.objects.bulk_create(links, batch_size=2000)
    RiskUserObjectPermission.objects.bulk_create(grants, batch_size=2000)
    linked = _link_controls([pk for pk, _, treatment in created if treatment == MIT], extra)
    ctx.record("risks", len(rows))
    ctx.record("accepted risks", sum(1 for r in rows if r.treatment == ACC))
    ctx.record("risk-control links", linked)


def _link_controls(mitigated: list[int], extra: random.Random) -> int:
    """Most mitigated risks name the 1 to 3 controls that mitigate them."""
    control_ids = list(Control.objects.order_by("pk").values_list("pk", flat=True))
    if not control_ids:
        return 0
    through = Risk.controls.through
    links = [
        through(risk_id=pk, control_id=control_id)
        for pk in mitigated
        if extra.randrange(100) < LINKED_PERCENT
        for control_id in extra.sample(control_ids, k=min(extra.randint(1, 3), len(control_ids)))
    ]
    through.objects.bulk_create(links, batch_size=2000)
    return len(links)


def _scale_subjects(limit: int) -> tuple[list[int], list[int]]:
    """Ids of controls and of applicable requirements that exceptions and findings may name."""
    controls = list(Control.objects.order_by("pk").values_list("pk", flat=True)[:limit])
    requirements = Requirement.objects.filter(is_section=False, removed_at__isnull=True, applicable=True)
    return controls, list(requirements.order_by("pk").values_list("pk", flat=True)[:limit])


def _scale_exceptions(ctx: Any, count: int, people: ScalePeople, extra: random.Random) -> None:
    """Exceptions in every state; each decided one by a risk manager who did not request it."""
    titles = [f"Scale exception {i:06d}" for i in range(count)]
    existing = set(ComplianceException.objects.filter(title__in=titles).values_list("title", flat=True))
    control_ids, requirement_ids = _scale_subjects(count * 4)
    requesters = people.managers or people.owners
    if not requesters or not (control_ids or requirement_ids):
        ctx.record("exceptions", 0)
        return
    today, now = timezone.localdate(), timezone.now()
    rows = []
    for i, title in enumerate(titles):
        if title in existing:
            continue
        status = EXCEPTION_STATES[i % len(EXCEPTION_STATES)]
        requester = extra.choice(requesters)
        approver = people.manager_other_than(extra, requester) if status != EXC.REQUESTED else None
        if approver is None:
            status = EXC.REQUESTED
        ended = status == EXC.EXPIRED
        requirement = extra.choice(requirement_ids) if requirement_ids and (i % 3 or not control_ids) else None
        rows.append(
            ComplianceException(
                title=title,
                requirement_id=requirement,
                control_id=extra.choice(control_ids) if control_ids and (i % 3 != 1 or requirement is None) else None,
                reason="Generated for benchmarks: the safeguard cannot run as written until a replacement lands.",
                compensating_measures="Weekly manual check by the system owner." if i % 2 else "",
                requested_by_id=requester,
                owner_id=extra.choice(people.owners) if people.owners and i % 4 else None,
                approver_id=approver,
                decided_at=now - timedelta(days=extra.randint(1, 200)) if approver else None,
                decision_note={EXC.REVOKED: "Revoked: the replacement is live.", EXC.REJECTED: "Too broad."}.get(
                    status, ""
                ),
                expires_on=today + timedelta(days=-extra.randint(1, 180) if ended else extra.randint(5, 365)),
                status=status,
            )
        )
    ComplianceException.objects.bulk_create(rows, batch_size=1000)
    ctx.record("exceptions", len(rows))


def _scale_findings(ctx: Any, count: int, people: ScalePeople, extra: random.Random) -> None:
    """Open, in-remediation and closed findings; half raised from a failed or partial test."""
    titles = [f"Scale finding {i:06d}" for i in range(count)]
    existing = set(Finding.objects.filter(title__in=titles).values_list("title", flat=True))
    control_ids, requirement_ids = _scale_subjects(count * 4)
    failed = list(
        ControlTest.objects.exclude(result__in=["", Outcome.PASS])
        .order_by("pk")
        .values_list("pk", "control_id")[: count * 4]
    )
    risk_ids = list(
        Risk.objects.filter(ref__startswith="SCL-").order_by("pk").values_list("pk", flat=True)[: count * 4]
    )
    today, now = timezone.localdate(), timezone.now()
    rows = []
    for i, title in enumerate(titles):
        if title in existing:
            continue
        status = FINDING_STATES[i % len(FINDING_STATES)]
        test_id, control_id = extra.choice(failed) if failed and i % 2 else (None, None)
        if control_id is None and control_ids and i % 3:
            control_id = extra.choice(control_ids)
        rows.append(
            Finding(
                title=title,
                description="Generated for benchmarks.",
                severity=extra.choice(FINDING_SEVERITIES),
                status=status,
                control_id=control_id,
                control_test_id=test_id,
                requirement_id=extra.choice(requirement_ids) if requirement_ids and i % 4 == 0 else None,
                risk_id=extra.choice(risk_ids) if risk_ids and i % 5 == 0 else None,
                owner_id=extra.choice(people.owners) if people.owners and i % 6 else None,
                raised_by_id=extra.choice(people.managers) if people.managers else None,
                due_date=today + timedelta(days=extra.randint(-60, 120)),
                closed_at=now - timedelta(days=extra.randint(1, 90)) if status == Finding.Status.CLOSED else None,
            )
        )
    Finding.objects.bulk_create(rows, batch_size=1000)
    ctx.record("findings", len(rows))
