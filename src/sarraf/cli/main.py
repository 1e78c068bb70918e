"""`sarraf serve`, `sarraf say`, `sarraf shell` and the sub-commands of each area.

Every command imports what it needs inside its own function, so `sarraf --help` and `sarraf --version` load
no web framework, database driver or model, and a `say` turn loads only what a turn uses. Help is Click's
plain formatter: Typer's Rich panels print a `<bool>` type next to every flag.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from typing import Annotated, Any

import typer

import sarraf
from sarraf.cli import alerts as alerts_cli
from sarraf.cli import audit as audit_cli
from sarraf.cli import channels as channels_cli
from sarraf.cli import kb as kb_cli
from sarraf.cli import keys as keys_cli
from sarraf.cli import nlu as nlu_cli
from sarraf.cli import policy as policy_cli
from sarraf.cli import sandbox as sandbox_cli
from sarraf.cli import staff as staff_cli
from sarraf.cli import stories as stories_cli
from sarraf.cli.options import DataDir

app = typer.Typer(help="Sarraf: privacy-first conversational banking gateway.", no_args_is_help=True,
                  pretty_exceptions_show_locals=False, rich_markup_mode=None)
app.add_typer(policy_cli.app, name="policy")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(nlu_cli.app, name="nlu")
app.add_typer(sandbox_cli.app, name="sandbox")
app.add_typer(keys_cli.app, name="keys")
app.add_typer(alerts_cli.app, name="alerts")
app.add_typer(stories_cli.app, name="test")
app.add_typer(kb_cli.app, name="kb")
app.add_typer(staff_cli.app, name="staff")
app.add_typer(channels_cli.app, name="channels")

Customer = Annotated[str, typer.Option("--as", help="Customer name, e.g. sandbox-pl-1.")]
Bank = Annotated[str | None, typer.Option(help="Bank id from the banks file (default: the first).")]


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"sarraf {sarraf.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", callback=_print_version, is_eager=True,
    )] = False,
) -> None:
    """Sarraf: privacy-first conversational banking gateway."""


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="SARRAF_HOST", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="SARRAF_PORT", help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(
        envvar="SARRAF_WORKERS", min=1, max=64,
        help="Gateway processes sharing the port (uvicorn's workers: the socket is bound once and every worker "
             "accepts on it; a worker that dies is replaced).")] = 1,
    data_dir: DataDir = None,
) -> None:
    """Run the gateway (web chat at /, sandbox bank at /bank, API docs at /docs)."""
    import asyncio

    import uvicorn

    from sarraf.config import load_settings
    from sarraf.startup import StartupProblem, banner, preflight
    from sarraf.web.app import create_app

    os.environ["SARRAF_HOST"], os.environ["SARRAF_PORT"] = host, str(port)
    settings = load_settings(data_dir)
    try:  # each way start-up can fail: one line saying what and how to fix it, never a traceback (#17)
        asyncio.run(preflight(settings, dict(os.environ)))
    except StartupProblem as problem:
        typer.echo(f"sarraf serve: {problem}", err=True)
        raise typer.Exit(2) from None
    typer.echo(banner(settings, host, port) + (f"  ({workers} worker processes)" if workers > 1 else ""))
    if workers == 1:
        uvicorn.run(create_app(settings, settle_heap=True), host=host, port=port,
                    log_config=redacted_log_config(), proxy_headers=False)
        return
    _prepare_workers(settings)
    uvicorn.run("sarraf.web.app:app_from_environment", factory=True, workers=workers, host=host, port=port,
                log_config=redacted_log_config(), proxy_headers=False)


def _prepare_workers(settings: Any) -> None:
    """Create once, before the workers start, what each would otherwise race to create (schema, keys, the
    embedded sandbox's admin secret); the workers find their settings in the environment."""
    import asyncio

    from sarraf.bootstrap import prepare_shared_state
    from sarraf.web.app import prepare_embedded_bank

    os.environ["SARRAF_HOME"] = str(settings.data_dir)
    asyncio.run(prepare_shared_state(settings))
    if prepare_embedded_bank(settings):
        typer.echo("note: every worker mounts the embedded sandbox bank at /bank on one state file; for more "
                   "than a try-out run it once (`sarraf sandbox serve`) and name its URL in the banks file", err=True)


def redacted_log_config() -> dict[str, object]:
    """Uvicorn's logging, with every record passed through the redaction filter (IBANs, cards, tokens...)."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": "sarraf.policy.redaction.RedactingFilter"},
                         "repeats": {"()": "sarraf.log_repeats.RepeatedErrors"}}  # same error: once, then counted
    for handler in config["handlers"].values():
        handler["filters"] = ["repeats", "redact"]  # counted first: a held-back line costs no redaction
    config["loggers"]["sarraf"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


@app.command()
def say(
    messages: Annotated[list[str], typer.Argument(
        help="What the customer writes; several messages are turns of one conversation, in order.",
        metavar="MESSAGE",
    )],
    customer: Customer = "sandbox-en-1",
    bank: Bank = None,
    data_dir: DataDir = None,
) -> None:
    """Turns through the terminal channel: prints the bot's replies as plain text."""
    from sarraf.cli.terminal import run_turns

    run_turns(customer, messages, bank=bank, data_dir=data_dir)


@app.command()
def shell(
    customer: Customer = "sandbox-en-1",
    bank: Bank = None,
    data_dir: DataDir = None,
) -> None:
    """Chat interactively in the terminal (Ctrl-D or /quit to leave)."""
    from sarraf.cli.terminal import run_turns

    run_turns(customer, _keyboard_lines(), bank=bank, data_dir=data_dir, prompt="bot> ", greet=True)


def _keyboard_lines() -> Iterator[str]:
    while True:
        try:
            line = input("you> ")
        except EOFError:
            return
        if line.strip() in ("/quit", "/exit"):
            return
        if line.strip():
            yield line
