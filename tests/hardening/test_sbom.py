"""#17, the dependency audit step: scripts/sbom writes a CycloneDX SBOM of each lock (cyclonedx-py, pinned) naming
every pinned package at its pinned version, so the lock can be audited where a vulnerability database is."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _normal(name: str, version: str) -> str:
    return f"{re.sub(r'[-_.]+', '-', name).lower()}@{version}"


@pytest.mark.slow
def test_the_sbom_names_every_pin_of_both_locks(tmp_path: Path) -> None:
    done = subprocess.run([str(ROOT / "scripts/sbom"), str(tmp_path)], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    for lock in ("requirements", "requirements-dev"):
        bom = json.loads((tmp_path / f"{lock}.cdx.json").read_text())
        assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
        listed = {_normal(*c["purl"].split("?")[0].removeprefix("pkg:pypi/").split("@")) for c in bom["components"]}
        pins = re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", (ROOT / f"{lock}.lock").read_text(), re.MULTILINE)
        assert len(pins) > 50
        missing = [f"{n}=={v}" for n, v in pins if _normal(n, v) not in listed]
        assert missing == [], missing
