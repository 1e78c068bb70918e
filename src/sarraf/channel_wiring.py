"""Builds the chat platforms' adapters with what they need from around them: the gateway's database (24-hour
windows, deep links, Alexa's waiting messages and linking grants), its HTTP client, the customer directory and
the send quotas. Part of the composition root (bootstrap.py): channels/ declares what a platform needs
(channels/registry.py), this module hands it over, so channels/ never imports store/.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.channels.alexa import AlexaAccount, AlexaChannel, IdentityBinder
from sarraf.channels.alexa_linking import AlexaAccountLinking, AlexaClient
from sarraf.channels.alexa_verify import AlexaRequestVerifier, http_fetcher
from sarraf.channels.messenger import MessengerAccount, MessengerChannel
from sarraf.channels.port import Channel
from sarraf.channels.ratelimit import LocalRateLimits, RateLimits
from sarraf.channels.registry import (
    ALEXA_LINKING,
    OPTIONAL,
    REQUIRED,
    TELEGRAM_SECRET,
    ChannelSet,
    missing_settings,
    platform_settings,
)
from sarraf.channels.telegram import DeepLinks, TelegramAccount, TelegramChannel
from sarraf.channels.terminal import TerminalChannel
from sarraf.channels.webchat import Outbox, WebChatChannel
from sarraf.channels.whatsapp import WhatsAppAccount, WhatsAppChannel
from sarraf.channels.window import ServiceWindows
from sarraf.config import BankConfig
from sarraf.store.alexa_grants import SqlAlexaGrants
from sarraf.store.channel_state import SqlAlexaPending, SqlDeepLinkStore, SqlWindowStore

log = logging.getLogger("sarraf.channels.registry")


def build_channels(outbox: Outbox, *, banks: Mapping[str, BankConfig] | None = None,
                   http: httpx.AsyncClient | None = None, env: Mapping[str, str] | None = None,
                   engine: AsyncEngine | None = None, identities: IdentityBinder | None = None,
                   limits: RateLimits | None = None, windows: SqlWindowStore | None = None,
                   **_: Any) -> ChannelSet:
    result = ChannelSet({"webchat": WebChatChannel(outbox), "terminal": TerminalChannel()})
    if not banks or http is None or engine is None or identities is None or windows is None:
        for platform in REQUIRED:
            result.disabled[platform] = "no banks, HTTP client, database or customer directory given"
        return result
    env = os.environ if env is None else env
    default_tenant = next(iter(banks))
    accounts: dict[str, dict[str, dict[str, str]]] = {p: {} for p in REQUIRED}
    reasons: dict[str, dict[str, str]] = {p: {} for p in REQUIRED}
    for bank in banks.values():
        for platform in REQUIRED:
            found = platform_settings(platform, bank, default=bank.id == default_tenant, env=env)
            missing = missing_settings(platform, found)
            if platform == "telegram" and "secret_token" in found and not TELEGRAM_SECRET.match(found["secret_token"]):
                missing.append("secret_token (1-256 of A-Z a-z 0-9 _ -)")
            if missing:
                reasons[platform][bank.id] = f"missing {', '.join(missing)}"
            else:
                accounts[platform][bank.id] = found
    limits = limits or LocalRateLimits()
    builders: dict[str, Callable[[dict[str, Any]], Channel]] = {
        "messenger": lambda a: MessengerChannel({t: MessengerAccount(t, **pick("messenger", s)) for t, s in a.items()},
                                                default_tenant, http, ServiceWindows(windows, "messenger"),
                                                limits=limits),
        "whatsapp": lambda a: WhatsAppChannel({t: WhatsAppAccount(t, **pick("whatsapp", s)) for t, s in a.items()},
                                              default_tenant, http, ServiceWindows(windows, "whatsapp"),
                                              limits=limits),
        "telegram": lambda a: TelegramChannel({t: TelegramAccount(t, **pick("telegram", s)) for t, s in a.items()},
                                              default_tenant, http, links=DeepLinks(SqlDeepLinkStore(engine)),
                                              limits=limits),
        "alexa": lambda a: _alexa(a, default_tenant, http, engine, identities, result),
    }
    for platform, build in builders.items():
        if accounts[platform]:
            result.channels[platform] = build(accounts[platform])
            # Other banks may still run this platform; the ones that cannot are named one by one.
            result.disabled.update({f"{platform}/{bank}": why for bank, why in reasons[platform].items()})
        else:
            result.disabled[platform] = "; ".join(f"{bank}: {why}" for bank, why in reasons[platform].items())
    for name, why in result.disabled.items():
        # INFO, not WARNING: an unconfigured channel is a normal deployment choice (shown by serve and /healthz).
        log.info("channel %s is disabled: %s", name, why)
    return result


def _alexa(found: dict[str, dict[str, str]], default_tenant: str, http: httpx.AsyncClient, engine: AsyncEngine,
           identities: IdentityBinder, result: ChannelSet) -> AlexaChannel:
    accounts = {t: AlexaAccount(t, **pick("alexa", s)) for t, s in found.items()}
    linking = AlexaAccountLinking([AlexaClient(a.tenant, a.client_id, a.client_secret, a.vendor_id)
                                   for a in accounts.values()], SqlAlexaGrants(engine))
    for tenant, settings in found.items():
        if tenant not in linking.tenants():
            missing = [key for key in ALEXA_LINKING if key not in settings] or ["a client_id of its own"]
            result.disabled[f"alexa account linking/{tenant}"] = f"missing {', '.join(missing)}"
    return AlexaChannel(accounts, default_tenant, AlexaRequestVerifier(http_fetcher(http)),
                        pending=SqlAlexaPending(engine), identities=identities, linking=linking)


def pick(platform: str, found: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in found.items() if k in REQUIRED[platform] + OPTIONAL[platform]}
