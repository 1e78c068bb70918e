"""Everything the bot says, in Arabic, Polish and English, formatted with CLDR rules (Babel)."""

from sarraf.i18n.replies.catalog import LANGUAGES, Catalog, catalog
from sarraf.i18n.replies.formatting import (
    format_date,
    format_money,
    format_number,
    format_period,
    format_zone,
)

__all__ = [
    "LANGUAGES", "Catalog", "catalog", "format_date", "format_money", "format_number", "format_period", "format_zone",
]
