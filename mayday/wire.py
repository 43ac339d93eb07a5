"""Strict JSON at the edge: what the core cannot store is refused before it reaches the core.

``json.loads`` accepts things no backend can keep and no client can read back: NaN and Infinity,
numbers thousands of digits long, strings holding a lone surrogate ("\\ud800" has no UTF-8 form),
and nesting deep enough to exhaust the parser's recursion. Every frame, body and definition goes
through ``loads`` (or ``check`` for what YAML built), which refuses each of these with a clear
message; the limits are listed in docs/protocol.md.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32  # objects and arrays inside one another; a command needs 4, a definition 6
MAX_INT = 2**63 - 1  # what every store and a signed 64-bit reader can hold
MAX_NUMBER_CHARS = 40  # digits of one number literal, sign and exponent included
OFFSET = re.compile(r"[0-9]{1,19}")  # ASCII digits only: "٣" is a digit to str.isdigit


class WireError(ValueError):
    """Input that is not acceptable JSON for Mayday; ``code`` is the documented error code."""

    def __init__(self, message: str, code: str = "bad_json") -> None:
        super().__init__(message)
        self.code = code


class _Refused:
    """What a number hook returns instead of raising, so that ``check`` can say where it was."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why


def _constant(name: str) -> Any:
    return _Refused(f"{name} is not a number JSON allows")


def _int(text: str) -> Any:
    if len(text) > MAX_NUMBER_CHARS:
        return _Refused(f"a number is at most {MAX_NUMBER_CHARS} characters long")
    value = int(text)
    if abs(value) > MAX_INT:
        return _Refused(f"integers are at most {MAX_INT} in size")
    return value


def _float(text: str) -> Any:
    if len(text) > MAX_NUMBER_CHARS:
        return _Refused(f"a number is at most {MAX_NUMBER_CHARS} characters long")
    value = float(text)
    if not math.isfinite(value):
        return _Refused(f"{text} is out of range")
    return value


def loads(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text, refusing (WireError) what ``check`` refuses and malformed text."""
    try:
        value = json.loads(text, parse_constant=_constant, parse_int=_int, parse_float=_float)
    except RecursionError:
        raise WireError(f"JSON nested deeper than {max_depth} levels") from None
    except json.JSONDecodeError as e:
        raise WireError(f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except UnicodeDecodeError:
        raise WireError("not UTF-8 text") from None
    check(value, max_depth)
    return value


def check(value: Any, max_depth: int = MAX_DEPTH) -> None:
    """Refuse nesting beyond ``max_depth``, text that is not valid Unicode, non-finite or
    oversized numbers, anywhere in a decoded value (keys included), naming where (``a.b[2]``).
    Iterative: no recursion, whatever the depth."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        item, depth, path = stack.pop()
        why = None
        if isinstance(item, str):
            why = _bad_text(item)
        elif isinstance(item, _Refused):
            why = item.why
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > MAX_INT:
                why = f"integers are at most {MAX_INT} in size"
        elif isinstance(item, float):
            if not math.isfinite(item):
                why = "numbers must be finite"
        elif isinstance(item, dict | list):
            if depth > max_depth:
                why = f"nested deeper than {max_depth} levels"
            elif isinstance(item, dict):
                for key, child in item.items():
                    where = f"{path}.{key}" if path else str(key)
                    if isinstance(key, str) and _bad_text(key):
                        raise WireError(f"{path or 'a key'}: {_bad_text(key)}")
                    stack.append((child, depth + 1, where))
            else:
                stack.extend((child, depth + 1, f"{path}[{i}]") for i, child in enumerate(item))
        if why is not None:
            raise WireError(f"{path}: {why}" if path else why)


def _bad_text(s: str) -> str | None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return "text holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text"
    return None


def offset(raw: Any, name: str = "after") -> int:
    """A log offset from a query string or a frame: 0 .. 2**63-1, ASCII digits if text."""
    if isinstance(raw, str):
        if not OFFSET.fullmatch(raw):
            raise WireError(f"{name} must be a non-negative integer written in ASCII digits", "bad_request")
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= MAX_INT:
        raise WireError(f"{name} must be an integer offset from 0 to {MAX_INT}", "bad_request")
    return raw
