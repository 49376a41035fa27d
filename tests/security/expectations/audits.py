"""The audit trail: pages and API.

Administrators and Compliance officers read all of it (``access.view_audit_trail``). An
Auditor, while an engagement they audit is in progress, reads the entries of the objects in
its scope (list, CSV, one entry, API); another entry is a 404 for them, and without an
engagement the trail is refused (403). The signed checkpoints and the trail's public key
are for trail readers only.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType

from audits.models import LogEntry
from governance.models import Control
from tests.security.expectations import API_ANON, Route, roles
from tests.security.expectations.audits_engagements import in_engagement

TRAIL_READERS = roles("admin_alice", "officer_olga")
SCOPE_READERS = TRAIL_READERS | {"auditor_aude"}  # auditor_aude audits the matrix control (in_engagement)
HIDDEN_OR_DENIED = (403, 404)


def _first_entry(p: Any) -> dict[str, Any]:
    """Creating the personas wrote entries; the first one is always there."""
    return {"pk": LogEntry.objects.order_by("sequence").values_list("pk", flat=True).first()}


def _audited_control(p: Any) -> Control:
    control = Control.objects.create(ref="CTL-MATRIX-TRAIL", title="Audited control")
    in_engagement(p, controls=[control])
    return control


def _audited(p: Any) -> dict[str, Any]:
    _audited_control(p)
    return {}


def _audited_entry(p: Any) -> dict[str, Any]:
    """The entry that recorded the creation of a control in auditor_aude's scope."""
    control = _audited_control(p)
    entries = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Control), object_id=control.pk)
    return {"pk": entries.values_list("pk", flat=True).get()}


def _outside_entry(p: Any) -> dict[str, Any]:
    _audited(p)
    return _first_entry(p)


ROUTES = [
    Route("audits:trail", TRAIL_READERS, note="auditor_aude without an engagement: 403"),
    Route("audits:trail", SCOPE_READERS, kwargs=_audited, note="auditor_aude: the entries of her scope"),
    Route("audits:trail_export", SCOPE_READERS, kwargs=_audited),
    Route("audits:checkpoints_download", TRAIL_READERS, kwargs=_audited),
    Route("audits:public_key", TRAIL_READERS, kwargs=_audited),
    Route("audits:entry_detail", TRAIL_READERS, kwargs=_first_entry),
    Route("audits:entry_detail", SCOPE_READERS, kwargs=_audited_entry, denied=HIDDEN_OR_DENIED),
    Route(
        "audits:entry_detail",
        TRAIL_READERS,
        kwargs=_outside_entry,
        denied=HIDDEN_OR_DENIED,
        note="an entry of no object in her scope: 404 for auditor_aude",
    ),
    Route("audit-entry-list", TRAIL_READERS, anonymous=API_ANON),
    Route("audit-entry-list", SCOPE_READERS, kwargs=_audited, anonymous=API_ANON),
    Route("audit-entry-detail", TRAIL_READERS, kwargs=_first_entry, anonymous=API_ANON),
    Route("audit-entry-detail", SCOPE_READERS, kwargs=_audited_entry, denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    Route("audit-entry-detail", TRAIL_READERS, kwargs=_outside_entry, denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
]
