from tests.alerts.conftest import gateway, http  # noqa: F401  (the alerts tests' gateway, sandbox mounted)
