"""Import every table module so the shared metadata (and Alembic) knows the whole schema."""

from sarraf.store.tables import (  # noqa: F401
    alerts,
    audit,
    channels,
    console,
    conversation,
    core,
    keys,
    offers,
    payments,
)
