"""Options several commands share, declared once so their help reads the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="SARRAF_HOME", help="Gateway data folder (default: $SARRAF_HOME or ~/.sarraf)."),
]
