"""Which channels this gateway can run, from configuration: each platform's settings (REQUIRED, OPTIONAL), the
set that runs (ChannelSet) and shared send quotas. Building the adapters with their stores is the composition
root's job (sarraf/channel_wiring.py), so this package never imports the store.

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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sarraf.channels import webchat
from sarraf.channels.alexa import AlexaChannel
from sarraf.channels.login_return import LoginReturn, ReturnUriPolicy
from sarraf.channels.messenger import MessengerChannel
from sarraf.channels.port import Channel, PlatformChannel
from sarraf.channels.ratelimit import LocalRateLimits, RateLimits
from sarraf.channels.telegram import TelegramChannel
from sarraf.channels.whatsapp import WhatsAppChannel
from sarraf.config import BankConfig
from sarraf.domain.messages import Outbound

log = logging.getLogger(__name__)

# Every chat platform the gateway can run, in one list: the wiring (channel_wiring.py), the webhook routes
# (web/routes_channels.py) and the start-up checks are written over it. A new platform is its module (or folder)
# implementing channels/port.py's PlatformChannel, one line here, and its recipient in policy/vocabulary.py.
PLATFORMS: tuple[type[PlatformChannel[Any]], ...] = (MessengerChannel, WhatsAppChannel, TelegramChannel, AlexaChannel)
REQUIRED = {platform.name: platform.settings.required for platform in PLATFORMS}
OPTIONAL = {platform.name: platform.settings.optional for platform in PLATFORMS}


def platform_named(name: str) -> type[PlatformChannel[Any]]:
    return next(platform for platform in PLATFORMS if platform.name == name)


@dataclass
class ChannelSet:
    channels: dict[str, Channel] = field(default_factory=dict)
    disabled: dict[str, str] = field(default_factory=dict)  # channel name → why it is off

    def status(self) -> dict[str, Any]:
        return {**{name: "enabled" for name in self.channels},
                **{name: f"disabled: {why}" for name, why in self.disabled.items()}}

    # The delivery worker's Transport (alerts/ports.py): web chat is pulled, so its messages are handed over
    # inside the outbox's commit; every other platform is sent to.

    def pull(self, channel: str) -> bool:
        return channel == webchat.NAME

    def render_pull(self, channel: str, messages: list[Outbound]) -> list[dict[str, Any]]:
        return [webchat.render(m) for m in messages]

    async def send(self, channel: str, sender: str, messages: list[Outbound]) -> list[str]:
        """Send on an enabled channel (LookupError when it is not): what the delivery worker sends with."""
        found = self.channels.get(channel)
        if found is None:
            raise LookupError(f"channel {channel} is not enabled")
        return await found.deliver(sender, messages)

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


def missing_settings(platform: str, found: dict[str, str]) -> list[str]:
    """What keeps a bank's account on `platform` off: missing keys, then values the platform would refuse."""
    return platform_named(platform).settings.problems(found)


async def open_rate_limits(nats_url: str | None, *, bucket: str | None = None) -> RateLimits:
    """Send quotas in this process (no URL: one machine), or shared by every replica through NATS JetStream
    (`bucket`: its key-value bucket, ratelimit_nats.DEFAULT_BUCKET when None). The caller closes what it gets."""
    if not nats_url:
        return LocalRateLimits()
    # imported only here: the NATS client is ~0.04-0.08 s of every start-up that has no NATS to talk to
    from sarraf.channels.ratelimit_nats import DEFAULT_BUCKET, NatsRateLimits

    shared = NatsRateLimits(nats_url, bucket=bucket or DEFAULT_BUCKET)
    await shared.start()
    return shared
