"""The terminal channel's driver: builds the gateway in-process, with the sandbox bank on a local port.

For sandbox customers the bank login is completed automatically (a scripted login on the sandbox's own
page, over HTTP), so `sarraf say --as sandbox-pl-1 "ile mam na koncie?"` works on a fresh install.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import typer

from sarraf.banks.sandbox_login import SandboxLoginFailed, complete_sandbox_login
from sarraf.bootstrap import Container, build
from sarraf.channels import terminal
from sarraf.config import load_banks, load_settings
from sarraf.domain.messages import Outbound
from sarraf.policy.consents import LinkFailed
from sarraf.web.threaded_server import serve_in_thread

SANDBOX_PREFIX = "sandbox-"


def run_turns(
    customer: str, texts: Iterable[str], *, bank: str | None, data_dir: Path | None, prompt: str = ""
) -> None:
    settings = load_settings(data_dir)
    banks = load_banks(settings.banks_file)
    tenant = bank or next(iter(banks))
    if tenant not in banks:
        raise typer.BadParameter(f"unknown bank {tenant!r}; configured: {', '.join(banks)}")
    with ExitStack() as stack:
        bank_urls = {}
        if any(b.embedded for b in banks.values()):
            from sarraf.sandbox_bank.app import create_app as create_sandbox_bank

            url = stack.enter_context(
                serve_in_thread(create_sandbox_bank(state_path=settings.data_dir / "sandbox-bank.db"))
            )
            bank_urls = {b.id: url for b in banks.values() if b.embedded}
        asyncio.run(_converse(settings, bank_urls, tenant, customer, texts, prompt, banks[tenant].embedded))


async def _converse(settings, bank_urls, tenant, customer, texts, prompt, embedded) -> None:  # type: ignore[no-untyped-def]
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    container = await build(settings, bank_urls=bank_urls)
    try:
        for text in texts:
            replies = await container.conversation.handle(tenant, terminal.inbound(customer, text))
            for reply in replies:
                _print(reply, prompt)
                if reply.extra.get("link_state") and embedded and customer.startswith(SANDBOX_PREFIX):
                    for follow_up in await _link_sandbox_customer(container, reply, customer):
                        _print(follow_up, prompt)
    finally:
        await container.aclose()


async def _link_sandbox_customer(container: Container, invite: Outbound, customer: str) -> list[Outbound]:
    state = invite.extra["link_state"]
    # No web server runs behind the terminal, so we go to the bank's login page ourselves, not via /link/start.
    url = await container.consents.begin(state)
    try:
        if url is None:
            raise SandboxLoginFailed("the login attempt is no longer pending")
        redirect = await complete_sandbox_login(container.http, url, username=customer)
    except SandboxLoginFailed:
        # e.g. no such sandbox customer: the bank refused the login, so the link is abandoned honestly.
        redirect = f"?state={state}&error=access_denied"
    query = parse_qs(urlsplit(redirect).query)
    try:
        linked = await container.consents.complete(state, query.get("code", [None])[0], query.get("error", [None])[0],
                                                   browser=None)  # no browser: the terminal is the customer
    except LinkFailed as failed:
        if failed.session is None:
            raise
        return await container.conversation.link_failed(failed.session, invite.lang)
    return await container.conversation.resume_after_link(linked.session, invite.lang)


def _print(message: Outbound, prompt: str) -> None:
    typer.echo(prompt + terminal.render(message))
