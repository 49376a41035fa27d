"""Controls that are not on a test schedule (not implemented, or "not tested") have no next due date.

Before this release a control that left Implemented kept its old due date, which no figure
counts any more but the control page still showed. ``next_test_due`` is derived from the
status, the frequency and the latest test, so clearing it loses nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import Q


def clear(apps: Any, schema_editor: Any) -> None:
    Control = apps.get_model("governance", "Control")
    off_schedule = ~Q(status="implemented") | Q(test_frequency="none")
    Control.objects.filter(off_schedule, next_test_due__isnull=False).update(next_test_due=None)


class Migration(migrations.Migration):
    dependencies = [("governance", "0006_owners")]

    operations = [migrations.RunPython(clear, migrations.RunPython.noop)]
