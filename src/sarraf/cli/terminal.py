"""The terminal channel's driver (`sarraf say`, `sarraf shell`): the gateway in-process, turns from the keyboard.

For sandbox customers the bank login is completed automatically (a scripted login on the sandbox's own
page, over HTTP), so `sarraf say --as sandbox-pl-1 "ile mam na koncie?"` works on a fresh install; the
login button is then not printed, since nobody needs to press it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import typer

from sarraf.channels import terminal
from sarraf.cli.terminal_gateway import TerminalGateway

if TYPE_CHECKING:
    from sarraf.bootstrap import Container
    from sarraf.config import BankConfig, Settings
    from sarraf.domain.messages import Outbound

SANDBOX_PREFIX = "sandbox-"
Printer = Callable[[str], None]


def run_turns(
    customer: str,
    texts: Iterable[str],
    *,
    bank: str | None,
    data_dir: Path | None,
    prompt: str = "",
    greet: bool = False,
    show: Printer = typer.echo,
) -> None:
    """Each text is one turn of the same conversation, in order; `show` gets every printed block."""
    from sarraf.config import ConfigError, load_banks, load_settings

    settings = load_settings(data_dir)
    try:
        banks = load_banks(settings.banks_file)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="SARRAF_BANKS_FILE") from exc
    tenant = bank or next(iter(banks))
    if tenant not in banks:
        raise typer.BadParameter(f"unknown bank {tenant!r}; configured: {', '.join(banks)}", param_hint="--bank")
    from sarraf.policy.crypto.keys import CryptoError

    try:
        gateway = TerminalGateway(settings, _sandbox_bank).start()
    except (CryptoError, OSError) as exc:  # keys of another data folder, a database that does not answer...
        typer.echo(f"cannot start the terminal's gateway: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        _converse(gateway, banks[tenant], customer, texts, prompt, greet, show)
    finally:
        gateway.close()


def _converse(gateway: TerminalGateway, bank: BankConfig, customer: str, texts: Iterable[str], prompt: str,
              greet: bool, show: Printer) -> None:
    assert gateway.container is not None
    container, tenant = gateway.container, bank.id
    if greet:
        show(greeting(bank, customer, gateway.settings, gateway.url))
    auto_link = bank.embedded and customer.startswith(SANDBOX_PREFIX)
    for text in texts:
        for reply in gateway.run(_turn(container, tenant, customer, text, auto_link)):
            show(prompt + render(reply, hide_login=auto_link))
        for message in _pending(container):
            show(prompt + render(message))


def greeting(bank: BankConfig, customer: str, settings: Settings, pages_url: str) -> str:
    """What the shell is connected to, before the first prompt (the database URL without its password)."""
    from sqlalchemy.engine import make_url

    database = make_url(settings.database_url).render_as_string(hide_password=True)
    where = "embedded sandbox bank" if bank.embedded else bank.base_url
    return (
        f"Sarraf terminal: you are {customer} at {bank.name} ({bank.id}, {where}).\n"
        f"Database: {database}\n"
        f"Pages for this session (bank login, secure pages): {pages_url}\n"
        "Write as the customer would; /quit or Ctrl-D leaves."
    )


def render(message: Outbound, *, hide_login: bool = False) -> str:
    if hide_login and any(b.login for b in message.buttons):
        from dataclasses import replace

        message = replace(message, buttons=tuple(b for b in message.buttons if not b.login))
    return terminal.render(message)


def _sandbox_bank(settings: Settings) -> object:
    from sarraf.sandbox_bank.app import create_app as create_sandbox_bank

    return create_sandbox_bank(state_path=settings.data_dir / "sandbox-bank.db")


def _pending(container: Container) -> list[Outbound]:
    """Messages the gateway handed to the terminal outside a turn (e.g. after a login in the browser)."""
    channel = container.channels.channels.get(terminal.NAME)
    if not isinstance(channel, terminal.TerminalChannel):
        return []
    pending, channel.pending = channel.pending, []
    return pending


async def _turn(container: Container, tenant: str, customer: str, text: str, auto_link: bool) -> list[Outbound]:
    replies = await container.conversation.handle(tenant, terminal.inbound(customer, text))
    answered: list[Outbound] = []
    for reply in replies:
        answered.append(reply)
        if reply.extra.get("link_state") and auto_link:
            answered += await _link_sandbox_customer(container, reply, customer)
        if reply.extra.get("pay_state") and auto_link:
            answered += await _authorise_sandbox_payment(container, reply.extra["pay_state"], customer)
    return answered


async def _authorise_sandbox_payment(container: Container, state: str, customer: str) -> list[Outbound]:
    """The scripted customer authorises the payment at the sandbox (login + the one-time code its page shows),
    as linking is scripted; the gateway then submits it once, exactly as after a browser's callback."""
    from sarraf.banks.sandbox_login import SandboxLoginFailed, complete_sandbox_sca
    from sarraf.conversation.payment_texts import Payer

    wiring = container.payments
    p = await wiring.repo.by_auth_state(state) if wiring is not None else None
    if wiring is None or p is None or not p.auth_url:
        return []
    try:
        redirect = await complete_sandbox_sca(container.http, p.auth_url, username=customer)
    except SandboxLoginFailed:
        redirect = f"?state={state}&error=access_denied"
    query = parse_qs(urlsplit(redirect).query)
    step = await wiring.runs.complete(state, query.get("code", [None])[0], query.get("error", [None])[0])
    if step is None:
        return []
    return [wiring.texts.status(Payer(p.tenant, p.customer_id, p.lang, container.bank_names[p.tenant]), step.payment)]


async def _link_sandbox_customer(container: Container, invite: Outbound, customer: str) -> list[Outbound]:
    from sarraf.banks.sandbox_login import SandboxLoginFailed, complete_sandbox_login
    from sarraf.policy.consents import LinkFailed

    state = invite.extra["link_state"]
    # The customer is scripted, so we go to the bank's login page ourselves rather than via /link/start.
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
        if container.step_up is not None and (
                back := await container.step_up.came_back(state, False, failed.kind.value)) is not None:
            return back.replies  # a step-up for a held action (conversation/step_up.py): nothing was done
        return await container.conversation.link_failed(failed.session, invite.lang)
    if container.step_up is not None and (back := await container.step_up.came_back(state, True)) is not None:
        return back.replies  # the held action ran (or came back too late): not a new link
    return await container.conversation.resume_after_link(linked.session, invite.lang)
