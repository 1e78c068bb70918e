"""Settings for the whole suite, and which tests are `slow`."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

# Property tests check what the code answers, never how fast: hypothesis's default 200 ms deadline per example
# and its too-slow health check fail them on a busy machine (2 cores, several test runs at once, CI).
settings.register_profile("sarraf", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("sarraf")

# Fixtures that stand up real servers on 127.0.0.1 or processes: a gateway, the sandbox bank, a story world,
# a console, and every module-scoped world (they are all built in tmp_path_factory folders). A test that uses
# one is `slow` whatever its own marks say, so `-m "not slow and not browser and not postgres"` is the quick
# set a developer runs after each change (about half the tests, in under a minute), and a new HTTP test lands
# in the right set without anyone remembering to mark it.
REAL_SERVERS = frozenset({"tmp_path_factory", "story_world", "gateway", "bank", "state_path", "api", "console",
                          "http"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if REAL_SERVERS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
