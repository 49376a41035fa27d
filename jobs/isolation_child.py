"""Imported once by the forkserver of ``jobs.isolation``: Django is set up before any child is forked,
so each child starts in milliseconds. No database connection is opened here."""

from __future__ import annotations

import django
from django.apps import apps

if not apps.ready:
    django.setup()
