"""Serve any ASGI app on 127.0.0.1 for a test: real sockets, headers, redirects and root paths.

To test an app under a prefix (as the gateway mounts the sandbox at /bank), serve a
`starlette.applications.Starlette(routes=[Mount("/bank", app)])` and append the prefix.
"""

from __future__ import annotations

from sarraf.web.threaded_server import free_port
from sarraf.web.threaded_server import serve_in_thread as serve

__all__ = ["closed_port_url", "serve"]


def closed_port_url() -> str:
    """A 127.0.0.1 URL on which nothing listens (the port was free a moment ago): a bank that is down."""
    return f"http://127.0.0.1:{free_port()}"
