"""The channels' gateway (four platforms configured, Alexa verified against a test CA) serves these tests too."""

from tests.channels.test_gateway_channels import http, world  # noqa: F401
