"""Run any ASGI app under a real uvicorn server on 127.0.0.1, in a background thread.

Integration tests talk real HTTP to it, so what they exercise is what a customer's browser or a
gateway would see: sockets, headers, redirects, root paths. The socket is bound before uvicorn
starts (port 0 lets the kernel pick a free port), so there is no race between choosing a port
and another process taking it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

STARTUP_TIMEOUT_S = 10.0


class LiveServer:
    """A started uvicorn server; `base_url` has no trailing slash."""

    def __init__(self, app: Any, *, log_level: str = "warning") -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level=log_level, lifespan="auto")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name=f"uvicorn:{self.port}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("uvicorn exited during startup")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"uvicorn did not start within {STARTUP_TIMEOUT_S}s")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=STARTUP_TIMEOUT_S)
        self._sock.close()


@contextlib.contextmanager
def serve(app: Any, *, log_level: str = "warning") -> Iterator[str]:
    """Serve `app` on a free 127.0.0.1 port for the duration of the block; yields its base URL.

    To test an app under a prefix (as the gateway mounts the sandbox at /bank), serve a
    `starlette.applications.Starlette(routes=[Mount("/bank", app)])` and append the prefix.
    """
    server = LiveServer(app, log_level=log_level)
    server.start()
    try:
        yield server.base_url
    finally:
        server.stop()


def closed_port_url() -> str:
    """A 127.0.0.1 URL on which nothing listens (the port was free a moment ago): a bank that is down."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
