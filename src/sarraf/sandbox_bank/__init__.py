"""The built-in Open Banking v4.0 sandbox bank: a separate ASGI app that imports nothing of the gateway."""

from sarraf.sandbox_bank.app import create_app

__all__ = ["create_app"]
