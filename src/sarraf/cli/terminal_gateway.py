"""The gateway behind the terminal: composed like every channel's, its pages served while the terminal runs.

One event loop in a background thread owns everything asynchronous (the container's database engine and
HTTP client, and a uvicorn server on a free loopback port); the terminal's thread reads the keyboard and
hands each turn to that loop. The server carries what a terminal reply can point at: the bank login
(/link/start, /link/callback), the secure pages (/secure/...) and, when configured, the embedded sandbox
bank at /bank. So every link the terminal prints works for as long as the terminal runs, and nothing is
printed that points at a gateway that may not be running (issue #20, item 7).

The gateway is `bootstrap.build`'s, as the web app's is (its conversation with the card actions and alert
flows); the terminal starts none of the alert loops (alert_loops.py) of its own: no intake, delivery or bank
event subscription (a subscription would take the bank's pushes away from a `sarraf serve` on the same data
folder). Its own messages outside a turn need no delivery worker: the terminal channel is handed them
directly (alerts/outbound.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
import threading
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sarraf.config import SANDBOX_MOUNT

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

    from sarraf.bootstrap import Container, Gateway
    from sarraf.config import Settings

T = TypeVar("T")
LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 120.0


def pages_app(container: Container, mounts: Mapping[str, Any]) -> FastAPI:
    """The part of the web app a terminal reply can link to, on the terminal's own container; `mounts` adds
    ASGI apps by path (the embedded sandbox bank at /bank, which only cli/terminal.py may name)."""
    from fastapi import FastAPI
    from fastapi.staticfiles import StaticFiles

    from sarraf.web import routes_linking

    app = FastAPI(title="Sarraf terminal pages", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.container = container
    app.include_router(routes_linking.router)
    static = Path(routes_linking.__file__).with_name("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for path, mounted in mounts.items():
        app.mount(path, mounted)
    return app


class TerminalGateway:
    """`with TerminalGateway(settings, sandbox_bank) as gateway:` (or start() and close()); `gateway.run(coro)`
    runs a coroutine on the gateway's loop and returns its result."""

    def __init__(self, settings: Settings, sandbox_bank: Callable[[Settings], Any]) -> None:
        """`sandbox_bank(settings)` makes the ASGI app served at /bank for the banks configured as embedded."""
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((LOOPBACK, 0))
        port = int(self._socket.getsockname()[1])
        self.url = f"http://{LOOPBACK}:{port}"
        self.settings = dataclasses.replace(settings, public_url=self.url, host=LOOPBACK, port=port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sarraf-terminal", daemon=True)
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self._gateway: Gateway | None = None
        self.container: Container | None = None  # what the terminal's turns and pages read
        self._sandbox_bank = sandbox_bank

    def __enter__(self) -> TerminalGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> TerminalGateway:
        self._thread.start()
        try:
            self.run(self._start(), timeout=START_TIMEOUT_S)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self._thread.is_alive():
            self.run(self._stop(), timeout=START_TIMEOUT_S)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
        self._loop.close()
        self._socket.close()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout)

    async def _start(self) -> None:
        import uvicorn

        from sarraf.bootstrap import build
        from sarraf.config import load_banks

        embedded = [b.id for b in load_banks(self.settings.banks_file).values() if b.embedded]
        self._gateway = await build(self.settings, bank_urls={b: self.url + SANDBOX_MOUNT for b in embedded})
        self.container = self._gateway.web
        mounts = {SANDBOX_MOUNT: self._sandbox_bank(self.settings)} if embedded else {}
        app = pages_app(self.container, mounts)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._serving = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        while not self._server.started:
            if self._serving.done():
                self._serving.result()  # raises what stopped the server
                raise RuntimeError(f"the terminal's pages did not start on {self.url}")
            await asyncio.sleep(0.01)

    async def _stop(self) -> None:
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            if self._server.started and not self._serving.done():
                # The same graceful shutdown uvicorn runs itself, done here at once: its main loop would
                # notice should_exit only at its next 0.1 s tick, which every `sarraf say` waited for.
                await self._server.shutdown(sockets=[self._socket])
                self._serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._serving
        if self._gateway is not None:
            await self._gateway.aclose()

