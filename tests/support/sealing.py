"""The data keys' master key for tests that build the alert outbox or message log without a whole gateway.

One folder per test session, named in the environment so that worker subprocesses started by a test
(tests/alerts/worker_proc.py) open what the test process sealed, as replicas sharing SARRAF_HOME do."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.policy.crypto import LocalFileKeyProvider
from sarraf.store.address_sealing import Addresses
from sarraf.store.identity_sealing import IdentityCodec
from sarraf.store.sealing import JsonSealer, is_sealed

KEYS_DIR = Path(os.environ.setdefault("SARRAF_TEST_KEYS_DIR", tempfile.mkdtemp(prefix="sarraf-test-keys-")))


def sealer_for_tests() -> JsonSealer:
    return JsonSealer(LocalFileKeyProvider(KEYS_DIR))


def identities_for_tests() -> IdentityCodec:
    """Channel identities' keyed hashes and sealing with the tests' keys (store/identity_sealing.py)."""
    return IdentityCodec(LocalFileKeyProvider(KEYS_DIR))


def addresses_for_tests() -> Addresses:
    """Platform addresses as the stores keep them, with the tests' keys (store/address_sealing.py)."""
    return Addresses(identities_for_tests())


async def opened(engine: AsyncEngine, field: str, stored: list[Any]) -> list[Any]:
    """Stored JSON values as their owners would read them (asserting each was sealed)."""
    assert all(is_sealed(value) for value in stored), "a value is stored in clear"
    async with engine.connect() as conn:
        keys = await sealer_for_tests().keys(conn, {value["owner"] for value in stored})
    return [keys.open(field, value) for value in stored]
