"""The SQLite bulk writers store values exactly as SQLAlchemy's column types would (they bypass them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from sarraf.store.sqlite_bulk import stored_datetime
from sarraf.store.tables.alerts import alert_outbox

_BIND = alert_outbox.c.available_at.type.dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_datetimes_are_stored_as_sqlalchemy_stores_them(value: datetime) -> None:
    assert _BIND is not None
    assert stored_datetime(value) == _BIND(value)


def test_an_aware_datetime_in_another_zone_is_stored_as_its_utc_time() -> None:
    cet = datetime(2026, 11, 25, 13, 0, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert stored_datetime(cet) == "2026-11-25 12:00:00.000005"
    assert stored_datetime(None) is None
