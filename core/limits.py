"""Limits checked on untrusted input before it is parsed: nesting depth and size.

Parsers of nested formats (JSON, YAML) recurse once per level; a body of 100,000 ``[``
exhausts the stack (Python's ``RecursionError``, or a crash of a C parser). The depth is
therefore measured first, without recursion, and deep input is refused with a readable
message.
"""

from __future__ import annotations

import re

# Strings are taken out first, so brackets inside them do not count.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth_exceeds(data: bytes, limit: int) -> bool:
    """Does the JSON text ``data`` nest arrays and objects deeper than ``limit``?

    A linear scan (no parsing, no recursion); it stops at the first level past the limit.
    Malformed text is measured as far as it goes; the parser reports what is wrong with it.
    """
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', data)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False
