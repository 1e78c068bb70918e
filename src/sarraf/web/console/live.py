"""Server-Sent Events: a server-rendered fragment, sent again whenever it changes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import Request
from fastapi.responses import StreamingResponse

from sarraf.web.console.services import ConsoleServices

KEEP_ALIVE_ROUNDS = 15  # a comment line now and then keeps proxies from closing a quiet stream


def sse(event: str, html: str) -> str:
    data = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
    return f"event: {event}\n{data}\n"


def fragment_stream(request: Request, services: ConsoleServices, fragment: Callable[[], Awaitable[str | None]]
                    ) -> StreamingResponse:
    """Send `fragment()` at once, then each time it differs; None (the session ended): say so and stop."""

    async def events() -> AsyncIterator[str]:
        last, quiet = None, 0
        yield "retry: 2000\n\n"
        while not await request.is_disconnected():
            html = await fragment()
            if html is None:
                yield sse("expired", "")
                return
            if html != last:
                last, quiet = html, 0
                yield sse("fragment", html)
            else:
                quiet += 1
                if quiet >= KEEP_ALIVE_ROUNDS:
                    quiet = 0
                    yield ": keep-alive\n\n"
            await services.changes.wait(services.poll_seconds)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
