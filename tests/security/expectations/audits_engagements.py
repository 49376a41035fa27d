"""Evidence, audit engagements, evidence requests and evidence packs.

Who may do what:

- Compliance officers and Administrators: everything (``audits.*``).
- Control owners: add evidence and see their own and their controls' evidence; see and submit
  the requests assigned to them. An engagement they do not audit is a 404.
- Auditors: only while an engagement they audit is active, read-only on its scope; they
  request evidence, review it and build and download packs. They never add evidence.
- IT administrators and Employees: no audit page (403).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audits.engagements.pack import packs_dir
from audits.engagements.services import add_evidence, create_engagement, create_request
from audits.models import Engagement, Evidence, PackBuild
from governance.models import Control, Framework, Requirement
from governance.scoping import hand_over_object_perms
from tests.security.expectations import API_ANON, Route, roles

MANAGERS = roles("admin_alice", "officer_olga")
AUDIT_READERS = roles("admin_alice", "officer_olga", "auditor_aude")
BROWSERS = roles("admin_alice", "officer_olga", "owner_omar", "auditor_aude")
EVIDENCE_WRITERS = roles("admin_alice", "officer_olga", "owner_omar")
HIDDEN_OR_DENIED = (403, 404)


def in_engagement(p: Any, **scope: Any) -> Engagement:
    """An engagement in progress (yesterday to tomorrow) audited by auditor_aude over ``scope``.

    ``scope``: ``frameworks``, ``requirements`` and/or ``controls``, as ``create_engagement`` takes them.
    The governance expectations use it to state what an auditor sees there: the rows in scope.
    """
    today = timezone.localdate()
    return create_engagement(
        actor=p["officer_olga"],
        name=f"Matrix scope {Engagement.objects.count() + 1}",
        start=today - timedelta(days=1),
        end=today + timedelta(days=1),
        auditors=[p["auditor_aude"]],
        **scope,
    )


def _world(p: Any) -> dict[str, Any]:
    """An active engagement audited by auditor_aude, over a control owned by owner_omar."""
    today = timezone.localdate()
    framework = Framework.objects.create(key="matrix-audit", name="Matrix audit framework")
    requirement = Requirement.objects.create(framework=framework, ref_id="M.1", title="Matrix requirement")
    control = Control.objects.create(ref="CTL-AUDIT-1", title="Audited control", owner=p["owner_omar"])
    hand_over_object_perms(obj=control, previous=None, new=p["owner_omar"])
    control.requirements.add(requirement)
    evidence = add_evidence(
        actor=p["owner_omar"],
        title="Matrix evidence",
        kind=Evidence.Kind.FILE,
        upload=SimpleUploadedFile("minutes.txt", b"minutes"),
        controls=[control],
    )
    engagement = create_engagement(
        actor=p["officer_olga"],
        name="Matrix audit",
        start=today - timedelta(days=1),
        end=today + timedelta(days=1),
        frameworks=[framework],
        auditors=[p["auditor_aude"]],
    )
    request = create_request(actor=p["auditor_aude"], engagement=engagement, title="Show it", control=control)
    path = packs_dir() / f"matrix-{engagement.pk}.zip"
    path.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    pack = PackBuild.objects.create(engagement=engagement, status=PackBuild.Status.DONE, path=path.name, size=22)
    return {"engagement": engagement.pk, "evidence": evidence.pk, "request": request.pk, "pack": pack.pk}


def _none(p: Any) -> dict[str, Any]:
    _world(p)
    return {}


def _key(name: str) -> Any:
    return lambda p: {"pk": _world(p)[name]}


def _closed(p: Any) -> bool:
    return Engagement.objects.filter(name="Matrix audit", closed_at__isnull=False).exists()


ROUTES = [
    Route("audits:engagement_list", BROWSERS, kwargs=_none),
    Route("audits:engagement_create", MANAGERS),
    Route("audits:engagement_detail", AUDIT_READERS, kwargs=_key("engagement"), denied=HIDDEN_OR_DENIED),
    Route(
        "audits:engagement_close",
        MANAGERS,
        kwargs=_key("engagement"),
        method="post",
        ok=302,
        denied=HIDDEN_OR_DENIED,
        wrote=_closed,
    ),
    Route(
        "audits:pack_request",
        AUDIT_READERS,
        kwargs=_key("engagement"),
        method="post",
        ok=302,
        denied=HIDDEN_OR_DENIED,
        wrote=lambda p: PackBuild.objects.filter(status=PackBuild.Status.QUEUED).exists(),
    ),
    Route("audits:request_create", AUDIT_READERS, kwargs=_key("engagement"), denied=HIDDEN_OR_DENIED),
    Route("audits:request_import", AUDIT_READERS, kwargs=_key("engagement"), denied=HIDDEN_OR_DENIED),
    Route("audits:pack_download", AUDIT_READERS, kwargs=_key("pack"), denied=HIDDEN_OR_DENIED),
    Route("audits:signing_public_key", BROWSERS, kwargs=_none),
    Route("audits:request_list", BROWSERS, kwargs=_none),
    Route("audits:request_detail", BROWSERS, kwargs=_key("request"), denied=HIDDEN_OR_DENIED),
    Route("audits:evidence_list", BROWSERS, kwargs=_none),
    Route("audits:evidence_upload", EVIDENCE_WRITERS, kwargs=_none),
    Route("audits:evidence_detail", BROWSERS, kwargs=_key("evidence"), denied=HIDDEN_OR_DENIED),
    Route("audits:evidence_new_version", EVIDENCE_WRITERS, kwargs=_key("evidence"), denied=HIDDEN_OR_DENIED),
    Route("audits:evidence_download", BROWSERS, kwargs=_key("evidence"), denied=HIDDEN_OR_DENIED),
    # API
    Route("engagement-list", BROWSERS, kwargs=_none, anonymous=API_ANON),
    Route("engagement-detail", AUDIT_READERS, kwargs=_key("engagement"), denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    Route(
        "engagement-packs",
        AUDIT_READERS,
        kwargs=_key("engagement"),
        method="post",
        ok=202,
        denied=HIDDEN_OR_DENIED,
        anonymous=API_ANON,
        wrote=lambda p: PackBuild.objects.filter(status=PackBuild.Status.QUEUED).exists(),
    ),
    Route("evidence-list", BROWSERS, kwargs=_none, anonymous=API_ANON),
    Route("evidence-detail", BROWSERS, kwargs=_key("evidence"), denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    Route("evidence-request-list", BROWSERS, kwargs=_none, anonymous=API_ANON),
    Route("evidence-request-detail", BROWSERS, kwargs=_key("request"), denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    Route("evidence-pack-list", BROWSERS, kwargs=_none, anonymous=API_ANON),
    Route("evidence-pack-detail", AUDIT_READERS, kwargs=_key("pack"), denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    Route("evidence-pack-download", AUDIT_READERS, kwargs=_key("pack"), denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
]
