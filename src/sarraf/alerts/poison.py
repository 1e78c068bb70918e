"""What counts as a poisoned record: an error that comes from the record's own data, so trying again can never
succeed. Such a record goes to the dead letters with its reason and the round goes on for everyone else.

Errors of the infrastructure (the database, the network) are NOT poison: they fail the whole round, which is
tried again later with nothing lost, as every row stays where it was.
"""

from __future__ import annotations

# decimal.InvalidOperation is an ArithmeticError; ZoneInfoNotFoundError a KeyError (LookupError); a bad enum
# value or date a ValueError.
POISON: tuple[type[Exception], ...] = (ArithmeticError, ValueError, TypeError, LookupError, AttributeError)
REASON_LIMIT = 500


def poison_reason(exc: BaseException) -> str:
    """A short reason for the dead-letter table: the error's type and message, bounded."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:REASON_LIMIT]
