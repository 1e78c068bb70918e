"""The bank's console at /console (agents, supervisors, compliance) and the customer's privacy page.

Server-rendered Jinja2 pages with plain HTML forms (POST, then redirect), and Server-Sent Events for the live
queue and transcript: a browser's own EventSource and ~40 lines of script, no front-end framework to vendor and
audit in a bank's console, every action still works with scripts off, and SSE goes through the proxies banks run
(plain HTTP, one way, reconnects by itself)."""

from sarraf.web.console.routes import router
from sarraf.web.console.services import ConsoleServices, wire_console

__all__ = ["ConsoleServices", "router", "wire_console"]
