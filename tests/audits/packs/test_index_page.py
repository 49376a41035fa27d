"""index.html: escaped, self-contained, relative links that resolve inside the pack."""

from __future__ import annotations

import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from audits.packs.index_page import (
    IndexControl,
    IndexEvidence,
    IndexPage,
    IndexRequirement,
    IndexTest,
    page_from_dict,
    render_index,
)
from audits.packs.signing import Ed25519Signer
from audits.packs.verify_standalone import verify_pack
from audits.packs.writer import PackWriter

REVIEW = IndexEvidence(title="Q1 review export", path="evidence/AC-01/q1 review.xlsx", size=12_345, sha256="ab" * 32)
SCREENSHOT = IndexEvidence(title="MFA settings", path="evidence/AC-02/mfa#1.png", collected_on="2025-02-01")
POLICY = IndexEvidence(title="Access policy", path="evidence/policies/access.pdf", size=3_000_000)

PAGE = IndexPage(
    title="SOC 2 Type II 2025 — evidence",
    details={"Engagement": "SOC 2 Type II", "Period": "2025-01-01 to 2025-12-31"},
    requirements=(
        IndexRequirement(
            ref="CC6.1",
            title="Logical access",
            description="The entity implements logical access security.",
            controls=(
                IndexControl(
                    ref="AC-01",
                    title="Quarterly access review",
                    owner="Alice Martin",
                    tests=(
                        IndexTest(name="Q1 review", result="passed", performed_on="2025-04-02", evidence=(REVIEW,)),
                    ),
                ),
                IndexControl(
                    ref="AC-02",
                    title="MFA for administrators",
                    tests=(IndexTest(name="Sample of 25 admins", result="failed", notes="2 without MFA"),),
                    evidence=(SCREENSHOT,),
                ),
            ),
        ),
        IndexRequirement(ref="CC7.2", title="Monitoring"),
    ),
    other_evidence=(POLICY,),
)


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"] or "")
        if values.get("id"):
            self.ids.add(values["id"] or "")


def parse(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


def test_the_hierarchy_and_a_table_of_contents() -> None:
    html = render_index(PAGE)
    links = parse(html)

    for text in ("CC6.1", "Quarterly access review", "Q1 review", "Alice Martin", "2 without MFA", "Monitoring"):
        assert text in html
    assert '<span class="badge result-passed">passed</span>' in html
    assert '<span class="badge result-failed">failed</span>' in html
    anchors = [href[1:] for href in links.hrefs if href.startswith("#")]
    assert {"req-1", "req-1-ctl-1", "req-1-ctl-2", "req-2", "other-evidence", "contents"} <= set(anchors)
    assert set(anchors) <= links.ids  # every table-of-contents link has its target


def test_evidence_links_are_relative_and_encoded() -> None:
    links = parse(render_index(PAGE))
    files = [href for href in links.hrefs if not href.startswith("#")]

    assert files == ["evidence/AC-01/q1%20review.xlsx", "evidence/AC-02/mfa%231.png", "evidence/policies/access.pdf"]
    assert [unquote(href) for href in files] == [REVIEW.path, SCREENSHOT.path, POLICY.path]


def test_self_contained_and_without_script() -> None:
    html = render_index(PAGE)
    links = parse(html)

    assert "script" not in links.tags
    assert not {"img", "link", "iframe", "object", "embed"} & links.tags
    assert not re.search(r"https?://|src=|@import|url\(", html)
    assert "default-src 'none'" in html


def test_everything_is_escaped() -> None:
    hostile = "<script>alert('x')</script>"
    page = IndexPage(
        title=hostile,
        details={hostile: hostile},
        requirements=(
            IndexRequirement(
                ref=hostile,
                title=hostile,
                description=hostile,
                controls=(
                    IndexControl(
                        ref=hostile,
                        title=hostile,
                        owner=hostile,
                        tests=(
                            IndexTest(
                                name=hostile,
                                result='" onmouseover="alert(1)',
                                notes=hostile,
                                evidence=(IndexEvidence(title=hostile, path='a/"><script>x.txt', description=hostile),),
                            ),
                        ),
                    ),
                ),
            ),
        ),
    )
    html = render_index(page)

    assert "<script" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "onmouseover=" not in html.replace("&quot; onmouseover=&quot;", "")
    assert 'href="a/%22%3E%3Cscript%3Ex.txt"' in html
    assert "script" not in parse(html).tags


@pytest.mark.parametrize("path", ["../etc/passwd", "/abs.pdf", "javascript:alert(1)"])
def test_evidence_paths_cannot_leave_the_pack(path: str) -> None:
    page = IndexPage(title="t", other_evidence=(IndexEvidence(title="x", path=path),))
    if path == "javascript:alert(1)":  # a legal member name, but never a scheme once encoded
        assert 'href="javascript%3Aalert%281%29"' in render_index(page)
    else:
        with pytest.raises(ValueError, match="cannot be linked"):
            render_index(page)


def test_page_from_dict() -> None:
    data = {
        "title": "SOC 2 Type II 2025 — evidence",
        "details": {"Engagement": "SOC 2 Type II", "Period": "2025-01-01 to 2025-12-31"},
        "requirements": [
            {
                "ref": "CC6.1",
                "title": "Logical access",
                "description": "The entity implements logical access security.",
                "controls": [
                    {
                        "ref": "AC-01",
                        "title": "Quarterly access review",
                        "owner": "Alice Martin",
                        "tests": [
                            {
                                "name": "Q1 review",
                                "result": "passed",
                                "performed_on": "2025-04-02",
                                "evidence": [vars(REVIEW)],
                            }
                        ],
                    },
                    {
                        "ref": "AC-02",
                        "title": "MFA for administrators",
                        "tests": [{"name": "Sample of 25 admins", "result": "failed", "notes": "2 without MFA"}],
                        "evidence": [vars(SCREENSHOT)],
                    },
                ],
            },
            {"ref": "CC7.2", "title": "Monitoring"},
        ],
        "other_evidence": [vars(POLICY)],
    }
    assert render_index(page_from_dict(data)) == render_index(PAGE)


def test_in_a_pack_every_link_resolves_to_a_member(tmp_path: Path, signer: Ed25519Signer) -> None:
    target = tmp_path / "pack.zip"
    with PackWriter(target, generator="t", sign=signer, public_key_pem=signer.public_key_pem) as writer:
        for item in (REVIEW, SCREENSHOT, POLICY):
            writer.add_bytes(item.path, item.title.encode())
        writer.add_bytes("index.html", render_index(PAGE).encode("utf-8"))
        writer.finish({})

    assert verify_pack(target).ok
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
        html = archive.read("index.html").decode("utf-8")
    files = [unquote(href) for href in parse(html).hrefs if not href.startswith("#")]
    assert files
    assert set(files) <= names
