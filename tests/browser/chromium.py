"""Debian's Chromium for the browser tests: where it is, how it is started, where screenshots go.

Never `playwright install`: the tests drive the distribution's browser (scripts/test installs it on Debian)."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# screenshots the tests take, kept with the test run's output so a person can look at them
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
