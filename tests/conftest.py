"""Settings for the whole suite."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

# Property tests check what the code answers, never how fast: hypothesis's default 200 ms deadline per example
# and its too-slow health check fail them on a busy machine (2 cores, several test runs at once, CI).
settings.register_profile("sarraf", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("sarraf")
