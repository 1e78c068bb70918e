"""Which channels this gateway runs, built from configuration. Adding a channel touches only this file
and its own module; the conversation never changes.

The default bank's platform accounts come from environment variables (SARRAF_MESSENGER_APP_SECRET,
SARRAF_WHATSAPP_ACCESS_TOKEN, SARRAF_TELEGRAM_BOT_TOKEN, SARRAF_ALEXA_SKILL_ID, ...), every bank's from the
`channels:` section of its entry in the banks file (values may be ${ENV_VAR} references). A platform account
without all its secrets is left out and the reason is reported: a channel never runs half-configured.
Alexa account linking through our OAuth server needs SARRAF_ALEXA_CLIENT_ID and SARRAF_ALEXA_CLIENT_SECRET
(`client_id`, `client_secret` under `channels.alexa` for other banks); without both it is off for that bank.

Platform state that must outlive the process (24-hour windows, deep links, Alexa's waiting messages and
linking grants) is kept in the gateway's database, so the platforms need its engine. Their send quotas are
counted in this process, or, with SARRAF_NATS_URL set, in NATS JetStream shared by every replica
(`open_rate_limits`).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.channels.alexa import AlexaAccount, AlexaChannel, IdentityBinder
from sarraf.channels.alexa_linking import AlexaAccountLinking, AlexaClient
from sarraf.channels.alexa_verify import AlexaRequestVerifier, http_fetcher
from sarraf.channels.login_return import LoginReturn, ReturnUriPolicy
from sarraf.channels.messenger import MessengerAccount, MessengerChannel
from sarraf.channels.port import Channel
from sarraf.channels.ratelimit import LocalRateLimits, RateLimits
from sarraf.channels.ratelimit_nats import DEFAULT_BUCKET, NatsRateLimits
from sarraf.channels.telegram import DeepLinks, TelegramAccount, TelegramChannel
from sarraf.channels.terminal import TerminalChannel
from sarraf.channels.webchat import Outbox, WebChatChannel
from sarraf.channels.whatsapp import WhatsAppAccount, WhatsAppChannel
from sarraf.channels.window import ServiceWindows
from sarraf.config import BankConfig
from sarraf.store.alexa_grants import SqlAlexaGrants
from sarraf.store.channel_state import SqlAlexaPending, SqlDeepLinkStore, SqlWindowStore

log = logging.getLogger(__name__)

REQUIRED = {
    "messenger": ("app_secret", "verify_token", "page_token"),
    "whatsapp": ("app_secret", "verify_token", "access_token", "phone_number_id"),
    "telegram": ("bot_token", "secret_token"),
    "alexa": ("skill_id",),
}
OPTIONAL = {
    "messenger": ("api_url", "page_id", "utility_template", "choice_template"),
    "whatsapp": ("api_url", "template", "choice_template"),
    "telegram": ("api_url", "bot_username"),
    "alexa": ("client_id", "client_secret", "vendor_id"),
}
ALEXA_LINKING = ("client_id", "client_secret")
TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts as secret_token


@dataclass
class ChannelSet:
    channels: dict[str, Channel] = field(default_factory=dict)
    disabled: dict[str, str] = field(default_factory=dict)  # channel name → why it is off

    def status(self) -> dict[str, Any]:
        return {**{name: "enabled" for name in self.channels},
                **{name: f"disabled: {why}" for name, why in self.disabled.items()}}

    def login_return(self, channel: str) -> LoginReturn | None:
        """The channel's say over the browser after a bank login, if it has one."""
        found = self.channels.get(channel)
        return found if isinstance(found, LoginReturn) else None

    def platform_return(self, redirect_uri: str | None) -> str | None:
        """`redirect_uri` when a running platform's account linking could have sent it, else None."""
        if not redirect_uri:
            return None
        for channel in self.channels.values():
            if isinstance(channel, ReturnUriPolicy) and channel.accepts_return_uri(redirect_uri):
                return redirect_uri
        return None


def platform_settings(platform: str, bank: BankConfig, *, default: bool,
                      env: Mapping[str, str]) -> dict[str, str]:
    """A bank's settings for one platform: its banks-file entry, overridden by SARRAF_<PLATFORM>_* for the
    default bank. Unresolved ${VAR} references count as missing."""
    found = {k: os.path.expandvars(v) for k, v in bank.channels.get(platform, {}).items()}
    if default:
        prefix = f"SARRAF_{platform.upper()}_"
        found.update({k[len(prefix):].lower(): v for k, v in env.items() if k.startswith(prefix)})
    return {k: v.strip() for k, v in found.items() if v and v.strip() and "$" not in v}


def _missing(platform: str, found: dict[str, str]) -> list[str]:
    return [key for key in REQUIRED[platform] if key not in found]


def build_channels(outbox: Outbox, *, banks: Mapping[str, BankConfig] | None = None,
                   http: httpx.AsyncClient | None = None, env: Mapping[str, str] | None = None,
                   engine: AsyncEngine | None = None, identities: IdentityBinder | None = None,
                   limits: RateLimits | None = None, **_: Any) -> ChannelSet:
    result = ChannelSet({"webchat": WebChatChannel(outbox), "terminal": TerminalChannel()})
    if not banks or http is None or engine is None or identities is None:
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
            missing = _missing(platform, found)
            if platform == "telegram" and "secret_token" in found and not TELEGRAM_SECRET.match(found["secret_token"]):
                missing.append("secret_token (1-256 of A-Z a-z 0-9 _ -)")
            if missing:
                reasons[platform][bank.id] = f"missing {', '.join(missing)}"
            else:
                accounts[platform][bank.id] = found
    windows = SqlWindowStore(engine)
    limits = limits or LocalRateLimits()
    builders: dict[str, Callable[[dict[str, Any]], Channel]] = {
        "messenger": lambda a: MessengerChannel({t: MessengerAccount(t, **_pick("messenger", s)) for t, s in a.items()},
                                                default_tenant, http, ServiceWindows(windows, "messenger"),
                                                limits=limits),
        "whatsapp": lambda a: WhatsAppChannel({t: WhatsAppAccount(t, **_pick("whatsapp", s)) for t, s in a.items()},
                                              default_tenant, http, ServiceWindows(windows, "whatsapp"),
                                              limits=limits),
        "telegram": lambda a: TelegramChannel({t: TelegramAccount(t, **_pick("telegram", s)) for t, s in a.items()},
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


async def open_rate_limits(nats_url: str | None, *, bucket: str = DEFAULT_BUCKET) -> RateLimits:
    """Send quotas in this process (no URL: one machine), or shared by every replica through NATS JetStream.
    The caller closes what it gets."""
    if not nats_url:
        return LocalRateLimits()
    shared = NatsRateLimits(nats_url, bucket=bucket)
    await shared.start()
    return shared


def _alexa(found: dict[str, dict[str, str]], default_tenant: str, http: httpx.AsyncClient, engine: AsyncEngine,
           identities: IdentityBinder, result: ChannelSet) -> AlexaChannel:
    accounts = {t: AlexaAccount(t, **_pick("alexa", s)) for t, s in found.items()}
    linking = AlexaAccountLinking([AlexaClient(a.tenant, a.client_id, a.client_secret, a.vendor_id)
                                   for a in accounts.values()], SqlAlexaGrants(engine))
    for tenant, settings in found.items():
        if tenant not in linking.tenants():
            missing = [key for key in ALEXA_LINKING if key not in settings] or ["a client_id of its own"]
            result.disabled[f"alexa account linking/{tenant}"] = f"missing {', '.join(missing)}"
    return AlexaChannel(accounts, default_tenant, AlexaRequestVerifier(http_fetcher(http)),
                        pending=SqlAlexaPending(engine), identities=identities, linking=linking)


def _pick(platform: str, found: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in found.items() if k in REQUIRED[platform] + OPTIONAL[platform]}
