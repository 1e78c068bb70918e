"""Every command's help: each option described, no flag shown with a type, and `--version`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import sarraf
from sarraf.cli import app

# Typer 0.29 carries its own copy of Click (typer._click): the tree is walked by Click's attributes.
ROOT = typer.main.get_command(app)
Command = Any


def _commands(command: Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Command]]:
    yield path, command
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(ROOT))


def test_the_tree_holds_every_area() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"serve", "say", "shell", "policy check", "audit verify", "audit show", "sandbox simulate",
            "keys rotate", "alerts worker", "nlu train"} <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "sarraf" for p, _ in COMMANDS])
def test_every_option_has_help_and_no_flag_shows_a_type(path: tuple[str, ...], command: Command) -> None:
    ctx = command.context_class(command, info_name=" ".join(("sarraf", *path)))
    for param in command.get_params(ctx):
        if param.param_type_name != "option" or param.hidden:
            continue
        assert (param.help or "").strip(), f"sarraf {' '.join(path)} {param.opts[0]} has no description"
        if param.is_flag:
            record = param.get_help_record(ctx)
            assert record is not None
            assert "<" not in record[0], f"sarraf {' '.join(path)}: flag shown as {record[0]!r}"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "sarraf" for p, _ in COMMANDS])
def test_rendered_help_never_calls_a_flag_bool(path: tuple[str, ...], command: Command) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "Show this message and exit." in result.output
    assert all(len(line) <= 80 for line in result.output.splitlines()), result.output


def test_version() -> None:
    result = subprocess.run([sys.executable, "-m", "sarraf", "--version"], capture_output=True, text=True,
                            env={**os.environ}, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"sarraf {sarraf.__version__}"


def test_help_and_version_load_no_web_framework_database_driver_or_model() -> None:
    """The reason `sarraf --help` is fast: sub-commands import what they need inside themselves."""
    probe = ("import sys; from sarraf.cli import app; "
             "heavy = [m for m in ('fastapi', 'sqlalchemy', 'numpy', 'cedarpy', 'uvicorn', 'rich', 'alembic') "
             "if m in sys.modules]; print(','.join(heavy))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == ""
