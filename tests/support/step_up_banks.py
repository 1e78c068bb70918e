"""A banks file like the shipped one, with step-up turned on for every bank (policy/step_up.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sarraf.config import DEFAULT_BANKS_FILE


def banks_with_step_up(folder: Path, step_up: dict[str, Any] | None = None) -> Path:
    """Write it to `folder`; by default unfreezing and moving alerts wait for a login, fresh for 5 minutes."""
    raw = yaml.safe_load(DEFAULT_BANKS_FILE.read_text(encoding="utf-8"))
    for bank in raw["banks"]:
        bank["agreement"] = str(DEFAULT_BANKS_FILE.parent / bank["agreement"])
        bank["service"]["answers"] = str(DEFAULT_BANKS_FILE.parent / bank["service"]["answers"])
        bank["step_up"] = step_up or {"actions": ["card_unfreeze", "alert_destination"], "fresh_for_seconds": 300,
                                      "hold_seconds": 600}
    path = folder / "banks.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path
