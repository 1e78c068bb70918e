"""Security headers on every response (#17 finding 6).

Every page the gateway serves (web chat, secure pages with bank data, link notices, console) loads its script
and styles from /static only, so one strict Content-Security-Policy fits them all: no inline script or style,
no eval, nothing from another origin, never inside a frame. A page that must carry inline code (Swagger UI's
start-up script, the sandbox bank's style block) sends its own policy naming that code by its SHA-256
(`hashed_policy`); the middleware never replaces a policy a route already set.

HSTS is sent only when the public URL is https: over plain http (a developer's machine) the header would be
ignored by browsers at best and pin a name to https at worst.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

STRICT_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
))
HSTS = "max-age=31536000"
INLINE = re.compile(r"<(script|style)(?![^>]*\bsrc=)[^>]*>(.*?)</\1>", re.DOTALL | re.IGNORECASE)


def _digest(code: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"


def hashed_policy(html: str, *, inline_style_attributes: bool = False, blob_workers: bool = False) -> str:
    """The strict policy, allowing exactly the inline <script> and <style> blocks of `html` by their hashes.
    `inline_style_attributes`: a page whose third-party script injects styles (Swagger UI, ReDoc);
    `blob_workers`: one that starts a web worker from a script it built itself (ReDoc's search)."""
    scripts, styles = [], []
    for tag, code in INLINE.findall(html):
        if tag.lower() == "style":
            styles.append(_digest(code))
        else:
            scripts.append(_digest(code))
    style = "'unsafe-inline'" if inline_style_attributes else " ".join(styles)
    policy = (STRICT_POLICY
              .replace("script-src 'self'", " ".join(["script-src 'self'", *scripts]))
              .replace("style-src 'self'", f"style-src 'self' {style}".strip()))
    return policy + ("; worker-src 'self' blob:" if blob_workers else "")


class SecurityHeaders:
    """Pure ASGI (streams such as the console's server-sent events pass through untouched)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.defaults: list[tuple[bytes, bytes]] = [
            (b"content-security-policy", STRICT_POLICY.encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
        ]
        if hsts:
            self.defaults.append((b"strict-transport-security", HSTS.encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in self.defaults if name not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
