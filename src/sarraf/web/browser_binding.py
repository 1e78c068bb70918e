"""Which browser may finish a bank login: the cookies that tie a login to the chat that asked for it.

A login link (/link/start/<state>) is a bearer URL: whoever opens it could sign in at the bank as themselves
and link *their* accounts to the chat that asked. So a login belongs to one browser, chosen at /link/start:

- the web chat's own browser, proved by `sarraf_chat`, set by the chat API on every message the page sends:
  a SHA-256 digest of the chat session id (never the id itself), so only the browser holding the session
  (in its localStorage) holds it;
- on a platform (Messenger, WhatsApp, Telegram), the browser of the person who confirmed, on our page, that
  the chat named there is theirs; Alexa's account linking binds the browser that Alexa sent to us.

The chosen browser gets `sarraf_browser`, a random token; the login stores only its digest, and
/link/callback refuses a browser whose cookie does not match. Both cookies are HttpOnly, SameSite=Lax (a
top-level redirect back from the bank still carries them) and Secure when the gateway is served over https.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

BROWSER_COOKIE = "sarraf_browser"
CHAT_COOKIE = "sarraf_chat"
COOKIE_DAYS = 30
_TOKEN_BYTES = 32


def _digest(purpose: str, value: str) -> str:
    return hashlib.sha256(f"sarraf:{purpose}:{value}".encode()).hexdigest()


def chat_proof(session: str) -> str:
    """The `sarraf_chat` value for a web chat session."""
    return _digest("webchat-session", session)


def holds_chat(request: Request, session: str) -> bool:
    proof = request.cookies.get(CHAT_COOKIE, "")
    return bool(proof) and hmac.compare_digest(proof.encode(), chat_proof(session).encode())


def browser_token(request: Request) -> tuple[str, bool]:
    """This browser's token, and whether it is new (and so must be set on the response)."""
    token = request.cookies.get(BROWSER_COOKIE, "")
    if 40 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum():
        return token, False
    return secrets.token_urlsafe(_TOKEN_BYTES), True


def browser_digest(token: str) -> str:
    """What a login stores about its browser: never the cookie itself."""
    return _digest("browser", token)


def returning_browser(request: Request) -> str:
    """The digest of the cookie a browser came back with; "" when it has none (it then matches nothing)."""
    token = request.cookies.get(BROWSER_COOKIE, "")
    return browser_digest(token) if token else ""


def confirm_token(state: str, browser: str) -> str:
    """The confirmation form's token: a page from another site cannot post it, not knowing this browser's cookie."""
    return _digest("confirm", f"{state}:{browser}")


def set_cookie(response: Response, name: str, value: str, *, secure: bool) -> None:
    response.set_cookie(name, value, max_age=COOKIE_DAYS * 86_400, path="/", httponly=True, secure=secure,
                        samesite="lax")


def secure_cookies(public_url: str) -> bool:
    return public_url.lower().startswith("https://")
