"""Building an engagement's evidence pack (``audits.packs`` writes and signs it).

One pass, memory bounded: tables are written row by row from ``.iterator()`` queries into
CSV and JSON-lines-like members, evidence files are streamed from the evidence storage,
the trail extract is streamed too. The pack goes to ``<name>.partial`` and is renamed only
when finished (``PackWriter``), so a crash leaves no file that looks finished.
"""

from __future__ import annotations

import base64
import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils import timezone

from audits.chain import verify_chain
from audits.checkpoints import CheckpointRefusedError, download_lines, make_checkpoint
from audits.engagement_models import evidence_storage
from audits.engagements.oscal import assessment_results
from audits.models import Engagement, Evidence, EvidenceRequest, LogEntry
from audits.packs import (
    IndexControl,
    IndexEvidence,
    IndexPage,
    IndexRequirement,
    IndexTest,
    PackSummary,
    PackWriter,
    render_index,
)
from audits.packs.verify_standalone import key_fingerprint, load_public_key
from audits.scope import in_scope, trail_entries_in_scope
from core import signing
from core.evidence import collect_evidence
from governance.models import ComplianceException, Control, ControlTest, Requirement, Risk

GENERATOR = "Rampart"
Progress = Callable[[str, int, int], None]

TABLES: dict[str, tuple[type[Model], list[str]]] = {
    "requirements": (
        Requirement,
        ["id", "framework__key", "framework__name", "ref_id", "title", "description", "applicable"],
    ),
    "controls": (
        Control,
        ["id", "ref", "title", "description", "status", "owner__email", "latest_test_result", "latest_test_on"],
    ),
    "control_tests": (
        ControlTest,
        ["id", "control__ref", "due_date", "performed_on", "result", "tester__email", "notes"],
    ),
    "risks": (Risk, ["id", "ref", "title", "treatment", "status", "owner__email", "review_date"]),
    "exceptions": (
        ComplianceException,
        ["id", "title", "requirement__ref_id", "control__ref", "status", "expires_on", "reason"],
    ),
    "evidence_requests": (
        EvidenceRequest,
        ["id", "title", "requirement__ref_id", "control__ref", "owner__email", "due_date", "status", "created_at"],
    ),
    "evidence": (
        Evidence,
        [
            "id",
            "series",
            "version",
            "is_current",
            "title",
            "kind",
            "filename",
            "size",
            "sha256",
            "url",
            "note",
            "collected_on",
            "valid_until",
            "owner__email",
        ],
    ),
}


def _fields(model: type[Model], wanted: list[str]) -> list[str]:
    """The wanted columns that the model has (a column another team renamed is left out, not fatal)."""
    names = {f.name for f in model._meta.get_fields()}
    return [name for name in wanted if name.split("__")[0] in names]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return str(value)


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return _text(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_stream(columns: list[str], rows: Iterable[tuple[Any, ...]]) -> Iterator[bytes]:
    writer = csv.writer(_Echo())
    yield writer.writerow(columns).encode()
    for row in rows:
        cells = [_text(v) for v in row]
        cells = ["'" + c if c.startswith(("=", "+", "-", "@", "\t", "\r")) else c for c in cells]
        yield writer.writerow(cells).encode()


def _json_stream(columns: list[str], rows: Iterable[tuple[Any, ...]]) -> Iterator[bytes]:
    """A JSON array of objects, one per line, written row by row."""
    yield b"[\n"
    first = True
    for row in rows:
        record = {column: _json_value(value) for column, value in zip(columns, row, strict=True)}
        yield (b"" if first else b",\n") + json.dumps(record, sort_keys=True, ensure_ascii=False).encode()
        first = False
    yield b"\n]\n"


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "file"
    return cleaned[:120]


def evidence_member(evidence: Evidence) -> str:
    return f"evidence/{evidence.series.hex[:12]}/v{evidence.version}-{_safe_name(evidence.filename or 'file')}"


@dataclass
class _Signer:
    """``core.signing``'s instance key as the ``sign`` callable of ``PackWriter``."""

    public_key_pem: bytes

    @property
    def key_id(self) -> str:
        return key_fingerprint(load_public_key(self.public_key_pem))

    def __call__(self, data: bytes) -> tuple[str, bytes]:
        signed = signing.sign(data)
        return self.key_id, base64.b64decode(signed.signature_b64)


def packs_dir() -> Path:
    configured = getattr(settings, "RAMPART_PACK_DIR", None)
    folder = Path(configured) if configured else Path(settings.VAR_DIR) / "packs"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _period(engagement: Engagement) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(engagement.start, time.min, tzinfo=tz)
    end = datetime.combine(engagement.end + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def _trail_rows(entries: QuerySet[LogEntry]) -> Iterator[tuple[Any, ...]]:
    for entry in entries.select_related("content_type", "actor").iterator(chunk_size=2000):
        yield (
            entry.sequence,
            entry.timestamp,
            entry.actor_label,
            entry.get_action_display(),
            f"{entry.content_type.app_label}.{entry.content_type.model}",
            entry.object_pk,
            entry.object_repr,
            json.dumps(entry.changes, sort_keys=True) if entry.changes is not None else "",
            entry.prev_hash,
            entry.entry_hash,
        )


TRAIL_COLUMNS = [
    "sequence",
    "timestamp",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object",
    "changes",
    "prev_hash",
    "entry_hash",
]


def _index(engagement: Engagement, evidence_paths: dict[int, str]) -> IndexPage:
    def evidence_items(rows: Iterable[Evidence]) -> list[IndexEvidence]:
        return [
            IndexEvidence(
                title=f"{e.title} (v{e.version})",
                path=evidence_paths.get(e.pk, "data/evidence.csv"),
                size=e.size,
                sha256=e.sha256 or None,
                collected_on=e.collected_on.isoformat(),
                description=e.url or e.note or e.description,
            )
            for e in rows
        ]

    in_scope_evidence = in_scope(Evidence, engagement)
    controls = in_scope(Control, engagement).select_related("owner").prefetch_related("requirements", "tests")
    by_requirement: dict[int, list[IndexControl]] = {}
    for control in controls:
        tests = [
            IndexTest(
                name=f"Test due {t.due_date}",
                result={"pass": "passed", "fail": "failed"}.get(t.result, t.result),
                performed_on=_text(t.performed_on),
                notes=getattr(t, "notes", ""),
                evidence=evidence_items(in_scope_evidence.filter(control_tests=t)),
            )
            for t in control.tests.all()
        ]
        item = IndexControl(
            ref=control.ref,
            title=control.title,
            owner=control.owner.email if control.owner else "",
            tests=tests,
            evidence=evidence_items(in_scope_evidence.filter(controls=control)),
        )
        for requirement in control.requirements.all():
            by_requirement.setdefault(requirement.pk, []).append(item)
    requirements = [
        IndexRequirement(ref=r.ref_id, title=r.title, controls=by_requirement.get(r.pk, []))
        for r in in_scope(Requirement, engagement).order_by("framework__key", "ref_id")
    ]
    return IndexPage(
        title=f"{engagement.name}: evidence pack",
        details={
            "Engagement": engagement.name,
            "Period": f"{engagement.start} to {engagement.end}",
            "Auditors": ", ".join(engagement.auditors.values_list("email", flat=True)),
        },
        requirements=requirements,
        other_evidence=evidence_items(in_scope_evidence.filter(controls=None, requirements=None, control_tests=None)),
    )


def _oscal(engagement: Engagement, evidence_paths: dict[int, str], generated_at: datetime) -> dict[str, Any]:
    controls = []
    in_scope_evidence = in_scope(Evidence, engagement)
    for control in in_scope(Control, engagement).prefetch_related("tests").order_by("ref"):
        controls.append(
            {
                "ref": control.ref,
                "title": control.title,
                "result": control.latest_test_result,
                "tests": [
                    {"due_date": _text(t.due_date), "performed_on": _text(t.performed_on), "result": t.result}
                    for t in control.tests.all()
                ],
                "evidence": [
                    {"title": e.title, "path": evidence_paths.get(e.pk, "")}
                    for e in in_scope_evidence.filter(controls=control)
                ],
            }
        )
    return assessment_results(
        engagement={
            "id": engagement.pk,
            "name": engagement.name,
            "start": engagement.start.isoformat(),
            "end": engagement.end.isoformat(),
            "description": engagement.description,
        },
        controls=controls,
        generated_at=generated_at,
        generator=GENERATOR,
    )


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


def write_pack(engagement: Engagement, target: Path, *, progress: Progress = _no_progress) -> PackSummary:
    """Write the pack of ``engagement`` to ``target`` (renamed into place only when complete)."""
    generated_at = datetime.now(UTC)
    start, end = _period(engagement)
    signer = _Signer(signing.public_key_pem().encode())
    evidence_files = list(in_scope(Evidence, engagement).exclude(file="").order_by("pk").values_list("pk", flat=True))
    steps = len(TABLES) + len(evidence_files) + 4
    done = 0
    with PackWriter(target, generator=GENERATOR, sign=signer, public_key_pem=signer.public_key_pem) as writer:
        for name, (model, wanted) in TABLES.items():
            progress(f"Writing {name.replace('_', ' ')}", done, steps)
            columns = _fields(model, wanted)
            rows = in_scope(model, engagement).order_by("pk").values_list(*columns)
            writer.add_stream(f"data/{name}.csv", _csv_stream(columns, rows.iterator(chunk_size=2000)))
            writer.add_stream(f"data/{name}.json", _json_stream(columns, rows.iterator(chunk_size=2000)))
            done += 1
        evidence_paths: dict[int, str] = {}
        storage = evidence_storage()
        for pk in evidence_files:
            evidence = Evidence.objects.get(pk=pk)
            progress(f"Adding evidence file {evidence.filename}", done, steps)
            member = evidence_member(evidence)
            with storage.open(evidence.file.name, "rb") as handle:
                entry = writer.add_file(member, handle)
            if entry.sha256 != evidence.sha256:
                raise ValueError(f"evidence {evidence.pk} ({evidence.filename}) no longer matches its recorded SHA-256")
            evidence_paths[pk] = member
            done += 1
        progress("Collecting evidence produced by the system", done, steps)
        provided = [
            {"provider": p.provider, "items": p.items, "error": p.error}
            for p in collect_evidence(engagement.start, engagement.end)
        ]
        writer.add_bytes("data/system_evidence.json", _dumps(provided))
        done += 1
        progress("Extracting and verifying the audit trail", done, steps)
        chain = verify_chain(workers=1)
        entries = trail_entries_in_scope(engagement, start, end)
        writer.add_stream("audit-trail/entries.csv", _csv_stream(TRAIL_COLUMNS, _trail_rows(entries)))
        chain_result = {
            "ok": chain.ok,
            "summary": chain.summary(),
            "entries_verified": chain.count,
            "head_sequence": chain.head_sequence,
            "head_hash": chain.head_hash,
        }
        writer.add_bytes("audit-trail/verification.json", _dumps(chain_result))
        checkpoint = _checkpoint_for_pack()
        # Every checkpoint the system holds (this one last): an auditor can later check the live
        # trail against them (``verify_audit_trail --checkpoints PACK.zip``), so no rewrite of an
        # entry they cover goes unnoticed.
        writer.add_stream("audit-trail/checkpoints.jsonl", download_lines())
        done += 1
        progress("Writing the OSCAL assessment results and the index", done, steps)
        writer.add_bytes("oscal/assessment-results.json", _dumps(_oscal(engagement, evidence_paths, generated_at)))
        writer.add_bytes("index.html", render_index(_index(engagement, evidence_paths)).encode())
        done += 1
        progress("Signing", done, steps)
        summary = writer.finish(
            {
                "engagement": {"id": engagement.pk, "name": engagement.name},
                "period": {"from": engagement.start.isoformat(), "to": engagement.end.isoformat()},
                "scope": {
                    "frameworks": sorted(engagement.frameworks.values_list("key", flat=True)),
                    "requirements": sorted(
                        f"{k}:{r}" for k, r in engagement.requirements.values_list("framework__key", "ref_id")
                    ),
                    "controls": sorted(engagement.controls.values_list("ref", flat=True)),
                },
                "audit_trail": chain_result,
                "audit_checkpoint": checkpoint,
                "created_at": generated_at.isoformat(timespec="seconds"),
            }
        )
    progress("Done", steps, steps)
    return summary


def _checkpoint_for_pack() -> dict[str, Any] | None:
    """A signed checkpoint of the trail made for this pack; None (said in the manifest) when refused."""
    try:
        return make_checkpoint(reason="evidence pack").as_json()
    except CheckpointRefusedError:
        return None  # a broken trail gets no checkpoint; verification.json says why


def _dumps(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, default=str).encode() + b"\n"


def find_engagement(name_or_id: str) -> Engagement:
    """An engagement by id or by name (the command's argument)."""
    found = Engagement.objects.filter(name=name_or_id).first()
    if found is None and name_or_id.isdigit():
        found = Engagement.objects.filter(pk=int(name_or_id)).first()
    if found is None:
        raise Engagement.DoesNotExist(f"No engagement is named or numbered {name_or_id!r}.")
    return found
