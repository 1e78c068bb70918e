"""Builds the chat platforms' adapters with what they need from around them: the gateway's database (24-hour
windows, deep links, Alexa's waiting messages and linking grants), its HTTP client, the customer directory and
the send quotas. Part of the composition root (bootstrap.py): channels/ declares what a platform needs
(channels/registry.py), this module hands it over, so channels/ never imports store/.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.channels.alexa import IdentityBinder
from sarraf.channels.kit import ChannelKit
from sarraf.channels.ratelimit import LocalRateLimits, RateLimits
from sarraf.channels.registry import PLATFORMS, ChannelSet, missing_settings, platform_named, platform_settings
from sarraf.channels.terminal import TerminalChannel
from sarraf.channels.webchat import Outbox, WebChatChannel
from sarraf.config import BankConfig
from sarraf.store.address_sealing import Addresses
from sarraf.store.alexa_grants import SqlAlexaGrants
from sarraf.store.channel_state import SqlAlexaPending, SqlDeepLinkStore, SqlThreadOwners, SqlWindowStore

log = logging.getLogger("sarraf.channels.registry")


def build_channels(outbox: Outbox, *, banks: Mapping[str, BankConfig] | None = None,
                   http: httpx.AsyncClient | None = None, env: Mapping[str, str] | None = None,
                   engine: AsyncEngine | None = None, identities: IdentityBinder | None = None,
                   limits: RateLimits | None = None, windows: SqlWindowStore | None = None,
                   addresses: Addresses | None = None, **_: Any) -> ChannelSet:
    result = ChannelSet({"webchat": WebChatChannel(outbox), "terminal": TerminalChannel()})
    if not banks or http is None or engine is None or identities is None or windows is None or addresses is None:
        for platform in PLATFORMS:
            result.disabled[platform.name] = "no banks, HTTP client, database or customer directory given"
        return result
    env = os.environ if env is None else env
    default_tenant = next(iter(banks))
    kit = ChannelKit(default_tenant, http, limits or LocalRateLimits(), windows=windows,
                     deep_links=SqlDeepLinkStore(engine), alexa_pending=SqlAlexaPending(engine, addresses),
                     alexa_grants=SqlAlexaGrants(engine), identities=identities,
                     messenger_threads=SqlThreadOwners(engine, addresses), disabled=result.disabled)
    for platform in PLATFORMS:
        accounts: dict[str, dict[str, str]] = {}
        reasons: dict[str, str] = {}
        for bank in banks.values():
            found = platform_settings(platform.name, bank, default=bank.id == default_tenant, env=env)
            missing = missing_settings(platform.name, found)
            if missing:
                reasons[bank.id] = f"missing {', '.join(missing)}"
            else:
                accounts[bank.id] = found
        if accounts:
            result.channels[platform.name] = platform.build(accounts, kit)
            # Other banks may still run this platform; the ones that cannot are named one by one.
            result.disabled.update({f"{platform.name}/{bank}": why for bank, why in reasons.items()})
        else:
            result.disabled[platform.name] = "; ".join(f"{bank}: {why}" for bank, why in reasons.items())
    for name, why in result.disabled.items():
        # INFO, not WARNING: an unconfigured channel is a normal deployment choice (shown by serve and /healthz).
        log.info("channel %s is disabled: %s", name, why)
    return result


def pick(platform: str, found: dict[str, str]) -> dict[str, str]:
    return platform_named(platform).settings.pick(found)
