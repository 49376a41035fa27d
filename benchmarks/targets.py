"""What ``make bench`` measures: one line per page or endpoint.

``path`` may hold ``{placeholders}`` filled from the prepared data (see
``prepare.py``: ``actor_email``). ``auth`` says how the request signs in:
``session`` (a browser session cookie that has passed MFA) or ``token`` (an API
token in the ``Authorization`` header). A target whose route does not exist yet
(404) is skipped with a note, so later issues simply add lines here. Pages past
the end: the audit-trail page clamps ``?page=100`` to its last page, the API
answers 404; 100 pages of 50 need ``--factor 5`` or more.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    auth: str = "session"


TARGETS: list[Target] = [
    Target("home page", "/"),
    Target("audit trail, first page", "/audit-trail/"),
    Target("audit trail, page 100", "/audit-trail/?page=100"),
    Target("audit trail, filtered by actor", "/audit-trail/?actor={actor_email}"),
    Target("job runs page", "/jobs/runs/"),
    Target("users list page", "/users/"),
    Target("API: audit entries, page 100", "/api/v1/audit-entries/?page=100", auth="token"),
    Target("API: users list", "/api/v1/users/", auth="token"),
    Target("API: job runs", "/api/v1/job-runs/", auth="token"),
]
