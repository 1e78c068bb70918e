"""One channel object serves every bank; the customer address it hands the conversation says which.

A customer of the default bank is addressed by the platform's own id (PSID, WhatsApp number, chat id, Alexa
user id); a customer of another bank by `<bank>:<platform id>`. Platform ids hold no colon, and the same
Telegram user talking to two banks' bots stays two different customers.
"""

from __future__ import annotations

SEPARATOR = ":"


def address(tenant: str, default_tenant: str, platform_id: str) -> str:
    return platform_id if tenant == default_tenant else f"{tenant}{SEPARATOR}{platform_id}"


def split_address(sender: str, default_tenant: str) -> tuple[str, str]:
    tenant, found, platform_id = sender.partition(SEPARATOR)
    return (tenant, platform_id) if found else (default_tenant, sender)
