"""Policy Markdown is rendered safely, and versions are compared line by line."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from policies.documents.diff import diff_lines, unified_diff
from policies.documents.rendering import render_markdown, sanitize_html


class _Elements(HTMLParser):
    """The elements of an HTML fragment, as (tag, {attribute: value}), the way a browser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {name: value or "" for name, value in attrs}))


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


def test_markdown_renders_headings_lists_tables_and_links() -> None:
    html = render_markdown(
        "# Backup\n\n- nightly\n- **encrypted**\n\n| Kept | Days |\n| --- | --- |\n| daily | 14 |\n\n"
        "[Runbook](https://intranet.example.org/runbook)"
    )
    assert "<h1>Backup</h1>" in html
    assert "<li><strong>encrypted</strong></li>" in html
    assert "<td>14</td>" in html
    assert '<a href="https://intranet.example.org/runbook" rel="noopener noreferrer nofollow">Runbook</a>' in html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "Hello <script src=https://evil.example/x.js></script>",
        "<SCRIPT>alert(1)</SCRIPT>",
    ],
)
def test_no_script(source: str) -> None:
    for html in (render_markdown(source), sanitize_html(source)):
        assert "script" not in [tag for tag, _ in elements(html)]


@pytest.mark.parametrize(
    "source",
    [
        '<img src="x" onerror="alert(1)">',
        '<a href="https://example.org" onclick="steal()">x</a>',
        '<p onmouseover="alert(1)">hover</p>',
        '<svg onload="alert(1)"></svg>',
    ],
)
def test_no_event_handlers(source: str) -> None:
    for html in (render_markdown(source), sanitize_html(source)):
        attributes = [name for _, attrs in elements(html) for name in attrs]
        assert not [name for name in attributes if name.startswith("on")]


@pytest.mark.parametrize(
    "source",
    ['<p style="color:red">red</p>', "<style>body{display:none}</style>", '<span style="x">a</span>'],
)
def test_no_inline_style(source: str) -> None:
    for html in (render_markdown(source), sanitize_html(source)):
        found = elements(html)
        assert "style" not in [tag for tag, _ in found]
        assert not [attrs for _, attrs in found if "style" in attrs]


@pytest.mark.parametrize(
    "source",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "<javascript:alert(1)>",
        "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[vb](vbscript:msgbox(1))",
    ],
)
def test_no_javascript_or_data_links_from_markdown(source: str) -> None:
    hrefs = [attrs["href"] for _, attrs in elements(render_markdown(source)) if "href" in attrs]
    assert not [h for h in hrefs if not h.startswith(("http:", "https:", "mailto:", "#"))]


@pytest.mark.parametrize(
    "source",
    [
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" javascript:alert(1)">x</a>',
        '<a href="java&#x09;script:alert(1)">x</a>',
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    ],
)
def test_no_javascript_links_in_html(source: str) -> None:
    found = elements(sanitize_html(source))
    assert found and found[0][0] == "a"  # the link stays, without its address
    assert "href" not in found[0][1]


def test_dangerous_tags_are_gone_but_their_text_is_kept_as_text() -> None:
    html = render_markdown('<iframe src="https://evil.example"></iframe>\n\nSafe text')
    assert "<iframe" not in html
    assert "Safe text" in html


def test_diff_marks_added_removed_and_changed_lines() -> None:
    old = "# Policy\n\nLock your screen.\nUse the VPN.\nOld rule.\n"
    new = "# Policy\n\nLock your screen always.\nUse the VPN.\nNew rule one.\nNew rule two.\n"
    diff = diff_lines(old, new)
    kinds = [(row.kind, row.old_text, row.new_text) for row in diff.rows]
    assert ("changed", "Lock your screen.", "Lock your screen always.") in kinds
    assert ("same", "Use the VPN.", "Use the VPN.") in kinds
    assert ("changed", "Old rule.", "New rule one.") in kinds
    assert ("added", "", "New rule two.") in kinds
    assert (diff.changed, diff.added, diff.removed) == (2, 1, 0)
    assert not diff.identical


def test_diff_of_identical_texts_and_folding_of_long_unchanged_runs() -> None:
    assert diff_lines("a\nb\n", "a\nb\n").identical
    old = "\n".join(f"line {n}" for n in range(1, 41))
    new = old.replace("line 20", "line twenty")
    rows = diff_lines(old, new, context=2).rows
    assert rows[0].kind == "skip" and rows[0].skipped == 17
    assert [r.kind for r in rows[1:6]] == ["same", "same", "changed", "same", "same"]
    assert rows[-1].kind == "skip" and rows[-1].skipped == 18


def test_unified_diff_names_both_versions() -> None:
    text = unified_diff("a\nb\n", "a\nc\n", old_label="version 1", new_label="version 2")
    assert text.splitlines()[:2] == ["--- version 1", "+++ version 2"]
    assert "-b" in text and "+c" in text
