"""The `sarraf` command."""

from sarraf.cli.main import app

__all__ = ["app"]
