"""What ``make bench`` measures: one line per page or endpoint.

``path`` may hold ``{placeholders}`` filled from the prepared data (see
``prepare.py``: ``actor_email``, ``framework_key``, ``control_owner``,
``risk_owner``). ``auth`` says how the request signs in: ``session`` (a browser
session cookie that has passed MFA) or ``token`` (an API token in the
``Authorization`` header). A target whose route does not exist yet (404) is
skipped with a note. ``group`` names the list a target belongs to, for
``--targets`` (a comma-separated list of groups or of words in target names).

Deep pages are chosen to exist at ``--factor 10`` (50 rows a page): 10,000+
requirements (page 150), 3,000 controls (page 50), 20,000 control tests (page
300), 2,000 risks (page 35), 1,000 assets (page 18), 200,000 audit-trail entries
(page 3,000), 100,000 pieces of evidence (page 1,500), 5,000 evidence requests (page 50).
The pages clamp a page past the end to the last one; the API
answers 404, which the harness reports as "too little data".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    auth: str = "session"
    group: str = ""


def page(group: str, name: str, path: str) -> Target:
    return Target(name, path, "session", group)


def api(group: str, name: str, path: str) -> Target:
    return Target(f"API: {name}", path, "token", group)


TARGETS: list[Target] = [
    page("home", "home page", "/"),
    page("dashboard", "compliance dashboard", "/governance/"),
    # Frameworks and requirements
    page("frameworks", "frameworks page", "/governance/frameworks/"),
    page("requirements", "requirements, first page", "/governance/requirements/"),
    page("requirements", "requirements, page 150", "/governance/requirements/?page=150"),
    page(
        "requirements",
        "requirements, framework + search",
        "/governance/requirements/?framework={framework_key}&q=Requirement+1",
    ),
    api("requirements", "requirements, first page", "/api/v1/requirements/"),
    api("requirements", "requirements, page 150", "/api/v1/requirements/?page=150"),
    api(
        "requirements",
        "requirements, framework + search",
        "/api/v1/requirements/?framework={framework_key}&q=Requirement+1",
    ),
    # Controls
    page("controls", "controls, first page", "/governance/controls/"),
    page("controls", "controls, page 50", "/governance/controls/?page=50"),
    page("controls", "controls, status filter", "/governance/controls/?status=implemented&page=10"),
    page("controls", "controls, owner filter", "/governance/controls/?owner={control_owner}"),
    api("controls", "controls, first page", "/api/v1/controls/"),
    api("controls", "controls, page 50", "/api/v1/controls/?page=50"),
    api("controls", "controls, status filter", "/api/v1/controls/?status=implemented&page=10"),
    api("controls", "controls, owner filter", "/api/v1/controls/?owner={control_owner}"),
    # Control tests
    page("control-tests", "control tests, first page", "/governance/control-tests/"),
    page("control-tests", "control tests, page 300", "/governance/control-tests/?page=300"),
    page("control-tests", "control tests, failed", "/governance/control-tests/?result=fail"),
    page("control-tests", "control tests, overdue", "/governance/control-tests/?overdue=yes"),
    api("control-tests", "control tests, first page", "/api/v1/control-tests/"),
    api("control-tests", "control tests, page 300", "/api/v1/control-tests/?page=300"),
    api("control-tests", "control tests, failed", "/api/v1/control-tests/?result=fail"),
    api("control-tests", "control tests, overdue", "/api/v1/control-tests/?overdue=yes"),
    # Risks
    page("risks", "risks, first page", "/governance/risks/"),
    page("risks", "risks, page 35", "/governance/risks/?page=35"),
    page("risks", "risks, band filter", "/governance/risks/?band=0"),
    page("risks", "risks, treatment + owner", "/governance/risks/?treatment=mitigate&owner={risk_owner}"),
    api("risks", "risks, first page", "/api/v1/risks/"),
    api("risks", "risks, page 35", "/api/v1/risks/?page=35"),
    api("risks", "risks, band filter", "/api/v1/risks/?band=0"),
    api("risks", "risks, treatment filter", "/api/v1/risks/?treatment=mitigate"),
    # Assets
    page("assets", "assets, first page", "/governance/assets/"),
    page("assets", "assets, page 18", "/governance/assets/?page=18"),
    page("assets", "assets, criticality filter", "/governance/assets/?criticality=high"),
    api("assets", "assets, first page", "/api/v1/assets/"),
    api("assets", "assets, page 18", "/api/v1/assets/?page=18"),
    api("assets", "assets, criticality filter", "/api/v1/assets/?criticality=high"),
    # Exceptions
    page("exceptions", "exceptions, first page", "/governance/exceptions/"),
    page("exceptions", "exceptions, status filter", "/governance/exceptions/?status=approved"),
    api("exceptions", "exceptions, first page", "/api/v1/exceptions/"),
    api("exceptions", "exceptions, status filter", "/api/v1/exceptions/?status=approved"),
    # Audit trail
    page("audit", "audit trail, first page", "/audit-trail/"),
    page("audit", "audit trail, page 3000", "/audit-trail/?page=3000"),
    page("audit", "audit trail, filtered by actor", "/audit-trail/?actor={actor_email}"),
    api("audit", "audit entries, first page", "/api/v1/audit-entries/"),
    api("audit", "audit entries, page 3000", "/api/v1/audit-entries/?page=3000"),
    api("audit", "audit entries, filtered by actor", "/api/v1/audit-entries/?actor={actor_email}"),
    # Evidence and evidence requests (100,000 evidence items and 5,000 requests at factor 10)
    page("evidence", "evidence, first page", "/evidence/"),
    page("evidence", "evidence, page 1500", "/evidence/?page=1500"),
    page("evidence", "evidence, expired", "/evidence/?expired=yes"),
    page("evidence", "evidence, search", "/evidence/?q=0012345"),
    api("evidence", "evidence, first page", "/api/v1/evidence/"),
    page("requests", "evidence requests, first page", "/audits/requests/"),
    page("requests", "evidence requests, overdue", "/audits/requests/?overdue=yes"),
    page("requests", "evidence requests, page 50", "/audits/requests/?page=50"),
    # Access and jobs
    page("jobs", "job runs page", "/jobs/runs/"),
    page("users", "users list page", "/users/"),
    api("users", "users list", "/api/v1/users/"),
    api("jobs", "job runs", "/api/v1/job-runs/"),
]


def select(targets: list[Target], wanted: str) -> list[Target]:
    """The targets whose group is one of ``wanted`` (comma-separated) or whose name holds one of its words."""
    words = [w.strip().lower() for w in wanted.split(",") if w.strip()]
    if not words:
        return targets
    return [t for t in targets if t.group in words or any(w in t.name.lower() for w in words)]
