"""Debian's Chromium for the browser tests: where it is, how it is started, where screenshots go.

Never `playwright install`: the tests drive the distribution's browser (scripts/test installs it on Debian)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import ElementHandle

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


def bullets_before_digits(element: ElementHandle) -> bool:
    """Where the browser drew the mask's first bullet and the first digit after it: left of it, as in "••7519"
    (without the isolate an RTL line draws "7519••")."""
    left = element.evaluate("""el => {
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let t = walker.nextNode(); t; t = walker.nextNode()) {
            const i = t.data.indexOf("••");
            if (i < 0) continue;
            const j = t.data.slice(i).search(/[0-9]/) + i;
            const at = k => { const r = document.createRange(); r.setStart(t, k); r.setEnd(t, k + 1);
                              return r.getBoundingClientRect().left; };
            return [at(i), at(j)];
        }
        return null;
    }""")
    assert left is not None
    return bool(left[0] < left[1])
