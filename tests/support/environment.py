"""Process environment for the length of a block, for module-scoped worlds (pytest's monkeypatch is per test)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set `values` in os.environ; afterwards each variable is as it was (unset again if it was unset).
    The channels read their SARRAF_* settings when an app starts and while it runs, so a gateway served in
    this process needs them set for as long as it serves."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
