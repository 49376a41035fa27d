"""Sign-ins for the benchmark client, made directly in the benchmark database.

Run by ``run.py`` as ``python benchmarks/prepare.py`` with the same environment as
the server (``DATABASE_URL`` / ``RAMPART_SQLITE_PATH``, ``RAMPART_VAR_DIR``). Prints
one JSON object on stdout.

How the client signs in as the seeded Administrator ``admin_alice``, who must pass
MFA before any page:

* Pages: a confirmed TOTP device is created for her if she has none, then a
  session is written with Django's ``SessionStore`` holding what a real sign-in
  leaves behind: ``_auth_user_id``, ``_auth_user_backend``, ``_auth_user_hash``
  (so the session survives the password check of ``AuthenticationMiddleware``)
  and django-otp's ``otp_device_id`` (so ``MFARequiredMiddleware`` sees a verified
  user). The client sends it as the ``sessionid`` cookie.
* API: a personal token from ``access.services.create_api_token`` (one day), sent
  as ``Authorization: Bearer rmp_...``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402

from access.models import TOTPDevice, User  # noqa: E402
from access.services import create_api_token  # noqa: E402
from audits.models import LogEntry  # noqa: E402
from core.actor import acting  # noqa: E402
from governance.models import (  # noqa: E402
    Asset,
    ComplianceException,
    Control,
    ControlTest,
    Finding,
    Framework,
    Requirement,
    Risk,
)
from jobs.models import JobRun  # noqa: E402

ADMIN_EMAIL = "admin_alice@demo.rampart.test"


def analyze() -> None:
    """Planner statistics and visibility maps, as autovacuum keeps them on a live PostgreSQL database.

    Right after a bulk load PostgreSQL has no statistics and guesses one row per table, which
    turns some plans into nested loops over thousands of rows (the dashboard took over 30 s);
    and until a table is vacuumed, no index-only scan can skip its rows (autovacuum does it
    after a bulk load, but it is off on our benchmark machines). SQLite is left as Django
    leaves it: without ``ANALYZE``.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def main() -> None:
    analyze()
    admin = User.objects.get(email=ADMIN_EMAIL)
    with transaction.atomic(), acting(admin, via="command:benchmark"):
        device = TOTPDevice.objects.filter(user=admin, confirmed=True).first()
        if device is None:
            device = TOTPDevice.new_for(admin, name="Benchmark authenticator")
            device.confirmed = True
            device.save()
        _, raw_token = create_api_token(user=admin, name="benchmark", days=1)
    session = SessionStore()
    session[SESSION_KEY] = str(admin.pk)
    session[BACKEND_SESSION_KEY] = "access.backends.ExpiringGrantsModelBackend"
    session[HASH_SESSION_KEY] = admin.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    scale_entries = LogEntry.objects.filter(cid="seed_scale").exclude(actor_email=None)
    actor_email = scale_entries.values_list("actor_email", flat=True).first() or ADMIN_EMAIL
    # Filters that select a realistic share: a scale framework, an owner holding many controls or risks.
    framework = Framework.objects.filter(key__startswith="scale-framework-").order_by("key").first()
    framework_key = framework.key if framework else ""
    control_owner = Control.objects.exclude(owner=None).values_list("owner_id", flat=True).order_by("pk").first()
    risk_owner = Risk.objects.exclude(owner=None).values_list("owner_id", flat=True).order_by("pk").first()
    print(
        json.dumps(
            {
                "cookie_name": settings.SESSION_COOKIE_NAME,
                "session_key": session.session_key,
                "token": raw_token,
                "vars": {
                    "actor_email": actor_email,
                    "framework_key": framework_key,
                    "control_owner": str(control_owner or ""),
                    "risk_owner": str(risk_owner or ""),
                },
                "counts": {
                    "users": User.objects.count(),
                    "frameworks": Framework.objects.count(),
                    "requirements": Requirement.objects.count(),
                    "controls": Control.objects.count(),
                    "control tests": ControlTest.objects.count(),
                    "risks": Risk.objects.count(),
                    "assets": Asset.objects.count(),
                    "exceptions": ComplianceException.objects.count(),
                    "findings": Finding.objects.count(),
                    "audit-trail entries": LogEntry.objects.count(),
                    "job runs": JobRun.objects.count(),
                },
            }
        )
    )


if __name__ == "__main__":
    main()
