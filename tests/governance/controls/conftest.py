"""Known data for coverage: a framework with a section, four applicable requirements, one not
applicable and one removed; controls implemented with a pass, implemented with a failure, and
planned with a pass.

Expected coverage: 4 applicable requirements (R1-R4), 1 covered (R1 by CTL-1) = 25%.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance.models import Control, Framework, Frequency, Outcome, Requirement
from governance.scoping import hand_over_object_perms
from governance.services import controls as services
from tests.conftest import login


@dataclass
class Known:
    framework: Framework
    section: Requirement
    reqs: dict[str, Requirement]
    controls: dict[str, Control]


def make_framework(key: str = "known", name: str = "Known framework") -> tuple[Framework, Requirement, dict]:
    framework = Framework.objects.create(key=key, name=name, version="1")
    section = Requirement.objects.create(
        framework=framework, ref_id="S", title="Section", is_section=True, order=0, depth=0
    )
    reqs = {}
    for i in range(1, 7):
        reqs[f"R{i}"] = Requirement.objects.create(
            framework=framework, parent=section, ref_id=f"R{i}", title=f"Requirement {i}", order=i, depth=1
        )
    return framework, section, reqs


def make_control(actor: Any, ref: str, *, owner: Any = None, status: str = Control.Status.IMPLEMENTED, **kw: Any):
    return services.create_control(actor=actor, ref=ref, title=f"Control {ref}", owner=owner, status=status, **kw)


@pytest.fixture
def known(personas: Any, db: Any) -> Known:
    olga = personas["officer_olga"]
    omar = personas["owner_omar"]
    framework, section, reqs = make_framework()
    r5 = reqs["R5"]
    r5.applicable, r5.justification = False, "We have no payment cards."
    r5.save()
    c1 = make_control(olga, "CTL-1", owner=omar, test_frequency=Frequency.QUARTERLY)
    c2 = make_control(olga, "CTL-2", owner=olga)
    c3 = make_control(olga, "CTL-3", status=Control.Status.PLANNED)
    services.map_control_requirements(actor=olga, control=c1, requirements=[reqs["R1"], reqs["R5"], reqs["R6"]])
    services.map_control_requirements(actor=olga, control=c2, requirements=[reqs["R2"]])
    services.map_control_requirements(actor=olga, control=c3, requirements=[reqs["R3"]])
    # R6 was removed by a re-import after CTL-1 was mapped to it.
    Requirement.objects.filter(pk=reqs["R6"].pk).update(removed_at=timezone.now())
    day = timezone.localdate() - dt.timedelta(days=5)
    services.record_control_test(actor=olga, control=c1, result=Outcome.PASS, performed_on=day)
    services.record_control_test(actor=olga, control=c2, result=Outcome.FAIL, performed_on=day)
    services.record_control_test(actor=olga, control=c3, result=Outcome.PASS, performed_on=day)
    for c in (c1, c2, c3):
        c.refresh_from_db()
    return Known(framework, section, reqs, {"CTL-1": c1, "CTL-2": c2, "CTL-3": c3})


def give(control: Control, owner: Any) -> Control:
    """Make ``owner`` the owner of ``control`` without going through a service (test set-up)."""
    control.owner = owner
    control.save(update_fields=["owner"])
    hand_over_object_perms(obj=control, previous=None, new=owner)
    return control


def page_queries(personas: Any, persona: str, url: str) -> int:
    """How many queries a second GET of ``url`` by ``persona`` costs (the first warms per-session caches)."""
    client = login(Client(), personas[persona])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)
