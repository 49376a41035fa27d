"""Signed evidence packs: one ZIP an auditor downloads and verifies offline.

* ``writer.PackWriter`` streams members in, then ``finish`` signs the manifest;
* ``verify_standalone.verify_pack`` checks a pack (the same file is the pack's ``verify.py``);
* ``index_page.render_index`` makes the pack's offline ``index.html``;
* ``signing.Ed25519Signer`` is a ready-made ``sign`` callable.

The format is described in ``FORMAT.md``. Nothing here imports Django.
"""

from audits.packs.index_page import IndexControl, IndexEvidence, IndexPage, IndexRequirement, IndexTest, render_index
from audits.packs.signing import Ed25519Signer
from audits.packs.verify_standalone import VerifyReport, verify_pack
from audits.packs.writer import PackError, PackSummary, PackWriter

__all__ = [
    "Ed25519Signer",
    "IndexControl",
    "IndexEvidence",
    "IndexPage",
    "IndexRequirement",
    "IndexTest",
    "PackError",
    "PackSummary",
    "PackWriter",
    "VerifyReport",
    "render_index",
    "verify_pack",
]
