"""`python -m sarraf` is the `sarraf` command."""

from sarraf.cli import app

app(prog_name="sarraf")
