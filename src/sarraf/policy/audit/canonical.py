"""Canonical JSON for audit leaves, as RFC 8785 (JCS) serialises the values leaves may hold.

Leaves hold only strings, integers, booleans, null, lists and string-keyed objects. For exactly those,
Python's encoder with sorted keys, no whitespace and ensure_ascii=False produces the JCS bytes (JCS sorts
keys by UTF-16 code units; our keys are ASCII, where that order is the same). Floats, whose JCS form
differs from Python's repr, are refused rather than serialised ambiguously.
"""

from __future__ import annotations

import json
from typing import Any

_MAX_EXACT = 2**53 - 1  # I-JSON's exact integer range
# The encoder built once: json.dumps with non-default options builds a new one per call. No circular check:
# _fits has walked the whole value first (a cycle would have stopped it with RecursionError).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False)


def _fits(value: Any) -> bool:
    """Whether `value` can go into a leaf, without building a path per node (every decision passes here).
    Exact types first, loops rather than generators: this runs for every audited decision."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return bool(-_MAX_EXACT <= value <= _MAX_EXACT)
    if kind is dict:
        for key, item in value.items():  # noqa: SIM110 - a loop: all() over a generator costs twice as much here
            if type(key) is not str or not key.isascii() or not _fits(item):
                return False
        return True
    if kind is list or kind is tuple:
        for item in value:  # noqa: SIM110 - as above
            if not _fits(item):
                return False
        return True
    return _fits_subclass(value)


def _fits_subclass(value: Any) -> bool:
    """Subclasses of the JSON types (a str enum, an int enum) encode as their base type."""
    if isinstance(value, str | bool):
        return True
    if isinstance(value, int):
        return abs(value) <= _MAX_EXACT
    if isinstance(value, list | tuple):
        return all(_fits(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() and _fits(v) for k, v in value.items())
    return False


def _check(value: Any, path: str) -> None:
    """Raises with the path of the first value that cannot go into a leaf (run only once _fits said no)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if abs(value) > _MAX_EXACT:
            raise ValueError(f"{path}: integer {value} is outside the exact JSON range")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise ValueError(f"{path}: keys must be ASCII strings, got {key!r}")
            _check(item, f"{path}.{key}")
        return
    raise ValueError(f"{path}: {type(value).__name__} cannot go into an audit leaf")


def canonical_json(value: dict[str, Any]) -> bytes:
    if not _fits(value):
        _check(value, "$")
    return _ENCODER.encode(value).encode("utf-8")
