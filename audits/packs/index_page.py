"""The pack's ``index.html``: requirements → controls → tests → evidence, readable offline.

The page is opened from the extracted pack, not served by Rampart: it is one
self-contained file (inline CSS, no script, no external asset; its own
Content-Security-Policy forbids loading anything) whose links are relative paths to
the evidence members. Every piece of text is HTML-escaped; link targets are
percent-encoded member names, so no scheme (``javascript:``) can get through.

Input, plain data the caller maps its models to (all text is plain text, not HTML)::

    IndexPage(
        title="SOC 2 Type II 2025 — evidence",
        details={"Engagement": "...", "Scope": "...", "Period": "2025-01-01 to 2025-12-31"},
        requirements=[
            IndexRequirement(ref="CC6.1", title="Logical access", description="...", controls=[
                IndexControl(ref="AC-01", title="Quarterly access review", owner="...", tests=[
                    IndexTest(name="Q1 review", result="passed", performed_on="2025-04-02",
                              performed_by="...", notes="...", evidence=[
                        IndexEvidence(title="Review export", path="evidence/AC-01/q1.xlsx",
                                      size=12345, sha256="..."),
                    ]),
                ], evidence=[...]),          # evidence of the control outside any test
            ]),
        ],
        other_evidence=[...],                # evidence linked to no requirement
    )

``page_from_dict`` builds the same from nested dicts with these field names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import quote

from audits.packs.verify_standalone import unsafe_path_reason


@dataclass(frozen=True)
class IndexEvidence:
    title: str
    path: str  # the member's name inside the pack
    size: int | None = None
    sha256: str | None = None
    collected_on: str = ""
    description: str = ""


@dataclass(frozen=True)
class IndexTest:
    name: str
    result: str = ""  # e.g. "passed", "failed", "exception"; shown as a badge
    performed_on: str = ""
    performed_by: str = ""
    notes: str = ""
    evidence: Sequence[IndexEvidence] = ()


@dataclass(frozen=True)
class IndexControl:
    ref: str
    title: str
    description: str = ""
    owner: str = ""
    tests: Sequence[IndexTest] = ()
    evidence: Sequence[IndexEvidence] = ()


@dataclass(frozen=True)
class IndexRequirement:
    ref: str
    title: str
    description: str = ""
    controls: Sequence[IndexControl] = ()


@dataclass(frozen=True)
class IndexPage:
    title: str
    details: Mapping[str, str] = field(default_factory=dict)  # shown in order under the title
    requirements: Sequence[IndexRequirement] = ()
    other_evidence: Sequence[IndexEvidence] = ()
    verify_hint: str = "python3 verify.py THIS-PACK.zip --public-key ORGANISATION-KEY.pem"


CSS = """
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem 1.5rem;color:#1c1c1c}
h1{font-size:1.6rem;margin-bottom:.3rem}h2{margin-top:2.2rem;border-bottom:2px solid #ccd}
h3{margin:1.4rem 0 .3rem}h4{margin:.8rem 0 .2rem;font-size:1rem}
dl.details{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem}dl.details dt{font-weight:600}
dl.details dd{margin:0}nav ol{padding-left:1.3rem}.ref{font-family:ui-monospace,monospace;color:#334}
.control{border-left:3px solid #ccd;padding-left:1rem;margin:1rem 0}.muted{color:#666}
.test{margin:.6rem 0 .6rem .5rem}ul.evidence{margin:.2rem 0;padding-left:1.2rem}
.hash{font-family:ui-monospace,monospace;font-size:.8rem;color:#666}
.badge{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:.8rem;background:#e6e6ee}
.result-passed{background:#d7f0dc}.result-failed{background:#f6d5d5}.result-exception{background:#f7ead0}
code{background:#f2f2f6;padding:.1rem .3rem}
@media print{nav{page-break-after:always}.control{page-break-inside:avoid}}
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'"
_CLASS_RE = re.compile(r"[^a-z0-9-]+")


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _href(path: str) -> str:
    reason = unsafe_path_reason(path)
    if reason:
        raise ValueError(f"evidence path {path!r} cannot be linked: {reason}")
    return _text(quote(path, safe="/"))


def _size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} bytes"
    value = size / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def _evidence_list(items: Sequence[IndexEvidence]) -> list[str]:
    if not items:
        return []
    html = ['<ul class="evidence">']
    for item in items:
        meta = [part for part in (item.collected_on, _size(item.size)) if part]
        line = f'<li><a href="{_href(item.path)}">{_text(item.title)}</a>'
        line += f' <span class="muted">{_text(item.path)}'
        line += f" · {_text(' · '.join(meta))}</span>" if meta else "</span>"
        if item.sha256:
            line += f' <span class="hash" title="SHA-256">{_text(item.sha256[:16])}…</span>'
        if item.description:
            line += f"<br>{_text(item.description)}"
        html.append(line + "</li>")
    html.append("</ul>")
    return html


def _test(test: IndexTest) -> list[str]:
    badge = ""
    if test.result:
        css = _CLASS_RE.sub("-", test.result.lower()).strip("-")
        badge = f' <span class="badge result-{css}">{_text(test.result)}</span>'
    html = [f'<div class="test"><h4>{_text(test.name)}{badge}</h4>']
    meta = [part for part in (test.performed_on, test.performed_by and f"by {test.performed_by}") if part]
    if meta:
        html.append(f'<div class="muted">{_text(" · ".join(meta))}</div>')
    if test.notes:
        html.append(f"<p>{_text(test.notes)}</p>")
    html += _evidence_list(test.evidence) or ['<p class="muted">No evidence attached.</p>']
    html.append("</div>")
    return html


def _control(control: IndexControl, anchor: str) -> list[str]:
    html = [f'<section class="control" id="{anchor}">']
    html.append(f'<h3><span class="ref">{_text(control.ref)}</span> {_text(control.title)}</h3>')
    if control.owner:
        html.append(f'<div class="muted">Owner: {_text(control.owner)}</div>')
    if control.description:
        html.append(f"<p>{_text(control.description)}</p>")
    for test in control.tests:
        html += _test(test)
    if control.evidence:
        html.append("<h4>Other evidence for this control</h4>")
        html += _evidence_list(control.evidence)
    if not control.tests and not control.evidence:
        html.append('<p class="muted">No tests or evidence in this pack.</p>')
    html.append("</section>")
    return html


def render_index(page: IndexPage) -> str:
    """The whole ``index.html`` as text (encode as UTF-8); ``ValueError`` for an unsafe evidence path."""
    html = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(page.title)}</title><style>{CSS}</style></head><body>",
        f"<header><h1>{_text(page.title)}</h1>",
    ]
    if page.details:
        html.append('<dl class="details">')
        html += [f"<dt>{_text(key)}</dt><dd>{_text(value)}</dd>" for key, value in page.details.items()]
        html.append("</dl>")
    html.append(f"<p>To check this pack offline: <code>{_text(page.verify_hint)}</code></p></header>")
    html.append('<nav id="contents"><h2>Contents</h2><ol>')
    for number, requirement in enumerate(page.requirements, 1):
        count = len(requirement.controls)
        html.append(
            f'<li><a href="#req-{number}"><span class="ref">{_text(requirement.ref)}</span> '
            f'{_text(requirement.title)}</a> <span class="muted">({count} control{"s" if count != 1 else ""})</span>'
        )
        if requirement.controls:
            html.append("<ol>")
            html += [
                f'<li><a href="#req-{number}-ctl-{index}"><span class="ref">{_text(control.ref)}</span> '
                f"{_text(control.title)}</a></li>"
                for index, control in enumerate(requirement.controls, 1)
            ]
            html.append("</ol>")
        html.append("</li>")
    if page.other_evidence:
        html.append('<li><a href="#other-evidence">Other evidence</a></li>')
    html.append("</ol></nav><main>")
    for number, requirement in enumerate(page.requirements, 1):
        html.append(f'<section id="req-{number}">')
        html.append(f'<h2><span class="ref">{_text(requirement.ref)}</span> {_text(requirement.title)}</h2>')
        if requirement.description:
            html.append(f"<p>{_text(requirement.description)}</p>")
        for index, control in enumerate(requirement.controls, 1):
            html += _control(control, f"req-{number}-ctl-{index}")
        if not requirement.controls:
            html.append('<p class="muted">No control mapped in this pack.</p>')
        html.append('<p><a href="#contents">Back to contents</a></p></section>')
    if page.other_evidence:
        html.append('<section id="other-evidence"><h2>Other evidence</h2>')
        html += _evidence_list(page.other_evidence)
        html.append("</section>")
    html.append("</main></body></html>\n")
    return "\n".join(html)


def _evidence_from(items: Sequence[Mapping[str, Any]]) -> tuple[IndexEvidence, ...]:
    return tuple(IndexEvidence(**item) for item in items)


def page_from_dict(data: Mapping[str, Any]) -> IndexPage:
    """An ``IndexPage`` from nested dicts and lists with the dataclasses' field names."""
    requirements = tuple(
        IndexRequirement(
            **{key: value for key, value in requirement.items() if key != "controls"},
            controls=tuple(
                IndexControl(
                    **{key: value for key, value in control.items() if key not in ("tests", "evidence")},
                    tests=tuple(
                        IndexTest(
                            **{key: value for key, value in test.items() if key != "evidence"},
                            evidence=_evidence_from(test.get("evidence", ())),
                        )
                        for test in control.get("tests", ())
                    ),
                    evidence=_evidence_from(control.get("evidence", ())),
                )
                for control in requirement.get("controls", ())
            ),
        )
        for requirement in data.get("requirements", ())
    )
    fields = {key: value for key, value in data.items() if key not in ("requirements", "other_evidence")}
    return IndexPage(**fields, requirements=requirements, other_evidence=_evidence_from(data.get("other_evidence", ())))
