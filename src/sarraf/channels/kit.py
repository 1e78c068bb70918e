"""What the composition root hands every platform adapter when it builds them (channel_wiring.py): the shared
HTTP client and send quotas, and the stores the platforms keep state in, as the Protocols the adapters declare.
channels/ never imports store/; the root fills this in with the store's implementations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from sarraf.channels.ratelimit import RateLimits
from sarraf.channels.window import WindowStore

if TYPE_CHECKING:  # the adapters import this module: their store ports are only named here
    from sarraf.channels.alexa import IdentityBinder, PendingStore
    from sarraf.channels.alexa.linking import GrantStore
    from sarraf.channels.messenger_handover import ThreadOwnerStore
    from sarraf.channels.telegram import DeepLinkStore


@dataclass(slots=True)
class ChannelKit:
    default_tenant: str
    http: httpx.AsyncClient
    limits: RateLimits
    windows: WindowStore  # 24-hour reply windows (Messenger, WhatsApp)
    deep_links: DeepLinkStore  # Telegram's one-time /start links
    alexa_pending: PendingStore  # messages waiting for the customer's next Alexa request
    alexa_grants: GrantStore  # Alexa account linking's codes and tokens
    identities: IdentityBinder  # the customer directory (Alexa binds its users to customers)
    messenger_threads: ThreadOwnerStore  # Messenger conversations the Page Inbox holds (Handover Protocol)
    disabled: dict[str, str] = field(default_factory=dict)  # what a builder leaves off, and why (shown by serve)
