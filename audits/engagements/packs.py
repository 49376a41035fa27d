"""Evidence packs of an engagement: queued, built by a task with progress, downloaded with a trail entry."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from audits.engagements.pack import packs_dir, write_pack
from audits.engagements.selectors import engagements_visible_to, may_download_pack
from audits.models import Engagement, LogEntry, PackBuild
from core.errors import NotFoundError, PermissionDeniedError
from core.permissions import require_perm

BUILD_TASK = "audits.build_evidence_pack"


def _may_build(actor: Any, engagement: Engagement) -> None:
    require_perm(actor, "audits.build_pack")
    if not engagements_visible_to(actor).filter(pk=engagement.pk).exists():
        raise NotFoundError("That engagement does not exist or you cannot see it.")
    if not may_download_pack(actor, engagement):
        raise PermissionDeniedError("You may not build packs of this engagement.")


@transaction.atomic
def request_pack(*, actor: Any, engagement: Engagement) -> PackBuild:
    """Queue a build; the scheduler runs it, its progress shows on the engagement page."""
    from jobs.services import queue_task

    _may_build(actor, engagement)
    pack = PackBuild.objects.create(engagement=engagement, requested_by=actor)
    pack.run = queue_task(actor=actor, task_id=BUILD_TASK, params={"pack": pack.pk})
    pack.save(update_fields=["run"])
    return pack


def build(pack: PackBuild, progress: Any = None) -> PackBuild:
    """Write the pack's file (used by the task and by ``build_pack``)."""
    PackBuild.objects.filter(pk=pack.pk).update(status=PackBuild.Status.BUILDING)
    name = f"engagement-{pack.engagement_id}-pack-{pack.pk}.zip"
    try:
        summary = write_pack(pack.engagement, packs_dir() / name, progress=progress or (lambda *a: None))
    except Exception as exc:
        PackBuild.objects.filter(pk=pack.pk).update(
            status=PackBuild.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now()
        )
        raise
    pack.status = PackBuild.Status.DONE
    pack.path = name
    pack.size = summary.pack_size
    pack.manifest_sha256 = summary.manifest_sha256
    pack.key_id = summary.key_id
    pack.finished_at = timezone.now()
    pack.save(update_fields=["status", "path", "size", "manifest_sha256", "key_id", "finished_at"])
    return pack


def pack_for_download(actor: Any, pk: int) -> PackBuild:
    """A finished pack the actor may download; the download is recorded in the audit trail."""
    pack = PackBuild.objects.select_related("engagement").filter(pk=pk, status=PackBuild.Status.DONE).first()
    if pack is None or not engagements_visible_to(actor).filter(pk=pack.engagement_id).exists():
        raise NotFoundError("That evidence pack does not exist or you cannot see it.")
    if not may_download_pack(actor, pack.engagement):
        raise PermissionDeniedError("You may not download packs of this engagement.")
    record_download(actor, pack, what="evidence pack")
    return pack


def record_download(actor: Any, obj: Any, *, what: str) -> None:
    LogEntry.objects.log_create(
        obj,
        force_log=True,
        action=LogEntry.Action.ACCESS,
        actor=actor,
        changes=None,
        additional_data={"download": what},
    )
