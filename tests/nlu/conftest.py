from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sarraf.conversation.nlu import Nlu, load_default

# a fixed "now" so relative periods are deterministic: Wednesday 14 May 2025
NOW = datetime(2025, 5, 14, 10, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def nlu() -> Nlu:
    return load_default()
