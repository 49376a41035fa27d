"""Models of the policies app, one module per feature.

- ``patching``: patch checks (inventories, advisories, findings, the patch policy, check runs).

- ``documents``: policy documents (versions, approval, review, acknowledgements).
"""

from policies.models.documents import ImmutableVersionError, Policy, PolicyAcknowledgement, PolicyVersion
from policies.models.patching import (
    Advisory,
    AdvisoryPackage,
    InstalledPackage,
    Inventory,
    PatchCheckRun,
    PatchFinding,
    PatchPolicy,
    Severity,
)

__all__ = [
    "Advisory",
    "AdvisoryPackage",
    "ImmutableVersionError",
    "InstalledPackage",
    "Inventory",
    "PatchCheckRun",
    "PatchFinding",
    "PatchPolicy",
    "Policy",
    "PolicyAcknowledgement",
    "PolicyVersion",
    "Severity",
]
