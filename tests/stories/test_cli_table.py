"""`sarraf test stories`' summary: a story passes only when it passed on every channel kind."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from sarraf.cli.stories import Outcomes, _print


@dataclass
class Report:
    passed: bool
    user_properties: list[tuple[str, object]]
    when: str = "call"
    nodeid: str = "tests/stories/test_stories.py::test_story"
    failed: bool = field(init=False)

    def __post_init__(self) -> None:
        self.failed = not self.passed


def _report(outcomes: Outcomes, lang: str, story: str, kind: str, passed: bool) -> None:
    outcomes.pytest_runtest_logreport(Report(passed, [("story", story), ("lang", lang), ("kind", kind)]))


def test_table_counts_a_story_once_and_fails_it_on_any_channel(capsys: pytest.CaptureFixture[str]) -> None:
    outcomes = Outcomes()
    for kind in ("full", "masked", "link_only"):
        _report(outcomes, "en", "en/cards/freeze", kind, True)
        _report(outcomes, "pl", "pl/cards/zamroź", kind, kind != "link_only")
        _report(outcomes, "ar", "ar/cards/جمد", kind, True)
    _print(outcomes)
    out = capsys.readouterr().out
    assert "FAILED pl/cards/zamroź on link_only" in out
    assert out.rstrip().splitlines()[-1] == (
        "RESULT stories=3 passed=2 failed=1 pass_rate=66.7% en=1/1 pl=0/1 ar=1/1")


def test_a_failure_outside_a_story_is_kept() -> None:
    outcomes = Outcomes()
    outcomes.pytest_runtest_logreport(Report(False, [], when="setup", nodeid="tests/stories/x.py::broken"))
    assert outcomes.errors == ["tests/stories/x.py::broken"]
