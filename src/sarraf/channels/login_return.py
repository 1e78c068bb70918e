"""Where the customer's browser goes once the bank login is over: each channel's own say.

/link/callback finishes the bank login for every channel alike; what happens to the browser afterwards is
platform business (the web chat page wants its customer back, Messenger's account linking expects its
redirect_uri with an authorization_code, Alexa's expects our OAuth code). A channel that cares implements
`LoginReturn`; the web layer finds it through the channel registry and never names a channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sarraf.domain.consent import LinkSession


@dataclass(frozen=True, slots=True)
class BrowserReturn:
    """A 303 to `url`. `tell_conversation`: the chat hears the outcome first (linked, or the login failed);
    False when the platform itself reports it (Alexa's account linking). `no_referrer`: the URL carries a code."""

    url: str
    tell_conversation: bool = True
    no_referrer: bool = False


@runtime_checkable
class LoginReturn(Protocol):
    async def after_login(self, session: LinkSession) -> BrowserReturn | None:
        """The bank login succeeded; None: our own "linked" page."""
        ...

    async def after_login_failure(self, session: LinkSession) -> BrowserReturn | None:
        """The login was denied or broke; None: our own "did not complete" page."""
        ...


@runtime_checkable
class ReturnUriPolicy(Protocol):
    def accepts_return_uri(self, redirect_uri: str) -> bool:
        """Whether this platform's account linking may have handed us `redirect_uri` (no open redirects)."""
        ...
