"""Package URLs (``pkg:type/namespace/name@version?qualifiers#subpath``), as CycloneDX uses them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote


class PurlError(ValueError):
    """Text that is not a package URL."""


@dataclass(frozen=True, slots=True)
class PackageURL:
    type: str
    namespace: str | None
    name: str
    version: str | None = None
    qualifiers: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    subpath: str | None = None


def parse_purl(text: str) -> PackageURL:
    """Split and percent-decode a package URL; ``PurlError`` says what is missing.

    Tolerates an unencoded ``@`` in an npm scope (``pkg:npm/@scope/name@1.0.0``), which
    some SBOM tools write: only an ``@`` after the last ``/`` starts the version.
    """
    value = text.strip()
    scheme, colon, rest = value.partition(":")
    if not colon or scheme.lower() != "pkg":
        raise PurlError(f"{text!r} does not start with 'pkg:'")
    rest = rest.lstrip("/")
    rest, _, subpath = rest.partition("#")
    rest, _, query = rest.partition("?")
    at = rest.rfind("@")
    version: str | None = None
    if at > rest.rfind("/"):
        rest, version = rest[:at], unquote(rest[at + 1 :])
    purl_type, slash, path = rest.partition("/")
    if not purl_type or not slash:
        raise PurlError(f"{text!r} has no type/name")
    segments = [unquote(segment) for segment in path.strip("/").split("/") if segment]
    if not segments:
        raise PurlError(f"{text!r} has no name")
    qualifiers: dict[str, str] = {}
    for pair in query.split("&") if query else []:
        key, equals, item = pair.partition("=")
        if not equals or not key:
            raise PurlError(f"{text!r} has a malformed qualifier {pair!r}")
        qualifiers[key.lower()] = unquote(item)
    return PackageURL(
        type=purl_type.lower(),
        namespace="/".join(segments[:-1]) or None,
        name=segments[-1],
        version=version or None,
        qualifiers=qualifiers,
        subpath=unquote(subpath) or None,
    )


def make_purl(purl_type: str, name: str, version: str, namespace: str | None = None, **qualifiers: str) -> str:
    """A package URL string, percent-encoded (an npm ``@scope`` as ``%40scope``)."""
    path = "/".join(quote(part, safe="") for part in ([namespace] if namespace else []) + [name])
    text = f"pkg:{purl_type}/{path}@{quote(version, safe='+~:')}"
    if qualifiers:
        text += "?" + "&".join(f"{key}={quote(value, safe='')}" for key, value in sorted(qualifiers.items()))
    return text
