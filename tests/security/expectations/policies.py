"""Patch checks: findings, inventories, advisories, the patch policy, check runs (pages and API).

Who may do what:

- Read findings, inventories, advisories and check runs: Administrator, Compliance officer,
  IT administrator (``policies.view_*``). Control owners, auditors and employees: 403.
- Upload an inventory (page and ``POST /inventories/``): Administrator and IT administrator
  (``policies.add_inventory``).
- Accept a finding under an approved exception: Administrator, Compliance officer, IT
  administrator (``policies.accept_patchfinding``).
- Edit the patch policy (SLA days): Administrator, Compliance officer, IT administrator.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from access.models import User
from governance.models import Asset, ComplianceException, Control
from policies.models import Advisory, Inventory, PatchCheckRun, PatchFinding, PatchPolicy
from tests.security.expectations import API_ANON, Route, roles

READERS = roles("admin_alice", "officer_olga", "it_ivan")
UPLOADERS = roles("admin_alice", "it_ivan")
ACCEPTERS = roles("admin_alice", "officer_olga", "it_ivan")
POLICY_EDITORS = roles("admin_alice", "officer_olga", "it_ivan")
POST_302 = {"method": "post", "ok": 302}


def _asset() -> Asset:
    asset, _ = Asset.objects.get_or_create(name="matrix-host")
    return asset


def _finding(p: Any) -> dict[str, Any]:
    today = timezone.localdate()
    finding = PatchFinding.objects.create(
        asset=_asset(),
        ecosystem="Debian:12",
        package="openssl",
        installed_version="3.0.11-1~deb12u1",
        vulnerability_id="CVE-2023-5363",
        advisory_ids=["DSA-5532-1"],
        aliases=["CVE-2023-5363", "DSA-5532-1"],
        severity="high",
        first_seen=today,
        due_date=today + timedelta(days=30),
    )
    return {"pk": finding.pk}


def _approved_exception(p: Any) -> dict[str, Any]:
    requester = User.objects.create(email="patch-requester@example.test", full_name="Rita Requester")
    exception = ComplianceException.objects.create(
        title="Legacy ERP host keeps its OpenSSL until the vendor certifies 3.0.13",
        control=Control.objects.create(ref="CTL-MATRIX-PATCH", title="Patch management"),
        reason="Vendor support",
        requested_by=requester,
        approver=p["admin_alice"],
        status=ComplianceException.Status.APPROVED,
        expires_on=timezone.localdate() + timedelta(days=30),
    )
    return {"exception": exception.pk}


def _accepted(p: Any) -> bool:
    return PatchFinding.objects.filter(status=PatchFinding.Status.ACCEPTED).exists()


def _inventory(p: Any) -> dict[str, Any]:
    inventory = Inventory.objects.create(asset=_asset(), scope="dpkg", format="dpkg", release="Debian:12")
    return {"pk": inventory.pk}


def _asset_kwargs(p: Any) -> dict[str, Any]:
    return {"pk": _asset().pk}


def _advisory(p: Any) -> dict[str, Any]:
    advisory = Advisory.objects.create(advisory_id="DSA-5532-1", vulnerability_id="CVE-2023-5363", digest="x")
    return {"pk": advisory.pk}


def _run(p: Any) -> dict[str, Any]:
    return {"pk": PatchCheckRun.objects.create(via="matrix").pk}


SLA = {"known_exploited_days": 7, "critical_days": 10, "high_days": 20, "medium_days": 60, "low_days": 120}


def _sla_saved(p: Any) -> bool:
    return PatchPolicy.objects.filter(critical_days=10, high_days=20).exists()


ROUTES = [
    # Pages
    Route("policies:patch_findings", READERS),
    Route("policies:patch_finding_export", READERS),
    Route("policies:patch_finding_detail", READERS, kwargs=_finding),
    Route(
        "policies:patch_finding_accept",
        ACCEPTERS,
        kwargs=_finding,
        data=_approved_exception,
        wrote=_accepted,
        **POST_302,
        note="accepted under an approved exception, back to the finding",
    ),
    Route("policies:inventory_list", READERS),
    Route("policies:inventory_upload", UPLOADERS),
    Route("policies:inventory_upload", UPLOADERS, method="post", ok=400, note="no file: field errors"),
    Route("policies:inventory_detail", READERS, kwargs=_inventory),
    Route("policies:asset_patch_status", READERS, kwargs=_asset_kwargs),
    Route("policies:advisory_list", READERS),
    Route("policies:advisory_detail", READERS, kwargs=_advisory),
    Route("policies:patch_policy", POLICY_EDITORS),
    Route("policies:patch_policy", POLICY_EDITORS, data=SLA, wrote=_sla_saved, **POST_302),
    # API
    Route("inventory-list", READERS, anonymous=API_ANON),
    Route("inventory-list", UPLOADERS, method="post", ok=400, anonymous=API_ANON, note="no file: field errors"),
    Route("inventory-detail", READERS, kwargs=_inventory, anonymous=API_ANON),
    Route("patch-finding-list", READERS, anonymous=API_ANON),
    Route("patch-finding-detail", READERS, kwargs=_finding, anonymous=API_ANON),
    Route(
        "patch-finding-accept",
        ACCEPTERS,
        kwargs=_finding,
        method="post",
        data=_approved_exception,
        wrote=_accepted,
        anonymous=API_ANON,
    ),
    Route("advisory-list", READERS, anonymous=API_ANON),
    Route("advisory-detail", READERS, kwargs=_advisory, anonymous=API_ANON),
    Route("patch-policy-list", READERS, anonymous=API_ANON),
    Route("patch-policy-list", POLICY_EDITORS, method="put", data=SLA, wrote=_sla_saved, anonymous=API_ANON),
    Route("patch-check-run-list", READERS, anonymous=API_ANON),
    Route("patch-check-run-detail", READERS, kwargs=_run, anonymous=API_ANON),
]


# --- Policy documents ---
# Read: everyone with policies.view_policy (all roles but Auditor); managers see every policy, readers the
# published ones addressed to them (the fixtures address every role but Auditor). Write, approve, publish,
# remind: Administrator and Compliance officer. Acknowledge: those of the audience with acknowledge_policy.

POLICY_READERS = roles("admin_alice", "officer_olga", "it_ivan", "owner_omar", "employee_emil")
POLICY_MANAGERS = roles("admin_alice", "officer_olga")
AUDIENCE = ["Administrator", "Compliance officer", "IT administrator", "Control owner", "Employee"]


def _policy(p: Any, *, status: str = "published", title: str = "Matrix acceptable use") -> Any:
    from django.contrib.auth.models import Group

    from policies.models import Policy, PolicyVersion

    author, _ = User.objects.get_or_create(email="matrix-author@example.test", defaults={"full_name": "Mat Author"})
    policy = Policy.objects.create(title=title, owner=p["officer_olga"])
    policy.audience_roles.set(Group.objects.filter(name__in=AUDIENCE))
    now = timezone.now()
    frozen = status in ("approved", "published")
    PolicyVersion.objects.create(
        policy=policy,
        number=1,
        body="# Rules\n\nLock your screen.\n",
        status=status,
        author=author,
        approver=p["admin_alice"] if frozen else None,
        approved_at=now if frozen else None,
        published_at=now if status == "published" else None,
    )
    return policy


def _published(p: Any) -> dict[str, Any]:
    return {"pk": _policy(p).pk}


def _published_v1(p: Any) -> dict[str, Any]:
    return {"pk": _policy(p).pk, "number": 1}


def _in_status(status: str) -> Any:
    def kwargs(p: Any) -> dict[str, Any]:
        return {"pk": _policy(p, status=status).pk, "number": 1}

    return kwargs


def _with_draft_v2(p: Any) -> dict[str, Any]:
    from policies.models import PolicyVersion

    policy = _policy(p)
    PolicyVersion.objects.create(policy=policy, number=2, body="# Rules\n\nLock it.\n", author=p["officer_olga"])
    return {"pk": policy.pk, "number": 2}


def _v1_status(expected: str) -> Any:
    def wrote(p: Any) -> bool:
        from policies.models import PolicyVersion

        return PolicyVersion.objects.filter(number=1, status=expected).exists()

    return wrote


def _policy_field_set(field: str) -> Any:
    def wrote(p: Any) -> bool:
        from policies.models import Policy

        return Policy.objects.filter(**{f"{field}__isnull": False}).exists()

    return wrote


def _second_version(p: Any) -> bool:
    from policies.models import PolicyVersion

    return PolicyVersion.objects.filter(number=2).exists()


def _acknowledged(p: Any) -> bool:
    from policies.models import PolicyAcknowledgement

    return PolicyAcknowledgement.objects.exists()


def _library_loaded(p: Any) -> bool:
    from policies.models import Policy

    return Policy.objects.filter(library_key="backup").exists()


def _retired(p: Any) -> bool:
    from policies.models import PolicyVersion

    return PolicyVersion.objects.filter(status="retired").exists()


READ_ONLY_404 = (403, 404)

ROUTES += [
    Route("policies:policy_list", POLICY_READERS),
    Route("policies:policy_export", POLICY_READERS),
    Route("policies:to_read", POLICY_READERS),
    Route("policies:policy_create", POLICY_MANAGERS),
    Route("policies:policy_create", POLICY_MANAGERS, method="post", ok=400, note="empty form: field errors"),
    Route("policies:policy_library_load", POLICY_MANAGERS, wrote=_library_loaded, **POST_302),
    Route("policies:policy_detail", POLICY_READERS, kwargs=_published),
    Route("policies:policy_edit", POLICY_MANAGERS, kwargs=_published),
    Route("policies:policy_new_draft", POLICY_MANAGERS, kwargs=_published, wrote=_second_version, **POST_302),
    Route("policies:policy_retire", POLICY_MANAGERS, kwargs=_published, wrote=_retired, **POST_302),
    Route(
        "policies:policy_reviewed",
        POLICY_MANAGERS,
        kwargs=_published,
        wrote=_policy_field_set("last_reviewed_at"),
        **POST_302,
    ),
    Route(
        "policies:policy_remind",
        POLICY_MANAGERS,
        kwargs=_published,
        wrote=_policy_field_set("last_reminded_at"),
        **POST_302,
    ),
    Route("policies:version_detail", POLICY_READERS, kwargs=_published_v1),
    Route("policies:draft_edit", POLICY_MANAGERS, kwargs=_in_status("draft")),
    Route(
        "policies:version_diff",
        POLICY_MANAGERS,
        kwargs=_with_draft_v2,
        denied=READ_ONLY_404,
        note="readers of the published text see no other version",
    ),
    Route(
        "policies:version_submit",
        POLICY_MANAGERS,
        kwargs=_in_status("draft"),
        wrote=_v1_status("in_review"),
        **POST_302,
    ),
    Route(
        "policies:version_send_back",
        POLICY_MANAGERS,
        kwargs=_in_status("in_review"),
        wrote=_v1_status("draft"),
        **POST_302,
    ),
    Route(
        "policies:version_approve",
        POLICY_MANAGERS,
        kwargs=_in_status("in_review"),
        wrote=_v1_status("approved"),
        **POST_302,
        note="written by someone else, so no segregation-of-duties refusal",
    ),
    Route(
        "policies:version_publish",
        POLICY_MANAGERS,
        kwargs=_in_status("approved"),
        wrote=_v1_status("published"),
        **POST_302,
    ),
    Route("policies:acknowledge", POLICY_READERS, kwargs=_published_v1, wrote=_acknowledged, **POST_302),
    Route("policies:acknowledgement_export", POLICY_MANAGERS, kwargs=_published_v1),
    # API
    Route("policy-list", POLICY_READERS, anonymous=API_ANON),
    Route("policy-detail", POLICY_READERS, kwargs=_published, anonymous=API_ANON),
    Route("policy-versions", POLICY_READERS, kwargs=_published, anonymous=API_ANON),
    Route(
        "policy-acknowledge",
        POLICY_READERS,
        kwargs=_published,
        method="post",
        ok=201,
        wrote=_acknowledged,
        anonymous=API_ANON,
    ),
]
