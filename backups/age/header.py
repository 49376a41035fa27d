"""The textual age v1 header: recipient stanzas and the header MAC.

::

    age-encryption.org/v1
    -> X25519 XEl0dJ6y3C7KZkgmgWUicg63EyXJiwBJW8PdYJ/cYBE
    qRS0AMjdjPvZ/WT08U2KL4G+PIooA3hy38SvLpvaC1E
    --- HK2NmOBN9Dpq0Gw6xMCuhFcQlQLvZ/wQUi/2scLG75s

Parsing is strict: anything the ABNF of the specification does not allow is a
:class:`~backups.age.errors.HeaderError`, and a header cut short is a
:class:`~backups.age.errors.TruncatedError`.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from .errors import HeaderError, HeaderMacError, NotAgeFileError, TruncatedError, UnsupportedVersionError
from .primitives import b64decode, b64encode, hkdf_sha256, hmac_sha256

VERSION_LINE = b"age-encryption.org/v1\n"
_INTRO = b"age-encryption.org/"
_ARMOR = b"-----BEGIN AGE ENCRYPTED FILE-----"
_STANZA_PREFIX = b"-> "
_MAC_PREFIX = b"---"
COLUMNS = 64
MAC_SIZE = 32
MAX_LINE = 64 * 1024
MAX_HEADER = 4 * 1024 * 1024
_ARGUMENT = re.compile(rb"[\x21-\x7e]+")
_BODY_LINE = re.compile(rb"[A-Za-z0-9+/]{0,64}")


@dataclass(frozen=True)
class Stanza:
    """One recipient stanza: its arguments (the first is its type) and its body."""

    args: tuple[str, ...]
    body: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not self.args:
            raise ValueError("a stanza needs at least one argument")
        for arg in self.args:
            if not arg.isascii() or not _ARGUMENT.fullmatch(arg.encode("ascii")):
                raise ValueError(f"invalid stanza argument {arg!r}")

    @property
    def type(self) -> str:
        return self.args[0]

    def encode(self) -> bytes:
        lines = [b"-> " + " ".join(self.args).encode("ascii")]
        body = b64encode(self.body).encode("ascii")
        lines.extend(body[i : i + COLUMNS] for i in range(0, len(body), COLUMNS))
        if len(body) % COLUMNS == 0:
            lines.append(b"")  # the body always ends with a line shorter than 64 columns
        return b"\n".join(lines) + b"\n"


@dataclass(frozen=True)
class Header:
    """A parsed header. ``mac_input`` is what the MAC covers; ``raw`` is every header byte."""

    stanzas: tuple[Stanza, ...]
    mac: bytes = field(repr=False)
    mac_input: bytes = field(repr=False)
    raw: bytes = field(repr=False)

    def verify_mac(self, file_key: bytes) -> None:
        if not hmac.compare_digest(self.mac, compute_mac(file_key, self.mac_input)):
            raise HeaderMacError()


def compute_mac(file_key: bytes, mac_input: bytes) -> bytes:
    return hmac_sha256(hkdf_sha256(file_key, b"", b"header"), mac_input)


def encode_header(stanzas: Sequence[Stanza], file_key: bytes) -> bytes:
    """The complete header for ``stanzas``, MAC line included."""
    if not stanzas:
        raise ValueError("a header needs at least one stanza")
    mac_input = VERSION_LINE + b"".join(stanza.encode() for stanza in stanzas) + _MAC_PREFIX
    return mac_input + b" " + b64encode(compute_mac(file_key, mac_input)).encode("ascii") + b"\n"


class _Lines:
    """Reads header lines from ``src``, keeping every byte read for the MAC."""

    def __init__(self, src: BinaryIO) -> None:
        self._src = src
        self.raw = bytearray()

    def next(self) -> bytes:
        """The next line, without its line feed."""
        line = self._src.readline(MAX_LINE)
        self.raw += line
        if not line.endswith(b"\n"):
            if len(line) == MAX_LINE:
                raise HeaderError(f"header line longer than {MAX_LINE} bytes")
            raise TruncatedError("file is truncated: it ends inside the header")
        if len(self.raw) > MAX_HEADER:
            raise HeaderError(f"header longer than {MAX_HEADER} bytes")
        return line[:-1]


def _read_version(src: BinaryIO) -> bytes:
    first = src.readline(len(VERSION_LINE))
    if first == VERSION_LINE:
        return first
    if not first:
        raise TruncatedError("file is empty")
    if first.startswith(_INTRO) or _INTRO.startswith(first):
        if len(first) < len(VERSION_LINE) and not first.endswith(b"\n"):
            raise TruncatedError("file is truncated: it ends inside the header")
        version = (first + src.readline(80)).split(b"\n")[0][len(_INTRO) :]
        raise UnsupportedVersionError(f"unsupported age format version {version.decode('ascii', 'replace')!r}")
    if first.startswith(_ARMOR[: len(first)]):
        raise NotAgeFileError("the file is ASCII-armored (PEM); only the binary age format is supported")
    raise NotAgeFileError("not an age file (it does not start with 'age-encryption.org/v1')")


def _parse_args(line: bytes) -> tuple[str, ...]:
    parts = line[len(_STANZA_PREFIX) :].split(b" ")
    if not all(_ARGUMENT.fullmatch(part) for part in parts):
        raise HeaderError("malformed stanza: empty or invalid argument")
    return tuple(part.decode("ascii") for part in parts)


def read_header(src: BinaryIO) -> Header:
    """Read and parse the header from ``src``, leaving it positioned at the payload."""
    lines = _Lines(src)
    lines.raw += _read_version(src)
    stanzas: list[Stanza] = []
    line = lines.next()
    while line.startswith(_STANZA_PREFIX):
        args = _parse_args(line)
        body_lines: list[bytes] = []
        while True:
            body_line = lines.next()
            if not _BODY_LINE.fullmatch(body_line):
                raise HeaderError("malformed stanza body: not base64 lines of at most 64 columns")
            body_lines.append(body_line)
            if len(body_line) < COLUMNS:
                break
        body = b64decode(b"".join(body_lines).decode("ascii"), what="stanza body")
        stanzas.append(Stanza(args, body))
        line = lines.next()
    if not line.startswith(_MAC_PREFIX):
        raise HeaderError("malformed header: expected a stanza ('-> ') or the MAC line ('--- ')")
    if not stanzas:
        raise HeaderError("malformed header: no recipient stanza")
    if not line.startswith(_MAC_PREFIX + b" "):
        raise HeaderError("malformed MAC line")
    encoded_mac = line[len(_MAC_PREFIX) + 1 :].decode("ascii", "replace")
    mac = b64decode(encoded_mac, what="header MAC")
    if len(mac) != MAC_SIZE:
        raise HeaderError("malformed MAC line: the MAC is not 32 bytes")
    raw = bytes(lines.raw)
    mac_input = raw[: len(raw) - len(line) - 1 + len(_MAC_PREFIX)]
    return Header(tuple(stanzas), mac, mac_input, raw)
