"""`sarraf test stories`: run the conversation stories (tests/stories) and print a table per language.

The stories are pytest tests (one per story and channel kind) against a real gateway on 127.0.0.1; this
command runs them through pytest in-process, collects each outcome, and summarises: per language the stories,
how many passed on every channel, how many failed on at least one, the pass rate, and the pass rate per
channel kind. The last line is `RESULT …`. Needs a source checkout with the development dependencies.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from sarraf.i18n.languages import CODES

app = typer.Typer(help="Run the repository's own test suites from the command line.", no_args_is_help=True)

KINDS = ("full", "masked", "link_only")


@dataclass
class Outcomes:
    """Per story (lang, id): channel kind -> passed?"""

    runs: dict[tuple[str, str], dict[str, bool]] = field(default_factory=lambda: defaultdict(dict))
    errors: list[str] = field(default_factory=list)

    def pytest_runtest_logreport(self, report: Any) -> None:
        props = dict(report.user_properties)
        if "story" not in props:
            if report.failed:
                self.errors.append(report.nodeid)
            return
        key = (str(props["lang"]), str(props["story"]))
        kind = str(props["kind"])
        if report.when == "call" or (report.failed and report.when == "setup"):
            self.runs[key][kind] = report.passed and self.runs[key].get(kind, True)
        elif report.failed:  # teardown failing marks the run failed too
            self.runs[key][kind] = False


def _checkout(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / "tests" / "stories" / "story.py").is_file():
            return folder
    return None


@app.command()
def stories(
    lang: Annotated[str | None, typer.Option("--lang", help="Only this language: en, pl or ar.")] = None,
    include_awaiting: Annotated[bool, typer.Option(
        "--include-awaiting", help="Also run tests/stories/awaiting/ (behaviour being fixed elsewhere).")] = False,
    awaiting_only: Annotated[bool, typer.Option("--awaiting-only", help="Run only tests/stories/awaiting/.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show pytest's own report too.")] = False,
) -> None:
    """Run the conversation stories on a full, a masked and a link-only channel; print pass rates per language."""
    if lang is not None and lang not in CODES:
        raise typer.BadParameter("one of en, pl, ar", param_hint="--lang")
    root = _checkout(Path.cwd()) or _checkout(Path(__file__).resolve().parent)
    if root is None:
        typer.echo("tests/stories not found: run this from a source checkout of Sarraf.", err=True)
        raise typer.Exit(2)
    try:
        import pytest
    except ImportError:
        typer.echo("pytest is not installed: install the development dependencies (requirements-dev.lock).", err=True)
        raise typer.Exit(2) from None
    os.environ["SARRAF_STORIES_AWAITING"] = "only" if awaiting_only else "1" if include_awaiting else ""
    os.environ["SARRAF_STORIES_LANG"] = lang or ""
    outcomes = Outcomes()
    args = [str(root / "tests" / "stories"), "-p", "no:cacheprovider", "--rootdir", str(root),
            "-q", "--no-header", "--tb=short" if verbose else "--tb=no"]
    cwd = Path.cwd()
    os.chdir(root)
    try:
        code = pytest.main(args, plugins=[outcomes])
    finally:
        os.chdir(cwd)
    _print(outcomes)
    failed = any(not all(k.values()) for k in outcomes.runs.values())
    if outcomes.errors or code not in (0, 1) or failed:
        for nodeid in outcomes.errors:
            typer.echo(f"error outside a story: {nodeid}", err=True)
        raise typer.Exit(1)


def _print(outcomes: Outcomes) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Conversation stories")
    for column in ("language", "stories", "passed", "failed", "pass rate", *(f"{k} passed" for k in KINDS)):
        table.add_column(column, justify="left" if column == "language" else "right")
    totals: dict[str, list[int]] = {}
    by_lang: dict[str, list[dict[str, bool]]] = defaultdict(list)
    for (code, _), kinds in sorted(outcomes.runs.items()):
        by_lang[code].append(kinds)
    for code in sorted(by_lang, key=("en", "pl", "ar").index):
        runs = by_lang[code]
        passed = sum(all(k.values()) and len(k) == len(KINDS) for k in runs)
        per_kind = [f"{sum(k.get(kind, False) for k in runs)}/{sum(kind in k for k in runs)}" for kind in KINDS]
        table.add_row(code, str(len(runs)), str(passed), str(len(runs) - passed), _rate(passed, len(runs)), *per_kind)
        totals[code] = [len(runs), passed]
    stories_n = sum(t[0] for t in totals.values())
    passed_n = sum(t[1] for t in totals.values())
    table.add_row("all", str(stories_n), str(passed_n), str(stories_n - passed_n), _rate(passed_n, stories_n),
                  *(f"{sum(k.get(kind, False) for k in outcomes.runs.values())}/"
                    f"{sum(kind in k for k in outcomes.runs.values())}" for kind in KINDS))
    Console(width=max(Console().width, 110)).print(table)
    for (_, story), kinds in sorted(outcomes.runs.items()):
        bad = [kind for kind, ok in kinds.items() if not ok]
        if bad:
            typer.echo(f"FAILED {story} on {', '.join(bad)}")
    per_lang = " ".join(f"{code}={t[1]}/{t[0]}" for code, t in totals.items())
    typer.echo(f"RESULT stories={stories_n} passed={passed_n} failed={stories_n - passed_n} "
               f"pass_rate={_rate(passed_n, stories_n)} {per_lang}".rstrip())


def _rate(passed: int, total: int) -> str:
    return f"{100 * passed / total:.1f}%" if total else "n/a"
